"""The patient list panel: search box, filters, sortable table."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
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
from ui.style import fit_columns, label

DECISIONS = ("resectable", "convertible", "permanently_unresectable")
DEFAULT_COLUMNS = ("ID", "Name", "Due", "Decision")
"""Shown at first: what the coordinator scans for (the open patient's header gives the next review
date).  The others are one right-click on the header away."""
NAME_MIN_WIDTH = 150
"""Below this the names would be cut to a few letters: the list scrolls sideways instead."""
NAME_ALLOWANCE = "DUPONT-BIERRE, Jean-Pierre"
"""A long-ish name the list's default width leaves room for (longer ones are elided)."""


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
            # Long entries ("outcome: permanently unresectable") must not set the column's minimum width.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)

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
        # Tab leaves the list (arrow keys move between patients); otherwise Tab walks
        # every cell and the keyboard never reaches the rest of the window.
        self.table.setTabKeyNavigation(False)
        header = self.table.horizontalHeader()
        # Name takes the width left by the others (sized to their contents), so no column
        # is cut and no horizontal scrollbar is needed at the default width.
        for h in (header, self.table.verticalHeader()):  # Qt reads the row count to measure from either
            h.setResizeContentsPrecision(100)
        header.setMinimumSectionSize(40)
        self._quiet = False
        """True while the window moves the selection itself (no patient_selected for it)."""
        self._wanted: set[str] = set(DEFAULT_COLUMNS)
        """The columns the user chose (header menu); some fold away while the list is narrow."""
        for name in COLUMNS:
            self.table.setColumnHidden(COLUMNS.index(name), name not in DEFAULT_COLUMNS)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        header.setToolTip("Right-click to choose the columns")
        self.table.viewport().installEventFilter(self)
        self.fit_columns()
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
        self.fit_columns()

    def upsert(self, row: PatientRow) -> None:
        self.model.upsert(row)
        self._update_count()
        self.fit_columns()

    # ---- columns ---------------------------------------------------------------------
    def fit_columns(self) -> None:
        fit_columns(self.table, stretch=COLUMNS.index("Name"))
        self._keep_names_readable()

    FOLD_ORDER = ("Due", "Decision")
    """Folded away first to last while the list is too narrow for every chosen column (the list
    beside the review editor on a 1366-px screen): ID and Name stay whole, and nothing is cut."""

    def _keep_names_readable(self) -> None:
        """Every shown column whole: Name stretches into the spare width; when the list is too narrow
        for the columns the user chose, the secondary ones fold away (ID and Name stay), and come
        back when there is room."""
        header = self.table.horizontalHeader()
        name_col = COLUMNS.index("Name")
        room = self.table.viewport().width()
        if room <= 0:
            return
        name_need = max(header.sectionSizeHint(name_col), NAME_MIN_WIDTH)
        shown = [c for c in COLUMNS if c in self._wanted]
        fold = [c for c in self.FOLD_ORDER if c in shown]
        other_cols = [c for c in shown if c != "Name"]
        width = {c: self._column_width(c) for c in other_cols}
        while fold and sum(width[c] for c in other_cols) + name_need > room:
            folded = fold.pop(0)
            other_cols.remove(folded)
        keep = set(other_cols) | {"Name"}
        for c in COLUMNS:
            hidden = c not in keep
            if self.table.isColumnHidden(COLUMNS.index(c)) != hidden:
                self.table.setColumnHidden(COLUMNS.index(c), hidden)
                if not hidden:
                    self.table.resizeColumnToContents(COLUMNS.index(c))
        others = sum(header.sectionSize(COLUMNS.index(c)) for c in other_cols)
        roomy = room - others >= name_need
        mode = QHeaderView.ResizeMode.Stretch if roomy else QHeaderView.ResizeMode.Interactive
        if header.sectionResizeMode(name_col) != mode:
            header.setSectionResizeMode(name_col, mode)
        if not roomy:
            header.resizeSection(name_col, name_need)

    def _column_width(self, name: str) -> int:
        col = COLUMNS.index(name)
        if self.table.isColumnHidden(col):
            return max(self.table.sizeHintForColumn(col), self.table.horizontalHeader().sectionSizeHint(col))
        return self.table.horizontalHeader().sectionSize(col)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._keep_names_readable()
        return super().eventFilter(watched, event)

    def preferred_width(self) -> int:
        """Width of the panel that shows every shown column whole, with room for a long name."""
        header = self.table.horizontalHeader()
        name_col = COLUMNS.index("Name")
        others = sum(self._column_width(c) for c in COLUMNS if c != "Name" and c in self._wanted)
        name = max(header.sectionSizeHint(name_col), self.table.fontMetrics().horizontalAdvance(NAME_ALLOWANCE) + 12)
        scrollbar = self.table.style().pixelMetric(self.table.style().PixelMetric.PM_ScrollBarExtent)
        margins = self.layout().contentsMargins()
        return others + name + scrollbar + 2 * self.table.frameWidth() + margins.left() + margins.right() + 2

    def set_column_shown(self, name: str, shown: bool) -> None:
        if shown:
            self._wanted.add(name)
        else:
            self._wanted.discard(name)
        self.table.setColumnHidden(COLUMNS.index(name), not shown)
        self.fit_columns()

    def _header_menu(self, pos) -> None:
        menu = QMenu(self)
        for name in COLUMNS:
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(name in self._wanted)
            action.setEnabled(name not in ("ID", "Name"))  # a row must always say who it is
            action.toggled.connect(lambda on, n=name: self.set_column_shown(n, on))
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))

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
        # Quiet (an automatic switch) without blocking the selection model's signals: the view
        # must hear that the old row is deselected, or it stays painted highlighted (two rows).
        self._quiet = not emit
        try:
            self.table.selectionModel().setCurrentIndex(
                proxy_index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
        finally:
            self._quiet = False
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
        if self._quiet:
            return
        pid = current.data(ID_ROLE) if current.isValid() else None
        if pid:
            self._pending = pid
            self._debounce.start()

    def _emit_pending(self) -> None:
        if self._pending:
            pid, self._pending = self._pending, None
            self.patient_selected.emit(pid)
