"""The rule kinds a protocol file may use, each a function of (rule params, context).

Each returns a :class:`Verdict`: ``met`` / ``not_met`` / ``unknown``; a one-line ``summary``
a panel reads on a projector (the answer, then the finding and the number that decided it,
after the criterion's label: "not possible: right hepatectomy leaves L2 (III) untreated");
the full ``explanation`` (on demand); and, when unknown, the fields whose absence made it so
(machine paths, turned into words by the engine).  ``met`` always means the criterion's
statement holds: for an exclusion, that the patient is excluded; for an inclusion or
organ-function item, that the requirement is satisfied; for an unresectability criterion,
that it applies.  No text here names a rule id or a field path.

Two readings are applied by the engine around every rule, not here (docs/clinical/conventions.md#missing-is-unknown):
with no lesion recorded every lesion criterion is unknown, and with the vessel relations not
assessed every favourable answer of a vessel-dependent criterion is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from fractions import Fraction
from functools import lru_cache
from typing import Any, NamedTuple

from mdt import anatomy
from mdt.case import PRIOR_SYSTEMIC_RESPONSES, PROTEINURIA, VESSEL_NAMES
from mdt.evaluation import MET, NOT_MET, UNKNOWN
from mdt.exact import exact as _exact
from mdt.glossary import CLINICAL_WORDS, LAB_WORDS, units_range
from mdt.protocols.context import Context, fmt_num, is_bilobar, units_text
from mdt.protocols.plans import (
    PlanCheck,
    check_plan,
    contact_free_remnant_exists,
    e2_candidates,
    mask_units,
    optimistic_disease,
    quick_option,
    search,
    units_mask,
)
from mdt.protocols.volume import insufficient_words, pct_round, pct_text  # noqa: F401  (re-exported)
from mdt.remnant import compare, total_volume
from mdt.scores import age_at, child_pugh, cockcroft_gault_exact


@lru_cache(maxsize=1024)
def _exact_text(value: str) -> Fraction:
    return _exact(value)


def exact(value: object) -> Fraction:
    """Exact value (as :func:`mdt.exact.exact`); protocol parameters (decimal strings) are
    converted once per process, recorded numbers through the memo of :mod:`mdt.exact`."""
    if isinstance(value, str):
        return _exact_text(value)
    return _exact(value)  # type: ignore[arg-type]  # a number, or bad input _exact refuses


_FLOAT_SAFE = 1e-9
"""Relative gap above which a binary float comparison cannot differ from the exact one (values
here have at most a few significant decimals; doubles carry 15)."""


def compare_number(value: int | float, op: str, limit_text: str) -> bool:
    """``value op limit`` for a recorded number against a protocol's decimal parameter:
    decided with floats when the two are clearly apart, exactly (``Fraction``) near the limit,
    so 72/60 - 1 >= 0.2 still holds at the boundary."""
    limit = _float_param(limit_text)
    v = float(value)
    if abs(v - limit) > _FLOAT_SAFE * max(1.0, abs(limit)):
        return (_WHEN_ABOVE if v > limit else _WHEN_BELOW)[op]
    return compare(exact(value), op, _exact_text(limit_text))


_WHEN_ABOVE = {">=": True, ">": True, "<=": False, "<": False, "==": False}
_WHEN_BELOW = {">=": False, ">": False, "<=": True, "<": True, "==": False}


@lru_cache(maxsize=256)
def _float_param(text: str) -> float:
    return float(text)


@lru_cache(maxsize=256)
def _param_text(text: str) -> str:
    """A protocol's decimal parameter as a person reads it ("9.0" -> "9", "1.5" -> "1.5")."""
    return fmt_num(_exact_text(text), 2)


class Verdict(NamedTuple):
    """What a rule found (a tuple: the engine makes a few dozen per evaluation)."""
    status: str
    explanation: str
    missing: tuple[str, ...] = ()
    summary: str = ""


def V(status: str, summary: str, explanation: str, missing: tuple[str, ...] = ()) -> Verdict:  # noqa: N802
    return Verdict(status, explanation, missing, summary)


RuleFn = Callable[[dict[str, Any], Context], Verdict]
RULE_KINDS: dict[str, RuleFn] = {}
RULE_PARAMS: dict[str, tuple[set[str], set[str]]] = {}
"""kind -> (required params, optional params), checked when a protocol file loads."""
LESION_KINDS: set[str] = set()
"""Kinds that read the lesions: unknown when no lesion is recorded (docs/clinical/conventions.md#missing-is-unknown)."""
VESSEL_KINDS: dict[str, str] = {}
"""Kinds whose answer depends on the vessel relations, with the status that would be a pass
if a relation were missing (turned into unknown when the vessels are not assessed)."""

OPERATORS = (">=", ">", "<=", "<", "==")
OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


def rule_kind(name: str, required: set[str] | None = None, optional: set[str] | None = None,
              *, lesions: bool = False, vessel_pass: str | None = None
              ) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        RULE_KINDS[name] = fn
        RULE_PARAMS[name] = (set(required or ()), set(optional or ()))
        if lesions:
            LESION_KINDS.add(name)
        if vessel_pass is not None:
            VESSEL_KINDS[name] = vessel_pass
        return fn
    return register


