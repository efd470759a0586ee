"""Independent clinical review of NCT05103020 (docs/clinical/conventions.md#nct05103020-table-1): both sides of every
boundary, the resectability / eligibility mapping, and the fixes made in the review."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

import pytest

from mdt.case import Labs, Treatment, Uln
from mdt.protocols.context import fmt_num
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
    with_uln,
)

# --------------------------------------------------------------------------- inclusion items


@pytest.mark.parametrize(("birth", "expected"), [
    (date(2007, 1, 15), "met"),       # 19th birthday on the review date 2026-01-15
    (date(2007, 1, 16), "not_met"),   # turns 19 the day after the review
    (None, "unknown"),
])
def test_age_19_at_the_review_date(birth: date | None, expected: str) -> None:
    f = finding(evaluate_review(case(convertible_review(), birth=birth)), "age")
    assert f.status == expected, f.explanation
    if expected == "unknown":
        assert f.missing == ("patient.birth_date",)


@pytest.mark.parametrize(("kw", "rule", "expected", "missing"), [
    ({"ecog": 1}, "ecog", "met", ()),
    ({"ecog": 2}, "ecog", "not_met", ()),
    ({"ecog": None}, "ecog", "unknown", ("reviews[0].ecog",)),
])
def test_ecog_at_most_1(kw: dict, rule: str, expected: str, missing: tuple) -> None:
    f = finding(evaluate_review(convertible_review(**kw)), rule)
    assert (f.status, f.missing) == (expected, missing)


@pytest.mark.parametrize(("field", "value", "rule", "expected"), [
    ("prior_systemic_lines", 0, "no_prior_chemotherapy", "met"),
    ("prior_systemic_lines", 1, "no_prior_chemotherapy", "not_met"),
    ("prior_systemic_lines", None, "no_prior_chemotherapy", "unknown"),
    ("life_expectancy_months", 3, "life_expectancy", "met"),
    ("life_expectancy_months", 2.9, "life_expectancy", "not_met"),
    ("life_expectancy_months", None, "life_expectancy", "unknown"),
    ("neuropathy_grade", 1, "neuropathy", "not_met"),   # exclusion: grade 1 does not exclude
    ("neuropathy_grade", 2, "neuropathy", "met"),       # grade 2 excludes
    ("neuropathy_grade", None, "neuropathy", "unknown"),
])
def test_clinical_items(field: str, value: object, rule: str, expected: str) -> None:
    f = finding(evaluate_review(with_clinical(convertible_review(), **{field: value})), rule)
    assert f.status == expected, f.explanation
    if expected == "unknown":
        assert f.missing == (f"reviews[0].clinical.{field}",)


@pytest.mark.parametrize(("ehd", "expected", "eligibility"), [
    ("none", "not_met", "eligible"),
    ("indeterminate", "not_met", "eligible"),   # does not count, and says so
    ("confirmed", "met", "not_eligible"),
    (None, "unknown", "indeterminate"),
])
def test_extrahepatic_disease(ehd: str | None, expected: str, eligibility: str) -> None:
    ev = evaluate_review(convertible_review(extrahepatic_disease=ehd))
    f = finding(ev, "extrahepatic_metastasis")
    assert f.status == expected
    assert ev.eligibility == eligibility
    if ehd == "indeterminate":
        assert "not counted" in f.explanation


# --------------------------------------------------------------------------- organ function

# ULN in the fixture: AST 40, ALT 41, ALP 120, bilirubin 21.
@pytest.mark.parametrize(("field", "value", "expected"), [
    ("anc", 1.5, "met"), ("anc", 1.49, "not_met"),
    ("hb", 9.0, "met"), ("hb", 8.9, "not_met"),
    ("plt", 100, "met"), ("plt", 99, "not_met"),
    ("ast", 200, "met"), ("ast", 200.1, "not_met"),
    ("alt", 205, "met"), ("alt", 205.1, "not_met"),
    ("alp", 600, "met"), ("alp", 600.1, "not_met"),
    ("bilirubin", 31.5, "met"), ("bilirubin", 31.6, "not_met"),
])
def test_organ_function_boundaries(field: str, value: float, expected: str) -> None:
    ev = evaluate_review(with_labs(convertible_review(), **{field: value}))
    assert status(ev, field) == expected
    assert ev.eligibility == ("eligible" if expected == "met" else "not_eligible")


@pytest.mark.parametrize("field", ["anc", "hb", "plt", "ast", "alt", "alp", "bilirubin"])
def test_missing_lab_is_unknown_and_named(field: str) -> None:
    ev = evaluate_review(with_labs(convertible_review(), **{field: None}))
    f = finding(ev, field)
    assert f.status == "unknown" and f.missing[0] == f"reviews[0].labs.{field}"
    assert ev.eligibility == "indeterminate"


@pytest.mark.parametrize("field", ["ast", "alt", "alp", "bilirubin"])
def test_missing_uln_is_unknown(field: str) -> None:
    f = finding(evaluate_review(with_uln(convertible_review(), **{field: None})), field)
    assert (f.status, f.missing) == ("unknown", (f"reviews[0].labs.uln.{field}",))


@pytest.mark.parametrize(("creatinine", "weight", "sex", "expected"), [
    # Female, 64 years: (140 - 64) x w x 1.04 / c
    (104 * 76 / 100, 45, "F", "met"),       # exactly 45.0 mL/min
    (79.05, 45, "F", "not_met"),            # 44.99...
    (None, 70, "F", "unknown"),
    (78, None, "F", "unknown"),
])
def test_creatinine_clearance_both_sides(creatinine: float | None, weight: float | None,
                                         sex: str, expected: str) -> None:
    r = replace(with_labs(convertible_review(), creatinine=creatinine), weight_kg=weight)
    # 64 years on the review date
    f = finding(evaluate_review(case(r, sex=sex, birth=date(1961, 4, 2))), "creatinine_clearance")
    assert f.status == expected, f.explanation
    if creatinine is None:
        assert "reviews[0].labs.creatinine" in f.missing
    if weight is None:
        assert "reviews[0].weight_kg" in f.missing


@pytest.mark.parametrize(("dip", "g24", "expected"), [
    ("neg", None, "met"), ("trace", None, "met"), ("1+", None, "met"),
    ("2+", 1, "met"), ("2+", 1.01, "not_met"), ("4+", 0.5, "met"),
    ("2+", None, "unknown"), (None, 0.2, "unknown"),
])
def test_proteinuria_both_sides(dip: str | None, g24: float | None, expected: str) -> None:
    r = with_labs(convertible_review(), proteinuria=dip, proteinuria_g_24h=g24)
    f = finding(evaluate_review(r), "proteinuria")
    assert f.status == expected
    if expected == "unknown":
        assert f.missing


# --------------------------------------------------------------------------- E1, E2, E3


def _one_lesion_per_unit_twice(nine: bool) -> list:
    units = ["I", "II", "III", "IVa", "IVb", "V", "VI", "VII", "VIII"]
    out = []
    for k in range(2):
        for u in units:
            if not nine and u == "IVb":
                continue
            out.append(les(f"L{u}{k}", u, d=15))
    return out


@pytest.mark.parametrize(("units", "lesions", "expected"), [
    # two lesions in IVa and none in IVb: 8-unit IV holds 2 -> met; 9-unit IVb holds 0
    (8, "pooled", "met"), (9, "pooled", "not_met"),
    (9, "split", "met"),
])
def test_e1_counting_setting(units: int, lesions: str, expected: str) -> None:
    r = review(_one_lesion_per_unit_twice(lesions == "split"))
    f = finding(evaluate_review(r, segment_count_units=units), "e1_tumours_in_all_segments")
    assert f.status == expected, f.explanation


def test_e1_lesion_spanning_segments_counts_once_in_each() -> None:
    # Two lesions, each spanning every segment: 2 per segment.
    every = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")
    ev = evaluate_review(review([les("L1", *every, d=150), les("L2", *every, d=140)]))
    assert status(ev, "e1_tumours_in_all_segments") == "met"
    assert ev.resectability == "permanently_unresectable"
    # One lesion spanning IVa and IVb counts once in IV, not twice.
    lesions = [les("LX", "IVa", "IVb", d=40)] + [x for x in _one_lesion_per_unit_twice(False)
                                                 if x.segments != ("IVa",)]
    f = finding(evaluate_review(review(lesions)), "e1_tumours_in_all_segments")
    assert f.status == "not_met" and "IV: 1" in f.explanation


def _e2(diameters: list[float | None], resection: str | None = "right_hepatectomy") -> object:
    segs = ["II", "III", "IVa", "IVb", "II"]
    lesions = [les(f"L{i + 1}", segs[i], d=d) for i, d in enumerate(diameters)]
    lesions.append(les("L9", "VI", d=20))
    local = {x.id: "wedge" for x in lesions if x.id != "L9"}
    return review(lesions, [], plan(resection, local=local) if resection else None)


@pytest.mark.parametrize(("diameters", "expected"), [
    ([30.1] * 4, "met"),
    ([30.1, 30.1, 30.1, 30], "not_met"),         # exactly 30.0 mm does not count
    ([30.1, 30.1, 30.1, 29.99], "not_met"),
    ([50, 50, 50], "not_met"),                    # 3 is not "more than 3"
    ([31, 31, 31, 31, 31], "met"),
    ([31, 31, 31, None], "unknown"),
])
def test_e2_boundaries_in_the_remnant(diameters: list, expected: str) -> None:
    f = finding(evaluate_review(_e2(diameters)), "e2_bilobar_large_in_remnant")
    assert f.status == expected, f.explanation
    if expected == "unknown":
        assert f.missing == ("reviews[0].lesions[3].diameter_mm",)


def test_e2_counts_lesions_only_partly_in_the_remnant() -> None:
    # Four large lesions straddling IVb/V: a right hepatectomy leaves part of each in IV.
    lesions = [les(f"L{i}", "IVb", "V", d=35) for i in range(4)] + [les("L9", "VII", d=20)]
    r = review(lesions, [], plan("right_hepatectomy"))
    assert status(evaluate_review(r), "e2_bilobar_large_in_remnant") == "met"


def test_e2_without_a_recorded_plan_is_unknown_when_candidate_remnants_disagree() -> None:
    # IVC invaded: no plan works and none is recorded. Four unmeasured lesions in I/II, one
    # measured in VI: a remnant such as VI-VII holds none of them, others could hold all four.
    # docs/clinical/conventions.md#e2-with-no-recorded-plan: the future remnant is the recorded plan; with none, E2 is
    # decided only when every candidate remnant agrees.
    lesions = [les(f"L{i}", "I", "II", d=None) for i in range(4)] + [les("L9", "VI", d=20)]
    ev = evaluate_review(review(lesions, [vc("IVC", "L9")]))
    f = finding(ev, "e2_bilobar_large_in_remnant")
    assert f.status == "unknown", f.explanation
    assert "the panel must choose a plan" in f.explanation
    assert "would avoid E2" in f.explanation
    assert f.missing == ("reviews[0].remnant.resection",)


@pytest.mark.parametrize(("diameters", "expected"), [
    ([31, 31, 31, 31], "met"),     # four large lesions spread over every segment pair below
    ([31, 31, 31], "not_met"),     # three cannot reach "more than 3" in any remnant
])
def test_e2_without_a_recorded_plan_met_only_when_every_candidate_holds_them(
        diameters: list, expected: str) -> None:
    # Large lesions touching every segment: every candidate remnant holds all of them.
    everywhere = ("I", "II", "III", "IVa", "IVb", "V", "VI", "VII", "VIII")
    lesions = [les(f"L{i + 1}", *everywhere, d=d) for i, d in enumerate(diameters)]
    f = finding(evaluate_review(review(lesions, [])), "e2_bilobar_large_in_remnant")
    assert f.status == expected, f.explanation


@pytest.mark.parametrize(("burden", "expected"), [(50, "not_met"), (50.01, "met"), (None, None)])
def test_e3_strictly_more_than_half(burden: float | None, expected: str | None) -> None:
    r = review([les("L1", "V", d=40), les("L2", "III", d=20)], tumour_burden_pct=burden)
    f = finding(evaluate_review(r), "e3_bilobar_burden")
    if expected is not None:
        assert f.status == expected
        assert (evaluate_review(r).resectability == "permanently_unresectable") is \
            (expected == "met")


# Estimated liver for 170 cm / 70 kg: Vauthey -794.41 + 1267.28 x sqrt(170 x 70 / 3600)
# = 1509.7 mL, half = 754.9 mL.  2 x pi/6 x d^3 / 1000 for d = 80 (+ 20): 544 mL; d = 90: 772 mL.
@pytest.mark.parametrize(("d", "tlv", "expected"), [
    (80, None, "not_met"),
    (90, None, "unknown"),
    (90, 5000, "unknown"),    # a measured volume does not replace the estimate (docs/clinical/conventions.md#tumour-burden-e3)
])
def test_e3_sphere_fallback_against_half_the_estimated_liver(d: int, tlv: int | None,
                                                              expected: str) -> None:
    r = review([les("L1", "V", d=d), les("L2", "III", d=20)],
               remnant=plan("right_hepatectomy", local={"L2": "wedge"}, tlv_ml=tlv))
    f = finding(evaluate_review(r), "e3_bilobar_burden")
    assert f.status == expected, f.explanation
    assert "estimated liver 1510 mL" in f.explanation
    if expected == "unknown":
        assert f.missing == ("reviews[0].tumour_burden_pct",)


def test_e3_fallback_without_height_or_weight_names_them() -> None:
    r = review([les("L1", "V", d=40), les("L2", "III", d=20)], height_cm=None,
               remnant=plan("right_hepatectomy", local={"L2": "wedge"}, tlv_ml=1480))
    f = finding(evaluate_review(r), "e3_bilobar_burden")
    assert f.status == "unknown"
    assert f.missing == ("reviews[0].tumour_burden_pct", "reviews[0].height_cm")


def test_e3_fallback_with_an_unmeasured_lesion_is_unknown() -> None:
    r = review([les("L1", "V", d=40), les("L2", "III", d=None)])
    f = finding(evaluate_review(r), "e3_bilobar_burden")
    assert f.status == "unknown"
    assert "reviews[0].lesions[1].diameter_mm" in f.missing


def test_a_single_lesion_touching_both_hemilivers_is_bilobar() -> None:
    # docs/clinical/conventions.md#bilobar-from-a-single-lesion: bilobar means disease in both
    # hemilivers, so one 120 mm lesion across IVb/V with 60 % of the liver meets E3.
    one = review([les("L1", "IVb", "V", d=120)], tumour_burden_pct=60)
    ev = evaluate_review(one)
    f = finding(ev, "e3_bilobar_burden")
    assert f.status == "met" and "one lesion, L1 (IVb, V), touches both hemilivers" in f.explanation
    assert ev.resectability == "permanently_unresectable"
    # With the setting off, a single straddling lesion is not bilobar.
    f = finding(evaluate_review(one, bilobar_single_lesion=False), "e3_bilobar_burden")
    assert f.status == "not_met" and "a single lesion, L1 (IVb, V), spans both" in f.explanation
    # Caudate (I) belongs to neither hemiliver: I + V is not bilobar.
    caudate = review([les("L1", "I", "V", d=60)], tumour_burden_pct=60)
    assert status(evaluate_review(caudate), "e3_bilobar_burden") == "not_met"


# --------------------------------------------------------------------------- the two axes


@pytest.mark.parametrize(("kw", "resectability", "eligibility"), [
    ({}, "convertible", "eligible"),
    ({"ecog": 2}, "convertible", "not_eligible"),
    ({"ecog": None}, "convertible", "indeterminate"),
    ({"tumour_burden_pct": 51}, "permanently_unresectable", "not_eligible"),
    # E3 unknown (no share, no height) keeps both answers open
    ({"tumour_burden_pct": None, "height_cm": None,
      "lesions": (les("L1", "VII", "VIII", d=140, target=True), les("L2", "III", d=18))},
     "indeterminate", "indeterminate"),
    # ...but a failed inclusion still decides eligibility
    ({"tumour_burden_pct": None, "height_cm": None, "ecog": 3,
      "lesions": (les("L1", "VII", "VIII", d=140, target=True), les("L2", "III", d=18))},
     "indeterminate", "not_eligible"),
])
def test_resectability_and_eligibility_mapping(kw: dict, resectability: str,
                                               eligibility: str) -> None:
    ev = evaluate_review(replace(convertible_review(), **kw))
    assert (ev.resectability, ev.eligibility) == (resectability, eligibility)


def test_unknown_exclusion_without_unresectability_is_never_eligible() -> None:
    # E3 unknown (no share, no height) and U1/U2 not met: permanently unresectable or
    # resectable, neither of which the trial enrols, so eligibility is decided.
    r = review([les("L1", "VII", d=40), les("L2", "III", d=20)], [],
               plan("right_hepatectomy", local={"L2": "wedge"}), height_cm=None)
    ev = evaluate_review(r)
    assert status(ev, "e3_bilobar_burden") == "unknown"
    assert (ev.resectability, ev.eligibility) == ("indeterminate", "not_eligible")


def test_resectable_is_never_eligible_and_labs_unknown_do_not_change_it() -> None:
    r = replace(review([les("L1", "VI", d=25)], [], plan("right_hepatectomy")),
                labs=Labs(uln=Uln()))
    ev = evaluate_review(r)
    assert ev.resectability == "resectable"
    assert ev.eligibility == "not_eligible"


# --------------------------------------------------------------------------- fixes of this review


def test_recorded_wedge_of_a_lesion_touching_a_vessel_takes_the_vessel() -> None:
    # L2 in IVb touches the MHV: the recorded right hepatectomy wedges it.  docs/clinical/conventions.md#the-recorded-plan-governs:
    # the wedge clears L2 and takes the MHV with the specimen; IV still drains through the LHV
    # (U1 not met), but the MHV is one of Table 1's vessels of the remnant: U2 is met.
    r = review([les("L1", "VII", d=40), les("L2", "IVb", d=20)], [vc("MHV", "L2")],
               plan("right_hepatectomy", local={"L2": "wedge"}))
    ev = evaluate_review(r)
    assert status(ev, "r0_resection_impossible") == "not_met"
    u2 = finding(ev, "remnant_vessel_contact")
    assert u2.status == "met" and "L2 (IVb) contacts the MHV" in u2.explanation
    assert ev.resectability == "convertible"
    # With the setting off, the wedge does not clear a lesion touching a vessel.
    ev = evaluate_review(r, recorded_wedge_takes_vessels=False)
    f = finding(ev, "r0_resection_impossible")
    assert f.status == "met" and "planned for wedge, but it touches MHV" in f.explanation


def test_a_wedge_taking_a_sectoral_vein_resects_the_segments_it_feeds_and_names_them() -> None:
    # L1 in VI touches the RPPV: a right anterior sectionectomy wedges it.  The wedge takes the
    # RPPV: VI and VII lose their inflow and go with the specimen; I-IV stay in one piece.
    r = review([les("L1", "VI", d=30)], [vc("RPPV", "L1")],
               plan("right_anterior_sectionectomy", local={"L1": "wedge"}))
    ev = evaluate_review(r)
    f = finding(ev, "r0_resection_impossible")
    assert f.status == "not_met", f.explanation
    assert "VI loses its inflow (RPPV touched by L1): resected with the specimen" in f.explanation
    assert "VII loses its inflow" in f.explanation
    assert status(ev, "remnant_vessel_contact") == "not_met"  # RPPV is not a Table 1 vessel
    assert ev.remnant is not None and ev.remnant.segments == ("I", "II", "III", "IVa", "IVb")
    assert ev.remnant.volumetry_advised  # four segments, no volume measured for them


def test_recorded_wedge_of_a_lesion_touching_no_vessel_clears_it() -> None:
    r = review([les("L1", "VII", d=40), les("L2", "IVb", d=20)], [],
               plan("right_hepatectomy", local={"L2": "wedge"}))
    ev = evaluate_review(r)
    assert status(ev, "r0_resection_impossible") == "not_met"
    assert ev.resectability == "resectable"


def test_recorded_ablation_does_not_count_as_resection() -> None:
    r = review([les("L1", "VII", d=40), les("L2", "III", d=20)], [],
               plan("right_hepatectomy", local={"L2": "ablation"}))
    f = finding(evaluate_review(r), "r0_resection_impossible")
    assert f.status == "met" and "does not count as resection" in f.explanation
    ev = evaluate_review(r, ablation_counts_as_resection=True)
    assert status(ev, "r0_resection_impossible") == "not_met"


@pytest.mark.parametrize(("value", "places", "text"), [
    (Fraction(15100001, 10000), 0, "1510"),   # was "151": trailing zeros of an integer
    (Fraction(1000), 0, "1000"),
    (Fraction(30100, 3), 1, "10033.3"),
    (Fraction(1, 3) + 100, 0, "100"),
    (Fraction(-20001, 10000), 0, "-2"),
])
def test_numbers_in_explanations_keep_their_zeros(value: Fraction, places: int,
                                                  text: str) -> None:
    assert fmt_num(value, places) == text


def test_estimated_total_volume_is_shown_in_full() -> None:
    r = review([les("L1", "VI", d=25)], [], plan("right_hepatectomy", flr_ml=900, tlv_ml=None))
    ev = evaluate_review(r)
    f = finding(evaluate_review(r, "AHPBA-2006"), "remnant_volume")
    assert "estimated total liver volume of 1510 mL" in f.explanation
    assert ev.remnant is not None and ev.remnant.tlv_source == "estimated"


# --------------------------------------------------------------------------- remnant threshold


def _volume_case(days_of_chemo: int, flr: float, condition: str = "normal") -> object:
    r = review([les("L1", "VI", d=25)], [],
               plan("right_hepatectomy", flr_ml=flr, tlv_ml=1480, condition=condition),
               on=BASE_DATE + timedelta(days=days_of_chemo))
    return case(r, treatment=Treatment(start_date=BASE_DATE))


@pytest.mark.parametrize(("days", "flr", "expected", "threshold"), [
    (84, 370, "met", 20),      # 25 %: 12 weeks exactly is not "more than 12 weeks"
    (85, 370, "not_met", 30),  # recorded normal, but more than 12 weeks of chemotherapy
    (85, 444, "met", 30),      # 30.0 % exactly: at least the threshold
    (85, 443.9, "not_met", 30),
])
def test_more_than_12_weeks_of_chemotherapy_raises_a_normal_liver_to_30_pct(
        days: int, flr: float, expected: str, threshold: int) -> None:
    ev = evaluate_review(_volume_case(days, flr), "AHPBA-2006")
    f = finding(ev, "remnant_volume")
    assert f.status == expected, f.explanation
    assert ev.remnant is not None and ev.remnant.threshold_pct == threshold
    if days > 84:
        assert "more than 12 weeks of chemotherapy" in f.explanation
        assert any("30 % threshold was used" in w for w in ev.warnings)


@pytest.mark.parametrize(("flr", "expected", "near"), [
    (296, "met", True),       # 20.0 %: at least 20 %, at threshold
    (295.9, "not_met", True),
    (303.4, "met", True),     # 20.5 %: still within 0.5 points
    (303.5, "met", False),    # 20.51 %
    (288.6, "not_met", True),  # 19.5 %
    (288.5, "not_met", False),
])
def test_at_threshold_band(flr: float, expected: str, near: bool) -> None:
    ev = evaluate_review(_volume_case(0, flr), "AHPBA-2006")
    assert status(ev, "remnant_volume") == expected
    assert ev.remnant is not None and ev.remnant.at_threshold is near


def test_remnant_volume_uses_the_vauthey_estimate_and_says_so() -> None:
    r = review([les("L1", "VI", d=25)], [], plan("right_hepatectomy", flr_ml=302, tlv_ml=None))
    ev = evaluate_review(r, "AHPBA-2006")
    f = finding(ev, "remnant_volume")
    assert "estimated total liver volume" in f.explanation and "Vauthey" in f.explanation
    assert "standardised" in f.explanation and f.status == "met"  # 302 / 1509.7 = 20.0 %
    r = replace(r, weight_kg=None)
    f = finding(evaluate_review(r, "AHPBA-2006"), "remnant_volume")
    assert f.status == "unknown"
    assert f.missing == ("reviews[0].remnant.tlv_ml", "reviews[0].weight_kg")


def test_volume_without_a_plan_names_only_what_is_missing() -> None:
    r = review([les("L1", "VI", d=25)], [], plan(None, flr_ml=500, tlv_ml=1500))
    f = finding(evaluate_review(r, "AHPBA-2006"), "remnant_volume")
    assert (f.status, f.missing) == ("unknown", ("reviews[0].remnant.resection",))


def test_zero_creatinine_or_uln_is_not_a_value() -> None:
    f = finding(evaluate_review(with_labs(convertible_review(), creatinine=0)),
                "creatinine_clearance")
    assert (f.status, f.missing) == ("unknown", ("reviews[0].labs.creatinine",))
    f = finding(evaluate_review(with_uln(convertible_review(), ast=0)), "ast")
    assert (f.status, f.missing) == ("unknown", ("reviews[0].labs.uln.ast",))
