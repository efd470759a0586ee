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
