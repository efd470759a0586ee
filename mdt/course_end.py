"""The end of a patient's course, derived from what happened rather than typed in.

With a ``follow_up`` record the end (``treatment.outcome``) is the latest of these events, a
tie on one day going to the later stage of the course:

=====  ===================  ===========================================================
rank   end                  event
=====  ===================  ===========================================================
0      ``on_treatment``     a systemic treatment start or cycle
1      ``converted``        a panel decision *resectable* after an earlier decision of
                            convertible or permanently unresectable
2      ``resected``,        a local treatment (resection, or resection with ablation;
       ``ablated``          ablation alone)
3      ``palliative``       a panel decision with plan palliative or best supportive care
4      ``progressed``       a progression event
5      ``withdrawn``,       follow-up stopped (``follow_up.end``) at the last follow-up
       ``lost_to_follow_up``
6      ``died``             the death date (always the end)
=====  ===================  ===========================================================

Without a ``follow_up`` record, the end recorded in older files (``treatment.outcome``) stands
as recorded and is reported as such (:func:`course_end`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mdt.case import Case

PALLIATIVE_PLANS = ("palliative", "best_supportive_care")
UNRESECTABLE_RATINGS = ("convertible", "permanently_unresectable")


@dataclass(frozen=True, slots=True)
class CourseEnd:
    code: str
    """One of mdt.case.OUTCOMES."""
    date: date | None
    source: str
    """The case-format path of the event it comes from (or the recorded field)."""
    derived: bool = True
    """False for an end recorded in a file without follow-up events."""


def _events(case: Case) -> list[tuple[date, int, str, str]]:
    out: list[tuple[date, int, str, str]] = []
    t = case.treatment
    if t is not None:
        starts = [d for d in [t.start_date, *(c.date for c in t.cycles)] if d is not None]
        if starts:
            out.append((min(starts), 0, "on_treatment", "treatment.cycles"))
    seen_unresectable = False
    for i, review in enumerate(case.reviews):
        decision = review.panel.decision
        if decision is None:
            continue
        if decision.resectability == "resectable" and seen_unresectable:
            out.append((review.date, 1, "converted", f"reviews[{i}].panel.decision.resectability"))
        if decision.resectability in UNRESECTABLE_RATINGS:
            seen_unresectable = True
        if decision.plan in PALLIATIVE_PLANS:
            out.append((review.date, 3, "palliative", f"reviews[{i}].panel.decision.plan"))
    fu = case.follow_up
    if fu is not None:
        for k, lt in enumerate(fu.local_treatments):
            code = "ablated" if lt.kind == "ablation" else "resected"
            out.append((lt.date, 2, code, f"follow_up.local_treatments[{k}]"))
        for k, pr in enumerate(fu.progressions):
            out.append((pr.date, 4, "progressed", f"follow_up.progressions[{k}]"))
        if fu.end is not None and fu.last_follow_up is not None:
            out.append((fu.last_follow_up, 5, fu.end, "follow_up.end"))
        if fu.death_date is not None:
            out.append((fu.death_date, 6, "died", "follow_up.death_date"))
    return out


def derive_end(case: Case) -> CourseEnd | None:
    """The end the events give (None when nothing has happened yet)."""
    events = _events(case)
    if not events:
        return None
    died = [e for e in events if e[2] == "died"]
    when, _rank, code, source = died[0] if died else max(events, key=lambda e: (e[0], e[1]))
    return CourseEnd(code, when, source)


def course_end(case: Case) -> CourseEnd | None:
    """The end shown for a patient: derived from the events when the case has a follow-up
    record, else the end recorded in the file (flagged ``derived=False``)."""
    if case.follow_up is not None:
        return derive_end(case)
    t = case.treatment
    if t is not None and t.outcome is not None:
        return CourseEnd(t.outcome, t.outcome_date, "treatment.outcome", derived=False)
    return None


def last_known_alive(case: Case) -> date | None:
    """The latest date the record shows the patient alive: the last follow-up, review,
    cycle, local treatment or progression (a death date is not such a date)."""
    dates: list[date] = [r.date for r in case.reviews]
    t = case.treatment
    if t is not None:
        dates += [c.date for c in t.cycles]
        if t.start_date is not None:
            dates.append(t.start_date)
    fu = case.follow_up
    if fu is not None:
        dates += [lt.date for lt in fu.local_treatments]
        dates += [p.date for p in fu.progressions]
        if fu.last_follow_up is not None:
            dates.append(fu.last_follow_up)
    return max(dates, default=None)
