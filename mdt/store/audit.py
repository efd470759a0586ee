"""The append-only, SHA-256 hash-chained audit trail.

Every change is written together with its audit event in the same transaction
(``record``).  Each event's hash is ``sha256(prev_hash + canonical_json(event))``
where the canonical JSON has sorted keys, fixed separators, UTF-8 and the
ISO-8601 UTC timestamp exactly as stored.  ``verify`` walks the chain in id
order and names the first broken link: an altered row (hash mismatch), a
deleted row (gap in the ids) or a re-linked row (``prev_hash`` mismatch).

The database refuses UPDATE and DELETE on the table (triggers in migration
0001).  Someone with the power to drop the triggers and re-hash the whole
chain can still forge it: the chain is tamper-evident, and signed minutes
print the chain head to anchor it outside the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mdt.store.models import AuditEventModel, SignatureModel

GENESIS_HASH = "0" * 64
# Arbitrary constant key for pg_advisory_xact_lock: serialises chain writers.
_PG_CHAIN_LOCK = 727101


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_default)


def _default(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _event_body(row: AuditEventModel) -> dict[str, object]:
    return {
        "id": row.id, "at": row.occurred_at, "actor": row.actor, "action": row.action,
        "entity": row.entity, "entity_id": row.entity_id, "patient": row.patient_mrn,
        "before": json.loads(row.before), "after": json.loads(row.after),
    }


def compute_hash(prev_hash: str, row: AuditEventModel) -> str:
    payload = prev_hash + canonical_json(_event_body(row))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


def lock_chain(session: Session) -> None:
    """Serialise writers of the chain until the end of the transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHAIN_LOCK})
    # SQLite: the write transaction began with BEGIN IMMEDIATE, so writers are serial.


def head(session: Session) -> tuple[int, str]:
    """(id, hash) of the newest event, (0, GENESIS_HASH) when there is none."""
    row = session.execute(
        select(AuditEventModel.id, AuditEventModel.hash).order_by(AuditEventModel.id.desc())
        .limit(1)).first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def record(session: Session, *, actor: str, action: str, entity: str, entity_id: object,
           before: object = None, after: object = None, patient_mrn: str | None = None,
           at: datetime | None = None) -> AuditEventModel:
    """Append one event to the chain inside the caller's transaction."""
    # Lock and read the head once per transaction; later events in the same
    # transaction continue from the cached head (the lock is held until commit).
    txn = session.get_transaction()
    cached = session.info.get("audit_head")
    if cached is not None and cached[0] is txn:
        last_id, last_hash = cached[1], cached[2]
    else:
        lock_chain(session)
        last_id, last_hash = head(session)
    when = (at or utc_now()).astimezone(UTC)
    row = AuditEventModel(
        id=last_id + 1,
        occurred_at=when.isoformat(timespec="microseconds"),
        actor=actor, action=action, entity=entity, entity_id=str(entity_id),
        patient_mrn=patient_mrn,
        before=canonical_json(before), after=canonical_json(after),
        prev_hash=last_hash, hash="",
    )
    row.hash = compute_hash(last_hash, row)
    session.add(row)  # flushed with the change it records, in insertion order
    session.info["audit_head"] = (txn, row.id, row.hash)
    return row


@dataclass(frozen=True, slots=True)
class ChainCheck:
    ok: bool
    events: int
    first_broken_id: int | None
    message: str


def _iter_rows(session: Session, batch: int = 2000) -> Iterator[AuditEventModel]:
    last = 0
    while True:
        rows = session.scalars(select(AuditEventModel).where(AuditEventModel.id > last)
                               .order_by(AuditEventModel.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def verify(session: Session) -> ChainCheck:
    """Walk the whole chain; report the first broken link."""
    prev_hash = GENESIS_HASH
    expected_id = 1
    count = 0
    # Each signature stored the chain head when the chair signed: those events must
    # still be in the chain, which catches deleting the newest rows (a tail cut
    # leaves a chain that is whole on its own).
    anchors = {head: meeting for meeting, head in
               session.execute(select(SignatureModel.meeting_id, SignatureModel.audit_head))}
    for row in _iter_rows(session):
        if row.id != expected_id:
            return ChainCheck(False, count, expected_id,
                              f"audit event #{expected_id} is missing (next is #{row.id}): "
                              f"a row was deleted")
        if row.prev_hash != prev_hash:
            return ChainCheck(False, count, row.id,
                              f"audit event #{row.id} does not link to event #{row.id - 1} "
                              f"(prev_hash mismatch)")
        try:
            actual = compute_hash(prev_hash, row)
        except (ValueError, TypeError):
            actual = ""
        if actual != row.hash:
            return ChainCheck(False, count, row.id,
                              f"audit event #{row.id} ({row.action} {row.entity} "
                              f"{row.entity_id}) was altered: its hash does not match its content")
        prev_hash = row.hash
        anchors.pop(row.hash, None)
        expected_id += 1
        count += 1
    if anchors:
        head, meeting = next(iter(anchors.items()))
        return ChainCheck(False, count, expected_id,
                          f"the signature of meeting {meeting} anchors audit event {head[:12]}…, "
                          f"which is no longer in the chain of {count} events: rows after "
                          f"#{count} were deleted")
    return ChainCheck(True, count, None, f"audit chain intact: {count} events")
