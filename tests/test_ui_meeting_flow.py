"""A full tumour-board meeting driven through the real main window over a
temporary SQLite database: create a meeting with attendees (quorum), add a
patient, put them on the agenda, step to them, enter lesions by clicking the
liver diagram, add vessel contacts, choose a plan, watch the criteria change,
record three votes and a decision, sign as chair, close the window, reopen it,
and find everything there.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from mdt.services import Actor, MdtService
from mdt.store.db import open_database
from tests.signin_fixtures import TEST_PASSWORD
from tests.ui_shell_fixtures import *  # noqa: F401,F403
from tests.ui_shell_fixtures import FIXED_TODAY, make_window

SURGEONS = ("Anne Martin", "Bo Chen", "Pieter de Vries")


def click_ok(dialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_full_meeting_is_recorded_and_survives_a_restart(qtbot, qsettings_tmp, db_url, seeded_db, chair):
    window = make_window(qtbot, seeded_db, chair)
    assert "Anne Martin" in window.user_label.text()           # the window says who is acting
    assert "chair" in window.user_label.text()

    # --- a meeting with attendees; the quorum check follows the ticks ----------------------
    dialog = window.meeting.new_meeting()
    assert window.meeting_mode()
    assert dialog.date_edit.text() == FIXED_TODAY.isoformat()
    for name in SURGEONS:
        assert dialog.check_member(name)
    assert dialog.quorum_label.text().startswith("✘")          # three surgeons: one specialty
    dialog.check_member("Chidi Okafor")
    dialog.check_member("Élise Moreau")
    # NCT05103020 (Table 1) names the interventional radiologist too.
    assert dialog.quorum_label.text().startswith("✘")
    assert "Interventional radiologist" in dialog.quorum_label.text()
    dialog.check_member("Dag Lindqvist")
    assert dialog.quorum_label.text().startswith("✔")
    click_ok(dialog)
    assert not dialog.isVisible()
    meeting_id = f"LIV-{FIXED_TODAY.isoformat()}"
    assert window.meeting.current_meeting_id() == meeting_id
    assert window.meeting.quorum.text().startswith("✔")
    assert window.meeting.attendees.count() == 6

    # --- a new patient: an invalid birth date is refused inline, then corrected -------------
    window.set_meeting_mode(False)
    dialog = window.new_patient()
    qtbot.keyClicks(dialog.id_edit, "MRN-900001")
    qtbot.keyClicks(dialog.family_edit, "NOUVEAU")
    qtbot.keyClicks(dialog.given_edit, "Patient")
    dialog.sex_combo.setCurrentIndex(dialog.sex_combo.findData("F"))
    qtbot.keyClicks(dialog.birth_edit, "1960-02-30")
    click_ok(dialog)
    assert dialog.isVisible()
    assert "Date of birth" in dialog.error.text() and "not a date" in dialog.error.text()
    dialog.birth_edit.setText("1960-02-29")
    dialog.arm_combo.setCurrentText("A")
    click_ok(dialog)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: window.current_case is not None
                    and window.current_case.patient.id == "MRN-900001")
    assert window.patients.current_patient_id() == "MRN-900001"
    assert window.current_case.protocol.id == "NCT05103020"

    # --- on the agenda, stepped to with PgDn; the review is dated on the meeting day -------
    window.set_meeting_mode(True)
    assert window.meeting.add_current_patient()
    agenda = window.meeting.model.lines()
    assert [ln.item.patient_id for ln in agenda] == ["MRN-900001"]
    window.act_agenda_next.trigger()
    assert window.meeting.model.current_row == 0
    assert "No review dated" in window.meeting.message.text()
    record = window.new_review()
    assert record is not None and record.review.date == FIXED_TODAY
    assert window.tabs.currentIndex() == 1                        # the review tab
    editor = window.review_editor
    assert editor.record().review_id == record.review_id

    # --- lesions by clicking the diagram ------------------------------------------------
    qtbot.waitUntil(lambda: editor.diagram.isVisible() and editor.diagram.width() > 100)
    qtbot.mouseClick(editor.diagram, Qt.MouseButton.LeftButton,
                     pos=editor.diagram.unit_centre("VII").toPoint())
    assert [les.id for les in editor.current_review().lesions] == ["L1"]
    assert editor.current_review().lesion("L1").segments == ("VII",)
    # A second click on VIII with L1 selected extends L1 to VIII.
    qtbot.mouseClick(editor.diagram, Qt.MouseButton.LeftButton,
                     pos=editor.diagram.unit_centre("VIII").toPoint())
    assert set(editor.current_review().lesion("L1").segments) == {"VII", "VIII"}
    assert editor.set_diameter("L1", "42")
    assert editor.add_lesion() == "L2"                            # a draft until it has a segment
    qtbot.mouseClick(editor.diagram, Qt.MouseButton.LeftButton,
                     pos=editor.diagram.unit_centre("III").toPoint())
    assert editor.current_review().lesion("L2").segments == ("III",)
    assert editor.set_diameter("L2", "18")
    assert editor.set_target("L1", True) and editor.set_target("L2", True)

    # An invalid value is named inline and nothing is saved.
    saved_before = window.service.get_review(record.review_id).version
    assert not editor.set_diameter("L1", "-3")
    assert "diameter" in editor.message().lower()
    assert window.service.get_review(record.review_id).version == saved_before

    # Undo / redo of the last accepted edit go through the window's shared stack (and the DB).
    assert window.undo_stack is editor.undo_stack()
    window.act_undo.trigger()
    assert not window.service.get_review(record.review_id).review.lesion("L2").target
    window.act_redo.trigger()
    assert window.service.get_review(record.review_id).review.lesion("L2").target

    # --- vessel contacts, then the plan: the criteria change -------------------------------
    assert editor.set_vessel("L1", "RHV", "contact")
    assert editor.set_vessel("L1", "MHV", "encasement")
    before_plan = editor.evaluation()
    with qtbot.waitSignal(editor.evaluation_changed, timeout=5000):
        assert editor.choose_resection("right_hepatectomy")
    after_plan = editor.evaluation()
    assert before_plan is not None and after_plan is not None
    statuses = lambda ev: {f.id: f.status for f in ev.criteria}  # noqa: E731
    assert statuses(before_plan) != statuses(after_plan) or before_plan.remnant != after_plan.remnant
    assert after_plan.remnant is not None
    assert set(after_plan.remnant.segments) == {"I", "II", "III", "IVa", "IVb"}

    # --- three votes and a decision ---------------------------------------------------------
    for name in SURGEONS:
        assert editor.cast_vote(name, "convertible")
    editor.reveal_votes()
    assert editor.decide("convertible", "continue_induction", "Reassess after 4 more cycles")
    window.flush_pending_refresh()
    assert window.meeting.model.lines()[0].decision == "convertible"
    assert window.current_row.resectability == "convertible"
    window.act_prev_review.trigger()                              # no earlier review: stays
    assert window.current_index == record.index
    window.show_tab(0)                                            # the timeline catches up when shown
    assert window.timeline.model.rows()[-1].decision == "convertible"
    assert window.timeline.model.rows()[-1].verdict is not None   # engine verdict (background task)

    # --- the chair signs ------------------------------------------------------------------------
    box = window.meeting.sign_meeting()
    assert box is not None
    sign = box.buttons.button(box.buttons.StandardButton.Ok)
    assert not sign.isEnabled()                                    # no password, no signature
    box.password.setText("not the password")
    sign.click()
    assert box.isVisible() and "not right" in box.error.text()    # wrong password: nothing signed
    assert not window.service.get_meeting(window.meeting.meeting.id).signed
    box.password.setText(TEST_PASSWORD)
    sign.click()
    qtbot.waitUntil(lambda: window.meeting.meeting is not None and window.meeting.meeting.signed)
    assert not window.meeting.sign_button.isEnabled()
    # Signed minutes change only by amendment, with a reason and what changed.
    assert window.meeting.amend_button.isEnabled()
    dialog = window.meeting.amend_meeting()
    dialog.reason_edit.setText("attendance corrected")
    click_ok(dialog)
    assert dialog.isVisible() and "summary" in dialog.error.text()
    dialog.summary_edit.setText("Dag Lindqvist: absent → present for the last patient")
    click_ok(dialog)
    assert not dialog.isVisible()
    assert "1 amendment" in window.meeting.info.text()

    # --- close, reopen, and everything is there --------------------------------------------------
    window.close()
    seeded_db.close()
    db = open_database(db_url)
    try:
        reopened = make_window(qtbot, db, chair)
        assert reopened.patients.model.row_of("MRN-900001") is not None
        assert reopened.open_patient("MRN-900001", select=True)
        review = reopened.current_record().review
        assert review.date == FIXED_TODAY
        assert {les.id: (set(les.segments), les.diameter_mm, les.target) for les in review.lesions} == {
            "L1": ({"VII", "VIII"}, 42, True), "L2": ({"III"}, 18, True)}
        assert {(v.lesion, v.structure, v.relation) for v in review.vessels} == {
            ("L1", "RHV", "contact"), ("L1", "MHV", "encasement")}
        assert review.remnant is not None and review.remnant.resection == "right_hepatectomy"
        assert sorted(v.member for v in review.panel.votes) == sorted(SURGEONS)
        assert review.panel.decision.resectability == "convertible"
        assert review.panel.decision.plan == "continue_induction"
        assert reopened.current_record().locked
        assert reopened.review_editor.record().review_id == reopened.current_record().review_id
        reopened.set_meeting_mode(True)
        assert reopened.meeting.current_meeting_id() in (meeting_id, "LIV-2026-11-19")
        reopened.meeting.reload(select=meeting_id)
        meeting = reopened.meeting.meeting
        assert meeting.signed and meeting.signature.signer == "Anne Martin"
        assert {a.name for a in meeting.attendees} == {*SURGEONS, "Chidi Okafor", "Dag Lindqvist",
                                                         "Élise Moreau"}
        assert [it.patient_id for it in meeting.agenda] == ["MRN-900001"]
        history = MdtService(db, Actor("test")).patient_history("MRN-900001")
        assert any(e.action.startswith("review") for e in history)
        reopened.close()
    finally:
        db.close()


def test_only_the_chair_can_sign(qtbot, qsettings_tmp, seeded_db):
    from tests.ui_shell_fixtures import member_named

    coordinator = member_named(seeded_db, "coordinator")
    window = make_window(qtbot, seeded_db, coordinator)
    window.set_meeting_mode(True)
    assert window.meeting.meeting is not None
    assert not window.meeting.sign_button.isEnabled()
    assert window.meeting.sign_meeting() is None
    assert "Only the chair" in window.meeting.message.text()
    assert not window.meeting.amend_button.isEnabled()                # nothing signed to amend
    window.close()


def test_meeting_date_defaults_and_review_without_meeting_uses_today(main_window):
    main_window.open_patient("MRN-100611", select=True)
    record = main_window.new_review()
    assert record is not None and record.review.date == FIXED_TODAY
    assert record.review.date != date(2026, 11, 19)
