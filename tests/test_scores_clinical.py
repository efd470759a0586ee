"""Clinical scores against worked examples and both sides of every boundary."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdt.case import Clinical, Lesion, Review
from mdt.scores import (
    age_at,
    child_pugh,
    cockcroft_gault_exact,
    cockcroft_gault_ml_min,
    crcl_at_least,
    fong_crs,
    fong_for_review,
    liver_disease,
    tbs_zone,
    tumour_burden_for_review,
    tumour_burden_score,
)

# --- Fong clinical risk score (Fong 1999) ------------------------------------------------------

FONG = [
    # node+, DFI months, count, CEA, largest mm, synchronous -> points, risk
    ("no factor", (False, 24, 1, 5, 30, False), 0, "low"),
    ("every factor", (True, 6, 4, 250, 70, False), 5, "high"),
    ("DFI exactly 12 months scores nothing", (False, 12, 1, 5, 30, False), 0, "low"),
    ("DFI 11.9 months scores", (False, 11.9, 1, 5, 30, False), 1, "low"),
    ("synchronous scores the interval", (False, None, 1, 5, 30, True), 1, "low"),
    ("one tumour scores nothing, two score", (False, 24, 2, 5, 30, False), 1, "low"),
    ("CEA exactly 200 scores nothing", (False, 24, 1, 200, 30, False), 0, "low"),
    ("CEA 200.1 scores", (False, 24, 1, 200.1, 30, False), 1, "low"),
    ("largest exactly 5 cm scores nothing", (False, 24, 1, 5, 50, False), 0, "low"),
    ("largest 50.1 mm scores", (False, 24, 1, 5, 50.1, False), 1, "low"),
    ("three factors is high risk", (True, 6, 3, 5, 30, False), 3, "high"),
]


@pytest.mark.parametrize(("args", "points", "risk"), [r[1:] for r in FONG], ids=[r[0] for r in FONG])
def test_fong_score(args: tuple, points: int, risk: str) -> None:
    score = fong_crs(*args)
    assert (score.points, score.risk, score.missing) == (points, risk, ())


@pytest.mark.parametrize(("args", "risk", "low", "high", "missing"), [
    ((True, 6, 3, None, None), "high", 3, 5, ("cea_ng_ml", "largest_diameter_mm")),
    ((False, 24, 1, None, None), "low", 0, 2, ("cea_ng_ml", "largest_diameter_mm")),
    ((True, 6, 1, None, 30), None, 2, 3, ("cea_ng_ml",)),
    ((None, None, None, None, None), None, 0, 5,
     ("node_positive_primary", "disease_free_interval_months", "tumour_count", "cea_ng_ml",
      "largest_diameter_mm")),
])
def test_fong_with_missing_inputs(args: tuple, risk: str | None, low: int, high: int,
                                  missing: tuple[str, ...]) -> None:
    score = fong_crs(*args)
    assert score.points is None
    assert (score.risk, score.min_points, score.max_points, score.missing) == (risk, low, high, missing)


# --- Tumour burden score (Sasaki 2018) ---------------------------------------------------------

@pytest.mark.parametrize(("diameter_mm", "count", "tbs", "zone"), [
    (45, 4, 6.02, "medium"),   # docs/clinical/reference.md#tumour-burden-score worked example
    (30, 4, 5.0, "medium"),    # 3-4-5
    (80, 6, 10.0, "high"),     # 6-8-10
    (10, 2, 2.24, "low"),
    (30, 0, 3.0, "medium"),    # exactly 3 is medium (low is < 3)
    (29.9, 0, 2.99, "low"),
    (90, 0, 9.0, "high"),      # exactly 9 is high
    (89.9, 0, 8.99, "medium"),
])
def test_tumour_burden_score(diameter_mm: float, count: int, tbs: float, zone: str) -> None:
    assert tumour_burden_score(diameter_mm, count) == tbs
    assert tbs_zone(diameter_mm, count) == zone


def test_tumour_burden_unknown_when_missing() -> None:
    assert tumour_burden_score(None, 3) is None and tbs_zone(40, None) is None


# --- Child-Pugh (Pugh 1973, SI units) ----------------------------------------------------------

@pytest.mark.parametrize(("args", "points", "grade"), [
    ((20, 40, 1.1, "none", "none"), 5, "A"),
    ((42, 30, 1.5, "mild", "none"), 8, "B"),          # 2 + 2 + 1 + 2 + 1
    ((60, 25, 2.5, "moderate_severe", "grade_3_4"), 15, "C"),
    ((34, 40, 1.1, "none", "none"), 6, "A"),           # 34 µmol/L is the 2-point band
    ((33.9, 40, 1.1, "none", "none"), 5, "A"),
    ((50, 40, 1.1, "none", "none"), 6, "A"),           # 50 still 2 points
    ((50.1, 40, 1.1, "none", "none"), 7, "B"),         # > 50 is 3 points
    ((20, 35, 1.1, "none", "none"), 6, "A"),           # albumin 35 g/L is 2 points
    ((20, 35.1, 1.1, "none", "none"), 5, "A"),
    ((20, 28, 1.1, "none", "none"), 6, "A"),           # 28 still 2 points
    ((20, 27.9, 1.1, "none", "none"), 7, "B"),
    ((20, 40, 1.7, "none", "none"), 6, "A"),           # INR 1.7 is 2 points
    ((20, 40, 1.69, "none", "none"), 5, "A"),
    ((20, 40, 2.3, "none", "none"), 6, "A"),
    ((20, 40, 2.31, "none", "none"), 7, "B"),
    ((42, 30, 1.8, "mild", "grade_1_2"), 10, "C"),     # 9 is B, 10 is C
    ((42, 30, 1.8, "mild", "none"), 9, "B"),
])
def test_child_pugh(args: tuple, points: int, grade: str) -> None:
    result = child_pugh(*args)
    assert (result.points, result.grade, result.missing) == (points, grade, ())
    assert result.known


def test_child_pugh_names_missing_fields() -> None:
    result = child_pugh(20, None, 1.1, None, "none")
    assert result.points is None and result.grade is None
    assert result.missing == ("albumin", "ascites")
    assert (result.min_points, result.max_points) == (5, 9)


def test_child_pugh_decided_by_known_points() -> None:
    result = child_pugh(60, 25, 2.5, None, None)   # 9 known + at least 2 = 11
    assert result.points is None and result.grade == "C"


def test_child_pugh_rejects_unknown_vocabulary() -> None:
    with pytest.raises(ValueError, match="ascites"):
        child_pugh(20, 40, 1.1, "severe", "none")
    with pytest.raises(ValueError, match="encephalopathy"):
        child_pugh(20, 40, 1.1, "none", "grade_2")


# --- Cockcroft-Gault (SI) ----------------------------------------------------------------------

@pytest.mark.parametrize(("age", "weight", "creatinine", "sex", "crcl"), [
    (60, 70, 100, "M", 68.9),      # 80 x 70 x 1.23 / 100 = 68.88
    (60, 70, 100, "F", 58.2),      # 80 x 70 x 1.04 / 100 = 58.24
    (40, 72, 88.4, "M", 100.2),    # textbook: 40 y, 72 kg, 1.0 mg/dL -> ~100 mL/min
    (40, 45, 123, "M", 45.0),
])
def test_cockcroft_gault(age: int, weight: float, creatinine: float, sex: str, crcl: float) -> None:
    assert cockcroft_gault_ml_min(age, weight, creatinine, sex) == crcl


@pytest.mark.parametrize("args", [
    (None, 70, 100, "M"), (60, None, 100, "M"), (60, 70, None, "M"), (60, 70, 0, "M"),
    (60, 70, 100, "O"), (60, 70, 100, None),
])
def test_cockcroft_gault_unknown(args: tuple) -> None:
    assert cockcroft_gault_ml_min(*args) is None


@pytest.mark.parametrize(("args", "expected"), [
    ((40, 45, 123, "M"), True),       # exactly 45 mL/min passes ">= 45"
    ((40, 45, 123.1, "M"), False),
    ((40, 45, 104, "F"), True),       # 100 x 45 x 1.04 / 104 = 45 exactly
    ((40, 45, 104, "O"), True),       # both factors clear 45: decided
    ((40, 45, 110, "O"), None),       # female 42.5, male 50.3: unknown
    ((40, 45, 130, None), False),     # both miss 45 (36.0 and 42.6)
    ((None, 45, 130, "M"), None),
])
def test_crcl_threshold_is_exact(args: tuple, expected: bool | None) -> None:
    assert crcl_at_least(45, *args) is expected


def test_cockcroft_gault_bounds_for_unstated_sex() -> None:
    low, high = cockcroft_gault_exact(60, 70, 100, "O")
    assert (float(low), float(high)) == (58.24, 68.88)


# --- age ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("birth", "on", "age"), [
    (date(1960, 6, 15), date(2026, 6, 14), 65),
    (date(1960, 6, 15), date(2026, 6, 15), 66),
    (date(1964, 2, 29), date(2025, 2, 28), 60),   # leap-day birthday: older on 1 March
    (date(1964, 2, 29), date(2025, 3, 1), 61),
    (date(1964, 2, 29), date(2024, 2, 29), 60),
    (date(2007, 11, 22), date(2026, 11, 22), 19),  # NCT05103020 inclusion age 19 on the day
    (date(2026, 1, 2), date(2026, 1, 1), None),
    (None, date(2026, 1, 1), None),
    (date(1960, 1, 1), None, None),
])
def test_age_at(birth: date | None, on: date | None, age: int | None) -> None:
    assert age_at(birth, on) == age


@given(birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)),
       days=st.integers(0, 40000))
def test_age_never_decreases_over_time(birth: date, days: int) -> None:
    on = birth + timedelta(days=days)
    later = on + timedelta(days=1)
    assert age_at(birth, on) <= age_at(birth, later) <= age_at(birth, on) + 1


# --- scores from a review ----------------------------------------------------------------------

def _review(*lesions: Lesion, **clinical: object) -> Review:
    return Review(date(2026, 1, 5), lesions=lesions, clinical=Clinical(**clinical))


def test_liver_disease_counts_present_lesions_only() -> None:
    review = _review(Lesion("L1", ("VI",), 45), Lesion("L2", ("II",), 20),
                     Lesion("L3", ("III",), None, status="disappeared"),
                     Lesion("L4", ("V",), 30, status="resected"))
    disease = liver_disease(review)
    assert (disease.count, disease.largest_mm, disease.unmeasured) == (2, 45, ())
    assert tumour_burden_for_review(review) == (4.92, "medium")   # sqrt(4.5^2 + 2^2)


def test_unmeasured_lesion_makes_the_largest_unknown() -> None:
    review = _review(Lesion("L1", ("VI",), 45), Lesion("L2", ("II",), None))
    disease = liver_disease(review)
    assert (disease.largest_mm, disease.largest_at_least_mm, disease.unmeasured) == (None, 45, ("L2",))
    assert tumour_burden_for_review(review) == (None, None)
    assert fong_for_review(review).missing == (
        "node_positive_primary", "disease_free_interval_months", "cea_ng_ml", "largest_diameter_mm")


def test_fong_for_review() -> None:
    review = _review(Lesion("L1", ("VI",), 62), Lesion("L2", ("II",), None),
                     node_positive_primary=True, synchronous=True, cea=12.0)
    score = fong_for_review(review)
    # node+, synchronous, 2 tumours, largest > 5 cm (62 mm measured, L2 unknown): 4 of 5
    assert (score.points, score.risk) == (4, "high")


def test_fong_for_review_without_lesions() -> None:
    score = fong_for_review(_review(node_positive_primary=False, disease_free_interval_months=30,
                                    cea=3))
    assert score.points is None and "tumour_count" in score.missing


# --- properties: a decided answer never changes when the missing inputs arrive -----------------

_BILI = st.sampled_from([10, 33.9, 34, 50, 50.1, 80])
_ALB = st.sampled_from([45, 35.1, 35, 28, 27.9, 20])
_INR = st.sampled_from([1.0, 1.69, 1.7, 2.3, 2.31, 3.0])
_ASC = st.sampled_from(["none", "mild", "moderate_severe"])
_ENC = st.sampled_from(["none", "grade_1_2", "grade_3_4"])


@given(full=st.tuples(_BILI, _ALB, _INR, _ASC, _ENC), hidden=st.sets(st.integers(0, 4)))
def test_child_pugh_partial_answer_is_consistent(full: tuple, hidden: set[int]) -> None:
    complete = child_pugh(*full)
    partial = child_pugh(*(None if i in hidden else v for i, v in enumerate(full)))
    assert complete.points is not None and 5 <= complete.points <= 15
    assert partial.min_points <= complete.points <= partial.max_points
    if partial.grade is not None:
        assert partial.grade == complete.grade
    assert len(partial.missing) == len(hidden)


@given(node=st.booleans(), dfi=st.sampled_from([0, 11.9, 12, 40]), count=st.integers(1, 9),
       cea=st.sampled_from([1, 200, 200.1, 900]), largest=st.sampled_from([10, 50, 50.1, 120]),
       hidden=st.sets(st.integers(0, 4)))
def test_fong_partial_answer_is_consistent(node: bool, dfi: float, count: int, cea: float,
                                           largest: float, hidden: set[int]) -> None:
    full = (node, dfi, count, cea, largest)
    complete = fong_crs(*full)
    partial = fong_crs(*(None if i in hidden else v for i, v in enumerate(full)))
    assert complete.points is not None
    assert partial.min_points <= complete.points <= partial.max_points
    if partial.risk is not None:
        assert partial.risk == complete.risk


@given(age=st.integers(18, 100), weight=st.integers(35, 180), creat=st.integers(30, 600),
       threshold=st.integers(20, 120))
def test_crcl_unstated_sex_decides_only_when_both_sexes_agree(age: int, weight: int, creat: int,
                                                             threshold: int) -> None:
    female = crcl_at_least(threshold, age, weight, creat, "F")
    male = crcl_at_least(threshold, age, weight, creat, "M")
    other = crcl_at_least(threshold, age, weight, creat, "O")
    assert other == (female if female == male else None)
