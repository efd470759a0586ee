"""Panel logic: aggregating independent ratings, the quorum check, and review scheduling.

Aggregation kinds (a protocol's ``aggregation`` setting):

* ``consensus``: every vote must agree; otherwise no result and the case is rediscussed.
* ``majority``: the rating held by more than half the votes; a tie goes to the chair.
* ``cairo5`` (NCT02162563; Huiskens J et al. J Am Coll Surg 2019;229:523-532; Bond MJG et al.
  Ann Surg Oncol 2023;30:5376-5385): three surgeons rate independently; unanimous is the
  consensus; otherwise two more surgeons rate and the majority of five (at least three)
  decides; a 2-2-1 split goes to the panel chair (the chair rule for a tie is the project's
  reading, the papers do not describe ties).  Only votes of the voter role (surgeons) count.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from statistics import median
from typing import Any, Protocol

from mdt.case import RATINGS, Decision, Treatment, Vote
from mdt.meeting import SPECIALTY_LABELS, Member


class RoundProgress(Protocol):
    """What the blind-rating rule needs of an expectation (``mdt.votes.Expectation``)."""

    @property
    def complete(self) -> bool: ...

KINDS: tuple[str, ...] = ("consensus", "majority", "cairo5")
CAIRO5_FIRST_ROUND = 3
"""CAIRO5: three randomly assigned surgeons rate each case (Huiskens 2019)."""
CAIRO5_SECOND_ROUND = 2
"""CAIRO5: without consensus two more surgeons are invited and the majority decides."""
CAIRO5_VOTER_ROLE = "surgeon"
_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


@dataclass(frozen=True, slots=True)
class Aggregate:
    result: str | None
    """The panel's rating (one of RATINGS), or None while undecided."""
    rule: str | None
    """How it was reached: ``consensus``, ``majority`` or ``chair``; None while undecided."""
    agreement: str
    """For the screen and the minutes, e.g. ``3 of 3 agree`` or
    ``2 of 3 agree, no consensus: two more surgeons needed``."""
    needs_second_round: bool = False
    """True while CAIRO5's second-round ratings are still missing (pending work only)."""
    needs_chair: bool = False
    """True while a tie waits for the chair's rating (False once the chair has decided:
    ``rule`` is then ``chair``)."""
    counts: dict[str, int] = field(default_factory=dict)
    """Counted votes per rating, every rating listed, in RATINGS order."""
    voters: tuple[str, ...] = ()
    """Members whose votes were counted, in vote order."""
    notes: tuple[str, ...] = ()
    """Votes left out and why, and other remarks for the minutes."""
    kind: str = "consensus"
    ballots: tuple[tuple[str, str], ...] = ()
    """(member, rating) of every counted vote, in vote order."""
    second_round: bool = False
    """CAIRO5: the first round lacked consensus, so the second round is (or was) required."""

    @property
    def decided(self) -> bool:
        return self.result is not None

    @property
    def dissent(self) -> tuple[tuple[str, str], ...]:
        """Counted panellists whose rating differs from the result (empty while undecided),
        so the minutes record every dissenting vote, not only the verdict."""
        if self.result is None:
            return ()
        return tuple((m, r) for m, r in self.ballots if r != self.result)

    @property
    def chair_involved(self) -> bool:
        """A tie the chair settles: waiting for the chair's rating or decided by it (the UI keeps
        the chair's choice visible in both cases)."""
        return self.needs_chair or self.rule == "chair"


def _label(rating: str) -> str:
    return rating.replace("_", " ")


def _role_matches(role: str | None, voter_role: str | None) -> bool:
    """``surgeon`` matches ``hepatobiliary_surgeon``, ``surgeon``, ``HPB surgeon``."""
    if not voter_role:
        return True
    if role is None:
        return False
    words = role.strip().lower().replace("-", "_").replace(" ", "_")
    want = voter_role.strip().lower().replace(" ", "_")
    return words == want or words.endswith("_" + want) or want in words.split("_")


