"""``main.py audit verify``, ``main.py backup`` and ``main.py restore`` as separate processes,
on SQLite and PostgreSQL.

Tampering is done the way an insider with database access would: straight SQL, after
switching off the append-only trigger.  The chain check must then fail and name the first
broken link.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli_fixtures import (
    BACKENDS,
    Cli,
    create_pg_database,
    drop_pg_database,
    new_database,
    psycopg_url,
    snapshot,
    spec_case,
    write_json,
)
from tests.pg_fixtures import pg_server_url  # noqa: F401

pytestmark = pytest.mark.xdist_group("cli_audit_backup")


@dataclass
class Filled:
    cli: Cli
    url: str
    folder: Path
    backend: str


@pytest.fixture(scope="module", params=BACKENDS)
def seed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Filled]:
    """Demo patients, members and meeting, plus the spec example, filled once per back end."""
    folder = tmp_path_factory.mktemp(f"cli-audit-{request.param}")
    cli = Cli(folder / "data")
    for url in new_database(request, folder):
        cli.ok("demo", db=url)
        cli.ok(*cli.signed_in("Sophie Dubois", url), "import",
               write_json(folder / "spec.json", spec_case()), db=url)
        yield Filled(cli, url, folder, request.param)


@pytest.fixture
def filled(seed: Filled, request: pytest.FixtureRequest, tmp_path: Path) -> Filled:
    """A private copy of the seeded database (the tests tamper with it)."""
    if seed.backend == "sqlite":
        copy = tmp_path / "mdt.sqlite3"
        shutil.copyfile(seed.url.removeprefix("sqlite:///"), copy)
        return Filled(seed.cli, f"sqlite:///{copy}", tmp_path, seed.backend)

    server = str(request.getfixturevalue("pg_server_url"))
    url = create_pg_database(server, template=seed.url.rsplit("/", 1)[1])
    request.addfinalizer(lambda: drop_pg_database(server, url))
    return Filled(seed.cli, url, tmp_path, seed.backend)


def tamper(url: str, *statements: str) -> None:
    """Run SQL with the audit table's append-only triggers out of the way."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            conn.execute("DROP TRIGGER audit_event_no_update")
            conn.execute("DROP TRIGGER audit_event_no_delete")
            for sql in statements:
                conn.execute(sql)
            conn.commit()
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_event DISABLE TRIGGER USER")
        for sql in statements:
            conn.execute(sql)  # type: ignore[arg-type]
        conn.execute("ALTER TABLE audit_event ENABLE TRIGGER USER")


def audit_count(cli: Cli, url: str) -> int:
    res = cli.ok("audit", "verify", db=url)
    match = re.match(r"audit chain intact: (\d+) events, ", res.stdout)
    assert match, res.stdout
    return int(match.group(1))


def test_whole_chain_verifies_and_names_the_actor(filled: Filled) -> None:
    assert audit_count(filled.cli, filled.url) > 10
    log = filled.cli.ok("audit", "log", "--patient", "MRN-000123", db=filled.url).stdout
    assert "\tSophie Dubois\tpatient.create\tpatient MRN-000123\t" in log


def test_altered_row_breaks_the_chain_at_that_row(filled: Filled) -> None:
    n = audit_count(filled.cli, filled.url)
    first, later = n // 3, 2 * n // 3
    tamper(filled.url,
           f"UPDATE audit_event SET actor = 'mallory' WHERE id = {later}",
           f"UPDATE audit_event SET actor = 'mallory' WHERE id = {first}")
    res = filled.cli.run("audit", "verify", db=filled.url)
    assert res.returncode != 0
    assert f"audit event #{first} " in res.stderr and "altered" in res.stderr
    assert f"#{later}" not in res.stderr  # the FIRST broken link is named
    assert "Traceback" not in res.stderr


def test_deleted_row_breaks_the_chain(filled: Filled) -> None:
    n = audit_count(filled.cli, filled.url)
    tamper(filled.url, f"DELETE FROM audit_event WHERE id = {n // 2}")
    res = filled.cli.run("audit", "verify", db=filled.url)
    assert res.returncode != 0
    assert f"#{n // 2} is missing" in res.stderr


def test_the_trigger_stops_plain_sql_edits(filled: Filled) -> None:
    """Without dropping the trigger, an UPDATE is refused and the chain stays whole."""
    if filled.backend == "sqlite":
        conn = sqlite3.connect(filled.url.removeprefix("sqlite:///"))
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit_event SET actor = 'mallory' WHERE id = 1")
        conn.close()
    else:
        import psycopg

        with psycopg.connect(psycopg_url(filled.url), autocommit=True) as conn, \
                pytest.raises(psycopg.Error, match="append-only"):
            conn.execute("UPDATE audit_event SET actor = 'mallory' WHERE id = 1")
    audit_count(filled.cli, filled.url)


def _new_target(filled: Filled, request: pytest.FixtureRequest, name: str) -> str:
    """An empty database of the same back end for the restore."""
    if filled.backend == "sqlite":
        return f"sqlite:///{filled.folder / name}"
    server = str(request.getfixturevalue("pg_server_url"))
    url = create_pg_database(server)
    request.addfinalizer(lambda: drop_pg_database(server, url))
    return url


def test_backup_then_restore_round_trips(filled: Filled, request: pytest.FixtureRequest) -> None:
    cli, backup_file = filled.cli, filled.folder / "board-backup.sqlite3"
    n = audit_count(cli, filled.url)
    res = cli.ok("backup", "--out", backup_file, db=filled.url)
    assert str(backup_file) in res.stdout and f"audit chain intact: {n} events" in res.stdout
    before = cli.ok("export", "--all", db=filled.url).stdout
    log_before = cli.ok("audit", "log", "--limit", "1000", db=filled.url).stdout

    # Into an empty database of the same kind, and (from PostgreSQL) into an SQLite file.
    targets = [_new_target(filled, request, "restored.sqlite3")]
    if filled.backend != "sqlite":
        targets.append(f"sqlite:///{filled.folder / 'from-pg.sqlite3'}")
    for target in targets:
        res = cli.ok("restore", backup_file, db=target)
        assert f"audit chain intact: {n} events" in res.stdout
        assert cli.ok("export", "--all", db=target).stdout == before
        assert cli.ok("audit", "log", "--limit", "1000", db=target).stdout == log_before
        assert audit_count(cli, target) == n
        # The restored database is a working one: it takes new data and keeps the chain.
        case = spec_case()
        case["patient"]["id"] = "MRN-AFTER-RESTORE"
        cli.ok(*cli.signed_in("Sophie Dubois", target), "import",
               write_json(filled.folder / "after.json", case), db=target)
        assert audit_count(cli, target) > n


def test_restore_refuses_to_overwrite_data_and_backup_to_overwrite_a_file(filled: Filled) -> None:
    cli, backup_file = filled.cli, filled.folder / "b.sqlite3"
    cli.ok("backup", "--out", backup_file, db=filled.url)
    copy = backup_file.read_bytes()
    res = cli.run("backup", "--out", backup_file, db=filled.url)
    assert res.returncode == 2 and "already exists" in res.stderr
    assert backup_file.read_bytes() == copy

    before = snapshot(filled.url)
    res = cli.run("restore", backup_file, db=filled.url)
    assert res.returncode != 0 and "already holds data" in res.stderr
    assert snapshot(filled.url) == before
    res = cli.run("restore", filled.folder / "absent.sqlite3", db=filled.url)
    assert res.returncode == 2 and "no backup file" in res.stderr and "absent.sqlite3" in res.stderr
    assert snapshot(filled.url) == before
