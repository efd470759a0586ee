"""A panellist's rating over time: who may rate, how many ratings are expected, and recording,
changing or withdrawing one rating.  The service (``mdt.services``) applies these rules to the
review of a meeting; the window only shows what they allow.

Readings (each a setting of the protocol's ``aggregation``, ``docs/protocol-format.md``):

* Only members present at the meeting that discusses the review rate, and only with a voting
  role: the protocol's ``voter_role`` when it names one (CAIRO5: surgeons, Huiskens 2019),
  otherwise every attendee whose specialty is not in ``non_voting`` (default: the coordinator and
  the nurse specialist, who attend but do not rate; the same people the quorum does not count).
* A member rates once per round.  A second rating is a *change*: it needs a reason, and the
  earlier rating stays in the vote's ``changes`` (from, to, why, when, by whom) for the minutes.
  Withdrawing a rating (entered under the wrong name, a member who declares a conflict) needs a
  reason too; the vote stays, marked withdrawn, and is not counted.
* Expected ratings: consensus and majority expect one rating from every voting member present;
  CAIRO5 expects its first round (three surgeons), then its second round (two more) once the
  first has no consensus.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from mdt.case import RATINGS, Vote, VoteChange
from mdt.errors import FieldProblem, ValidationError
from mdt.meeting import SPECIALTY_LABELS, Member
from mdt.panel import (
    CAIRO5_FIRST_ROUND,
    CAIRO5_SECOND_ROUND,
    CAIRO5_VOTER_ROLE,
    _role_matches,
    aggregate,
)

DEFAULT_NON_VOTING: tuple[str, ...] = ("coordinator", "nurse_specialist")
"""Specialties that attend without rating when the protocol names no ``non_voting`` list (the
project's reading: the quorum leaves the same two uncounted, ``mdt.panel.DEFAULT_QUORUM``)."""


def _settings(aggregation: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(aggregation or {"kind": "consensus"})


def voter_role(aggregation: Mapping[str, Any] | None) -> str | None:
    """The role every rater must have (CAIRO5: surgeon), or None when any voting member rates."""
    settings = _settings(aggregation)
    role = settings.get("voter_role")
    if role is None and settings.get("kind") == "cairo5":
        role = CAIRO5_VOTER_ROLE
    return str(role) if role else None


def non_voting(aggregation: Mapping[str, Any] | None) -> tuple[str, ...]:
    return tuple(_settings(aggregation).get("non_voting", DEFAULT_NON_VOTING))


def _specialty(code: str) -> str:
    return SPECIALTY_LABELS.get(code, code.replace("_", " "))


def why_not_a_voter(member: Member, aggregation: Mapping[str, Any] | None) -> str | None:
    """Why a member present at the meeting does not rate under this protocol (None: they rate)."""
    if not member.active:
        return f"{member.name} is no longer an active member of the panel"
    if member.specialty in non_voting(aggregation):
        return f"{member.name} ({_specialty(member.specialty)}) attends but does not rate"
    role = voter_role(aggregation)
    if role and not _role_matches(member.specialty, role):
        return (f"{member.name} ({_specialty(member.specialty)}) does not rate: "
                f"only {role}s rate under this protocol")
    return None


def eligible_voters(attendees: Sequence[Member], aggregation: Mapping[str, Any] | None
                    ) -> tuple[Member, ...]:
    """The attendees who rate, in attendance order."""
    return tuple(m for m in attendees if why_not_a_voter(m, aggregation) is None)


def refusal(member: str, attendees: Sequence[Member], aggregation: Mapping[str, Any] | None,
            meeting_id: str) -> str | None:
    """Why ``member`` may not rate a review discussed at ``meeting_id`` (None: they may)."""
    present = next((m for m in attendees if m.name == member), None)
    if present is None:
        return f"{member} is not recorded as present at meeting {meeting_id}: only members present rate"
    return why_not_a_voter(present, aggregation)


@dataclass(frozen=True, slots=True)
class Expectation:
    """How many ratings the current round expects, and who has given theirs."""
    round: int
    expected: int
    voters: tuple[str, ...]
    """Members who may rate in this round (for CAIRO5's second round: those who did not rate
    in the first)."""
    rated: tuple[str, ...]
    """Voters whose rating of this round is in (withdrawn ratings do not count)."""
    kind: str = "consensus"
    note: str = ""
    """A shortfall in words, e.g. "only 2 surgeons present: CAIRO5 asks 3"."""

    @property
    def recorded(self) -> int:
        return len(self.rated)

    @property
    def complete(self) -> bool:
        return self.expected > 0 and self.recorded >= self.expected

    @property
    def waiting(self) -> tuple[str, ...]:
        """Voters still expected to rate (none once the round is complete)."""
        return () if self.complete else tuple(v for v in self.voters if v not in self.rated)

    @property
    def text(self) -> str:
        what = "rating" if self.expected == 1 else "ratings"
        if self.kind == "cairo5":
            what = f"round-{self.round} {what}"
        out = f"{self.recorded} of {self.expected} {what} recorded"
        return f"{out} ({self.note})" if self.note else out


@dataclass(frozen=True, slots=True)
class PanelContext:
    """Who may rate one review, and what the current round expects (``panel_context``)."""
    review_id: int
    patient_id: str
    version: int
    """The review's current version when the context was read."""
    meeting_id: str | None
    """The meeting whose agenda discusses the review; None when none does (nobody rates)."""
    meeting_date: date | None
    meeting_signed: bool
    aggregation: dict[str, Any]
    """The patient's protocol's aggregation settings."""
    attendees: tuple[Member, ...]
    voters: tuple[Member, ...]
    """Attendees with a voting role under the protocol (``mdt.votes.eligible_voters``)."""
    expectation: Expectation
    problem: str | None = None
    """Why nobody can rate, in words (no meeting, nobody with a voting role present)."""
    protocol_note: str | None = None
    """The patient's protocol cannot be loaded: why, and the fallbacks (consensus) in words."""


def _live(votes: Sequence[Vote], voters: Collection[str]) -> list[Vote]:
    return [v for v in votes if not v.withdrawn and v.rating in RATINGS and v.member in voters]


def _members(votes: Sequence[Vote], round_: int) -> tuple[str, ...]:
    out: list[str] = []
    for v in votes:
        if v.round == round_ and v.member not in out:
            out.append(v.member)
    return tuple(out)


def expected_ratings(votes: Sequence[Vote], aggregation: Mapping[str, Any] | None,
                     voters: Sequence[str]) -> Expectation:
    """The current round's expectation given who rates (``voters``: the eligible attendees)."""
    settings = _settings(aggregation)
    kind = str(settings.get("kind", "consensus"))
    live = _live(votes, voters)
    if kind != "cairo5":
        note = "" if voters else "no voting member is recorded as present"
        return Expectation(1, len(voters), tuple(voters), _members(live, 1), kind, note)
    first_n = int(settings.get("first_round", CAIRO5_FIRST_ROUND))
    second_n = int(settings.get("second_round", CAIRO5_SECOND_ROUND))
    role = voter_role(settings) or "rater"
    first = _members(live, 1)
    if len(first) < first_n:
        short = len(voters) < first_n
        note = f"only {len(voters)} {role}s present: CAIRO5 asks {first_n}" if short else ""
        return Expectation(1, first_n, tuple(voters), first, kind, note)
    agg = aggregate(votes, settings, eligible=voters)
    if not (agg.needs_second_round or agg.second_round):
        return Expectation(1, first_n, tuple(voters), first, kind)
    others = tuple(v for v in voters if v not in first)
    second = tuple(m for m in _members(live, 2) if m not in first)
    note = (f"only {len(others)} more {role}s present: CAIRO5 asks {second_n} more"
            if len(others) < second_n else "")
    return Expectation(2, second_n, others, second, kind, note)


def vote_of(votes: Sequence[Vote], member: str, round_: int | None = None) -> Vote | None:
    """The member's vote in ``round_`` (None: their latest round)."""
    mine = [v for v in votes if v.member == member and (round_ is None or v.round == round_)]
    return max(mine, key=lambda v: v.round) if mine else None


def round_for(votes: Sequence[Vote], member: str, expectation: Expectation) -> int:
    """The round a rating by ``member`` belongs to: the round of their vote if they have one (so
    a second rating is a change of it), else the round being rated."""
    existing = vote_of(votes, member)
    return existing.round if existing is not None else expectation.round


def _problem(path: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(path, reason)])


def record_rating(votes: Sequence[Vote], *, member: str, role: str | None, rating: str,
                  round_: int = 1, reason: str | None = None, comment: str | None = None,
                  at: datetime | None = None, by: str | None = None
                  ) -> tuple[tuple[Vote, ...], str]:
    """Votes with ``member``'s rating recorded, or changed (``reason`` required), and the words
    for the review's version history.  The words never name a rating: the history is visible
    while the panel is still rating."""
    member = member.strip()
    if not member:
        raise _problem("panel.votes[].member", "the panellist's name is required")
    if rating not in RATINGS:
        raise _problem("panel.votes[].rating", f"must be one of {', '.join(RATINGS)}")
    if round_ < 1:
        raise _problem("panel.votes[].round", "must be 1 or more")
    reason = (reason or "").strip() or None
    existing = vote_of(votes, member, round_)
    if existing is None:
        vote = Vote(member=member, role=role, rating=rating, round=round_,
                    comment=(comment or "").strip() or None)
        return (*votes, vote), f"rating of {member} (round {round_}) recorded"
    if not existing.withdrawn and existing.rating == rating:
        raise _problem("panel.votes[].rating", f"{member}'s round-{round_} rating is already this "
                                                f"one: nothing to change")
    if reason is None:
        raise _problem("panel.votes[].changes[].reason",
                       f"{member} already rated in round {round_}: changing a rating needs a reason")
    change = VoteChange(from_rating=None if existing.withdrawn else existing.rating,
                        to_rating=rating, reason=reason, at=at, by=by)
    new = replace(existing, rating=rating, withdrawn=False, changes=(*existing.changes, change),
                  comment=(comment or "").strip() or existing.comment)
    return (tuple(new if v is existing else v for v in votes),
            f"rating of {member} (round {round_}) changed: {reason}")


def withdraw_rating(votes: Sequence[Vote], *, member: str, round_: int, reason: str | None,
                    at: datetime | None = None, by: str | None = None
                    ) -> tuple[tuple[Vote, ...], str]:
    """Votes with ``member``'s round-``round_`` rating withdrawn (kept, not counted)."""
    existing = vote_of(votes, member, round_)
    if existing is None or existing.withdrawn:
        raise _problem("panel.votes", f"{member} has no rating in round {round_} to withdraw")
    reason = (reason or "").strip()
    if not reason:
        raise _problem("panel.votes[].changes[].reason", "withdrawing a rating needs a reason")
    change = VoteChange(from_rating=existing.rating, to_rating=None, reason=reason, at=at, by=by)
    new = replace(existing, withdrawn=True, changes=(*existing.changes, change))
    return (tuple(new if v is existing else v for v in votes),
            f"rating of {member} (round {round_}) withdrawn: {reason}")


def decision_rule(votes: Sequence[Vote], aggregation: Mapping[str, Any] | None,
                  voters: Sequence[str] | None, resectability: str | None) -> str | None:
    """How a decision of ``resectability`` was reached: the aggregate's rule when every expected
    rating of the meeting's voters is in and the ratings give that result (a tie it settles makes
    it ``chair``); None otherwise (or with no meeting, ``voters`` None), rather than claim an
    agreement that was not reached."""
    if resectability is None:
        return None
    try:
        agg = aggregate(votes, aggregation, eligible=voters)
        if agg.needs_chair:
            agg = aggregate(votes, aggregation, chair_rating=resectability, eligible=voters)
    except ValueError:
        return None
    if agg.result != resectability or voters is None:
        return None
    if not expected_ratings(votes, aggregation, voters).complete:
        return None
    return agg.rule


def describe_rule(aggregation: Mapping[str, Any] | None) -> str:
    """The protocol's way of combining ratings, in words for the vote panel."""
    settings = _settings(aggregation)
    kind = settings.get("kind", "consensus")
    if kind == "cairo5":
        role = voter_role(settings) or "rater"
        return (f"CAIRO5: {settings.get('first_round', CAIRO5_FIRST_ROUND)} {role}s rate "
                f"independently; unanimous = consensus, otherwise "
                f"{settings.get('second_round', CAIRO5_SECOND_ROUND)} more rate and the majority "
                f"decides; a tie goes to the chair.")
    if kind == "majority":
        return "Majority of the ratings; a tie goes to the chair."
    return "Consensus: every rating must agree, otherwise the case is rediscussed."
