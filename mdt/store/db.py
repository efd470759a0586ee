"""Opening the database: engine set-up, migrations at start-up, version check.

``open_database(url)`` is the only way the application gets a database:

- SQLite (the default single-workstation file): every connection gets
  ``foreign_keys=ON``, ``journal_mode=WAL`` and ``synchronous=FULL`` (a committed
  save survives a power cut), a busy timeout, and non-legacy transactions (the
  driver's implicit BEGIN is off; we emit our own, ``BEGIN IMMEDIATE`` for
  writes so two writers queue instead of failing half-way).
- PostgreSQL (a department's shared server) works the same through psycopg 3.
- Alembic migrations run from empty up to head at every start (never
  ``create_all``); a non-empty SQLite file is copied with the sqlite3 backup API
  before any pending migration; a database whose revision this version does not
  know (made by a newer version) is refused with a clear message.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

from mdt import __version__
from mdt.config import database_url
from mdt.errors import MdtError, ValidationError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Alembic is imported only when a migration is pending (it costs ~0.2 s of
# start-up); a database already at HEAD_REVISION is recognised with plain SQL.
# tests/test_store_migrations.py checks this constant against Alembic's head.
HEAD_REVISION = "0009_dicom_frames"

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BACKUPS_KEPT = 10
SQLITE_BUSY_TIMEOUT_S = 30


class DatabaseError(MdtError):
    """The database cannot be opened or migrated (message says why and what to do)."""


class NewerDatabaseError(DatabaseError):
    """The database was made by a newer version of the application."""


def alembic_config(connection: object | None = None) -> Config:
    """An Alembic config built in code (works from a checkout and when frozen)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # The driver's legacy implicit transactions break SAVEPOINT and transactional
    # DDL; switch them off and emit BEGIN ourselves (see _sqlite_on_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
    if mode != "memory" and mode != "wal":
        cur.execute("PRAGMA journal_mode=WAL")
    # FULL: with WAL, NORMAL can lose the last commits on power loss.
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def _foreign_keys_off(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    dbapi_conn.execute("PRAGMA foreign_keys=OFF")


def _sqlite_on_begin(conn: object) -> None:
    immediate = conn.get_execution_options().get("mdt_write", False)  # type: ignore[attr-defined]
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[attr-defined]


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine with the application's per-connection settings."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        memory = u.database in (None, "", ":memory:")
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        if memory:
            kwargs.setdefault("poolclass", StaticPool)
        engine = create_engine(u, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if u.get_backend_name() == "postgresql" and u.get_driver_name() in ("psycopg2", "psycopg2cffi"):
        raise DatabaseError("use the psycopg 3 driver: postgresql+psycopg://user@host/db")
    if u.get_backend_name() == "postgresql" and u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    return create_engine(u, pool_pre_ping=True, **kwargs)


@dataclass
class Database:
    """An open, migrated database.  Use :meth:`read` and :meth:`write` sessions."""
    url: str
    engine: Engine
    backups: list[Path] = field(default_factory=list)
    """Backups made before migrations during this open."""

    def __post_init__(self) -> None:
        # Reads see one snapshot (a case and its reviews agree with each other);
        # SQLite's deferred BEGIN in WAL mode already gives that.
        reader = (self.engine.execution_options(isolation_level="REPEATABLE READ")
                  if self.engine.dialect.name == "postgresql" else self.engine)
        self._read = sessionmaker(reader, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(mdt_write=True),
                                   expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        name = self.engine.url.database
        return Path(name) if name and name != ":memory:" else None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (rolled back at the end)."""
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction for one user action: commits at the end, rolls back on error.

        On SQLite it starts with BEGIN IMMEDIATE so writers queue on the file lock;
        on PostgreSQL the audit writer takes an advisory lock for the hash chain.
        """
        try:
            with self._write() as session, session.begin():
                yield session
        except DataError as exc:
            # e.g. PostgreSQL refusing a NUL character: bad input, not a crash.
            raise ValidationError(f"a value was refused by the database: "
                                  f"{str(exc.orig).splitlines()[0]}") from exc

    def close(self) -> None:
        self.engine.dispose()


# --------------------------------------------------------------------------- migrations


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _revision_of(conn)


def _revision_of(conn: Connection) -> str | None:
    """The schema revision Alembic recorded, read with plain SQL (None when empty)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).fetchall()
    if len(rows) > 1:
        raise DatabaseError(f"the database has several schema heads: {[r[0] for r in rows]}")
    return rows[0][0] if rows else None


def _known_revisions() -> set[str]:
    return {rev.revision for rev in script_directory().walk_revisions()}


def pending_revisions(engine: Engine) -> list[str]:
    """Revisions between the database's and head (oldest first)."""
    script = script_directory()
    current = current_revision(engine)
    revs = [r.revision for r in script.iterate_revisions("heads", current)]
    return list(reversed(revs))


def check_not_newer(engine: Engine, rev: str | None = None) -> None:
    rev = current_revision(engine) if rev is None else rev
    if rev is not None and rev != HEAD_REVISION and rev not in _known_revisions():
        raise NewerDatabaseError(
            f"the database is at schema revision {rev!r}, made by a newer version of "
            f"Liver MDT than this one ({__version__}); open it with that version or newer")


def _has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def backup_sqlite_file(path: Path, dest: Path) -> Path:
    """Consistent online copy of a live SQLite file (sqlite3 backup API)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(path))
    try:
        out = sqlite3.connect(str(dest))
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()
    return dest


def _backup_before_migration(path: Path, target: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    folder = path.parent / "backups"
    dest = folder / f"{path.stem}-before-{target}-{stamp}.sqlite3"
    backup_sqlite_file(path, dest)
    old = sorted(folder.glob(f"{path.stem}-before-*.sqlite3"))
    for stale in old[:-BACKUPS_KEPT]:
        stale.unlink(missing_ok=True)
    return dest


def _stamp_app_meta(conn: Connection) -> None:
    """Record which application version last migrated the schema, and to what."""
    rev = _revision_of(conn) or ""
    values = {"schema_revision": rev, "migrated_by_version": __version__,
              "migrated_at": datetime.now(UTC).isoformat(timespec="seconds")}
    for key, value in values.items():
        updated = conn.execute(text("UPDATE app_meta SET value = :v WHERE key = :k"),
                               {"k": key, "v": value}).rowcount
        if not updated:
            conn.execute(text("INSERT INTO app_meta (key, value) VALUES (:k, :v)"),
                         {"k": key, "v": value})


def migrate(engine: Engine) -> list[Path]:
    """Upgrade to head; back up a non-empty SQLite file first.  Returns the backups."""
    if current_revision(engine) == HEAD_REVISION:
        return []
    from alembic import command

    check_not_newer(engine)
    pending = pending_revisions(engine)
    if not pending:
        return []
    backups: list[Path] = []
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if path and path != ":memory:" and Path(path).exists() and _has_tables(engine):
            backups.append(_backup_before_migration(Path(path), pending[-1]))
        # Batch "move and copy" migrations need foreign keys off; the pragma is
        # ignored inside a transaction, so migrate on a dedicated connection that
        # turns it off as it connects (an in-memory database keeps its one connection).
        memory = path in (None, "", ":memory:")
        mig_engine = engine if memory else create_engine(engine.url, poolclass=NullPool)
        if not memory:
            event.listen(mig_engine, "connect", _sqlite_on_connect)
            event.listen(mig_engine, "connect", _foreign_keys_off)
            event.listen(mig_engine, "begin", _sqlite_on_begin)
        try:
            with mig_engine.begin() as conn:
                command.upgrade(alembic_config(conn), "head")
                _stamp_app_meta(conn)
                bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if bad:
                    raise DatabaseError(f"migration left broken references: {bad[:5]}")
        finally:
            if not memory:
                mig_engine.dispose()
    else:
        with engine.begin() as conn:
            # Two workstations starting at once must not migrate twice.
            conn.execute(text("SELECT pg_advisory_xact_lock(727100)"))
            command.upgrade(alembic_config(conn), "head")
            _stamp_app_meta(conn)
    return backups


def open_database(url: str | None = None, *, migrate_schema: bool = True) -> Database:
    """Open (and migrate) the database at ``url`` (``--db`` / MDT_DATABASE_URL / default).

    Raises DatabaseError with a readable message when it cannot be opened,
    NewerDatabaseError for a database made by a newer version.
    """
    resolved = database_url(url)
    try:
        engine = make_engine(resolved)
    except DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - bad URL, missing driver
        raise DatabaseError(f"cannot use database URL {resolved!r}: {exc}") from exc
    try:
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
        backups = migrate(engine) if migrate_schema else []
        if not migrate_schema and current_revision(engine) != HEAD_REVISION:
            check_not_newer(engine)
            if pending_revisions(engine):
                raise DatabaseError("the database schema is not up to date")
    except DatabaseError:
        engine.dispose()
        raise
    except Exception as exc:  # noqa: BLE001 - connection refused, unreadable file...
        engine.dispose()
        raise DatabaseError(f"cannot open database {engine.url.render_as_string()}: {exc}") from exc
    return Database(url=resolved, engine=engine, backups=backups)
