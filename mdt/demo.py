"""Demonstration patients, panel members and a meeting, for a first start and for tests.

Seven fictional patients with colorectal liver metastases, followed the way a
liver tumour board follows them: a baseline review (cycle 0), then a
re-assessment every 4 cycles (8 weeks of a two-weekly regimen).  Most are on
NCT05103020; one is on CAIRO5 (two-round surgeon panel), one on SULTAN
(second-line HAI).  One converts to resection, one becomes permanently
unresectable, one progresses after an initial response, and three are on
the agenda of the demo meeting for a review whose votes are still to be cast.

Every date is an offset from the meeting date, so ``demo_cases(date.today())``
gives the same story around today; by default the meeting is on the fixed
:data:`DEMO_MEETING_DATE` so tests see the same data every run.  The names and
identifiers are invented; any likeness to a real person is accidental.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from mdt.case import (
    Case,
    Clinical,
    CycleGiven,
    Decision,
    Imaging,
    Labs,
    Lesion,
    LocalTreatment,
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
)
from mdt.demo_followup import followed_cases
from mdt.meeting import AgendaItem, Meeting, Member

DEMO_MEETING_DATE = date(2026, 11, 19)
"""A Thursday: the default day of the demo meeting."""

CYCLE_DAYS = 14
"""Two-weekly regimens (FOLFOX/FOLFIRI/FOLFOXIRI): 4 cycles are 8 weeks."""
REVIEW_EVERY_CYCLES = 4

# Local upper limits of normal of the demo hospital's laboratory.
DEMO_ULN = Uln(ast=40, alt=41, alp=120, bilirubin=21, creatinine=104)

# --- the panel --------------------------------------------------------------

CHAIR = "Anne Martin"
COORDINATOR = "Sophie Dubois"
SURGEON_2 = "Bo Chen"
SURGEON_3 = "Pieter de Vries"
RADIOLOGIST = "Chidi Okafor"
INTERVENTIONAL = "Dag Lindqvist"
ONCOLOGIST = "Élise Moreau"

# CAIRO5 asks surgeons of the national liver panel who are not on the local board.
NATIONAL_PANEL_SURGEONS = ("Jan Visser (national panel)", "Marieke de Jong (national panel)")


def demo_members() -> list[Member]:
    """The board's registry: chair surgeon, coordinator, surgeons, radiologists, oncologist."""
    return [
        Member(name=CHAIR, specialty="hepatobiliary_surgeon", role="chair"),
        Member(name=COORDINATOR, specialty="coordinator", role="coordinator"),
        Member(name=SURGEON_2, specialty="hepatobiliary_surgeon"),
        Member(name=SURGEON_3, specialty="hepatobiliary_surgeon"),
        Member(name=RADIOLOGIST, specialty="diagnostic_radiologist"),
        Member(name=INTERVENTIONAL, specialty="interventional_radiologist"),
        Member(name=ONCOLOGIST, specialty="medical_oncologist"),
    ]


def _vote(member: str, rating: str, rnd: int = 1, comment: str | None = None) -> Vote:
    role = {CHAIR: "surgeon", SURGEON_2: "surgeon", SURGEON_3: "surgeon",
            RADIOLOGIST: "radiologist", INTERVENTIONAL: "interventional_radiologist",
            ONCOLOGIST: "oncologist"}.get(member, "surgeon")
    return Vote(member=member, role=role, rating=rating, round=rnd, comment=comment)


def _local_votes(*ratings: str) -> tuple[Vote, ...]:
    """Votes of the local board in order: chair, second surgeon, radiologist, IR, oncologist."""
    voters = (CHAIR, SURGEON_2, RADIOLOGIST, INTERVENTIONAL, ONCOLOGIST)
    return tuple(_vote(m, r) for m, r in zip(voters, ratings, strict=False))


# --- building blocks ----------------------------------------------------------

