"""The rule kinds a protocol file may use, each a function of (rule, context).

Each returns a :class:`Verdict`: ``met`` / ``not_met`` / ``unknown``, the
explanation the panel reads (naming the lesions, vessels, segments and numbers
that decided it) and, when unknown, the fields whose absence made it so.
``met`` always means the criterion's statement holds: for an exclusion, that
the patient is excluded; for an inclusion or organ-function item, that the
requirement is satisfied; for an unresectability criterion, that it applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import lru_cache
from typing import Any, NamedTuple, cast

from mdt import anatomy
from mdt.case import LAB_UNITS, PROTEINURIA, VESSEL_NAMES
from mdt.evaluation import MET, NOT_MET, UNKNOWN
from mdt.exact import exact as _exact
from mdt.exact import to_float
from mdt.protocols.context import Context, fmt_num, units_text
from mdt.protocols.plans import (
    CANDIDATES,
    PlanCheck,
    check_plan,
    contact_free_remnant_exists,
    optimistic_disease,
    quick_option,
)
from mdt.remnant import (
    CHEMO_DAYS_FOR_30_PCT,
    THRESHOLD_PCT,
    at_threshold,
    compare,
    total_volume,
)
from mdt.scores import age_at, child_pugh, cockcroft_gault_exact


@lru_cache(maxsize=1024)
def _exact_text(value: str) -> Fraction:
    return _exact(value)


def exact(value: object) -> Fraction:
    """Exact value (as :func:`mdt.exact.exact`); protocol parameters (decimal strings) are
    converted once per process, and a float's shortest decimal text is read directly."""
    kind = type(value)
    if kind is int:
        return Fraction(cast(int, value))
    if kind is float:
        text = repr(value)
        whole, dot, frac = text.partition(".")
        if dot and "e" not in frac and "n" not in text:
            return Fraction(int(whole + frac), 10 ** len(frac))
        return _exact(cast(float, value))
    if kind is str:
        return _exact_text(cast(str, value))
    return _exact(value)  # type: ignore[arg-type]  # a Decimal or Fraction, or bad input _exact refuses


class Verdict(NamedTuple):
    """What a rule found (a tuple: the engine makes a few dozen per evaluation)."""
    status: str
    explanation: str
    missing: tuple[str, ...] = ()


RuleFn = Callable[[dict[str, Any], Context], Verdict]
RULE_KINDS: dict[str, RuleFn] = {}
RULE_PARAMS: dict[str, tuple[set[str], set[str]]] = {}
"""kind -> (required params, optional params), checked when a protocol file loads."""

OPERATORS = (">=", ">", "<=", "<", "==")
OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


def rule_kind(name: str, required: set[str] | None = None, optional: set[str] | None = None
              ) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        RULE_KINDS[name] = fn
        RULE_PARAMS[name] = (set(required or ()), set(optional or ()))
        return fn
    return register


