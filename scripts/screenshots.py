"""Drive the real window through every screen at 1366×768 and 1920×1080, save a screenshot of each
and check what a person can read there.

    .venv/bin/python scripts/screenshots.py [--out /tmp/screens] [--size 1366x768 ...]

For each size an Xvfb server of exactly that screen size is started (no display needed: CI has
none), and a fresh interpreter opens the demo database as the chair, with a small CT series
imported for the agenda's first patient, and walks: the patient list, each tab of the patient
(Timeline, the review's four tabs, Treatment, Compare, History, Images, Follow-up, Outcomes), meeting
mode, and presentation mode.  On each screen it saves ``<size>/<NN>-<screen>.png`` and checks
(``ui.layout_audit``): no table header, combo text, tab title, button or one-line label is cut;
the verdict and the criteria are in the visible area where the screen shows them; and it keeps
every string shown, for the wording tests.  ``report.json`` in the output folder lists the
screens, their problems and their strings; the exit status is 1 when any screen has a problem
(``--keep-going`` writes everything first either way).

``tests/test_screens.py`` runs this script and asserts on its report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = ("1366x768", "1920x1080")
PASSWORD = "screens-password-1"
AGENDA_PATIENT = "MRN-100387"
"""The agenda's first demo patient (DUPONT-BIERRE, four lesions, vessel contacts): the tour's patient."""


# --------------------------------------------------------------------------- the parent: Xvfb per size

def _start_xvfb(size: str) -> tuple[subprocess.Popen, str]:
    """An Xvfb server of screen ``size``; returns it and its display (":N")."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise SystemExit("screenshots: Xvfb is not installed (bash scripts/setup.sh --dev installs it)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", f"{size}x24", "-nolisten", "tcp",
         "-noreset"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    number = b""
    deadline = time.monotonic() + 20
    with os.fdopen(read_fd, "rb") as pipe:
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            chunk = pipe.read(1)
            if not chunk:
                break
            number += chunk
    if not number.strip():
        proc.kill()
        raise SystemExit("screenshots: Xvfb did not start")
    return proc, ":" + number.decode().strip()


def run_all(out: Path, sizes: list[str], keep_going: bool) -> int:
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {"sizes": {}}
    status = 0
    for size in sizes:
        (out / size).mkdir(parents=True, exist_ok=True)
        for old in (out / size).glob("*.png"):
            old.unlink()
        server, display = _start_xvfb(size)
        try:
            env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb",
                       PYTHONDONTWRITEBYTECODE="1")
            env.pop("WAYLAND_DISPLAY", None)
            part = out / size / "report.json"
            code = subprocess.call([sys.executable, str(Path(__file__).resolve()), "--child", size,
                                    "--out", str(out / size)], env=env, cwd=ROOT)
            if code != 0 or not part.exists():
                print(f"screenshots: the {size} tour failed (exit {code})", file=sys.stderr)
                return 2
            data = json.loads(part.read_text(encoding="utf-8"))
            part.unlink()
            report["sizes"][size] = data  # type: ignore[index]
        finally:
            server.terminate()
            server.wait(10)
        for screen in data["screens"]:
            for problem in screen["problems"]:
                status = 1
                print(f"{size} {screen['name']}: {problem}")
    (out / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    if status == 0:
        print(f"screenshots: {sum(len(d['screens']) for d in report['sizes'].values())} screens "  # type: ignore[union-attr]
              f"in {out}, nothing cut")
    return 0 if keep_going else status


# --------------------------------------------------------------------------- the child: one size

def _database(folder: Path):
    """The demo database with a synthetic CT series of the tour patient's latest review."""
    sys.path.insert(0, str(ROOT))
    from mdt.demo import demo_study_uid
    from mdt.imaging.index import import_dicom
    from mdt.services import MdtService, seed_demo_if_empty
    from mdt.store.db import open_database
    from tests.imaging_fixtures import make_ct_series

    db = open_database(f"sqlite:///{folder / 'screens.sqlite3'}")
    seed_demo_if_empty(db)
    from mdt.services import Actor

    case = MdtService(db, Actor("screens")).get_case(AGENDA_PATIENT)
    last = len(case.reviews) - 1
    review = case.reviews[last]
    day = review.imaging.date if review.imaging and review.imaging.date else review.date
    make_ct_series(folder / "ct", 24, rows=128, cols=128, patient_id=AGENDA_PATIENT,
                   patient_name=case.patient.name, study_uid=demo_study_uid(AGENDA_PATIENT, last),
                   study_date=day.strftime("%Y%m%d"))
    import_dicom(db, folder / "ct")
    return db


def _sign_in_chair(db):
    from mdt.services import Actor, MdtService, set_first_password, sign_in, signin_state

    chair = next(m for m in MdtService(db, Actor("screens")).list_members() if m.role == "chair")
    state = signin_state(db, chair.name)
    actor = (set_first_password(db, state.name, PASSWORD) if not state.has_password
             else sign_in(db, state.name, PASSWORD))
    return chair, actor


def child(size: str, out: Path) -> int:
    # One sign-in of a throw-away database: the cheapest Argon2id parameters (the hash keeps them).
    from argon2 import Parameters, Type

    import mdt.auth
    mdt.auth.PARAMETERS = Parameters(type=Type.ID, version=19, salt_len=16, hash_len=32,
                                     time_cost=1, memory_cost=8, parallelism=1)
    width, height = (int(v) for v in size.split("x"))
    with tempfile.TemporaryDirectory(prefix="mdt-screens-") as tmp:
        os.environ["MDT_DATA_DIR"] = tmp
        from PySide6.QtCore import QSettings

        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(tmp) / "settings"))
        db = _database(Path(tmp))
        try:
            screens = Tour(db, width, height, out).run()
        finally:
            db.close()
    (out / "report.json").write_text(json.dumps({"screens": screens}, ensure_ascii=False),
                                     encoding="utf-8")
    return 0


