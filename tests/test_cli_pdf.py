"""``main.py minutes`` and ``main.py report``: PDFs written by a separate process, read back
with pypdf, on SQLite and PostgreSQL.

The board is the demo data seeded with ``main.py demo``; the first agenda item gets three
differing votes and a decision, so the test can check that the minutes state each vote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pypdf
import pytest

from mdt import glossary
from mdt.case import Decision, Vote
from mdt.services import Actor, MdtService
from mdt.store.db import open_database
from tests.cli_fixtures import BACKENDS, Cli, new_database
from tests.pg_fixtures import pg_server_url  # noqa: F401
from tests.signin_fixtures import TEST_PASSWORD, signed_in

pytestmark = pytest.mark.xdist_group("cli_pdf")

VOTES = (Vote("Anne Martin", "hepatobiliary surgeon", "convertible"),
         Vote("Bo Chen", "hepatobiliary surgeon", "permanently_unresectable"),
         Vote("Chidi Okafor", "diagnostic radiologist", "resectable"))
RATING_LABEL = {"convertible": "Convertible", "permanently_unresectable": "Permanently unresectable",
                "resectable": "Resectable"}


@dataclass
class Board:
    cli: Cli
    url: str
    folder: Path
    meeting_id: str
    chair: str
    attendees: list[str]
    agenda_patients: list[str]
    voted_patient: str


@pytest.fixture(scope="module", params=BACKENDS)
def board(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Board]:
    folder = tmp_path_factory.mktemp(f"cli-pdf-{request.param}")
    cli = Cli(folder / "data")
    for url in new_database(request, folder):
        assert "demo data added" in cli.ok("demo", db=url).stdout
        db = open_database(url)
        try:
            svc = MdtService(db, Actor("cli-test"))
            meeting = svc.get_meeting(svc.list_meetings()[0].id)
            item = meeting.agenda[0]
            record = next(r for r in svc.list_reviews(item.patient_id)
                          if r.review.date == item.review_date)
            decision = Decision(resectability="convertible", plan="continue_induction",
                                rationale="Reassess after 4 more cycles of induction",
                                next_review=date(2027, 1, 14))
            # Ratings go one by one, each by a member present at the meeting.
            for vote in VOTES:
                record = svc.cast_vote(record.review_id, vote.member, vote.rating,
                                       patient_id=item.patient_id)
            svc.record_decision(record.review_id, decision, patient_id=item.patient_id,
                                expected_version=record.version)
            yield Board(cli, url, folder, meeting.id, meeting.chair,
                        [m.name for m in meeting.attendees],
                        [i.patient_id for i in meeting.agenda], item.patient_id)
        finally:
            db.close()


def pdf_text(path: Path) -> str:
    """The PDF's text with runs of white space collapsed (table cells wrap)."""
    assert path.read_bytes()[:5] == b"%PDF-"
    reader = pypdf.PdfReader(path)
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_minutes_state_the_meeting_and_every_vote_then_the_signature(board: Board) -> None:
    out = board.folder / "minutes.pdf"
    res = board.cli.ok("minutes", "--meeting", board.meeting_id, "--out", out, db=board.url)
    assert str(out) in res.stdout
    text = pdf_text(out)
    assert "Minutes of the liver tumour board" in text
    assert board.meeting_id in text and f"Chair {board.chair}" in text
    for name in board.attendees:
        assert name in text
    for patient_id in board.agenda_patients:
        assert f"ID {patient_id}" in text
    for vote in VOTES:
        assert f"{vote.member} {glossary.specialty_words(vote.role)} 1 {RATING_LABEL[vote.rating]}" in text
    assert "1 of 3 agree" in text
    assert "Reassess after 4 more cycles of induction" in text and "2027-01-14" in text
    assert "DRAFT, not signed" in text

    # The chair signs (in the application); the minutes printed next are the signed record.
    db = open_database(board.url)
    try:
        svc = MdtService(db, Actor("cli-test"))
        chair = next(m for m in svc.list_members() if m.name == board.chair)
        MdtService(db, signed_in(db, chair.name)).sign_meeting(board.meeting_id, TEST_PASSWORD)
    finally:
        db.close()
    signed = board.folder / "minutes-signed.pdf"
    board.cli.ok("minutes", "--meeting", board.meeting_id, "--out", signed, db=board.url)
    text = pdf_text(signed)
    assert "DRAFT" not in text
    assert f"signed by {board.chair}" in text
    assert board.cli.ok("audit", "verify", db=board.url).stdout.startswith("audit chain intact")


def test_course_report_of_a_patient(board: Board) -> None:
    out = board.folder / "report.pdf"
    res = board.cli.ok("report", "--patient", board.voted_patient, "--out", out, db=board.url)
    assert str(out) in res.stdout
    text = pdf_text(out)
    db = open_database(board.url)
    try:
        case = MdtService(db, Actor("cli-test")).get_case(board.voted_patient)
    finally:
        db.close()
    family, _, given = (case.patient.name or "").partition("^")
    assert "Patient course report" in text
    assert f"Hospital ID {case.patient.id}" in text and family in text and given in text
    assert case.protocol.id is not None and case.protocol.id in text
    assert f"Reviews ({len(case.reviews)})" in text
    for review in case.reviews:
        assert review.date.isoformat() in text
    assert "Reassess after 4 more cycles of induction" in text
    for vote in VOTES:
        assert vote.member in text


def test_archival_variant_is_pdfa(board: Board) -> None:
    import pikepdf

    out = board.folder / "report-a.pdf"
    board.cli.ok("report", "--patient", board.voted_patient, "--out", out, "--pdfa", db=board.url)
    with pikepdf.open(out) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status.startswith("2")


@pytest.mark.parametrize("argv", [["minutes", "--meeting", "LIV-1999-01-01"],
                                  ["report", "--patient", "NO-SUCH-MRN"]],
                         ids=["minutes", "report"])
def test_unknown_id_is_exit_2_and_writes_no_file(board: Board, argv: list[str]) -> None:
    out = board.folder / f"{argv[0]}-unknown.pdf"
    res = board.cli.run(*argv, "--out", out, db=board.url)
    assert res.returncode == 2
    assert argv[2] in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()


def test_unwritable_output_is_exit_1_with_a_message(board: Board) -> None:
    out = board.folder / "no-such-folder" / "m.pdf"
    res = board.cli.run("minutes", "--meeting", board.meeting_id, "--out", out, db=board.url)
    assert res.returncode == 1
    assert "cannot write" in res.stderr and "Traceback" not in res.stderr
