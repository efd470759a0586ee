"""The drawing model of the outcome figures: one geometry, two renderers.

Each figure is a list of primitives in points (y grows downwards, as on a screen) with the
patient each clickable mark belongs to.  ``ui.outcomes.painter`` draws it with QPainter and
``mdt.outcomes.pdf`` with reportlab, so the window and the report show the same figure.

* :func:`km_figure`: Kaplan-Meier curves per arm with censoring ticks, the median and the
  numbers at risk under the axis;
* :func:`waterfall_figure`: each patient's deepest change of the target sum, coloured by best
  overall response, with the -30 % (PR) and +20 % (PD) lines;
* :func:`swimmer_figure`: each patient's course from the time origin in months: cycles,
  reviews (coloured by the panel's decision), local treatment, progression, death or the last
  follow-up (arrow: still followed).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from mdt.outcomes.facts import PatientFacts
from mdt.outcomes.report import OVERALL, Survival
from mdt.outcomes.settings import DAYS_PER_MONTH

ARM_COLOURS = ("#1f5fa8", "#c0392b", "#2e7d32", "#8e44ad", "#d35400")
RESPONSE_COLOURS = {"CR": "#1b5e20", "PR": "#43a047", "SD": "#f9a825", "NON-CR/NON-PD": "#f9a825",
                    "PD": "#c62828", "NE": "#9e9e9e"}
DECISION_COLOURS = {"resectable": "#2e7d32", "convertible": "#f9a825",
                    "permanently_unresectable": "#c62828", "no decision": "#9e9e9e"}
INK, MUTED, GRID = "#1d1d1d", "#555555", "#d5dbe1"


@dataclass(frozen=True, slots=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str = INK
    width: float = 1.0
    dash: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Polyline:
    points: tuple[tuple[float, float], ...]
    colour: str = INK
    width: float = 1.0


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    y: float
    """Baseline."""
    text: str
    size: float = 7.0
    colour: str = INK
    anchor: str = "start"
    """start, middle or end."""
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Marker:
    x: float
    y: float
    shape: str
    """circle, triangle, diamond, cross, arrow, tick"""
    size: float
    colour: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A clickable area and the patient it opens."""
    x: float
    y: float
    w: float
    h: float
    patient_id: str


@dataclass
class Figure:
    width: float
    height: float
    title: str
    items: list[Line | Polyline | Rect | Text | Marker] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)

    def hit(self, x: float, y: float) -> str | None:
        """The patient under a point (the last drawn wins), or None."""
        for h in reversed(self.hits):
            if h.x <= x <= h.x + h.w and h.y <= y <= h.y + h.h:
                return h.patient_id
        return None


def _nice_step(span: float, ticks: int = 6) -> float:
    raw = max(span, 1e-9) / ticks
    for m in (1, 2, 3, 6, 12, 24, 60):
        if raw <= m:
            return float(m)
    return float(round(raw))


