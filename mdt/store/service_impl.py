"""Implementation of :class:`mdt.services.MdtService` (read that module for the API).

The API's value types are in ``mdt.service_types``; this module never imports ``mdt.services``.

Each public function here is one user action: it opens one transaction with
``db.write()`` (or ``db.read()``), does the change, writes the audit event(s)
with ``audit.record`` in the same transaction, and returns plain dataclasses.

Lock order, to keep PostgreSQL free of deadlocks: patient row first
(``SELECT ... FOR UPDATE``), then its reviews.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from mdt import caseformat
from mdt.case import FORMAT_ID, Case, Patient, ProtocolRef, Review, Treatment
from mdt.caseformat_followup import with_derived_end
from mdt.errors import (
    ConflictError,
    FieldProblem,
    LockedError,
    LockedFieldsError,
    NotFound,
    ValidationError,
)
from mdt.limits import label_for, text_max
from mdt.meeting import ROLES, SPECIALTIES, AgendaItem, Amendment, Meeting, Member, Signature
from mdt.service_types import (
    Actor,
    AuditRecord,
    AuditVerification,
    ImportSummary,
    MeetingRow,
    PatientRow,
    ReviewRecord,
    ReviewVersion,
)
from mdt.store import audit, followup_store
from mdt.store.case_rows import (
    current_reviews,
    parse_review_text,
    parse_treatment,
    read_case,
    read_follow_up,
    record_for,
    review_json,
    to_record,
    treatment_dict,
    write_treatment,
)
from mdt.store.common import (
    EDITORS,
    Caller,
    as_utc,
    dumps,
    find_patient,
    find_patient_or_none,
    find_review,
    find_version,
    hospital_settings,
    integrity_error,
    now,
    require_role,
    require_text,
    text_problems,
    to_member,
)
from mdt.store.db import Database, StaleRecordError
from mdt.store.models import (
    AgendaItemModel,
    AmendmentModel,
    AuditEventModel,
    MeetingAttendeeModel,
    MeetingModel,
    MemberModel,
    PatientModel,
    ReviewModel,
    ReviewVersionModel,
    SignatureModel,
    TreatmentCourseModel,
)

# --------------------------------------------------------------------------- helpers


def _name_search(name: str | None) -> str:
    return (name or "").replace("^", " ").strip().lower()


def _target_sum(review: Review) -> float | None:
    sizes = [les.diameter_mm for les in review.lesions
             if les.target and les.status == "present" and les.diameter_mm is not None]
    return float(sum(sizes)) if sizes else None


def _patient_dict(p: PatientModel) -> dict[str, Any]:
    return {"id": p.mrn, "name": p.name, "sex": p.sex,
            "birth_date": p.birth_date.isoformat() if p.birth_date else None,
            "protocol": {"id": p.protocol_id, "arm": p.arm,
                         "enrolment_date": p.enrolment_date.isoformat() if p.enrolment_date else None},
            "archived": p.archived, "archive_reason": p.archive_reason}


def _diff(old: object, new: object, path: str = "", out: list[str] | None = None) -> list[str]:
    """Human-readable list of changed fields: ``panel.decision.plan: a -> b``."""
    out = [] if out is None else out
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            _diff(old.get(key), new.get(key), f"{path}.{key}" if path else key, out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(a, b, f"{path}[{i}]", out)
    elif old != new:
        out.append(f"{path or 'value'}: {json.dumps(old, ensure_ascii=False)} -> "
                   f"{json.dumps(new, ensure_ascii=False)}")
    return out


def _summarise(changes: list[str], limit: int = 12) -> str:
    if not changes:
        return "no change"
    text = "; ".join(changes[:limit])
    return text + (f"; and {len(changes) - limit} more" if len(changes) > limit else "")


# --------------------------------------------------------------------------- lookups


def _row(p: PatientModel) -> PatientRow:
    return PatientRow(
        patient_id=p.mrn, name=p.name, sex=p.sex, birth_date=p.birth_date,
        protocol_id=p.protocol_id, arm=p.arm, review_count=p.review_count,
        last_review_date=p.last_review_date, last_cycle=p.last_cycle,
        resectability=p.resectability, plan=p.plan, next_review=p.next_review,
        outcome=p.outcome, archived=p.archived, archive_reason=p.archive_reason)


def _summary_from(p: PatientModel, reviews: Sequence[Review]) -> None:
    """The summary of a patient whose only reviews are ``reviews`` (in saving order)."""
    p.review_count = len(reviews)
    # Latest by date; among equal dates the last saved, as _refresh_summary orders.
    latest = max(enumerate(reviews), key=lambda iv: (iv[1].date, iv[0]))[1] if reviews else None
    dec = latest.panel.decision if latest is not None else None
    p.last_review_date = latest.date if latest is not None else None
    p.last_cycle = latest.cycle if latest is not None else None
    p.resectability = dec.resectability if dec is not None else None
    p.plan = dec.plan if dec is not None else None
    p.next_review = dec.next_review if dec is not None else None


def _refresh_summary(s: Session, p: PatientModel) -> None:
    """Keep the patient list's columns equal to the latest review's facts."""
    s.flush()
    rows = s.execute(
        select(ReviewVersionModel.review_date, ReviewVersionModel.cycle,
               ReviewVersionModel.resectability, ReviewVersionModel.plan,
               ReviewVersionModel.next_review)
        .join(ReviewModel, (ReviewVersionModel.review_id == ReviewModel.id)
              & (ReviewVersionModel.version == ReviewModel.current_version))
        .where(ReviewModel.patient_id == p.id)
        .order_by(ReviewModel.review_date.desc(), ReviewModel.id.desc())).all()
    p.review_count = len(rows)
    latest = rows[0] if rows else None
    p.last_review_date = latest[0] if latest else None
    p.last_cycle = latest[1] if latest else None
    p.resectability = latest[2] if latest else None
    p.plan = latest[3] if latest else None
    p.next_review = latest[4] if latest else None
    followup_store.refresh_end(s, p)


# --------------------------------------------------------------------------- patients


_ROW_COLUMNS = (PatientModel.mrn, PatientModel.name, PatientModel.sex, PatientModel.birth_date,
                PatientModel.protocol_id, PatientModel.arm, PatientModel.review_count,
                PatientModel.last_review_date, PatientModel.last_cycle, PatientModel.resectability,
                PatientModel.plan, PatientModel.next_review, PatientModel.outcome,
                PatientModel.archived, PatientModel.archive_reason)


def list_patients(svc: Caller, search: str | None, protocol: str | None, arm: str | None,
                  status: str | None, due: date | None, include_archived: bool,
                  limit: int | None) -> list[PatientRow]:
    # Plain column tuples, not ORM objects: ten times faster for 5,000 rows.
    q = select(*_ROW_COLUMNS)
    if search and search.strip():
        term = search.strip().replace("\x00", "")
        q = q.where(or_(PatientModel.mrn.icontains(term, autoescape=True),
                        PatientModel.name_search.contains(_name_search(term), autoescape=True)))
    if protocol:
        q = q.where(PatientModel.protocol_id == protocol)
    if arm:
        q = q.where(PatientModel.arm == arm)
    if status:
        q = q.where(or_(PatientModel.resectability == status, PatientModel.outcome == status))
    if due is not None:
        q = q.where(PatientModel.next_review.is_not(None), PatientModel.next_review <= due)
    if not include_archived:
        q = q.where(PatientModel.archived.is_(False))
    q = q.order_by(PatientModel.mrn)
    if limit is not None:
        q = q.limit(limit)
    with svc.db.read() as s:
        # _ROW_COLUMNS lists PatientRow's fields in order: one column each.
        return [PatientRow(*row) for row in s.execute(q)]  # type: ignore[call-arg]


def get_patient(svc: Caller, mrn: str) -> PatientRow:
    with svc.db.read() as s:
        return _row(find_patient(s, mrn))


def get_case(svc: Caller, mrn: str) -> Case:
    with svc.db.read() as s:
        return read_case(s, mrn)


def _validate_patient(patient: Patient, protocol: ProtocolRef | None = None) -> None:
    problems: list[FieldProblem] = []
    if not patient.id or not patient.id.strip():
        problems.append(FieldProblem("patient.id", "required, non-empty"))
    problems += text_problems("patient.id", patient.id, text_max("patient.id"))
    problems += text_problems("patient.name", patient.name, text_max("patient.name"))
    if patient.sex is not None and patient.sex not in ("F", "M", "O"):
        problems.append(FieldProblem("patient.sex", "must be F, M, O or null"))
    if protocol is not None:
        problems += text_problems("protocol.id", protocol.id, text_max("protocol.id"))
        problems += text_problems("protocol.arm", protocol.arm, text_max("protocol.arm"))
    if problems:
        raise ValidationError(problems)


def _validate_treatment(treatment: Treatment | None) -> None:
    if treatment is None:
        return
    problems = text_problems("treatment.regimen", treatment.regimen,
                              text_max("treatment.regimen"))
    if problems:
        raise ValidationError(problems)
    # Round-trip through the case-format parser: the same rules as an imported file.
    parse_treatment(dumps(treatment_dict(treatment)), stored=False)


def _create_patient(s: Session, actor: Actor, patient: Patient, protocol: ProtocolRef | None,
                    treatment: Treatment | None) -> PatientModel:
    _validate_patient(patient, protocol)
    _validate_treatment(treatment)
    if s.scalars(select(PatientModel.id).where(PatientModel.mrn == patient.id)).first():
        raise ValidationError(FieldProblem("patient.id", f"{patient.id!r} already exists"))
    protocol = protocol or ProtocolRef()
    p = PatientModel(mrn=patient.id, name=patient.name, name_search=_name_search(patient.name),
                     sex=patient.sex, birth_date=patient.birth_date, protocol_id=protocol.id,
                     arm=protocol.arm, enrolment_date=protocol.enrolment_date, archived=False,
                     created_at=now(), review_count=0)
    s.add(p)
    s.flush()
    write_treatment(s, p, treatment, new_patient=True)
    after = _patient_dict(p)
    if treatment is not None:
        after["treatment"] = treatment_dict(treatment)
    audit.record(s, actor=actor.name, action="patient.create", entity="patient",
                 entity_id=p.mrn, before=None, after=after, patient_mrn=p.mrn)
    return p


def create_patient(svc: Caller, patient: Patient, protocol: ProtocolRef | None,
                   treatment: Treatment | None) -> PatientRow:
    try:
        with svc.db.write() as s:
            p = _create_patient(s, svc.actor, patient, protocol, treatment)
            s.flush()
            return _row(p)
    except IntegrityError as exc:
        raise integrity_error(exc) from exc


_DEMOGRAPHICS = ("name", "sex", "birth_date")
"""The patient's facts that signed minutes print and Cockcroft-Gault reads."""


