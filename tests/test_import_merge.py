"""Imports never erase: absent fields keep what is stored, explicit nulls clear (and are
listed), signed records are refused with their path, and hostile values never crash.

Every case runs on SQLite and on PostgreSQL; command-line cases run ``main.main`` in
process (exit 2 = refused input, with each problem named; never a traceback).
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import main
from mdt import caseformat
from mdt.case import Patient
from mdt.errors import LockedError, LockedFieldsError, ValidationError
from mdt.meeting import AgendaItem, Meeting
from mdt.panel import plan_next_review
from tests.cli_fixtures import snapshot
from tests.import_model import expected_export
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.signin_fixtures import TEST_PASSWORD, cli_signin_args
from tests.store_fixtures import CHAIR, COORDINATOR, MEMBER, Workstation, make_case, ws  # noqa: F401

MRN = "H-011"
SIGNED_DAY = date(2026, 3, 12)  # the second review of make_case()


def _stored(ws: Workstation) -> dict[str, Any]:  # noqa: F811
    return caseformat.case_to_dict(ws.member.export_case(MRN))


def _imports(doc: object, source: str = "case.json") -> list[caseformat.CaseImport]:
    return caseformat.parse_imports(doc, source)


def _cli(ws: Workstation, tmp_path: Path, doc: object, capsys: pytest.CaptureFixture[str],  # noqa: F811
         name: str = "case.json") -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    capsys.readouterr()
    who = cli_signin_args(ws.db, COORDINATOR.name, tmp_path)
    code = main.main(["--db", ws.db.url, *who, "import", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _sign(ws: Workstation) -> str:  # noqa: F811
    meeting = ws.coordinator.create_meeting(Meeting(
        id="LIV-2026-03-12", date=SIGNED_DAY, start_time="08:00", board="Liver MDT",
        chair=CHAIR.name, attendees=(CHAIR, MEMBER),
        agenda=(AgendaItem(patient_id=MRN, review_date=SIGNED_DAY, reason="reassessment"),)))
    ws.chair.sign_meeting(meeting.id, TEST_PASSWORD)
    return meeting.id


# --------------------------------------------------------------------------- merge, not erase


def test_a_file_holding_only_the_id_erases_nothing(ws: Workstation, tmp_path: Path,  # noqa: F811
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    ws.coordinator.import_cases([make_case(MRN)])
    before = _stored(ws)
    doc = {"format": "mdt-case/1", "patient": {"id": MRN}}
    code, out, err = _cli(ws, tmp_path, doc, capsys)
    assert code == 0, err
    assert "0 updated" in out and "cleared" not in out
    after = _stored(ws)
    assert after == before
    # sex and birth date feed Cockcroft-Gault; the protocol and the course stay too
    assert after["patient"]["sex"] == "F" and after["patient"]["birth_date"] == "1961-04-02"
    assert after["protocol"] == {"id": "NCT05103020", "arm": "A"} and after["treatment"]


@pytest.mark.parametrize(("change", "cleared"), [
    ({"patient": {"id": MRN, "sex": None}}, [f"{MRN}: patient.sex (Sex)"]),
    ({"patient": {"id": MRN, "birth_date": None, "name": None}},
     [f"{MRN}: patient.birth_date (Date of birth)", f"{MRN}: patient.name (Name)"]),
    ({"patient": {"id": MRN}, "protocol": {"arm": None}}, [f"{MRN}: protocol.arm (Arm)"]),
    ({"patient": {"id": MRN}, "protocol": None}, [f"{MRN}: protocol (Protocol)"]),
    ({"patient": {"id": MRN}, "treatment": None}, [f"{MRN}: treatment (Treatment course)"]),
    ({"patient": {"id": MRN}, "reviews": [{"date": "2026-01-15", "labs": {"inr": None, "hb": None}}]},
     [f"{MRN}: reviews[0].labs.hb (Haemoglobin in g/dL)"]),  # inr was not recorded
    ({"patient": {"id": MRN}, "reviews": [{"date": "2026-01-15", "vessels": []}]},
     [f"{MRN}: reviews[0].vessels (Vessel relations)"]),
    ({"patient": {"id": MRN}, "reviews": [{"date": "2026-01-15", "ecog": 3}]}, []),
])
def test_explicit_null_clears_and_the_summary_lists_every_field_cleared(
        ws: Workstation, change: dict[str, Any], cleared: list[str]) -> None:  # noqa: F811
    ws.coordinator.import_cases([make_case(MRN)])
    before = _stored(ws)
    doc = {"format": "mdt-case/1", **change}
    summary = ws.coordinator.import_cases(_imports(doc))
    assert sorted(summary.cleared) == sorted(cleared)
    assert _stored(ws) == expected_export(before, doc)


def test_a_review_merges_field_by_field_and_new_dates_are_added(ws: Workstation) -> None:  # noqa: F811
    ws.coordinator.import_cases([make_case(MRN)])
    before = _stored(ws)
    doc = {"format": "mdt-case/1", "patient": {"id": MRN},
           "reviews": [{"date": "2026-03-12", "ecog": 2, "clinical": {"cea": 12.5}},
                       {"date": "2026-05-07", "cycle": 8}]}
    summary = ws.coordinator.import_cases(_imports(doc))
    assert (summary.reviews_revised, summary.reviews_added, summary.cleared) == (1, 1, ())
    after = _stored(ws)
    assert after == expected_export(before, doc)
    second = after["reviews"][1]
    assert second["ecog"] == 2 and second["clinical"]["cea"] == 12.5
    assert second["lesions"] == before["reviews"][1]["lesions"]  # untouched by the file
    assert second["clinical"]["life_expectancy_months"] == 24
    # importing the same file again changes nothing
    again = ws.coordinator.import_cases(_imports(doc))
    assert (again.reviews_revised, again.reviews_added, again.patients_updated) == (0, 0, 0)


def test_a_merged_review_is_checked_as_a_whole(ws: Workstation) -> None:  # noqa: F811
    """The file's part is valid alone; laid over the stored review it breaks a rule."""
    ws.coordinator.import_cases([make_case(MRN)])
    before = snapshot(ws.db.url)
    doc = [{"format": "mdt-case/1", "patient": {"id": "OTHER"}},
           {"format": "mdt-case/1", "patient": {"id": MRN},
            "reviews": [{"date": "2026-01-15", "remnant": {"flr_ml": 2000}}]}]  # > tlv 1480.5
    with pytest.raises(ValidationError) as err:
        ws.coordinator.import_cases(_imports(doc))
    assert [p.path for p in err.value.problems] == ["case.json: [1].reviews[0].remnant.flr_ml"]
    assert snapshot(ws.db.url) == before


