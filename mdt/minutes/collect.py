"""The minutes and the course report loaded through the service and written to a file.

:func:`collect_minutes`, :func:`write_minutes` and :func:`write_course_report` read through
any object with the service's read methods (:class:`MinutesSource`; ``mdt.services.MdtService``
is one) and are what the window and the command line call; the items themselves are built
from domain objects in ``mdt.minutes.items``.

Signed meetings print the review versions as they stood at signing; anything
changed afterwards appears in the minutes' amendment section (recorded by the
service with every amendment), never as a silent change of the signed text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from mdt.case import Case, Review
from mdt.errors import NotFound
from mdt.meeting import AgendaItem, Meeting
from mdt.minutes.course import render_course_report
from mdt.minutes.items import course_inputs, meeting_quorum, minutes_item, minutes_items
from mdt.minutes.minutes import render_minutes
from mdt.minutes.outcome_sheet import OutcomeSheet, render_outcome_sheets
from mdt.minutes.sections import MinutesPatient
from mdt.panel import Quorum
from mdt.service_types import MeetingRow, ReviewRecord, ReviewVersion


class MinutesSource(Protocol):
    """The reads the minutes and the course report need (``mdt.services.MdtService``)."""

    def get_meeting(self, meeting_id: str) -> Meeting: ...
    def get_case(self, patient_id: str) -> Case: ...
    def list_reviews(self, patient_id: str) -> list[ReviewRecord]: ...
    def review_history(self, review_id: int) -> list[ReviewVersion]: ...
    def list_meetings(self) -> list[MeetingRow]: ...
    def signed_minutes(self, meeting_id: str) -> bytes | None: ...


def _as_signed(service: MinutesSource, case: Case, meeting: Meeting) -> Case:
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


def decision_recorder(service: MinutesSource, patient_id: str, index: int) -> tuple[str, datetime | None] | None:
    """Who recorded the decision the review carries now, and when: the author of the first version
    whose decision is the current one (later versions that kept it do not count)."""
    record = next((r for r in service.list_reviews(patient_id) if r.index == index), None)
    if record is None or record.review.panel.decision is None:
        return None
    current = record.review.panel.decision
    first = None
    for version in service.review_history(record.review_id):
        if version.review.panel.decision == current:
            if first is None:
                first = version
        else:
            first = None  # changed since: the decision as it stands was recorded later
    if first is None:
        return None
    when = first.saved_at if first.saved_at.tzinfo else first.saved_at.replace(tzinfo=UTC)
    return first.saved_by, when


def with_recorders(service: MinutesSource, items: Sequence[MinutesPatient]) -> list[MinutesPatient]:
    """The items with who recorded each decision (for "Decided by")."""
    out = []
    for item in items:
        review = item.review
        if review is None or review.panel.decision is None or item.review_index is None:
            out.append(item)
            continue
        try:
            recorded = decision_recorder(service, item.case.patient.id, item.review_index)
        except NotFound:
            recorded = None
        out.append(dataclasses.replace(item, decision_recorded=recorded))
    return out


def collect_minutes(service: MinutesSource, meeting_id: str) -> tuple[Meeting, list[MinutesPatient], Quorum]:
    """Raises NotFound for an unknown meeting."""
    meeting = service.get_meeting(meeting_id)
    cases: dict[str, Case] = {}
    for item in meeting.agenda:
        try:
            cases[item.patient_id] = _as_signed(service, service.get_case(item.patient_id), meeting)
        except NotFound:
            continue
    items = with_recorders(service, minutes_items(meeting, cases))
    return meeting, items, meeting_quorum(meeting, cases)


def write_minutes(service: MinutesSource, meeting_id: str, out: str | Path, *, printed_at: datetime | None = None,
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


def write_course_report(service: MinutesSource, patient_id: str, out: str | Path, *,
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


def protocol_notes(service: MinutesSource, *, meeting_id: str | None = None,
                   patient_id: str | None = None) -> list[str]:
    """"patient: why their protocol cannot be loaded, and the fallbacks", for each patient on
    a meeting's agenda (or the one patient) whose protocol cannot be loaded: what the command
    line prints beside the PDF that says it on the patient's page."""
    from mdt.protocols.governing import lookup

    ids = ([item.patient_id for item in service.get_meeting(meeting_id).agenda]
           if meeting_id is not None else [patient_id] if patient_id is not None else [])
    out: list[str] = []
    for pid in dict.fromkeys(ids):
        try:
            note = lookup(service.get_case(pid)).note
        except NotFound:
            continue
        if note:
            out.append(f"{pid}: {note}")
    return out


# --------------------------------------------------------------------------- outcome sheets

def meeting_of_review(service: MinutesSource, patient_id: str, review: Review) -> Meeting | None:
    """The meeting that discussed this review (its agenda names the patient and the review's
    date, or the meeting was held on it); the newest when several did."""
    for row in service.list_meetings():  # newest first
        meeting = service.get_meeting(row.id)
        for item in meeting.agenda:
            if item.patient_id == patient_id and (item.review_date or meeting.date) == review.date:
                return meeting
    return None


def outcome_sheet_items(service: MinutesSource, *, meeting_id: str | None = None, patient_id: str | None = None,
                        review_date: date | None = None) -> list[OutcomeSheet]:
    """Every agenda patient of ``meeting_id``, or one patient's review (``review_date``, else the
    latest with a decision, else the latest).  Raises NotFound for an unknown meeting, patient or
    review date."""
    if meeting_id is not None:
        meeting, items, _quorum = collect_minutes(service, meeting_id)
        return [OutcomeSheet(item, meeting) for item in items]
    if patient_id is None:
        raise ValueError("give a meeting or a patient")
    case = service.get_case(patient_id)
    if not case.reviews:
        raise NotFound(f"patient {patient_id} has no review yet: there is no outcome to print")
    if review_date is not None:
        index = next((i for i in range(len(case.reviews) - 1, -1, -1) if case.reviews[i].date == review_date),
                     None)
        if index is None:
            raise NotFound(f"patient {patient_id} has no review dated {review_date.isoformat()}")
    else:
        decided = [i for i, r in enumerate(case.reviews) if r.panel.decision is not None]
        index = decided[-1] if decided else len(case.reviews) - 1
    review = case.reviews[index]
    held = meeting_of_review(service, patient_id, review)
    if held is not None:
        case = _as_signed(service, case, held)
        agenda = next(a for a in held.agenda if a.patient_id == patient_id
                      and (a.review_date or held.date) == review.date)
        item = minutes_item(case, agenda, held.date, signed=held.signed, attendees=held.attendees)
    else:
        item = minutes_item(case, AgendaItem(patient_id, review.date, review.reason), review.date)
    return [OutcomeSheet(with_recorders(service, [item])[0], held)]


def write_outcome_sheets(service: MinutesSource, out: str | Path, *, meeting_id: str | None = None,
                         patient_id: str | None = None, review_date: date | None = None,
                         printed_at: datetime | None = None, pdfa: bool = False) -> Path:
    """The outcome sheets of a meeting's patients or of one patient's review, one page each."""
    sheets = outcome_sheet_items(service, meeting_id=meeting_id, patient_id=patient_id, review_date=review_date)
    institution = None
    if not any(s.meeting for s in sheets):
        # The board's institution, as its latest meeting names it (as the course report does).
        meetings = service.list_meetings()
        if meetings:
            latest = service.get_meeting(meetings[0].id)
            institution = " · ".join(x for x in (latest.institution, latest.board) if x) or None
    render_outcome_sheets(sheets, out, printed_at=printed_at or datetime.now(UTC), pdfa=pdfa,
                          institution=institution)
    return Path(out)
