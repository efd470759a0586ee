"""Content hashes of the data rows, recorded in the audit chain ("seals").

The audit chain proves its own events were not changed; seals extend that proof to
the data itself.  Every transaction that inserts, changes or deletes a row of a sealed
table appends one ``data.seal`` audit event at commit, listing each touched row's key
and the SHA-256 of its canonical content (``null`` for a deleted row).  ``audit
verify`` recomputes every row's hash and compares it with the latest seal for that
row: a row edited, added or deleted outside the application (an SQL console, a
hex editor on the file) no longer matches and is named in words.

This works for every writer without each service function knowing about it: a
SQLAlchemy ``after_flush`` hook here notes the rows each flush touched; a
``before_commit`` hook in ``mdt.store.audit`` hashes them (as the database now holds
them) and records the seal in the same transaction.  Bulk copies that bypass the ORM (``mdt.backup``
restore) copy rows and their seals together, so they still verify.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Table, event, select, tuple_
from sqlalchemy.orm import Session

from mdt.store.models import Base

SEAL_ACTION = "data.seal"

SEALED_TABLES: tuple[str, ...] = (
    "patient", "treatment_course", "treatment_cycle", "review", "review_version",
    "member", "member_credential", "meeting", "meeting_attendee", "agenda_item",
    "signature", "amendment", "setting",
)
"""Every table of clinical or legal record.  Not sealed: the audit table itself, the
DICOM index (a cache of files on disk, rebuilt by re-import) and ``app_meta``."""

_SKIP_COLUMNS = {"row_version"}  # bumped by every ORM update; carries no content
_INFO_KEY = "seal_touched"


def _table(name: str, reflect_from: Connection | None = None) -> Table:
    if reflect_from is not None:  # a migration: the table as the database has it now
        return Table(name, MetaData(), autoload_with=reflect_from)
    return Base.metadata.tables[name]


def _pk_columns(name: str) -> list[str]:
    return [c.name for c in _table(name).primary_key.columns]


def row_key(table: str, pk: Iterable[object]) -> str:
    """``review_version/12`` or ``meeting_attendee/LIV-1|3``."""
    return f"{table}/{'|'.join(str(v) for v in pk)}"


def _value(v: object) -> object:
    if isinstance(v, datetime):
        # SQLite hands back naive datetimes written as UTC; PostgreSQL aware ones.
        aware = v if v.tzinfo is not None else v.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bytes | bytearray | memoryview):
        return "sha256:" + hashlib.sha256(bytes(v)).hexdigest()
    if isinstance(v, float):
        return repr(v)
    return v


def row_hash(values: dict[str, Any]) -> str:
    # NULL columns are left out, so a migration that adds a nullable column to a sealed
    # table does not change the hash of rows written before it (setting a value to NULL
    # still changes the hash: the key disappears).
    content = {k: _value(v) for k, v in values.items()
               if k not in _SKIP_COLUMNS and v is not None}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iter_rows(conn: Connection | Session, table: str,
              pks: Iterable[tuple[object, ...]] | None = None,
              batch: int = 500, reflect: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(key, row)`` of every row of ``table`` (or only those with the given keys)."""
    t = _table(table, conn if reflect and isinstance(conn, Connection) else None)
    pk_cols = [t.c[name] for name in _pk_columns(table)]
    if pks is None:
        for row in conn.execute(select(t).order_by(*pk_cols)).mappings():
            yield row_key(table, (row[c.name] for c in pk_cols)), dict(row)
        return
    wanted = list(pks)
    for start in range(0, len(wanted), batch):
        chunk = wanted[start:start + batch]
        cond = pk_cols[0].in_([p[0] for p in chunk]) if len(pk_cols) == 1 \
            else tuple_(*pk_cols).in_(chunk)
        for row in conn.execute(select(t).where(cond)).mappings():
            yield row_key(table, (row[c.name] for c in pk_cols)), dict(row)


def current_hashes(conn: Connection | Session,
                   reflect: bool = False) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every sealed row now in the database: key -> (hash, row)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for table in SEALED_TABLES:
        for key, row in iter_rows(conn, table, reflect=reflect):
            out[key] = (row_hash(row), row)
    return out


def seal_of(conn: Connection | Session, touched: dict[str, set[tuple[object, ...]]]) -> dict[str, str | None]:
    """The seal of the touched rows: key -> hash, or None for a row no longer there."""
    seal: dict[str, str | None] = {}
    for table in SEALED_TABLES:
        pks = touched.get(table)
        if not pks:
            continue
        found = {key: row_hash(row) for key, row in iter_rows(conn, table, pks)}
        for pk in pks:
            key = row_key(table, pk)
            seal[key] = found.get(key)
    return seal