def _counts(votes: Sequence[Vote]) -> dict[str, int]:
    counts = dict.fromkeys(RATINGS, 0)
    for vote in votes:
        counts[vote.rating] += 1
    return counts


def _split(counts: Mapping[str, int]) -> str:
    """``2-2-1``: the sizes of the rating groups, largest first."""
    return "-".join(str(n) for n in sorted((n for n in counts.values() if n), reverse=True))


def _top(counts: Mapping[str, int]) -> tuple[str, int]:
    # RATINGS order breaks ties deterministically; callers check for ties themselves.
    best = max(RATINGS, key=lambda r: counts[r])
    return best, counts[best]


def _valid_votes(votes: Sequence[Vote], voter_role: str | None, who: str
                 ) -> tuple[list[Vote], list[str]]:
    """Votes that count: known rating, voter role, one per member and round (the last)."""
    notes: list[str] = []
    kept: dict[tuple[str, int], Vote] = {}
    for vote in votes:
        if vote.rating not in RATINGS:
            notes.append(f"{vote.member}: rating {vote.rating!r} is not one of "
                         f"{', '.join(RATINGS)}; not counted")
            continue
        if not _role_matches(vote.role, voter_role):
            notes.append(f"{vote.member} ({vote.role or 'role not recorded'}) not counted: "
                         f"{who} counts {voter_role} ratings only")
            continue
        key = (vote.member, vote.round)
        if key in kept:
            notes.append(f"{vote.member} voted more than once in round {vote.round}; "
                         f"the last vote counts")
            del kept[key]
        kept[key] = vote
    return list(kept.values()), notes


def _present(votes: Sequence[Vote], eligible: Collection[str] | None) -> tuple[list[Vote], list[str]]:
    """Votes that may count at all: not withdrawn, and (when the meeting is known) cast by a
    member present at it with a voting role.  The others are named in the notes."""
    kept: list[Vote] = []
    notes: list[str] = []
    for vote in votes:
        if vote.withdrawn:
            why = vote.changes[-1].reason if vote.changes else "no reason recorded"
            notes.append(f"{vote.member}: rating withdrawn ({why}); not counted")
        elif eligible is not None and vote.member not in eligible:
            notes.append(f"{vote.member} not counted: not present at the meeting as a member "
                         f"with a voting role")
        else:
            kept.append(vote)
    return kept, notes


def _check_chair(chair_rating: str | None) -> str | None:
    if chair_rating is not None and chair_rating not in RATINGS:
        raise ValueError(f"chair_rating: {chair_rating!r} is not one of {', '.join(RATINGS)}")
    return chair_rating


def aggregate(votes: Sequence[Vote], aggregation: Mapping[str, Any] | None = None,
              chair_rating: str | None = None, eligible: Collection[str] | None = None) -> Aggregate:
    """The panel's result from independent ratings under the protocol's aggregation rule.

    ``eligible``: names of the members present at the meeting with a voting role
    (``mdt.votes.eligible_voters``); None when no meeting is known (every vote may count).
    Raises ValueError for an unknown aggregation kind or a chair rating outside RATINGS;
    invalid, withdrawn or non-counting votes are left out with a note, never silently.
    """
    settings = dict(aggregation or {"kind": "consensus"})
    kind = settings.get("kind", "consensus")
    chair_rating = _check_chair(chair_rating)
    present, notes = _present(votes, eligible)
    if kind == "consensus":
        result = _consensus(present, settings)
    elif kind == "majority":
        result = _majority(present, settings, chair_rating)
    elif kind == "cairo5":
        result = _cairo5(present, settings, chair_rating)
    else:
        raise ValueError(f"aggregation kind {kind!r} is not one of {', '.join(KINDS)}")
    return replace(result, notes=(*notes, *result.notes)) if notes else result


