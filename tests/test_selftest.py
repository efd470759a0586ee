"""``--self-test`` runs the real start-up path headless, names a failing step, and exits 0/1.

The Qt-free steps are :mod:`mdt.selftest`'s; the top-level ``selftest`` module beside
``main.py`` adds the main window and the start-up probe."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import selftest
from mdt import selftest as core

ROOT = Path(__file__).resolve().parent.parent
CORE_STEP_NAMES = ["environment", "target_database", "migrate", "load_demo", "evaluate", "minutes_pdf", "outcomes",
                   "signing", "dicom_decode"]
STEP_NAMES = [*CORE_STEP_NAMES, "qt_locale_data", "main_window"]


def _run_main(*args: str, data_dir: Path, timeout: int = 240) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MDT_DATA_DIR": str(data_dir)}
    env.pop("MDT_DATABASE_URL", None)
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=timeout)


@pytest.mark.slow
def test_self_test_passes_every_step_and_prints_json(tmp_path: Path) -> None:
    proc = _run_main("--self-test", data_dir=tmp_path / "data")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["format"] == "mdt-self-test/1"
    assert report["ok"] is True and report["failed_step"] is None
    assert [s["name"] for s in report["steps"]] == STEP_NAMES
    assert all(s["ok"] for s in report["steps"])
    steps = {s["name"]: s["detail"] for s in report["steps"]}
    assert steps["environment"]["frozen"] is False
    assert steps["migrate"]["revision"]
    from mdt.demo import seed_cases
    from mdt.protocols import load_protocols

    assert steps["load_demo"]["patients"] == len(seed_cases())
    assert set(steps["evaluate"]) == set(load_protocols())  # one evaluation per shipped protocol
    assert steps["minutes_pdf"]["pages"] >= 1
    assert steps["outcomes"]["conversion_odds_ratio"] > 0  # scipy and lifelines run in this build
    assert steps["outcomes"]["os_hazard_ratio"] > 0 and steps["outcomes"]["pdf_bytes"] > 0  # Cox; the PDF
    assert steps["signing"]["signature"].startswith("PDF signature: valid")  # pyHanko, cryptography
    assert steps["qt_locale_data"]["codecs"] > 100  # Qt's ICU data
    assert any("JPEG 2000" in line for line in steps["dicom_decode"]["codecs"])
    assert steps["main_window"]["qt_platform"] == "offscreen"
    # The self-test works in a temporary folder: nothing is left in the data directory.
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


def _fake_steps(fail_at: str) -> tuple:
    def ok(_state: object) -> dict[str, str]:
        return {"done": "yes"}

    def boom(_state: object) -> None:
        raise RuntimeError("the minutes font is missing")

    return (
        ("environment", ok, ()),
        ("migrate", boom if fail_at == "migrate" else ok, ()),
        ("load_demo", ok, ("migrate",)),
        ("minutes_pdf", boom if fail_at == "minutes_pdf" else ok, ("load_demo",)),
        ("dicom_decode", ok, ()),
    )


def test_a_failing_step_is_named_and_the_exit_status_is_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "STEPS", _fake_steps("minutes_pdf"))
    out, err = io.StringIO(), io.StringIO()
    assert selftest.run_self_test(out=out, err=err) == 1
    report = json.loads(out.getvalue())
    assert report["ok"] is False and report["failed_step"] == "minutes_pdf"
    by_name = {s["name"]: s for s in report["steps"]}
    assert by_name["minutes_pdf"]["error"] == "RuntimeError: the minutes font is missing"
    assert "Traceback" in by_name["minutes_pdf"]["detail"]["traceback"]
    assert by_name["dicom_decode"]["ok"] is True  # independent steps still run
    assert err.getvalue() == ("self-test failed at step minutes_pdf: "
                              "RuntimeError: the minutes font is missing\n")


def test_steps_that_need_a_failed_step_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "STEPS", _fake_steps("migrate"))
    ok, results = core.run_steps()
    assert not ok
    by_name = {r.name: r for r in results}
    assert by_name["migrate"].error == "RuntimeError: the minutes font is missing"
    assert by_name["load_demo"].error == "skipped: needs migrate"
    assert by_name["minutes_pdf"].error == "skipped: needs load_demo"
    assert by_name["environment"].ok and by_name["dicom_decode"].ok
    assert core.summary(ok, results, 1.0)["failed_step"] == "migrate"


def test_all_steps_passing_exits_0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "STEPS", _fake_steps("none"))
    out = io.StringIO()
    assert selftest.run_self_test(out=out, err=io.StringIO()) == 0
    assert json.loads(out.getvalue())["ok"] is True


def test_self_test_leaves_the_data_directory_setting_alone(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    monkeypatch.setattr(selftest, "STEPS", _fake_steps("none"))
    monkeypatch.setenv("MDT_DATA_DIR", str(tmp_path))
    selftest.run_self_test(out=io.StringIO(), err=io.StringIO())
    assert os.environ["MDT_DATA_DIR"] == str(tmp_path)


def test_real_steps_are_the_documented_ones() -> None:
    assert [name for name, _func, _needs in selftest.STEPS] == STEP_NAMES
    # The core's steps are the same ones without the window, and run without Qt.
    assert [name for name, _func, _needs in core.STEPS] == CORE_STEP_NAMES


def test_the_core_steps_run_without_loading_qt(tmp_path: Path) -> None:
    """mdt.selftest alone (no window step) checks a database, demo data, protocols and the
    minutes without ever importing PySide6 or the ui package."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mdt import selftest\n"
        "ok, results = selftest.run_steps(workdir=Path(sys.argv[1]),\n"
        "                                 only=('migrate', 'load_demo', 'evaluate', 'minutes_pdf'))\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('PySide6', 'shiboken6', 'ui'))\n"
        "print([r.error for r in results if not r.ok], bad)\n"
        "sys.exit(0 if ok and not bad else 1)\n"
    )
    env = {**os.environ, "MDT_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "work")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_startup_probe_opens_the_window_and_reports_its_time(tmp_path: Path) -> None:
    db = tmp_path / "probe.sqlite3"
    proc = _run_main("--db", f"sqlite:///{db}", "--user", "Anne Martin", "startup-probe",
                     data_dir=tmp_path / "data")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True and report["frozen"] is False
    assert 0 < report["window_shown_s"] < 60
    assert list(report["phases_s"]) == ["imports", "qapplication", "database", "window_built"]
    assert db.exists()  # the real start-up path: migrated and seeded


def test_self_test_leaves_a_given_database_with_patients_untouched(tmp_path: Path) -> None:
    """--db only opens (and migrates) the given database; the demo goes to a temporary one."""
    from mdt.services import Actor, MdtService, seed_demo_if_empty
    from mdt.store.db import open_database

    url = f"sqlite:///{tmp_path / 'in-use.sqlite3'}"
    db = open_database(url)
    seed_demo_if_empty(db)
    before = len(MdtService(db, Actor("t")).audit_events())
    db.close()
    ok, results = core.run_steps(url, workdir=tmp_path / "work",
                                 only=("target_database", "migrate", "load_demo"))
    assert ok, [r.error for r in results]
    assert results[0].detail["patients"] > 0
    db = open_database(url)
    assert len(MdtService(db, Actor("t")).audit_events()) == before
    db.close()
