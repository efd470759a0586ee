"""Panel ratings and decision of the open review.

Who may rate, how many ratings are expected and when the ratings may be seen are rules of the
core (``mdt.votes``, ``mdt.panel.may_see_aggregate``); this panel shows them.  It offers only the
members recorded as present at the review's meeting with a voting role; the service refuses
anyone else.  A second rating by the same member is a change and asks for its reason; a rating
is withdrawn (Delete on its row) with a reason too, and stays in the record.  Ratings stay
hidden until every expected rating is in or someone presses "Reveal", so nobody anchors on the
others; the rating drop-down is blank again after every entry, so the last hidden rating is
never left on the screen.

The decision form is bound to the patient and review it was filled for: it says whose it is,
it is cleared whenever the review changes, and its save names that patient (the service refuses
a review of anyone else).
"""

from __future__ import annotations

import html
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
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mdt import glossary
from mdt import panel as panel_logic
from mdt import review_edits as edits
from mdt import votes as vote_rules
from mdt.case import PLANS, RATINGS, Case, Review, Vote
from mdt.meeting import SPECIALTY_LABELS
from mdt.panel import decided_under
from mdt.protocols.governing import FALLBACK_AGGREGATION
from mdt.recist import DEFAULT_ASSESSMENT_INTERVAL
from ui.table_model import RowsTableModel

from .fields import set_style

Index = QModelIndex | QPersistentModelIndex
Request = Callable[..., bool]
RateFn = Callable[[str, str, "str | None"], bool]
"""(member, rating, reason for a change or None) -> saved?"""
WithdrawFn = Callable[[str, int, str], bool]
"""(member, round, reason) -> saved?"""
HIDDEN = "● recorded (hidden)"
CHOOSE_MEMBER = "— panellist —"
CHOOSE_RATING = "— rating —"
VOTE_HEADERS = ("Panellist", "Role", "Round", "Rating", "Changes")
PLAN_LABELS = {
    "resection": "resection", "resection_ablation": "resection + ablation", "ablation": "ablation",
    "two_stage": "two-stage hepatectomy", "pve_then_resection": "portal vein embolisation, then resection",
    "continue_induction": "continue induction chemotherapy", "intensify_hai": "intensify / add HAI",
    "palliative": "palliative treatment", "best_supportive_care": "best supportive care",
    "rediscuss": "rediscuss at a later meeting",
}


def describe_aggregation(aggregation: Mapping[str, Any]) -> str:
    """The protocol's rule in words (``mdt.votes.describe_rule``)."""
    return vote_rules.describe_rule(aggregation)


class ReasonDialog:
    """Seam for the reason of a changed or withdrawn rating (tests replace ``ask``)."""

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, prompt: str) -> str | None:
        text, ok = QInputDialog.getText(parent, title, prompt)
        return text.strip() if ok and text.strip() else None


def _change_words(vote: Vote, revealed: bool) -> str:
    if not vote.changes:
        return ""
    n = len(vote.changes)
    if not revealed:
        # The reason may name a rating: nothing of it before the ratings are revealed.
        return "withdrawn" if vote.withdrawn else f"changed {'once' if n == 1 else f'{n} times'}"
    parts = []
    for c in vote.changes:
        before = edits.label(c.from_rating) if c.from_rating else "no rating"
        after = edits.label(c.to_rating) if c.to_rating else "withdrawn"
        parts.append(f"{before} → {after}: {c.reason}")
    return "; ".join(parts)


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
            if col == 3:
                if v.withdrawn:
                    return f"withdrawn (was {glossary.short_words(v.rating)})" if self._revealed else "withdrawn"
                return glossary.short_words(v.rating) if self._revealed else HIDDEN
            return _change_words(v, self._revealed)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 4:
            return _change_words(v, self._revealed) or None   # the whole history when the column is narrow
        return None


