"""Reviews are never overwritten: a correction is a new version with its reason and
author; two workstations editing the same review never lose an edit."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from mdt.case import Patient
from mdt.errors import ConflictError, NotFound, ValidationError
from mdt.services import ReviewRecord
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.store_fixtures import Workstation, make_case, make_review, open_workstation, ws  # noqa: F401


def _first(ws: Workstation) -> ReviewRecord:  # noqa: F811
    ws.coordinator.import_cases([make_case("P1", reviews=2)])
    return ws.coordinator.list_reviews("P1")[0]


def test_a_correction_keeps_the_earlier_version(ws: Workstation) -> None:  # noqa: F811
    rec = _first(ws)
    original = rec.review
    corrected = dataclasses.replace(original, ecog=2)
    saved = ws.member.save_review(rec.review_id, corrected, rec.version, "ECOG misread")
    assert (saved.version, saved.saved_by, saved.reason) == (2, "Dr Member", "ECOG misread")
    assert ws.chair.list_reviews("P1")[0].review == corrected
    assert ws.chair.get_case("P1").reviews[0] == corrected
    history = ws.chair.review_history(rec.review_id)
    assert [(v.version, v.saved_by, v.reason) for v in history] == [
        (1, "Ms Coordinator", "import"), (2, "Dr Member", "ECOG misread")]
    assert history[0].review == original and history[1].review == corrected


def test_a_correction_needs_a_reason(ws: Workstation) -> None:  # noqa: F811
    rec = _first(ws)
    with pytest.raises(ValidationError, match="reason"):
        ws.member.save_review(rec.review_id, dataclasses.replace(rec.review, ecog=3), 1, "  ")
    assert len(ws.chair.review_history(rec.review_id)) == 1


def test_saving_identical_content_adds_no_version(ws: Workstation) -> None:  # noqa: F811
    rec = _first(ws)
    again = ws.member.save_review(rec.review_id, rec.review, rec.version, "no change")
    assert again.version == 1 and len(ws.chair.review_history(rec.review_id)) == 1


def test_invalid_review_is_rejected_with_the_field(ws: Workstation) -> None:  # noqa: F811
    rec = _first(ws)
    bad = dataclasses.replace(rec.review, ecog=9)
    with pytest.raises(ValidationError) as err:
        ws.member.save_review(rec.review_id, bad, rec.version, "typo")
    assert any(p.path == "review.ecog" for p in err.value.problems)
    before_birth = make_review(date(1960, 1, 1))
    with pytest.raises(ValidationError, match="birth"):
        ws.member.add_review("P1", before_birth)
    assert ws.chair.get_patient("P1").review_count == 2


def test_patient_list_summary_follows_the_latest_review(ws: Workstation) -> None:  # noqa: F811
    ws.coordinator.import_cases([make_case("P1", reviews=2), make_case("P2", reviews=1,
                                                                         name="ROE^RICHARD")])
    row = ws.chair.get_patient("P1")
    assert (row.review_count, row.last_review_date, row.last_cycle) == (2, date(2026, 3, 12), 4)
    assert row.resectability == "convertible" and row.next_review == date(2026, 5, 7)
    newer = make_review(date(2026, 6, 1), cycle=8, plan="resection", rating="resectable")
    ws.member.add_review("P1", newer)
    row = ws.chair.get_patient("P1")
    assert (row.review_count, row.resectability, row.plan) == (3, "resectable", "resection")
    assert [r.patient_id for r in ws.chair.list_patients(search="richard")] == ["P2"]
    assert [r.patient_id for r in ws.chair.list_patients(search="p1")] == ["P1"]
    assert [r.patient_id for r in ws.chair.list_patients(status="resectable")] == ["P1"]
    assert [r.patient_id for r in ws.chair.list_patients(due=date(2026, 5, 1))] == ["P2"]
    assert ws.chair.list_patients(search="50%_") == []  # wildcards are literal
    ws.chair.archive_patient("P2", "deceased")
    assert [r.patient_id for r in ws.chair.list_patients()] == ["P1"]
    assert len(ws.chair.list_patients(include_archived=True)) == 2


def test_conflict_between_two_workstations(db_url: str) -> None:  # noqa: F811
    """Two real connections (two engines) load the same review; the second save is told."""
    a, b = open_workstation(db_url), open_workstation(db_url)
    try:
        a.coordinator.import_cases([make_case("P1", reviews=1)])
        rec_a = a.member.list_reviews("P1")[0]
        rec_b = b.chair.list_reviews("P1")[0]
        assert rec_a.version == rec_b.version == 1
        mine = a.member.save_review(rec_a.review_id, dataclasses.replace(rec_a.review, ecog=2),
                                    rec_a.version, "ECOG from clinic")
        theirs = dataclasses.replace(rec_b.review, extrahepatic_disease="indeterminate")
        with pytest.raises(ConflictError) as conflict:
            b.chair.save_review(rec_b.review_id, theirs, rec_b.version, "new CT chest")
        current = conflict.value.current
        assert isinstance(current, ReviewRecord)
        assert current.version == 2 and current.saved_by == "Dr Member"
        assert current.review.ecog == 2  # the second user sees the other change...
        # ...and chooses: merge both edits and save on top of version 2.
        merged = dataclasses.replace(current.review, extrahepatic_disease="indeterminate")
        final = b.chair.save_review(rec_b.review_id, merged, current.version, "new CT chest")
        assert final.version == 3
        assert final.review.ecog == 2 and final.review.extrahepatic_disease == "indeterminate"
        assert [v.version for v in a.chair.review_history(rec_a.review_id)] == [1, 2, 3]
        assert mine.version == 2
    finally:
        a.db.close()
        b.db.close()


def test_unknown_ids_raise_not_found(ws: Workstation) -> None:  # noqa: F811
    with pytest.raises(NotFound):
        ws.chair.get_case("nobody")
    with pytest.raises(NotFound):
        ws.chair.get_case("nul\x00id")
    assert ws.chair.list_patients(search="x\x00") == []
    with pytest.raises(NotFound):
        ws.chair.save_review(12345, make_review(date(2026, 1, 1)), 1, "x")
    with pytest.raises(NotFound):
        ws.chair.add_review("nobody", make_review(date(2026, 1, 1)))


def test_create_patient_rejects_duplicates_and_empty_ids(ws: Workstation) -> None:  # noqa: F811
    ws.chair.create_patient(Patient(id="P9"))
    with pytest.raises(ValidationError, match="already exists"):
        ws.chair.create_patient(Patient(id="P9"))
    with pytest.raises(ValidationError, match="patient.id"):
        ws.chair.create_patient(Patient(id=" "))