def _signed_meetings(s: Session, p: PatientModel) -> list[str]:
    """Signed meetings that locked one of this patient's reviews (oldest id first)."""
    return sorted({m for m in s.scalars(select(ReviewModel.locked_by_meeting).where(
        ReviewModel.patient_id == p.id, ReviewModel.locked_by_meeting.is_not(None))) if m})


def _demographic_changes(p: PatientModel, patient: Patient) -> list[str]:
    """``patient.sex: "F" -> "M"`` for each demographic field ``patient`` changes."""
    out = []
    for name in _DEMOGRAPHICS:
        old, new = getattr(p, name), getattr(patient, name)
        if old != new:
            show = [None if v is None else v.isoformat() if isinstance(v, date) else v
                    for v in (old, new)]
            out.append(f"patient.{name}: {json.dumps(show[0], ensure_ascii=False)} -> "
                       f"{json.dumps(show[1], ensure_ascii=False)}")
    return out


def _update_patient(s: Session, actor: Actor, p: PatientModel, patient: Patient,
                    protocol: ProtocolRef | None, reason: str | None) -> bool:
    """Change demographics and protocol.  Demographics of a patient in signed minutes change
    only as an amendment of each such meeting, which needs a reason (the minutes print it)."""
    changes = _demographic_changes(p, patient)
    meetings = _signed_meetings(s, p) if changes else []
    if meetings and not (reason or "").strip():
        raise LockedError(
            f"{p.mrn} was discussed at signed meeting {', '.join(meetings)}: its name, sex and "
            f"birth date change only by amendment; give the reason for the change")
    before = _patient_dict(p)
    p.name = patient.name
    p.name_search = _name_search(patient.name)
    p.sex = patient.sex
    p.birth_date = patient.birth_date
    if protocol is not None:
        p.protocol_id = protocol.id
        p.arm = protocol.arm
        p.enrolment_date = protocol.enrolment_date
    after = _patient_dict(p)
    if after == before:
        return False
    if patient.birth_date is not None:
        first = s.scalars(select(func.min(ReviewModel.review_date))
                          .where(ReviewModel.patient_id == p.id)).first()
        if first is not None and first < patient.birth_date:
            raise ValidationError(FieldProblem(
                "patient.birth_date", f"after the first review date {first.isoformat()}"))
    for meeting_id in meetings:
        s.add(AmendmentModel(meeting_id=meeting_id, patient_id=p.id, at=now(), author=actor.name,
                             reason=reason or "", summary=_summarise(changes)))
    audit.record(s, actor=actor.name, action="patient.amend" if meetings else "patient.update",
                 entity="patient", entity_id=p.mrn, before=before,
                 after={**after, "reason": reason, **({"amends": meetings} if meetings else {})},
                 patient_mrn=p.mrn)
    return True


