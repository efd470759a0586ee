"""NCT05103020 (the reference protocol), criterion by criterion, on both sides of each boundary."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from mdt.case import Labs, Uln
from tests.engine_fixtures import (
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


def test_reference_patient_is_convertible_and_eligible() -> None:
    ev = evaluate_review(convertible_review())
    assert ev.resectability == "convertible"
    assert ev.eligibility == "eligible"
    assert status(ev, "remnant_vessel_contact") == "met"
    text = finding(ev, "remnant_vessel_contact").explanation
    assert "L1 (VII, VIII)" in text and "MHV" in text and "IV" in text
    assert "recorded plan (right hepatectomy)" in text
    assert all(f.status != "unknown" for f in ev.criteria)
    assert [f.id for f in ev.criteria][:2] == ["r0_resection_impossible", "remnant_vessel_contact"]


# --------------------------------------------------------------------------- U2 and the plan

@pytest.mark.parametrize(("resection", "expected"), [
    # RHV drains V-VII: irrelevant to a right hepatectomy, decisive for a left one.
    ("right_hepatectomy", "not_met"),
    ("left_hepatectomy", "met"),
    ("right_posterior_sectionectomy", "met"),  # remnant V, VIII keeps the RHV
])
def test_u2_depends_on_the_recorded_plan(resection: str, expected: str) -> None:
    r = review([les("L1", "VII", d=40), les("L2", "II", d=15)], [vc("RHV", "L1", "encasement")],
               plan(resection, local={"L2": "wedge", "L1": "wedge"}))
    ev = evaluate_review(r)
    assert status(ev, "remnant_vessel_contact") == expected
    if expected == "met":
        text = finding(ev, "remnant_vessel_contact").explanation
        assert "L1 (VII) encases the RHV" in text and "drains remnant segment(s)" in text


def test_u2_explanation_names_the_drained_segments() -> None:
    r = review([les("L1", "VII", "VIII", d=40)], [vc("RHV", "L1", "encasement")],
               plan("right_posterior_sectionectomy"))
    text = finding(evaluate_review(r), "remnant_vessel_contact").explanation
    assert text.startswith("L1 (VII, VIII) encases the RHV (right hepatic vein), which drains "
                           "remnant segment(s) V, VIII under the recorded plan (right posterior "
                           "sectionectomy)")


def test_u1_recorded_plan_leaving_untreated_disease_and_a_better_plan() -> None:
    # Left hepatectomy leaves L1 in VI untreated; L1 takes the RPPV, so VI and VII must go.
    r = review([les("L1", "VI", d=25), les("L2", "VII", d=20)], [vc("RPPV", "L1")],
               plan("left_hepatectomy"))
    ev = evaluate_review(r)
    f = finding(ev, "r0_resection_impossible")
    assert f.status == "met"
    assert "L1 (VI) lies in remnant segment(s) VI and the plan does not treat it" in f.explanation
    assert "A better plan exists" in f.explanation
    assert ev.better_plan_than_recorded
    assert ev.best_plan is not None and ev.best_plan.feasible
    assert not {"VI", "VII"} & set(ev.best_plan.remnant)
    assert ev.best_plan.resection == "right_posterior_sectionectomy"


def test_u1_without_plan_uses_the_best_plan_found() -> None:
    r = review([les("L1", "VI", d=25)], [vc("RPPV", "L1")])
    ev = evaluate_review(r)
    assert status(ev, "r0_resection_impossible") == "not_met"
    assert "No plan recorded; the best plan found" in finding(ev, "r0_resection_impossible").explanation
    assert ev.resectability == "resectable"
    # RPPV lost: VI and VII cannot stay; the best remnant keeps every other unit.
    assert set(ev.best_plan.remnant) == {"I", "II", "III", "IVa", "IVb", "V", "VIII"}


def test_ivc_contact_leaves_no_plan() -> None:
    r = review([les("L1", "I", d=35)], [vc("IVC", "L1")])
    ev = evaluate_review(r)
    assert status(ev, "r0_resection_impossible") == "met"
    assert status(ev, "remnant_vessel_contact") == "met"
    assert ev.best_plan is None
    assert ev.resectability == "convertible"


def test_ablation_does_not_count_as_resection_for_u1() -> None:
    r = review([les("L1", "VII", d=40), les("L2", "III", d=15)], [vc("LHV", "L2")],
               plan("right_hepatectomy", local={"L2": "ablation"}))
    ev = evaluate_review(r)
    assert status(ev, "r0_resection_impossible") == "met"
    assert "does not count as resection" in finding(ev, "r0_resection_impossible").explanation
    ev2 = evaluate_review(r, ablation_counts_as_resection=True)
    assert status(ev2, "r0_resection_impossible") == "not_met"


# --------------------------------------------------------------------------- E1 / E2 / E3

def _all_segments(iva_ivb_split: bool) -> list:
    out = []
    n = 0
    for seg in ("I", "II", "III", "V", "VI", "VII", "VIII"):
        for _ in range(2):
            n += 1
            out.append(les(f"L{n}", seg, d=12))
    if iva_ivb_split:
        out += [les("LA", "IVa", d=12), les("LB", "IVb", d=12)]
    else:
        out += [les("LA", "IV", d=12), les("LB", "IV", d=12)]
    return out


@pytest.mark.parametrize(("units", "split", "expected"), [
    (8, True, "met"),      # IVa + IVb pooled: segment IV holds 2
    (9, True, "not_met"),  # IVa and IVb hold 1 each
    (9, False, "unknown"),  # recorded as IV: which half is not known
    (8, False, "met"),
])
def test_e1_8_vs_9_unit_counting(units: int, split: bool, expected: str) -> None:
    ev = evaluate_review(review(_all_segments(split)), segment_count_units=units)
    f = finding(ev, "e1_tumours_in_all_segments")
    assert f.status == expected
    if expected == "met":
        assert ev.resectability == "permanently_unresectable"
    if expected == "unknown":
        assert any(m.endswith(".segments") for m in f.missing)
        assert ev.resectability == "indeterminate"


def test_e1_one_segment_short() -> None:
    lesions = _all_segments(True)[1:]  # segment I keeps one lesion
    f = finding(evaluate_review(review(lesions)), "e1_tumours_in_all_segments")
    assert f.status == "not_met" and "I: 1" in f.explanation


def _e2_review(diameters: list[float | int | None]) -> object:
    # Bilobar: right lesion L9 in VI; large lesions in the remnant of a right hepatectomy.
    segs = ["II", "III", "IVa", "IVb"]
    lesions = [les(f"L{i + 1}", segs[i], d=d) for i, d in enumerate(diameters)]
    lesions.append(les("L9", "VI", d=20))
    return review(lesions, [], plan("right_hepatectomy",
                                    local={x.id: "wedge" for x in lesions if x.id != "L9"}))


@pytest.mark.parametrize(("diameters", "expected"), [
    ([30.1, 30.1, 30.1, 30.1], "met"),       # 4 lesions > 30 mm in the remnant
    ([30.1, 30.1, 30.1, 30.0], "not_met"),   # 30.0 mm does not count
    ([31, 31, 31], "not_met"),               # 3 lesions are not "more than 3"
    ([31, 31, 31, None], "unknown"),         # an unmeasured lesion could be the fourth
    ([31, 31, None, None], "unknown"),       # two unmeasured lesions could both exceed 30 mm
    ([31, 31, 20, None], "not_met"),         # at most 3 even if the unmeasured one is large
])
def test_e2_boundaries(diameters: list, expected: str) -> None:
    ev = evaluate_review(_e2_review(diameters))
    f = finding(ev, "e2_bilobar_large_in_remnant")
    assert f.status == expected, f.explanation
    if expected == "met":
        assert ev.resectability == "permanently_unresectable"
        assert "L1 (II), L2 (III), L3 (IVa), L4 (IVb)" in f.explanation
        assert "> 30 mm" in f.explanation
    if expected == "unknown":
        assert any(m.endswith("diameter_mm") for m in f.missing)


def test_e2_needs_bilobar_disease() -> None:
    lesions = [les(f"L{i}", s, d=45) for i, s in enumerate(("II", "III", "IVa", "IVb", "II"))]
    f = finding(evaluate_review(review(lesions)), "e2_bilobar_large_in_remnant")
    assert f.status == "not_met" and "not bilobar" in f.explanation


def test_caudate_does_not_make_disease_bilobar() -> None:
    r = review([les("L1", "I", d=45), les("L2", "VI", d=45)], tumour_burden_pct=60)
    assert status(evaluate_review(r), "e3_bilobar_burden") == "not_met"


@pytest.mark.parametrize(("burden", "expected"), [
    (50, "not_met"), (50.0, "not_met"), (50.1, "met"), (49.9, "not_met"), (80, "met"),
])
def test_e3_boundary_50_percent(burden: float, expected: str) -> None:
    r = review([les("L1", "II", d=60), les("L2", "VII", d=60)], tumour_burden_pct=burden)
    ev = evaluate_review(r)
    assert status(ev, "e3_bilobar_burden") == expected
    if expected == "met":
        assert ev.resectability == "permanently_unresectable"


def test_e3_sphere_estimate_without_recorded_share() -> None:
    small = review([les("L1", "II", d=40), les("L2", "VII", d=40)])
    f = finding(evaluate_review(small), "e3_bilobar_burden")
    assert f.status == "not_met" and "sphere volumes" in f.explanation
    big = review([les("L1", "II", d=110), les("L2", "VII", d=110)])
    f = finding(evaluate_review(big), "e3_bilobar_burden")
    assert f.status == "unknown" and f.missing[0].endswith("tumour_burden_pct")
    nobody = review([les("L1", "II", d=40), les("L2", "VII", d=40)], height_cm=None)
    f = finding(evaluate_review(nobody), "e3_bilobar_burden")
    assert f.status == "unknown" and any("height_cm" in m for m in f.missing)


# --------------------------------------------------------------------------- exclusions

@pytest.mark.parametrize(("ehd", "counts", "expected"), [
    ("none", False, "not_met"), ("confirmed", False, "met"), ("indeterminate", False, "not_met"),
    ("indeterminate", True, "met"), (None, False, "unknown"),
])
def test_extrahepatic(ehd: str | None, counts: bool, expected: str) -> None:
    ev = evaluate_review(convertible_review(extrahepatic_disease=ehd),
                         indeterminate_ehd_counts=counts)
    f = finding(ev, "extrahepatic_metastasis")
    assert f.status == expected
    if ehd == "indeterminate" and not counts:
        assert "not counted" in f.explanation
    expected_elig = {"met": "not_eligible", "not_met": "eligible", "unknown": "indeterminate"}
    assert ev.eligibility == expected_elig[expected]


@pytest.mark.parametrize(("grade", "expected"), [(1, "not_met"), (2, "met"), (None, "unknown")])
def test_neuropathy_grade_2(grade: int | None, expected: str) -> None:
    ev = evaluate_review(with_clinical(convertible_review(), neuropathy_grade=grade))
    assert status(ev, "neuropathy") == expected


# --------------------------------------------------------------------------- inclusion

@pytest.mark.parametrize(("birth", "expected"), [
    (date(2007, 1, 15), "met"),      # 19 on the review date
    (date(2007, 1, 16), "not_met"),  # 18 until tomorrow
])
def test_age_19(birth: date, expected: str) -> None:
    from tests.engine_fixtures import case

    ev = evaluate_review(case(convertible_review(), birth=birth))
    assert status(ev, "age") == expected


def test_age_unknown_names_birth_date() -> None:
    from tests.engine_fixtures import case

    f = finding(evaluate_review(case(convertible_review(), birth=None)), "age")
    assert f.status == "unknown" and f.missing == ("patient.birth_date",)


@pytest.mark.parametrize(("field", "value", "rule", "expected"), [
    ("ecog", 1, "ecog", "met"), ("ecog", 2, "ecog", "not_met"), ("ecog", None, "ecog", "unknown"),
])
def test_ecog(field: str, value: int | None, rule: str, expected: str) -> None:
    ev = evaluate_review(convertible_review(**{field: value}))
    assert status(ev, rule) == expected


@pytest.mark.parametrize(("kw", "rule", "expected"), [
    ({"prior_systemic_lines": 0}, "no_prior_chemotherapy", "met"),
    ({"prior_systemic_lines": 1}, "no_prior_chemotherapy", "not_met"),
    ({"life_expectancy_months": 3}, "life_expectancy", "met"),
    ({"life_expectancy_months": 2.9}, "life_expectancy", "not_met"),
    ({"life_expectancy_months": None}, "life_expectancy", "unknown"),
])
def test_clinical_inclusion(kw: dict, rule: str, expected: str) -> None:
    assert status(evaluate_review(with_clinical(convertible_review(), **kw)), rule) == expected


# --------------------------------------------------------------------------- organ function

@pytest.mark.parametrize(("field", "value", "expected"), [
    ("anc", 1.5, "met"), ("anc", 1.49, "not_met"),
    ("hb", 9.0, "met"), ("hb", 8.9, "not_met"),
    ("plt", 100, "met"), ("plt", 99, "not_met"),
    ("ast", 200, "met"), ("ast", 200.1, "not_met"),          # ULN 40: 5 x ULN = 200
    ("alt", 205, "met"), ("alt", 205.01, "not_met"),         # ULN 41
    ("alp", 600, "met"), ("alp", 600.5, "not_met"),          # ULN 120
    ("bilirubin", 31.5, "met"), ("bilirubin", 31.6, "not_met"),  # ULN 21: 1.5 x = 31.5
])
def test_lab_boundaries(field: str, value: float, expected: str) -> None:
    ev = evaluate_review(with_labs(convertible_review(), **{field: value}))
    assert status(ev, field) == expected
    assert ev.eligibility == ("eligible" if expected == "met" else "not_eligible")


def test_missing_uln_is_unknown_and_named() -> None:
    f = finding(evaluate_review(with_uln(convertible_review(), ast=None)), "ast")
    assert f.status == "unknown"
    assert f.missing == ("reviews[0].labs.uln.ast",)
    # A person reads words, never the field path: the path stays a machine key.
    assert f.missing_words == ("AST upper limit of normal",)
    assert "labs." not in f.explanation and "upper limit of normal" in f.explanation


@pytest.mark.parametrize(("creatinine", "sex", "expected"), [
    # (140 - 64) x 70 x 1.04 / c: c = 122.9 -> 45.0 (F) ; c = 123 -> 44.98
    (122.9, "F", "met"), (123, "F", "not_met"),
    (140, "M", "met"),    # (76 x 70 x 1.23) / 140 = 46.7
    (140, None, "unknown"),  # F gives 39.5, M gives 46.7: sex decides
    (60, None, "met"),       # both sexes clear 45
])
def test_creatinine_clearance_45(creatinine: float, sex: str | None, expected: str) -> None:
    from tests.engine_fixtures import case

    r = with_labs(convertible_review(), creatinine=creatinine)
    f = finding(evaluate_review(case(r, sex=sex)), "creatinine_clearance")
    assert f.status == expected, f.explanation
    if expected == "unknown":
        assert f.missing == ("patient.sex",)


@pytest.mark.parametrize(("dip", "g24", "expected"), [
    ("1+", None, "met"), ("2+", 1.0, "met"), ("2+", 1.1, "not_met"), ("3+", None, "unknown"),
    (None, None, "unknown"),
])
def test_proteinuria(dip: str | None, g24: float | None, expected: str) -> None:
    r = with_labs(convertible_review(), proteinuria=dip, proteinuria_g_24h=g24)
    assert status(evaluate_review(r), "proteinuria") == expected


# --------------------------------------------------------------------------- three-valued outcome

def test_unknowns_that_cannot_change_the_outcome_do_not_block_it() -> None:
    # ECOG 3 fails for certain: missing labs do not make eligibility indeterminate.
    r = replace(convertible_review(ecog=3), labs=Labs(uln=Uln()))
    ev = evaluate_review(r)
    assert ev.eligibility == "not_eligible"
    assert status(ev, "anc") == "unknown"
    # E1 met decides resectability whatever the unknown E2 says.
    lesions = _all_segments(True) + [les("LX", "II", d=None)]
    ev = evaluate_review(review(lesions))
    assert ev.resectability == "permanently_unresectable"


def test_missing_data_never_passes() -> None:
    r = replace(convertible_review(), labs=Labs(uln=Uln()), ecog=None,
                extrahepatic_disease=None)
    ev = evaluate_review(r)
    assert ev.eligibility == "indeterminate"
    for f in ev.criteria:
        if f.status == "unknown":
            assert f.missing and f.missing_words, f.id
            # The words name the data; the text never shows a JSON path.
            assert "[" not in f.explanation and "labs." not in f.explanation, f.explanation


def test_resectable_patient_is_not_eligible() -> None:
    r = review([les("L1", "VI", d=25)], [], plan("right_hepatectomy"))
    ev = evaluate_review(r)
    assert ev.resectability == "resectable"
    assert ev.eligibility == "not_eligible"


def test_disappeared_lesions_and_their_vessels_do_not_bind_a_plan() -> None:
    r = review([les("L1", "VI", d=25), les("L2", "II", d=None, status="disappeared")],
               [vc("LHV", "L2")], plan("right_hepatectomy"))
    ev = evaluate_review(r)
    assert ev.resectability == "resectable"
    assert any("L2" in w for w in ev.warnings)
