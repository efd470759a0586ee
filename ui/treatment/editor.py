"""Treatment course editor: regimen, the cycles given (date, dose reduction,
toxicity grade), the outcome, and the next review the protocol proposes.

Each accepted change builds a new ``mdt.case.Treatment`` and hands it to the
window's ``apply`` callback, which saves it through the service and pushes it on
the undo stack; a ``ValidationError`` from the service is shown inline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mdt.case import OUTCOMES, Case, CycleGiven, Treatment
from mdt.errors import FieldProblem, MdtError, ValidationError
from ui.patients.dialogs import parse_optional_date, problems_text
from ui.style import fit_columns, label

ApplyFn = Callable[[str, Treatment | None, Treatment | None, str], None]
"""(patient id the form was filled for, new, old, description) -> None; raises MdtError when the
change is refused (another patient's record is open now, an invalid value)."""

_Index = QModelIndex | QPersistentModelIndex
CYCLE_COLUMNS = ("Cycle", "Date", "Dose reduction", "Toxicity grade", "Note")


class CyclesModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._cycles: list[CycleGiven] = []

    def set_cycles(self, cycles: tuple[CycleGiven, ...]) -> None:
        self.beginResetModel()
        self._cycles = sorted(cycles, key=lambda c: (c.number, c.date))
        self.endResetModel()

    def cycle(self, row: int) -> CycleGiven:
        return self._cycles[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._cycles)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(CYCLE_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(CYCLE_COLUMNS):
            return CYCLE_COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole \
                or not (0 <= index.row() < len(self._cycles)):
            return None
        c = self._cycles[index.row()]
        return (
            str(c.number), c.date.isoformat(),
            "" if c.dose_reduction_pct is None else f"{c.dose_reduction_pct:g} %",
            "not recorded" if c.toxicity_grade is None else f"grade {c.toxicity_grade}",
            c.note or "",
        )[index.column()]


class TreatmentEditor(QWidget):
    def __init__(self, undo_stack: QUndoStack, apply: ApplyFn, parent: QWidget | None = None):
        super().__init__(parent)
        self.undo_stack = undo_stack
        self._apply = apply
        self.case: Case | None = None
        self.treatment: Treatment | None = None
        self.interval: dict = {"weeks": 8, "cycles": 4}
        self.today = date.today()

        self.regimen = QLineEdit()
        self.regimen.setPlaceholderText("e.g. FOLFOXIRI + bevacizumab")
        self.regimen.editingFinished.connect(self._regimen_done)
        self.start = QLineEdit()
        self.start.setPlaceholderText("YYYY-MM-DD")
        self.start.editingFinished.connect(self._start_done)
        self.outcome = QComboBox()
        self.outcome.addItem("not recorded", "")
        for code in OUTCOMES:
            self.outcome.addItem(label(code), code)
        self.outcome.activated.connect(lambda _i: self._outcome_done())
        self.outcome_date = QLineEdit()
        self.outcome_date.setPlaceholderText("YYYY-MM-DD")
        self.outcome_date.editingFinished.connect(self._outcome_done)
        self.protocol = QLabel("")
        self.protocol.setWordWrap(True)
        self.protocol.setToolTip("Protocol and arm are part of the patient record: Edit patient (Ctrl+E)")
        course = QGroupBox("Course")
        form = QFormLayout(course)
        form.addRow("Protocol, arm", self.protocol)
        form.addRow("Re&gimen", self.regimen)
        form.addRow("S&tart date", self.start)
        form.addRow("O&utcome", self.outcome)
        form.addRow("Out&come date", self.outcome_date)

        self.cycles = CyclesModel(self)
        self.table = QTableView()
        self.table.setModel(self.cycles)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.activated.connect(self._load_cycle)

        self.number = QSpinBox()
        self.number.setRange(1, 99)
        self.number.setAccessibleName("Cycle number")
        self.cycle_date = QLineEdit()
        self.cycle_date.setPlaceholderText("YYYY-MM-DD")
        self.cycle_date.setAccessibleName("Cycle date")
        self.dose = QLineEdit()
        self.dose.setPlaceholderText("% (empty: none)")
        self.dose.setAccessibleName("Dose reduction")
        self.toxicity = QComboBox()
        self.toxicity.addItem("not recorded", None)
        for g in range(6):
            self.toxicity.addItem(f"grade {g}", g)
        self.toxicity.setAccessibleName("Toxicity grade")
        self.note = QLineEdit()
        self.note.setAccessibleName("Cycle note")
        for w in (self.cycle_date, self.dose, self.note):
            w.returnPressed.connect(self.add_or_update_cycle)
        self.add_button = QPushButton("&Add / update cycle")
        self.add_button.clicked.connect(self.add_or_update_cycle)
        self.remove_button = QPushButton("Remove c&ycle")
        self.remove_button.clicked.connect(self.remove_selected_cycle)
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self.remove_selected_cycle)
        # Two rows, not one: a single row of nine fields made the tab 990 px wide at the least,
        # which pushed the window past a 1366 px laptop screen.
        entry = QGridLayout()
        for i, (text, w) in enumerate((("Cycle", self.number), ("Date", self.cycle_date),
                                       ("Dose reduction", self.dose), ("Toxicity", self.toxicity))):
            entry.addWidget(QLabel(text), 0, 2 * i)
            entry.addWidget(w, 0, 2 * i + 1)
        entry.addWidget(QLabel("Note"), 1, 0)
        entry.addWidget(self.note, 1, 1, 1, 5)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        entry.addLayout(buttons, 1, 6, 1, 2)
        for col in (3, 5, 7):
            entry.setColumnStretch(col, 1)
        cycles_box = QGroupBox("Cycles given")
        cycles_layout = QVBoxLayout(cycles_box)
        cycles_layout.addWidget(self.table, 1)
        cycles_layout.addLayout(entry)

        self.error = QLabel("")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Error message")
        self.schedule = QLabel("")
        self.schedule.setWordWrap(True)
        self.schedule.setProperty("role", "verdict")

        layout = QVBoxLayout(self)
        layout.addWidget(course)
        layout.addWidget(cycles_box, 1)
        layout.addWidget(self.schedule)
        layout.addWidget(self.error)
        self.setEnabled(False)

    # ---- content ---------------------------------------------------------------------
    def set_case(self, case: Case | None, interval: dict, today: date) -> None:
        self.case, self.interval, self.today = case, interval, today
        self.treatment = case.treatment if case else None
        self.setEnabled(case is not None)
        t = self.treatment
        proto = case.protocol if case else None
        self.protocol.setText(
            "" if proto is None else f"{proto.id or 'no protocol'}, arm {proto.arm or 'not recorded'}"
            "   (Ctrl+E to change)")
        self.regimen.setText((t.regimen or "") if t else "")
        self.start.setText(t.start_date.isoformat() if t and t.start_date else "")
        self.outcome.setCurrentIndex(max(0, self.outcome.findData((t.outcome or "") if t else "")))
        self.outcome_date.setText(t.outcome_date.isoformat() if t and t.outcome_date else "")
        # With follow-up events the end is theirs (mdt.course_end): shown, not typed.
        derived = case is not None and case.follow_up is not None
        for w in (self.outcome, self.outcome_date):
            w.setEnabled(not derived)
            w.setToolTip("Follows from the follow-up events: record them in the Follow-up tab (Ctrl+7)"
                         if derived else "An end recorded without events; the Follow-up tab records them")
        self.cycles.set_cycles(t.cycles if t else ())
        fit_columns(self.table, stretch=CYCLE_COLUMNS.index("Note"))
        next_number = (max((c.number for c in t.cycles), default=0) + 1) if t else 1
        self.number.setValue(min(99, next_number))
        self.cycle_date.clear()
        self.dose.clear()
        self.toxicity.setCurrentIndex(0)
        self.note.clear()
        self.error.clear()
        self._update_schedule()

    def _update_schedule(self) -> None:
        case = self.case
        if case is None:
            self.schedule.setText("")
            return
        from mdt.panel import cycle_on, is_overdue, plan_next_review

        t = self.treatment
        lines = []
        current = cycle_on(t, self.today) if t else None
        lines.append("Cycles completed today: " + ("not recorded" if current is None else str(current)))
        if case.reviews:
            last = case.reviews[-1]
            decided = last.panel.decision.next_review if last.panel.decision else None
            proposal = plan_next_review(last.date, self.interval, t)
            text = f"Next review proposed: {proposal.date.isoformat()} ({proposal.basis})"
            if decided is not None:
                text += f"; panel set {decided.isoformat()}"
            due = decided or proposal.date
            if is_overdue(due, self.today):
                text += "  — OVERDUE"
            lines.append(text)
        else:
            lines.append("No review yet: the baseline review is due.")
        self.schedule.setText("\n".join(lines))

    # ---- edits -----------------------------------------------------------------------
    def _base(self) -> Treatment:
        return self.treatment or Treatment()

    def _commit(self, new: Treatment, text: str) -> bool:
        old = self.treatment
        if new == old or self.case is None:
            return True
        try:
            self._apply(self.case.patient.id, new, old, text)
        except MdtError as exc:
            self.error.setText(problems_text(exc))
            return False
        self.error.clear()
        return True

    def _regimen_done(self) -> None:
        if self.case is None:
            return
        text = self.regimen.text().strip() or None
        if text != self._base().regimen:
            self._commit(replace(self._base(), regimen=text), f"regimen → {text or 'not recorded'}")

    def _start_done(self) -> None:
        if self.case is None:
            return
        try:
            start = parse_optional_date(self.start.text(), "treatment.start_date")
        except ValidationError as exc:
            self.error.setText(problems_text(exc))
            return
        if start != self._base().start_date:
            self._commit(replace(self._base(), start_date=start),
                         f"treatment start → {start.isoformat() if start else 'not recorded'}")

    def _outcome_done(self) -> None:
        if self.case is None:
            return
        try:
            when = parse_optional_date(self.outcome_date.text(), "treatment.outcome_date")
        except ValidationError as exc:
            self.error.setText(problems_text(exc))
            return
        outcome = self.outcome.currentData() or None
        base = self._base()
        if (outcome, when) != (base.outcome, base.outcome_date):
            self._commit(replace(base, outcome=outcome, outcome_date=when),
                         f"outcome → {label(outcome) if outcome else 'not recorded'}")

    def cycle_from_form(self) -> CycleGiven:
        """The cycle in the entry row; ValidationError naming the field when a value is wrong."""
        when = parse_optional_date(self.cycle_date.text(), "treatment.cycles[].date")
        if when is None:
            raise ValidationError(FieldProblem("treatment.cycles[].date", "the cycle date is required"))
        dose_text = self.dose.text().strip().rstrip("%").strip()
        dose: float | int | None = None
        if dose_text:
            try:
                dose = float(dose_text)
            except ValueError:
                raise ValidationError(FieldProblem("treatment.cycles[].dose_reduction_pct",
                                                   f"'{dose_text}' is not a number")) from None
            if not 0 <= dose <= 100:
                raise ValidationError(FieldProblem("treatment.cycles[].dose_reduction_pct",
                                                   "must be between 0 and 100 %"))
            dose = int(dose) if dose == int(dose) else dose
        return CycleGiven(number=self.number.value(), date=when, dose_reduction_pct=dose,
                          toxicity_grade=self.toxicity.currentData(), note=self.note.text().strip() or None)

    def add_or_update_cycle(self) -> bool:
        if self.case is None:
            return False
        try:
            cycle = self.cycle_from_form()
        except ValidationError as exc:
            self.error.setText(problems_text(exc))
            return False
        base = self._base()
        others = tuple(c for c in base.cycles if c.number != cycle.number)
        replacing = len(others) != len(base.cycles)
        cycles = tuple(sorted((*others, cycle), key=lambda c: c.number))
        start = base.start_date or min(c.date for c in cycles)
        ok = self._commit(replace(base, cycles=cycles, start_date=start),
                          f"{'update' if replacing else 'add'} cycle {cycle.number} ({cycle.date.isoformat()})")
        if ok:
            self.number.setValue(min(99, max(c.number for c in cycles) + 1))
            self.cycle_date.clear()
            self.dose.clear()
            self.toxicity.setCurrentIndex(0)
            self.note.clear()
            self.cycle_date.setFocus()
        return ok

    def remove_selected_cycle(self) -> bool:
        index = self.table.currentIndex()
        if self.case is None or not index.isValid():
            return False
        cycle = self.cycles.cycle(index.row())
        base = self._base()
        cycles = tuple(c for c in base.cycles if c != cycle)
        return self._commit(replace(base, cycles=cycles), f"remove cycle {cycle.number}")

    def _load_cycle(self, index: QModelIndex) -> None:
        c = self.cycles.cycle(index.row())
        self.number.setValue(c.number)
        self.cycle_date.setText(c.date.isoformat())
        self.dose.setText("" if c.dose_reduction_pct is None else f"{c.dose_reduction_pct:g}")
        self.toxicity.setCurrentIndex(max(0, self.toxicity.findData(c.toxicity_grade))
                                      if c.toxicity_grade is not None else 0)
        self.note.setText(c.note or "")
        self.cycle_date.setFocus()
