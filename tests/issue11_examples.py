"""The examples of issue 11 ("verdicts a surgeon can sign") as ``mdt-case/1`` documents, each
with the answer the project's clinical conventions (docs/clinical/conventions.md#readings-fixed-for-this-release) give.

Used by ``tests/test_issue11_examples.py`` through the command line (``main.py evaluate``)
and through the real main window.  Built here, so no file outside the repository is read.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

BASELINE = "2026-01-15"
GOOD_LABS: dict[str, Any] = {
    "anc": 2.4, "wbc": 6.0, "hb": 11.8, "plt": 210, "ast": 38, "alt": 41, "alp": 130,
    "bilirubin": 11, "creatinine": 78, "albumin": 40, "inr": 1.0, "proteinuria": "neg",
    "uln": {"ast": 40, "alt": 41, "alp": 120, "bilirubin": 21},
}
GOOD_CLINICAL: dict[str, Any] = {"prior_systemic_lines": 0, "neuropathy_grade": 0,
                                 "life_expectancy_months": 24, "cea": 45.0, "ca19_9": 30}


def review(lesions: list[dict[str, Any]], vessels: list[dict[str, Any]] | None,
           remnant: dict[str, Any] | None = None, *, on: str = BASELINE, cycle: int = 0,
           **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "date": on, "cycle": cycle, "height_cm": 172, "weight_kg": 74,
        "imaging": {"modality": "CT", "date": on, "study_uid": None},
        "lesions": lesions, "vessels": vessels, "remnant": remnant,
        "tumour_burden_pct": None, "extrahepatic_disease": "none", "ecog": 1,
        "clinical": copy.deepcopy(GOOD_CLINICAL), "labs": copy.deepcopy(GOOD_LABS),
        "panel": {"votes": [], "decision": None},
    }
    out.update(kw)
    return out


def lesion(lid: str, *segments: str, d: float | None = 30, target: bool = False) -> dict[str, Any]:
    return {"id": lid, "segments": list(segments), "diameter_mm": d, "target": target,
            "status": "present"}


def vessel(structure: str, lid: str | None, relation: str = "contact") -> dict[str, Any]:
    return {"structure": structure, "relation": relation, "lesion": lid}


def plan(resection: str | None = None, segments: list[str] | None = None,
         local: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resection": resection, "segments": segments,
        "local_treatment": [{"lesion": k, "method": v} for k, v in (local or {}).items()],
        "flr_ml": None, "tlv_ml": None, "liver_condition": "normal",
    }
    out.update(kw)
    return out


def case(pid: str, *reviews: dict[str, Any], treatment: dict[str, Any] | None = None,
         enrolled: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": "mdt-case/1",
        "patient": {"id": pid, "name": "EXAMPLE^Issue", "sex": "F", "birth_date": "1962-05-04"},
        "protocol": {"id": "NCT05103020", "arm": "A"},
    }
    if enrolled:
        out["protocol"]["enrolment_date"] = enrolled
    if treatment is not None:
        out["treatment"] = treatment
    out["reviews"] = list(reviews)
    return out


@dataclass(frozen=True)
class Example:
    """One example: the case, what the issue saw, and the conventions' answer."""
    name: str
    symptom: str
    case: dict[str, Any]
    resectability: str
    eligibility: str | None
    criteria: dict[str, str] = field(default_factory=dict)
    """rule id -> expected status."""
    phrases: tuple[str, ...] = ()
    """Words the evaluation must say (explanations, summaries, remnant)."""
    plan_suggested: bool = True
    eligibility_review_date: str | None = None


# A large lesion of the hepatocaval confluence: I, VII, VIII.
_CONFLUENCE = [lesion("L1", "I", "VII", "VIII", d=110, target=True)]

