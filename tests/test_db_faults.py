"""Database and disk faults are messages, never tracebacks, and never lose anything.

Every file-writing command against a full small disk and against places that cannot be
written; a database on a read-only place; a database whose schema version is missing; a
restore that must check its backup before it replaces anything.  Commands run
``main.main`` in process (exit 1 = failure with a message; 2 = refused input).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import main
from mdt.services import Actor, MdtService
from mdt.store.db import DatabaseError, ReadOnlyDatabaseError, open_database
from tests.cli_fixtures import snapshot
from tests.fs_fixtures import ReadOnlyPlace, SmallDisk, read_only_place, small_disk  # noqa: F401
from tests.store_fixtures import make_case


@dataclass
class Board:
    url: str
    path: Path
    patient: str
    meeting: str


def _copy(src: Path, dst: Path) -> None:
    """A consistent copy of an SQLite file (connections closed: the copy may be locked next)."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        b.close()
        a.close()


def _demo(path: Path) -> Board:
    url = f"sqlite:///{path}"
    assert main.main(["--db", url, "demo"]) == 0
    db = open_database(url)
    try:
        svc = MdtService(db, Actor("t"))
        return Board(url, path, svc.list_patients()[0].patient_id, svc.list_meetings()[0].id)
    finally:
        db.close()


@pytest.fixture(scope="module")
def board_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _demo(tmp_path_factory.mktemp("board") / "board.sqlite3").path


@pytest.fixture
def board(board_file: Path, tmp_path: Path) -> Board:
    """A private copy of the demo board (one seeding per module keeps the suite quick)."""
    copy = tmp_path / "board.sqlite3"
    _copy(board_file, copy)
    db = open_database(f"sqlite:///{copy}")
    try:
        svc = MdtService(db, Actor("t"))
        return Board(db.url, copy, svc.list_patients()[0].patient_id, svc.list_meetings()[0].id)
    finally:
        db.close()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


def _commands(b: Board, out: Path) -> dict[str, list[str]]:
    return {
        "export": ["--db", b.url, "export", "--all", "--out", str(out.with_suffix(".json"))],
        "backup": ["--db", b.url, "backup", "--out", str(out.with_suffix(".sqlite3"))],
        "minutes": ["--db", b.url, "minutes", "--meeting", b.meeting, "--out",
                    str(out.with_suffix(".pdf"))],
        "minutes-pdfa": ["--db", b.url, "minutes", "--meeting", b.meeting, "--pdfa", "--out",
                         str(out.with_suffix(".pdf"))],
        "report": ["--db", b.url, "report", "--patient", b.patient, "--out",
                   str(out.with_suffix(".pdf"))],
    }


COMMANDS = ["export", "backup", "minutes", "minutes-pdfa", "report"]


# --------------------------------------------------------------------------- a full disk


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_disk_leaves_no_file_and_a_message(board: Board, small_disk: SmallDisk,  # noqa: F811
                                                 capsys: pytest.CaptureFixture[str],
                                                 command: str) -> None:
    argv = _commands(board, small_disk.path / "out")[command]
    small_disk.fill()
    code, _out, err = _run(capsys, *argv)
    assert code == 1, err
    assert "the disk is full" in err and "nothing was written" in err, err
    assert small_disk.files() == set()  # no partial file, no temporary file left behind
    small_disk.free()
    code, _out, err = _run(capsys, *argv)  # and the name is free for the next try
    assert code == 0, err
    assert len(small_disk.files()) == 1


def test_a_full_disk_never_replaces_a_good_export_with_a_truncated_one(
        board: Board, small_disk: SmallDisk, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    out = small_disk.path / "one.json"
    assert _run(capsys, "--db", board.url, "export", "--patient", board.patient, "--out",
                str(out))[0] == 0
    good = out.read_bytes()
    small_disk.fill()
    code, _o, err = _run(capsys, "--db", board.url, "export", "--all", "--out", str(out))
    assert code == 1 and "(the file already there is unchanged)" in err, err
    assert out.read_bytes() == good
    assert small_disk.files() == {"one.json"}


def test_the_database_disk_filling_during_an_import_saves_nothing(
        small_disk: SmallDisk, board_file: Path, tmp_path: Path) -> None:  # noqa: F811
    if not small_disk.real:
        pytest.skip("needs a real full disk (a tmpfs mounted as root): SQLite writes it itself")
    path = small_disk.path / "db.sqlite3"
    _copy(board_file, path)
    db = open_database(f"sqlite:///{path}")
    try:
        svc = MdtService(db, Actor("t"))
        before = svc.export_case(svc.list_patients()[0].patient_id)
        small_disk.fill()
        big = [make_case(f"NEW-{i}", reviews=6) for i in range(40)]
        with pytest.raises(DatabaseError, match="full"):
            svc.import_cases(big)
        small_disk.free()
        assert svc.export_case(before.patient.id) == before
        assert [r.patient_id for r in svc.list_patients() if r.patient_id.startswith("NEW")] == []
        assert svc.verify_audit().ok
        svc.import_cases(big[:1])  # and it works again once there is room
    finally:
        db.close()


# --------------------------------------------------------------------------- unwritable places


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("where", "words"), [
    ("read-only", ("read-only disk", "permission denied")),
    ("/proc/x/y", ("folder does not exist", "permission denied")),
    ("long-name", ("file name is too long",)),
    ("a-folder", ("is a folder",)),
])
def test_an_unwritable_place_is_a_message(board: Board, read_only_place: ReadOnlyPlace,  # noqa: F811
                                          tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          command: str, where: str, words: tuple[str, ...]) -> None:
    if where == "read-only":
        read_only_place.lock()
        out = read_only_place.path / "out"
    elif where == "/proc/x/y":
        out = Path("/proc/x/y/out")
    elif where == "long-name":
        out = tmp_path / ("n" * 300)
    else:
        out = tmp_path / "folder"
    argv = _commands(board, out)[command]
    if where == "a-folder":
        target = Path(argv[-1])
        target.mkdir()
    code, _out, err = _run(capsys, *argv)
    assert code in (1, 2), err  # backup refuses an existing name as input (2)
    assert any(w in err for w in words) or (where == "a-folder" and "already exists" in err), err


