"""What the PDFs print for each agenda item and each review, from domain objects alone:
the review an item discusses, its evaluation under the right protocol version, the ratings
aggregated over the voting attendees, RECIST, and the meeting's quorum.

Testable without a database; ``mdt.minutes.collect`` loads the objects through the service
and ``mdt.minutes.minutes`` renders them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from mdt.case import Case, Patient, Review
from mdt.evaluation import Evaluation, RecistSummary
from mdt.meeting import AgendaItem, Meeting, Member
from mdt.minutes.sections import MinutesPatient
from mdt.panel import Aggregate, Quorum, aggregate, quorum_for_protocols
from mdt.protocols.governing import AGGREGATION, CRITERIA, lookup
from mdt.votes import eligible_voters, expected_ratings

if TYPE_CHECKING:
    from mdt.protocols import Protocol


def decided_protocol(review: Review) -> tuple[Protocol | None, str | None]:
    """The protocol version a review's decision was made under, when it is shipped; else
    (None, the decision's "id vVERSION") so the minutes can say it is not."""
    decision = review.panel.decision
    if decision is None or not decision.protocol or not decision.protocol_version:
        return None, None
    found = lookup(protocol_id=decision.protocol, version=decision.protocol_version)
    return found.protocol, None if found.loaded else f"{decision.protocol} v{decision.protocol_version}"


def review_index_for(case: Case, item: AgendaItem, meeting_date: date) -> int | None:
    """The review an agenda item discusses: the one of its date, else the one dated on
    the meeting day (the rule the service uses when it locks reviews at signing)."""
    wanted = item.review_date or meeting_date
    for i in range(len(case.reviews) - 1, -1, -1):
        if case.reviews[i].date == wanted:
            return i
    return None


def _aggregate(review: Review, aggregation: Mapping[str, Any] | None,
               eligible: Sequence[str] | None = None) -> tuple[Aggregate | None, str | None]:
    decision = review.panel.decision
    chair = decision.resectability if decision is not None and decision.rule == "chair" else None
    try:
        return aggregate(review.panel.votes, aggregation, chair_rating=chair, eligible=eligible), None
    except ValueError as exc:
        return None, f"Ratings could not be aggregated: {exc}"


def _evaluate(case: Case, index: int, protocol: Protocol | None = None) -> tuple[Evaluation | None, str | None]:
    from mdt.protocols import evaluate

    try:
        return evaluate(case, index, protocol=protocol), None
    except Exception as exc:  # noqa: BLE001 - printed as "evaluation unavailable", never a pass
        return None, f"Protocol evaluation failed: {exc}"


def _recist(case: Case, index: int, evaluation: Evaluation | None) -> RecistSummary | None:
    if evaluation is not None and evaluation.recist is not None:
        return evaluation.recist
    from mdt.recist import assess

    try:
        return assess(case.reviews, index)
    except (ValueError, IndexError):
        return None


def minutes_item(case: Case, item: AgendaItem, meeting_date: date, signed: bool = False,
                 attendees: Sequence[Member] | None = None) -> MinutesPatient:
    """``signed``: the meeting is signed, so each decision is shown against the protocol version
    it was made under (a later version must not silently re-judge it).  ``attendees``: who was
    present; only the ratings of those with a voting role count (None: attendance unknown)."""
    index = review_index_for(case, item, meeting_date)
    if index is None:
        return MinutesPatient(case=case, review_index=None, agenda=item,
                              notes=(f"No review dated {item.review_date or meeting_date} is recorded.",))
    notes: list[str] = []
    governing = lookup(case)
    protocol, unshipped = decided_protocol(case.reviews[index]) if signed else (None, None)
    protocol_note = rule_note = None
    if protocol is None and not governing.loaded:
        # The patient's protocol cannot be loaded: no criteria, ratings by consensus, and the
        # page says so above the criteria and beside the rule.
        evaluation = None
        protocol_note = governing.note_for(CRITERIA, AGGREGATION)
        rule_note = "fallback: the patient's protocol cannot be loaded"
    else:
        evaluation, problem = _evaluate(case, index, protocol)
        if problem:
            notes.append(problem)
    if unshipped:
        used = (f"{evaluation.protocol_id} v{evaluation.protocol_version}" if evaluation
                else "no protocol version")
        decision_note = (f"The panel decided under {unshipped}, which this installation does not ship: "
                         f"the criteria below are those of {used}, not the ones the panel saw.")
        protocol_note = f"{decision_note} {protocol_note}" if protocol_note else decision_note
    aggregation = (lookup(protocol_id=evaluation.protocol_id, version=evaluation.protocol_version)
                   if evaluation else governing).aggregation
    voters = (tuple(m.name for m in eligible_voters(attendees, aggregation))
              if attendees is not None else None)
    votes = case.reviews[index].panel.votes
    agg, problem = _aggregate(case.reviews[index], aggregation, voters)
    if problem:
        notes.append(problem)
    expectation = expected_ratings(votes, aggregation, voters) if voters is not None else None
    return MinutesPatient(case=case, review_index=index, evaluation=evaluation, aggregate=agg,
                          recist=_recist(case, index, evaluation), agenda=item, aggregation=aggregation,
                          notes=tuple(notes), protocol_note=protocol_note, expectation=expectation,
                          rule_note=rule_note)


def minutes_items(meeting: Meeting, cases: Mapping[str, Case]) -> list[MinutesPatient]:
    """One entry per agenda item, in agenda order; a missing patient record is printed as such."""
    out = []
    for item in sorted(meeting.agenda, key=lambda a: a.position):
        case = cases.get(item.patient_id)
        if case is None:
            out.append(MinutesPatient(case=Case(Patient(item.patient_id)), review_index=None, agenda=item,
                                      notes=("The patient record was not found.",)))
        else:
            out.append(minutes_item(case, item, meeting.date, signed=meeting.signed,
                                    attendees=meeting.attendees))
    return out


def meeting_quorum(meeting: Meeting, cases: Mapping[str, Case] | None = None) -> Quorum:
    """Quorum under the strictest rule of the protocols of the patients on the agenda
    (``cases`` by patient id); with no agenda, the default protocol's rule."""
    cases = cases or {}
    return quorum_for_protocols(meeting.attendees, [cases[item.patient_id].protocol.id
                                                    for item in meeting.agenda if item.patient_id in cases])


def course_inputs(case: Case) -> tuple[list[Evaluation | None], list[Aggregate | None], list[RecistSummary | None]]:
    evaluations: list[Evaluation | None] = []
    aggregates: list[Aggregate | None] = []
    recists: list[RecistSummary | None] = []
    governing = lookup(case)
    for i, review in enumerate(case.reviews):
        ev = _evaluate(case, i)[0] if governing.loaded else None
        evaluations.append(ev)
        aggregation = (lookup(protocol_id=ev.protocol_id, version=ev.protocol_version)
                       if ev else governing).aggregation
        aggregates.append(_aggregate(review, aggregation)[0])
        recists.append(_recist(case, i, ev))
    return evaluations, aggregates, recists