# Bilobar disease whose best plan is an extended left hepatectomy (remnant I, VI, VII, a wedge
# of L2): the volume on record (390 mL of 1710 mL, 22.8 %) was measured for I-III + IVb.
_EXTENDED_LEFT_LESIONS = [lesion("L1", "VIII", "IVa", d=46, target=True),
                          lesion("L2", "VI", d=38, target=True),
                          lesion("L3", "II", d=21), lesion("L4", "V", d=17)]
_EXTENDED_LEFT_VESSELS = [vessel("MHV", "L1"), vessel("RAPV", "L1"), vessel("LHV", "L3")]

EXAMPLES: tuple[Example, ...] = (
    Example(
        "no_lesions", "a new review with no lesions shows RESECTABLE and offers a plan",
        case("EX-NOLES", review([], None, None)),
        "indeterminate", "indeterminate",
        {"r0_resection_impossible": "unknown", "remnant_vessel_contact": "unknown",
         "e1_tumours_in_all_segments": "unknown"},
        ("no lesions recorded",), plan_suggested=False),
    Example(
        "confluence_vessels_absent",
        "a 110 mm lesion at the hepatocaval confluence with vessels absent is RESECTABLE",
        case("EX-CONFL", review(_CONFLUENCE, None, None)),
        "indeterminate", "indeterminate",
        {"remnant_vessel_contact": "unknown", "r0_resection_impossible": "unknown"},
        ("vessel relations not assessed",), plan_suggested=False),
    Example(
        "confluence_no_contact",
        "the same lesion once 'no vascular contact' is recorded explicitly",
        case("EX-CONFL2", review(_CONFLUENCE, [], None)),
        "resectable", "not_eligible",
        {"remnant_vessel_contact": "not_met", "r0_resection_impossible": "not_met"}),
    Example(
        "stale_volume_after_use_this_plan",
        "after 'Use this plan' (extended left hepatectomy) RESECTABLE beside an INSUFFICIENT "
        "sFLR measured for the previous plan",
        case("EX-STALE", review(
            _EXTENDED_LEFT_LESIONS, _EXTENDED_LEFT_VESSELS,
            plan("extended_left_hepatectomy", local={"L2": "wedge"}, flr_ml=390, tlv_ml=1710,
                 liver_condition="chemotherapy", flr_segments=["I", "II", "III", "IVb"]),
            tumour_burden_pct=14)),
        "resectable", "not_eligible",
        {"r0_resection_impossible": "not_met", "remnant_vessel_contact": "not_met"},
        ("stale — measured for I–III, IVb", "volumetry is advised before surgery")),
    Example(
        "measured_for_this_plan",
        "the remnant of the extended left hepatectomy measured again: 22.8 % after chemotherapy",
        case("EX-MEASURED", review(
            _EXTENDED_LEFT_LESIONS, _EXTENDED_LEFT_VESSELS,
            plan("extended_left_hepatectomy", local={"L2": "wedge"}, flr_ml=390, tlv_ml=1710,
                 liver_condition="chemotherapy", flr_segments=["I", "VI", "VII"]),
            tumour_burden_pct=14)),
        "convertible", "eligible",
        {"r0_resection_impossible": "met", "remnant_vessel_contact": "not_met"},
        ("insufficient: remnant share 22.8 % (needs ≥ 30 %)",)),
    Example(
        "non_contiguous_remnant", "a recorded remnant of segments II + VI is RESECTABLE",
        case("EX-PIECES", review([lesion("L1", "VII", d=35, target=True),
                                  lesion("L2", "VIII", d=22)], [],
                                 plan(None, segments=["II", "VI"]))),
        "convertible", "eligible",
        {"r0_resection_impossible": "met"},
        ("2 separate pieces (II | VI)", "between them")),
    Example(
        "wedge_takes_the_rapv",
        "a right anterior sectionectomy with a wedge of a V/VI lesion touching the RAPV is "
        "convertible / ELIGIBLE",
        case("EX-WEDGE", review([lesion("L1", "V", "VI", d=28, target=True)],
                                [vessel("RAPV", "L1")],
                                plan("right_anterior_sectionectomy", local={"L1": "wedge"}))),
        "resectable", "not_eligible",
        {"r0_resection_impossible": "not_met", "remnant_vessel_contact": "not_met"},
        ("RAPV is not among the major vessels U2 names",)),
    Example(
        "single_straddling_lesion",
        "a single 120 mm lesion across IVb/V with 60 % tumour burden is RESECTABLE",
        case("EX-BILOBAR", review([lesion("L1", "IVb", "V", d=120, target=True)], [],
                                  None, tumour_burden_pct=60)),
        "permanently_unresectable", "not_eligible",
        {"e3_bilobar_burden": "met"},
        ("touches both hemilivers",)),
    Example(
        "eligibility_at_enrolment",
        "at cycle 8 NOT ELIGIBLE because 'no prior chemotherapy' now fails",
        case("EX-ENROL",
             review([lesion("L1", "VII", "VIII", d=42, target=True),
                     lesion("L2", "III", d=18, target=True)],
                    [vessel("MHV", "L1")],
                    plan("right_hepatectomy", local={"L2": "wedge"})),
             review([lesion("L1", "VII", "VIII", d=35, target=True),
                     lesion("L2", "III", d=14, target=True)],
                    [vessel("MHV", "L1")],
                    plan("right_hepatectomy", local={"L2": "wedge"}),
                    on="2026-05-07", cycle=8,
                    clinical={**GOOD_CLINICAL, "prior_systemic_lines": 1}),
             treatment={"regimen": "FOLFIRI + HAI oxaliplatin", "start_date": "2026-01-22",
                        "cycles": [], "outcome": "on_treatment", "outcome_date": None}),
        "convertible", "eligible",
        {"remnant_vessel_contact": "met", "no_prior_chemotherapy": "met"},
        eligibility_review_date=BASELINE),
    Example(
        "caudate_lesion_irhv",
        "a caudate lesion touching the inferior right hepatic vein makes the patient "
        "convertible, and the better plan also removes healthy segment VI",
        case("EX-CAUDATE", review([lesion("L1", "I", d=25, target=True)],
                                  [vessel("IRHV", "L1")], plan("caudate_lobectomy"))),
        "resectable", "not_eligible",
        {"remnant_vessel_contact": "not_met", "r0_resection_impossible": "not_met"},
        ("IRHV is not among the major vessels U2 names",)),
    # Siblings found by the soundness property (tests/test_readings_properties.py):
    Example(
        "relation_could_make_the_plan_work",
        "with the vessels not assessed, a right hepatectomy leaving L2 (II) behind was a certain "
        "failure, though L1 taking the LHV would take II with the specimen and the plan would work",
        case("EX-CURE", review([lesion("L1", "VII", d=30, target=True), lesion("L2", "II", d=20)],
                               None, plan("right_hepatectomy"))),
        "indeterminate", "indeterminate",
        {"r0_resection_impossible": "unknown", "remnant_vessel_contact": "unknown"},
        ("could take the segments holding the lesions left behind",), plan_suggested=False),
    Example(
        "volume_for_a_larger_remnant",
        "a volume measured for a larger remnant (I–V, VIII: 25 %) was ignored as stale for the "
        "right hepatectomy within it, which passed on the segment test though the liver "
        "condition (20, 30 or 40 %) was not recorded",
        case("EX-BOUND", review([lesion("L1", "VII", d=30, target=True)], [],
                                plan("right_hepatectomy", flr_ml=250, tlv_ml=1000,
                                     liver_condition=None,
                                     flr_segments=["I", "II", "III", "IVa", "IVb", "V", "VIII"]))),
        "indeterminate", "indeterminate",
        {"r0_resection_impossible": "unknown", "remnant_vessel_contact": "not_met"},
        ("undecided: smaller than I–V, VIII",)),
)


def example(name: str) -> Example:
    return next(e for e in EXAMPLES if e.name == name)