# --------------------------------------------------------------------------- read-only database


def test_a_read_only_database_reads_verifies_exports_and_backs_up(
        board: Board, read_only_place: ReadOnlyPlace, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    path = read_only_place.path / "dvd.sqlite3"
    _copy(board.path, path)  # the copy stays in WAL mode, as a copied live file would
    read_only_place.lock()
    url = f"sqlite:///{path}"
    code, out, _ = _run(capsys, "--db", url, "audit", "verify")
    assert code == 0 and "audit chain intact" in out
    code, out, _ = _run(capsys, "--db", url, "export", "--patient", board.patient)
    assert code == 0 and json.loads(out)["patient"]["id"] == board.patient
    assert _run(capsys, "--db", url, "report", "--patient", board.patient, "--out",
                str(tmp_path / "r.pdf"))[0] == 0
    code, out, err = _run(capsys, "--db", url, "backup", "--out", str(tmp_path / "b.sqlite3"))
    assert code == 0 and "audit chain intact" in out, err
    assert _run(capsys, "--db", url, "cohort")[0] == 0
    doc = tmp_path / "c.json"
    doc.write_text(json.dumps({"format": "mdt-case/1", "patient": {"id": "NEW"}}), encoding="utf-8")
    code, _out, err = _run(capsys, "--db", url, "import", str(doc))
    assert code == 1 and "read-only" in err and "nothing was imported" in err, err
    db = open_database(url)
    try:
        assert db.read_only and db.access in ("ro", "immutable")
        with pytest.raises(ReadOnlyDatabaseError, match="read-only"):
            MdtService(db, Actor("t")).import_cases([make_case("NEW")])
    finally:
        db.close()


# --------------------------------------------------------------------------- schema version


@pytest.mark.parametrize("damage", ["DELETE FROM alembic_version", "DROP TABLE alembic_version"])
def test_a_missing_schema_version_is_a_clear_message(board: Board, damage: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with sqlite3.connect(board.path) as conn:
        conn.execute(damage)
    before = board.path.read_bytes()
    for argv in (["audit", "verify"], ["export", "--all"]):
        code, _out, err = _run(capsys, "--db", board.url, *argv)
        assert code == 1
        assert "schema version is missing" in err and "alembic_version" in err, err
        assert "Restore a backup" in err
    assert board.path.read_bytes() == before  # nothing was created or migrated


# --------------------------------------------------------------------------- restore


@pytest.fixture
def live(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    db = open_database(url)
    MdtService(db, Actor("t")).import_cases([make_case("LIVE-1")])
    db.close()
    yield url


def _backup_of(board: Board, tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    db = open_database(board.url)
    try:
        from mdt.backup import backup

        backup(db, out)
    finally:
        db.close()
    return out


@pytest.mark.parametrize("damage", ["audit", "newer", "damaged", "not-ours"])
def test_restore_checks_the_backup_before_replacing_anything(
        board: Board, live: str, tmp_path: Path, damage: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = _backup_of(board, tmp_path, "bad.sqlite3")
    with sqlite3.connect(bad) as conn:
        if damage == "audit":  # a tampered trail: restoring it would hide the tampering
            conn.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            conn.execute("UPDATE audit_event SET actor = 'someone else' WHERE id = 2")
        elif damage == "newer":
            conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        elif damage == "not-ours":
            conn.execute("DROP TABLE audit_event")
    if damage == "damaged":
        data = bytearray(bad.read_bytes())
        data[4096 * 3: 4096 * 3 + 512] = b"\xff" * 512
        bad.write_bytes(bytes(data))
    before = snapshot(live)
    code, _out, err = _run(capsys, "--db", live, "restore", "--force", str(bad))
    assert code == 1, err
    expected = {"audit": "audit trail", "newer": "newer version", "damaged": "is damaged",
                "not-ours": "not a Liver MDT backup"}[damage]
    assert expected in err, err
    assert snapshot(live) == before
    assert not (tmp_path / "backups").exists() or not list((tmp_path / "backups").iterdir())


def test_copies_kept_before_restores_are_pruned_to_the_setting(
        board: Board, live: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    good = _backup_of(board, tmp_path, "good.sqlite3")
    monkeypatch.setenv("MDT_RESTORE_COPIES_KEPT", "2")
    for _ in range(4):
        code, out, err = _run(capsys, "--db", live, "restore", "--force", str(good))
        assert code == 0, err
    kept = sorted((tmp_path / "backups").glob("live-before-restore-*.sqlite3"))
    assert len(kept) == 2
