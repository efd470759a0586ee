"""Evaluate one review of a case under a protocol: every criterion, then the two verdicts.

Resectability (three-valued): ``permanently_unresectable`` when a rule of the
protocol's ``permanently_unresectable_if_any`` list is met; else ``convertible``
when an ``unresectable_if_any`` rule is met or a ``resectable_requires_all`` rule
is not met; else ``resectable``; ``indeterminate`` when unknown criteria leave
more than one answer possible, and always when no lesion is recorded.

Eligibility: ``eligible`` only when the resectability verdict is one the protocol
enrols, every inclusion and organ-function item is met and no exclusion is met;
``not_eligible`` when any of these fails for certain; else ``indeterminate``.  It is
judged at the patient's enrolment review (setting ``eligibility_at``,
docs/clinical/conventions.md#eligibility-is-judged-at-enrolment):
a later review shows that verdict, labelled with the date it was judged at, never a fresh
"not eligible" because the trial's own cycles were given.

Two readings wrap every rule (docs/clinical/conventions.md#missing-is-unknown): with no lesion recorded every criterion
that reads the lesions is unknown ("no lesions recorded"); with the vessel relations not
assessed every answer that a missing relation could have turned into a pass is unknown.
"""

from __future__ import annotations

from dataclasses import fields

from mdt import anatomy, glossary
from mdt.case import Case, enrolment_review_index
from mdt.errors import FieldProblem, ValidationError
from mdt.evaluation import MET, NOT_MET, UNKNOWN, Evaluation, Finding, PlanOption, RemnantSummary
from mdt.exact import to_float
from mdt.protocols.context import Context, build_context
from mdt.protocols.governing import protocol_for
from mdt.protocols.model import ELIGIBILITY_GROUPS, Protocol, Rule, Settings
from mdt.protocols.plans import PlanCheck, quick_option
from mdt.protocols.rules import LESION_KINDS, RULE_KINDS, VESSEL_KINDS, Verdict, better_plan
from mdt.protocols.volume import pct_round
from mdt.remnant import flr_bwr

PU, CONV, RES = "permanently_unresectable", "convertible", "resectable"
NO_LESIONS = "no lesions recorded"


