"""``main.py import`` / ``main.py export`` as separate processes, on SQLite and PostgreSQL.

Import then export is lossless: every field of the file comes back with the same value
(export may only add the format's defaults), and the parsed cases are equal.  An invalid
file exits 2, names each field by its JSON path, and leaves every table, the audit trail
included, exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mdt.caseformat import case_to_dict, dump_case, dump_cases, parse_case, parse_cases
from mdt.demo import demo_cases
from tests.cli_fixtures import BACKENDS, Cli, new_database, snapshot, spec_case, write_json
from tests.pg_fixtures import pg_server_url  # noqa: F401
from tests.signin_fixtures import TEST_PASSWORD, signed_in

pytestmark = pytest.mark.xdist_group("cli_import_export")


@dataclass
class Store:
    cli: Cli
    url: str
    folder: Path
    import_output: list[str]


@pytest.fixture(scope="module", params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One database per back end, filled once by importing the demo cases and the spec example."""
    folder = tmp_path_factory.mktemp(f"cli-import-{request.param}")
    cli = Cli(folder / "data")
    for url in new_database(request, folder):
        demo = folder / "demo.json"
        demo.write_text(dump_cases(demo_cases()), encoding="utf-8")
        spec = write_json(folder / "spec.json", spec_case())
        outputs = [cli.ok("import", demo, db=url).stdout, cli.ok("import", spec, db=url).stdout]
        yield Store(cli, url, folder, outputs)


def contains(original: Any, exported: Any, path: str = "") -> list[str]:
    """Where ``exported`` loses or changes something ``original`` said (extra keys allowed)."""
    if isinstance(original, dict):
        if not isinstance(exported, dict):
            return [f"{path}: not an object in the export"]
        problems = []
        for key, value in original.items():
            if key not in exported:
                problems.append(f"{path}.{key}: missing from the export")
            else:
                problems += contains(value, exported[key], f"{path}.{key}")
        return problems
    if isinstance(original, list):
        if not isinstance(exported, list) or len(original) != len(exported):
            return [f"{path}: list changed ({original!r} -> {exported!r})"]
        return [p for i, (a, b) in enumerate(zip(original, exported, strict=True))
                for p in contains(a, b, f"{path}[{i}]")]
    if original != exported or type(original) is bool and type(exported) is not bool:
        return [f"{path}: {original!r} exported as {exported!r}"]
    return []


def test_import_reports_what_it_stored(store: Store) -> None:
    demo_out, spec_out = store.import_output
    assert f"imported {len(demo_cases())} case(s): {len(demo_cases())} patient(s) created" in demo_out
    reviews = sum(len(c.reviews) for c in demo_cases())
    assert f"reviews: {reviews} added, 0 revised, 0 unchanged" in demo_out
    assert "1 patient(s) created" in spec_out and "reviews: 1 added" in spec_out


def test_spec_example_round_trips_through_the_database(store: Store) -> None:
    res = store.cli.ok("export", "--patient", "MRN-000123", db=store.url)
    exported = json.loads(res.stdout)
    original = spec_case()
    assert contains(original, exported) == []
    assert exported == case_to_dict(parse_case(original))
    assert parse_case(exported) == parse_case(original)
    # Canonical text (docs/case-format.md): UTF-8, two-space indent, final newline; the
    # same bytes on standard output and in --out.
    assert res.stdout == dump_case(parse_case(original))
    out = store.folder / "spec-out.json"
    store.cli.ok("export", "--patient", "MRN-000123", "--out", out, db=store.url)
    assert out.read_text(encoding="utf-8") == res.stdout


def test_demo_cases_round_trip_to_a_file(store: Store) -> None:
    out = store.folder / "all.json"
    res = store.cli.ok("export", "--all", "--out", out, db=store.url)
    assert res.stdout == ""
    exported = {c["patient"]["id"]: c for c in json.loads(out.read_text(encoding="utf-8"))}
    expected = {c.patient.id: case_to_dict(c) for c in demo_cases()}
    expected["MRN-000123"] = case_to_dict(parse_case(spec_case()))
    assert exported == expected
    # Non-ASCII names (Müller, Åström, O'Sullivan) survive as UTF-8.
    assert any("Ü" in (c["patient"]["name"] or "") for c in exported.values())
    assert {c.patient.id: c for c in parse_cases(list(exported.values()))} == \
        {c.patient.id: c for c in [*demo_cases(), parse_case(spec_case())]}


def test_several_patients_export_as_an_array(store: Store) -> None:
    first, second = demo_cases()[0].patient.id, demo_cases()[1].patient.id
    res = store.cli.ok("export", "--patient", first, "--patient", second, db=store.url)
    doc = json.loads(res.stdout)
    assert [c["patient"]["id"] for c in doc] == [first, second]


