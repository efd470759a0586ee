"""Criteria panel: the verdict in large type, then every criterion with its status and why.

Resectability and eligibility come first, in words and colour (never colour
alone), then one row per criterion of the protocol in its order: status as a
symbol and a word, the criterion's title, and the explanation naming the data
that drove it.  Below: the remnant and RECIST summaries, the better plan the
engine found (with a button to adopt it), assumptions and warnings.

:class:`CriteriaPanel` can be built with ``presentation=True`` for the
presentation mode (bigger type, read-only).
"""

from __future__ import annotations

import html

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mdt import anatomy
from mdt.evaluation import MET, NOT_MET, UNKNOWN, Evaluation, Finding, PlanOption
from ui.table_model import RowsTableModel

from . import edits
from .fields import set_style

Index = QModelIndex | QPersistentModelIndex

STATUS_WORDS = {MET: "✔ met", NOT_MET: "✘ not met", UNKNOWN: "? unknown"}
UNKNOWN_COLOUR = "#8a6d00"
# Whether "met" is good news depends on the group: an inclusion criterion met is good,
# an exclusion criterion met is bad.  Unknown is always amber: it is never a pass.
_GOOD_WHEN_MET = {"inclusion", "organ_function", "technical", "biological", "resectability"}
_BAD_WHEN_MET = {"exclusion"}
GOOD, BAD, NEUTRAL = "#1b5e20", "#b3261e", "#0d47a1"
VERDICT_COLOURS = {
    "resectable": "#1b5e20", "convertible": "#0d47a1", "permanently_unresectable": "#b3261e",
    "indeterminate": UNKNOWN_COLOUR, "eligible": "#1b5e20", "not_eligible": "#b3261e",
}
HEADERS = ("Status", "Criterion and why")



def status_colour(finding: Finding) -> str:
    if finding.status == UNKNOWN:
        return UNKNOWN_COLOUR
    met = finding.status == MET
    if finding.group in _BAD_WHEN_MET:
        return BAD if met else GOOD
    if finding.group in _GOOD_WHEN_MET:
        return GOOD if met else BAD
    return NEUTRAL if met else "#444444"


class CriteriaModel(RowsTableModel):
    HEADERS = HEADERS

    """Read-only rows of :class:`mdt.evaluation.Finding`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[Finding, ...] = ()

    def set_findings(self, findings: tuple[Finding, ...]) -> None:
        findings = tuple(findings)
        if len(findings) == len(self._rows) and [f.id for f in findings] == [f.id for f in self._rows]:
            changed = findings != self._rows
            self._rows = findings
            if changed and findings:
                self.dataChanged.emit(self.index(0, 0), self.index(len(findings) - 1, len(HEADERS) - 1))
            return
        self.beginResetModel()
        self._rows = findings
        self.endResetModel()

    def finding(self, row: int) -> Finding | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        f = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return STATUS_WORDS.get(f.status, f.status)
            return f"{f.label or f.id.replace('_', ' ')}\n{f.explanation}"
        if role == Qt.ItemDataRole.ForegroundRole and col == 0:
            return QBrush(QColor(status_colour(f)))
        if role == Qt.ItemDataRole.FontRole and col == 0:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{f.group}: {f.explanation}\nSource: {f.source}"
            if f.missing:
                tip += "\nMissing: " + ", ".join(f.missing)
            return tip
        if role == Qt.ItemDataRole.UserRole:
            return f.status
        return None


class StatusDelegate(QStyledItemDelegate):
    """The status word with the criterion's group under it ("✘ not met / exclusion"): the group says
    why green can mean "not met" (an exclusion criterion not met is good news), without colour."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        finding = index.model().finding(index.row()) if hasattr(index.model(), "finding") else None
        if finding is not None and finding.group:
            option.text = f"{option.text}\n{finding.group.replace('_', ' ')}"

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        # Two explicit lines (the style's own text layout ran short lines together: "✔ mettechnical").
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        lines = opt.text.split("\n")
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        ink = option.palette.highlightedText().color() if selected else opt.palette.text().color()
        brush = index.data(Qt.ItemDataRole.ForegroundRole)
        if brush is not None and not selected:
            ink = brush.color()
        bold = QFont(opt.font)
        bold.setBold(True)
        fm = QFontMetrics(bold)
        rect = option.rect.adjusted(4, 0, -4, 0)
        top = rect.top() + (rect.height() - fm.lineSpacing() * len(lines)) / 2
        painter.save()
        painter.setFont(bold)
        painter.setPen(ink)
        for i, line in enumerate(lines):
            painter.drawText(QRectF(rect.left(), top + i * fm.lineSpacing(), rect.width(), fm.lineSpacing()),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                             fm.elidedText(line, Qt.TextElideMode.ElideRight, rect.width()))
        painter.restore()


