"""Helpers for the end-to-end command-line tests (``tests/test_cli_*.py``).

Every command runs as a separate process (``sys.executable main.py ...``) from the
checkout that holds this file, with ``MDT_DATA_DIR`` pointed at a temporary folder,
exactly as a user would run it.  ``snapshot`` reads every table of a database
(SQLite or PostgreSQL) so a test can prove that a failed command wrote nothing.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.caseformat_fixtures import SPEC_EXAMPLE

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"

_pg_counter = itertools.count(1)

# The example case of docs/case-format.md (mdt-case/1), verbatim.
SPEC_CASE: dict[str, Any] = SPEC_EXAMPLE


def spec_case() -> dict[str, Any]:
    """A fresh deep copy of the example case (tests mutate it)."""
    return copy.deepcopy(SPEC_CASE)


def write_json(path: Path, obj: object) -> Path:
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False),
                    encoding="utf-8")
    return path


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's shell, minus any database URL, plus a private data dir."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MDT_DATABASE_URL", "MDT_USER", "PYTEST_CURRENT_TEST")}
    env.update(MDT_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen",
               PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8", MDT_USER="cli-test")
    env.update(extra)
    return env


class Cli:
    """Runs ``python main.py`` in a fresh process; ``db`` becomes the global ``--db``."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir

    def run(self, *args: str | Path, db: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 180, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, str(MAIN)]
        if db is not None:
            argv += ["--db", db]
        argv += [str(a) for a in args]
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, encoding="utf-8",
                              timeout=timeout, stdin=subprocess.DEVNULL,
                              env=env if env is not None else cli_env(self.data_dir))

    def signed_in(self, name: str, db: str, password: str = "cli-test-password") -> list[str]:
        """Global options that sign ``name`` in for a scripted command (``--password-file``);
        the member's first sign-in sets ``password`` (as ``main.py set-password`` would)."""
        pw = self.data_dir / f"password-{abs(hash(name))}.txt"
        pw.write_text(password + "\n", encoding="utf-8")
        args = ["--user", name, "--password-file", str(pw)]
        res = self.run(*args, "set-password", db=db)
        assert res.returncode == 0 or "already has a password" in res.stderr, res.stderr
        return args

    def ok(self, *args: str | Path, db: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run and insist on exit 0 (showing stderr otherwise)."""
        res = self.run(*args, db=db)
        assert res.returncode == 0, f"main.py {' '.join(map(str, args))}: exit {res.returncode}\n" \
                                    f"{res.stderr}"
        return res


def snapshot(url: str) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as sorted tuples of reprs: equal snapshots = nothing written."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        out: dict[str, list[tuple[str, ...]]] = {}
        with engine.connect() as conn:
            for name, table in sorted(meta.tables.items()):
                out[name] = sorted(tuple(repr(v) for v in row)
                                   for row in conn.execute(select(table)))
        return out
    finally:
        engine.dispose()


class Snapshots:
    """:func:`snapshot` of one database taken many times (a fuzz loop): one engine, and the
    schema reflected once, again only when the table names change.  Reflection is most of
    a snapshot's cost, and imports change rows, never tables."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import MetaData, create_engine

        self.engine = create_engine(url)
        self.meta = MetaData()

    def __call__(self) -> dict[str, list[tuple[str, ...]]]:
        from sqlalchemy import MetaData, inspect, select

        with self.engine.connect() as conn:
            if sorted(inspect(conn).get_table_names()) != sorted(self.meta.tables):
                self.meta = MetaData()
                self.meta.reflect(conn)
            return {name: sorted(tuple(repr(v) for v in row) for row in conn.execute(select(table)))
                    for name, table in sorted(self.meta.tables.items())}

    def close(self) -> None:
        self.engine.dispose()


def create_pg_database(server_url: str, template: str | None = None) -> str:
    """A new database on the temporary server (empty, or a copy of ``template``); its URL."""
    import psycopg

    name = f"mdt_cli_{os.getpid()}_{next(_pg_counter)}"
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')  # type: ignore[arg-type]
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(server_url: str, url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def new_database(request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """An empty database URL on the back end named by ``request.param``; dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{folder / 'mdt.sqlite3'}"
        return
    server = str(request.getfixturevalue("pg_server_url"))
    url = create_pg_database(server)
    try:
        yield url
    finally:
        drop_pg_database(server, url)
