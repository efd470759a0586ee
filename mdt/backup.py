"""Backups and restores, for both database kinds.

A backup is always a self-contained SQLite file at the application's schema
revision, so it can be opened, checked and restored anywhere:

- from SQLite: the sqlite3 online backup API (a consistent copy while the
  application keeps writing);
- from PostgreSQL: every table copied inside one REPEATABLE READ, read-only
  transaction (one consistent snapshot) into a freshly migrated SQLite file.

``restore`` checks the backup first (SQLite integrity, schema version, the audit
chain) and only then puts it back: onto a SQLite file with the backup API (the
current file is copied first into ``backups/``, where such copies are pruned to
``restore_copies_kept()``), or into an empty PostgreSQL database by copying the
rows in one transaction.  A backup made by a newer version is refused; an older
one is migrated to this version's schema on a private copy before restoring.

Every file is written through ``mdt.atomic``: a full disk or an unwritable place
leaves no partial file (and never one that blocks its own name next time).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, DateTime, MetaData, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from mdt.atomic import WriteError, atomic_path, describe_os_error
from mdt.config import database_url
from mdt.errors import MdtError
from mdt.store import audit
from mdt.store.db import (
    Database,
    DatabaseError,
    backup_sqlite_file,
    check_not_newer,
    make_engine,
    open_database,
)

RESTORE_COPIES_KEPT = 5
ENV_RESTORE_COPIES_KEPT = "MDT_RESTORE_COPIES_KEPT"


def restore_copies_kept() -> int:
    """How many copies of replaced databases ``restore`` keeps in ``backups/`` (a setting:
    ``MDT_RESTORE_COPIES_KEPT``; 40 restores once left 1.8 GB of copies)."""
    try:
        value = int(os.environ.get(ENV_RESTORE_COPIES_KEPT, ""))
    except ValueError:
        return RESTORE_COPIES_KEPT
    return max(value, 1)  # the copy just made is always kept

_DATA_TABLES = ("patient", "member", "meeting", "audit_event")
_BATCH = 1000


class BackupError(MdtError):
    """A backup or restore that cannot be done (message says why)."""


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    tables: int
    rows: int
    audit_ok: bool
    audit_message: str


def _count_rows(conn: Connection, meta: MetaData) -> int:
    return sum(conn.execute(select(func.count()).select_from(t)).scalar_one()
               for t in meta.sorted_tables)


def _fix_datetime(value: object, to_postgres: bool) -> object:
    # SQLite stores naive UTC; PostgreSQL timestamptz wants aware values.
    if isinstance(value, datetime):
        if to_postgres:
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return value


def _copy_rows(src: Connection, dst: Connection) -> tuple[int, int]:
    """Copy every application table present in both (parents before children)."""
    src_meta, dst_meta = MetaData(), MetaData()
    src_meta.reflect(src)
    dst_meta.reflect(dst)
    to_pg = dst.dialect.name == "postgresql"
    tables = rows = 0
    for table in dst_meta.sorted_tables:
        # The destination was migrated by open_database(), which wrote its own
        # alembic_version and app_meta rows.
        if table.name in ("alembic_version", "app_meta") or table.name not in src_meta.tables:
            continue
        source = src_meta.tables[table.name]
        common = [c.name for c in table.columns if c.name in source.columns]
        dt_cols = {c.name for c in table.columns if isinstance(c.type, DateTime)}
        pk = list(source.primary_key.columns) or list(source.columns)
        result = src.execute(select(*[source.c[n] for n in common]).order_by(*pk))
        tables += 1
        while batch := result.mappings().fetchmany(_BATCH):
            payload = [{k: (_fix_datetime(v, to_pg) if k in dt_cols else v)
                        for k, v in row.items()} for row in batch]
            dst.execute(insert(table), payload)
            rows += len(payload)
        if to_pg and "id" in table.columns and table.c.id.autoincrement is not False \
                and table.name != "audit_event":
            seq = dst.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                              {"t": table.name}).scalar()
            if seq:
                dst.execute(text(f"SELECT setval('{seq}', COALESCE((SELECT MAX(id) FROM "
                                 f"{table.name}), 0) + 1, false)"))
    return tables, rows


def _inspect_backup(path: Path) -> BackupInfo:
    engine = make_engine(f"sqlite:///{path}")
    try:
        check_not_newer(engine)
        with engine.connect() as conn:
            meta = MetaData()
            meta.reflect(conn)
            rows = _count_rows(conn, meta)
            from sqlalchemy.orm import Session

            with Session(conn) as s:
                chain = audit.verify(s)
        return BackupInfo(path, len(meta.tables), rows, chain.ok, chain.message)
    finally:
        engine.dispose()


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long: WriteError says so below
        return False


def _self_contained(conn: sqlite3.Connection) -> None:
    # The copy keeps WAL mode; switch it to a single self-contained file.
    conn.execute("PRAGMA journal_mode=DELETE")


def backup(db: Database, out: str | Path) -> BackupInfo:
    """Write a consistent copy of ``db`` to ``out`` (an SQLite file); refuse to overwrite.

    Works on a read-only database too.  WriteError (from ``mdt.atomic``) when the place
    cannot be written; nothing is left behind then."""
    dest = Path(out)
    if _exists(dest):
        raise BackupError(f"{dest} already exists; choose a new file name")
    if db.is_sqlite:
        source = db.sqlite_path
        if source is None:
            raise BackupError("an in-memory database cannot be backed up")
        backup_sqlite_file(source, dest, overwrite=False, read_only=db.access,
                           finish=_self_contained)
        return _inspect_backup(dest)
    with atomic_path(dest, overwrite=False, make_folders=True) as tmp:
        tmp.unlink()  # open_database creates and migrates a fresh file
        target = open_database(f"sqlite:///{tmp}")
        try:
            with db.engine.connect().execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True) as src, \
                    target.engine.begin() as dst:
                _copy_rows(src, dst)
        except DBAPIError as exc:
            if "full" in str(exc.orig):
                raise OSError(errno.ENOSPC, str(exc.orig)) from exc
            raise
        finally:
            target.close()
        with sqlite3.connect(str(tmp)) as conn:
            _self_contained(conn)
        conn.close()
    return _inspect_backup(dest)


def _has_data(conn: Connection) -> bool:
    meta = MetaData()
    meta.reflect(conn, only=lambda name, _m: name in _DATA_TABLES)
    return any(conn.execute(select(func.count()).select_from(t)).scalar_one()
               for t in meta.sorted_tables)


def _keep_copy(path: Path) -> Path:
    """Copy the database a restore replaces into ``backups/``; keep the newest few."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    folder = path.parent / "backups"
    try:
        copy = backup_sqlite_file(path, folder / f"{path.stem}-before-restore-{stamp}.sqlite3")
    except WriteError as exc:
        raise BackupError(f"cannot keep a copy of {path} before restoring ({exc}); "
                          f"nothing was restored") from exc
    old = sorted(folder.glob(f"{path.stem}-before-restore-*.sqlite3"))
    for stale in old[:-restore_copies_kept()]:
        stale.unlink(missing_ok=True)
    return copy


