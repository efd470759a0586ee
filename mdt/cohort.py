"""Cohort view: one line per patient (treatment, response, decision, next review) and totals.

For the trial coordinator: who is overdue, how the cohort responds (RECIST best overall
response, early tumour shrinkage, depth of response) and how many converted to resection
(NCT05103020's primary endpoint).  Computed from cases only; nothing here is stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from statistics import median
from typing import Any

from mdt.case import Case
from mdt.evaluation import RESPONSES
from mdt.panel import is_overdue, plan_next_review
from mdt.recist import DEFAULT_ASSESSMENT_INTERVAL, DEFAULT_TARGET_LIMIT, assess, best_overall_response

DEFAULT_INTERVAL = DEFAULT_ASSESSMENT_INTERVAL
"""Used when a case's protocol gives none (see :data:`mdt.recist.DEFAULT_ASSESSMENT_INTERVAL`)."""
CONVERTED_OUTCOMES = ("converted", "resected")
"""Treatment outcomes that count as conversion to resectability."""


@dataclass(frozen=True, slots=True)
class CohortRow:
    patient_id: str
    protocol_id: str | None
    arm: str | None
    regimen: str | None
    cycles_given: int
    last_cycle_date: date | None
    reviews: int
    last_review_date: date | None
    response: str | None
    """RECIST response at the latest review (None without reviews)."""
    sld_mm: float | None
    change_from_baseline_pct: float | None
    best_response: str | None
    early_tumour_shrinkage: bool | None
    ets_week: int | None
    depth_of_response_pct: float | None
    resectability: str | None
    """The panel's latest recorded decision."""
    plan: str | None
    rule: str | None
    next_review: date | None
    next_review_basis: str
    overdue: bool
    outcome: str | None


@dataclass(frozen=True, slots=True)
class CohortSummary:
    patients: int
    by_arm: dict[str, int] = field(default_factory=dict)
    best_response: dict[str, int] = field(default_factory=dict)
    with_follow_up: int = 0
    """Patients with at least one review after baseline (the response denominator)."""
    objective_response: int = 0
    """Best response CR or PR."""
    ets_known: int = 0
    ets_yes: int = 0
    median_depth_pct: float | None = None
    converted: int = 0
    resected: int = 0
    overdue: int = 0


def cohort_row(case: Case, today: date, target_limit: int = DEFAULT_TARGET_LIMIT,
               interval: Mapping[str, Any] | None = None) -> CohortRow:
    """One patient's line.  The next review is the panel's recorded date at the latest review,
    else the date proposed from the protocol's interval after that review."""
    reviews = case.reviews
    treatment = case.treatment
    cycles = treatment.cycles if treatment else ()
    last = reviews[-1] if reviews else None
    summary = assess(reviews, len(reviews) - 1, target_limit) if reviews else None
    decision = last.panel.decision if last else None

    next_review: date | None = None
    basis = "no review yet"
    if decision is not None and decision.next_review is not None:
        next_review, basis = decision.next_review, "recorded by the panel"
    elif last is not None:
        planned = plan_next_review(last.date, interval or DEFAULT_INTERVAL, treatment)
        next_review, basis = planned.date, "proposed: " + planned.basis
    return CohortRow(
        patient_id=case.patient.id,
        protocol_id=case.protocol.id,
        arm=case.protocol.arm,
        regimen=treatment.regimen if treatment else None,
        cycles_given=len(cycles),
        last_cycle_date=max((c.date for c in cycles), default=None),
        reviews=len(reviews),
        last_review_date=last.date if last else None,
        response=summary.response if summary else None,
        sld_mm=summary.sld_mm if summary else None,
        change_from_baseline_pct=summary.change_from_baseline_pct if summary else None,
        best_response=best_overall_response(reviews, target_limit) if reviews else None,
        early_tumour_shrinkage=summary.early_tumour_shrinkage if summary else None,
        ets_week=summary.ets_week if summary else None,
        depth_of_response_pct=summary.depth_of_response_pct if summary else None,
        resectability=decision.resectability if decision else None,
        plan=decision.plan if decision else None,
        rule=decision.rule if decision else None,
        next_review=next_review,
        next_review_basis=basis,
        overdue=is_overdue(next_review, today) and not _finished(case),
        outcome=treatment.outcome if treatment else None,
    )


def _finished(case: Case) -> bool:
    # A patient who died, withdrew or was lost is not "overdue" for the board.
    outcome = case.treatment.outcome if case.treatment else None
    return outcome in ("died", "withdrawn", "lost_to_follow_up")


