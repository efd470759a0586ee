"""Clinical scores used by the board: Fong CRS, tumour burden score, Child-Pugh, Cockcroft-Gault.

Each constant sits here once, with its reference.  Boundaries are compared on exact rationals
(:func:`mdt.exact.exact`).  Missing inputs give an unknown result that names what is missing,
unless the known inputs already decide the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from mdt.case import ASCITES, ENCEPHALOPATHY, Number, Review
from mdt.exact import exact, to_float

# --- Fong clinical risk score ------------------------------------------------------------------
# Fong Y et al. Ann Surg 1999;230(3):309-318: one point each; low risk 0-2, high risk 3-5.

FONG_DFI_MONTHS = Fraction(12)
"""Disease-free interval primary -> liver metastases strictly under 12 months scores
(synchronous disease counts as under 12)."""
FONG_TUMOUR_COUNT = 1
"""More than one liver metastasis scores."""
FONG_CEA_NG_ML = Fraction(200)
"""Preoperative CEA strictly above 200 ng/mL scores."""
FONG_LARGEST_MM = Fraction(50)
"""Largest metastasis strictly above 5 cm scores."""
FONG_HIGH_RISK_FROM = 3
"""Scores 3-5 are high risk (PUMP eligibility is 0-2)."""


@dataclass(frozen=True, slots=True)
class FongScore:
    points: int | None
    """The score 0-5, or None while an input is missing."""
    min_points: int
    max_points: int
    risk: str | None
    """``low`` (0-2) or ``high`` (3-5); decided even with inputs missing when the known points
    settle it, else None."""
    factors: tuple[tuple[str, bool | None], ...]
    """Each factor with True (scores), False, or None (unknown), in the paper's order."""
    missing: tuple[str, ...] = ()


def fong_crs(
    node_positive_primary: bool | None,
    disease_free_interval_months: Number | None,
    tumour_count: int | None,
    cea_ng_ml: Number | None,
    largest_diameter_mm: Number | None,
    synchronous: bool | None = None,
) -> FongScore:
    """Fong clinical risk score; a synchronous presentation scores the interval factor."""
    dfi: bool | None
    if synchronous:
        dfi = True
    elif disease_free_interval_months is not None:
        dfi = exact(disease_free_interval_months) < FONG_DFI_MONTHS
    else:
        dfi = None
    factors: list[tuple[str, bool | None, str]] = [
        ("node_positive_primary", node_positive_primary, "node_positive_primary"),
        ("disease_free_interval_under_12_months", dfi, "disease_free_interval_months"),
        ("more_than_one_tumour",
         None if tumour_count is None else tumour_count > FONG_TUMOUR_COUNT, "tumour_count"),
        ("cea_over_200",
         None if cea_ng_ml is None else exact(cea_ng_ml) > FONG_CEA_NG_ML, "cea_ng_ml"),
        ("largest_over_5_cm",
         None if largest_diameter_mm is None else exact(largest_diameter_mm) > FONG_LARGEST_MM,
         "largest_diameter_mm"),
    ]
    known = sum(1 for _, value, _ in factors if value)
    missing = tuple(field for _, value, field in factors if value is None)
    low, high = known, known + len(missing)
    if low >= FONG_HIGH_RISK_FROM:
        risk: str | None = "high"
    elif high < FONG_HIGH_RISK_FROM:
        risk = "low"
    else:
        risk = None
    return FongScore(
        points=None if missing else known,
        min_points=low,
        max_points=high,
        risk=risk,
        factors=tuple((name, value) for name, value, _ in factors),
        missing=missing,
    )


# --- Tumour burden score -----------------------------------------------------------------------
# Sasaki K et al. Ann Surg 2018;267:132-141: TBS = sqrt(largest diameter in cm ^ 2 + count ^ 2);
# zones low < 3, medium 3 to < 9, high >= 9.

TBS_ZONES: tuple[tuple[str, Fraction], ...] = (("low", Fraction(3)), ("medium", Fraction(9)))
"""Upper (exclusive) limit of each zone; above the last is ``high``."""


def tumour_burden_score(max_diameter_mm: Number | None, count: int | None) -> float | None:
    """TBS rounded to 2 decimals (45 mm and 4 lesions -> 6.02); None when an input is missing."""
    if max_diameter_mm is None or count is None:
        return None
    squared = _tbs_squared(max_diameter_mm, count)
    return round(math.sqrt(squared), 2)


def _tbs_squared(max_diameter_mm: Number, count: int) -> Fraction:
    cm = exact(max_diameter_mm) / 10
    return cm * cm + count * count


