"""Import then export is lossless; invalid input writes nothing (also under fuzzing)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

import main
from mdt import caseformat
from mdt.demo import demo_cases, seed_cases
from mdt.errors import LockedError, ValidationError
from mdt.meeting import AgendaItem, Meeting
from mdt.services import Actor, MdtService, seed_demo_if_empty
from mdt.store.db import open_database
from tests.import_model import documents_of, expected_export, stored_exports
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.signin_fixtures import TEST_PASSWORD
from tests.store_fixtures import Workstation, make_case, make_review, ws  # noqa: F401


def _counts(url: str) -> dict[str, int]:
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in ("patient", "review", "review_version", "treatment_course",
                              "audit_event")}
    finally:
        db.close()


def test_round_trip_is_lossless(ws: Workstation) -> None:  # noqa: F811
    enrolled = make_case("MRN-ENROLLED-1", reviews=2)
    enrolled = dataclasses.replace(enrolled, protocol=dataclasses.replace(enrolled.protocol,
        enrolment_date=enrolled.reviews[0].date))
    cases = demo_cases() + [make_case("MRN-ÜNICODE-1", reviews=3, name="ÆBLE^Zoë"), enrolled]
    ws.coordinator.import_cases(cases)
    for case in cases:
        exported = ws.member.export_case(case.patient.id)
        assert exported == case
        assert caseformat.dump_case(exported) == caseformat.dump_case(case)


def test_cli_import_then_export_gives_back_the_same_json(db_url: str, tmp_path: Path,  # noqa: F811
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "meeting.json"
    cases = demo_cases()[:3]
    source.write_text(caseformat.dump_cases(cases), encoding="utf-8")
    assert main.main(["--db", db_url, "--user", "Dr Import", "import", str(source)]) == 0
    assert "3 patient(s) created" in capsys.readouterr().out
    for case in cases:
        assert main.main(["--db", db_url, "export", "--patient", case.patient.id]) == 0
        assert json.loads(capsys.readouterr().out) == caseformat.case_to_dict(case)
    out = tmp_path / "all.json"
    assert main.main(["--db", db_url, "export", "--all", "--out", str(out)]) == 0
    assert caseformat.load_cases(out) == sorted(cases, key=lambda c: c.patient.id)
    # importing the same file again changes nothing
    before = _counts(db_url)
    assert main.main(["--db", db_url, "import", str(source)]) == 0
    assert _counts(db_url) == before
    assert main.main(["--db", db_url, "export", "--patient", "NO-SUCH"]) == 2


def test_cli_invalid_file_exits_2_and_writes_nothing(db_url: str, tmp_path: Path,  # noqa: F811
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.json"
    good.write_text(caseformat.dump_case(make_case("P1")), encoding="utf-8")
    assert main.main(["--db", db_url, "import", str(good)]) == 0
    before = _counts(db_url)
    obj = caseformat.case_to_dict(make_case("P2"))
    obj["reviews"][1]["lesions"][0]["diameter_mm"] = -4
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(obj), encoding="utf-8")
    capsys.readouterr()
    assert main.main(["--db", db_url, "import", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "reviews[1].lesions[0].diameter_mm" in err and "nothing was imported" in err
    truncated = tmp_path / "cut.json"
    truncated.write_text(good.read_text()[:200], encoding="utf-8")
    assert main.main(["--db", db_url, "import", str(truncated)]) == 2
    assert "invalid JSON" in capsys.readouterr().err
    assert main.main(["--db", db_url, "import", str(tmp_path / "missing.json")]) == 2
    assert _counts(db_url) == before


def test_reimport_revises_changed_reviews_and_adds_new_ones(ws: Workstation) -> None:  # noqa: F811
    ws.coordinator.import_cases([make_case("P1", reviews=2)])
    case = make_case("P1", reviews=3)
    changed = dataclasses.replace(case.reviews[0], ecog=0)
    case = dataclasses.replace(case, reviews=(changed,) + case.reviews[1:])
    summary = ws.coordinator.import_cases([case])
    assert (summary.reviews_added, summary.reviews_revised, summary.reviews_unchanged) == (1, 1, 1)
    assert ws.chair.export_case("P1") == case
    first = ws.chair.list_reviews("P1")[0]
    assert [v.reason for v in ws.chair.review_history(first.review_id)] == ["import", "import"]


def test_import_that_touches_a_signed_review_writes_nothing(ws: Workstation) -> None:  # noqa: F811
    ws.coordinator.import_cases([make_case("P1", reviews=1)])
    day = make_case("P1").reviews[0].date
    ws.coordinator.create_meeting(Meeting(id="M1", date=day,
                                          agenda=(AgendaItem(patient_id="P1", review_date=day),)))
    ws.chair.sign_meeting("M1", TEST_PASSWORD)
    before = _counts(ws.db.url)
    case = make_case("P1", reviews=1)
    edited = dataclasses.replace(case, reviews=(dataclasses.replace(case.reviews[0], ecog=3),))
    with pytest.raises(LockedError, match="signed meeting M1"):
        ws.coordinator.import_cases([make_case("P7"), edited])
    assert _counts(ws.db.url) == before


def test_seed_demo_only_on_an_empty_database(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    try:
        assert seed_demo_if_empty(db) is True
        svc = MdtService(db, Actor("viewer"))
        assert {c.patient.id for c in seed_cases()} == {r.patient_id for r in svc.list_patients()}
        (meeting,) = svc.list_meetings()
        assert meeting.patients >= 1 and not meeting.signed
        assert len(svc.list_members()) == 7
        assert seed_demo_if_empty(db) is False
        assert svc.verify_audit().ok
    finally:
        db.close()


# --------------------------------------------------------------------------- fuzzing

_BASE = caseformat.dump_case(make_case("FUZZ-1", reviews=2)).encode("utf-8")


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    data = bytearray(_BASE)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "delete" and data:
            del data[pos:pos + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[pos:pos] = draw(st.sampled_from([b"null", b"-1", b"\"", b"[", b"}", b"1e999",
                                                  b"\xff", b"NaN", b"\"x\"", b",", b"{}"]))
        else:
            del data[pos:]
    return bytes(data)


@st.composite
def mutated_values(draw: st.DrawFn) -> bytes:
    """Valid JSON, wrong values: every leaf may be replaced by a hostile value."""
    obj = json.loads(_BASE)
    paths: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k in node:
                paths.append((node, k))
                walk(node[k])
        elif isinstance(node, list):
            for i in range(len(node)):
                paths.append((node, i))
                walk(node[i])

    walk(obj)
    for _ in range(draw(st.integers(1, 4))):
        parent, key = draw(st.sampled_from(paths))
        parent[key] = draw(st.one_of(  # type: ignore[index]
            st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
            st.text(max_size=8), st.just([]), st.just({}), st.just("2026-02-30")))
    return json.dumps(obj).encode("utf-8")


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzz_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}"
    else:
        import psycopg

        server = request.getfixturevalue("pg_server_url")
        with psycopg.connect(server.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "mdt_fuzz"')
        url = server.rsplit("/", 1)[0] + "/mdt_fuzz"
    db = open_database(url)
    MdtService(db, Actor("seed")).import_cases([make_case("KEEP-1")])
    db.close()
    return url


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(payload=st.one_of(corrupted(), mutated_values()))
def test_fuzzed_case_files_never_crash_and_never_change_the_database(
        fuzz_db: str, tmp_path_factory: pytest.TempPathFactory,
        capsys: pytest.CaptureFixture[str], payload: bytes) -> None:
    """Through the real command: exit 0 (still valid) or 2 with each problem named."""
    path = tmp_path_factory.mktemp("fuzzcase") / "case.json"
    path.write_bytes(payload)
    before = _counts(fuzz_db)
    try:  # what a valid file's patients hold before it is imported
        ids = [c.patient.id for c in caseformat.load_cases(payload)]
        docs, stored = documents_of(payload), stored_exports(fuzz_db, ids)
    except ValidationError:
        docs, stored = [], {}
    capsys.readouterr()
    code = main.main(["--db", fuzz_db, "--user", "fuzzer", "import", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    if code == 2:
        lines = err.strip().splitlines()
        assert lines[-1] == "nothing was imported"
        assert all(line.startswith("error: ") and len(line) > 10 for line in lines[:-1])
        assert len(lines) >= 2
        assert _counts(fuzz_db) == before
        return
    # Still valid after mutation: merged into what was stored (tests/import_model.py).
    after = stored_exports(fuzz_db, list(stored))
    for doc in docs:
        pid = doc["patient"]["id"]
        assert after[pid] == expected_export(stored[pid], doc)


def test_add_review_validation_message_names_field(ws: Workstation) -> None:  # noqa: F811
    ws.coordinator.import_cases([make_case("P1", reviews=1)])
    bad = dataclasses.replace(make_review(date(2026, 5, 1)), height_cm=400)
    with pytest.raises(ValidationError) as err:
        ws.member.add_review("P1", bad)
    assert [p.path for p in err.value.problems] == ["review.height_cm"]


@pytest.mark.parametrize("patient, field", [
    (dataclasses.replace(make_case("P1").patient, name="X" * 201), "patient.name"),
    (dataclasses.replace(make_case("P1").patient, name="NUL\x00BYTE"), "patient.name"),
    (dataclasses.replace(make_case("P1").patient, id="I" * 65), "patient.id"),
])
def test_same_bad_input_is_refused_the_same_way_on_both_databases(
        ws: Workstation, patient: object, field: str) -> None:  # noqa: F811
    case = dataclasses.replace(make_case("P1"), patient=patient)
    with pytest.raises(ValidationError) as err:
        ws.coordinator.import_cases([case])
    assert field in {p.path for p in err.value.problems}
    assert ws.chair.list_patients(include_archived=True) == []


def test_control_characters_inside_review_text_round_trip(ws: Workstation) -> None:  # noqa: F811
    case = make_case("P1", reviews=1)
    review = case.reviews[0]
    decision = review.panel.decision
    assert decision is not None
    odd = dataclasses.replace(review, panel=dataclasses.replace(
        review.panel, decision=dataclasses.replace(decision, rationale="a\x00b\u2028c\ttab")))
    case = dataclasses.replace(case, reviews=(odd,))
    ws.coordinator.import_cases([case])
    assert ws.member.export_case("P1") == case


def test_an_actor_name_the_database_refuses_is_a_clear_error(ws: Workstation) -> None:  # noqa: F811
    svc = MdtService(ws.db, Actor("bad\x00name"))
    if ws.db.is_sqlite:  # SQLite stores it; PostgreSQL refuses NUL in text
        svc.import_cases([make_case("P1")])
        assert ws.chair.verify_audit().ok
        return
    with pytest.raises(ValidationError, match="refused by the database"):
        svc.import_cases([make_case("P1")])
    assert ws.chair.list_patients() == []