def demo_study_uid(patient_id: str, review_index: int) -> str:
    """A stable DICOM study UID for a demo review (pydicom's example root)."""
    digest = hashlib.sha256(f"{patient_id}/{review_index}".encode()).hexdigest()
    return f"1.2.826.0.1.3680043.8.498.{int(digest[:24], 16)}"


def _les(lid: str, segments: str, diameter: float | int | None, *, target: bool = False,
         status: str = "present") -> Lesion:
    return Lesion(id=lid, segments=tuple(segments.split()), diameter_mm=diameter,
                  target=target, status=status)


def _vessels(*items: tuple[str, str, str | None]) -> tuple[VesselContact, ...]:
    return tuple(VesselContact(structure=s, relation=r, lesion=lid) for s, r, lid in items)


def _labs(anc: float, hb: float, plt: int, ast: int, alt: int, alp: int, bili: int,
          creat: int, albumin: int, inr: float = 1.0, proteinuria: str = "neg",
          wbc: float | None = None) -> Labs:
    return Labs(anc=anc, wbc=wbc, hb=hb, plt=plt, ast=ast, alt=alt, alp=alp, bilirubin=bili,
                creatinine=creat, albumin=albumin, inr=inr, proteinuria=proteinuria,
                uln=DEMO_ULN)


def _cycles(first: date, count: int, reductions: dict[int, tuple[int | None, int, str]] | None = None,
            ) -> tuple[CycleGiven, ...]:
    """``count`` two-weekly cycles from ``first``; reductions: number -> (pct, grade, note)."""
    reductions = reductions or {}
    out = []
    for n in range(1, count + 1):
        pct, grade, note = reductions.get(n, (None, 0 if n == 1 else 1, None))
        out.append(CycleGiven(number=n, date=first + timedelta(days=CYCLE_DAYS * (n - 1)),
                              dose_reduction_pct=pct, toxicity_grade=grade, note=note))
    return tuple(out)


class _Timeline:
    """Dates of one patient relative to the meeting: review k is 8 weeks after review k-1."""

    def __init__(self, meeting: date, reviews: int, last_offset_weeks: int = 0):
        self.meeting = meeting
        last = meeting - timedelta(weeks=last_offset_weeks)
        self.review_dates = [last - timedelta(weeks=8 * (reviews - 1 - k)) for k in range(reviews)]
        # Cycle 1 a week after the baseline board: review k then falls after cycle 4k.
        self.first_cycle = self.review_dates[0] + timedelta(days=7)

    def review(self, k: int) -> date:
        return self.review_dates[k]

    def imaging(self, k: int, days_before: int = 5) -> date:
        return self.review_dates[k] - timedelta(days=days_before)


# --- the patients ---------------------------------------------------------------

