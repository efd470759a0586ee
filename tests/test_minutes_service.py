"""Minutes and course reports from the database: the service-backed collector and the CLI.

Uses the demo data (mdt.demo) stored through MdtService, the real protocol
engine, and the chair's signature, as the window and ``main.py`` do.
"""

from __future__ import annotations

import re
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

import main
from mdt.services import Actor, MdtService, seed_demo_if_empty
from mdt.store.db import open_database
from tests.signin_fixtures import TEST_PASSWORD, signed_in


def text_of(path: Path | bytes) -> str:
    reader = PdfReader(BytesIO(path) if isinstance(path, bytes) else str(path))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in reader.pages))


@pytest.fixture()
def demo_db(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'mdt.db'}"
    db = open_database(url)
    seed_demo_if_empty(db)
    members = MdtService(db, Actor("test")).list_members()
    chair = next(m for m in members if m.role == "chair")
    svc = MdtService(db, signed_in(db, chair.name))
    yield url, svc
    db.close()


def test_minutes_of_the_demo_meeting_name_every_agenda_patient(demo_db, tmp_path: Path) -> None:
    from mdt.minutes import write_minutes

    url, svc = demo_db
    meeting = svc.list_meetings()[0]
    path = write_minutes(svc, meeting.id, tmp_path / "m.pdf")
    text = text_of(path)
    agenda = svc.get_meeting(meeting.id).agenda
    assert agenda
    for item in agenda:
        assert f"ID {item.patient_id}" in text
    assert "DRAFT" in text and "Protocol criteria:" in text and "Page 1 of" in text


def test_signed_minutes_reprint_identically_and_amendments_are_appended(demo_db, tmp_path: Path) -> None:
    from mdt.minutes import write_minutes

    url, svc = demo_db
    meeting_id = svc.list_meetings()[0].id
    pid = svc.get_meeting(meeting_id).agenda[0].patient_id
    record = next(r for r in svc.list_reviews(pid) if r.review.date == svc.get_meeting(meeting_id).date)
    decided = replace(record.review, panel=replace(record.review.panel, decision=replace(
        record.review.panel.decision or _decision(), rationale="Original rationale as decided")))
    svc.save_review(record.review_id, decided, record.version, "decision recorded")
    svc.sign_meeting(meeting_id, TEST_PASSWORD)

    first = write_minutes(svc, meeting_id, tmp_path / "a.pdf").read_bytes()
    second = write_minutes(svc, meeting_id, tmp_path / "b.pdf").read_bytes()
    assert first == second
    assert "Issued" in text_of(first) and "DRAFT" not in text_of(first)

    locked = next(r for r in svc.list_reviews(pid) if r.review_id == record.review_id)
    assert locked.locked
    changed = replace(locked.review, panel=replace(locked.review.panel, decision=replace(
        locked.review.panel.decision, rationale="Changed after signing")))
    svc.amend_review(locked.review_id, changed, locked.version, "wrong rationale typed")
    text = text_of(write_minutes(svc, meeting_id, tmp_path / "c.pdf"))
    # The signed text stays; the change is shown as an amendment, never silently.
    assert "Original rationale as decided" in text
    assert "Changed after signing" not in text.split("Amendments after signing")[0]
    assert "Amendments after signing (1)" in text
    assert "wrong rationale typed" in text


def _decision():
    from mdt.case import Decision

    return Decision(resectability="convertible", plan="continue_induction")


def test_course_report_shows_every_review_and_the_outcome(demo_db, tmp_path: Path) -> None:
    from mdt.minutes import write_course_report

    url, svc = demo_db
    case = next(c for c in (svc.get_case(r.patient_id) for r in svc.list_patients())
                if c.treatment and c.treatment.outcome == "converted")
    text = text_of(write_course_report(svc, case.patient.id, tmp_path / "r.pdf"))
    assert "Patient course report" in text and "Target-sum chart" in text
    assert f"Reviews ({len(case.reviews)})" in text
    for review in case.reviews:
        assert review.date.isoformat() in text
    assert "Decisions" in text and "Outcome" in text and "Converted to resectable" in text
    assert re.search(r"Page 1 of \d", text)


def test_cli_minutes_and_report(demo_db, tmp_path: Path, capsys) -> None:
    url, svc = demo_db
    meeting_id = svc.list_meetings()[0].id
    pid = svc.list_patients()[0].patient_id
    out = tmp_path / "minutes.pdf"
    assert main.main(["--db", url, "minutes", "--meeting", meeting_id, "--out", str(out)]) == 0
    assert f"Meeting {meeting_id}" in text_of(out)
    report = tmp_path / "report.pdf"
    assert main.main(["--db", url, "report", "--patient", pid, "--out", str(report), "--pdfa"]) == 0
    from mdt.minutes import pdfa_markers

    assert pdfa_markers(report.read_bytes())["part"] == "2"
    assert f"(ID {pid})" in text_of(report)


@pytest.mark.parametrize(("argv", "message"), [
    (["minutes", "--meeting", "NO-SUCH", "--out", "x.pdf"], "NO-SUCH"),
    (["report", "--patient", "NO-SUCH", "--out", "x.pdf"], "NO-SUCH"),
])
def test_cli_unknown_ids_exit_2_with_a_message(demo_db, tmp_path: Path, capsys, argv, message) -> None:
    url, _ = demo_db
    argv = [a if a != "x.pdf" else str(tmp_path / "x.pdf") for a in argv]
    assert main.main(["--db", url, *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_cli_requires_out(demo_db) -> None:
    url, _ = demo_db
    with pytest.raises(SystemExit) as exc:
        main.main(["--db", url, "minutes", "--meeting", "X"])
    assert exc.value.code == 2
