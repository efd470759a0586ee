"""The patient list panel: search box, filters, sortable table."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mdt.case import OUTCOMES
from mdt.services import PatientRow
from ui.patients.model import (
    COLUMNS,
    DUE_NONE,
    DUE_OVERDUE,
    DUE_SOON,
    ID_ROLE,
    PatientFilterProxy,
    PatientTableModel,
)
from ui.style import label

DECISIONS = ("resectable", "convertible", "permanently_unresectable")


class PatientListPanel(QWidget):
    """Emits ``patient_selected`` when the current row changes (debounced) or is activated."""

    patient_selected = Signal(str)
    include_archived_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = PatientTableModel(self)
        self.proxy = PatientFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name or hospital ID  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Patient search")
        self.search.textChanged.connect(self.proxy.set_search)
        self.search.returnPressed.connect(self._search_enter)

        self.protocol_filter = QComboBox()
        self.arm_filter = QComboBox()
        self.status_filter = QComboBox()
        self.status_filter.addItem("any status", "")
        self.status_filter.addItem("not decided", "not_decided")
        for code in DECISIONS:
            self.status_filter.addItem(label(code), code)
        for code in OUTCOMES:
            self.status_filter.addItem(f"outcome: {label(code)}", code)
        self.due_filter = QComboBox()
        self.due_filter.addItem("any review date", "")
        self.due_filter.addItem("due or overdue", DUE_SOON)
        self.due_filter.addItem("overdue", DUE_OVERDUE)
        self.due_filter.addItem("no review planned", DUE_NONE)
        self.archived = QCheckBox("Show &archived")
        self.protocol_filter.currentIndexChanged.connect(
            lambda: self.proxy.set_protocol(self.protocol_filter.currentData() or ""))
        self.arm_filter.currentIndexChanged.connect(
            lambda: self.proxy.set_arm(self.arm_filter.currentData() or ""))
        self.status_filter.currentIndexChanged.connect(
            lambda: self.proxy.set_status(self.status_filter.currentData() or ""))
        self.due_filter.currentIndexChanged.connect(
            lambda: self.proxy.set_due(self.due_filter.currentData() or ""))
        self.archived.toggled.connect(self.include_archived_changed)
        for combo, name in ((self.protocol_filter, "Protocol filter"), (self.arm_filter, "Arm filter"),
                            (self.status_filter, "Status filter"), (self.due_filter, "Review due filter")):
            combo.setAccessibleName(name)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in {"ID": 130, "Name": 190, "Sex": 50, "Born": 110, "Protocol": 130, "Arm": 70,
                           "Reviews": 80, "Last review": 120, "Cycle": 60, "Decision": 200,
                           "Plan": 160, "Next review": 120, "Due": 100}.items():
            header.resizeSection(COLUMNS.index(col), width)
        for hidden in ("Sex", "Born", "Plan", "Outcome", "Reviews"):
            self.table.setColumnHidden(COLUMNS.index(hidden), True)
        self.table.activated.connect(self._activated)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.count_label = QLabel("")
        self.count_label.setProperty("role", "hint")

        # Browsing with the arrow keys opens each patient after a short pause, not on every key.
        self._pending: str | None = None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(120)
        self._debounce.timeout.connect(self._emit_pending)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)

        filters = QGridLayout()
        filters.addWidget(self.protocol_filter, 0, 0)
        filters.addWidget(self.arm_filter, 0, 1)
        filters.addWidget(self.status_filter, 1, 0)
        filters.addWidget(self.due_filter, 1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addWidget(self.archived)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

    # ---- content ---------------------------------------------------------------------
    def set_rows(self, rows: Sequence[PatientRow]) -> None:
        current = self.current_patient_id()
        self.model.set_rows(rows)
        self._refill(self.protocol_filter, "any protocol", self.model.protocols())
        self._refill(self.arm_filter, "any arm", self.model.arms())
        if current:
            self.select_patient(current, emit=False)
        self._update_count()

    def upsert(self, row: PatientRow) -> None:
        self.model.upsert(row)
        self._update_count()

    def _refill(self, combo: QComboBox, any_text: str, values: list[str]) -> None:
        keep = combo.currentData() or ""
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(any_text, "")
        for v in values:
            combo.addItem(v, v)
        combo.setCurrentIndex(max(0, combo.findData(keep)))
        combo.blockSignals(False)

    def _update_count(self, *args: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        overdue = sum(1 for r in range(total) if self.model.due_of(r) == DUE_OVERDUE)
        text = f"{shown} of {total} patients"
        if overdue:
            text += f"  ·  {overdue} overdue"
        self.count_label.setText(text)

    # ---- selection -------------------------------------------------------------------
    def current_patient_id(self) -> str | None:
        index = self.table.currentIndex()
        return index.data(ID_ROLE) if index.isValid() else None

    def select_patient(self, patient_id: str, emit: bool = True) -> bool:
        source_row = self.model.row_of(patient_id)
        if source_row is None:
            return False
        proxy_index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if not proxy_index.isValid():
            # Hidden by the search or a filter: clear them so the patient shows.
            self.clear_filters()
            proxy_index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if not proxy_index.isValid():
            return False
        self.table.selectionModel().blockSignals(not emit)
        self.table.selectionModel().setCurrentIndex(
            proxy_index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.selectionModel().blockSignals(False)
        self.table.scrollTo(proxy_index)
        return True

    def clear_filters(self) -> None:
        self.search.clear()
        for combo in (self.protocol_filter, self.arm_filter, self.status_filter, self.due_filter):
            combo.setCurrentIndex(0)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _search_enter(self) -> None:
        if self.proxy.rowCount():
            first = self.proxy.index(0, 0)
            self.table.setFocus()
            self.table.selectionModel().setCurrentIndex(
                first, QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
            self._activated(first)

    def _activated(self, index: QModelIndex) -> None:
        pid = index.data(ID_ROLE)
        if pid:
            self._debounce.stop()
            self._pending = None
            self.patient_selected.emit(pid)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        pid = current.data(ID_ROLE) if current.isValid() else None
        if pid:
            self._pending = pid
            self._debounce.start()

    def _emit_pending(self) -> None:
        if self._pending:
            pid, self._pending = self._pending, None
            self.patient_selected.emit(pid)
