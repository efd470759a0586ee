"""A real, temporary PostgreSQL server for the storage tests.

``pg_server_url`` (session): ``initdb`` a throw-away cluster in a temporary
folder (as the ``postgres`` user when the tests run as root: PostgreSQL refuses
to run as root), listening on 127.0.0.1 on a free port with its socket in the
same folder; stopped and deleted at the end.  ``pg_url`` (per test): a fresh,
empty database on that server.  ``db_url`` runs a test on both back ends
(``sqlite`` and ``postgresql``).

Without PostgreSQL binaries the PostgreSQL cases are skipped with the reason,
except when ``CI=true``: there they fail, so CI can never silently skip them.
Import them explicitly: ``from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401``.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_counter = itertools.count(1)


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(Path(p).parent.parent.name)
                        if Path(p).parent.parent.name.isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests cannot run on CI: {reason}")
    pytest.skip(f"PostgreSQL not available: {reason} (install the Debian package 'postgresql')")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], as_user: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(as_user + cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of the default database of a temporary PostgreSQL cluster."""
    bindir = _bin_dir()
    if bindir is None or not (bindir / "initdb").exists():
        _unavailable("initdb/pg_ctl not found")
    assert bindir is not None
    as_user: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="mdt-pg-"))
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            _unavailable("running as root without runuser")
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("no 'postgres' system user")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    os.chmod(tmp, 0o700)
    data, sock, log = tmp / "data", tmp / "sock", tmp / "server.log"
    port = _free_port()
    started = False
    try:
        r = _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync"], as_user)
        if r.returncode != 0:
            pytest.fail(f"initdb failed: {r.stderr or r.stdout}")
        _run(["mkdir", "-p", str(sock)], as_user)
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        r = _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log),
                  "-w", "-t", "60", "start"], as_user)
        if r.returncode != 0:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"pg_ctl start failed: {r.stderr or r.stdout}\n{server_log}")
        started = True
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                 as_user)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database for one test (dropped afterwards)."""
    import psycopg

    name = f"mdt_test_{os.getpid()}_{next(_counter)}"
    plain = pg_server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on an SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mdt.sqlite3'}"
    return str(request.getfixturevalue("pg_url"))
