"""Every numeric criterion of every shipped protocol, on both sides of its boundary.

The cases are built from the protocol files themselves, so a threshold changed in a file is
tested at its new value: the boundary value decides as the operator says (>= and <= include
it, > and < do not), and one step beyond it decides the other way.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from mdt.protocols import evaluate, load_protocols
from tests.engine_fixtures import BASE_DATE, case, convertible_review, with_clinical, with_labs

STEP = Decimal("0.01")


def _rules(kind: str) -> list:
    return [pytest.param(p, r, id=f"{p.id}:{r.id}") for p in load_protocols().values()
            for r in p.rules if r.kind == kind]


def _sides(op: str, limit: Decimal) -> list[tuple[Decimal, str]]:
    inside = op in (">=", "<=", "==")
    beyond = limit + STEP if op in ("<=", "<") else limit - STEP
    within = limit - STEP if op in ("<=", "<") else limit + STEP
    return [(limit, "met" if inside else "not_met"), (beyond, "not_met"), (within, "met")]


def _status(protocol, rule_id: str, c) -> str:
    ev = evaluate(c, protocol=protocol)
    return next(f.status for f in ev.criteria if f.id == rule_id)


def _number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


@pytest.mark.parametrize(("protocol", "rule"), _rules("lab_threshold"))
def test_lab_thresholds(protocol, rule) -> None:
    field = rule.params["field"]
    op = rule.params["op"]
    base = convertible_review()
    if "uln_multiple" in rule.params:
        uln = Decimal(40)
        limit = Decimal(rule.params["uln_multiple"]) * uln
        base = replace(base, labs=replace(base.labs, uln=replace(base.labs.uln, **{field: 40})))
    else:
        limit = Decimal(rule.params["value"])
    for value, expected in _sides(op, limit):
        r = with_labs(base, **{field: _number(value)})
        assert _status(protocol, rule.id, case(r)) == expected, (field, value)


@pytest.mark.parametrize(("protocol", "rule"), _rules("clinical_threshold"))
def test_clinical_thresholds(protocol, rule) -> None:
    field = rule.params["field"]
    for value, expected in _sides(rule.params["op"], Decimal(rule.params["value"])):
        r = with_clinical(convertible_review(), **{field: _number(value)})
        assert _status(protocol, rule.id, case(r)) == expected, (field, value)


@pytest.mark.parametrize(("protocol", "rule"), _rules("ecog_max"))
def test_performance_status(protocol, rule) -> None:
    limit = int(rule.params["value"])
    assert _status(protocol, rule.id, case(convertible_review(ecog=limit))) == "met"
    assert _status(protocol, rule.id, case(convertible_review(ecog=limit + 1))) == "not_met"


@pytest.mark.parametrize(("protocol", "rule"), _rules("age_range"))
def test_age_bounds(protocol, rule) -> None:
    def born(age: int) -> date:
        return BASE_DATE.replace(year=BASE_DATE.year - age)

    lo, hi = rule.params.get("min"), rule.params.get("max")
    if lo:
        n = int(lo["value"])
        first = n if lo["op"] == ">=" else n + 1
        assert _status(protocol, rule.id, case(convertible_review(), birth=born(first))) == "met"
        assert _status(protocol, rule.id,
                       case(convertible_review(), birth=born(first - 1))) == "not_met"
    if hi:
        n = int(hi["value"])
        last = n if hi["op"] == "<=" else n - 1
        assert _status(protocol, rule.id, case(convertible_review(), birth=born(last))) == "met"
        assert _status(protocol, rule.id,
                       case(convertible_review(), birth=born(last + 1))) == "not_met"


@pytest.mark.parametrize(("protocol", "rule"), _rules("neuropathy_min_grade"))
def test_neuropathy_grade(protocol, rule) -> None:
    g = int(rule.params["value"])
    r = convertible_review()
    assert _status(protocol, rule.id, case(with_clinical(r, neuropathy_grade=g))) == "met"
    assert _status(protocol, rule.id, case(with_clinical(r, neuropathy_grade=g - 1))) == "not_met"


@pytest.mark.parametrize(("protocol", "rule"), _rules("creatinine_clearance_min"))
def test_creatinine_clearance(protocol, rule) -> None:
    # Male, age 64, weight = the threshold in kg: CrCl = 76 x w x 1.23 / creatinine equals the
    # threshold exactly at creatinine 93.48 µmol/L.
    limit = _number(Decimal(rule.params["value"]))
    r = replace(convertible_review(), weight_kg=limit)
    at = with_labs(r, creatinine=93.48)
    below = with_labs(r, creatinine=93.49)
    assert _status(protocol, rule.id, case(at, sex="M")) == "met"
    assert _status(protocol, rule.id, case(below, sex="M")) == "not_met"


# --------------------------------------------------------------------------- trial history items

@pytest.mark.parametrize(("protocol", "rule"), _rules("prior_systemic_lines_max"))
def test_prior_lines_for_metastatic_disease(protocol, rule) -> None:
    # NCT05103020 and CAIRO5: none (first line); SULTAN: exactly the one induction line.
    hi, lo = int(rule.params["value"]), int(rule.params.get("min_lines", 0))
    sides = [(lo, "met"), (hi, "met"), (hi + 1, "not_met")] + ([(lo - 1, "not_met")] if lo else [])
    for lines, expected in sides:
        # Adjuvant chemotherapy after resection of the primary is recorded apart: never a line.
        for adjuvant in (True, False, None):
            r = with_clinical(convertible_review(), prior_systemic_lines=lines,
                              prior_adjuvant=adjuvant)
            assert _status(protocol, rule.id, case(r)) == expected, (lines, adjuvant)
    r = with_clinical(convertible_review(), prior_systemic_lines=None, prior_adjuvant=True)
    assert _status(protocol, rule.id, case(r)) == "unknown"


@pytest.mark.parametrize(("protocol", "rule"), _rules("prior_systemic_response"))
def test_prior_systemic_treatment_refused_or_progressed(protocol, rule) -> None:
    from mdt.case import PRIOR_SYSTEMIC_RESPONSES

    allowed = set(rule.params["allowed"])
    assert allowed == {"refused", "progressed"}  # NCT06988852: "refuse or progress in prior ..."
    for response in PRIOR_SYSTEMIC_RESPONSES:
        r = with_clinical(convertible_review(), prior_systemic_response=response)
        assert _status(protocol, rule.id, case(r)) == ("met" if response in allowed
                                                       else "not_met"), response
    r = with_clinical(convertible_review(), prior_systemic_response=None)
    assert _status(protocol, rule.id, case(r)) == "unknown"


@pytest.mark.parametrize(("protocol", "rule"), _rules("prior_liver_treatment"))
def test_prior_resection_ablation_or_radiation_of_liver_metastases_excludes(protocol, rule) -> None:
    for value, expected in ((True, "met"), (False, "not_met"), (None, "unknown")):
        r = with_clinical(convertible_review(), prior_liver_treatment=value)
        assert _status(protocol, rule.id, case(r)) == expected, value


@pytest.mark.parametrize(("protocol", "rule"), _rules("lesion_count_below"))
def test_lesion_count_below(protocol, rule) -> None:
    from tests.engine_fixtures import les, review

    limit = int(rule.params["value"])
    units = ("II", "III", "IVa", "IVb", "V", "VI", "VII", "VIII", "I", "II", "III")
    for n, expected in ((limit - 1, "met"), (limit, "not_met")):
        r = review([les(f"L{i}", units[i % len(units)], d=12) for i in range(n)], ())
        assert _status(protocol, rule.id, case(r)) == expected, n


@pytest.mark.parametrize(("protocol", "rule"), _rules("measurable_lesion"))
def test_measurable_lesion(protocol, rule) -> None:
    from tests.engine_fixtures import les, review

    limit = Decimal(rule.params["min_diameter_mm"])
    for d, expected in ((limit, "met"), (limit - STEP, "not_met"), (None, "unknown")):
        r = review([les("L1", "VII", d=None if d is None else _number(d))], ())
        assert _status(protocol, rule.id, case(r)) == expected, d


# --------------------------------------------------------------------------- remnant operator

def _volume_protocols() -> list:
    kinds = {"remnant_volume_adequate", "u1_plan_feasible"}
    return [pytest.param(p, id=p.id) for p in load_protocols().values() if kinds & p.kinds]


@pytest.mark.parametrize("protocol", _volume_protocols())
def test_the_remnant_operator_of_each_protocol(protocol) -> None:
    # A normal liver before any chemotherapy: 20 %.  "At least" (AHPBA) includes 20.0 %; "more
    # than" (the Dutch guideline CAIRO5 followed) does not.
    from tests.engine_fixtures import les, plan, review

    op = protocol.settings.flr_operator
    for flr, expected in ((200, "met" if op == ">=" else "not_met"), (199.9, "not_met"),
                          (200.1, "met")):
        r = review([les("L1", "VII", d=30)], (),
                   replace(plan("right_hepatectomy", flr_ml=flr, tlv_ml=1000),
                           flr_segments=("I", "II", "III", "IVa", "IVb")))
        ev = evaluate(case(r), protocol=protocol)
        assert ev.remnant is not None and ev.remnant.status == expected, (flr, ev.remnant.summary)


# --------------------------------------------------------------------------- ablation

def _ablation_protocols(kind: str) -> list:
    return [pytest.param(p, r, id=f"{p.id}:{r.id}") for p in load_protocols().values()
            for r in p.rules if r.kind == kind]


@pytest.mark.parametrize(("protocol", "rule"), _ablation_protocols("u1_plan_feasible"))
def test_a_recorded_ablation_counts_only_where_the_protocol_says_so(protocol, rule) -> None:
    # SULTAN: conversion is to resection OR ablation (Boilève 2025); NCT05103020 and EORTC 40004
    # judge resection alone.
    from tests.engine_fixtures import les, plan, review

    r = review([les("L1", "VII", d=40), les("L2", "III", d=20)], (),
               plan("right_hepatectomy", local={"L2": "ablation"}))
    counts = protocol.settings.ablation_counts_as_resection
    assert _status(protocol, rule.id, case(r)) == ("not_met" if counts else "met")


@pytest.mark.parametrize(("protocol", "rule"), _ablation_protocols("every_lesion_treatable"))
def test_no_ablation_next_to_the_structures_the_protocol_excludes(protocol, rule) -> None:
    # EORTC 40004: a 20 mm lesion in IVb; resecting it takes the structure it touches.  The
    # proper hepatic artery and the biliary confluence both follow the main portal vein, so
    # only ablation in place can keep a remnant; it is not allowed next to the excluded ones.
    from tests.engine_fixtures import les, review, vc

    excluded = protocol.settings.ablation_excluded_near
    assert set(excluded) == {"MPV", "BC"}
    for structure in (*excluded, "PHA"):
        r = review([les("L1", "IVb", d=20)], [vc(structure, "L1")])
        expected = "not_met" if structure in excluded else "met"
        assert _status(protocol, rule.id, case(r)) == expected, structure