def evaluate(case: Case, review_index: int | None = None, protocol_id: str | None = None,
             protocol: Protocol | None = None) -> Evaluation:
    """The evaluation of ``case.reviews[review_index]`` (latest when None).

    The protocol is ``protocol`` if given, else ``protocol_id``, else the case's
    ``protocol.id``, else the default; an unknown id raises NotFound listing the known ones.
    A case without reviews or an index out of range raises ValidationError.
    """
    if protocol is None:
        protocol = protocol_for(case, protocol_id)
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
    review = case.reviews[index]
    decisive = _decisive_ids(protocol)
    enrol = enrolment_review_index(case) if protocol.has_eligibility else None
    elsewhere = (enrol is not None and enrol < index
                 and protocol.settings.eligibility_at == "enrolment")
    eligibility = None
    elig_index: int | None = None
    elig_resect: str | None = None
    elig_reason = ""
    enrolment: tuple[Finding, ...] = ()
    if elsewhere:
        # Judged at enrolment: the enrolment review's own trial criteria and verdict; the
        # criteria that decide resectability are this review's.
        assert enrol is not None
        judged = case.reviews[enrol].date.isoformat()
        ectx = build_context(case, enrol, protocol)
        efind = {rule.id: _finding(rule, ectx, judged_at=judged) for rule in protocol.rules
                 if rule.group in ELIGIBILITY_GROUPS}
        failing = [f for f in efind.values() if _fails(f)]
        if failing:
            # Already not eligible whatever the liver showed then: no plan search needed.
            eligibility = "not_eligible"
            elig_reason = "fails: " + "; ".join(f.label or f.id for f in failing)
        else:
            for rule in protocol.rules:
                if rule.id not in efind and rule.id in decisive:
                    efind[rule.id] = _finding(rule, ectx, judged_at=judged)
            epossible = _possible(protocol, tuple(efind.values()), ectx)
            eligibility, elig_reason = _eligibility(protocol, tuple(efind.values()), epossible)
            elig_resect = next(iter(epossible)) if len(epossible) == 1 else "indeterminate"
        elig_index = enrol
        enrolment = tuple(efind[r.id] for r in protocol.rules
                          if r.id in efind and r.group in ELIGIBILITY_GROUPS)
        findings = tuple(efind[rule.id] if rule.group in ELIGIBILITY_GROUPS
                         and rule.id not in decisive else _finding(rule, ctx)
                         for rule in protocol.rules)
        possible = _possible(protocol, findings, ctx)
        resectability = next(iter(possible)) if len(possible) == 1 else "indeterminate"
    else:
        findings = tuple(_finding(rule, ctx) for rule in protocol.rules)
        possible = _possible(protocol, findings, ctx)
        resectability = next(iter(possible)) if len(possible) == 1 else "indeterminate"
        if protocol.has_eligibility:
            eligibility, elig_reason = _eligibility(protocol, findings, possible)
            elig_index = index
            elig_resect = resectability

    warnings = list(ctx.recist.warnings) if ctx.recist else []
    warnings.extend(f"Vessel relation ignored: {t}" for t in ctx.disease.ignored_contacts)
    if review.lesions and review.vessels is None:
        warnings.append("Vessel relations not assessed: every vessel criterion is unknown. "
                        "Record the relations, or record \"no vascular contact\".")
    vol = ctx.governing_volume() if ctx.governing is not None else None
    if vol is not None and vol.condition == "chemotherapy" and vol.condition_note.startswith(
            "recorded as normal"):
        warnings.append(f"Liver condition {vol.condition_note}: the 30 % threshold was used.")
    suggest = not ctx.no_lesions and ctx.vessels_assessed
    return Evaluation(
        protocol_id=protocol.id, protocol_version=protocol.version,
        protocol_title=protocol.title, review_index=index, review_date=review.date.isoformat(),
        review_cycle=review.cycle, resectability=resectability, eligibility=eligibility,
        criteria=findings, remnant=_remnant_summary(ctx), recist=ctx.recist,
        best_plan=_option(ctx.best, ctx) if ctx.best and suggest else None,
        better_plan_than_recorded=better_plan(ctx) if suggest else False,
        plans_considered=_plans_considered(ctx) if suggest else (),
        assumptions=_protocol_assumptions(protocol) + _plan_assumption(ctx),
        warnings=tuple(warnings),
        resectability_reason=_resectability_reason(protocol, findings, resectability, ctx),
        eligibility_review_index=elig_index,
        eligibility_review_date=None if elig_index is None
        else case.reviews[elig_index].date.isoformat(),
        eligibility_resectability=elig_resect, eligibility_reason=elig_reason,
        enrolment_criteria=enrolment, settings=_per_protocol(protocol)[3],
    )


_PER_PROTOCOL: dict[int, tuple[Protocol, tuple[str, ...], frozenset[str],
                               tuple[tuple[str, object, str], ...]]] = {}
"""Per protocol object: (the protocol, its assumptions with its settings, its decisive rule ids).
Keyed by identity, the protocol kept alive beside its entry (protocol objects are few)."""


def _per_protocol(protocol: Protocol) -> tuple[Protocol, tuple[str, ...], frozenset[str],
                                               tuple[tuple[str, object, str], ...]]:
    hit = _PER_PROTOCOL.get(id(protocol))
    if hit is None or hit[0] is not protocol:
        out = protocol.outcome
        hit = (protocol,
               protocol.assumptions + tuple(
                   f"{glossary.SETTING_NOTE}: " + s
                   for s in protocol.settings.describe(protocol.kinds, protocol.has_eligibility)),
               frozenset(out.permanently_unresectable_if_any + out.unresectable_if_any
                         + out.resectable_requires_all),
               tuple((f.name, getattr(protocol.settings, f.name),
                      protocol.setting_sources.get(f.name, "")) for f in fields(Settings)))
        if len(_PER_PROTOCOL) > 256:
            _PER_PROTOCOL.clear()
        _PER_PROTOCOL[id(protocol)] = hit
    return hit


