"""Fixtures for the review editor tests: a real service over a temporary SQLite file.

Import explicitly: ``from tests.ui_review_fixtures import review_env, sample_case  # noqa: F401``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from mdt.case import (
    Case,
    Clinical,
    Labs,
    Lesion,
    Patient,
    ProtocolRef,
    RemnantPlan,
    Review,
    Uln,
    VesselContact,
)


def sample_case() -> Case:
    """One patient, one baseline review: two lesions, a right hepatectomy planned."""
    review = Review(
        date=date(2026, 1, 15), cycle=0, height_cm=165, weight_kg=64,
        lesions=(
            Lesion("L1", ("VII", "VIII"), 42, target=True),
            Lesion("L2", ("III",), 18, target=True),
        ),
        vessels=(VesselContact("RHV", "contact", "L1"),),
        remnant=RemnantPlan(resection="right_hepatectomy", flr_ml=520, tlv_ml=1480,
                            liver_condition="chemotherapy"),
        extrahepatic_disease="none", ecog=1,
        clinical=Clinical(prior_systemic_lines=0, neuropathy_grade=0, life_expectancy_months=24, cea=45.0),
        labs=Labs(anc=2.4, hb=11.8, plt=210, ast=38, alt=41, alp=130, bilirubin=11, creatinine=78,
                  proteinuria="neg", uln=Uln(ast=40, alt=41, alp=120, bilirubin=21)),
    )
    return Case(patient=Patient("MRN-T1", "DOE^JANE", "F", date(1961, 4, 2)),
                protocol=ProtocolRef("NCT05103020", "A"), reviews=(review,))


@dataclass
class ReviewEnv:
    service: object
    url: str
    patient_id: str

    def case(self) -> Case:
        return self.service.get_case(self.patient_id)  # type: ignore[attr-defined]

    def record(self, index: int = -1):  # noqa: ANN201
        return self.service.list_reviews(self.patient_id)[index]  # type: ignore[attr-defined]


def open_service(url: str, user: str = "coordinator"):  # noqa: ANN201
    from mdt.services import Actor, MdtService
    from mdt.store.db import open_database

    return MdtService(open_database(url), Actor(user, "coordinator"))


@pytest.fixture
def review_env(tmp_path: Path) -> ReviewEnv:
    url = f"sqlite:///{tmp_path / 'review.db'}"
    service = open_service(url)
    case = sample_case()
    service.import_cases([case])
    return ReviewEnv(service, url, case.patient.id)


@pytest.fixture
def editor(qtbot, review_env: ReviewEnv):  # noqa: ANN001, ANN201
    from PySide6.QtGui import QUndoStack

    from ui.review import ReviewEditor

    stack = QUndoStack()
    ed = ReviewEditor(undo_stack=stack)
    ed._test_stack = stack  # keep the stack alive as long as the editor
    qtbot.addWidget(ed)
    ed.resize(1600, 900)
    ed.set_context(review_env.service, review_env.case(), review_env.record())
    return ed


PANEL = (("A. Martin", "hepatobiliary_surgeon"), ("B. Chen", "hepatobiliary_surgeon"),
         ("C. Okafor", "diagnostic_radiologist"))
"""A small board: two surgeons and a radiologist (three members who rate)."""


def seat_panel(env: ReviewEnv, members: tuple[tuple[str, str], ...] = PANEL,
               attend: tuple[str, ...] | None = None, review_index: int = -1,
               meeting_id: str = "MDT-TEST") -> object:
    """Register ``members`` (and a coordinator who records the ratings), and put the review on
    the agenda of a meeting attended by ``attend`` (default: every one of ``members``).  Ratings
    are accepted only from members present at the meeting that discusses the review."""
    from mdt.meeting import AgendaItem, Meeting, Member
    from tests.signin_fixtures import as_member

    known = {m.name for m in env.service.list_members(include_inactive=True)}  # type: ignore[attr-defined]
    if "coordinator" not in known:  # the first member bootstraps the registry
        env.service.add_member(Member("coordinator", "coordinator", role="coordinator"))  # type: ignore[attr-defined]
    svc = as_member(env.service.db, "coordinator")  # type: ignore[attr-defined]  # registry edits: signed in
    for name, specialty in members:
        if name not in known:
            svc.add_member(Member(name, specialty))  # type: ignore[attr-defined]
    present = set(attend if attend is not None else (n for n, _ in members))
    rec = env.record(review_index)
    attendees = tuple(m for m in svc.list_members() if m.name in present)  # type: ignore[attr-defined]
    return svc.create_meeting(Meeting(  # type: ignore[attr-defined]
        id=meeting_id, date=rec.review.date, attendees=attendees,
        agenda=(AgendaItem(patient_id=env.patient_id, review_date=rec.review.date),)))
