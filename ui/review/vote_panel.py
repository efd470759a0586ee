"""Panel vote and decision.

Each panellist's rating is recorded independently; the ratings and the
protocol's aggregate (CAIRO5 majority and chair, or consensus) stay hidden
until the expected number of ratings is in or the coordinator presses
"Reveal", so nobody anchors on the others.  Then the agreement is shown and
the decision form is filled from it: resectability, plan, rationale, dissent,
responsible clinician and the next review date proposed from the protocol's
assessment interval (``mdt.panel.plan_next_review``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import partial
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mdt import panel as panel_logic
from mdt.case import PLANS, RATINGS, Case, Review, Vote
from mdt.meeting import SPECIALTIES, SPECIALTY_LABELS, Member
from mdt.panel import decided_under
from ui.table_model import RowsTableModel

from . import edits
from .edits import EditFn
from .fields import set_style

Index = QModelIndex | QPersistentModelIndex
Request = Callable[[EditFn], bool]
HIDDEN = "● recorded (hidden)"
VOTE_HEADERS = ("Panellist", "Role", "Round", "Rating")
PLAN_LABELS = {
    "resection": "resection", "resection_ablation": "resection + ablation", "ablation": "ablation",
    "two_stage": "two-stage hepatectomy", "pve_then_resection": "portal vein embolisation, then resection",
    "continue_induction": "continue induction chemotherapy", "intensify_hai": "intensify / add HAI",
    "palliative": "palliative treatment", "best_supportive_care": "best supportive care",
    "rediscuss": "rediscuss at a later meeting",
}



def describe_aggregation(aggregation: Mapping[str, Any]) -> str:
    kind = aggregation.get("kind", "consensus")
    if kind == "cairo5":
        return (f"CAIRO5: {aggregation.get('first_round', 3)} {aggregation.get('voter_role', 'surgeon')}s "
                f"rate independently; unanimous = consensus, otherwise "
                f"{aggregation.get('second_round', 2)} more rate and the majority decides; a tie goes "
                f"to the chair.")
    if kind == "majority":
        return "Majority of the ratings; a tie goes to the chair."
    return "Consensus: every rating must agree, otherwise the case is rediscussed."


class VotesModel(RowsTableModel):
    HEADERS = VOTE_HEADERS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[Vote, ...] = ()
        self._revealed = False

    def set_votes(self, votes: Sequence[Vote], revealed: bool) -> None:
        votes = tuple(votes)
        if len(votes) == len(self._rows):
            changed = votes != self._rows or revealed != self._revealed
            self._rows, self._revealed = votes, revealed
            if changed and votes:
                self.dataChanged.emit(self.index(0, 0), self.index(len(votes) - 1, len(VOTE_HEADERS) - 1))
            return
        self.beginResetModel()
        self._rows, self._revealed = votes, revealed
        self.endResetModel()

    def vote(self, row: int) -> Vote | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        v = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            col = index.column()
            if col == 0:
                return v.member
            if col == 1:
                return SPECIALTY_LABELS.get(v.role or "", v.role or "—")
            if col == 2:
                return str(v.round)
            return edits.label(v.rating) if self._revealed else HIDDEN
        return None


class _VotesView(QTableView):
    remove_requested = Signal(object)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Delete:
            model = self.model()
            assert isinstance(model, VotesModel)
            vote = model.vote(self.currentIndex().row())
            if vote is not None:
                self.remove_requested.emit(vote)
            return
        super().keyPressEvent(event)


class VotePanel(QWidget):
    def __init__(self, request: Request, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._request = request
        self._case: Case | None = None
        self._review: Review | None = None
        self._aggregation: dict[str, Any] = {"kind": "consensus"}
        self._protocol_ref: tuple[str | None, str | None] = (None, None)
        self._interval: dict[str, Any] = {"weeks": 8}
        self._revealed = False
        self._members: list[Member] = []
        self.aggregate: panel_logic.Aggregate | None = None
        outer = QVBoxLayout(self)

        vote_box = QGroupBox("Independent ratings")
        vlay = QVBoxLayout(vote_box)
        self.rule = QLabel()
        self.rule.setWordWrap(True)
        vlay.addWidget(self.rule)
        entry = QGridLayout()
        self.member = QComboBox()
        self.member.setEditable(True)
        self.member.setAccessibleName("Panellist")
        self.member.setMinimumWidth(160)
        self.member.lineEdit().setPlaceholderText("panellist name")
        self.member.activated.connect(self._member_chosen)
        self.role = QComboBox()
        self.role.setAccessibleName("Role")
        for code in SPECIALTIES:
            self.role.addItem(SPECIALTY_LABELS[code], code)
        self.rating = QComboBox()
        self.rating.setAccessibleName("Rating")
        for r in RATINGS:
            self.rating.addItem(edits.label(r), r)
        self.round = QSpinBox()
        self.round.setRange(1, 2)
        self.round.setPrefix("round ")
        self.record = QPushButton("Re&cord vote")
        self.record.clicked.connect(self._record_clicked)
        self.member.lineEdit().returnPressed.connect(self._record_clicked)
        # Name, Tab, role, Tab, first letter of the rating, Enter: a vote without the mouse.
        for combo in (self.role, self.rating):
            combo.installEventFilter(self)
        # Two rows so the panel fits a narrow column: who, then what they rated.
        entry.addWidget(self.member, 0, 0)
        entry.addWidget(self.role, 0, 1, 1, 2)
        entry.addWidget(self.rating, 1, 0)
        entry.addWidget(self.round, 1, 1)
        entry.addWidget(self.record, 1, 2)
        entry.setColumnStretch(0, 2)
        entry.setColumnStretch(1, 1)
        vlay.addLayout(entry)
        self.votes_model = VotesModel(self)
        self.votes_view = _VotesView()
        self.votes_view.setModel(self.votes_model)
        self.votes_view.setAccessibleName("Votes")
        self.votes_view.verticalHeader().setVisible(False)
        self.votes_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Who rated what must read whole: name, round and rating ("permanently unresectable") fit
        # their contents; the role (implied by the name) takes what is left and elides in a narrow
        # column (the name, stretched, shrank to "A…" beside the meeting agenda).
        header = self.votes_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.votes_view.setMinimumHeight(150)
        self.votes_view.remove_requested.connect(self._remove_vote)
        vlay.addWidget(self.votes_view)
        reveal_row = QHBoxLayout()
        self.progress = QLabel()
        self.progress.setWordWrap(True)
        self.expected = QSpinBox()
        self.expected.setRange(1, 20)
        self.expected.setValue(3)
        self.expected.setPrefix("expected ratings: ")
        self.expected.setToolTip("The result stays hidden until this many ratings are in (or Reveal)")
        self.expected.valueChanged.connect(lambda _v: self._refresh_votes())
        self.reveal_button = QPushButton("Reveal ratin&gs and result")
        self.reveal_button.clicked.connect(self.reveal)
        vlay.addWidget(self.progress)
        reveal_row.addWidget(self.expected)
        reveal_row.addStretch(1)
        reveal_row.addWidget(self.reveal_button)
        vlay.addLayout(reveal_row)
        self.result = QLabel()
        f = QFont(self.font())
        f.setPointSize(20)
        f.setBold(True)
        self.result.setFont(f)
        self.result.setWordWrap(True)
        vlay.addWidget(self.result)
        chair_row = QHBoxLayout()
        self.chair_label = QLabel("Chair's rating (breaks the tie):")
        self.chair = QComboBox()
        self.chair.addItem("— not given —", None)
        for r in RATINGS:
            self.chair.addItem(edits.label(r), r)
        self.chair.activated.connect(lambda _i: self._show_aggregate())
        chair_row.addWidget(self.chair_label)
        chair_row.addWidget(self.chair)
        chair_row.addStretch(1)
        vlay.addLayout(chair_row)
        self.agg_notes = QLabel()
        self.agg_notes.setWordWrap(True)
        self.agg_notes.setProperty("role", "hint")
        vlay.addWidget(self.agg_notes)
        outer.addWidget(vote_box)

        dec_box = QGroupBox("Decision")
        form = QFormLayout(dec_box)
        self.dec_resectability = QComboBox()
        self.dec_resectability.addItem("— not decided —", None)
        for r in RATINGS:
            self.dec_resectability.addItem(edits.label(r), r)
        self.dec_plan = QComboBox()
        self.dec_plan.addItem("— no plan —", None)
        for p in PLANS:
            self.dec_plan.addItem(PLAN_LABELS.get(p, edits.label(p)), p)
        self.rationale = QLineEdit()
        self.rationale.setPlaceholderText("why the panel decided this")
        self.dissent = QLineEdit()
        self.dissent.setPlaceholderText("who disagreed and why (empty if none)")
        self.responsible = QLineEdit()
        self.responsible.setPlaceholderText("clinician responsible for the next step")
        self.next_review = QDateEdit()
        self.next_review.setCalendarPopup(True)
        self.next_review.setDisplayFormat("yyyy-MM-dd")
        self.next_basis = QLabel()
        self.next_basis.setWordWrap(True)
        self.next_basis.setProperty("role", "hint")
        self.decide_button = QPushButton("Record dec&ision")
        self.decide_button.clicked.connect(self._decide_clicked)
        for edit in (self.rationale, self.dissent, self.responsible):
            edit.returnPressed.connect(self._decide_clicked)
        for widget, name in ((self.dec_resectability, "Decision: resectability"), (self.dec_plan, "Decision: plan"),
                             (self.rationale, "Decision: rationale"), (self.dissent, "Decision: dissent"),
                             (self.responsible, "Decision: responsible clinician"),
                             (self.next_review, "Decision: next review date"), (self.round, "Rating round"),
                             (self.expected, "Expected ratings"), (self.chair, "Chair's rating")):
            widget.setAccessibleName(name)
        form.addRow("Resectabilit&y:", self.dec_resectability)
        form.addRow("&Plan:", self.dec_plan)
        form.addRow("R&ationale:", self.rationale)
        form.addRow("Dissent:", self.dissent)  # no mnemonic: every letter is taken
        form.addRow("Responsi&ble:", self.responsible)
        form.addRow("Ne&xt review:", self.next_review)
        form.addRow("", self.next_basis)
        self.recorded = QLabel()
        self.recorded.setWordWrap(True)
        form.addRow("Recorded:", self.recorded)
        form.addRow("", self.decide_button)
        outer.addWidget(dec_box)
        outer.addStretch(1)
        # Combos size to their longest label by default ("Interventional radiologist", "permanently
        # unresectable"), which made the tab wider than its meeting-mode column: let them shrink.
        for combo in (self.member, self.role, self.rating, self.chair, self.dec_resectability, self.dec_plan):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)

    # -- configuration
    def set_members(self, members: Sequence[Member]) -> None:
        active = [m for m in members if m.active]
        if active == self._members and self.member.count() == len(active):
            return
        self._members = active
        current = self.member.currentText()
        self.member.blockSignals(True)
        self.member.clear()
        for m in self._members:
            self.member.addItem(m.name, m.specialty)
        self.member.setEditText(current)
        self.member.blockSignals(False)

    def set_protocol(self, aggregation: Mapping[str, Any] | None, interval: Mapping[str, Any] | None,
                     protocol_id: str | None = None, protocol_version: str | None = None) -> None:
        # The protocol the review is evaluated under: a recorded decision keeps it.
        self._protocol_ref = (protocol_id, protocol_version)
        self._aggregation = dict(aggregation or {"kind": "consensus"})
        self._interval = dict(interval or {"weeks": 8})
        self.rule.setText(describe_aggregation(self._aggregation))
        self.round.setVisible(self._aggregation.get("kind") == "cairo5")
        self.expected.setVisible(self._aggregation.get("kind") != "cairo5")

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if (obj in (self.role, self.rating) and isinstance(event, QKeyEvent)
                and event.type() == QKeyEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not obj.view().isVisible()):
            self._record_clicked()
            return True
        return super().eventFilter(obj, event)

    def expected_votes(self) -> int:
        if self._aggregation.get("kind") == "cairo5":
            return int(self._aggregation.get("first_round", 3))
        return self.expected.value()

    # -- edits
    def _member_chosen(self, index: int) -> None:
        specialty = self.member.itemData(index)
        if specialty:
            self.role.setCurrentIndex(max(0, self.role.findData(specialty)))
        # No focus jump here: Tab from the name must always reach Role, then Rating, in that order
        # (a jump on completion made Tab skip a field for known panellists only).

    def _record_clicked(self) -> None:
        self.cast(self.member.currentText(), self.role.currentData(), self.rating.currentData(),
                  self.round.value())

    def cast(self, member: str, role: str | None, rating: str, round_: int = 1) -> bool:
        ok = self._request(partial(edits.cast_vote, member=member, role=role, rating=rating, round_=round_))
        if ok:
            self.member.setEditText("")
            self.member.setFocus()
        return ok

    def _remove_vote(self, vote: Vote) -> None:
        self._request(partial(edits.remove_vote, member=vote.member, round_=vote.round))

    def _decide_clicked(self) -> None:
        qd = self.next_review.date()
        self.decide(self.dec_resectability.currentData(), self.dec_plan.currentData(), self.rationale.text(),
                    date(qd.year(), qd.month(), qd.day()), self.dissent.text(), self.responsible.text())

    def decide(self, resectability: str | None, plan: str | None, rationale: str | None = None,
               next_review: date | None = None, dissent: str | None = None,
               responsible: str | None = None) -> bool:
        agg = self.aggregate
        # "Consensus"/"majority" is only true of a complete panel: with fewer ratings than expected
        # the decision is recorded without a rule rather than claim an agreement that was not reached.
        rule = (agg.rule if agg is not None and agg.result == resectability and self._complete() else None)
        return self._request(partial(edits.decide, resectability=resectability, plan=plan, rationale=rationale,
                                     next_review=next_review, dissent=dissent, responsible=responsible,
                                     rule=rule, protocol=self._protocol_ref[0],
                                     protocol_version=self._protocol_ref[1]))

    def _first_round(self) -> int:
        review = self._review
        return 0 if review is None else sum(1 for v in review.panel.votes if v.round == 1)

    def _complete(self) -> bool:
        return self._first_round() >= self.expected_votes()

    def reveal(self) -> None:
        self._revealed = True
        self._refresh_votes()

    def revealed(self) -> bool:
        return self._revealed

    # -- display
    def set_state(self, case: Case | None, review: Review | None, *, new_review: bool = False) -> None:
        if new_review:
            self._revealed = False
            self.chair.setCurrentIndex(0)
            self.round.setValue(1)
        self._case, self._review = case, review
        if review is None:
            return
        if review.panel.decision is not None:
            # A decision was recorded: the vote is over, nothing is hidden any more.
            self._revealed = True
        self._refresh_votes()
        self._show_decision(review)

    def _refresh_votes(self) -> None:
        review = self._review
        if review is None:
            return
        votes = review.panel.votes
        first = [v for v in votes if v.round == 1]
        if len(first) >= self.expected_votes():
            self._revealed = True
        self.votes_model.set_votes(votes, self._revealed)
        what = "first-round ratings" if self._aggregation.get("kind") == "cairo5" else "ratings"
        self.progress.setText(f"{len(first)} {what} recorded, {self.expected_votes()} expected"
                              + ("" if self._revealed else " — result hidden until all are in"))
        self.reveal_button.setEnabled(not self._revealed and bool(votes))
        self._show_aggregate()

    def _show_aggregate(self) -> None:
        review = self._review
        if review is None:
            return
        try:
            agg = panel_logic.aggregate(review.panel.votes, self._aggregation, self.chair.currentData())
        except ValueError as exc:
            self.aggregate = None
            self.result.setText(f"Aggregation error: {exc}")
            return
        self.aggregate = agg
        if agg.needs_second_round and self._aggregation.get("kind") == "cairo5" and self.round.value() == 1:
            # CAIRO5 without first-round consensus: the next ratings are second-round ones.
            self.round.setValue(2)
        if not self._revealed:
            self.result.setText("Panel result: hidden until every rating is in")
            set_style(self.result, "color: #444444;")
            self.agg_notes.setText("")
            self.chair_label.setVisible(False)
            self.chair.setVisible(False)
            return
        if not self._complete():
            # Revealed early (or decided) with ratings missing: no rule applies yet, say so.
            self.result.setText(f"Panel result: incomplete — {self._first_round()} of {self.expected_votes()} "
                                f"expected ratings in ({agg.agreement})")
            set_style(self.result, "color: #8a6d00;")
        elif agg.result is not None:
            self.result.setText(f"Panel result: {edits.label(agg.result).upper()} ({agg.rule}) — {agg.agreement}")
            set_style(self.result, "color: #0d47a1;")
        else:
            self.result.setText(f"Panel result: undecided — {agg.agreement}")
            set_style(self.result, "color: #8a6d00;")
        self.chair_label.setVisible(agg.needs_chair)
        self.chair.setVisible(agg.needs_chair)
        self.agg_notes.setText("\n".join(agg.notes))
        if agg.result is not None and review.panel.decision is None and self.dec_resectability.currentData() is None:
            self.dec_resectability.setCurrentIndex(self.dec_resectability.findData(agg.result))

    def proposed_next_review(self) -> panel_logic.NextReview | None:
        review = self._review
        if review is None:
            return None
        try:
            return panel_logic.plan_next_review(review.date, self._interval,
                                                self._case.treatment if self._case else None)
        except ValueError:
            return None

    def _show_decision(self, review: Review) -> None:
        dec = review.panel.decision
        proposal = self.proposed_next_review()
        self.next_basis.setText(f"Proposed {proposal.date.isoformat()}: {proposal.basis}" if proposal else
                                "No assessment interval in the protocol.")
        if dec is None:
            self.recorded.setText("no decision recorded yet")
            if proposal is not None:
                self.next_review.setDate(QDate(proposal.date.year, proposal.date.month, proposal.date.day))
            return
        self.dec_resectability.setCurrentIndex(max(0, self.dec_resectability.findData(dec.resectability)))
        self.dec_plan.setCurrentIndex(max(0, self.dec_plan.findData(dec.plan)))
        self.rationale.setText(dec.rationale or "")
        self.dissent.setText(dec.dissent or "")
        self.responsible.setText(dec.responsible or "")
        nd = dec.next_review or (proposal.date if proposal else None)
        if nd is not None:
            self.next_review.setDate(QDate(nd.year, nd.month, nd.day))
        self.recorded.setText(
            f"<b>{edits.label(dec.resectability)}</b>, {PLAN_LABELS.get(dec.plan or '', edits.label(dec.plan))}"
            + (f", next review {dec.next_review.isoformat()}" if dec.next_review else "")
            + (f" (by {dec.rule})" if dec.rule else "")
            + f"<br>{decided_under(dec)}")
