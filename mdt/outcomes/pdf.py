"""The outcomes report PDF: the endpoint table per protocol and arm, what each figure counts
and leaves out, the Kaplan-Meier curves with numbers at risk, the waterfall and the swimmer
plot, drawn from the same geometry as the window (``mdt.outcomes.figures``), in the minutes'
embedded fonts and page furniture."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO

from reportlab.graphics.shapes import Circle as RLCircle
from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, PolyLine, Rect, Shape, String
from reportlab.lib import colors
from reportlab.platypus import CondPageBreak, Flowable, PageBreak, Spacer

from mdt.minutes.blocks import data_table, p
from mdt.minutes.document import CONTENT_W, Furniture, MdtDocument, Metadata, styles
from mdt.minutes.fonts import SANS, SANS_BOLD
from mdt.minutes.pdfa import to_pdfa
from mdt.outcomes import figures as fg
from mdt.outcomes.facts import PatientFacts
from mdt.outcomes.report import OVERALL, OutcomesReport

SWIMMER_LANES_PER_PAGE = 55


def _c(hex_colour: str | None) -> colors.Color | None:
    return None if hex_colour is None else colors.HexColor(hex_colour)


def figure_drawing(fig: fg.Figure) -> Drawing:
    """The figure for reportlab: the same primitives, y flipped (PDF y grows upwards)."""
    d = Drawing(fig.width, fig.height)
    d.initialFontName = SANS  # never the unembedded Helvetica
    h = fig.height
    g = Group()
    for it in fig.items:
        if isinstance(it, fg.Line):
            g.add(Line(it.x1, h - it.y1, it.x2, h - it.y2, strokeColor=_c(it.colour), strokeWidth=it.width,
                       strokeDashArray=list(it.dash) or None))
        elif isinstance(it, fg.Polyline):
            g.add(PolyLine([c for x, y in it.points for c in (x, h - y)], strokeColor=_c(it.colour),
                           strokeWidth=it.width))
        elif isinstance(it, fg.Rect):
            g.add(Rect(it.x, h - it.y - it.h, it.w, it.h, fillColor=_c(it.fill), strokeColor=_c(it.stroke),
                       strokeWidth=0.5 if it.stroke else 0))
        elif isinstance(it, fg.Text):
            g.add(String(it.x, h - it.y, it.text, fontName=SANS_BOLD if it.bold else SANS, fontSize=it.size,
                         fillColor=_c(it.colour), textAnchor=it.anchor))
        elif isinstance(it, fg.Marker):
            g.add(_marker(it, h))
    d.add(g)
    return d


def _marker(m: fg.Marker, h: float) -> Shape:
    x, y, s, c = m.x, h - m.y, m.size, _c(m.colour)
    if m.shape == "circle":
        return RLCircle(x, y, s, fillColor=c, strokeColor=colors.white, strokeWidth=0.4)
    if m.shape == "triangle":
        return Polygon([x - s, y - s, x + s, y - s, x, y + s], fillColor=c, strokeColor=None)
    if m.shape == "diamond":
        return Polygon([x, y + s, x + s, y, x, y - s, x - s, y], fillColor=c, strokeColor=None)
    if m.shape == "arrow":
        return Polygon([x - s, y + s, x + s, y, x - s, y - s], fillColor=c, strokeColor=None)
    grp = Group()
    if m.shape == "cross":
        grp.add(Line(x - s, y - s, x + s, y + s, strokeColor=c, strokeWidth=1.2))
        grp.add(Line(x - s, y + s, x + s, y - s, strokeColor=c, strokeWidth=1.2))
    else:  # tick
        grp.add(Line(x, y - s, x, y + s, strokeColor=c, strokeWidth=1.0))
    return grp


def build_story(report: OutcomesReport, facts: Sequence[PatientFacts]) -> list[Flowable]:
    st = styles()
    story: list[Flowable] = [p("Outcomes report", st["title"])]
    f = report.filters
    scope = [f"protocol {f.protocol}" if f.protocol else "every protocol",
             f"arm {f.arm}" if f.arm else "every arm",
             f"enrolled {f.enrolled_from or '…'} to {f.enrolled_to or '…'}"
             if f.enrolled_from or f.enrolled_to else "any enrolment date"]
    story.append(p("Scope: " + "; ".join(scope) + ". Intention-to-treat unless the protocol says otherwise; "
                   "each row says what it counts and what it leaves out.", st["note"]))
    if not report.sections:
        story.append(p("No patient matches the filters.", st["body"]))
    w = CONTENT_W
    for n, s in enumerate(report.sections):
        if n:
            story.append(PageBreak())
        story.append(p(f"{s.protocol_id}: " + ", ".join(f"{g} {len(s.patients[g])}" for g in s.groups)
                       + " patients", st["h1"]))
        story.append(p(f"Settings: conversion counts {', '.join(s.settings.conversion_counts)}; "
                       f"confirmation {s.settings.confirmation_days or 'not required'}; population "
                       f"{s.settings.population}; reference arm {s.reference or '-'}. Source: {s.settings.source}",
                       st["note"]))
        cols = list(s.groups)
        header = ["Endpoint", *[g if g != OVERALL else "Overall" for g in cols], "Between arms"]
        first_w = 0.22 * w
        cmp_w = 0.2 * w
        col_w = (w - first_w - cmp_w) / len(cols)
        rows = [[r.label, *[r.cells[g].text for g in cols], r.comparison or "–"] for r in s.rows]
        story.append(data_table(header, rows, [first_w, *[col_w] * len(cols), cmp_w], st, compact=True))
        story += [Spacer(1, 4), p("What each row counts and leaves out", st["h2"])]
        story.append(data_table(["Endpoint", "Counts", "Leaves out"],
                                [[r.label, r.counts, r.leaves_out] for r in s.rows],
                                [0.22 * w, 0.5 * w, 0.28 * w], st, compact=True))
        for note in s.notes:
            story.append(p("Note: " + note, st["note"]))
        for sv in s.survival:
            story += [CondPageBreak(300), Spacer(1, 6), figure_drawing(fg.km_figure(sv, s.groups, w))]
        story += [CondPageBreak(260), Spacer(1, 6), figure_drawing(fg.waterfall_figure(s.patients[OVERALL], w))]
        patients = s.patients[OVERALL]
        lanes = sorted((f for f in patients if f.origin is not None and f.follow_up_days is not None),
                       key=lambda f: (-(f.follow_up_days or 0), f.patient_id))
        for start in range(0, max(len(lanes), 1), SWIMMER_LANES_PER_PAGE):
            story += [PageBreak(), figure_drawing(fg.swimmer_figure(lanes[start:start + SWIMMER_LANES_PER_PAGE], w))]
    for note in report.notes:
        story.append(p("Note: " + note, st["note"]))
    return story


def render_outcomes_report(report: OutcomesReport, facts: Sequence[PatientFacts],
                           out: str | Path | IO[bytes], *, printed_at: datetime | None = None,
                           institution: str | None = None, pdfa: bool = False) -> None:
    printed_at = printed_at or datetime.now(UTC)
    furniture = Furniture(header_left=institution or "Liver MDT", header_right="Outcomes report",
                          footer_left=f"Printed {printed_at.strftime('%Y-%m-%d %H:%M')} UTC from the record as it was then",
                          status=f"{sum(len(s.patients[OVERALL]) for s in report.sections)} patient(s)", draft=False,
                          default_section="Outcomes per protocol and arm")
    meta = Metadata(title="Outcomes report", author=institution or "Liver MDT",
                    subject="Conversion, response, survival, complications and panel agreement",
                    keywords="MDT outcomes, colorectal liver metastases", created=printed_at,
                    identity=f"liver-mdt outcomes|{printed_at.isoformat()}")
    story = build_story(report, facts)
    buffer = BytesIO()
    MdtDocument(buffer, furniture, meta).render(story)
    data = to_pdfa(buffer.getvalue(), meta) if pdfa else buffer.getvalue()
    if isinstance(out, (str, Path)):  # all of the PDF or nothing: never a 0-byte file
        from mdt.atomic import atomic_write

        atomic_write(out, data)
    else:
        out.write(data)
