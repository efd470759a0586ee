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

Faults become messages (``mdt.errors`` subclasses), never driver tracebacks:

- an SQLite file on a read-only disk or mount, or without write permission, is
  opened read-only: reads, exports, reports, backups and ``audit verify`` work;
  every write is refused with :class:`ReadOnlyDatabaseError`;
- a second SQLite writer waits for the first with visible progress
  (``Database.on_wait``), and after ``busy_timeout_s`` gets
  :class:`DatabaseBusyError` naming who holds the database and for what (the
  holder writes a small ``<file>-holder`` note while its transaction runs);
- PostgreSQL writers take the audit chain's lock first, then patient rows by
  hospital id: one global lock order, so they queue instead of deadlocking (a
  waiter shows the same progress and, after ``busy_timeout_s``, the same
  :class:`DatabaseBusyError` naming the holder, who names itself in its
  transaction's ``application_name``); a
  transaction the server still breaks off (deadlock, serialisation failure) is a
  :class:`TransientConflictError`, retried a bounded number of times by
  :func:`run_with_retry` and otherwise reported as a conflict naming the patient;
- a row changed under an optimistic lock (SQLAlchemy's ``StaleDataError``) is a
  :class:`StaleRecordError`, a disk full or a lost server a :class:`DatabaseError`.
"""

from __future__ import annotations

import contextvars
import json
import os
import random
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import NullPool, StaticPool

from mdt import __version__
from mdt.config import database_url
from mdt.errors import ConflictError, MdtError, ValidationError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Alembic is imported only when a migration is pending (it costs ~0.2 s of
# start-up); a database already at HEAD_REVISION is recognised with plain SQL.
# tests/test_store_migrations.py checks this constant against Alembic's head.
HEAD_REVISION = "0010_audit_entity_index"

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BACKUPS_KEPT = 10
SQLITE_BUSY_TIMEOUT_S = 30
"""How long a writer waits for another workstation's write on an SQLite file (a setting:
``MDT_DB_BUSY_TIMEOUT`` seconds in the environment)."""
ENV_BUSY_TIMEOUT = "MDT_DB_BUSY_TIMEOUT"
_BUSY_SLICE_MS = 250  # how often a waiting writer reports its progress
TRANSACTION_ATTEMPTS = 3
"""A transaction the server breaks off (deadlock) runs at most this many times."""

T = TypeVar("T")


class DatabaseError(MdtError):
    """The database cannot be opened, migrated or written (message says why and what to do)."""


class NewerDatabaseError(DatabaseError):
    """The database was made by a newer version of the application."""


class ReadOnlyDatabaseError(DatabaseError):
    """The database is read-only (file, mount or server): it can be read, not changed."""


class DatabaseBusyError(DatabaseError):
    """Another workstation held the SQLite file for longer than the wait allowed."""

    def __init__(self, message: str, holder: Holder | None = None):
        super().__init__(message)
        self.holder = holder


class StaleRecordError(ConflictError):
    """A record changed between this transaction's read and its write (optimistic lock)."""


class TransientConflictError(ConflictError):
    """The server broke the transaction off (deadlock, serialisation failure): run it again."""


# --------------------------------------------------------------------------- who is writing

@dataclass(frozen=True, slots=True)
class Activity:
    """Who is acting and doing what: named to a workstation that has to wait."""
    actor: str | None
    action: str


_ACTIVITY: contextvars.ContextVar[Activity | None] = contextvars.ContextVar("mdt_activity",
                                                                            default=None)


@contextmanager
def activity(actor: str | None, action: str) -> Iterator[None]:
    """Name the writes of this block (``Dr A``, ``importing case files``)."""
    token = _ACTIVITY.set(Activity(actor, action))
    try:
        yield
    finally:
        _ACTIVITY.reset(token)


@dataclass(frozen=True, slots=True)
class Holder:
    """The note a writer leaves beside an SQLite file while its transaction runs."""
    user: str
    action: str
    host: str
    pid: int
    since: datetime

    def words(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        age = max(0, int((now - self.since).total_seconds()))
        local = self.since.astimezone().strftime("%H:%M:%S")
        return (f"{self.user} ({self.action}, process {self.pid} on {self.host}) "
                f"since {local}, {age} s ago")


@dataclass(frozen=True, slots=True)
class Wait:
    """Progress of a writer waiting for the database (``Database.on_wait``)."""
    elapsed_s: float
    timeout_s: float
    holder: Holder | None
    done: bool = False
    """The last report: the wait is over (the write goes on, or failed with a message)."""

    def words(self) -> str:
        who = self.holder.words() if self.holder else "another program"
        return (f"Waiting for the database, in use by {who}: "
                f"{self.elapsed_s:.0f} of {self.timeout_s:.0f} s")


def holder_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-holder")


def read_holder(db_path: Path) -> Holder | None:
    """Who holds the SQLite file now, as its note says (None when there is no usable note)."""
    try:
        raw = json.loads(holder_path(db_path).read_text(encoding="utf-8"))
        return Holder(user=str(raw["user"]), action=str(raw["action"]), host=str(raw["host"]),
                      pid=int(raw["pid"]), since=datetime.fromisoformat(raw["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_holder(db_path: Path) -> None:
    act = _ACTIVITY.get()
    note = {"user": (act.actor if act else None) or _login(), "action": act.action if act else "writing",
            "host": socket.gethostname(), "pid": os.getpid(),
            "since": datetime.now(UTC).isoformat(timespec="seconds")}
    target = holder_path(db_path)
    tmp = target.with_name(f"{target.name}.{os.getpid()}")
    # Not synced: it only matters while this process runs.  Renamed so a reader never
    # sees half a note.
    with suppress(OSError):
        tmp.write_text(json.dumps(note), encoding="utf-8")
        os.replace(tmp, target)


def _clear_holder(db_path: Path) -> None:
    # Removed before COMMIT/ROLLBACK releases the lock, so the next writer's note stays.
    with suppress(OSError):
        holder_path(db_path).unlink()


def _login() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown user"


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


def busy_timeout_s() -> float:
    """The SQLite writer's wait (setting ``MDT_DB_BUSY_TIMEOUT``, else 30 s)."""
    try:
        value = float(os.environ.get(ENV_BUSY_TIMEOUT, ""))
    except ValueError:
        return SQLITE_BUSY_TIMEOUT_S
    return value if value > 0 else SQLITE_BUSY_TIMEOUT_S


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # The driver's legacy implicit transactions break SAVEPOINT and transactional
    # DDL; switch them off and emit BEGIN ourselves (see _sqlite_on_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s() * 1000)}")
    mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
    if mode != "memory" and mode != "wal":
        cur.execute("PRAGMA journal_mode=WAL")
    # FULL: with WAL, NORMAL can lose the last commits on power loss.
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def _foreign_keys_off(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    dbapi_conn.execute("PRAGMA foreign_keys=OFF")


def _sqlite_on_connect_read_only(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # A file opened read-only (mode=ro): nothing may be written, not even the journal mode.
    dbapi_conn.isolation_level = None
    dbapi_conn.execute("PRAGMA foreign_keys=ON")
    dbapi_conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s() * 1000)}")


def _is_busy(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY or \
        "database is locked" in str(orig)


def _sqlite_on_begin(conn: Connection) -> None:
    opts = conn.get_execution_options()
    if not opts.get("mdt_write", False):
        conn.exec_driver_sql("BEGIN")
        return
    db: Database | None = opts.get("mdt_db")
    if db is None or db.sqlite_path is None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    timeout = db.busy_timeout_s
    start = time.monotonic()
    waited = False
    conn.exec_driver_sql(f"PRAGMA busy_timeout={_BUSY_SLICE_MS}")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                break
            except OperationalError as exc:
                if not _is_busy(exc):
                    raise
                elapsed = time.monotonic() - start
                holder = read_holder(db.sqlite_path)
                waited = True
                if elapsed >= timeout:
                    if db.on_wait is not None:
                        db.on_wait(Wait(elapsed, timeout, holder, done=True))
                    who = holder.words() if holder else "another program"
                    raise DatabaseBusyError(
                        f"the database is in use by {who}; this workstation waited "
                        f"{elapsed:.0f} s. Nothing was saved: try again when it has finished",
                        holder) from None
                if db.on_wait is not None:
                    db.on_wait(Wait(elapsed, timeout, holder))
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_timeout_s() * 1000)}")
    if waited and db.on_wait is not None:
        db.on_wait(Wait(time.monotonic() - start, timeout, None, done=True))
    _write_holder(db.sqlite_path)
    conn.info["mdt_holding"] = db.sqlite_path


# PostgreSQL: writers queue on the audit chain's advisory lock.  A waiter polls for it so it
# can show progress and, after ``busy_timeout_s``, say who holds it (the holder names itself
# in its transaction's application_name, which pg_stat_activity shows to the others).

_PG_NAME_PREFIX = "mdt|"
_PG_POLL_S = 0.2


def _pg_name(act: Activity | None) -> str:
    def clean(text: str) -> str:
        return text.replace("|", "/").encode("ascii", "backslashreplace").decode("ascii")
    user = clean((act.actor if act else None) or _login())
    action = clean(act.action if act else "writing")
    return f"{_PG_NAME_PREFIX}{os.getpid()}|{user}|{action}"[:63]


def _pg_holder(session: Session, key: int) -> Holder | None:
    row = session.execute(text(
        "SELECT a.application_name, host(a.client_addr), a.xact_start FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.pid <> pg_backend_pid() AND l.objid = :lo AND l.classid = :hi LIMIT 1"),
        {"lo": key & 0xFFFFFFFF, "hi": key >> 32}).first()
    if row is None:
        return None
    name, addr, since = row
    parts = (name or "").split("|", 3)
    since = since or datetime.now(UTC)
    if len(parts) == 4 and name.startswith(_PG_NAME_PREFIX):
        def unescape(t: str) -> str:
            return t.encode("ascii", "replace").decode("unicode_escape", "replace")
        pid = int(parts[1]) if parts[1].isdigit() else 0
        return Holder(unescape(parts[2]), unescape(parts[3]), addr or "the server's host", pid,
                      since)
    return Holder(name or "another program", "writing", addr or "the server's host", 0, since)


def _pg_take_chain_lock(db: Database, session: Session) -> None:
    from mdt.store import audit

    key = audit.PG_CHAIN_LOCK
    # One round trip when the lock is free (the usual case): name this writer and take it.
    got = session.execute(text("SELECT set_config('application_name', :n, true), "
                               "pg_try_advisory_xact_lock(:k)"),
                          {"n": _pg_name(_ACTIVITY.get()), "k": key}).one()[1]
    start = time.monotonic()
    waited = False
    while not got:
        elapsed = time.monotonic() - start
        holder = _pg_holder(session, key)
        waited = True
        if elapsed >= db.busy_timeout_s:
            if db.on_wait is not None:
                db.on_wait(Wait(elapsed, db.busy_timeout_s, holder, done=True))
            who = holder.words() if holder else "another workstation"
            raise DatabaseBusyError(
                f"the database is in use by {who}; this workstation waited {elapsed:.0f} s. "
                f"Nothing was saved: try again when it has finished", holder)
        if db.on_wait is not None:
            db.on_wait(Wait(elapsed, db.busy_timeout_s, holder))
        time.sleep(_PG_POLL_S)
        got = session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar()
    if waited and db.on_wait is not None:
        db.on_wait(Wait(time.monotonic() - start, db.busy_timeout_s, None, done=True))


def _sqlite_on_end(conn: Connection) -> None:
    # Only the writer that holds the lock removes the note (a waiter's failed BEGIN also
    # ends in a rollback, and must leave the holder's note in place).
    path = conn.info.pop("mdt_holding", None)
    if path is not None:
        _clear_holder(path)


def make_engine(url: str, *, read_only: str | None = None, **kwargs: object) -> Engine:
    """An engine with the application's per-connection settings.

    ``read_only`` (SQLite): ``"ro"`` opens the file read-only; ``"immutable"`` also
    tells SQLite that nothing can change it (a read-only mount, where even the WAL
    index cannot be created)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        memory = u.database in (None, "", ":memory:")
        connect_args = {"timeout": busy_timeout_s(), "check_same_thread": False}
        if memory:
            kwargs.setdefault("poolclass", StaticPool)
        elif read_only:
            query = {"mode": "ro", "uri": "true"}
            if read_only == "immutable":
                query["immutable"] = "1"
            u = u.set(database="file:" + quote(os.path.abspath(str(u.database))), query=query)
        engine = create_engine(u, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect",
                     _sqlite_on_connect_read_only if read_only else _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        event.listen(engine, "commit", _sqlite_on_end)
        event.listen(engine, "rollback", _sqlite_on_end)
        return engine
    if u.get_backend_name() == "postgresql" and u.get_driver_name() in ("psycopg2", "psycopg2cffi"):
        raise DatabaseError("use the psycopg 3 driver: postgresql+psycopg://user@host/db")
    if u.get_backend_name() == "postgresql" and u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    return create_engine(u, pool_pre_ping=True, **kwargs)


@dataclass(eq=False)
class Database:
    """An open, migrated database.  Use :meth:`read` and :meth:`write` sessions."""
    url: str
    engine: Engine
    backups: list[Path] = field(default_factory=list)
    """Backups made before migrations during this open."""
    read_only: bool = False
    """Opened read-only (a read-only file or mount): every :meth:`write` is refused."""
    access: str | None = None
    """How the SQLite file was opened (:func:`sqlite_access`): None, ``ro``, ``immutable``."""
    path: Path | None = None
    """The SQLite file (None for PostgreSQL and an in-memory database)."""
    busy_timeout_s: float = field(default_factory=lambda: busy_timeout_s())
    on_wait: Callable[[Wait], None] | None = None
    """Called about four times a second while a write waits for another workstation
    (SQLite), so the window can show a busy cue and the command line a message."""

    def __post_init__(self) -> None:
        # Reads see one snapshot (a case and its reviews agree with each other);
        # SQLite's deferred BEGIN in WAL mode already gives that.
        reader = (self.engine.execution_options(isolation_level="REPEATABLE READ")
                  if self.engine.dialect.name == "postgresql" else self.engine)
        self._read = sessionmaker(reader, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(mdt_write=True, mdt_db=self),
                                   expire_on_commit=False)
        if self.path is None and self.engine.dialect.name == "sqlite":
            name = self.engine.url.database
            if name and name != ":memory:" and not name.startswith("file:"):
                self.path = Path(name)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        return self.path if self.is_sqlite else None

    def where(self) -> str:
        """The database as a message names it (a file, or the server without password)."""
        if self.path is not None:
            return str(self.path)
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (rolled back at the end)."""
        try:
            with self._read() as session, session.begin():
                yield session
        except (DBAPIError, StaleDataError) as exc:
            raise translate(exc, self, None) from exc

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction for one user action: commits at the end, rolls back on error.

        One lock order for every writer: on SQLite the file lock (BEGIN IMMEDIATE, after
        waiting with progress for another writer); on PostgreSQL the audit chain's lock
        first, then patient rows.  Faults arrive as ``mdt.errors`` subclasses.
        """
        if self.read_only:
            raise ReadOnlyDatabaseError(
                f"the database {self.where()} is read-only (a read-only file, disk or mount): "
                f"it can be read, exported, verified and backed up, but nothing can be saved "
                f"to it; copy it to a writable place to change it")
        session_info: dict[str, Any] = {}
        try:
            with self._write() as session, session.begin():
                session_info = session.info
                if self.dialect == "postgresql":
                    _pg_take_chain_lock(self, session)
                yield session
        except DataError as exc:
            # e.g. PostgreSQL refusing a NUL character: bad input, not a crash.
            raise ValidationError(f"a value was refused by the database: "
                                  f"{str(exc.orig).splitlines()[0]}") from exc
        except IntegrityError:
            raise  # the service names the record that already exists (mdt.store.common.integrity_error)
        except (DBAPIError, StaleDataError) as exc:
            raise translate(exc, self, session_info) from exc

    def close(self) -> None:
        self.engine.dispose()


# --------------------------------------------------------------------------- faults

_PG_RETRY = {"40P01": "a deadlock", "40001": "a serialisation failure"}


def _patients(info: dict[str, Any] | None) -> str:
    mrns = list(dict.fromkeys((info or {}).get("mdt_patients", [])))
    if not mrns:
        return ""
    return f" (patient {', '.join(mrns[:5])}{' …' if len(mrns) > 5 else ''})"


def translate(exc: BaseException, db: Database, info: dict[str, Any] | None) -> MdtError:
    """A driver's fault as a message a user reads (the caller chains the original)."""
    if isinstance(exc, StaleDataError):
        return StaleRecordError(f"another workstation changed the same record at the same "
                                f"moment{_patients(info)}; nothing was saved: reload it and "
                                f"try again")
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or ""
    code = getattr(orig, "sqlite_errorcode", None)
    text_ = str(orig or exc).splitlines()[0] if str(orig or exc) else type(exc).__name__
    if state in _PG_RETRY:
        return TransientConflictError(
            f"another workstation was saving the same patients at the same moment"
            f"{_patients(info)} and the server stopped this save ({_PG_RETRY[state]}); "
            f"nothing was saved: try again")
    if state == "25006" or code == sqlite3.SQLITE_READONLY or "readonly database" in text_:
        return ReadOnlyDatabaseError(f"the database {db.where()} is read-only: nothing was saved")
    if state.startswith("53") or code == sqlite3.SQLITE_FULL:
        return DatabaseError(f"the disk holding the database {db.where()} is full: nothing was "
                             f"saved (free some space, then try again)")
    if (code == sqlite3.SQLITE_IOERR or "disk I/O error" in text_) and _disk_full(db.path):
        return DatabaseError(f"the disk holding the database {db.where()} is full: nothing was "
                             f"saved (free some space, then try again)")
    if code == sqlite3.SQLITE_IOERR or "disk I/O error" in text_:
        return DatabaseError(f"the disk holding the database {db.where()} reported an "
                             f"input/output error: nothing was saved")
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return DatabaseError(f"the database file {db.where()} is damaged ({text_}): restore "
                             f"a backup (main.py restore)")
    if _is_busy(exc):
        holder = read_holder(db.path) if db.path else None
        who = holder.words() if holder else "another program"
        return DatabaseBusyError(f"the database is in use by {who}; nothing was saved: try "
                                 f"again when it has finished", holder)
    if state.startswith("08") or getattr(exc, "connection_invalidated", False) or \
            "server closed the connection" in text_ or "connection" in text_.lower():
        return DatabaseError(f"lost the connection to the database server {db.where()} "
                             f"({text_}): nothing was saved; check the network and try again")
    return DatabaseError(f"the database {db.where()} refused the operation ({text_}); "
                         f"nothing was saved")


def _disk_full(path: Path | None) -> bool:
    """True when the folder of ``path`` has no room left (SQLite then reports an I/O error
    while creating its shared-memory file, not "disk full")."""
    if path is None:
        return False
    import shutil

    try:
        return shutil.disk_usage(path.parent).free < 64 * 1024
    except OSError:
        return False


def run_with_retry(call: Callable[[], T], attempts: int = TRANSACTION_ATTEMPTS) -> T:
    """``call()``, run again after a short random pause when the server broke its
    transaction off; after ``attempts`` the conflict (naming the patients) is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except TransientConflictError:
            if attempt == attempts:
                raise
            time.sleep(random.uniform(0.02, 0.1) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


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


def backup_sqlite_file(path: Path, dest: Path, *, overwrite: bool = True,
                       read_only: str | None = None,
                       finish: Callable[[sqlite3.Connection], None] | None = None) -> Path:
    """Consistent online copy of a live SQLite file (sqlite3 backup API), written
    atomically (``mdt.atomic``): the whole copy at ``dest``, or nothing and a WriteError.

    ``read_only`` opens the source as :func:`sqlite_access` says; ``finish`` may adjust
    the copy (e.g. its journal mode) before it is moved into place."""
    from mdt.atomic import atomic_path

    source = f"file:{quote(str(path.resolve()))}?mode=ro" + (
        "&immutable=1" if read_only == "immutable" else "") if read_only else str(path)
    with atomic_path(dest, overwrite=overwrite, make_folders=True) as tmp:
        src = sqlite3.connect(source, uri=bool(read_only))
        try:
            out = sqlite3.connect(str(tmp))
            try:
                src.backup(out)
                if finish is not None:
                    finish(out)
                out.commit()
            finally:
                out.close()
        except sqlite3.Error as exc:
            if "full" in str(exc) or "disk I/O" in str(exc):
                raise OSError(28 if "full" in str(exc) else 5, str(exc)) from exc
            raise
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


_APP_TABLES = ("patient", "audit_event", "member", "meeting")


def _check_versioned(engine: Engine, rev: str | None) -> None:
    """A database holding Liver MDT's tables but no schema version cannot be migrated
    (creating the tables again would fail half-way): say so, and what to do."""
    if rev is not None:
        return
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        if not names & set(_APP_TABLES):
            return
        recorded = ""
        if "app_meta" in names:
            with suppress(Exception):
                row = conn.execute(text("SELECT value FROM app_meta WHERE key = "
                                        "'schema_revision'")).first()
                recorded = f" (its app_meta table says it was at {row[0]!r})" if row else ""
    where = engine.url.render_as_string(hide_password=True)
    raise DatabaseError(
        f"the database {where} holds Liver MDT data but its schema version is missing (the "
        f"alembic_version table is empty or was dropped){recorded}, so this version cannot "
        f"tell how to open it safely; nothing was changed. Restore a backup (main.py restore), "
        f"or have an administrator put the revision back in alembic_version")


def migrate(engine: Engine, *, read_only: bool = False) -> list[Path]:
    """Upgrade to head; back up a non-empty SQLite file first.  Returns the backups."""
    rev = current_revision(engine)
    if rev == HEAD_REVISION:
        return []
    _check_versioned(engine, rev)
    from alembic import command

    check_not_newer(engine, rev)
    pending = pending_revisions(engine)
    if not pending:
        return []
    if read_only:
        where = engine.url.render_as_string(hide_password=True)
        raise ReadOnlyDatabaseError(
            f"the database {where} was written by an older version and must be upgraded "
            f"before this version can read it, but it is read-only; copy it to a writable "
            f"place and open the copy")
    backups: list[Path] = []
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if path and path.startswith("file:"):
            raise ReadOnlyDatabaseError("a database opened read-only cannot be upgraded")
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


def sqlite_access(path: Path) -> str | None:
    """How an existing SQLite file must be opened: None (read-write), ``"ro"`` (read-only
    file or folder: the WAL index may still be usable) or ``"immutable"`` (a read-only
    mount or disc, where not even the WAL index can be created)."""
    if not path.exists():
        return None
    folder = path.parent
    try:
        mount_ro = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # Windows has no statvfs
        mount_ro = False
    if mount_ro:
        return "immutable"
    if os.access(path, os.W_OK) and os.access(folder, os.W_OK):
        return None
    shm = path.with_name(path.name + "-shm")
    return "ro" if shm.exists() or os.access(folder, os.W_OK) else "immutable"


def _open_read_only(resolved: str, mode: str) -> tuple[Engine, str]:
    """An engine on a read-only SQLite file, falling back to ``immutable`` when SQLite
    cannot use the WAL index read-only."""
    for attempt in ((mode, "immutable") if mode == "ro" else ("immutable",)):
        engine = make_engine(resolved, read_only=attempt)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            return engine, attempt
        except Exception:  # noqa: BLE001 - try the next way, then report the last
            engine.dispose()
            if attempt == "immutable":
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def open_database(url: str | None = None, *, migrate_schema: bool = True) -> Database:
    """Open (and migrate) the database at ``url`` (``--db`` / MDT_DATABASE_URL / default).

    Raises DatabaseError with a readable message when it cannot be opened,
    NewerDatabaseError for a database made by a newer version.  An SQLite file that
    cannot be written (read-only file, folder, disk or mount) opens read-only.
    """
    resolved = database_url(url)
    read_only: str | None = None
    path: Path | None = None
    try:
        u = make_url(resolved)
        if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:") \
                and not str(u.database).startswith("file:"):
            path = Path(str(u.database))
            read_only = sqlite_access(path)
        if read_only:
            engine, read_only = _open_read_only(resolved, read_only)
        else:
            engine = make_engine(resolved)
    except DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - bad URL, missing driver, unreadable file
        raise DatabaseError(f"cannot use database URL {resolved!r}: {exc}") from exc
    try:
        if path is not None and not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        backups = migrate(engine, read_only=bool(read_only)) if migrate_schema else []
        if not migrate_schema and current_revision(engine) != HEAD_REVISION:
            check_not_newer(engine)
            if pending_revisions(engine):
                raise DatabaseError("the database schema is not up to date")
    except DatabaseError:
        engine.dispose()
        raise
    except Exception as exc:  # noqa: BLE001 - connection refused, unreadable file...
        engine.dispose()
        if _disk_full(path):
            raise DatabaseError(f"cannot open database {path}: the disk holding it is full (SQLite "
                                f"needs a little room beside the file even to read it); free some "
                                f"space, then try again") from exc
        why = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        raise DatabaseError(f"cannot open database {engine.url.render_as_string(hide_password=True)}"
                            f": {str(why).splitlines()[0] if str(why) else type(why).__name__}"
                            ) from exc
    return Database(url=resolved, engine=engine, backups=backups, read_only=bool(read_only),
                    path=path, access=read_only)