def _result(result: str | None, rule: str | None, agreement: str, counted: Sequence[Vote],
            notes: list[str], kind: str, **flags: bool) -> Aggregate:
    return Aggregate(result, rule, agreement, counts=_counts(counted),
                     voters=tuple(v.member for v in counted),
                     ballots=tuple((v.member, v.rating) for v in counted),
                     notes=tuple(notes), kind=kind, **flags)


def _consensus(votes: Sequence[Vote], settings: Mapping[str, Any]) -> Aggregate:
    counted, notes = _valid_votes(votes, settings.get("voter_role"), "the consensus rule")
    n = len(counted)
    if n == 0:
        return _result(None, None, "no votes recorded", counted, notes, "consensus")
    top, top_n = _top(_counts(counted))
    if top_n == n:
        return _result(top, "consensus", f"{n} of {n} agree", counted, notes, "consensus")
    return _result(None, None, f"{top_n} of {n} agree, no consensus: rediscuss", counted, notes,
                   "consensus")


def _majority(votes: Sequence[Vote], settings: Mapping[str, Any],
              chair_rating: str | None) -> Aggregate:
    counted, notes = _valid_votes(votes, settings.get("voter_role"), "the majority rule")
    n = len(counted)
    if n == 0:
        return _result(None, None, "no votes recorded", counted, notes, "majority")
    counts = _counts(counted)
    top, top_n = _top(counts)
    if top_n == n:
        return _result(top, "consensus", f"{n} of {n} agree", counted, notes, "majority")
    if 2 * top_n > n:
        return _result(top, "majority", f"{top_n} of {n} agree (majority)", counted, notes,
                       "majority")
    return _chair(f"{_split(counts)} split of {n}, no majority", counted, notes, chair_rating,
                  "majority", settings)


def _chair(situation: str, counted: Sequence[Vote], notes: list[str], chair_rating: str | None,
           kind: str, settings: Mapping[str, Any], second_round: bool = False) -> Aggregate:
    if settings.get("tie", "chair") != "chair":
        return _result(None, None, f"{situation}: rediscuss", counted, notes, kind,
                       second_round=second_round)
    if chair_rating is None:
        return _result(None, None, f"{situation}: the chair decides (chair's rating not "
                       f"recorded)", counted, notes, kind, needs_chair=True,
                       second_round=second_round)
    counts = _counts(counted)
    tied = [r for r in RATINGS if counts[r] == max(counts.values())]
    if chair_rating not in tied:
        notes = [*notes, f"the chair chose {_label(chair_rating)}, which none of the largest "
                         f"groups ({', '.join(_label(r) for r in tied)}) held"]
    return _result(chair_rating, "chair", f"{situation}: the chair decides "
                   f"{_label(chair_rating)}", counted, notes, kind, second_round=second_round)


