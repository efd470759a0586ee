"""The schema is built by Alembic from empty, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from mdt.services import Actor, MdtService
from mdt.store.db import (
    NewerDatabaseError,
    alembic_config,
    current_revision,
    make_engine,
    open_database,
    script_directory,
)
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.store_fixtures import make_case

EXPECTED_TABLES = {
    "app_meta", "patient", "treatment_course", "treatment_cycle", "review", "review_version",
    "member", "meeting", "meeting_attendee", "agenda_item", "signature", "amendment",
    "audit_event", "alembic_version", "follow_up", "local_treatment_event", "progression_event",
}


def test_migrates_from_empty_to_head(db_url: str) -> None:  # noqa: F811
    db = open_database(db_url)
    try:
        heads = script_directory().get_heads()
        assert current_revision(db.engine) in heads
        assert EXPECTED_TABLES <= set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            meta = dict(conn.execute(text("SELECT key, value FROM app_meta")).all())
        assert meta["schema_revision"] == current_revision(db.engine)
        # No drift between the typed models and the migrations.
        with db.engine.begin() as conn:
            command.check(alembic_config(conn))
    finally:
        db.close()


def test_head_revision_constant_matches_alembic_head() -> None:
    """open_database skips Alembic for a database already at HEAD_REVISION."""
    from mdt.store.db import HEAD_REVISION

    assert script_directory().get_heads() == [HEAD_REVISION]


def test_initial_revision_id_is_0001() -> None:
    script = script_directory()
    base = [r for r in script.walk_revisions() if r.down_revision is None]
    assert [r.revision for r in base] == ["0001"]


def test_opening_again_is_a_no_op(db_url: str) -> None:  # noqa: F811
    open_database(db_url).close()
    db = open_database(db_url)
    try:
        assert db.backups == []
    finally:
        db.close()


def test_sqlite_connections_have_the_safety_pragmas(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        db.close()


def test_sqlite_file_is_backed_up_before_a_pending_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # a database left at the first revision by an older version
        command.upgrade(alembic_config(conn), "0001")
    engine.dispose()
    heads = script_directory().get_heads()
    if heads == ["0001"]:
        pytest.skip("only one revision exists: nothing is pending")  # pragma: no cover
    db = open_database(f"sqlite:///{path}")
    try:
        assert len(db.backups) == 1
        backup = db.backups[0]
        assert backup.exists() and backup.parent == tmp_path / "backups"
        with sqlite3.connect(backup) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
        assert current_revision(db.engine) in heads
    finally:
        db.close()


def test_empty_new_file_is_not_backed_up(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        assert db.backups == []
        assert not (tmp_path / "backups").exists()
    finally:
        db.close()


def test_refuses_a_database_made_by_a_newer_version(db_url: str) -> None:  # noqa: F811
    db = open_database(db_url)
    MdtService(db, Actor("t")).import_cases([make_case()])
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    db.close()
    with pytest.raises(NewerDatabaseError, match="newer version"):
        open_database(db_url)
    engine = create_engine(db_url)
    with engine.connect() as conn:  # and it was left untouched
        assert conn.execute(text("SELECT count(*) FROM patient")).scalar() == 1
    engine.dispose()


def test_downgrade_to_empty_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    open_database(url).close()
    engine = make_engine(url)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    open_database(url).close()