# --------------------------------------------------------------------------- session hooks


def _note(session: Session, obj: object) -> None:
    table = getattr(getattr(obj, "__table__", None), "name", None)
    if table not in SEALED_TABLES:
        return
    mapper_pk = [getattr(obj, name) for name in _pk_columns(table)]
    if any(v is None for v in mapper_pk):
        return
    session.info.setdefault(_INFO_KEY, {}).setdefault(table, set()).add(tuple(mapper_pk))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx: object) -> None:
    for obj in list(session.new) + list(session.deleted):
        _note(session, obj)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            _note(session, obj)


def take_touched(session: Session) -> dict[str, set[tuple[object, ...]]] | None:
    """The rows this transaction touched since the last call (``mdt.store.audit`` seals them
    at commit)."""
    return session.info.pop(_INFO_KEY, None)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)
    session.info.pop("seal_actor", None)


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True, slots=True)
class RowProblem:
    key: str
    kind: str
    """``changed``, ``added`` or ``deleted`` (outside the application)."""
    event_id: int | None
    """The audit event whose seal the row no longer matches."""


def compare(sealed: dict[str, tuple[str | None, int]],
            now: dict[str, tuple[str, dict[str, Any]]]) -> list[RowProblem]:
    """Rows whose content differs from their latest seal, in table order."""
    problems: list[RowProblem] = []
    for key, (h, _row) in now.items():
        seal = sealed.get(key)
        if seal is None or seal[0] is None:
            problems.append(RowProblem(key, "added", seal[1] if seal else None))
        elif seal[0] != h:
            problems.append(RowProblem(key, "changed", seal[1]))
    for key, (sealed_hash, event_id) in sealed.items():
        if sealed_hash is not None and key not in now:
            problems.append(RowProblem(key, "deleted", event_id))
    order = {t: i for i, t in enumerate(SEALED_TABLES)}
    problems.sort(key=lambda p: (order.get(p.key.split("/", 1)[0], 99), p.key))
    return problems


def describe(key: str, row: dict[str, Any] | None, conn: Connection | Session) -> str:
    """A row named in words a coordinator reads: "version 2 of review 7 (patient MRN-1)"."""
    table, _, pk = key.partition("/")

    def mrn(patient_pk: object) -> str:
        from mdt.store.models import PatientModel
        found = conn.execute(select(PatientModel.mrn).where(PatientModel.id == patient_pk)).first()
        return found[0] if found else f"#{patient_pk}"

    def member(member_pk: object) -> str:
        from mdt.store.models import MemberModel
        found = conn.execute(select(MemberModel.name).where(MemberModel.id == member_pk)).first()
        return found[0] if found else f"member #{member_pk}"

    def review_patient(review_pk: object) -> str:
        from mdt.store.models import ReviewModel
        found = conn.execute(select(ReviewModel.patient_id).where(ReviewModel.id == review_pk)).first()
        return mrn(found[0]) if found else "?"

    r = row or {}
    if table == "patient":
        return f"patient {r.get('mrn', pk)}"
    if table == "review_version":
        rid = r.get("review_id")
        return (f"version {r.get('version', '?')} of review {rid} (patient "
                f"{review_patient(rid) if rid is not None else '?'}"
                f"{', ' + str(r['review_date']) if r.get('review_date') else ''})")
    if table == "review":
        return (f"review {pk} (patient {mrn(r['patient_id']) if 'patient_id' in r else '?'}) "
                f"— its current version or its signed-meeting lock")
    if table == "member":
        return f"member {r.get('name', '#' + pk)}"
    if table == "member_credential":
        return f"the password or signing key of {member(pk)}"
    if table == "meeting":
        return f"meeting {pk}"
    if table == "meeting_attendee":
        mid, _, mem = pk.partition("|")
        return f"the attendance of {member(mem)} at meeting {mid}"
    if table == "agenda_item":
        who = mrn(r["patient_id"]) if "patient_id" in r else "?"
        return f"an agenda item of meeting {r.get('meeting_id', '?')} (patient {who})"
    if table == "signature":
        return f"the signature of meeting {pk}"
    if table == "amendment":
        return f"amendment {pk} of meeting {r.get('meeting_id', '?')}"
    if table in ("treatment_course", "treatment_cycle"):
        return f"a treatment record ({table.replace('_', ' ')} {pk})"
    if table == "setting":
        return f"the setting {pk}"
    return key