def update_patient(svc: Caller, patient: Patient, protocol: ProtocolRef | None,
                   reason: str | None) -> PatientRow:
    _validate_patient(patient, protocol)
    with svc.db.write() as s:
        p = find_patient(s, patient.id, lock=True)
        _update_patient(s, svc.actor, p, patient, protocol, reason)
        s.flush()
        return _row(p)


def archive_patient(svc: Caller, mrn: str, reason: str, archived: bool) -> PatientRow:
    reason = require_text(reason, "reason", "a reason")
    with svc.db.write() as s:
        p = find_patient(s, mrn, lock=True)
        if p.archived == archived:
            return _row(p)
        before = _patient_dict(p)
        p.archived = archived
        p.archive_reason = reason if archived else None
        audit.record(s, actor=svc.actor.name,
                     action="patient.archive" if archived else "patient.unarchive",
                     entity="patient", entity_id=mrn, before=before,
                     after={**_patient_dict(p), "reason": reason}, patient_mrn=mrn)
        s.flush()
        return _row(p)


def set_treatment(svc: Caller, mrn: str, treatment: Treatment | None,
                  reason: str | None) -> Treatment | None:
    _validate_treatment(treatment)
    with svc.db.write() as s:
        p = find_patient(s, mrn, lock=True)
        case = read_case(s, mrn, derived=False)
        if case.follow_up is not None:
            # The end follows from the follow-up events: an edited course keeps it.
            synced = with_derived_end(replace(case, treatment=treatment))
            followup_store.validate(synced)
            treatment = synced.treatment
        _set_treatment(s, svc.actor, p, treatment, reason)
    return treatment