def tri_or(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    if all(v is False for v in values):
        return False
    return None


def _lesion_list(lesions: list[Any]) -> str:
    return ", ".join(les.label for les in lesions)


NO_DISEASE = ("No liver lesion is present at this review (every recorded lesion has "
              "disappeared or been treated): nothing visible is left to resect.")


def _first(reasons: tuple[str, ...] | list[str]) -> str:
    return reasons[0] if reasons else ""


# --------------------------------------------------------------------------- plan-based rules

def _plan_failure_summary(ctx: Context) -> str:
    """Why the named resections fail, for explanations when no plan works."""
    parts = []
    for name in anatomy.RESECTIONS:
        feasible, _, reasons, _n = quick_option(ctx.disease, anatomy.remnant_of(name),
                                                ctx.settings, name)
        if not feasible and reasons:
            parts.append(f"{anatomy.RESECTION_LABELS[name].lower()}: {reasons[0]}")
        if len(parts) == 3:
            break
    return "; ".join(parts)


def _local_words(local: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{lid} by {m}" for lid, m in local)


def _better_plan_sentence(ctx: Context) -> str:
    # With the vessel relations not assessed no plan is suggested, in words either: the search
    # assumed no contact, and its wedges could be of a lesion touching a vessel.
    if ctx.vessels_assessed and better_plan(ctx) and ctx.best is not None:
        return (f" A better plan exists: {ctx.best.name} (remnant {ctx.best.remnant_text}"
                + (", treating " + _local_words(ctx.best.local) if ctx.best.local else "")
                + ").")
    return ""


def better_plan(ctx: Context) -> bool:
    """The search found a plan better than the recorded one: it works where the recorded one
    does not, or it keeps no touched major vessel where the recorded one does."""
    rec, best = ctx.recorded, ctx.best
    if rec is None or best is None:
        return False
    if not rec.feasible:
        return best.feasible
    allowed = ctx.settings.u2_vessels
    return (any(s in allowed for s, _ in rec.remnant_contacts)
            and not any(s in allowed for s, _ in best.remnant_contacts))


def _stays(chk: PlanCheck) -> frozenset[str]:
    return chk.viable if chk.drop_allowed else chk.remnant


def _plan_success(chk: PlanCheck, ctx: Context) -> str:
    stays = _stays(chk)
    removed = [les for les in ctx.disease.lesions if not (les.units & stays)]
    parts = []
    if removed:
        parts.append(f"removes {_lesion_list(removed)}")
    if chk.local:
        parts.append("treats " + _local_words(chk.local))
    what = " and ".join(parts) if parts else "clears all disease"
    text = (f"{what} and leaves {chk.segment_count} perfused and drained segment(s) in one "
            f"piece ({units_range(stays)})")
    notes = chk.notes()
    if notes:
        text += "; " + "; ".join(notes)
    return text


def _short_success(chk: PlanCheck) -> str:
    stays = _stays(chk)
    text = f"{chk.name}, remnant {units_range(stays)}"
    if chk.local:
        text += " + " + ", ".join(f"{m} {lid}" for lid, m in chk.local)
    if chk.dropped and chk.drop_allowed:
        text += " (" + ", ".join(seg for seg, _ in chk.dropped) + " resected with the specimen)"
    return text


def _volume_note(chk: PlanCheck, ctx: Context) -> str:
    vol = ctx.volume(_stays(chk))
    if vol.status == MET:
        return " Remnant volume: " + vol.summary + "."
    if vol.status == NOT_MET:
        return " " + vol.explanation + (
            "" if ctx.settings.volume_decides_u1 else " (this protocol does not let the volume "
                                                       "decide the plan)")
    return " " + vol.explanation


def _pending_sizes(ctx: Context, allowed: tuple[str, ...] | None = None) -> Verdict | None:
    """Unknown when, with no recorded plan, the verdict comes only from lesions without a
    diameter being taken as too large to ablate: ablating them would give a working plan (one
    keeping no touched vessel of ``allowed`` when given) that the recorded sizes do not."""
    if ctx.recorded is not None:
        return None
    best, unsized = ctx.optimistic()
    if best is None:
        return None
    if allowed is not None and any(st in allowed for st, _ in best.remnant_contacts):
        return None
    return V(UNKNOWN, f"unknown: depends on the size of {_lesion_list(list(unsized))}",
             f"Depends on unmeasured lesion(s) {_lesion_list(list(unsized))}: if small enough "
             f"to ablate (≤ {ctx.settings.ablation_max_diameter_mm} mm), {best.name} would work "
             f"(remnant {best.remnant_text}"
             + (", treating " + _local_words(best.local) if best.local else "")
             + "); record the diameter(s).",
             tuple(ctx.lesion_path(les.id, "diameter_mm") for les in unsized))


@rule_kind("u1_plan_feasible", lesions=True, vessel_pass=NOT_MET)
def u1_plan_feasible(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return V(NOT_MET, "possible: no lesion is present", NO_DISEASE)
    rec = ctx.recorded
    if rec is not None:
        if rec.volume_undecided:
            return _volume_undecided(rec, ctx, "The recorded plan")
        if rec.feasible:
            return V(NOT_MET, f"possible: {_short_success(rec)}",
                     f"The recorded plan ({rec.name}) {_plan_success(rec, ctx)}."
                     + _volume_note(rec, ctx) + _better_plan_sentence(ctx))
        return V(MET, f"not possible: {rec.name} {rec.short_reason()}"
                 if rec.untreated else f"not possible: {rec.name}: {rec.short_reason()}",
                 f"The recorded plan ({rec.name}) does not work: "
                 + "; ".join(rec.reasons()) + "."
                 + "".join(" " + n[0].upper() + n[1:] + "." for n in rec.notes())
                 + _better_plan_sentence(ctx))
    if ctx.best is not None:
        if ctx.best.volume_undecided:
            return _volume_undecided(ctx.best, ctx, "No plan recorded; the best plan found")
        return V(NOT_MET, f"possible: no plan recorded; best found {_short_success(ctx.best)}",
                 f"No plan recorded; the best plan found ({ctx.best.name}) "
                 f"{_plan_success(ctx.best, ctx)} ({ctx.search.feasible} of "
                 f"{ctx.search.candidates} candidate remnants work)."
                 + _volume_note(ctx.best, ctx))
    pending = _pending_sizes(ctx)
    if pending is not None:
        return pending
    if ctx.volume_pending:
        return _volume_set_aside(ctx)
    summary = _plan_failure_summary(ctx)
    return V(MET, "not possible: no remnant of two contiguous segments clears all disease",
             f"None of the {ctx.search.candidates} remnants of at least "
             f"{ctx.settings.remnant_min_segments} contiguous segments clears all disease "
             "with viable inflow and outflow" + (f" ({summary})" if summary else "") + ".")


def _volume_missing(vol: Any, ctx: Context) -> tuple[str, ...]:
    """The data a remnant-volume finding lacks, as field paths of this review."""
    return tuple(ctx.path(m) if not m.startswith(("treatment.", "patient.")) else m
                 for m in vol.missing)


def _volume_undecided(chk: PlanCheck, ctx: Context, who: str) -> Verdict:
    """A plan that passes the segment tests on a measured remnant volume that cannot be judged:
    unknown, never a pass (docs/clinical/conventions.md#volume-is-part-of-adequate)."""
    vol = ctx.volume(_stays(chk))
    return V(UNKNOWN, f"unknown: {chk.name}, remnant volume {vol.summary}",
             f"{who} ({chk.name}) {_plan_success(chk, ctx)}. {vol.explanation} Whether the "
             "remnant is adequate, and so whether the plan works, stays unknown until that is "
             "recorded.", _volume_missing(vol, ctx))


def _volume_set_aside(ctx: Context) -> Verdict:
    """No plan found once a remnant whose measured volume cannot be judged is set aside."""
    plan = ctx.review.remnant
    measured = anatomy.expand(plan.flr_segments) if plan is not None and plan.flr_segments \
        else _stays(ctx.recorded) if ctx.recorded is not None else None
    vol = ctx.volume(measured) if measured is not None else None
    where = units_range(measured) if measured is not None else "the measured remnant"
    return V(UNKNOWN, f"unknown: depends on the remnant volume measured for {where}",
             f"No plan works without the remnant {where}, whose measured volume cannot be "
             f"judged" + (f" ({vol.summary}): {vol.explanation}" if vol is not None else ".")
             + " If that volume is adequate, a plan keeping it works.",
             _volume_missing(vol, ctx) if vol is not None else (ctx.path("remnant.flr_ml"),))


def _dependants(structure: str, remnant: frozenset[str]) -> tuple[str, list[str]]:
    """Which remnant segments depend on a structure, and the verb for it."""
    if structure in ("MPV", "IVC"):
        return ("feeds" if structure == "MPV" else "drains"), sorted(remnant)
    segs = []
    verb = "drains" if structure in anatomy.HEPATIC_VEINS else "feeds"
    for seg in remnant:
        inflow = [i for i in anatomy.INFLOW[seg] if isinstance(i, str)]
        if structure in inflow or structure in anatomy.OUTFLOW[seg]:
            segs.append(seg)
        elif seg == "I" and structure in ("LPV", "RPV"):
            segs.append(seg)
    return verb, segs


_RELATION_VERBS = {"contact": "contacts", "encasement": "encases", "invasion": "invades",
                   "thrombus": "has tumour thrombus in"}


@rule_kind("u2_remnant_vessel_contact", lesions=True, vessel_pass=NOT_MET)
def u2_remnant_vessel_contact(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return V(NOT_MET, "none: no lesion is present", NO_DISEASE)
    allowed = ctx.settings.u2_vessels
    others = sorted(s for s in ctx.disease.touched if s not in allowed)
    other_note = (f" {', '.join(others)} {'is' if len(others) == 1 else 'are'} not among the "
                  "major vessels U2 names: touching it costs only the segments it serves (U1)."
                  if others else "")
    plan = ctx.governing
    if plan is None:
        cand = None
        touched = {s for s in ctx.disease.touched if s in allowed}
        if touched:
            cand = contact_free_remnant_exists(ctx.disease, ctx.settings)
        if not touched or cand is not None:
            extra = (f"; a remnant such as {units_text(cand.units)} would keep none"
                     if cand else "")
            return V(NOT_MET, "none: no plan keeps a touched major vessel",
                     "No plan clears the disease (see U1); no touched major vessel need "
                     "belong to the remnant" + extra + "." + other_note)
        return V(MET, "present: every possible remnant keeps a touched major vessel",
                 "Every remnant of at least two contiguous segments keeps a major vessel a "
                 "lesion touches (" + "; ".join(
                     f"{ctx.disease.who_touches(s)} touches {s}" for s in sorted(touched))
                 + ").")
    stays = plan.remnant  # as planned: its vessels are the remnant's (docs/clinical/conventions.md#vessels-of-the-remnant)
    contacts = [(s, ids) for s, ids in plan.remnant_contacts if s in allowed]
    if not contacts:
        outside = sorted(s for s in ctx.disease.touched if s in allowed)
        if outside:
            summary = f"none: {', '.join(outside)} leave{'s' if len(outside) == 1 else ''} " \
                      "with the resected liver"
            tail = (f" The touched vessel(s) {', '.join(outside)} leave with the resected "
                    "liver.")
        else:
            summary = "none: no lesion touches a major vessel"
            tail = " No lesion touches a major vessel."
        return V(NOT_MET, summary,
                 f"Under {ctx.governing_phrase} (remnant {units_range(stays)}) no lesion "
                 "touches a major vessel of the remnant." + tail + other_note)
    pending = _pending_sizes(ctx, allowed)
    if pending is not None:
        return pending
    parts = []
    short = []
    for structure, ids in contacts:
        verb, segs = _dependants(structure, stays)
        for lid in ids:
            les = next((x for x in ctx.disease.lesions if x.id == lid), None)
            rel = next((r for s, r in les.contacts if s == structure), "touches") if les else \
                next((r for s, r in ctx.disease.orphan_contacts if s == structure), "touches")
            who = les.label if les else lid
            verb_rel = _RELATION_VERBS.get(rel, "touches")
            parts.append(f"{who} {verb_rel} the {structure} ({VESSEL_NAMES[structure]}), which "
                         f"{verb} remnant segment(s) {units_text(set(segs))}")
            short.append(f"{les.id if les else lid} {verb_rel} the {structure}")
    return V(MET, "present: " + "; ".join(short[:2]) + (" …" if len(short) > 2 else ""),
             "; ".join(parts)[0].upper() + "; ".join(parts)[1:]
             + f" under {ctx.governing_phrase}." + _better_plan_sentence(ctx))


def _governing_plan(ctx: Context, no_plan: str) -> Any:
    """The plan that governs a technical rule, or the verdict already decided without one:
    met with no disease left; unknown while missing sizes could still make a plan work
    (naming them); else not met with ``no_plan``."""
    if ctx.no_disease:
        return V(MET, "yes: no lesion is present", NO_DISEASE)
    if ctx.governing is not None:
        return ctx.governing
    pending = _pending_sizes(ctx)
    return pending if pending is not None else V(NOT_MET, "no: no plan works", no_plan)


@rule_kind("r0_clearance", lesions=True, vessel_pass=MET)
def r0_clearance(params: dict[str, Any], ctx: Context) -> Verdict:
    plan = _governing_plan(ctx, "No remnant of at least two contiguous segments allows "
                                "removing or treating every lesion.")
    if isinstance(plan, Verdict):
        return plan
    if plan.cleared:
        return V(MET, f"yes: {_short_success(plan)}",
                 f"Under {ctx.governing_phrase}, every lesion is removed or treated: "
                 f"{_plan_success(plan, ctx)}.")
    return V(NOT_MET, f"no: {_first(plan.untreated)}",
             f"Under {ctx.governing_phrase}: " + "; ".join(plan.untreated) + "."
             + _better_plan_sentence(ctx))


@rule_kind("inflow_outflow_preserved", lesions=True, vessel_pass=MET)
def inflow_outflow_preserved(params: dict[str, Any], ctx: Context) -> Verdict:
    plan = _governing_plan(ctx, "No plan found whose remnant keeps inflow, outflow and "
                                "biliary drainage.")
    if isinstance(plan, Verdict):
        return plan
    stays = _stays(plan)
    lost = ", ".join(sorted(ctx.disease.lost)) or "none"
    if stays and (plan.drop_allowed or not plan.dropped):
        notes = plan.notes()
        return V(MET, f"preserved: remnant {units_range(stays)}"
                 + (f" ({', '.join(seg for seg, _ in plan.dropped)} resected with the specimen)"
                    if notes else ""),
                 f"Under {ctx.governing_phrase}, remnant segments {units_range(stays)} keep "
                 f"inflow, outflow and drainage (structures sacrificed: {lost})."
                 + "".join(" " + n[0].upper() + n[1:] + "." for n in notes))
    problems = [why for _seg, why in plan.dropped] or ["no remnant segment keeps its supply"]
    return V(NOT_MET, f"lost: {problems[0]}",
             f"Under {ctx.governing_phrase}: " + "; ".join(problems) + "."
             + _better_plan_sentence(ctx))


@rule_kind("two_contiguous_viable", lesions=True, vessel_pass=MET)
def two_contiguous_viable(params: dict[str, Any], ctx: Context) -> Verdict:
    plan = _governing_plan(ctx, "No remnant of two contiguous segments keeps inflow and "
                                "outflow once every lesion is cleared.")
    if isinstance(plan, Verdict):
        return plan
    stays = _stays(plan)
    whole = plan.contiguous or not plan.contiguity_required
    if plan.cleared and stays and whole and plan.enough_segments:
        return V(MET, f"yes: {units_range(stays)}, {plan.segment_count} segments in one piece",
                 f"Under {ctx.governing_phrase}, the remnant that stays ({units_range(stays)}) "
                 f"holds {plan.segment_count} viable segments in one contiguous piece.")
    why = []
    if not plan.cleared:
        why.append("disease stays in the remnant (" + "; ".join(plan.untreated) + ")")
    if not stays:
        why.append("no remnant segment keeps its inflow and outflow")
    elif plan.contiguity_required and not plan.contiguous:
        from mdt.protocols.plans import pieces_text

        why.append(pieces_text(plan.planned_pieces if len(plan.planned_pieces) > 1
                               else plan.pieces))
    if stays and not plan.enough_segments:
        why.append(f"{plan.segment_count} viable segment(s) ({units_range(stays)}); at least "
                   f"{plan.min_segments} needed")
    return V(NOT_MET, f"no: {why[0]}", f"Under {ctx.governing_phrase}: " + "; ".join(why) + "."
             + _better_plan_sentence(ctx))


# Vessel-dependent: a relation not recorded could take a segment and change the remnant.
@rule_kind("remnant_volume_adequate", lesions=True, vessel_pass=MET)
def remnant_volume_adequate(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return V(MET, "adequate: no lesion is present", NO_DISEASE + " The whole liver stays.")
    if ctx.recorded is None:
        where = f"the best plan found ({ctx.best.name})" if ctx.best else "any plan"
        plan = ctx.review.remnant
        need = ("remnant.resection",) + (("remnant.flr_ml",) if plan is None or
                                         plan.flr_ml is None else ())
        return V(UNKNOWN, "not assessed: no plan recorded",
                 f"No plan recorded: the remnant volume of {where} is not measured (record the "
                 "planned resection and its measured remnant volume).",
                 tuple(ctx.path(n) for n in need))
    vol = ctx.governing_volume()
    return V(vol.status, vol.summary, vol.explanation, tuple(ctx.path(m) if not m.startswith(
        ("treatment.", "patient.")) else m for m in vol.missing))


# --------------------------------------------------------------------------- tumour burden

def _sides(ctx: Context) -> tuple[list[Any], list[Any]]:
    right = [les for les in ctx.disease.lesions if les.units & anatomy.RIGHT_HEMILIVER]
    left = [les for les in ctx.disease.lesions if les.units & anatomy.LEFT_HEMILIVER]
    return right, left


def _bilobar_words(ctx: Context) -> str:
    right, left = _sides(ctx)
    if len(right) == 1 and len(left) == 1 and right[0] is left[0]:
        return (f"bilobar: one lesion, {right[0].label}, touches both hemilivers (a single "
                "straddling lesion counts)")
    return (f"bilobar: right hemiliver {_lesion_list(right)}; left hemiliver "
            f"{_lesion_list(left)}")


def _not_bilobar(ctx: Context) -> str:
    right, left = _sides(ctx)
    if right and left:
        return (f"Disease is not bilobar: a single lesion, {_lesion_list(right)}, spans both "
                "hemilivers, and this protocol needs a lesion in each.")
    return ("Disease is not bilobar: right hemiliver " + (_lesion_list(right) or "none")
            + "; left hemiliver " + (_lesion_list(left) or "none")
            + " (segment I belongs to neither).")


@rule_kind("e1_tumours_in_all_segments", optional={"min_per_segment"}, lesions=True)
def e1_tumours_in_all_segments(params: dict[str, Any], ctx: Context) -> Verdict:
    need = int(params.get("min_per_segment", 2))
    units9 = ctx.settings.segment_count_units == 9
    if ctx.no_disease:
        return V(NOT_MET, "no: no lesion is present", NO_DISEASE)
    names = list(anatomy.UNITS) if units9 else ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    definite = {n: 0 for n in names}
    possible = {n: 0 for n in names}
    vague: list[str] = []
    for les in ctx.disease.lesions:
        hit_def: set[str] = set()
        hit_pos: set[str] = set()
        for seg in les.segments:
            if seg == "IV" and units9:
                hit_pos.update(("IVa", "IVb"))
                vague.append(les.id)
            else:
                for u in anatomy.expand([seg]):
                    hit_def.add(u if units9 else anatomy.COUINAUD_SEGMENT[u])
        for n in hit_def:
            definite[n] += 1
        for n in hit_def | hit_pos:
            possible[n] += 1
    counting = f"{len(names)}-segment count"
    short = [n for n in names if possible[n] < need]
    if short:
        detail = ", ".join(f"{n}: {possible[n]}" for n in short)
        return V(NOT_MET, f"no: {len(short)} of {len(names)} segments hold fewer than {need}",
                 f"Fewer than {need} tumours in segment(s) {detail} ({counting}; a lesion "
                 "counts once in each segment it touches).")
    if all(definite[n] >= need for n in names):
        return V(MET, f"yes: every segment holds {need} or more",
                 f"Every segment holds at least {need} tumours ({counting}: "
                 + ", ".join(f"{n}: {definite[n]}" for n in names) + ").")
    vague = list(dict.fromkeys(vague))
    return V(UNKNOWN, "unknown: IVa or IVb not specified",
             f"With the {counting}, IVa and IVb reach {need} tumours only if lesion(s) "
             f"{', '.join(vague)} recorded as IV lie in each half.",
             tuple(ctx.lesion_path(lid, "segments") for lid in vague))


def _count_words(n: int) -> str:
    return "no lesion" if n == 0 else "1 lesion" if n == 1 else f"{n} lesions"


def _size_test(params: dict[str, Any]) -> tuple[str, Fraction]:
    spec = params.get("diameter_mm", {"op": ">", "value": "30"})
    return spec["op"], exact(spec["value"])


def _count_test(params: dict[str, Any]) -> tuple[str, Fraction]:
    spec = params.get("count", {"op": ">=", "value": "4"})
    return spec["op"], exact(spec["value"])


@rule_kind("e2_bilobar_large_in_remnant", optional={"diameter_mm", "count"}, lesions=True)
def e2_bilobar_large_in_remnant(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return V(NOT_MET, "no: no lesion is present", NO_DISEASE)
    if not is_bilobar(ctx.disease, ctx.settings):
        return V(NOT_MET, "no: disease is not bilobar", _not_bilobar(ctx))
    size_op, size = _size_test(params)
    count_op, count = _count_test(params)
    size_text = f"{OP_TEXT[size_op]} {fmt_num(size)} mm"
    need_text = f"{OP_TEXT[count_op]} {fmt_num(count)}"
    large = [les for les in ctx.disease.lesions
             if les.diameter is not None and compare(les.diameter, size_op, size)]
    unsized = [les for les in ctx.disease.lesions if les.diameter is None]
    bilobar = _bilobar_words(ctx)

    def reaches(n: int) -> bool:
        return compare(n, count_op, count)

    rec = ctx.recorded
    if rec is not None:
        # The future remnant is the plan the panel records (docs/clinical/conventions.md#e2-with-no-recorded-plan).
        rem = rec.remnant
        in_large = [les for les in large if les.units & rem]
        in_unsized = [les for les in unsized if les.units & rem]
        where = f"the remnant of the recorded plan ({units_range(rem)})"
        listed = _lesion_list(in_large) or "none"
        if reaches(len(in_large)):
            return V(MET, f"yes: {len(in_large)} lesions {size_text} in the remnant",
                     f"{bilobar[0].upper() + bilobar[1:]}; {len(in_large)} lesion(s) {size_text} "
                     f"in {where}: {listed} ({need_text} required).")
        if not reaches(len(in_large) + len(in_unsized)):
            return V(NOT_MET, f"no: {_count_words(len(in_large))} {size_text} in the remnant",
                     f"{bilobar[0].upper() + bilobar[1:]}, but {len(in_large)} lesion(s) "
                     f"{size_text} in {where} ({listed}); E2 needs {need_text}.")
        return V(UNKNOWN, "unknown: unmeasured lesions in the remnant",
                 f"{bilobar[0].upper() + bilobar[1:]}; {len(in_large)} lesion(s) {size_text} in "
                 f"{where}; unmeasured lesion(s) {_lesion_list(in_unsized)} could reach "
                 f"{fmt_num(count)}.",
                 tuple(ctx.lesion_path(les.id, "diameter_mm") for les in in_unsized))
    # No recorded plan: met only when every candidate remnant of the search holds the large
    # lesions, not met only when none does, else unknown (docs/clinical/conventions.md#e2-with-no-recorded-plan).
    if not reaches(len(large) + len(unsized)):
        return V(NOT_MET, f"no: {_count_words(len(large))} {size_text} in the whole liver",
                 f"{bilobar[0].upper() + bilobar[1:]}, but only {len(large)} lesion(s) "
                 f"{size_text} in the whole liver"
                 + (f" (and {len(unsized)} unmeasured)" if unsized else "")
                 + f": no remnant can hold {need_text}.")
    # The smallest count that meets E2 (the count test is monotone): integers from here on.
    need = next(n for n in range(len(large) + len(unsized) + 1) if reaches(n))
    every, free_units = e2_candidates(tuple(les.mask for les in large),
                                      tuple(les.mask for les in unsized), need,
                                      ctx.settings.segment_count_units,
                                      ctx.settings.remnant_min_segments)
    if every:
        return V(MET, f"yes: every possible remnant holds {need_text} lesions {size_text}",
                 f"{bilobar[0].upper() + bilobar[1:]}; no plan is recorded and every candidate "
                 f"remnant of two or more contiguous segments holds {need_text} lesion(s) "
                 f"{size_text} ({_lesion_list(large)}).")
    # Name the largest remnant that avoids E2 (the best plan reported is chosen among those).
    avoid = (f" A remnant such as {units_range(free_units)} would avoid E2."
             if free_units is not None else "")
    found = (f"{_count_words(len(large))} {size_text} ({_lesion_list(large)})" if large
             else f"no measured lesion {size_text}")
    if unsized:
        found += (f" and {_count_words(len(unsized)).replace('lesion', 'unmeasured lesion')} "
                  f"that could be ({_lesion_list(unsized)})")
    return V(UNKNOWN, "unknown: no plan recorded — the panel must choose one",
             f"{bilobar[0].upper() + bilobar[1:]} with {found}. E2 counts them in the future "
             "remnant, which is the plan "
             "the panel records; none is recorded, and some candidate remnants could hold "
             f"{need_text} of them while others cannot: the panel must choose a plan." + avoid,
             (ctx.path("remnant.resection"),))


# π bounds for the sphere estimate: 333/106 < π < 355/113, so the comparison is exact.
PI_LOW, PI_HIGH = Fraction(333, 106), Fraction(355, 113)


@rule_kind("e3_bilobar_burden", optional={"burden_pct", "sphere_factor"}, lesions=True)
def e3_bilobar_burden(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return V(NOT_MET, "no: no lesion is present", NO_DISEASE)
    if not is_bilobar(ctx.disease, ctx.settings):
        return V(NOT_MET, "no: disease is not bilobar", _not_bilobar(ctx))
    bilobar = _bilobar_words(ctx)
    bilobar = bilobar[0].upper() + bilobar[1:]
    spec = params.get("burden_pct", {"op": ">", "value": "50"})
    op, limit = spec["op"], exact(spec["value"])
    burden = ctx.review.tumour_burden_pct
    if burden is not None:
        share = exact(burden)
        hit = compare(share, op, limit)
        return V(MET if hit else NOT_MET,
                 f"{'yes' if hit else 'no'}: tumour {fmt_num(share)} % of the liver "
                 f"({'' if hit else 'not '}{OP_TEXT[op]} {fmt_num(limit)} %)",
                 f"{bilobar}; tumour replaces {fmt_num(share)} % of the liver, "
                 f"{'' if hit else 'not '}{OP_TEXT[op]} {fmt_num(limit)} %.")
    factor = exact(params.get("sphere_factor", "2"))
    unsized = [les for les in ctx.disease.lesions if les.diameter is None]
    diameters = [les.diameter for les in ctx.disease.lesions if les.diameter is not None]
    if unsized:
        return V(UNKNOWN, "unknown: tumour share not recorded",
                 f"{bilobar}; the tumour share of the liver is not recorded and lesion(s) "
                 f"{_lesion_list(unsized)} have no diameter to estimate it.",
                 (ctx.path("tumour_burden_pct"),)
                 + tuple(ctx.lesion_path(les.id, "diameter_mm") for les in unsized))
    # docs/clinical/conventions.md#tumour-burden-e3: the fallback compares with the ESTIMATED liver volume (Vauthey from
    # Mosteller BSA), not a measured one, which may or may not include the tumour.
    estimated = total_volume(None, ctx.review.height_cm, ctx.review.weight_kg)
    if estimated is None:
        missing = [ctx.path("tumour_burden_pct")]
        missing += [ctx.path(f) for f in ("height_cm", "weight_kg")
                    if getattr(ctx.review, f) is None]
        return V(UNKNOWN, "unknown: tumour share not recorded",
                 f"{bilobar}; the tumour share of the liver is not recorded and the estimated "
                 "liver volume (Vauthey, from height and weight) cannot be computed.",
                 tuple(missing))
    cubes = sum((d ** 3 for d in diameters), Fraction(0))
    # sphere volume in mL = pi/6 * d^3 (mm^3) / 1000
    high = factor * PI_HIGH / 6 * cubes / 1000
    low = factor * PI_LOW / 6 * cubes / 1000
    half = estimated.ml * limit / 100
    liver = f"estimated liver {fmt_num(estimated.ml, 0)} mL (Vauthey, Mosteller BSA)"
    est = fmt_num(high, 0)
    if high < half:
        return V(NOT_MET, f"no: lesions' volume well under {fmt_num(limit)} % of the liver",
                 f"{bilobar}; the tumour share is not recorded, but {fmt_num(factor)} × the "
                 f"lesions' sphere volumes ({est} mL) stay under {fmt_num(limit)} % of the "
                 f"{liver}.")
    return V(UNKNOWN, "unknown: tumour share must be measured",
             f"{bilobar}; the tumour share is not recorded and {fmt_num(factor)} × the lesions' "
             f"sphere volumes ({fmt_num(low, 0)} mL) reach {fmt_num(limit)} % of the {liver}: "
             "the share must be measured.",
             (ctx.path("tumour_burden_pct"),))


@rule_kind("lesion_count_below", required={"value"}, lesions=True)
def lesion_count_below(params: dict[str, Any], ctx: Context) -> Verdict:
    limit = int(params["value"])
    n = len(ctx.disease.lesions)
    ok = n < limit
    return V(MET if ok else NOT_MET, f"{n} lesion(s) present ({'fewer than' if ok else 'not fewer than'} {limit})",
             f"{n} liver lesion(s) present ({_lesion_list(list(ctx.disease.lesions)) or 'none'}); "
             f"{'fewer than' if ok else 'not fewer than'} {limit}.")


@rule_kind("every_lesion_treatable", optional={"ablation_max_diameter_mm", "volume_counts"},
           lesions=True, vessel_pass=MET)
def every_lesion_treatable(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return V(MET, "yes: no lesion is present", NO_DISEASE)
    settings = replace(ctx.settings, ablation_counts_as_resection=True,
                       ablation_max_diameter_mm=str(params.get(
                           "ablation_max_diameter_mm", ctx.settings.ablation_max_diameter_mm)))
    volume_counts = bool(params.get("volume_counts", True))
    rec_fail = ""
    undecided = None
    if ctx.review.remnant is not None and ctx.recorded is not None:
        plan = ctx.review.remnant
        local = {lt.lesion: lt.method for lt in plan.local_treatment}
        rec = check_plan(ctx.disease, ctx.recorded.remnant, settings, local=local,
                         resection=ctx.recorded.resection)
        vol = ctx.volume(_stays(rec))
        rec = rec.with_volume("undecided" if vol.undecided else vol.status,
                              f"remnant volume {vol.summary}" if vol.undecided
                              else insufficient_words(vol), volume_counts)
        if rec.volume_undecided:
            undecided = vol
        elif rec.feasible:
            return V(MET, f"yes: {_short_success(rec)}",
                     f"The recorded plan ({rec.name}) {_plan_success(rec, ctx)}.")
        rec_fail = f" The recorded plan ({rec.name}) does not: {'; '.join(rec.reasons())}."
        if rec.volume_undecided:
            rec_fail = (f" The recorded plan ({rec.name}) would, but its remnant volume "
                        f"{vol.summary}.")
    exclude = 0
    set_aside = None
    if volume_counts and ctx.recorded is not None:
        vol = ctx.volume(_stays(ctx.recorded))
        if (vol.status == NOT_MET or vol.undecided) and vol.units:
            # An undecided volume could be insufficient: the search looks elsewhere first.
            exclude = units_mask(vol.units)
            set_aside = vol if vol.undecided else None
    result = search(ctx.disease, settings, exclude)
    if result.best is not None:
        chk = check_plan(ctx.disease, mask_units(result.best), settings)
        return V(MET, f"yes: {_short_success(chk)}",
                 f"Every lesion is treatable by resection and/or ablation: "
                 f"{chk.name} {_plan_success(chk, ctx)}." + rec_fail)
    if undecided is not None:
        return V(UNKNOWN, f"unknown: remnant volume {undecided.summary}",
                 "The recorded plan treats every lesion by resection and/or ablation, but its "
                 f"measured remnant volume cannot be judged: {undecided.explanation} No other "
                 "plan works." + rec_fail, _volume_missing(undecided, ctx))
    if set_aside is not None and search(ctx.disease, settings, 0).best is not None:
        where = units_range(set_aside.units or ())
        return V(UNKNOWN, f"unknown: depends on the remnant volume measured for {where}",
                 f"Only a plan keeping the remnant {where} or part of it treats every lesion, "
                 f"and the volume measured for {where} cannot be judged: "
                 f"{set_aside.explanation}" + rec_fail, _volume_missing(set_aside, ctx))
    opt, unsized_t = optimistic_disease(ctx.disease, settings)
    unsized = list(unsized_t)
    if opt is not None and search(opt, settings, exclude).best is not None:
        # Only the missing diameters stand between these lesions and ablation.
        return V(UNKNOWN, f"unknown: depends on the size of {_lesion_list(unsized)}",
                 "No plan treats every lesion by resection and ablation unless "
                 f"{_lesion_list(unsized)} can be ablated: diameter not recorded.",
                 tuple(ctx.lesion_path(les.id, "diameter_mm") for les in unsized))
    near = (" or next to " + ", ".join(settings.ablation_excluded_near)
            if settings.ablation_excluded_near else "")
    return V(NOT_MET, "no: no plan treats every lesion",
             "No remnant of two contiguous segments lets every lesion be resected or ablated "
             f"(ablation up to {settings.ablation_max_diameter_mm} mm, not of a lesion touching a "
             f"sacrificed vessel{near}"
             + (", and a remnant whose measured volume is insufficient does not count"
                if volume_counts else "") + ")." + rec_fail)


# --------------------------------------------------------------------------- patient facts

@rule_kind("extrahepatic")
def extrahepatic(params: dict[str, Any], ctx: Context) -> Verdict:
    ehd = ctx.review.extrahepatic_disease
    if ehd is None:
        return V(UNKNOWN, "unknown: not assessed", "Extrahepatic disease not assessed.",
                 (ctx.path("extrahepatic_disease"),))
    if ehd == "confirmed":
        return V(MET, "present: confirmed", "Extrahepatic disease confirmed.")
    if ehd == "indeterminate":
        if ctx.settings.indeterminate_ehd_counts:
            return V(MET, "present: indeterminate nodule, counted",
                     "Indeterminate extrahepatic nodule, which this protocol counts as "
                     "extrahepatic disease.")
        return V(NOT_MET, "none: indeterminate nodule only, not counted",
                 "Indeterminate extrahepatic nodule only: not counted as extrahepatic disease "
                 "under this protocol's setting.")
    return V(NOT_MET, "none: liver-only disease", "No extrahepatic disease (liver-only).")


@rule_kind("neuropathy_min_grade", required={"value"})
def neuropathy_min_grade(params: dict[str, Any], ctx: Context) -> Verdict:
    grade = ctx.review.clinical.neuropathy_grade
    limit = int(params["value"])
    if grade is None:
        return V(UNKNOWN, "unknown: grade not recorded", "Peripheral neuropathy grade not recorded.",
                 (ctx.path("clinical.neuropathy_grade"),))
    hit = grade >= limit
    return V(MET if hit else NOT_MET, f"{'yes' if hit else 'no'}: grade {grade}",
             f"Peripheral neuropathy grade {grade} (CTCAE), "
             f"{'at or above' if hit else 'below'} grade {limit}.")


def _age(ctx: Context) -> int | None:
    return age_at(ctx.case.patient.birth_date, ctx.review.date)


def _bound(spec: dict[str, Any] | None) -> tuple[str, Fraction] | None:
    if not spec:
        return None
    return spec["op"], exact(spec["value"])


@rule_kind("age_range", optional={"min", "max"})
def age_range(params: dict[str, Any], ctx: Context) -> Verdict:
    age = _age(ctx)
    lo, hi = _bound(params.get("min")), _bound(params.get("max"))
    want = " and ".join(f"{OP_TEXT[op]} {fmt_num(v)}" for op, v in (b for b in (lo, hi) if b))
    if age is None:
        return V(UNKNOWN, "unknown: date of birth not recorded",
                 "Age unknown: date of birth not recorded.", ("patient.birth_date",))
    ok = all(compare(age, op, v) for op, v in (b for b in (lo, hi) if b))
    return V(MET if ok else NOT_MET, f"{age} years ({want} required)",
             f"Age {age} at the review date {ctx.review.date.isoformat()}; required {want}.")


@rule_kind("ecog_max", required={"value"})
def ecog_max(params: dict[str, Any], ctx: Context) -> Verdict:
    ecog = ctx.review.ecog
    limit = int(params["value"])
    if ecog is None:
        return V(UNKNOWN, "unknown: not recorded", "ECOG performance status not recorded.",
                 (ctx.path("ecog"),))
    ok = ecog <= limit
    return V(MET if ok else NOT_MET, f"ECOG {ecog} (≤ {limit} required)",
             f"ECOG {ecog}; required ≤ {limit}.")


def _adjuvant_note(ctx: Context) -> str:
    adj = ctx.review.clinical.prior_adjuvant
    if adj is True:
        return " Adjuvant chemotherapy after resection of the primary is recorded apart: it is " \
               "not a line for metastatic disease and is allowed."
    if adj is False:
        return " No adjuvant chemotherapy."
    return ""


@rule_kind("prior_systemic_lines_max", required={"value"}, optional={"min_lines"})
def prior_systemic_lines_max(params: dict[str, Any], ctx: Context) -> Verdict:
    lines = ctx.review.clinical.prior_systemic_lines
    limit = int(params["value"])
    low = int(params.get("min_lines", 0))
    if lines is None:
        return V(UNKNOWN, "unknown: lines for metastatic disease not recorded",
                 "Prior lines of systemic treatment for metastatic disease not recorded."
                 + _adjuvant_note(ctx), (ctx.path("clinical.prior_systemic_lines"),))
    ok = low <= lines <= limit
    if limit == 0:
        what = "none"
    elif low == limit:
        what = f"exactly {limit}"
    else:
        what = f"{low}–{limit}" if low else f"at most {limit}"
    got = "none" if lines == 0 else f"{lines} line{'s' if lines != 1 else ''}"
    adj = "; adjuvant given (allowed)" if ctx.review.clinical.prior_adjuvant else ""
    short = f"{got} for metastatic disease{adj}"
    if not (ok and limit == 0):
        short += f" ({what} allowed)"
    return V(MET if ok else NOT_MET, short,
             f"{lines} prior line(s) of systemic treatment for metastatic disease; required "
             f"{what}." + _adjuvant_note(ctx))


_RESPONSE_WORDS = {"not_treated": "never given", "refused": "refused by the patient",
                   "progressed": "progressed on it", "controlled": "disease controlled on it"}


@rule_kind("prior_systemic_response", required={"allowed"})
def prior_systemic_response(params: dict[str, Any], ctx: Context) -> Verdict:
    allowed = [a for a in params["allowed"] if a in PRIOR_SYSTEMIC_RESPONSES]
    got = ctx.review.clinical.prior_systemic_response
    want = " or ".join(_RESPONSE_WORDS[a] for a in allowed)
    if got is None:
        return V(UNKNOWN, "unknown: not recorded",
                 f"What became of prior systemic treatment is not recorded (required: {want}).",
                 (ctx.path("clinical.prior_systemic_response"),))
    ok = got in allowed
    return V(MET if ok else NOT_MET, f"{_RESPONSE_WORDS[got]} ({want} required)",
             f"Prior systemic treatment: {_RESPONSE_WORDS[got]}; required: {want}.")


@rule_kind("prior_liver_treatment")
def prior_liver_treatment(params: dict[str, Any], ctx: Context) -> Verdict:
    got = ctx.review.clinical.prior_liver_treatment
    if got is None:
        return V(UNKNOWN, "unknown: not recorded",
                 "Whether liver metastases were already resected, ablated or irradiated is not "
                 "recorded.", (ctx.path("clinical.prior_liver_treatment"),))
    if got:
        return V(MET, "yes: liver metastases already treated locally",
                 "Liver metastases were already treated by resection, ablation or radiation.")
    return V(NOT_MET, "none", "No earlier resection, ablation or radiation of liver metastases.")


@rule_kind("clinical_threshold", required={"field", "op", "value"})
def clinical_threshold(params: dict[str, Any], ctx: Context) -> Verdict:
    name = params["field"]
    label, unit = CLINICAL_WORDS.get(name, (name.replace("_", " "), ""))
    value = getattr(ctx.review.clinical, name)
    op = params["op"]
    if value is None:
        return V(UNKNOWN, "unknown: not recorded", f"{label} not recorded.",
                 (ctx.path(f"clinical.{name}"),))
    ok = compare_number(value, op, params["value"])
    u = f" {unit}" if unit else ""
    shown, need = fmt_num(value), f"{OP_TEXT[op]} {_param_text(params['value'])}{u}"
    return V(MET if ok else NOT_MET, f"{shown}{u} ({need} required)",
             f"{label} {shown}{u}; required {need}.")


@rule_kind("lab_threshold", required={"field", "op"}, optional={"value", "uln_multiple"})
def lab_threshold(params: dict[str, Any], ctx: Context) -> Verdict:
    name = params["field"]
    label, unit = LAB_WORDS.get(name, (name, ""))
    u = f" {unit}" if unit else ""
    value = getattr(ctx.review.labs, name)
    op = params["op"]
    missing = []
    if value is None:
        missing.append(ctx.path(f"labs.{name}"))
    if "uln_multiple" in params:
        factor = exact(params["uln_multiple"])
        uln = getattr(ctx.review.labs.uln, name, None)
        if uln is None or uln <= 0:
            # An upper limit of normal of 0 is no limit: treated as not recorded.
            missing.append(ctx.path(f"labs.uln.{name}"))
        if missing:
            what = "value and upper limit of normal" if len(missing) == 2 else (
                "value" if value is None else "upper limit of normal")
            return V(UNKNOWN, f"unknown: {what} not recorded",
                     f"{label} against {fmt_num(factor)} × its upper limit of normal: the "
                     f"{what} {'are' if len(missing) == 2 else 'is'} not recorded.",
                     tuple(missing))
        assert uln is not None and value is not None
        limit_f = _float_param(params["uln_multiple"]) * uln
        gap = float(value) - limit_f
        if abs(gap) > _FLOAT_SAFE * max(1.0, abs(limit_f)):
            ok = (_WHEN_ABOVE if gap > 0 else _WHEN_BELOW)[op]
        else:
            ok = compare(exact(value), op, factor * exact(uln))
        # The ratio is for the reader only; the decision above is exact near the limit.
        ratio = f"{value / uln:.2f}".rstrip("0").rstrip(".") if uln else "?"
        shown, need = fmt_num(value, 2), f"{OP_TEXT[op]} {params['uln_multiple']} × ULN"
        return V(MET if ok else NOT_MET, f"{shown}{u} = {ratio} × ULN ({need} required)",
                 f"{label} {shown}{u} = {ratio} × the upper limit of normal "
                 f"({fmt_num(uln, 2)}); required {need} = "
                 f"{_uln_limit_text(params['uln_multiple'], uln)}{u}.")
    if missing:
        return V(UNKNOWN, "unknown: not recorded", f"{label} not recorded.", tuple(missing))
    ok = compare_number(value, op, params["value"])
    shown, need = fmt_num(value, 2), f"{OP_TEXT[op]} {_param_text(params['value'])}"
    return V(MET if ok else NOT_MET, f"{shown}{u} ({need} required)",
             f"{label} {shown}{u}; required {need}{u}.")


@lru_cache(maxsize=256)
def _uln_limit_text(factor: str, uln: int | float) -> str:
    """factor × ULN as a person reads it (laboratories keep their upper limits: few values)."""
    return fmt_num(_exact_text(factor) * exact(uln), 2)


@rule_kind("creatinine_clearance_min", required={"value"})
def creatinine_clearance_min(params: dict[str, Any], ctx: Context) -> Verdict:
    limit = exact(params["value"])
    age = _age(ctx)
    weight = ctx.review.weight_kg
    creat = ctx.review.labs.creatinine
    sex = ctx.case.patient.sex
    missing = []
    if age is None:
        missing.append("patient.birth_date")
    if weight is None:
        missing.append(ctx.path("weight_kg"))
    if creat is None or exact(creat) <= 0:
        # A creatinine of 0 is not a measurement: it is as missing as no value.
        missing.append(ctx.path("labs.creatinine"))
    bounds = cockcroft_gault_exact(age, weight, creat, sex)
    if bounds is None:
        words = {"patient.birth_date": "date of birth"}
        need = ", ".join(words.get(m, m.rsplit(".", 1)[-1].replace("_kg", "").replace("_", " "))
                         for m in missing) or "a positive creatinine"
        return V(UNKNOWN, f"unknown: {need} missing",
                 f"Creatinine clearance (Cockcroft–Gault) cannot be computed: {need} missing.",
                 tuple(missing))
    low, high = bounds
    inputs = f"age {age}, {fmt_num(exact(weight))} kg, creatinine {fmt_num(exact(creat))} µmol/L"
    if low >= limit or high < limit:
        ok = low >= limit
        value = fmt_num(low) if low == high else f"{fmt_num(low)}–{fmt_num(high)}"
        return V(MET if ok else NOT_MET, f"{value} mL/min (≥ {fmt_num(limit)} required)",
                 f"Creatinine clearance {value} mL/min (Cockcroft–Gault, {inputs}); required "
                 f"≥ {fmt_num(limit)}.")
    return V(UNKNOWN, "unknown: depends on sex (not recorded as F or M)",
             f"Creatinine clearance {fmt_num(low)}–{fmt_num(high)} mL/min (Cockcroft–Gault, "
             f"{inputs}) depends on sex, which is not recorded as F or M.", ("patient.sex",))


@rule_kind("proteinuria", required={"dipstick_below"}, optional={"g_24h_max"})
def proteinuria(params: dict[str, Any], ctx: Context) -> Verdict:
    dip = ctx.review.labs.proteinuria
    below = params["dipstick_below"]
    if dip is None:
        return V(UNKNOWN, "unknown: dipstick not recorded",
                 "Urine dipstick proteinuria not recorded.", (ctx.path("labs.proteinuria"),))
    if PROTEINURIA.index(dip) < PROTEINURIA.index(below):
        shown = "negative" if dip == "neg" else dip
        return V(MET, f"dipstick {shown} (below {below})",
                 f"Dipstick proteinuria {shown}, below {below}.")
    g_max = params.get("g_24h_max")
    if g_max is None:
        return V(NOT_MET, f"dipstick {dip} (below {below} required)",
                 f"Dipstick proteinuria {dip}; required below {below}.")
    g24 = ctx.review.labs.proteinuria_g_24h
    if g24 is None:
        return V(UNKNOWN, f"unknown: dipstick {dip}, 24-hour protein not recorded",
                 f"Dipstick proteinuria {dip}: the 24-hour urine protein (≤ {g_max} g/24 h "
                 "required) is not recorded.", (ctx.path("labs.proteinuria_g_24h"),))
    ok = exact(g24) <= exact(g_max)
    return V(MET if ok else NOT_MET,
             f"dipstick {dip}, {fmt_num(exact(g24), 2)} g/24 h (≤ {g_max} g required)",
             f"Dipstick proteinuria {dip} with {fmt_num(exact(g24), 2)} g/24 h; required "
             f"≤ {g_max} g/24 h.")


@rule_kind("child_pugh_class", required={"allowed"})
def child_pugh_class(params: dict[str, Any], ctx: Context) -> Verdict:
    labs, clin = ctx.review.labs, ctx.review.clinical
    cp = child_pugh(labs.bilirubin, labs.albumin, labs.inr, clin.ascites, clin.encephalopathy)
    allowed = list(params["allowed"])
    field_paths = {"bilirubin": "labs.bilirubin", "albumin": "labs.albumin", "inr": "labs.inr",
                   "ascites": "clinical.ascites", "encephalopathy": "clinical.encephalopathy"}
    if cp.grade is None:
        missing = tuple(ctx.path(field_paths[m]) for m in cp.missing)
        return V(UNKNOWN, f"unknown: {', '.join(cp.missing)} missing",
                 f"Child-Pugh {cp.min_points}–{cp.max_points} points so far; missing "
                 + ", ".join(cp.missing) + ".", missing)
    ok = cp.grade in allowed
    pts = f"{cp.points} points" if cp.points is not None else \
        f"{cp.min_points}–{cp.max_points} points"
    return V(MET if ok else NOT_MET, f"class {cp.grade}, {pts} ({' or '.join(allowed)} required)",
             f"Child-Pugh class {cp.grade} ({pts}); required " + " or ".join(allowed) + ".")


@rule_kind("measurable_lesion", optional={"min_diameter_mm"}, lesions=True)
def measurable_lesion(params: dict[str, Any], ctx: Context) -> Verdict:
    limit = exact(params.get("min_diameter_mm", "10"))
    ok = [les for les in ctx.disease.lesions if les.diameter is not None and les.diameter >= limit]
    if ok:
        return V(MET, f"yes: {ok[0].id} {fmt_num(ok[0].diameter)} mm (≥ {fmt_num(limit)} mm)",
                 f"Measurable liver lesion(s) ≥ {fmt_num(limit)} mm: "
                 f"{', '.join(f'{les.id} {fmt_num(les.diameter)} mm' for les in ok)}.")
    unsized = [les for les in ctx.disease.lesions if les.diameter is None]
    if unsized:
        return V(UNKNOWN, "unknown: lesions without a diameter",
                 f"No lesion measured ≥ {fmt_num(limit)} mm; {_lesion_list(unsized)} have no "
                 "diameter.", tuple(ctx.lesion_path(les.id, "diameter_mm") for les in unsized))
    return V(NOT_MET, f"no: no lesion ≥ {fmt_num(limit)} mm",
             f"No liver lesion measures ≥ {fmt_num(limit)} mm (RECIST 1.1).")


# --------------------------------------------------------------------------- treatment time

def _add_months(d: date, months: int) -> date:
    import calendar

    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _induction_start(ctx: Context) -> tuple[date | None, str]:
    t = ctx.case.treatment
    if t is not None and t.start_date is not None:
        return t.start_date, "treatment start"
    for r in ctx.case.reviews:
        if r.cycle == 0:
            return r.date, "baseline review (treatment start date not recorded)"
    return None, ""


@rule_kind("induction_duration", optional={"min_months", "max_months"})
def induction_duration(params: dict[str, Any], ctx: Context) -> Verdict:
    start, how = _induction_start(ctx)
    if start is None:
        return V(UNKNOWN, "unknown: start of induction not recorded",
                 "Start of induction chemotherapy not recorded.", ("treatment.start_date",))
    lo, hi = params.get("min_months"), params.get("max_months")
    on = ctx.review.date
    ok = True
    if lo is not None and on < _add_months(start, int(lo)):
        ok = False
    if hi is not None and on > _add_months(start, int(hi)):
        ok = False
    days = (on - start).days
    return V(MET if ok else NOT_MET, f"{days} days of induction ({lo}–{hi} months required)",
             f"{days} days of induction since the {how} {start.isoformat()}; required "
             f"{lo}–{hi} months.")


_BEFORE_INDUCTION = "reviews[0]"


@rule_kind("biological_progression", optional={"min_months", "marker_factor", "markers"},
           lesions=True)
def biological_progression(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return V(NOT_MET, "no: no lesion is present", NO_DISEASE)
    min_months = int(params.get("min_months", 2))
    factor = exact(params.get("marker_factor", "2"))
    markers = params.get("markers", ["cea", "ca19_9"])
    start, how = _induction_start(ctx)
    if start is None:
        return V(UNKNOWN, "unknown: start of induction not recorded",
                 "Start of induction chemotherapy not recorded.", ("treatment.start_date",))
    due = _add_months(start, min_months)
    if ctx.review.date < due:
        return V(NOT_MET, f"no: applies after {min_months} months of induction",
                 f"Only {(ctx.review.date - start).days} days since the {how} "
                 f"{start.isoformat()}: the biological criterion applies after {min_months} "
                 "months of induction.")
    findings: list[bool | None] = []
    parts: list[str] = []
    missing: list[str] = []
    if ctx.index == 0:
        # After the induction has run its minimum, the first review recorded has no earlier
        # imaging or markers to compare with: progression cannot be excluded, so unknown.
        return V(UNKNOWN, "unknown: no review before induction to compare with",
                 "Biological progression undecided: this is the first review recorded, "
                 f"{(ctx.review.date - start).days} days after the {how} {start.isoformat()}, "
                 "so there is no pre-induction imaging or marker value to compare with (record "
                 "the review before induction).", (_BEFORE_INDUCTION,))
    rec = ctx.recist
    if rec is None:
        findings.append(None)
        parts.append("RECIST not assessed")
        missing.append(ctx.path("lesions"))
    elif rec.response == "PD":
        findings.append(True)
        parts.append("RECIST 1.1 progression (PD)")
    elif rec.response == "NE":
        findings.append(None)
        parts.append("RECIST response not evaluable")
        missing.append(ctx.path("lesions"))
    else:
        findings.append(False)
        parts.append(f"RECIST {rec.response}")
    baseline = ctx.case.reviews[0]
    for m in markers:
        label = CLINICAL_WORDS.get(m, (m, ""))[0]
        now = getattr(ctx.review.clinical, m)
        base = getattr(baseline.clinical, m)
        if now is None or base is None:
            findings.append(None)
            missing.append(ctx.path(f"clinical.{m}") if now is None
                           else f"reviews[0].clinical.{m}")
            parts.append(f"{label} doubling unknown")
            continue
        hit = exact(base) > 0 and exact(now) >= factor * exact(base)
        findings.append(hit)
        parts.append(f"{label} {fmt_num(exact(base), 1)} → {fmt_num(exact(now), 1)}"
                     + (" (doubled)" if hit else ""))
    verdict = tri_or(findings)
    text = "; ".join(parts) + f" ({how} {start.isoformat()})."
    short = "; ".join(parts)
    if verdict is True:
        return V(MET, f"yes: {short}", "Biological progression: " + text)
    if verdict is False and baseline.date >= due:
        # The first review recorded is itself past the minimum induction: a doubling or a
        # progression since the start of induction cannot be excluded from what is recorded.
        return V(UNKNOWN, "unknown: no review before induction to compare with",
                 "Biological progression undecided: " + text[:-1]
                 + f"; the first review ({baseline.date.isoformat()}) already follows "
                 f"{min_months} months of induction, so nothing recorded shows the values "
                 "before induction.", (_BEFORE_INDUCTION,))
    if verdict is False:
        return V(NOT_MET, f"no: {short}", "No biological progression: " + text)
    return V(UNKNOWN, f"unknown: {short}", "Biological progression undecided: " + text,
             tuple(missing))
