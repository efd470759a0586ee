"""The endpoint table: per protocol, per arm and overall, with between-arm comparisons.

Each row says what it counts and what it leaves out, so a statistician can reproduce it from
the patient-level export (``--csv``).  Intention-to-treat by default: every enrolled patient
of the group is in a rate's denominator; with the protocol's ``population: evaluable`` the
patients not evaluable for that endpoint are left out instead (and counted in the row).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import Any

import numpy as np

from mdt.case import CLAVIEN_DINDO, RATINGS
from mdt.outcomes import stats
from mdt.outcomes.facts import PatientFacts, TimeToEvent
from mdt.outcomes.settings import DAYS_PER_MONTH, OutcomeSettings, settings_for

FORMAT_ID = "mdt-outcomes/1"
OVERALL = "overall"
NO_ARM = "(no arm)"
NO_PROTOCOL = "(no protocol)"
RISK_TIMES_MONTHS = (0, 6, 12, 18, 24, 30, 36, 48, 60)
SURVIVAL_ENDPOINTS = (("pfs", "Progression-free survival"),
                      ("hepatic_pfs", "Hepatic progression-free survival"),
                      ("os", "Overall survival"))


@dataclass(frozen=True, slots=True)
class Filters:
    protocol: str | None = None
    arm: str | None = None
    enrolled_from: date | None = None
    enrolled_to: date | None = None
    by_arm: bool = True

    def keeps(self, f: PatientFacts) -> bool:
        if self.protocol is not None and f.protocol_id != self.protocol:
            return False
        if self.arm is not None and f.arm != self.arm:
            return False
        if self.enrolled_from is not None and (f.origin is None or f.origin < self.enrolled_from):
            return False
        return not (self.enrolled_to is not None and (f.origin is None or f.origin > self.enrolled_to))


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    k: int | None = None
    n: int | None = None
    left_out: int = 0


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    label: str
    counts: str
    """What the figure counts (numerator and denominator, time origin, events)."""
    leaves_out: str
    """What it leaves out and why."""
    cells: dict[str, Cell]
    comparison: str = ""
    comparison_values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Survival:
    endpoint: str
    label: str
    curves: dict[str, stats.KMCurve | None]
    risk_times: tuple[float, ...]
    """Months."""
    at_risk: dict[str, list[int]]


@dataclass(frozen=True, slots=True)
class Section:
    protocol_id: str
    settings: OutcomeSettings
    groups: tuple[str, ...]
    """Arm names in order (reference arm first), then ``overall``."""
    reference: str | None
    patients: dict[str, list[PatientFacts]]
    rows: tuple[Row, ...]
    survival: tuple[Survival, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OutcomesReport:
    filters: Filters
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()
    generated: str = ""


def months(days: float | None) -> float | None:
    return None if days is None else days / DAYS_PER_MONTH


def _pct(p: stats.Proportion) -> Cell:
    if p.n == 0 or p.p is None or p.low is None or p.high is None:  # no estimate without patients
        return Cell("no patient", None, None, None, p.k, p.n)
    return Cell(f"{p.k}/{p.n} ({100 * p.p:.0f} %, 95 % CI {100 * p.low:.0f}-{100 * p.high:.0f})",
                p.p, p.low, p.high, p.k, p.n)


def _fmt_p(p: float | None) -> str:
    if p is None:
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def _fmt_ratio(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}" if x < 10 else f"{x:.1f}"


def _binary(group: Sequence[PatientFacts], value: Callable[[PatientFacts], bool | None],
            population: str) -> tuple[stats.Proportion, int]:
    vals = [value(f) for f in group]
    unknown = sum(v is None for v in vals)
    k = sum(v is True for v in vals)
    n = len(vals) - (unknown if population == "evaluable" else 0)
    return stats.proportion(k, n), unknown


def _binary_row(rid: str, label: str, counts: str, leaves: str, groups: dict[str, list[PatientFacts]],
                order: Sequence[str], reference: str | None, value: Callable[[PatientFacts], bool | None],
                population: str, compare: bool = True) -> Row:
    cells: dict[str, Cell] = {}
    props: dict[str, stats.Proportion] = {}
    unknowns: dict[str, int] = {}
    for g in order:
        prop, unknown = _binary(groups[g], value, population)
        props[g], unknowns[g] = prop, unknown
        cell = _pct(prop)
        cells[g] = Cell(cell.text, cell.value, cell.low, cell.high, cell.k, cell.n, unknown)
    comparison, values = "", {}
    arms = [g for g in order if g != OVERALL]
    if compare and reference is not None and len(arms) == 2:
        other = arms[1]
        a, b = props[reference], props[other]
        res = stats.odds_ratio(a.k, a.n, b.k, b.n)
        values = {"kind": "odds_ratio", "compared": other, "reference": reference,
                  "estimate": res.estimate, "low": res.low, "high": res.high,
                  "fisher_p": res.p, "note": res.note}
        ci = "" if res.estimate is None else f" (95 % CI {_fmt_ratio(res.low)}-{_fmt_ratio(res.high)}, Woolf)"
        comparison = (f"OR {other} vs {reference} {_fmt_ratio(res.estimate)}{ci}; Fisher {_fmt_p(res.p)}"
                      + (f"; {res.note}" if res.note else ""))
    unknown_total = sum(unknowns[g] for g in arms) if arms else unknowns.get(OVERALL, 0)
    left = (f"{unknown_total} not evaluable ({'left out' if population == 'evaluable' else 'counted as no, intention-to-treat'})"
            if unknown_total else "none")
    return Row(rid, label, counts, f"{leaves}; {left}" if leaves else left, cells, comparison, values)


def _survival(days_of: Callable[[PatientFacts], TimeToEvent | None], groups: dict[str, list[PatientFacts]],
              order: Sequence[str]) -> tuple[dict[str, stats.KMCurve | None], dict[str, tuple[list, list]], dict[str, int]]:
    curves, data, missing = {}, {}, {}
    for g in order:
        obs = [days_of(f) for f in groups[g]]
        kept = [o for o in obs if o is not None and (o.days > 0 or o.event)]
        missing[g] = len(obs) - len(kept)
        d = [o.days for o in kept]
        e = [o.event for o in kept]
        data[g] = (d, e)
        curves[g] = stats.kaplan_meier(d, e)
    return curves, data, missing


def _median_text(c: stats.KMCurve | None) -> Cell:
    if c is None:
        return Cell("no patient with follow-up")
    med = months(c.median)
    lo, hi = months(c.median_low), months(c.median_high)
    text = "not reached" if med is None else f"{med:.1f} mo"
    ci = f"{'NR' if lo is None else f'{lo:.1f}'}-{'NR' if hi is None else f'{hi:.1f}'}"
    return Cell(f"{text} (95 % CI {ci}); {c.events} events / {c.n}", med, lo, hi, c.events, c.n)


def hepatic_pfs_event_words(settings: OutcomeSettings) -> str:
    """What ends hepatic PFS under the protocol's readings, in words for the report."""
    sites = ("first progression of any site" if settings.hepatic_pfs_extrahepatic == "event"
             else "first progression in the liver (hepatic or hepatic + extrahepatic)")
    words = sites + (" or death" if settings.hepatic_pfs_death else "")
    if settings.hepatic_pfs_extrahepatic == "not_an_event":
        words += "; extrahepatic-only progression is not an event"
    elif settings.hepatic_pfs_extrahepatic == "censored":
        words += "; censored at an earlier extrahepatic-only progression"
    if not settings.hepatic_pfs_death:
        words += "; censored at death without it"
    return words