def _set_treatment(s: Session, actor: Actor, p: PatientModel, treatment: Treatment | None,
                   reason: str | None) -> bool:
    course = s.scalars(select(TreatmentCourseModel)
                       .where(TreatmentCourseModel.patient_id == p.id)).first()
    before = json.loads(course.content) if course is not None else None
    after = treatment_dict(treatment) if treatment is not None else None
    if before == after:
        return False
    write_treatment(s, p, treatment)
    audit.record(s, actor=actor.name, action="treatment.set", entity="treatment",
                 entity_id=p.mrn, before=before, after={"treatment": after, "reason": reason},
                 patient_mrn=p.mrn)
    return True


# --------------------------------------------------------------------------- reviews


def list_reviews(svc: Caller, mrn: str) -> list[ReviewRecord]:
    with svc.db.read() as s:
        p = find_patient(s, mrn)
        return [to_record(p.mrn, i, r, v) for i, (r, v) in enumerate(current_reviews(s, p.id))]


def get_review(svc: Caller, review_id: int) -> ReviewRecord:
    with svc.db.read() as s:
        return record_for(s, review_id)


def _validate_review(review: Review, birth_date: date | None, path: str = "review") -> None:
    problems = caseformat.review_problems(review, birth_date)
    if problems:
        raise ValidationError([FieldProblem(f"{path}.{p.path}" if p.path else path, p.reason)
                               for p in problems])


def _new_version(s: Session, actor: Actor, r: ReviewModel, version: int, review: Review,
                 content: str, reason: str | None, amendment: bool) -> ReviewVersionModel:
    dec = review.panel.decision
    v = ReviewVersionModel(
        review_id=r.id, version=version, content=content, review_date=review.date,
        cycle=review.cycle, resectability=dec.resectability if dec else None,
        plan=dec.plan if dec else None, next_review=dec.next_review if dec else None,
        target_sum_mm=_target_sum(review), saved_at=now(), saved_by=actor.name,
        reason=reason, amendment=amendment)
    s.add(v)
    return v


def _add_review(s: Session, actor: Actor, p: PatientModel, review: Review,
                reason: str | None, validate: bool = True) -> ReviewModel:
    if validate:
        _validate_review(review, p.birth_date)
    content = review_json(review)
    r = ReviewModel(patient_id=p.id, review_date=review.date, current_version=1,
                    created_at=now())
    s.add(r)
    s.flush()
    _new_version(s, actor, r, 1, review, content, reason, False)
    audit.record(s, actor=actor.name, action="review.add", entity="review", entity_id=r.id,
                 before=None, after={"version": 1, "reason": reason, "review": json.loads(content)},
                 patient_mrn=p.mrn)
    return r


def add_review(svc: Caller, mrn: str, review: Review, reason: str | None) -> ReviewRecord:
    with svc.db.write() as s:
        p = find_patient(s, mrn, lock=True)
        r = _add_review(s, svc.actor, p, review, reason)
        _refresh_summary(s, p)
        s.flush()
        return record_for(s, r.id)


def _revise(s: Session, actor: Actor, p: PatientModel, r: ReviewModel, review: Review,
            reason: str | None, amendment: bool) -> bool:
    """New version of ``r`` (caller checked version and lock).  False if unchanged."""
    old = find_version(s, r.id, r.current_version)
    content = review_json(review)
    if content == old.content:
        return False
    old_dict, new_dict = json.loads(old.content), json.loads(content)
    new_version = r.current_version + 1
    _new_version(s, actor, r, new_version, review, content, reason, amendment)
    r.current_version = new_version
    r.review_date = review.date
    changes = _diff(old_dict, new_dict)
    if amendment:
        assert r.locked_by_meeting is not None
        s.add(AmendmentModel(meeting_id=r.locked_by_meeting, patient_id=p.id, review_id=r.id,
                             review_version=new_version, at=now(), author=actor.name,
                             reason=reason or "", summary=_summarise(changes)))
    audit.record(s, actor=actor.name, action="review.amend" if amendment else "review.save",
                 entity="review", entity_id=r.id,
                 before={"version": old.version, "review": old_dict},
                 after={"version": new_version, "reason": reason, "changes": changes,
                        "review": new_dict},
                 patient_mrn=p.mrn)
    return True


def check_patient(owner: str, patient_id: str | None, review_id: int) -> None:
    """The save names the patient its form was filled for: it must own the review."""
    if patient_id is not None and patient_id != owner:
        raise ValidationError(FieldProblem(
            "patient", f"this review (id {review_id}) belongs to patient {owner}, not to {patient_id} "
                       f"whose form sent it; nothing was saved"))


