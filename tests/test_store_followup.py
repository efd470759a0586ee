"""The follow-up record through the service: stored, audited, the end derived in the list,
bad values refused with nothing saved; migration 0005 adds its tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from mdt.case import FollowUp, LocalTreatmentEvent, ProgressionEvent
from mdt.errors import ValidationError
from mdt.services import Actor, MdtService
from mdt.store.db import open_database
from tests.outcomes_fixtures import ENROLLED, trial_case


@pytest.fixture
def svc(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'f.db'}")
    service = MdtService(db, Actor("coordinator"))
    service.import_cases([trial_case("P1", "SULTAN", "A")])
    yield service
    db.close()


def test_follow_up_is_stored_and_the_end_follows_the_events(svc):
    fu = FollowUp(local_treatments=(LocalTreatmentEvent(ENROLLED + timedelta(days=60), "resection", ("L1",), "R0",
                                                         "II", "IIIa"),))
    case = svc.set_follow_up("P1", fu, "operated")
    assert case.follow_up == fu and case.treatment.outcome == "resected"
    assert svc.get_patient("P1").outcome == "resected"
    fu2 = replace(fu, progressions=(ProgressionEvent(ENROLLED + timedelta(days=200), "hepatic"),))
    svc.set_follow_up("P1", fu2, "recurrence")
    assert svc.get_patient("P1").outcome == "progressed"
    assert svc.get_case("P1").follow_up == fu2
    actions = [e.action for e in svc.patient_history("P1")]
    assert actions[-2:] == ["follow_up.set", "follow_up.set"]  # one audit event per change


def test_a_contradiction_is_refused_and_nothing_is_saved(svc):
    before = svc.get_case("P1")
    bad = FollowUp(local_treatments=(LocalTreatmentEvent(ENROLLED + timedelta(days=60), "resection", ("L7",)),))
    with pytest.raises(ValidationError) as info:
        svc.set_follow_up("P1", bad, "typo")
    assert info.value.problems[0].path == "follow_up.local_treatments[0].lesions[0]"
    assert svc.get_case("P1") == before


def test_export_then_import_keeps_the_follow_up(svc, tmp_path):
    from mdt.caseformat import dump_case, load_cases

    fu = FollowUp(death_date=ENROLLED + timedelta(days=300))
    svc.set_follow_up("P1", fu, "died")
    text = dump_case(svc.export_case("P1"))
    db2 = open_database(f"sqlite:///{tmp_path / 'g.db'}")
    try:
        other = MdtService(db2, Actor("x"))
        other.import_cases(load_cases(text))
        assert other.get_case("P1") == svc.get_case("P1")
        assert other.get_patient("P1").outcome == "died"
    finally:
        db2.close()
