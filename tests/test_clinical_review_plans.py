"""Independent clinical review: remnant viability and U2 vessel lists, plans that depend on
missing diameters, and the other protocols' criteria (SULTAN, CLOCC, CAIRO5 panel)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mdt import anatomy
from mdt.case import Treatment, Vote
from mdt.panel import aggregate
from tests.engine_fixtures import (
    BASE_DATE,
    case,
    evaluate_review,
    finding,
    les,
    plan,
    review,
    status,
    vc,
    with_clinical,
)

# --------------------------------------------------------------------------- remnant vessels (U2)


@pytest.mark.parametrize(("resection", "vessels"), [
    # Table 1's vessels only: sectoral branches and the IRHV serve segment viability (U1).
    ("right_hepatectomy", {"MPV", "LPV", "LHV", "MHV", "IVC"}),
    ("left_hepatectomy", {"MPV", "IVC", "RPV", "MHV", "RHV"}),
    ("extended_right_hepatectomy", {"MPV", "LPV", "LHV", "IVC"}),
    ("extended_left_hepatectomy", {"MPV", "IVC", "RPV", "RHV"}),
    ("right_posterior_sectionectomy",
     {"MPV", "IVC", "LPV", "LHV", "MHV", "RPV", "RHV"}),
])
def test_remnant_vessel_lists(resection: str, vessels: set[str]) -> None:
    assert anatomy.remnant_vessels(anatomy.remnant_of(resection)) == vessels


@pytest.mark.parametrize(("structure", "resection", "expected"), [
    ("RHV", "right_hepatectomy", "not_met"),   # leaves with the right liver
    ("MHV", "right_hepatectomy", "met"),       # drains IV of the remnant
    ("IVC", "right_hepatectomy", "met"),
    ("RPV", "left_hepatectomy", "met"),
    ("RPPV", "left_hepatectomy", "not_met"),   # sectoral branch: costs VI and VII (U1) only
    ("IRHV", "right_posterior_sectionectomy", "not_met"),
    ("IRHV", "left_hepatectomy", "not_met"),   # not among Table 1's vessels
    ("PHA", "right_hepatectomy", "not_met"),   # not a U2 structure (it kills inflow instead)
])
def test_u2_contact_with_a_vessel_of_the_remnant(structure: str, resection: str,
                                                 expected: str) -> None:
    # L1 spans every right unit so every plan here removes or wedges nothing else.
    r = review([les("L1", "VI", "VII", d=40)], [vc(structure, "L1", "contact")],
               plan(resection))
    assert status(evaluate_review(r), "remnant_vessel_contact") == expected


@pytest.mark.parametrize("relation", ["contact", "encasement", "invasion", "thrombus"])
def test_any_recorded_relation_counts_for_u2(relation: str) -> None:
    r = review([les("L1", "VII", d=40)], [vc("MHV", "L1", relation)], plan("right_hepatectomy"))
    assert status(evaluate_review(r), "remnant_vessel_contact") == "met"


# --------------------------------------------------------------------------- viability


@pytest.mark.parametrize(("lost", "segment", "viable"), [
    ({"LHV"}, "II", False), ({"LHV"}, "IVa", True), ({"LHV", "MHV"}, "IVb", False),
    ({"MHV"}, "V", True), ({"MHV", "RHV"}, "VIII", False), ({"RAPV"}, "V", False),
    ({"RHV"}, "VI", True), ({"RHV", "IRHV"}, "VI", False), ({"RHV"}, "VII", False),
    ({"RPPV"}, "VII", False), ({"RPV"}, "VI", False), ({"LPV"}, "III", False),
    ({"IVC"}, "III", False), ({"MPV"}, "II", False), ({"LHD"}, "II", False),
    ({"RHA"}, "V", False), ({"BC"}, "IVa", False),
])
def test_segment_viability_table(lost: set[str], segment: str, viable: bool) -> None:
    assert anatomy.segment_viable(segment, frozenset(lost)) is viable


@pytest.mark.parametrize(("remnant", "lost", "viable"), [
    ({"I", "II", "III"}, {"RPV"}, True),     # left side stays: the caudate takes the LPV
    ({"I", "II", "III"}, {"LPV"}, False),
    ({"I", "VI", "VII"}, {"LPV"}, True),
    ({"I", "II", "VI"}, {"LPV"}, True),      # either side feeds it
    ({"I", "II"}, {"IVC"}, False),
])
def test_caudate_takes_the_portal_side_that_stays(remnant: set[str], lost: set[str],
                                                  viable: bool) -> None:
    assert anatomy.segment_viable("I", frozenset(lost), remnant) is viable


def test_a_plan_sacrifices_every_vessel_a_removed_lesion_touches() -> None:
    # L1 in VII touches the LHV (recorded): a right hepatectomy takes the LHV with it, so II
    # and III lose their only outflow and go with the specimen; I and IV stay (U1 not met),
    # but the LHV is a Table 1 vessel of the planned remnant: U2 is met.
    r = review([les("L1", "VII", "VIII", d=60)], [vc("LHV", "L1")], plan("right_hepatectomy"))
    ev = evaluate_review(r)
    f = finding(ev, "r0_resection_impossible")
    assert f.status == "not_met", f.explanation
    assert "II loses its outflow (LHV touched by L1): resected with the specimen" in f.explanation
    assert status(ev, "remnant_vessel_contact") == "met"
    assert ev.resectability == "convertible"
    # With the reading off, a segment losing its outflow makes the plan fail.
    f = finding(evaluate_review(r, nonviable_segments_resected=False), "r0_resection_impossible")
    assert f.status == "met" and "remnant segment II loses its outflow" in f.explanation


# --------------------------------------------------------------------------- missing diameters


def _cairo5_unsized(d: float | None) -> object:
    # L1 in VI takes the RPV (the right liver must go); L2 in IVb touches the LPV.  Only
    # ablating L2 in place keeps the LPV, and then only if L2 is <= 30 mm.
    return review([les("L1", "VI", d=40), les("L2", "IVb", d=d)],
                  [vc("RPV", "L1"), vc("LPV", "L2")])


@pytest.mark.parametrize(("d", "expected"), [(30, "met"), (30.1, "not_met"), (None, "unknown")])
def test_cairo5_r0_with_an_unmeasured_lesion_is_unknown(d: float | None, expected: str) -> None:
    ev = evaluate_review(_cairo5_unsized(d), "CAIRO5")
    for rule in ("r0_local_treatment", "two_contiguous_viable_segments"):
        f = finding(ev, rule)
        assert f.status == expected, (rule, f.explanation)
        if expected == "unknown":
            assert f.missing == ("reviews[0].lesions[1].diameter_mm",)
            assert "L2 (IVb)" in f.explanation
    if expected == "unknown":
        assert ev.resectability == "indeterminate"   # was "convertible" from the missing size


def test_u1_with_an_unmeasured_lesion_when_ablation_counts() -> None:
    ev = evaluate_review(_cairo5_unsized(None), ablation_counts_as_resection=True)
    f = finding(ev, "r0_resection_impossible")
    assert f.status == "unknown" and f.missing == ("reviews[0].lesions[1].diameter_mm",)
    # NCT05103020's own setting: ablation never counts, so the size does not matter.
    assert status(evaluate_review(_cairo5_unsized(None)), "r0_resection_impossible") == "met"


def test_unmeasured_lesion_that_cannot_help_leaves_the_verdict_decided() -> None:
    # L1 (60 mm) invades the IVC and cannot be ablated: nothing works, whatever L2 measures.
    r = review([les("L1", "VII", d=60), les("L2", "III", d=None)],
               [vc("IVC", "L1"), vc("LHV", "L2")])
    ev = evaluate_review(r, "CAIRO5")
    assert status(ev, "r0_local_treatment") == "not_met"
    f = finding(evaluate_review(r, "EORTC-40004"), "every_lesion_treatable")
    assert f.status == "not_met", f.explanation   # was unknown


def test_clocc_every_lesion_treatable_waits_for_the_diameter() -> None:
    # L1 (50 mm, over CLOCC's 40 mm ablation limit) takes the RPV; L2 must be ablated.
    r = review([les("L1", "VI", d=50), les("L2", "IVb", d=None)],
               [vc("RPV", "L1"), vc("LPV", "L2")])
    f = finding(evaluate_review(r, "EORTC-40004"), "every_lesion_treatable")
    assert f.status == "unknown" and f.missing == ("reviews[0].lesions[1].diameter_mm",)


@pytest.mark.parametrize(("n", "expected"), [(9, "met"), (10, "not_met")])
def test_clocc_count_counts_present_lesions_only(n: int, expected: str) -> None:
    units = ["II", "III", "IVa", "IVb", "V", "VI", "VII", "VIII", "II", "III"]
    lesions = [les(f"L{i}", units[i], d=15) for i in range(n)]
    lesions.append(les("LG", "VI", d=None, status="disappeared"))
    assert status(evaluate_review(review(lesions), "EORTC-40004"),
                  "fewer_than_10_metastases") == expected


# --------------------------------------------------------------------------- SULTAN biology


def _sultan(days: int, cea: tuple[float | None, float | None] = (10, 10),
            ca: tuple[float | None, float | None] = (20, 20), now_mm: float = 30,
            start: date = BASE_DATE) -> object:
    base = with_clinical(review([les("L1", "VI", d=30, target=True)], on=BASE_DATE),
                         cea=cea[0], ca19_9=ca[0])
    later = with_clinical(review([les("L1", "VI", d=now_mm, target=True)],
                                 on=BASE_DATE + timedelta(days=days), cycle=4),
                          cea=cea[1], ca19_9=ca[1])
    return case(base, later, treatment=Treatment(start_date=start))


@pytest.mark.parametrize(("cea", "ca", "expected", "missing"), [
    ((10, 20), (20, 20), "met", ()),           # exactly twice the baseline: doubled
    ((10, 19.99), (20, 20), "not_met", ()),
    ((10, 10), (20, 40), "met", ()),           # CA 19-9 doubling suffices
    ((10, 10), (20, None), "unknown", ("reviews[1].clinical.ca19_9",)),
    ((10, 10), (None, 40), "unknown", ("reviews[0].clinical.ca19_9",)),
    ((10, 20), (20, None), "met", ()),         # one doubled marker decides
])
def test_sultan_marker_doubling_both_sides(cea: tuple, ca: tuple, expected: str,
                                           missing: tuple) -> None:
    f = finding(evaluate_review(_sultan(70, cea, ca), "SULTAN"), "u3_biological_progression")
    assert f.status == expected, f.explanation
    if missing:
        assert f.missing == missing


@pytest.mark.parametrize(("days", "expected"), [
    (58, "not_met"),   # 2026-01-15 + 58 days = 2026-03-14: before 2 calendar months
    (59, "met"),       # 2026-03-15: two months of induction
])
def test_sultan_two_months_are_calendar_months(days: int, expected: str) -> None:
    f = finding(evaluate_review(_sultan(days, cea=(10, 25)), "SULTAN"),
                "u3_biological_progression")
    assert f.status == expected, f.explanation


def test_sultan_first_review_after_two_months_of_induction_is_unknown() -> None:
    # The board first sees the patient after 3 months of induction: there is nothing earlier
    # to compare with, so progression is not excluded (was not_met).
    r = with_clinical(review([les("L1", "VI", d=30, target=True)]), cea=10, ca19_9=20)
    c = case(r, treatment=Treatment(start_date=BASE_DATE - timedelta(days=92)))
    f = finding(evaluate_review(c, "SULTAN"), "u3_biological_progression")
    assert f.status == "unknown", f.explanation
    assert f.missing and "reviews[0]" in f.missing[0]


def test_sultan_first_review_at_the_start_of_induction_is_not_met() -> None:
    c = case(review([les("L1", "VI", d=30, target=True)]),
             treatment=Treatment(start_date=BASE_DATE))
    assert status(evaluate_review(c, "SULTAN"), "u3_biological_progression") == "not_met"


def test_sultan_recist_pd_decides_without_markers() -> None:
    ev = evaluate_review(_sultan(70, (None, None), (None, None), now_mm=36), "SULTAN")
    assert status(ev, "u3_biological_progression") == "met"   # 30 -> 36 mm: +20 %, +6 mm
    ev = evaluate_review(_sultan(70, (None, None), (None, None), now_mm=35.9), "SULTAN")
    f = finding(ev, "u3_biological_progression")
    assert f.status == "unknown"   # SD, and markers missing: doubling not excluded


# --------------------------------------------------------------------------- CAIRO5 panel


def _votes(spec: str) -> list[Vote]:
    """'RRC|PU' = round 1 ratings, then round 2 (R resectable, C convertible, P permanent)."""
    names = {"R": "resectable", "C": "convertible", "P": "permanently_unresectable"}
    out = []
    for rnd, part in enumerate(spec.split("|"), start=1):
        for i, ch in enumerate(part):
            out.append(Vote(member=f"S{rnd}{i}", role="hepatobiliary_surgeon",
                            rating=names[ch], round=rnd))
    return out


CAIRO5 = {"kind": "cairo5", "first_round": 3, "second_round": 2, "tie": "chair",
          "voter_role": "surgeon"}


@pytest.mark.parametrize(("spec", "chair", "result", "rule"), [
    ("RRR", None, "resectable", "consensus"),
    ("RRC", None, None, None),                   # no consensus: two more surgeons needed
    ("RRC|R", None, None, None),                 # one of the two recorded
    ("RRC|RC", None, "resectable", "majority"),  # 3 of 5
    ("RCP|RC", None, None, None),                # 2-2-1: the chair decides
    ("RCP|RC", "convertible", "convertible", "chair"),
    ("RCP|PP", None, "permanently_unresectable", "majority"),
])
def test_cairo5_aggregation(spec: str, chair: str | None, result: str | None,
                            rule: str | None) -> None:
    agg = aggregate(_votes(spec), CAIRO5, chair_rating=chair)
    assert (agg.result, agg.rule) == (result, rule)
    if spec == "RCP|RC" and chair is None:
        assert agg.needs_chair
    if spec in ("RRC", "RRC|R"):
        assert agg.needs_second_round


def test_cairo5_radiologist_votes_do_not_count() -> None:
    votes = _votes("RR") + [Vote(member="X", role="radiologist", rating="resectable")]
    agg = aggregate(votes, CAIRO5)
    assert agg.result is None and any("not counted" in n for n in agg.notes)


def test_sultan_without_a_pre_induction_review_cannot_exclude_progression() -> None:
    # Both reviews follow 2 months of induction: stable values between them do not exclude a
    # doubling since the start of induction; a doubling between them still decides.
    start = BASE_DATE - timedelta(days=70)
    f = finding(evaluate_review(_sultan(56, start=start), "SULTAN"), "u3_biological_progression")
    assert f.status == "unknown" and "reviews[0]" in f.missing[0]
    f = finding(evaluate_review(_sultan(56, cea=(10, 20), start=start), "SULTAN"),
                "u3_biological_progression")
    assert f.status == "met"
