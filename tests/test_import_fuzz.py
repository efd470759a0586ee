"""Fuzzing the case importer with hostile values: 0 tracebacks, and a database dump that
is unchanged after every refused import.

Hostile values are the ones a real adversarial pass found (lone surrogates, integers of
2⁶³ and 2³¹, dates in year 9999, floats of 1e308, text longer than its column, keys that
are not fields), put anywhere in a real case, together with fields left out (a merge)
and explicit nulls (a clear).  The parser runs thousands of examples alone; the whole
import runs through the command line on SQLite and PostgreSQL, over a patient whose
second review is signed, so locked reviews and demographics are refused there too.
An accepted file must be stored exactly as ``tests/import_model.py`` says.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import main
from mdt import caseformat
from mdt.cohort import cohort_rows
from mdt.errors import ValidationError
from mdt.meeting import AgendaItem, Meeting
from tests.cli_fixtures import Snapshots
from tests.import_model import expected_export, stored_exports
from tests.pg_fixtures import pg_server_url  # noqa: F401
from tests.signin_fixtures import TEST_PASSWORD, cli_signin_args
from tests.store_fixtures import CHAIR, COORDINATOR, MEMBER, make_case, open_workstation

_STORED = caseformat.case_to_dict(make_case("FUZZ-1", reviews=2))
_SIGNED_DAY = date(2026, 3, 12)

HOSTILE = st.one_of(
    st.sampled_from([
        "X\ud800", "\udfff", "ok\ud83d", "\x00", "", " ", "9999-12-20", "0001-01-01", "2026-02-30",
        2**63, -(2**63), 2**64 + 1, 2**31, 2147483648, -1, 0, 10**400, 1e308, -1e308, 5e-324,
        -0.0, True, False, None, [], {}, [None], {"k\ud800": 1}, "N" * 300, "F", "M",
        "resectable", "VII", "right_hepatectomy",
    ]),
    st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6), st.dates().map(date.isoformat),
)


def _paths(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        for k in list(node):
            out.append((node, k))
            _paths(node[k], out)
    elif isinstance(node, list):
        for i in range(len(node)):
            out.append((node, i))
            _paths(node[i], out)
    return out


@st.composite
def hostile_documents(draw: st.DrawFn) -> dict[str, Any]:
    """The stored case as a file, then 1-5 edits: a hostile value, a field left out,
    an explicit null, an unknown key, or a review date moved; sometimes another patient."""
    doc = copy.deepcopy(_STORED)
    for _ in range(draw(st.integers(1, 5))):
        places = _paths(doc, [])
        parent, key = draw(st.sampled_from(places))
        kind = draw(st.sampled_from(["value", "value", "absent", "null", "unknown", "date"]))
        # A copy: a drawn [] or {} is one shared object of HOSTILE, which a later edit of
        # this document would change for every later example (hypothesis then reports
        # FlakyStrategyDefinition: generation depending on external state).
        if kind == "value":
            parent[key] = copy.deepcopy(draw(HOSTILE))
        elif kind == "absent" and isinstance(parent, dict) and key not in ("format",):
            del parent[key]
        elif kind == "null":
            parent[key] = None
        elif kind == "unknown" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "k\ud800", "id ", "Date"]))] = copy.deepcopy(draw(HOSTILE))
        elif kind == "date" and isinstance(doc.get("reviews"), list) and doc["reviews"]:
            r = doc["reviews"][-1]
            if isinstance(r, dict):
                r["date"] = draw(st.sampled_from(["2026-01-15", "2026-03-12", "2026-05-07",
                                                  "9999-12-20", "1899-12-31"]))
    if draw(st.integers(0, 9)) == 0 and isinstance(doc.get("patient"), dict):
        doc["patient"]["id"] = draw(st.sampled_from(["FUZZ-NEW", "FUZZ-\ud800", "F" * 65]))
    return doc


def _encode(doc: object) -> bytes:
    # ensure_ascii: lone surrogates travel as \\ud800 escapes, as a real file holds them
    return json.dumps(doc).encode("ascii")


# --------------------------------------------------------------------------- the parser alone


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=st.one_of(hostile_documents(), st.lists(hostile_documents(), min_size=1, max_size=3)))
def test_the_parser_accepts_or_names_every_problem_and_never_crashes(doc: object) -> None:
    try:
        imports = caseformat.parse_imports(caseformat.loads_json(_encode(doc)), "case.json")
    except ValidationError as exc:
        event("refused")
        assert exc.problems
        for problem in exc.problems:
            text = str(problem)
            text.encode("utf-8")  # printable: never a lone surrogate in a message
            assert problem.reason
        return
    event("accepted")
    cases = [i.case for i in imports]
    for case in cases:
        # what gets in is safe to store and to compute with
        for review in case.reviews:
            assert date(1900, 1, 1) <= review.date <= date(2099, 12, 31)
            assert review.cycle is None or 0 <= review.cycle <= 500
        caseformat.dump_cases(cases).encode("utf-8")
    cohort_rows(cases, date(2026, 11, 20))


# --------------------------------------------------------------------------- the whole import


_SNAPSHOTS: dict[str, Snapshots] = {}


def _dump(url: str) -> str:
    """A digest of every row of every table (equal digests: nothing was written)."""
    if url not in _SNAPSHOTS:
        _SNAPSHOTS[url] = Snapshots(url)
    return hashlib.sha256(repr(_SNAPSHOTS[url]()).encode()).hexdigest()


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzz_board(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}"
    else:
        import psycopg

        server = request.getfixturevalue("pg_server_url")
        with psycopg.connect(server.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "mdt_import_fuzz"')
        url = server.rsplit("/", 1)[0] + "/mdt_import_fuzz"
    ws = open_workstation(url)
    try:
        ws.coordinator.import_cases([make_case("FUZZ-1", reviews=2), make_case("KEEP-1")])
        ws.coordinator.create_meeting(Meeting(
            id="FUZZ-M", date=_SIGNED_DAY, chair=CHAIR.name, attendees=(CHAIR, MEMBER),
            agenda=(AgendaItem(patient_id="FUZZ-1", review_date=_SIGNED_DAY),)))
        ws.chair.sign_meeting("FUZZ-M", TEST_PASSWORD)
    finally:
        ws.db.close()
    yield url
    if url in _SNAPSHOTS:
        _SNAPSHOTS.pop(url).close()


_WHO: dict[str, list[str]] = {}


def _who(url: str, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The coordinator, signed in once per database (a password file, as a script would)."""
    if url not in _WHO:
        from mdt.store.db import open_database

        db = open_database(url)
        try:
            _WHO[url] = cli_signin_args(db, COORDINATOR.name, tmp_path_factory.mktemp("who"))
        finally:
            db.close()
    return _WHO[url]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=hostile_documents())
