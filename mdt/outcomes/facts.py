"""One patient's facts for the outcome analysis, derived once from the case.

Everything the endpoint table and the figures need, as plain values: times in days from the
patient's time origin, events as booleans, the best overall response, the complications and
the panel's independent ratings.  The statistics never read a case again, so a change of
filter (protocol, arm, period) costs only the statistics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from mdt.case import CLAVIEN_DINDO, Case, ProgressionEvent
from mdt.course_end import CourseEnd, course_end, last_known_alive
from mdt.outcomes.settings import OutcomeSettings, settings_for
from mdt.panel import aggregate


@dataclass(frozen=True, slots=True)
class TimeToEvent:
    days: int
    event: bool


@dataclass(frozen=True, slots=True)
class Rating:
    """One review with several independent first-round ratings (panel agreement)."""
    review_date: date
    ratings: tuple[str, ...]
    second_round: bool
    chair: bool


@dataclass(frozen=True, slots=True)
class CourseMark:
    """A dated mark on the swimmer lane: a review (its decision), cycle, local treatment,
    progression, death or the last follow-up."""
    day: int
    kind: str
    """review, cycle, local_treatment, progression, death, last_follow_up"""
    label: str


@dataclass(frozen=True, slots=True)
class PatientFacts:
    patient_id: str
    name: str | None
    protocol_id: str | None
    arm: str | None
    origin: date | None
    origin_source: str | None
    """``enrolment_date``, ``first_review`` or None (no date at all)."""
    converted: bool
    conversion_day: int | None
    conversion_from_recorded_end: bool
    """Counted from an end recorded in an older file (no local treatment event)."""
    complete_local: bool | None
    complete_reason: str
    best_response: str
    response_reason: str | None
    """Why the best response is NE (not evaluable)."""
    best_change_pct: float | None
    """Deepest change of the target sum from baseline (negative = shrinkage)."""
    pfs: TimeToEvent | None
    hepatic_pfs: TimeToEvent | None
    os: TimeToEvent | None
    follow_up_days: int | None
    operated: bool
    cd30: str | None
    cd90: str | None
    ratings: tuple[Rating, ...]
    marks: tuple[CourseMark, ...]
    end: CourseEnd | None


def _days(origin: date, when: date) -> int:
    return (when - origin).days


def _worst(grades: Iterable[str | None]) -> str | None:
    known = [g for g in grades if g is not None]
    return max(known, key=CLAVIEN_DINDO.index) if known else None


def _time(origin: date | None, event_day: date | None, censor_day: date | None) -> TimeToEvent | None:
    if origin is None:
        return None
    if event_day is not None:
        return TimeToEvent(max(0, _days(origin, event_day)), True)
    if censor_day is None:
        return None
    return TimeToEvent(max(0, _days(origin, censor_day)), False)


def _hepatic_event(progressions: Sequence[ProgressionEvent], first_prog: date | None,
                   death: date | None, censor: date | None,
                   settings: OutcomeSettings) -> tuple[date | None, date | None]:
    """(event day, censoring day) of hepatic PFS under the protocol's two readings."""
    if settings.hepatic_pfs_extrahepatic == "event":
        first_hep = first_prog
    else:
        first_hep = next((p.date for p in progressions if p.site != "extrahepatic"), None)
    died = death if settings.hepatic_pfs_death else None
    if death is not None and died is None:
        censor = death  # followed until death, which this reading does not count
    event = min([d for d in (first_hep, died) if d is not None], default=None)
    if settings.hepatic_pfs_extrahepatic == "censored":
        first_extra = next((p.date for p in progressions if p.site == "extrahepatic"), None)
        if first_extra is not None and (event is None or first_extra < event):
            return None, first_extra
    return event, censor


def _complete(case: Case, counted: Sequence) -> tuple[bool | None, str]:
    """Complete local treatment: R0/R1 resection or ablation of every lesion present at the
    last review before the first local treatment (PUMP-IT's definition)."""
    if not counted:
        return False, "no local treatment"
    first = counted[0].date
    before = [r for r in case.reviews if r.date <= first]
    if not before:
        return None, "no review before the local treatment"
    present = {les.id for les in before[-1].lesions if les.status == "present"}
    treated = {lid for t in counted for lid in t.lesions}
    if any(t.margin == "R2" for t in counted):
        return False, "R2 resection"
    if not present <= treated:
        missing = sorted(present - treated)
        if not treated:
            return None, "treated lesions not recorded"
        return False, "lesions left untreated: " + ", ".join(missing)
    if any(t.kind != "ablation" and t.margin is None for t in counted):
        return None, "resection margin not recorded"
    return True, "every lesion treated, R0/R1"