def _cairo5(votes: Sequence[Vote], settings: Mapping[str, Any],
            chair_rating: str | None) -> Aggregate:
    first_n = int(settings.get("first_round", CAIRO5_FIRST_ROUND))
    second_n = int(settings.get("second_round", CAIRO5_SECOND_ROUND))
    voter_role = settings.get("voter_role", CAIRO5_VOTER_ROLE)
    counted, notes = _valid_votes(votes, voter_role, "CAIRO5")
    round1 = [v for v in counted if v.round == 1]
    round1_members = {v.member for v in round1}
    round2: list[Vote] = []
    for vote in counted:
        if vote.round == 2:
            if vote.member in round1_members:
                notes.append(f"{vote.member} already rated in round 1; the round-2 vote is "
                             f"not counted (round 2 asks two other surgeons)")
            else:
                round2.append(vote)
        elif vote.round != 1:
            notes.append(f"{vote.member}: round {vote.round} does not exist in CAIRO5; "
                         f"not counted")

    n1 = len(round1)
    if n1 < first_n:
        if round2:
            notes.append("second-round votes wait for the first round to complete")
        return _result(None, None, f"{n1} of {first_n} first-round surgeon ratings recorded",
                       round1, notes, "cairo5")
    if n1 > first_n:
        notes.append(f"{n1} first-round ratings recorded; the protocol asks {first_n}, all "
                     f"are counted")
    top, top_n = _top(_counts(round1))
    if top_n == n1:
        if round2:
            notes.append("the first round was unanimous; second-round votes not counted")
        return _result(top, "consensus", f"{n1} of {n1} agree", round1, notes, "cairo5")

    first = f"{top_n} of {n1} agree, no consensus"
    if len(round2) < second_n:
        needed = second_n - len(round2)
        more = "more surgeon" if needed == 1 else "more surgeons"
        recorded = f" ({len(round2)} of {second_n} second-round ratings recorded)" if round2 else ""
        return _result(None, None, f"{first}: {_NUMBER_WORDS.get(needed, str(needed))} {more} "
                       f"needed{recorded}", round1, notes, "cairo5", needs_second_round=True,
                       second_round=True)
    if len(round2) > second_n:
        notes.append(f"{len(round2)} second-round ratings recorded; the protocol asks "
                     f"{second_n}, all are counted")
    both = round1 + round2
    n = len(both)
    counts = _counts(both)
    top, top_n = _top(counts)
    if 2 * top_n > n:
        return _result(top, "majority", f"{top_n} of {n} agree (majority after a second "
                       f"round)", both, notes, "cairo5", second_round=True)
    return _chair(f"{_split(counts)} split of {n} after a second round", both, notes,
                  chair_rating, "cairo5", settings, second_round=True)


def may_see_aggregate(votes: Sequence[Vote], member: str | None, *,
                      expectation: RoundProgress | None = None, revealed: bool = False,
                      decided: bool = False, voter: bool = True) -> bool:
    """Whether ``member`` may see the ratings and the aggregate, so each rating stays independent
    (CAIRO5 surgeons rate blind; nobody anchors on the others).

    * Once the decision is recorded, or the ratings were revealed on purpose, everyone may.
    * A ``voter`` (someone still expected to rate) sees nothing before their own rating is in.
    * With an ``expectation`` (the window: a screen the room shares), nothing shows before every
      expected rating of the current round is in.
    Without an expectation the rule is the member's own: they see once they have rated; members
    who do not vote (``voter=False``, e.g. the coordinator) then may."""
    if decided or revealed:
        return True
    if voter and not any(v.member == member and not v.withdrawn for v in votes):
        return False
    return expectation is None or expectation.complete


# --- quorum ------------------------------------------------------------------------------------

DEFAULT_QUORUM: dict[str, Any] = {
    "min_specialties": 3,
    "required": ["hepatobiliary_surgeon"],
    "not_counted": ["coordinator", "nurse_specialist"],
}
"""At least three physicians' specialties, a surgeon among them (French RCP quorum, INCa 2023
update making the surgeon mandatory; NCAT 2010 core membership).  Coordinators and nurse
specialists attend but do not count towards the specialties."""


@dataclass(frozen=True, slots=True)
class Quorum:
    ok: bool
    reason: str
    specialties: tuple[str, ...] = ()
    """Distinct counted specialties present, in the order the attendees are listed."""
    missing_required: tuple[str, ...] = ()


def _specialty_label(code: str) -> str:
    return SPECIALTY_LABELS.get(code, code.replace("_", " ").capitalize())


