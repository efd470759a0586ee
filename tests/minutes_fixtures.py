"""Domain fixtures for the minutes and diagram tests (no database, no engine needed).

Evaluations, aggregates and RECIST summaries are built directly from their
dataclasses so the renderer is tested on its own; the integration test uses
the real engine where it is available.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

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
    ProtocolRef,
    RemnantPlan,
    Review,
    Treatment,
    VesselContact,
    Vote,
)
from mdt.evaluation import Evaluation, Finding, PlanOption, RecistSummary, RemnantSummary
from mdt.meeting import AgendaItem, Amendment, Meeting, Member, Signature
from mdt.minutes.sections import MinutesPatient
from mdt.panel import Aggregate

PRINTED = datetime(2026, 11, 20, 17, 5, tzinfo=UTC)
SIGNED_AT = datetime(2026, 11, 20, 16, 42, tzinfo=UTC)
AUDIT_HEAD = "9f2c4d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49382716f5e4d3c2b1a0f9e8d7c6"
CAIRO5 = {"kind": "cairo5", "first_round": 3, "second_round": 2, "tie": "chair", "voter_role": "surgeon"}

MEMBERS = (
    Member("Dr Élise Boilève", "hepatobiliary_surgeon", "chair", id=1),
    Member("Dr Jan de Vries", "hepatobiliary_surgeon", "member", id=2),
    Member("Dr Ana Müller", "hepatobiliary_surgeon", "member", id=3),
    Member("Dr Kenji Sato", "diagnostic_radiologist", "member", id=4),
    Member("Dr Sofia Rossi", "medical_oncologist", "member", id=5),
    Member("Dr Tomas Novak", "interventional_radiologist", "member", id=7),
    Member("Claire Martin", "coordinator", "coordinator", id=6),
)


def make_review(n: int = 0, *, cycle: int | None = 4, lesions: int = 3, decided: bool = True) -> Review:
    """A re-assessment review with lesions, vessels, a remnant plan, votes and a decision."""
    les = [
        Lesion("L1", ("VII",), 42.0 - n, True),
        Lesion("L2", ("V", "VIII"), 25.5, True),
        Lesion("L3", ("IVb",), 12.0, False),
        Lesion("L4", ("III",), 9.0, False, status="ablated"),
        Lesion("L5", ("VI",), 14.0, False),
        Lesion("L6", ("II",), 8.0, False, status="disappeared"),
    ][:lesions]
    votes = (
        Vote("Dr Élise Boilève", "surgeon", "convertible", 1, "R0 feasible after downsizing ± 2 cycles"),
        Vote("Dr Jan de Vries", "surgeon", "convertible", 1, None),
        Vote("Dr Ana Müller", "surgeon", "convertible", 1, "remnant ≥ 30 % needed"),
    )
    decision = Decision(
        resectability="convertible", plan="continue_induction",
        rationale="Partial response; remnant 27.9 % after right hepatectomy is below 30 %.",
        next_review=date(2027, 1, 15), dissent="Dr Müller would consider portal vein embolisation now.",
        responsible="Dr Sofia Rossi", rule="consensus",
    ) if decided else None
    return Review(
        date=date(2026, 11, 18), cycle=cycle, height_cm=172, weight_kg=74.5,
        imaging=Imaging("CT", date(2026, 11, 12)),
        lesions=tuple(les),
        vessels=(VesselContact("RHV", "contact", "L1"), VesselContact("MHV", "encasement", "L2")),
        remnant=RemnantPlan(resection="right_hepatectomy", flr_ml=412, tlv_ml=1476,
                            liver_condition="chemotherapy",
                            local_treatment=(LocalTreatment("L3", "ablation"),)),
        extrahepatic_disease="none", ecog=1,
        clinical=Clinical(cea=12.4, ca19_9=31.0),
        labs=Labs(bilirubin=11.2, albumin=39.0, inr=1.05, plt=212, creatinine=78),
        panel=Panel(votes=votes, decision=decision), reason="reassessment",
    )


def make_case(n: int = 0, *, name: str | None = None, reviews: int = 2) -> Case:
    baseline = Review(
        date=date(2026, 8, 20), cycle=0, imaging=Imaging("MR", date(2026, 8, 14)),
        lesions=(Lesion("L1", ("VII",), 55.0, True), Lesion("L2", ("V", "VIII"), 38.0, True)),
        panel=Panel(decision=Decision(resectability="convertible", plan="continue_induction",
                                      next_review=date(2026, 11, 18), responsible="Dr Sofia Rossi")),
        reason="baseline",
    )
    middle = Review(date=date(2026, 10, 1), cycle=2, imaging=Imaging("CT", date(2026, 9, 28)),
                    lesions=(Lesion("L1", ("VII",), 47.0, True), Lesion("L2", ("V", "VIII"), 31.0, True)),
                    reason="reassessment")
    all_reviews = (baseline, middle, make_review(n)) if reviews >= 3 else (baseline, make_review(n))
    names = ["BOILÈVE^Hélène", "DUPONT-BIERRE^Marc", "NGUYỄN^Thi Lan", "O'NEILL^Seán", "ØSTERGÅRD^Søren"]
    cycle_dates = (date(2026, 8, 25), date(2026, 9, 8), date(2026, 9, 22), date(2026, 10, 6))
    return Case(
        patient=Patient(f"MRN{1000 + n:05d}", name or names[n % len(names)] + ("" if n < 5 else f" {n}"),
                        "F" if n % 2 == 0 else "M", date(1961 + n % 20, 3, 14)),
        protocol=ProtocolRef("NCT05103020", "A (HAI + mFOLFIRI)" if n % 2 == 0 else "B (FOLFIRI)"),
        reviews=all_reviews[:reviews] if reviews < 2 else all_reviews,
        treatment=Treatment("mFOLFIRI + bevacizumab", cycle_dates[0],
                            tuple(CycleGiven(i + 1, d, None, 1 if i == 2 else 0) for i, d in enumerate(cycle_dates)),
                            outcome="on_treatment"),
    )


def make_evaluation(review_index: int, *, unknown: bool = False) -> Evaluation:
    criteria = (
        Finding("U1", "unresectability", "not_met", "Remnant 27.9 % is not below the 25 % floor.",
                "Kim JS et al. BMC Cancer 2023, Table 1", "U1 insufficient remnant"),
        Finding("U2", "unresectability", "met", "L1 contacts the RHV, a vessel of the remnant? no: resected side.",
                "Kim JS et al. BMC Cancer 2023, Table 1", "U2 remnant vessel contact"),
        Finding("E3", "exclusion", "unknown" if unknown else "not_met",
                "Extrahepatic disease not recorded." if unknown else "No extrahepatic disease.",
                "protocol", "E3 extrahepatic disease", ("extrahepatic_disease",) if unknown else ()),
    )
    return Evaluation(
        protocol_id="NCT05103020", protocol_version="1.2", protocol_title="Yonsei HAI conversion trial",
        review_index=review_index, review_date="2026-11-18", review_cycle=4,
        resectability="convertible", eligibility="eligible", criteria=criteria,
        remnant=RemnantSummary(("I", "II", "III", "IVa", "IVb"), 412.0, 1476.0, "measured", 27.9, 30.0, False,
                               status="not_met",
                               summary="insufficient: remnant share 27.9 % (needs ≥ 30 %)",
                               recorded_flr_ml=412.0, measured_for=("I", "II", "III", "IVa", "IVb"),
                               volume_source="measured", liver_condition="chemotherapy",
                               threshold_note="liver after chemotherapy"),
        recist=RecistSummary(66.5, 93.0, 66.5, -28.5, 0.0, "SD", "SD", "NON-CR/NON-PD", (), True, 28.5),
        best_plan=PlanOption(("I", "II", "III", "IVa", "IVb"), "right_hepatectomy", (("L3", "ablation"),), True, (),
                             27.9),
    )


def make_aggregate() -> Aggregate:
    return Aggregate("convertible", "consensus", "3 of 3 surgeons agree",
                     counts={"resectable": 0, "convertible": 3, "permanently_unresectable": 0},
                     voters=("Dr Élise Boilève", "Dr Jan de Vries", "Dr Ana Müller"), kind="cairo5")


def make_item(n: int = 0, *, agenda_reason: str = "reassessment") -> MinutesPatient:
    case = make_case(n)
    idx = len(case.reviews) - 1
    return MinutesPatient(
        case=case, review_index=idx, evaluation=make_evaluation(idx, unknown=n % 2 == 1),
        aggregate=make_aggregate(), agenda=AgendaItem(case.patient.id, case.reviews[idx].date, agenda_reason,
                                                      position=n),
        aggregation=CAIRO5,
    )


def make_meeting(n_patients: int = 3, *, signed: bool = False, amended: bool = False) -> Meeting:
    signature = Signature("Dr Élise Boilève", SIGNED_AT, AUDIT_HEAD) if signed or amended else None
    amendments = (
        Amendment(datetime(2026, 11, 21, 9, 15, tzinfo=UTC), "Dr Élise Boilève",
                  "Typing error in the next review date",
                  "Next review 2027-01-15 -> 2027-01-22", "MRN01000"),
    ) if amended else ()
    return Meeting(
        id="LIV-2026-11-20", date=date(2026, 11, 20), start_time="16:00",
        institution="Hôpital Saint-Éloi", board="Liver metastases board (CRLM)",
        chair="Dr Élise Boilève", minute_taker="Claire Martin", attendees=MEMBERS,
        agenda=tuple(AgendaItem(f"MRN{1000 + i:05d}", date(2026, 11, 18), "reassessment", position=i)
                     for i in range(n_patients)),
        signature=signature, amendments=amendments,
    )


def make_items(n: int) -> list[MinutesPatient]:
    return [make_item(i) for i in range(n)]