def _protocol_assumptions(protocol: Protocol) -> tuple[str, ...]:
    return _per_protocol(protocol)[1]


def _decisive_ids(protocol: Protocol) -> frozenset[str]:
    return _per_protocol(protocol)[2]


def _finding(rule: Rule, ctx: Context, judged_at: str | None = None) -> Finding:
    status, explanation, missing, summary = _verdict(rule, ctx)
    # Positional: a few dozen findings per evaluation (field order of mdt.evaluation.Finding).
    return Finding(rule.id, rule.group, status, explanation, rule.source, rule.label,
                   missing, summary or explanation, _EFFECT[rule.group, status],
                   _missing_words(missing, ctx) if missing else (), rule.text, judged_at)


class _Effects(dict[tuple[str, str], str]):
    """(group, status) -> glossary effect, filled on first use."""

    def __missing__(self, key: tuple[str, str]) -> str:
        value = self[key] = glossary.effect(*key)
        return value


_EFFECT: dict[tuple[str, str], str] = _Effects()


def _verdict(rule: Rule, ctx: Context) -> Verdict:
    kind = rule.kind
    if ctx.vessels_assessed and not ctx.no_lesions:
        return RULE_KINDS[kind](rule.params, ctx)
    if ctx.no_lesions and kind in LESION_KINDS:
        return Verdict(UNKNOWN, "No lesion is recorded at this review: a criterion that "
                       "reads the lesions cannot be judged (an empty lesion table is not "
                       "\"no disease\"). Record the lesions, or mark them disappeared.",
                       (ctx.path("lesions"),), f"unknown: {NO_LESIONS}")
    verdict = RULE_KINDS[kind](rule.params, ctx)
    if ctx.vessels_assessed or ctx.no_disease:
        return verdict
    passing = VESSEL_KINDS.get(kind)
    cure = _CURABLE.get(kind)
    curable = cure is not None and cure[0] == verdict.status and ctx.recorded is not None \
        and ctx.drop_could_clear(cure[1])
    if curable or (passing is not None and (kind == "u2_remnant_vessel_contact"
                                            or verdict.status == passing)):
        # A relation not recorded could reverse this answer: never a pass (and a failing
        # recorded plan could be made to work by a vessel taking the segments that hold its
        # untreated lesions with the specimen).
        return Verdict(UNKNOWN, "The vessel relations are not assessed at this review, so "
                       "this cannot be judged. Assuming no vascular contact: "
                       + verdict.explanation
                       + (" A relation not yet recorded could take the segments holding the "
                          "lesions left behind with the specimen, and "
                          + _CURED_WORDS[cure[1]] + "." if curable and cure else "")
                       + " Record the relations, or record \"no vascular contact\".",
                       tuple(dict.fromkeys((ctx.path("vessels"),) + verdict.missing)),
                       "unknown: vessel relations not assessed")
    return verdict


_CURABLE: dict[str, tuple[str, str]] = {"u1_plan_feasible": (MET, "feasible"),
                                         "r0_clearance": (NOT_MET, "cleared"),
                                         "two_contiguous_viable": (NOT_MET, "viable")}
"""Failing answers about the recorded plan that a segment dropped with the specimen could
reverse (lesions left behind in it go with it), with what the drop must give to reverse each
(:data:`mdt.protocols.plans.DROP_NEEDS`): unknown while the vessels are not assessed."""


_CURED_WORDS = {"cleared": "every lesion would then be cleared",
                "viable": "the remnant that stays could then be enough contiguous viable segments",
                "feasible": "the plan would then work"}


def _fails(f: Finding) -> bool:
    """A trial criterion that fails for certain (an inclusion not met, an exclusion met)."""
    if f.group in ("inclusion", "organ_function"):
        return f.status == NOT_MET
    return f.group == "exclusion" and f.status == MET


def _missing_words(paths: tuple[str, ...], ctx: Context) -> tuple[str, ...]:
    if not paths:
        return ()
    ids = [les.id for les in ctx.review.lesions]
    return tuple(dict.fromkeys(glossary.field_words(p, ids) for p in paths))