def build_section(protocol_id: str, facts: Sequence[PatientFacts], settings: OutcomeSettings,
                  by_arm: bool = True, extra_notes: Sequence[str] = ()) -> Section:
    # Patients without a recorded arm count in the overall column only (said in the notes).
    arms = sorted({f.arm for f in facts if f.arm}) if by_arm else []
    reference = None
    if arms:
        reference = settings.reference_arm if settings.reference_arm in arms else arms[0]
        arms = [reference] + [a for a in arms if a != reference]
    order = [*arms, OVERALL]
    groups: dict[str, list[PatientFacts]] = {a: [f for f in facts if f.arm == a] for a in arms}
    groups[OVERALL] = list(facts)
    no_arm = sum(1 for f in facts if not f.arm)
    pop = settings.population
    rows: list[Row] = []
    kinds = ", ".join(k.replace("_", " + ") for k in settings.conversion_counts)
    rows.append(_binary_row(
        "conversion", "Conversion to local treatment",
        f"patients with a local treatment counted by the protocol ({kinds}) / every enrolled patient",
        "", groups, order, reference, lambda f: f.converted, "itt"))
    rows.append(_binary_row(
        "complete_local_treatment", "Complete local treatment (R0/R1 or ablation of all lesions)",
        "patients whose local treatments (R0/R1 resection or ablation) covered every lesion present "
        "at the last review before the first one / every enrolled patient",
        "unknown margin or lesions not recorded is not evaluable", groups, order, reference,
        lambda f: f.complete_local, pop))
    confirm = (f"CR/PR confirmed at least {settings.confirmation_days} days later"
               if settings.confirmation_days else "CR/PR as recorded (no confirmation: randomised)")
    rows.append(_binary_row(
        "orr", "Objective response (CR + PR, RECIST 1.1)",
        f"best overall response CR or PR up to the first progression; {confirm} / every enrolled patient",
        "no follow-up review or no baseline lesion is not evaluable", groups, order, reference,
        lambda f: None if f.best_response == "NE" else f.best_response in ("CR", "PR"), pop))
    rows.append(_binary_row(
        "dcr", "Disease control (CR + PR + SD, RECIST 1.1)",
        f"best overall response CR, PR, SD or non-CR/non-PD, SD at least {settings.sd_min_days} days "
        f"after baseline / every enrolled patient",
        "no follow-up review or no baseline lesion is not evaluable", groups, order, reference,
        lambda f: None if f.best_response == "NE" else f.best_response in ("CR", "PR", "SD", "NON-CR/NON-PD"),
        pop))
    # Time to conversion among the converted.
    cells: dict[str, Cell] = {}
    for g in order:
        days = sorted(f.conversion_day for f in groups[g] if f.converted and f.conversion_day is not None)
        if not days:
            cells[g] = Cell("no conversion")
            continue
        med = float(np.median(days)) / DAYS_PER_MONTH
        cells[g] = Cell(f"{med:.1f} mo (range {days[0] / DAYS_PER_MONTH:.1f}-{days[-1] / DAYS_PER_MONTH:.1f}), "
                        f"n = {len(days)}", med, days[0] / DAYS_PER_MONTH, days[-1] / DAYS_PER_MONTH,
                        len(days), len(days))
    rows.append(Row("time_to_conversion", "Time to conversion (median, converted patients)",
                    "months from the time origin to the first counted local treatment, among converted patients",
                    "patients not converted; converted patients without a dated event", cells))

    survival: list[Survival] = []
    longest = max((t.days for f in facts for t in (f.pfs, f.hepatic_pfs, f.os) if t is not None), default=0)
    # Numbers at risk up to the first time past the longest follow-up (no row of zeros).
    risk_months = [m for m in RISK_TIMES_MONTHS if m * DAYS_PER_MONTH <= longest]
    risk_months += [m for m in RISK_TIMES_MONTHS if m * DAYS_PER_MONTH > longest][:1]
    risk_days = [m * DAYS_PER_MONTH for m in risk_months]
    for key, label in SURVIVAL_ENDPOINTS:
        curves, data, missing = _survival(attrgetter(key), groups, order)
        cells = {g: _median_text(curves[g]) for g in order}
        for g in order:
            c = cells[g]
            cells[g] = Cell(c.text, c.value, c.low, c.high, c.k, c.n, missing[g])
        comparison, values = "", {}
        arm_groups = [g for g in order if g != OVERALL]
        if reference is not None and len(arm_groups) == 2:
            other = arm_groups[1]
            cmp = stats.compare_survival(*data[reference], *data[other])
            values = {"kind": "hazard_ratio", "compared": other, "reference": reference,
                      "estimate": cmp.hazard_ratio, "low": cmp.low, "high": cmp.high,
                      "cox_p": cmp.cox_p, "logrank_p": cmp.logrank_p, "note": cmp.note}
            hr = ("" if cmp.hazard_ratio is None else
                  f"HR {other} vs {reference} {_fmt_ratio(cmp.hazard_ratio)} (95 % CI "
                  f"{_fmt_ratio(cmp.low)}-{_fmt_ratio(cmp.high)}, Cox); ")
            comparison = f"{hr}log-rank {_fmt_p(cmp.logrank_p)}" + (f"; {cmp.note}" if cmp.note else "")
        event = {"pfs": "first progression (any site) or death",
                 "hepatic_pfs": hepatic_pfs_event_words(settings),
                 "os": "death from any cause"}[key]
        n_missing = sum(missing[g] for g in arm_groups) if arm_groups else missing[OVERALL]
        rows.append(Row(key, f"{label} (median, Kaplan-Meier)",
                        f"months from the time origin to {event}; alive without the event censored at the "
                        f"last date known alive",
                        f"{n_missing} without follow-up after the time origin" if n_missing else "none",
                        cells, comparison, values))
        survival.append(Survival(key, label, curves, tuple(risk_months),
                                 {g: stats.at_risk(data[g][0], risk_days) for g in order}))

    min_grade = CLAVIEN_DINDO.index(settings.complication_min_grade)
    for window, attr in (("30", "cd30"), ("90", "cd90")):
        def complicated(f: PatientFacts, a: str = attr) -> bool | None:
            grade = getattr(f, a)
            return None if not f.operated or grade is None else CLAVIEN_DINDO.index(grade) >= min_grade

        rows.append(_binary_row(
            f"complications_{window}d", f"Complications Clavien-Dindo >= {settings.complication_min_grade[:-1] if settings.complication_min_grade.endswith('a') else settings.complication_min_grade} within {window} days",
            f"operated patients whose worst grade within {window} days is {settings.complication_min_grade} or worse / "
            f"operated patients with the grade recorded",
            "patients not operated", groups, order, reference, complicated, "evaluable", compare=False))

    # Panel agreement (each review with several independent first-round ratings).
    cells = {}
    kappa_cells: dict[str, Cell] = {}
    second: dict[str, Cell] = {}
    for g in order:
        subjects = [r for f in groups[g] for r in f.ratings]
        table = np.array([[r.ratings.count(c) for c in RATINGS] for r in subjects]) if subjects else np.zeros((0, 3))
        k = stats.fleiss_kappa(table)
        n = k.subjects
        agree = sum(1 for r in subjects if len(set(r.ratings)) == 1)
        cells[g] = _pct(stats.proportion(agree, n)) if n else Cell("no review rated by several")
        kappa_cells[g] = (Cell("not computable") if k.kappa is None else
                          Cell(f"{k.kappa:.2f}" + ("" if k.low is None else f" (95 % CI {k.low:.2f}-{k.high:.2f})")
                               + f", {n} reviews", k.kappa, k.low, k.high, None, n))
        sr = sum(r.second_round for r in subjects)
        ch = sum(r.chair for r in subjects)
        second[g] = Cell(f"second round {sr}/{n}, chair {ch}/{n}" if n else "no review rated by several",
                         None, None, None, sr, n)
    rows.append(Row("agreement", "Panel agreement (all first-round ratings agree)",
                    "reviews with at least two independent first-round ratings whose ratings all agree / those reviews",
                    "reviews with fewer than two ratings", cells))
    rows.append(Row("fleiss_kappa", "Fleiss' kappa of the first-round ratings",
                    "the same reviews; ratings resectable / convertible / permanently unresectable; Gwet's "
                    "variance, t interval", "reviews with fewer than two ratings", kappa_cells))
    rows.append(Row("second_round_chair", "Second round or chair needed (protocol's aggregation)",
                    "reviews whose first round had no consensus (CAIRO5: two more surgeons) and reviews "
                    "settled by the chair / the same reviews", "reviews with fewer than two ratings", second))

    notes = list(extra_notes)
    if by_arm and no_arm:
        notes.append(f"{no_arm} patient(s) have no arm recorded: counted in the overall column only")
    first_review = sum(1 for f in facts if f.origin_source == "first_review")
    if first_review:
        notes.append(f"{first_review} patient(s) have no enrolment date: their time origin is the first review")
    recorded = [f.patient_id for f in facts if f.end is not None and not f.end.derived]
    if recorded:
        notes.append(f"{len(recorded)} patient(s) have an end recorded without follow-up events (older files): "
                     f"a recorded 'resected' counts as conversion and 'died'/'progressed' as events at "
                     f"their date; record the follow-up to count them fully")
    return Section(protocol_id, settings, tuple(order), reference, groups, tuple(rows), tuple(survival),
                   tuple(notes))


def build_report(facts: Sequence[PatientFacts], filters: Filters = Filters(),
                 notes: Sequence[str] = ()) -> OutcomesReport:
    """The report of the facts the filters keep, one section per protocol."""
    kept = [f for f in facts if filters.keeps(f)]
    by_protocol: dict[str, list[PatientFacts]] = {}
    for f in kept:
        by_protocol.setdefault(f.protocol_id or NO_PROTOCOL, []).append(f)
    sections = []
    for pid in sorted(by_protocol):
        settings, _agg, note = settings_for(None if pid == NO_PROTOCOL else pid)
        sections.append(build_section(pid, by_protocol[pid], settings, filters.by_arm,
                                      [note] if note and pid != NO_PROTOCOL else []))
    return OutcomesReport(filters, tuple(sections), tuple(notes))
