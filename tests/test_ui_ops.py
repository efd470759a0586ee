"""The window's writes (ui.ops.Ops): off the GUI thread, said once when they fail, announced by
one typed signal that the screens follow.

Specification:
- a write runs on a worker thread; the caller gets its result (or its exception) back;
- while it runs the window keeps painting and its timers fire (a save waiting for another
  workstation never freezes the screen);
- a failure is shown once, in a clinician's words naming the field, on the screen where it was
  typed and in the window's status bar; a fault mdt did not name also opens a box with details;
- a saved review is announced as ``review_did_save``; the editor and the window follow it, so a
  version saved by any part of the window (or an operation run by a script) is what every view
  shows, without anyone patching a copy.
"""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QTimer

from mdt import review_edits as edits
from mdt import review_ops
from mdt.errors import ConflictError, FieldProblem, ValidationError
from tests.ui_shell_fixtures import *  # noqa: F401,F403

PATIENT = "MRN-100231"


def _open_review(w):  # noqa: ANN001, ANN202
    w.open_patient(PATIENT, select=True)
    w.show_tab(1)
    editor = w.review_tab.editor
    assert editor is not None and editor.saved_review() is not None
    return editor


def test_a_write_runs_off_the_gui_thread_and_the_window_keeps_living(main_window) -> None:  # noqa: ANN001
    w = main_window
    ticks: list[float] = []
    timer = QTimer(w)
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()

    def slow(service):  # noqa: ANN001, ANN202
        time.sleep(0.4)  # a save waiting for another workstation
        return threading.current_thread(), service.list_members()

    try:
        worker, members = w.ops.call("a slow save", slow)
    finally:
        timer.stop()
    assert worker is not threading.main_thread()
    assert members  # the result comes back to the caller
    assert len(ticks) >= 5, "the window's timers stopped while the write ran"
    assert not w.ops.busy


def test_an_exception_comes_back_to_the_caller_unchanged(main_window) -> None:  # noqa: ANN001
    refused = ConflictError("someone saved first", current="theirs")

    def op(_service):  # noqa: ANN001, ANN202
        raise refused

    with pytest.raises(ConflictError) as caught:
        main_window.ops.call("x", op)
    assert caught.value is refused and caught.value.current == "theirs"


def test_a_failure_is_said_once_naming_the_field(main_window) -> None:  # noqa: ANN001
    w = main_window
    editor = _open_review(w)
    said: list[tuple[str, str, bool]] = []
    w.ops.failed.connect(lambda what, words, unexpected: said.append((what, words, unexpected)))
    lid = editor.saved_review().lesions[0].id
    before = editor.record()
    assert not editor.set_diameter(lid, "0")
    assert len(said) <= 1  # refused before the database, or by it: never twice
    assert editor.message().startswith(f"Not saved — {lid} diameter")
    assert editor.record() == before
    # A refusal by the database path is shown the same way, once, here and in the status bar.
    said.clear()

    def refuse(_service):  # noqa: ANN001, ANN202
        raise ValidationError([FieldProblem("review.labs.plt", "must be ≥ 0 ×10⁹/L")])

    assert w.ops.run("Not saved", refuse, shown_in=editor.show_problem) is None
    assert said == [("Not saved", "Not saved — Platelets (review.labs.plt): must be ≥ 0 ×10⁹/L", False)]
    assert editor.message() == said[0][1]
    assert w.statusBar().currentMessage() == said[0][1]


def test_a_fault_mdt_did_not_name_opens_a_box_with_its_details(main_window) -> None:  # noqa: ANN001
    w = main_window

    def broken(_service):  # noqa: ANN001, ANN202
        raise RuntimeError("socket closed")

    assert w.ops.run("Not saved", broken) is None
    assert "an unexpected problem (RuntimeError: socket closed); your earlier saves are intact" in \
        w.statusBar().currentMessage()
    box = w.last_failure_box
    assert "RuntimeError" in box.detailedText() and "socket closed" in box.text()
    box.close()


