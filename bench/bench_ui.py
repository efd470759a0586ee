"""Window benchmark: start-up, opening a patient, criteria refresh (medians).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_ui.py [--runs 7] [--append]

1. Start-up to an interactive main window, in a fresh interpreter each run,
   over a 5,000-patient SQLite database (the list loads every row), compared
   with a bare PySide6 QWidget start-up measured the same way in the same run.
   Target: under 0.8 s from source.
2. Opening a patient with 20 reviews (list row, case, reviews, timeline, review
   editor with its evaluation, treatment, header).  Target: under 50 ms.
3. The criteria panel refresh after an edit (``ReviewEditor.preview``: the
   edited review re-evaluated with plan search, the criteria panel, diagram and
   remnant figures redrawn).  Target: under 20 ms.  Also printed: the whole
   accepted edit (``apply_edit_sync``: apply, save a new version durably with
   its audit event, re-evaluate, redraw), which adds an fsync'ed commit.

The database is generated once and cached in the temp directory.  ``--append``
adds the figures to BENCHMARKS.md under "## Window (bench/bench_ui.py)".
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

N_PATIENTS = 5000
BIG_PATIENT = "BENCH-20R"
BIG_REVIEWS = 20
CACHE_VERSION = 1
USER = "Bench Chair"
TARGETS = {"startup": 0.8, "open": 0.050, "refresh": 0.020}


# --------------------------------------------------------------------------- database

def _case(i: int, reviews: int):
    from mdt.case import (
        Case,
        CycleGiven,
        Decision,
        Lesion,
        Panel,
        Patient,
        ProtocolRef,
        RemnantPlan,
        Review,
        Treatment,
        VesselContact,
        Vote,
    )

    start = date(2024, 1, 1) + timedelta(days=i % 600)
    cycles = tuple(CycleGiven(n, start + timedelta(days=14 * (n - 1)), None, 1 if n % 3 else 0)
                   for n in range(1, 4 * reviews + 1))
    revs = []
    for r in range(reviews):
        day = start + timedelta(weeks=8 * r)
        shrink = max(0.4, 1 - 0.06 * r)
        lesions = (
            Lesion("L1", ("VII", "VIII"), round(40 * shrink, 1), True),
            Lesion("L2", ("IVa",), round(25 * shrink, 1), True),
            Lesion("L3", ("II",), 12, False),
        )
        vessels = (VesselContact("RHV", "contact", "L1"), VesselContact("MHV", "contact", "L2"))
        decision = Decision("convertible", "continue_induction", "bench", day + timedelta(weeks=8))
        votes = tuple(Vote(f"Surgeon {k}", "hepatobiliary_surgeon", "convertible") for k in range(3))
        revs.append(Review(date=day, cycle=4 * r, height_cm=170, weight_kg=72, lesions=lesions,
                           vessels=vessels, remnant=RemnantPlan(resection="left_lateral_sectionectomy"),
                           extrahepatic_disease="none", ecog=0,
                           panel=Panel(votes, decision), reason="baseline" if r == 0 else "reassessment"))
    return Case(
        patient=Patient(id=BIG_PATIENT if reviews == BIG_REVIEWS else f"BENCH-{i:05d}",
                        name=f"PATIENT{i:05d}^Bench", sex="FM"[i % 2], birth_date=date(1950 + i % 30, 1 + i % 12, 1)),
        protocol=ProtocolRef("NCT05103020", "AB"[i % 2]),
        reviews=tuple(revs),
        treatment=Treatment("FOLFOXIRI", start, cycles, "on_treatment"),
    )


def bench_database() -> str:
    """A cached SQLite database with 5,000 patients, one of them with 20 reviews."""
    folder = Path(tempfile.gettempdir()) / "liver-mdt-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"ui-{N_PATIENTS}-v{CACHE_VERSION}.sqlite3"
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    from mdt.meeting import Member
    from mdt.services import Actor, MdtService
    from mdt.store.db import open_database

    tmp = path.with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    db = open_database(f"sqlite:///{tmp}")
    service = MdtService(db, Actor(USER, "chair"))
    service.add_member(Member(USER, "hepatobiliary_surgeon", "chair"))
    t = time.perf_counter()
    batch = []
    for i in range(N_PATIENTS - 1):
        batch.append(_case(i, 1 + i % 3))
        if len(batch) == 500:
            service.import_cases(batch)
            batch = []
            print(f"  generated {i + 1} patients ({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    batch.append(_case(N_PATIENTS, BIG_REVIEWS))
    service.import_cases(batch)
    db.close()
    tmp.rename(path)
    return url


# --------------------------------------------------------------------------- start-up

BARE = """
import sys, time
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1])
w = QWidget(); w.resize(800, 600); w.show(); app.processEvents()
print(time.time() - float(sys.argv[1]))
"""

APP = f"""
import sys, time
sys.path.insert(0, sys.argv[3])
from ui.app import start_window
app, window, door = start_window(sys.argv[2], "{USER}")
app.processEvents()
interactive = time.time() - float(sys.argv[1])
while window.patients.model.rowCount() < {N_PATIENTS}:   # the list arrives from a worker thread
    app.processEvents()
    time.sleep(0.002)