def tbs_zone(max_diameter_mm: Number | None, count: int | None) -> str | None:
    """``low``, ``medium`` or ``high``, decided on the exact squares (TBS 3.0 is medium)."""
    if max_diameter_mm is None or count is None:
        return None
    squared = _tbs_squared(max_diameter_mm, count)
    for zone, limit in TBS_ZONES:
        if squared < limit * limit:
            return zone
    return "high"


# --- from a review -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiverDisease:
    """Lesion count and largest diameter of the liver lesions present at a review."""
    count: int
    largest_mm: Number | None
    """None when a present lesion has no diameter (the largest is then unknown), unless a
    measured one already exceeds every threshold used (see ``largest_at_least_mm``)."""
    largest_at_least_mm: Number | None
    """The largest measured diameter: a lower bound of the true largest."""
    unmeasured: tuple[str, ...] = ()


def liver_disease(review: Review) -> LiverDisease:
    """Lesions still present (not disappeared, resected or ablated) at ``review``."""
    present = [les for les in review.lesions if les.status == "present"]
    measured = [les.diameter_mm for les in present if les.diameter_mm is not None]
    unmeasured = tuple(les.id for les in present if les.diameter_mm is None)
    at_least = max(measured, key=exact) if measured else None
    return LiverDisease(
        count=len(present),
        largest_mm=None if unmeasured else at_least,
        largest_at_least_mm=at_least,
        unmeasured=unmeasured,
    )


def fong_for_review(review: Review) -> FongScore:
    """Fong score from a review: clinical fields, the present lesions and CEA.

    With a lesion of unknown size the "largest > 5 cm" factor is still decided when a measured
    lesion already exceeds 5 cm; otherwise it is unknown.
    """
    disease = liver_disease(review)
    largest = disease.largest_mm
    if largest is None and disease.largest_at_least_mm is not None and \
            exact(disease.largest_at_least_mm) > FONG_LARGEST_MM:
        largest = disease.largest_at_least_mm
    clinical = review.clinical
    return fong_crs(
        clinical.node_positive_primary,
        clinical.disease_free_interval_months,
        disease.count if review.lesions else None,
        clinical.cea,
        largest,
        clinical.synchronous,
    )


def tumour_burden_for_review(review: Review) -> tuple[float | None, str | None]:
    """(TBS, zone) from the present lesions; unknown when one of them has no diameter or no
    lesion is recorded."""
    disease = liver_disease(review)
    if disease.count == 0 or disease.largest_mm is None:
        return None, None
    return (tumour_burden_score(disease.largest_mm, disease.count),
            tbs_zone(disease.largest_mm, disease.count))


# --- Child-Pugh --------------------------------------------------------------------------------
# Pugh RNH et al. Br J Surg 1973;60:646-649, SI units; boundary values fall in the 2-point band.

CP_BILIRUBIN_UMOL_L = (Fraction(34), Fraction(50))
"""1 point < 34 µmol/L (< 2 mg/dL); 2 points 34-50; 3 points > 50 (> 3 mg/dL)."""
CP_ALBUMIN_G_L = (Fraction(35), Fraction(28))
"""1 point > 35 g/L; 2 points 28-35; 3 points < 28."""
CP_INR = (Fraction(17, 10), Fraction(23, 10))
"""1 point < 1.7; 2 points 1.7-2.3; 3 points > 2.3."""
CP_CLASSES: tuple[tuple[str, int], ...] = (("A", 6), ("B", 9), ("C", 15))
"""Class A 5-6, B 7-9, C 10-15 points (highest points of each class)."""


@dataclass(frozen=True, slots=True)
class ChildPugh:
    points: int | None
    """5-15, or None while an input is missing."""
    grade: str | None
    """``A``, ``B`` or ``C``; decided even with inputs missing when the known points settle
    it (e.g. 10 known points is C whatever the rest), else None."""
    missing: tuple[str, ...] = ()
    min_points: int = 5
    max_points: int = 15
    components: tuple[tuple[str, int | None], ...] = ()

    @property
    def known(self) -> bool:
        return self.points is not None


def _cp_class(points: int) -> str:
    for grade, upper in CP_CLASSES:
        if points <= upper:
            return grade
    return "C"


