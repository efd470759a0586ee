"""The review editor over a real database: every accepted edit is a saved version, undo saves too,
invalid input is refused with the field named, conflicts and signed meetings are handled."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from mdt import glossary
from mdt.meeting import AgendaItem, Meeting, Member
from tests.signin_fixtures import TEST_PASSWORD, as_member
from tests.ui_review_fixtures import editor, open_service, review_env, seat_panel  # noqa: F401
from ui.review import ReviewEditor
from ui.review.editor import APPLY_MINE, KEEP_THEIRS, AmendmentDialog, ConflictDialog
from ui.review.lesion_table import COL_DIAMETER, COL_SEGMENTS


def saved(env):  # noqa: ANN001, ANN201
    """What the database holds now (a fresh read, not the editor's copy)."""
    return env.record().review


def test_opening_shows_the_review_and_its_evaluation(editor, review_env) -> None:  # noqa: ANN001, F811
    assert editor.lesion_model.rowCount() == 2
    ev = editor.evaluation()
    assert ev is not None and ev.protocol_id == "NCT05103020"
    assert editor.criteria.model.rowCount() == len(ev.criteria) > 0
    # The result is titled with the glossary's one term, the verdict itself in words.
    assert editor.criteria.verdict_title.text() == glossary.PROTOCOL_VERDICT
    assert "CONVERTIBLE" in editor.criteria.resectability.text().upper()
    assert editor.criteria.resectability.font().pointSize() >= 20


def test_ctrl_l_then_clicking_the_diagram_saves_a_lesion(qtbot, editor, review_env) -> None:  # noqa: ANN001, F811
    editor.show()
    qtbot.waitExposed(editor)
    editor.lesion_view.setFocus()
    qtbot.keyClick(editor.lesion_view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert editor.selected_lesion() == "L3"
    # A draft is not saved until it has a segment.
    assert saved(review_env).lesion("L3") is None
    with qtbot.waitSignal(editor.review_saved):
        qtbot.mouseClick(editor.diagram, Qt.MouseButton.LeftButton, pos=editor.diagram.unit_centre("VI").toPoint())
    assert saved(review_env).lesion("L3").segments == ("VI",)
    # A second click on another segment extends the same lesion.
    qtbot.mouseClick(editor.diagram, Qt.MouseButton.LeftButton, pos=editor.diagram.unit_centre("VII").toPoint())
    assert saved(review_env).lesion("L3").segments == ("VI", "VII")
    assert "tumour" in editor.diagram.roles()["VI"]
    assert editor.undo_stack().text(editor.undo_stack().count() - 2) == "add lesion L3 in VI"


def test_keyboard_entry_in_the_lesion_table(qtbot, editor, review_env) -> None:  # noqa: ANN001, F811
    editor.show()
    qtbot.waitExposed(editor)
    view = editor.lesion_view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Insert)
    lid = editor.selected_lesion()
    assert view.currentIndex().column() == COL_SEGMENTS
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.keyClicks(view.focusWidget(), "4a, 4b")
    qtbot.keyClick(view.focusWidget(), Qt.Key.Key_Return)  # the delegate commits on the next event loop turn
    qtbot.waitUntil(lambda: saved(review_env).lesion(lid) is not None)
    assert saved(review_env).lesion(lid).segments == ("IVa", "IVb")
    view.setCurrentIndex(editor.lesion_model.index(view.currentIndex().row(), COL_DIAMETER))
    qtbot.keyClicks(view, "2")  # typing starts the editor (AnyKeyPressed) with that key
    qtbot.keyClicks(view.focusWidget(), "7")
    qtbot.keyClick(view.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: saved(review_env).lesion(lid).diameter_mm == 27)
    # Delete removes the lesion (and undo brings it back).
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert saved(review_env).lesion(lid) is None
    editor.undo_stack().undo()
    assert saved(review_env).lesion(lid).diameter_mm == 27


def test_invalid_value_is_refused_with_the_field_named(editor, review_env) -> None:  # noqa: ANN001, F811
    version = review_env.record().version
    assert not editor.set_diameter("L1", "0")
    assert "lesions[0].diameter_mm" in editor.message() and "> 0" in editor.message()
    assert not editor.enter_value("weight_kg", "12")
    assert "weight_kg" in editor.message() and "≥ 20" in editor.message()
    assert editor.value_field("weight_kg").edit.property("invalid") is True
    assert not editor.enter_value("labs.hb", "abc")
    assert "labs.hb" in editor.message() and "not a number" in editor.message()
    assert not editor.type_segments("L1", "IX")
    assert review_env.record().version == version  # nothing was saved
    assert saved(review_env).lesion("L1").diameter_mm == 42
    assert editor.message_bar.isVisibleTo(editor)


def test_vessel_contact_changes_the_criteria(qtbot, editor, review_env) -> None:  # noqa: ANN001, F811
    before = {f.id: f.status for f in editor.evaluation().criteria}
    with qtbot.waitSignal(editor.evaluation_changed) as blocker:
        # L2 (segment III) touching the left hepatic vein, a vessel of the right-hepatectomy remnant.
        assert editor.set_vessel("L2", "LHV", "encasement")
    after = {f.id: f.status for f in blocker.args[0].criteria}
    assert after != before
    assert any(v.structure == "LHV" and v.lesion == "L2" for v in saved(review_env).vessels)
    # The grid, by keyboard: "c" records a contact in the current cell, Delete clears it.
    grid = editor.vessel_view
    grid.setCurrentIndex(editor.vessel_model.index(editor.vessel_model.row_of("LHD"), 0))
    qtbot.keyClick(grid, Qt.Key.Key_C)
    assert any(v.structure == "LHD" and v.lesion == "L1" and v.relation == "contact"
               for v in saved(review_env).vessels)
    qtbot.keyClick(grid, Qt.Key.Key_Delete)
    assert not any(v.structure == "LHD" for v in saved(review_env).vessels)


def test_choosing_a_plan_updates_remnant_live(editor, review_env) -> None:  # noqa: ANN001, F811
    assert editor.choose_resection("left_hepatectomy")
    assert saved(review_env).remnant.resection == "left_hepatectomy"
    assert set(editor.evaluation().remnant.segments) == {"I", "V", "VI", "VII", "VIII"}
    # Remnant by diagram click: remnant mode toggles segments in and out.
    editor.set_click_mode("remnant")
    assert editor.click_segment("VIII")
    assert saved(review_env).remnant.segments == ("I", "V", "VI", "VII")
    # The 520 mL were measured for the right hepatectomy's remnant: stale for this plan, shown
    # so, never used (docs/clinical/conventions.md#volume-is-part-of-adequate).
    assert saved(review_env).remnant.flr_segments == ("I", "II", "III", "IVa", "IVb")
    assert "stale — 520 mL measured for I–IVb" in editor.remnant_panel.flr_note.text()
    assert "stale" in editor.remnant_panel.sflr.text().lower()
    assert editor.evaluation().remnant.stale
    # Measured again for this plan, it is used; without a measured total volume the estimate
    # is used and the panel says so (a standardised FLR only against the estimate).
    assert editor.enter_value("remnant.flr_ml", "600")
    assert saved(review_env).remnant.flr_segments == ("I", "V", "VI", "VII")
    assert "measured for I, V–VII (this plan)" in editor.remnant_panel.flr_note.text()
    assert editor.enter_value("remnant.tlv_ml", "")
    assert "ESTIMATED" in editor.remnant_panel.tlv_note.text()
    assert "sFLR" in editor.remnant_panel.sflr.text()


def test_labs_show_computed_scores(editor) -> None:  # noqa: ANN001, F811
    text = editor.clinical_panel.crcl.text()
    assert "mL/min" in text  # F, 64 kg, creatinine 78, age 64
    assert editor.clinical_panel.ratio["ast"].text() == "0.95×"
    assert "unknown" in editor.clinical_panel.child_pugh.text()
    assert editor.enter_value("labs.albumin", "40")
    assert editor.enter_value("labs.inr", "1.1")
    assert editor.choose_value("ascites", "none")
    assert editor.choose_value("encephalopathy", "none")
    assert editor.clinical_panel.child_pugh.text().startswith("class A (5 points)")


def test_undo_and_redo_save_versions(editor, review_env) -> None:  # noqa: ANN001, F811
    v0 = review_env.record().version
    assert editor.set_diameter("L1", "40")
    assert review_env.record().version == v0 + 1
    stack = editor.undo_stack()
    stack.undo()
    assert saved(review_env).lesion("L1").diameter_mm == 42
    assert review_env.record().version == v0 + 2
    assert editor.lesion_model.data(editor.lesion_model.index(0, COL_DIAMETER)) == "42"
    stack.redo()
    assert saved(review_env).lesion("L1").diameter_mm == 40
    history = review_env.service.review_history(review_env.record().review_id)
    assert [h.reason for h in history][-3:] == [
        "L1 diameter 42 → 40 mm", "Undo: L1 diameter 42 → 40 mm", "Redo: L1 diameter 42 → 40 mm"]


def test_votes_hidden_until_all_in_then_decision_with_proposed_date(editor, review_env) -> None:  # noqa: ANN001, F811
    panel = editor.vote_panel
    seat_panel(review_env)
    editor.refresh_panel_context()
    editor.tabs.setCurrentIndex(3)
    # Only the members present with a voting role are offered (not the coordinator).
    offered = [panel.member.itemData(i) for i in range(panel.member.count())]
    assert offered == [None, "A. Martin", "B. Chen", "C. Okafor"]
    assert "3 present with a voting role" in panel.who.text()
    assert editor.cast_vote("A. Martin", "convertible")
    assert editor.cast_vote("B. Chen", "convertible")
    assert panel.rating.currentData() is None  # blank again: nothing of the hidden rating shows
    assert not panel.revealed()
    assert "hidden" in panel.result.text()
    assert "2 of 3 ratings recorded" in panel.progress.text()
    assert panel.votes_model.data(panel.votes_model.index(0, 3)) == "● recorded (hidden)"
    assert editor.cast_vote("C. Okafor", "resectable")
    assert panel.revealed()
    # NCT05103020 aggregates by consensus: 2 of 3 is no consensus, and the panel says so.
    assert "undecided" in panel.result.text() and "2 of 3 agree" in panel.result.text()
    assert editor.decide("convertible", "continue_induction", "RHV contact; reassess after 4 cycles",
                         dissent="C. Okafor rated resectable")
    dec = saved(review_env).panel.decision
    assert dec.plan == "continue_induction" and dec.dissent == "C. Okafor rated resectable"
    assert dec.next_review == date(2026, 3, 12)  # 8 weeks after 2026-01-15 (protocol interval)
    assert len(saved(review_env).panel.votes) == 3
    # The decision keeps the protocol version its criteria were evaluated under, and shows it.
    ev = editor.evaluation()
    assert (dec.protocol, dec.protocol_version) == (ev.protocol_id, ev.protocol_version) == ("NCT05103020", "2")
    assert "Decided under NCT05103020 v2" in panel.recorded.text()


def test_everything_is_there_after_reopening(qtbot, editor, review_env) -> None:  # noqa: ANN001, F811
    lid = editor.add_lesion(("VI",), diameter_mm=22)
    assert editor.set_vessel(lid, "RPPV", "contact")
    assert editor.choose_resection("extended_right_hepatectomy")
    seat_panel(review_env)
    editor.refresh_panel_context()
    assert editor.cast_vote("A. Martin", "convertible")
    editor.close()
    service = open_service(review_env.url)
    case = service.get_case(review_env.patient_id)
    rec = service.list_reviews(review_env.patient_id)[-1]
    stack = QUndoStack()
    again = ReviewEditor(undo_stack=stack)
    qtbot.addWidget(again)
    again.set_context(service, case, rec)
    r = again.current_review()
    assert r.lesion(lid).segments == ("VI",) and r.lesion(lid).diameter_mm == 22
    from mdt.case import VESSEL_STRUCTURES

    col = again.vessel_model.column_of(lid)
    assert again.vessel_model.relation(VESSEL_STRUCTURES.index("RPPV"), col) == "contact"
    assert r.remnant.resection == "extended_right_hepatectomy"
    assert len(r.panel.votes) == 1


def test_conflict_apply_mine_on_top(monkeypatch, editor, review_env) -> None:  # noqa: ANN001, F811
    other = open_service(review_env.url, "other workstation")
    rec = other.list_reviews(review_env.patient_id)[-1]
    from mdt import review_edits as edits

    other.save_review(rec.review_id, edits.set_diameter(rec.review, "L2", 20).review, rec.version,
                      "L2 diameter 18 → 20 mm")
    seen = {}

    def ask(cls, parent, theirs, mine_reason, changes):  # noqa: ANN001, ANN202
        seen["changes"] = changes
        return APPLY_MINE

    monkeypatch.setattr(ConflictDialog, "ask", classmethod(ask))
    assert editor.set_diameter("L1", "40")
    assert "L2 diameter 18 → 20 mm" in seen["changes"]          # their change, in words
    r = saved(review_env)
    assert r.lesion("L1").diameter_mm == 40 and r.lesion("L2").diameter_mm == 20
    # Undoing my edit restores their version, not the one I started from.
    editor.undo_stack().undo()
    r = saved(review_env)
    assert r.lesion("L1").diameter_mm == 42 and r.lesion("L2").diameter_mm == 20


def test_conflict_keep_theirs(monkeypatch, editor, review_env) -> None:  # noqa: ANN001, F811
    other = open_service(review_env.url, "other workstation")
    rec = other.list_reviews(review_env.patient_id)[-1]
    from mdt import review_edits as edits

    other.save_review(rec.review_id, edits.set_diameter(rec.review, "L1", 50).review, rec.version, "L1 50")
    monkeypatch.setattr(ConflictDialog, "ask", classmethod(lambda cls, *a: KEEP_THEIRS))
    assert not editor.set_diameter("L1", "40")
    assert saved(review_env).lesion("L1").diameter_mm == 50
    assert editor.current_review().lesion("L1").diameter_mm == 50  # the editor shows theirs
    # Undo of an edit made before their change must not silently overwrite it.
    assert editor.undo_stack().count() == 0


def test_undo_refuses_to_overwrite_a_later_change_from_elsewhere(editor, review_env) -> None:  # noqa: ANN001, F811
    assert editor.set_diameter("L1", "40")
    other = open_service(review_env.url, "other workstation")
    rec = other.list_reviews(review_env.patient_id)[-1]
    from mdt import review_edits as edits

    other.save_review(rec.review_id, edits.set_diameter(rec.review, "L2", 25).review, rec.version, "L2 25")
    editor.undo_stack().undo()
    assert "refused" in editor.message()
    r = saved(review_env)
    assert r.lesion("L1").diameter_mm == 40 and r.lesion("L2").diameter_mm == 25


def test_a_draft_lesion_waits_while_other_edits_are_saved(editor, review_env) -> None:  # noqa: ANN001, F811
    lid = editor.add_lesion()
    assert editor.set_diameter(lid, "31")  # kept on the draft, nothing saved yet
    assert saved(review_env).lesion(lid) is None
    assert editor.set_diameter("L1", "41")  # another lesion: saved, the draft stays
    assert saved(review_env).lesion("L1").diameter_mm == 41
    assert editor.current_review().lesion(lid).diameter_mm == 31
    assert editor.type_segments(lid, "VI")
    assert saved(review_env).lesion(lid).diameter_mm == 31
    assert editor.undo_stack().text(editor.undo_stack().count() - 1) == f"add lesion {lid} in VI, 31 mm"


def test_engine_failure_is_shown_not_a_verdict(monkeypatch, editor) -> None:  # noqa: ANN001, F811
    import mdt.protocols

    def broken(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(mdt.protocols, "evaluate", broken)
    assert editor.set_diameter("L1", "40")
    assert editor.evaluation() is None
    assert "not evaluated" in editor.criteria.resectability.text()
    assert "engine exploded" in editor.criteria.eligibility.text()


def test_signed_meeting_asks_for_an_amendment_reason(monkeypatch, qtbot, tmp_path, review_env) -> None:  # noqa: ANN001, F811
    boot = open_service(review_env.url, "Dr Chair")
    boot.add_member(Member("Dr Chair", "hepatobiliary_surgeon", role="chair"))
    chair = as_member(boot.db, "Dr Chair")
    chair.create_meeting(Meeting(id="LIV-2026-01-15", date=date(2026, 1, 15), chair="Dr Chair",
                                 agenda=(AgendaItem(review_env.patient_id, date(2026, 1, 15)),)))
    chair.sign_meeting("LIV-2026-01-15", TEST_PASSWORD)
    rec = chair.list_reviews(review_env.patient_id)[-1]
    assert rec.locked
    ed = ReviewEditor(undo_stack=QUndoStack())
    qtbot.addWidget(ed)
    ed.set_context(chair, chair.get_case(review_env.patient_id), rec)
    monkeypatch.setattr(AmendmentDialog, "ask", classmethod(lambda cls, *a: None))
    assert not ed.set_diameter("L1", "40")
    assert "amendment reason" in ed.message()
    monkeypatch.setattr(AmendmentDialog, "ask", classmethod(lambda cls, *a: "caliper error"))
    assert ed.set_diameter("L1", "40")
    assert saved(review_env).lesion("L1").diameter_mm == 40
    meeting = chair.get_meeting("LIV-2026-01-15")
    assert meeting.amendments and "caliper error" in meeting.amendments[-1].reason


@pytest.mark.parametrize("unit", ["I", "IVa", "IVb", "VIII"])
def test_diagram_keys_click_segments(qtbot, editor, review_env, unit: str) -> None:  # noqa: ANN001, F811
    editor.show()
    editor.select_lesion("L2")
    editor.diagram.setFocus()
    keys = {"I": "1", "IVa": "4a", "IVb": "4b", "VIII": "8"}[unit]
    qtbot.keyClicks(editor.diagram, keys)
    assert unit in saved(review_env).lesion("L2").segments


def test_screenshot_is_legible(qtbot, editor, tmp_path) -> None:  # noqa: ANN001, F811
    editor.resize(1920, 1000)
    editor.show()
    qtbot.waitExposed(editor)
    for i in range(4):
        editor.tabs.setCurrentIndex(i)
        image = editor.grab().toImage()
        assert image.width() == 1920
        assert image.save(str(tmp_path / f"review-tab{i + 1}.png"))
    from PySide6.QtWidgets import QLabel

    small = [lab.text()[:30] for lab in editor.findChildren(QLabel)
             if lab.isVisibleTo(editor) and lab.text() and 0 < lab.font().pointSizeF() < 11]
    assert small == []


def test_adopting_the_suggested_plan_records_remnant_and_local_treatment(editor, review_env) -> None:  # noqa: ANN001, F811
    from mdt.evaluation import PlanOption

    assert editor.choose_resection(None)
    plan = PlanOption(remnant=("I", "II", "III", "IVa", "IVb"), resection="right_hepatectomy",
                      local_treatment=(("L2", "wedge"),), feasible=True, reasons=())
    assert editor.adopt_plan(plan)
    r = saved(review_env)
    assert r.remnant.resection == "right_hepatectomy"
    assert [(lt.lesion, lt.method) for lt in r.remnant.local_treatment] == [("L2", "wedge")]
    assert editor.remnant_panel.local_combos["L2"].currentData() == "wedge"


def test_status_and_target_by_api_and_disappeared_clears_size(editor, review_env) -> None:  # noqa: ANN001, F811
    assert editor.set_status("L2", "disappeared")
    assert saved(review_env).lesion("L2").diameter_mm is None
    assert not editor.set_diameter("L2", "12")
    assert "must be null when status is disappeared" in editor.message()
    assert editor.set_target("L1", False)
    assert saved(review_env).lesion("L1").target is False


def test_plan_labs_and_votes_without_a_mouse(qtbot, editor, review_env) -> None:  # noqa: ANN001, F811
    editor.show()
    qtbot.waitExposed(editor)
    # Remnant: the resection combo by arrow keys (each choice is saved at once).
    editor.tabs.setCurrentIndex(1)
    combo = editor.remnant_panel.resection
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # right_hepatectomy -> left_hepatectomy (list order)
    assert saved(review_env).remnant.resection == "left_hepatectomy"
    # Labs: type and Enter.
    editor.tabs.setCurrentIndex(2)
    field = editor.value_field("labs.creatinine").edit
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "95")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert saved(review_env).labs.creatinine == 95
    # Escape restores the saved value without saving.
    qtbot.keyClicks(field, "0")
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert field.text() == "95"
    # Votes: first letter of the panellist, Tab, first letter of the rating, Enter.
    seat_panel(review_env)
    editor.tabs.setCurrentIndex(3)
    panel = editor.vote_panel
    panel.member.setFocus()
    qtbot.keyClicks(panel.member, "A")
    assert panel.member.currentData() == "A. Martin"
    panel.rating.setFocus()
    qtbot.keyClicks(panel.rating, "c")
    qtbot.keyClick(panel.rating, Qt.Key.Key_Return)
    votes = saved(review_env).panel.votes
    assert [(v.member, v.rating) for v in votes] == [("A. Martin", "convertible")]
    assert votes[0].role == "hepatobiliary_surgeon"  # from the registry, not typed
    assert panel.member.currentData() is None and panel.rating.currentData() is None  # ready for the next
    # Decision: fields by keyboard, Enter in the rationale records it.
    panel.dec_resectability.setCurrentIndex(panel.dec_resectability.findData("convertible"))
    panel.dec_plan.setCurrentIndex(panel.dec_plan.findData("two_stage"))
    panel.rationale.setFocus()
    qtbot.keyClicks(panel.rationale, "bilobar disease")
    qtbot.keyClick(panel.rationale, Qt.Key.Key_Return)
    dec = saved(review_env).panel.decision
    assert dec.plan == "two_stage" and dec.rationale == "bilobar disease"


def test_caliper_measurement_and_imaging(editor, review_env) -> None:  # noqa: ANN001, F811
    from mdt.case import Measurement

    m = Measurement("1.2.3", "1.2.3.4", 12, (10.0, 20.0), (50.0, 60.0))
    assert editor.apply_measurement("L1", m, 40.04)
    les = saved(review_env).lesion("L1")
    assert les.diameter_mm == 40 and les.measurement == m
    assert editor.undo_stack().text(editor.undo_stack().count() - 1) == "L1 diameter 42 → 40 mm (caliper)"
    assert not editor.apply_measurement("L1", m, 0)
    assert editor.choose_value("imaging.modality", "MR")
    assert editor.enter_value("imaging.date", "2026-01-12")
    img = saved(review_env).imaging
    assert img.modality == "MR" and img.date == date(2026, 1, 12)
    assert not editor.enter_value("imaging.date", "2026-02-30")
    assert "imaging.date" in editor.message()
    assert not editor.enter_value("imaging.date", "2026-02-01")  # after the review date
    assert "must not be after" in editor.message()


def test_a_database_failure_is_reported_and_nothing_changes(monkeypatch, editor, review_env) -> None:  # noqa: ANN001, F811
    def broken(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise OSError("disk I/O error")

    monkeypatch.setattr(review_env.service, "save_review", broken)
    count = editor.undo_stack().count()
    assert not editor.set_diameter("L1", "40")
    assert "disk I/O error" in editor.message()
    assert editor.undo_stack().count() == count
    assert editor.current_review().lesion("L1").diameter_mm == 42
