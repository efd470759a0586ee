"""Remnant planning: the vectorised search agrees with checking every plan one by one."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdt import anatomy
from mdt.protocols import get_protocol
from mdt.protocols.model import Settings
from mdt.protocols.plans import CANDIDATES, check_plan, disease_of, mask_units, search
from tests.engine_fixtures import (
    evaluate_review,
    finding,
    les,
    plan,
    random_review,
    review,
    status,
    vc,
)


def _brute_force(disease, s: Settings) -> tuple[set[frozenset[str]], frozenset[str] | None]:
    feasible = set()
    best_key, best = None, None
    for cand in CANDIDATES:
        count = cand.segments8 if s.segment_count_units == 8 else cand.segments9
        if count < s.remnant_min_segments:
            continue
        chk = check_plan(disease, cand.units, s)
        # The search counts remnants that work as they are; one that works only once a segment
        # losing its supply goes with the specimen is the smaller remnant, counted on its own.
        if not chk.feasible or chk.dropped:
            continue
        feasible.add(cand.units)
        key = (bool(chk.remnant_contacts), -count, -len(cand.units), len(chk.local),
               cand.resection is None, cand.mask)
        if best_key is None or key < best_key:
            best_key, best = key, cand.units
    return feasible, best


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**9), ablation=st.booleans(), units=st.sampled_from((8, 9)))
def test_search_matches_checking_every_plan(seed: int, ablation: bool, units: int) -> None:
    r = random_review(random.Random(seed))
    s = Settings(ablation_counts_as_resection=ablation, segment_count_units=units)
    disease = disease_of(r)
    result = search(disease, s)
    feasible, best = _brute_force(disease, s)
    assert result.feasible == len(feasible)
    assert (None if result.best is None else mask_units(result.best)) == best


def test_best_plan_prefers_keeping_no_touched_vessel() -> None:
    # L1 in VIII touches the MHV: a right hepatectomy keeps the MHV for IV (U2 contact); an
    # extended right hepatectomy (remnant I-III) keeps no touched vessel.
    r = review([les("L1", "VIII", d=50)], [vc("MHV", "L1"), vc("RHV", "L1")],
               plan("right_hepatectomy"))
    ev = evaluate_review(r)
    assert status(ev, "remnant_vessel_contact") == "met"
    assert ev.best_plan is not None
    assert not {"IVa", "IVb", "V", "VIII"} & set(ev.best_plan.remnant)
    assert ev.better_plan_than_recorded
    assert "A better plan exists" in finding(ev, "remnant_vessel_contact").explanation


def test_an_untreated_lesion_left_in_the_remnant_keeps_its_vessel_and_fails_the_plan() -> None:
    r = review([les("L1", "VII", d=40)], [vc("RHV", "L1")], plan("right_anterior_sectionectomy"))
    f = finding(evaluate_review(r), "r0_resection_impossible")
    assert f.status == "met"
    assert "L1 (VII) lies in remnant segment(s) VII and the plan does not treat it" in f.explanation


def test_a_segment_losing_its_outflow_goes_with_the_specimen_and_the_gap_is_named() -> None:
    # L1 in VIII leaves with the right anterior sectionectomy and takes the RHV: VII has no
    # other outflow (resected with the specimen); VI keeps the IRHV but is cut off from I-IV.
    r = review([les("L1", "VIII", d=40)], [vc("RHV", "L1")], plan("right_anterior_sectionectomy"))
    f = finding(evaluate_review(r), "r0_resection_impossible")
    assert f.status == "met"
    assert "VII loses its outflow (RHV touched by L1): resected with the specimen" in f.explanation
    assert "2 separate pieces (I–IVb | VI); between them: V" in f.explanation


def test_plans_considered_lists_every_named_resection_with_reasons() -> None:
    r = review([les("L1", "VII", "VIII", d=42), les("L2", "III", d=18)], [vc("RHV", "L1")],
               plan("right_hepatectomy", local={"L2": "wedge"}))
    ev = evaluate_review(r)
    named = {p.resection for p in ev.plans_considered}
    assert set(anatomy.RESECTIONS) <= named
    for p in ev.plans_considered:
        assert p.feasible == (not p.reasons)
    left = next(p for p in ev.plans_considered if p.resection == "left_hepatectomy")
    assert not left.feasible and any("RHV" in reason for reason in left.reasons)


def test_remnant_summary_standardised_and_estimated() -> None:
    r = review([les("L1", "VI", d=30)], [], plan("right_hepatectomy", flr_ml=520, tlv_ml=None,
                                                 condition="chemotherapy"),
               height_cm=180, weight_kg=80)
    ev = evaluate_review(r, )
    rs = ev.remnant
    assert rs is not None and rs.tlv_source == "estimated"
    assert rs.tlv_ml == pytest.approx(1740.2, abs=0.05)
    assert rs.flr_pct == pytest.approx(29.9, abs=0.05)
    assert rs.threshold_pct == 30 and rs.adequate is False and rs.at_threshold
    assert rs.flr_bwr_pct == 0.65
    assert rs.segments == ("I", "II", "III", "IVa", "IVb")


@pytest.mark.parametrize(("flr", "op", "adequate"), [
    (300, ">=", "met"), (299, ">=", "not_met"), (300, ">", "not_met"), (301, ">", "met"),
])
def test_remnant_volume_boundary_and_operator_setting(flr: int, op: str, adequate: str) -> None:
    r = review([les("L1", "VI", d=30)], [], plan("right_hepatectomy", flr_ml=flr, tlv_ml=1000,
                                                 condition="chemotherapy"))
    ev = evaluate_review(r, "AHPBA-2006", flr_operator=op)
    f = finding(ev, "remnant_volume")
    assert f.status == adequate
    assert "at threshold" in f.explanation
    assert ev.resectability == ("resectable" if adequate == "met" else "convertible")


def test_unknown_liver_condition_decided_when_every_threshold_agrees() -> None:
    r = review([les("L1", "VI", d=30)], [], plan("right_hepatectomy", flr_ml=450, tlv_ml=1000,
                                                 condition="unknown"))
    assert status(evaluate_review(r, "AHPBA-2006"), "remnant_volume") == "met"
    r = review([les("L1", "VI", d=30)], [], plan("right_hepatectomy", flr_ml=250, tlv_ml=1000,
                                                 condition=None))
    f = finding(evaluate_review(r, "AHPBA-2006"), "remnant_volume")
    assert f.status == "unknown" and f.missing == ("reviews[0].remnant.liver_condition",)


def test_kinetic_growth_rate_after_pve() -> None:
    from dataclasses import replace

    from mdt.case import PortalVeinEmbolisation

    p = replace(plan("right_hepatectomy", flr_ml=360, tlv_ml=1000, condition="normal"),
                pve=PortalVeinEmbolisation(flr_before_ml=260, flr_after_ml=360, days_between=35))
    ev = evaluate_review(review([les("L1", "VI", d=30)], [], p))
    assert ev.remnant is not None and ev.remnant.kgr_pct_per_week == 2.0


def test_protocol_settings_are_reported() -> None:
    ev = evaluate_review(review([les("L1", "VI", d=30)]), segment_count_units=9)
    assert any("9 units" in a for a in ev.assumptions)
    assert get_protocol("NCT05103020").settings.segment_count_units == 8


def test_normal_liver_after_long_chemotherapy_is_flagged() -> None:
    from datetime import timedelta

    from mdt.case import Treatment
    from tests.engine_fixtures import BASE_DATE, case

    r = review([les("L1", "VI", d=30)], [], plan("right_hepatectomy", flr_ml=250, tlv_ml=1000,
                                                 condition="normal"))
    long = case(r, treatment=Treatment(start_date=BASE_DATE - timedelta(weeks=13)))
    assert any("30 % threshold" in w and "recorded as normal" in w
               for w in evaluate_review(long).warnings)
    short = case(r, treatment=Treatment(start_date=BASE_DATE - timedelta(weeks=12)))
    assert not any("30 %" in w for w in evaluate_review(short).warnings)


def test_a_remnant_just_under_the_threshold_is_never_shown_as_equal_to_it() -> None:
    r = review([les("L1", "VI", d=30)], [], plan("right_hepatectomy", flr_ml=599, tlv_ml=2000,
                                                 condition="chemotherapy"))
    ev = evaluate_review(r, "AHPBA-2006")
    assert ev.remnant is not None and ev.remnant.flr_pct == 29.95 and not ev.remnant.adequate
    assert "= 29.95 %" in finding(ev, "remnant_volume").explanation