def check_quorum(attendees: Sequence[Member], quorum: Mapping[str, Any] | None = None) -> Quorum:
    """Whether the attendees form a quorum under the protocol's rule (default DEFAULT_QUORUM)."""
    rule = {**DEFAULT_QUORUM, **(quorum or {})}
    min_specialties = int(rule["min_specialties"])
    required = [str(s) for s in rule.get("required") or ()]
    not_counted = set(rule.get("not_counted") or ())
    present: list[str] = []
    for member in attendees:
        if member.specialty in not_counted or member.specialty in present:
            continue
        present.append(member.specialty)
    # A required entry may be a specialty code or a family: "radiologist" is met by a
    # diagnostic or an interventional radiologist (CAIRO5 and SULTAN protocol files).
    missing = tuple(s for s in required if not any(_role_matches(p, s) for p in present))
    labels = ", ".join(_specialty_label(s) for s in present) or "none"
    problems: list[str] = []
    if len(present) < min_specialties:
        problems.append(f"{len(present)} of the {min_specialties} specialties needed ({labels})")
    if missing:
        problems.append("no " + " and no ".join(_specialty_label(s) for s in missing)
                        + " present")
    min_members = rule.get("min_members")
    if min_members is not None and len(attendees) < int(min_members):
        problems.append(f"{len(attendees)} of the {int(min_members)} members needed")
    if problems:
        return Quorum(False, "No quorum: " + "; ".join(problems), tuple(present), missing)
    required_text = (", including " + ", ".join(_specialty_label(s) for s in required)
                     if required else "")
    return Quorum(True, f"Quorum: {len(present)} specialties ({labels}){required_text}",
                  tuple(present), ())


def combine_quorum_rules(rules: Mapping[str, Mapping[str, Any] | None]) -> tuple[dict[str, Any], str]:
    """The strictest quorum rule among several protocols' rules, and who demanded what.

    ``rules`` maps a protocol id to its ``quorum`` setting (None or {}: the board's standing
    rule, DEFAULT_QUORUM).  The combined rule requires every specialty any protocol requires,
    the largest ``min_specialties`` and ``min_members``, and leaves uncounted every specialty any
    protocol leaves uncounted.  The text names the protocol(s) behind each demand, e.g.
    ``"3 specialties (NCT05103020, SULTAN); Radiologist (CAIRO5, SULTAN)"``."""
    if not rules:
        return dict(DEFAULT_QUORUM), ""
    full = {pid: {**DEFAULT_QUORUM, **(rule or {})} for pid, rule in sorted(rules.items())}
    min_specialties = max(int(r["min_specialties"]) for r in full.values())
    required: list[str] = []
    not_counted: set[str] = set()
    for r in full.values():
        required += [str(x) for x in r.get("required") or () if str(x) not in required]
        not_counted |= set(r.get("not_counted") or ())
    combined: dict[str, Any] = {"min_specialties": min_specialties, "required": required,
                                "not_counted": sorted(not_counted)}
    demands = [f"{min_specialties} specialties ("
               + ", ".join(pid for pid, r in full.items() if int(r["min_specialties"]) == min_specialties)
               + ")"]
    members = [int(r["min_members"]) for r in full.values() if r.get("min_members") is not None]
    if members:
        combined["min_members"] = max(members)
        demands.append(f"{max(members)} members ("
                       + ", ".join(pid for pid, r in full.items()
                                   if r.get("min_members") is not None
                                   and int(r["min_members"]) == max(members)) + ")")
    for spec in required:
        demands.append(f"{_specialty_label(spec)} ("
                       + ", ".join(pid for pid, r in full.items() if spec in (r.get("required") or ()))
                       + ")")
    return combined, "; ".join(demands)


def check_agenda_quorum(attendees: Sequence[Member], rules: Mapping[str, Mapping[str, Any] | None],
                        default_id: str | None = None,
                        default_rule: Mapping[str, Any] | None = None) -> Quorum:
    """Quorum for a meeting under the strictest rule of its agenda's protocols.

    ``rules`` maps each protocol of a patient on the agenda to its quorum setting; with no
    agenda (empty ``rules``) the board's default protocol ``default_id`` and its
    ``default_rule`` apply.  The reason names the protocol(s) behind each demand."""
    if not rules:
        q = check_quorum(attendees, default_rule)
        return Quorum(q.ok, q.reason + (f" (rule of {default_id})" if default_id else ""),
                      q.specialties, q.missing_required)
    combined, demands = combine_quorum_rules(rules)
    q = check_quorum(attendees, combined)
    if len(rules) == 1:
        # One protocol: naming it once says who demanded everything.
        return Quorum(q.ok, f"{q.reason} (rule of {next(iter(rules))})", q.specialties, q.missing_required)
    return Quorum(q.ok, f"{q.reason} (strictest rule of the agenda's protocols: {demands})",
                  q.specialties, q.missing_required)


