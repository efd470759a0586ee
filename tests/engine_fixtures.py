"""Builders for protocol-engine tests and the benchmark: cases as plain dataclasses."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from mdt.anatomy import RESECTIONS
from mdt.case import (
    Case,
    Clinical,
    Labs,
    Lesion,
    LocalTreatment,
    Patient,
    ProtocolRef,
    RemnantPlan,
    Review,
    Treatment,
    Uln,
    VesselContact,
)

BASE_DATE = date(2026, 1, 15)


def les(lesion_id: str, *segments: str, d: float | int | None = 20, target: bool = False,
        status: str = "present") -> Lesion:
    return Lesion(id=lesion_id, segments=tuple(segments), diameter_mm=d, target=target,
                  status=status)


def vc(structure: str, lesion: str | None, relation: str = "contact") -> VesselContact:
    return VesselContact(structure=structure, relation=relation, lesion=lesion)


def plan(resection: str | None = None, segments: tuple[str, ...] | None = None,
         local: dict[str, str] | None = None, flr_ml: float | None = None,
         tlv_ml: float | None = None, condition: str | None = "normal") -> RemnantPlan:
    return RemnantPlan(
        resection=resection, segments=segments,
        local_treatment=tuple(LocalTreatment(k, v) for k, v in (local or {}).items()),
        flr_ml=flr_ml, tlv_ml=tlv_ml, liver_condition=condition,
    )


GOOD_LABS = Labs(anc=2.4, wbc=6.0, hb=11.8, plt=210, ast=38, alt=41, alp=130, bilirubin=11,
                 creatinine=78, albumin=40, inr=1.0, proteinuria="neg",
                 uln=Uln(ast=40, alt=41, alp=120, bilirubin=21, creatinine=90))
GOOD_CLINICAL = Clinical(prior_systemic_lines=0, neuropathy_grade=0, life_expectancy_months=24,
                         cea=45.0, ca19_9=30.0, lvef_pct=62, fev1_fvc_pct=78,
                         ascites="none", encephalopathy="none")


def review(lesions: tuple[Lesion, ...] | list[Lesion] = (), vessels: tuple[VesselContact, ...]
           | list[VesselContact] = (), remnant: RemnantPlan | None = None, *,
           on: date = BASE_DATE, cycle: int | None = 0, **kw: Any) -> Review:
    base: dict[str, Any] = dict(
        date=on, cycle=cycle, height_cm=170, weight_kg=70, lesions=tuple(lesions),
        vessels=tuple(vessels), remnant=remnant, tumour_burden_pct=None,
        extrahepatic_disease="none", ecog=1, clinical=GOOD_CLINICAL, labs=GOOD_LABS,
    )
    base.update(kw)
    return Review(**base)


def case(*reviews: Review, protocol: str | None = None, sex: str | None = "F",
         birth: date | None = date(1961, 4, 2), treatment: Treatment | None = None,
         enrolled: date | None = None) -> Case:
    return Case(patient=Patient(id="T-1", name="TEST^PATIENT", sex=sex, birth_date=birth),
                protocol=ProtocolRef(id=protocol, enrolment_date=enrolled),
                reviews=tuple(reviews), treatment=treatment)


def with_labs(r: Review, **kw: Any) -> Review:
    return replace(r, labs=replace(r.labs, **kw))


def with_uln(r: Review, **kw: Any) -> Review:
    return replace(r, labs=replace(r.labs, uln=replace(r.labs.uln, **kw)))


def with_clinical(r: Review, **kw: Any) -> Review:
    return replace(r, clinical=replace(r.clinical, **kw))


def convertible_review(**kw: Any) -> Review:
    """A baseline that NCT05103020 calls convertible and eligible: L1 in VII/VIII touching the
    MHV, L2 in III, recorded right hepatectomy whose remnant keeps the MHV (U2 met)."""
    return review(
        [les("L1", "VII", "VIII", d=42, target=True), les("L2", "III", d=18, target=True)],
        [vc("MHV", "L1")],
        plan("right_hepatectomy", local={"L2": "wedge"}, flr_ml=520, tlv_ml=1480,
             condition="chemotherapy"),
        **kw,
    )


# --------------------------------------------------------------------------- random cases

UNIT_CODES = ("I", "II", "III", "IVa", "IVb", "IV", "V", "VI", "VII", "VIII")
STRUCTURES = ("MPV", "RPV", "LPV", "RAPV", "RPPV", "RHV", "MHV", "LHV", "IRHV", "IVC",
              "PHA", "RHA", "LHA", "BC", "RHD", "LHD")
NEAR = {  # vessels a lesion in a unit plausibly touches
    "I": ("IVC", "RPV", "LPV"), "II": ("LHV", "LPV"), "III": ("LHV", "LPV"),
    "IVa": ("MHV", "LHV", "LPV"), "IVb": ("MHV", "LPV", "BC"), "IV": ("MHV", "LPV"),
    "V": ("MHV", "RAPV", "RPV"), "VI": ("RHV", "IRHV", "RPPV"), "VII": ("RHV", "RPPV", "IVC"),
    "VIII": ("MHV", "RHV", "RAPV", "IVC"),
}


def random_review(rng: random.Random, on: date = BASE_DATE, cycle: int = 0,
                  ids: list[str] | None = None) -> Review:
    n = rng.randint(0, 9)
    lesions = []
    for i in range(n):
        first = rng.choice(UNIT_CODES)
        segs = [first]
        if rng.random() < 0.3:
            other = rng.choice(UNIT_CODES)
            if other not in segs and not ({other, first} & {"IV"} and {other, first} & {"IVa", "IVb"}):
                segs.append(other)
        d = rng.choice([None] + [rng.randint(5, 90) for _ in range(8)])
        lesions.append(les((ids[i] if ids and i < len(ids) else f"L{i + 1}"), *segs, d=d,
                           target=i < 2 and d is not None))
    vessels = []
    for lesion in lesions:
        if rng.random() < 0.35:
            seg = rng.choice(lesion.segments)
            vessels.append(vc(rng.choice(NEAR[seg]), lesion.id,
                              rng.choice(("contact", "encasement", "invasion", "thrombus"))))
    remnant = None
    roll = rng.random()
    if roll < 0.5:
        name = rng.choice(sorted(RESECTIONS))
        local = {x.id: rng.choice(("wedge", "ablation")) for x in lesions if rng.random() < 0.3}
        remnant = plan(name, local=local, flr_ml=rng.choice([None, rng.randint(200, 900)]),
                       tlv_ml=rng.choice([None, rng.randint(1100, 1900)]),
                       condition=rng.choice(("normal", "chemotherapy", "steatosis", "cirrhosis",
                                             "unknown", None)))
    return review(
        lesions, vessels, remnant, on=on, cycle=cycle,
        tumour_burden_pct=rng.choice([None, None, rng.randint(5, 80)]),
        extrahepatic_disease=rng.choice(("none", "none", "indeterminate", "confirmed", None)),
        ecog=rng.choice((0, 1, 1, 2, None)),
        labs=with_labs(review(), anc=rng.choice((0.9, 1.5, 2.4, None)),
                       plt=rng.choice((90, 100, 250)), bilirubin=rng.choice((11, 31.5, 40))).labs,
    )


def random_case(rng: random.Random, reviews: int | None = None) -> Case:
    k = reviews if reviews is not None else rng.randint(1, 3)
    out = []
    for i in range(k):
        out.append(random_review(rng, on=BASE_DATE + timedelta(weeks=8 * i), cycle=4 * i,
                                 ids=[f"L{j + 1}" for j in range(9)]))
    return case(*out, protocol=rng.choice(("NCT05103020", "NCT05103020", "CAIRO5", "SULTAN")),
                sex=rng.choice(("F", "M", None)))


# --------------------------------------------------------------------------- evaluation helpers

def evaluate_review(r: Review | Case, protocol: str = "NCT05103020", **settings: Any):  # noqa: ANN201
    """Evaluate one review (or a whole case's latest review) under a shipped protocol,
    optionally with some of its settings changed."""
    from mdt.protocols import evaluate, get_protocol

    proto = get_protocol(protocol)
    if settings:
        proto = replace(proto, settings=replace(proto.settings, **settings))
    c = r if isinstance(r, Case) else case(r)
    return evaluate(c, protocol=proto)


def finding(ev: Any, rule_id: str) -> Any:
    for f in ev.criteria:
        if f.id == rule_id:
            return f
    raise KeyError(rule_id)


def status(ev: Any, rule_id: str) -> str:
    return finding(ev, rule_id).status
