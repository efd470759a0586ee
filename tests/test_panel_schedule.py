"""Quorum check, the cycle of a review, the proposed next review and overdue flags."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdt.case import CycleGiven, Treatment
from mdt.meeting import Member
from mdt.panel import (
    CourseStatus,
    check_quorum,
    course_status,
    cycle_on,
    is_overdue,
    plan_next_review,
    propose_next_review,
)

SURGEON = Member("Dr Surgeon", "hepatobiliary_surgeon")
SURGEON2 = Member("Dr Second", "hepatobiliary_surgeon")
RADIOLOGIST = Member("Dr Rad", "diagnostic_radiologist")
ONCOLOGIST = Member("Dr Onc", "medical_oncologist")
IR = Member("Dr IR", "interventional_radiologist")
COORDINATOR = Member("Ms Coord", "coordinator", role="coordinator")
NURSE = Member("Mr Nurse", "nurse_specialist")

QUORUM = [
    # id, attendees, rule, ok, reason fragment
    ("surgeon, radiologist, oncologist", [SURGEON, RADIOLOGIST, ONCOLOGIST], {}, True,
     "Quorum: 3 specialties (HPB surgeon, Diagnostic radiologist, Medical oncologist), "
     "including HPB surgeon"),
    ("no surgeon", [RADIOLOGIST, ONCOLOGIST, IR], {}, False, "no HPB surgeon present"),
    ("two specialties", [SURGEON, SURGEON2, ONCOLOGIST], {}, False,
     "2 of the 3 specialties needed (HPB surgeon, Medical oncologist)"),
    ("coordinator and nurse do not count", [SURGEON, ONCOLOGIST, COORDINATOR, NURSE], {}, False,
     "2 of the 3 specialties needed"),
    ("nobody", [], {}, False, "0 of the 3 specialties needed (none); no HPB surgeon present"),
    ("protocol rule: 4 specialties", [SURGEON, RADIOLOGIST, ONCOLOGIST], {"min_specialties": 4},
     False, "3 of the 4 specialties needed"),
    ("protocol rule: radiologist required", [SURGEON, ONCOLOGIST, IR],
     {"required": ["hepatobiliary_surgeon", "diagnostic_radiologist"]}, False,
     "no Diagnostic radiologist present"),
    ("protocol rule: minimum members", [SURGEON, RADIOLOGIST, ONCOLOGIST], {"min_members": 4},
     False, "3 of the 4 members needed"),
    ("CAIRO5 file: a radiologist of either kind", [SURGEON, IR],
     {"min_specialties": 2, "required": ["hepatobiliary_surgeon", "radiologist"]}, True,
     "Quorum: 2 specialties (HPB surgeon, Interventional radiologist), including HPB surgeon, "
     "Radiologist"),
    ("CAIRO5 file: no radiologist", [SURGEON, ONCOLOGIST],
     {"min_specialties": 2, "required": ["hepatobiliary_surgeon", "radiologist"]}, False,
     "No quorum: no Radiologist present"),
    ("protocol rule: nothing required", [RADIOLOGIST, ONCOLOGIST, IR], {"required": []}, True,
     "Quorum: 3 specialties"),
]


@pytest.mark.parametrize(("attendees", "rule", "ok", "reason"), [q[1:] for q in QUORUM],
                         ids=[q[0] for q in QUORUM])
def test_quorum(attendees: list[Member], rule: dict, ok: bool, reason: str) -> None:
    quorum = check_quorum(attendees, rule)
    assert quorum.ok is ok
    assert reason in quorum.reason
    assert quorum.reason.startswith("Quorum" if ok else "No quorum")


def test_quorum_lists_specialties_once() -> None:
    quorum = check_quorum([SURGEON, SURGEON2, RADIOLOGIST, ONCOLOGIST])
    assert quorum.specialties == ("hepatobiliary_surgeon", "diagnostic_radiologist",
                                  "medical_oncologist")
    assert quorum.missing_required == ()


def _course(start: date, n: int, every_days: int = 14, delays: dict[int, int] | None = None
            ) -> Treatment:
    cycles, day = [], start
    for number in range(1, n + 1):
        day += timedelta(days=(delays or {}).get(number, 0))
        cycles.append(CycleGiven(number, day))
        day += timedelta(days=every_days)
    return Treatment("mFOLFIRI + HAI oxaliplatin", start, tuple(cycles))


C1 = date(2026, 1, 12)


@pytest.mark.parametrize(("treatment", "on", "cycle"), [
    (_course(C1, 6), C1 - timedelta(days=3), 0),          # baseline before cycle 1
    (_course(C1, 6), C1, 1),                              # the day cycle 1 is given
    (_course(C1, 6), C1 + timedelta(days=13), 1),
    (_course(C1, 6), C1 + timedelta(days=55), 4),         # week 8, before cycle 5
    (_course(C1, 6), C1 + timedelta(days=56), 5),         # cycle 5 given that day counts
    (_course(C1, 6), C1 + timedelta(days=400), 6),
    (Treatment("FOLFIRI"), C1, None),                     # no cycles recorded: unknown
    (None, C1, None),
])
def test_cycle_on(treatment: Treatment | None, on: date, cycle: int | None) -> None:
    assert cycle_on(treatment, on) == cycle


SCHEDULE = [
    # id, review date, interval, treatment, expected next review
    ("8 weeks with no course", date(2026, 1, 8), {"weeks": 8, "cycles": 4}, None, date(2026, 3, 5)),
    ("8 weeks when the 4th next cycle is not given yet", date(2026, 1, 8),
     {"weeks": 8, "cycles": 4}, _course(C1, 2), date(2026, 3, 5)),
    ("after cycle 4 given on time: 2 weeks after C4", date(2026, 1, 8),
     {"weeks": 8, "cycles": 4}, _course(C1, 4), C1 + timedelta(days=42 + 14)),
    ("a one-week delay before C3 moves the review", date(2026, 1, 8),
     {"weeks": 8, "cycles": 4}, _course(C1, 5, delays={3: 7}), C1 + timedelta(days=49 + 14)),
    ("review at cycle 4 waits for cycle 8", C1 + timedelta(days=55),
     {"weeks": 8, "cycles": 4}, _course(C1, 8), C1 + timedelta(days=98 + 14)),
    ("cycles only, extrapolated from the course", date(2026, 1, 8), {"cycles": 4},
     _course(C1, 2, every_days=21), date(2026, 1, 8) + timedelta(days=84)),
    ("cycles only, no course: 2-weekly default", date(2026, 1, 8), {"cycles": 4}, None,
     date(2026, 3, 5)),
    ("CAIRO5 every 8 weeks", date(2026, 2, 2), {"weeks": 8}, _course(C1, 12), date(2026, 3, 30)),
]


@pytest.mark.parametrize(("review_date", "interval", "treatment", "expected"),
                         [s[1:] for s in SCHEDULE], ids=[s[0] for s in SCHEDULE])
def test_propose_next_review(review_date: date, interval: dict, treatment: Treatment | None,
                             expected: date) -> None:
    assert propose_next_review(review_date, interval, treatment) == expected


def test_next_review_explains_its_basis() -> None:
    plan = plan_next_review(date(2026, 1, 8), {"weeks": 8, "cycles": 4}, _course(C1, 4))
    assert "after cycle 4" in plan.basis and "14-day cycle" in plan.basis
    assert "8 weeks" in plan_next_review(date(2026, 1, 8), {"weeks": 8}, None).basis


def test_interval_without_weeks_or_cycles_is_an_error() -> None:
    with pytest.raises(ValueError, match="weeks"):
        propose_next_review(date(2026, 1, 8), {}, None)


@pytest.mark.parametrize(("next_review", "today", "overdue"), [
    (date(2026, 3, 5), date(2026, 3, 4), False),
    (date(2026, 3, 5), date(2026, 3, 5), False),   # due today is not overdue yet
    (date(2026, 3, 5), date(2026, 3, 6), True),
    (None, date(2026, 3, 6), False),
])
def test_is_overdue(next_review: date | None, today: date, overdue: bool) -> None:
    assert is_overdue(next_review, today) is overdue


def test_course_status_up_to_a_date() -> None:
    course = _course(C1, 6)
    cycles = list(course.cycles)
    cycles[1] = CycleGiven(2, cycles[1].date, dose_reduction_pct=20, toxicity_grade=2)
    cycles[4] = CycleGiven(5, cycles[4].date, dose_reduction_pct=25, toxicity_grade=3)
    course = Treatment(course.regimen, course.start_date, tuple(cycles))
    status = course_status(course, C1 + timedelta(days=50))
    assert (status.cycles_given, status.last_cycle_date) == (4, C1 + timedelta(days=42))
    assert (status.dose_reduced_cycles, status.worst_toxicity_grade) == ((2,), 2)
    assert status.cycle_days == 14
    later = course_status(course, C1 + timedelta(days=100))
    assert (later.dose_reduced_cycles, later.worst_toxicity_grade) == ((2, 5), 3)


def test_course_status_without_cycles() -> None:
    assert course_status(None, C1) == CourseStatus(None, None)
    assert course_status(Treatment("FOLFIRI"), C1).cycles_given is None
    assert course_status(_course(C1, 3), C1 - timedelta(days=1)).cycles_given == 0


def test_inconsistent_cycle_dates_fall_back_to_weeks() -> None:
    # Cycle 5 recorded before cycle 4's date: it cannot time a review after cycle 1.
    treatment = Treatment("X", C1, (CycleGiven(1, C1), CycleGiven(5, C1 + timedelta(days=3))))
    review = C1 + timedelta(days=7)
    assert propose_next_review(review, {"weeks": 8, "cycles": 4}, treatment) == review + timedelta(weeks=8)


@pytest.mark.parametrize("interval", [{"weeks": 0}, {"weeks": -8}, {"cycles": 2.5}, {"weeks": True},
                                      {"weeks": "8"}])
def test_bad_interval_values_are_errors(interval: dict) -> None:
    with pytest.raises(ValueError, match="positive whole number"):
        propose_next_review(date(2026, 1, 8), interval, None)


@given(start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
       gaps=st.lists(st.integers(7, 35), min_size=0, max_size=14),
       offset=st.integers(-30, 300),
       weeks=st.one_of(st.none(), st.integers(1, 16)),
       cycles=st.one_of(st.none(), st.integers(1, 6)))
def test_next_review_is_always_after_the_review(start: date, gaps: list[int], offset: int,
                                                weeks: int | None, cycles: int | None) -> None:
    interval = {k: v for k, v in (("weeks", weeks), ("cycles", cycles)) if v is not None}
    if not interval:
        interval = {"weeks": 8}
    dates = [start]
    for gap in gaps:
        dates.append(dates[-1] + timedelta(days=gap))
    treatment = Treatment("X", start, tuple(CycleGiven(i + 1, d) for i, d in enumerate(dates)))
    review = start + timedelta(days=offset)
    plan = plan_next_review(review, interval, treatment)
    assert plan.date > review
    assert plan.basis
    done = cycle_on(treatment, review)
    assert done is not None and 0 <= done <= len(dates)
