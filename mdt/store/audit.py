"""The append-only, SHA-256 hash-chained audit trail, and its verification.

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

``verify`` checks, in this order, and names the first problem in words:

1. the chain itself (ids without gaps, each event linked to the previous one, each
   hash matching its content);
2. every signature: its sign event is still in the chain with the hash the chair
   signed (catches deleting the sign event onwards, and a re-hashed chain), its
   payload is signed by the certificate it names, which is the one the sign event
   recorded (catches a forged sign event appended later), and the stored minutes PDF
   is the one signed;
3. every data row against its latest seal (``mdt.store.seal``): rows edited, added or
   deleted outside the application, an emptied or shortened chain on a database that
   still holds data.

What it cannot catch (someone who rewrites rows, seals and events after the last
signature consistently) is stated in ``docs/SECURITY.md``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mdt.store import seal as _seal
from mdt.store.models import AuditEventModel, SignatureModel

GENESIS_HASH = "0" * 64
# Arbitrary constant key for pg_advisory_xact_lock: serialises chain writers.
PG_CHAIN_LOCK = 727101


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
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_CHAIN_LOCK})
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
    if action != _seal.SEAL_ACTION:
        session.info["seal_actor"] = actor  # the transaction's seal names who acted
    return row


@sa_event.listens_for(Session, "before_commit")
def _seal_at_commit(session: Session) -> None:
    """One ``data.seal`` event per transaction: the hashes of the rows it touched
    (``mdt.store.seal``), recorded just before the commit, in the same transaction."""
    session.flush()
    touched = _seal.take_touched(session)
    if not touched:
        return
    seal = _seal.seal_of(session, touched)
    actor = session.info.get("seal_actor") or "application"
    record(session, actor=actor, action=_seal.SEAL_ACTION, entity="data",
           entity_id=len(seal), before=None, after={"rows": seal})
    session.flush()
    _seal.take_touched(session)


def append_raw(conn: object, *, actor: str, action: str, entity: str, entity_id: str,
               before: object = None, after: object = None) -> None:
    """Append one event through a plain connection (migrations, no ORM session)."""
    from sqlalchemy import insert

    last = conn.execute(  # type: ignore[attr-defined]
        select(AuditEventModel.id, AuditEventModel.hash)
        .order_by(AuditEventModel.id.desc()).limit(1)).first()
    last_id, last_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
    row = AuditEventModel(
        id=last_id + 1, occurred_at=utc_now().isoformat(timespec="microseconds"),
        actor=actor, action=action, entity=entity, entity_id=entity_id, patient_mrn=None,
        before=canonical_json(before), after=canonical_json(after), prev_hash=last_hash, hash="")
    row.hash = compute_hash(last_hash, row)
    conn.execute(insert(AuditEventModel).values(  # type: ignore[attr-defined]
        id=row.id, occurred_at=row.occurred_at, actor=actor, action=action, entity=entity,
        entity_id=entity_id, patient_mrn=None, before=row.before, after=row.after,
        prev_hash=row.prev_hash, hash=row.hash))


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


@dataclass
class _Walk:
    count: int = 0
    hashes: dict[int, str] | None = None
    all_hashes: set[str] | None = None
    sign_events: dict[int, AuditEventModel] | None = None
    sealed: dict[str, tuple[str | None, int]] | None = None
    problem: tuple[int, str] | None = None


def _walk(session: Session) -> _Walk:
    """The chain checked link by link, with what the later checks need from it."""
    w = _Walk(0, {}, set(), {}, {})
    assert w.hashes is not None and w.all_hashes is not None
    assert w.sign_events is not None and w.sealed is not None
    prev_hash = GENESIS_HASH
    expected_id = 1
    for row in _iter_rows(session):
        if row.id != expected_id:
            w.problem = (expected_id, f"audit event #{expected_id} is missing (next is "
                                      f"#{row.id}): a row was deleted")
            return w
        if row.prev_hash != prev_hash:
            w.problem = (row.id, f"audit event #{row.id} does not link to event #{row.id - 1} "
                                 f"(prev_hash mismatch): events were removed, reordered or "
                                 f"inserted")
            return w
        try:
            actual = compute_hash(prev_hash, row)
        except (ValueError, TypeError):
            actual = ""
        if actual != row.hash:
            w.problem = (row.id, f"audit event #{row.id} ({row.action} {row.entity} "
                                 f"{row.entity_id}) was altered: its hash does not match its "
                                 f"content")
            return w
        prev_hash = row.hash
        w.hashes[row.id] = row.hash
        w.all_hashes.add(row.hash)
        if row.action == "meeting.sign":
            w.sign_events[row.id] = row
        elif row.action == _seal.SEAL_ACTION:
            for key, h in json.loads(row.after).get("rows", {}).items():
                w.sealed[key] = (h, row.id)
        expected_id += 1
        w.count += 1
    return w


def verify(session: Session) -> ChainCheck:
    """Walk the whole chain, then the signatures, then every data row (see the module)."""
    w = _walk(session)
    if w.problem is not None:
        return ChainCheck(False, w.count, w.problem[0], w.problem[1])
    assert w.sign_events is not None and w.sealed is not None
    if w.count == 0:  # an empty chain is intact only on an empty database
        problem = _check_rows(session, 0, w.sealed)
        if problem is not None:
            return ChainCheck(False, 0, problem[0], problem[1])
    problem = _check_signatures(session, w)
    if problem is not None:
        return ChainCheck(False, w.count, problem[0], problem[1])
    problem = _check_rows(session, w.count, w.sealed)
    if problem is not None:
        return ChainCheck(False, w.count, problem[0], problem[1])
    signed = list(w.sign_events)
    tail = f"; {w.count - max(signed)} event(s) after the last signature" if signed else ""
    rows = sum(1 for h, _e in w.sealed.values() if h is not None)
    return ChainCheck(True, w.count, None,
                      f"audit chain intact: {w.count} events, {len(signed)} signature(s) "
                      f"valid, {rows} data rows match their seals{tail}")


def check_signature(session: Session, meeting_id: str) -> str | None:
    """The problem with one meeting's signature record (None when it checks)."""
    w = _walk(session)
    sig = session.get(SignatureModel, meeting_id)
    if sig is None:
        return f"meeting {meeting_id} has no signature"
    if w.problem is not None and (sig.audit_event_id is None or w.problem[0] <= sig.audit_event_id):
        return w.problem[1]
    found = _signature_problem(session, sig, w)
    return found[1] if found else None