def _boileve(meeting: date) -> Case:
    """Converted to resection after 8 cycles (NCT05103020 arm A)."""
    pid = "MRN-100231"
    t = _Timeline(meeting, 3, last_offset_weeks=8)
    cea = (88.0, 31.5, 9.2)
    reviews = []
    sizes = ((52, 31, 14), (38, 22, 9), (29, 15, None))
    for k in range(3):
        l1, l2, l3 = sizes[k]
        lesions = (
            _les("L1", "VII VIII", l1, target=True),
            _les("L2", "V", l2, target=True),
            _les("L3", "III", l3, status="present" if l3 else "disappeared"),
        )
        vessels = (_vessels(("RHV", "contact", "L1"), ("MHV", "contact", "L1")) if k == 0
                   else _vessels(("RHV", "contact", "L1")))
        # Volumes measured for the right hepatectomy's remnant (I-IV).
        if k < 2:
            remnant = RemnantPlan(resection="right_hepatectomy", flr_ml=420 + 40 * k,
                                  tlv_ml=1580, liver_condition="chemotherapy",
                                  local_treatment=(LocalTreatment("L3", "wedge"),),
                                  flr_segments=("I", "II", "III", "IVa", "IVb"))
        else:
            remnant = RemnantPlan(resection="right_hepatectomy", flr_ml=505, tlv_ml=1560,
                                  liver_condition="chemotherapy",
                                  flr_segments=("I", "II", "III", "IVa", "IVb"))
        if k == 0:
            panel = Panel(votes=_local_votes("convertible", "convertible", "convertible",
                                             "convertible", "convertible"),
                          decision=Decision(
                              resectability="convertible", plan="continue_induction",
                              rationale="L1 contacts RHV and MHV: a right hepatectomy would take "
                                        "the MHV draining IVa/IVb. Start FOLFOXIRI-bevacizumab "
                                        "and reassess after 4 cycles.",
                              next_review=t.review(1), responsible=ONCOLOGIST, rule="consensus"))
        elif k == 1:
            panel = Panel(votes=_local_votes("convertible", "resectable", "convertible",
                                             "convertible", "convertible"),
                          decision=Decision(
                              resectability="convertible", plan="continue_induction",
                              rationale="Partial response; MHV now free but FLR 29 % after "
                                        "chemotherapy, below 30 %. Four more cycles.",
                              next_review=t.review(2),
                              dissent=f"{SURGEON_2}: resectable with an extended margin",
                              responsible=ONCOLOGIST, rule="majority"))
        else:
            panel = Panel(votes=_local_votes("resectable", "resectable", "resectable",
                                             "resectable", "resectable"),
                          decision=Decision(
                              resectability="resectable", plan="resection",
                              rationale="Converted: right hepatectomy leaves I-IV drained by the "
                                        "MHV and LHV; FLR 32 %. L3 disappeared: mark with a "
                                        "fiducial before surgery.",
                              next_review=t.review(2) + timedelta(weeks=6),
                              responsible=CHAIR, rule="consensus"))
        reviews.append(Review(
            date=t.review(k), cycle=4 * k, reason="baseline" if k == 0 else "reassessment",
            height_cm=164, weight_kg=63 - k,
            imaging=Imaging("MR" if k else "CT", t.imaging(k), demo_study_uid(pid, k)),
            lesions=lesions, vessels=vessels, remnant=remnant, tumour_burden_pct=None,
            extrahepatic_disease="none", ecog=0 if k else 1,
            clinical=Clinical(prior_systemic_lines=0, neuropathy_grade=min(k, 1),
                              life_expectancy_months=36, cea=cea[k], ca19_9=41 - 12 * k,
                              synchronous=True, node_positive_primary=True,
                              disease_free_interval_months=0),
            labs=_labs(3.1 - 0.4 * k, 12.9 - 0.5 * k, 245 - 30 * k, 31, 28, 110, 9, 66, 42),
            panel=panel,
        ))
    treatment = Treatment(
        regimen="FOLFOXIRI + bevacizumab", start_date=t.first_cycle,
        cycles=_cycles(t.first_cycle, 8, {6: (20, 2, "neutropenia grade 3 after cycle 5")}),
        outcome="converted", outcome_date=t.review(2))
    return Case(patient=Patient(pid, "BOILÈVE^Hélène", "F", date(1958, 3, 9)),
                protocol=ProtocolRef("NCT05103020", "A"), reviews=tuple(reviews),
                treatment=treatment)


