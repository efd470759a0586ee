"""Item models of the patient list: a table over ``PatientRow`` and a proxy that
searches (hospital id, name) and filters (protocol, arm, status, review due).

The model holds plain ``PatientRow`` objects (the service's summary rows), never
database handles; the whole list of a department (thousands of rows) fits in
memory, so filtering and sorting happen in the proxy without a query per key.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from mdt import glossary
from mdt.services import PatientRow
from ui.style import OVERDUE_COLOUR, RESECTABILITY_COLOURS, label

_Index = QModelIndex | QPersistentModelIndex

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
DUE_ROLE = Qt.ItemDataRole.UserRole + 3

COLUMNS: tuple[str, ...] = (
    "ID", "Name", "Due", "Next review", "Decision", "Protocol", "Arm", "Cycle", "Last review",
    "Reviews", "Plan", "Outcome", "Sex", "Born",
)
DUE_OVERDUE, DUE_SOON, DUE_LATER, DUE_NONE = "overdue", "due", "planned", "none"
DUE_SOON_DAYS = 14
"""A review is listed as due within this many days (the board meets weekly or fortnightly)."""


def due_status(next_review: date | None, today: date) -> str:
    """overdue / due (within DUE_SOON_DAYS) / planned / none (no next review set)."""
    from mdt.panel import is_overdue

    if next_review is None:
        return DUE_NONE
    if is_overdue(next_review, today):
        return DUE_OVERDUE
    if next_review <= today + timedelta(days=DUE_SOON_DAYS):
        return DUE_SOON
    return DUE_LATER


def fold(text: str) -> str:
    """Case- and accent-insensitive form for search and sorting ("Åström" ~ "astrom")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def display_name(name: str | None) -> str:
    """DICOM ``FAMILY^GIVEN`` as ``FAMILY, Given`` (mdt.glossary: the same in the PDFs)."""
    return glossary.person_name(name, "")

