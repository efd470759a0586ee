"""Gathers what the PDFs print: cases, evaluations, aggregated ratings, RECIST.

Two layers: :func:`minutes_items` / :func:`course_inputs` work on domain
objects (testable without a database); :func:`write_minutes` and
:func:`write_course_report` load through :class:`mdt.services.MdtService` and
are what the window and the command line call.

Signed meetings print the review versions as they stood at signing; anything
changed afterwards appears in the minutes' amendment section (recorded by the
service with every amendment), never as a silent change of the signed text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mdt.case import Case, Patient, Review
from mdt.errors import NotFound
from mdt.evaluation import Evaluation, RecistSummary
from mdt.meeting import AgendaItem, Meeting, Member
from mdt.minutes.course import render_course_report
from mdt.minutes.minutes import render_minutes
from mdt.minutes.sections import MinutesPatient
from mdt.panel import Aggregate, Quorum, aggregate, quorum_for_protocols
from mdt.votes import eligible_voters, expected_ratings

if TYPE_CHECKING:
    from mdt.protocols import Protocol
    from mdt.services import MdtService


def _protocol_settings(protocol_id: str | None, version: str | None = None
                       ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(aggregation, quorum) settings of a protocol; (None, None) when it cannot be loaded."""
    from mdt.protocols import default_protocol_id, get_protocol

    try:
        proto = get_protocol(protocol_id or default_protocol_id(), version)
    except (NotFound, ValueError, OSError):
        return None, None
    return dict(proto.aggregation), dict(proto.quorum)


def decided_protocol(review: Review) -> tuple[Protocol | None, str | None]:
    """The protocol version a review's decision was made under, when it is shipped; else
    (None, the decision's "id vVERSION") so the minutes can say it is not."""
    from mdt.protocols import get_protocol

    decision = review.panel.decision
    if decision is None or not decision.protocol or not decision.protocol_version:
        return None, None
    try:
        return get_protocol(decision.protocol, decision.protocol_version), None
    except NotFound:
        return None, f"{decision.protocol} v{decision.protocol_version}"


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
    protocol, unshipped = decided_protocol(case.reviews[index]) if signed else (None, None)
    evaluation, problem = _evaluate(case, index, protocol)
    if problem:
        notes.append(problem)
    protocol_note = None
    if unshipped:
        used = (f"{evaluation.protocol_id} v{evaluation.protocol_version}" if evaluation
                else "no protocol version")
        protocol_note = (f"The panel decided under {unshipped}, which this installation does not ship: "
                         f"the criteria below are those of {used}, not the ones the panel saw.")
    aggregation, _ = _protocol_settings(evaluation.protocol_id if evaluation else case.protocol.id,
                                        evaluation.protocol_version if evaluation else None)
    voters = (tuple(m.name for m in eligible_voters(attendees, aggregation))
              if attendees is not None else None)
    votes = case.reviews[index].panel.votes
    agg, problem = _aggregate(case.reviews[index], aggregation, voters)
    if problem:
        notes.append(problem)
    expectation = expected_ratings(votes, aggregation, voters) if voters is not None else None
    return MinutesPatient(case=case, review_index=index, evaluation=evaluation, aggregate=agg,
                          recist=_recist(case, index, evaluation), agenda=item, aggregation=aggregation,
                          notes=tuple(notes), protocol_note=protocol_note, expectation=expectation)


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
    for i, review in enumerate(case.reviews):
        ev, _ = _evaluate(case, i)
        evaluations.append(ev)
        aggregation, _ = _protocol_settings(ev.protocol_id if ev else case.protocol.id)
        aggregates.append(_aggregate(review, aggregation)[0])
        recists.append(_recist(case, i, ev))
    return evaluations, aggregates, recists


# --------------------------------------------------------------------------- database-backed

def _as_signed(service: MdtService, case: Case, meeting: Meeting) -> Case:
    """The case with each review of this meeting as it stood when the meeting was signed."""
    sig = meeting.signature
    if sig is None:
        return case
    signed_at = sig.at if sig.at.tzinfo else sig.at.replace(tzinfo=UTC)
    reviews = list(case.reviews)
    for record in service.list_reviews(case.patient.id):
        if record.meeting_id != meeting.id or not 0 <= record.index < len(reviews):
            continue
        versions = [v for v in service.review_history(record.review_id)
                    if not v.amendment and (v.saved_at if v.saved_at.tzinfo else
                                            v.saved_at.replace(tzinfo=UTC)) <= signed_at]
        if versions:
            reviews[record.index] = max(versions, key=lambda v: v.version).review
    return dataclasses.replace(case, reviews=tuple(reviews))


def collect_minutes(service: MdtService, meeting_id: str) -> tuple[Meeting, list[MinutesPatient], Quorum]:
    """Raises NotFound for an unknown meeting."""
    meeting = service.get_meeting(meeting_id)
    cases: dict[str, Case] = {}
    for item in meeting.agenda:
        try:
            cases[item.patient_id] = _as_signed(service, service.get_case(item.patient_id), meeting)
        except NotFound:
            continue
    return meeting, minutes_items(meeting, cases), meeting_quorum(meeting, cases)


def write_minutes(service: MdtService, meeting_id: str, out: str | Path, *, printed_at: datetime | None = None,
                  pdfa: bool = False) -> Path:
    """Loads a meeting and writes its minutes PDF; returns the path (to open it in a viewer).

    Signed minutes with no amendment since are written exactly as the chair signed them
    (PDF/A-2b with the PAdES signature, ``mdt.signing``): re-rendering would break the
    signature.  Once amended, the current minutes (with the amendments) are rendered."""
    meeting = service.get_meeting(meeting_id)
    if meeting.signed and not meeting.amendments:
        signed = service.signed_minutes(meeting_id)
        if signed:
            from mdt.atomic import atomic_write

            atomic_write(out, signed)
            return Path(out)
    meeting, items, quorum = collect_minutes(service, meeting_id)
    render_minutes(meeting, items, out, printed_at=printed_at or datetime.now(UTC), quorum=quorum,
                   pdfa=pdfa)
    return Path(out)


def write_course_report(service: MdtService, patient_id: str, out: str | Path, *,
                        printed_at: datetime | None = None, pdfa: bool = False,
                        institution: str | None = None) -> Path:
    """Loads a patient (hospital ID) and writes the course report; raises NotFound."""
    case = service.get_case(patient_id)
    signed = [False] * len(case.reviews)
    for record in service.list_reviews(patient_id):
        if 0 <= record.index < len(signed):
            signed[record.index] = record.locked
    if institution is None:
        # The board's institution, as its latest meeting names it.
        meetings = sorted(service.list_meetings(), key=lambda m: m.date)
        if meetings:
            institution = service.get_meeting(meetings[-1].id).institution
    evaluations, aggregates, recists = course_inputs(case)
    render_course_report(case, evaluations, out, printed_at=printed_at or datetime.now(UTC),
                         aggregates=aggregates, recists=recists, signed=signed, institution=institution,
                         pdfa=pdfa)
    return Path(out)


def render_patient_report(case: Case, out: str | Path, *, printed_at: datetime | None = None,
                          pdfa: bool = False, institution: str | None = None) -> Path:
    """The course report from a case alone (no database): evaluates every review here."""
    evaluations, aggregates, recists = course_inputs(case)
    render_course_report(case, evaluations, out, printed_at=printed_at or datetime.now(UTC),
                         aggregates=aggregates, recists=recists, institution=institution, pdfa=pdfa)
    return Path(out)
