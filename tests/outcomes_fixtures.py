"""Patient-level records built to match published statistics (for the outcomes tests)."""

from __future__ import annotations

from datetime import date, timedelta

from mdt.case import Case, FollowUp, Lesion, LocalTreatmentEvent, Patient, ProtocolRef, Review

ENROLLED = date(2024, 1, 8)


def trial_case(pid: str, protocol: str, arm: str, *, converted: bool = False, kind: str = "resection",
               death_day: int | None = None, alive_day: int | None = None) -> Case:
    """An enrolled patient with a baseline review; optionally a local treatment, a death or a
    last follow-up ``*_day`` days after enrolment."""
    baseline = Review(date=ENROLLED, cycle=0, lesions=(Lesion("L1", ("VII",), 40, target=True),))
    treatments = ()
    if converted:
        treatments = (LocalTreatmentEvent(ENROLLED + timedelta(days=90), kind, ("L1",),
                                          None if kind == "ablation" else "R0", "none", "none"),)
    fu = FollowUp(local_treatments=treatments,
                  death_date=None if death_day is None else ENROLLED + timedelta(days=death_day),
                  last_follow_up=None if alive_day is None else ENROLLED + timedelta(days=alive_day))
    return Case(Patient(pid), ProtocolRef(protocol, arm, ENROLLED), (baseline,), None, fu)


def two_by_two(protocol: str, ref: tuple[int, int], other: tuple[int, int]) -> list[Case]:
    """Arm A with ref = (converted, total), arm B with other = (converted, total)."""
    cases = []
    for arm, (k, n) in (("A", ref), ("B", other)):
        cases += [trial_case(f"{arm}-{i}", protocol, arm, converted=i < k, alive_day=200) for i in range(n)]
    return cases
