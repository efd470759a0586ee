"""The vessel grid: major structures × lesions, the relation in each cell.

Above it, :class:`VesselStatus` says whether the relations are assessed: a new review
starts "not assessed" (every vessel criterion unknown), and "no vascular contact" is an
explicit action, never a default (docs/clinical/conventions.md#missing-is-unknown).

Rows are ``mdt.case.VESSEL_STRUCTURES`` (portal veins, hepatic veins, IVC,
arteries, bile ducts) named in full; columns are the review's lesions plus a
last column for contacts not attributed to a lesion.  Structures as rows keep
every name readable on a projector without scrolling sideways.  A cell edits through a combo (none,
contact, encasement, invasion, thrombus); typing the first letter picks the
relation, Delete clears it.  Edits go through the editor's ``request`` like
the lesion table.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from mdt import review_edits as edits
from mdt.case import VESSEL_NAMES, VESSEL_RELATIONS, VESSEL_STRUCTURES, Review
from mdt.review_edits import EditFn

Index = QModelIndex | QPersistentModelIndex
Request = Callable[[EditFn], bool]

NONE_TEXT = "—"
UNATTRIBUTED = "no lesion"
# Severity shading; the relation is always written in the cell as well (never colour alone).
RELATION_COLOURS = {
    "contact": QColor("#fff1c2"),
    "encasement": QColor("#ffd6a5"),
    "invasion": QColor("#ffb3b3"),
    "thrombus": QColor("#e7b3ff"),
}


class VesselGridModel(QAbstractTableModel):
    problem = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.short_names = False
        """Rows named by the abbreviation only (a narrow grid: every lesion column stays in sight)."""
        self._review: Review | None = None
        self._cols: tuple[str | None, ...] = (None,)
        self._request: Request | None = None
        self._read_only = False

    def set_request(self, request: Request | None) -> None:
        self._request = request

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only

    def lesion_for_column(self, col: int) -> str | None:
        return self._cols[col] if 0 <= col < len(self._cols) else None

    def column_of(self, lesion_id: str | None) -> int:
        return self._cols.index(lesion_id) if lesion_id in self._cols else -1

    @staticmethod
    def row_of(structure: str) -> int:
        return VESSEL_STRUCTURES.index(structure)

    def set_review(self, review: Review | None) -> None:
        cols: tuple[str | None, ...] = tuple(les.id for les in review.lesions) if review else ()
        cols = cols + (None,)
        old_vessels = self._review.vessels if self._review is not None else None
        self._review = review
        if cols == self._cols:
            # Most edits leave the vessels alone: repainting 16 × n cells (and re-measuring the
            # columns) for nothing would cost more than the whole re-evaluation.
            if review is not None and review.vessels != old_vessels:
                self.dataChanged.emit(self.index(0, 0), self.index(len(VESSEL_STRUCTURES) - 1, len(cols) - 1))
            return
        self.beginResetModel()
        self._cols = cols
        self.endResetModel()

    def relation(self, row: int, col: int) -> str | None:
        """The relation of structure ``row`` with the lesion of column ``col``."""
        if self._review is None or not (0 <= col < len(self._cols)) or not (0 <= row < len(VESSEL_STRUCTURES)):
            return None
        return edits.vessel_relation(self._review, self._cols[col], VESSEL_STRUCTURES[row])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(VESSEL_STRUCTURES)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._cols)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(VESSEL_STRUCTURES):
            code = VESSEL_STRUCTURES[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return code if self.short_names else f"{code}  {VESSEL_NAMES[code]}"
            if role == Qt.ItemDataRole.ToolTipRole:
                return VESSEL_NAMES[code]
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._cols):
            if role == Qt.ItemDataRole.DisplayRole:
                return self._cols[section] or UNATTRIBUTED
            if role == Qt.ItemDataRole.ToolTipRole:
                lid = self._cols[section]
                return f"Lesion {lid}" if lid else "Vessel involvement not attributed to one lesion"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base if self._read_only else base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.column() < len(self._cols)):
            return None
        rel = self.relation(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return rel if rel else NONE_TEXT
        if role == Qt.ItemDataRole.EditRole:
            return rel or ""
        if role == Qt.ItemDataRole.BackgroundRole and rel:
            return QBrush(RELATION_COLOURS[rel])
        if role == Qt.ItemDataRole.ForegroundRole and rel:
            return QBrush(QColor("#000000"))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            lid = self._cols[index.column()] or "unattributed"
            code = VESSEL_STRUCTURES[index.row()]
            return f"{lid} × {code} ({VESSEL_NAMES[code]}): {rel or 'no relation recorded'}"
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole or self._read_only or self._request is None:
            return False
        text = "" if value is None else str(value).strip()
        relation = None if text in ("", NONE_TEXT, "none") else text
        if relation is not None and relation not in VESSEL_RELATIONS:
            from mdt.errors import FieldProblem, ValidationError

            self.problem.emit(ValidationError([FieldProblem(
                "vessels[].relation", f"{text!r}: must be one of {', '.join(VESSEL_RELATIONS)}")]))
            return False
        if relation == self.relation(index.row(), index.column()):
            return False
        fn = partial(edits.set_vessel, lesion_id=self._cols[index.column()],
                     structure=VESSEL_STRUCTURES[index.row()], relation=relation)
        return self._request(fn)


class RelationDelegate(QStyledItemDelegate):
    """A combo of relations; the first letter selects (c, e, i, t), "—" clears."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        combo = QComboBox(parent)
        combo.addItem(NONE_TEXT, "")
        for rel in VESSEL_RELATIONS:
            combo.addItem(rel, rel)
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        value = index.data(Qt.ItemDataRole.EditRole) or ""
        editor.setCurrentIndex(max(0, editor.findData(value)))

    def setModelData(self, editor: QWidget, model, index: Index) -> None:  # type: ignore[override]
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class VesselGridView(QTableView):
    def __init__(self, model: VesselGridModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setItemDelegate(RelationDelegate(self))
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.SelectedClicked)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Arrow keys move between the cells; Tab leaves the grid (16 structures × lesions would
        # otherwise take dozens of Tab presses to get out of).
        self.setTabKeyNavigation(False)
        # Lesion columns only as wide as their relations need, so several lesions fit side by side.
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setMinimumSectionSize(64)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(28)
        # The structures in regular weight (the bold of the other headers made this column ~30 px
        # wider than the lesion columns can spare on a 1920-px screen with the patient list).
        names = QFont(self.verticalHeader().font())
        names.setBold(False)
        names.setPointSizeF(max(10.5, names.pointSizeF() - 1.5))
        self.verticalHeader().setFont(names)
        self.setAccessibleName("Vessel grid")
        model.modelReset.connect(self.fit_names)  # another review may have more lesion columns

    def _names_width(self, short: bool) -> int:
        fm = self.verticalHeader().fontMetrics()
        texts = [code if short else f"{code}  {VESSEL_NAMES[code]}" for code in VESSEL_STRUCTURES]
        return max(fm.horizontalAdvance(t) for t in texts) + 2 * self.style().pixelMetric(
            QStyle.PixelMetric.PM_HeaderMargin, None, self) + 8

    def resizeEvent(self, event) -> None:  # type: ignore[override]  # noqa: N802
        super().resizeEvent(event)
        self.fit_names()

    def fit_names(self) -> None:
        """Every lesion's column in sight before the structures' full names: when the grid is too
        narrow for both, the rows name the structure by its abbreviation (the full name in its
        tooltip), never a horizontal scroll bar hiding L3 and L4."""
        model = self.model()
        if not isinstance(model, VesselGridModel) or self.width() <= 0:
            return
        cols = sum(max(self.sizeHintForColumn(c), self.horizontalHeader().sectionSizeHint(c))
                   for c in range(model.columnCount()))
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        short = self._names_width(False) + cols + bar + 2 * self.frameWidth() + 2 > self.width()
        if short != model.short_names:
            model.short_names = short
            model.headerDataChanged.emit(Qt.Orientation.Vertical, 0, len(VESSEL_STRUCTURES) - 1)

    def needed_width(self) -> int:
        """The width that shows every lesion's column beside the structure names (no scrolling
        sideways), with the vertical scroll bar and the frame."""
        model = self.model()
        for col in range(model.columnCount()):
            self.resizeColumnToContents(col)
        cols = sum(self.columnWidth(c) for c in range(model.columnCount()))
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        return self.verticalHeader().sizeHint().width() + cols + bar + 2 * self.frameWidth() + 2

    def keyPressEvent(self, event) -> None:  # type: ignore[override]
        model = self.model()
        idx = self.currentIndex()
        if idx.isValid() and self.state() != QAbstractItemView.State.EditingState:
            key = event.text().lower()
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                model.setData(idx, "", Qt.ItemDataRole.EditRole)
                return
            for rel in VESSEL_RELATIONS:
                if key and key == rel[0]:
                    model.setData(idx, rel, Qt.ItemDataRole.EditRole)
                    return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.edit(idx)
                return
        super().keyPressEvent(event)


class VesselStatus(QWidget):
    """"Vessel relations: NOT ASSESSED" with the explicit "No vascular contact" action, or
    "No vascular contact recorded" with "Mark not assessed", or the count of relations."""

    def __init__(self, request: Request, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._request = request
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Vessel relations assessed")
        self.no_contact = QPushButton("&No vascular contact")
        self.no_contact.setToolTip("Record that the vessels were assessed and no lesion touches "
                                   "any of them")
        self.no_contact.clicked.connect(lambda: self._request(edits.mark_no_vascular_contact))
        self.not_assessed = QPushButton("Mark not assessed")
        self.not_assessed.setToolTip("The vessels were not assessed: every vessel criterion is "
                                     "unknown")
        self.not_assessed.clicked.connect(lambda: self._request(edits.mark_vessels_not_assessed))
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.no_contact)
        lay.addWidget(self.not_assessed)

    def set_read_only(self, read_only: bool) -> None:
        self.no_contact.setEnabled(not read_only)
        self.not_assessed.setEnabled(not read_only)

    def set_review(self, review: Review | None) -> None:
        state = edits.vessels_state(review) if review is not None else "not_assessed"
        if state == "not_assessed":
            self.label.setText("<b style='color:#8a6d00'>? Vessel relations NOT ASSESSED</b> — "
                               "every vessel criterion is unknown. Record each relation below, "
                               "or record that there is none.")
        elif state == "no_contact":
            self.label.setText("<b>Vessels assessed: no vascular contact.</b>")
        else:
            n = len(review.vessels or ()) if review is not None else 0
            self.label.setText(f"<b>Vessels assessed:</b> {n} relation{'s' if n != 1 else ''} "
                               "recorded; a structure left blank has no contact.")
        self.no_contact.setVisible(state == "not_assessed")
        self.not_assessed.setVisible(state == "no_contact")
