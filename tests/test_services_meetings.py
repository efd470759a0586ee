"""People and roles, sign-off and amendments, enforced in the services."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from mdt.errors import LockedError, PermissionDenied, ValidationError
from mdt.meeting import AgendaItem, Meeting, Member
from mdt.services import Actor, MdtService
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.signin_fixtures import TEST_PASSWORD
from tests.store_fixtures import CHAIR, MEMBER, Workstation, make_case, ws  # noqa: F401

DAY = date(2026, 3, 12)  # date of the second review of make_case()


def _meeting(ws: Workstation) -> Meeting:  # noqa: F811
    ws.coordinator.import_cases([make_case("P1"), make_case("P2")])
    return ws.coordinator.create_meeting(Meeting(
        id="LIV-2026-03-12", date=DAY, start_time="08:00", board="Liver MDT", chair=CHAIR.name,
        attendees=(CHAIR, MEMBER),
        agenda=(AgendaItem(patient_id="P1", review_date=DAY, reason="reassessment"),
                AgendaItem(patient_id="P2", reason="reassessment"))))


def test_meeting_is_stored_with_attendees_and_agenda(ws: Workstation) -> None:  # noqa: F811
    m = _meeting(ws)
    assert [a.name for a in m.attendees] == [CHAIR.name, MEMBER.name]
    assert [(i.patient_id, i.position) for i in m.agenda] == [("P1", 0), ("P2", 1)]
    assert ws.member.get_meeting(m.id) == m
    rows = ws.member.list_meetings()
    assert [(r.id, r.patients, r.signed) for r in rows] == [(m.id, 2, False)]


@pytest.mark.parametrize("who", ["member", "unregistered", "spoofed"])
def test_only_coordinators_and_the_chair_edit_the_agenda(ws: Workstation, who: str) -> None:  # noqa: F811
    m = _meeting(ws)
    svc = {"member": ws.member,
           "unregistered": MdtService(ws.db, Actor("Someone Else", role="chair")),
           # a window claiming the chair role for a plain member is not believed
           "spoofed": MdtService(ws.db, Actor(MEMBER.name, role="chair"))}[who]
    with pytest.raises(PermissionDenied):
        svc.set_agenda(m.id, [AgendaItem(patient_id="P2")])
    with pytest.raises(PermissionDenied):
        svc.create_meeting(Meeting(id="X", date=DAY))
    with pytest.raises(PermissionDenied):
        svc.sign_meeting(m.id, TEST_PASSWORD)
    assert ws.chair.get_meeting(m.id) == m
    edited = ws.chair.set_agenda(m.id, [AgendaItem(patient_id="P2")])
    assert [i.patient_id for i in edited.agenda] == ["P2"]


def test_only_the_chair_signs(ws: Workstation) -> None:  # noqa: F811
    m = _meeting(ws)
    with pytest.raises(PermissionDenied, match="chair"):
        ws.coordinator.sign_meeting(m.id, TEST_PASSWORD)
    sig = ws.chair.sign_meeting(m.id, TEST_PASSWORD)
    sign_event, last_lock = ws.chair.audit_events(limit=2)
    assert sign_event.action == "meeting.sign" and last_lock.action == "review.lock"
    # The signature covers the chain head AFTER the sign event: the event's own hash.
    assert sig.signer == CHAIR.name and sig.audit_head == sign_event.hash
    assert sig.audit_event_id == sign_event.id and last_lock.id < sign_event.id
    assert sign_event.after["certificate_sha256"] == sig.certificate_sha256
    assert ws.member.get_meeting(m.id).signature == sig
    with pytest.raises(LockedError):
        ws.chair.sign_meeting(m.id, TEST_PASSWORD)


def test_signing_locks_reviews_and_changes_need_an_amendment(ws: Workstation) -> None:  # noqa: F811
    m = _meeting(ws)
    ws.chair.sign_meeting(m.id, TEST_PASSWORD)
    with pytest.raises(LockedError):
        ws.coordinator.set_agenda(m.id, [])
    with pytest.raises(LockedError):
        ws.coordinator.update_meeting(dataclasses.replace(m, board="Other"))
    locked = {r.patient_id: r for p in ("P1", "P2") for r in ws.member.list_reviews(p)
              if r.review.date == DAY}
    assert all(r.locked and r.meeting_id == m.id for r in locked.values())
    assert [e.action for e in ws.member.patient_history("P1")][-1] == "review.lock"
    earlier = ws.member.list_reviews("P1")[0]
    assert not earlier.locked
    rec = locked["P1"]
    decision = rec.review.panel.decision
    assert decision is not None
    changed = dataclasses.replace(rec.review, panel=dataclasses.replace(
        rec.review.panel, decision=dataclasses.replace(decision, plan="resection")))
    with pytest.raises(LockedError, match="amendment"):
        ws.member.save_review(rec.review_id, changed, rec.version, "plan typo")
    amended = ws.member.amend_review(rec.review_id, changed, rec.version,
                                     "plan was recorded wrongly")
    assert amended.version == 2 and amended.locked
    history = ws.chair.review_history(rec.review_id)
    assert [v.amendment for v in history] == [False, True]
    minutes = ws.chair.get_meeting(m.id)
    (amendment,) = minutes.amendments
    assert amendment.author == MEMBER.name and amendment.reason == "plan was recorded wrongly"
    assert amendment.patient_id == "P1"
    # the minutes say the change in the same words as the History tab (mdt.review_diff)
    assert "Decision: plan continue induction chemotherapy → resection" in amendment.summary
    assert "panel.decision" not in amendment.summary
    from mdt import review_diff

    assert amendment.summary == "; ".join(review_diff.change_lines(rec.review, changed))
    assert ws.chair.verify_audit().ok


def test_meeting_amendment_needs_signed_meeting_and_reason(ws: Workstation) -> None:  # noqa: F811
    m = _meeting(ws)
    with pytest.raises(ValidationError, match="not signed"):
        ws.coordinator.amend_meeting(m.id, "late arrival", "Dr X attended")
    ws.chair.sign_meeting(m.id, TEST_PASSWORD)
    with pytest.raises(ValidationError, match="reason"):
        ws.coordinator.amend_meeting(m.id, "", "Dr X attended")
    with pytest.raises(PermissionDenied):
        ws.member.amend_meeting(m.id, "late arrival", "Dr X attended")
    after = ws.coordinator.amend_meeting(m.id, "late arrival", "Dr X attended from 08:30")
    assert [a.summary for a in after.amendments] == ["Dr X attended from 08:30"]


def test_members_registry_is_edited_by_chair_or_coordinator(ws: Workstation) -> None:  # noqa: F811
    new = Member(name="Dr Onco", specialty="medical_oncologist", role="member")
    with pytest.raises(PermissionDenied):
        ws.member.add_member(new)
    added = ws.coordinator.add_member(new)
    assert added.id is not None
    with pytest.raises(ValidationError, match="already registered"):
        ws.chair.add_member(new)
    with pytest.raises(ValidationError) as err:
        ws.chair.add_member(Member(name="Bad", specialty="wizard", role="king"))
    assert {p.path for p in err.value.problems} == {"specialty", "role"}
    ws.chair.update_member(dataclasses.replace(added, active=False))
    assert new.name not in [m.name for m in ws.chair.list_members()]
    assert new.name in [m.name for m in ws.chair.list_members(include_inactive=True)]
    # a deactivated chair can no longer sign
    chair = next(m for m in ws.chair.list_members() if m.role == "chair")
    ws.coordinator.update_member(dataclasses.replace(chair, active=False))
    _meeting(ws)
    with pytest.raises(PermissionDenied):
        ws.chair.sign_meeting("LIV-2026-03-12", TEST_PASSWORD)
