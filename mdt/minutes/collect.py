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
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from mdt.case import Case
from mdt.errors import NotFound
from mdt.meeting import Meeting
from mdt.minutes.course import render_course_report
from mdt.minutes.items import course_inputs, meeting_quorum, minutes_items
from mdt.minutes.minutes import render_minutes
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


def collect_minutes(service: MinutesSource, meeting_id: str) -> tuple[Meeting, list[MinutesPatient], Quorum]:
    """Raises NotFound for an unknown meeting."""
    meeting = service.get_meeting(meeting_id)
    cases: dict[str, Case] = {}
    for item in meeting.agenda:
        try:
            cases[item.patient_id] = _as_signed(service, service.get_case(item.patient_id), meeting)
        except NotFound:
            continue
    return meeting, minutes_items(meeting, cases), meeting_quorum(meeting, cases)


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