def _dupont_bierre(meeting: date) -> Case:
    """Bilobar disease, slow response, on the agenda for the cycle-8 review (arm B)."""
    pid = "MRN-100387"
    t = _Timeline(meeting, 3)
    sizes = ((46, 38, 21, 17), (41, 33, 19, 15), (39, 30, 18, 12))
    reviews = []
    for k in range(3):
        a, b, c, d = sizes[k]
        lesions = (
            _les("L1", "VIII IVa", a, target=True),
            _les("L2", "VI", b, target=True),
            _les("L3", "II", c),
            _les("L4", "V", d),
        )
        vessels = _vessels(("MHV", "encasement" if k == 0 else "contact", "L1"),
                           ("RAPV", "contact", "L1"), ("LHV", "contact", "L3"))
        remnant = RemnantPlan(segments=("I", "II", "III", "IVb"), flr_ml=390, tlv_ml=1710,
                              liver_condition="chemotherapy",
                              local_treatment=(LocalTreatment("L3", "ablation"),),
                              flr_segments=("I", "II", "III", "IVb"))
        panel = Panel()
        if k < 2:
            panel = Panel(votes=_local_votes("convertible", "convertible", "convertible",
                                             "convertible", "convertible"),
                          decision=Decision(
                              resectability="convertible", plan="continue_induction",
                              rationale="MHV and LHV both involved; no remnant of two drained "
                                        "segments. Continue induction." if k == 0 else
                                        "Stable disease (-11 %). Continue; discuss two-stage "
                                        "hepatectomy at the next review.",
                              next_review=t.review(k + 1), responsible=ONCOLOGIST,
                              rule="consensus"))
        reviews.append(Review(
            date=t.review(k), cycle=4 * k, reason="baseline" if k == 0 else "reassessment",
            height_cm=178, weight_kg=84 - 2 * k,
            imaging=Imaging("CT", t.imaging(k), demo_study_uid(pid, k)),
            lesions=lesions, vessels=vessels, remnant=remnant, tumour_burden_pct=14 - 2 * k,
            extrahepatic_disease="none" if k < 2 else "indeterminate", ecog=1,
            clinical=Clinical(prior_systemic_lines=0, neuropathy_grade=k,
                              life_expectancy_months=24, cea=156.0 - 40 * k, ca19_9=22),
            labs=_labs(2.2, 11.4, 180 - 20 * k, 45, 52, 160, 14, 92, 38, 1.1,
                       proteinuria="trace" if k == 2 else "neg"),
            panel=panel,
        ))
    treatment = Treatment(regimen="mFOLFOX6 + cetuximab", start_date=t.first_cycle,
                          cycles=_cycles(t.first_cycle, 8), outcome="on_treatment")
    return Case(patient=Patient(pid, "DUPONT-BIERRE^Jean", "M", date(1952, 11, 23)),
                protocol=ProtocolRef("NCT05103020", "B"), reviews=tuple(reviews),
                treatment=treatment)


def _lefevre(meeting: date) -> Case:
    """Five reviews: partial response, then a new lesion at the end of induction."""
    pid = "MRN-100412"
    t = _Timeline(meeting, 5)
    sizes = ((34, 28), (25, 20), (19, 16), (17, 15), (24, 19))
    reviews = []
    for k in range(5):
        a, b = sizes[k]
        lesions = [_les("L1", "IVa VIII", a, target=True), _les("L2", "VII", b, target=True)]
        if k == 4:
            lesions.append(_les("L3", "II", 11))  # new lesion: progression
        cycle = min(4 * k, 12)  # the protocol allows 12 cycles at most
        panel = Panel()
        if k < 4:
            rationale = ("L1 contacts all three hepatic veins at the confluence. Induction."
                         if k == 0
                         else "Partial response, L1 still at the confluence. Continue.")
            plan = "continue_induction" if k < 3 else "rediscuss"
            if k == 3:
                rationale = ("End of induction (12 cycles): still convertible. Maintenance "
                             "capecitabine-bevacizumab; rediscuss with MRI in 8 weeks.")
            panel = Panel(votes=_local_votes("convertible", "convertible", "convertible",
                                             "convertible", "convertible"),
                          decision=Decision(resectability="convertible", plan=plan,
                                            rationale=rationale, next_review=t.review(k + 1),
                                            responsible=ONCOLOGIST, rule="consensus"))
        reviews.append(Review(
            date=t.review(k), cycle=cycle,
            reason="baseline" if k == 0 else "progression" if k == 4 else "reassessment",
            height_cm=181, weight_kg=77,
            imaging=Imaging("CT", t.imaging(k), demo_study_uid(pid, k)),
            lesions=tuple(lesions),
            # L1 sits at the confluence of the three hepatic veins: no remnant stays drained.
            vessels=_vessels(("MHV", "contact", "L1"), ("RHV", "contact", "L1"),
                             ("LHV", "contact", "L1")),
            remnant=None, tumour_burden_pct=None,
            extrahepatic_disease="none", ecog=1 if k < 4 else 2,
            clinical=Clinical(prior_systemic_lines=0, neuropathy_grade=min(k, 2),
                              life_expectancy_months=18 if k == 4 else 30,
                              cea=(24.0, 9.5, 6.1, 5.8, 19.7)[k], ca19_9=None),
            labs=_labs(1.9, 12.1, 160, 36, 33, 118, 12, 81, 40),
            panel=panel,
        ))
    treatment = Treatment(regimen="FOLFOXIRI + bevacizumab", start_date=t.first_cycle,
                          cycles=_cycles(t.first_cycle, 12,
                                         {9: (25, 2, "sensory neuropathy grade 2: "
                                                     "oxaliplatin reduced")}),
                          outcome="progressed", outcome_date=t.review(4))
    return Case(patient=Patient(pid, "LEFÈVRE^François", "M", date(1961, 6, 30)),
                protocol=ProtocolRef("NCT05103020", "A"), reviews=tuple(reviews),
                treatment=treatment)


