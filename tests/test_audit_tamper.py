"""The audit trail against the attacks that matter: someone with the database file.

Each case tampers with a copy of a populated, signed SQLite database the way an
attacker with a SQL console would (dropping the append-only triggers first), then
``audit verify`` must say the chain is broken and name what was done in words.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import main
from mdt import demo
from mdt.meeting import Member
from mdt.services import Actor, MdtService, seed_demo_if_empty
from mdt.store import audit
from mdt.store.db import open_database
from mdt.store.seal import SEALED_TABLES
from tests.signin_fixtures import TEST_PASSWORD, as_member

_TEMPLATE: dict[str, object] = {}


def _build(path: Path) -> dict[str, object]:
    db = open_database(f"sqlite:///{path}")
    seed_demo_if_empty(db)
    chair = as_member(db, demo.CHAIR)
    coordinator = as_member(db, demo.COORDINATOR)
    coordinator.set_setting("signin.lock_minutes", "5")
    meeting_id = chair.list_meetings()[0].id
    sig = chair.sign_meeting(meeting_id, TEST_PASSWORD)
    chair.amend_meeting(meeting_id, "attendance corrected", "Bo Chen left at 09:10")
    coordinator.add_member(Member(name="Late Joiner", specialty="pathologist"))
    db.close()
    return {"meeting": meeting_id, "sign_event": sig.audit_event_id}


@pytest.fixture
def signed_db(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A fresh copy of one signed demo database per test (built once)."""
    if "path" not in _TEMPLATE:
        folder = tmp_path_factory.mktemp("tamper-template")
        path = folder / "signed.sqlite3"
        _TEMPLATE["facts"] = _build(path)
        _TEMPLATE["path"] = path
    copy = tmp_path / "db.sqlite3"
    shutil.copy(_TEMPLATE["path"], copy)  # type: ignore[arg-type]
    return copy, _TEMPLATE["facts"]  # type: ignore[return-value]


def _verify(path: Path) -> tuple[bool, str]:
    db = open_database(f"sqlite:///{path}")
    try:
        result = MdtService(db, Actor("auditor")).verify_audit()
    finally:
        db.close()
    return result.ok, result.message


def _sql(path: Path, *statements: str, params: tuple = ()) -> None:
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    con.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    for st in statements:
        con.execute(st, params) if params else con.execute(st)
    con.commit()
    con.close()


def _events(con: sqlite3.Connection) -> list[dict[str, object]]:
    con.row_factory = sqlite3.Row
    return [dict(r) for r in con.execute("SELECT * FROM audit_event ORDER BY id")]


def _rehash_from(con: sqlite3.Connection, start: int) -> None:
    """What a careful attacker does after an edit: recompute every later hash."""
    rows = _events(con)
    prev = audit.GENESIS_HASH if start == 1 else rows[start - 2]["hash"]
    for r in rows[start - 1:]:
        body = {"id": r["id"], "at": r["occurred_at"], "actor": r["actor"], "action": r["action"],
                "entity": r["entity"], "entity_id": r["entity_id"], "patient": r["patient_mrn"],
                "before": json.loads(r["before"]), "after": json.loads(r["after"])}
        h = hashlib.sha256((prev + audit.canonical_json(body)).encode("utf-8")).hexdigest()
        con.execute("UPDATE audit_event SET prev_hash = ?, hash = ? WHERE id = ?", (prev, h, r["id"]))
        prev = h


def _append(con: sqlite3.Connection, action: str, entity: str, entity_id: str, after: object) -> str:
    """A correctly hashed event appended at the end of the chain."""
    last = _events(con)[-1]
    body = {"id": last["id"] + 1, "at": "2030-01-01T00:00:00.000000+00:00", "actor": demo.CHAIR,
            "action": action, "entity": entity, "entity_id": entity_id, "patient": None,
            "before": None, "after": after}
    h = hashlib.sha256((last["hash"] + audit.canonical_json(body)).encode("utf-8")).hexdigest()
    con.execute("INSERT INTO audit_event VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (body["id"], body["at"], demo.CHAIR, action, entity, entity_id, None, "null",
                 audit.canonical_json(after), last["hash"], h))
    return h


