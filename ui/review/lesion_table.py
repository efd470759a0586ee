"""The lesion table: an item model over ``Review.lesions`` plus its delegates and view.

The model never changes the review itself: ``setData`` turns the typed text
into an edit function (:mod:`mdt.review_edits`) and hands it to the editor's
``request`` callable, which validates, pushes the undo command and saves.  The
editor then calls :meth:`LesionTableModel.set_review` with the saved review, so
what the table shows is always what the database holds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from mdt import review_edits as edits
from mdt.case import LESION_STATUSES, Lesion, Review
from mdt.errors import ValidationError
from mdt.recist import diameter_words
from mdt.review_edits import EditFn

Index = QModelIndex | QPersistentModelIndex
Request = Callable[[EditFn], bool]

COL_ID, COL_SEGMENTS, COL_DIAMETER, COL_TARGET, COL_STATUS = range(5)
HEADERS = ("Lesion", "Segments", "Diameter (mm)", "Target", "Status")
HEADER_TIPS = (
    "Lesion id; the same id across reviews is the same lesion",
    "Couinaud segments, typed (VII, VIII or 7 8) or clicked on the diagram",
    "Longest axial diameter in mm (> 0, ≤ 300); empty when too small to measure (a target then "
    "counts 5 mm)",
    "RECIST target lesion (Space toggles)",
    "present, disappeared, ablated or resected",
)
MISSING = QColor("#b00020")


class LesionTableModel(QAbstractTableModel):
    """Rows are the review's lesions in recorded order; edits go through ``request``."""

    problem = Signal(object)
    """A ValidationError raised while parsing what was typed (the field is named in it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lesions: tuple[Lesion, ...] = ()
        self._review: Review | None = None
        self._request: Request | None = None
        self._read_only = False

    # -- wiring
    def set_request(self, request: Request | None) -> None:
        self._request = request

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only

    def review(self) -> Review | None:
        return self._review

    def lesion_at(self, row: int) -> Lesion | None:
        return self._lesions[row] if 0 <= row < len(self._lesions) else None

    def row_of(self, lesion_id: str) -> int:
        for i, les in enumerate(self._lesions):
            if les.id == lesion_id:
                return i
        return -1

    def set_review(self, review: Review | None) -> None:
        """Show another version with the least disruption (keeps the current cell while typing)."""
        new = review.lesions if review is not None else ()
        old = self._lesions
        self._review = review
        old_ids = [les.id for les in old]
        new_ids = [les.id for les in new]
        if len(new) == len(old):
            self._lesions = new
            for row, (a, b) in enumerate(zip(old, new, strict=True)):
                if a != b:
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
        elif len(new) > len(old) and new_ids[: len(old)] == old_ids:
            self.beginInsertRows(QModelIndex(), len(old), len(new) - 1)
            self._lesions = new
            self.endInsertRows()
            if old and new[: len(old)] != old:
                self.dataChanged.emit(self.index(0, 0), self.index(len(old) - 1, len(HEADERS) - 1))
        elif len(new) == len(old) - 1 and [i for i in old_ids if i not in new_ids] and \
                [i for i in old_ids if i in new_ids] == new_ids:
            gone = next(i for i, lid in enumerate(old_ids) if lid not in new_ids)
            self.beginRemoveRows(QModelIndex(), gone, gone)
            self._lesions = new
            self.endRemoveRows()
            if new:
                self.dataChanged.emit(self.index(0, 0), self.index(len(new) - 1, len(HEADERS) - 1))
        else:
            self.beginResetModel()
            self._lesions = new
            self.endResetModel()

    # -- Qt model interface
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lesions)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return HEADER_TIPS[section]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self._lesions):
            return str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self._read_only:
            return base
        if index.column() == COL_TARGET:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._lesions)):
            return None
        les = self._lesions[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_ID:
                return les.id
            if col == COL_SEGMENTS:
                return ", ".join(les.segments) if les.segments else "type or click ▸"
            if col == COL_DIAMETER:
                if les.diameter_mm is None:
                    # What the sums count (mdt.recist): a present target without a diameter is
                    # "too small (5 mm)", never a blank; drawn in red while the lesion is present.
                    return diameter_words(les, in_mm_column=True)
                return edits.fmt_num(les.diameter_mm)
            if col == COL_TARGET:
                return "target" if les.target else "no"
            if col == COL_STATUS:
                return les.status
        if role == Qt.ItemDataRole.EditRole:
            if col == COL_ID:
                return les.id
            if col == COL_SEGMENTS:
                return ", ".join(les.segments)
            if col == COL_DIAMETER:
                return edits.fmt_num(les.diameter_mm)
            if col == COL_TARGET:
                return les.target
            if col == COL_STATUS:
                return les.status
        if role == Qt.ItemDataRole.CheckStateRole and col == COL_TARGET:
            return Qt.CheckState.Checked if les.target else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ForegroundRole:
            if (col == COL_SEGMENTS and not les.segments) or \
                    (col == COL_DIAMETER and les.diameter_mm is None and les.status == "present"):
                return QBrush(MISSING)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_DIAMETER:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_SEGMENTS and not les.segments:
                return f"{les.id} has no segment yet: type them here or click the diagram"
            if col == COL_DIAMETER and les.diameter_mm is None and les.status == "present" and les.target:
                return (f"{les.id} is recorded without a diameter: RECIST reads that as too small to "
                        f"measure and counts 5 mm in the sum of targets. Type the diameter if it was "
                        f"measured.")
            return HEADER_TIPS[col]
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or self._read_only or self._request is None:
            return False
        les = self._lesions[index.row()]
        col = index.column()
        row = index.row()
        try:
            fn = self._edit_for(row, les, col, value, role)
        except ValidationError as exc:
            self.problem.emit(exc)
            return False
        if fn is None:
            return False
        return self._request(fn)

    def _edit_for(self, row: int, les: Lesion, col: int, value: object, role: int) -> EditFn | None:
        if col == COL_TARGET and role == Qt.ItemDataRole.CheckStateRole:
            checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
            return partial(edits.set_target, lesion_id=les.id, target=checked)
        if role != Qt.ItemDataRole.EditRole:
            return None
        text = "" if value is None else str(value)
        if col == COL_ID:
            if text.strip() == les.id:
                return None
            return partial(edits.rename_lesion, lesion_id=les.id, new_id=text)
        if col == COL_SEGMENTS:
            segs = edits.parse_segments(text, f"lesions[{row}].segments")
            if segs == les.segments:
                return None
            return partial(edits.set_segments, lesion_id=les.id, segments=segs)
        if col == COL_DIAMETER:
            d = edits.DIAMETER.parse(text, f"lesions[{row}].diameter_mm")
            if d == les.diameter_mm:
                return None
            return partial(edits.set_diameter, lesion_id=les.id, diameter=d)
        if col == COL_TARGET:
            return partial(edits.set_target, lesion_id=les.id, target=bool(value))
        if col == COL_STATUS:
            if text == les.status:
                return None
            return partial(edits.set_status, lesion_id=les.id, status=text)
        return None


class LesionDelegate(QStyledItemDelegate):
    """Line editors for text cells, a combo for the status; Enter commits, Esc cancels."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        if index.column() == COL_STATUS:
            combo = QComboBox(parent)
            combo.addItems(list(LESION_STATUSES))
            return combo
        edit = QLineEdit(parent)
        if index.column() == COL_SEGMENTS:
            edit.setPlaceholderText("e.g. VII, VIII")
        elif index.column() == COL_DIAMETER:
            edit.setPlaceholderText("mm")
        return edit

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findText(str(value))))
        elif isinstance(editor, QLineEdit):
            editor.setText("" if value is None else str(value))
            editor.selectAll()

    def setModelData(self, editor: QWidget, model, index: Index) -> None:  # type: ignore[override]
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class LesionTableView(QTableView):
    """Keyboard-first table: Insert / Ctrl+L add a lesion, Delete removes the current one."""

    add_requested = Signal()
    remove_requested = Signal(str)
    current_lesion_changed = Signal(object)
    """The lesion id under the cursor, or None."""

    def __init__(self, model: LesionTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setItemDelegate(LesionDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.setTabKeyNavigation(True)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Segments take the spare width; the other columns fit their header and their widest
        # value (measured in the table's own fonts when it is shown), and the tabs column is
        # never narrower than all of them (``needed_width``): nothing reads "VI…" or "gme".
        header.setSectionResizeMode(COL_SEGMENTS, QHeaderView.ResizeMode.Stretch)
        self.fit_columns()
        self.setAccessibleName("Lesion table")
        self.selectionModel().currentRowChanged.connect(self._row_changed)
        model.modelReset.connect(self._emit_current)
        model.rowsRemoved.connect(self._emit_current)

    # The widest value each fixed column can show, whatever the review holds.
    WIDEST = {COL_ID: "L10", COL_DIAMETER: "not measured", COL_TARGET: "target", COL_STATUS: "disappeared"}
    SEGMENTS_ROOM = "IVa, IVb, VIII"
    """The Segments column is at least this wide (a lesion across three segments)."""

    def _needed(self, col: int, text: str) -> int:
        head = QFontMetrics(self.horizontalHeader().font())
        cell = QFontMetrics(self.font())
        margin = 2 * self.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, self) + 8
        pad = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1) + 8
        check = (self.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth, None, self) + 8
                 if col == COL_TARGET else 0)
        return max(head.horizontalAdvance(str(HEADERS[col])) + margin, cell.horizontalAdvance(text) + pad + check)

    def fit_columns(self) -> None:
        for col, widest in self.WIDEST.items():
            self.setColumnWidth(col, self._needed(col, widest))

    def needed_width(self) -> int:
        """The width that shows every column whole (plus the vertical scroll bar and frame)."""
        cols = sum(self._needed(col, w) for col, w in self.WIDEST.items())
        cols += self._needed(COL_SEGMENTS, self.SEGMENTS_ROOM)
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        return cols + bar + 2 * self.frameWidth() + 2

    def row_height(self) -> int:
        return self.verticalHeader().defaultSectionSize()

    def showEvent(self, event) -> None:  # type: ignore[override]  # noqa: N802
        super().showEvent(event)
        self.fit_columns()

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002, N802 - Qt override
        """Tab walks the cells like a spreadsheet, but leaves the table after the last cell (and
        Shift+Tab before the first) instead of wrapping round: no keyboard trap."""
        idx = self.currentIndex()
        model = self.model()
        last = (model.rowCount() - 1, model.columnCount() - 1)
        at_edge = (not idx.isValid() or (next and (idx.row(), idx.column()) == last)
                   or (not next and (idx.row(), idx.column()) == (0, 0)))
        if at_edge and self.state() != QAbstractItemView.State.EditingState:
            return QWidget.focusNextPrevChild(self, next)
        return super().focusNextPrevChild(next)

    def lesion_model(self) -> LesionTableModel:
        model = self.model()
        assert isinstance(model, LesionTableModel)
        return model

    def current_lesion_id(self) -> str | None:
        les = self.lesion_model().lesion_at(self.currentIndex().row())
        return les.id if les is not None else None

    def select_lesion(self, lesion_id: str, column: int = COL_SEGMENTS) -> None:
        row = self.lesion_model().row_of(lesion_id)
        if row >= 0:
            self.setCurrentIndex(self.lesion_model().index(row, column))

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        les = self.lesion_model().lesion_at(current.row())
        self.current_lesion_changed.emit(les.id if les else None)

    def _emit_current(self, *_args: object) -> None:
        self.current_lesion_changed.emit(self.current_lesion_id())

    def keyPressEvent(self, event) -> None:  # type: ignore[override]
        if self.state() != QAbstractItemView.State.EditingState:
            if event.key() == Qt.Key.Key_Insert or (
                    event.key() == Qt.Key.Key_L and event.modifiers() == Qt.KeyboardModifier.ControlModifier):
                self.add_requested.emit()
                return
            if event.key() == Qt.Key.Key_Delete:
                lid = self.current_lesion_id()
                if lid is not None:
                    self.remove_requested.emit(lid)
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
                if self.currentIndex().column() == COL_TARGET:
                    model = self.lesion_model()
                    les = model.lesion_at(self.currentIndex().row())
                    if les is not None:
                        model.setData(self.currentIndex(),
                                      Qt.CheckState.Unchecked if les.target else Qt.CheckState.Checked,
                                      Qt.ItemDataRole.CheckStateRole)
                    return
                self.edit(self.currentIndex())
                return
        super().keyPressEvent(event)
