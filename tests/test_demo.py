"""The demo data is valid ``mdt-case/1`` data and tells the stories the board expects."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from mdt.case import Case
from mdt.caseformat import case_to_dict, dump_cases, load_cases, parse_case, review_problems
from mdt.demo import (
    DEMO_MEETING_DATE,
    NATIONAL_PANEL_SURGEONS,
    demo_cases,
    demo_meeting,
    demo_members,
)
from mdt.meeting import ROLES, SPECIALTIES

KNOWN_PROTOCOLS = {"NCT05103020", "CAIRO5", "SULTAN", "CLOCC", "NCT06988852", "AHPBA"}


@pytest.mark.parametrize("on", [None, date.today(), date(2031, 2, 28)])
def test_demo_cases_pass_the_case_format_parser(on: date | None) -> None:
    cases = demo_cases(on)
    for case in cases:
        assert parse_case(case_to_dict(case)) == case
        for review in case.reviews:
            assert review_problems(review, case.patient.birth_date) == []
    assert load_cases(dump_cases(cases)) == cases


def test_demo_is_deterministic_by_default() -> None:
    assert demo_cases() == demo_cases(DEMO_MEETING_DATE)
    assert demo_cases() == demo_cases()


def test_six_to_eight_patients_spread_over_protocols() -> None:
    cases = demo_cases()
    assert 6 <= len(cases) <= 8
    assert len({c.patient.id for c in cases}) == len(cases)
    protocols = Counter(c.protocol.id for c in cases)
    assert set(protocols) <= KNOWN_PROTOCOLS
    assert {"NCT05103020", "CAIRO5", "SULTAN"} <= set(protocols)
    assert protocols.most_common(1)[0][0] == "NCT05103020"
    assert any(any(ch in (c.patient.name or "") for ch in "ÀÈÉÍÖÜÅ-") for c in cases)
    assert "BOILÈVE^Hélène" in {c.patient.name for c in cases}
    assert "DUPONT-BIERRE^Jean" in {c.patient.name for c in cases}


def test_reviews_follow_cycles_from_baseline() -> None:
    for case in demo_cases():
        assert 1 <= len(case.reviews) <= 5
        first = case.reviews[0]
        assert first.reason == "baseline"
        # cycle 0 at baseline, except after a previous line (SULTAN enrols after induction)
        if first.clinical.prior_systemic_lines == 0:
            assert first.cycle == 0
        else:
            assert case.treatment is not None and first.cycle == sum(
                1 for c in case.treatment.cycles if c.date < first.date)
        for before, after in zip(case.reviews, case.reviews[1:], strict=False):
            assert after.date - before.date == timedelta(weeks=8)
            assert after.cycle is not None and before.cycle is not None
            assert after.cycle >= before.cycle
        for review in case.reviews:
            assert review.lesions and review.labs.anc is not None and review.ecog is not None
            assert review.imaging is not None and review.imaging.study_uid


def test_treatment_course_matches_review_cycles() -> None:
    for case in demo_cases():
        if case.treatment is None:
            continue
        cycles = case.treatment.cycles
        assert [c.number for c in cycles] == list(range(1, len(cycles) + 1))
        for review in case.reviews:
            given = sum(1 for c in cycles if c.date < review.date)
            assert given == review.cycle, (case.patient.id, review.date)


def test_one_converted_and_one_permanently_unresectable() -> None:
    cases = {c.patient.name: c for c in demo_cases()}
    converted = [c for c in cases.values() if c.treatment and c.treatment.outcome == "converted"]
    assert len(converted) == 1
    last = converted[0].reviews[-1].panel.decision
    assert last is not None and last.plan == "resection" and last.resectability == "resectable"
    lost = [c for c in cases.values()
            if (d := c.reviews[-1].panel.decision) is not None
            and d.resectability == "permanently_unresectable"]
    assert len(lost) == 1 and lost[0].reviews[-1].panel.decision.plan == "palliative"  # type: ignore[union-attr]
    assert len(lost[0].reviews[-1].lesions) >= 10


def test_cairo5_patient_has_a_two_round_surgeon_vote() -> None:
    (case,) = [c for c in demo_cases() if c.protocol.id == "CAIRO5"]
    votes = case.reviews[0].panel.votes
    assert [v.round for v in votes] == [1, 1, 1, 2, 2]
    assert {v.role for v in votes} == {"surgeon"}
    assert case.reviews[-1].remnant is not None and case.reviews[-1].remnant.pve is not None


def test_members_cover_the_board() -> None:
    members = demo_members()
    specialties = Counter(m.specialty for m in members)
    assert specialties["hepatobiliary_surgeon"] >= 2
    for needed in ("coordinator", "diagnostic_radiologist", "interventional_radiologist",
                   "medical_oncologist"):
        assert specialties[needed] >= 1
    assert all(m.specialty in SPECIALTIES and m.role in ROLES for m in members)
    chairs = [m for m in members if m.role == "chair"]
    assert len(chairs) == 1 and chairs[0].specialty == "hepatobiliary_surgeon"
    assert [m.role for m in members].count("coordinator") == 1


def test_every_vote_is_cast_by_a_known_panellist() -> None:
    names = {m.name for m in demo_members()} | set(NATIONAL_PANEL_SURGEONS)
    for case in demo_cases():
        for review in case.reviews:
            for vote in review.panel.votes:
                assert vote.member in names


def _agenda_cases(cases: list[Case], on: date) -> set[str]:
    return {c.patient.id for c in cases if any(r.date == on for r in c.reviews)}


def test_meeting_lists_the_patients_reviewed_that_day() -> None:
    cases = demo_cases()
    meeting = demo_meeting()
    assert meeting.date == DEMO_MEETING_DATE and not meeting.signed
    ids = [item.patient_id for item in meeting.agenda]
    assert set(ids) == _agenda_cases(cases, DEMO_MEETING_DATE) and len(ids) >= 3
    assert [item.position for item in meeting.agenda] == list(range(len(ids)))
    assert {m.name for m in meeting.attendees} == {m.name for m in demo_members()}
    assert meeting.chair in {m.name for m in meeting.attendees}
    # the agenda reviews are still to be voted at the meeting
    by_id = {c.patient.id: c for c in cases}
    for item in meeting.agenda:
        review = next(r for r in by_id[item.patient_id].reviews if r.date == item.review_date)
        assert review.panel.votes == () and review.panel.decision is None


def test_meeting_around_another_day() -> None:
    on = date(2027, 3, 4)
    meeting = demo_meeting(on)
    assert meeting.id == "LIV-2027-03-04"
    assert {i.patient_id for i in meeting.agenda} == _agenda_cases(demo_cases(on), on)


def test_every_demo_decision_names_a_shipped_protocol_version() -> None:
    # A decision under a version this installation does not ship is printed with a warning in
    # signed minutes: the demo must not record one (the protocol files are at version 2).
    from mdt.demo import DEMO_MEETING_DATE
    from mdt.demo_followup import followed_cases
    from mdt.protocols import protocol_versions

    for case in demo_cases() + followed_cases(DEMO_MEETING_DATE):
        for r in case.reviews:
            d = r.panel.decision
            if d is not None and d.protocol_version is not None:
                assert d.protocol_version in protocol_versions(d.protocol or ""), (
                    case.patient.id, d.protocol, d.protocol_version)
