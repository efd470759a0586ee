"""Evaluate one review of a case under a protocol: every criterion, then the two verdicts.

Resectability (three-valued): ``permanently_unresectable`` when a rule of the
protocol's ``permanently_unresectable_if_any`` list is met; else ``convertible``
when an ``unresectable_if_any`` rule is met or a ``resectable_requires_all`` rule
is not met; else ``resectable``; ``indeterminate`` when unknown criteria leave
more than one answer possible.  Eligibility: ``eligible`` only when the
resectability verdict is one the protocol enrols, every inclusion and
organ-function item is met and no exclusion is met; ``not_eligible`` when any of
these fails for certain; else ``indeterminate``.
"""

from __future__ import annotations

from functools import lru_cache

from mdt import anatomy
from mdt.case import Case, Review
from mdt.errors import FieldProblem, ValidationError
from mdt.evaluation import MET, NOT_MET, UNKNOWN, Evaluation, Finding, PlanOption, RemnantSummary
from mdt.exact import exact, to_float
from mdt.protocols.context import Context, build_context
from mdt.protocols.loader import get_protocol
from mdt.protocols.model import Protocol, Rule, Settings
from mdt.protocols.plans import PlanCheck, quick_option
from mdt.protocols.rules import RULE_KINDS, better_plan, pct_round, remnant_volume
from mdt.remnant import CHEMO_DAYS_FOR_30_PCT, flr_bwr, kgr

PU, CONV, RES = "permanently_unresectable", "convertible", "resectable"


def evaluate(case: Case, review_index: int | None = None, protocol_id: str | None = None,
             protocol: Protocol | None = None) -> Evaluation:
    """The evaluation of ``case.reviews[review_index]`` (latest when None).

    The protocol is ``protocol`` if given, else ``protocol_id``, else the case's
    ``protocol.id``, else the default; an unknown id raises NotFound listing the known ones.
    A case without reviews or an index out of range raises ValidationError.
    """
    if protocol is None:
        protocol = get_protocol(protocol_id or case.protocol.id)
    if not case.reviews:
        raise ValidationError([FieldProblem("reviews", "the case has no review to evaluate")])
    n = len(case.reviews)
    index = n - 1 if review_index is None else review_index
    if index < 0:
        index += n
    if not 0 <= index < n:
        raise ValidationError([FieldProblem(
            "--review", f"no review {review_index}: the case has {n} review(s), 0-{n - 1}")])
    ctx = build_context(case, index, protocol)
    findings = tuple(_finding(rule, ctx) for rule in protocol.rules)
    by_id = {f.id: f.status for f in findings}
    possible = _possible_resectability(protocol, by_id)
    resectability = next(iter(possible)) if len(possible) == 1 else "indeterminate"
    eligibility = _eligibility(protocol, findings, possible) if protocol.has_eligibility else None
    review = case.reviews[index]
    warnings = list(ctx.recist.warnings) if ctx.recist else []
    warnings.extend(f"Vessel relation ignored: {t}" for t in ctx.disease.ignored_contacts)
    warnings.extend(_condition_warning(case, review))
    return Evaluation(
        protocol_id=protocol.id, protocol_version=protocol.version,
        protocol_title=protocol.title, review_index=index, review_date=review.date.isoformat(),
        review_cycle=review.cycle, resectability=resectability, eligibility=eligibility,
        criteria=findings, remnant=_remnant_summary(ctx), recist=ctx.recist,
        best_plan=_option(ctx.best, ctx) if ctx.best else None,
        better_plan_than_recorded=better_plan(ctx),
        plans_considered=_plans_considered(ctx),
        assumptions=_protocol_assumptions(protocol) + _plan_assumption(ctx),
        warnings=tuple(warnings),
    )


def _protocol_assumptions(protocol: Protocol) -> tuple[str, ...]:
    return _assumptions(protocol.assumptions, protocol.settings)


@lru_cache(maxsize=64)
def _assumptions(assumptions: tuple[str, ...], settings: Settings) -> tuple[str, ...]:
    return assumptions + tuple("Setting: " + s for s in settings.describe())


def _finding(rule: Rule, ctx: Context) -> Finding:
    verdict = RULE_KINDS[rule.kind](rule.params, ctx)
    return Finding(id=rule.id, group=rule.group, status=verdict.status,
                   explanation=verdict.explanation, source=rule.source, label=rule.label,
                   missing=verdict.missing)


def _any(ids: tuple[str, ...], status: dict[str, str]) -> bool | None:
    values = [status[i] for i in ids]
    if MET in values:
        return True
    if all(v == NOT_MET for v in values):
        return False
    return None


def _possible_resectability(protocol: Protocol, status: dict[str, str]) -> set[str]:
    out = protocol.outcome
    pu = _any(out.permanently_unresectable_if_any, status) if out.permanently_unresectable_if_any \
        else False
    unres_parts: list[bool | None] = []
    if out.unresectable_if_any:
        unres_parts.append(_any(out.unresectable_if_any, status))
    if out.resectable_requires_all:
        values = [status[i] for i in out.resectable_requires_all]
        unres_parts.append(True if NOT_MET in values else
                           False if all(v == MET for v in values) else None)
    if any(p is True for p in unres_parts):
        unres: bool | None = True
    elif all(p is False for p in unres_parts):
        unres = False
    else:
        unres = None
    rest = {CONV} if unres is True else {RES} if unres is False else {CONV, RES}
    if pu is True:
        return {PU}
    if pu is False:
        return rest
    return {PU} | rest


