"""``python main.py evaluate`` and ``python main.py protocols`` as specified in case-format.md."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CASE = {
    "format": "mdt-case/1",
    "patient": {"id": "MRN-000123", "name": "DOE^JANE", "sex": "F", "birth_date": "1961-04-02"},
    "protocol": {"id": "NCT05103020", "arm": "A"},
    "reviews": [
        {
            "date": "2026-01-15", "cycle": 0, "height_cm": 165, "weight_kg": 64,
            "imaging": {"modality": "CT", "date": "2026-01-12",
                        "study_uid": "1.2.826.0.1.3680043.8.498.1"},
            "lesions": [
                {"id": "L1", "segments": ["VII", "VIII"], "diameter_mm": 42, "target": True},
                {"id": "L2", "segments": ["III"], "diameter_mm": 18, "target": True},
                {"id": "L3", "segments": ["VI"], "diameter_mm": None, "status": "disappeared"},
            ],
            "vessels": [{"structure": "RHV", "relation": "contact", "lesion": "L1"}],
            "remnant": {"resection": "left_hepatectomy", "segments": None,
                        "local_treatment": [], "flr_ml": 900, "tlv_ml": 1480,
                        "liver_condition": "chemotherapy"},
            "tumour_burden_pct": None, "extrahepatic_disease": "none", "ecog": 1,
            "clinical": {"prior_systemic_lines": 0, "neuropathy_grade": 0,
                         "life_expectancy_months": 24, "cea": 45.0, "ca19_9": None},
            "labs": {"anc": 2.4, "hb": 11.8, "plt": 210, "ast": 38, "alt": 41, "alp": 130,
                     "bilirubin": 11, "creatinine": 78, "proteinuria": "neg",
                     "uln": {"ast": 40, "alt": 41, "alp": 120, "bilirubin": 21}},
            "panel": {"votes": [], "decision": None},
        },
    ],
}


def _second_review() -> dict:
    r = copy.deepcopy(CASE["reviews"][0])
    r["date"] = "2026-03-12"
    r["cycle"] = 4
    r["lesions"][0]["diameter_mm"] = 28
    r["lesions"][1]["diameter_mm"] = 10
    return r


def run(*args: str, case: object = CASE, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    argv = [a.replace("CASE", str(path)) for a in args]
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"})


def test_evaluate_json_is_mdt_evaluation_1(tmp_path: Path) -> None:
    res = run("evaluate", "CASE", "--json", tmp_path=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["format"] == "mdt-evaluation/1"
    assert doc["protocol"]["id"] == "NCT05103020" and doc["protocol"]["version"] == "2"
    assert doc["review"] == {"index": 0, "date": "2026-01-15", "cycle": 0}
    # A left hepatectomy keeps the RHV that L1 touches: U2 met, convertible.
    assert doc["resectability"] == "convertible"
    assert doc["eligibility"] == "eligible"
    crit = {c["id"]: c for c in doc["criteria"]}
    u2 = crit["remnant_vessel_contact"]
    assert u2["status"] == "met" and u2["group"] == "unresectability"
    assert "L1 (VII, VIII) contacts the RHV" in u2["explanation"]
    assert u2["source"].startswith("NCT05103020 Table 1")
    rem = doc["remnant"]
    assert rem["segments"] == ["I", "V", "VI", "VII", "VIII"]
    assert rem["flr_ml"] == 900 and rem["tlv_ml"] == 1480 and rem["tlv_source"] == "measured"
    assert rem["flr_pct"] == 60.8 and rem["threshold_pct"] == 30 and rem["adequate"] is True
    assert doc["recist"]["response"] == "NE" and doc["recist"]["sld_mm"] == 60


def test_evaluate_review_index_and_latest(tmp_path: Path) -> None:
    two = copy.deepcopy(CASE)
    two["reviews"].append(_second_review())
    res = run("evaluate", "CASE", "--json", case=two, tmp_path=tmp_path)
    doc = json.loads(res.stdout)
    assert doc["review"]["index"] == 1 and doc["recist"]["response"] == "PR"
    res = run("evaluate", "CASE", "--review", "0", "--json", case=two, tmp_path=tmp_path)
    assert json.loads(res.stdout)["review"]["index"] == 0
    res = run("evaluate", "CASE", "--review", "5", "--json", case=two, tmp_path=tmp_path)
    assert res.returncode == 2 and res.stdout == ""
    assert "review 5" in res.stderr


def test_evaluate_protocol_option_overrides_the_case(tmp_path: Path) -> None:
    res = run("evaluate", "CASE", "--protocol", "AHPBA-2006", "--json", tmp_path=tmp_path)
    doc = json.loads(res.stdout)
    assert doc["protocol"]["id"] == "AHPBA-2006" and doc["eligibility"] is None


def test_unknown_protocol_exits_2_listing_known_ids(tmp_path: Path) -> None:
    res = run("evaluate", "CASE", "--protocol", "NOPE", "--json", tmp_path=tmp_path)
    assert res.returncode == 2 and res.stdout == ""
    for pid in ("NCT05103020", "CAIRO5", "SULTAN"):
        assert pid in res.stderr
    bad = copy.deepcopy(CASE)
    bad["protocol"]["id"] = "NOPE"
    res = run("evaluate", "CASE", "--json", case=bad, tmp_path=tmp_path)
    assert res.returncode == 2 and "NCT05103020" in res.stderr


def test_invalid_case_exits_2_naming_every_field(tmp_path: Path) -> None:
    bad = copy.deepcopy(CASE)
    bad["reviews"][0]["lesions"][0]["diameter_mm"] = -3
    bad["reviews"][0]["ecog"] = 9
    res = run("evaluate", "CASE", "--json", case=bad, tmp_path=tmp_path)
    assert res.returncode == 2
    assert res.stdout == ""
    assert "reviews[0].lesions[0].diameter_mm" in res.stderr
    assert "reviews[0].ecog" in res.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "evaluate",
                          str(tmp_path / "absent.json")], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2 and res.stdout == ""
    assert "absent.json" in res.stderr


def test_text_report_for_a_person(tmp_path: Path) -> None:
    res = run("evaluate", "CASE", tmp_path=tmp_path)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    # The verdict with what decided it: each criterion that applies and what was found.
    assert "Protocol verdict: ● CONVERTIBLE — unresectable now (U1 — not possible:" in out
    assert "U2 — present:" in out
    assert "Trial eligibility: ✔ ELIGIBLE — judged at this review" in out
    # One line per criterion: the legend mark, the name, what was found.
    flat = " ".join(out.split())
    assert "● unresectable now U2 Tumour contact with a major vessel of the remnant — present: " \
           "L1 contacts the RHV" in flat
    # Against a MEASURED total liver volume the share is not "standardised" (AHPBA wording).
    assert "remnant share (FLR / TLV) 60.8 %" in out and "standardised" not in out
    assert "{" not in out.splitlines()[0]
    # A person reads no rule id and no field path.
    assert "remnant_vessel_contact" not in out and "reviews[" not in out and "source:" not in out
    details = run("evaluate", "CASE", "--details", tmp_path=tmp_path).stdout
    assert "source: NCT05103020 Table 1" in details
    assert "criterion: Metastases in contact with major vessels of the remnant liver" in details


def test_protocols_lists_versions_and_sources(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "protocols"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    for pid in ("NCT05103020", "CAIRO5", "SULTAN", "EORTC-40004", "NCT06988852", "AHPBA-2006"):
        assert pid in res.stdout
    assert "v2 (default)" in res.stdout and "source: Kim JS" in res.stdout
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "protocols", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    listed = json.loads(res.stdout)
    assert {p["id"] for p in listed} >= {"NCT05103020", "CAIRO5"}
    assert all(p["sources"] for p in listed)


@pytest.mark.parametrize("flag", ["--json", None])
def test_a_json_array_of_cases_evaluates_each(tmp_path: Path, flag: str | None) -> None:
    other = copy.deepcopy(CASE)
    other["patient"]["id"] = "MRN-2"
    args = ["evaluate", "CASE"] + ([flag] if flag else [])
    res = run(*args, case=[CASE, other], tmp_path=tmp_path)
    assert res.returncode == 0, res.stderr
    if flag:
        assert [d["format"] for d in json.loads(res.stdout)] == ["mdt-evaluation/1"] * 2
    else:
        assert "MRN-000123" in res.stdout and "MRN-2" in res.stdout


def test_report_without_eligibility_block_and_with_unknowns() -> None:
    from mdt.protocols import render_report
    from tests.engine_fixtures import evaluate_review, les, plan, review

    r = review([les("L1", "VI", d=30), les("L2", "II", d=None)], [],
               plan("right_hepatectomy", local={"L2": "wedge"}, flr_ml=None, tlv_ml=None))
    text = render_report(evaluate_review(r, "AHPBA-2006"), "P-1")
    assert "Trial eligibility: no eligibility block in this protocol" in text
    assert "Protocol verdict: ? INDETERMINATE" in text
    assert "Future remnant volume (FLR)" in text  # the field's one name (mdt.field_names)
    assert "reviews[0]" not in text
    assert "? unknown" in text and "Remnant volume adequate for the liver — not assessed" in text
