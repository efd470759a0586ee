"""Remnant arithmetic (docs/clinical/reference.md#future-liver-remnant): BSA, Vauthey TLV, sFLR, BWR, KGR, thresholds."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from mdt import remnant


def test_bsa_mosteller_and_dubois_reference_example() -> None:
    # docs/clinical/reference.md#remnant-formulas: 176 cm / 78 kg -> 1.953 (Mosteller) vs 1.943 (DuBois) m².
    assert remnant.bsa_mosteller(176, 78) == pytest.approx(1.953, abs=0.0005)
    assert remnant.bsa_dubois(176, 78) == pytest.approx(1.943, abs=0.0005)


def test_bsa_perfect_square_is_exact() -> None:
    assert remnant.bsa_mosteller_exact(180, 80) == 2  # sqrt(14400/3600)


@pytest.mark.parametrize("args", [(None, 70), (170, None), (0, 70), (170, -1)])
def test_bsa_missing_inputs_give_none(args: tuple) -> None:
    assert remnant.bsa_mosteller(*args) is None
    assert remnant.bsa_dubois(*args) is None


def test_vauthey_tlv() -> None:
    assert remnant.vauthey_tlv_ml(2) == pytest.approx(-794.41 + 1267.28 * 2)
    assert remnant.vauthey_tlv_ml(None) is None
    tv = remnant.total_volume(None, 180, 80)
    assert tv is not None and tv.source == "estimated" and tv.ml == Fraction("1740.15")
    assert remnant.total_volume(1500, 180, 80).source == "measured"  # type: ignore[union-attr]
    assert remnant.total_volume(None, None, 80) is None


ZERO = remnant.ChemotherapyWeeks(Fraction(0), "no cycle completed")
UNKNOWN_WEEKS = remnant.ChemotherapyWeeks(None, "unknown")


@pytest.mark.parametrize(("condition", "weeks", "thresholds"), [
    ("normal", ZERO, (20,)), ("chemotherapy", ZERO, (30,)), ("steatosis", ZERO, (30,)),
    ("fibrosis", ZERO, (40,)), ("cirrhosis", ZERO, (40,)),
    ("unknown", ZERO, (20, 30, 40)), (None, ZERO, (20, 30, 40)),
    # The chemotherapy-30 % rule, in one function: more than 12 weeks, never exactly 12.
    ("normal", remnant.ChemotherapyWeeks(Fraction(12), "12 weeks"), (20,)),
    ("normal", remnant.ChemotherapyWeeks(Fraction(85, 7), "12 weeks 1 day"), (30,)),
    ("normal", UNKNOWN_WEEKS, (20, 30)),          # unknown weeks: both stay possible
    (None, remnant.ChemotherapyWeeks(Fraction(13), "13 weeks"), (30, 40)),
    ("cirrhosis", remnant.ChemotherapyWeeks(Fraction(20), "20 weeks"), (40,)),
])
def test_threshold_by_liver_condition_and_weeks_of_chemotherapy(
        condition: str | None, weeks: remnant.ChemotherapyWeeks, thresholds: tuple) -> None:
    choice = remnant.threshold_choice(condition, weeks)
    assert choice.thresholds == tuple(Fraction(t) for t in thresholds)


@pytest.mark.parametrize(("start", "cycles", "length", "weeks"), [
    (date(2026, 1, 1), None, 2, Fraction(84, 7)),      # from the start date
    (date(2026, 1, 1), 9, 2, Fraction(84, 7)),         # the start date wins over cycles
    (None, 6, 2, Fraction(12)),                        # cycles x cycle length
    (None, 7, 2, Fraction(14)),
    (None, 0, None, Fraction(0)),                      # no cycle: no chemotherapy yet
    (None, 4, None, None),                             # no cycle length: unknown
    (None, None, 2, None),                             # neither: unknown
])
def test_weeks_of_chemotherapy(start: date | None, cycles: int | None, length: int | None,
                               weeks: Fraction | None) -> None:
    got = remnant.chemotherapy_weeks(start, date(2026, 3, 26), cycles, length)
    assert got.weeks == weeks and got.basis


def test_standardised_flr_bwr_kgr() -> None:
    assert remnant.standardised_flr(300, 1000) == 30.0
    assert remnant.standardised_flr(None, 1000) is None
    assert remnant.flr_bwr(350, 70) == 0.5
    assert remnant.flr_bwr(350, None) is None
    # 26 % -> 36 % in 35 days = 2 points per week (Shindoh cut-off).
    assert remnant.kgr(26, 36, 35) == 2.0
    assert remnant.kgr(26, 36, 0) is None


@pytest.mark.parametrize(("pct", "op", "limit", "ok", "near"), [
    (Fraction(30), ">=", Fraction(30), True, True),
    (Fraction(30), ">", Fraction(30), False, True),
    (Fraction("29.5"), ">=", Fraction(30), False, True),
    (Fraction("29.49"), ">=", Fraction(30), False, False),
    (Fraction("30.5"), ">=", Fraction(30), True, True),
    (Fraction("30.51"), ">=", Fraction(30), True, False),
])
def test_threshold_comparison_and_at_threshold_band(pct: Fraction, op: str, limit: Fraction,
                                                    ok: bool, near: bool) -> None:
    assert remnant.compare(pct, op, limit) is ok
    assert remnant.at_threshold(pct, limit) is near


def test_compare_rejects_unknown_operator() -> None:
    with pytest.raises(ValueError):
        remnant.compare(Fraction(1), "=>", Fraction(1))