def _garcia_lopez(meeting: date) -> Case:
    """Permanently unresectable: tumour in every segment and more than half the liver."""
    pid = "MRN-100455"
    t = _Timeline(meeting, 2, last_offset_weeks=4)
    spread = [("L1", "I", 24), ("L2", "II", 31), ("L3", "III", 27), ("L4", "IVa IVb", 58),
              ("L5", "V", 44), ("L6", "VI", 39), ("L7", "VII", 61), ("L8", "VIII", 47),
              ("L9", "VI", 22), ("L10", "III", 18)]
    reviews = []
    for k in range(2):
        grow = 1.0 if k == 0 else 1.15
        lesions = tuple(_les(lid, segs, round(d * grow), target=lid in ("L4", "L7"))
                        for lid, segs, d in spread)
        if k == 1:
            lesions += (_les("L11", "IVb", 16),)
        if k == 0:
            panel = Panel(votes=_local_votes("permanently_unresectable", "convertible",
                                             "permanently_unresectable",
                                             "permanently_unresectable", "convertible"),
                          decision=Decision(
                              resectability="convertible", plan="continue_induction",
                              rationale="Disease in all segments; trial of induction as the "
                                        "only chance of conversion, at the patient's wish.",
                              next_review=t.review(1), rule="chair", responsible=ONCOLOGIST,
                              dissent=f"{CHAIR}, {RADIOLOGIST}, {INTERVENTIONAL}: "
                                      "permanently unresectable"))
        else:
            panel = Panel(votes=_local_votes(*(["permanently_unresectable"] * 5)),
                          decision=Decision(
                              resectability="permanently_unresectable", plan="palliative",
                              rationale="Progression in every segment, > 50 % of the liver "
                                        "replaced. Second-line palliative chemotherapy; no "
                                        "further board review unless asked.",
                              responsible=ONCOLOGIST, rule="consensus"))
        reviews.append(Review(
            date=t.review(k), cycle=4 * k, reason="baseline" if k == 0 else "progression",
            height_cm=158, weight_kg=61 - 3 * k,
            imaging=Imaging("CT", t.imaging(k), demo_study_uid(pid, k)),
            lesions=lesions,
            vessels=_vessels(("RHV", "encasement", "L7"), ("MHV", "contact", "L4"),
                             ("IVC", "contact", "L1"), ("RPV", "contact", "L8")),
            remnant=None, tumour_burden_pct=45 if k == 0 else 55,
            extrahepatic_disease="indeterminate" if k == 0 else "confirmed", ecog=1 + k,
            clinical=Clinical(prior_systemic_lines=0, neuropathy_grade=0,
                              life_expectancy_months=12 if k else 18, cea=412.0 + 500 * k,
                              ca19_9=880 + 600 * k, ascites="none" if k == 0 else "mild"),
            labs=_labs(3.4, 10.2 - k, 310, 68 + 30 * k, 55 + 20 * k, 290 + 80 * k, 18 + 10 * k,
                       71, 34 - 3 * k, 1.2),
            panel=panel,
        ))
    treatment = Treatment(regimen="FOLFOX + panitumumab", start_date=t.first_cycle,
                          cycles=_cycles(t.first_cycle, 4), outcome="palliative",
                          outcome_date=t.review(1))
    return Case(patient=Patient(pid, "GARCÍA LÓPEZ^María José", "F", date(1949, 1, 17)),
                protocol=ProtocolRef("NCT05103020", "A"), reviews=tuple(reviews),
                treatment=treatment)