def quorum_for_protocols(attendees: Sequence[Member], protocol_ids: Iterable[str | None]) -> Quorum:
    """Quorum of a meeting whose agenda's patients are under ``protocol_ids`` (None: the default
    protocol), by the strictest of their rules; no ids (no agenda): the default protocol's rule.
    A protocol that cannot be loaded contributes the board's standing rule (DEFAULT_QUORUM), and
    the reason says so (docs/clinical/conventions.md#when-a-protocol-cannot-be-loaded)."""
    from mdt.protocols import default_protocol_id, lookup
    from mdt.protocols.governing import QUORUM

    default_id = default_protocol_id()
    rules: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for pid in protocol_ids:
        key = pid or default_id
        if key not in rules:
            found = lookup(protocol_id=key)
            rules[key] = found.quorum
            note = found.note_for(QUORUM)
            if note:
                notes.append(note)
    default = lookup(protocol_id=default_id)
    if not rules and default.note_for(QUORUM):
        notes.append(str(default.note_for(QUORUM)))
    q = check_agenda_quorum(attendees, rules, default_id, default.quorum)
    return replace(q, reason=" ".join([q.reason, *notes])) if notes else q


def decided_under(decision: Decision | None) -> str:
    """The protocol a decision was made under, in words (review editor and minutes)."""
    if decision is None or not decision.protocol:
        return "Protocol not recorded with the decision"
    if not decision.protocol_version:
        return f"Decided under {decision.protocol} (version not recorded)"
    return f"Decided under {decision.protocol} v{decision.protocol_version}"


# --- scheduling --------------------------------------------------------------------------------

DEFAULT_CYCLE_DAYS = 14
"""Cycle length when the course does not show one: every 2 weeks (NCT05103020; CAIRO5 q14d)."""
# The default assessment interval is mdt.recist.DEFAULT_ASSESSMENT_INTERVAL (a leaf module, so
# the protocol loader needs no import of this one): protocols, cohort and window read it there.


@dataclass(frozen=True, slots=True)
class NextReview:
    date: date
    basis: str
    """Why this date, for the screen and the minutes."""


def cycle_on(treatment: Treatment | None, on: date) -> int | None:
    """Cycles completed on or before ``on`` (the highest cycle number given by then).

    None when no course or no cycle is recorded (unknown, not zero); 0 when the recorded
    cycles all come later.
    """
    if treatment is None or not treatment.cycles:
        return None
    given = [c.number for c in treatment.cycles if c.date <= on]
    return max(given) if given else 0


@dataclass(frozen=True, slots=True)
class CourseStatus:
    """Where a patient's treatment course stands on a date (for the review and the minutes)."""
    cycles_given: int | None
    """Highest cycle number given on or before the date; None when no cycle is recorded."""
    last_cycle_date: date | None
    dose_reduced_cycles: tuple[int, ...] = ()
    """Cycles given with a dose reduction, up to the date."""
    worst_toxicity_grade: int | None = None
    """Worst CTCAE grade recorded up to the date; None when none was recorded."""
    cycle_days: int | None = None
    """Usual cycle length in days (median gap between recorded cycles)."""


