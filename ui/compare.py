"""Compare a review with the previous one: per-lesion change, target sums,
response, vessel contacts, and what changed in the protocol's criteria.

All figures come from ``mdt.recist`` and ``mdt.protocols.evaluate``; this widget
only lines them up.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mdt import glossary
from mdt.case import Case, Lesion, Review
from mdt.errors import MdtError
from mdt.evaluation import Evaluation, Finding, RecistSummary
from mdt.protocols.governing import CRITERIA, lookup
from ui.style import fit_columns, label


@dataclass(frozen=True, slots=True)
class LesionChange:
    lesion_id: str
    before_segments: str
    now_segments: str
    before_mm: float | None
    now_mm: float | None
    target: bool
    before_status: str
    now_status: str

    @property
    def change_mm(self) -> float | None:
        if self.before_mm is None or self.now_mm is None:
            return None
        return self.now_mm - self.before_mm

    @property
    def change_pct(self) -> float | None:
        if self.change_mm is None or not self.before_mm:
            return None
        return 100.0 * self.change_mm / self.before_mm


def lesion_changes(before: Review, now: Review) -> list[LesionChange]:
    """Every lesion of either review, matched by id (the same id is the same lesion)."""
    ids = [les.id for les in before.lesions] + [les.id for les in now.lesions
                                                if before.lesion(les.id) is None]
    out = []
    for lid in ids:
        b, n = before.lesion(lid), now.lesion(lid)
        out.append(LesionChange(
            lesion_id=lid,
            before_segments=_segs(b), now_segments=_segs(n),
            before_mm=_mm(b), now_mm=_mm(n),
            target=bool((n and n.target) or (b and b.target)),
            before_status=b.status if b else "new" if n else "",
            now_status=n.status if n else "not assessed",
        ))
    return out


def _segs(lesion: Lesion | None) -> str:
    return ", ".join(lesion.segments) if lesion else "—"


def _mm(lesion: Lesion | None) -> float | None:
    return None if lesion is None or lesion.diameter_mm is None else float(lesion.diameter_mm)


def _fmt(value: float | None, unit: str = "", signed: bool = False) -> str:
    if value is None:
        return "—"
    text = f"{value:+.1f}" if signed else f"{value:g}"
    return f"{text}{unit}"


LESION_HEADERS = ("Lesion", "Target", "Segments\nbefore", "Segments\nnow", "Before\n(mm)", "Now\n(mm)",
                  "Change\n(mm)", "Change", "Status\nnow")
"""Two-line titles: every figure column fits beside the patient list on a 1366-px screen."""
CRITERIA_HEADERS = ("Criterion", "Before", "Now", "")


class CompareWidget(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("Open a patient with at least two reviews to compare.")
        self.title.setProperty("role", "verdict")
        self.title.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lesion_model = QStandardItemModel(0, len(LESION_HEADERS), self)
        self.lesion_model.setHorizontalHeaderLabels(list(LESION_HEADERS))
        self.criteria_model = QStandardItemModel(0, len(CRITERIA_HEADERS), self)
        self.criteria_model.setHorizontalHeaderLabels(list(CRITERIA_HEADERS))
        self.lesions = self._table(self.lesion_model)
        self.criteria = self._table(self.criteria_model)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.lesions)
        split.addWidget(self.criteria)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)

    @staticmethod
    def _table(model: QStandardItemModel) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.verticalHeader().setVisible(False)
        view.setTabKeyNavigation(False)  # Tab moves between the two tables, arrows within one
        view.setAlternatingRowColors(True)
        return view

    @staticmethod
    def nothing_to_compare(case: Case | None, index: int | None) -> str:
        """Why there is no comparison, and what would give one: "choose a later review" only when
        there is one to choose."""
        if case is None:
            return "No patient open: choose one in the patient list to compare two reviews."
        count = len(case.reviews)
        if count == 0:
            return "No review recorded yet: Compare shows a review beside the one before it."
        if count == 1:
            return ("Only one review is recorded: Compare shows a review beside the one before it, "
                    "once a second review is added (Review tab, New review).")
        return "This is the first review: choose a later review to compare it with the one before."

    def set_case(self, case: Case | None, index: int | None, target_limit: int = 2) -> None:
        self.lesion_model.setRowCount(0)
        self.criteria_model.setRowCount(0)
        if case is None or index is None or index < 1 or index >= len(case.reviews):
            self.title.setText(self.nothing_to_compare(case, index))
            self.summary.setText("")
            return
        before, now = case.reviews[index - 1], case.reviews[index]
        self.title.setText(
            f"Review of {now.date.isoformat()} (cycle {_cyc(now)}) compared with "
            f"{before.date.isoformat()} (cycle {_cyc(before)})")
        for ch in lesion_changes(before, now):
            self.lesion_model.appendRow([QStandardItem(x) for x in (
                ch.lesion_id, "yes" if ch.target else "", ch.before_segments, ch.now_segments,
                _fmt(ch.before_mm), _fmt(ch.now_mm), _fmt(ch.change_mm, " mm", signed=True),
                _fmt(ch.change_pct, " %", signed=True), label(ch.now_status),
            )])
        lines = [self._recist_lines(case, index, target_limit)]
        lines.append(self._vessel_lines(before, now))
        ev_before, ev_now = _evaluate(case, index - 1), _evaluate(case, index)
        if ev_before is not None and ev_now is not None:
            lines.append(f"{glossary.PROTOCOL_VERDICT}: {glossary.verdict_text(ev_before.resectability)} → "
                         f"{glossary.verdict_text(ev_now.resectability)}")
            self._fill_criteria(ev_before, ev_now)
        else:
            missing = lookup(case).note_for(CRITERIA)
            lines.append(f"{glossary.PROTOCOL_VERDICT}: not available for these reviews"
                         + (f" ({missing})" if missing else ""))
        dec_b, dec_n = before.panel.decision, now.panel.decision
        lines.append(f"{glossary.PANEL_DECISION}: "
                     f"{label(dec_b.resectability) if dec_b and dec_b.resectability else 'not decided'} → "
                     f"{label(dec_n.resectability) if dec_n and dec_n.resectability else 'not decided'}")
        self.summary.setText("\n".join(x for x in lines if x))
        self.fit_columns()

    def fit_columns(self) -> None:
        """Figures as wide as their values; the status and the criterion's name take the rest."""
        fit_columns(self.lesions, stretch=LESION_HEADERS.index("Status\nnow"))
        fit_columns(self.criteria, stretch=CRITERIA_HEADERS.index("Criterion"))

    def _recist_lines(self, case: Case, index: int, target_limit: int) -> str:
        from mdt.recist import assess

        try:
            r_b: RecistSummary = assess(case.reviews, index - 1, target_limit)
            r_n: RecistSummary = assess(case.reviews, index, target_limit)
        except Exception as exc:  # noqa: BLE001 - a malformed history is reported, not fatal
            return f"RECIST: not computable ({exc})"
        change = None
        if r_b.sld_mm is not None and r_n.sld_mm is not None and r_b.sld_mm:
            change = 100.0 * (r_n.sld_mm - r_b.sld_mm) / r_b.sld_mm
        text = (f"Target sum: {_fmt(r_b.sld_mm, ' mm')} → {_fmt(r_n.sld_mm, ' mm')}"
                f" ({_fmt(change, ' %', signed=True)} since the previous review; "
                f"{_fmt(r_n.change_from_baseline_pct, ' %', signed=True)} from baseline, "
                f"{_fmt(r_n.change_from_nadir_pct, ' %', signed=True)} from nadir)\n"
                f"Response: {r_b.response} → {r_n.response}")
        if r_n.new_lesions:
            text += f"; new lesions: {', '.join(r_n.new_lesions)}"
        if r_n.warnings:
            text += "\n" + "\n".join(f"Warning: {w}" for w in r_n.warnings)
        return text

    @staticmethod
    def _vessel_lines(before: Review, now: Review) -> str:
        def key(v):
            return (v.structure, v.lesion or "")
        b = {key(v): v.relation for v in before.vessels or ()}
        n = {key(v): v.relation for v in now.vessels or ()}
        changes = []
        for k in sorted(set(b) | set(n)):
            if b.get(k) != n.get(k):
                who = f" ({k[1]})" if k[1] else ""
                changes.append(f"{k[0]}{who}: {b.get(k, 'none')} → {n.get(k, 'none')}")
        return "Vessel contacts: " + ("; ".join(changes) if changes else "unchanged")

    def _fill_criteria(self, before: Evaluation, now: Evaluation) -> None:
        # Imported here: ui.review loads the whole review editor, which start-up defers.
        from ui.review.criteria_panel import status_colour

        b = {f.id: f for f in before.criteria}
        ids = [f.id for f in now.criteria] + [i for i in b if i not in {f.id for f in now.criteria}]
        n = {f.id: f for f in now.criteria}
        # Changed criteria first: that is what the board asks about.
        ordered = sorted(ids, key=lambda i: (b.get(i) and b[i].status) == (n.get(i) and n[i].status))
        for cid in ordered:
            fb, fn = b.get(cid), n.get(cid)
            title = (fn or fb).label or cid
            sb = fb.status if fb else "—"
            sn = fn.status if fn else "—"
            changed = sb != sn
            # The one legend (mdt.glossary): what each finding means for the verdict, never the
            # bare "met / not met" (an exclusion "met" and an inclusion "met" are opposite news).
            items = [QStandardItem(title), QStandardItem(_effect_words(fb)),
                     QStandardItem(_effect_words(fn)), QStandardItem("CHANGED" if changed else "")]
            # Colour by what the status means for this criterion (the criteria panel's rule): an
            # inclusion criterion met ("ECOG 0-1") is good news, not the red of an exclusion met.
            for item, finding in ((items[1], fb), (items[2], fn)):
                if finding is not None:
                    item.setForeground(QBrush(QColor(status_colour(finding))))
            for item, finding in ((items[1], fb), (items[2], fn)):
                if finding is not None:
                    item.setToolTip(f"{finding.summary}\n{finding.explanation}")
            if fn is not None:
                items[0].setToolTip(f"{fn.explanation}\nSource: {fn.source}")
            self.criteria_model.appendRow(items)


def _effect_words(finding: Finding | None) -> str:
    """"✔ OK", "● unresectable now", "✘ excludes", "? unknown" (— when the criterion is absent)."""
    if finding is None:
        return "—"
    return glossary.effect_label(finding.effect or glossary.effect(finding.group, finding.status))


def _cyc(review: Review) -> str:
    return "–" if review.cycle is None else str(review.cycle)


def _evaluate(case: Case, index: int) -> Evaluation | None:
    from mdt.protocols import evaluate

    try:
        return evaluate(case, index)
    except MdtError:
        return None