def check_panel_unchanged(old: Review, new: Review) -> None:
    """``save_review`` and ``amend_review`` save a whole review: its ratings must come through
    ``cast_vote``/``withdraw_vote`` (who rated, present at the meeting, a reason for a change)."""
    if old.panel.votes != new.panel.votes:
        raise ValidationError(FieldProblem(
            "panel.votes", "ratings are recorded, changed or withdrawn one at a time in the Vote "
                           "tab (by a member present at the meeting, with a reason for a change); "
                           "saving the whole review cannot change them"))


def save_review(svc: Caller, review_id: int, review: Review, expected_version: int,
                reason: str, amendment: bool, patient_id: str | None = None) -> ReviewRecord:
    reason = require_text(reason, "reason", "a reason for the correction")
    try:
        with svc.db.write() as s:
            patient_pk = s.scalars(select(ReviewModel.patient_id)
                                   .where(ReviewModel.id == review_id)).first()
            if patient_pk is None:
                raise NotFound(f"no review with id {review_id}")
            p = s.scalars(select(PatientModel).where(PatientModel.id == patient_pk)
                          .with_for_update()).one()
            check_patient(p.mrn, patient_id, review_id)
            r = find_review(s, review_id)
            if r.current_version != expected_version:
                raise ConflictError(
                    f"review {review_id} was changed by {find_version(s, r.id, r.current_version).saved_by}"
                    f" (now version {r.current_version}, you edited version {expected_version})",
                    current=record_for(s, review_id))
            if amendment and r.locked_by_meeting is None:
                amendment = False  # not signed yet: an ordinary correction
            if amendment:
                require_role(s, svc.actor, hospital_settings(s).amend_roles,
                              "amend a review of signed minutes")
            if not amendment and r.locked_by_meeting is not None:
                raise LockedError(
                    f"review of {r.review_date.isoformat()} belongs to signed meeting "
                    f"{r.locked_by_meeting}: change it through an amendment")
            check_panel_unchanged(
                parse_review_text(find_version(s, r.id, r.current_version).content), review)
            _validate_review(review, p.birth_date)
            if _revise(s, svc.actor, p, r, review, reason, amendment):
                _refresh_summary(s, p)
            s.flush()
            return record_for(s, review_id)
    except (StaleDataError, StaleRecordError) as exc:
        # Another transaction updated the review between our read and our write.
        with svc.db.read() as s:
            current = record_for(s, review_id)
        raise ConflictError(f"review {review_id} was changed by {current.saved_by} "
                            f"(now version {current.version})", current=current) from exc


def review_history(svc: Caller, review_id: int) -> list[ReviewVersion]:
    with svc.db.read() as s:
        find_review(s, review_id)
        rows = s.scalars(select(ReviewVersionModel).where(ReviewVersionModel.review_id == review_id)
                         .order_by(ReviewVersionModel.version)).all()
        return [ReviewVersion(review_id=v.review_id, version=v.version,
                              review=parse_review_text(v.content), saved_at=as_utc(v.saved_at),
                              saved_by=v.saved_by, reason=v.reason, amendment=v.amendment)
                for v in rows]


# --------------------------------------------------------------------------- import