def course_status(treatment: Treatment | None, on: date) -> CourseStatus:
    """Cycles, last cycle date, dose reductions and worst toxicity up to ``on``."""
    if treatment is None or not treatment.cycles:
        return CourseStatus(None, None)
    given = [c for c in treatment.cycles if c.date <= on]
    grades = [c.toxicity_grade for c in given if c.toxicity_grade is not None]
    return CourseStatus(
        cycles_given=cycle_on(treatment, on),
        last_cycle_date=max((c.date for c in given), default=None),
        dose_reduced_cycles=tuple(sorted(c.number for c in given
                                         if c.dose_reduction_pct not in (None, 0))),
        worst_toxicity_grade=max(grades) if grades else None,
        cycle_days=_cycle_days(treatment) if len(treatment.cycles) > 1 else None,
    )


def _cycle_days(treatment: Treatment) -> int:
    """The course's usual cycle length: median gap between consecutive recorded cycles."""
    by_number = sorted(treatment.cycles, key=lambda c: c.number)
    gaps = [
        (b.date - a.date).days / (b.number - a.number)
        for a, b in zip(by_number, by_number[1:], strict=False)
        if b.number > a.number and b.date > a.date
    ]
    return round(median(gaps)) if gaps else DEFAULT_CYCLE_DAYS


def plan_next_review(review_date: date, interval: Mapping[str, Any],
                     treatment: Treatment | None = None) -> NextReview:
    """The next review after ``review_date`` under the protocol's assessment interval.

    Rule: with ``{"weeks": w}`` the review is due ``w`` weeks later.  With ``{"cycles": k}``
    and a course whose cycles carry dates, the review is due one cycle length after the k-th
    next cycle (the assessment follows the completion of k cycles) when that cycle's date is
    recorded, so treatment delays move the review with them; if it is not recorded yet the
    weeks rule applies, or with no weeks, k cycle lengths after the review.
    """
    weeks = _positive(interval, "weeks")
    cycles = _positive(interval, "cycles")
    if weeks is None and cycles is None:
        raise ValueError("assessment interval needs 'weeks' or 'cycles'")
    if cycles is not None and treatment is not None and treatment.cycles:
        done = cycle_on(treatment, review_date) or 0
        target = done + cycles
        length = _cycle_days(treatment)
        dated = sorted(c.date for c in treatment.cycles if c.number == target)
        # A cycle dated on or before the review (inconsistent numbering) cannot time it.
        if dated and dated[0] > review_date:
            due = _later(dated[0], length)
            return NextReview(due, f"one {length}-day cycle after cycle {target} (given "
                                   f"{dated[0].isoformat()}), {cycles} cycles after this "
                                   f"review at cycle {done}")
        if weeks is None:
            due = _later(review_date, cycles * length)
            return NextReview(due, f"{cycles} cycles of {length} days after this review")
    if weeks is None:
        assert cycles is not None
        due = _later(review_date, cycles * DEFAULT_CYCLE_DAYS)
        return NextReview(due, f"{cycles} cycles of {DEFAULT_CYCLE_DAYS} days after this "
                               f"review (no cycle dates recorded)")
    due = _later(review_date, 7 * weeks)
    return NextReview(due, f"{weeks} weeks after this review (protocol interval)")


def _later(day: date, days: int) -> date:
    """``day`` plus ``days``, held at the calendar's last day: a review dated 9999-12-20
    (stored before imports checked dates) must not crash the cohort of the whole database."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max


def _positive(interval: Mapping[str, Any], key: str) -> int | None:
    value = interval.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"assessment interval {key!r} must be a positive whole number, "
                         f"not {value!r}")
    return value


def propose_next_review(review_date: date, interval: Mapping[str, Any],
                        treatment: Treatment | None = None) -> date:
    """The date of :func:`plan_next_review`."""
    return plan_next_review(review_date, interval, treatment).date


def is_overdue(next_review: date | None, today: date) -> bool:
    """True when the proposed review date has passed; False when none was proposed (the
    patient list shows 'no review planned' for that case separately)."""
    return next_review is not None and today > next_review
