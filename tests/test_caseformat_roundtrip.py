"""Import then export is lossless: every field of ``mdt-case/1`` survives a round trip."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import given

from mdt.case import Case, Clinical, Labs, Lesion, Review, Uln
from mdt.caseformat import (
    case_to_dict,
    dump_case,
    dump_cases,
    load_cases,
    parse_case,
    parse_review,
    review_problems,
    review_to_dict,
)
from tests.caseformat_fixtures import cases, full_case_dict, spec_example


def _leaves(obj: Any, path: str = "") -> dict[str, Any]:
    """Every leaf value of a JSON document by path (lists and objects flattened)."""
    out: dict[str, Any] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(_leaves(v, f"{path}.{k}" if path else k))
    elif isinstance(obj, list) and obj:
        for i, v in enumerate(obj):
            out.update(_leaves(v, f"{path}[{i}]"))
    else:
        out[path] = obj
    return out


def test_full_fixture_round_trips_exactly() -> None:
    doc = full_case_dict()
    case = parse_case(doc)
    assert case_to_dict(case) == doc
    assert parse_case(case_to_dict(case)) == case
    # same keys in the same order, not only equal dicts
    assert json.dumps(case_to_dict(case)) == json.dumps(doc)


def test_full_fixture_sets_every_field_of_every_type() -> None:
    """The round-trip fixture must exercise every dataclass field with a non-default value."""
    case = parse_case(full_case_dict())
    seen: dict[type, set[str]] = {}

    def walk(obj: Any) -> None:
        if dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                default = (f.default if f.default is not dataclasses.MISSING
                           else f.default_factory() if f.default_factory is not dataclasses.MISSING
                           else dataclasses.MISSING)
                if value is not None and value != default:
                    seen.setdefault(type(obj), set()).add(f.name)
                walk(value)
        elif isinstance(obj, tuple | list):
            for item in obj:
                walk(item)

    walk(case)
    for cls, names in seen.items():
        missing = {f.name for f in dataclasses.fields(cls)} - names
        assert not missing, f"{cls.__name__} fields never set in the fixture: {missing}"
    from mdt import case as case_module

    all_types = {obj for obj in vars(case_module).values()
                 if isinstance(obj, type) and dataclasses.is_dataclass(obj)}
    assert all_types - set(seen) == set()


def test_every_leaf_value_survives_import_and_export() -> None:
    doc = full_case_dict()
    assert _leaves(case_to_dict(parse_case(doc))) == _leaves(doc)


def test_numbers_keep_their_json_type() -> None:
    out = case_to_dict(parse_case(full_case_dict()))
    review = out["reviews"][0]
    assert isinstance(review["weight_kg"], int)
    assert isinstance(review["height_cm"], float)
    assert isinstance(review["clinical"]["cea"], float) and review["clinical"]["cea"] == 45.0
    assert '"cea": 45.0' in dump_case(parse_case(full_case_dict()))


def test_spec_example_imports_and_exports_in_canonical_form() -> None:
    case = parse_case(spec_example())
    out = case_to_dict(case)
    # fields the example leaves out take their documented defaults
    assert out["reviews"][0]["lesions"][2] == {
        "id": "L3", "segments": ["VI"], "diameter_mm": None, "target": False,
        "status": "disappeared"}
    assert out["reviews"][0]["labs"]["albumin"] is None
    assert case.reviews[0].lesions[0].status == "present"
    # the example's own keys come out in the example's order
    ex_keys = list(spec_example()["reviews"][0])
    assert [k for k in out["reviews"][0] if k in ex_keys] == ex_keys
    assert list(out) == list(spec_example())
    assert parse_case(out) == case


def test_extension_fields_are_written_only_when_set() -> None:
    plain = case_to_dict(parse_case(spec_example()))
    assert "treatment" not in plain
    review = plain["reviews"][0]
    assert "reason" not in review
    assert "measurement" not in review["lesions"][0]
    assert "pve" not in review["remnant"]
    assert set(review["clinical"]) == {"prior_systemic_lines", "neuropathy_grade",
                                       "life_expectancy_months", "cea", "ca19_9"}
    assert "proteinuria_g_24h" not in review["labs"]
    assert set(review["labs"]["uln"]) == {"ast", "alt", "alp", "bilirubin"}
    assert set(review["panel"]["votes"][0]) == {"member", "role", "rating"}
    assert set(review["panel"]["decision"]) == {"resectability", "plan", "rationale",
                                                "next_review"}


def test_minimal_case_defaults() -> None:
    case = parse_case({"format": "mdt-case/1", "patient": {"id": "X"}})
    assert case.reviews == () and case.treatment is None
    assert case_to_dict(case) == {
        "format": "mdt-case/1",
        "patient": {"id": "X", "name": None, "sex": None, "birth_date": None},
        "protocol": {"id": None, "arm": None},
        "reviews": [],
    }


def test_nulls_mean_not_recorded() -> None:
    doc = {"format": "mdt-case/1", "patient": {"id": "X", "sex": None},
           "protocol": None, "reviews": [{"date": "2026-01-01", "lesions": None,
                                          "clinical": None, "labs": None, "panel": None,
                                          "imaging": None, "remnant": None}]}
    review = parse_case(doc).reviews[0]
    assert review == Review(date=review.date)
    assert review.clinical == Clinical() and review.labs == Labs(uln=Uln())


def test_present_lesion_without_diameter_is_too_small_to_measure() -> None:
    lesion = parse_review({"date": "2026-01-01", "lesions": [
        {"id": "L1", "segments": ["II"], "diameter_mm": None, "status": "present"}]}).lesions[0]
    assert lesion == Lesion(id="L1", segments=("II",), diameter_mm=None)


def test_review_to_dict_and_parse_review_round_trip() -> None:
    for review in parse_case(full_case_dict()).reviews:
        assert parse_review(review_to_dict(review)) == review
        assert review_problems(review) == []


def test_review_problems_checks_objects_built_in_memory() -> None:
    review = Review(date=parse_case(full_case_dict()).reviews[0].date,
                    lesions=[Lesion(id="L1", segments=("II",), diameter_mm=0)],  # type: ignore[arg-type]
                    ecog=7)
    assert [str(p) for p in review_problems(review)] == [
        "lesions[0].diameter_mm: Lesion diameter in mm must be > 0",
        "ecog: ECOG performance status must be between 0 and 5"]


def test_dump_is_utf8_json_with_accents_kept() -> None:
    text = dump_case(parse_case(full_case_dict()))
    assert "BOILÈVE^Hélène" in text and "Øvergaard" in text
    assert text.endswith("\n")
    assert json.loads(text) == full_case_dict()


def test_array_export_reimports() -> None:
    first = parse_case(full_case_dict())
    second = dataclasses.replace(first, patient=dataclasses.replace(first.patient, id="MRN-2"))
    assert load_cases(dump_cases([first, second])) == [first, second]


@given(cases())
def test_any_valid_case_round_trips(case: Case) -> None:
    doc = case_to_dict(case)
    assert parse_case(doc) == case
    # through text too, and the export of the re-import is the same document
    again = load_cases(dump_case(case))
    assert again == [case]
    assert case_to_dict(again[0]) == doc


def test_documented_example_is_valid_and_canonical() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "case-format.md").read_text(
        encoding="utf-8")
    start = text.index("```json") + len("```json")
    example = json.loads(text[start:text.index("```", start)])
    (case,) = load_cases(json.dumps(example))
    assert case_to_dict(case) == example
