"""Invariants of the protocol engine, checked on generated cases (hypothesis)."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdt import anatomy
from mdt.protocols import evaluate, evaluation_to_dict, get_protocol, load_protocols
from tests.engine_fixtures import random_case, vc

PROTOCOLS = sorted(load_protocols())
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _verdict(ev) -> tuple:
    return (ev.resectability, ev.eligibility,
            tuple((f.id, f.status) for f in ev.criteria),
            None if ev.best_plan is None else ev.best_plan.remnant)


@FAST
@given(seed=st.integers(0, 10**9), protocol=st.sampled_from(PROTOCOLS), shuffle=st.randoms())
def test_order_of_lesions_and_vessels_never_changes_the_outcome(seed: int, protocol: str,
                                                                 shuffle: random.Random) -> None:
    case = random_case(random.Random(seed))
    reviews = []
    for r in case.reviews:
        lesions, vessels = list(r.lesions), list(r.vessels or ())
        shuffle.shuffle(lesions)
        shuffle.shuffle(vessels)
        reviews.append(replace(r, lesions=tuple(lesions), vessels=tuple(vessels)))
    shuffled = replace(case, reviews=tuple(reviews))
    assert _verdict(evaluate(case, None, protocol)) == _verdict(evaluate(shuffled, None, protocol))


U2_PROTOCOLS = sorted(p.id for p in load_protocols().values()
                      if "u2_remnant_vessel_contact" in p.kinds)


@FAST
@given(seed=st.integers(0, 10**9), protocol=st.sampled_from(U2_PROTOCOLS), pick=st.randoms())
def test_a_new_contact_with_a_remnant_vessel_never_makes_a_convertible_patient_resectable(
        seed: int, protocol: str, pick: random.Random) -> None:
    # Protocols with U2 only: without it, a new contact can take a segment that held untreated
    # disease with the specimen (docs/clinical/conventions.md#the-recorded-plan-governs) and make a failing plan work.
    case = random_case(random.Random(seed))
    ev = evaluate(case, None, protocol)
    last = case.reviews[-1]
    present = [les for les in last.lesions if les.status == "present"]
    if ev.resectability != "convertible" or not present or ev.remnant is None \
            or not ev.remnant.segments:
        return
    vessels = sorted(anatomy.remnant_vessels(ev.remnant.segments))
    extra = vc(pick.choice(vessels), pick.choice(present).id, pick.choice(
        ("contact", "encasement", "invasion", "thrombus")))
    touched = replace(last, vessels=(last.vessels or ()) + (extra,))
    case2 = replace(case, reviews=case.reviews[:-1] + (touched,))
    assert evaluate(case2, None, protocol).resectability != "resectable"


@FAST
@given(seed=st.integers(0, 10**9), protocol=st.sampled_from(PROTOCOLS))
def test_a_review_with_no_lesion_recorded_is_indeterminate_and_suggests_no_plan(
        seed: int, protocol: str) -> None:
    # Withdrawn invariant: "removing every lesion makes any protocol resectable".
    # docs/clinical/conventions.md#missing-is-unknown: an empty lesion table is "no lesions
    # recorded", never resectable, no plan.
    case = random_case(random.Random(seed))
    cleared = replace(case, reviews=tuple(replace(r, lesions=(), vessels=())
                                          for r in case.reviews))
    ev = evaluate(cleared, None, protocol)
    assert ev.resectability == "indeterminate"
    assert ev.resectability_reason == "no lesions recorded"
    assert ev.best_plan is None and ev.plans_considered == () and ev.remnant is None
    assert ev.eligibility != "eligible"


@FAST
@given(seed=st.integers(0, 10**9), protocol=st.sampled_from(PROTOCOLS))
def test_evaluation_is_deterministic_and_unknowns_name_their_data(seed: int,
                                                                  protocol: str) -> None:
    case = random_case(random.Random(seed))
    index = random.Random(seed).randrange(len(case.reviews))
    first = evaluation_to_dict(evaluate(case, index, protocol))
    assert first == evaluation_to_dict(evaluate(case, index, protocol))
    ids = [r.id for r in get_protocol(protocol).rules]
    assert [c["id"] for c in first["criteria"]] == ids
    for c in first["criteria"]:
        assert c["status"] in ("met", "not_met", "unknown")
        assert c["explanation"]
        if c["status"] == "unknown":
            assert c["missing"], c
    statuses = {c["status"] for c in first["criteria"]}
    if first["resectability"] == "indeterminate":
        assert "unknown" in statuses