def test_a_hostile_import_is_stored_as_merged_or_refused_with_nothing_written(
        fuzz_board: str, tmp_path_factory: pytest.TempPathFactory,
        capsys: pytest.CaptureFixture[str], doc: dict[str, Any]) -> None:
    path = tmp_path_factory.mktemp("fuzzcase") / "case.json"
    path.write_bytes(_encode(doc))
    before = _dump(fuzz_board)
    pid = doc.get("patient", {}).get("id") if isinstance(doc.get("patient"), dict) else None
    printable = isinstance(pid, str) and not any("\ud800" <= c <= "\udfff" for c in pid)
    stored = stored_exports(fuzz_board, [pid]) if printable else {}
    capsys.readouterr()
    code = main.main(["--db", fuzz_board, *_who(fuzz_board, tmp_path_factory), "import", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert code in (0, 2), err
    event(f"exit {code}")
    if code == 2:
        lines = err.strip().splitlines()
        assert lines[-1] == "nothing was imported"
        assert all(line.startswith("error: ") for line in lines[:-1]) and len(lines) >= 2
        assert _dump(fuzz_board) == before
        return
    assert isinstance(pid, str)
    after = stored_exports(fuzz_board, [pid])
    assert after[pid] == expected_export(stored[pid], doc)
    # the signed review is as it was signed, whatever the file said
    signed = [r for r in after[pid]["reviews"] if r["date"] == _SIGNED_DAY.isoformat()]  # type: ignore[index]
    if pid == "FUZZ-1":
        assert signed[0] == _STORED["reviews"][1]
