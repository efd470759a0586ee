"""The Outcomes view: filters (protocol, arm, enrolment period), the endpoint table per arm
with what each figure counts and leaves out, and the figures (Kaplan-Meier with numbers at
risk, waterfall, swimmer).  A click on a bar or a lane opens that patient.

The patients' facts are computed once per load (on a worker thread when the window gives a
task runner); a filter change only recomputes the statistics.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mdt import glossary
from mdt.outcomes.facts import PatientFacts
from mdt.outcomes.report import OVERALL, Filters, OutcomesReport, Section, build_report
from mdt.services import MdtService
from ui.outcomes.painter import FigureWidget

ALL = ""


class OutcomesView(QWidget):
    """Emits ``patient_requested`` with a hospital ID when a bar or lane is clicked."""

    patient_requested = Signal(str)
    reload_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.facts: list[PatientFacts] = []
        self.report: OutcomesReport | None = None
        self.section: Section | None = None
        self.protocol = QComboBox()
        self.protocol.setAccessibleName("Outcomes protocol filter")
        self.arm = QComboBox()
        self.arm.setAccessibleName("Outcomes arm filter")
        self.enrolled_from = QLineEdit()
        self.enrolled_from.setPlaceholderText("enrolled from YYYY-MM-DD")
        self.enrolled_from.setMinimumWidth(110)
        self.enrolled_from.setAccessibleName("Enrolled from")
        self.enrolled_to = QLineEdit()
        self.enrolled_to.setPlaceholderText("to YYYY-MM-DD")
        self.enrolled_to.setMinimumWidth(110)
        self.enrolled_to.setAccessibleName("Enrolled to")
        self.refresh_button = QPushButton("Re&load")
        self.refresh_button.setToolTip("Read the patients again from the database")
        self.refresh_button.clicked.connect(self.reload_requested)
        self.pdf_button = QPushButton("Outcomes &report (PDF)…")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setProperty("role", "hint")
        self.error = QLabel("")
        self.error.setProperty("role", "error")
        # Filters on one row, actions on the next: the tab fits a 1366-pixel laptop.
        bar = QHBoxLayout()
        for text, w in (("Protocol", self.protocol), ("Arm", self.arm)):
            bar.addWidget(QLabel(text))
            bar.addWidget(w)
        bar.addWidget(QLabel("Period"))
        bar.addWidget(self.enrolled_from)
        bar.addWidget(self.enrolled_to)
        bar.addStretch(1)
        # With every protocol chosen, each protocol keeps its own section (its endpoints follow
        # its own settings, so patients are never pooled across protocols): choose which.
        self.section_choice = QComboBox()
        self.section_choice.setAccessibleName("Outcomes section shown")
        self.section_label = QLabel("Showing")
        self.section_choice.currentIndexChanged.connect(self._section_changed)
        actions = QHBoxLayout()
        actions.addWidget(self.refresh_button)
        actions.addWidget(self.pdf_button)
        actions.addWidget(self.section_label)
        actions.addWidget(self.section_choice)
        actions.addStretch(1)
        self.protocol.currentIndexChanged.connect(self._protocol_changed)
        self.arm.currentIndexChanged.connect(lambda _i: self.recompute())
        self.enrolled_from.editingFinished.connect(self.recompute)
        self.enrolled_to.editingFinished.connect(self.recompute)

        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setAccessibleName("Endpoints per arm")
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.notes.setProperty("role", "hint")

        self.km = {key: FigureWidget() for key in ("pfs", "hepatic_pfs", "os")}
        self.waterfall = FigureWidget()
        self.swimmer = FigureWidget()
        for w in (self.waterfall, self.swimmer):
            w.patient_clicked.connect(self.patient_requested)
        self.figures = QTabWidget()
        km_page = QWidget()
        km_layout = QVBoxLayout(km_page)
        for w in self.km.values():
            km_layout.addWidget(w)
        km_layout.addStretch(1)
        for page, name in ((km_page, "Kaplan-Meier"), (self.waterfall, "Waterfall"), (self.swimmer, "Swimmer")):
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(page)
            self.figures.addTab(scroll, name)
        self.figures.setMinimumHeight(180)
        # The notes scroll in a few lines and the table and the figures share a splitter, so
        # on a 768-pixel screen the endpoints stay readable (drag the handle for the curves).
        notes_scroll = QScrollArea()
        notes_scroll.setWidgetResizable(True)
        notes_scroll.setWidget(self.notes)
        notes_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        notes_scroll.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 8)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(notes_scroll)
        self.table.setMinimumHeight(self.fontMetrics().lineSpacing() * 8)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(self.figures)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.splitter, 1)

    # ---- data --------------------------------------------------------------------------
    def set_facts(self, facts: list[PatientFacts]) -> None:
        self.facts = list(facts)
        current = self.protocol.currentData()
        self.protocol.blockSignals(True)
        self.protocol.clear()
        protocols = sorted({f.protocol_id for f in facts if f.protocol_id})
        for pid in protocols:
            self.protocol.addItem(pid, pid)
        self.protocol.addItem("every protocol", ALL)
        wanted = current if current in protocols else (_busiest(facts) or ALL)
        self.protocol.setCurrentIndex(max(0, self.protocol.findData(wanted)))
        self.protocol.blockSignals(False)
        self._protocol_changed()

    def _protocol_changed(self) -> None:
        pid = self.protocol.currentData() or None
        arms = sorted({f.arm for f in self.facts if f.arm and (pid is None or f.protocol_id == pid)})
        self.arm.blockSignals(True)
        self.arm.clear()
        self.arm.addItem("every arm", ALL)
        for a in arms:
            self.arm.addItem(a, a)
        self.arm.blockSignals(False)
        self.recompute()

    def filters(self) -> Filters | None:
        dates: dict[str, date | None] = {}
        for name, edit in (("enrolled_from", self.enrolled_from), ("enrolled_to", self.enrolled_to)):
            text = edit.text().strip()
            try:
                dates[name] = date.fromisoformat(text) if text else None
            except ValueError:
                self.error.setText(f"Enrolment period: '{text}' is not a date; write it as YYYY-MM-DD.")
                return None
        self.error.clear()
        return Filters(protocol=self.protocol.currentData() or None, arm=self.arm.currentData() or None,
                       by_arm=True, **dates)

    def recompute(self) -> None:
        filters = self.filters()
        if filters is None:
            return
        self.report = build_report(self.facts, filters)
        kept = sum(len(s.patients[OVERALL]) for s in self.report.sections)
        self.status.setText(f"{kept} of {len(self.facts)} patients match. Every rate: intention-to-treat "
                            f"unless the protocol says otherwise; hover a row for what it counts and leaves out. "
                            f"Click a bar or a lane to open the patient.")
        shown = self.section.protocol_id if self.section is not None else None
        sections = self.report.sections
        self.section_choice.blockSignals(True)
        self.section_choice.clear()
        for sec in sections:
            n = len(sec.patients[OVERALL])
            self.section_choice.addItem(f"{sec.protocol_id} ({n} patient{'s' if n != 1 else ''})",
                                        sec.protocol_id)
        keep = self.section_choice.findData(shown) if shown is not None else -1
        self.section_choice.setCurrentIndex(keep if keep >= 0 else (0 if sections else -1))
        self.section_choice.blockSignals(False)
        for w in (self.section_choice, self.section_label):
            w.setVisible(len(sections) > 1)
        self._section_changed()

    def _section_changed(self) -> None:
        sections = self.report.sections if self.report else ()
        i = self.section_choice.currentIndex()
        self.section = sections[i] if 0 <= i < len(sections) else (sections[0] if sections else None)
        self._fill_table()
        self._fill_figures()

    # ---- rendering ---------------------------------------------------------------------
    def _fill_table(self) -> None:
        s = self.section
        self.table.clear()
        if s is None:
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            self.notes.setText("No patient matches the filters.")
            return
        cols = ["Endpoint", *[g if g != OVERALL else "Overall" for g in s.groups], "Between arms"]
        self.table.setColumnCount(len(cols))
        self.table.setHorizontalHeaderLabels(cols)
        self.table.setRowCount(len(s.rows))
        for r, row in enumerate(s.rows):
            tip = f"Counts: {row.counts}\nLeaves out: {row.leaves_out}"
            values = [row.label, *[row.cells[g].text for g in s.groups], row.comparison or "–"]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        # Rows follow the columns' width as it changes (a tab filled while hidden, a narrow screen):
        # a long comparison wraps, never cut.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        others = len(self.report.sections) - 1 if self.report else 0
        more = (f"  ({glossary.plural(others, 'more protocol')}, each with its own "
                "settings: choose it beside \"Showing\")") if others > 0 else ""
        self.notes.setText(f"{s.protocol_id}: reference arm {s.reference or '–'}; settings from "
                           f"{s.settings.source}.{more}\n" + "\n".join(s.notes))

    def _fill_figures(self) -> None:
        from mdt.outcomes import figures as fg

        s = self.section
        width = 760.0
        for sv_key, widget in self.km.items():
            sv = next((x for x in s.survival if x.endpoint == sv_key), None) if s else None
            widget.set_figure(fg.km_figure(sv, s.groups, width) if sv is not None and s is not None else None)
        patients = s.patients[OVERALL] if s else []
        self.waterfall.set_figure(fg.waterfall_figure(patients, width) if s else None)
        self.swimmer.set_figure(fg.swimmer_figure(patients, width) if s else None)


def _busiest(facts: list[PatientFacts]) -> str | None:
    counts: dict[str, int] = {}
    for f in facts:
        if f.protocol_id:
            counts[f.protocol_id] = counts.get(f.protocol_id, 0) + 1
    return max(counts, key=lambda k: (counts[k], k)) if counts else None


def load_facts(service: MdtService) -> list[PatientFacts]:
    """Every listed patient's facts (run on a worker thread with a service of its own,
    ``MdtService.fork``)."""
    from mdt.outcomes.facts import cohort_facts

    cases = [service.get_case(r.patient_id) for r in service.list_patients()]
    return cohort_facts(cases)[0]
