"""The patient course report: every review over the cycles, the target-sum chart,
the decisions and the outcome.  A pure function of the case and its evaluations."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import IO

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, String
from reportlab.lib import colors
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from mdt import glossary
from mdt.atomic import atomic_write
from mdt.case import Case, Review, Vote
from mdt.evaluation import Evaluation, RecistSummary
from mdt.minutes.blocks import data_table, kv_grid, p
from mdt.minutes.document import ACCENT, CONTENT_W, MUTED, RULE, Furniture, MdtDocument, Metadata, styles
from mdt.minutes.fonts import SANS, SANS_BOLD
from mdt.minutes.liver_drawing import LiverFlowable
from mdt.minutes.pdfa import to_pdfa
from mdt.minutes.sections import Styles, rating_label
from mdt.minutes.text import (
    NOT_RECORDED,
    OUTCOME_LABELS,
    PLAN_LABELS,
    SEX_LABELS,
    UNKNOWN,
    day,
    label,
    num,
    pct,
    person_name,
    stamp,
)
from mdt.panel import Aggregate
from mdt.protocols.governing import CRITERIA, RECIST, lookup

CHART_LINE = colors.HexColor("#1f4e79")
PR_LINE = colors.HexColor("#2e7d32")


@dataclass(frozen=True, slots=True)
class CoursePoint:
    when: date
    sld_mm: float | None
    response: str | None


def _recist(i: int, evaluations: Sequence[Evaluation | None],
            recists: Sequence[RecistSummary | None] | None) -> RecistSummary | None:
    if recists is not None and i < len(recists) and recists[i] is not None:
        return recists[i]
    ev = evaluations[i] if i < len(evaluations) else None
    return ev.recist if ev else None


def _nice_step(span: float) -> float:
    raw = span / 5 if span > 0 else 10
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def target_sum_chart(points: Sequence[CoursePoint], width: float = CONTENT_W, height: float = 170.0) -> Drawing:
    """Sum of target diameters per review, with the baseline and the partial-response line."""
    d = Drawing(width, height)
    d.initialFontName = SANS  # the renderer's start-up font would otherwise be Helvetica (unembedded)
    left, right, bottom, top = 38.0, 110.0, 34.0, 14.0  # reference-line labels sit in the right margin
    plot_w, plot_h = width - left - right, height - bottom - top
    measured = [pt for pt in points if pt.sld_mm is not None]
    if not points:
        d.add(String(left, height / 2, "No review recorded.", fontName=SANS, fontSize=8))
        return d
    start = points[0].when
    span_days = max((points[-1].when - start).days, 1)
    ymax = max([pt.sld_mm or 0.0 for pt in points] + [1.0]) * 1.15
    step = _nice_step(ymax)
    ymax = math.ceil(ymax / step) * step

    pad = 0.06 * plot_w  # keep end points off the axis

    def xy(pt_when: date, value: float) -> tuple[float, float]:
        frac = (pt_when - start).days / span_days if len(points) > 1 else 0.5
        return left + pad + (plot_w - 2 * pad) * frac, bottom + plot_h * value / ymax

    d.add(Line(left, bottom, left + plot_w, bottom, strokeColor=MUTED, strokeWidth=0.6))
    d.add(Line(left, bottom, left, bottom + plot_h, strokeColor=MUTED, strokeWidth=0.6))
    value = 0.0
    while value <= ymax + 1e-9:
        y = bottom + plot_h * value / ymax
        d.add(Line(left, y, left + plot_w, y, strokeColor=RULE, strokeWidth=0.25))
        d.add(String(left - 4, y - 2.5, f"{value:g}", fontName=SANS, fontSize=8, textAnchor="end"))
        value += step
    d.add(String(8, bottom + plot_h / 2, "mm", fontName=SANS, fontSize=8, textAnchor="middle"))
    last_x = -1e9
    for pt in points:
        x, _ = xy(pt.when, 0)
        d.add(Line(x, bottom, x, bottom - 3, strokeColor=MUTED, strokeWidth=0.5))
        if x - last_x > 52:  # keep date labels from overlapping
            d.add(String(x, bottom - 11, pt.when.isoformat(), fontName=SANS, fontSize=8, textAnchor="middle"))
            last_x = x
    baseline = points[0].sld_mm
    if baseline is not None:
        for factor, ink, text in ((1.0, MUTED, "baseline"), (0.7, PR_LINE, "partial response (−30 %)")):
            y = bottom + plot_h * baseline * factor / ymax
            d.add(Line(left, y, left + plot_w, y, strokeColor=ink, strokeWidth=0.7, strokeDashArray=[3, 2]))
            d.add(String(left + plot_w + 4, y - 2, text, fontName=SANS, fontSize=8, fillColor=ink))
    coords = [xy(pt.when, pt.sld_mm) for pt in measured]  # type: ignore[arg-type]
    if len(coords) > 1:
        d.add(PolyLine([c for xy_ in coords for c in xy_], strokeColor=CHART_LINE, strokeWidth=1.4))
    for pt, (x, y) in zip(measured, coords, strict=True):
        d.add(Circle(x, y, 2.6, fillColor=CHART_LINE, strokeColor=colors.white, strokeWidth=0.5))
        d.add(String(x, y + 5, f"{pt.sld_mm:g}", fontName=SANS_BOLD, fontSize=8, textAnchor="middle"))
        if pt.response:
            # The first review is the reference, not a response ("NE" there reads as a finding).
            shown = "baseline" if pt is points[0] and pt.response == "NE" else pt.response
            d.add(String(x, y - 10, shown, fontName=SANS, fontSize=8, fillColor=ACCENT,
                         textAnchor="middle"))
    for pt in points:
        if pt.sld_mm is None:
            x, _ = xy(pt.when, 0)
            d.add(String(x, bottom + 4, "not measured", fontName=SANS, fontSize=8, fillColor=MUTED,
                         textAnchor="middle"))
    d.add(String(left, 2, "Sum of target lesion diameters (RECIST 1.1) per review", fontName=SANS,
                 fontSize=8, fillColor=MUTED))
    return d


def grouped_votes(votes: Sequence[Vote]) -> str:
    """"Convertible (potentially resectable): A, B, C; Resectable: D": one line per rating, in the
    order the ratings were first given, so a five-member panel fits a table cell."""
    groups: dict[tuple[int, str], list[str]] = {}
    for v in votes:
        if v.withdrawn:
            continue  # not counted; the meeting's minutes print it with its reason
        groups.setdefault((v.round, v.rating), []).append(v.member + (" (changed)" if v.changes else ""))
    rounds = {r for r, _rating in groups}
    parts = []
    for (rnd, rating), members in groups.items():
        head = rating_label(rating) + (f" (round {rnd})" if len(rounds) > 1 else "")
        parts.append(f"{head}: {', '.join(members)}")
    return "; ".join(parts)


def _present(review: Review) -> int:
    return sum(1 for les in review.lesions if les.status == "present")


def build_course_story(case: Case, evaluations: Sequence[Evaluation | None], *,
                       aggregates: Sequence[Aggregate | None] | None = None,
                       recists: Sequence[RecistSummary | None] | None = None,
                       signed: Sequence[bool] | None = None) -> list[Flowable]:
    st: Styles = styles()
    pat, treatment = case.patient, case.treatment
    story: list[Flowable] = [p("Patient course report", st["title"])]
    outcome = label(treatment.outcome if treatment else None, OUTCOME_LABELS)
    if treatment is not None and treatment.outcome_date is not None:
        outcome += f" ({day(treatment.outcome_date)})"
    pairs: list[tuple[str, str]] = [
        ("Name", person_name(pat.name)), ("Hospital ID", pat.id),
        ("Date of birth", day(pat.birth_date)), ("Sex", label(pat.sex, SEX_LABELS)),
        ("Protocol", case.protocol.id or NOT_RECORDED), ("Arm", case.protocol.arm or NOT_RECORDED),
        ("Regimen", treatment.regimen if treatment and treatment.regimen else NOT_RECORDED),
        ("Treatment start", day(treatment.start_date if treatment else None)),
        ("Cycles given", str(len(treatment.cycles)) if treatment else NOT_RECORDED),
        ("Outcome", outcome),
    ]
    story.append(kv_grid(pairs, CONTENT_W, st, columns=2, label_share=0.3))
    missing = lookup(case).note_for(CRITERIA, RECIST)
    if missing:  # the fallbacks of a protocol that cannot be loaded, said once for the course
        story.append(p(missing, st["alert"]))

    points = []
    for i, review in enumerate(case.reviews):
        r = _recist(i, evaluations, recists)
        points.append(CoursePoint(review.date, r.sld_mm if r else None, r.response if r else None))
    story += [p("Target-sum chart", st["h2"]), target_sum_chart(points)]

    w = CONTENT_W
    rows = []
    for i, review in enumerate(case.reviews):
        r = _recist(i, evaluations, recists)
        ev = evaluations[i] if i < len(evaluations) else None
        decision = review.panel.decision
        status = "" if signed is None else ("signed" if i < len(signed) and signed[i] else "draft")
        rows.append([
            day(review.date), num(review.cycle, 0, missing="–"),
            f"{review.imaging.modality or UNKNOWN}\n{day(review.imaging.date, '')}".strip()
            if review.imaging else NOT_RECORDED,
            str(_present(review)), num(r.sld_mm if r else None, 1, missing=UNKNOWN),
            pct(r.change_from_baseline_pct if r else None, signed=True, missing="–"),
            pct(r.change_from_nadir_pct if r else None, signed=True, missing="–"),
            r.response if r else UNKNOWN,
            rating_label(ev.resectability, UNKNOWN) if ev else UNKNOWN,
            (rating_label(decision.resectability) if decision else "no decision")
            + (f" ({status})" if status else ""),
        ])
    story += [p(f"Reviews ({len(case.reviews)})", st["h2"]),
              data_table(["Date", "Cycle", "Imaging", "Lesions", "Sum (mm)", "Δ baseline",
                          "Δ nadir", "RECIST", glossary.PROTOCOL_VERDICT, glossary.PANEL_DECISION], rows,
                         [0.105 * w, 0.05 * w, 0.105 * w, 0.075 * w, 0.075 * w, 0.09 * w, 0.08 * w, 0.075 * w,
                          0.14 * w, 0.205 * w], st, empty="No review recorded.", compact=True)]

    story += [CondPageBreak(120), p("Decisions", st["h2"])]
    drows = []
    for i, review in enumerate(case.reviews):
        decision = review.panel.decision
        agg = aggregates[i] if aggregates is not None and i < len(aggregates) else None
        votes = grouped_votes(review.panel.votes) or "no rating"
        if agg is not None:
            votes += f" ({agg.agreement})"
        if decision is None:
            drows.append([day(review.date), "no decision recorded", "–", "–", votes])
            continue
        drows.append([
            day(review.date),
            rating_label(decision.resectability) + (f" (by {decision.rule})" if decision.rule else ""),
            label(decision.plan, PLAN_LABELS),
            (decision.rationale or "Rationale not recorded.")
            + (f" Dissent: {decision.dissent}" if decision.dissent else "")
            + f" Next review {day(decision.next_review)}; responsible {decision.responsible or NOT_RECORDED}.",
            votes,
        ])
    story.append(data_table(["Date", "Resectability", "Plan", "Rationale, dissent, next step", "Ratings"],
                            drows, [0.11 * w, 0.17 * w, 0.15 * w, 0.32 * w, 0.25 * w], st,
                            empty="No review recorded."))

    story += [p("Outcome", st["h2"]), p(outcome, st["cellb"])]
    if treatment is None or treatment.outcome is None:
        story.append(p("No outcome recorded yet (conversion, resection or other).", st["note"]))

    if treatment is not None and treatment.cycles:
        crows = [[str(c.number), day(c.date), num(c.dose_reduction_pct, 0, "%", "none"),
                  num(c.toxicity_grade, 0, missing=NOT_RECORDED), c.note or ""] for c in treatment.cycles]
        story += [CondPageBreak(80), p("Treatment cycles", st["h2"]),
                  data_table(["Cycle", "Date", "Dose reduction", "Worst CTCAE grade", "Note"], crows,
                             [0.1 * w, 0.15 * w, 0.15 * w, 0.17 * w, 0.43 * w], st)]

    if case.reviews:
        latest = case.reviews[-1]
        story.append(KeepTogether([Spacer(1, 6), p(f"Liver at the latest review ({day(latest.date)})", st["h2"]),
                                   LiverFlowable(latest, CONTENT_W * 0.62)]))
    return story


def render_course_report(case: Case, evaluations: Sequence[Evaluation | None], out: str | Path | IO[bytes], *,
                         printed_at: datetime, aggregates: Sequence[Aggregate | None] | None = None,
                         recists: Sequence[RecistSummary | None] | None = None,
                         signed: Sequence[bool] | None = None, institution: str | None = None,
                         pdfa: bool = False) -> None:
    """Writes the course report of one patient.  ``evaluations`` (and the optional
    ``aggregates``, ``recists``, ``signed`` flags) align with ``case.reviews``."""
    title = person_name(case.patient.name)
    furniture = Furniture(
        header_left=institution or "Liver MDT", header_right="Patient course report",
        footer_left=f"Printed {stamp(printed_at)}; reviews as recorded at that time",
        status=glossary.plural(len(case.reviews), "review"), draft=False,
        default_section=f"{title} (ID {case.patient.id})",
    )
    meta = Metadata(
        title=f"Course report: {title} ({case.patient.id})", author=institution or "Liver MDT",
        subject=f"Liver tumour board course report, {glossary.plural(len(case.reviews), 'review')}",
        keywords=f"MDT course report, colorectal liver metastases, {case.patient.id}",
        created=printed_at, identity=f"liver-mdt course|{case.patient.id}|{printed_at.isoformat()}",
    )
    story = build_course_story(case, evaluations, aggregates=aggregates, recists=recists, signed=signed)
    buffer = BytesIO()
    MdtDocument(buffer, furniture, meta).render(story)
    data = to_pdfa(buffer.getvalue(), meta) if pdfa else buffer.getvalue()
    if isinstance(out, (str, Path)):
        atomic_write(out, data)  # all of the PDF or nothing: never a 0-byte file
    else:
        out.write(data)
