"""The ``follow_up`` extension of ``mdt-case/1``: local treatments, progressions, last
follow-up and death (``docs/case-format.md``, "Follow-up").

Parsed with the case parser's own helpers, so every problem is named by its JSON path like
the rest of the format, and cross-checked against the reviews and the treatment course:
treated lesions must have been seen in a review, nothing happens after death, a Clavien-Dindo
grade V needs the death it stands for, and an end recorded in ``treatment.outcome`` must be
the one the events give (``mdt.course_end``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from mdt.case import (
    CLAVIEN_DINDO,
    FOLLOW_UP_ENDS,
    LOCAL_TREATMENT_KINDS,
    MARGINS,
    PROGRESSION_SITES,
    Case,
    FollowUp,
    LocalTreatmentEvent,
    Patient,
    ProgressionEvent,
    ProtocolRef,
    Review,
    Treatment,
)
from mdt.course_end import derive_end

FOLLOW_UP_KEYS = ("local_treatments", "progressions", "last_follow_up", "death_date", "end")
LOCAL_TREATMENT_KEYS = ("date", "kind", "lesions", "margin", "clavien_dindo_30d",
                        "clavien_dindo_90d", "note")
PROGRESSION_KEYS = ("date", "site", "note")
GRADE_V_WINDOWS = {"clavien_dindo_30d": 30, "clavien_dindo_90d": 90}


def _key(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def parse_follow_up(parser: Any, value: object, path: str, birth: date | None,
                    reviews: list[tuple[int, Review]], treatment: Treatment | None,
                    case_path: str, cross_check: bool = True) -> FollowUp | None:
    """``follow_up`` of a case (None when absent or null); problems go to ``parser``."""
    d = parser.obj(value, path, FOLLOW_UP_KEYS, nullable=True)
    if d is None:
        return None
    lpath = _key(path, "local_treatments")
    treatments = parser.each(d.get("local_treatments"), lpath, _local_treatment(parser))
    ppath = _key(path, "progressions")
    progressions = parser.each(d.get("progressions"), ppath, _progression(parser))
    last = parser.day(d, "last_follow_up", path)
    death = parser.day(d, "death_date", path)
    end = parser.choice(d, "end", path, FOLLOW_UP_ENDS)
    fu = FollowUp(local_treatments=tuple(t for _, t in treatments),
                  progressions=tuple(p for _, p in progressions),
                  last_follow_up=last, death_date=death, end=end)

    dated: list[tuple[str, date]] = [(_index(lpath, i), t.date) for i, t in treatments]
    dated += [(_index(ppath, i), p.date) for i, p in progressions]
    if last is not None:
        dated.append((_key(path, "last_follow_up"), last))
    if death is not None:
        dated.append((_key(path, "death_date"), death))
    for p, when in dated:
        if birth is not None and when < birth:
            parser.fail(p if p.endswith("_date") or p.endswith("last_follow_up") else _key(p, "date"),
                        f"must not be before the birth date ({birth.isoformat()})")
    _in_order(parser, lpath, [(i, t.date) for i, t in treatments], "local treatments")
    _in_order(parser, ppath, [(i, p.date) for i, p in progressions], "progressions")
    if end is not None and last is None:
        parser.fail(_key(path, "end"), "needs follow_up.last_follow_up (the date follow-up stopped)")
    # Checks against the reviews only when they all read: one mistake is reported once.
    rpath = _key(case_path, "reviews")
    reviews_ok = not any(p.path == rpath or p.path.startswith(rpath + "[") or p.path.startswith(rpath + ".")
                         for p in parser.problems)
    if not reviews_ok or not cross_check:
        return fu
    if death is not None:
        _nothing_after_death(parser, path, death, dated, reviews, treatment, case_path)
    for i, t in treatments:
        _check_treated_lesions(parser, _index(lpath, i), t, reviews)
        for field, days in GRADE_V_WINDOWS.items():
            if getattr(t, field) == "V" and (death is None or death > t.date + timedelta(days=days)):
                parser.fail(_key(_index(lpath, i), field),
                            f"grade V is death within {days} days: record follow_up.death_date "
                            f"(by {(t.date + timedelta(days=days)).isoformat()})")
    _check_recorded_end(parser, fu, reviews, treatment, case_path)
    return fu


def _local_treatment(parser: Any) -> Callable[[object, str], LocalTreatmentEvent | None]:
    def parse(value: object, path: str) -> LocalTreatmentEvent | None:
        d = parser.obj(value, path, LOCAL_TREATMENT_KEYS)
        if d is None:
            return None
        when = parser.day(d, "date", path, required=True)
        kind = parser.choice(d, "kind", path, LOCAL_TREATMENT_KINDS, required=True)
        lesions: list[str] = []
        lp = _key(path, "lesions")
        for i, lid in enumerate(parser.items(d.get("lesions"), lp)):
            if not isinstance(lid, str) or not lid.strip():
                parser.fail(_index(lp, i), "must be a lesion id (a non-empty string)")
            elif lid in lesions:
                parser.fail(_index(lp, i), f"lesion {lid} is listed twice")
            else:
                lesions.append(lid)
        margin = parser.choice(d, "margin", path, MARGINS)
        if margin is not None and kind == "ablation":
            parser.fail(_key(path, "margin"), "an ablation alone has no resection margin (R0/R1/R2)")
        cd30 = parser.choice(d, "clavien_dindo_30d", path, CLAVIEN_DINDO)
        cd90 = parser.choice(d, "clavien_dindo_90d", path, CLAVIEN_DINDO)
        if cd30 is not None and cd90 is not None and \
                CLAVIEN_DINDO.index(cd90) < CLAVIEN_DINDO.index(cd30):
            parser.fail(_key(path, "clavien_dindo_90d"),
                        f"must not be milder than the 30-day grade ({cd30}): 90 days include the first 30")
        note = parser.string(d, "note", path)
        if when is None or kind is None:
            return None
        return LocalTreatmentEvent(date=when, kind=kind, lesions=tuple(lesions), margin=margin,
                                   clavien_dindo_30d=cd30, clavien_dindo_90d=cd90, note=note)
    return parse


def _progression(parser: Any) -> Callable[[object, str], ProgressionEvent | None]:
    def parse(value: object, path: str) -> ProgressionEvent | None:
        d = parser.obj(value, path, PROGRESSION_KEYS)
        if d is None:
            return None
        when = parser.day(d, "date", path, required=True)
        site = parser.choice(d, "site", path, PROGRESSION_SITES, required=True)
        note = parser.string(d, "note", path)
        if when is None or site is None:
            return None
        return ProgressionEvent(date=when, site=site, note=note)
    return parse


def _in_order(parser: Any, path: str, items: list[tuple[int, date]], what: str) -> None:
    prev: date | None = None
    for i, when in items:
        if prev is not None and when < prev:
            parser.fail(_key(_index(path, i), "date"),
                        f"{what} must be in date order (after {prev.isoformat()})")
        prev = when


def _nothing_after_death(parser: Any, path: str, death: date, dated: list[tuple[str, date]],
                         reviews: list[tuple[int, Review]], treatment: Treatment | None,
                         case_path: str) -> None:
    dp = _key(path, "death_date")
    for p, when in dated:
        if p != dp and when > death:
            parser.fail(dp, f"is before {p} ({when.isoformat()}): nothing is recorded after death")
    for i, review in reviews:
        if review.date > death:
            parser.fail(dp, f"is before reviews[{i}] ({review.date.isoformat()}): no review after death")
    if treatment is not None:
        for k, c in enumerate(treatment.cycles):
            if c.date > death:
                parser.fail(dp, f"is before {_key(case_path, 'treatment')}.cycles[{k}] "
                                f"({c.date.isoformat()}): no cycle after death")


def _check_treated_lesions(parser: Any, path: str, event: LocalTreatmentEvent,
                           reviews: list[tuple[int, Review]]) -> None:
    seen = {les.id for _, r in reviews if r.date <= event.date for les in r.lesions}
    for j, lid in enumerate(event.lesions):
        if lid not in seen:
            parser.fail(_index(_key(path, "lesions"), j),
                        f"lesion {lid} is in no review on or before {event.date.isoformat()}")


def _check_recorded_end(parser: Any, fu: FollowUp, reviews: list[tuple[int, Review]],
                        treatment: Treatment | None, case_path: str) -> None:
    """An end still recorded in ``treatment.outcome`` must be the one the events give."""
    if treatment is None or treatment.outcome is None:
        return
    tprefix = _key(case_path, "treatment")
    if any(p.path.startswith(tprefix + ".") for p in parser.problems):
        return  # the treatment's own problems come first: one mistake is reported once
    case = Case(patient=Patient(id="-"), protocol=ProtocolRef(),
                reviews=tuple(r for _, r in reviews), treatment=treatment, follow_up=fu)
    end = derive_end(case)
    tpath = _key(case_path, "treatment")
    if end is None or end.code != treatment.outcome:
        given = "no end" if end is None else f"{end.code!r} ({end.source})"
        parser.fail(f"{tpath}.outcome",
                    f"{treatment.outcome!r} disagrees with the follow-up events, which give {given}; "
                    f"the end follows from the events: remove treatment.outcome or correct the events")
    elif treatment.outcome_date is not None and end.date != treatment.outcome_date:
        parser.fail(f"{tpath}.outcome_date",
                    f"{treatment.outcome_date.isoformat()} disagrees with the date of {end.source} "
                    f"({end.date.isoformat() if end.date else 'no date'})")


def follow_up_to_dict(fu: FollowUp) -> dict[str, Any]:
    """The canonical ``follow_up`` object (every field written, null when not recorded)."""
    return {
        "local_treatments": [
            {"date": t.date.isoformat(), "kind": t.kind, "lesions": list(t.lesions),
             "margin": t.margin, "clavien_dindo_30d": t.clavien_dindo_30d,
             "clavien_dindo_90d": t.clavien_dindo_90d, "note": t.note}
            for t in fu.local_treatments],
        "progressions": [{"date": p.date.isoformat(), "site": p.site, "note": p.note}
                         for p in fu.progressions],
        "last_follow_up": fu.last_follow_up.isoformat() if fu.last_follow_up else None,
        "death_date": fu.death_date.isoformat() if fu.death_date else None,
        "end": fu.end,
    }


def with_derived_end(case: Case) -> Case:
    """The case with ``treatment.outcome`` and ``outcome_date`` set to the end its follow-up
    events give (unchanged without a follow-up record), so the two can never disagree."""
    if case.follow_up is None:
        return case
    end = derive_end(case)
    code, when = (end.code, end.date) if end is not None else (None, None)
    t = case.treatment
    if t is None:
        if code is None:
            return case
        t = Treatment()
    if (t.outcome, t.outcome_date) == (code, when):
        return case
    return replace(case, treatment=replace(t, outcome=code, outcome_date=when))


_WORDS = {
    "local_treatments": "Local treatment", "progressions": "Progression", "last_follow_up": "Last follow-up",
    "death_date": "Date of death", "end": "End of follow-up", "date": "date", "kind": "kind",
    "lesions": "lesions treated", "margin": "resection margin", "clavien_dindo_30d": "Clavien-Dindo grade at 30 days",
    "clavien_dindo_90d": "Clavien-Dindo grade at 90 days", "note": "note", "site": "site",
    "outcome": "end of the course", "outcome_date": "date of the end", "reviews": "Review",
    "cycles": "Cycle",
}


def clinical_words(problem: object) -> str:
    """A problem of the follow-up record in words a clinician reads: ``Local treatment 1,
    Clavien-Dindo grade at 90 days: must not be milder ...`` rather than a JSON path."""
    import re

    path = getattr(problem, "path", "")
    reason = getattr(problem, "reason", str(problem))
    parts: list[str] = []
    for name, index in re.findall(r"([a-z_0-9]+)(?:\[(\d+)\])?", path):
        if name in ("follow_up", "treatment"):
            continue
        word = _WORDS.get(name, name.replace("_", " "))
        parts.append(f"{word} {int(index) + 1}" if index else word)
    where = ", ".join(parts) or "Follow-up"
    text = re.sub(r"follow_up\.local_treatments\[(\d+)\]", lambda m: f"local treatment {int(m[1]) + 1}", reason)
    text = re.sub(r"follow_up\.progressions\[(\d+)\]", lambda m: f"progression {int(m[1]) + 1}", text)
    text = re.sub(r"reviews\[(\d+)\]", lambda m: f"review {int(m[1]) + 1}", text)
    text = re.sub(r"treatment\.cycles\[(\d+)\]", lambda m: f"cycle {int(m[1]) + 1}", text)
    text = text.replace("follow_up.death_date", "the date of death").replace(
        "follow_up.last_follow_up", "the last follow-up")
    return f"{where[:1].upper()}{where[1:]}: {text}"