class Tour:
    """The window at one screen size, walked screen by screen."""

    def __init__(self, db, width: int, height: int, out: Path):
        from datetime import date

        from ui.app import create_window, ensure_application

        self.app = ensure_application()
        chair, actor = _sign_in_chair(db)
        from mdt.demo import DEMO_MEETING_DATE

        self.today = DEMO_MEETING_DATE + (date(2026, 11, 20) - date(2026, 11, 19))
        from mdt.services import Door

        self.window = create_window(Door(db), chair, actor, synchronous_tasks=True, today=lambda: self.today)
        self.width, self.height, self.out = width, height, out
        self.screens: list[dict] = []

    # -- helpers
    def settle(self, ms: int = 120) -> None:
        from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        QCoreApplication.processEvents()

    def wait_for(self, condition, timeout_s: float = 10.0) -> bool:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if condition():
                return True
            self.settle(50)
        return condition()

    def snap(self, name: str, widget=None, must_show: tuple = ()) -> None:
        """Save the screen as ``NN-name.png`` and record its problems and strings."""
        from ui.layout_audit import cut_texts, fully_visible, shown_strings, widget_name

        self.settle()
        target = widget or self.window
        number = len(self.screens) + 1
        path = self.out / f"{number:02d}-{name}.png"
        target.grab().save(str(path))
        problems = [str(p) for p in cut_texts(target)]
        for item in must_show:
            w, min_height = item if isinstance(item, tuple) else (item, None)
            if not fully_visible(w, min_height):
                problems.append(f"not in the visible area: {widget_name(w)}")
        self.screens.append({"name": name, "file": path.name, "problems": problems,
                             "strings": sorted(set(shown_strings(target)))})

    # -- the walk
    def run(self) -> list[dict]:
        from ui.main_window import TAB_NAMES

        w = self.window
        w.setGeometry(0, 0, self.width, self.height)
        w.show()
        self.wait_for(lambda: w.review_tab.editor is not None)
        self.wait_for(lambda: w.patients.model.rowCount() > 0)
        w.open_patient(AGENDA_PATIENT, select=True)
        self.settle(300)
        self.snap("patient-list-timeline", must_show=(w.patients.table,))
        editor = w.review_tab.editor
        w.show_tab(TAB_NAMES.index("Review"))
        verdict = (editor.criteria.resectability, (editor.criteria.table, 120))
        for i, name in enumerate(("review-lesions", "review-remnant", "review-clinical", "review-vote")):
            editor.tabs.setCurrentIndex(i)
            self.snap(name, must_show=verdict)
        editor.tabs.setCurrentIndex(0)
        for tab in ("Treatment", "Compare", "History", "Images", "Follow-up", "Outcomes"):
            w.show_tab(TAB_NAMES.index(tab))
            if tab == "Images":
                self._open_series()
            if tab == "Outcomes":
                self.wait_for(lambda: w.outcomes.report is not None)
            if tab == "History":
                self._select_history_row()
            self.snap(tab.lower().replace("-", ""))
        w.show_tab(TAB_NAMES.index("Review"))
        w.set_meeting_mode(True)
        self.settle(200)
        w.meeting.go_to(0)
        self.settle(300)
        self.snap("meeting-review", must_show=verdict + ((w.meeting.agenda, 120),))
        w.toggle_left_column()
        self.snap("review-full-width", must_show=verdict)
        w.toggle_left_column()
        w.toggle_presentation()
        self.settle(400)
        p = w._presentation
        self.snap("presentation", widget=p, must_show=(p.verdict, p.criteria))
        w.toggle_presentation()
        w.close()
        return self.screens

    def _open_series(self) -> None:
        viewer = self.window.viewer
        if not viewer:
            return
        self.wait_for(lambda: viewer.browser.topLevelItemCount() > 0)
        from mdt.imaging.index import list_series

        series = list_series(self.window.service.db, AGENDA_PATIENT)
        if series:
            viewer.open_series(series[0])
            pane = viewer.view.current
            self.wait_for(lambda: pane.volume is not None and pane.volume.complete)

    def _select_history_row(self) -> None:
        view = self.window.history.table
        if view is not None and view.model() is not None and view.model().rowCount() > 0:
            view.selectRow(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--size", action="append", choices=SIZES, help="one size (default: both)")
    parser.add_argument("--keep-going", action="store_true", help="exit 0 even when a screen has a problem")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(ROOT))
        return child(args.child, args.out)
    return run_all(args.out, args.size or list(SIZES), args.keep_going)


if __name__ == "__main__":
    raise SystemExit(main())
