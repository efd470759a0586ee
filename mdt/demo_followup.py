"""A followed demo cohort for the Outcomes view: two randomised arms followed to their ends.

Twenty NCT05103020 patients (arm A: HAI oxaliplatin + FOLFIRI + targeted agent; arm B:
FOLFIRI + targeted agent) and six CAIRO5 patients (arms A and B, three surgeons rating each
review independently), enrolled over the two years before the demo meeting.  Between them
they show every figure of the Outcomes view: conversions by resection, ablation or both (one
R2, one ablation alone that NCT05103020 does not count), complications of every Clavien-Dindo
grade, responses from CR to PD, hepatic and extrahepatic progressions, deaths, patients still
followed (censored), a lost and a withdrawn patient, and panels that needed a second round or
the chair.

Generated from a fixed seed, with every date an offset from the meeting date, so the story is
the same on every run.  Names and identifiers are invented.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from mdt.case import (
    Case,
    CycleGiven,
    Decision,
    FollowUp,
    Imaging,
    Lesion,
    LocalTreatmentEvent,
    Panel,
    Patient,
    ProgressionEvent,
    ProtocolRef,
    Review,
    Treatment,
    Vote,
)
from mdt.caseformat_followup import with_derived_end
from mdt.protocols import get_protocol

SEED = 15
REVIEW_EVERY_DAYS = 56

_NAMES = (
    "ARNAUD^Claire", "BERGER^Louis", "CARON^Inès", "DELMAS^Hugo", "ESTÈVE^Marion",
    "FABRE^Paul", "GIRAUD^Léa", "HUBERT^Marc", "JOLY^Anaïs", "KLEIN^Tomas",
    "LAMBERT^Rose", "MARCHAND^Yves", "NOËL^Camille", "OLIVIER^Bruno", "PERRIN^Agathe",
    "QUENTIN^Lucas", "RENAUD^Emma", "SIMON^Jules", "TESSIER^Nora", "VIDAL^Sacha",
    "VAN DAM^Eva", "DE BOER^Sem", "JANSEN^Fleur", "BAKKER^Daan", "SMIT^Julia", "MEIJER^Thijs",
)
_SURGEONS = ("Anne Martin", "Bo Chen", "Pieter de Vries")
_NATIONAL = ("Jan Visser (national panel)", "Marieke de Jong (national panel)")

# (protocol, arm, course) per patient.  course: response pattern, conversion, complication,
# progression site and whether the patient died, was lost or withdrew.
_PLAN: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("NCT05103020", "A", dict(resp="PR", conv="resection", margin="R0", cd=("none", "I"), prog=None)),
    ("NCT05103020", "A", dict(resp="CR", conv="resection_ablation", margin="R0", cd=("II", "II"), prog=None)),
    ("NCT05103020", "A", dict(resp="PR", conv="resection", margin="R1", cd=("IIIa", "IIIa"), prog="hepatic", die=True)),
    ("NCT05103020", "A", dict(resp="PR", conv="resection", margin="R0", cd=("I", "IIIb"), prog="extrahepatic")),
    ("NCT05103020", "A", dict(resp="PR", conv="resection_ablation", margin="R2", cd=("none", "none"), prog="hepatic")),
    ("NCT05103020", "A", dict(resp="PR", conv="resection", margin="R0", cd=("none", "none"), prog=None)),
    ("NCT05103020", "A", dict(resp="PR", conv="resection", margin="R0", cd=("II", "II"), prog=None, end="lost_to_follow_up")),
    ("NCT05103020", "A", dict(resp="SD", conv=None, prog="hepatic", die=True)),
    ("NCT05103020", "A", dict(resp="SD", conv=None, prog="hepatic_extrahepatic")),
    ("NCT05103020", "A", dict(resp="PD", conv=None, prog="hepatic", die=True)),
    ("NCT05103020", "B", dict(resp="PR", conv="resection", margin="R0", cd=("I", "I"), prog="hepatic")),
    ("NCT05103020", "B", dict(resp="PR", conv="resection", margin="R1", cd=("IIIb", "IVa"), prog=None)),
    ("NCT05103020", "B", dict(resp="PR", conv="ablation", cd=("none", "none"), prog="hepatic", die=True)),
    ("NCT05103020", "B", dict(resp="SD", conv=None, prog="hepatic", die=True)),
    ("NCT05103020", "B", dict(resp="SD", conv=None, prog="extrahepatic", die=True)),
    ("NCT05103020", "B", dict(resp="SD", conv=None, prog="hepatic")),
    ("NCT05103020", "B", dict(resp="PD", conv=None, prog="hepatic", die=True)),
    ("NCT05103020", "B", dict(resp="PD", conv=None, prog="hepatic_extrahepatic", die=True)),
    ("NCT05103020", "B", dict(resp="SD", conv=None, prog=None, end="withdrawn")),
    ("NCT05103020", "B", dict(resp="PR", conv=None, prog="hepatic")),
    ("CAIRO5", "A", dict(resp="PR", conv="resection", margin="R0", cd=("II", "IIIa"), prog=None, panel="split")),
    ("CAIRO5", "A", dict(resp="SD", conv=None, prog="hepatic", die=True, panel="tie")),
    ("CAIRO5", "A", dict(resp="PR", conv="resection_ablation", margin="R0", cd=("none", "none"), prog="hepatic")),
    ("CAIRO5", "B", dict(resp="PR", conv="resection", margin="R1", cd=("I", "II"), prog=None, panel="split")),
    ("CAIRO5", "B", dict(resp="SD", conv=None, prog="extrahepatic", die=True)),
    ("CAIRO5", "B", dict(resp="PD", conv=None, prog="hepatic", die=True, panel="split")),
)

_SHRINK = {"CR": (0.55, 0.0), "PR": (0.8, 0.6), "SD": (0.95, 0.9), "PD": (1.3, 1.5)}
"""Target size factor at the first and second re-assessment for each response pattern."""


def _votes(protocol: str, ratings: tuple[str, ...], second: tuple[str, ...] = ()) -> tuple[Vote, ...]:
    votes = [Vote(member=m, role="surgeon", rating=r) for m, r in zip(_SURGEONS, ratings, strict=False)]
    votes += [Vote(member=m, role="surgeon", rating=r, round=2) for m, r in zip(_NATIONAL, second, strict=False)]
    if protocol != "CAIRO5":
        votes.append(Vote(member="Chidi Okafor", role="radiologist", rating=ratings[0]))
    return tuple(votes)


def _patient(n: int, protocol: str, arm: str, course: dict[str, Any], meeting: date, rng: random.Random) -> Case:
    pid = f"MRN-2{n:05d}"
    # Arms interleaved in time, as randomisation enrols them.
    enrol = meeting - timedelta(days=150 + 26 * ((n * 7) % len(_PLAN)) + rng.randint(0, 20))
    baseline = enrol - timedelta(days=2)
    l1, l2 = rng.randint(38, 62), rng.randint(18, 34)
    shrink1, shrink2 = _SHRINK[course["resp"]]
    sizes = [(l1, l2), (round(l1 * shrink1), round(l2 * shrink1)), (round(l1 * shrink2), round(l2 * shrink2))]
    conv = course.get("conv")
    reviews_n = 3 if conv or course["resp"] != "PD" else 2
    panel_kind = course.get("panel")
    reviews: list[Review] = []
    for k in range(reviews_n):
        day = baseline + timedelta(days=REVIEW_EVERY_DAYS * k)
        a, b = sizes[k]
        gone = a == 0
        lesions = (
            Lesion("L1", ("VII", "VIII"), None if gone else a, target=True,
                   status="disappeared" if gone else "present"),
            Lesion("L2", ("IVa",), None if b == 0 else b, target=True,
                   status="disappeared" if b == 0 else "present"),
            Lesion("L3", ("VI",), 8 if k == 0 else None, status="present" if k == 0 else "disappeared"),
        )
        last = k == reviews_n - 1
        if k == 0:
            rating, plan = "convertible", "continue_induction"
        elif last and conv:
            rating, plan = "resectable", "resection" if conv != "ablation" else "ablation"
        elif course["resp"] == "PD" and last:
            rating, plan = "permanently_unresectable", "palliative"
        else:
            rating, plan = "convertible", "continue_induction"
        ratings = (rating,) * 3
        second: tuple[str, ...] = ()
        rule = "consensus"
        if panel_kind == "split" and k == reviews_n - 1:
            other = "convertible" if rating != "convertible" else "resectable"
            ratings, second, rule = (rating, other, rating), (rating, rating), "majority"
        elif panel_kind == "tie" and k == 1:
            ratings = ("convertible", "permanently_unresectable", "resectable")
            second, rule = ("convertible", "permanently_unresectable"), "chair"
        elif protocol != "CAIRO5" and rng.random() < 0.3:
            ratings = (rating, rating, "convertible" if rating != "convertible" else "permanently_unresectable")
            rule = "majority"
        decision = Decision(resectability=rating, plan=plan,
                            rationale="Followed demo patient: decision recorded at the review.",
                            next_review=None if last else day + timedelta(days=REVIEW_EVERY_DAYS),
                            rule=rule, protocol=protocol,
                            protocol_version=get_protocol(protocol).version)
        reviews.append(Review(
            date=day, cycle=4 * k, reason="baseline" if k == 0 else "reassessment",
            height_cm=170, weight_kg=70, imaging=Imaging("CT", day - timedelta(days=4), None),
            lesions=lesions, vessels=(), extrahepatic_disease="none", ecog=0 if k == 0 else 1,
            panel=Panel(votes=_votes(protocol, ratings, second), decision=decision)))
    last_review = reviews[-1].date
    cycles_n = 4 * (reviews_n - 1) + (0 if conv or course["resp"] == "PD" else 4)
    cycles = tuple(CycleGiven(i + 1, enrol + timedelta(days=5 + 14 * i), toxicity_grade=1 if i else 0)
                   for i in range(cycles_n))
    regimen = ("HAI oxaliplatin + mFOLFIRI + cetuximab" if arm == "A" else "FOLFIRI + cetuximab") \
        if protocol == "NCT05103020" else ("FOLFOXIRI + bevacizumab" if arm == "B" else "FOLFOX + bevacizumab")
    treatment = Treatment(regimen=regimen, start_date=cycles[0].date if cycles else None, cycles=cycles)

    treatments: list[LocalTreatmentEvent] = []
    if conv:
        when = last_review + timedelta(days=21 + rng.randint(0, 14))
        present = [les.id for les in reviews[-1].lesions if les.status == "present"]
        cd30, cd90 = course["cd"]
        treatments.append(LocalTreatmentEvent(
            date=when, kind=conv, lesions=tuple(present), margin=course.get("margin"),
            clavien_dindo_30d=cd30, clavien_dindo_90d=cd90,
            note="two-stage not needed" if conv != "ablation" else "percutaneous microwave ablation"))
    progressions: list[ProgressionEvent] = []
    anchor = treatments[-1].date if treatments else last_review
    if course.get("prog"):
        when = anchor + timedelta(days=60 + rng.randint(0, 120)) if conv or course["resp"] != "PD" \
            else last_review
        when = min(when, meeting - timedelta(days=30))
        progressions.append(ProgressionEvent(when, course["prog"]))
    death = None
    if course.get("die"):
        base = progressions[-1].date if progressions else anchor
        after_cycles = (cycles[-1].date + timedelta(days=10)) if cycles else base
        death = min(max(base + timedelta(days=45 + rng.randint(0, 200)), after_cycles),
                    meeting - timedelta(days=3))
    last_seen = [r.date for r in reviews] + [c.date for c in cycles] + [t.date for t in treatments] \
        + [p.date for p in progressions]
    last_fu = max(last_seen)
    if death is None:
        last_fu = max(last_fu, meeting - timedelta(days=rng.randint(5, 60)))
        if course.get("end"):
            last_fu = max(last_seen) + timedelta(days=30)
    follow_up = FollowUp(local_treatments=tuple(treatments), progressions=tuple(progressions),
                         last_follow_up=last_fu if death is None or last_fu < death else None,
                         death_date=death, end=course.get("end"))
    case = Case(patient=Patient(id=pid, name=_NAMES[n], sex="F" if n % 2 else "M",
                                birth_date=date(1950 + n, 1 + n % 12, 10)),
                protocol=ProtocolRef(protocol, arm, enrol), reviews=tuple(reviews),
                treatment=treatment, follow_up=follow_up)
    return with_derived_end(case)


def followed_cases(meeting_date: date) -> list[Case]:
    """The followed cohort, dated around ``meeting_date`` (``mdt.demo`` passes the demo
    meeting's date)."""
    rng = random.Random(SEED)
    return [_patient(n, protocol, arm, course, meeting_date, rng)
            for n, (protocol, arm, course) in enumerate(_PLAN)]
