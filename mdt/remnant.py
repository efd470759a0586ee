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

from dataclasses import dataclass
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

CHEMO_DAYS_FOR_30_PCT = 84
"""After MORE than 12 weeks (84 days) of chemotherapy the 30 % threshold applies (Shindoh 2013;
docs/clinical/conventions.md#weeks-of-chemotherapy), whatever liver condition was recorded as "normal"."""

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


def threshold_pct(liver_condition: str | None) -> float | None:
    """Minimum standardised FLR in % for a liver condition; None when it is not known."""
    value = THRESHOLD_PCT.get(liver_condition or "")
    return None if value is None else float(value)


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


def compare(value: Fraction, operator: str, limit: Fraction) -> bool:
    """Apply a protocol operator exactly."""
    if operator == ">=":
        return value >= limit
    if operator == ">":
        return value > limit
    if operator == "<=":
        return value <= limit
    if operator == "<":
        return value < limit
    if operator == "==":
        return value == limit
    raise ValueError(f"unknown operator {operator!r}")


def at_threshold(flr_pct: Fraction, limit: Fraction) -> bool:
    return abs(flr_pct - limit) <= AT_THRESHOLD_BAND
