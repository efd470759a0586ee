"""Timeline (reviews by date and cycle, RECIST, target-sum chart) and the
treatment course editor (cycles with dates, dose reductions, toxicity; undo)."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtGui import QUndoStack

from mdt.case import Case, CycleGiven, Lesion, Patient, Review, Treatment
from mdt.services import Actor, MdtService
from tests.ui_shell_fixtures import *  # noqa: F401,F403
from tests.ui_shell_fixtures import FIXED_TODAY
from ui.patients.timeline import COLUMNS, TimelineModel, TimelineWidget, build_rows
from ui.treatment.editor import CyclesModel, TreatmentEditor
from ui.undo import apply_and_push


def _review(day: date, cycle: int, *diameters: float) -> Review:
    lesions = tuple(Lesion(id=f"L{i + 1}", segments=("VII",), diameter_mm=d, target=True)
                    for i, d in enumerate(diameters))
    return Review(date=day, cycle=cycle, lesions=lesions)


CASE = Case(patient=Patient(id="T-1", name="TEST^Case"), reviews=(
    _review(date(2026, 1, 5), 0, 40, 30),
    _review(date(2026, 3, 2), 4, 30, 20),
    _review(date(2026, 5, 4), 8, 20, 10),
))


def test_rows_follow_the_reviews_with_recist(qapp):
    rows = build_rows(CASE)
    assert [r.date for r in rows] == [r.date for r in CASE.reviews]
    assert [r.cycle for r in rows] == [0, 4, 8]
    assert [r.sld_mm for r in rows] == [70, 50, 30]
    assert rows[0].change_pct is None
    assert rows[2].change_pct == pytest.approx(-57.1, abs=0.05)
    assert rows[2].response == "PR"
    assert all(r.decision is None for r in rows)


def test_timeline_model_passes_tester_and_takes_verdicts(qtmodeltester):
    model = TimelineModel()
    model.set_rows(build_rows(CASE))
    qtmodeltester.check(model)
    col = COLUMNS.index("Protocol verdict")
    assert model.index(0, col).data() == "…"
    model.set_verdicts({0: "convertible", 2: "resectable"})
    assert model.index(0, col).data() == "convertible"
    assert model.index(2, col).data() == "resectable"
    assert model.index(1, COLUMNS.index("Panel decision")).data() == "not decided"


def test_chart_draws_the_course_of_the_target_sum(qtbot):
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.set_case(CASE)
    assert [p[1] for p in widget.chart.points()] == [70, 50, 30]
    image = widget.chart.grab().toImage()
    # The line is drawn in the accent blue somewhere in the chart.
    blues = sum(1 for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)
                if image.pixelColor(x, y).name() == "#1f5fa8")
    assert blues > 10
    widget.set_case(None)
    assert widget.model.rowCount() == 0


def test_cycles_model_passes_tester(qtmodeltester):
    model = CyclesModel()
    model.set_cycles((CycleGiven(2, date(2026, 1, 19), 20, 2), CycleGiven(1, date(2026, 1, 5))))
    qtmodeltester.check(model)
    assert model.index(0, 0).data() == "1"
    assert model.index(1, 2).data() == "20 %"
    assert model.index(0, 3).data() == "not recorded"


@pytest.fixture
def editor_setup(qtbot, seeded_db, chair):
    service = MdtService(seeded_db, Actor.for_member(chair))
    from mdt.case import ProtocolRef

    service.create_patient(Patient(id="TX-1", name="COURSE^Test"), ProtocolRef("NCT05103020", "A"))
    stack = QUndoStack()
    holder: dict[str, TreatmentEditor] = {}

    def refresh() -> None:
        holder["e"].set_case(service.get_case("TX-1"), {"weeks": 8, "cycles": 4}, FIXED_TODAY)

    def apply(_patient_id, new, old, text):
        apply_and_push(stack, text, lambda: service.set_treatment("TX-1", new, text),
                       lambda: service.set_treatment("TX-1", old, "undo"), after=refresh)

    editor = TreatmentEditor(stack, apply)
    holder["e"] = editor
    qtbot.addWidget(editor)
    refresh()
    return editor, service, stack


def test_cycles_are_saved_at_once_and_undone(editor_setup, qtbot):
    editor, service, stack = editor_setup
    assert editor.protocol.text().startswith("NCT05103020, arm A")
    editor.regimen.setText("FOLFOXIRI")
    editor.regimen.editingFinished.emit()
    assert service.get_case("TX-1").treatment.regimen == "FOLFOXIRI"
    editor.cycle_date.setText("2026-09-01")
    assert editor.add_or_update_cycle()
    assert editor.number.value() == 2                       # ready for the next cycle
    editor.cycle_date.setText("2026-09-15")
    editor.dose.setText("20")
    editor.toxicity.setCurrentIndex(editor.toxicity.findData(3))
    assert editor.add_or_update_cycle()
    t = service.get_case("TX-1").treatment
    assert [(c.number, c.date, c.dose_reduction_pct, c.toxicity_grade) for c in t.cycles] == [
        (1, date(2026, 9, 1), None, None), (2, date(2026, 9, 15), 20, 3)]
    assert t.start_date == date(2026, 9, 1)
    assert "Cycles completed today: 2" in editor.schedule.text()
    stack.undo()
    assert len(service.get_case("TX-1").treatment.cycles) == 1
    stack.redo()
    assert len(service.get_case("TX-1").treatment.cycles) == 2


@pytest.mark.parametrize(("field", "text", "message"), [
    ("cycle_date", "", "the cycle date is required"),
    ("cycle_date", "2026-13-01", "is not a date"),
    ("dose", "abc", "is not a number"),
    ("dose", "150", "between 0 and 100"),
])
def test_invalid_cycle_values_are_named_inline_and_nothing_is_saved(editor_setup, field, text, message):
    editor, service, stack = editor_setup
    if field != "cycle_date":
        editor.cycle_date.setText("2026-09-01")
    getattr(editor, field).setText(text)
    assert not editor.add_or_update_cycle()
    assert message in editor.error.text()
    assert service.get_case("TX-1").treatment is None or not service.get_case("TX-1").treatment.cycles
    assert stack.count() == 0


def test_next_review_is_proposed_from_the_protocol_interval(editor_setup):
    editor, service, _stack = editor_setup
    service.set_treatment("TX-1", Treatment(regimen="FOLFOX", cycles=tuple(
        CycleGiven(n, date(2026, 7, 6) + (n - 1) * (date(2026, 7, 20) - date(2026, 7, 6))) for n in range(1, 9))))
    service.add_review("TX-1", Review(date=date(2026, 7, 3), cycle=0))
    editor.set_case(service.get_case("TX-1"), {"weeks": 8, "cycles": 4}, FIXED_TODAY)
    text = editor.schedule.text()
    assert "Next review proposed: 2026-08-31" in text     # cycle 4 given 2026-08-17, + one 14-day cycle
    assert "OVERDUE" in text