def tri_or(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    if all(v is False for v in values):
        return False
    return None


def _status(value: bool | None) -> str:
    return MET if value is True else NOT_MET if value is False else UNKNOWN


def _lesion_list(lesions: list[Any]) -> str:
    return ", ".join(les.label for les in lesions)


NO_DISEASE = "No liver lesion is present at this review: nothing is left to resect."


# --------------------------------------------------------------------------- plan-based rules

def _plan_failure_summary(ctx: Context) -> str:
    """Why the named resections fail, for explanations when no plan works."""
    parts = []
    for name in anatomy.RESECTIONS:
        feasible, _, reasons = quick_option(ctx.disease, anatomy.remnant_of(name), ctx.settings,
                                            name)
        if not feasible and reasons:
            parts.append(f"{anatomy.RESECTION_LABELS[name].lower()}: {reasons[0]}")
        if len(parts) == 3:
            break
    return "; ".join(parts)


def _better_plan_sentence(ctx: Context) -> str:
    if better_plan(ctx) and ctx.best is not None:
        return (f" A better plan exists: {ctx.best.name} (remnant {ctx.best.remnant_text}"
                + (", treating " + ", ".join(f"{lid} by {m}" for lid, m in ctx.best.local)
                   if ctx.best.local else "")
                + ").")
    return ""


def better_plan(ctx: Context) -> bool:
    """The search found a plan better than the recorded one: it works where the recorded one
    does not, or it keeps no touched vessel where the recorded one does."""
    rec, best = ctx.recorded, ctx.best
    if rec is None or best is None:
        return False
    if not rec.feasible:
        return True
    return bool(rec.remnant_contacts) and not best.remnant_contacts


def _plan_success(chk: PlanCheck, ctx: Context) -> str:
    removed = [les for les in ctx.disease.lesions if not (les.units & chk.remnant)]
    parts = []
    if removed:
        parts.append(f"removes {_lesion_list(removed)}")
    if chk.local:
        parts.append("treats " + ", ".join(f"{lid} by {m}" for lid, m in chk.local))
    what = " and ".join(parts) if parts else "clears all disease"
    return (f"{what} and leaves {chk.segment_count} perfused and drained segment(s) "
            f"({chk.remnant_text})")


def _pending_sizes(ctx: Context, allowed: set[str] | None = None) -> Verdict | None:
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
    return Verdict(UNKNOWN, f"Depends on unmeasured lesion(s) {_lesion_list(list(unsized))}: "
                   f"if small enough to ablate (≤ {ctx.settings.ablation_max_diameter_mm} mm), "
                   f"{best.name} would work (remnant {best.remnant_text}"
                   + (", treating " + ", ".join(f"{lid} by {m}" for lid, m in best.local)
                      if best.local else "")
                   + "); record the diameter(s).",
                   tuple(ctx.lesion_path(les.id, "diameter_mm") for les in unsized))


@rule_kind("u1_plan_feasible")
def u1_plan_feasible(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return Verdict(NOT_MET, NO_DISEASE)
    rec = ctx.recorded
    if rec is not None:
        if rec.feasible:
            return Verdict(NOT_MET, f"The recorded plan {rec.name} {_plan_success(rec, ctx)}."
                           + _better_plan_sentence(ctx))
        return Verdict(MET, f"The recorded plan {rec.name} does not work: "
                       + "; ".join(rec.reasons()) + "." + _better_plan_sentence(ctx))
    if ctx.best is not None:
        return Verdict(NOT_MET, f"No plan recorded; the best plan found, {ctx.best.name}, "
                       f"{_plan_success(ctx.best, ctx)} ({ctx.search.feasible} of "
                       f"{ctx.search.candidates} remnants work).")
    pending = _pending_sizes(ctx)
    if pending is not None:
        return pending
    summary = _plan_failure_summary(ctx)
    return Verdict(MET, f"None of the {ctx.search.candidates} remnants of at least "
                   f"{ctx.settings.remnant_min_segments} contiguous segments clears all disease "
                   "with viable inflow and outflow" + (f" ({summary})" if summary else "") + ".")


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


@rule_kind("u2_remnant_vessel_contact", optional={"structures"})
def u2_remnant_vessel_contact(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return Verdict(NOT_MET, NO_DISEASE)
    allowed = set(params.get("structures") or anatomy.PORTAL_VEINS + anatomy.HEPATIC_VEINS
                  + ("IVC",))
    plan = ctx.governing
    if plan is None:
        cand = None
        touched = {s for s in ctx.disease.touched if s in allowed}
        if touched:
            cand = contact_free_remnant_exists(ctx.disease, ctx.settings)
        if not touched or cand is not None:
            extra = f"; a remnant such as {units_text(cand.units)} would keep none" if cand else ""
            return Verdict(NOT_MET, "No plan clears the disease (see U1); no touched vessel "
                           "need belong to the remnant" + extra + ".")
        return Verdict(MET, "Every remnant of at least two contiguous segments keeps a vessel "
                       "a lesion touches (" + ", ".join(
                           f"{ctx.disease.who_touches(s)} touches {s}" for s in sorted(touched))
                       + ").")
    contacts = [(s, ids) for s, ids in plan.remnant_contacts if s in allowed]
    if not contacts:
        outside = sorted(s for s in ctx.disease.touched if s in allowed)
        tail = (f" The touched vessel(s) {', '.join(outside)} leave with the resected liver."
                if outside else " No lesion touches a major vessel.")
        return Verdict(NOT_MET, f"Under {ctx.governing_phrase} (remnant {plan.remnant_text}) "
                       "no lesion touches a major vessel of the remnant." + tail)
    pending = _pending_sizes(ctx, allowed)
    if pending is not None:
        return pending
    parts = []
    for structure, ids in contacts:
        verb, segs = _dependants(structure, plan.remnant)
        for lid in ids:
            les = next((x for x in ctx.disease.lesions if x.id == lid), None)
            rel = next((r for s, r in les.contacts if s == structure), "touches") if les else \
                next((r for s, r in ctx.disease.orphan_contacts if s == structure), "touches")
            who = les.label if les else lid
            verb_rel = {"contact": "contacts", "encasement": "encases", "invasion": "invades",
                        "thrombus": "has tumour thrombus in"}.get(rel, "touches")
            parts.append(f"{who} {verb_rel} {structure} ({VESSEL_NAMES[structure]}), which "
                         f"{verb} remnant segment(s) {units_text(set(segs))}")
    return Verdict(MET, "; ".join(parts) + f" under {ctx.governing_phrase}."
                   + _better_plan_sentence(ctx))


def _governing_plan(ctx: Context, no_plan: str) -> Any:
    """The plan that governs a technical rule, or the verdict already decided without one:
    met with no disease left; unknown while missing sizes could still make a plan work
    (naming them); else not met with ``no_plan``."""
    if ctx.no_disease:
        return Verdict(MET, NO_DISEASE)
    if ctx.governing is not None:
        return ctx.governing
    pending = _pending_sizes(ctx)
    return pending if pending is not None else Verdict(NOT_MET, no_plan)


@rule_kind("r0_clearance")
def r0_clearance(params: dict[str, Any], ctx: Context) -> Verdict:
    plan = _governing_plan(ctx, "No remnant of at least two contiguous segments allows "
                                "removing or treating every lesion.")
    if isinstance(plan, Verdict):
        return plan
    if plan.cleared:
        return Verdict(MET, f"Under {ctx.governing_phrase}, every lesion is removed or treated: "
                       f"{_plan_success(plan, ctx)}.")
    return Verdict(NOT_MET, f"Under {ctx.governing_phrase}: " + "; ".join(plan.untreated)
                   + "." + _better_plan_sentence(ctx))


@rule_kind("inflow_outflow_preserved")
def inflow_outflow_preserved(params: dict[str, Any], ctx: Context) -> Verdict:
    plan = _governing_plan(ctx, "No plan found whose remnant keeps inflow, outflow and "
                                "biliary drainage.")
    if isinstance(plan, Verdict):
        return plan
    if not plan.nonviable:
        lost = ", ".join(sorted(ctx.disease.lost)) or "none"
        return Verdict(MET, f"Under {ctx.governing_phrase}, remnant segments "
                       f"{plan.remnant_text} keep inflow, outflow and drainage "
                       f"(structures sacrificed: {lost}).")
    return Verdict(NOT_MET, f"Under {ctx.governing_phrase}: " + "; ".join(
        f"segment {seg} {'; '.join(p)}" for seg, p in plan.nonviable) + "."
        + _better_plan_sentence(ctx))


@rule_kind("two_contiguous_viable")
def two_contiguous_viable(params: dict[str, Any], ctx: Context) -> Verdict:
    plan = _governing_plan(ctx, "No remnant of two contiguous segments keeps inflow and "
                                "outflow once every lesion is cleared.")
    if isinstance(plan, Verdict):
        return plan
    pairs = [f"{a}–{b}" for a in anatomy.sort_units(plan.viable)
             for b in anatomy.sort_units(plan.viable)
             if anatomy.UNITS.index(a) < anatomy.UNITS.index(b) and anatomy.adjacent(a, b)]
    if pairs and plan.cleared:
        return Verdict(MET, f"Under {ctx.governing_phrase}, viable remnant segments "
                       f"{units_text(plan.viable)} include contiguous pair(s) "
                       f"{', '.join(pairs[:3])}.")
    why = []
    if not plan.cleared:
        why.append("disease stays in the remnant (" + "; ".join(plan.untreated) + ")")
    if not pairs:
        why.append("viable remnant segments " + (units_text(plan.viable) or "none")
                   + " contain no contiguous pair")
    return Verdict(NOT_MET, f"Under {ctx.governing_phrase}: " + "; ".join(why) + "."
                   + _better_plan_sentence(ctx))


@rule_kind("remnant_volume_adequate", optional={"thresholds"})
def remnant_volume_adequate(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return Verdict(MET, NO_DISEASE + " The whole liver stays.")
    vol = remnant_volume(ctx, params)
    return Verdict(vol.status, vol.explanation, vol.missing)


def pct_round(pct: Fraction, limit: Fraction | None) -> float:
    """A percentage to 0.1, or to 0.01 when 0.1 would show it equal to a threshold it is not."""
    shown = to_float(pct, 1)
    if limit is not None and pct != limit and _exact(shown) == limit:
        return to_float(pct, 2)
    return shown


def pct_text(pct: Fraction, limit: Fraction | None) -> str:
    return f"{pct_round(pct, limit):g}"


@dataclass(frozen=True, slots=True)
class VolumeResult:
    status: str
    explanation: str
    missing: tuple[str, ...]
    flr_pct: Fraction | None = None
    threshold: Fraction | None = None
    at_threshold: bool = False


def remnant_volume(ctx: Context, params: dict[str, Any] | None = None) -> VolumeResult:
    """Standardised FLR of the recorded plan against the liver-condition threshold."""
    cached = ctx.cache.get("volume")
    if isinstance(cached, VolumeResult):
        return cached
    result = _remnant_volume(ctx, params or {})
    ctx.cache["volume"] = result
    return result


def _remnant_volume(ctx: Context, params: dict[str, Any]) -> VolumeResult:
    thresholds = {k: exact(v) for k, v in (params.get("thresholds") or {}).items()} or THRESHOLD_PCT
    op = ctx.settings.flr_operator
    plan = ctx.review.remnant
    missing: list[str] = []
    if ctx.recorded is None:
        where = ("the best plan found, " + ctx.best.name) if ctx.best else "any plan"
        # Name only what is actually missing: a volume may be recorded without its plan.
        need = (ctx.path("remnant.resection"),) + (
            (ctx.path("remnant.flr_ml"),) if plan is None or plan.flr_ml is None else ())
        return VolumeResult(UNKNOWN, f"No plan recorded: the remnant volume of {where} is not "
                            "measured (remnant.resection or remnant.segments, remnant.flr_ml).",
                            need)
    flr = plan.flr_ml if plan else None
    if flr is None:
        missing.append(ctx.path("remnant.flr_ml"))
    tlv = ctx.tlv
    if tlv is None:
        missing.append(ctx.path("remnant.tlv_ml"))
        if ctx.review.height_cm is None:
            missing.append(ctx.path("height_cm"))
        if ctx.review.weight_kg is None:
            missing.append(ctx.path("weight_kg"))
    condition = plan.liver_condition if plan else None
    upgrade = ""
    start = ctx.case.treatment.start_date if ctx.case.treatment else None
    if condition == "normal" and start is not None and \
            (ctx.review.date - start).days > CHEMO_DAYS_FOR_30_PCT and "chemotherapy" in thresholds:
        # Recorded "normal" after more than 12 weeks of chemotherapy: the stricter
        # post-chemotherapy threshold applies (docs/clinical/conventions.md#weeks-of-chemotherapy), never the 20 % one.
        condition = "chemotherapy"
        upgrade = (f" (recorded as normal, but {(ctx.review.date - start).days} days of "
                   f"chemotherapy since {start.isoformat()} exceed 12 weeks)")
    limit = thresholds.get(condition or "")
    if missing:
        return VolumeResult(UNKNOWN, "Remnant volume cannot be computed: missing "
                            + ", ".join(missing) + ".", tuple(missing))
    assert flr is not None and tlv is not None
    pct = exact(flr) * 100 / tlv.ml
    tlv_text = (f"measured total {fmt_num(tlv.ml, 0)} mL" if tlv.source == "measured"
                else f"Vauthey-estimated total {fmt_num(tlv.ml, 0)} mL from BSA")
    head = (f"FLR {fmt_num(exact(flr), 0)} mL of {tlv_text} = {pct_text(pct, limit)} % "
            f"under {ctx.governing_phrase}")
    if limit is None:
        # Unknown condition: decided only if every possible threshold agrees.
        outcomes = {compare(pct, op, t) for t in set(thresholds.values())}
        if len(outcomes) == 1:
            ok = outcomes.pop()
            return VolumeResult(MET if ok else NOT_MET,
                                f"{head}; liver condition not recorded, but the result is "
                                f"{'above' if ok else 'below'} every threshold "
                                f"({', '.join(fmt_num(t) + ' %' for t in sorted(set(thresholds.values())))}).",
                                (), pct, None)
        return VolumeResult(UNKNOWN, f"{head}; the threshold depends on the liver condition, "
                            f"which is not recorded ({ctx.path('remnant.liver_condition')}).",
                            (ctx.path("remnant.liver_condition"),), pct, None)
    ok = compare(pct, op, limit)
    near = at_threshold(pct, limit)
    tail = " — at threshold (within 0.5 points)" if near else ""
    return VolumeResult(MET if ok else NOT_MET,
                        f"{head}, {'meets' if ok else 'falls short of'} the {condition} liver "
                        f"threshold {OP_TEXT[op]} {fmt_num(limit)} %{upgrade}{tail}.",
                        (), pct, limit, near)


# --------------------------------------------------------------------------- tumour burden

def _bilobar(ctx: Context) -> tuple[bool, list[Any], list[Any]]:
    right = [les for les in ctx.disease.lesions if les.units & anatomy.RIGHT_HEMILIVER]
    left = [les for les in ctx.disease.lesions if les.units & anatomy.LEFT_HEMILIVER]
    bilobar = bool(right and left and (len(right) > 1 or len(left) > 1 or right[0] is not left[0]))
    return bilobar, right, left


def _not_bilobar(right: list[Any], left: list[Any]) -> str:
    if right and left:
        # One lesion straddling the Cantlie line is not "bilobar metastases" (project reading).
        return (f"Disease is not bilobar: a single lesion, {_lesion_list(right)}, spans both "
                "hemilivers; bilobar needs a lesion in each.")
    return ("Disease is not bilobar: right hemiliver "
            + (_lesion_list(right) or "none") + "; left hemiliver "
            + (_lesion_list(left) or "none") + " (segment I belongs to neither).")


@rule_kind("e1_tumours_in_all_segments", optional={"min_per_segment"})
def e1_tumours_in_all_segments(params: dict[str, Any], ctx: Context) -> Verdict:
    need = int(params.get("min_per_segment", 2))
    units9 = ctx.settings.segment_count_units == 9
    if ctx.no_disease:
        return Verdict(NOT_MET, NO_DISEASE)
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
    counting = f"{len(names)}-unit count"
    short = [n for n in names if possible[n] < need]
    if short:
        detail = ", ".join(f"{n}: {possible[n]}" for n in short)
        return Verdict(NOT_MET, f"Fewer than {need} tumours in segment(s) {detail} "
                       f"({counting}; a lesion counts once in each segment it touches).")
    if all(definite[n] >= need for n in names):
        return Verdict(MET, f"Every segment holds at least {need} tumours ({counting}: "
                       + ", ".join(f"{n}: {definite[n]}" for n in names) + ").")
    vague = list(dict.fromkeys(vague))
    return Verdict(UNKNOWN, f"With the {counting}, IVa and IVb reach {need} tumours only if "
                   f"lesion(s) {', '.join(vague)} recorded as IV lie in each half.",
                   tuple(ctx.lesion_path(lid, "segments") for lid in vague))


def _size_test(params: dict[str, Any]) -> tuple[str, Fraction]:
    spec = params.get("diameter_mm", {"op": ">", "value": "30"})
    return spec["op"], exact(spec["value"])


def _count_test(params: dict[str, Any]) -> tuple[str, Fraction]:
    spec = params.get("count", {"op": ">=", "value": "4"})
    return spec["op"], exact(spec["value"])


@rule_kind("e2_bilobar_large_in_remnant", optional={"diameter_mm", "count"})
def e2_bilobar_large_in_remnant(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return Verdict(NOT_MET, NO_DISEASE)
    bilobar, right, left = _bilobar(ctx)
    if not bilobar:
        return Verdict(NOT_MET, _not_bilobar(right, left))
    size_op, size = _size_test(params)
    count_op, count = _count_test(params)
    size_text = f"{OP_TEXT[size_op]} {fmt_num(size)} mm"
    large = [les for les in ctx.disease.lesions
             if les.diameter is not None and compare(les.diameter, size_op, size)]
    unsized = [les for les in ctx.disease.lesions if les.diameter is None]
    plan = ctx.governing
    if plan is not None:
        rem = plan.remnant
        in_large = [les for les in large if les.units & rem]
        in_unsized = [les for les in unsized if les.units & rem]
        where = f"the remnant ({plan.remnant_text}) of {ctx.governing_phrase}"
    else:
        # No plan governs: the most favourable remnant of two contiguous segments decides.
        # A remnant that stays under the count even if every unmeasured lesion is large
        # decides not_met; failing that, the remnant with the fewest measured large lesions
        # decides met (every remnant reaches the count) or unknown.
        best_cand, best_key = None, None
        units8 = ctx.settings.segment_count_units == 8
        large_masks = [les.mask for les in large]
        unsized_masks = [les.mask for les in unsized]
        reaches = [compare(Fraction(k), count_op, count)
                   for k in range(len(large_masks) + len(unsized_masks) + 1)]
        for cand in CANDIDATES:
            if (cand.segments8 if units8 else cand.segments9) < ctx.settings.remnant_min_segments:
                continue
            cm = cand.mask
            n = sum(1 for m in large_masks if m & cm)
            u = sum(1 for m in unsized_masks if m & cm) if unsized_masks else 0
            key = (0, n + u) if not reaches[n + u] else (1, n)
            if best_key is None or key < best_key:
                best_cand, best_key = cand, key
        assert best_cand is not None
        in_large = [les for les in large if les.mask & best_cand.mask]
        in_unsized = [les for les in unsized if les.mask & best_cand.mask]
        where = f"the most favourable remnant ({units_text(best_cand.units)}); no plan governs"
    low = Fraction(len(in_large))
    high = Fraction(len(in_large) + len(in_unsized))
    listed = _lesion_list(in_large) or "none"
    if compare(low, count_op, count):
        return Verdict(MET, f"Bilobar disease with {len(in_large)} lesion(s) {size_text} in "
                       f"{where}: {listed} ({OP_TEXT[count_op]} {fmt_num(count)} required).")
    if not compare(high, count_op, count):
        return Verdict(NOT_MET, f"Bilobar disease, but {len(in_large)} lesion(s) {size_text} "
                       f"in {where} ({listed}); E2 needs {OP_TEXT[count_op]} {fmt_num(count)}.")
    return Verdict(UNKNOWN, f"Bilobar disease with {len(in_large)} lesion(s) {size_text} in "
                   f"{where}; unmeasured lesion(s) {_lesion_list(in_unsized)} could reach "
                   f"{fmt_num(count)}.",
                   tuple(ctx.lesion_path(les.id, "diameter_mm") for les in in_unsized))


# π bounds for the sphere estimate: 333/106 < π < 355/113, so the comparison is exact.
PI_LOW, PI_HIGH = Fraction(333, 106), Fraction(355, 113)


@rule_kind("e3_bilobar_burden", optional={"burden_pct", "sphere_factor"})
def e3_bilobar_burden(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return Verdict(NOT_MET, NO_DISEASE)
    bilobar, right, left = _bilobar(ctx)
    if not bilobar:
        return Verdict(NOT_MET, _not_bilobar(right, left))
    spec = params.get("burden_pct", {"op": ">", "value": "50"})
    op, limit = spec["op"], exact(spec["value"])
    burden = ctx.review.tumour_burden_pct
    if burden is not None:
        share = exact(burden)
        hit = compare(share, op, limit)
        return Verdict(MET if hit else NOT_MET,
                       f"Bilobar disease; tumour replaces {fmt_num(share)} % of the liver, "
                       f"{'' if hit else 'not '}{OP_TEXT[op]} {fmt_num(limit)} %.")
    factor = exact(params.get("sphere_factor", "2"))
    unsized = [les for les in ctx.disease.lesions if les.diameter is None]
    diameters = [les.diameter for les in ctx.disease.lesions if les.diameter is not None]
    if unsized:
        return Verdict(UNKNOWN, "Bilobar disease; tumour_burden_pct is not recorded and "
                       f"lesion(s) {_lesion_list(unsized)} have no diameter to estimate it.",
                       (ctx.path("tumour_burden_pct"),)
                       + tuple(ctx.lesion_path(les.id, "diameter_mm") for les in unsized))
    # docs/clinical/conventions.md#tumour-burden-e3: the fallback compares with the ESTIMATED liver volume (Vauthey from
    # Mosteller BSA), not a measured one, which may or may not include the tumour.
    estimated = total_volume(None, ctx.review.height_cm, ctx.review.weight_kg)
    if estimated is None:
        missing = [ctx.path("tumour_burden_pct")]
        missing += [ctx.path(f) for f in ("height_cm", "weight_kg")
                    if getattr(ctx.review, f) is None]
        return Verdict(UNKNOWN, "Bilobar disease; tumour_burden_pct is not recorded and the "
                       "estimated liver volume (Vauthey, from height and weight) cannot be "
                       "computed: missing " + ", ".join(missing[1:] or ["a valid height and "
                                                                        "weight"]) + ".",
                       tuple(missing))
    cubes = sum((d ** 3 for d in diameters), Fraction(0))
    # sphere volume in mL = pi/6 * d^3 (mm^3) / 1000
    high = factor * PI_HIGH / 6 * cubes / 1000
    low = factor * PI_LOW / 6 * cubes / 1000
    half = estimated.ml * limit / 100
    liver = f"estimated liver {fmt_num(estimated.ml, 0)} mL (Vauthey, Mosteller BSA)"
    est = fmt_num(high, 0)
    if high < half:
        return Verdict(NOT_MET, f"Bilobar disease; tumour_burden_pct not recorded, but "
                       f"{fmt_num(factor)} × the lesions' sphere volumes ({est} mL) stay under "
                       f"{fmt_num(limit)} % of the {liver}.")
    return Verdict(UNKNOWN, f"Bilobar disease; tumour_burden_pct not recorded and "
                   f"{fmt_num(factor)} × the lesions' sphere volumes ({fmt_num(low, 0)} mL) "
                   f"reach {fmt_num(limit)} % of the {liver}: the share must be measured.",
                   (ctx.path("tumour_burden_pct"),))


@rule_kind("lesion_count_below", required={"value"})
def lesion_count_below(params: dict[str, Any], ctx: Context) -> Verdict:
    limit = int(params["value"])
    n = len(ctx.disease.lesions)
    ok = n < limit
    return Verdict(MET if ok else NOT_MET,
                   f"{n} liver lesion(s) present ({_lesion_list(list(ctx.disease.lesions)) or 'none'}); "
                   f"{'fewer than' if ok else 'not fewer than'} {limit}.")


@rule_kind("every_lesion_treatable", optional={"ablation_max_diameter_mm"})
def every_lesion_treatable(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return Verdict(MET, NO_DISEASE)
    from dataclasses import replace

    from mdt.protocols.plans import mask_units, search

    settings = replace(ctx.settings, ablation_counts_as_resection=True,
                       ablation_max_diameter_mm=str(params.get(
                           "ablation_max_diameter_mm", ctx.settings.ablation_max_diameter_mm)))
    if ctx.review.remnant is not None and ctx.recorded is not None:
        plan = ctx.review.remnant
        local = {lt.lesion: lt.method for lt in plan.local_treatment}
        rec = check_plan(ctx.disease, ctx.recorded.remnant, settings, local=local,
                         resection=ctx.recorded.resection)
        if rec.feasible:
            return Verdict(MET, f"The recorded plan {rec.name} {_plan_success(rec, ctx)}.")
    result = search(ctx.disease, settings)
    if result.best is not None:
        chk = check_plan(ctx.disease, mask_units(result.best), settings)
        return Verdict(MET, f"Every lesion is treatable by resection and/or ablation: "
                       f"{chk.name} {_plan_success(chk, ctx)}.")
    opt, unsized_t = optimistic_disease(ctx.disease, settings)
    unsized = list(unsized_t)
    if opt is not None and search(opt, settings).best is not None:
        # Only the missing diameters stand between these lesions and ablation.
        return Verdict(UNKNOWN, "No plan treats every lesion by resection and ablation unless "
                       f"{_lesion_list(unsized)} can be ablated: diameter not recorded.",
                       tuple(ctx.lesion_path(les.id, "diameter_mm") for les in unsized))
    return Verdict(NOT_MET, "No remnant of two contiguous segments lets every lesion be "
                   "resected or ablated (ablation up to "
                   f"{settings.ablation_max_diameter_mm} mm, away from sacrificed vessels).")


# --------------------------------------------------------------------------- patient facts

@rule_kind("extrahepatic")
def extrahepatic(params: dict[str, Any], ctx: Context) -> Verdict:
    ehd = ctx.review.extrahepatic_disease
    if ehd is None:
        return Verdict(UNKNOWN, "Extrahepatic disease not assessed (extrahepatic_disease).",
                       (ctx.path("extrahepatic_disease"),))
    if ehd == "confirmed":
        return Verdict(MET, "Extrahepatic disease confirmed.")
    if ehd == "indeterminate":
        if ctx.settings.indeterminate_ehd_counts:
            return Verdict(MET, "Indeterminate extrahepatic nodule, which this protocol counts "
                           "as extrahepatic disease.")
        return Verdict(NOT_MET, "Indeterminate extrahepatic nodule only: not counted as "
                       "extrahepatic disease under this protocol's setting.")
    return Verdict(NOT_MET, "No extrahepatic disease (liver-only).")


@rule_kind("neuropathy_min_grade", required={"value"})
def neuropathy_min_grade(params: dict[str, Any], ctx: Context) -> Verdict:
    grade = ctx.review.clinical.neuropathy_grade
    limit = int(params["value"])
    if grade is None:
        return Verdict(UNKNOWN, "Peripheral neuropathy grade not recorded.",
                       (ctx.path("clinical.neuropathy_grade"),))
    hit = grade >= limit
    return Verdict(MET if hit else NOT_MET,
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
        return Verdict(UNKNOWN, "Age unknown: birth date not recorded.",
                       ("patient.birth_date",))
    ok = all(compare(Fraction(age), op, v) for op, v in (b for b in (lo, hi) if b))
    return Verdict(MET if ok else NOT_MET,
                   f"Age {age} at the review date {ctx.review.date.isoformat()}; "
                   f"required {want}.")


@rule_kind("ecog_max", required={"value"})
def ecog_max(params: dict[str, Any], ctx: Context) -> Verdict:
    ecog = ctx.review.ecog
    limit = int(params["value"])
    if ecog is None:
        return Verdict(UNKNOWN, "ECOG performance status not recorded.", (ctx.path("ecog"),))
    ok = ecog <= limit
    return Verdict(MET if ok else NOT_MET, f"ECOG {ecog}; required ≤ {limit}.")


@rule_kind("prior_systemic_lines_max", required={"value"})
def prior_systemic_lines_max(params: dict[str, Any], ctx: Context) -> Verdict:
    lines = ctx.review.clinical.prior_systemic_lines
    limit = int(params["value"])
    if lines is None:
        return Verdict(UNKNOWN, "Prior systemic treatment lines not recorded.",
                       (ctx.path("clinical.prior_systemic_lines"),))
    ok = lines <= limit
    what = "no prior chemotherapy" if limit == 0 else f"at most {limit} prior line(s)"
    return Verdict(MET if ok else NOT_MET, f"{lines} prior systemic line(s); required {what}.")


CLINICAL_LABELS = {
    "life_expectancy_months": ("Life expectancy", "months"),
    "lvef_pct": ("LVEF", "%"),
    "fev1_fvc_pct": ("FEV1/FVC", "%"),
    "cea": ("CEA", "ng/mL"),
    "ca19_9": ("CA 19-9", "U/mL"),
}


@rule_kind("clinical_threshold", required={"field", "op", "value"})
def clinical_threshold(params: dict[str, Any], ctx: Context) -> Verdict:
    name = params["field"]
    label, unit = CLINICAL_LABELS.get(name, (name, ""))
    value = getattr(ctx.review.clinical, name)
    op, limit = params["op"], exact(params["value"])
    if value is None:
        return Verdict(UNKNOWN, f"{label} not recorded (clinical.{name}).",
                       (ctx.path(f"clinical.{name}"),))
    ok = compare(exact(value), op, limit)
    return Verdict(MET if ok else NOT_MET,
                   f"{label} {fmt_num(exact(value))} {unit}; required {OP_TEXT[op]} "
                   f"{fmt_num(limit)} {unit}.".replace("  ", " "))


LAB_LABELS = {
    "anc": "ANC", "wbc": "WBC", "hb": "Hb", "plt": "Platelets", "ast": "AST", "alt": "ALT",
    "alp": "ALP", "bilirubin": "Total bilirubin", "creatinine": "Creatinine",
    "albumin": "Albumin", "inr": "INR",
}


@rule_kind("lab_threshold", required={"field", "op"}, optional={"value", "uln_multiple"})
def lab_threshold(params: dict[str, Any], ctx: Context) -> Verdict:
    name = params["field"]
    label = LAB_LABELS.get(name, name)
    unit = LAB_UNITS.get(name, "")
    value = getattr(ctx.review.labs, name)
    op = params["op"]
    missing = []
    if value is None:
        missing.append(ctx.path(f"labs.{name}"))
    if "uln_multiple" in params:
        factor = exact(params["uln_multiple"])
        uln = getattr(ctx.review.labs.uln, name, None)
        if uln is None or exact(uln) <= 0:
            # An upper limit of normal of 0 is no limit: treated as not recorded.
            missing.append(ctx.path(f"labs.uln.{name}"))
        if missing:
            return Verdict(UNKNOWN, f"{label} against {fmt_num(factor)} × ULN: missing "
                           + ", ".join(missing) + ".", tuple(missing))
        v, u = exact(value), exact(uln)
        limit = factor * u
        ok = compare(v, op, limit)
        # The ratio is for the reader only; the decision above is exact.
        ratio = f"{value / uln:.2f}".rstrip("0").rstrip(".") if uln else "?"
        return Verdict(MET if ok else NOT_MET,
                       f"{label} {fmt_num(value, 2)} {unit} = {ratio} × ULN "
                       f"({fmt_num(uln, 2)}); required {OP_TEXT[op]} {fmt_num(factor)} × ULN "
                       f"= {fmt_num(limit, 2)} {unit}.")
    limit = exact(params["value"])
    if missing:
        return Verdict(UNKNOWN, f"{label} not recorded (labs.{name}).", tuple(missing))
    ok = compare(exact(value), op, limit)
    return Verdict(MET if ok else NOT_MET,
                   f"{label} {fmt_num(value, 2)} {unit}; required {OP_TEXT[op]} "
                   f"{fmt_num(limit, 2)} {unit}.")


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
        return Verdict(UNKNOWN, "Creatinine clearance (Cockcroft–Gault) cannot be computed: "
                       "missing " + (", ".join(missing) or "a positive creatinine") + ".",
                       tuple(missing))
    low, high = bounds
    inputs = f"age {age}, {fmt_num(exact(weight))} kg, creatinine {fmt_num(exact(creat))} µmol/L"
    if low >= limit:
        value = fmt_num(low) if low == high else f"{fmt_num(low)}–{fmt_num(high)}"
        return Verdict(MET, f"Creatinine clearance {value} mL/min (Cockcroft–Gault, {inputs}); "
                       f"required ≥ {fmt_num(limit)}.")
    if high < limit:
        value = fmt_num(high) if low == high else f"{fmt_num(low)}–{fmt_num(high)}"
        return Verdict(NOT_MET, f"Creatinine clearance {value} mL/min (Cockcroft–Gault, "
                       f"{inputs}); required ≥ {fmt_num(limit)}.")
    return Verdict(UNKNOWN, f"Creatinine clearance {fmt_num(low)}–{fmt_num(high)} mL/min "
                   f"(Cockcroft–Gault, {inputs}) depends on sex, which is not recorded as F or M.",
                   ("patient.sex",))


@rule_kind("proteinuria", required={"dipstick_below"}, optional={"g_24h_max"})
def proteinuria(params: dict[str, Any], ctx: Context) -> Verdict:
    dip = ctx.review.labs.proteinuria
    below = params["dipstick_below"]
    if dip is None:
        return Verdict(UNKNOWN, "Urine dipstick proteinuria not recorded.",
                       (ctx.path("labs.proteinuria"),))
    if PROTEINURIA.index(dip) < PROTEINURIA.index(below):
        return Verdict(MET, f"Dipstick proteinuria {dip}, below {below}.")
    g_max = params.get("g_24h_max")
    if g_max is None:
        return Verdict(NOT_MET, f"Dipstick proteinuria {dip}; required below {below}.")
    g24 = ctx.review.labs.proteinuria_g_24h
    if g24 is None:
        return Verdict(UNKNOWN, f"Dipstick proteinuria {dip}: the 24-hour protein "
                       f"(≤ {g_max} g/24 h required) is not recorded.",
                       (ctx.path("labs.proteinuria_g_24h"),))
    ok = exact(g24) <= exact(g_max)
    return Verdict(MET if ok else NOT_MET,
                   f"Dipstick proteinuria {dip} with {fmt_num(exact(g24), 2)} g/24 h; "
                   f"required ≤ {g_max} g/24 h.")


@rule_kind("child_pugh_class", required={"allowed"})
def child_pugh_class(params: dict[str, Any], ctx: Context) -> Verdict:
    labs, clin = ctx.review.labs, ctx.review.clinical
    cp = child_pugh(labs.bilirubin, labs.albumin, labs.inr, clin.ascites, clin.encephalopathy)
    allowed = list(params["allowed"])
    field_paths = {"bilirubin": "labs.bilirubin", "albumin": "labs.albumin", "inr": "labs.inr",
                   "ascites": "clinical.ascites", "encephalopathy": "clinical.encephalopathy"}
    if cp.grade is None:
        missing = tuple(ctx.path(field_paths[m]) for m in cp.missing)
        return Verdict(UNKNOWN, f"Child-Pugh {cp.min_points}–{cp.max_points} points so far; "
                       "missing " + ", ".join(missing) + ".", missing)
    ok = cp.grade in allowed
    pts = f"{cp.points} points" if cp.points is not None else \
        f"{cp.min_points}–{cp.max_points} points"
    return Verdict(MET if ok else NOT_MET, f"Child-Pugh class {cp.grade} ({pts}); required "
                   + " or ".join(allowed) + ".")


@rule_kind("measurable_lesion", optional={"min_diameter_mm"})
def measurable_lesion(params: dict[str, Any], ctx: Context) -> Verdict:
    limit = exact(params.get("min_diameter_mm", "10"))
    ok = [(les.id, les.diameter) for les in ctx.disease.lesions
          if les.diameter is not None and les.diameter >= limit]
    if ok:
        return Verdict(MET, f"Measurable liver lesion(s) ≥ {fmt_num(limit)} mm: "
                       f"{', '.join(f'{lid} {fmt_num(d)} mm' for lid, d in ok)}.")
    unsized = [les for les in ctx.disease.lesions if les.diameter is None]
    if unsized:
        return Verdict(UNKNOWN, f"No lesion measured ≥ {fmt_num(limit)} mm; "
                       f"{_lesion_list(unsized)} have no diameter.",
                       tuple(ctx.lesion_path(les.id, "diameter_mm") for les in unsized))
    return Verdict(NOT_MET, f"No liver lesion measures ≥ {fmt_num(limit)} mm (RECIST 1.1).")


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
            return r.date, "baseline review (treatment.start_date not recorded)"
    return None, ""


@rule_kind("induction_duration", optional={"min_months", "max_months"})
def induction_duration(params: dict[str, Any], ctx: Context) -> Verdict:
    start, how = _induction_start(ctx)
    if start is None:
        return Verdict(UNKNOWN, "Start of induction chemotherapy not recorded.",
                       ("treatment.start_date",))
    lo, hi = params.get("min_months"), params.get("max_months")
    on = ctx.review.date
    ok = True
    if lo is not None and on < _add_months(start, int(lo)):
        ok = False
    if hi is not None and on > _add_months(start, int(hi)):
        ok = False
    days = (on - start).days
    return Verdict(MET if ok else NOT_MET,
                   f"{days} days of induction since the {how} {start.isoformat()}; required "
                   f"{lo}–{hi} months.")


@rule_kind("biological_progression", optional={"min_months", "marker_factor", "markers"})
def biological_progression(params: dict[str, Any], ctx: Context) -> Verdict:
    if ctx.no_disease:
        return Verdict(NOT_MET, NO_DISEASE)
    min_months = int(params.get("min_months", 2))
    factor = exact(params.get("marker_factor", "2"))
    markers = params.get("markers", ["cea", "ca19_9"])
    start, how = _induction_start(ctx)
    if start is None:
        return Verdict(UNKNOWN, "Start of induction chemotherapy not recorded.",
                       ("treatment.start_date",))
    due = _add_months(start, min_months)
    if ctx.review.date < due:
        return Verdict(NOT_MET, f"Only {(ctx.review.date - start).days} days since the {how} "
                       f"{start.isoformat()}: the biological criterion applies after "
                       f"{min_months} months of induction.")
    findings: list[bool | None] = []
    parts: list[str] = []
    missing: list[str] = []
    if ctx.index == 0:
        # After the induction has run its minimum, the first review recorded has no earlier
        # imaging or markers to compare with: progression cannot be excluded, so unknown.
        return Verdict(UNKNOWN, "Biological progression undecided: this is the first review "
                       f"recorded, {(ctx.review.date - start).days} days after the {how} "
                       f"{start.isoformat()}, so there is no pre-induction imaging or "
                       "marker value to compare with (record the review before induction).",
                       ("reviews[0] (a review before induction: lesions, "
                        + ", ".join(f"clinical.{m}" for m in markers) + ")",))
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
        label = CLINICAL_LABELS.get(m, (m, ""))[0]
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
    if verdict is True:
        return Verdict(MET, "Biological progression: " + text)
    if verdict is False and baseline.date >= due:
        # The first review recorded is itself past the minimum induction: a doubling or a
        # progression since the start of induction cannot be excluded from what is recorded.
        return Verdict(UNKNOWN, "Biological progression undecided: " + text[:-1]
                       + f"; the first review ({baseline.date.isoformat()}) already follows "
                       f"{min_months} months of induction, so nothing recorded shows the "
                       "values before induction.",
                       ("reviews[0] (a review before induction: lesions, "
                        + ", ".join(f"clinical.{m}" for m in markers) + ")",))
    if verdict is False:
        return Verdict(NOT_MET, "No biological progression: " + text)
    return Verdict(UNKNOWN, "Biological progression undecided: " + text, tuple(missing))
