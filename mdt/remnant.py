"""Future liver remnant arithmetic (docs/clinical/reference.md#future-liver-remnant, docs/clinical/conventions.md#remnant-threshold).

Every clinical constant used for the remnant lives here, with its source:

* BSA: Mosteller RD, N Engl J Med 1987;317:1098 (``sqrt(h * w / 3600)``) and
  DuBois D, DuBois EF, Arch Intern Med 1916;17:863.
* Estimated total liver volume: Vauthey JN et al., Liver Transpl 2002;8:233-240,
  ``TELV = -794.41 + 1267.28 * BSA(Mosteller)``.
* Standardised FLR = FLR / TELV (Vauthey JN et al., Surgery 2000;127:512-519).
* Thresholds by liver condition: 20 % normal, 30 % after > 12 weeks of
  chemotherapy or steatosis (Shindoh 2013), 40 % fibrosis/cirrhosis (AHPBA).
* Remnant-to-body-weight ratio > 0.5 % (Truant S et al., J Am Coll Surg 2007).
* Kinetic growth rate = degree of hypertrophy / weeks after PVE, cut-off
  2.0 %/week (Shindoh J et al., J Am Coll Surg 2013;216:201-209).

Values that decide a boundary are exact ``Fraction``s (see :mod:`mdt.exact`);
the square root in BSA is taken with 28 significant digits, which decides every
comparison that is not within 1e-25 of a tie, and perfect squares come out exact.
"""

from __future__ import annotations

import operator as _op
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal
from fractions import Fraction
from functools import lru_cache

from mdt.exact import exact

Number = int | float

VAUTHEY_INTERCEPT = Fraction("-794.41")
VAUTHEY_SLOPE = Fraction("1267.28")
DUBOIS_FACTOR = 0.007184

THRESHOLD_PCT: dict[str, Fraction] = {
    "normal": Fraction(20),
    "chemotherapy": Fraction(30),
    "steatosis": Fraction(30),
    "fibrosis": Fraction(40),
    "cirrhosis": Fraction(40),
}
"""Minimum standardised FLR (% of total liver volume) by liver condition."""
CONDITION_WORDS: dict[str, str] = {
    "normal": "normal liver", "chemotherapy": "liver after chemotherapy",
    "steatosis": "steatotic liver", "fibrosis": "fibrotic liver", "cirrhosis": "cirrhotic liver",
    "unknown": "liver condition unknown",
}

CHEMO_WEEKS_FOR_30_PCT = 12
"""After MORE than 12 weeks (84 days) of chemotherapy a liver recorded as normal is judged
against the post-chemotherapy threshold, 30 % (Shindoh 2013;
docs/clinical/conventions.md#weeks-of-chemotherapy).  A protocol may change the
number of weeks (setting ``chemotherapy_weeks``); :func:`threshold_choice` is the only place
the rule is applied."""

AT_THRESHOLD_BAND = Fraction(1, 2)
"""Within 0.5 percentage points of the threshold the evaluation says "at threshold"."""

BWR_THRESHOLD_PCT = Fraction(1, 2)
"""Remnant-to-body-weight ratio: <= 0.5 % is high risk (Truant 2007)."""

KGR_THRESHOLD_PCT_WEEK = Fraction(2)
"""Kinetic growth rate after PVE: < 2 %/week predicts insufficiency (Shindoh 2013)."""

_SQRT_CONTEXT = Context(prec=28)


def _sqrt(value: Fraction) -> Fraction:
    num = Decimal(value.numerator)
    den = Decimal(value.denominator)
    return Fraction(_SQRT_CONTEXT.divide(num, den).sqrt(_SQRT_CONTEXT))


def bsa_mosteller_exact(height_cm: Number, weight_kg: Number) -> Fraction:
    """Mosteller BSA (m²) as an exact-enough rational for boundary comparisons."""
    return _sqrt(exact(height_cm) * exact(weight_kg) / 3600)