def test_untouched_database_is_intact_and_the_signature_covers_the_sign_event(signed_db) -> None:
    path, facts = signed_db
    ok, message = _verify(path)
    assert ok, message
    assert "1 signature(s) valid" in message and "match their seals" in message
    con = sqlite3.connect(path)
    head, event_id, action = con.execute(
        "SELECT s.audit_head, s.audit_event_id, e.action FROM signature s "
        "JOIN audit_event e ON e.id = s.audit_event_id").fetchone()
    assert event_id == facts["sign_event"] and action == "meeting.sign"
    assert head == con.execute("SELECT hash FROM audit_event WHERE id = ?", (event_id,)).fetchone()[0]


# --------------------------------------------------------------------------- the chain


def _row_edit(p: Path, f: dict) -> None:
    _sql(p, "UPDATE audit_event SET actor = 'Mallory' WHERE id = 5")


def _middle_delete(p: Path, f: dict) -> None:
    _sql(p, "DELETE FROM audit_event WHERE id = 7")


def _reorder(p: Path, f: dict) -> None:
    con = sqlite3.connect(p)
    con.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    a, b = _events(con)[9], _events(con)[10]
    cols = [c for c in a if c != "id"]
    for src, dst in ((a, b["id"]), (b, a["id"])):
        con.execute(f"UPDATE audit_event SET {', '.join(c + ' = ?' for c in cols)} WHERE id = ?",
                    (*[src[c] for c in cols], dst))
    con.commit()


def _cut_after_signature(p: Path, f: dict) -> None:
    # Everything after the sign event goes: the amendment and the new member vanish from
    # the trail, but the rows they wrote are still in the tables.
    _sql(p, f"DELETE FROM audit_event WHERE id > {f['sign_event'] + 1}")


def _cut_sign_event_onwards(p: Path, f: dict) -> None:
    _sql(p, f"DELETE FROM audit_event WHERE id >= {f['sign_event']}")


def _forged_append(p: Path, f: dict) -> None:
    # A second meeting "signed" by the chair: a correctly hashed sign event and a
    # signature row whose payload is signed by the attacker's own key.
    from cryptography.hazmat.primitives.asymmetric import ec

    from mdt import keys

    con = sqlite3.connect(p)
    con.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    con.execute("INSERT INTO meeting (id, meeting_date, created_at, row_version) "
                "VALUES ('FAKE-1', '2030-01-01', '2030-01-01 00:00:00', 1)")
    cert = con.execute("SELECT certificate_pem FROM signature").fetchone()[0]
    n = _events(con)[-1]["id"] + 1
    h = _append(con, "meeting.sign", "meeting", "FAKE-1",
                {"signer": demo.CHAIR, "certificate_sha256": keys.fingerprint(cert)})
    payload = audit.canonical_json({"meeting": "FAKE-1", "signer": demo.CHAIR,
                                    "signed_at": "2030-01-01T00:00:00.000000+00:00",
                                    "audit_event_id": n, "audit_head": h, "minutes_sha256": None})
    forged = keys.sign_bytes(ec.generate_private_key(ec.SECP256R1()), payload.encode())
    con.execute("INSERT INTO signature (meeting_id, signer, signed_at, audit_head, audit_event_id, "
                "certificate_pem, payload, signed_value) VALUES ('FAKE-1', ?, "
                "'2030-01-01 00:00:00.000000', ?, ?, ?, ?, ?)",
                (demo.CHAIR, h, n, cert, payload, forged))
    con.commit()


def _rehashed_chain(p: Path, f: dict) -> None:
    con = sqlite3.connect(p)
    con.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    con.execute("UPDATE audit_event SET actor = 'Mallory' WHERE id = 5")
    _rehash_from(con, 5)
    con.commit()


def _emptied_chain(p: Path, f: dict) -> None:
    _sql(p, "DELETE FROM audit_event")


CHAIN_ATTACKS: list[tuple[str, Callable[[Path, dict], None], str]] = [
    ("row edit", _row_edit, "audit event #5 (.*) was altered"),
    ("middle delete", _middle_delete, "audit event #7 is missing"),
    ("reorder", _reorder, "does not link|was altered"),
    ("cut from the end after a signature", _cut_after_signature,
     "has no audit event|cut from the end"),
    ("deletion of the sign event onwards", _cut_sign_event_onwards,
     "sign event and everything after it were deleted"),
    ("forged append", _forged_append, "meeting FAKE-1 .* does not verify .* forged"),
    ("re-hashed chain", _rehashed_chain, "rewritten and re-hashed"),
    ("emptied chain", _emptied_chain, "audit chain is empty but the database holds"),
]


