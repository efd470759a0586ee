"""Packaged bundle: its size and the frozen start-up time to the main window.

Usage (after ``bash scripts/build-bundle.sh``)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_startup_frozen.py --runs 5

Start-up is timed from launching the executable to the moment it reports the
main window shown (``startup-probe``: database opened, window built, shown,
first events processed), against a database that already exists, as on every
start after the first.  Baselines measured in the same run: the same probe
from the checkout's virtual environment, and the bare frozen interpreter
(``liver-mdt --help``: bootloader plus Python, no application code).
Targets (issue 7): start-up under 1 s (median); the bundle under the size budget of
``tests/test_portable.py`` (250 MB until the outcome statistics and signed minutes came:
350 MB since, see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE_TARGET_MB = 350  # tests/test_portable.py BUNDLE_BUDGET_MB
STARTUP_TARGET_S = 1.0


def bundle_bytes(folder: Path) -> int:
    """Bytes of every file in the bundle (symlinks counted as links, not twice)."""
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(dirpath) / name
            total += path.lstat().st_size
    return total


def _env(home: Path) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    if os.environ.get("DISPLAY"):
        env["DISPLAY"] = os.environ["DISPLAY"]
    return env


def time_until_line(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, dict]:
    """Seconds from launch to the first line on stdout (the probe's report)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            cwd=cwd, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.wait(timeout=60)
    try:
        report = json.loads(line) if line.strip().startswith("{") else {}
    except json.JSONDecodeError:
        report = {}
    return elapsed, report


def time_process(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd,
                   check=True, timeout=60)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "liver-mdt")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    exe = args.bundle / "liver-mdt"
    if not exe.exists():
        print(f"no bundle at {args.bundle}: run 'bash scripts/build-bundle.sh' first",
              file=sys.stderr)
        return 2

    size = bundle_bytes(args.bundle)
    with tempfile.TemporaryDirectory(prefix="liver-mdt-bench-") as tmp:
        work = Path(tmp)
        env = _env(work / "home")
        db = f"sqlite:///{work / 'bench.sqlite3'}"
        probe = ["--db", db, "--user", "Anne Martin", "startup-probe"]
        # First start migrates and seeds the demo data: not what is measured.
        first_s, first = time_until_line([str(exe), *probe], env, work)
        if not first.get("ok"):
            print("the frozen start-up probe failed", file=sys.stderr)
            return 1
        frozen_runs = [time_until_line([str(exe), *probe], env, work) for _ in range(args.runs)]
        frozen = [t for t, _ in frozen_runs]
        phases = {name: statistics.median(r["phases_s"][name] for _, r in frozen_runs)
                  for name in frozen_runs[0][1].get("phases_s", {})}
        inside = statistics.median(r["window_shown_s"] for _, r in frozen_runs)
        cpu = statistics.median(r["cpu_s"] for _, r in frozen_runs)
        checkout_env = {**env, "PATH": f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin"}
        checkout = [time_until_line([sys.executable, str(ROOT / "main.py"), *probe],
                                    checkout_env, ROOT)[0] for _ in range(args.runs)]
        bare = [time_process([str(exe), "--help"], env, work) for _ in range(args.runs)]

    med = statistics.median
    frozen_s, checkout_s, bare_s = med(frozen), med(checkout), med(bare)
    size_mb = size / 1e6
    print(f"bundle size: {size_mb:.1f} MB ({size / 2**20:.1f} MiB), {args.bundle}")
    print(f"  target < {SIZE_TARGET_MB} MB: {'pass' if size_mb < SIZE_TARGET_MB else 'FAIL'}")
    print(f"start-up to main window, frozen (median of {args.runs}): {frozen_s * 1000:.0f} ms "
          f"[runs: {', '.join(f'{t * 1000:.0f}' for t in frozen)}]")
    print(f"  of which inside main() (median): {inside * 1000:.0f} ms; cumulative phases: "
          + ", ".join(f"{k} {v * 1000:.0f}" for k, v in phases.items())
          + f"; before main() (bootloader, interpreter): {(frozen_s - inside) * 1000:.0f} ms")
    print(f"  CPU time of the process from launch to the window (median): {cpu * 1000:.0f} ms "
          "(what a machine with a free core waits, whatever other load there is)")
    print(f"  first start (migrate + demo seed): {first_s * 1000:.0f} ms")
    print(f"  baseline, same probe from the checkout's venv: {checkout_s * 1000:.0f} ms "
          f"(frozen/venv = {frozen_s / checkout_s:.2f})")
    print(f"  baseline, bare frozen interpreter (--help): {bare_s * 1000:.0f} ms")
    print(f"  target < {STARTUP_TARGET_S:.0f} s: {'pass' if frozen_s < STARTUP_TARGET_S else 'FAIL'}")
    try:
        load = os.getloadavg()[0]
        print(f"  load average during the run: {load:.1f} on {os.cpu_count()} CPUs")
    except OSError:
        pass
    return 0 if size_mb < SIZE_TARGET_MB and frozen_s < STARTUP_TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
