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
    QFrame,
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

from mdt import glossary
from mdt.evaluation import Evaluation, Finding, PlanOption
from ui.table_model import RowsTableModel

from .fields import set_style

Index = QModelIndex | QPersistentModelIndex

UNKNOWN_COLOUR = glossary.EFFECT_COLOURS[glossary.UNKNOWN]
BAD = glossary.EFFECT_COLOURS[glossary.EXCLUDES]
HEADERS = ("Finding", "Criterion")


def status_colour(finding: Finding) -> str:
    """The legend colour of a finding's effect (mdt.glossary decides whether "met" is good)."""
    return glossary.effect_colour(finding.effect or glossary.effect(finding.group, finding.status))


def _effect(finding: Finding) -> str:
    return finding.effect or glossary.effect(finding.group, finding.status)


def finding_tooltip(f: Finding) -> str:
    """The rule text on demand: the full explanation, what is missing, the criterion as its
    source words it, and the source."""
    parts = [f"<b>{html.escape(f.label or f.id)}</b>",
             f"{html.escape(glossary.effect_label(_effect(f)))} — "
             f"{html.escape(glossary.EFFECT_MEANINGS.get(_effect(f), ''))}",
             html.escape(f.explanation)]
    if f.judged_at:
        parts.append(f"Judged at the enrolment review of {html.escape(f.judged_at)}.")
    if f.missing_words:
        parts.append("Missing: " + html.escape(", ".join(f.missing_words)))
    if f.rule_text:
        parts.append(f"<i>Criterion:</i> {html.escape(f.rule_text)}")
    parts.append(f"<i>Source:</i> {html.escape(f.source)}")
    return "<p>" + "</p><p>".join(parts) + "</p>"


def _sentence(text: str) -> str:
    """First letter up, the rest as written (a code like "U2" keeps its case)."""
    return text[:1].upper() + text[1:] if text else ""


def legend_html() -> str:
    """The one legend (mdt.glossary), coloured as the marks are."""
    return " &nbsp; ".join(
        f"<span style='color:{colour}'><b>{mark} {html.escape(word)}</b></span>"
        for mark, word, colour, _meaning in glossary.LEGEND)


