"""``mdt-evaluation/1``: the JSON form of an evaluation (case-format.md, "Evaluation")."""

from __future__ import annotations

from typing import Any

from mdt.evaluation import Evaluation, PlanOption, RecistSummary, RemnantSummary

EVALUATION_FORMAT = "mdt-evaluation/1"


def _remnant(r: RemnantSummary | None) -> dict[str, Any]:
    if r is None:
        # No plan recorded and none found: the same keys, every one unknown, so a reader
        # of mdt-evaluation/1 never meets a missing block.
        return {"segments": None, "flr_ml": None, "tlv_ml": None, "tlv_source": None,
                "flr_pct": None, "threshold_pct": None, "adequate": None, "at_threshold": None,
                "flr_bwr_pct": None, "kgr_pct_per_week": None}
    return {
        "segments": None if r.segments is None else list(r.segments),
        "flr_ml": r.flr_ml, "tlv_ml": r.tlv_ml, "tlv_source": r.tlv_source,
        "flr_pct": r.flr_pct, "threshold_pct": r.threshold_pct, "adequate": r.adequate,
        "at_threshold": r.at_threshold, "flr_bwr_pct": r.flr_bwr_pct,
        "kgr_pct_per_week": r.kgr_pct_per_week,
    }


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
    }


def evaluation_to_dict(ev: Evaluation) -> dict[str, Any]:
    """The ``mdt-evaluation/1`` object: the specified keys first, then the engine's extras."""
    return {
        "format": EVALUATION_FORMAT,
        "protocol": {"id": ev.protocol_id, "version": ev.protocol_version,
                     "title": ev.protocol_title},
        "review": {"index": ev.review_index, "date": ev.review_date, "cycle": ev.review_cycle},
        "resectability": ev.resectability,
        "eligibility": ev.eligibility,
        "criteria": [
            {"id": f.id, "group": f.group, "status": f.status, "explanation": f.explanation,
             "source": f.source, "label": f.label, "missing": list(f.missing)}
            for f in ev.criteria
        ],
        "remnant": _remnant(ev.remnant),
        "recist": _recist(ev.recist),
        "best_plan": _plan(ev.best_plan),
        "better_plan_than_recorded": ev.better_plan_than_recorded,
        "plans_considered": [_plan(p) for p in ev.plans_considered],
        "assumptions": list(ev.assumptions),
        "warnings": list(ev.warnings),
    }
