"""Every shipped protocol file loads; a broken file is a clear error naming file and field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from mdt.errors import NotFound, ValidationError
from mdt.protocols import (
    default_protocol_id,
    get_protocol,
    load_protocol_versions,
    load_protocols,
    parse_protocol,
)
from mdt.protocols.loader import load_protocol_file, protocol_files
from mdt.protocols.rules import RULE_KINDS

SHIPPED = ("NCT05103020", "CAIRO5", "SULTAN", "EORTC-40004", "NCT06988852", "AHPBA-2006")


def test_every_shipped_protocol_loads() -> None:
    protocols = load_protocols()
    assert set(SHIPPED) <= set(protocols)
    assert len(protocol_files()) == len(load_protocol_versions())
    for p in protocols.values():
        assert p.version and p.title and p.sources
        for rule in p.rules:
            assert rule.kind in RULE_KINDS
            assert rule.source.strip(), f"{p.id}.{rule.id} names no source"
            assert rule.label.strip()


def test_default_protocol() -> None:
    assert default_protocol_id() == "NCT05103020"
    assert get_protocol(None).id == "NCT05103020"


def test_unknown_protocol_lists_known_ids() -> None:
    with pytest.raises(NotFound) as err:
        get_protocol("NCT00000000")
    for pid in SHIPPED:
        assert pid in str(err.value)


def test_nct05103020_is_complete() -> None:
    p = get_protocol("NCT05103020")
    kinds = [r.kind for r in p.rules]
    for kind in ("u1_plan_feasible", "u2_remnant_vessel_contact", "e1_tumours_in_all_segments",
                 "e2_bilobar_large_in_remnant", "e3_bilobar_burden", "extrahepatic",
                 "neuropathy_min_grade", "age_range", "ecog_max", "prior_systemic_lines_max",
                 "creatinine_clearance_min", "proteinuria"):
        assert kind in kinds
    labs = {r.params["field"] for r in p.rules if r.kind == "lab_threshold"}
    assert labs == {"anc", "hb", "plt", "ast", "alt", "alp", "bilirubin"}
    assert p.assessment_interval == {"weeks": 8, "cycles": 4}
    assert p.aggregation == {"kind": "consensus", "non_voting": ["coordinator", "nurse_specialist"]}
    assert p.target_lesion_limit == 2


def test_cairo5_aggregation_and_interval() -> None:
    p = get_protocol("CAIRO5")
    assert p.aggregation["kind"] == "cairo5"
    assert p.aggregation["first_round"] == 3 and p.aggregation["second_round"] == 2
    assert p.aggregation["tie"] == "chair"
    assert p.assessment_interval["weeks"] == 8


def _nct() -> dict:
    path = next(f for f in protocol_files() if f.name == "NCT05103020.json")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("mutate", "path", "reason"), [
    (lambda d: d["rules"][0].update(kind="no_such_rule"), "rules[0].kind", "unknown rule kind"),
    (lambda d: d["rules"][3]["params"]["diameter_mm"].update(op="=>"),
     "rules[3].params.diameter_mm.op", "must be one of"),
    (lambda d: d["rules"][3]["params"]["diameter_mm"].update(value=30),
     "rules[3].params.diameter_mm.value", "decimal number written as a string"),
    (lambda d: d["rules"][1].pop("source"), "rules[1].source", "required"),
    (lambda d: d["rules"][2].update(id=d["rules"][1]["id"]), "rules[2].id", "duplicate"),
    (lambda d: d["settings"].update(segment_count_units=10), "settings.segment_count_units",
     "8 or 9"),
    (lambda d: d.update(colour="red"), "colour", "unknown field"),
    (lambda d: d["outcome"].update(unresectable_if_any=["nope"]), "outcome.unresectable_if_any",
     "unknown rule"),
    (lambda d: d.pop("version"), "version", "required"),
    (lambda d: d["rules"][11]["params"].pop("field"), "rules[11].params.field", "required"),
])
def test_broken_protocol_names_file_and_field(mutate, path: str, reason: str) -> None:
    data = copy.deepcopy(_nct())
    mutate(data)
    with pytest.raises(ValidationError) as err:
        parse_protocol(data, "NCT05103020.json")
    text = str(err.value)
    assert f"NCT05103020.json: {path}" in text
    assert reason in text


def test_invalid_json_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_protocol_file(bad)
    assert "broken.json" in str(err.value) and "line 1" in str(err.value)


def test_a_directory_with_a_broken_file_does_not_load_half_way(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps(_nct()), encoding="utf-8")
    broken = _nct()
    broken["id"] = "OTHER"
    broken["rules"][0]["kind"] = "bogus"
    (tmp_path / "other.json").write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_protocols(tmp_path)
    assert "other.json: rules[0].kind" in str(err.value)


def test_every_rule_kind_is_documented() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "protocol-format.md").read_text(
        encoding="utf-8")
    for kind in RULE_KINDS:
        assert f"| `{kind}` |" in doc, f"rule kind {kind} missing from docs/protocol-format.md"


@pytest.mark.parametrize("pid", SHIPPED)
def test_every_setting_that_can_change_a_criterion_is_written_with_its_source(pid: str) -> None:
    # A reading the sources leave open is a setting in the file, with where it comes from (a
    # citation, or "Not in the sources held: ..."), never a default hidden in code.
    from dataclasses import fields

    from mdt.protocols.model import SETTING_KINDS, Settings, settings_that_matter

    assert set(SETTING_KINDS) == {f.name for f in fields(Settings)}
    p = get_protocol(pid)
    written = json.loads(next(f for f in protocol_files() if f.name == p.path).read_text(
        encoding="utf-8"))["settings"]
    for name in settings_that_matter(p):
        assert name in written, f"{pid}: setting {name} is left to its default in code"
        assert p.setting_sources.get(name, "").strip(), f"{pid}: setting {name} names no source"


def test_the_evaluation_gives_every_setting_that_matters_with_its_source() -> None:
    from mdt.protocols import evaluate, evaluation_to_dict
    from mdt.protocols.model import settings_that_matter
    from tests.engine_fixtures import case, convertible_review

    for pid in SHIPPED:
        p = get_protocol(pid)
        listed = {s["name"]: s for s in evaluation_to_dict(
            evaluate(case(convertible_review()), protocol=p))["protocol"]["settings"]}
        for name in settings_that_matter(p):
            assert listed[name]["source"] == p.setting_sources[name]
            assert listed[name]["value"] == (list(v) if isinstance(v := getattr(p.settings, name),
                                                                     tuple) else v)