def _muller(meeting: date) -> Case:
    """CAIRO5: two-round surgeon panel, then portal vein embolisation for a small remnant."""
    pid = "MRN-100502"
    t = _Timeline(meeting, 3)
    reviews = []
    sizes = ((66, 29, 12), (48, 21, 9), (41, 18, None))
    for k in range(3):
        a, b, c = sizes[k]
        lesions = (_les("L1", "VI VII", a, target=True), _les("L2", "VIII", b, target=True),
                   _les("L3", "V", c, status="present"))
        pve = None
        flr, tlv = (360, 1690) if k < 2 else (505, 1650)
        if k == 2:
            pve = PortalVeinEmbolisation(date=t.review(1) + timedelta(days=10),
                                         flr_before_ml=372, flr_after_ml=505, days_between=28)
        remnant = RemnantPlan(resection="right_hepatectomy", flr_ml=flr, tlv_ml=tlv,
                              liver_condition="chemotherapy", pve=pve,
                              flr_segments=("I", "II", "III", "IVa", "IVb"))
        if k == 0:
            s = (CHAIR, SURGEON_2, SURGEON_3)
            panel = Panel(
                votes=(
                    _vote(s[0], "convertible"), _vote(s[1], "convertible"),
                    _vote(s[2], "resectable", comment="R1vasc on the RHV is acceptable"),
                    _vote(NATIONAL_PANEL_SURGEONS[0], "convertible", 2),
                    _vote(NATIONAL_PANEL_SURGEONS[1], "convertible", 2),
                ),
                decision=Decision(
                    resectability="convertible", plan="continue_induction",
                    rationale="No consensus in round 1 (2-1); round 2 majority convertible: "
                              "FLR 21 % after a right hepatectomy.",
                    next_review=t.review(1), dissent=f"{SURGEON_3}: resectable",
                    responsible=CHAIR, rule="majority"))
        elif k == 1:
            panel = Panel(
                votes=(_vote(CHAIR, "resectable"), _vote(SURGEON_2, "resectable"),
                       _vote(SURGEON_3, "resectable")),
                decision=Decision(
                    resectability="resectable", plan="pve_then_resection",
                    rationale="Technically resectable by right hepatectomy but FLR 21 % "
                              "(< 30 % after chemotherapy): right portal vein embolisation "
                              "first.", next_review=t.review(2), responsible=INTERVENTIONAL,
                    rule="consensus"))
        else:
            panel = Panel()
        reviews.append(Review(
            date=t.review(k), cycle=(0, 4, 6)[k],
            reason="baseline" if k == 0 else "reassessment",
            height_cm=186, weight_kg=92,
            imaging=Imaging("CT", t.imaging(k), demo_study_uid(pid, k)),
            lesions=lesions,
            vessels=_vessels(("RHV", "contact", "L1"), ("RPPV", "contact", "L1")),
            remnant=remnant, tumour_burden_pct=None, extrahepatic_disease="none", ecog=0,
            clinical=Clinical(prior_systemic_lines=0, neuropathy_grade=0,
                              life_expectancy_months=36, cea=(12.4, 5.1, 3.9)[k], ca19_9=18,
                              node_positive_primary=False, synchronous=True),
            labs=_labs(4.2, 14.1, 222, 29, 35, 96, 11, 88, 44, wbc=7.3),
            panel=panel,
        ))
    treatment = Treatment(
        regimen="FOLFOXIRI + bevacizumab", start_date=t.first_cycle,
        cycles=_cycles(t.first_cycle, 6, {5: (None, 1, "bevacizumab stopped 6 weeks before "
                                                       "surgery")}),
        outcome="on_treatment")
    return Case(patient=Patient(pid, "MÜLLER^Jürgen", "M", date(1956, 8, 2)),
                protocol=ProtocolRef("CAIRO5", "B"), reviews=tuple(reviews), treatment=treatment)