def test_a_version_saved_anywhere_is_what_every_view_shows(main_window) -> None:  # noqa: ANN001
    """An operation run outside the editor (as the image viewer, a rating or a script does):
    the editor and the window follow ``review_did_save``; nobody patches a copy by hand."""
    w = main_window
    editor = _open_review(w)
    rec = editor.record()
    announced: list[object] = []
    w.ops.review_did_save.connect(announced.append)
    saved = w.ops.call("platelets", lambda s: review_ops.apply_edit(
        s, rec, lambda r: edits.set_lab(r, "plt", 123)))
    assert announced == [saved]
    assert editor.record() == saved and editor.saved_review().labs.plt == 123
    assert w.current_case.reviews[saved.index].labs.plt == 123
    assert any(r == saved for r in w.records)
    w.flush_pending_refresh()
    # Undo in the window restores the version before, as a new version, and every view follows.
    assert not w.undo_stack.canUndo() or w.undo_stack.undoText() != "platelets"
    editor.set_diameter(editor.saved_review().lesions[0].id, "31")
    w.undo_stack.undo()
    assert editor.saved_review().labs.plt == 123 and editor.saved_review().lesions[0].diameter_mm != 31
    assert w.current_case.reviews[saved.index] == editor.saved_review()


def test_the_open_case_is_kept_once_and_never_goes_back(qtbot) -> None:  # noqa: ANN001
    """ui.open_case: a saved version replaces its review; another patient's, a review not in the
    case, or an older version arriving late changes nothing."""
    import dataclasses
    from datetime import UTC, datetime

    from mdt.service_types import ReviewRecord
    from tests.store_fixtures import make_case
    from ui.open_case import OpenCase
    from ui.ops import Ops

    case = make_case("P1")
    ops = Ops()
    held = OpenCase(ops)

    def record(index: int, version: int, plt: float, patient: str = "P1") -> ReviewRecord:
        review = dataclasses.replace(case.reviews[min(index, 1)], labs=dataclasses.replace(
            case.reviews[min(index, 1)].labs, plt=plt))
        return ReviewRecord(review_id=10 + index, patient_id=patient, index=index, version=version,
                            review=review, saved_at=datetime(2026, 3, 1, tzinfo=UTC), saved_by="x",
                            reason="r", meeting_id=None, locked=False)

    held.open(case, [record(0, 1, 210), record(1, 1, 210)])
    seen: list[object] = []
    held.changed.connect(seen.append)
    newer = record(1, 3, 99)
    ops.review_did_save.emit(newer)
    assert held.case.reviews[1].labs.plt == 99 and held.records[1] == newer and seen == [newer]
    ops.review_did_save.emit(record(1, 2, 150))  # older, late
    ops.review_did_save.emit(record(0, 2, 1, patient="P2"))  # another patient
    ops.review_did_save.emit(record(5, 1, 1))  # a review the case does not hold yet
    ops.review_did_save.emit(newer)  # already here
    assert held.case.reviews[1].labs.plt == 99 and held.case.reviews[0].labs.plt == 210 and seen == [newer]
    held.open(make_case("P2"))
    assert held.records == []  # another patient's records never stay


def test_a_form_dialog_says_a_fault_it_did_not_expect_and_stays_open(qtbot) -> None:  # noqa: ANN001
    from ui.patients.dialogs import ReasonDialog

    def broken(_reason: str) -> None:
        raise RuntimeError("socket closed")

    dialog = ReasonDialog("Archive patient", "Why?", broken)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.reason_edit.setText("moved to another hospital")
    dialog._try_accept()
    assert dialog.isVisible() and dialog.result() == 0
    assert dialog.error.text() == ("Not saved — an unexpected problem (RuntimeError: socket closed); "
                                   "your earlier saves are intact")