def child_pugh(
    bilirubin_umol_l: Number | None,
    albumin_g_l: Number | None,
    inr: Number | None,
    ascites: str | None,
    encephalopathy: str | None,
) -> ChildPugh:
    """Child-Pugh points and class.  Always returns a ``ChildPugh``; with inputs missing its
    ``points`` is None, ``missing`` names them and ``grade`` is given only if already decided.

    Raises ValueError for an ascites or encephalopathy value outside the case vocabulary.
    """
    if ascites is not None and ascites not in ASCITES:
        raise ValueError(f"ascites: {ascites!r} is not one of {', '.join(ASCITES)}")
    if encephalopathy is not None and encephalopathy not in ENCEPHALOPATHY:
        raise ValueError(
            f"encephalopathy: {encephalopathy!r} is not one of {', '.join(ENCEPHALOPATHY)}"
        )
    bili: int | None = None
    if bilirubin_umol_l is not None:
        b = exact(bilirubin_umol_l)
        bili = 1 if b < CP_BILIRUBIN_UMOL_L[0] else 2 if b <= CP_BILIRUBIN_UMOL_L[1] else 3
    alb: int | None = None
    if albumin_g_l is not None:
        a = exact(albumin_g_l)
        alb = 1 if a > CP_ALBUMIN_G_L[0] else 2 if a >= CP_ALBUMIN_G_L[1] else 3
    inr_points: int | None = None
    if inr is not None:
        v = exact(inr)
        inr_points = 1 if v < CP_INR[0] else 2 if v <= CP_INR[1] else 3
    components: tuple[tuple[str, int | None], ...] = (
        ("bilirubin", bili),
        ("albumin", alb),
        ("inr", inr_points),
        ("ascites", None if ascites is None else ASCITES.index(ascites) + 1),
        ("encephalopathy",
         None if encephalopathy is None else ENCEPHALOPATHY.index(encephalopathy) + 1),
    )
    missing = tuple(name for name, pts in components if pts is None)
    known = sum(pts for _, pts in components if pts is not None)
    low, high = known + len(missing), known + 3 * len(missing)
    grade = _cp_class(low) if _cp_class(low) == _cp_class(high) else None
    return ChildPugh(
        points=None if missing else known,
        grade=grade,
        missing=missing,
        min_points=low,
        max_points=high,
        components=components,
    )


# --- Cockcroft-Gault ---------------------------------------------------------------------------
# Cockcroft DW, Gault MH. Nephron 1976;16:31-41; SI form with creatinine in µmol/L:
# CrCl (mL/min) = (140 - age) x weight (kg) x k / creatinine, k = 1.23 men, 1.04 women.

CG_AGE_CONSTANT = 140
CG_FACTOR: dict[str, Fraction] = {"M": Fraction("1.23"), "F": Fraction("1.04")}
"""1.23 = 88.4 / 72 rounded; 1.04 for women (the original x 0.85, as commonly tabulated)."""


def cockcroft_gault_exact(age_years: Number | None, weight_kg: Number | None,
                          creatinine_umol_l: Number | None, sex: str | None
                          ) -> tuple[Fraction, Fraction] | None:
    """Lower and upper exact creatinine clearance (mL/min).

    Equal bounds for ``M`` and ``F``.  For sex ``O`` or not recorded the formula has no
    validated factor: the bounds are the female and male results, so a threshold both clear
    (or both miss) is still decided, and anything between stays unknown.  None when age, weight
    or creatinine is missing or creatinine is not positive.
    """
    if age_years is None or weight_kg is None or creatinine_umol_l is None:
        return None
    creatinine = exact(creatinine_umol_l)
    if creatinine <= 0:
        return None
    base = (CG_AGE_CONSTANT - exact(age_years)) * exact(weight_kg) / creatinine
    if sex in CG_FACTOR:
        value = base * CG_FACTOR[sex]
        return value, value
    return base * CG_FACTOR["F"], base * CG_FACTOR["M"]


def cockcroft_gault_ml_min(age_years: Number | None, weight_kg: Number | None,
                           creatinine_umol_l: Number | None, sex: str | None) -> float | None:
    """Creatinine clearance in mL/min rounded to 0.1; None when unknown (inputs missing, or sex
    ``O`` / unrecorded, for which see :func:`cockcroft_gault_exact` and :func:`crcl_at_least`)."""
    bounds = cockcroft_gault_exact(age_years, weight_kg, creatinine_umol_l, sex)
    if bounds is None or bounds[0] != bounds[1]:
        return None
    return to_float(bounds[0], 1)


def crcl_at_least(threshold_ml_min: Number, age_years: Number | None, weight_kg: Number | None,
                  creatinine_umol_l: Number | None, sex: str | None) -> bool | None:
    """Whether the Cockcroft-Gault clearance is at least the threshold, exactly; None if unknown.

    For sex ``O`` or unrecorded it is decided only when the female and male results agree.
    """
    bounds = cockcroft_gault_exact(age_years, weight_kg, creatinine_umol_l, sex)
    if bounds is None:
        return None
    limit = exact(threshold_ml_min)
    low, high = bounds
    if low >= limit:
        return True
    if high < limit:
        return False
    return None


# --- age -------------------------------------------------------------------------------------


def age_at(birth: date | None, on: date | None) -> int | None:
    """Completed years of age on ``on``; None when a date is missing or ``on`` is before birth.

    Someone born on 29 February turns a year older on 1 March in common years.
    """
    if birth is None or on is None or on < birth:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
