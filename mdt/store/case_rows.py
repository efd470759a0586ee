"""One patient's case as the tables hold it: review versions (canonical text, records),
the treatment course and the follow-up rows, read back as ``mdt.case`` objects.

Every area that reads or writes a case goes through these functions, so the stored form
is written and parsed in one place.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mdt import caseformat
from mdt.case import FORMAT_ID, Case, FollowUp, Patient, ProtocolRef, Review, Treatment
from mdt.caseformat import parse_follow_up_alone
from mdt.caseformat_followup import follow_up_to_dict, with_derived_end
from mdt.errors import NotFound
from mdt.service_types import ReviewRecord
from mdt.store.common import as_utc, dumps, find_patient, find_review
from mdt.store.models import (
    FollowUpModel,
    LocalTreatmentEventModel,
    PatientModel,
    ProgressionEventModel,
    ReviewModel,
    ReviewVersionModel,
    TreatmentCourseModel,
    TreatmentCycleModel,
)

# --------------------------------------------------------------------------- reviews


def review_json(review: Review) -> str:
    """Canonical stored text of a review (the mdt-case/1 review object)."""
    return dumps(caseformat.review_to_dict(review))


@lru_cache(maxsize=8192)
def parse_review_text(content: str) -> Review:
    # Stored text never changes for a version, and Review is immutable: cache.
    return caseformat.parse_review(json.loads(content), stored=True)


def treatment_dict(treatment: Treatment) -> dict[str, Any]:
    full = caseformat.case_to_dict(Case(patient=Patient(id="-"), treatment=treatment))
    return full["treatment"]


def parse_treatment(content: str, *, stored: bool = True) -> Treatment | None:
    case = caseformat.parse_case({"format": FORMAT_ID, "patient": {"id": "-"},
                                  "treatment": json.loads(content), "reviews": []},
                                 stored=stored)
    return case.treatment


def current_reviews(s: Session, patient_pk: int) -> list[tuple[ReviewModel, ReviewVersionModel]]:
    rows = s.execute(
        select(ReviewModel, ReviewVersionModel)
        .join(ReviewVersionModel, (ReviewVersionModel.review_id == ReviewModel.id)
              & (ReviewVersionModel.version == ReviewModel.current_version))
        .where(ReviewModel.patient_id == patient_pk)
        .order_by(ReviewModel.review_date, ReviewModel.id)).all()
    return [(r, v) for r, v in rows]


def to_record(mrn: str, index: int, r: ReviewModel, v: ReviewVersionModel) -> ReviewRecord:
    return ReviewRecord(
        review_id=r.id, patient_id=mrn, index=index, version=v.version,
        review=parse_review_text(v.content), saved_at=as_utc(v.saved_at), saved_by=v.saved_by,
        reason=v.reason, meeting_id=r.locked_by_meeting, locked=r.locked_by_meeting is not None)


def record_for(s: Session, review_id: int) -> ReviewRecord:
    r = find_review(s, review_id)
    p = s.get(PatientModel, r.patient_id)
    assert p is not None
    for i, (rr, v) in enumerate(current_reviews(s, p.id)):
        if rr.id == review_id:
            return to_record(p.mrn, i, rr, v)
    raise NotFound(f"no review with id {review_id}")



# --------------------------------------------------------------------------- treatment course


def write_treatment(s: Session, p: PatientModel, treatment: Treatment | None,
                     new_patient: bool = False) -> None:
    course = None if new_patient else s.scalars(
        select(TreatmentCourseModel).where(TreatmentCourseModel.patient_id == p.id)).first()
    if course is not None:
        for cyc in s.scalars(select(TreatmentCycleModel)
                             .where(TreatmentCycleModel.course_id == course.id)):
            s.delete(cyc)
        s.flush()
        s.delete(course)
        s.flush()
    p.outcome = treatment.outcome if treatment is not None else None
    if treatment is None:
        return
    course = TreatmentCourseModel(
        patient_id=p.id, regimen=treatment.regimen, start_date=treatment.start_date,
        outcome=treatment.outcome, outcome_date=treatment.outcome_date,
        content=dumps(treatment_dict(treatment)))
    s.add(course)
    s.flush()
    for c in treatment.cycles:
        s.add(TreatmentCycleModel(
            course_id=course.id, number=c.number, given_on=c.date,
            dose_reduction_pct=None if c.dose_reduction_pct is None else float(c.dose_reduction_pct),
            toxicity_grade=c.toxicity_grade))



# --------------------------------------------------------------------------- follow-up


@lru_cache(maxsize=8192)
def parse_follow_up_text(content: str) -> FollowUp | None:
    # Stored text never changes for a row, and FollowUp is immutable: cache.
    return parse_follow_up_alone(json.loads(content))


def _follow_up_row(s: Session, patient_pk: int) -> FollowUpModel | None:
    return s.scalars(select(FollowUpModel).where(FollowUpModel.patient_id == patient_pk)).first()


def has_follow_up(s: Session, patient_pk: int) -> bool:
    return _follow_up_row(s, patient_pk) is not None


def read_follow_up(s: Session, patient_pk: int) -> FollowUp | None:
    row = _follow_up_row(s, patient_pk)
    if row is None:
        return None
    # Parsed without the reviews: the lesion checks were made when it was saved.
    return parse_follow_up_text(row.content)


def write_follow_up(s: Session, p: PatientModel, fu: FollowUp | None) -> None:
    row = _follow_up_row(s, p.id)
    if row is not None:
        s.execute(delete(LocalTreatmentEventModel).where(LocalTreatmentEventModel.follow_up_id == row.id))
        s.execute(delete(ProgressionEventModel).where(ProgressionEventModel.follow_up_id == row.id))
        s.delete(row)
        s.flush()
    if fu is None:
        return
    row = FollowUpModel(patient_id=p.id, last_follow_up=fu.last_follow_up, death_date=fu.death_date,
                        end=fu.end, content=dumps(follow_up_to_dict(fu)))
    s.add(row)
    s.flush()
    for t in fu.local_treatments:
        s.add(LocalTreatmentEventModel(follow_up_id=row.id, event_date=t.date, kind=t.kind,
                                       margin=t.margin, clavien_dindo_30d=t.clavien_dindo_30d,
                                       clavien_dindo_90d=t.clavien_dindo_90d))
    for pr in fu.progressions:
        s.add(ProgressionEventModel(follow_up_id=row.id, event_date=pr.date, site=pr.site))



# --------------------------------------------------------------------------- the whole case


def read_case(s: Session, mrn: str, derived: bool = True) -> Case:
    p = find_patient(s, mrn)
    course = s.scalars(select(TreatmentCourseModel)
                       .where(TreatmentCourseModel.patient_id == p.id)).first()
    reviews = tuple(parse_review_text(v.content) for _, v in current_reviews(s, p.id))
    case = Case(
        patient=Patient(id=p.mrn, name=p.name, sex=p.sex, birth_date=p.birth_date),
        protocol=ProtocolRef(id=p.protocol_id, arm=p.arm, enrolment_date=p.enrolment_date),
        reviews=reviews,
        treatment=parse_treatment(course.content) if course is not None else None,
        follow_up=read_follow_up(s, p.id))
    # With follow-up events the end is theirs, whatever an older save stored.
    return with_derived_end(case) if derived else case
