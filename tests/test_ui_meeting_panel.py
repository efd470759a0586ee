"""Meeting mode pieces: the agenda model, agenda edits with undo, the patients
due, the "who are you" picker at start-up, and the DICOM import menu entry."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from mdt.meeting import AgendaItem
from mdt.services import Actor, MdtService
from tests.ui_shell_fixtures import *  # noqa: F401,F403
from tests.ui_shell_fixtures import FIXED_TODAY
from ui.app import MemberPicker, find_member
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
    assert not dialog.isVisible()
    meeting = main_window.service.get_meeting(f"LIV-{FIXED_TODAY.isoformat()}")
    assert meeting.start_time == "08:30"
    assert [a.name for a in meeting.attendees] == ["Anne Martin"]


def test_who_are_you_picker_chooses_a_member(qtbot, seeded_db):
    service = MdtService(seeded_db, Actor("nobody"))
    picker = MemberPicker(service, preselect="sophie dubois")
    qtbot.addWidget(picker)
    picker._try_accept()
    assert picker.chosen_member().name == "Sophie Dubois"       # preselected, case-insensitive
    # Only the chair or a coordinator adds to an existing registry: said inline, nothing added.
    picker = MemberPicker(service, preselect="New Person")
    qtbot.addWidget(picker)
    assert picker.new_name.text() == "New Person"
    picker._try_accept()
    assert picker.chosen_member() is None and picker.error.text()
    assert find_member(service, "New Person") is None


def test_first_user_of_an_empty_registry_adds_themselves(qtbot, db_url):
    from mdt.store.db import open_database

    db = open_database(db_url)
    try:
        service = MdtService(db, Actor("first"))
        picker = MemberPicker(service, preselect="First Coordinator")
        qtbot.addWidget(picker)
        assert picker.list.count() == 0 and picker.new_role.currentText() == "coordinator"
        picker.new_specialty.setCurrentIndex(picker.new_specialty.findData("coordinator"))
        picker._try_accept()
        assert picker.chosen_member().name == "First Coordinator"
        assert find_member(service, "first coordinator").role == "coordinator"
    finally:
        db.close()


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


def test_switch_user_changes_who_acts_and_what_they_may_do(main_window):
    w = main_window
    w.set_meeting_mode(True)
    assert w.meeting.sign_button.isEnabled()                       # the chair
    w.switch_user()
    picker = w.current_dialog
    assert isinstance(picker, MemberPicker)
    assert picker.choose("Bo Chen")
    picker._try_accept()
    assert w.service.actor.name == "Bo Chen"
    assert w.user_label.text().startswith("User: Bo Chen")
    assert not w.meeting.sign_button.isEnabled()                   # not the chair