def _any(ids: tuple[str, ...], status: dict[str, str]) -> bool | None:
    values = [status[i] for i in ids]
    if MET in values:
        return True
    if all(v == NOT_MET for v in values):
        return False
    return None


def _possible(protocol: Protocol, findings: tuple[Finding, ...], ctx: Context) -> set[str]:
    if ctx.no_lesions:
        # docs/clinical/conventions.md#missing-is-unknown: no lesion recorded is indeterminate, never resectable.
        return {PU, CONV, RES}
    return _possible_resectability(protocol, {f.id: f.status for f in findings})


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


def _eligibility(protocol: Protocol, findings: tuple[Finding, ...],
                 possible: set[str]) -> tuple[str, str]:
    """(verdict, one line why) of the trial's eligibility block."""
    allowed = set(protocol.outcome.eligible_resectability)
    failing: list[str] = []
    open_: list[str] = []
    words = " or ".join(v.replace("_", " ") for v in protocol.outcome.eligible_resectability)
    if not possible & allowed:
        only = next(iter(possible)).replace("_", " ") if len(possible) == 1 else "not enrolled"
        failing.append(f"{only}, the trial enrols {words}")
    elif not possible <= allowed:
        open_.append(f"resectability undecided (the trial enrols {words})")
    for f in findings:
        label = f.label or f.id
        if f.group in ("inclusion", "organ_function"):
            if f.status == NOT_MET:
                failing.append(label)
            elif f.status == UNKNOWN:
                open_.append(label)
        elif f.group == "exclusion":
            if f.status == MET:
                failing.append(label)
            elif f.status == UNKNOWN:
                open_.append(label)
    if failing:
        return "not_eligible", "fails: " + "; ".join(failing)
    if open_:
        return "indeterminate", "unknown: " + "; ".join(open_)
    return "eligible", "every inclusion and organ-function item met, no exclusion applies"


def _resectability_reason(protocol: Protocol, findings: tuple[Finding, ...], verdict: str,
                          ctx: Context) -> str:
    if ctx.no_lesions:
        return NO_LESIONS
    out = protocol.outcome
    by_id = {f.id: f for f in findings}

    def names(ids: tuple[str, ...], status: str) -> list[str]:
        """Each deciding criterion with what was found: "U1 — not possible: …"."""
        out_ = []
        for i in ids:
            f = by_id[i]
            if f.status != status:
                continue
            name = (f.label or i).split(" ")[0] if _short_code(f.label) else (f.label or i)
            out_.append(f"{name} — {f.summary}" if f.summary else name)
        return out_

    if verdict == PU:
        return "; ".join(names(out.permanently_unresectable_if_any, MET))
    if verdict == CONV:
        parts = names(out.unresectable_if_any, MET)
        parts += names(out.resectable_requires_all, NOT_MET)
        return "; ".join(parts)
    if verdict == RES:
        return "no unresectability criterion applies"
    unknown = [f for f in findings if f.status == UNKNOWN and f.id in _decisive_ids(protocol)]
    parts = []
    for f in unknown[:3]:
        label = f.label.split(" ")[0] if _short_code(f.label) else (f.label or f.id)
        parts.append(f"{label} — {f.summary}" if f.summary else label)
    return "undecided: " + "; ".join(parts) if parts else "undecided"


def _short_code(label: str) -> bool:
    """The label starts with the protocol's own item code (U1, E2, ...)."""
    head = label.split(" ")[0] if label else ""
    return len(head) <= 3 and head[:1].isupper() and head[1:].isdigit()