def km_figure(sv: Survival, groups: Sequence[str], width: float = 520.0) -> Figure:
    """Kaplan-Meier curves of one endpoint, one per arm (the overall curve without arms)."""
    arms = [g for g in groups if g != OVERALL] or [OVERALL]
    left, right, top = 46.0, 14.0, 22.0
    plot_h = 170.0
    risk_row = 11.0
    bottom_axis = top + plot_h
    height = bottom_axis + 30 + risk_row * (len(arms) + 1) + 6
    fig = Figure(width, height, sv.label)
    plot_w = width - left - right
    curves = {g: sv.curves.get(g) for g in arms}
    tmax = max([sv.risk_times[-1] if sv.risk_times else 1.0] +
               [max(c.times, default=0) / DAYS_PER_MONTH for c in curves.values() if c]) or 1.0
    fig.items.append(Text(left, 12, sv.label, 8.5, INK, bold=True))

    def x(months: float) -> float:
        return left + plot_w * months / tmax

    def y(p: float) -> float:
        return top + plot_h * (1 - p)

    for p in (0, 0.25, 0.5, 0.75, 1.0):
        fig.items.append(Line(left, y(p), left + plot_w, y(p), GRID, 0.5))
        fig.items.append(Text(left - 4, y(p) + 2.5, f"{int(p * 100)} %", 6.5, MUTED, "end"))
    fig.items.append(Line(left, top, left, bottom_axis, MUTED, 0.8))
    fig.items.append(Line(left, bottom_axis, left + plot_w, bottom_axis, MUTED, 0.8))
    for t in sv.risk_times:
        if t <= tmax:
            fig.items.append(Line(x(t), bottom_axis, x(t), bottom_axis + 3, MUTED, 0.6))
            fig.items.append(Text(x(t), bottom_axis + 12, f"{t:g}", 6.5, MUTED, "middle"))
    fig.items.append(Text(left + plot_w, bottom_axis + 22, "months from the time origin", 6.5, MUTED, "end"))
    fig.items.append(Line(left, y(0.5), left + plot_w, y(0.5), MUTED, 0.5, (2, 2)))
    legend_x = left + plot_w - 4
    for i, g in enumerate(arms):
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        c = curves[g]
        label = g if g != OVERALL else "all patients"
        med = "no patient" if c is None else ("median not reached" if c.median is None
                                              else f"median {c.median / DAYS_PER_MONTH:.1f} mo")
        fig.items.append(Text(legend_x, top + 10 + 10 * i, f"{label}: {med}", 6.8, colour, "end", bold=True))
        if c is None:
            continue
        pts: list[tuple[float, float]] = []
        prev = 1.0
        for t, p in zip(c.times, c.survival, strict=True):
            m = t / DAYS_PER_MONTH
            pts.append((x(m), y(prev)))
            pts.append((x(m), y(p)))
            prev = p
        last_t = max([c.times[-1]] + list(c.censored)) / DAYS_PER_MONTH if c.times else 0
        pts.append((x(last_t), y(prev)))
        fig.items.append(Polyline(tuple(pts), colour, 1.6))
        # One tick per distinct censoring time, at the survival of the last step at or before it.
        for cens in sorted(set(c.censored)):
            k = bisect_right(c.times, cens) - 1
            p = c.survival[k] if k >= 0 else 1.0
            fig.items.append(Marker(x(cens / DAYS_PER_MONTH), y(p), "tick", 4.0, colour))
        if c.median is not None:
            fig.items.append(Line(x(c.median / DAYS_PER_MONTH), y(0.5), x(c.median / DAYS_PER_MONTH),
                                  bottom_axis, colour, 0.6, (2, 2)))
    ry = bottom_axis + 36
    fig.items.append(Text(4, ry, "At risk", 6.8, INK, bold=True))
    for i, g in enumerate(arms):
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        row_y = ry + risk_row * (i + 1)
        fig.items.append(Text(4, row_y, g if g != OVERALL else "all", 6.8, colour, bold=True))
        for t, n in zip(sv.risk_times, sv.at_risk.get(g, []), strict=False):
            if t <= tmax:
                fig.items.append(Text(x(t), row_y, str(n), 6.8, colour, "middle"))
    return fig