def test_importing_the_export_again_changes_nothing(store: Store) -> None:
    out = store.folder / "again.json"
    store.cli.ok("export", "--all", "--out", out, db=store.url)
    before = snapshot(store.url)
    res = store.cli.ok("import", out, db=store.url)
    assert "0 patient(s) created, 0 updated" in res.stdout
    assert "0 added, 0 revised" in res.stdout
    assert snapshot(store.url) == before


def test_export_to_a_folder_that_does_not_exist_is_a_message(store: Store) -> None:
    res = store.cli.run("export", "--patient", "MRN-000123", "--out",
                        store.folder / "no-such-folder" / "x.json", db=store.url)
    assert res.returncode == 1
    assert "cannot write" in res.stderr and "Traceback" not in res.stderr


def test_unknown_patient_is_exit_2(store: Store) -> None:
    res = store.cli.run("export", "--patient", "NO-SUCH-MRN", db=store.url)
    assert res.returncode == 2 and res.stdout == ""
    assert "NO-SUCH-MRN" in res.stderr


def _unknown(c: dict) -> object:
    c["patient"]["nickname"] = "Jane"
    c["reviews"][0]["lesions"][0]["colour"] = "red"
    return c


def _wrong_type(c: dict) -> object:
    c["reviews"][0]["ecog"] = "one"
    c["reviews"][0]["lesions"][1]["target"] = "yes"
    return c


def _out_of_range(c: dict) -> object:
    c["reviews"][0]["height_cm"] = 400
    c["reviews"][0]["lesions"][0]["diameter_mm"] = 0
    return c


def _duplicate_lesion(c: dict) -> object:
    c["reviews"][0]["lesions"][2]["id"] = "L1"
    return c


def _out_of_order(c: dict) -> object:
    later = json.loads(json.dumps(c["reviews"][0]))
    later["date"] = "2025-12-01"
    c["reviews"].append(later)
    return c


def _bad_json(c: dict) -> object:
    return json.dumps(c)[:-40]


def _bad_second_of_array(c: dict) -> object:
    other = spec_case()
    other["patient"]["id"] = "MRN-000999"
    other["reviews"][0]["labs"]["proteinuria"] = "5+"
    return [c, other]


INVALID = [
    ("unknown-field", _unknown,
     ["patient.nickname: unknown field", "reviews[0].lesions[0].colour: unknown field"]),
    ("wrong-type", _wrong_type, ["reviews[0].ecog:", "reviews[0].lesions[1].target:"]),
    ("out-of-range", _out_of_range,
     ["reviews[0].height_cm:", "reviews[0].lesions[0].diameter_mm: Lesion diameter in mm must be > 0"]),
    ("duplicate-lesion", _duplicate_lesion, ["reviews[0].lesions[2].id:", "duplicate"]),
    ("date-order", _out_of_order, ["reviews[1].date:", "date order"]),
    ("bad-json", _bad_json, ["invalid JSON", "line 1"]),
    ("array", _bad_second_of_array, ["[1].reviews[0].labs.proteinuria:"]),
    ("too-long-for-storage", lambda c: {**c, "patient": {**c["patient"], "id": "M" * 65}},
     ["patient.id: Hospital ID must be at most 64 characters"]),
    ("nul-in-name", lambda c: {**c, "patient": {**c["patient"], "name": "DOE\x00^JANE"}},
     ["patient.name: Name must not contain NUL characters"]),
]


@pytest.mark.parametrize(("name", "mutate", "expected"), INVALID, ids=[i[0] for i in INVALID])
def test_invalid_file_exits_2_and_writes_nothing(store: Store, name: str, mutate: Any,
                                                 expected: list[str]) -> None:
    case = spec_case()
    case["patient"]["id"] = "MRN-NEW-1"  # a new patient: a partial import would be visible
    bad = write_json(store.folder / f"bad-{name}.json", mutate(case))
    before = snapshot(store.url)
    res = store.cli.run("import", bad, db=store.url)
    assert res.returncode == 2, res.stderr
    for text in expected:
        assert text in res.stderr
    assert "nothing was imported" in res.stderr
    assert snapshot(store.url) == before


def test_invalid_file_next_to_a_valid_one_imports_neither(store: Store) -> None:
    good = spec_case()
    good["patient"]["id"] = "MRN-NEW-2"
    bad = spec_case()
    bad["patient"]["id"] = "MRN-NEW-3"
    bad["reviews"][0]["ecog"] = 9
    before = snapshot(store.url)
    res = store.cli.run("import", write_json(store.folder / "good.json", good),
                        write_json(store.folder / "bad.json", bad), db=store.url)
    assert res.returncode == 2
    assert "bad.json: reviews[0].ecog:" in res.stderr
    assert snapshot(store.url) == before


