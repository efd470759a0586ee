"""The main flows need no mouse: every step below is a key press on the real window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.ui_shell_fixtures import *  # noqa: F401,F403
from ui.patients.dialogs import PatientDialog, ReasonDialog

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def press(window, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    target = QApplication.focusWidget() or window
    QTest.keyClick(target, key, modifiers)
    QApplication.processEvents()


def type_text(text: str) -> None:
    QTest.keyClicks(QApplication.focusWidget(), text)


def activate(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def test_create_search_edit_undo_with_keys_only(qtbot, main_window):
    w = main_window
    activate(qtbot, w)

    press(w, Qt.Key.Key_N, CTRL)                                    # new patient
    dialog = w.current_dialog
    assert isinstance(dialog, PatientDialog)
    assert QApplication.focusWidget() is dialog.id_edit
    type_text("KB-1")
    press(dialog, Qt.Key.Key_Tab)
    type_text("CLAVIER")
    press(dialog, Qt.Key.Key_Tab)
    type_text("Anna")
    press(dialog, Qt.Key.Key_Return)                                # OK is the default button
    qtbot.waitUntil(lambda: w.current_case is not None and w.current_case.patient.id == "KB-1")
    assert w.service.get_patient("KB-1").name == "CLAVIER^Anna"

    activate(qtbot, w)
    press(w, Qt.Key.Key_F, CTRL)                                    # search
    assert QApplication.focusWidget() is w.patients.search
    type_text("dupont")
    assert w.patients.proxy.rowCount() == 1
    press(w, Qt.Key.Key_Return)                                     # opens the first match
    assert w.current_case.patient.id == "MRN-100387"

    press(w, Qt.Key.Key_E, CTRL)                                    # edit patient
    dialog = w.current_dialog
    assert isinstance(dialog, PatientDialog) and dialog.editing
    assert QApplication.focusWidget() is dialog.family_edit
    dialog.family_edit.selectAll()
    type_text("DUPONT")
    press(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert w.service.get_patient("MRN-100387").name.startswith("DUPONT^")

    activate(qtbot, w)
    press(w, Qt.Key.Key_Z, CTRL)                                    # undo the edit
    assert w.service.get_patient("MRN-100387").name.startswith("DUPONT-BIERRE^")
    press(w, Qt.Key.Key_Z, CTRL | SHIFT)                            # redo
    assert w.service.get_patient("MRN-100387").name.startswith("DUPONT^")
    assert "DUPONT, Jean" in w.header.name.text()


def test_tabs_meeting_mode_agenda_and_presentation_by_keys(qtbot, main_window):
    w = main_window
    activate(qtbot, w)
    press(w, Qt.Key.Key_M, CTRL)                                    # meeting mode
    assert w.meeting_mode()
    assert w.meeting.meeting is not None and w.meeting.model.rowCount() >= 2
    press(w, Qt.Key.Key_PageDown)                                   # first agenda patient
    first = w.meeting.model.lines()[0].item.patient_id
    assert w.current_case.patient.id == first
    press(w, Qt.Key.Key_PageDown)
    second = w.meeting.model.lines()[1].item.patient_id
    assert w.current_case.patient.id == second
    press(w, Qt.Key.Key_PageUp)
    assert w.current_case.patient.id == first
    assert "patient 1 of" in w.meeting.position.text()

    for i in range(6):                                              # Ctrl+1..6 switch the tabs
        press(w, getattr(Qt.Key, f"Key_{i + 1}"), CTRL)
        assert w.tabs.currentIndex() == i

    press(w, Qt.Key.Key_F5)                                         # presentation mode
    pres = w._presentation
    assert pres is not None and pres.isVisible()
    assert first in pres.title.text()
    QTest.keyClick(pres, Qt.Key.Key_PageDown)                       # agenda from the projector
    assert second in pres.title.text()
    QTest.keyClick(pres, Qt.Key.Key_Escape)
    assert not pres.isVisible()

    activate(qtbot, w)
    press(w, Qt.Key.Key_B, CTRL)                                    # hide the left column
    assert not w.left.isVisible()
    press(w, Qt.Key.Key_F, CTRL)                                    # search brings it back
    assert w.left.isVisible() and not w.meeting_mode()


def test_archive_and_restore_with_a_required_reason(qtbot, main_window):
    w = main_window
    w.open_patient("MRN-100611", select=True)
    dialog = w.archive_patient()
    assert isinstance(dialog, ReasonDialog)
    dialog._try_accept()                                            # empty reason: refused inline
    assert dialog.isVisible() and "reason is required" in dialog.error.text()
    dialog.reason_edit.setText("duplicate record")
    dialog._try_accept()
    assert not dialog.isVisible()
    assert w.patients.model.row_of("MRN-100611") is None            # hidden from the default list
    assert w.service.get_patient("MRN-100611").archived
    w.patients.archived.setChecked(True)
    assert w.patients.model.row_of("MRN-100611") is not None
    w.act_undo.trigger()
    assert not w.service.get_patient("MRN-100611").archived