def waterfall_figure(facts: Sequence[PatientFacts], width: float = 520.0) -> Figure:
    """One bar per patient with a measured change, deepest shrinkage on the right."""
    bars = sorted((f for f in facts if f.best_change_pct is not None),
                  key=lambda f: (-(f.best_change_pct or 0), f.patient_id))
    left, right, top, plot_h = 46.0, 14.0, 22.0, 170.0
    height = top + plot_h + 40
    fig = Figure(width, height, "Waterfall of the best change of the target sum")
    fig.items.append(Text(left, 12, fig.title + f" ({len(bars)} patients with a follow-up measure)", 8.5,
                          INK, bold=True))
    lo = min([-100.0] + [f.best_change_pct or 0 for f in bars])
    hi = max([40.0] + [f.best_change_pct or 0 for f in bars])
    plot_w = width - left - right

    def y(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    for v in range(int(lo // 20 * 20), int(hi) + 1, 20):
        fig.items.append(Line(left, y(v), left + plot_w, y(v), GRID, 0.5))
        fig.items.append(Text(left - 4, y(v) + 2.5, f"{v:+d} %" if v else "0", 6.5, MUTED, "end"))
    fig.items.append(Line(left, y(0), left + plot_w, y(0), MUTED, 0.8))
    fig.items.append(Line(left, y(-30), left + plot_w, y(-30), RESPONSE_COLOURS["PR"], 0.7, (3, 2)))
    fig.items.append(Line(left, y(20), left + plot_w, y(20), RESPONSE_COLOURS["PD"], 0.7, (3, 2)))
    fig.items.append(Text(left + plot_w, y(-30) - 2, "-30 % (partial response)", 6.2, RESPONSE_COLOURS["PR"], "end"))
    fig.items.append(Text(left + plot_w, y(20) - 2, "+20 % (progression)", 6.2, RESPONSE_COLOURS["PD"], "end"))
    n = max(len(bars), 1)
    slot = plot_w / n
    gap = min(2.0, slot * 0.2)
    for i, f in enumerate(bars):
        change = f.best_change_pct or 0.0
        x0 = left + i * slot + gap / 2
        y0, y1 = sorted((y(0), y(change)))
        colour = RESPONSE_COLOURS.get(f.best_response, RESPONSE_COLOURS["NE"])
        fig.items.append(Rect(x0, y0, max(slot - gap, 0.5), max(y1 - y0, 0.8), colour, None))
        fig.hits.append(Hit(x0, top, max(slot - gap, 0.5), plot_h, f.patient_id))
    lx = left
    for code in ("CR", "PR", "SD", "PD", "NE"):
        fig.items.append(Rect(lx, height - 14, 7, 7, RESPONSE_COLOURS[code], None))
        fig.items.append(Text(lx + 10, height - 8, f"best response {code}", 6.5, MUTED))
        lx += 92
    return fig


def swimmer_figure(facts: Sequence[PatientFacts], width: float = 520.0, lane: float = 12.0) -> Figure:
    """One lane per patient (longest follow-up first) from the time origin, in months."""
    rows = sorted((f for f in facts if f.origin is not None and f.follow_up_days is not None),
                  key=lambda f: (-(f.follow_up_days or 0), f.patient_id))
    left, right, top = 92.0, 14.0, 22.0
    plot_h = lane * max(len(rows), 1)
    height = top + plot_h + 46
    fig = Figure(width, height, "Swimmer plot: each patient's course")
    fig.items.append(Text(4, 12, fig.title + f" ({len(rows)} patients)", 8.5, INK, bold=True))
    tmax = max([(f.follow_up_days or 0) / DAYS_PER_MONTH for f in rows] + [1.0])
    step = _nice_step(tmax)
    plot_w = width - left - right

    t = 0.0
    while t <= tmax + 1e-9:
        xx = left + plot_w * t / tmax
        fig.items.append(Line(xx, top, xx, top + plot_h, GRID, 0.5))
        fig.items.append(Text(xx, top + plot_h + 11, f"{t:g}", 6.5, MUTED, "middle"))
        t += step
    fig.items.append(Text(left + plot_w, top + plot_h + 21, "months from the time origin", 6.5, MUTED, "end"))
    arms = sorted({f.arm for f in rows if f.arm})
    arm_colour: dict[str | None, str] = {a: ARM_COLOURS[i % len(ARM_COLOURS)] for i, a in enumerate(arms)}
    tints = {c: _tint(c) for c in [*arm_colour.values(), MUTED]}
    per_day = plot_w / (tmax * DAYS_PER_MONTH)
    add, hits = fig.items.append, fig.hits.append  # 5,000 lanes: keep the loop lean
    half, unknown = lane * 0.22, DECISION_COLOURS["no decision"]
    for i, f in enumerate(rows):
        cy = top + lane * i + lane / 2
        colour = arm_colour.get(f.arm, MUTED)
        add(Text(left - 4, cy + 2.5, f"{f.patient_id} {f.arm or ''}".strip(), 6.2, INK, "end"))
        add(Rect(left, cy - half, max((f.follow_up_days or 0) * per_day, 1.0), 2 * half, tints[colour], None))
        for m in f.marks:
            mx = left + m.day * per_day
            kind = m.kind
            if kind == "cycle":
                add(Line(mx, cy - half, mx, cy + half, colour, 0.5))
            elif kind == "review":
                add(Marker(mx, cy, "circle", lane * 0.32, DECISION_COLOURS.get(m.label, unknown)))
            elif kind == "local_treatment":
                add(Marker(mx, cy, "triangle", lane * 0.45, INK))
            elif kind == "progression":
                add(Marker(mx, cy, "diamond", lane * 0.4, RESPONSE_COLOURS["PD"]))
            elif kind == "death":
                add(Marker(mx, cy, "cross", lane * 0.4, INK))
            elif kind == "last_follow_up":
                add(Marker(mx, cy, "arrow" if m.label == "alive" else "tick", lane * 0.4, MUTED))
        hits(Hit(0, cy - lane / 2, width, lane, f.patient_id))
    ly = top + plot_h + 36
    legend = (("circle", DECISION_COLOURS["convertible"], "review (decision colour)"),
              ("triangle", INK, "local treatment"), ("diamond", RESPONSE_COLOURS["PD"], "progression"),
              ("cross", INK, "death"), ("arrow", MUTED, "still followed"))
    lx = 4.0
    for shape, colour, text in legend:
        fig.items.append(Marker(lx + 4, ly - 2, shape, 4.0, colour))
        fig.items.append(Text(lx + 11, ly, text, 6.5, MUTED))
        lx += 104
    return fig


def _tint(hex_colour: str) -> str:
    """A light version of a colour (no transparency: PDF/A)."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    mix = [int(c + (255 - c) * 0.7) for c in (r, g, b)]
    return "#{:02x}{:02x}{:02x}".format(*mix)
