"""The readable terminal report of an evaluation (``main.py evaluate`` without ``--json``).

One line per criterion, as a panel reads it: the legend mark, the criterion's name, and what was
found with the number that decided it.  ``details=True`` adds, under each line, the full
explanation, the criterion as its source words it, and the source.  No rule id and no field
path appears: the words come from :mod:`mdt.glossary`.
"""

from __future__ import annotations

import textwrap

from mdt import glossary
from mdt.evaluation import Evaluation, Finding, PlanOption
from mdt.protocols.model import ELIGIBILITY_GROUPS

STATUS_WIDTH = max(len(glossary.effect_label(e)) for e in glossary.EFFECTS)


def _wrap(text: str, indent: str, width: int, rest: str | None = None) -> list[str]:
    # A bullet ("  - ") starts the first line only; continuation lines align under the text.
    if rest is None:
        rest = " " * len(indent) if indent.strip() in ("-", "•") else indent
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=rest) or [indent]


def _plan_line(p: PlanOption) -> str:
    return glossary.plan_words(p.resection, p.remnant, p.local_treatment)


def eligibility_line(ev: Evaluation) -> str:
    """"✔ ELIGIBLE — judged at the enrolment review of 2026-01-15 (convertible then)"."""
    if ev.eligibility is None:
        return "no eligibility block in this protocol"
    text = glossary.eligibility_text(ev.eligibility)
    if ev.eligibility_judged_here:
        where = "judged at this review"
    else:
        then = (ev.eligibility_resectability or "").replace("_", " ")
        where = (f"judged at the enrolment review of {ev.eligibility_review_date}"
                 + (f" ({then} then)" if then else ""))
    return f"{text} — {where}"


def finding_line(f: Finding) -> str:
    """"● unresectable now  U2 Tumour contact ... — present: L1 contacts the MHV"."""
    return f"{glossary.effect_label(f.effect):<{STATUS_WIDTH}}  {f.label or f.id} — {f.summary}"


def render_report(ev: Evaluation, patient_id: str | None = None, width: int = 100,
                  details: bool = False) -> str:
    """A plain-text report for a person at a terminal: verdicts first, then every criterion."""
    lines: list[str] = []
    head = f"Protocol {ev.protocol_id} v{ev.protocol_version}: {ev.protocol_title}"
    lines += _wrap(head, "", width)
    who = f"Patient {patient_id}, " if patient_id else ""
    cycle = f", after cycle {ev.review_cycle}" if ev.review_cycle is not None else ""
    lines.append(f"{who}review {ev.review_index} of {ev.review_date}{cycle}")
    lines.append("=" * min(width, 72))
    verdict = f"{glossary.PROTOCOL_VERDICT}: {glossary.verdict_text(ev.resectability)}"
    if ev.resectability_reason:
        verdict += f" ({ev.resectability_reason})"
    lines += _wrap(verdict, "", width, " " * (len(glossary.PROTOCOL_VERDICT) + 2))
    lines += _wrap(f"{glossary.TRIAL_ELIGIBILITY}: {eligibility_line(ev)}", "", width,
                   " " * (len(glossary.TRIAL_ELIGIBILITY) + 2))
    if ev.eligibility is not None and ev.eligibility_reason and ev.eligibility != "eligible":
        lines += _wrap(ev.eligibility_reason, "                   ", width)
    unknown = [f for f in ev.criteria if f.status == "unknown"]
    if unknown:
        fields = list(dict.fromkeys(w for f in unknown for w in f.missing_words))
        lines += _wrap(f"Unknown criteria: {len(unknown)}; record "
                       + (", ".join(fields) if fields else "the missing data") + " to decide them.",
                       "", width, "  ")
    lines += _wrap("Legend: " + glossary.legend_text(), "", width, "        ")
    groups: list[str] = []
    for f in ev.criteria:
        if f.group not in groups:
            groups.append(f.group)
    for group in groups:
        lines.append("")
        title = glossary.group_title(group)
        at = {f.judged_at for f in ev.criteria if f.group == group and f.judged_at}
        if at and group in ELIGIBILITY_GROUPS:
            title += f" (judged at the enrolment review of {sorted(at)[0]})"
        lines.append(title)
        for f in ev.criteria:
            if f.group != group:
                continue
            lines += _wrap(finding_line(f), "  ", width, "  " + " " * (STATUS_WIDTH + 2))
            if details:
                pad = "  " + " " * (STATUS_WIDTH + 2)
                lines += _wrap(f.explanation, pad, width)
                if f.missing_words:
                    lines += _wrap("missing: " + ", ".join(f.missing_words), pad, width)
                if f.rule_text:
                    lines += _wrap(f"criterion: {f.rule_text}", pad, width)
                lines += _wrap(f"source: {f.source}", pad, width)
    r = ev.remnant
    if r is not None:
        lines.append("")
        lines.append("Remnant")
        if r.segments:
            lines.append(f"  segments that stay: {glossary.units_range(r.segments)}")
        lines += _wrap(f"volume: {r.summary}", "  ", width, "    ")
        if r.flr_pct is not None:
            name = "standardised FLR (sFLR)" if r.standardised else "remnant share (FLR / TLV)"
            used = ("post-embolisation volume" if r.volume_source == "post_embolisation"
                    else "measured volume")
            lines.append(f"  {name} {r.flr_pct:g} % from the {used} of {r.flr_ml:g} mL")
        if r.threshold_note or r.threshold_pct is not None:
            needs = f"{r.threshold_pct:g} %" if r.threshold_pct is not None else "undecided"
            lines += _wrap(f"threshold: {needs}"
                           + (f" — {r.threshold_note}" if r.threshold_note else ""),
                           "  ", width, "    ")
        if r.volumetry_advised and "volumetry" not in r.summary:
            lines.append("  volumetry is advised before surgery (four segments or fewer stay)")
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
            lines += _wrap("Best plan found: " + _plan_line(ev.best_plan), "  ", width, "    ")
            for note in ev.best_plan.notes:
                lines += _wrap(note, "    ", width)
            if ev.better_plan_than_recorded:
                lines.append("  This is better than the recorded plan.")
        else:
            lines.append("  No plan found that clears all disease and leaves an adequate remnant.")
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
    if not details:
        lines.append("")
        lines.append("(--details adds each criterion's explanation, wording and source)")
    return "\n".join(lines) + "\n"


__all__ = ["render_report", "finding_line", "eligibility_line", "ELIGIBILITY_GROUPS"]