class CriteriaModel(RowsTableModel):
    HEADERS = HEADERS

    """Read-only rows of :class:`mdt.evaluation.Finding`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[Finding, ...] = ()
        self.details = False
        """Show each criterion's full explanation, wording and source under its line."""

    def set_details(self, on: bool) -> None:
        if on != self.details:
            self.beginResetModel()
            self.details = on
            self.endResetModel()

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
                return glossary.effect_label(_effect(f))
            when = f" (at the enrolment review of {f.judged_at})" if f.judged_at else ""
            return f"{f.label or f.id}{when} — {f.summary or f.explanation}"
        if role == Qt.ItemDataRole.ForegroundRole and col == 0:
            return QBrush(QColor(status_colour(f)))
        if role == Qt.ItemDataRole.FontRole and col == 0:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return finding_tooltip(f)
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
            group = glossary.GROUP_SHORT.get(finding.group, finding.group.replace("_", " "))
            option.text = f"{option.text}\n{group}"

    @staticmethod
    def _lines(opt: QStyleOptionViewItem, width: int) -> list[str]:
        """The mark and word, wrapped at spaces to ``width`` (bold), then the group caption: a
        narrow column gets "● unresectable" / "now" rather than "● unresectab…"."""
        first, *rest = opt.text.split("\n")
        bold = QFont(opt.font)
        bold.setBold(True)
        fm = QFontMetrics(bold)
        lines: list[str] = []
        line = ""
        for word in first.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and fm.horizontalAdvance(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
        return lines + rest

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        view = option.widget
        width = (view.columnWidth(index.column()) if isinstance(view, QTableView) else option.rect.width()) - 8
        lines = self._lines(opt, width)
        bold = QFont(opt.font)
        bold.setBold(True)
        fm = QFontMetrics(bold)
        return QSize(max(fm.horizontalAdvance(line) for line in lines) + 8, fm.lineSpacing() * len(lines) + 6)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        # Explicit lines (the style's own text layout ran short lines together: "✔ mettechnical").
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        lines = self._lines(opt, option.rect.width() - 8)
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
        caption = QFont(opt.font)
        caption_ink = ink if selected else QColor("#555555")
        caption_from = len(lines) - (1 if "\n" in opt.text else 0)
        for i, line in enumerate(lines):
            # The mark and word bold in the legend's colour; the group under it a plain caption.
            head = i < caption_from
            painter.setFont(bold if head else caption)
            painter.setPen(ink if head else caption_ink)
            painter.drawText(QRectF(rect.left(), top + i * fm.lineSpacing(), rect.width(), fm.lineSpacing()),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), line)
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
            summary = html.escape(finding.summary or finding.explanation)
            text = f"<b>{title}</b> — {summary}"
            if getattr(index.model(), "details", False):
                # The rule text on demand: the whole explanation and the criterion's wording.
                text += f"<br><span style='color:#444444'>{html.escape(finding.explanation)}"
                if finding.rule_text:
                    text += f"<br><i>Criterion:</i> {html.escape(finding.rule_text)}"
                text += f"<br><i>Source:</i> {html.escape(finding.source)}</span>"
            doc.setHtml(text)
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
        key = (str(index.data() or "") + ("+" if getattr(index.model(), "details", False) else ""),
               width, option.font.toString())
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
    text = glossary.plan_words(plan.resection, plan.remnant, plan.local_treatment)
    if plan.flr_pct is not None:
        text += f" (remnant {plan.flr_pct:.1f} %)"
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
        self.verdict_title = QLabel(glossary.PROTOCOL_VERDICT)
        self.verdict_title.setProperty("role", "hint")
        lay.addWidget(self.verdict_title)
        self.resectability = QLabel()
        self._big = big
        f = QFont(self.font())
        f.setPointSize(big)
        f.setBold(True)
        self.resectability.setFont(f)
        self.resectability.setWordWrap(True)
        self.resectability.setProperty("role", "verdict")
        self.resectability.setAccessibleName(glossary.PROTOCOL_VERDICT)
        lay.addWidget(self.resectability)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setAccessibleName("Why")
        lay.addWidget(self.reason)
        # Trial eligibility sits apart from the resectability verdict, in its own box, labelled
        # with the enrolment review it was judged at.
        self.eligibility_box = QFrame()
        self.eligibility_box.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(self.eligibility_box)
        box.setContentsMargins(6, 4, 6, 4)
        self.eligibility_title = QLabel(glossary.TRIAL_ELIGIBILITY)
        self.eligibility_title.setProperty("role", "hint")
        self.eligibility_title.setWordWrap(True)
        box.addWidget(self.eligibility_title)
        self.eligibility = QLabel()
        ef = QFont(self.font())
        ef.setPointSize(max(14, big - 6))
        ef.setBold(True)
        self.eligibility.setFont(ef)
        self.eligibility.setWordWrap(True)
        self.eligibility.setAccessibleName(glossary.TRIAL_ELIGIBILITY)
        box.addWidget(self.eligibility)
        self.eligibility_reason = QLabel()
        self.eligibility_reason.setWordWrap(True)
        box.addWidget(self.eligibility_reason)
        lay.addWidget(self.eligibility_box)
        legend_row = QHBoxLayout()
        self.legend = QLabel(legend_html())
        self.legend.setWordWrap(True)
        self.legend.setAccessibleName("Legend")
        legend_row.addWidget(self.legend, 1)
        self.details = QToolButton()
        self.details.setText("Sho&w details")
        self.details.setCheckable(True)
        self.details.setToolTip("Show under each criterion its full explanation, its wording in "
                                "the source and the source (also in each row's tooltip)")
        self.details.toggled.connect(self._toggle_details)
        if presentation:
            self.details.hide()
        legend_row.addWidget(self.details)
        lay.addLayout(legend_row)
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
        # The button under the plan, not beside it: a narrow column gives the plan's long name
        # ("Extended left hepatectomy (left trisectionectomy)") the whole width, never cut.
        better = QVBoxLayout()
        self.better = QLabel()
        self.better.setWordWrap(True)
        self.adopt = QPushButton("&Use this plan")
        self.adopt.setToolTip("Record the plan the engine found as the review's plan")
        self.adopt.clicked.connect(self._adopt)
        self._presentation = presentation
        better.addWidget(self.better)
        better.addWidget(self.adopt, 0, Qt.AlignmentFlag.AlignLeft)
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
        # In a narrow column the summary folds behind this one-line toggle (it says what it holds).
        self.summary_toggle = QToolButton()
        self.summary_toggle.setCheckable(True)
        self.summary_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.summary_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.summary_toggle.setText("Remnant, response and plan")
        self.summary_toggle.setAccessibleName("Remnant, response and plan")
        self.summary_toggle.toggled.connect(self._toggle_summary)
        self.summary_toggle.setVisible(False)
        self.set_evaluation(None)

    def _toggle_summary(self, on: bool) -> None:
        self.summary.setVisible(on or not getattr(self, "_compact", False))
        self.summary_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def set_compact(self, compact: bool) -> None:
        """Narrow column (a 1366-px screen): the verdict a size smaller, the protocol by its id and
        version (its title in the tooltip), so the criteria keep their height."""
        f = QFont(self.resectability.font())
        f.setPointSize(max(16, self._big - 5) if compact else self._big)
        self.resectability.setFont(f)
        self._compact = compact
        if self._evaluation is not None:
            self._show_protocol(self._evaluation)
        # The reason repeats the findings of the criteria that decide it (their rows say it):
        # in a narrow column it goes to the verdict's tooltip.
        self.reason.setVisible(not compact and bool(self.reason.text()))
        self.resectability.setToolTip(self.reason.text() if compact else "")
        self.summary_toggle.setVisible(compact)
        self.summary.setVisible(not compact or self.summary_toggle.isChecked())
        self._fit_status_column()

    def _show_protocol(self, ev: Evaluation) -> None:
        if getattr(self, "_compact", False):
            self.protocol.setText(f"<b>{html.escape(ev.protocol_id)}</b> v{html.escape(ev.protocol_version)}")
            self.protocol.setToolTip(ev.protocol_title)
        else:
            self.protocol.setText(f"<b>{html.escape(ev.protocol_id)}</b> v{html.escape(ev.protocol_version)} — "
                                  f"{html.escape(ev.protocol_title)}")
            self.protocol.setToolTip("")

    def _fit_status_column(self) -> None:
        """Wide enough for the widest mark and word shown and the group captions, in the fonts
        the table really has (known once the panel sits in the window)."""
        bold = QFont(self.table.font())
        bold.setBold(True)
        # The marks and words present (the column stays narrow unless "● unresectable now" is
        # shown: the criterion text needs the width more), and at least "? unknown".
        shown = {glossary.UNKNOWN, glossary.EXCLUDES} | {
            _effect(f) for f in (self.model.finding(r) for r in range(self.model.rowCount()))
            if f is not None}
        widest = max([QFontMetrics(bold).horizontalAdvance(glossary.effect_label(e))
                      for e in shown]
                     + [QFontMetrics(bold).horizontalAdvance(g)  # bold: a safe margin
                        for g in glossary.GROUP_SHORT.values()])
        width = max(125, widest + 18)
        if getattr(self, "_compact", False):
            # A narrow column: the mark and word may take two lines ("● unresectable" / "now").
            words = [w for e in shown for w in glossary.effect_label(e).split(" ")[1:]]
            widest_word = max(QFontMetrics(bold).horizontalAdvance(f"{glossary.mark(glossary.OK)} {w}")
                              for w in words + list(glossary.GROUP_SHORT.values()))
            width = max(110, widest_word + 18)
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
        self.resectability.setText(f"{glossary.MARKS[glossary.UNKNOWN]} not evaluated")
        set_style(self.resectability, f"color: {UNKNOWN_COLOUR};")
        self.reason.setText("")
        self.eligibility.setText(message)
        set_style(self.eligibility, f"color: {BAD}; font-size: 12pt;")
        self.eligibility_reason.setText("")
        self.model.set_findings(())
        for w in (self.remnant, self.recist, self.better, self.notes, self.warnings):
            w.setText("")
        self.notes_toggle.setVisible(False)
        self.adopt.setEnabled(False)

    def show_protocol_unavailable(self, protocol_id: str, note: str) -> None:
        """The patient's protocol cannot be loaded: every criterion is unknown, and why."""
        self.show_error(note)
        self.eligibility_box.setVisible(True)
        self.eligibility_title.setText("Protocol not loaded: criteria not evaluated")
        self.protocol.setText(f"<b>{html.escape(protocol_id)}</b> — not available")
        self.protocol.setToolTip(note)

    def _toggle_details(self, on: bool) -> None:
        self.model.set_details(on)
        self.table.resizeRowsToContents()

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
            self.reason.setText("")
            self.eligibility.setText("")
            self.eligibility_reason.setText("")
            self.eligibility_box.setVisible(False)
            self.model.set_findings(())
            for w in (self.remnant, self.recist, self.better, self.notes, self.warnings):
                w.setText("")
            self.notes_toggle.setVisible(False)
            self.adopt.setEnabled(False)
            return
        self._show_protocol(ev)
        self.resectability.setText(glossary.verdict_text(ev.resectability))
        set_style(self.resectability, f"color: {glossary.verdict_colour(ev.resectability)};")
        self.reason.setText(_sentence(ev.resectability_reason))
        compact = getattr(self, "_compact", False)
        self.reason.setVisible(not compact and bool(ev.resectability_reason))
        self.resectability.setToolTip(self.reason.text() if compact else "")
        self.eligibility_box.setVisible(True)
        if ev.eligibility is None:
            self.eligibility_title.setText(glossary.TRIAL_ELIGIBILITY)
            self.eligibility.setText("No eligibility block in this protocol")
            set_style(self.eligibility, "color: #444444;")
            self.eligibility_reason.setText("")
        else:
            if ev.eligibility_judged_here:
                self.eligibility_title.setText(f"{glossary.TRIAL_ELIGIBILITY} — judged at this review")
            else:
                then = glossary.short_words(ev.eligibility_resectability, "")
                self.eligibility_title.setText(
                    f"{glossary.TRIAL_ELIGIBILITY} — judged at the enrolment review of "
                    f"{ev.eligibility_review_date}" + (f" ({then} then)" if then else ""))
            self.eligibility.setText(glossary.eligibility_text(ev.eligibility))
            set_style(self.eligibility, f"color: {glossary.eligibility_colour(ev.eligibility)};")
            self.eligibility_reason.setText(_sentence(ev.eligibility_reason)
                                            if ev.eligibility != "eligible" else "")
        self.model.set_findings(ev.criteria)
        self._fit_status_column()
        self.remnant.setText(self._remnant_text(ev))
        self.recist.setText(self._recist_text(ev))
        notes = ("<br>" + "<br>".join(html.escape(n) for n in ev.best_plan.notes)
                 if ev.best_plan is not None and ev.best_plan.notes else "")
        if ev.best_plan is not None and ev.better_plan_than_recorded:
            self.better.setText(f"<b>Better plan found:</b> {html.escape(plan_words(ev.best_plan))}"
                                + notes)
            self.adopt.setEnabled(True)
        elif ev.best_plan is not None and ev.best_plan.feasible:
            self.better.setText(f"Best plan found: {html.escape(plan_words(ev.best_plan))}" + notes)
            # With no plan recorded yet, the feasible plan found is the natural first plan.
            self.adopt.setEnabled(plan_recorded is False)
        elif ev.resectability_reason == "no lesions recorded":
            self.better.setText("No plan suggested: no lesion recorded.")
            self.adopt.setEnabled(False)
        elif any("Vessel relations not assessed" in a for a in ev.assumptions):
            self.better.setText("No plan suggested: vessel relations not assessed.")
            self.adopt.setEnabled(False)
        else:
            self.better.setText("No feasible plan found." if ev.plans_considered else "")
            self.adopt.setEnabled(False)
        self.warnings.setText("\n".join(f"⚠ {w}" for w in ev.warnings))
        self.warnings.setVisible(bool(ev.warnings))
        self.notes.setText("\n".join(f"• {a}" for a in ev.assumptions))
        # Short enough for the criteria column beside the patient list (what they are: tooltip).
        self.notes_toggle.setText(f"Assumptions ({len(ev.assumptions)})")
        self.notes_toggle.setToolTip("The protocol's assumptions and settings the criteria rest on")
        self.notes_toggle.setVisible(bool(ev.assumptions) and not self._presentation)

    @staticmethod
    def _remnant_text(ev: Evaluation) -> str:
        r = ev.remnant
        if r is None:
            return ("Remnant: no plan suggested (no lesion recorded)."
                    if ev.resectability_reason == "no lesions recorded"
                    else "Remnant: no plan recorded and none found.")
        if not r.segments:
            return f"Remnant: {r.summary}."
        return f"Remnant {glossary.units_range(r.segments)}: {r.summary}."

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
