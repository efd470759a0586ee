"""Audit trail: one event per change in the same transaction, append-only in the
database itself, and a SHA-256 chain that ``audit verify`` checks."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import main
from mdt.case import Patient, ProtocolRef
from mdt.errors import ValidationError
from mdt.meeting import AgendaItem, Meeting
from mdt.store import audit
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.signin_fixtures import TEST_PASSWORD
from tests.store_fixtures import Workstation, make_case, make_review, ws  # noqa: F401


def _events(ws: Workstation) -> list[tuple[int, str, str]]:  # noqa: F811
    return [(e.id, e.action, e.actor) for e in reversed(ws.chair.audit_events())]


def test_every_change_writes_one_audit_event_with_before_and_after(ws: Workstation) -> None:  # noqa: F811
    # The three members registered by the fixture, each with a first password.
    start = len(_events(ws))
    assert [a for _, a, _ in _events(ws)].count("member.add") == 3
    assert [a for _, a, _ in _events(ws)].count("member.password") == 3
    assert start == 6
    svc = ws.coordinator
    svc.create_patient(Patient(id="P1", name="ROE^ANN", sex="F", birth_date=date(1950, 1, 1)),
                       ProtocolRef(id="NCT05103020", arm="B"))
    rec = svc.add_review("P1", make_review(date(2026, 2, 1)))
    svc.save_review(rec.review_id, dataclasses.replace(rec.review, ecog=2), rec.version,
                    "ECOG corrected after clinic letter")
    svc.update_patient(Patient(id="P1", name="ROE^ANNE", sex="F", birth_date=date(1950, 1, 1)))
    svc.archive_patient("P1", "moved to another hospital")
    svc.create_meeting(Meeting(id="LIV-1", date=date(2026, 2, 1),
                               agenda=(AgendaItem(patient_id="P1"),)))
    actions = [a for _, a, _ in _events(ws)][start:]
    assert actions == ["patient.create", "review.add", "review.save", "patient.update",
                       "patient.archive", "meeting.create"]
    history = ws.chair.patient_history("P1")
    assert [e.action for e in history] == actions[:5]
    save = history[2]
    assert save.actor == "Ms Coordinator"
    assert save.before["review"]["ecog"] == 1 and save.after["review"]["ecog"] == 2
    assert save.after["reason"] == "ECOG corrected after clinic letter"
    assert "ECOG performance status 1 → 2" in save.after["changes"]  # the one diff, in words
    assert history[3].before["name"] == "ROE^ANN" and history[3].after["name"] == "ROE^ANNE"
    assert ws.chair.verify_audit().ok


def test_a_failed_action_writes_neither_change_nor_audit(ws: Workstation) -> None:  # noqa: F811
    before = _events(ws)
    with pytest.raises(ValidationError):
        ws.chair.import_cases([make_case("OK-1"), make_case("")])
    assert _events(ws) == before
    assert ws.chair.list_patients() == []


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET actor = 'mallory' WHERE id = 1",
    "DELETE FROM audit_event WHERE id = 1",
])
def test_database_refuses_update_and_delete_of_audit_rows(ws: Workstation, statement: str) -> None:  # noqa: F811
    with pytest.raises(DBAPIError, match="append-only"):
        with ws.db.engine.begin() as conn:
            conn.execute(text(statement))
    assert ws.chair.verify_audit().ok


def _tamper(ws: Workstation, statement: str) -> None:  # noqa: F811
    """Change the table behind the application's back, with the guard disabled."""
    with ws.db.engine.begin() as conn:
        if ws.db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
            conn.execute(text(statement))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            conn.execute(text(statement))
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


def _populate(ws: Workstation) -> None:  # noqa: F811
    ws.chair.import_cases([make_case("P1"), make_case("P2")])