def _osullivan(meeting: date) -> Case:
    """SULTAN: still unresectable after first-line induction; HAI oxaliplatin arm."""
    pid = "MRN-100538"
    t = _Timeline(meeting, 2)
    reviews = []
    for k in range(2):
        lesions = (_les("L1", "IVa IVb", (58, 49)[k], target=True),
                   _les("L2", "VIII", (33, 27)[k], target=True),
                   _les("L3", "II", (14, 10)[k]), _les("L4", "VI", (9, None)[k]))
        panel = Panel()
        if k == 0:
            panel = Panel(votes=_local_votes("convertible", "convertible", "convertible",
                                             "convertible", "convertible"),
                          decision=Decision(
                              resectability="convertible", plan="intensify_hai",
                              rationale="Unresectable after 4 months of first-line FOLFOX-"
                                        "bevacizumab: L1 contacts the LPV and MHV. Randomised "
                                        "in SULTAN to HAI oxaliplatin + FOLFIRI.",
                              next_review=t.review(1), responsible=ONCOLOGIST,
                              rule="consensus"))
        reviews.append(Review(
            date=t.review(k), cycle=8 + 4 * k, reason="baseline" if k == 0 else "reassessment",
            height_cm=169, weight_kg=70,
            imaging=Imaging("MR", t.imaging(k), demo_study_uid(pid, k)),
            lesions=lesions,
            vessels=_vessels(("LPV", "contact", "L1"), ("MHV", "contact", "L1"),
                             ("BC", "contact", "L1")),
            remnant=None, tumour_burden_pct=None, extrahepatic_disease="none", ecog=1,
            clinical=Clinical(prior_systemic_lines=1, neuropathy_grade=1,
                              life_expectancy_months=24, cea=(63.0, 27.5)[k],
                              ca19_9=(150, 71)[k]),
            labs=_labs(2.0, 11.0, 150, 39, 44, 145, 16, 70, 39),
            panel=panel,
        ))
    # SULTAN enrols after 2-6 months of first-line induction: the course started
    # 16 weeks before the trial baseline (8 cycles), HAI from cycle 9.
    first_line = t.review(0) - timedelta(weeks=16) + timedelta(days=3)
    treatment = Treatment(
        regimen="FOLFOX + bevacizumab; from cycle 9 HAI oxaliplatin + FOLFIRI + panitumumab",
        start_date=first_line,
        cycles=_cycles(first_line, 12, {9: (None, 1, "SULTAN: HAI oxaliplatin + FOLFIRI + "
                                                     "panitumumab")}),
        outcome="on_treatment")
    return Case(patient=Patient(pid, "O'SULLIVAN^Siobhán", "F", date(1967, 4, 14)),
                protocol=ProtocolRef("SULTAN", "HAI"), reviews=tuple(reviews),
                treatment=treatment)


