"""Cohort lines and totals, and the ``response`` / ``cohort`` commands."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

import main
from mdt.case import Case, CycleGiven, Decision, Panel, Patient, ProtocolRef, Treatment
from mdt.caseformat import dump_case
from mdt.cohort import (
    CSV_COLUMNS,
    cohort_row,
    cohort_rows,
    protocol_settings,
    rows_to_csv,
    rows_to_text,
    summarise,
    summary_lines,
)
from tests.recist_fixtures import PHARMAVERSE, load_pharmaverse, reviews

TODAY = date(2026, 6, 1)


def _case(pid: str, visits: list[str], arm: str | None = "A", outcome: str | None = None,
          decision: Decision | None = None, cycles: int = 0) -> Case:
    course = reviews(*visits)
    if decision is not None:
        last = course[-1]
        course[-1] = replace(last, panel=Panel(decision=decision))
    treatment = Treatment("FOLFIRI", course[0].date,
                          tuple(CycleGiven(n, course[0].date + timedelta(days=14 * (n - 1)))
                                for n in range(1, cycles + 1)),
                          outcome=outcome)
    return Case(Patient(pid), ProtocolRef("NCT05103020", arm), tuple(course), treatment)


def test_row_reports_latest_response_best_response_and_decision() -> None:
    decision = Decision(resectability="resectable", plan="resection", rule="consensus",
                        next_review=date(2026, 7, 1))
    row = cohort_row(_case("P1", ["T1=50", "T1=30", "T1=60"], decision=decision, cycles=8), TODAY)
    assert (row.response, row.best_response, row.sld_mm) == ("PD", "PR", 60.0)
    assert (row.early_tumour_shrinkage, row.ets_week, row.depth_of_response_pct) == (True, 8, 40.0)
    assert (row.resectability, row.plan, row.rule) == ("resectable", "resection", "consensus")
    assert (row.next_review, row.next_review_basis, row.overdue) == (
        date(2026, 7, 1), "recorded by the panel", False)
    assert (row.cycles_given, row.reviews) == (8, 3)


def test_row_proposes_next_review_and_flags_overdue() -> None:
    case = _case("P2", ["T1=50", "T1=45"])          # last review 2026-03-02
    row = cohort_row(case, TODAY)
    assert row.next_review == case.reviews[-1].date + timedelta(weeks=8)
    assert row.next_review_basis.startswith("proposed: 8 weeks")
    assert row.overdue


def test_finished_patients_are_never_overdue() -> None:
    assert not cohort_row(_case("P3", ["T1=50", "T1=45"], outcome="died"), TODAY).overdue


def test_patient_without_reviews() -> None:
    case = Case(Patient("P4"), ProtocolRef("NCT05103020"), (), None)
    row = cohort_row(case, TODAY)
    assert (row.response, row.best_response, row.next_review, row.overdue) == (None, None, None, False)
    assert row.next_review_basis == "no review yet"


def test_summary_totals() -> None:
    rows = [
        cohort_row(_case("P1", ["T1=50", "T1=30"], arm="A", outcome="resected"), TODAY),
        cohort_row(_case("P2", ["T1=50", "T1=48"], arm="B", outcome="converted"), TODAY),
        cohort_row(_case("P3", ["T1=50", "T1=80"], arm="B"), TODAY),
        cohort_row(_case("P4", ["T1=50"], arm=None), TODAY),
    ]
    summary = summarise(rows)
    assert summary.patients == 4
    assert summary.by_arm == {"(no arm)": 1, "A": 1, "B": 2}
    assert summary.with_follow_up == 3
    assert {k: v for k, v in summary.best_response.items() if v} == {"PR": 1, "SD": 1, "PD": 1}
    assert summary.objective_response == 1
    assert (summary.ets_known, summary.ets_yes) == (3, 1)
    assert summary.median_depth_pct == 4.0          # of 40, 4 and -60
    assert (summary.converted, summary.resected) == (2, 1)
    lines = summary_lines(summary)
    assert "Objective response (CR + PR): 1/3 (33 %)" in lines
    assert "Converted to resectability: 2/4 (50 %); resected: 1/4 (25 %)" in lines


def test_empty_cohort() -> None:
    summary = summarise([])
    assert summary.patients == 0 and summary.median_depth_pct is None
    assert "Objective response (CR + PR): 0/0" in summary_lines(summary)


def test_csv_and_text_outputs() -> None:
    rows = [cohort_row(_case("P1", ["T1=50", "T1=30"]), TODAY)]
    parsed = list(csv.DictReader(io.StringIO(rows_to_csv(rows))))
    assert tuple(parsed[0]) == CSV_COLUMNS
    assert (parsed[0]["patient_id"], parsed[0]["response"], parsed[0]["early_tumour_shrinkage"],
            parsed[0]["plan"]) == ("P1", "PR", "yes", "")
    text = rows_to_text(rows)
    assert text.splitlines()[0].startswith("Patient")
    assert "P1" in text and "OVERDUE" in text


def test_protocol_settings_fall_back_with_a_note() -> None:
    limit, interval, note = protocol_settings("NOT-A-PROTOCOL")
    assert (limit, interval["weeks"]) == (2, 8)
    assert note and "NOT-A-PROTOCOL" in note
    limit, interval, note = protocol_settings("NCT05103020")
    assert note is None and interval.get("weeks") == 8


def test_cohort_rows_over_pharmaverse() -> None:
    rows, notes = cohort_rows(list(load_pharmaverse().values()), date(2014, 9, 1))
    assert notes == []
    assert [r.best_response for r in rows] == ["PD", "NON-CR/NON-PD", "NE", "PR", "CR"]


# --- command line ------------------------------------------------------------------------------

CASE_FILES = sorted(str(p) for p in (PHARMAVERSE / "cases").glob("*.json"))


def test_response_command_prints_every_review(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["response", CASE_FILES[-1]]) == 0
    out = capsys.readouterr().out
    assert "01-701-1133" in out
    assert "-30.0 %" in out and "Best overall response: CR" in out
    assert out.count("3 target lesions at baseline") == 1   # shown once, not per review


def test_response_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["response", "--json", "--target-limit", "5", *CASE_FILES]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = json.loads((PHARMAVERSE / "expected.json").read_text(encoding="utf-8"))
    got = {f"pvsdtm_{d['patient']}": {str(i): {"recist": r["response"]} for i, r in enumerate(d["reviews"])}
           for d in data}
    assert got == expected
    assert all(d["target_limit"] == 5 for d in data)


def test_response_command_filters_patient(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["response", "--patient", "01-701-1118", *CASE_FILES]) == 0
    out = capsys.readouterr().out
    assert "01-701-1118" in out and "01-701-1133" not in out


def test_response_command_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "mdt-case/1", "patient": {}}', encoding="utf-8")
    assert main.main(["response", str(bad)]) == 2
    assert "bad.json" in capsys.readouterr().err
    assert main.main(["response", "--target-limit", "0", CASE_FILES[0]]) == 2


def test_cohort_command_csv_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["cohort", "--today", "2014-09-01", "--csv", *CASE_FILES]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["best_response"] for r in rows] == ["PD", "NON-CR/NON-PD", "NE", "PR", "CR"]
    assert main.main(["cohort", "--today", "2014-09-01", "--json", *CASE_FILES]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["patients"] == 5 and data["summary"]["overdue"] == 4
    assert data["rows"][0]["next_review"] == "2013-11-15"


def test_cohort_command_text_and_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["cohort", "--today", "2014-09-01", *CASE_FILES]) == 0
    out = capsys.readouterr().out
    assert "Patients: 5" in out and "OVERDUE" in out
    assert main.main(["cohort", "--today", "1 Sept", *CASE_FILES]) == 2
    assert "--today" in capsys.readouterr().err


def test_commands_read_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'mdt.db'}"
    case = _case("DB-1", ["T1=50", "T1=30"], cycles=4)
    path = tmp_path / "case.json"
    path.write_text(dump_case(case), encoding="utf-8")
    assert main.main(["--db", url, "import", str(path)]) == 0
    capsys.readouterr()
    assert main.main(["--db", url, "response", "--patient", "DB-1"]) == 0
    assert "DB-1" in capsys.readouterr().out
    assert main.main(["--db", url, "cohort", "--today", "2026-06-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["patient_id"] for r in data["rows"]] == ["DB-1"]
    assert data["rows"][0]["best_response"] == "PR"
    assert main.main(["--db", url, "response", "--patient", "NOBODY"]) == 2



def test_response_command_confirmation(capsys: pytest.CaptureFixture[str]) -> None:
    # 01-701-1118: PR at week 6 confirmed by PR at week 12 (NE in between); 1133: PR then CR
    # three weeks later, CR never confirmed before the PD -> PR is unconfirmed too (21 days).
    assert main.main(["response", "--json", "--confirm-days", "28", *CASE_FILES]) == 0
    best = {d["patient"]: d["best_overall_response"] for d in json.loads(capsys.readouterr().out)}
    assert best["01-701-1118"] == "PR"
    assert best["01-701-1133"] == "SD"
    assert main.main(["response", "--confirm-days", "28", CASE_FILES[-1]]) == 0
    assert "Best overall response: SD (CR/PR confirmed after >= 28 days)" in capsys.readouterr().out
    assert main.main(["response", "--confirm-days", "0", CASE_FILES[-1]]) == 2
