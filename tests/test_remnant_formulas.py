"""Remnant arithmetic (docs/clinical/reference.md#future-liver-remnant): BSA, Vauthey TLV, sFLR, BWR, KGR, thresholds."""

from __future__ import annotations

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


@pytest.mark.parametrize(("condition", "pct"), [
    ("normal", 20), ("chemotherapy", 30), ("steatosis", 30), ("fibrosis", 40),
    ("cirrhosis", 40), ("unknown", None), (None, None),
])
def test_thresholds_by_liver_condition(condition: str | None, pct: float | None) -> None:
    assert remnant.threshold_pct(condition) == pct


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