def test_verify_names_a_row_altered_directly_in_sql(ws: Workstation, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    _populate(ws)
    assert main.main(["--db", ws.db.url, "audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    victim = ws.chair.patient_history("P2")[1].id  # P2's first review.add
    forged = json.dumps({"version": 1, "reason": "import", "review": {"forged": True}})
    _tamper(ws, f"UPDATE audit_event SET after = '{forged}' WHERE id = {victim}")
    result = ws.chair.verify_audit()
    assert not result.ok and result.first_broken_id == victim
    assert f"#{victim}" in result.message and "altered" in result.message
    assert main.main(["--db", ws.db.url, "audit", "verify"]) != 0
    err = capsys.readouterr().err
    assert f"audit event #{victim}" in err and "review.add" in err


def test_verify_names_a_deleted_row(ws: Workstation) -> None:  # noqa: F811
    _populate(ws)
    _tamper(ws, "DELETE FROM audit_event WHERE id = 5")
    result = ws.chair.verify_audit()
    assert not result.ok and result.first_broken_id == 5 and "missing" in result.message


def test_verify_detects_a_rehashed_row_by_its_successor(ws: Workstation) -> None:  # noqa: F811
    """Re-hashing one altered row breaks the link to the next one."""
    _populate(ws)
    with ws.db.read() as s:
        from mdt.store.models import AuditEventModel

        row = s.get(AuditEventModel, 4)
        assert row is not None
        prev = row.prev_hash
        s.expunge(row)
        row.actor = "mallory"
        new_hash = audit.compute_hash(prev, row)
    _tamper(ws, f"UPDATE audit_event SET actor = 'mallory', hash = '{new_hash}' WHERE id = 4")
    result = ws.chair.verify_audit()
    assert not result.ok and result.first_broken_id == 5 and "prev_hash" in result.message


def test_chain_links_each_event_to_the_previous(ws: Workstation) -> None:  # noqa: F811
    _populate(ws)
    events = list(reversed(ws.chair.audit_events(include_seals=True)))
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    with ws.db.read() as s:
        from mdt.store.models import AuditEventModel

        rows = s.query(AuditEventModel).order_by(AuditEventModel.id).all()
        assert rows[0].prev_hash == audit.GENESIS_HASH
        for a, b in zip(rows, rows[1:], strict=False):
            assert b.prev_hash == a.hash
    assert ws.chair.audit_head() == events[-1].hash


def test_change_and_audit_event_commit_or_fail_together(ws: Workstation,  # noqa: F811
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """If the audit event cannot be written, the change it records is not written either."""
    ws.chair.import_cases([make_case("P1", reviews=1)])
    rec = ws.chair.list_reviews("P1")[0]
    before = _events(ws)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("audit storage unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        ws.member.save_review(rec.review_id, dataclasses.replace(rec.review, ecog=3),
                              rec.version, "ECOG")
    with pytest.raises(RuntimeError):
        ws.member.create_patient(Patient(id="P2"))
    monkeypatch.undo()
    assert _events(ws) == before
    assert ws.chair.get_review(rec.review_id).version == 1
    assert [r.patient_id for r in ws.chair.list_patients()] == ["P1"]


def test_verify_detects_newest_rows_cut_after_a_signature(ws: Workstation) -> None:  # noqa: F811
    """A tail cut leaves a chain that is whole on its own; the signature's stored
    head anchors it."""
    from mdt.meeting import AgendaItem, Meeting

    _populate(ws)
    meeting = ws.chair.create_meeting(Meeting(id="LIV-T", date=date(2026, 3, 12), chair=ws.chair.actor.name,
                                              agenda=(AgendaItem(patient_id="P1"),)))
    sig = ws.chair.sign_meeting(meeting.id, TEST_PASSWORD)
    assert ws.chair.verify_audit().ok
    anchor = next(e.id for e in ws.chair.audit_events(limit=100) if e.hash == sig.audit_head)
    _tamper(ws, f"DELETE FROM audit_event WHERE id >= {anchor}")
    result = ws.chair.verify_audit()
    assert not result.ok and "LIV-T" in result.message and "deleted" in result.message
