"""Reviews: every save a new version with its reason and audit event, never an overwrite;
optimistic locking (``expected_version``), the lock of signed minutes and amendments, the patient
the editing form was filled for.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from mdt import caseformat, review_diff
from mdt.case import Review
from mdt.errors import ConflictError, FieldProblem, LockedError, NotFound, ValidationError
from mdt.service_types import Actor, ReviewRecord, ReviewVersion
from mdt.store import audit
from mdt.store.case_rows import (
    current_reviews,
    parse_review_text,
    record_for,
    review_json,
    to_record,
)
from mdt.store.common import (
    Caller,
    as_utc,
    find_patient,
    find_review,
    find_version,
    hospital_settings,
    now,
    require_role,
    require_text,
    summarise,
)
from mdt.store.db import StaleRecordError
from mdt.store.models import AmendmentModel, PatientModel, ReviewModel, ReviewVersionModel
from mdt.store.patients_impl import refresh_summary


def _target_sum(review: Review) -> float | None:
    sizes = [les.diameter_mm for les in review.lesions
             if les.target and les.status == "present" and les.diameter_mm is not None]
    return float(sum(sizes)) if sizes else None


# --------------------------------------------------------------------------- reviews


def list_reviews(svc: Caller, mrn: str) -> list[ReviewRecord]:
    with svc.db.read() as s:
        p = find_patient(s, mrn)
        return [to_record(p.mrn, i, r, v) for i, (r, v) in enumerate(current_reviews(s, p.id))]


def get_review(svc: Caller, review_id: int) -> ReviewRecord:
    with svc.db.read() as s:
        return record_for(s, review_id)


def validate_review(review: Review, birth_date: date | None, path: str = "review") -> None:
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


def insert_review(s: Session, actor: Actor, p: PatientModel, review: Review,
                reason: str | None, validate: bool = True) -> ReviewModel:
    if validate:
        validate_review(review, p.birth_date)
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
        r = insert_review(s, svc.actor, p, review, reason)
        refresh_summary(s, p)
        s.flush()
        return record_for(s, r.id)


def revise(s: Session, actor: Actor, p: PatientModel, r: ReviewModel, review: Review,
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
    # One diff for every reader: the amendment the minutes print, the audit event, the
    # History tab and the conflict dialog all say a change the same way (mdt.review_diff).
    previous = parse_review_text(old.content)
    changes = review_diff.change_lines(previous, review, limit=10**6)
    if amendment:
        assert r.locked_by_meeting is not None
        s.add(AmendmentModel(meeting_id=r.locked_by_meeting, patient_id=p.id, review_id=r.id,
                             review_version=new_version, at=now(), author=actor.name,
                             reason=reason or "", summary=summarise(changes)))
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
            validate_review(review, p.birth_date)
            if revise(s, svc.actor, p, r, review, reason, amendment):
                refresh_summary(s, p)
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