class PatientTableModel(QAbstractTableModel):
    def __init__(self, parent=None, today: Callable[[], date] = date.today):
        super().__init__(parent)
        self._rows: list[PatientRow] = []
        self._due: list[str] = []
        self._today = today
        self._pos: dict[str, int] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._search_keys: list[str] | None = None

    # ---- content ---------------------------------------------------------------------
    def set_rows(self, rows: Sequence[PatientRow]) -> None:
        self.beginResetModel()
        today = self._today()
        rows = list(rows)
        due = [due_status(r.next_review, today) for r in rows]
        if self._sort is not None:
            order = self._order(rows, due, *self._sort)
            rows, due = [rows[i] for i in order], [due[i] for i in order]
        self._rows, self._due = rows, due
        self._reindex()
        self.endResetModel()

    def _reindex(self) -> None:
        self._pos = {r.patient_id: i for i, r in enumerate(self._rows)}
        self._search_keys = None

    def search_key(self, row: int) -> str:
        """Folded id and name forms of a row for the search box (built once, on the first search)."""
        if self._search_keys is None:
            # Every way a person types a name: "DUPONT-BIERRE, Jean", "Jean Dupont" (mdt.glossary).
            self._search_keys = [fold(" | ".join((r.patient_id, *glossary.name_search_keys(r.name))))
                                 for r in self._rows]
        return self._search_keys[row]

    # ---- sorting ---------------------------------------------------------------------------
    # Sorting happens here in Python (one key per row) rather than in the proxy, whose
    # lessThan would call data() twice per comparison: 5,000 rows sort in milliseconds.
    def _order(self, rows: list[PatientRow], due: list[str], column: int, order: Qt.SortOrder) -> list[int]:
        col = COLUMNS[column]
        keys = [self._sort_key(r, due[i], col) for i, r in enumerate(rows)]
        return sorted(range(len(rows)), key=lambda i: (keys[i], rows[i].patient_id),
                      reverse=order == Qt.SortOrder.DescendingOrder)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        perm = self._order(self._rows, self._due, column, order)
        old_persistent = self.persistentIndexList()
        old_ids = [self._rows[ix.row()].patient_id for ix in old_persistent]
        self._rows = [self._rows[i] for i in perm]
        self._due = [self._due[i] for i in perm]
        self._reindex()
        self.changePersistentIndexList(
            old_persistent, [self.index(self._pos[pid], ix.column()) for pid, ix in zip(old_ids, old_persistent,
                                                                                       strict=True)])
        self.layoutChanged.emit()

    def upsert(self, row: PatientRow) -> int:
        """Replace the row of ``row.patient_id`` or append it; returns its row number."""
        due = due_status(row.next_review, self._today())
        pos = self._pos.get(row.patient_id)
        if pos is None:
            pos = len(self._rows)
            self.beginInsertRows(QModelIndex(), pos, pos)
            self._rows.append(row)
            self._due.append(due)
            self._pos[row.patient_id] = pos
            self._search_keys = None
            self.endInsertRows()
            if self._sort is not None:  # a new patient takes its place in the sorted list
                self.sort(*self._sort)
                pos = self._pos[row.patient_id]
        else:
            self._rows[pos] = row
            self._due[pos] = due
            self._search_keys = None
            self.dataChanged.emit(self.index(pos, 0), self.index(pos, len(COLUMNS) - 1))
        return pos

    def remove(self, patient_id: str) -> None:
        pos = self._pos.get(patient_id)
        if pos is None:
            return
        self.beginRemoveRows(QModelIndex(), pos, pos)
        del self._rows[pos]
        del self._due[pos]
        self._reindex()
        self.endRemoveRows()

    def row_of(self, patient_id: str) -> int | None:
        return self._pos.get(patient_id)

    def patient_row(self, row: int) -> PatientRow:
        return self._rows[row]

    def due_of(self, row: int) -> str:
        return self._due[row]

    def protocols(self) -> list[str]:
        return sorted({r.protocol_id for r in self._rows if r.protocol_id})

    def arms(self) -> list[str]:
        return sorted({r.arm for r in self._rows if r.arm})

    # ---- Qt interface --------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)) \
                or not (0 <= index.column() < len(COLUMNS)):
            return None
        row = self._rows[index.row()]
        col = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, index.row(), col)
        if role == SORT_ROLE:
            return self._sort_key(row, self._due[index.row()], col)
        if role == ID_ROLE:
            return row.patient_id
        if role == DUE_ROLE:
            return self._due[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole:
            if col in ("Next review", "Due") and self._due[index.row()] == DUE_OVERDUE:
                return QBrush(QColor(OVERDUE_COLOUR))
            if col == "Decision" and row.resectability in RESECTABILITY_COLOURS:
                return QBrush(QColor(RESECTABILITY_COLOURS[row.resectability]))
            if row.archived:
                return QBrush(QColor("#777777"))
        if role == Qt.ItemDataRole.FontRole and col == "Due" and self._due[index.row()] == DUE_OVERDUE:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and row.archived:
            return f"Archived: {row.archive_reason or 'no reason recorded'}"
        return None

    def _text(self, row: PatientRow, pos: int, col: str) -> str:
        if col == "Due":
            return {DUE_OVERDUE: "OVERDUE", DUE_SOON: "due", DUE_LATER: "", DUE_NONE: ""}[self._due[pos]]
        return self._text_plain(row, col)

    def _text_plain(self, row: PatientRow, col: str) -> str:
        match col:
            case "ID":
                return row.patient_id + (" (archived)" if row.archived else "")
            case "Name":
                return display_name(row.name)
            case "Sex":
                return row.sex or ""
            case "Born":
                return row.birth_date.isoformat() if row.birth_date else ""
            case "Protocol":
                return row.protocol_id or ""
            case "Arm":
                return row.arm or ""
            case "Reviews":
                return str(row.review_count)
            case "Last review":
                return row.last_review_date.isoformat() if row.last_review_date else ""
            case "Cycle":
                return "" if row.last_cycle is None else str(row.last_cycle)
            case "Decision":
                return label(row.resectability) if row.resectability else ("not decided" if row.review_count else "")
            case "Plan":
                return label(row.plan or "")
            case "Next review":
                return row.next_review.isoformat() if row.next_review else ""
            case "Outcome":
                return label(row.outcome or "")
        return ""

    def _sort_key(self, row: PatientRow, due: str, col: str):
        # One key type per column so that every pair compares.
        match col:
            case "Reviews":
                return row.review_count
            case "Cycle":
                return -1 if row.last_cycle is None else row.last_cycle
            case "Due":
                return {DUE_OVERDUE: 0, DUE_SOON: 1, DUE_LATER: 2, DUE_NONE: 3}[due]
            case "Next review" | "Last review" | "Born":
                value = {"Next review": row.next_review, "Last review": row.last_review_date,
                         "Born": row.birth_date}[col]
                return value.isoformat() if value else "9999"
            case "ID":
                return fold(row.patient_id)
            case "Name":
                return fold(row.name or "")
        return self._text_plain(row, col).casefold()


class PatientFilterProxy(QSortFilterProxyModel):
    """Search (hospital id or name, any part, case-insensitive) and the list filters."""

    ANY = ""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._search = ""
        self._protocol = self.ANY
        self._arm = self.ANY
        self._status = self.ANY
        self._due = self.ANY
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)
        self._source_sort: tuple[int, Qt.SortOrder] = (-1, Qt.SortOrder.AscendingOrder)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is the source model's (fast, in Python); the proxy keeps its order."""
        model = self.sourceModel()
        if isinstance(model, PatientTableModel):
            self._source_sort = (column, order)
            model.sort(column, order)
        else:
            super().sort(column, order)

    def set_search(self, text: str) -> None:
        self._refilter("_search", fold(text.strip()))

    def set_protocol(self, protocol: str) -> None:
        self._refilter("_protocol", protocol)

    def set_arm(self, arm: str) -> None:
        self._refilter("_arm", arm)

    def set_status(self, status: str) -> None:
        """A resectability decision, a treatment outcome, ``not_decided``, or ANY."""
        self._refilter("_status", status)

    def set_due(self, due: str) -> None:
        """``overdue``, ``due`` (overdue or due soon), ``none`` (no review planned), or ANY."""
        self._refilter("_due", due)

    def _refilter(self, attr: str, value: str) -> None:
        self.beginFilterChange()
        setattr(self, attr, value)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        if not isinstance(model, PatientTableModel):
            return True
        row = model.patient_row(source_row)
        if self._search and self._search not in model.search_key(source_row):
            return False
        if self._protocol and row.protocol_id != self._protocol:
            return False
        if self._arm and row.arm != self._arm:
            return False
        if self._status:
            if self._status == "not_decided":
                if row.resectability is not None:
                    return False
            elif self._status not in (row.resectability, row.outcome):
                return False
        if self._due:
            due = model.due_of(source_row)
            if self._due == DUE_OVERDUE and due != DUE_OVERDUE:
                return False
            if self._due == DUE_SOON and due not in (DUE_OVERDUE, DUE_SOON):
                return False
            if self._due == DUE_NONE and due != DUE_NONE:
                return False
        return True