def bsa_mosteller(height_cm: Number | None, weight_kg: Number | None) -> float | None:
    """Mosteller BSA in m², or None when height or weight is missing or not positive."""
    if height_cm is None or weight_kg is None or height_cm <= 0 or weight_kg <= 0:
        return None
    return float(bsa_mosteller_exact(height_cm, weight_kg))


def bsa_dubois(height_cm: Number | None, weight_kg: Number | None) -> float | None:
    """DuBois BSA in m², or None when height or weight is missing or not positive."""
    if height_cm is None or weight_kg is None or height_cm <= 0 or weight_kg <= 0:
        return None
    return DUBOIS_FACTOR * float(weight_kg) ** 0.425 * float(height_cm) ** 0.725


def vauthey_tlv_exact(bsa_m2: Fraction) -> Fraction:
    return VAUTHEY_INTERCEPT + VAUTHEY_SLOPE * bsa_m2


def vauthey_tlv_ml(bsa_m2: Number | None) -> float | None:
    """Estimated total liver volume (mL) from BSA (Vauthey 2002); None without a BSA."""
    if bsa_m2 is None:
        return None
    return float(vauthey_tlv_exact(exact(bsa_m2)))


@dataclass(frozen=True, slots=True)
class ChemotherapyWeeks:
    weeks: Fraction | None
    """Weeks of chemotherapy at the review; None when neither a start date nor completed
    cycles with a cycle length are known."""
    basis: str
    """How they were counted, in words ("since the treatment start 2026-01-15", "8 cycles ×
    2 weeks", "unknown: no start date and no cycle count")."""


def chemotherapy_weeks(start: date | None, on: date, cycles: int | None,
                       cycle_length_weeks: int | None) -> ChemotherapyWeeks:
    """Weeks of chemotherapy at a review (docs/clinical/conventions.md#weeks-of-chemotherapy): from the start date to
    the review date; with no start date, completed cycles × the protocol's cycle length; with
    neither, unknown."""
    if start is not None:
        days = max(0, (on - start).days)
        return ChemotherapyWeeks(Fraction(days, 7),
                                 f"{_weeks_text(Fraction(days, 7))} since the treatment start "
                                 f"{start.isoformat()}")
    if cycles == 0:
        return ChemotherapyWeeks(Fraction(0), "no cycle completed")
    if cycles is not None and cycle_length_weeks:
        weeks = Fraction(cycles * cycle_length_weeks)
        return ChemotherapyWeeks(weeks, f"{cycles} cycles × {cycle_length_weeks} weeks "
                                        "(no treatment start date recorded)")
    if cycles is not None:
        return ChemotherapyWeeks(None, f"{cycles} cycles, but the protocol fixes no cycle "
                                       "length and no treatment start date is recorded")
    return ChemotherapyWeeks(None, "unknown: no treatment start date and no cycle count")


def _weeks_text(weeks: Fraction) -> str:
    whole, rest = divmod(weeks.numerator, weeks.denominator)
    days = round(Fraction(rest, weeks.denominator) * 7)
    text = f"{whole} week{'' if whole == 1 else 's'}"
    return text + (f" {days} day{'' if days == 1 else 's'}" if days else "")


@dataclass(frozen=True, slots=True)
class ThresholdChoice:
    thresholds: tuple[Fraction, ...]
    """Every threshold the facts still allow (one when decided), ascending."""
    condition: str | None
    """The liver condition the threshold is for when decided (``chemotherapy`` for a normal
    liver after more than the protocol's weeks of chemotherapy)."""
    note: str
    """Why, in words ("normal liver, but 15 weeks of chemotherapy (more than 12)")."""