def test_invalid_file_does_not_even_create_the_database(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    db_file = tmp_path / "never.sqlite3"
    res = cli.run("import", write_json(tmp_path / "bad.json", _unknown(spec_case())),
                  db=f"sqlite:///{db_file}")
    assert res.returncode == 2
    assert not db_file.exists()
    assert not any((tmp_path / "data").iterdir())


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    res = Cli(tmp_path / "data").run("import", tmp_path / "absent.json",
                                     db=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert res.returncode == 2
    assert "absent.json" in res.stderr


@pytest.fixture(params=BACKENDS)
def signed_board(request: pytest.FixtureRequest,
                 tmp_path: Path) -> Iterator[tuple[Cli, str, str]]:
    """The demo board with its meeting signed by the chair (its reviews are locked)."""
    from mdt.services import Actor, MdtService
    from mdt.store.db import open_database

    cli = Cli(tmp_path / "data")
    for url in new_database(request, tmp_path):
        cli.ok("demo", db=url)
        db = open_database(url)
        try:
            svc = MdtService(db, Actor("cli-test"))
            meeting = svc.get_meeting(svc.list_meetings()[0].id)
            chair = next(m for m in svc.list_members() if m.name == meeting.chair)
            MdtService(db, signed_in(db, chair.name)).sign_meeting(meeting.id, TEST_PASSWORD)
            locked_patient = meeting.agenda[0].patient_id
        finally:
            db.close()
        yield cli, url, locked_patient


def test_import_that_would_change_a_signed_review_writes_nothing(signed_board: tuple[Cli, str, str],
                                                                 tmp_path: Path) -> None:
    """One change is allowed (an older review), one is not (the signed one): all or nothing."""
    cli, url, patient = signed_board
    case = json.loads(cli.ok("export", "--patient", patient, db=url).stdout)
    case["reviews"][0]["lesions"][0]["diameter_mm"] += 1
    case["reviews"][-1]["lesions"][0]["diameter_mm"] += 1
    other = spec_case()
    coordinator = cli.signed_in("Sophie Dubois", url)  # a signed-in member imports
    before = snapshot(url)
    res = cli.run(*coordinator, "import", write_json(tmp_path / "change.json", [other, case]), db=url)
    assert res.returncode == 2  # refused input, like any other refusal: named with its path
    last = len(case["reviews"]) - 1
    assert f"change.json: [1].reviews[{last}]: " in res.stderr
    assert "signed meeting" in res.stderr and "nothing was imported" in res.stderr
    assert "Traceback" not in res.stderr
    assert snapshot(url) == before


@pytest.fixture(params=BACKENDS)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from new_database(request, tmp_path)


def test_importing_a_newer_file_revises_and_adds_and_export_follows(empty_db: str,
                                                                    tmp_path: Path) -> None:
    """The board's next file: the baseline corrected, a review added.  The export is the new
    file; the history keeps both versions of the baseline, attributed to --user."""
    cli = Cli(tmp_path / "data")
    cli.ok("import", write_json(tmp_path / "v1.json", spec_case()), db=empty_db)
    newer = spec_case()
    newer["reviews"][0]["lesions"][0]["diameter_mm"] = 44
    later = json.loads(json.dumps(newer["reviews"][0]))
    later.update(date="2026-03-12", cycle=4, panel={"votes": [], "decision": None})
    newer["reviews"].append(later)
    res = cli.ok("--user", "C. Okafor", "import", write_json(tmp_path / "v2.json", newer),
                 db=empty_db)
    assert "0 patient(s) created" in res.stdout and "1 added, 1 revised, 0 unchanged" in res.stdout
    exported = json.loads(cli.ok("export", "--patient", "MRN-000123", db=empty_db).stdout)
    assert exported == case_to_dict(parse_case(newer))
    log = cli.ok("audit", "log", "--patient", "MRN-000123", db=empty_db).stdout.splitlines()
    assert [line.split("\t")[3] for line in log] == [
        "patient.create", "review.add", "review.save", "review.add"]
    assert all(line.split("\t")[2] == "C. Okafor" for line in log[2:])


def test_parallel_imports_lose_nothing_and_keep_one_chain(empty_db: str, tmp_path: Path) -> None:
    """Several users importing at once (one process each): every patient stored, and the
    audit trail is still a single unbroken chain."""
    import subprocess
    import sys

    from tests.cli_fixtures import MAIN, ROOT, cli_env

    cli = Cli(tmp_path / "data")
    cli.ok("import", write_json(tmp_path / "first.json", spec_case()), db=empty_db)
    files = [write_json(tmp_path / f"p{i}.json", json.loads(dump_case(case)))
             for i, case in enumerate(demo_cases())]
    procs = [subprocess.Popen([sys.executable, str(MAIN), "--db", empty_db, "import", str(f)],
                              cwd=ROOT, env=cli_env(cli.data_dir), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
             for f in files]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    exported = json.loads(cli.ok("export", "--all", db=empty_db).stdout)
    assert sorted(c["patient"]["id"] for c in exported) == \
        sorted(["MRN-000123", *(c.patient.id for c in demo_cases())])
    assert cli.ok("audit", "verify", db=empty_db).stdout.startswith("audit chain intact")
