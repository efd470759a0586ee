"""Renderings of the outcomes report: the versioned JSON (``docs/outcomes-format.md``), the
patient-level CSV a statistician reproduces every figure from, and terminal text."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from mdt.outcomes.facts import PatientFacts, TimeToEvent
from mdt.outcomes.report import FORMAT_ID, OutcomesReport, Section, months
from mdt.outcomes.settings import settings_to_dict


def _num(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)


def section_to_dict(s: Section) -> dict[str, Any]:
    return {
        "protocol": s.protocol_id,
        "settings": settings_to_dict(s.settings),
        "reference_arm": s.reference,
        "groups": [{"name": g, "patients": len(s.patients[g])} for g in s.groups],
        "endpoints": [
            {"id": r.id, "label": r.label, "counts": r.counts, "leaves_out": r.leaves_out,
             "values": {g: {"text": c.text, "value": _num(c.value), "low": _num(c.low), "high": _num(c.high),
                            "k": c.k, "n": c.n, "left_out": c.left_out} for g, c in r.cells.items()},
             "comparison": ({**{k: (_num(v) if isinstance(v, float) else v) for k, v in r.comparison_values.items()},
                             "text": r.comparison} if r.comparison_values else None)}
            for r in s.rows],
        "survival": [
            {"endpoint": sv.endpoint, "label": sv.label, "risk_times_months": list(sv.risk_times),
             "curves": {g: (None if c is None else {
                 "n": c.n, "events": c.events, "median_months": _num(months(c.median)),
                 "median_low_months": _num(months(c.median_low)),
                 "median_high_months": _num(months(c.median_high)),
                 "steps": [[_num(months(t)), _num(p), _num(lo), _num(hi)]
                           for t, p, lo, hi in zip(c.times, c.survival, c.low, c.high, strict=True)],
                 "at_risk": sv.at_risk[g]}) for g, c in sv.curves.items()}}
            for sv in s.survival],
        "notes": list(s.notes),
    }


def report_to_dict(report: OutcomesReport) -> dict[str, Any]:
    f = report.filters
    return {
        "format": FORMAT_ID,
        "generated": report.generated,
        "filters": {"protocol": f.protocol, "arm": f.arm,
                    "enrolled_from": f.enrolled_from.isoformat() if f.enrolled_from else None,
                    "enrolled_to": f.enrolled_to.isoformat() if f.enrolled_to else None,
                    "by": "arm" if f.by_arm else None},
        "sections": [section_to_dict(s) for s in report.sections],
        "notes": list(report.notes),
    }


CSV_COLUMNS = (
    "patient_id", "protocol", "arm", "origin", "origin_source", "converted", "conversion_months",
    "conversion_from_recorded_end", "complete_local_treatment", "complete_reason", "best_response",
    "response_not_evaluable_reason", "best_change_pct", "pfs_months", "pfs_event", "hepatic_pfs_months",
    "hepatic_pfs_event", "os_months", "os_event", "operated", "clavien_dindo_30d", "clavien_dindo_90d",
    "rated_reviews", "end", "end_date", "end_source",
)


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def facts_to_csv(facts: Sequence[PatientFacts]) -> str:
    """One line per patient: every value the endpoint table counts (empty = not recorded)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for f in facts:
        def tte(t: TimeToEvent | None) -> tuple[float | None, bool | None]:
            return (None, None) if t is None else (months(t.days), t.event)
        pfs, hep, os = tte(f.pfs), tte(f.hepatic_pfs), tte(f.os)
        w.writerow([_cell(v) for v in (
            f.patient_id, f.protocol_id, f.arm, f.origin.isoformat() if f.origin else None, f.origin_source,
            f.converted, months(f.conversion_day), f.conversion_from_recorded_end, f.complete_local,
            f.complete_reason, f.best_response, f.response_reason, f.best_change_pct, *pfs, *hep, *os,
            f.operated, f.cd30, f.cd90, len(f.ratings),
            f.end.code if f.end else None, f.end.date.isoformat() if f.end and f.end.date else None,
            f.end.source if f.end else None)])
    return out.getvalue()


def report_to_text(report: OutcomesReport) -> str:
    lines: list[str] = []
    if not report.sections:
        return "No patient matches the filters.\n"
    for s in report.sections:
        lines.append(f"== {s.protocol_id}  ({', '.join(f'{g} {len(s.patients[g])}' for g in s.groups)} patients; "
                     f"population {s.settings.population}; reference arm {s.reference or '-'})")
        for r in s.rows:
            lines.append(f"{r.label}")
            for g in s.groups:
                lines.append(f"    {g:>10}: {r.cells[g].text}")
            if r.comparison:
                lines.append(f"    {'between':>10}: {r.comparison}")
            lines.append(f"    counts: {r.counts}")
            lines.append(f"    leaves out: {r.leaves_out}")
        for sv in s.survival:
            lines.append(f"Numbers at risk, {sv.label} (months {', '.join(str(t) for t in sv.risk_times)})")
            for g in s.groups:
                lines.append(f"    {g:>10}: {' '.join(f'{n:>4}' for n in sv.at_risk[g])}")
        lines += [f"note: {n}" for n in s.notes]
        lines.append("")
    lines += [f"note: {n}" for n in report.notes]
    return "\n".join(lines) + "\n"