def threshold_choice(liver_condition: str | None, chemo: ChemotherapyWeeks,
                     weeks_limit: int = CHEMO_WEEKS_FOR_30_PCT) -> ThresholdChoice:
    """The minimum remnant share for a liver: 20 % normal, 30 % after more than
    ``weeks_limit`` weeks of chemotherapy or with steatosis, 40 % fibrosis or cirrhosis.
    An unrecorded condition, or a normal liver whose weeks of chemotherapy are unknown, leaves
    several thresholds possible: the caller decides only where they all agree."""
    weeks = chemo.weeks
    longer = None if weeks is None else weeks > weeks_limit
    if liver_condition in ("chemotherapy", "steatosis", "fibrosis", "cirrhosis"):
        return ThresholdChoice((THRESHOLD_PCT[liver_condition],), liver_condition,
                               CONDITION_WORDS[liver_condition])
    if liver_condition == "normal":
        if longer is True:
            return ThresholdChoice((THRESHOLD_PCT["chemotherapy"],), "chemotherapy",
                                   f"recorded as normal, but {chemo.basis}: more than "
                                   f"{weeks_limit} weeks of chemotherapy")
        if longer is False:
            return ThresholdChoice((THRESHOLD_PCT["normal"],), "normal",
                                   f"normal liver; {chemo.basis} (not more than {weeks_limit})")
        return ThresholdChoice((THRESHOLD_PCT["normal"], THRESHOLD_PCT["chemotherapy"]), None,
                               f"normal liver, but the weeks of chemotherapy are {chemo.basis}")
    allowed = sorted(set(THRESHOLD_PCT.values()))
    if longer is True:
        allowed = [t for t in allowed if t >= THRESHOLD_PCT["chemotherapy"]]
    return ThresholdChoice(tuple(allowed), None, "liver condition not recorded")


def standardised_flr(flr_ml: Number | None, tlv_ml: Number | None) -> float | None:
    """FLR as a percentage of total liver volume; None when either volume is missing."""
    if flr_ml is None or tlv_ml is None or tlv_ml <= 0:
        return None
    return float(exact(flr_ml) * 100 / exact(tlv_ml))


def flr_bwr(flr_ml: Number | None, weight_kg: Number | None) -> float | None:
    """Remnant-to-body-weight ratio in % (1 mL of liver ~ 1 g): FLR_g / (BW_kg * 1000) * 100."""
    if flr_ml is None or weight_kg is None or weight_kg <= 0:
        return None
    return float(exact(flr_ml) / (exact(weight_kg) * 10))


def kgr(sflr_before_pct: Number | Fraction | None, sflr_after_pct: Number | Fraction | None,
        days_between: Number | None) -> float | None:
    """Kinetic growth rate (percentage points per week) after portal vein embolisation."""
    if sflr_before_pct is None or sflr_after_pct is None or not days_between or days_between <= 0:
        return None
    dh = exact(sflr_after_pct) - exact(sflr_before_pct)
    return float(dh * 7 / exact(days_between))


@dataclass(frozen=True, slots=True)
class TotalVolume:
    ml: Fraction
    source: str
    """``measured`` or ``estimated`` (Vauthey from Mosteller BSA)."""


@lru_cache(maxsize=1024)
def total_volume(tlv_ml: Number | None, height_cm: Number | None,
                 weight_kg: Number | None) -> TotalVolume | None:
    """Measured total liver volume when given, else the Vauthey estimate, else None."""
    if tlv_ml is not None and tlv_ml > 0:
        return TotalVolume(exact(tlv_ml), "measured")
    if height_cm is None or weight_kg is None or height_cm <= 0 or weight_kg <= 0:
        return None
    tlv = vauthey_tlv_exact(bsa_mosteller_exact(height_cm, weight_kg))
    if tlv <= 0:
        return None
    return TotalVolume(tlv, "estimated")


def compare(value: Fraction | int, operator: str, limit: Fraction | int) -> bool:
    """Apply a protocol operator exactly (cross-multiplied integers: the same answer as
    comparing the Fractions, a few times faster)."""
    test = _INT_TESTS.get(operator)
    if test is None:
        raise ValueError(f"unknown operator {operator!r}")
    return test(value.numerator * limit.denominator, limit.numerator * value.denominator)


_INT_TESTS = {">=": _op.ge, ">": _op.gt, "<=": _op.le, "<": _op.lt, "==": _op.eq}


def at_threshold(flr_pct: Fraction, limit: Fraction) -> bool:
    return abs(flr_pct - limit) <= AT_THRESHOLD_BAND