def _eligibility(protocol: Protocol, findings: tuple[Finding, ...], possible: set[str]) -> str:
    allowed = set(protocol.outcome.eligible_resectability)
    verdicts: list[bool | None] = []
    if possible <= allowed:
        verdicts.append(True)
    elif not possible & allowed:
        verdicts.append(False)
    else:
        verdicts.append(None)
    for f in findings:
        if f.group in ("inclusion", "organ_function"):
            verdicts.append(True if f.status == MET else False if f.status == NOT_MET else None)
        elif f.group == "exclusion":
            verdicts.append(False if f.status == MET else True if f.status == NOT_MET else None)
    if False in verdicts:
        return "not_eligible"
    if all(v is True for v in verdicts):
        return "eligible"
    return "indeterminate"


CHEMO_WEEKS_FOR_30_PCT = 12
"""After more than 12 weeks of chemotherapy the remnant threshold is 30 % (Shindoh 2013)."""


def _condition_warning(case: Case, review: Review) -> tuple[str, ...]:
    plan = review.remnant
    start = case.treatment.start_date if case.treatment else None
    if plan is None or plan.liver_condition != "normal" or start is None:
        return ()
    days = (review.date - start).days
    if days > CHEMO_DAYS_FOR_30_PCT:
        return (f"Liver condition recorded as normal after {days} days of chemotherapy: "
                "the 30 % remnant threshold applies after more than 12 weeks and was used "
                "(record liver_condition 'chemotherapy').",)
    return ()


def _remnant_summary(ctx: Context) -> RemnantSummary | None:
    plan = ctx.review.remnant
    gov = ctx.governing
    if plan is None and gov is None:
        return None
    vol = remnant_volume(ctx)
    flr = plan.flr_ml if plan else None
    tlv = ctx.tlv
    adequate = True if vol.status == MET else False if vol.status == NOT_MET else None
    if ctx.recorded is None:
        adequate = None
    kgr_value = None
    if plan is not None and plan.pve is not None and tlv is not None:
        pve = plan.pve
        days = pve.days_between
        if days is None and pve.date is not None:
            days = (ctx.review.date - pve.date).days
        if pve.flr_before_ml is not None and pve.flr_after_ml is not None and days:
            before = exact(pve.flr_before_ml) * 100 / tlv.ml
            after = exact(pve.flr_after_ml) * 100 / tlv.ml
            kgr_value = kgr(before, after, days)
            kgr_value = None if kgr_value is None else round(kgr_value, 2)
    bwr = flr_bwr(flr, ctx.review.weight_kg)
    return RemnantSummary(
        segments=tuple(_units(gov.remnant)) if gov else None,
        flr_ml=flr,  # as recorded (an int stays an int)
        tlv_ml=None if tlv is None else (
            plan.tlv_ml if tlv.source == "measured" and plan is not None else to_float(tlv.ml, 1)),
        tlv_source=None if tlv is None else tlv.source,
        flr_pct=None if vol.flr_pct is None else pct_round(vol.flr_pct, vol.threshold),
        threshold_pct=None if vol.threshold is None else (
            int(vol.threshold) if vol.threshold.denominator == 1 else float(vol.threshold)),
        adequate=adequate,
        at_threshold=vol.at_threshold,
        flr_bwr_pct=None if bwr is None else round(bwr, 2),
        kgr_pct_per_week=kgr_value,
    )


def _units(units: frozenset[str]) -> list[str]:
    return list(anatomy.sort_units(units))


def _option(chk: PlanCheck, ctx: Context) -> PlanOption:
    flr_pct = None
    if chk.recorded:
        vol = remnant_volume(ctx)
        flr_pct = None if vol.flr_pct is None else pct_round(vol.flr_pct, vol.threshold)
    return PlanOption(remnant=anatomy.sort_units(chk.remnant), resection=chk.resection,
                      local_treatment=chk.local, feasible=chk.feasible, reasons=chk.reasons(),
                      flr_pct=flr_pct)


def _plans_considered(ctx: Context) -> tuple[PlanOption, ...]:
    """The recorded plan, the best plan found and every named resection, with why each fails."""
    out: list[PlanOption] = []
    seen: set[frozenset[str]] = set()
    for chk in (ctx.recorded, ctx.best):
        if chk is not None and chk.remnant not in seen:
            seen.add(chk.remnant)
            out.append(_option(chk, ctx))
    if ctx.no_disease:
        return tuple(out)
    for name, rem, ordered in _NAMED:
        if rem in seen:
            continue
        feasible, local, reasons = quick_option(ctx.disease, rem, ctx.settings, name)
        out.append(PlanOption(remnant=ordered, resection=name, local_treatment=local,
                              feasible=feasible, reasons=reasons))
    return tuple(out)


_NAMED: tuple[tuple[str, frozenset[str], tuple[str, ...]], ...] = tuple(
    (name, anatomy.remnant_of(name), anatomy.sort_units(anatomy.remnant_of(name)))
    for name in anatomy.RESECTIONS)


def _plan_assumption(ctx: Context) -> tuple[str, ...]:
    if ctx.recorded is not None:
        return ("The recorded plan governs the verdict; better plans are reported.",)
    if ctx.best is not None:
        return ("No plan recorded: the best plan found governs the verdict.",)
    return ()


__all__ = ["evaluate", "UNKNOWN"]
