"""Reading the audit trail: a patient's history, the newest events, the chain head and its
verification (``mdt.store.audit`` writes and checks the chain).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from mdt.service_types import AuditRecord, AuditVerification
from mdt.store import audit
from mdt.store.common import Caller, find_patient
from mdt.store.models import AuditEventModel

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
