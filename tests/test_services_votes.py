"""Votes a chair can defend, enforced by the service: only members present at the review's meeting
with a voting role rate; a second rating is a change with its reason, audited, kept and printed;
the expected count follows the protocol and the attendance; every save names its patient."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from mdt.case import Decision, Lesion, Patient, ProtocolRef, Review
from mdt.errors import LockedError, PermissionDenied, ValidationError
from mdt.meeting import AgendaItem, Meeting, Member
from mdt.services import MdtService
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.signin_fixtures import TEST_PASSWORD
from tests.store_fixtures import CHAIR, COORDINATOR, MEMBER, Workstation, ws  # noqa: F401

DAY = date(2026, 11, 20)
SURGEON_2 = Member("Dr Second", "hepatobiliary_surgeon")
SURGEON_3 = Member("Dr Third", "hepatobiliary_surgeon")
ABSENT = Member("Dr Absent", "hepatobiliary_surgeon")
NURSE = Member("Mr Nurse", "nurse_specialist")


def board(ws: Workstation, protocol: str = "NCT05103020", patients: tuple[str, ...] = ("P1", "P2"),  # noqa: F811
          attendees: tuple[Member, ...] = (CHAIR, COORDINATOR, MEMBER, SURGEON_2, SURGEON_3, NURSE)
          ) -> dict[str, int]:
    """Patients with one review each on the agenda of meeting M1; the review ids by patient."""
    svc = ws.coordinator
    for m in (SURGEON_2, SURGEON_3, ABSENT, NURSE):
        svc.add_member(m)
    ids = {}
    for pid in patients:
        svc.create_patient(Patient(pid, f"PATIENT^{pid}"), ProtocolRef(protocol, "A"))
        ids[pid] = svc.add_review(pid, Review(date=DAY, lesions=(Lesion("L1", ("VII",), 30),))).review_id
    svc.create_meeting(Meeting(id="M1", date=DAY, chair=CHAIR.name, attendees=attendees,
                               agenda=tuple(AgendaItem(pid, DAY) for pid in patients)))
    return ids


def test_only_members_present_with_a_voting_role_rate(ws: Workstation) -> None:  # noqa: F811
    review = board(ws)["P1"]
    svc = ws.coordinator
    ctx = svc.panel_context(review)
    assert ctx.meeting_id == "M1"
    assert [m.name for m in ctx.voters] == sorted([CHAIR.name, MEMBER.name, SURGEON_2.name, SURGEON_3.name])
    assert ctx.expectation.expected == 4                    # the attendance, not a fixed 3
    for who, why in ((ABSENT.name, "not recorded as present at meeting M1"),
                     ("A. Stranger", "not recorded as present"),
                     (COORDINATOR.name, "attends but does not rate"),
                     (NURSE.name, "attends but does not rate")):
        with pytest.raises(PermissionDenied, match=why):
            svc.cast_vote(review, who, "convertible", patient_id="P1")
    rec = svc.cast_vote(review, CHAIR.name, "convertible", patient_id="P1")
    (vote,) = rec.review.panel.votes
    assert (vote.member, vote.role, vote.round) == (CHAIR.name, "hepatobiliary_surgeon", 1)  # role from registry
    assert svc.panel_context(review).expectation.text == "1 of 4 ratings recorded"


def test_a_review_on_no_meeting_cannot_be_rated(ws: Workstation) -> None:  # noqa: F811
    svc = ws.coordinator
    svc.create_patient(Patient("P9"), ProtocolRef("NCT05103020"))
    rec = svc.add_review("P9", Review(date=DAY))
    assert svc.panel_context(rec.review_id).meeting_id is None
    with pytest.raises(PermissionDenied, match="not on a meeting's agenda"):
        svc.cast_vote(rec.review_id, CHAIR.name, "convertible", patient_id="P9")


def test_expected_ratings_follow_the_attendance(ws: Workstation) -> None:  # noqa: F811
    review = board(ws)["P1"]
    svc = ws.coordinator
    meeting = svc.get_meeting("M1")
    svc.update_meeting(dataclasses.replace(meeting, attendees=(CHAIR, COORDINATOR, MEMBER)))
    assert svc.panel_context(review).expectation.expected == 2


def test_a_changed_rating_needs_a_reason_is_kept_audited_and_never_replaced_silently(ws: Workstation) -> None:  # noqa: F811
    review = board(ws)["P1"]
    svc = ws.coordinator
    svc.cast_vote(review, SURGEON_2.name, "convertible", patient_id="P1")
    with pytest.raises(ValidationError, match="changing a rating needs a reason"):
        svc.cast_vote(review, SURGEON_2.name, "resectable", patient_id="P1")
    rec = svc.cast_vote(review, SURGEON_2.name, "resectable", patient_id="P1",
                        reason="portal phase re-read: no RHV contact")
    (vote,) = rec.review.panel.votes
    change = vote.changes[0]
    assert (vote.rating, change.from_rating, change.to_rating) == ("resectable", "convertible", "resectable")
    assert change.by == COORDINATOR.name and change.at is not None
    assert rec.reason == "rating of Dr Second (round 1) changed: portal phase re-read: no RHV contact"
    history = svc.review_history(review)
    assert [v.review.panel.votes[0].rating for v in history[1:]] == ["convertible", "resectable"]
    event = svc.patient_history("P1")[-1]
    assert event.action == "review.save" and "portal phase re-read" in event.after["reason"]
    # Saving the whole review cannot slip a rating in or out.
    with pytest.raises(ValidationError, match="ratings are recorded"):
        svc.save_review(review, dataclasses.replace(rec.review, panel=dataclasses.replace(
            rec.review.panel, votes=())), rec.version, "tidy up")


def test_a_withdrawn_rating_stays_in_the_record_and_is_not_counted(ws: Workstation) -> None:  # noqa: F811
    review = board(ws)["P1"]
    svc = ws.coordinator
    svc.cast_vote(review, MEMBER.name, "resectable", patient_id="P1")
    rec = svc.withdraw_vote(review, MEMBER.name, 1, "recorded under the wrong name", patient_id="P1")
    assert rec.review.panel.votes[0].withdrawn
    assert svc.panel_context(review).expectation.recorded == 0


def test_cairo5_rates_surgeons_and_moves_to_round_two(ws: Workstation) -> None:  # noqa: F811
    extra = (Member("Dr Fourth", "hepatobiliary_surgeon"), Member("Dr Fifth", "hepatobiliary_surgeon"))
    for m in extra:
        ws.coordinator.add_member(m)
    review = board(ws, "CAIRO5", ("C1",), (CHAIR, COORDINATOR, MEMBER, SURGEON_2, SURGEON_3, *extra))["C1"]
    svc = ws.coordinator
    with pytest.raises(PermissionDenied, match="only surgeons rate"):
        svc.cast_vote(review, MEMBER.name, "convertible", patient_id="C1")
    for who, rating in ((CHAIR.name, "resectable"), (SURGEON_2.name, "convertible"),
                        (SURGEON_3.name, "permanently_unresectable")):
        svc.cast_vote(review, who, rating, patient_id="C1")
    ctx = svc.panel_context(review)
    assert (ctx.expectation.round, ctx.expectation.expected) == (2, 2)
    assert set(ctx.expectation.voters) == {"Dr Fourth", "Dr Fifth"}
    rec = svc.cast_vote(review, "Dr Fourth", "convertible", patient_id="C1")
    assert [v.round for v in rec.review.panel.votes if v.member == "Dr Fourth"] == [2]
    rec = svc.cast_vote(review, "Dr Fifth", "convertible", patient_id="C1")
    decided = svc.record_decision(review, Decision("convertible", "continue_induction"), patient_id="C1",
                                  expected_version=rec.version)
    assert decided.review.panel.decision.rule == "majority"
    sixth = ws.coordinator.add_member(Member("Dr Sixth", "hepatobiliary_surgeon"))
    meeting = svc.get_meeting("M1")
    svc.update_meeting(dataclasses.replace(meeting, attendees=(*meeting.attendees, sixth)))
    with pytest.raises(ValidationError, match="all in"):                    # a sixth rating would not count
        svc.cast_vote(review, "Dr Sixth", "convertible", patient_id="C1")


def test_a_decision_or_a_save_for_another_patient_is_refused(ws: Workstation) -> None:  # noqa: F811
    ids = board(ws)
    svc = ws.coordinator
    rec = svc.get_review(ids["P1"])
    with pytest.raises(ValidationError, match="belongs to patient P1, not to P2"):
        svc.record_decision(ids["P1"], Decision("convertible", "continue_induction"), patient_id="P2",
                            expected_version=rec.version)
    with pytest.raises(ValidationError, match="belongs to patient P1, not to P2"):
        svc.save_review(ids["P1"], dataclasses.replace(rec.review, ecog=1), rec.version, "ECOG", patient_id="P2")
    with pytest.raises(ValidationError, match="belongs to patient P1"):
        svc.cast_vote(ids["P1"], CHAIR.name, "convertible", patient_id="P2")
    assert svc.get_review(ids["P1"]).version == rec.version                 # nothing saved
    ok = svc.record_decision(ids["P1"], Decision("convertible", "continue_induction"), patient_id="P1",
                             expected_version=rec.version)
    assert ok.review.panel.decision.rule is None                            # nobody rated: no rule claimed
    from mdt.protocols import get_protocol

    current = get_protocol("NCT05103020").version                           # the version in force
    assert (ok.review.panel.decision.protocol, ok.review.panel.decision.protocol_version) == (
        "NCT05103020", current)


def test_after_signing_a_rating_changes_only_as_an_amendment(ws: Workstation) -> None:  # noqa: F811
    review = board(ws)["P1"]
    svc = ws.coordinator
    svc.cast_vote(review, CHAIR.name, "convertible", patient_id="P1")
    ws.chair.sign_meeting("M1", TEST_PASSWORD)
    with pytest.raises(LockedError, match="only as an amendment"):
        svc.cast_vote(review, CHAIR.name, "resectable", patient_id="P1", reason="typo")
    svc.cast_vote(review, CHAIR.name, "resectable", patient_id="P1", reason="misclicked at the board",
                  amendment_reason="chair's rating entered wrongly")
    (amendment,) = svc.get_meeting("M1").amendments
    assert amendment.reason.startswith("chair's rating entered wrongly")
    assert f"{CHAIR.name}'s rating convertible (potentially resectable) → resectable" in amendment.summary


def _pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(BytesIO(data)).pages))


def test_the_minutes_state_the_final_rating_that_it_changed_from_what_and_why(ws: Workstation, tmp_path) -> None:  # noqa: F811, ANN001
    from mdt.minutes import write_minutes

    review = board(ws, patients=("P1",))["P1"]
    svc: MdtService = ws.coordinator
    for who in (CHAIR.name, MEMBER.name, SURGEON_3.name):
        svc.cast_vote(review, who, "convertible", patient_id="P1")
    svc.cast_vote(review, SURGEON_2.name, "resectable", patient_id="P1")
    svc.cast_vote(review, SURGEON_2.name, "convertible", patient_id="P1", reason="accepts the RHV contact")
    svc.withdraw_vote(review, MEMBER.name, 1, "declared a conflict of interest", patient_id="P1")
    out = write_minutes(svc, "M1", tmp_path / "m.pdf")
    text = _pdf_text(out.read_bytes())
    assert "Dr Second" in text and "changed once" in text
    assert "Resectable → Convertible" in text and "accepts the RHV contact" in text
    assert f"recorded by {COORDINATOR.name}" in text
    assert "Withdrawn (was Convertible" in text and "declared a conflict of interest" in text
    assert "Ratings expected 3 of 4 ratings recorded" in text