class CriterionDelegate(QStyledItemDelegate):
    """Criterion title in bold over its explanation, wrapped to the column width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sizes: dict[tuple[str, int, str], QSize] = {}

    def _doc(self, option: QStyleOptionViewItem, index: Index) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(3)
        finding = index.model().finding(index.row()) if hasattr(index.model(), "finding") else None
        if finding is None:
            doc.setPlainText(str(index.data() or ""))
        else:
            title = html.escape(finding.label or finding.id.replace("_", " "))
            doc.setHtml(f"<b>{title}</b><br>{html.escape(finding.explanation)}")
        doc.setTextWidth(max(50, option.rect.width()))
        return doc

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        doc = self._doc(option, index)
        painter.save()
        painter.translate(option.rect.topLeft())
        if option.state & QStyle.StateFlag.State_Selected:
            doc.setHtml(doc.toHtml().replace("color:#000000", "color:#ffffff"))
            painter.setPen(option.palette.highlightedText().color())
        doc.drawContents(painter)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        view = option.widget
        width = option.rect.width()
        if isinstance(view, QTableView):
            # The painted cell is the column less its grid line: measure the same width, or a
            # text that wraps one more line when painted runs over the next row.
            width = view.columnWidth(index.column()) - (1 if view.showGrid() else 0)
        # Laying out rich text is the slow part of a refresh: remember sizes per text and width.
        key = (str(index.data() or ""), width, option.font.toString())
        size = self._sizes.get(key)
        if size is None:
            opt = QStyleOptionViewItem(option)
            opt.rect.setWidth(width)
            doc = self._doc(opt, index)
            size = QSize(int(doc.idealWidth()), int(doc.size().height()) + 2)
            if len(self._sizes) > 2000:
                self._sizes.clear()
            self._sizes[key] = size
        return size


def plan_words(plan: PlanOption) -> str:
    name = anatomy.RESECTION_LABELS.get(plan.resection or "", None)
    text = name or "remnant " + ", ".join(plan.remnant)
    if plan.local_treatment:
        text += " + " + ", ".join(f"{method} {lid}" for lid, method in plan.local_treatment)
    if plan.flr_pct is not None:
        text += f" (sFLR {plan.flr_pct:.1f} %)"
    return text


class CriteriaPanel(QWidget):
    """Shows one :class:`Evaluation`; ``adopt_plan`` asks the editor to record the better plan."""

    adopt_plan = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, presentation: bool = False) -> None:
        super().__init__(parent)
        self._evaluation: Evaluation | None = None
        big = 30 if presentation else 22
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.protocol = QLabel()
        self.protocol.setWordWrap(True)
        lay.addWidget(self.protocol)
        self.resectability = QLabel()
        self.eligibility = QLabel()
        for label in (self.resectability, self.eligibility):
            f = QFont(self.font())
            f.setPointSize(big)
            f.setBold(True)
            label.setFont(f)
            label.setWordWrap(True)
            label.setProperty("role", "verdict")
            lay.addWidget(label)
        self.model = CriteriaModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(0, StatusDelegate(self.table))
        self.table.setItemDelegateForColumn(1, CriterionDelegate(self.table))
        # Row heights follow the wrapped text when the panel is resized.
        self.table.horizontalHeader().sectionResized.connect(
            lambda *_a: self.table.resizeRowsToContents())
        self.table.setAccessibleName("Criteria")
        self.table.setWordWrap(True)
        # Read-only: arrows scroll the rows, Tab moves on (a 30-row table must not trap the keyboard).
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self._fit_status_column()
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if presentation:
            f = QFont(self.font())
            f.setPointSize(18)
            self.table.setFont(f)
        lay.addWidget(self.table, 1)
        # Remnant, RECIST, best plan, warnings and assumptions: one block the editor may place
        # under the diagram, so the criteria table keeps the whole height of its column.
        self.summary = QWidget()
        outer = lay
        lay = QVBoxLayout(self.summary)
        lay.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.summary)
        self.remnant = QLabel()
        self.remnant.setWordWrap(True)
        self.recist = QLabel()
        self.recist.setWordWrap(True)
        lay.addWidget(self.remnant)
        lay.addWidget(self.recist)
        better = QHBoxLayout()
        self.better = QLabel()
        self.better.setWordWrap(True)
        self.adopt = QPushButton("&Use this plan")
        self.adopt.setToolTip("Record the plan the engine found as the review's plan")
        self.adopt.clicked.connect(self._adopt)
        self._presentation = presentation
        better.addWidget(self.better, 1)
        better.addWidget(self.adopt)
        # Only after it has a parent: showing a parentless button opens a stray window.
        if presentation:
            self.adopt.hide()
        lay.addLayout(better)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        set_style(self.warnings, "color: #8a6d00; font-size: 12pt;")
        lay.addWidget(self.warnings)
        # Assumptions and settings are long and the same for every review: folded by default.
        self.notes_toggle = QToolButton()
        self.notes_toggle.setCheckable(True)
        self.notes_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.notes_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.notes_toggle.toggled.connect(self._toggle_notes)
        lay.addWidget(self.notes_toggle)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setProperty("role", "hint")
        self.notes.setVisible(False)
        lay.addWidget(self.notes)
        self.set_evaluation(None)

    def _fit_status_column(self) -> None:
        """Wide enough for the longest group word under the status ("unresectability"), in the
        font the table really has (known once the panel sits in the window)."""
        bold = QFont(self.table.font())
        bold.setBold(True)
        width = max(125, QFontMetrics(bold).horizontalAdvance("unresectability") + 18)
        if self.table.columnWidth(0) != width:
            self.table.setColumnWidth(0, width)
            # The stretched text column changes width after this returns: re-measure the wrapped
            # rows then, or a long explanation runs over the next row.
            QTimer.singleShot(0, self.table.resizeRowsToContents)

    def showEvent(self, event) -> None:  # type: ignore[override]  # noqa: N802
        super().showEvent(event)
        self._fit_status_column()

    def evaluation(self) -> Evaluation | None:
        return self._evaluation

    def show_error(self, message: str) -> None:
        """The engine could not evaluate: say so (an error is never shown as a verdict)."""
        self._evaluation = None
        self.resectability.setText("Resectability: not evaluated")
        set_style(self.resectability, f"color: {UNKNOWN_COLOUR};")
        self.eligibility.setText(message)
        set_style(self.eligibility, f"color: {BAD}; font-size: 12pt;")
        self.model.set_findings(())
        for w in (self.remnant, self.recist, self.better, self.notes, self.warnings):
            w.setText("")
        self.notes_toggle.setVisible(False)
        self.adopt.setEnabled(False)

    def _toggle_notes(self, on: bool) -> None:
        self.notes.setVisible(on)
        self.notes_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def set_evaluation(self, ev: Evaluation | None, plan_recorded: bool | None = None) -> None:
        """``plan_recorded=False`` (no resection or remnant in the review) lets the user adopt the best
        feasible plan as the first plan; None keeps the engine's "better than recorded" rule only."""
        self._evaluation = ev
        self._fit_status_column()
        if ev is None:
            self.protocol.setText("No review selected")
            self.resectability.setText("")
            self.eligibility.setText("")
            self.model.set_findings(())
            for w in (self.remnant, self.recist, self.better, self.notes, self.warnings):
                w.setText("")
            self.notes_toggle.setVisible(False)
            self.adopt.setEnabled(False)
            return
        self.protocol.setText(f"<b>{ev.protocol_id}</b> v{ev.protocol_version} — {ev.protocol_title}")
        self.resectability.setText(f"Resectability: {edits.label(ev.resectability).upper()}")
        set_style(self.resectability, f"color: {VERDICT_COLOURS.get(ev.resectability, '#111')};")
        if ev.eligibility is None:
            self.eligibility.setText("Eligibility: no eligibility block in this protocol")
            set_style(self.eligibility, "color: #444444;")
        else:
            self.eligibility.setText(f"Eligibility: {edits.label(ev.eligibility).upper()}")
            set_style(self.eligibility, f"color: {VERDICT_COLOURS.get(ev.eligibility, '#111')};")
        self.model.set_findings(ev.criteria)
        self.remnant.setText(self._remnant_text(ev))
        self.recist.setText(self._recist_text(ev))
        if ev.best_plan is not None and ev.better_plan_than_recorded:
            self.better.setText(f"<b>Better plan found:</b> {plan_words(ev.best_plan)}")
            self.adopt.setEnabled(True)
        elif ev.best_plan is not None and ev.best_plan.feasible:
            self.better.setText(f"Best plan found: {plan_words(ev.best_plan)}")
            # With no plan recorded yet, the feasible plan found is the natural first plan.
            self.adopt.setEnabled(plan_recorded is False)
        else:
            self.better.setText("No feasible plan found." if ev.plans_considered else "")
            self.adopt.setEnabled(False)
        self.warnings.setText("\n".join(f"⚠ {w}" for w in ev.warnings))
        self.warnings.setVisible(bool(ev.warnings))
        self.notes.setText("\n".join(f"• {a}" for a in ev.assumptions))
        self.notes_toggle.setText(f"Assumptions and settings ({len(ev.assumptions)})")
        self.notes_toggle.setVisible(bool(ev.assumptions) and not self._presentation)

    @staticmethod
    def _remnant_text(ev: Evaluation) -> str:
        r = ev.remnant
        if r is None:
            return "Remnant: no plan and none found."
        segs = ", ".join(r.segments) if r.segments else "—"
        if r.flr_pct is None:
            return f"Remnant {segs}: sFLR unknown (volume missing)."
        src = {"measured": "measured TLV", "estimated": "estimated TLV (Vauthey)"}.get(r.tlv_source or "", "")
        if r.adequate is None:
            verdict = "unknown"
        else:
            verdict = "adequate" if r.adequate else "INSUFFICIENT"
        thr = f" vs {r.threshold_pct:g} %" if r.threshold_pct is not None else " (threshold unknown)"
        near = ", at threshold" if r.at_threshold else ""
        return f"Remnant {segs}: sFLR {r.flr_pct:.1f} %{thr} — {verdict}{near} ({src})."

    @staticmethod
    def _recist_text(ev: Evaluation) -> str:
        rc = ev.recist
        if rc is None:
            return ""
        parts = [f"RECIST: {rc.response}"]
        if rc.sld_mm is not None:
            parts.append(f"SLD {rc.sld_mm:g} mm")
        if rc.change_from_baseline_pct is not None:
            parts.append(f"{rc.change_from_baseline_pct:+.1f} % from baseline")
        if rc.change_from_nadir_pct is not None:
            parts.append(f"{rc.change_from_nadir_pct:+.1f} % from nadir")
        if rc.new_lesions:
            parts.append("new: " + ", ".join(rc.new_lesions))
        return " · ".join(parts)

    def _adopt(self) -> None:
        ev = self._evaluation
        if ev is not None and ev.best_plan is not None:
            self.adopt_plan.emit(ev.best_plan)
