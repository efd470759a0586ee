"""Wrong-patient proof, driven through the real main window: walk the agenda with PgDn/PgUp and
clicks and the patient list, try to save a decision after every step, press the page keys inside
editing widgets; none of it may reach a patient other than the one named on the form."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from mdt.case import Decision
from tests.ui_shell_fixtures import *  # noqa: F401,F403


def _decisions(w) -> dict[str, Decision | None]:  # noqa: ANN001
    """Each agenda patient's decision on the reviewed discussed at the meeting."""
    out = {}
    meeting = w.meeting.meeting
    for line in w.meeting.model.lines():
        case = w.service.get_case(line.item.patient_id)
        review = next(r for r in case.reviews if r.date == (line.item.review_date or meeting.date))
        out[line.item.patient_id] = review.panel.decision
    return out


def _fill(panel, rating: str, plan: str, rationale: str, dissent: str = "") -> None:  # noqa: ANN001
    panel.dec_resectability.setCurrentIndex(panel.dec_resectability.findData(rating))
    panel.dec_plan.setCurrentIndex(panel.dec_plan.findData(plan))
    panel.rationale.setText(rationale)
    panel.dissent.setText(dissent)


def _shown(w, editor) -> str:  # noqa: ANN001
    pid = w.current_case.patient.id
    assert editor.record().patient_id == pid
    assert editor.vote_panel.bound_to() == (pid, editor.record().review_id)
    assert f"({pid})" in editor.vote_panel.dec_for.text()           # the name on the form is this patient's
    return pid


def test_walking_the_agenda_never_carries_a_decision_to_the_next_patient(main_window, qtbot) -> None:
    w = main_window
    w.set_meeting_mode(True)
    lines = w.meeting.model.lines()
    assert len(lines) == 5
    editor = w.review_editor
    panel = editor.vote_panel
    w.act_agenda_next.trigger()                                     # the first agenda patient
    first = _shown(w, editor)
    _fill(panel, "permanently_unresectable", "palliative", "Miliary disease", "nobody")
    panel.decide_button.click()
    assert _decisions(w)[first].rationale == "Miliary disease"

    for expected in [ln.item.patient_id for ln in lines[1:]]:
        w.meeting.agenda.setFocus()
        QTest.keyClick(w.meeting.agenda, Qt.Key.Key_PageDown)
        pid = _shown(w, editor)
        assert pid == expected
        # Nothing of the previous patient's decision is on this patient's form.
        assert panel.recorded.text() == "no decision recorded yet"
        assert (panel.rationale.text(), panel.dissent.text(), panel.responsible.text()) == ("", "", "")
        assert panel.dec_plan.currentData() is None
        assert panel.dec_resectability.currentData() is None
        # Enter in the rationale and the button: nothing chosen, nothing saved, for anyone.
        QTest.keyClick(panel.rationale, Qt.Key.Key_Return)
        panel.decide_button.click()
        assert _decisions(w)[pid] is None
        assert _decisions(w)[first].rationale == "Miliary disease"
    # Every other patient is still undecided, and stepping back shows the first decision again.
    assert [d is None for d in _decisions(w).values()] == [False, True, True, True, True]
    w.meeting.agenda.setFocus()
    for _ in lines[1:]:
        QTest.keyClick(w.meeting.agenda, Qt.Key.Key_PageUp)
    assert _shown(w, editor) == first
    assert panel.rationale.text() == "Miliary disease" and panel.dec_plan.currentData() == "palliative"


