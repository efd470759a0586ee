"""The readable terminal report of an evaluation (``main.py evaluate`` without ``--json``)."""

from __future__ import annotations

import textwrap

from mdt.evaluation import MET, NOT_MET, Evaluation, PlanOption
from mdt.protocols.model import ELIGIBILITY_GROUPS

GROUP_TITLES = {
    "unresectability": "Unresectability (any one makes the patient unresectable)",
    "technical": "Technical resectability (all needed)",
    "biological": "Biological criteria",
    "exclusion": "Exclusions (must all be 'no')",
    "inclusion": "Inclusion (must all be 'yes')",
    "organ_function": "Organ function (must all be 'yes')",
}
MARK = {MET: "yes", NOT_MET: "no", "unknown": "UNKNOWN"}
VERDICT_TEXT = {
    "resectable": "RESECTABLE",
    "convertible": "CONVERTIBLE (unresectable now)",
    "permanently_unresectable": "PERMANENTLY UNRESECTABLE",
    "indeterminate": "INDETERMINATE (missing data)",
    "eligible": "ELIGIBLE",
    "not_eligible": "NOT ELIGIBLE",
}


def _wrap(text: str, indent: str, width: int) -> list[str]:
    # A bullet ("  - ") starts the first line only; continuation lines align under the text.
    rest = " " * len(indent) if indent.strip() == "-" else indent
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=rest) or [indent]


def _plan_line(p: PlanOption) -> str:
    from mdt.anatomy import RESECTION_LABELS, describe_units

    name = RESECTION_LABELS.get(p.resection or "", "") or "Non-standard resection"
    local = ", ".join(f"{lid} {m}" for lid, m in p.local_treatment)
    return (f"{name}: remnant {describe_units(p.remnant)}"
            + (f"; local treatment {local}" if local else ""))


def render_report(ev: Evaluation, patient_id: str | None = None, width: int = 96) -> str:
    """A plain-text report for a person at a terminal: verdicts first, then every criterion."""
    lines: list[str] = []
    head = f"Protocol {ev.protocol_id} v{ev.protocol_version}: {ev.protocol_title}"
    lines += _wrap(head, "", width)
    who = f"Patient {patient_id}, " if patient_id else ""
    cycle = f", after cycle {ev.review_cycle}" if ev.review_cycle is not None else ""
    lines.append(f"{who}review {ev.review_index} of {ev.review_date}{cycle}")
    lines.append("=" * min(width, 72))
    lines.append(f"Resectability: {VERDICT_TEXT.get(ev.resectability, ev.resectability)}")
    if ev.eligibility is not None:
        lines.append(f"Eligibility:   {VERDICT_TEXT.get(ev.eligibility, ev.eligibility)}")
    else:
        lines.append("Eligibility:   (this protocol has no eligibility block)")
    unknown = [f for f in ev.criteria if f.status == "unknown"]
    if unknown:
        fields = sorted({m for f in unknown for m in f.missing})
        lines.append(f"Unknown criteria: {len(unknown)}; record "
                     + (", ".join(fields) if fields else "the missing data") + " to decide them.")
    groups: list[str] = []
    for f in ev.criteria:
        if f.group not in groups:
            groups.append(f.group)
    for group in groups:
        lines.append("")
        lines.append(GROUP_TITLES.get(group, group.replace("_", " ").capitalize()))
        for f in ev.criteria:
            if f.group != group:
                continue
            mark = MARK.get(f.status, f.status)
            lines += _wrap(f"[{mark:>7}] {f.label or f.id}", "  ", width)
            lines += _wrap(f.explanation, "            ", width)
            lines += _wrap(f"source: {f.source}", "            ", width)
    r = ev.remnant
    if r is not None:
        lines.append("")
        lines.append("Remnant")
        if r.segments:
            lines.append(f"  segments kept: {', '.join(r.segments)}")
        if r.flr_pct is not None:
            thr = f" vs threshold {r.threshold_pct:g} %" if r.threshold_pct is not None else ""
            adequacy = {True: "adequate", False: "inadequate", None: "undecided"}[r.adequate]
            near = " (at threshold)" if r.at_threshold else ""
            lines.append(f"  standardised FLR {r.flr_pct:g} %{thr}: {adequacy}{near}")
        if r.tlv_ml is not None:
            lines.append(f"  total liver volume {r.tlv_ml:g} mL ({r.tlv_source})")
        if r.flr_bwr_pct is not None:
            lines.append(f"  remnant-to-body-weight ratio {r.flr_bwr_pct:g} % "
                         f"({'above' if r.flr_bwr_pct > 0.5 else 'at or below'} 0.5 %)")
        if r.kgr_pct_per_week is not None:
            lines.append(f"  kinetic growth rate after PVE {r.kgr_pct_per_week:g} %/week "
                         f"({'≥' if r.kgr_pct_per_week >= 2 else '<'} 2 %/week)")
    if ev.best_plan is not None or ev.plans_considered:
        lines.append("")
        lines.append("Plans")
        if ev.best_plan is not None:
            lines += _wrap("Best plan found: " + _plan_line(ev.best_plan), "  ", width)
            if ev.better_plan_than_recorded:
                lines.append("  This is better than the recorded plan.")
        else:
            lines.append("  No plan clears all disease with viable inflow and outflow.")
        failing = [p for p in ev.plans_considered if not p.feasible]
        if failing:
            lines.append("  Why the other plans fail:")
        for p in failing:
            shown = list(p.reasons[:3])
            if len(p.reasons) > 3:
                shown.append(f"and {len(p.reasons) - 3} more")
            lines += _wrap(_plan_line(p) + ": " + "; ".join(shown), "  - ", width)
    rc = ev.recist
    if rc is not None:
        lines.append("")
        lines.append(f"RECIST 1.1: {rc.response}")
        if rc.sld_mm is not None:
            parts = [f"sum {rc.sld_mm:g} mm"]
            if rc.baseline_sld_mm is not None:
                parts.append(f"baseline {rc.baseline_sld_mm:g} mm")
            if rc.nadir_sld_mm is not None:
                parts.append(f"nadir {rc.nadir_sld_mm:g} mm")
            if rc.change_from_baseline_pct is not None:
                parts.append(f"{rc.change_from_baseline_pct:+g} % from baseline")
            if rc.change_from_nadir_pct is not None:
                parts.append(f"{rc.change_from_nadir_pct:+g} % from nadir")
            lines.append("  " + ", ".join(parts))
        if rc.new_lesions:
            lines.append(f"  new lesions: {', '.join(rc.new_lesions)}")
    if ev.warnings:
        lines.append("")
        lines.append("Warnings")
        for w in ev.warnings:
            lines += _wrap(w, "  - ", width)
    if ev.assumptions:
        lines.append("")
        lines.append("Assumptions and settings")
        for a in ev.assumptions:
            lines += _wrap(a, "  - ", width)
    return "\n".join(lines) + "\n"


__all__ = ["render_report", "ELIGIBILITY_GROUPS"]
