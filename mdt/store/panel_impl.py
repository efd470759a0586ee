"""Implementation of the panel's ratings and decisions (``MdtService.panel_context``,
``cast_vote``, ``withdraw_vote``, ``record_decision``) and the panel checks of ``save_review``.

Who may rate is decided here from the database, never from what a window sends: the meeting
whose agenda holds the review, its recorded attendance, the members registry and the patient's
protocol (``mdt.votes``).  Every write names the patient the form was filled for; a review of
another patient is refused, so a form left over from one patient can never save onto the next.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from mdt.case import Decision, Review
from mdt.errors import (
    ConflictError,
    FieldProblem,
    LockedError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from mdt.meeting import Member
from mdt.protocols.governing import AGGREGATION, DECISION, QUORUM, ProtocolLookup
from mdt.service_types import ReviewRecord
from mdt.store.case_rows import parse_review_text, record_for
from mdt.store.common import (
    Caller,
    find_review,
    find_version,
    hospital_settings,
    now,
    require_role,
    to_member,
)
from mdt.store.db import StaleRecordError
from mdt.store.meetings_impl import signature_row
from mdt.store.models import (
    AgendaItemModel,
    MeetingAttendeeModel,
    MeetingModel,
    MemberModel,
    PatientModel,
    ReviewModel,
)
from mdt.store.patients_impl import refresh_summary
from mdt.store.reviews_impl import check_patient, revise, validate_review
from mdt.votes import (
    PanelContext,
    decision_rule,
    eligible_voters,
    expected_ratings,
    record_rating,
    refusal,
    round_for,
    vote_of,
    withdraw_rating,
)


def _lookup(p: PatientModel) -> ProtocolLookup:
    """The patient's protocol, or why it cannot be loaded: ratings are then counted by consensus
    and a decision records the protocol id alone; the panel context carries the note the window
    shows (docs/clinical/conventions.md#when-a-protocol-cannot-be-loaded)."""
    from mdt.protocols import lookup

    return lookup(protocol_id=p.protocol_id)


def _locked_pair(s: Session, review_id: int, patient_id: str | None) -> tuple[PatientModel, ReviewModel]:
    """The review and its patient (row locked); refuses a review of another patient."""
    patient_pk = s.scalars(select(ReviewModel.patient_id).where(ReviewModel.id == review_id)).first()
    if patient_pk is None:
        raise NotFound(f"no review with id {review_id}")
    p = s.scalars(select(PatientModel).where(PatientModel.id == patient_pk).with_for_update()).one()
    check_patient(p.mrn, patient_id, review_id)
    return p, find_review(s, review_id)


def _meetings_of(s: Session, r: ReviewModel) -> list[MeetingModel]:
    """Meetings whose agenda discusses this review (its id, or the patient on the review's date)."""
    rows = s.execute(
        select(MeetingModel, AgendaItemModel)
        .join(AgendaItemModel, AgendaItemModel.meeting_id == MeetingModel.id)
        .where(AgendaItemModel.patient_id == r.patient_id)
        .order_by(MeetingModel.meeting_date, MeetingModel.id)).all()
    out: list[MeetingModel] = []
    for m, item in rows:
        if (item.review_id == r.id or (item.review_date or m.meeting_date) == r.review_date) \
                and m not in out:
            out.append(m)
    return out


def _meeting_for(s: Session, r: ReviewModel, meeting_id: str | None
                 ) -> tuple[MeetingModel | None, str | None]:
    meetings = _meetings_of(s, r)
    when = r.review_date.isoformat()
    if meeting_id is not None:
        chosen = next((m for m in meetings if m.id == meeting_id), None)
        if chosen is None:
            return None, f"the review of {when} is not on the agenda of meeting {meeting_id}"
        return chosen, None
    if not meetings:
        return None, (f"the review of {when} is not on a meeting's agenda: only members present at "
                      f"the meeting that discusses it rate (put the patient on that meeting's agenda)")
    unsigned = [m for m in meetings if signature_row(s, m.id) is None]
    return (unsigned or meetings)[-1], None


def _attendees(s: Session, meeting_id: str) -> list[Member]:
    rows = s.scalars(
        select(MemberModel).join(MeetingAttendeeModel, MeetingAttendeeModel.member_id == MemberModel.id)
        .where(MeetingAttendeeModel.meeting_id == meeting_id).order_by(MemberModel.name)).all()
    return [to_member(m) for m in rows]


def _current(s: Session, r: ReviewModel) -> Review:
    return parse_review_text(find_version(s, r.id, r.current_version).content)


def _context(s: Session, p: PatientModel, r: ReviewModel, meeting_id: str | None) -> PanelContext:
    review = _current(s, r)
    protocol = _lookup(p)
    aggregation = protocol.aggregation
    m, problem = _meeting_for(s, r, meeting_id)
    attendees = tuple(_attendees(s, m.id)) if m is not None else ()
    voters = eligible_voters(attendees, aggregation)
    names = tuple(v.name for v in voters)
    if m is not None and not voters:
        problem = f"no member with a voting role is recorded as present at meeting {m.id}"
    return PanelContext(
        review_id=r.id, patient_id=p.mrn, version=r.current_version,
        meeting_id=m.id if m is not None else None,
        meeting_date=m.meeting_date if m is not None else None,
        meeting_signed=m is not None and signature_row(s, m.id) is not None,
        aggregation=aggregation, attendees=attendees, voters=voters,
        expectation=expected_ratings(review.panel.votes, aggregation, names), problem=problem,
        protocol_note=protocol.note_for(AGGREGATION, QUORUM, DECISION))


def panel_context(svc: Caller, review_id: int, meeting_id: str | None) -> PanelContext:
    with svc.db.read() as s:
        r = find_review(s, review_id)
        p = s.get(PatientModel, r.patient_id)
        assert p is not None
        return _context(s, p, r, meeting_id)


def _amendment(s: Session, svc: Caller, r: ReviewModel, amendment_reason: str | None, what: str) -> bool:
    """True when the change is an amendment of signed minutes (then only the roles the settings
    allow may make it, as for ``amend_review``)."""
    if r.locked_by_meeting is None:
        return False
    if not (amendment_reason or "").strip():
        raise LockedError(f"review of {r.review_date.isoformat()} belongs to signed meeting "
                          f"{r.locked_by_meeting}: {what} only as an amendment, with its reason")
    require_role(s, svc.actor, hospital_settings(s).amend_roles, "amend a review of signed minutes")
    return True


def _commit(s: Session, svc: Caller, p: PatientModel, r: ReviewModel, review: Review,
            reason: str, amendment_reason: str | None, amendment: bool) -> ReviewRecord:
    validate_review(review, p.birth_date)
    text = f"{amendment_reason.strip()} — {reason}" if amendment and amendment_reason else reason
    if revise(s, svc.actor, p, r, review, text, amendment):
        refresh_summary(s, p)
    s.flush()
    return record_for(s, r.id)


def _stale(svc: Caller, review_id: int, exc: Exception) -> ConflictError:
    with svc.db.read() as s:
        current = record_for(s, review_id)
    return ConflictError(f"review {review_id} was changed by {current.saved_by} "
                         f"(now version {current.version})", current=current)


def cast_vote(svc: Caller, review_id: int, member: str, rating: str, *, patient_id: str,
              reason: str | None, comment: str | None, meeting_id: str | None,
              amendment_reason: str | None) -> ReviewRecord:
    member = (member or "").strip()
    try:
        with svc.db.write() as s:
            p, r = _locked_pair(s, review_id, patient_id)
            ctx = _context(s, p, r, meeting_id)
            if ctx.meeting_id is None:
                raise PermissionDenied(f"{member or 'Nobody'} cannot rate: {ctx.problem}")
            why = refusal(member, ctx.attendees, ctx.aggregation, ctx.meeting_id)
            if why is not None:
                raise PermissionDenied(why)
            amendment = _amendment(s, svc, r, amendment_reason, "a rating changes")
            review = _current(s, r)
            votes = review.panel.votes
            exp = ctx.expectation
            if vote_of(votes, member) is None and exp.complete:
                raise ValidationError(FieldProblem(
                    "panel.votes", f"the ratings this protocol asks for are all in ({exp.text}); "
                                   f"a rating by {member} would not count"))
            round_ = round_for(votes, member, exp)
            role = next(m.specialty for m in ctx.attendees if m.name == member)
            new_votes, words = record_rating(votes, member=member, role=role, rating=rating,
                                             round_=round_, reason=reason, comment=comment,
                                             at=now().replace(microsecond=0), by=svc.actor.name)
            new = replace(review, panel=replace(review.panel, votes=new_votes))
            return _commit(s, svc, p, r, new, words, amendment_reason, amendment)
    except (StaleDataError, StaleRecordError) as exc:
        raise _stale(svc, review_id, exc) from exc


def withdraw_vote(svc: Caller, review_id: int, member: str, round_: int, reason: str, *,
                  patient_id: str, amendment_reason: str | None) -> ReviewRecord:
    try:
        with svc.db.write() as s:
            p, r = _locked_pair(s, review_id, patient_id)
            amendment = _amendment(s, svc, r, amendment_reason, "a rating is withdrawn")
            review = _current(s, r)
            new_votes, words = withdraw_rating(review.panel.votes, member=member, round_=round_,
                                               reason=reason, at=now().replace(microsecond=0),
                                               by=svc.actor.name)
            new = replace(review, panel=replace(review.panel, votes=new_votes))
            return _commit(s, svc, p, r, new, words, amendment_reason, amendment)
    except (StaleDataError, StaleRecordError) as exc:
        raise _stale(svc, review_id, exc) from exc


def _decision_words(decision: Decision, old: Decision | None) -> str:
    bits = [(decision.resectability or "not decided").replace("_", " "),
            (decision.plan or "no plan").replace("_", " ")]
    if decision.next_review:
        bits.append(f"next review {decision.next_review.isoformat()}")
    return f"decision {'changed' if old is not None else 'recorded'}: {', '.join(bits)}"


def record_decision(svc: Caller, review_id: int, decision: Decision, *, patient_id: str,
                    expected_version: int, reason: str | None,
                    amendment_reason: str | None) -> ReviewRecord:
    if not patient_id:
        raise ValidationError(FieldProblem("patient", "a decision names the patient it is for"))
    try:
        with svc.db.write() as s:
            p, r = _locked_pair(s, review_id, patient_id)
            if r.current_version != expected_version:
                raise ConflictError(
                    f"review {review_id} was changed by {find_version(s, r.id, r.current_version).saved_by}"
                    f" (now version {r.current_version}, you edited version {expected_version})",
                    current=record_for(s, review_id))
            amendment = _amendment(s, svc, r, amendment_reason, "the decision changes")
            review = _current(s, r)
            ctx = _context(s, p, r, None)
            voters = tuple(v.name for v in ctx.voters) if ctx.meeting_id is not None else None
            protocol, version = (decision.protocol, decision.protocol_version)
            if protocol is None:
                protocol, version = _lookup(p).ref
            decided = replace(decision, rule=decision_rule(review.panel.votes, ctx.aggregation, voters,
                                                           decision.resectability),
                              protocol=protocol, protocol_version=version if protocol else None)
            new = replace(review, panel=replace(review.panel, decision=decided))
            words = (reason or "").strip() or _decision_words(decided, review.panel.decision)
            return _commit(s, svc, p, r, new, words, amendment_reason, amendment)
    except (StaleDataError, StaleRecordError) as exc:
        raise _stale(svc, review_id, exc) from exc