def _remnant_summary(ctx: Context) -> RemnantSummary | None:
    plan = ctx.review.remnant
    gov = ctx.governing
    if ctx.no_lesions or (plan is None and gov is None):
        return None
    vol = ctx.governing_volume()
    tlv = vol.tlv or ctx.tlv
    flr = vol.flr_ml
    bwr = flr_bwr(flr, ctx.review.weight_kg)
    adequate = True if vol.status == MET else False if vol.status == NOT_MET else None
    if ctx.recorded is None:
        adequate = None
    stays = None if gov is None else (gov.viable if gov.drop_allowed else gov.remnant)
    if ctx.recorded is None and not ctx.vessels_assessed and not ctx.no_disease:
        stays = None  # no plan is suggested while the vessel relations are not assessed
    status = vol.status if ctx.recorded is not None else UNKNOWN
    summary = vol.summary if ctx.recorded is not None or gov is None \
        else "not assessed: no plan recorded"
    if status == MET and not ctx.vessels_assessed and not ctx.no_disease:
        # A vessel relation not recorded could take a segment: adequacy is never a pass then.
        status, adequate = UNKNOWN, None
        summary = f"{summary}; undecided while the vessel relations are not assessed"
    return RemnantSummary(
        segments=tuple(anatomy.sort_units(stays)) if stays is not None else None,
        flr_ml=flr,  # as recorded (an int stays an int)
        tlv_ml=None if tlv is None else (
            plan.tlv_ml if tlv.source == "measured" and plan is not None else to_float(tlv.ml, 1)),
        tlv_source=None if tlv is None else tlv.source,
        flr_pct=None if vol.pct is None else pct_round(vol.pct, vol.threshold),
        threshold_pct=None if vol.threshold is None else (
            int(vol.threshold) if vol.threshold.denominator == 1 else float(vol.threshold)),
        adequate=adequate,
        at_threshold=vol.at_threshold,
        flr_bwr_pct=None if bwr is None else round(bwr, 2),
        kgr_pct_per_week=None if vol.kgr is None else round(float(vol.kgr), 2),
        status=status,
        summary=summary,
        explanation=vol.explanation,
        standardised=vol.standardised,
        volume_source=vol.source,
        recorded_flr_ml=vol.recorded_ml,
        measured_for=None if vol.measured_for is None
        else tuple(anatomy.sort_units(vol.measured_for)),
        stale=vol.stale,
        liver_condition=vol.condition,
        threshold_note=vol.condition_note,
        chemotherapy_weeks=None if vol.chemo is None or vol.chemo.weeks is None
        else round(float(vol.chemo.weeks), 1),
        chemotherapy_basis="" if vol.chemo is None else vol.chemo.basis,
        volumetry_advised=vol.advise_volumetry and vol.status == UNKNOWN,
    )


def _option(chk: PlanCheck, ctx: Context) -> PlanOption:
    stays = chk.viable if chk.drop_allowed else chk.remnant
    plan = ctx.review.remnant
    flr_pct = None
    if plan is not None and (plan.flr_ml is not None or plan.pve is not None):
        vol = ctx.volume(stays)
        flr_pct = None if vol.pct is None else pct_round(vol.pct, vol.threshold)
    return PlanOption(remnant=anatomy.sort_units(stays), resection=chk.resection,
                      local_treatment=chk.local,
                      feasible=chk.feasible and not chk.volume_undecided, reasons=chk.reasons(),
                      flr_pct=flr_pct, notes=chk.notes())


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
        feasible, local, reasons, notes = quick_option(ctx.disease, rem, ctx.settings, name)
        out.append(PlanOption(remnant=ordered, resection=name, local_treatment=local,
                              feasible=feasible, reasons=reasons, notes=notes))
    return tuple(out)


_NAMED: tuple[tuple[str, frozenset[str], tuple[str, ...]], ...] = tuple(
    (name, anatomy.remnant_of(name), anatomy.sort_units(anatomy.remnant_of(name)))
    for name in anatomy.RESECTIONS)


def _plan_assumption(ctx: Context) -> tuple[str, ...]:
    if ctx.no_lesions:
        return (glossary.PLAN_NOTE_NO_LESIONS,)
    if not ctx.vessels_assessed:
        return (glossary.PLAN_NOTE_VESSELS,)
    if ctx.recorded is not None:
        return (glossary.PLAN_NOTE_RECORDED,)
    if ctx.best is not None:
        return (glossary.PLAN_NOTE_SEARCH,)
    return ()


__all__ = ["evaluate", "UNKNOWN"]
