"""Votes and calipers as a tumour board meets, through the real main window over the demo board:
only voting attendees are offered and accepted, a changed rating asks its reason and reaches the
minutes, hidden ratings never show (editor, drop-down, projector); a caliper on the prior study
goes to the review of that study, and an unknown study is assigned by the user."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPointF

from mdt.case import Imaging, Lesion, Patient, ProtocolRef, Review
from tests.imaging_fixtures import make_ct_series
from tests.ui_shell_fixtures import *  # noqa: F401,F403
from ui.review import vote_panel as vote_panel_module

VOTERS = ["Anne Martin", "Bo Chen", "Chidi Okafor", "Dag Lindqvist", "Pieter de Vries", "Élise Moreau"]


def _offered(panel) -> list[str]:  # noqa: ANN001
    return [panel.member.itemData(i) for i in range(1, panel.member.count())]


def _rate(panel, member: str, rating: str) -> None:  # noqa: ANN001
    panel.member.setCurrentIndex(panel.member.findData(member))
    panel.rating.setCurrentIndex(panel.rating.findData(rating))
    panel.record.click()


def test_ratings_from_the_board_as_it_sits(main_window, qtbot, monkeypatch, tmp_path: Path) -> None:
    w = main_window
    w.set_meeting_mode(True)
    w.act_agenda_next.trigger()                                     # MRN-100387, NCT05103020 (consensus)
    editor = w.review_editor
    editor.tabs.setCurrentIndex(3)
    panel = editor.vote_panel
    assert sorted(_offered(panel)) == sorted(VOTERS)                 # the coordinator attends, does not rate
    assert "0 of 6 ratings recorded" in panel.progress.text()        # seven attend, six rate: not a fixed 3
    assert not editor.cast_vote("Sophie Dubois", "resectable")
    assert "attends but does not rate" in editor.message()
    assert not editor.cast_vote("A. Visitor", "resectable")
    assert "not recorded as present" in editor.message()

    w.toggle_presentation()
    for member, rating in zip(VOTERS[:5], ("convertible", "convertible", "resectable", "convertible",
                                           "convertible"), strict=True):
        _rate(panel, member, rating)
        w.flush_pending_refresh()                                     # the projector follows each save
        assert panel.rating.currentData() is None and panel.rating.currentText() == "— rating —"
        shown = [panel.votes_model.data(panel.votes_model.index(r, 3)) for r in range(panel.votes_model.rowCount())]
        assert set(shown) == {vote_panel_module.HIDDEN}
        projector = w._presentation.votes.text()
        assert member in projector and not re.search("resectable|convertible", projector, re.I)
    assert "5 of 6 ratings recorded" in panel.progress.text()

    # A second rating by the same member is a change: it asks for the reason (none: nothing changes).
    panel.member.setCurrentIndex(panel.member.findData("Chidi Okafor"))
    assert panel.record.text().startswith("Change")
    monkeypatch.setattr(vote_panel_module.ReasonDialog, "ask", classmethod(lambda cls, *a: None))
    _rate(panel, "Chidi Okafor", "convertible")
    assert "needs a reason" in panel.progress.text()
    monkeypatch.setattr(vote_panel_module.ReasonDialog, "ask",
                        classmethod(lambda cls, *a: "RHV contact confirmed on the portal phase"))
    _rate(panel, "Chidi Okafor", "convertible")
    w.flush_pending_refresh()
    okafor = next(v for v in w.current_record().review.panel.votes if v.member == "Chidi Okafor")
    assert okafor.rating == "convertible" and okafor.changes[0].from_rating == "resectable"
    assert "changed once" in panel.votes_model.data(panel.votes_model.index(2, 4))   # not which way
    assert "● recorded (changed 1×)" in w._presentation.votes.text()

    _rate(panel, "Élise Moreau", "convertible")                     # the sixth: all in, shown
    assert panel.revealed() and "CONVERTIBLE (consensus)" in panel.result.text()
    w.flush_pending_refresh()
    assert "convertible" in w._presentation.votes.text()
    panel.rationale.setText("All six agree after the re-read")
    panel.decide_button.click()
    assert w.current_record().review.panel.decision.rule == "consensus"
    w.toggle_presentation()

    out = tmp_path / "minutes.pdf"
    w.print_minutes(str(out), open_viewer=False)
    qtbot.waitUntil(out.exists, timeout=20000)
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(out).pages))
    assert "Chidi Okafor Diagnostic radiologist 1 Convertible (potentially resectable) (changed once)" in text
    assert "Changed: Resectable → Convertible (potentially resectable)" in text
    assert "recorded by Anne Martin: RHV contact confirmed on the portal phase" in text
    assert "Ratings expected 6 of 6 ratings recorded" in text


def test_cairo5_offers_the_surgeons_present(main_window) -> None:
    w = main_window
    w.set_meeting_mode(True)
    row = next(i for i, ln in enumerate(w.meeting.model.lines()) if ln.item.patient_id == "MRN-100502")
    w.meeting.go_to(row)
    panel = w.review_editor.vote_panel
    assert sorted(_offered(panel)) == ["Anne Martin", "Bo Chen", "Pieter de Vries"]
    assert "0 of 3 round-1 ratings recorded" in panel.progress.text()


# ---------------------------------------------------------------- calipers

@pytest.fixture
def imaged(main_window, tmp_path: Path):  # noqa: ANN201
    """A patient with a prior review resting on the CT of 2025-12-01 and a current review with no
    imaging recorded; the CTs of 2025-12-01 and 2026-03-01 are indexed."""
    from mdt.imaging.index import import_dicom

    svc = main_window.service
    svc.create_patient(Patient("MRN-CAL", "CALIPER^Ann", "F", date(1960, 5, 1)), ProtocolRef("NCT05103020"))
    lesions = (Lesion("L1", ("VII",), 29, target=True), Lesion("L2", ("III",), 18, target=True))
    svc.add_review("MRN-CAL", Review(date=date(2025, 12, 3), imaging=Imaging("CT", date(2025, 12, 1)),
                                     lesions=lesions))
    svc.add_review("MRN-CAL", Review(date=date(2026, 3, 2), lesions=lesions))
    for name, when in (("pri", "20251201"), ("cur", "20260301")):
        make_ct_series(tmp_path / name, 12, patient_id="MRN-CAL", patient_name="CALIPER^Ann", study_date=when)
        import_dicom(svc.db, tmp_path / name)
    main_window.open_patient("MRN-CAL", select=True)
    return main_window


def test_a_caliper_on_the_prior_study_goes_to_the_review_of_that_study(imaged, monkeypatch) -> None:
    w = imaged
    w.show_tab(1)
    editor = w.review_editor
    editor.select_lesion("L2")                                        # the lesion being discussed
    w.show_tab(5)
    viewer = w.ensure_viewer()
    series = {s.study_date.isoformat(): s for s in viewer.browser.all_series()}
    viewer.open_series(series["2026-03-01"], 5)
    viewer.compare_with_prior()
    assert viewer.view.prior.series.study_date == date(2025, 12, 1)
    asked: list[dict] = []
    viewer.ask_lesion = lambda length, **where: asked.append(where) or where["preselect"]
    reviews: list[tuple] = []

    def choose_current(study, choices):  # noqa: ANN001, ANN202
        reviews.append((study, choices))
        return next(i for i, text, allowed in choices if allowed), True
    viewer.ask_review = choose_current

    # A line on the PRIOR study: the prior review's L2, never the current one.
    viewer.view.prior.canvas.line_drawn.emit(QPointF(10, 20), QPointF(60, 20))      # 37.5 mm
    case = w.service.get_case("MRN-CAL")
    assert case.reviews[0].lesion("L2").diameter_mm == 37.5
    assert case.reviews[1].lesion("L2").diameter_mm == 18                           # current untouched
    assert "2025-12-01" in asked[-1]["study"] and "2025-12-03" in asked[-1]["target"]
    assert asked[-1]["preselect"] == "L2" and not reviews                           # matched by its date

    # A line on the CURRENT study: no review records it, so the user chooses, seeing both dates.
    viewer.view.current.canvas.line_drawn.emit(QPointF(10, 20), QPointF(50, 20))    # 30 mm
    study, choices = reviews[-1]
    assert "2026-03-01" in study
    assert [(text.split(" ·")[0], allowed) for _i, text, allowed in choices] == [
        ("Review of 2026-03-02", True), ("Review of 2025-12-03", False)]              # before the study
    case = w.service.get_case("MRN-CAL")
    assert case.reviews[1].lesion("L2").diameter_mm == 30
    assert case.reviews[1].imaging.date == date(2026, 3, 1) and case.reviews[1].imaging.study_uid
    assert case.reviews[0].lesion("L2").diameter_mm == 37.5
    # The study is now the current review's imaging: the next line goes there without asking.
    viewer.view.current.canvas.line_drawn.emit(QPointF(10, 20), QPointF(42, 20))
    assert len(reviews) == 1
    assert w.service.get_case("MRN-CAL").reviews[1].lesion("L2").diameter_mm == 24
    # Each is an undoable edit of the review it went to.
    w.undo_stack.undo()
    assert w.service.get_case("MRN-CAL").reviews[1].lesion("L2").diameter_mm == 30


def test_the_pickers_say_which_study_and_preselect_the_editor_lesion(qtbot) -> None:
    from ui.viewer.dialogs import LesionPicker, ReviewForStudyPicker

    review = Review(date=date(2026, 3, 2), lesions=(Lesion("L1", ("VII",), 29), Lesion("L2", ("III",), 18)))
    picker = LesionPicker(review, 37.9, study="the CT study of 2025-12-01", target="the review of 2025-12-03",
                          preselect="L2")
    qtbot.addWidget(picker)
    assert picker.lesion_id() == "L2"
    assert "2025-12-01" in picker.where.text() and "2025-12-03" in picker.where.text()
    chooser = ReviewForStudyPicker("the CT study of 2026-03-01",
                                   [(1, "Review of 2026-03-02", True), (0, "Review of 2025-12-03", False),
                                    (2, "Review of 2026-04-01", True)], with_imaging=frozenset({2}))
    qtbot.addWidget(chooser)
    assert chooser.review_index() is None and not chooser.ok.isEnabled()           # nothing preselected
    assert "before this study" in chooser.list.item(1).text()
    chooser.list.setCurrentRow(0)
    assert chooser.review_index() == 1 and chooser.ok.isEnabled() and chooser.remember.isChecked()
    chooser.list.setCurrentRow(2)                        # its imaging is recorded: kept unless asked
    assert chooser.review_index() == 2 and not chooser.remember.isChecked()


def test_the_history_does_not_show_ratings_the_vote_panel_still_hides(main_window, qtbot) -> None:
    w = main_window
    w.set_meeting_mode(True)
    w.act_agenda_next.trigger()
    editor = w.review_editor
    assert editor.cast_vote("Bo Chen", "resectable")
    w.show_tab(4)                                                    # History
    qtbot.waitUntil(lambda: w.history.model.rowCount() > 0, timeout=5000)
    detail = w.history.detail.toPlainText()
    assert "Bo Chen" in detail and "hidden until the decision is recorded" in detail
    assert "Bo Chen's rating recorded" in detail                     # in words, who rated (not what)
    assert not re.search(r"\b(resectable|convertible|permanently unresectable)\b", detail.split("What changed")[-1])
    w.history.raw_toggle.setChecked(True)                            # the stored record, for audit
    raw = w.history.raw.toPlainText()
    assert "hidden until the decision is recorded" in raw
    assert not re.search(r'"(rating|from|to)": "(resectable|convertible|permanently_unresectable)"', raw)
