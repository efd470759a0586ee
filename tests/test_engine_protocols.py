"""CAIRO5, SULTAN, EORTC 40004 (CLOCC), NCT06988852 and AHPBA: table-driven criteria."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mdt.case import Treatment
from tests.engine_fixtures import (
    BASE_DATE,
    case,
    convertible_review,
    evaluate_review,
    finding,
    les,
    plan,
    review,
    status,
    vc,
    with_clinical,
    with_labs,
)

# --------------------------------------------------------------------------- SULTAN


def _sultan_case(baseline_mm: float, later_mm: float, *, weeks: int = 9,
                 cea: tuple[float | None, float | None] = (10.0, 10.0),
                 ca19_9: tuple[float | None, float | None] = (20.0, 20.0)):
    base = with_clinical(review([les("L1", "VI", d=baseline_mm, target=True)],
                                [vc("RPPV", "L1")], cycle=0),
                         cea=cea[0], ca19_9=ca19_9[0])
    later = with_clinical(review([les("L1", "VI", d=later_mm, target=True)], [vc("RPPV", "L1")],
                                 on=BASE_DATE + timedelta(weeks=weeks), cycle=4),
                          cea=cea[1], ca19_9=ca19_9[1])
    # SULTAN enrols after the induction: the later review is the enrolment review.
    return case(base, later, treatment=Treatment(start_date=BASE_DATE), enrolled=later.date)


@pytest.mark.parametrize(("nadir", "now", "expected"), [
    (25, 30, "met"),      # +20 % and +5 mm over the nadir: RECIST PD
    (20, 24, "not_met"),  # +20 % but only +4 mm: not PD
    (25, 29.9, "not_met"),  # +19.6 %
    (50, 35, "not_met"),  # -30 %: PR, certainly not progression
])
def test_sultan_biological_criterion_recist_boundaries(nadir: float, now: float,
                                                       expected: str) -> None:
    ev = evaluate_review(_sultan_case(nadir, now), "SULTAN")
    f = finding(ev, "u3_biological_progression")
    assert f.status == expected, f.explanation
    assert ev.recist is not None
    assert (ev.recist.response == "PD") is (expected == "met")
    if expected == "met":
        assert ev.resectability == "convertible"
        assert "RECIST 1.1 progression" in f.explanation


@pytest.mark.parametrize(("cea", "expected"), [
    ((10.0, 20.0), "met"), ((10.0, 19.9), "not_met"), ((10.0, None), "unknown"),
])
def test_sultan_marker_doubling(cea: tuple, expected: str) -> None:
    f = finding(evaluate_review(_sultan_case(30, 30, cea=cea), "SULTAN"),
                "u3_biological_progression")
    assert f.status == expected, f.explanation
    if expected == "unknown":
        assert "reviews[1].clinical.cea" in f.missing


def test_sultan_biology_needs_two_months_of_induction() -> None:
    f = finding(evaluate_review(_sultan_case(25, 30, weeks=6), "SULTAN"),
                "u3_biological_progression")
    assert f.status == "not_met" and "after 2 months" in f.explanation


@pytest.mark.parametrize(("weeks", "expected"), [(8, "not_met"), (9, "met"), (27, "not_met")])
def test_sultan_induction_2_to_6_months(weeks: int, expected: str) -> None:
    assert status(evaluate_review(_sultan_case(30, 30, weeks=weeks), "SULTAN"),
                  "induction_2_to_6_months") == expected


@pytest.mark.parametrize(("d", "expected"), [(10, "met"), (9.9, "not_met")])
def test_sultan_measurable_disease(d: float, expected: str) -> None:
    assert status(evaluate_review(review([les("L1", "VI", d=d)]), "SULTAN"),
                  "measurable_disease") == expected


# --------------------------------------------------------------------------- CAIRO5


@pytest.mark.parametrize(("flr", "expected"), [
    (451, "resectable"),   # 30.07 %: more than 30 %
    (450, "convertible"),  # exactly 30 %: the Dutch guideline says "more than" (setting flr_operator ">")
])
def test_cairo5_technical_hints_all_met_is_resectable(flr: int, expected: str) -> None:
    r = review([les("L1", "VI", d=30)], [vc("RPPV", "L1")],
               plan("right_hepatectomy", flr_ml=flr, tlv_ml=1500, condition="chemotherapy"))
    ev = evaluate_review(r, "CAIRO5")
    assert ev.resectability == expected
    assert ev.eligibility == ("not_eligible" if expected == "resectable" else "eligible")


def test_cairo5_counts_ablation_and_volume_below_threshold_is_convertible() -> None:
    r = review([les("L1", "VII", d=50), les("L2", "III", d=20)], [vc("LHV", "L2")],
               plan("right_hepatectomy", local={"L2": "ablation"}, flr_ml=420, tlv_ml=1500,
                    condition="chemotherapy"))
    ev = evaluate_review(r, "CAIRO5")
    assert status(ev, "r0_local_treatment") == "met"
    assert status(ev, "two_contiguous_viable_segments") == "met"  # ablated L2 keeps the LHV
    f = finding(ev, "remnant_volume")
    assert f.status == "not_met" and "28" in f.explanation
    assert ev.resectability == "convertible"
    assert ev.eligibility == "eligible"


def test_cairo5_without_volumetry_is_indeterminate() -> None:
    r = review([les("L1", "VI", d=30)], [], plan("right_hepatectomy", flr_ml=None, tlv_ml=None))
    ev = evaluate_review(r, "CAIRO5")
    assert status(ev, "remnant_volume") == "unknown"
    assert ev.resectability == "indeterminate"


# --------------------------------------------------------------------------- CLOCC


@pytest.mark.parametrize(("n", "expected"), [(9, "met"), (10, "not_met")])
def test_clocc_fewer_than_10_metastases(n: int, expected: str) -> None:
    segs = ["II", "III", "IVa", "IVb", "V", "VI", "VII", "VIII", "II", "III"]
    r = review([les(f"L{i}", segs[i], d=15) for i in range(n)])
    assert status(evaluate_review(r, "EORTC-40004"), "fewer_than_10_metastases") == expected


def test_clocc_every_lesion_treatable_by_ablation_and_resection() -> None:
    # L1 in IVa touches the MHV and the LHV: no resection alone keeps IV... but ablation can.
    r = review([les("L1", "VII", d=60), les("L2", "IVa", d=25)],
               [vc("RHV", "L1"), vc("MHV", "L2"), vc("IVC", "L1")])
    ev = evaluate_review(r, "EORTC-40004")
    assert status(ev, "not_resectable_by_resection_alone") == "met"
    assert status(ev, "every_lesion_treatable") == "not_met"  # IVC contact: nothing works
    r = review([les("L1", "VII", d=60), les("L2", "IVa", d=25), les("L3", "III", d=20)],
               [vc("RHV", "L1"), vc("MHV", "L2"), vc("LHV", "L3"), vc("LPV", "L3")])
    ev = evaluate_review(r, "EORTC-40004")
    assert status(ev, "not_resectable_by_resection_alone") == "met"
    assert status(ev, "every_lesion_treatable") == "met"
    assert ev.resectability == "convertible" and ev.eligibility == "eligible"


@pytest.mark.parametrize(("d", "expected"), [(40, "met"), (40.1, "not_met")])
def test_clocc_ablation_size_limit(d: float, expected: str) -> None:
    # A caudate lesion on the IVC: resecting it takes the IVC; ablating it (<= 40 mm) does not.
    r = review([les("L1", "I", d=d)], [vc("IVC", "L1")])
    ev = evaluate_review(r, "EORTC-40004")
    assert status(ev, "not_resectable_by_resection_alone") == "met"
    assert status(ev, "every_lesion_treatable") == expected


# --------------------------------------------------------------------------- NCT06988852


@pytest.mark.parametrize(("birth", "expected"), [
    (date(1950, 1, 15), "not_met"),  # 76
    (date(1950, 1, 16), "met"),      # 75
    (date(2008, 1, 15), "met"),      # 18
    (date(2008, 1, 16), "not_met"),  # 17
])
def test_nct06988852_age_18_to_75(birth: date, expected: str) -> None:
    assert status(evaluate_review(case(convertible_review(), birth=birth), "NCT06988852"),
                  "age") == expected


@pytest.mark.parametrize(("kw", "rule", "expected"), [
    ({"wbc": 3.0}, "wbc", "met"), ({"wbc": 2.9}, "wbc", "not_met"),
    ({"creatinine": 150}, "creatinine", "met"), ({"creatinine": 150.1}, "creatinine", "not_met"),
    ({"plt": 75}, "plt", "met"), ({"plt": 74.9}, "plt", "not_met"),
    ({"bilirubin": 30}, "bilirubin", "met"), ({"bilirubin": 30.1}, "bilirubin", "not_met"),
    ({"alt": 200}, "alt", "met"), ({"alt": 201}, "alt", "not_met"),
    ({"ast": 200}, "ast", "met"), ({"ast": 200.5}, "ast", "not_met"),
    ({"bilirubin": 34}, "child_pugh_a", "met"),  # 2 points for bilirubin: 6 points, class A
    ({"bilirubin": 34, "albumin": 30}, "child_pugh_a", "not_met"),  # 7 points: class B
])
def test_nct06988852_labs(kw: dict, rule: str, expected: str) -> None:
    ev = evaluate_review(with_labs(convertible_review(), **kw), "NCT06988852")
    assert status(ev, rule) == expected


def test_nct06988852_child_pugh_and_cardiopulmonary() -> None:
    ev = evaluate_review(with_labs(convertible_review(), albumin=27, inr=2.4, bilirubin=60),
                         "NCT06988852")
    assert status(ev, "child_pugh_a") == "not_met"
    ev = evaluate_review(with_clinical(convertible_review(), lvef_pct=44.9, fev1_fvc_pct=60),
                         "NCT06988852")
    assert status(ev, "lvef") == "not_met" and status(ev, "fev1_fvc") == "met"
    ev = evaluate_review(with_clinical(convertible_review(), lvef_pct=45, fev1_fvc_pct=59.9),
                         "NCT06988852")
    assert status(ev, "lvef") == "met" and status(ev, "fev1_fvc") == "not_met"
    # 4 known points + unknown ascites (1-3) = 5-7 points: A or B, so unknown.
    f = finding(evaluate_review(with_clinical(convertible_review(), ascites=None),
                                "NCT06988852"), "child_pugh_a")
    assert f.status == "unknown" and f.missing == ("reviews[0].clinical.ascites",)
    # with bilirubin, albumin and INR at 3 points each, the class is C whatever ascites is.
    r = with_clinical(with_labs(convertible_review(), albumin=27, inr=2.4, bilirubin=60),
                      ascites=None)
    assert status(evaluate_review(r, "NCT06988852"), "child_pugh_a") == "not_met"