def restore(backup_file: str | Path, url: str | None = None, *, force: bool = False) -> BackupInfo:
    """Restore ``backup_file`` into the database at ``url`` (``--db``/default).

    SQLite target: refused when it holds data unless ``force``; the current file
    is first copied beside it (``backups/``).  PostgreSQL target: must be empty.
    """
    src_path = Path(backup_file)
    if not src_path.is_file():
        raise BackupError(f"no backup file {src_path}")
    try:
        probe = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
        try:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
            names = {r[0] for r in probe.execute("SELECT name FROM sqlite_master")}
            damage = probe.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        if "malformed" in str(exc):
            raise BackupError(f"{src_path} is damaged ({exc}); nothing was restored") from exc
        raise BackupError(f"{src_path} is not a Liver MDT backup: {exc}") from exc
    if not {"alembic_version", "patient", "audit_event"} <= names:
        raise BackupError(f"{src_path} is not a Liver MDT backup (tables missing)")
    if damage != "ok":
        raise BackupError(f"{src_path} is damaged (SQLite integrity check: {damage}); "
                          f"nothing was restored")
    # Every check on a private copy, BEFORE anything live is touched: checking and
    # migrating must never modify the user's backup nor the database it would replace.
    with tempfile.TemporaryDirectory(prefix="mdt-restore-") as tmp:
        work = Path(tmp) / "restore.sqlite3"
        try:
            backup_sqlite_file(src_path, work)
        except WriteError as exc:
            raise BackupError(f"cannot stage {src_path} for checking: {exc}") from exc
        try:
            staged = open_database(f"sqlite:///{work}")  # refuses newer, migrates older
        except DatabaseError as exc:
            raise BackupError(f"cannot restore {src_path}: {exc}; nothing was restored") from exc
        try:
            with staged.read() as s:
                chain = audit.verify(s)
        finally:
            staged.close()
        if not chain.ok:
            raise BackupError(f"the audit trail of {src_path} is broken ({chain.message}); "
                              f"restoring it would hide tampering, so nothing was restored")
        target_url = database_url(url)
        target = open_database(target_url)
        try:
            if target.is_sqlite:
                path = target.sqlite_path
                if path is None:
                    raise BackupError("cannot restore into an in-memory database")
                with target.engine.connect() as conn:
                    busy = _has_data(conn)
                if busy and not force:
                    raise BackupError(f"{path} already holds data; pass --force to replace it "
                                      f"(a copy of it is kept first)")
                target.close()
                if busy:
                    _keep_copy(path)
                src = sqlite3.connect(str(work))
                dst = sqlite3.connect(str(path))
                try:
                    src.backup(dst)
                    dst.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError as exc:
                    # The backup API writes in one transaction: a failure leaves the
                    # database as it was.
                    raise BackupError(f"cannot restore into {path}: "
                                      f"{describe_os_error(OSError(28, str(exc))) if 'full' in str(exc) else exc}"
                                      f"; the database is unchanged") from exc
                finally:
                    dst.close()
                    src.close()
                return _inspect_backup(path)
            with target.engine.begin() as dst_conn:
                if _has_data(dst_conn):
                    raise BackupError("the PostgreSQL database already holds data; restore into "
                                      "a new, empty database and point --db at it")
                dst_conn.execute(text("SELECT pg_advisory_xact_lock(727101)"))
                src_engine = make_engine(f"sqlite:///{work}")
                try:
                    with src_engine.connect() as src_conn:
                        _copy_rows(src_conn, dst_conn)
                finally:
                    src_engine.dispose()
            from sqlalchemy.orm import Session

            with target.engine.connect() as conn, Session(conn) as s:
                chain = audit.verify(s)
                meta = MetaData()
                meta.reflect(conn)
                rows = _count_rows(conn, meta)
            return BackupInfo(src_path, len(meta.tables), rows, chain.ok, chain.message)
        finally:
            target.close()
