"""Database faults in the window: a busy cue while another workstation writes, one clear
banner when a save cannot be made (who holds the database, a read-only file), never
"database error"; an import that clears values says which; a full disk is a message."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from PySide6.QtCore import QThread
from sqlalchemy import text

from mdt import review_edits as edits
from mdt.store.db import activity, open_database
from tests.fs_fixtures import read_only_place, small_disk  # noqa: F401
from tests.ui_shell_fixtures import *  # noqa: F401,F403
from tests.ui_shell_fixtures import make_window, member_named

PATIENT = "MRN-100231"


def _hold(url: str, seconds: float) -> tuple[threading.Thread, threading.Event]:
    """Another workstation (its own connection) writing for ``seconds``."""
    started = threading.Event()

    def run() -> None:
        db = open_database(url)
        try:
            with activity("Dr Holder", "importing case files"), db.write() as s:
                s.execute(text("SELECT 1"))
                started.set()
                time.sleep(seconds)
        finally:
            db.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(10)
    return thread, started


def _open_review(w):  # noqa: ANN001, ANN202
    w.open_patient(PATIENT, select=True)
    w.show_tab(1)  # the review editor fills when its tab is shown
    editor = w.review_tab.editor
    assert editor is not None and editor.saved_review() is not None
    return editor


def test_a_save_waits_for_another_workstation_with_a_busy_cue(main_window) -> None:  # noqa: ANN001
    w = main_window
    editor = _open_review(w)
    cues: list[tuple[bool, str, bool]] = []

    def watch(wait) -> None:  # noqa: ANN001
        # After the window's own handler: the save runs on a worker thread, and its wait
        # reaches the GUI thread as Ops.database_waited, where the window shows the cue.
        assert QThread.currentThread() is w.thread()
        cues.append((w.progress.isVisible(), w.statusBar().currentMessage(), wait.done))

    w.ops.database_waited.connect(watch)
    thread, _ = _hold(w.service.db.url, 1.0)
    ecog = 3 if editor.saved_review().ecog != 3 else 2
    assert editor.apply_edit_sync(lambda r: edits.set_review_value(r, "ecog", ecog)) is not None
    thread.join(10)
    busy = [c for c in cues if not c[2]]
    assert busy and all(visible for visible, _m, _d in busy)
    assert "Waiting for the database, in use by Dr Holder (importing case files" in busy[0][1]
    assert cues[-1][2] and not w.progress.isVisible()  # the cue goes when the wait ends
    assert w.service.get_case(PATIENT).reviews[editor.record().index].ecog == ecog


def test_a_save_held_off_past_the_wait_names_the_holder_and_keeps_what_was_saved(
        main_window) -> None:  # noqa: ANN001
    w = main_window
    editor = _open_review(w)
    before = w.service.get_case(PATIENT)
    w.service.db.busy_timeout_s = 0.5
    thread, _ = _hold(w.service.db.url, 2.0)
    assert editor.apply_edit_sync(lambda r: edits.set_review_value(r, "ecog", 4)) is None
    thread.join(10)
    message = editor.message()
    assert message.startswith("Not saved") and "in use by Dr Holder" in message, message
    assert "database error" not in message.lower()
    assert editor.message_bar.isVisible()
    assert w.service.get_case(PATIENT) == before
    assert not w.progress.isVisible()


def test_a_read_only_database_opens_and_refuses_saves_plainly(
        qtbot, qsettings_tmp, seeded_db, read_only_place) -> None:  # noqa: ANN001, F811
    from tests.signin_fixtures import signed_in

    # The chair chose a password before the copy was made: signing in only reads.
    signed_in(seeded_db, member_named(seeded_db, "chair").name)
    copy = read_only_place.path / "dvd.sqlite3"
    src, dst = sqlite3.connect(seeded_db.sqlite_path), sqlite3.connect(copy)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    read_only_place.lock()
    db = open_database(f"sqlite:///{copy}")
    try:
        assert db.read_only
        w = make_window(qtbot, db, member_named(db, "chair"))
        assert "(read-only)" in w.db_status.text()
        editor = _open_review(w)
        assert editor.apply_edit_sync(lambda r: edits.set_review_value(r, "ecog", 4)) is None
        assert "read-only" in editor.message() and "database error" not in editor.message().lower()
        w.close()
    finally:
        db.close()


def test_an_import_that_clears_values_lists_them(main_window, tmp_path: Path) -> None:  # noqa: ANN001
    w = main_window
    doc = tmp_path / "clear.json"
    doc.write_text(json.dumps({"format": "mdt-case/1", "patient": {"id": PATIENT, "name": None}}),
                   encoding="utf-8")
    before = w.service.get_case(PATIENT)
    w.import_cases_file(str(doc))
    assert "1 value(s) cleared" in w.statusBar().currentMessage()
    assert f"{PATIENT}: patient.name (Name)" in w.last_import_box.detailedText()
    after = w.service.get_case(PATIENT)
    assert after.patient.name is None and after.reviews == before.reviews  # nothing else erased


def test_export_to_a_full_disk_is_a_message_and_leaves_no_file(main_window, small_disk) -> None:  # noqa: ANN001, F811
    w = main_window
    w.open_patient(PATIENT, select=True)
    small_disk.fill()
    assert not w.export_case_file(str(small_disk.path / "case.json"))
    assert "the disk is full" in w.statusBar().currentMessage()
    assert small_disk.files() == set()


def test_a_refused_import_names_every_problem_in_one_dialog(main_window, tmp_path: Path) -> None:  # noqa: ANN001
    w = main_window
    before = w.service.get_case(PATIENT)
    doc = tmp_path / "bad.json"
    doc.write_text(json.dumps({"format": "mdt-case/1", "patient": {"id": PATIENT},
                               "reviews": [{"date": "9999-12-20", "cycle": 2147483648}]}),
                   encoding="utf-8")
    w.import_cases_file(str(doc))
    text = w.last_import_box.text()
    assert "Nothing was imported from bad.json" in text
    assert "reviews[0].date: Review date must be between 1900-01-01 and 2099-12-31" in text
    assert "reviews[0].cycle: Cycles completed must be between 0 and 500" in text
    assert w.service.get_case(PATIENT) == before