class _VotesView(QTableView):
    withdraw_requested = Signal(object)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Delete:
            model = self.model()
            assert isinstance(model, VotesModel)
            vote = model.vote(self.currentIndex().row())
            if vote is not None and not vote.withdrawn:
                self.withdraw_requested.emit(vote)
            return
        super().keyPressEvent(event)


class VotePanel(QWidget):
    visibility_changed = Signal()
    """The ratings were revealed (the presentation window follows)."""

    def __init__(self, request: Request, rate: RateFn | None = None, withdraw: WithdrawFn | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._request = request
        self._rate = rate
        self._withdraw = withdraw
        self._case: Case | None = None
        self._review: Review | None = None
        self._bound: tuple[str, int] | None = None
        """(patient id, review id) the forms were filled for."""
        self._bound_label = ""
        self._drafts: dict[tuple[str, int], tuple[Any, ...]] = {}
        """Decisions typed but not recorded, by the (patient, review) they were typed for: kept
        when the form moves to another patient, given back when it returns (never carried)."""
        self._autofilled: str | None = None
        """The resectability the panel's result put in the form (not typed by anyone)."""
        self._context: Any = None
        """The service's PanelContext of the bound review (meeting, voters, aggregation)."""
        self._viewer: str | None = None
        self._aggregation: dict[str, Any] = {"kind": "consensus"}
        self._protocol_ref: tuple[str | None, str | None] = (None, None)
        self._interval: dict[str, Any] = dict(DEFAULT_ASSESSMENT_INTERVAL)
        self._protocol_note: str | None = None
        """Why the patient's protocol cannot be loaded and the fallbacks taken (None: loaded)."""
        self._revealed = False
        self._shown_decision: Any = None
        self.expectation: vote_rules.Expectation | None = None
        self.aggregate: panel_logic.Aggregate | None = None
        outer = QVBoxLayout(self)
        # The patient's protocol cannot be loaded: the fallbacks (consensus, standing quorum,
        # RECIST interval) are said above the ratings and the decision they govern.
        self.protocol_note = QLabel()
        self.protocol_note.setWordWrap(True)
        self.protocol_note.setProperty("role", "error")
        self.protocol_note.setAccessibleName("Protocol not loaded")
        self.protocol_note.setVisible(False)
        outer.addWidget(self.protocol_note)

        self.vote_box = QGroupBox("Independent ratings")
        vlay = QVBoxLayout(self.vote_box)
        self.rating_for = QLabel()
        self.rating_for.setWordWrap(True)
        self.rating_for.setAccessibleName("Ratings for")
        vlay.addWidget(self.rating_for)
        self.rule = QLabel()
        self.rule.setWordWrap(True)
        vlay.addWidget(self.rule)
        self.who = QLabel()
        self.who.setWordWrap(True)
        self.who.setAccessibleName("Who rates")
        vlay.addWidget(self.who)
        entry = QGridLayout()
        self.member = QComboBox()
        self.member.setAccessibleName("Panellist")
        self.member.setMinimumWidth(160)
        self.member.currentIndexChanged.connect(lambda _i: self._entry_changed())
        self.rating = QComboBox()
        self.rating.setAccessibleName("Rating")
        self.rating.addItem(CHOOSE_RATING, None)
        for r in RATINGS:
            self.rating.addItem(edits.label(r), r)
        self.record = QPushButton("Re&cord rating")
        self.record.clicked.connect(self._record_clicked)
        # Panellist, Tab, first letter of the rating, Enter: a rating without the mouse.
        for combo in (self.member, self.rating):
            combo.installEventFilter(self)
        entry.addWidget(self.member, 0, 0, 1, 2)
        entry.addWidget(self.rating, 1, 0)
        entry.addWidget(self.record, 1, 1)
        entry.setColumnStretch(0, 2)
        entry.setColumnStretch(1, 1)
        vlay.addLayout(entry)
        self.votes_model = VotesModel(self)
        self.votes_view = _VotesView()
        self.votes_view.setModel(self.votes_model)
        self.votes_view.setAccessibleName("Votes")
        self.votes_view.setToolTip("Delete withdraws the selected rating (with a reason)")
        self.votes_view.verticalHeader().setVisible(False)
        self.votes_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Who rated what must read whole: name, round and rating fit their contents; the role
        # (implied by the name) and the changes take what is left.
        header = self.votes_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.votes_view.setMinimumHeight(150)
        self.votes_view.withdraw_requested.connect(self._withdraw_vote)
        vlay.addWidget(self.votes_view)
        reveal_row = QHBoxLayout()
        self.progress = QLabel()
        self.progress.setWordWrap(True)
        self.progress.setAccessibleName("Ratings expected")
        self.reveal_button = QPushButton("Reveal ratin&gs and result")
        self.reveal_button.clicked.connect(self.reveal)
        vlay.addWidget(self.progress)
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
        outer.addWidget(self.vote_box)

        self.dec_box = QGroupBox("Decision")
        form = QFormLayout(self.dec_box)
        self.dec_for = QLabel()
        self.dec_for.setWordWrap(True)
        self.dec_for.setAccessibleName("Decision for")
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
                             (self.next_review, "Decision: next review date"), (self.chair, "Chair's rating")):
            widget.setAccessibleName(name)
        form.addRow("For:", self.dec_for)
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
        outer.addWidget(self.dec_box)
        outer.addStretch(1)
        # Combos size to their longest label by default ("Interventional radiologist", "permanently
        # unresectable"), which made the tab wider than its meeting-mode column: let them shrink.
        for combo in (self.member, self.rating, self.chair, self.dec_resectability, self.dec_plan):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        self._fill_members()

    # -- configuration
    def set_protocol(self, aggregation: Mapping[str, Any] | None, interval: Mapping[str, Any] | None,
                     protocol_id: str | None = None, protocol_version: str | None = None,
                     note: str | None = None) -> None:
        """The protocol the review is evaluated under (a recorded decision keeps it); ``note``:
        it cannot be loaded, and the settings given are the fallbacks (``mdt.protocols.governing``)."""
        self._protocol_ref = (protocol_id, protocol_version)
        self._aggregation = dict(aggregation or FALLBACK_AGGREGATION)
        self._interval = dict(interval or DEFAULT_ASSESSMENT_INTERVAL)
        self._protocol_note = note
        self._show_rule()

    def _show_rule(self) -> None:
        note = self._protocol_note or getattr(self._context, "protocol_note", None)
        self.protocol_note.setText(note or "")
        self.protocol_note.setVisible(bool(note))
        self.rule.setText(describe_aggregation(self._aggregation)
                          + (" (fallback: the patient's protocol cannot be loaded)" if note else ""))

    def protocol_note_text(self) -> str | None:
        """What the panel says about a protocol that cannot be loaded (None: it loaded)."""
        return self.protocol_note.text() or None

    def set_context(self, context: Any, viewer: str | None = None) -> None:
        """The service's ``PanelContext`` of the open review (None: no database), and who is at
        the keyboard (``may_see_aggregate`` keeps a voter's screen blind until they have rated)."""
        self._context = context
        self._viewer = viewer
        if context is not None:
            self._aggregation = dict(context.aggregation)
        self._show_rule()
        self._fill_members()
        self._refresh_votes()

    def voter_names(self) -> tuple[str, ...] | None:
        """Members present with a voting role (None: no meeting known, nobody rates)."""
        ctx = self._context
        if ctx is None or ctx.meeting_id is None:
            return None
        return tuple(m.name for m in ctx.voters)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if (obj in (self.member, self.rating) and isinstance(event, QKeyEvent)
                and event.type() == QKeyEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not obj.view().isVisible()):
            self._record_clicked()
            return True
        return super().eventFilter(obj, event)

    # -- the entry row
    def _fill_members(self) -> None:
        """Only the members who may rate this review, each marked once their rating is in."""
        keep = self.member.currentData()
        self.member.blockSignals(True)
        self.member.clear()
        self.member.addItem(CHOOSE_MEMBER, None)
        ctx = self._context
        votes = self._review.panel.votes if self._review is not None else ()
        if ctx is not None and ctx.meeting_id is not None:
            for m in ctx.voters:
                mine = vote_rules.vote_of(votes, m.name)
                mark = "" if mine is None else ("  ✔ withdrawn" if mine.withdrawn else "  ✔ rated")
                self.member.addItem(f"{m.name} ({SPECIALTY_LABELS.get(m.specialty, m.specialty)}){mark}",
                                    m.name)
        self.member.setCurrentIndex(max(0, self.member.findData(keep)))
        self.member.blockSignals(False)
        self._entry_changed()

    def _entry_changed(self) -> None:
        member = self.member.currentData()
        votes = self._review.panel.votes if self._review is not None else ()
        existing = vote_rules.vote_of(votes, member) if member else None
        self.record.setText("Change rati&ng…" if existing is not None else "Re&cord rating")
        can = self.voter_names() is not None and self._review is not None
        for w in (self.member, self.rating, self.record):
            w.setEnabled(can)

    def _reset_entry(self) -> None:
        # Blank again: the last (hidden) rating must not stay on the room's screen.
        self.rating.setCurrentIndex(0)
        self.member.setCurrentIndex(0)
        self.member.setFocus()

    def _record_clicked(self) -> None:
        member, rating = self.member.currentData(), self.rating.currentData()
        if not member or not rating:
            self.progress.setText("Choose the panellist and their rating first.")
            return
        self.cast(member, rating)

    def cast(self, member: str, rating: str, reason: str | None = None) -> bool:
        """Record ``member``'s rating; a second rating asks for (or takes) the reason of the change."""
        votes = self._review.panel.votes if self._review is not None else ()
        existing = vote_rules.vote_of(votes, member)
        if existing is not None and reason is None:
            reason = ReasonDialog.ask(self, "Change a rating",
                                      f"{member} has already rated. Changing a rating is recorded with "
                                      f"its reason and printed in the minutes.\n\nReason for the change:")
            if not reason:
                self.progress.setText(f"{member}'s rating was not changed: a change needs a reason.")
                self._reset_entry()
                return False
        ok = self._rate is not None and self._rate(member, rating, reason)
        self._reset_entry()
        return bool(ok)

    def withdraw(self, member: str, round_: int, reason: str | None = None) -> bool:
        if reason is None:
            reason = ReasonDialog.ask(self, "Withdraw a rating",
                                      f"Withdraw the round-{round_} rating of {member}? It stays in the "
                                      f"record, is not counted, and the minutes print why.\n\nReason:")
            if not reason:
                return False
        return bool(self._withdraw is not None and self._withdraw(member, round_, reason))

    def _withdraw_vote(self, vote: Vote) -> None:
        self.withdraw(vote.member, vote.round)

    # -- the decision
    def _decide_clicked(self) -> None:
        qd = self.next_review.date()
        self.decide(self.dec_resectability.currentData(), self.dec_plan.currentData(), self.rationale.text(),
                    date(qd.year(), qd.month(), qd.day()), self.dissent.text(), self.responsible.text())

    def decide(self, resectability: str | None, plan: str | None, rationale: str | None = None,
               next_review: date | None = None, dissent: str | None = None,
               responsible: str | None = None) -> bool:
        """Record the decision for the patient and review this form was filled for (the service
        sets the rule from the ratings)."""
        if self._bound is None:
            return False
        if resectability is None and plan is None:
            self.recorded.setText("Not recorded: choose the resectability or the plan first.")
            return False
        ok = self._request(partial(edits.decide, resectability=resectability, plan=plan, rationale=rationale,
                                     next_review=next_review, dissent=dissent, responsible=responsible,
                                     protocol=self._protocol_ref[0], protocol_version=self._protocol_ref[1]),
                             bound=self._bound, via="decision")
        if ok:
            self._drafts.pop(self._bound, None)
        if ok and self.isVisible():
            # Out of the field: PgDn then steps to the next agenda patient (inside a field it stays).
            self.decide_button.setFocus()
        return ok

    def bound_to(self) -> tuple[str, int] | None:
        return self._bound

    def reveal(self) -> None:
        self._revealed = True
        self._refresh_votes()
        self.visibility_changed.emit()

    def revealed(self) -> bool:
        """Whether the ratings are on screen (the presentation window follows this)."""
        return self._ratings_visible()

    # -- display
    def set_state(self, case: Case | None, review: Review | None, *, new_review: bool = False,
                  binding: tuple[str, int] | None = None, label: str = "") -> None:
        """Show ``review`` of ``case``; ``binding`` (patient id, review id) names what the forms
        are for.  A different binding clears every field first: nothing typed for one patient
        survives onto another."""
        if new_review or binding != self._bound:
            self._keep_draft()
            self._revealed = False
            self.chair.setCurrentIndex(0)
            self._clear_decision_form()
            self.rating.setCurrentIndex(0)
            self.member.setCurrentIndex(0)
        self._bound, self._bound_label = binding, label
        self._case, self._review = case, review
        # Whose forms these are, in wrapped labels (a group box title would widen the column).
        whose = f"<b>{html.escape(label)}</b>" if label else "<i>no review open</i>"
        self.rating_for.setText(f"For {whose}")
        self.dec_for.setText(whose)
        if review is None:
            self.votes_model.set_votes((), False)
            return
        self._fill_members()
        self._refresh_votes()
        self._show_decision(review)
        self._restore_draft()

    # -- decisions typed and not recorded
    def _form_values(self) -> tuple[Any, ...]:
        qd = self.next_review.date()
        return (self.dec_resectability.currentData(), self.dec_plan.currentData(), self.rationale.text(),
                self.dissent.text(), self.responsible.text(), date(qd.year(), qd.month(), qd.day()))

    def _is_draft(self, values: tuple[Any, ...]) -> bool:
        """Something typed for an undecided review (the panel result's pre-filled resectability
        and the proposed next review alone are not a draft)."""
        if self._review is None or self._review.panel.decision is not None:
            return False
        res, plan, *texts, _next = values
        return bool(plan) or any(t.strip() for t in texts) or (res is not None and res != self._autofilled)

    def _keep_draft(self) -> None:
        if self._bound is None:
            return
        values = self._form_values()
        if self._is_draft(values):
            self._drafts[self._bound] = values
        else:
            self._drafts.pop(self._bound, None)

    def _restore_draft(self) -> None:
        if self._bound is None or self._bound not in self._drafts:
            return
        if self._review is None or self._review.panel.decision is not None:
            self._drafts.pop(self._bound)  # decided meanwhile: the record wins
            return
        res, plan, rationale, dissent, responsible, nd = self._drafts[self._bound]
        self.dec_resectability.setCurrentIndex(max(0, self.dec_resectability.findData(res)))
        self.dec_plan.setCurrentIndex(max(0, self.dec_plan.findData(plan)))
        self.rationale.setText(rationale)
        self.dissent.setText(dissent)
        self.responsible.setText(responsible)
        self.next_review.setDate(QDate(nd.year, nd.month, nd.day))
        self.recorded.setText("no decision recorded yet — the draft typed earlier for this patient "
                              "is back in the form: record it or change it")

    def has_draft(self, binding: tuple[str, int]) -> bool:
        """A decision typed for that patient and review and not recorded (kept aside)."""
        return binding in self._drafts

    def _clear_decision_form(self) -> None:
        self._shown_decision = None
        self._autofilled = None
        self.dec_resectability.setCurrentIndex(0)
        self.dec_plan.setCurrentIndex(0)
        for edit in (self.rationale, self.dissent, self.responsible):
            edit.clear()
        self.recorded.setText("")
        self.next_basis.setText("")

    def _expectation(self) -> vote_rules.Expectation | None:
        voters = self.voter_names()
        if voters is None or self._review is None:
            return None
        return vote_rules.expected_ratings(self._review.panel.votes, self._aggregation, voters)

    def _ratings_visible(self) -> bool:
        review = self._review
        if review is None:
            return True
        exp = self.expectation
        viewer = self._viewer
        return panel_logic.may_see_aggregate(
            review.panel.votes, viewer, expectation=exp if exp is not None else _NEVER_COMPLETE,
            revealed=self._revealed, decided=review.panel.decision is not None,
            voter=exp is not None and viewer in exp.waiting)

    def _refresh_votes(self) -> None:
        review = self._review
        if review is None:
            return
        self.expectation = self._expectation()
        visible = self._ratings_visible()
        self.votes_model.set_votes(review.panel.votes, visible)
        ctx, exp = self._context, self.expectation
        if ctx is None or ctx.meeting_id is None or exp is None:
            problem = (ctx.problem if ctx is not None and ctx.problem else
                       "no meeting is known for this review")
            self.who.setText(f"<span style='color:#b3261e'>Nobody can rate: {html.escape(problem)}.</span>")
            self.progress.setText("")
        else:
            names = ", ".join(m.name for m in ctx.voters) or "none"
            signed = " (signed)" if ctx.meeting_signed else ""
            self.who.setText(f"Meeting {html.escape(ctx.meeting_id)}{signed}: "
                             f"{len(ctx.voters)} present with a voting role — {html.escape(names)}")
            self.progress.setText(exp.text + ("" if visible else " — ratings and result hidden until all are in"))
        self.reveal_button.setEnabled(not visible and any(not v.withdrawn for v in review.panel.votes))
        self._show_aggregate()

    def _show_aggregate(self) -> None:
        review = self._review
        if review is None:
            return
        try:
            agg = panel_logic.aggregate(review.panel.votes, self._aggregation, self.chair.currentData(),
                                        eligible=self.voter_names())
        except ValueError as exc:
            self.aggregate = None
            self.result.setText(f"Aggregation error: {exc}")
            return
        self.aggregate = agg
        exp = self.expectation
        if not self._ratings_visible():
            # Only how far the rating has got, never which way it leans.
            self.result.setText("Panel result: hidden until every rating is in")
            set_style(self.result, "color: #444444;")
            self.agg_notes.setText("")
            self.chair_label.setVisible(False)
            self.chair.setVisible(False)
            return
        if exp is not None and not exp.complete:
            # Revealed early (or decided) with ratings missing: no rule applies yet, say so.
            self.result.setText(f"Panel result: incomplete — {exp.recorded} of {exp.expected} "
                                f"expected ratings in ({agg.agreement})")
            set_style(self.result, "color: #8a6d00;")
        elif agg.result is not None:
            self.result.setText(f"Panel result: {glossary.short_words(agg.result).upper()} ({agg.rule}) — "
                                f"{agg.agreement}")
            set_style(self.result, "color: #0d47a1;")
        else:
            self.result.setText(f"Panel result: undecided — {agg.agreement}")
            set_style(self.result, "color: #8a6d00;")
        self.chair_label.setVisible(agg.needs_chair)
        self.chair.setVisible(agg.needs_chair)
        self.agg_notes.setText("\n".join(agg.notes))
        if agg.result is not None and review.panel.decision is None and self.dec_resectability.currentData() is None:
            self.dec_resectability.setCurrentIndex(self.dec_resectability.findData(agg.result))
            self._autofilled = agg.result

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
        if dec is None and self._shown_decision is not None:
            # The decision went (undone, amended away): the form must not keep showing it.
            self._clear_decision_form()
        self._shown_decision = dec
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


_NEVER_COMPLETE = vote_rules.Expectation(round=1, expected=0, voters=(), rated=())
"""With no meeting known, nothing is "complete": ratings stay hidden until revealed or decided."""