print(interactive, time.time() - float(sys.argv[1]))
"""


def _child(code: str, *args: str) -> list[float]:
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", code, repr(t0), *args], capture_output=True, text=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, check=True, cwd=ROOT)
    return [float(x) for x in out.stdout.strip().splitlines()[-1].split()]


def measure_startup(url: str, runs: int) -> tuple[float, float, float]:
    """Bare QWidget, the window up and usable, the 5,000-row list filled (medians, seconds)."""
    _child(APP, url, str(ROOT))  # warm the bytecode and file caches once
    bare = [_child(BARE)[0] for _ in range(runs)]
    app = [_child(APP, url, str(ROOT)) for _ in range(runs)]
    return (statistics.median(bare), statistics.median(a[0] for a in app),
            statistics.median(a[1] for a in app))


# --------------------------------------------------------------------------- in-process figures

def measure_in_process(url: str, runs: int) -> tuple[float, float, float]:
    from mdt import review_edits as edits
    from mdt.store.db import open_database
    from ui.app import create_window, ensure_application, find_member

    app = ensure_application()
    db = open_database(url)
    from mdt.services import Actor, Door, MdtService

    member = find_member(MdtService(db, Actor(USER)), USER)
    window = create_window(Door(db), member, synchronous_tasks=False)
    window.resize(1920, 1080)
    window.show()
    app.processEvents()
    other = "BENCH-00001"
    opens: dict[int, list[float]] = {0: [], 1: []}
    for tab in (0, 1):                   # with the timeline shown, then with the review editor shown
        window.show_tab(tab)
        for _ in range(runs + 1):
            window.open_patient(other)
            app.processEvents()
            window.tasks.wait()
            app.processEvents()
            t = time.perf_counter()
            window.open_patient(BIG_PATIENT)
            opens[tab].append(time.perf_counter() - t)
            app.processEvents()
            window.tasks.wait()
            app.processEvents()
    assert len(window.records) == BIG_REVIEWS
    assert len(window.timeline.model.rows()) == BIG_REVIEWS
    editor = window.review_editor
    refreshes, saves = [], []
    for k in range(runs + 1):
        edited = edits.set_diameter(editor.current_review(), lesion_id="L3", diameter=20 + k % 2 + k / 10).review
        t = time.perf_counter()
        ev = editor.preview(edited)
        app.processEvents()
        refreshes.append(time.perf_counter() - t)
        assert ev is not None
        t = time.perf_counter()
        ev = editor.apply_edit_sync(partial(edits.set_diameter, lesion_id="L3", diameter=10 + k % 2 + k / 10))
        saves.append(time.perf_counter() - t)
        assert ev is not None, editor.message()
        app.processEvents()
    window.flush_pending_refresh()
    window.close()
    db.close()
    # The first of each is a warm-up (imports, caches).
    return (statistics.median(opens[0][1:]), statistics.median(opens[1][1:]),
            statistics.median(refreshes[1:]), statistics.median(saves[1:]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--append", action="store_true", help="append the figures to BENCHMARKS.md")
    args = parser.parse_args()
    url = bench_database()
    bare, startup, listed = measure_startup(url, args.runs)
    open_timeline, open_s, refresh_s, save_s = measure_in_process(url, args.runs)
    lines = [
        f"start-up to an interactive window ({N_PATIENTS} patients): {startup * 1000:.0f} ms "
        f"(bare PySide6 QWidget {bare * 1000:.0f} ms, x{startup / bare:.1f}; target < {TARGETS['startup'] * 1000:.0f} ms)"
        f" {'OK' if startup < TARGETS['startup'] else 'OVER'}",
        f"start-up until the {N_PATIENTS}-row patient list is filled (read on a worker thread): "
        f"{listed * 1000:.0f} ms",
        f"open a patient with {BIG_REVIEWS} reviews, review editor shown: {open_s * 1000:.1f} ms "
        f"(target < {TARGETS['open'] * 1000:.0f} ms) {'OK' if open_s < TARGETS['open'] else 'OVER'}",
        f"open a patient with {BIG_REVIEWS} reviews, timeline shown: {open_timeline * 1000:.1f} ms "
        f"(target < {TARGETS['open'] * 1000:.0f} ms) {'OK' if open_timeline < TARGETS['open'] else 'OVER'}",
        f"criteria refresh after an edit: {refresh_s * 1000:.1f} ms (target < {TARGETS['refresh'] * 1000:.0f} ms)"
        f" {'OK' if refresh_s < TARGETS['refresh'] else 'OVER'}",
        f"whole accepted edit (durable save of a new version + audit, then the refresh): {save_s * 1000:.1f} ms",
    ]
    load = os.getloadavg()[0]
    lines.append(f"machine load average during the run: {load:.1f} on {os.cpu_count()} cores "
                 f"(the bare QWidget baseline shows how loaded it was)")
    for line in lines:
        print(line)
    if args.append:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        text = (f"\n## Window (bench/bench_ui.py)\n\nMedian of {args.runs} runs, {stamp}, "
                f"`QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_ui.py --runs {args.runs}` "
                f"(2 shared cores):\n\n" + "\n".join(f"- {line}" for line in lines) + "\n")
        with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # Skip interpreter teardown: PySide6 sometimes crashes while finalising leftover Qt objects.
    os._exit(code)
