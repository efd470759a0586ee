"""What the board sees on a 1920×1080 projector: the review editor's tabs all readable, problems
named in words, the engine's plan adoptable when none is recorded, a diagram whose colours and
sizes stay legible, calipers that say which lesion they measured, and compact PDF tables."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage

from mdt import diagram
from mdt.case import Lesion, Review, Vote
from tests.test_viewer_widget import _series, env, viewer  # noqa: F401
from tests.ui_review_fixtures import editor, review_env, seat_panel  # noqa: F401
from ui.review.diagram_widget import COLOURS, MIN_LESION_RADIUS_PX, LiverDiagramWidget


def saved(env_):  # noqa: ANN001, ANN201
    return env_.record().review


# ---------------------------------------------------------------- review editor
def test_every_tab_title_fits_at_the_window_size(qtbot, editor) -> None:  # noqa: ANN001, F811
    editor.resize(1477, 893)  # the editor's size in the main window at 1920×1080
    editor.show()
    qtbot.waitExposed(editor)
    bar = editor.tabs.tabBar()
    needed = sum(bar.tabRect(i).width() for i in range(bar.count()))
    assert needed <= editor.tabs.width(), "a tab title is hidden behind scroll arrows"
    assert editor.tabs.tabText(3) == "&4 Vote && decision"
    # The lesion table needs no sideways scrolling either.
    assert not editor.lesion_view.horizontalScrollBar().isVisible()


def test_problem_names_the_field_in_words_and_by_path(editor) -> None:  # noqa: ANN001, F811
    assert not editor.set_diameter("L2", "0")
    assert "L2 diameter (lesions[1].diameter_mm): must be > 0" in editor.message()
    assert not editor.enter_value("weight_kg", "12")
    assert editor.message().startswith("Not saved — Weight (weight_kg):")
    assert not editor.enter_value("labs.hb", "abc")
    assert "Haemoglobin (labs.hb)" in editor.message()


def test_the_plan_found_can_be_adopted_when_no_plan_is_recorded(qtbot, editor, review_env) -> None:  # noqa: ANN001, F811
    assert editor.choose_resection(None)
    review = saved(review_env)
    assert review.remnant is None or not (review.remnant.resection or review.remnant.segments)
    ev = editor.evaluation()
    assert ev.best_plan is not None and ev.best_plan.feasible
    assert editor.criteria.adopt.isEnabled(), "nothing recorded yet: the plan found must be adoptable"
    with qtbot.waitSignal(editor.review_saved):
        editor.criteria.adopt.click()
    from mdt import anatomy
    from mdt.review_edits import remnant_units

    assert set(remnant_units(saved(review_env))) == set(anatomy.expand(ev.best_plan.remnant))
    # Once a plan is recorded and no better one exists, the button rests.
    assert not editor.criteria.adopt.isEnabled()


def test_criteria_summary_sits_under_the_diagram(editor) -> None:  # noqa: ANN001, F811
    summary = editor.criteria.summary
    assert summary.parentWidget() is editor.diagram.parentWidget()
    assert "Remnant" in editor.criteria.remnant.text()


# ---------------------------------------------------------------- liver diagram
def test_diagram_colours_never_reuse_a_vessel_colour_for_selection() -> None:
    vessel_like = {COLOURS[k].name() for k in ("hepatic_vein", "portal_vein", "ivc", "involved", "tumour")}
    assert COLOURS["selected"].name() not in vessel_like


def test_the_screen_and_the_paper_draw_one_legend(qtbot) -> None:
    """The window's diagram and the PDFs' drawing read the same legend (mdt.diagram): the same words,
    swatches and colours; the paper leaves out only what needs a pointer (the selected lesion)."""
    from mdt.minutes.liver_drawing import _legend_layout
    from ui.review.diagram_widget import _SWATCH_KIND

    w = LiverDiagramWidget()
    qtbot.addWidget(w)
    screen = w._legend_entries()
    paper = [entry for entry, _x, _row in _legend_layout(500.0)]
    assert [e.words for e in paper] == [t for _k, t, _f, _e in screen if t != "Selected lesion"]
    for entry in diagram.LEGEND:
        kind, _text, fill, edge = next(s for s in screen if s[1] == entry.words)
        assert (kind, fill.name(), edge.name() if edge else None) == (
            _SWATCH_KIND[entry.swatch], entry.colour, entry.edge)
    hatched = next(s for s in screen if s[0] == "hatched")
    assert hatched[1] == "Resected (hatched)"
    assert hatched[2].name() == COLOURS["resected"].name() == diagram.PALETTE["resected"]
    assert COLOURS["tumour"].name() == diagram.PALETTE["tumour"]


def test_diagram_legend_names_the_vessels_and_grows_with_the_drawing(qtbot) -> None:
    w = LiverDiagramWidget()
    qtbot.addWidget(w)
    w.resize(400, 320)
    texts = w.legend_texts()
    assert {"Hepatic vein", "Portal vein", "Vessel in contact", "Selected lesion", "Tumour"} <= set(texts)
    small = w._legend_font().pixelSize()
    assert small >= 15
    w.resize(1400, 1000)
    assert w._legend_font().pixelSize() > small


def test_lesion_marker_keeps_a_legible_size_in_a_narrow_column(qtbot) -> None:
    w = LiverDiagramWidget()
    qtbot.addWidget(w)
    w.resize(360, 300)
    review = Review(date=datetime(2026, 1, 1).date(), lesions=(Lesion("L1", ("VI",), 8),))
    w.set_review(review)
    w.show()
    qtbot.waitExposed(w)
    image: QImage = w.grab().toImage()
    centre = w._transform().map(QPointF(*diagram.lesion_positions(review.lesions)["L1"]))
    # Below the id text but inside the marker: the tumour colour, MIN_LESION_RADIUS_PX from the centre.
    probe = image.pixelColor(int(centre.x()), int(centre.y() + MIN_LESION_RADIUS_PX - 3))
    tumour = COLOURS["tumour"]
    assert abs(probe.red() - tumour.red()) < 40 and probe.green() < 90, probe.name()
    assert isinstance(probe, QColor)


# ---------------------------------------------------------------- viewer
def test_caliper_line_names_the_lesion_it_measured(viewer, env, qtbot) -> None:  # noqa: ANN001, F811
    viewer.open_series(_series(env, "2026-03-01"), 12)
    viewer.ask_lesion = lambda length, **_where: "L2"
    viewer.caliper_btn.click()
    pane = viewer.view.current
    with qtbot.waitSignal(viewer.review_saved):
        pane.canvas.line_drawn.emit(QPointF(10, 20), QPointF(30, 20))
    assert pane.canvas.lines[-1][2] == "L2 · 15.0 mm"
    assert "font-weight: bold" in viewer.caliper_btn.styleSheet()


def test_series_browser_shows_full_descriptions_on_hover(viewer) -> None:  # noqa: ANN001, F811
    study = viewer.browser.topLevelItem(0)
    assert study.toolTip(0) == study.text(0) and "CT abdomen portal venous" in study.toolTip(0)
    assert "Portal venous 2.5 mm" in study.child(0).toolTip(0)


# ---------------------------------------------------------------- PDFs
def _text(pdf: bytes) -> str:
    return " ".join(re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(BytesIO(pdf)).pages)


def test_course_report_groups_ratings_by_value() -> None:
    from mdt.minutes import render_course_report
    from mdt.minutes.course import grouped_votes
    from tests.minutes_fixtures import PRINTED, make_case

    votes = (Vote("Ann Surgeon", "surgeon", "convertible"), Vote("Bo Surgeon", "surgeon", "resectable"),
             Vote("Cy Surgeon", "surgeon", "convertible"))
    assert grouped_votes(votes) == ("Convertible (potentially resectable): Ann Surgeon, Cy Surgeon; "
                                    "Resectable: Bo Surgeon")
    second = votes + (Vote("Di Surgeon", "surgeon", "resectable", round=2),)
    assert "Resectable (round 2): Di Surgeon" in grouped_votes(second)
    case = make_case(0, reviews=1)
    review = case.reviews[0]
    case = replace(case, reviews=(replace(review, panel=replace(review.panel, votes=votes)),))
    out = BytesIO()
    render_course_report(case, [None], out, printed_at=PRINTED)
    assert "Ann Surgeon, Cy Surgeon" in _text(out.getvalue())


def test_amendment_table_keeps_the_hospital_id_on_one_line() -> None:
    from mdt.meeting import Amendment
    from mdt.minutes import render_minutes
    from tests.minutes_fixtures import PRINTED, make_items, make_meeting

    meeting = make_meeting(2, amended=True)
    extra = Amendment(datetime(2026, 11, 21, 10, 0, tzinfo=UTC), "Dr Élise Boilève", "ECOG corrected",
                      "ecog: 1 -> 2", "MRN-100387")
    meeting = replace(meeting, amendments=meeting.amendments + (extra,))
    out = BytesIO()
    render_minutes(meeting, make_items(2), out, printed_at=PRINTED)
    last = PdfReader(BytesIO(out.getvalue())).pages[-1].extract_text() or ""
    assert "MRN-100387" in last


@pytest.mark.parametrize("path, words", [
    ("lesions[0].segments[1]", "L1 segments"), ("remnant.flr_ml", "Future remnant volume (FLR)"),
    ("panel.decision.next_review", "Decision: next review date"), ("labs.uln.ast", "AST upper limit of normal"),
    ("vessels[1].relation", "Vessel relation (row 2)"), ("panel.votes[0].rating", "Rating (row 1)"),
])
def test_field_words_table(path: str, words: str) -> None:
    from mdt.review_ops import field_label
    from tests.ui_review_fixtures import sample_case

    assert field_label(path, sample_case().reviews[0]) == words


# ---------------------------------------------------------------- keyboard
def activate(qtbot, widget) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QApplication

    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)


def test_tab_leaves_the_tables_instead_of_trapping_the_keyboard(qtbot, editor) -> None:  # noqa: ANN001, F811
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    activate(qtbot, editor)
    view = editor.lesion_view
    view.setFocus()
    model = editor.lesion_model
    view.setCurrentIndex(model.index(model.rowCount() - 1, model.columnCount() - 1))
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is editor.vessel_view
    qtbot.keyClick(editor.vessel_view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not editor.vessel_view
    # Inside the lesion table Tab still walks the cells of a row.
    view.setFocus()
    view.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is view and view.currentIndex().column() == 1
    assert not editor.criteria.table.tabKeyNavigation()


def test_alt_4_lands_in_the_panellist_field_and_enter_records_the_vote(qtbot, editor, review_env) -> None:  # noqa: ANN001, F811
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    seat_panel(review_env)
    editor.refresh_panel_context()
    activate(qtbot, editor)
    editor.lesion_view.setFocus()
    qtbot.keyClick(editor.lesion_view, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    panel = editor.vote_panel
    assert editor.tabs.currentIndex() == 3
    assert QApplication.focusWidget() is panel.member
    qtbot.keyClicks(panel.member, "A")                      # the first letter picks the panellist
    assert panel.member.currentData() == "A. Martin"
    qtbot.keyClick(panel.member, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is panel.rating
    qtbot.keyClicks(panel.rating, "c")
    qtbot.keyClick(panel.rating, Qt.Key.Key_Return)
    votes = saved(review_env).panel.votes
    assert [(v.member, v.rating) for v in votes] == [("A. Martin", "convertible")]
    assert QApplication.focusWidget() is panel.member  # ready for the next panellist
    assert panel.rating.currentData() is None          # and nothing of the last rating left on screen


def test_a_decision_on_an_incomplete_panel_claims_no_consensus(editor, review_env) -> None:  # noqa: ANN001, F811
    seat_panel(review_env)
    editor.refresh_panel_context()
    assert editor.cast_vote("A. Martin", "convertible")
    editor.reveal_votes()
    assert "incomplete — 1 of 3 expected ratings" in editor.vote_panel.result.text()
    assert editor.decide("convertible", "continue_induction", "Two surgeons absent")
    assert saved(review_env).panel.decision.rule is None
    for name in ("B. Chen", "C. Okafor"):
        assert editor.cast_vote(name, "convertible")
    assert "CONVERTIBLE (consensus)" in editor.vote_panel.result.text()
    assert editor.decide("convertible", "continue_induction", "All three agree")
    assert saved(review_env).panel.decision.rule == "consensus"


def test_pdf_lesion_labels_never_cover_a_segment_numeral() -> None:
    from reportlab.graphics.shapes import String
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from mdt.anatomy import UNITS
    from mdt.minutes.fonts import register_fonts
    from mdt.minutes.liver_drawing import _over_layer

    register_fonts()
    geo = diagram.load_geometry()
    # L1 spans I and VIII: placed right of it, its label would run over the numeral "I".
    review = Review(date=datetime(2026, 11, 19).date(), lesions=(
        Lesion("L1", ("I", "VIII"), 41, target=True), Lesion("L2", ("VIII",), 18, target=True),
        Lesion("L3", ("V",)), Lesion("L4", ("II", "IVb"), 25), Lesion("L5", ("III",), 12)))
    width = 330.0
    group = _over_layer(review, geo, width / geo.width, width)
    strings = [c for c in group.contents if isinstance(c, String)]

    def bbox(st: String) -> tuple[float, float, float, float]:
        w = stringWidth(st.text, st.fontName, st.fontSize)
        x0 = st.x - w / 2 if st.textAnchor == "middle" else st.x
        return (x0, st.y - 0.2 * st.fontSize, x0 + w, st.y + 0.75 * st.fontSize)

    numerals = [bbox(st) for st in strings if st.text in UNITS]
    labels = [bbox(st) for st in strings if st.text.startswith("L") and st.text not in UNITS]
    assert len(numerals) == len(UNITS) and len(labels) == 5
    for lb in labels:
        for nb in numerals:
            assert not (lb[0] < nb[2] and nb[0] < lb[2] and lb[1] < nb[3] and nb[1] < lb[3]), (lb, nb)


def test_criterion_status_names_its_group_so_green_not_met_reads_right(editor) -> None:  # noqa: ANN001, F811
    model = editor.criteria.model
    rows = [model.finding(r) for r in range(model.rowCount())]
    excl = next(r for r, f in enumerate(rows) if f.group == "exclusion")
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    index = model.index(excl, 0)
    editor.criteria.table.itemDelegateForColumn(0).initStyleOption(option, index)
    assert option.text.splitlines() == [model.data(index), "exclusion"]
    fm_width = editor.criteria.table.columnWidth(0)
    from PySide6.QtGui import QFont, QFontMetrics

    bold = QFont(editor.criteria.table.font())
    bold.setBold(True)
    assert fm_width >= QFontMetrics(bold).horizontalAdvance("unresectability")


def test_empty_viewer_says_how_to_get_images(viewer, env) -> None:  # noqa: ANN001, F811
    from mdt.case import Patient, ProtocolRef

    canvas = viewer.view.current.canvas
    assert "Double-click a series" in canvas.placeholder and viewer.compare_btn.isEnabled()
    env["svc"].create_patient(Patient(id="MRN-2002", name="ROE^ANN"), ProtocolRef())
    viewer.set_context(env["svc"], env["svc"].get_case("MRN-2002"), None)
    assert "No images indexed for MRN-2002" in canvas.placeholder and "Import DICOM" in canvas.placeholder
    assert not viewer.compare_btn.isEnabled()


def test_involved_structures_without_a_drawn_line_are_named(qtbot) -> None:
    from mdt.case import VesselContact

    w = LiverDiagramWidget()
    qtbot.addWidget(w)
    w.resize(600, 500)
    review = Review(date=datetime(2026, 1, 1).date(), lesions=(Lesion("L1", ("IVb",), 30),),
                    vessels=(VesselContact("BC", "encasement", "L1"), VesselContact("MHV", "contact", "L1")))
    w.set_review(review)
    assert w.undrawn_involved() == ["BC encasement"]
    notes = [item for item in w._legend_items() if item[0] == "note"]
    assert len(notes) == 1 and "BC encasement" in notes[0][1]
    w.set_review(replace(review, vessels=review.vessels[1:]))
    assert w.undrawn_involved() == [] and not [i for i in w._legend_items() if i[0] == "note"]


def test_undo_and_redo_say_what_they_did(editor, review_env) -> None:  # noqa: ANN001, F811
    assert editor.set_diameter("L1", "40")
    editor.undo_stack().undo()
    assert editor.message().startswith("Undo: ") and "version 3" in editor.message()
    assert saved(review_env).lesion("L1").diameter_mm == 42
    editor.undo_stack().redo()
    assert editor.message().startswith("Redo: ") and saved(review_env).lesion("L1").diameter_mm == 40


def test_vessel_code_tags_never_hide_a_lesion_marker(qtbot) -> None:
    from mdt.case import VesselContact

    w = LiverDiagramWidget()
    qtbot.addWidget(w)
    w.resize(370, 470)  # the diagram column of the editor at 1920×1080
    review = Review(date=datetime(2026, 11, 19).date(), lesions=(
        Lesion("L1", ("VI", "VII"), 41), Lesion("L2", ("VIII",), 18), Lesion("L3", ("V",))),
        vessels=(VesselContact("RHV", "contact", "L1"), VesselContact("RPPV", "contact", "L1")))
    w.set_review(review)
    t = w._transform()
    tags = w.vessel_tag_rects()
    assert set(tags) == {"RHV", "RPPV"}
    for les in review.lesions:
        c = t.map(QPointF(*w._positions[les.id]))
        r = w._marker_radius(les, t.m11()) * t.m11()
        marker = QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r)
        for name, tag in tags.items():
            assert not tag.intersects(marker), (name, les.id)


def test_every_criterion_row_is_tall_enough_for_its_painted_text(qtbot, editor) -> None:  # noqa: ANN001, F811
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QStyleOptionViewItem

    editor.resize(1477, 893)
    editor.show()
    qtbot.waitExposed(editor)
    table = editor.criteria.table
    delegate = table.itemDelegateForColumn(1)
    # Many column widths, so some explanation sits right at a wrapping boundary.
    for panel_width in range(380, 520, 3):
        editor.splitter.setSizes([600, 1477 - 600 - panel_width, panel_width])
        qtbot.wait(5)  # the deferred re-measure after a resize
        width = table.columnWidth(1) - 1  # what paint() gets: the cell less its grid line
        for row in range(editor.criteria.model.rowCount()):
            option = QStyleOptionViewItem()
            option.font = table.font()
            option.rect = QRect(0, 0, width, 10)
            needed = delegate._doc(option, editor.criteria.model.index(row, 1)).size().height()
            assert table.rowHeight(row) >= needed, (panel_width, row)


def test_minutes_never_pass_the_ratings_rule_off_as_the_decisions() -> None:
    from mdt.minutes import render_minutes
    from tests.minutes_fixtures import PRINTED, make_item, make_meeting

    item = make_item(0)
    review = item.case.reviews[item.review_index]
    assert review.panel.decision is not None and item.aggregate is not None
    undecided = replace(review, panel=replace(review.panel, decision=replace(review.panel.decision, rule=None)))
    reviews = list(item.case.reviews)
    reviews[item.review_index] = undecided
    item = replace(item, case=replace(item.case, reviews=tuple(reviews)))
    out = BytesIO()
    render_minutes(make_meeting(1), [item], out, printed_at=PRINTED)
    text = _text(out.getvalue())
    # The decision names no rule: the panel decided; the ratings are said to agree, not to be its rule.
    assert "Decided by the panel; the ratings give the same result by consensus" in text
    assert "the panel, by consensus" not in text


def test_cairo5_moves_on_to_round_two_and_shows_ratings_whole(qtbot, editor, review_env) -> None:  # noqa: ANN001, F811
    from mdt.case import ProtocolRef

    case = review_env.case()
    review_env.service.update_patient(case.patient, ProtocolRef("CAIRO5", "A"), reason="CAIRO5 panel")
    surgeons = tuple((name, "hepatobiliary_surgeon") for name in "ABCDE")
    seat_panel(review_env, surgeons + (("R", "diagnostic_radiologist"),))
    editor.set_context(review_env.service, review_env.case(), review_env.record())
    panel = editor.vote_panel
    # CAIRO5 counts surgeons only: the radiologist present is not offered.
    assert [panel.member.itemData(i) for i in range(1, panel.member.count())] == list("ABCDE")
    assert "0 of 3 round-1 ratings recorded" in panel.progress.text()
    for name, rating in (("A", "resectable"), ("B", "convertible"), ("C", "permanently_unresectable")):
        assert editor.cast_vote(name, rating)
    assert panel.expectation.round == 2, "no first-round consensus: the next ratings are round 2"
    assert "0 of 2 round-2 ratings recorded" in panel.progress.text()
    panel.member.setCurrentIndex(panel.member.findData("D"))
    panel.rating.setCurrentIndex(panel.rating.findData("convertible"))
    panel._record_clicked()
    assert [v.round for v in saved(review_env).panel.votes if v.member == "D"] == [2]
    header = panel.votes_view.horizontalHeader()
    assert header.sectionResizeMode(3) == header.ResizeMode.ResizeToContents