@pytest.mark.parametrize(("attack", "tamper", "named"), CHAIN_ATTACKS, ids=[a[0] for a in CHAIN_ATTACKS])
def test_audit_verify_catches_each_attack_on_the_chain(signed_db, attack: str, tamper, named: str) -> None:
    path, facts = signed_db
    tamper(path, facts)
    ok, message = _verify(path)
    assert not ok, f"{attack} went unnoticed: {message}"
    import re

    assert re.search(named, message), message


# --------------------------------------------------------------------------- the data tables

DATA_EDITS: list[tuple[str, str, str]] = [
    ("patient", "UPDATE patient SET name = 'SWAPPED^NAME' WHERE id = 1", r"patient \S+ was changed"),
    ("treatment_course", "UPDATE treatment_course SET regimen = 'none' WHERE id = "
     "(SELECT min(id) FROM treatment_course)", "treatment record .* was changed"),
    ("treatment_cycle", "UPDATE treatment_cycle SET toxicity_grade = 4 WHERE id = "
     "(SELECT min(id) FROM treatment_cycle)", "treatment record .* was changed"),
    ("review", "UPDATE review SET locked_by_meeting = NULL WHERE locked_by_meeting IS NOT NULL",
     r"review \d+ \(patient .*\) .* was changed"),
    ("review_version", "UPDATE review_version SET content = replace(content, 'present', 'absent') "
     "WHERE id = (SELECT min(id) FROM review_version WHERE content LIKE '%present%')",
     r"version \d+ of review \d+ \(patient .*\) was changed"),
    ("member", "UPDATE member SET role = 'chair' WHERE name = 'Bo Chen'", "member Bo Chen was changed"),
    ("member_credential", "UPDATE member_credential SET password_hash = 'x' WHERE member_id = "
     "(SELECT id FROM member WHERE name = 'Anne Martin')",
     "password or signing key of Anne Martin was changed"),
    ("meeting", "UPDATE meeting SET board = 'Another board'", "meeting .* was changed"),
    ("meeting_attendee", "DELETE FROM meeting_attendee WHERE member_id = "
     "(SELECT id FROM member WHERE name = 'Bo Chen')",
     "attendance of Bo Chen at meeting .* was deleted"),
    ("agenda_item", "UPDATE agenda_item SET reason = 'other' WHERE id = (SELECT min(id) FROM agenda_item)",
     "agenda item of meeting .* was changed"),
    ("signature", "UPDATE signature SET signer = 'Bo Chen'", "signature of meeting"),
    ("amendment", "UPDATE amendment SET summary = 'nothing happened'", "amendment .* was changed"),
    ("setting", "UPDATE setting SET value = '0'", "setting signin.lock_minutes was changed"),
]


def test_every_sealed_table_has_a_tamper_case() -> None:
    assert sorted(t for t, _s, _n in DATA_EDITS) == sorted(SEALED_TABLES)


@pytest.mark.parametrize(("table", "statement", "named"), DATA_EDITS, ids=[d[0] for d in DATA_EDITS])
def test_audit_verify_catches_a_direct_edit_of_each_data_table(signed_db, table: str, statement: str,
                                                              named: str) -> None:
    path, _facts = signed_db
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys=OFF")
    assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, f"no {table} row to edit"
    changed = con.execute(statement).rowcount
    con.commit()
    con.close()
    assert changed > 0, statement
    ok, message = _verify(path)
    assert not ok, f"a direct edit of {table} went unnoticed: {message}"
    import re

    assert re.search(named, message), message


def test_a_row_added_outside_the_application_is_named(signed_db) -> None:
    path, _facts = signed_db
    _sql(path, "INSERT INTO member (name, specialty, role, active, row_version) "
               "VALUES ('Intruder', 'other', 'chair', 1, 1)")
    ok, message = _verify(path)
    assert not ok and "member Intruder has no audit event" in message


def test_command_line_audit_verify_exits_1_and_names_the_attack(signed_db, capsys) -> None:
    path, facts = signed_db
    _cut_sign_event_onwards(path, facts)
    assert main.main(["--db", f"sqlite:///{path}", "audit", "verify"]) == 1
    assert "sign event and everything after it were deleted" in capsys.readouterr().err
