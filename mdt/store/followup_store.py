"""Storage of a patient's follow-up record (table ``follow_up`` and its event tables).

The canonical ``follow_up`` JSON is authoritative; typed columns and the event rows mirror it
for queries.  The end of the course is derived from the events (``mdt.outcomes.ends``): the
patient list's ``outcome`` and the stored treatment outcome follow it on every change.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mdt import caseformat
from mdt.case import Case, FollowUp
from mdt.caseformat_followup import follow_up_to_dict, parse_follow_up_alone, with_derived_end
from mdt.errors import FieldProblem, ValidationError
from mdt.store import audit
from mdt.store.models import (
    FollowUpModel,
    LocalTreatmentEventModel,
    PatientModel,
    ProgressionEventModel,
)

if TYPE_CHECKING:
    from mdt.services import MdtService


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=8192)
def parse_content(content: str) -> FollowUp | None:
    # Stored text never changes for a row, and FollowUp is immutable: cache.
    return parse_follow_up_alone(json.loads(content))


def _row(s: Session, patient_pk: int) -> FollowUpModel | None:
    return s.scalars(select(FollowUpModel).where(FollowUpModel.patient_id == patient_pk)).first()


def read(s: Session, patient_pk: int) -> FollowUp | None:
    row = _row(s, patient_pk)
    if row is None:
        return None
    # Parsed without the reviews: the lesion checks were made when it was saved.
    return parse_content(row.content)


def validate(case: Case) -> None:
    """The whole case with this follow-up must read as a valid case file (same rules as an
    import); raises ValidationError naming each field."""
    try:
        caseformat.parse_case(caseformat.case_to_dict(case))
    except ValidationError as exc:
        # Only the follow-up's own problems and its cross-checks concern this change.
        raise ValidationError([p for p in exc.problems] or [FieldProblem("follow_up", "invalid")]) from exc


def write(s: Session, p: PatientModel, fu: FollowUp | None) -> None:
    row = _row(s, p.id)
    if row is not None:
        s.execute(delete(LocalTreatmentEventModel).where(LocalTreatmentEventModel.follow_up_id == row.id))
        s.execute(delete(ProgressionEventModel).where(ProgressionEventModel.follow_up_id == row.id))
        s.delete(row)
        s.flush()
    if fu is None:
        return
    row = FollowUpModel(patient_id=p.id, last_follow_up=fu.last_follow_up, death_date=fu.death_date,
                        end=fu.end, content=_dumps(follow_up_to_dict(fu)))
    s.add(row)
    s.flush()
    for t in fu.local_treatments:
        s.add(LocalTreatmentEventModel(follow_up_id=row.id, event_date=t.date, kind=t.kind,
                                       margin=t.margin, clavien_dindo_30d=t.clavien_dindo_30d,
                                       clavien_dindo_90d=t.clavien_dindo_90d))
    for pr in fu.progressions:
        s.add(ProgressionEventModel(follow_up_id=row.id, event_date=pr.date, site=pr.site))


def sync_end(s: Session, p: PatientModel, case: Case) -> Case:
    """Store the end the events give as the treatment outcome and the list's status."""
    from mdt.store import service_impl

    synced = with_derived_end(case)
    if synced.treatment is not None and synced.treatment != case.treatment:
        service_impl._write_treatment(s, p, synced.treatment)
    elif case.follow_up is not None:
        p.outcome = synced.treatment.outcome if synced.treatment is not None else None
    return synced


def set_follow_up(svc: MdtService, mrn: str, fu: FollowUp | None, reason: str | None) -> Case:
    from mdt.store import service_impl

    with svc.db.write() as s:
        p = service_impl._patient(s, mrn, lock=True)
        store(s, svc.actor.name, p, fu, reason)
        s.flush()
        return service_impl._case(s, mrn)


def store(s: Session, actor: str, p: PatientModel, fu: FollowUp | None, reason: str | None) -> bool:
    """Validate and write ``fu`` for patient ``p`` with its audit event; False when unchanged."""
    from mdt.store import service_impl

    case = service_impl._case(s, p.mrn)
    new = with_derived_end(replace(case, follow_up=fu))
    if fu is not None:
        validate(new)
    before = follow_up_to_dict(case.follow_up) if case.follow_up is not None else None
    after = follow_up_to_dict(fu) if fu is not None else None
    if before == after:
        return False
    write(s, p, fu)
    if fu is None:
        # Without events the end is no longer derived: the recorded outcome is kept as it is.
        pass
    else:
        sync_end(s, p, replace(case, follow_up=fu))
    audit.record(s, actor=actor, action="follow_up.set", entity="follow_up", entity_id=p.mrn,
                 before=before, after={"follow_up": after, "reason": reason,
                                       "end": new.treatment.outcome if new.treatment else None},
                 patient_mrn=p.mrn)
    return True


def refresh_end(s: Session, p: PatientModel) -> None:
    """After a review changed: the panel's decisions move the derived end (converted,
    palliative); keep the list's status and the stored outcome in step."""
    from mdt.store import service_impl

    if _row(s, p.id) is None:
        return
    sync_end(s, p, service_impl._case(s, p.mrn, derived=False))


def summary(fu: FollowUp | None) -> dict[str, Any] | None:
    return None if fu is None else follow_up_to_dict(fu)