def _signature_problem(session: Session, sig: SignatureModel, w: _Walk) -> tuple[int, str] | None:
    from mdt import keys
    from mdt.store.models import MemberCredentialModel

    assert w.hashes is not None and w.all_hashes is not None and w.sign_events is not None
    count = w.count
    where = f"the signature of meeting {sig.meeting_id} (signed by {sig.signer})"
    if sig.audit_event_id is None:  # signed before 0004: only the head anchors it
        if sig.audit_head not in w.all_hashes:
            return (count + 1, f"{where} anchors audit event {sig.audit_head[:12]}…, which "
                    f"is no longer in the chain of {count} events: rows were deleted "
                    f"or the chain was rewritten")
        return None
    n = sig.audit_event_id
    if n > count:
        return (count + 1, f"{where} covers the chain up to its sign event #{n}, but the "
                f"chain ends at #{count}: the sign event and everything after it were "
                f"deleted (shortened chain)")
    if w.hashes.get(n) != sig.audit_head:
        return (n, f"{where} covers audit event #{n} with hash {sig.audit_head[:12]}…, but "
                f"that event now hashes to {w.hashes.get(n, '')[:12]}…: the chain was "
                f"rewritten and re-hashed")
    event = w.sign_events.get(n)
    if event is None or event.entity_id != sig.meeting_id:
        return (n, f"{where} points at audit event #{n}, which is not the sign event of "
                f"that meeting")
    if not sig.payload or not sig.signed_value or not sig.certificate_pem:
        return (n, f"{where} has lost its digital signature")
    try:
        payload = json.loads(sig.payload)
        cert_ok = keys.fingerprint(sig.certificate_pem) == \
            json.loads(event.after).get("certificate_sha256")
    except (ValueError, TypeError):
        return (n, f"{where}: its signed content is damaged")
    expect = {"meeting": sig.meeting_id, "signer": sig.signer,
              "signed_at": _iso(sig.signed_at), "audit_event_id": n,
              "audit_head": sig.audit_head, "minutes_sha256": sig.minutes_sha256}
    changed = [k for k, v in expect.items() if payload.get(k) != v]
    if changed:
        return (n, f"{where}: {', '.join(changed)} no longer match what was signed")
    if not cert_ok:
        return (n, f"{where} names a certificate other than the one its sign event "
                f"recorded")
    if not keys.verify_bytes(sig.certificate_pem, sig.payload.encode("utf-8"),
                             sig.signed_value):
        return (n, f"{where} does not verify with the signer's certificate: it is forged "
                f"or was altered")
    if sig.minutes_pdf is None or keys.sha256_hex(sig.minutes_pdf) != sig.minutes_sha256:
        return (n, f"{where}: the stored signed minutes PDF is missing or was replaced")
    cred = session.get(MemberCredentialModel, sig.member_id) if sig.member_id else None
    if cred is None:
        return (n, f"{where}: the signer has no credentials in the registry")
    return None


