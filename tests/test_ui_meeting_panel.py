"""Meeting mode pieces: the agenda model, agenda edits with undo, the patients
due, and the DICOM import menu entry."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from mdt.meeting import AgendaItem
from tests.ui_shell_fixtures import *  # noqa: F401,F403
from tests.ui_shell_fixtures import FIXED_TODAY
from ui.meeting.panel import AgendaLine, AgendaModel


def test_agenda_model_passes_tester(qtmodeltester):
    model = AgendaModel()
    model.set_lines([AgendaLine(AgendaItem("P1", date(2026, 11, 20), "baseline"), "ONE, A", None),
                     AgendaLine(AgendaItem("P2", None, "reassessment", "listed"), "TWO, B", "resectable")])
    qtmodeltester.check(model)
    model.set_current(1)
    assert model.index(1, 0).data() == "▶ 2"
    assert model.index(0, 3).data() == "to discuss"
    assert "reassessment (listed, not discussed)" in model.index(1, 2).data(Qt.ItemDataRole.ToolTipRole)


def test_agenda_edits_are_saved_and_undone(main_window):
    w = main_window
    w.set_meeting_mode(True)
    m = w.meeting
    ids = [ln.item.patient_id for ln in m.model.lines()]
    assert len(ids) >= 3
    m.agenda.selectRow(0)
    assert m.move_selected(1)
    assert [it.patient_id for it in w.service.get_meeting(m.current_meeting_id()).agenda][:2] == [ids[1], ids[0]]
    m.agenda.selectRow(2)
    assert m.remove_selected()
    assert len(w.service.get_meeting(m.current_meeting_id()).agenda) == len(ids) - 1
    w.act_undo.trigger()
    w.act_undo.trigger()
    assert [it.patient_id for it in w.service.get_meeting(m.current_meeting_id()).agenda] == ids
    assert [ln.item.patient_id for ln in m.model.lines()] == ids


def test_patients_due_are_added_once(main_window):
    w = main_window
    w.set_meeting_mode(True)
    m = w.meeting
    before = {ln.item.patient_id for ln in m.model.lines()}
    added = m.build_agenda_from_due()
    after = [ln.item.patient_id for ln in m.model.lines()]
    assert len(after) == len(before) + added
    assert len(set(after)) == len(after)                          # nobody twice
    due = {r.patient_id for r in w.service.list_patients(due=m.meeting.date)}
    assert due <= set(after)
    assert m.build_agenda_from_due() == 0                         # nothing left to add


def test_new_meeting_refuses_a_bad_time_inline(main_window):
    dialog = main_window.meeting.new_meeting()
    assert [m.name for m in dialog.selected_attendees()] == ["Anne Martin"]   # whoever creates it
    dialog.time_edit.setText("25:99")
    dialog._try_accept()
    assert dialog.isVisible() and "not a time" in dialog.error.text()
    dialog.time_edit.setText("08:30")
    dialog._try_accept()
    assert dialog.isVisible() and "No quorum" in dialog.error.text()   # one surgeon: warned first
    dialog._try_accept()
    assert not dialog.isVisible()
    meeting = main_window.service.get_meeting(f"LIV-{FIXED_TODAY.isoformat()}")
    assert meeting.start_time == "08:30"
    assert [a.name for a in meeting.attendees] == ["Anne Martin"]


def test_window_shows_the_user_and_dicom_import_is_in_the_file_menu(main_window):
    w = main_window
    assert w.user_label.text().startswith("User: Anne Martin")
    assert "ui-test.sqlite3" in w.db_status.text()
    file_menu = w.menuBar().actions()[0].menu()
    assert w.act_import_dicom in file_menu.actions()
    dialog = w.import_dicom()
    from ui.viewer.import_dialog import DicomImportDialog

    assert isinstance(dialog, DicomImportDialog) and dialog.isVisible()
    dialog.reject()
