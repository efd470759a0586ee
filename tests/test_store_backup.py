"""``backup --out FILE`` and ``restore``: consistent copies, on both back ends."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

import main
from mdt.backup import BackupError, backup, restore
from mdt.demo import demo_cases
from mdt.services import Actor, MdtService
from mdt.store.db import open_database
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.store_fixtures import Workstation, make_case, make_review, open_workstation, ws  # noqa: F401


def test_backup_and_restore_round_trip(ws: Workstation, tmp_path: Path,  # noqa: F811
                                       capsys: pytest.CaptureFixture[str]) -> None:
    cases = demo_cases()
    ws.coordinator.import_cases(cases)
    out = tmp_path / "copy.sqlite3"
    assert main.main(["--db", ws.db.url, "backup", "--out", str(out)]) == 0
    assert "audit chain intact" in capsys.readouterr().out
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert main.main(["--db", ws.db.url, "backup", "--out", str(out)]) == 2  # never overwrites
    target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    assert main.main(["--db", target, "restore", str(out)]) == 0
    db = open_database(target)
    try:
        svc = MdtService(db, Actor("check"))
        for case in cases:
            assert svc.export_case(case.patient.id) == case
        assert svc.verify_audit().ok
        assert len(svc.list_members()) == 3
        # the restored database keeps working: ids continue after the copied rows
        svc.add_review(cases[0].patient.id, make_review(svc.get_case(
            cases[0].patient.id).reviews[-1].date))
        assert svc.verify_audit().ok
    finally:
        db.close()


def test_restore_refuses_to_overwrite_data_without_force(tmp_path: Path) -> None:
    a = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    b_path = tmp_path / "b.sqlite3"
    for url, pid in ((a, "A1"), (f"sqlite:///{b_path}", "B1")):
        db = open_database(url)
        MdtService(db, Actor("t")).import_cases([make_case(pid)])
        db.close()
    db = open_database(a)
    info = backup(db, tmp_path / "a-copy.sqlite3")
    db.close()
    with pytest.raises(BackupError, match="--force"):
        restore(info.path, f"sqlite:///{b_path}")
    restore(info.path, f"sqlite:///{b_path}", force=True)
    kept = list((tmp_path / "backups").glob("b-before-restore-*.sqlite3"))
    assert len(kept) == 1  # the replaced database was kept
    db = open_database(f"sqlite:///{b_path}")
    try:
        assert [r.patient_id for r in MdtService(db, Actor("t")).list_patients()] == ["A1"]
    finally:
        db.close()


def test_restore_rejects_files_that_are_not_backups(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BackupError, match="not a Liver MDT backup"):
        restore(junk, f"sqlite:///{tmp_path / 'x.sqlite3'}")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(BackupError, match="not a Liver MDT backup"):
        restore(other, f"sqlite:///{tmp_path / 'x.sqlite3'}")


def test_backup_is_consistent_while_another_workstation_writes(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    station = open_workstation(db_url)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        k = 0
        try:
            while not stop.is_set():
                station.coordinator.import_cases([make_case(f"W{k}", reviews=1)])
                k += 1
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        infos = []
        for i in range(3):
            db = open_database(db_url)
            infos.append(backup(db, tmp_path / f"online-{i}.sqlite3"))
            db.close()
    finally:
        stop.set()
        thread.join(30)
        station.db.close()
    assert errors == []
    for info in infos:
        assert info.audit_ok, info.audit_message
        with sqlite3.connect(info.path) as conn:
            patients = conn.execute("SELECT count(*) FROM patient").fetchone()[0]
            reviews = conn.execute("SELECT count(*) FROM review").fetchone()[0]
            events = conn.execute("SELECT count(*) FROM audit_event "
                                  "WHERE action != 'data.seal'").fetchone()[0]
            seals = conn.execute("SELECT count(*) FROM audit_event "
                                 "WHERE action = 'data.seal'").fetchone()[0]
        # one snapshot: each patient came with its review, its two audit events and their
        # data seal (the fixture's three members each added and given a first password)
        assert reviews == patients and events == 6 + 2 * patients and seals == 6 + patients


def test_postgresql_backup_restores_into_an_empty_postgresql(pg_url: str, pg_server_url: str,  # noqa: F811
                                                             tmp_path: Path) -> None:
    import psycopg

    db = open_database(pg_url)
    svc = MdtService(db, Actor("pg"))
    cases = demo_cases()
    svc.import_cases(cases)
    info = backup(db, tmp_path / "pg.sqlite3")
    db.close()
    assert info.audit_ok
    plain = pg_server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute('CREATE DATABASE "mdt_restore_target"')
    target = pg_server_url.rsplit("/", 1)[0] + "/mdt_restore_target"
    try:
        restored = restore(info.path, target)
        assert restored.audit_ok, restored.audit_message
        with pytest.raises(BackupError, match="already holds data"):
            restore(info.path, target)
        db = open_database(target)
        try:
            svc = MdtService(db, Actor("pg"))
            assert [svc.export_case(c.patient.id) for c in cases] == cases
            svc.add_review(cases[0].patient.id, make_review(cases[0].reviews[-1].date))
            assert svc.verify_audit().ok
        finally:
            db.close()
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "mdt_restore_target" WITH (FORCE)')