def _check_signatures(session: Session, w: _Walk) -> tuple[int, str] | None:
    assert w.sign_events is not None
    sigs = session.execute(select(SignatureModel)).scalars().all()
    by_event = set()
    for sig in sigs:
        if sig.audit_event_id is not None:
            by_event.add(sig.audit_event_id)
        problem = _signature_problem(session, sig, w)
        if problem is not None:
            return problem
    for n, event in w.sign_events.items():
        if n not in by_event and not _legacy_signed(sigs, event):
            return (n, f"audit event #{n} records a signature of meeting {event.entity_id} "
                    f"that has no signature row: the signature was deleted")
    return None


def _legacy_signed(sigs: Sequence[SignatureModel], event: AuditEventModel) -> bool:
    return any(s.audit_event_id is None and s.meeting_id == event.entity_id for s in sigs)


def _iso(value: datetime) -> str:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


def _check_rows(session: Session, count: int,
                sealed: dict[str, tuple[str | None, int]]) -> tuple[int, str] | None:
    now = _seal.current_hashes(session)
    problems = _seal.compare(sealed, now)
    if not problems:
        return None
    if count == 0:
        return (1, f"the audit chain is empty but the database holds {len(now)} records "
                f"(e.g. {_seal.describe(problems[0].key, now.get(problems[0].key, (None, None))[1], session)}): "
                f"the audit trail was emptied")
    first = problems[0]
    row = now.get(first.key, (None, None))[1]
    what = _seal.describe(first.key, row, session)
    more = f" (and {len(problems) - 1} more record(s))" if len(problems) > 1 else ""
    if first.kind == "changed":
        text = (f"{what} was changed outside the application: it no longer matches its "
                f"seal in audit event #{first.event_id}")
    elif first.kind == "deleted":
        text = (f"{what} was deleted outside the application (sealed in audit event "
                f"#{first.event_id}), or the audit events after it were cut")
    elif first.event_id is not None:
        text = (f"{what} is in the database although audit event #{first.event_id} "
                f"recorded its deletion")
    else:
        text = (f"{what} has no audit event: it was added outside the application, or "
                f"the audit events that recorded it were cut from the end of the chain")
    return (first.event_id or count + 1, text + more)
