"""``mdt-evaluation/1``: the JSON form of an evaluation (case-format.md, "Evaluation")."""

from __future__ import annotations

from typing import Any

from mdt import glossary
from mdt.evaluation import Evaluation, Finding, PlanOption, RecistSummary, RemnantSummary

EVALUATION_FORMAT = "mdt-evaluation/1"


_REMNANT_KEYS = ("segments", "flr_ml", "tlv_ml", "tlv_source", "flr_pct", "threshold_pct",
                 "adequate", "at_threshold", "flr_bwr_pct", "kgr_pct_per_week", "status",
                 "summary", "explanation", "standardised", "volume_source", "recorded_flr_ml",
                 "measured_for", "stale", "liver_condition", "threshold_note",
                 "chemotherapy_weeks", "chemotherapy_basis", "volumetry_advised")


def _remnant(r: RemnantSummary | None) -> dict[str, Any]:
    if r is None:
        # No plan recorded and none found (or no lesion recorded): the same keys, every one
        # unknown, so a reader of mdt-evaluation/1 never meets a missing block.
        return {k: None for k in _REMNANT_KEYS}
    out: dict[str, Any] = {}
    for key in _REMNANT_KEYS:
        value = getattr(r, key)
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _recist(r: RecistSummary | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "sld_mm": r.sld_mm, "baseline_sld_mm": r.baseline_sld_mm, "nadir_sld_mm": r.nadir_sld_mm,
        "change_from_baseline_pct": r.change_from_baseline_pct,
        "change_from_nadir_pct": r.change_from_nadir_pct, "response": r.response,
        "target_response": r.target_response, "non_target_response": r.non_target_response,
        "new_lesions": list(r.new_lesions), "early_tumour_shrinkage": r.early_tumour_shrinkage,
        "depth_of_response_pct": r.depth_of_response_pct,
        "ets_week": getattr(r, "ets_week", None), "warnings": list(r.warnings),
    }


def _plan(p: PlanOption | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "remnant": list(p.remnant), "resection": p.resection,
        "local_treatment": [{"lesion": lid, "method": m} for lid, m in p.local_treatment],
        "feasible": p.feasible, "reasons": list(p.reasons), "flr_pct": p.flr_pct,
        "notes": list(p.notes),
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "group": f.group, "status": f.status, "explanation": f.explanation,
            "source": f.source, "label": f.label, "missing": list(f.missing),
            "summary": f.summary, "effect": f.effect, "missing_words": list(f.missing_words),
            "rule_text": f.rule_text, "judged_at": f.judged_at}


def evaluation_to_dict(ev: Evaluation) -> dict[str, Any]:
    """The ``mdt-evaluation/1`` object: the specified keys first, then the engine's extras."""
    return {
        "format": EVALUATION_FORMAT,
        "protocol": {"id": ev.protocol_id, "version": ev.protocol_version,
                     "title": ev.protocol_title,
                     "settings": [{"name": n, "value": list(v) if isinstance(v, tuple) else v,
                                   "source": src} for n, v, src in ev.settings]},
        "review": {"index": ev.review_index, "date": ev.review_date, "cycle": ev.review_cycle},
        "resectability": ev.resectability,
        "eligibility": ev.eligibility,
        "criteria": [_finding(f) for f in ev.criteria],
        "remnant": _remnant(ev.remnant),
        "recist": _recist(ev.recist),
        "best_plan": _plan(ev.best_plan),
        "better_plan_than_recorded": ev.better_plan_than_recorded,
        "plans_considered": [_plan(p) for p in ev.plans_considered],
        "assumptions": list(ev.assumptions),
        "warnings": list(ev.warnings),
        "resectability_reason": ev.resectability_reason,
        "eligibility_review": None if ev.eligibility_review_index is None else {
            "index": ev.eligibility_review_index, "date": ev.eligibility_review_date,
            "resectability": ev.eligibility_resectability, "reason": ev.eligibility_reason,
            "judged_here": ev.eligibility_judged_here,
            "criteria": [_finding(f) for f in ev.enrolment_criteria],
        },
        "legend": [{"effect": e, "mark": glossary.MARKS[e], "word": glossary.EFFECT_WORDS[e],
                    "colour": glossary.EFFECT_COLOURS[e], "meaning": glossary.EFFECT_MEANINGS[e]}
                   for e in glossary.EFFECTS],
    }