def _astrom(meeting: date) -> Case:
    """New referral: baseline on the meeting day, nothing decided yet."""
    pid = "MRN-100611"
    t = _Timeline(meeting, 1)
    review = Review(
        date=t.review(0), cycle=0, reason="baseline", height_cm=174, weight_kg=79.5,
        imaging=Imaging("CT", t.imaging(0, 9), demo_study_uid(pid, 0)),
        lesions=(_les("L1", "VIII", 44, target=True), _les("L2", "IVa", 27, target=True),
                 _les("L3", "VI", 16), _les("L4", "III", 8)),
        vessels=_vessels(("MHV", "contact", "L2"), ("RHV", "contact", "L1"),
                         ("IVC", "contact", "L1")),
        remnant=RemnantPlan(segments=("I", "II", "III", "IVb", "V", "VI"),
                            local_treatment=(LocalTreatment("L3", "wedge"),
                                             LocalTreatment("L4", "ablation")),
                            liver_condition="normal"),
        tumour_burden_pct=None, extrahepatic_disease="indeterminate", ecog=0,
        clinical=Clinical(prior_systemic_lines=0, neuropathy_grade=0, life_expectancy_months=36,
                          cea=31.0, ca19_9=12, synchronous=False,
                          disease_free_interval_months=14, node_positive_primary=True),
        labs=_labs(3.6, 13.8, 265, 24, 22, 101, 8, 84, 45, wbc=6.8),
    )
    return Case(patient=Patient(pid, "ÅSTRÖM^Björn", "M", date(1970, 12, 5)),
                protocol=ProtocolRef("NCT05103020", None), reviews=(review,), treatment=None)


def demo_cases(meeting_date: date | None = None) -> list[Case]:
    """The demo patients, with dates placed around ``meeting_date`` (default: fixed)."""
    on = meeting_date or DEMO_MEETING_DATE
    return [_decided_under_protocol(c) for c in (
        _boileve(on), _dupont_bierre(on), _lefevre(on), _garcia_lopez(on), _muller(on),
        _osullivan(on), _astrom(on))]


def seed_cases(meeting_date: date | None = None) -> list[Case]:
    """Every patient a demo database holds: the board's patients above and the followed
    cohort of ``mdt.demo_followup`` (two arms followed to their ends, for the Outcomes view)."""
    return demo_cases(meeting_date) + followed_cases(meeting_date or DEMO_MEETING_DATE)


def _decided_under_protocol(case: Case) -> Case:
    """Each recorded decision names the protocol version it was made under, as the window records it."""
    import dataclasses

    from mdt.protocols import protocol_for

    proto = protocol_for(case)
    reviews = tuple(
        dataclasses.replace(r, panel=dataclasses.replace(r.panel, decision=dataclasses.replace(
            r.panel.decision, protocol=proto.id, protocol_version=proto.version)))
        if r.panel.decision is not None and r.panel.decision.protocol is None else r
        for r in case.reviews)
    return dataclasses.replace(case, reviews=reviews)


def demo_meeting(meeting_date: date | None = None, cases: Sequence[Case] | None = None,
                 members: Iterable[Member] | None = None) -> Meeting:
    """The demo board meeting: every active member attends; on the agenda, each patient
    with a review dated on the meeting day (the ones still to be voted)."""
    on = meeting_date or DEMO_MEETING_DATE
    cases = demo_cases(on) if cases is None else cases
    attendees = tuple(m for m in (members or demo_members()) if m.active)
    agenda: list[AgendaItem] = []
    for case in cases:
        for review in case.reviews:
            if review.date == on:
                agenda.append(AgendaItem(patient_id=case.patient.id, review_date=on,
                                         reason=review.reason, position=len(agenda)))
    return Meeting(
        id=f"LIV-{on.isoformat()}", date=on, start_time="08:00",
        institution="Hôpital universitaire de démonstration",
        board="Liver metastases tumour board", chair=CHAIR, minute_taker=COORDINATOR,
        attendees=attendees, agenda=tuple(agenda),
    )