def test_clicking_agenda_rows_and_saving_after_each_step_lands_on_the_patient_shown(main_window, qtbot) -> None:
    w = main_window
    w.set_meeting_mode(True)
    editor = w.review_editor
    panel = editor.vote_panel
    agenda = w.meeting.agenda
    for row in (2, 0, 4, 1, 3, 0):
        rect = agenda.visualRect(w.meeting.model.index(row, 1))
        QTest.mouseClick(agenda.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        QTest.keyClick(agenda, Qt.Key.Key_Return)                    # open the clicked row
        pid = _shown(w, editor)
        assert pid == w.meeting.model.lines()[row].item.patient_id
        _fill(panel, "convertible", "continue_induction", f"decided for {pid}")
        QTest.keyClick(panel.rationale, Qt.Key.Key_Return)           # Enter records it
        assert _decisions(w)[pid].rationale == f"decided for {pid}"
    for pid, decision in _decisions(w).items():
        assert decision is not None and decision.rationale == f"decided for {pid}"


def test_opening_one_patient_after_another_from_the_list_clears_the_forms(main_window, qtbot) -> None:
    w = main_window
    w.set_meeting_mode(False)
    editor = w.review_editor
    panel = editor.vote_panel
    w.patients.select_patient("MRN-100387")
    qtbot.waitUntil(lambda: w.current_case is not None and w.current_case.patient.id == "MRN-100387")
    w.show_tab(1)
    _fill(panel, "resectable", "resection", "typed for Dupont-Bierre, never recorded")
    w.patients.select_patient("MRN-100412")
    qtbot.waitUntil(lambda: w.current_case.patient.id == "MRN-100412")
    assert _shown(w, editor) == "MRN-100412"
    assert panel.rationale.text() == "" and panel.dec_resectability.currentData() is None
    panel.decide_button.click()
    assert w.service.get_case("MRN-100412").reviews[-1].panel.decision is None
    assert w.service.get_case("MRN-100387").reviews[-1].panel.decision is None


def test_a_form_filled_for_one_patient_cannot_save_onto_another(main_window, qtbot) -> None:
    from functools import partial

    from mdt import review_edits as edits

    w = main_window
    w.open_patient("MRN-100387", select=True)
    editor = w.review_editor
    stale = editor.vote_panel.bound_to()
    w.open_patient("MRN-100412", select=True)
    editor = w.review_editor
    before = w.current_record().version
    ok = editor.request(partial(edits.decide, resectability="resectable", plan="resection"),
                        bound=stale, via="decision")
    assert not ok
    assert "filled for patient MRN-100387" in editor.message() and "MRN-100412" in editor.message()
    assert w.current_record().version == before
    assert w.service.get_case("MRN-100387").reviews[-1].panel.decision is None


def test_page_keys_inside_editing_widgets_stay_there(main_window, qtbot) -> None:
    w = main_window
    w.set_meeting_mode(True)
    w.act_agenda_next.trigger()
    first = w.current_case.patient.id
    editor = w.review_editor
    editor.tabs.setCurrentIndex(0)
    grid = editor.vessel_view
    grid.setFocus()
    grid.setCurrentIndex(editor.vessel_model.index(0, 0))
    QTest.keyClick(grid, Qt.Key.Key_PageDown)                       # inside the vessel grid
    assert w.current_case.patient.id == first
    assert grid.currentIndex().row() > 0                             # the grid paged down
    QTest.keyClick(grid, Qt.Key.Key_PageUp)
    assert w.current_case.patient.id == first and grid.currentIndex().row() == 0
    table = editor.lesion_view
    table.setFocus()
    QTest.keyClick(table, Qt.Key.Key_PageDown)                       # the lesion table
    assert w.current_case.patient.id == first
    editor.tabs.setCurrentIndex(3)
    for widget in (editor.vote_panel.rationale, editor.vote_panel.next_review, editor.vote_panel.dec_plan):
        widget.setFocus()
        QTest.keyClick(widget, Qt.Key.Key_PageDown)                  # a field, a date, a combo
        assert w.current_case.patient.id == first
    editor.tabs.setCurrentIndex(2)
    weight = editor.value_field("weight_kg").edit
    weight.setFocus()
    weight.selectAll()
    QTest.keyClicks(weight, "71")                                    # typed, not yet committed
    QTest.keyClick(weight, Qt.Key.Key_PageDown)
    assert w.current_case.patient.id == first and weight.text() == "71"
    # From outside editing widgets (the agenda) PgDn steps.  The half-typed weight is committed as
    # the focus leaves it, to the patient it was typed for; the next patient's record is untouched.
    second_id = w.meeting.model.lines()[1].item.patient_id
    second_before = w.service.get_case(second_id).reviews[-1].weight_kg
    w.meeting.agenda.setFocus()
    QTest.keyClick(w.meeting.agenda, Qt.Key.Key_PageDown)
    assert w.current_case.patient.id == second_id
    assert w.service.get_case(first).reviews[-1].weight_kg == 71
    assert w.service.get_case(second_id).reviews[-1].weight_kg == second_before
    assert editor.value_field("weight_kg").edit.text() != "71" or second_before == 71


def test_a_decision_typed_and_not_recorded_stays_with_its_patient_as_a_draft(main_window) -> None:
    """Stepping on with a half-filled decision neither carries it to the next patient nor drops
    it: it waits on its own patient's form, unrecorded, until recorded or changed."""
    w = main_window
    w.set_meeting_mode(True)
    editor = w.review_editor
    panel = editor.vote_panel
    w.act_agenda_next.trigger()
    first = _shown(w, editor)
    first_binding = panel.bound_to()
    _fill(panel, "convertible", "continue_induction", "half typed: RHV contact, reassess")
    w.meeting.agenda.setFocus()
    QTest.keyClick(w.meeting.agenda, Qt.Key.Key_PageDown)
    second = _shown(w, editor)
    assert second != first
    assert (panel.rationale.text(), panel.dec_plan.currentData()) == ("", None)   # never carried
    assert panel.has_draft(first_binding)
    assert _decisions(w)[first] is None                                   # nothing was recorded
    w.meeting.agenda.setFocus()
    QTest.keyClick(w.meeting.agenda, Qt.Key.Key_PageUp)
    assert _shown(w, editor) == first
    assert panel.rationale.text() == "half typed: RHV contact, reassess"
    assert panel.dec_plan.currentData() == "continue_induction"
    assert "draft typed earlier" in panel.recorded.text()
    panel.decide_button.click()
    assert _decisions(w)[first].rationale == "half typed: RHV contact, reassess"
    assert not panel.has_draft(first_binding)
