"""Item models of the review editor: Qt's model tester, and what each cell shows and edits."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from PySide6.QtCore import Qt

from mdt import glossary
from mdt import review_edits as edits
from mdt.case import Panel
from mdt.evaluation import Finding
from tests.ui_review_fixtures import sample_case
from ui.review.criteria_panel import CriteriaModel
from ui.review.lesion_table import COL_DIAMETER, COL_SEGMENTS, COL_STATUS, COL_TARGET, LesionTableModel
from ui.review.vessel_grid import VesselGridModel
from ui.review.vote_panel import HIDDEN, VotesModel


class Recorder:
    """Stands in for the editor's request(): applies the edit and shows the result, like the editor."""

    def __init__(self, model, review) -> None:  # noqa: ANN001
        self.model = model
        self.review = review
        self.reasons: list[str] = []

    def __call__(self, fn) -> bool:  # noqa: ANN001
        e = fn(self.review)
        self.review = e.review
        self.reasons.append(e.reason)
        self.model.set_review(self.review)
        return True


def test_lesion_model_passes_the_model_tester(qtmodeltester) -> None:  # noqa: ANN001
    model = LesionTableModel()
    model.set_review(sample_case().reviews[0])
    qtmodeltester.check(model)


def test_lesion_model_shows_and_edits_cells(qtmodeltester) -> None:  # noqa: ANN001
    model = LesionTableModel()
    r = sample_case().reviews[0]
    model.set_review(r)
    rec = Recorder(model, r)
    model.set_request(rec)
    assert model.data(model.index(0, COL_SEGMENTS)) == "VII, VIII"
    assert model.data(model.index(0, COL_DIAMETER)) == "42"
    assert model.data(model.index(0, COL_TARGET), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.setData(model.index(0, COL_DIAMETER), "40")
    assert rec.reasons[-1] == "L1 diameter 42 → 40 mm"
    assert model.setData(model.index(1, COL_SEGMENTS), "2 3")
    assert model.data(model.index(1, COL_SEGMENTS)) == "II, III"
    assert model.setData(model.index(1, COL_TARGET), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert rec.review.lesion("L2").target is False
    assert model.setData(model.index(1, COL_STATUS), "ablated")
    # Growing and shrinking keep the model consistent for the tester.
    rec(partial(edits.add_lesion, segments=("VI",)))
    assert model.rowCount() == 3
    rec(partial(edits.remove_lesion, lesion_id="L1"))
    assert model.rowCount() == 2
    qtmodeltester.check(model)


def test_lesion_model_reports_invalid_text_and_keeps_the_value(qtbot) -> None:  # noqa: ANN001
    model = LesionTableModel()
    r = sample_case().reviews[0]
    model.set_review(r)
    rec = Recorder(model, r)
    model.set_request(rec)
    with qtbot.waitSignal(model.problem) as blocker:
        assert not model.setData(model.index(0, COL_DIAMETER), "0")
    assert blocker.args[0].problems[0].path == "lesions[0].diameter_mm"
    with qtbot.waitSignal(model.problem):
        assert not model.setData(model.index(0, COL_SEGMENTS), "IX")
    assert rec.reasons == []
    assert model.data(model.index(0, COL_DIAMETER)) == "42"


def test_vessel_grid_passes_the_model_tester_and_edits(qtmodeltester) -> None:  # noqa: ANN001
    model = VesselGridModel()
    r = sample_case().reviews[0]
    model.set_review(r)
    qtmodeltester.check(model)
    rec = Recorder(model, r)
    model.set_request(rec)
    rhv = edits.VESSEL_STRUCTURES.index("RHV")
    mhv = edits.VESSEL_STRUCTURES.index("MHV")
    assert model.data(model.index(rhv, 0)) == "contact"
    assert model.headerData(0, Qt.Orientation.Horizontal) == "L1"
    assert model.headerData(2, Qt.Orientation.Horizontal) == "no lesion"
    assert model.headerData(rhv, Qt.Orientation.Vertical) == "RHV  right hepatic vein"
    assert model.setData(model.index(mhv, 1), "encasement")
    assert edits.vessel_relation(rec.review, "L2", "MHV") == "encasement"
    assert model.setData(model.index(rhv, 0), "")
    assert edits.vessel_relation(rec.review, "L1", "RHV") is None
    assert model.setData(model.index(0, 2), "thrombus")
    assert edits.vessel_relation(rec.review, None, "MPV") == "thrombus"
    assert not model.setData(model.index(0, 0), "touching")
    qtmodeltester.check(model)


def test_criteria_and_votes_models_pass_the_model_tester(qtmodeltester) -> None:  # noqa: ANN001
    crit = CriteriaModel()
    crit.set_findings((Finding("u1", "unresectability", "met", "why", "src", "U1"),
                       Finding("e1", "exclusion", "unknown", "no data", "src", "E1", ("lesions",))))
    qtmodeltester.check(crit)
    assert crit.data(crit.index(1, 0)) == "? unknown"
    votes = VotesModel()
    from mdt.votes import record_rating

    cast, _why = record_rating((), member="A", role="surgeon", rating="convertible")
    r = replace(sample_case().reviews[0], panel=Panel(votes=cast))
    votes.set_votes(r.panel.votes, revealed=False)
    qtmodeltester.check(votes)
    assert votes.data(votes.index(0, 3)) == HIDDEN
    votes.set_votes(r.panel.votes, revealed=True)
    assert votes.data(votes.index(0, 3)) == "convertible"


def test_many_qt_calls_do_not_exhaust_none() -> None:
    """PySide6-Essentials 6.12.0 on CPython 3.11 dropped a reference to None per void Qt
    call and aborted the process after ~1,000 calls; requirements.txt pins a release
    without the bug.  Run in a child process so an abort fails this test, not the suite."""
    import subprocess
    import sys

    code = (
        "from PySide6.QtWidgets import QApplication, QWidget\n"
        "app = QApplication([]); w = QWidget()\n"
        "for _ in range(20000):\n"
        "    w.setEnabled(True); w.isEnabled(); w.repaint()\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-500:]


def test_presentation_widgets_are_read_only_and_large(qtbot) -> None:  # noqa: ANN001
    from mdt.evaluation import Evaluation
    from ui.review.criteria_panel import CriteriaPanel
    from ui.review.diagram_widget import LiverDiagramWidget

    diagram = LiverDiagramWidget(read_only=True)
    qtbot.addWidget(diagram)
    diagram.resize(800, 600)
    diagram.set_review(sample_case().reviews[0])
    with qtbot.assertNotEmitted(diagram.unit_clicked):
        qtbot.mouseClick(diagram, Qt.MouseButton.LeftButton, pos=diagram.unit_centre("VII").toPoint())
    roles = diagram.roles()
    assert "tumour" in roles["VII"] and "resected" in roles["VII"] and "remnant" in roles["III"]
    panel = CriteriaPanel(presentation=True)
    qtbot.addWidget(panel)
    ev = Evaluation("NCT05103020", "1", "t", 0, "2026-01-15", 0, "convertible", "eligible",
                    (Finding("u2", "unresectability", "met", "L1 touches RHV", "src", "U2"),), None, None)
    panel.set_evaluation(ev)
    assert panel.verdict_title.text() == glossary.PROTOCOL_VERDICT
    assert panel.resectability.text() == "● CONVERTIBLE — unresectable now"
    assert panel.resectability.font().pointSize() >= 26
    assert not panel.adopt.isVisible()


def test_every_segment_label_hits_its_own_segment(qtbot) -> None:  # noqa: ANN001
    from mdt.anatomy import UNITS
    from ui.review.diagram_widget import LiverDiagramWidget

    diagram = LiverDiagramWidget()
    qtbot.addWidget(diagram)
    for size in ((640, 480), (1200, 500), (400, 700)):
        diagram.resize(*size)
        assert {u: diagram.unit_at(diagram.unit_centre(u)) for u in UNITS} == {u: u for u in UNITS}


def test_a_missing_diameter_reads_as_what_recist_counts() -> None:
    """A present target without a diameter is "5 (too small)" in the mm column (it adds 5 mm to the sums),
    never a blank and never "not measured", which would hide that it counts."""
    review = sample_case().reviews[0]
    review = edits.set_diameter(review, "L1", None).review
    review = edits.set_target(review, "L2", False).review
    review = edits.set_diameter(review, "L2", None).review
    model = LesionTableModel()
    model.set_review(review)
    cell = model.index(0, COL_DIAMETER)
    assert model.data(cell) == "5 (too small)"
    assert "counts 5 mm" in model.data(cell, Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(1, COL_DIAMETER)) == "not measured"