# --------------------------------------------------------------------------- signed records


def test_demographics_under_signed_minutes_change_only_by_amendment(
        ws: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    ws.coordinator.import_cases([make_case(MRN)])
    meeting_id = _sign(ws)
    before = snapshot(ws.db.url)
    doc = {"format": "mdt-case/1", "patient": {"id": MRN, "sex": "M", "birth_date": "1961-04-02"}}
    with pytest.raises(LockedFieldsError) as err:
        ws.coordinator.import_cases(_imports(doc))
    assert [p.path for p in err.value.problems] == ["case.json: patient.sex"]
    code, _out, msg = _cli(ws, tmp_path, doc, capsys)
    assert code == 2
    assert "case.json: patient.sex: Sex F → M refused" in msg and "signed meeting LIV-2026-03-12" in msg
    assert "amendment" in msg and msg.strip().endswith("nothing was imported")
    assert snapshot(ws.db.url) == before
    # the same values are no change, and import fine
    same = {"format": "mdt-case/1", "patient": {"id": MRN, "sex": "F", "birth_date": "1961-04-02"}}
    assert ws.coordinator.import_cases(_imports(same)).patients_updated == 0
    # the window's patient dialog: refused without a reason, an amendment with one
    changed = Patient(id=MRN, name="DOE^JANE", sex="M", birth_date=date(1961, 4, 2))
    with pytest.raises(LockedError, match="amendment"):
        ws.coordinator.update_patient(changed, None, None)
    ws.coordinator.update_patient(changed, None, "sex entered wrongly at registration")
    amendments = ws.member.get_meeting(meeting_id).amendments
    assert [(a.patient_id, a.reason) for a in amendments] == [
        (MRN, "sex entered wrongly at registration")]
    assert amendments[0].summary == "Sex F → M"   # in words, as the review diff says a change
    assert ws.member.patient_history(MRN)[-1].action == "patient.amend"


def test_a_signed_review_inside_an_import_is_refused_with_its_path(
        ws: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    ws.coordinator.import_cases([make_case(MRN)])
    _sign(ws)
    before = snapshot(ws.db.url)
    doc = [{"format": "mdt-case/1", "patient": {"id": "NEW-1"}},
           {"format": "mdt-case/1", "patient": {"id": MRN},
            "reviews": [{"date": "2026-01-15", "ecog": 2}, {"date": "2026-03-12", "ecog": 2}]}]
    code, _out, err = _cli(ws, tmp_path, doc, capsys, "board.json")
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: ") and "board.json: [1].reviews[1]: " in lines[0]
    assert "signed meeting LIV-2026-03-12" in lines[0] and lines[-1] == "nothing was imported"
    assert snapshot(ws.db.url) == before  # the unsigned review and the new patient too


# --------------------------------------------------------------------------- hostile values

HOSTILE: list[tuple[str, Any, str]] = [
    # (what, how to change the spec case, the path named)
    ("lone surrogate in a name", lambda c: c["patient"].update(name="X\ud800"), "patient.name"),
    ("lone surrogate in a lesion id",
     lambda c: c["reviews"][0]["lesions"][0].update(id="L\udfff"), "reviews[0].lesions[0].id"),
    ("lone surrogate in a key", lambda c: c["patient"].update({"k\ud800": 1}),
     "patient.k\\ud800"),
    ("cycle 2**63", lambda c: c["reviews"][0].update(cycle=2**63), "reviews[0].cycle"),
    ("cycle 2147483648", lambda c: c["reviews"][0].update(cycle=2147483648), "reviews[0].cycle"),
    ("cycle number 2**64", lambda c: c.setdefault("treatment", {"cycles": [
        {"number": 2**64, "date": "2026-01-15"}]}), "treatment.cycles[0].number"),
    ("review dated 9999-12-20", lambda c: c["reviews"][-1].update(date="9999-12-20"),
     "reviews[0].date"),
    ("birth date 0001-01-01", lambda c: c["patient"].update(birth_date="0001-01-01"),
     "patient.birth_date"),
    ("a float beyond any range", lambda c: c["reviews"][0]["labs"].update(inr=1e300),
     "reviews[0].labs.inr"),
    ("a 400-digit integer", lambda c: c["reviews"][0]["clinical"].update(cea=10**400),
     "reviews[0].clinical.cea"),
    ("an id longer than its column", lambda c: c["patient"].update(id="I" * 65), "patient.id"),
    ("101 lesions", lambda c: c["reviews"][0].update(lesions=[
        {"id": f"L{i}", "segments": ["II"]} for i in range(101)]), "reviews[0].lesions"),
    ("vote round 3", lambda c: c["reviews"][0]["panel"]["votes"][0].update(round=3),
     "reviews[0].panel.votes[0].round"),
]


@pytest.mark.parametrize(("what", "mutate", "path"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_values_are_refused_with_their_path_on_both_databases(
        ws: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str],  # noqa: F811
        what: str, mutate: Any, path: str) -> None:
    from tests.caseformat_fixtures import spec_example

    ws.coordinator.import_cases([make_case("KEEP")])
    doc = spec_example()
    mutate(doc)
    before = snapshot(ws.db.url)
    code, _out, err = _cli(ws, tmp_path, json.dumps(doc), capsys)
    assert code == 2, what
    assert f"case.json: {path}: " in err, err
    assert err.strip().endswith("nothing was imported")
    assert snapshot(ws.db.url) == before


def test_five_hundred_and_one_reviews_are_refused(tmp_path: Path) -> None:
    base = {"format": "mdt-case/1", "patient": {"id": "P"},
            "reviews": [{"date": "2020-01-01"}] * 501}
    with pytest.raises(ValidationError) as err:
        caseformat.parse_cases(base)
    assert [str(p) for p in err.value.problems] == [
        "reviews: Reviews are too many (501); at most 500 reviews of one patient are accepted"]


def test_files_too_large_pipes_and_devices_are_refused_before_reading(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(caseformat.FILE_MAX_BYTES + 1)  # sparse: costs no disk
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    for path, words in ((big, "a case file may be at most 100 MB"),
                        (fifo, "is not a regular file"), (Path("/dev/zero"), "is not a regular file"),
                        (tmp_path, "is not a regular file")):
        capsys.readouterr()
        assert main.main(["--db", url, "import", str(path)]) == 2
        err = capsys.readouterr().err
        assert words in err and "nothing was imported" in err, err


def test_stored_dates_at_the_calendar_end_never_crash_the_cohort(
        ws: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    """A review dated 9999-12-20 saved before imports checked dates: still readable."""
    from sqlalchemy import text

    ws.coordinator.import_cases([make_case(MRN)])
    case = ws.member.get_case(MRN)
    late = dataclasses.replace(case.reviews[-1], date=date(9999, 12, 20), panel=dataclasses.replace(
        case.reviews[-1].panel, decision=None))
    content = json.dumps(caseformat.review_to_dict(late), separators=(",", ":"))
    with ws.db.engine.begin() as conn:  # as an older version stored it
        conn.execute(text("UPDATE review_version SET content = :c, review_date = :d, next_review = NULL "
                          "WHERE review_id = (SELECT max(id) FROM review)"),
                     {"c": content, "d": date(9999, 12, 20)})
        conn.execute(text("UPDATE review SET review_date = :d WHERE id = (SELECT max(id) FROM review)"),
                     {"d": date(9999, 12, 20)})
    assert ws.member.get_case(MRN).reviews[-1].date == date(9999, 12, 20)
    capsys.readouterr()
    assert main.main(["--db", ws.db.url, "cohort", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert row["next_review"] == date.max.isoformat()
    assert plan_next_review(date(9999, 12, 20), {"cycles": 4}).date == date.max
    # and the editor's save says which field to fix instead of failing somewhere else
    rec = ws.member.list_reviews(MRN)[-1]
    with pytest.raises(ValidationError, match="review.date"):
        ws.member.save_review(rec.review_id, dataclasses.replace(rec.review, ecog=2), rec.version,
                              "ecog")


@pytest.mark.parametrize("breaker", ["\x85", "\u2028", "\u2029", "\n", "\r", "\x1b[2J", "\u202e"])
def test_a_quoted_bad_value_never_breaks_or_disguises_the_message_line(breaker: str) -> None:
    """A value is quoted with its control characters escaped: one problem, one line."""
    doc = {"format": breaker, "patient": {"id": "P", f"k{breaker}": 1}}
    with pytest.raises(ValidationError) as err:
        caseformat.parse_cases(doc)
    lines = [str(p) for p in err.value.problems]
    assert len(lines) == 2
    for line in lines:
        assert line.isprintable(), line
        assert len(line.splitlines()) == 1
