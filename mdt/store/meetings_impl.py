"""Meetings: create, edit, agenda and attendance (chair or coordinator), the signature (stored
with its lock events, the sign event and the key-signed payload; ``mdt.signing`` renders and signs
the PDF), the signed records ``verify-minutes`` checks, and amendments of signed meetings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from mdt.errors import ConflictError, FieldProblem, LockedError, NotFound, ValidationError
from mdt.meeting import AgendaItem, Amendment, Meeting, Member, Signature
from mdt.service_types import Actor, MeetingRow
from mdt.store import audit
from mdt.store.common import (
    EDITORS,
    Caller,
    as_utc,
    find_patient,
    find_review,
    integrity_error,
    now,
    require_role,
    require_text,
    text_problems,
    to_member,
)
from mdt.store.models import (
    AgendaItemModel,
    AmendmentModel,
    AuditEventModel,
    MeetingAttendeeModel,
    MeetingModel,
    MemberModel,
    PatientModel,
    ReviewModel,
    SignatureModel,
)

# --------------------------------------------------------------------------- meetings


def find_meeting(s: Session, meeting_id: str, *, lock: bool = False) -> MeetingModel:
    q = select(MeetingModel).where(MeetingModel.id == meeting_id)
    if lock:
        q = q.with_for_update()
    m = s.scalars(q).first()
    if m is None:
        raise NotFound(f"no meeting {meeting_id!r}")
    return m


def signature_row(s: Session, meeting_id: str) -> SignatureModel | None:
    return s.get(SignatureModel, meeting_id)


def to_meeting(s: Session, m: MeetingModel) -> Meeting:
    attendees = s.scalars(
        select(MemberModel).join(MeetingAttendeeModel, MeetingAttendeeModel.member_id == MemberModel.id)
        .where(MeetingAttendeeModel.meeting_id == m.id).order_by(MemberModel.name)).all()
    items = s.execute(
        select(AgendaItemModel, PatientModel.mrn)
        .join(PatientModel, PatientModel.id == AgendaItemModel.patient_id)
        .where(AgendaItemModel.meeting_id == m.id).order_by(AgendaItemModel.position)).all()
    sig = signature_row(s, m.id)
    amendments = s.execute(
        select(AmendmentModel, PatientModel.mrn)
        .outerjoin(PatientModel, PatientModel.id == AmendmentModel.patient_id)
        .where(AmendmentModel.meeting_id == m.id).order_by(AmendmentModel.id)).all()
    return Meeting(
        id=m.id, date=m.meeting_date, start_time=m.start_time, institution=m.institution,
        board=m.board, chair=m.chair, minute_taker=m.minute_taker,
        attendees=tuple(to_member(a) for a in attendees),
        agenda=tuple(AgendaItem(patient_id=mrn, review_date=a.review_date, reason=a.reason,
                                discussion_level=a.discussion_level, position=a.position)
                     for a, mrn in items),
        signature=None if sig is None else _to_signature(sig),
        amendments=tuple(Amendment(at=as_utc(a.at), author=a.author, reason=a.reason,
                                   summary=a.summary, patient_id=mrn) for a, mrn in amendments))


def _meeting_dict(s: Session, m: MeetingModel) -> dict[str, Any]:
    meeting = to_meeting(s, m)
    return {
        "id": meeting.id, "date": meeting.date.isoformat(), "start_time": meeting.start_time,
        "institution": meeting.institution, "board": meeting.board, "chair": meeting.chair,
        "minute_taker": meeting.minute_taker,
        "attendees": [a.name for a in meeting.attendees],
        "agenda": [{"patient": a.patient_id,
                    "review_date": a.review_date.isoformat() if a.review_date else None,
                    "reason": a.reason, "discussion_level": a.discussion_level}
                   for a in meeting.agenda],
    }


def list_meetings(svc: Caller) -> list[MeetingRow]:
    with svc.db.read() as s:
        counts = dict(s.execute(select(AgendaItemModel.meeting_id, func.count())
                                .group_by(AgendaItemModel.meeting_id)).all())
        signed = set(s.scalars(select(SignatureModel.meeting_id)))
        return [MeetingRow(id=m.id, date=m.meeting_date, board=m.board, chair=m.chair,
                           patients=counts.get(m.id, 0), signed=m.id in signed)
                for m in s.scalars(select(MeetingModel)
                                   .order_by(MeetingModel.meeting_date.desc(), MeetingModel.id))]


def get_meeting(svc: Caller, meeting_id: str) -> Meeting:
    with svc.db.read() as s:
        return to_meeting(s, find_meeting(s, meeting_id))


def _set_attendees(s: Session, m: MeetingModel, attendees: Sequence[Member]) -> None:
    for old in s.scalars(select(MeetingAttendeeModel).where(MeetingAttendeeModel.meeting_id == m.id)):
        s.delete(old)
    s.flush()
    seen: set[int] = set()
    problems = []
    for i, a in enumerate(attendees):
        row = s.get(MemberModel, a.id) if a.id is not None else s.scalars(
            select(MemberModel).where(MemberModel.name == a.name)).first()
        if row is None:
            problems.append(FieldProblem(f"attendees[{i}]", f"{a.name!r} is not in the registry"))
            continue
        if row.id not in seen:
            seen.add(row.id)
            s.add(MeetingAttendeeModel(meeting_id=m.id, member_id=row.id))
    if problems:
        raise ValidationError(problems)


def review_on(s: Session, patient_pk: int, on: date | None) -> int | None:
    if on is None:
        return None
    return s.scalars(select(ReviewModel.id).where(ReviewModel.patient_id == patient_pk,
                                                  ReviewModel.review_date == on)
                     .order_by(ReviewModel.id.desc())).first()


def _set_agenda(s: Session, m: MeetingModel, items: Sequence[AgendaItem]) -> None:
    for old in s.scalars(select(AgendaItemModel).where(AgendaItemModel.meeting_id == m.id)):
        s.delete(old)
    s.flush()
    problems = []
    for i, item in enumerate(items):
        pk = s.scalars(select(PatientModel.id).where(PatientModel.mrn == item.patient_id)).first()
        if pk is None:
            problems.append(FieldProblem(f"agenda[{i}].patient_id",
                                         f"no patient with hospital id {item.patient_id!r}"))
            continue
        too_long = text_problems(f"agenda[{i}].reason", item.reason, 64)
        if too_long:
            problems += too_long
            continue
        if item.discussion_level not in ("full", "listed"):
            problems.append(FieldProblem(f"agenda[{i}].discussion_level", "must be full or listed"))
            continue
        s.add(AgendaItemModel(meeting_id=m.id, patient_id=pk, review_date=item.review_date,
                              review_id=review_on(s, pk, item.review_date), reason=item.reason,
                              discussion_level=item.discussion_level, position=i))
    if problems:
        raise ValidationError(problems)


def _validate_meeting(meeting: Meeting) -> None:
    problems = []
    if not meeting.id or not meeting.id.strip():
        problems.append(FieldProblem("id", "required"))
    problems += text_problems("id", meeting.id, 64)
    for name in ("institution", "board", "chair", "minute_taker"):
        problems += text_problems(name, getattr(meeting, name), 200)
    for i, item in enumerate(meeting.agenda):
        problems += text_problems(f"agenda[{i}].reason", item.reason, 64)
    if meeting.start_time is not None:
        t = meeting.start_time
        ok = len(t) == 5 and t[2] == ":" and t[:2].isdigit() and t[3:].isdigit() \
            and int(t[:2]) < 24 and int(t[3:]) < 60
        if not ok:
            problems.append(FieldProblem("start_time", "must be HH:MM"))
    if problems:
        raise ValidationError(problems)


def insert_meeting(s: Session, actor: Actor, meeting: Meeting, check: bool = True) -> MeetingModel:
    _validate_meeting(meeting)
    if check:
        require_role(s, actor, EDITORS, "create a meeting")
    if s.get(MeetingModel, meeting.id) is not None:
        raise ValidationError(FieldProblem("id", f"meeting {meeting.id!r} already exists"))
    m = MeetingModel(id=meeting.id, meeting_date=meeting.date, start_time=meeting.start_time,
                     institution=meeting.institution, board=meeting.board, chair=meeting.chair,
                     minute_taker=meeting.minute_taker, created_at=now())
    s.add(m)
    s.flush()
    _set_attendees(s, m, meeting.attendees)
    _set_agenda(s, m, meeting.agenda)
    s.flush()
    audit.record(s, actor=actor.name, action="meeting.create", entity="meeting", entity_id=m.id,
                 before=None, after=_meeting_dict(s, m))
    return m


def create_meeting(svc: Caller, meeting: Meeting) -> Meeting:
    if meeting.signature is not None or meeting.amendments:
        raise ValidationError(FieldProblem(
            "signature", "a new meeting is unsigned: sign it with sign_meeting, amend it after"))
    try:
        with svc.db.write() as s:
            m = insert_meeting(s, svc.actor, meeting)
            return to_meeting(s, m)
    except IntegrityError as exc:
        raise integrity_error(exc) from exc


def _editable_meeting(s: Session, actor: Actor, meeting_id: str, action: str) -> MeetingModel:
    require_role(s, actor, EDITORS, action)
    m = find_meeting(s, meeting_id, lock=True)
    if signature_row(s, meeting_id) is not None:
        raise LockedError(f"meeting {meeting_id} is signed: record an amendment instead")
    return m


def update_meeting(svc: Caller, meeting: Meeting) -> Meeting:
    _validate_meeting(meeting)
    with svc.db.write() as s:
        m = _editable_meeting(s, svc.actor, meeting.id, "edit a meeting")
        before = _meeting_dict(s, m)
        m.meeting_date, m.start_time, m.institution = meeting.date, meeting.start_time, meeting.institution
        m.board, m.chair, m.minute_taker = meeting.board, meeting.chair, meeting.minute_taker
        _set_attendees(s, m, meeting.attendees)
        s.flush()
        after = _meeting_dict(s, m)
        if after != before:
            audit.record(s, actor=svc.actor.name, action="meeting.update", entity="meeting",
                         entity_id=m.id, before=before, after=after)
        return to_meeting(s, m)


def set_agenda(svc: Caller, meeting_id: str, items: Sequence[AgendaItem]) -> Meeting:
    with svc.db.write() as s:
        m = _editable_meeting(s, svc.actor, meeting_id, "edit a meeting's agenda")
        before = _meeting_dict(s, m)["agenda"]
        _set_agenda(s, m, items)
        s.flush()
        after = _meeting_dict(s, m)["agenda"]
        if after != before:
            audit.record(s, actor=svc.actor.name, action="meeting.agenda", entity="meeting",
                         entity_id=m.id, before={"agenda": before}, after={"agenda": after})
        return to_meeting(s, m)


def signing_head(svc: Caller) -> tuple[int, str]:
    """(id, hash) of the newest audit event, read before the minutes are rendered."""
    with svc.db.read() as s:
        return audit.head(s)


def check_signer(svc: Caller, meeting_id: str) -> None:
    """Fail early (before the password is even checked) when the actor cannot sign."""
    with svc.db.read() as s:
        require_role(s, svc.actor, ("chair",), "sign the minutes")
        find_meeting(s, meeting_id)
        if signature_row(s, meeting_id) is not None:
            raise LockedError(f"meeting {meeting_id} is already signed")


def sign_meeting(svc: Caller, meeting_id: str, *, signed_at: datetime, seen_head: int,
                 key: Any, certificate_pem: str, minutes_pdf: bytes) -> Signature:
    """Store the signature: lock events, the sign event, then the key-signed payload.

    ``seen_head`` is the audit event id the minutes were rendered at: if anything about
    this meeting, its patients or the registry was saved since, the minutes no longer
    show what would be signed, and ConflictError says so (nothing is written)."""
    from mdt import keys

    try:
        with svc.db.write() as s:
            signer = require_role(s, svc.actor, ("chair",), "sign the minutes")
            audit.lock_chain(s)
            m = find_meeting(s, meeting_id, lock=True)
            if signature_row(s, meeting_id) is not None:
                raise LockedError(f"meeting {meeting_id} is already signed")
            _check_unchanged(s, m, seen_head)
            locked: list[int] = []
            items = s.scalars(select(AgendaItemModel).where(AgendaItemModel.meeting_id == m.id)
                              .order_by(AgendaItemModel.position)).all()
            for item in items:
                review_id = review_on(s, item.patient_id, item.review_date or m.meeting_date)
                if review_id is None:
                    continue
                item.review_id = review_id
                r = find_review(s, review_id)
                if r.locked_by_meeting is None:
                    r.locked_by_meeting = m.id
                    locked.append(r.id)
                    mrn = s.scalars(select(PatientModel.mrn)
                                    .where(PatientModel.id == r.patient_id)).one()
                    # One event per review, so each patient's history shows the lock.
                    audit.record(s, actor=svc.actor.name, action="review.lock", entity="review",
                                 entity_id=r.id, before={"locked_by_meeting": None},
                                 after={"locked_by_meeting": m.id, "version": r.current_version},
                                 patient_mrn=mrn)
            s.flush()
            pdf_sha = keys.sha256_hex(minutes_pdf)
            event = audit.record(
                s, actor=svc.actor.name, action="meeting.sign", entity="meeting", entity_id=m.id,
                before=None,
                after={"signer": signer.name, "member_id": signer.id, "locked_reviews": locked,
                       "signed_at": _iso(signed_at),
                       "certificate_sha256": keys.fingerprint(certificate_pem),
                       "minutes_sha256": pdf_sha})
            s.flush()
            # The signature covers the chain head AFTER the sign event: the event's own hash.
            payload = audit.canonical_json({
                "meeting": m.id, "signer": signer.name, "signed_at": _iso(signed_at),
                "audit_event_id": event.id, "audit_head": event.hash, "minutes_sha256": pdf_sha})
            sig = SignatureModel(
                meeting_id=m.id, signer=signer.name, signed_at=signed_at,
                audit_head=event.hash, audit_event_id=event.id, member_id=signer.id,
                certificate_pem=certificate_pem, payload=payload,
                signed_value=keys.sign_bytes(key, payload.encode("utf-8")),
                minutes_pdf=minutes_pdf, minutes_sha256=pdf_sha)
            s.add(sig)
            s.flush()
            return _to_signature(sig)
    except StaleDataError as exc:
        # A review or the meeting changed under us between read and write: nothing was
        # committed (the transaction rolled back as a whole).
        raise ConflictError(f"someone saved a change to meeting {meeting_id} or one of its "
                            f"patients while you were signing; nothing was signed. Check the "
                            f"minutes and sign again.") from exc


def _iso(value: datetime) -> str:
    return as_utc(value).astimezone(UTC).isoformat(timespec="microseconds")


def _to_signature(sig: SignatureModel) -> Signature:
    from mdt import keys

    return Signature(signer=sig.signer, at=as_utc(sig.signed_at), audit_head=sig.audit_head,
                     audit_event_id=sig.audit_event_id,
                     certificate_sha256=(keys.fingerprint(sig.certificate_pem)
                                         if sig.certificate_pem else None))


def _check_unchanged(s: Session, m: MeetingModel, seen_head: int) -> None:
    mrns = list(s.scalars(select(PatientModel.mrn).join(
        AgendaItemModel, AgendaItemModel.patient_id == PatientModel.id)
        .where(AgendaItemModel.meeting_id == m.id)))
    newer = s.scalars(select(AuditEventModel).where(
        AuditEventModel.id > seen_head,
        or_(AuditEventModel.patient_mrn.in_(mrns),
            (AuditEventModel.entity == "meeting") & (AuditEventModel.entity_id == m.id),
            AuditEventModel.entity == "member"))
        .order_by(AuditEventModel.id).limit(1)).first()
    if newer is not None:
        what = f"patient {newer.patient_mrn}" if newer.patient_mrn else f"{newer.entity} {newer.entity_id}"
        raise ConflictError(f"{newer.actor} saved a change ({newer.action}, {what}) while you "
                            f"were signing meeting {m.id}; nothing was signed. Check the minutes "
                            f"and sign again.")


@dataclass(frozen=True, slots=True)
class SignatureRecord:
    meeting_id: str
    signer: str
    audit_event_id: int | None
    certificate_pem: str | None
    minutes_sha256: str | None
    amendments: int


def signature_records(svc: Caller) -> list[SignatureRecord]:
    with svc.db.read() as s:
        counts = dict(s.execute(select(AmendmentModel.meeting_id, func.count())
                                .group_by(AmendmentModel.meeting_id)).all())
        return [SignatureRecord(sig.meeting_id, sig.signer, sig.audit_event_id,
                                sig.certificate_pem, sig.minutes_sha256,
                                counts.get(sig.meeting_id, 0))
                for sig in s.scalars(select(SignatureModel))]


def member_certificates(svc: Caller) -> list[str]:
    from mdt.store.models import MemberCredentialModel

    with svc.db.read() as s:
        return [c for c in s.scalars(select(MemberCredentialModel.certificate_pem)) if c]


def signature_problem(svc: Caller, meeting_id: str) -> str | None:
    with svc.db.read() as s:
        return audit.check_signature(s, meeting_id)


def signed_minutes(svc: Caller, meeting_id: str) -> bytes | None:
    with svc.db.read() as s:
        find_meeting(s, meeting_id)
        sig = signature_row(s, meeting_id)
        return None if sig is None else sig.minutes_pdf


def amend_meeting(svc: Caller, meeting_id: str, reason: str, summary: str,
                  mrn: str | None) -> Meeting:
    reason = require_text(reason, "reason", "a reason for the amendment")
    summary = require_text(summary, "summary", "a summary of what changed")
    with svc.db.write() as s:
        require_role(s, svc.actor, EDITORS, "amend a meeting")
        m = find_meeting(s, meeting_id, lock=True)
        if signature_row(s, meeting_id) is None:
            raise ValidationError(FieldProblem("meeting", f"{meeting_id} is not signed: "
                                               "edit it directly"))
        patient_pk = find_patient(s, mrn).id if mrn else None
        s.add(AmendmentModel(meeting_id=m.id, patient_id=patient_pk, at=now(),
                             author=svc.actor.name, reason=reason, summary=summary))
        audit.record(s, actor=svc.actor.name, action="meeting.amend", entity="meeting",
                     entity_id=m.id, before=None,
                     after={"reason": reason, "summary": summary, "patient": mrn},
                     patient_mrn=mrn)
        s.flush()
        return to_meeting(s, m)
