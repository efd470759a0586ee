"""A patient's timeline: every review by date and cycle, with the panel's
decision, the engine's verdict, the RECIST response, and the target sum as a
small chart.

RECIST figures are computed here from the reviews (cheap); the engine verdict of
each review is filled in afterwards (``set_verdicts``), so opening a patient
never waits for twenty protocol evaluations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mdt.case import Case
from ui.style import RESECTABILITY_COLOURS, fit_columns, label

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class TimelineRow:
    index: int
    date: date
    cycle: int | None
    reason: str | None
    decision: str | None
    plan: str | None
    votes: int
    response: str | None
    sld_mm: float | None
    change_pct: float | None
    next_review: date | None
    verdict: str | None = None
    """Engine resectability, filled in after the background evaluation."""


COLUMNS: tuple[str, ...] = (
    "Date", "Cycle", "Reason", "Panel decision", "Plan", "Votes", "Response",
    "Target sum (mm)", "Change", "Protocol verdict", "Next review",
)


HEADER_TEXT: dict[str, str] = {
    "Panel decision": "Panel\ndecision", "Target sum (mm)": "Target sum\n(mm)",
    "Protocol verdict": "Protocol\nverdict", "Next review": "Next\nreview",
}
"""Long headers on two lines, so the columns are as wide as their values and all of them fit."""


def build_rows(case: Case, target_limit: int = 2) -> list[TimelineRow]:
    """One row per review, oldest first, with RECIST computed over the series."""
    from mdt.recist import assess

    rows: list[TimelineRow] = []
    for i, review in enumerate(case.reviews):
        try:
            recist = assess(case.reviews, i, target_limit)
        except Exception:  # a malformed history must not hide the timeline
            recist = None
        decision = review.panel.decision
        rows.append(TimelineRow(
            index=i, date=review.date, cycle=review.cycle, reason=review.reason,
            decision=decision.resectability if decision else None,
            plan=decision.plan if decision else None,
            votes=len(review.panel.votes),
            response=("baseline" if i == 0 else recist.response) if recist else None,
            sld_mm=recist.sld_mm if recist else None,
            change_pct=(recist.change_from_baseline_pct if recist and i > 0 else None),
            next_review=decision.next_review if decision else None,
        ))
    return rows


class TimelineModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[TimelineRow] = []

    def set_rows(self, rows: Sequence[TimelineRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def set_verdicts(self, verdicts: dict[int, str]) -> None:
        """Engine resectability per review index (from the background evaluation)."""
        changed = False
        for pos, row in enumerate(self._rows):
            if row.index in verdicts and verdicts[row.index] != row.verdict:
                self._rows[pos] = _replace(row, verdict=verdicts[row.index])
                changed = True
        if changed and self._rows:
            col = COLUMNS.index("Protocol verdict")
            self.dataChanged.emit(self.index(0, col), self.index(len(self._rows) - 1, col))

    def rows(self) -> list[TimelineRow]:
        return list(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(COLUMNS):
            return HEADER_TEXT.get(COLUMNS[section], COLUMNS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row = self._rows[index.row()]
        col = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            key = row.decision if col == "Panel decision" else row.verdict if col == "Protocol verdict" else None
            if key in RESECTABILITY_COLOURS:
                return QBrush(QColor(RESECTABILITY_COLOURS[key]))
        if role == Qt.ItemDataRole.UserRole:
            return row.index
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("Cycle", "Votes", "Target sum (mm)", "Change"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _replace(row: TimelineRow, **changes: object) -> TimelineRow:
    from dataclasses import replace

    return replace(row, **changes)


def _display(row: TimelineRow, col: str) -> str:
    if col == "Date":
        return row.date.isoformat()
    if col == "Cycle":
        return "" if row.cycle is None else str(row.cycle)
    if col == "Reason":
        return label(row.reason or "")
    if col == "Panel decision":
        return label(row.decision) if row.decision else "not decided"
    if col == "Plan":
        return label(row.plan or "")
    if col == "Votes":
        return str(row.votes)
    if col == "Response":
        return row.response or ""
    if col == "Target sum (mm)":
        return "" if row.sld_mm is None else f"{row.sld_mm:g}"
    if col == "Change":
        return "" if row.change_pct is None else f"{row.change_pct:+.0f} %"
    if col == "Protocol verdict":
        return label(row.verdict) if row.verdict else "…"
    if col == "Next review":
        return row.next_review.isoformat() if row.next_review else ""
    return ""


MIN_CHART_HEIGHT = 220


class TargetSumChart(QWidget):
    """The course of the target sum (mm) over the reviews, as a small line chart."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._points: list[tuple[date, float | None, str | None]] = []
        # Tall enough to read the trend from across the room; it grows with the window.
        self.setMinimumHeight(MIN_CHART_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Target sum chart")

    def set_rows(self, rows: Sequence[TimelineRow]) -> None:
        self._points = [(r.date, r.sld_mm, r.response) for r in rows]
        self.update()

    def points(self) -> list[tuple[date, float | None, str | None]]:
        return list(self._points)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        fm = p.fontMetrics()
        left, right = fm.horizontalAdvance("000 mm") + 12, fm.horizontalAdvance("00 Mmm 00") // 2 + 8
        top, bottom = fm.height() + 10, fm.height() + 10
        area = QRectF(left, top, max(10, self.width() - left - right), max(10, self.height() - top - bottom))
        p.setPen(QPen(QColor("#999999"), 1))
        p.drawRect(area)
        measured = [(d, v) for d, v, _ in self._points if v is not None]
        if not measured:
            p.setPen(QColor("#555555"))
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, "No target sum recorded yet")
            return
        vmax = max(v for _, v in measured) or 1.0
        vmax *= 1.1
        n = len(self._points)

        def pos(i: int, v: float) -> QPointF:
            x = area.left() + (area.width() * (i / (n - 1)) if n > 1 else area.width() / 2)
            y = area.bottom() - area.height() * (v / vmax)
            return QPointF(x, y)

        p.setPen(QColor("#333333"))
        p.drawText(QRectF(0, area.top() - 6, left - 6, fm.height()), Qt.AlignmentFlag.AlignRight,
                   f"{vmax:.0f} mm")
        p.drawText(QRectF(0, area.bottom() - fm.height() + 4, left - 6, fm.height()),
                   Qt.AlignmentFlag.AlignRight, "0")
        path = QPainterPath()
        started = False
        for i, (_d, v, _r) in enumerate(self._points):
            if v is None:
                continue
            pt = pos(i, v)
            if started:
                path.lineTo(pt)
            else:
                path.moveTo(pt)
                started = True
        p.setPen(QPen(QColor("#1f5fa8"), 3))
        p.drawPath(path)
        for i, (d, v, resp) in enumerate(self._points):
            x = pos(i, 0).x()
            p.setPen(QColor("#333333"))
            p.drawText(QRectF(x - 60, area.bottom() + 2, 120, fm.height()), Qt.AlignmentFlag.AlignHCenter,
                       d.strftime("%d %b %y"))
            if v is None:
                continue
            pt = pos(i, v)
            p.setBrush(QColor("#1f5fa8"))
            p.drawEllipse(pt, 5, 5)
            if resp:
                p.drawText(QRectF(pt.x() - 40, pt.y() - fm.height() - 6, 80, fm.height()),
                           Qt.AlignmentFlag.AlignHCenter, resp)


class TimelineWidget(QWidget):
    """The timeline table over the chart; activating a row opens that review."""

    review_activated = Signal(int)
    """Index of the review (in the case, oldest first) the user opened."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = TimelineModel(self)
        self.title = QLabel("No patient open")
        self.title.setProperty("role", "verdict")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        # Columns as wide as their values (measured after each fill, a timeline has few rows);
        # the last one takes what is left.
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.activated.connect(lambda ix: self.review_activated.emit(self.model.rows()[ix.row()].index))
        self.chart = TargetSumChart()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 3)
        layout.addWidget(QLabel("Sum of target lesion diameters"))
        layout.addWidget(self.chart, 2)

    def set_case(self, case: Case | None, target_limit: int = 2, title: str = "") -> None:
        rows = build_rows(case, target_limit) if case is not None else []
        self.model.set_rows(rows)
        fit_columns(self.table)
        self.chart.set_rows(rows)
        self.title.setText(title or ("No patient open" if case is None else case.patient.id))
        if rows:
            self.table.selectRow(len(rows) - 1)

    def set_verdicts(self, verdicts: dict[int, str]) -> None:
        self.model.set_verdicts(verdicts)
        self.table.resizeColumnToContents(COLUMNS.index("Protocol verdict"))