def _import_case(s: Session, actor: Actor, item: Case | caseformat.CaseImport,
                 counts: dict[str, int], cleared: list[str], locked: list[FieldProblem]) -> None:
    """Store one case.  A :class:`~mdt.caseformat.CaseImport` (read from a file) is merged
    into what is stored: absent fields keep their value, explicit nulls clear it (listed in
    ``cleared``).  Changes that signed minutes forbid are appended to ``locked`` (the caller
    refuses the whole import); nothing else is checked twice."""
    ci = item if isinstance(item, caseformat.CaseImport) else None
    case = ci.case if ci is not None else item
    assert isinstance(case, Case)
    where = ci.where if ci is not None else (lambda sub: sub)
    p = find_patient_or_none(s, case.patient.id, lock=True)
    if p is None:
        p = _create_patient(s, actor, case.patient, case.protocol, case.treatment)
        counts["patients_created"] += 1
        for review in case.reviews:
            _add_review(s, actor, p, review, "import", validate=False)
            counts["reviews_added"] += 1
        _summary_from(p, case.reviews)  # all reviews are new: no need to query them
        if case.follow_up is not None:
            followup_store.store(s, actor.name, p, case.follow_up, "import")
        return
    current = current_reviews(s, p.id)
    existing: dict[date, list[tuple[ReviewModel, ReviewVersionModel]]] = defaultdict(list)
    for r, v in current:
        existing[r.review_date].append((r, v))
    matched: list[tuple[ReviewModel, ReviewVersionModel] | None] = []
    seen: dict[date, int] = defaultdict(int)
    for review in case.reviews:
        nth = seen[review.date]
        seen[review.date] += 1
        same_day = existing.get(review.date, [])
        matched.append(same_day[nth] if nth < len(same_day) else None)
    if ci is not None:
        case = _merged_case(s, p, ci, matched, cleared)
    treatment_given = ci is None and case.treatment is not None or (
        ci is not None and "treatment" in ci.document)

    changes = _demographic_changes(p, case.patient)
    if changes:
        meetings = _signed_meetings(s, p)
        if meetings:
            for change in changes:
                locked.append(FieldProblem(where(change.split(":")[0]), (
                    f"{change.split(': ', 1)[1].replace(' -> ', ' → ')} refused: {p.mrn} was "
                    f"discussed at signed meeting {', '.join(meetings)}; change it through an "
                    f"amendment (edit the patient, with a reason)"),
                    label_for(change.split(":")[0])))
            return
    changed = _update_patient(s, actor, p, case.patient, case.protocol, "import")
    if treatment_given:
        changed = _set_treatment(s, actor, p, case.treatment, "import") or changed
    counts["patients_updated"] += int(changed)
    for i, (review, match) in enumerate(zip(case.reviews, matched, strict=True)):
        if match is None:
            _add_review(s, actor, p, review, "import", validate=False)
            counts["reviews_added"] += 1
            continue
        r, v = match
        if review_json(review) == v.content:
            counts["reviews_unchanged"] += 1
            continue
        if r.locked_by_meeting is not None:
            locked.append(FieldProblem(where(f"reviews[{i}]"), (
                f"the review of {review.date.isoformat()} belongs to signed meeting "
                f"{r.locked_by_meeting} and the file changes it; change it through an amendment "
                f"in the review editor")))
            continue
        _revise(s, actor, p, r, review, "import", False)
        counts["reviews_revised"] += 1
    follow_up_given = ci is None and case.follow_up is not None or (
        ci is not None and "follow_up" in ci.document)
    if follow_up_given:
        follow_up_changed = followup_store.store(s, actor.name, p, case.follow_up, "import")
        counts["patients_updated"] += int(follow_up_changed and not changed)
    _refresh_summary(s, p)


def _merged_case(s: Session, p: PatientModel, ci: caseformat.CaseImport,
                 matched: Sequence[tuple[ReviewModel, ReviewVersionModel] | None],
                 cleared: list[str]) -> Case:
    """The file's case laid over the stored one (see ``caseformat.merge_object``), checked
    by the case-format parser as a whole; problems name the file's paths."""
    doc = ci.document
    found: list[str] = []
    stored = _patient_dict(p)
    merged: dict[str, Any] = {"format": FORMAT_ID}
    merged["patient"] = caseformat.merge_object(
        {k: stored[k] for k in ("id", *_DEMOGRAPHICS)}, doc["patient"], "patient", found)
    for name, old in (("protocol", stored["protocol"]), ("treatment", _stored_treatment(s, p))):
        if name not in doc:
            merged[name] = old
        elif isinstance(doc[name], dict):
            merged[name] = caseformat.merge_object(old, doc[name], name, found)
        else:  # null: clear it
            if caseformat._has_value(old):
                found.append(name)
            merged[name] = None
    if "follow_up" in doc:
        # Lists are replaced whole (local treatments, progressions); null clears the record.
        stored_follow_up = read_follow_up(s, p.id)
        if doc["follow_up"] is None and stored_follow_up is not None:
            found.append("follow_up")
        merged["follow_up"] = doc["follow_up"]
        treatment = merged.get("treatment")
        given = stated if isinstance(stated := doc.get("treatment"), dict) else {}
        if isinstance(treatment, dict):
            # The end follows from the events: a stored end derived from the old events is
            # derived again from the new ones, unless the file states one itself.
            merged["treatment"] = {k: v for k, v in treatment.items()
                                   if k in given or k not in ("outcome", "outcome_date")}
    reviews = doc.get("reviews") or []
    merged["reviews"] = [
        caseformat.merge_object(json.loads(match[1].content), raw, f"reviews[{i}]", found)
        if match is not None else raw
        for i, (raw, match) in enumerate(zip(reviews, matched, strict=True))]
    try:
        case = caseformat.parse_case(merged)
    except ValidationError as exc:
        raise ValidationError([FieldProblem(ci.where(pr.path), pr.reason, pr.label)
                               for pr in exc.problems]) from exc
    cleared.extend(f"{p.mrn}: {path}" + (f" ({label})" if (label := label_for(path)) else "")
                   for path in found)
    return case


def _stored_treatment(s: Session, p: PatientModel) -> dict[str, Any] | None:
    course = s.scalars(select(TreatmentCourseModel)
                       .where(TreatmentCourseModel.patient_id == p.id)).first()
    return json.loads(course.content) if course is not None else None