def summarise(rows: Sequence[CohortRow]) -> CohortSummary:
    by_arm: dict[str, int] = {}
    for row in rows:
        key = row.arm or "(no arm)"
        by_arm[key] = by_arm.get(key, 0) + 1
    best = dict.fromkeys(RESPONSES, 0)
    followed = [r for r in rows if r.reviews > 1]
    for row in followed:
        best[row.best_response or "NE"] += 1
    depths = [r.depth_of_response_pct for r in followed if r.depth_of_response_pct is not None]
    ets = [r.early_tumour_shrinkage for r in rows if r.early_tumour_shrinkage is not None]
    return CohortSummary(
        patients=len(rows),
        by_arm=dict(sorted(by_arm.items())),
        best_response=best,
        with_follow_up=len(followed),
        objective_response=best["CR"] + best["PR"],
        ets_known=len(ets),
        ets_yes=sum(ets),
        median_depth_pct=round(median(depths), 1) if depths else None,
        converted=sum(1 for r in rows if r.outcome in CONVERTED_OUTCOMES),
        resected=sum(1 for r in rows if r.outcome == "resected"),
        overdue=sum(1 for r in rows if r.overdue),
    )


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f} %)" if whole else f"{part}/0"


def summary_lines(summary: CohortSummary) -> list[str]:
    """The totals in words, for the terminal and reports."""
    arms = ", ".join(f"{arm} {n}" for arm, n in summary.by_arm.items()) or "none"
    best = ", ".join(f"{k} {v}" for k, v in summary.best_response.items() if v) or "none"
    depth = "n/a" if summary.median_depth_pct is None else f"{summary.median_depth_pct} %"
    return [
        f"Patients: {summary.patients} (arms: {arms})",
        f"With a follow-up review: {summary.with_follow_up}; best overall response: {best}",
        f"Objective response (CR + PR): {_pct(summary.objective_response, summary.with_follow_up)}",
        f"Early tumour shrinkage >= 20 %: {_pct(summary.ets_yes, summary.ets_known)} of those "
        f"with a 6-10 week review",
        f"Median depth of response: {depth}",
        f"Converted to resectability: {_pct(summary.converted, summary.patients)}; resected: "
        f"{_pct(summary.resected, summary.patients)}",
        f"Overdue reviews: {summary.overdue}",
    ]


CSV_COLUMNS: tuple[str, ...] = tuple(CohortRow.__dataclass_fields__)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def rows_to_csv(rows: Sequence[CohortRow]) -> str:
    """CSV with a header row; empty cells for unknown values, yes/no for flags."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) for name in CSV_COLUMNS])
    return out.getvalue()


def row_to_dict(row: CohortRow) -> dict[str, Any]:
    """JSON-ready (dates as ISO text)."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(row).items()}


def rows_to_text(rows: Sequence[CohortRow]) -> str:
    """A fixed-width table for the terminal."""
    headers = ("Patient", "Arm", "Cyc", "Last review", "RECIST", "SLD mm", "vs BL %", "Best",
               "ETS", "DpR %", "Decision", "Next review", "")
    table = [headers]
    for r in rows:
        table.append((
            r.patient_id, r.arm or "", str(r.cycles_given), _cell(r.last_review_date),
            r.response or "", _cell(r.sld_mm), _cell(r.change_from_baseline_pct),
            r.best_response or "",
            "" if r.early_tumour_shrinkage is None else
            ("yes" if r.early_tumour_shrinkage else "no") + f" (w{r.ets_week})",
            _cell(r.depth_of_response_pct), (r.resectability or "").replace("_", " "),
            _cell(r.next_review), "OVERDUE" if r.overdue else "",
        ))
    widths = [max(len(line[i]) for line in table) for i in range(len(headers))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
                     for line in table) + "\n"


def protocol_settings(protocol_id: str | None) -> tuple[int, dict[str, Any], str | None]:
    """(target lesion limit, assessment interval, note) of a case's protocol; an unknown
    protocol falls back to RECIST's 2 liver targets and 8 weeks, and the note says so."""
    from mdt.protocols.governing import RECIST, lookup

    found = lookup(protocol_id=protocol_id)
    return found.target_lesion_limit, found.assessment_interval, found.note_for(RECIST)


def cohort_rows(cases: Sequence[Case], today: date) -> tuple[list[CohortRow], list[str]]:
    """Every case's line under its own protocol's settings, with notes about fallbacks."""
    rows: list[CohortRow] = []
    notes: list[str] = []
    for case in cases:
        limit, interval, note = protocol_settings(case.protocol.id)
        if note:
            notes.append(f"{case.patient.id}: {note}")
        rows.append(cohort_row(case, today, limit, interval))
    return rows, notes
