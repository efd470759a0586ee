"""``main.py evaluate`` and ``main.py protocols`` against the mdt-evaluation/1 contract.

Each call is a separate process.  The object printed by ``--json`` has the specified keys
and vocabularies, every criterion of the protocol in the protocol's order, and a RECIST
block; invalid input is exit 2 with nothing on standard output.  The pharmaverse RECIST
reference responses are checked through the command line too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mdt.protocols import default_protocol_id, load_protocols
from tests.cli_fixtures import Cli, spec_case, write_json
from tests.recist_fixtures import PHARMAVERSE, pharmaverse_expected

pytestmark = pytest.mark.xdist_group("cli_evaluate")

RESECTABILITY = {"resectable", "convertible", "permanently_unresectable", "indeterminate"}
ELIGIBILITY = {"eligible", "not_eligible", "indeterminate", None}
STATUS = {"met", "not_met", "unknown"}
RESPONSE = {"CR", "PR", "SD", "PD", "NON-CR/NON-PD", "NE"}
TOP_KEYS = {"format", "protocol", "review", "resectability", "eligibility", "criteria",
            "remnant", "recist"}
REMNANT_KEYS = {"segments", "flr_ml", "tlv_ml", "tlv_source", "flr_pct", "threshold_pct",
                "adequate"}
RECIST_KEYS = {"sld_mm", "baseline_sld_mm", "nadir_sld_mm", "change_from_baseline_pct",
               "change_from_nadir_pct", "response"}


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(tmp_path_factory.mktemp("cli-evaluate") / "data")


def two_reviews() -> dict[str, Any]:
    """The spec example followed by a review after 4 cycles where both targets shrank."""
    case = spec_case()
    later = json.loads(json.dumps(case["reviews"][0]))
    later.update(date="2026-03-12", cycle=4)
    later["lesions"][0]["diameter_mm"] = 28
    later["lesions"][1]["diameter_mm"] = 10
    later["panel"] = {"votes": [], "decision": None}
    case["reviews"].append(later)
    return case


def evaluate_json(cli: Cli, case_file: Path, *extra: str) -> dict[str, Any]:
    res = cli.run("evaluate", case_file, *extra, "--json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def check_contract(doc: dict[str, Any], protocol_id: str) -> None:
    """Everything case-format.md says about an mdt-evaluation/1 object."""
    protocol = load_protocols()[protocol_id]
    assert TOP_KEYS <= set(doc)
    assert doc["format"] == "mdt-evaluation/1"
    assert doc["protocol"]["id"] == protocol.id
    assert doc["protocol"]["version"] == protocol.version
    assert doc["protocol"]["title"] == protocol.title
    assert set(doc["review"]) == {"index", "date", "cycle"}
    assert doc["resectability"] in RESECTABILITY
    assert doc["eligibility"] in ELIGIBILITY
    if not protocol.has_eligibility:
        assert doc["eligibility"] is None
    assert [c["id"] for c in doc["criteria"]] == [r.id for r in protocol.rules]
    for c in doc["criteria"]:
        assert {"id", "group", "status", "explanation", "source"} <= set(c)
        assert c["status"] in STATUS
        assert c["explanation"].strip() and c["source"].strip()
    assert REMNANT_KEYS <= set(doc["remnant"])
    assert RECIST_KEYS <= set(doc["recist"])
    assert doc["recist"]["response"] in RESPONSE


def test_spec_example_evaluates_to_the_specified_object(cli: Cli, tmp_path: Path) -> None:
    doc = evaluate_json(cli, write_json(tmp_path / "case.json", spec_case()))
    check_contract(doc, "NCT05103020")
    assert doc["review"] == {"index": 0, "date": "2026-01-15", "cycle": 0}
    rem = doc["remnant"]
    assert {k: rem[k] for k in REMNANT_KEYS} == {
        "segments": ["I", "II", "III", "IVa", "IVb"], "flr_ml": 520, "tlv_ml": 1480,
        "tlv_source": "measured", "flr_pct": 35.1, "threshold_pct": 30, "adequate": True}
    rec = doc["recist"]
    assert {k: rec[k] for k in RECIST_KEYS} == {
        "sld_mm": 60, "baseline_sld_mm": 60, "nadir_sld_mm": 60,
        "change_from_baseline_pct": 0.0, "change_from_nadir_pct": 0.0, "response": "NE"}
    # The right hepatectomy takes the RHV away with L1: U2 is not met, and says why.
    u2 = next(c for c in doc["criteria"] if c["id"] == "remnant_vessel_contact")
    assert u2["status"] == "not_met" and "RHV" in u2["explanation"]


def test_latest_review_by_default_and_review_n_on_request(cli: Cli, tmp_path: Path) -> None:
    path = write_json(tmp_path / "case.json", two_reviews())
    latest = evaluate_json(cli, path)
    assert latest["review"] == {"index": 1, "date": "2026-03-12", "cycle": 4}
    assert latest["recist"]["sld_mm"] == 38 and latest["recist"]["baseline_sld_mm"] == 60
    assert latest["recist"]["change_from_baseline_pct"] == pytest.approx(-36.7, abs=0.05)
    assert latest["recist"]["response"] == "PR"
    first = evaluate_json(cli, path, "--review", "0")
    assert first["review"]["index"] == 0 and first["recist"]["response"] == "NE"


@pytest.mark.parametrize("protocol_id", sorted(load_protocols()))
def test_every_protocol_lists_all_its_criteria_in_order(cli: Cli, tmp_path: Path,
                                                        protocol_id: str) -> None:
    doc = evaluate_json(cli, write_json(tmp_path / "case.json", two_reviews()),
                        "--protocol", protocol_id)
    check_contract(doc, protocol_id)


def test_protocol_comes_from_the_case_else_the_default(cli: Cli, tmp_path: Path) -> None:
    case = spec_case()
    case["protocol"] = {"id": "CAIRO5", "arm": None}
    assert evaluate_json(cli, write_json(tmp_path / "c.json", case))["protocol"]["id"] == "CAIRO5"
    del case["protocol"]
    doc = evaluate_json(cli, write_json(tmp_path / "d.json", case))
    assert doc["protocol"]["id"] == default_protocol_id()


def test_exit_0_whatever_the_verdict(cli: Cli, tmp_path: Path) -> None:
    case = spec_case()
    review = case["reviews"][0]
    review["extrahepatic_disease"] = "confirmed"
    review["ecog"] = 3
    doc = evaluate_json(cli, write_json(tmp_path / "case.json", case))
    assert doc["eligibility"] == "not_eligible"


def test_missing_data_is_unknown_and_named_never_a_pass(cli: Cli, tmp_path: Path) -> None:
    case = spec_case()
    review = case["reviews"][0]
    del review["labs"]
    del review["remnant"]
    review["ecog"] = None
    doc = evaluate_json(cli, write_json(tmp_path / "case.json", case))
    check_contract(doc, "NCT05103020")
    status = {c["id"]: c for c in doc["criteria"]}
    for cid, word in [("anc", "ANC"), ("plt", "latelet"), ("bilirubin", "ilirubin"),
                      ("ecog", "ECOG")]:
        assert status[cid]["status"] == "unknown", cid
        text = status[cid]["explanation"]
        assert word in text and ("not recorded" in text or "missing" in text), text
    assert doc["eligibility"] != "eligible"
    assert doc["remnant"]["adequate"] is None and doc["remnant"]["flr_ml"] is None


INVALID = [
    ("range", lambda c: c["reviews"][0]["lesions"][0].update(diameter_mm=-4),
     "reviews[0].lesions[0].diameter_mm: Lesion diameter in mm must be > 0"),
    ("unknown-field", lambda c: c["reviews"][0].update(smoker=True),
     "reviews[0].smoker: unknown field"),
    ("type", lambda c: c["patient"].update(birth_date="02/04/1961"), "patient.birth_date:"),
]


@pytest.mark.parametrize(("name", "mutate", "message"), INVALID, ids=[i[0] for i in INVALID])
def test_invalid_file_is_exit_2_with_nothing_on_stdout(cli: Cli, tmp_path: Path, name: str,
                                                       mutate: Any, message: str) -> None:
    case = spec_case()
    mutate(case)
    for extra in ([], ["--json"]):
        res = cli.run("evaluate", write_json(tmp_path / f"{name}.json", case), *extra)
        assert res.returncode == 2
        assert res.stdout == ""
        assert message in res.stderr


def test_bad_json_and_missing_file_are_exit_2(cli: Cli, tmp_path: Path) -> None:
    res = cli.run("evaluate", write_json(tmp_path / "bad.json", '{"format": "mdt-case/1",'), "--json")
    assert res.returncode == 2 and res.stdout == "" and "JSON" in res.stderr
    res = cli.run("evaluate", tmp_path / "absent.json", "--json")
    assert res.returncode == 2 and res.stdout == "" and "absent.json" in res.stderr


def test_an_array_of_one_case_prints_an_array(cli: Cli, tmp_path: Path) -> None:
    """Scripts reading a meeting's array get an array back, whatever its length; a relative
    file name that starts with "[" is still a file name, not JSON text."""
    write_json(tmp_path / "[2026-01] board.json", [spec_case()])
    res = cli.run("evaluate", "[2026-01] board.json", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    docs = json.loads(res.stdout)
    assert isinstance(docs, list) and [d["review"]["date"] for d in docs] == ["2026-01-15"]


def test_review_out_of_range_is_exit_2(cli: Cli, tmp_path: Path) -> None:
    res = cli.run("evaluate", write_json(tmp_path / "case.json", two_reviews()),
                  "--review", "5", "--json")
    assert res.returncode == 2 and res.stdout == ""
    assert "--review" in res.stderr and "5" in res.stderr


def test_unknown_protocol_is_exit_2_listing_the_known_ones(cli: Cli, tmp_path: Path) -> None:
    path = write_json(tmp_path / "case.json", spec_case())
    res = cli.run("evaluate", path, "--protocol", "NCT00000000", "--json")
    assert res.returncode == 2 and res.stdout == ""
    assert "NCT00000000" in res.stderr
    for known in load_protocols():
        assert known in res.stderr
    # The same when the unknown id comes from the case file itself.
    case = spec_case()
    case["protocol"]["id"] = "NCT00000000"
    res = cli.run("evaluate", write_json(tmp_path / "c2.json", case), "--json")
    assert res.returncode == 2 and res.stdout == ""
    assert all(known in res.stderr for known in load_protocols())


def test_readable_report_without_json(cli: Cli, tmp_path: Path) -> None:
    res = cli.run("evaluate", write_json(tmp_path / "case.json", spec_case()))
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert not text.lstrip().startswith("{")
    assert "NCT05103020" in text and "MRN-000123" in text and "2026-01-15" in text
    assert "Protocol verdict: ✔ RESECTABLE" in text
    assert "Trial eligibility:" in text
    assert "source:" not in text
    details = cli.run("evaluate", "--details", str(tmp_path / "case.json")).stdout
    assert details.count("source:") == len(load_protocols()["NCT05103020"].rules)


def test_protocols_lists_ids_versions_and_sources(cli: Cli) -> None:
    res = cli.ok("protocols")
    protocols = load_protocols()
    for p in protocols.values():
        assert f"{p.id}  v{p.version}" in res.stdout
        for source in p.sources:
            assert f"source: {source}" in res.stdout
    assert f"{default_protocol_id()}  v" in res.stdout and "(default)" in res.stdout
    listed = json.loads(cli.ok("protocols", "--json").stdout)
    assert [(p["id"], p["version"]) for p in listed] == [(p.id, p.version) for p in protocols.values()]
    assert all(p["sources"] for p in listed)


def _pharmaverse_rows() -> dict[int, list[tuple[str, str]]]:
    """Review index -> [(case stem, expected response)] for the cases long enough."""
    by_index: dict[int, list[tuple[str, str]]] = {}
    for stem, reviews in pharmaverse_expected().items():
        for index, row in reviews.items():
            by_index.setdefault(int(index), []).append((stem, row["recist"]))
    return dict(sorted(by_index.items()))


@pytest.mark.parametrize(("index", "rows"), list(_pharmaverse_rows().items()),
                         ids=[f"review{i}" for i in _pharmaverse_rows()])
def test_pharmaverse_responses_through_evaluate(cli: Cli, tmp_path: Path, index: int,
                                                rows: list[tuple[str, str]]) -> None:
    """One call per review index over a JSON array of the cases that have that review."""
    cases = [json.loads((PHARMAVERSE / "cases" / f"{stem}.json").read_text(encoding="utf-8"))
             for stem, _ in rows]
    res = cli.run("evaluate", write_json(tmp_path / "cases.json", cases), "--review", str(index),
                  "--json")
    assert res.returncode == 0, res.stderr
    docs = json.loads(res.stdout)
    assert isinstance(docs, list) and len(docs) == len(rows)  # an array in, an array out
    got = {stem: doc["recist"]["response"] for (stem, _), doc in zip(rows, docs, strict=True)}
    assert got == dict(rows)
    assert all(doc["review"]["index"] == index for doc in docs)


def test_command_line_agrees_with_the_engine_on_every_demo_patient(cli: Cli, tmp_path: Path) -> None:
    """The demo board through one ``evaluate --json`` call equals the in-process engine."""
    from mdt.caseformat import dump_cases
    from mdt.demo import demo_cases
    from mdt.protocols import evaluate, evaluation_to_dict

    cases = demo_cases()
    path = tmp_path / "board.json"
    path.write_text(dump_cases(cases), encoding="utf-8")
    docs = evaluate_json(cli, path)
    assert isinstance(docs, list) and len(docs) == len(cases)
    for case, doc in zip(cases, docs, strict=True):
        assert doc == json.loads(json.dumps(evaluation_to_dict(evaluate(case)))), case.patient.id
        check_contract(doc, case.protocol.id or default_protocol_id())