def import_cases(svc: Caller, cases: Sequence[Case | caseformat.CaseImport]) -> ImportSummary:
    counts = dict.fromkeys(("patients_created", "patients_updated", "reviews_added",
                            "reviews_revised", "reviews_unchanged"), 0)
    cleared: list[str] = []
    locked: list[FieldProblem] = []
    ids = [c.case.patient.id if isinstance(c, caseformat.CaseImport) else c.patient.id
           for c in cases]
    try:
        with svc.db.write() as s:
            # One lock order for every writer (patients by hospital id), so two imports of
            # the same patients in opposite orders queue instead of deadlocking.
            for i in sorted(range(len(cases)), key=ids.__getitem__):
                _import_case(s, svc.actor, cases[i], counts, cleared, locked)
            if locked:
                raise LockedFieldsError(locked)
    except IntegrityError as exc:
        raise integrity_error(exc) from exc
    return ImportSummary(**counts, patient_ids=tuple(ids), cleared=tuple(cleared))


# --------------------------------------------------------------------------- members


def list_members(svc: Caller, include_inactive: bool) -> list[Member]:
    q = select(MemberModel).order_by(MemberModel.name)
    if not include_inactive:
        q = q.where(MemberModel.active.is_(True))
    with svc.db.read() as s:
        return [to_member(m) for m in s.scalars(q)]


def get_member(svc: Caller, member_id: int) -> Member:
    with svc.db.read() as s:
        m = s.get(MemberModel, member_id)
        if m is None:
            raise NotFound(f"no member with id {member_id}")
        return to_member(m)


def _validate_member(member: Member) -> None:
    problems = []
    if not member.name or not member.name.strip():
        problems.append(FieldProblem("name", "required"))
    problems += text_problems("name", member.name, 200)
    if member.specialty not in SPECIALTIES:
        problems.append(FieldProblem("specialty", f"must be one of {', '.join(SPECIALTIES)}"))
    if member.role not in ROLES:
        problems.append(FieldProblem("role", f"must be one of {', '.join(ROLES)}"))
    if problems:
        raise ValidationError(problems)


def _member_dict(m: MemberModel) -> dict[str, Any]:
    return {"id": m.id, "name": m.name, "specialty": m.specialty, "role": m.role,
            "active": m.active}


def _add_member(s: Session, actor: Actor, member: Member, check: bool = True) -> MemberModel:
    _validate_member(member)
    if check and s.scalars(select(MemberModel.id).limit(1)).first() is not None:
        require_role(s, actor, EDITORS, "edit the members registry")
    if s.scalars(select(MemberModel.id).where(MemberModel.name == member.name.strip())).first():
        raise ValidationError(FieldProblem("name", f"{member.name!r} is already registered"))
    m = MemberModel(name=member.name.strip(), specialty=member.specialty, role=member.role,
                    active=member.active)
    s.add(m)
    s.flush()
    audit.record(s, actor=actor.name, action="member.add", entity="member", entity_id=m.id,
                 before=None, after=_member_dict(m))
    return m


def add_member(svc: Caller, member: Member) -> Member:
    try:
        with svc.db.write() as s:
            return to_member(_add_member(s, svc.actor, member))
    except IntegrityError as exc:
        raise integrity_error(exc) from exc


def update_member(svc: Caller, member: Member) -> Member:
    if member.id is None:
        raise ValidationError(FieldProblem("id", "required to update a member"))
    _validate_member(member)
    with svc.db.write() as s:
        require_role(s, svc.actor, EDITORS, "edit the members registry")
        m = s.get(MemberModel, member.id)
        if m is None:
            raise NotFound(f"no member with id {member.id}")
        before = _member_dict(m)
        m.name, m.specialty, m.role, m.active = (member.name.strip(), member.specialty,
                                                 member.role, member.active)
        if _member_dict(m) != before:
            audit.record(s, actor=svc.actor.name, action="member.update", entity="member",
                         entity_id=m.id, before=before, after=_member_dict(m))
        s.flush()
        return to_member(m)


# --------------------------------------------------------------------------- meetings


def _meeting(s: Session, meeting_id: str, *, lock: bool = False) -> MeetingModel:
    q = select(MeetingModel).where(MeetingModel.id == meeting_id)
    if lock:
        q = q.with_for_update()
    m = s.scalars(q).first()
    if m is None:
        raise NotFound(f"no meeting {meeting_id!r}")
    return m


def _signature(s: Session, meeting_id: str) -> SignatureModel | None:
    return s.get(SignatureModel, meeting_id)


def _to_meeting(s: Session, m: MeetingModel) -> Meeting:
    attendees = s.scalars(
        select(MemberModel).join(MeetingAttendeeModel, MeetingAttendeeModel.member_id == MemberModel.id)
        .where(MeetingAttendeeModel.meeting_id == m.id).order_by(MemberModel.name)).all()
    items = s.execute(
        select(AgendaItemModel, PatientModel.mrn)
        .join(PatientModel, PatientModel.id == AgendaItemModel.patient_id)
        .where(AgendaItemModel.meeting_id == m.id).order_by(AgendaItemModel.position)).all()
    sig = _signature(s, m.id)
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
    meeting = _to_meeting(s, m)
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
        return _to_meeting(s, _meeting(s, meeting_id))


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


def _review_for(s: Session, patient_pk: int, on: date | None) -> int | None:
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
                              review_id=_review_for(s, pk, item.review_date), reason=item.reason,
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