def patient_facts(case: Case, settings: OutcomeSettings | None = None,
                  aggregation: dict | None = None) -> PatientFacts:
    """The facts of one patient under its protocol's outcome settings (given, or looked up)."""
    from mdt.recist import assess, best_overall_response

    if settings is None or aggregation is None:
        settings, aggregation, _note = settings_for(case.protocol.id)
    reviews = case.reviews
    origin, origin_source = None, None
    if settings.origin == "enrolment_date" and case.protocol.enrolment_date is not None:
        origin, origin_source = case.protocol.enrolment_date, "enrolment_date"
    elif reviews:
        origin, origin_source = reviews[0].date, "first_review"
    fu = case.follow_up
    end = course_end(case)

    # Conversion: local treatment events of the kinds the protocol counts.
    events = fu.local_treatments if fu is not None else ()
    counted = [t for t in events if t.kind in settings.conversion_counts]
    from_recorded = False
    conversion_date = counted[0].date if counted else None
    if fu is None and end is not None and end.code == "resected" and "resection" in settings.conversion_counts:
        from_recorded, conversion_date = True, end.date
    converted = bool(counted) or from_recorded
    if from_recorded:
        complete, complete_reason = None, "recorded end only (no local treatment event)"
    else:
        complete, complete_reason = _complete(case, counted)

    # Best overall response (RECIST 1.1) with the protocol's confirmation rule.
    # The protocol's target-lesion limit; an unknown protocol: RECIST's default (one place).
    from mdt.cohort import protocol_settings

    limit = protocol_settings(case.protocol.id)[0]
    reason: str | None = None
    best_change: float | None = None
    if len(reviews) < 2:
        bor, reason = "NE", "no follow-up review"
    elif not reviews[0].lesions:
        bor, reason = "NE", "no lesion recorded at baseline"
    else:
        bor = best_overall_response(reviews, limit, min_sd_days=settings.sd_min_days,
                                    confirm_days=settings.confirmation_days)
        if bor == "NE":
            reason = "no evaluable follow-up assessment"
        last = assess(reviews, len(reviews) - 1, limit)
        if last.depth_of_response_pct is not None:
            best_change = -last.depth_of_response_pct

    # Survival: events from the follow-up record (or an older file's recorded end).
    alive = last_known_alive(case)
    death = fu.death_date if fu is not None else None
    progressions = list(fu.progressions) if fu is not None else []
    first_prog = progressions[0].date if progressions else None
    if fu is None and end is not None and not end.derived and end.date is not None:
        if end.code == "died":
            death = end.date
        elif end.code == "progressed":
            first_prog = end.date
    censor = alive if alive is not None and origin is not None and alive > origin else None
    pfs_day = min([d for d in (first_prog, death) if d is not None], default=None)
    hepatic = _time(origin, *_hepatic_event(progressions, first_prog, death, censor, settings))
    pfs = _time(origin, pfs_day, censor)
    os = _time(origin, death, censor)
    follow_days = None
    if origin is not None:
        last_day = max([d for d in (alive, death) if d is not None], default=None)
        follow_days = _days(origin, last_day) if last_day is not None else None

    # Panel agreement: every review with several independent first-round ratings.
    ratings: list[Rating] = []
    for review in reviews:
        votes = review.panel.votes
        if len(votes) < 2:
            continue
        try:
            agg = aggregate(votes, aggregation)
        except ValueError:
            continue
        voted = [v for v in votes if v.member in agg.voters]
        # CAIRO5: agreement is that of the three independent first-round ratings.
        first = (tuple(v.rating for v in voted if v.round == 1) if agg.kind == "cairo5"
                 else tuple(r for _m, r in agg.ballots))
        if len(first) >= 2:
            ratings.append(Rating(review.date, first, agg.second_round, agg.chair_involved))

    marks: list[CourseMark] = []
    if origin is not None:
        for review in reviews:
            d = review.panel.decision
            marks.append(CourseMark(_days(origin, review.date), "review",
                                    (d.resectability or "no decision") if d else "no decision"))
        if case.treatment is not None:
            marks += [CourseMark(_days(origin, c.date), "cycle", f"cycle {c.number}")
                      for c in case.treatment.cycles]
        marks += [CourseMark(_days(origin, t.date), "local_treatment", t.kind) for t in events]
        marks += [CourseMark(_days(origin, p.date), "progression", p.site) for p in progressions]
        if death is not None:
            marks.append(CourseMark(_days(origin, death), "death", "death"))
        elif fu is not None and fu.last_follow_up is not None:
            marks.append(CourseMark(_days(origin, fu.last_follow_up), "last_follow_up",
                                    fu.end or "alive"))
    return PatientFacts(
        patient_id=case.patient.id, name=case.patient.name, protocol_id=case.protocol.id,
        arm=case.protocol.arm, origin=origin, origin_source=origin_source,
        converted=converted,
        conversion_day=_days(origin, conversion_date) if origin and conversion_date else None,
        conversion_from_recorded_end=from_recorded, complete_local=complete,
        complete_reason=complete_reason, best_response=bor, response_reason=reason,
        best_change_pct=best_change, pfs=pfs, hepatic_pfs=hepatic, os=os,
        follow_up_days=follow_days, operated=bool(events),
        cd30=_worst(t.clavien_dindo_30d for t in events),
        cd90=_worst(t.clavien_dindo_90d for t in events),
        ratings=tuple(ratings), marks=tuple(sorted(marks, key=lambda m: m.day)), end=end)


def cohort_facts(cases: Iterable[Case]) -> tuple[list[PatientFacts], list[str]]:
    """Facts of every case under its own protocol's settings, with notes about fallbacks."""
    cache: dict[str | None, tuple] = {}
    out: list[PatientFacts] = []
    notes: list[str] = []
    for case in cases:
        pid = case.protocol.id
        if pid not in cache:
            cache[pid] = settings_for(pid)
            if cache[pid][2] and pid is not None:
                notes.append(f"{pid}: {cache[pid][2]}")
        settings, aggregation, _ = cache[pid]
        out.append(patient_facts(case, settings, aggregation))
    return out, notes
