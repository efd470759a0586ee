"""Storage of a patient's follow-up record (table ``follow_up`` and its event tables).

The canonical ``follow_up`` JSON is authoritative; typed columns and the event rows mirror it
for queries.  The end of the course is derived from the events (``mdt.course_end``): the
patient list's ``outcome`` and the stored treatment outcome follow it on every change.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from mdt import caseformat
from mdt.case import Case, FollowUp
from mdt.caseformat_followup import follow_up_to_dict, with_derived_end
from mdt.errors import FieldProblem, ValidationError
from mdt.store import audit
from mdt.store.case_rows import (
    has_follow_up,
    read_case,
    write_follow_up,
    write_treatment,
)
from mdt.store.common import Caller, find_patient
from mdt.store.models import PatientModel


def validate(case: Case) -> None:
    """The whole case with this follow-up must read as a valid case file (same rules as an
    import); raises ValidationError naming each field."""
    try:
        caseformat.parse_case(caseformat.case_to_dict(case))
    except ValidationError as exc:
        # Only the follow-up's own problems and its cross-checks concern this change.
        raise ValidationError([p for p in exc.problems] or [FieldProblem("follow_up", "invalid")]) from exc


def sync_end(s: Session, p: PatientModel, case: Case) -> Case:
    """Store the end the events give as the treatment outcome and the list's status."""
    synced = with_derived_end(case)
    if synced.treatment is not None and synced.treatment != case.treatment:
        write_treatment(s, p, synced.treatment)
    elif case.follow_up is not None:
        p.outcome = synced.treatment.outcome if synced.treatment is not None else None
    return synced


def set_follow_up(svc: Caller, mrn: str, fu: FollowUp | None, reason: str | None) -> Case:
    with svc.db.write() as s:
        p = find_patient(s, mrn, lock=True)
        store(s, svc.actor.name, p, fu, reason)
        s.flush()
        return read_case(s, mrn)


def store(s: Session, actor: str, p: PatientModel, fu: FollowUp | None, reason: str | None) -> bool:
    """Validate and write ``fu`` for patient ``p`` with its audit event; False when unchanged."""
    case = read_case(s, p.mrn)
    new = with_derived_end(replace(case, follow_up=fu))
    if fu is not None:
        validate(new)
    before = follow_up_to_dict(case.follow_up) if case.follow_up is not None else None
    after = follow_up_to_dict(fu) if fu is not None else None
    if before == after:
        return False
    write_follow_up(s, p, fu)
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
    if not has_follow_up(s, p.id):
        return
    sync_end(s, p, read_case(s, p.mrn, derived=False))
