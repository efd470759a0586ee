"""Builders and fixtures for the storage and service tests.

``make_review``/``make_case`` build valid domain objects; ``service`` opens a
migrated database on each back end (see ``tests/pg_fixtures.db_url``) with a
registry of one chair, one coordinator and one member.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

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
    Uln,
    VesselContact,
    Vote,
)
from mdt.meeting import Member
from mdt.services import Actor, MdtService
from mdt.store.db import Database, open_database
from tests.signin_fixtures import as_member

CHAIR = Member(name="Dr Chair", specialty="hepatobiliary_surgeon", role="chair")
COORDINATOR = Member(name="Ms Coordinator", specialty="coordinator", role="coordinator")
MEMBER = Member(name="Dr Member", specialty="diagnostic_radiologist", role="member")


def make_review(on: date, cycle: int | None = 0, diameter: float = 42,
                plan: str = "continue_induction", rating: str = "convertible",
                rationale: str | None = "RHV contact; reassess after 4 cycles") -> Review:
    return Review(
        date=on, cycle=cycle, height_cm=165, weight_kg=64.5,
        imaging=Imaging(modality="CT", date=on - timedelta(days=3),
                        study_uid="1.2.826.0.1.3680043.8.498.1"),
        lesions=(Lesion(id="L1", segments=("VII", "VIII"), diameter_mm=diameter, target=True),
                 Lesion(id="L2", segments=("III",), diameter_mm=18.5, target=True),
                 Lesion(id="L3", segments=("VI",), diameter_mm=None, status="disappeared")),
        vessels=(VesselContact(structure="RHV", relation="contact", lesion="L1"),),
        remnant=RemnantPlan(resection="right_hepatectomy",
                            local_treatment=(LocalTreatment(lesion="L2", method="wedge"),),
                            flr_ml=520, tlv_ml=1480.5, liver_condition="chemotherapy"),
        extrahepatic_disease="none", ecog=1,
        clinical=Clinical(prior_systemic_lines=0, neuropathy_grade=0, life_expectancy_months=24,
                          cea=45.0, ca19_9=None),
        labs=Labs(anc=2.4, hb=11.8, plt=210, ast=38, alt=41, alp=130, bilirubin=11,
                  creatinine=78, proteinuria="neg", uln=Uln(ast=40, alt=41, alp=120, bilirubin=21)),
        panel=Panel(
            votes=(Vote(member="A. Martin", role="surgeon", rating=rating),
                   Vote(member="Ł. Müller", role="radiologist", rating="resectable",
                        comment="ça va")),
            decision=Decision(resectability=rating, plan=plan, rationale=rationale,
                              next_review=on + timedelta(weeks=8))),
    )


def make_case(mrn: str = "MRN-000123", reviews: int = 2, name: str | None = "DOE^JANE",
              start: date = date(2026, 1, 15)) -> Case:
    return Case(
        patient=Patient(id=mrn, name=name, sex="F", birth_date=date(1961, 4, 2)),
        protocol=ProtocolRef(id="NCT05103020", arm="A"),
        reviews=tuple(make_review(start + timedelta(weeks=8 * i), cycle=4 * i,
                                  diameter=42 - 3 * i) for i in range(reviews)),
        treatment=Treatment(regimen="FOLFOXIRI + bevacizumab", start_date=start,
                            cycles=(CycleGiven(number=1, date=start, dose_reduction_pct=0),
                                    CycleGiven(number=2, date=start + timedelta(days=14),
                                               dose_reduction_pct=20.5, toxicity_grade=2,
                                               note="neutropenia")),
                            outcome="on_treatment"),
    )


@dataclass
class Workstation:
    db: Database
    chair: MdtService
    coordinator: MdtService
    member: MdtService
    ids: dict[str, int]


def open_workstation(url: str) -> Workstation:
    """Open the database (migrating it) and register the three test members once."""
    db = open_database(url)
    boot = MdtService(db, Actor("setup"))
    existing = {m.name: m for m in boot.list_members()}
    if not existing:
        for m in (CHAIR, COORDINATOR, MEMBER):
            if existing:
                boot = as_member(db, CHAIR.name)
            added = boot.add_member(m)
            existing[added.name] = added
    return Workstation(
        db=db,
        chair=as_member(db, CHAIR.name),
        coordinator=as_member(db, COORDINATOR.name),
        member=as_member(db, MEMBER.name),
        ids={name: m.id for name, m in existing.items() if m.id is not None},
    )


@pytest.fixture
def ws(db_url: str) -> Iterator[Workstation]:
    station = open_workstation(db_url)
    yield station
    station.db.close()
