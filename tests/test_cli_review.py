"""``main.py review``: read and correct a review from the command line, through the same operations
as the window (mdt.review_edits for the field, mdt.review_ops for the save and the amendment rule).

Specification:
- ``review show`` prints every field as it would be typed, and the version it read;
- ``review set`` saves every FIELD=VALUE as ONE new version with the History tab's words;
- a bad value names the field in words, exits 2, and saves nothing;
- a review of signed minutes needs ``--amendment REASON`` (exit 1 without it, nothing saved),
  and with it the amendment is on the minutes;
- reading needs no sign-in, changing does.
Every case runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import main
from mdt.meeting import AgendaItem, Meeting
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.signin_fixtures import TEST_PASSWORD, cli_signin_args
from tests.store_fixtures import CHAIR, COORDINATOR, MEMBER, Workstation, make_case, ws  # noqa: F401

DAY = date(2026, 3, 12)


@pytest.fixture
def stored(ws: Workstation) -> Workstation:  # noqa: F811
    ws.coordinator.import_cases([make_case("P1")])
    return ws


def _run(ws: Workstation, capsys: pytest.CaptureFixture[str], *args: str,  # noqa: F811
         who: list[str] | None = None) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main.main(["--db", ws.db.url, *(who or []), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_show_prints_every_field_as_typed(stored: Workstation, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(stored, capsys, "review", "show", "P1", "--review", DAY.isoformat())
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"P1, review {DAY}: version 1 saved by")
    # Each field as typed, then its one name (mdt.field_names) and unit, as the History names it.
    said = {line.split("  ")[1].strip(): line.rsplit("  ", 1)[1] for line in lines[1:]}
    assert said["labs.bilirubin = 11"] == "Total bilirubin, µmol/L"
    assert said["lesions.L1.segments = VII, VIII"] == "L1 segments"
    assert said["clinical.ca19_9 = (not recorded)"] == "CA 19-9, U/mL"


def test_set_saves_one_version_with_the_history_words(stored: Workstation, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    who = cli_signin_args(stored.db, MEMBER.name, tmp_path)
    before = stored.member.list_reviews("P1")[-1]
    code, out, err = _run(stored, capsys, "review", "set", "P1", "labs.bilirubin=25",
                          "lesions.L1.diameter_mm=36", "--reason", "lab correction", who=who)
    assert code == 0, err
    after = stored.member.list_reviews("P1")[-1]
    assert after.version == before.version + 1
    assert after.review.labs.bilirubin == 25 and after.review.lesion("L1").diameter_mm == 36
    # The saved reason and the History line name the field alike (mdt.field_names).
    assert after.reason == "lab correction: Total bilirubin 11 → 25 µmol/L; L1 diameter 39 → 36 mm"
    assert "saved as version 2" in out and "  Total bilirubin 11 → 25 µmol/L" in out.splitlines()


@pytest.mark.parametrize(("assignment", "words"), [
    ("lesions.L1.diameter_mm=0", "L1 diameter (lesions[0].diameter_mm): must be > 0 mm"),
    ("labs.bilirubin=high", "'high' is not a number"),
    ("lesions.L7.status=present", "no lesion L7 in this review (lesions: L1, L2, L3)"),
    ("bilirubin", "write FIELD=VALUE"),
])
def test_a_bad_value_names_the_field_and_saves_nothing(stored: Workstation, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       assignment: str, words: str) -> None:
    who = cli_signin_args(stored.db, MEMBER.name, tmp_path)
    before = stored.member.list_reviews("P1")
    code, _out, err = _run(stored, capsys, "review", "set", "P1", "labs.plt=99", assignment, who=who)
    assert code == 2
    assert words in err
    assert stored.member.list_reviews("P1") == before


def test_signed_minutes_need_an_amendment_reason(stored: Workstation, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    stored.coordinator.create_meeting(Meeting(
        id="LIV-2026-03-12", date=DAY, start_time="08:00", board="Liver MDT", chair=CHAIR.name,
        attendees=(CHAIR, MEMBER), agenda=(AgendaItem(patient_id="P1", review_date=DAY),)))
    stored.chair.sign_meeting("LIV-2026-03-12", TEST_PASSWORD)
    who = cli_signin_args(stored.db, COORDINATOR.name, tmp_path)
    before = stored.member.list_reviews("P1")
    code, _out, err = _run(stored, capsys, "review", "set", "P1", "labs.bilirubin=25", who=who)
    assert code == 1 and "give --amendment REASON; nothing was saved" in err
    assert stored.member.list_reviews("P1") == before
    code, out, err = _run(stored, capsys, "review", "set", "P1", "labs.bilirubin=25",
                          "--amendment", "bilirubin transcribed from the wrong date", who=who)
    assert code == 0, err
    assert "an amendment to the signed minutes" in out
    amendments = stored.chair.get_meeting("LIV-2026-03-12").amendments
    assert amendments[-1].reason.startswith("bilirubin transcribed from the wrong date")


def test_changing_needs_a_sign_in(stored: Workstation, capsys: pytest.CaptureFixture[str]) -> None:
    before = stored.member.list_reviews("P1")
    code, _out, err = _run(stored, capsys, "review", "set", "P1", "labs.bilirubin=25")
    assert code in (1, 2) and "password" in err.lower()
    assert stored.member.list_reviews("P1") == before


def test_fields_lists_what_set_takes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["review", "fields"]) == 0
    out = capsys.readouterr().out.splitlines()
    said = {line.split()[0]: " ".join(line.split()[1:]) for line in out}
    assert said["labs.bilirubin"] == "Total bilirubin, 0–3000 µmol/L"
    assert said["lesions.<id>.diameter_mm"] == "Lesion diameter, > 0 and ≤ 300 mm"
    assert said["remnant.flr_ml"] == "Future remnant volume (FLR), > 0 and ≤ 15 000 mL"
    assert said["labs.proteinuria"] == "Dipstick proteinuria"
