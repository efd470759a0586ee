"""Sample ``mdt-case/1`` documents and hypothesis strategies for the case format tests.

``full_case_dict()`` is canonical (the key order and field set ``case_to_dict``
writes) and sets every field of the format, extensions included, to a non-null
value somewhere, so a round trip over it covers every field.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from mdt.anatomy import RESECTIONS
from mdt.case import (
    ASCITES,
    ENCEPHALOPATHY,
    EXTRAHEPATIC,
    LESION_STATUSES,
    LIVER_CONDITIONS,
    LOCAL_METHODS,
    OUTCOMES,
    PLANS,
    PRIOR_SYSTEMIC_RESPONSES,
    PROTEINURIA,
    RATINGS,
    SEGMENTS,
    SEXES,
    VESSEL_RELATIONS,
    VESSEL_STRUCTURES,
    Case,
    Clinical,
    CycleGiven,
    Decision,
    Imaging,
    Labs,
    Lesion,
    LocalTreatment,
    Measurement,
    Panel,
    Patient,
    PortalVeinEmbolisation,
    ProtocolRef,
    RemnantPlan,
    Review,
    Treatment,
    Uln,
    VesselContact,
    Vote,
    VoteChange,
)
from mdt.caseformat import DECISION_RULES
from mdt.limits import LIMITS

SPEC_EXAMPLE: dict[str, Any] = {
    "format": "mdt-case/1",
    "patient": {"id": "MRN-000123", "name": "DOE^JANE", "sex": "F", "birth_date": "1961-04-02"},
    "protocol": {"id": "NCT05103020", "arm": "A"},
    "reviews": [
        {
            "date": "2026-01-15",
            "cycle": 0,
            "height_cm": 165,
            "weight_kg": 64,
            "imaging": {"modality": "CT", "date": "2026-01-12",
                        "study_uid": "1.2.826.0.1.3680043.8.498.1"},
            "lesions": [
                {"id": "L1", "segments": ["VII", "VIII"], "diameter_mm": 42, "target": True},
                {"id": "L2", "segments": ["III"], "diameter_mm": 18, "target": True},
                {"id": "L3", "segments": ["VI"], "diameter_mm": None, "status": "disappeared"},
            ],
            "vessels": [{"structure": "RHV", "relation": "contact", "lesion": "L1"}],
            "remnant": {
                "resection": "right_hepatectomy",
                "segments": None,
                "local_treatment": [{"lesion": "L2", "method": "wedge"}],
                "flr_ml": 520,
                "tlv_ml": 1480,
                "liver_condition": "chemotherapy",
            },
            "tumour_burden_pct": None,
            "extrahepatic_disease": "none",
            "ecog": 1,
            "clinical": {"prior_systemic_lines": 0, "neuropathy_grade": 0,
                         "life_expectancy_months": 24, "cea": 45.0, "ca19_9": None},
            "labs": {"anc": 2.4, "hb": 11.8, "plt": 210, "ast": 38, "alt": 41, "alp": 130,
                     "bilirubin": 11, "creatinine": 78, "proteinuria": "neg",
                     "uln": {"ast": 40, "alt": 41, "alp": 120, "bilirubin": 21}},
            "panel": {
                "votes": [
                    {"member": "A. Martin", "role": "surgeon", "rating": "convertible"},
                    {"member": "B. Chen", "role": "surgeon", "rating": "convertible"},
                    {"member": "C. Okafor", "role": "radiologist", "rating": "resectable"},
                ],
                "decision": {"resectability": "convertible", "plan": "continue_induction",
                             "rationale": "RHV contact; reassess after 4 cycles",
                             "next_review": "2026-03-12"},
            },
        }
    ],
}
"""The example of the shared specification, as written there (not canonical)."""


def spec_example() -> dict[str, Any]:
    return copy.deepcopy(SPEC_EXAMPLE)


_FULL: dict[str, Any] = {
    "format": "mdt-case/1",
    "patient": {"id": "MRN-004711", "name": "BOILÈVE^Hélène", "sex": "F",
                "birth_date": "1958-03-09"},
    "protocol": {"id": "NCT05103020", "arm": "B", "enrolment_date": "2026-01-16"},
    "treatment": {
        "regimen": "FOLFOXIRI + bevacizumab",
        "start_date": "2026-01-19",
        "cycles": [
            {"number": 1, "date": "2026-01-19", "dose_reduction_pct": None,
             "toxicity_grade": 0, "note": None},
            {"number": 2, "date": "2026-02-02", "dose_reduction_pct": 20,
             "toxicity_grade": 2, "note": "neutropenia grade 2; G-CSF"},
            {"number": 3, "date": "2026-02-16", "dose_reduction_pct": 20.5,
             "toxicity_grade": None, "note": None},
        ],
        "outcome": "died",
        "outcome_date": "2026-12-01",
    },
    "follow_up": {
        "local_treatments": [
            {"date": "2026-04-02", "kind": "resection_ablation", "lesions": ["L1", "L2"],
             "margin": "R1", "clavien_dindo_30d": "II", "clavien_dindo_90d": "IIIa",
             "note": "right hepatectomy, ablation of L2"},
        ],
        "progressions": [{"date": "2026-09-01", "site": "hepatic_extrahepatic",
                          "note": "new nodules in the remnant and the lung"}],
        "last_follow_up": "2026-10-01",
        "death_date": "2026-12-01",
        "end": "lost_to_follow_up",
    },
    "reviews": [
        {
            "date": "2026-01-15",
            "cycle": 0,
            "reason": "baseline",
            "height_cm": 165.5,
            "weight_kg": 64,
            "imaging": {"modality": "MR", "date": "2026-01-12",
                        "study_uid": "1.2.826.0.1.3680043.8.498.1"},
            "lesions": [
                {"id": "L1", "segments": ["VII", "VIII"], "diameter_mm": 42, "target": True,
                 "status": "present",
                 "measurement": {"series_uid": "1.2.826.0.1.3680043.8.498.2",
                                 "sop_instance_uid": "1.2.826.0.1.3680043.8.498.3",
                                 "slice_index": 41, "start_xy": [120.5, 88],
                                 "end_xy": [161, 90.25], "frame_number": 42}},
                {"id": "L2", "segments": ["IVa", "IVb"], "diameter_mm": 18.5, "target": True,
                 "status": "present"},
                {"id": "L3", "segments": ["IV"], "diameter_mm": None, "target": False,
                 "status": "present"},
                {"id": "L4", "segments": ["III"], "diameter_mm": 7, "target": False,
                 "status": "ablated"},
            ],
            "vessels": [
                {"structure": "RHV", "relation": "contact", "lesion": "L1"},
                {"structure": "MHV", "relation": "encasement", "lesion": "L1"},
                {"structure": "IVC", "relation": "invasion", "lesion": None},
                {"structure": "RPV", "relation": "thrombus", "lesion": "L1"},
            ],
            "remnant": {
                "resection": "right_hepatectomy",
                "segments": None,
                "local_treatment": [{"lesion": "L2", "method": "wedge"},
                                    {"lesion": "L3", "method": "ablation"}],
                "flr_ml": 520,
                "tlv_ml": 1480.5,
                "liver_condition": "chemotherapy",
                "pve": {"date": "2026-02-20", "flr_before_ml": 410, "flr_after_ml": 540.5,
                        "days_between": 28},
                "flr_segments": ["I", "II", "III", "IVa", "IVb"],
            },
            "tumour_burden_pct": 12.5,
            "extrahepatic_disease": "indeterminate",
            "ecog": 1,
            "clinical": {"prior_systemic_lines": 0, "neuropathy_grade": 1,
                         "life_expectancy_months": 24, "cea": 45.0, "ca19_9": 120,
                         "lvef_pct": 62, "fev1_fvc_pct": 78.5, "ascites": "none",
                         "encephalopathy": "none", "node_positive_primary": True,
                         "disease_free_interval_months": 0, "synchronous": False,
                         "prior_adjuvant": True, "prior_systemic_response": "progressed",
                         "prior_liver_treatment": False},
            "labs": {"anc": 2.4, "wbc": 6.1, "hb": 11.8, "plt": 210, "ast": 38, "alt": 41,
                     "alp": 130, "bilirubin": 11, "creatinine": 78, "albumin": 41, "inr": 1.05,
                     "proteinuria": "2+", "proteinuria_g_24h": 0.4,
                     "uln": {"ast": 40, "alt": 41, "alp": 120, "bilirubin": 21,
                             "creatinine": 104}},
            "panel": {
                "votes": [
                    {"member": "A. Martin", "role": "surgeon", "rating": "convertible"},
                    {"member": "B. Chen", "role": "surgeon", "rating": "resectable",
                     "comment": "R1vasc detachment from the RHV is acceptable"},
                    {"member": "C. Okafor", "role": "radiologist", "rating": "convertible",
                     "changes": [{"from": "resectable", "to": "convertible",
                                  "reason": "portal phase re-read: RHV contact",
                                  "at": "2026-01-15T10:42:07Z", "by": "E. Moreau"}]},
                    {"member": "D. Øvergaard", "role": "surgeon", "rating": "convertible",
                     "round": 2},
                    {"member": "F. Lindqvist", "role": "surgeon", "rating": "resectable",
                     "changes": [{"from": "resectable", "to": None,
                                  "reason": "entered under the wrong name"}],
                     "withdrawn": True},
                ],
                "decision": {"resectability": "convertible", "plan": "continue_induction",
                             "rationale": "RHV contact; reassess after 4 cycles",
                             "next_review": "2026-03-12",
                             "dissent": "B. Chen: resectable with R1vasc",
                             "responsible": "Dr A. Martin", "rule": "majority",
                             "protocol": "NCT05103020", "protocol_version": "1"},
            },
        },
        {
            "date": "2026-03-12",
            "cycle": 4,
            "height_cm": None,
            "weight_kg": None,
            "imaging": None,
            "lesions": [
                {"id": "L1", "segments": ["VII"], "diameter_mm": 25, "target": True,
                 "status": "present"},
                {"id": "L2", "segments": ["IVb"], "diameter_mm": None, "target": True,
                 "status": "disappeared"},
                {"id": "L5", "segments": ["I"], "diameter_mm": 300, "target": False,
                 "status": "resected"},
            ],
            "vessels": [],
            "remnant": {
                "resection": None,
                "segments": ["I", "II", "III", "IVa", "IVb", "V", "VIII"],
                "local_treatment": [],
                "flr_ml": None,
                "tlv_ml": None,
                "liver_condition": "steatosis",
            },
            "tumour_burden_pct": 0,
            "extrahepatic_disease": "confirmed",
            "ecog": 5,
            "clinical": {"prior_systemic_lines": None, "neuropathy_grade": None,
                         "life_expectancy_months": None, "cea": None, "ca19_9": None,
                         "ascites": "moderate_severe", "encephalopathy": "grade_3_4"},
            "labs": {"anc": None, "wbc": None, "hb": None, "plt": None, "ast": None,
                     "alt": None, "alp": None, "bilirubin": None, "creatinine": None,
                     "albumin": None, "inr": None, "proteinuria": None,
                     "uln": {"ast": None, "alt": None, "alp": None, "bilirubin": None}},
            "panel": {"votes": [], "decision": None},
        },
        {
            # the same day again is allowed (documented in docs/case-format.md)
            "date": "2026-03-12",
            "cycle": None,
            "reason": "rediscussion after new MRI",
            "height_cm": 250,
            "weight_kg": 20,
            "imaging": {"modality": None, "date": None, "study_uid": None},
            "lesions": [],
            "vessels": [],
            "remnant": None,
            "tumour_burden_pct": 100,
            "extrahepatic_disease": None,
            "ecog": None,
            "clinical": {"prior_systemic_lines": None, "neuropathy_grade": None,
                         "life_expectancy_months": None, "cea": None, "ca19_9": None},
            "labs": {"anc": None, "wbc": None, "hb": None, "plt": None, "ast": None,
                     "alt": None, "alp": None, "bilirubin": None, "creatinine": None,
                     "albumin": None, "inr": None, "proteinuria": None,
                     "uln": {"ast": None, "alt": None, "alp": None, "bilirubin": None}},
            "panel": {"votes": [{"member": "A. Martin", "role": None,
                                 "rating": "permanently_unresectable"}],
                      "decision": {"resectability": None, "plan": "rediscuss",
                                   "rationale": None, "next_review": None}},
        },
    ],
}


def full_case_dict() -> dict[str, Any]:
    """A canonical case document in which every field of the format is set somewhere."""
    return copy.deepcopy(_FULL)


def minimal_case_dict() -> dict[str, Any]:
    return {"format": "mdt-case/1", "patient": {"id": "MRN-1"}}


def write_case_file(directory: Path, doc: object, name: str = "case.json") -> Path:
    """Write a document as a UTF-8 case file and return its path."""
    path = directory / name
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- hypothesis

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
                max_size=12)  # NUL and lone surrogates are refused (caseformat)
_ID = st.text(st.sampled_from("ABCLMNRT0123456789-_é"), min_size=1, max_size=6).filter(
    lambda s: bool(s.strip()))
_DATES = st.dates(min_value=date(1930, 1, 1), max_value=date(2040, 12, 31))


def _num(lo: float, hi: float) -> st.SearchStrategy[int | float]:
    return st.one_of(st.integers(int(lo), int(hi)),
                     st.floats(lo, hi, allow_nan=False, allow_infinity=False))


def _pos(hi: float) -> st.SearchStrategy[int | float]:
    return st.one_of(st.integers(1, int(hi)),
                     st.floats(0, hi, exclude_min=True, allow_nan=False, allow_infinity=False))


def limited(path: str) -> st.SearchStrategy[int | float]:
    """Any value the one table of limits (``mdt.limits.LIMITS``) accepts for ``path``."""
    lim = LIMITS[path]
    lo, hi = lim.lower, lim.maximum
    assert lo is not None and hi is not None, path
    first = int(lo) + 1 if lim.above is not None else math.ceil(lo)
    ints = st.integers(first, int(hi))
    if lim.integer:
        return ints
    return st.one_of(ints, st.floats(lo, hi, exclude_min=lim.above is not None,
                                     allow_nan=False, allow_infinity=False))


def _opt(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), s)


def _segments(min_size: int = 1) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(SEGMENTS), min_size=min_size, max_size=4,
                    unique=True).map(tuple)


@st.composite
def lesions(draw: st.DrawFn, lesion_id: str) -> Lesion:
    status = draw(st.sampled_from(LESION_STATUSES))
    diameter = None if status == "disappeared" else draw(_opt(_pos(300)))
    measurement = draw(_opt(st.builds(
        Measurement, series_uid=_ID, sop_instance_uid=_ID,
        slice_index=_opt(st.integers(0, 500)),
        start_xy=_opt(st.tuples(_num(0, 512), _num(0, 512))),
        end_xy=_opt(st.tuples(_num(0, 512), _num(0, 512))),
        frame_number=_opt(st.integers(1, 500)))))
    return Lesion(id=lesion_id, segments=draw(_segments()), diameter_mm=diameter,
                  target=draw(st.booleans()), status=status, measurement=measurement)


def _vote_with_history(draw: st.DrawFn, member: str, round_: int) -> Vote:
    """A vote whose rating may have been changed or withdrawn (each change from the last state)."""
    states = draw(st.lists(_opt(st.sampled_from(RATINGS)), min_size=1, max_size=4))
    states[0] = states[0] or RATINGS[0]
    states = [x for i, x in enumerate(states) if i == 0 or x != states[i - 1]]
    changes = tuple(VoteChange(from_rating=a, to_rating=b, reason=draw(_TEXT.filter(str.strip)),
                               at=draw(_opt(st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1),
                                                         timezones=st.just(UTC)).map(
                                   lambda t: t.replace(microsecond=0)))),
                               by=draw(_opt(_TEXT)))
                    for a, b in zip(states, states[1:], strict=False))
    held = [x for x in states if x is not None]
    return Vote(member=member, role=draw(_opt(_TEXT)), rating=held[-1], round=round_,
                comment=draw(_opt(_TEXT)), changes=changes, withdrawn=states[-1] is None)


@st.composite
def reviews(draw: st.DrawFn, on: date) -> Review:
    ids = draw(st.lists(_ID, max_size=4, unique=True))
    les = tuple(draw(lesions(i)) for i in ids)
    lesion_ref = _opt(st.sampled_from(ids)) if ids else st.none()
    vessels = draw(st.lists(st.builds(VesselContact, structure=st.sampled_from(VESSEL_STRUCTURES),
                                      relation=st.sampled_from(VESSEL_RELATIONS),
                                      lesion=lesion_ref), max_size=3))
    remnant = None
    if draw(st.booleans()):
        local_ids = draw(st.lists(st.sampled_from(ids), unique=True)) if ids else []
        tlv = draw(_opt(_pos(3000)))
        flr = draw(_opt(_pos(3000)))
        if flr is not None and tlv is not None and flr > tlv:
            flr, tlv = tlv, flr
        use_named = draw(st.booleans())
        remnant = RemnantPlan(
            resection=draw(_opt(st.sampled_from(sorted(RESECTIONS)))) if use_named else None,
            segments=None if use_named else draw(_opt(_segments())),
            local_treatment=tuple(LocalTreatment(i, draw(st.sampled_from(LOCAL_METHODS)))
                                  for i in local_ids),
            flr_ml=flr, tlv_ml=tlv,
            liver_condition=draw(_opt(st.sampled_from(LIVER_CONDITIONS))),
            pve=draw(_opt(st.builds(PortalVeinEmbolisation, date=_opt(_DATES),
                                    flr_before_ml=_opt(_pos(2000)),
                                    flr_after_ml=_opt(_pos(2000)),
                                    days_between=_opt(st.integers(1, 120))))),
        )
        has_volume = flr is not None or (remnant.pve is not None and (
            remnant.pve.flr_before_ml is not None or remnant.pve.flr_after_ml is not None))
        if has_volume:
            remnant = dataclasses.replace(remnant, flr_segments=draw(_opt(_segments())))
    clinical = Clinical(
        prior_systemic_lines=draw(_opt(st.integers(0, 6))),
        neuropathy_grade=draw(_opt(st.integers(0, 4))),
        life_expectancy_months=draw(_opt(_num(0, 240))),
        cea=draw(_opt(_num(0, 10000))), ca19_9=draw(_opt(_num(0, 10000))),
        lvef_pct=draw(_opt(_num(0, 100))), fev1_fvc_pct=draw(_opt(_num(0, 100))),
        ascites=draw(_opt(st.sampled_from(ASCITES))),
        encephalopathy=draw(_opt(st.sampled_from(ENCEPHALOPATHY))),
        node_positive_primary=draw(_opt(st.booleans())),
        disease_free_interval_months=draw(_opt(_num(0, 240))),
        synchronous=draw(_opt(st.booleans())),
        prior_adjuvant=draw(_opt(st.booleans())),
        prior_systemic_response=draw(_opt(st.sampled_from(PRIOR_SYSTEMIC_RESPONSES))),
        prior_liver_treatment=draw(_opt(st.booleans())),
    )
    labs = Labs(
        **{k: draw(_opt(limited(f"reviews[].labs.{k}")))
           for k in ("anc", "wbc", "hb", "plt", "ast", "alt", "alp", "bilirubin", "albumin", "inr",
                     "creatinine")},
        proteinuria=draw(_opt(st.sampled_from(PROTEINURIA))),
        proteinuria_g_24h=draw(_opt(limited("reviews[].labs.proteinuria_g_24h"))),
        uln=Uln(**{k: draw(_opt(limited(f"reviews[].labs.uln.{k}")))
                   for k in ("ast", "alt", "alp", "bilirubin", "creatinine")}),
    )
    members = draw(st.lists(st.tuples(_TEXT.filter(lambda s: bool(s.strip())),
                                      st.integers(1, 2)), max_size=4, unique=True))
    votes = tuple(_vote_with_history(draw, m, r) for m, r in members)
    decision = draw(_opt(st.builds(
        Decision, resectability=_opt(st.sampled_from(RATINGS)), plan=_opt(st.sampled_from(PLANS)),
        rationale=_opt(_TEXT), next_review=_opt(st.dates(on, on + timedelta(days=200))),
        dissent=_opt(_TEXT), responsible=_opt(_TEXT),
        rule=_opt(st.sampled_from(DECISION_RULES)))))
    if decision is not None and draw(st.booleans()):
        # Extension: the protocol the decision was made under (a version only beside an id).
        decision = dataclasses.replace(decision, protocol=draw(_ID),
                                       protocol_version=draw(_opt(st.sampled_from(("1", "2", "2.1")))))
    return Review(
        date=on, cycle=draw(_opt(st.integers(0, 40))), height_cm=draw(_opt(_num(50, 250))),
        weight_kg=draw(_opt(_num(20, 300))),
        imaging=draw(_opt(st.builds(Imaging, modality=_opt(st.sampled_from(("CT", "MR", "PET-CT"))),
                                    date=_opt(_DATES), study_uid=_opt(_ID)))),
        # vessels: not assessed (None), assessed with no contact (()), or the relations.
        lesions=les, vessels=None if draw(st.integers(0, 4)) == 0 else tuple(vessels),
        remnant=remnant,
        tumour_burden_pct=draw(_opt(_num(0, 100))),
        extrahepatic_disease=draw(_opt(st.sampled_from(EXTRAHEPATIC))),
        ecog=draw(_opt(st.integers(0, 5))), clinical=clinical, labs=labs,
        panel=Panel(votes=votes, decision=decision), reason=draw(_opt(_TEXT)),
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Any valid case: reviews in date order on or after the birth date."""
    birth = draw(_opt(st.dates(date(1930, 1, 1), date(2000, 12, 31))))
    start = draw(st.dates(date(2001, 1, 1), date(2035, 1, 1)))
    offsets = sorted(draw(st.lists(st.integers(0, 1500), max_size=4)))
    revs = tuple(draw(reviews(start + timedelta(days=o))) for o in offsets)
    treatment = None
    if draw(st.booleans()):
        n = draw(st.integers(0, 5))
        cyc = tuple(CycleGiven(number=i + 1, date=start + timedelta(days=14 * i),
                               dose_reduction_pct=draw(_opt(_num(0, 100))),
                               toxicity_grade=draw(_opt(st.integers(0, 5))),
                               note=draw(_opt(_TEXT))) for i in range(n))
        treatment = Treatment(regimen=draw(_opt(_TEXT)), start_date=draw(_opt(st.just(start))),
                              cycles=cyc, outcome=draw(_opt(st.sampled_from(OUTCOMES))),
                              outcome_date=draw(_opt(st.dates(start, date(2040, 1, 1)))))
    return Case(
        patient=Patient(id=draw(_ID), name=draw(_opt(_TEXT)), sex=draw(_opt(st.sampled_from(SEXES))),
                        birth_date=birth),
        protocol=ProtocolRef(id=draw(_opt(st.sampled_from(("NCT05103020", "CAIRO5", "SULTAN")))),
                             arm=draw(_opt(st.sampled_from(("A", "B"))))),
        reviews=revs, treatment=treatment,
    )