def _create_meeting(s: Session, actor: Actor, meeting: Meeting, check: bool = True) -> MeetingModel:
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
            m = _create_meeting(s, svc.actor, meeting)
            return _to_meeting(s, m)
    except IntegrityError as exc:
        raise integrity_error(exc) from exc


def _editable_meeting(s: Session, actor: Actor, meeting_id: str, action: str) -> MeetingModel:
    require_role(s, actor, EDITORS, action)
    m = _meeting(s, meeting_id, lock=True)
    if _signature(s, meeting_id) is not None:
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
        return _to_meeting(s, m)


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
        return _to_meeting(s, m)


def signing_head(svc: Caller) -> tuple[int, str]:
    """(id, hash) of the newest audit event, read before the minutes are rendered."""
    with svc.db.read() as s:
        return audit.head(s)


def check_signer(svc: Caller, meeting_id: str) -> None:
    """Fail early (before the password is even checked) when the actor cannot sign."""
    with svc.db.read() as s:
        require_role(s, svc.actor, ("chair",), "sign the minutes")
        _meeting(s, meeting_id)
        if _signature(s, meeting_id) is not None:
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
            m = _meeting(s, meeting_id, lock=True)
            if _signature(s, meeting_id) is not None:
                raise LockedError(f"meeting {meeting_id} is already signed")
            _check_unchanged(s, m, seen_head)
            locked: list[int] = []
            items = s.scalars(select(AgendaItemModel).where(AgendaItemModel.meeting_id == m.id)
                              .order_by(AgendaItemModel.position)).all()
            for item in items:
                review_id = _review_for(s, item.patient_id, item.review_date or m.meeting_date)
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
        _meeting(s, meeting_id)
        sig = _signature(s, meeting_id)
        return None if sig is None else sig.minutes_pdf


def amend_meeting(svc: Caller, meeting_id: str, reason: str, summary: str,
                  mrn: str | None) -> Meeting:
    reason = require_text(reason, "reason", "a reason for the amendment")
    summary = require_text(summary, "summary", "a summary of what changed")
    with svc.db.write() as s:
        require_role(s, svc.actor, EDITORS, "amend a meeting")
        m = _meeting(s, meeting_id, lock=True)
        if _signature(s, meeting_id) is None:
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
        return _to_meeting(s, m)


# --------------------------------------------------------------------------- audit


def _audit_record(row: AuditEventModel) -> AuditRecord:
    return AuditRecord(
        id=row.id, at=datetime.fromisoformat(row.occurred_at), actor=row.actor,
        action=row.action, entity=row.entity, entity_id=row.entity_id,
        patient_id=row.patient_mrn, before=json.loads(row.before), after=json.loads(row.after),
        hash=row.hash)


def patient_history(svc: Caller, mrn: str) -> list[AuditRecord]:
    with svc.db.read() as s:
        find_patient(s, mrn)
        rows = s.scalars(select(AuditEventModel).where(AuditEventModel.patient_mrn == mrn)
                         .order_by(AuditEventModel.id)).all()
        return [_audit_record(r) for r in rows]


def audit_events(svc: Caller, limit: int | None, include_seals: bool) -> list[AuditRecord]:
    from mdt.store.seal import SEAL_ACTION

    q = select(AuditEventModel).order_by(AuditEventModel.id.desc())
    if not include_seals:
        q = q.where(AuditEventModel.action != SEAL_ACTION)
    if limit is not None:
        q = q.limit(limit)
    with svc.db.read() as s:
        return [_audit_record(r) for r in s.scalars(q)]


def audit_head(svc: Caller) -> str:
    with svc.db.read() as s:
        last_id, last_hash = audit.head(s)
        return last_hash if last_id else ""


def verify_audit(svc: Caller) -> AuditVerification:
    with svc.db.read() as s:
        check = audit.verify(s)
    return AuditVerification(ok=check.ok, events=check.events,
                                     first_broken_id=check.first_broken_id, message=check.message)


# --------------------------------------------------------------------------- demo


def seed_demo_if_empty(db: Database, actor: Actor, meeting_date: date | None) -> bool:
    from mdt import demo

    with db.write() as s:
        # Two workstations starting on an empty shared database: the second waits
        # here for the first to finish, then finds it no longer empty.
        audit.lock_chain(s)
        if s.scalars(select(PatientModel.id).limit(1)).first() is not None:
            return False
        if s.scalars(select(MemberModel.id).limit(1)).first() is not None:
            return False
        for member in demo.demo_members():
            _add_member(s, actor, member, check=False)
        counts = dict.fromkeys(("patients_created", "patients_updated", "reviews_added",
                                "reviews_revised", "reviews_unchanged"), 0)
        cases = demo.demo_cases(meeting_date)
        for case in demo.seed_cases(meeting_date):
            _import_case(s, actor, case, counts, [], [])
        _create_meeting(s, actor, demo.demo_meeting(meeting_date, cases), check=False)
    return True
