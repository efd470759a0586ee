"""The liver diagram in the PDFs, as vector graphics.

:class:`LiverFlowable` is what documents use (the static anatomy is one form
XObject per PDF); :func:`liver_drawing` gives the same picture as a standalone
reportlab ``Drawing`` (e.g. to render it on its own).

Colours, hatching and the legend are the window's (``mdt.diagram.PALETTE`` and
``mdt.diagram.LEGEND``): the plan colours the fill (remnant green, resected grey
and hatched, so it stays distinguishable on a black-and-white printout; no plan
tan), each lesion is a marker (tumour red, ablated or to be ablated violet, gone
an empty dashed ring) labelled with its id, diameter and (T) when it is a target.
Vessels a lesion touches are outlined in red.  No transparency is used
(PDF/A-friendly).
"""

from __future__ import annotations

import math
from functools import lru_cache

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import (
    FILL_EVEN_ODD,
    Circle,
    Drawing,
    Group,
    Line,
    Path,
    Polygon,
    PolyLine,
    Rect,
    String,
)
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from mdt.case import Review
from mdt.diagram import (
    PALETTE,
    REMNANT,
    RESECTED,
    LegendEntry,
    LiverGeometry,
    Point,
    hatch_lines,
    lesion_positions,
    load_geometry,
    marker_kind,
    segment_roles,
)
from mdt.diagram import legend as legend_entries
from mdt.minutes.fonts import SANS, SANS_BOLD, register_fonts


def _ink(key: str) -> colors.Color:
    return colors.HexColor(PALETTE[key])


FILL_NONE = _ink("no_plan")
FILL_REMNANT = _ink("remnant")
FILL_RESECTED = _ink("resected")
HATCH_INK = _ink("hatch")
TUMOUR_INK = _ink("tumour")
ABLATION_INK = _ink("ablation")
OUTLINE_INK = _ink("border")
BORDER_INK = colors.HexColor("#8c6a50")
HEPATIC_INK = _ink("hepatic_vein")
PORTAL_INK = _ink("portal_vein")
GB_FILL = colors.HexColor("#a9c46a")
INVOLVED_INK = _ink("involved")
MIN_LABEL_PT = 8.0
"""Segment numerals and lesion labels are never set smaller, however small the drawing."""

def _flat(points: list[Point] | tuple[Point, ...], s: float, h: float) -> list[float]:
    out: list[float] = []
    for x, y in points:
        out.extend((x * s, h - y * s))
    return out


def _offset(points: tuple[Point, ...], dist: float) -> list[Point]:
    """The polyline shifted sideways by ``dist`` (per-vertex averaged normals)."""
    out: list[Point] = []
    n = len(points)
    for i, (x, y) in enumerate(points):
        ax, ay = points[max(i - 1, 0)]
        bx, by = points[min(i + 1, n - 1)]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy) or 1.0
        out.append((x - dy / length * dist, y + dx / length * dist))
    return out


REF_SCALE = 0.33
"""Points per box unit the static layer's line widths are tuned for (the minutes' size)."""
FORM_NAME = "mdtLiverStatic"
_MOVE_TO = 0  # reportlab.graphics.shapes.Path operator code


def _pt(value: float) -> float:
    """A width in points at the reference size, in box units."""
    return value / REF_SCALE


@lru_cache(maxsize=2)
def _static_layer(geo: LiverGeometry) -> Group:
    """What never changes between reviews, in box units (y up): landmarks, segment
    borders, outline and vessels.  Drawn once per PDF as a form XObject."""
    h = geo.height
    g = Group()
    for lm in geo.landmarks:
        if lm.kind == "polygon":
            g.add(Polygon(_flat(lm.points, 1.0, h), fillColor=GB_FILL, strokeColor=OUTLINE_INK,
                          strokeWidth=_pt(0.5)))
        else:
            g.add(PolyLine(_flat(lm.points, 1.0, h), strokeColor=OUTLINE_INK, strokeWidth=_pt(0.7)))
    for seg in geo.segments:
        g.add(Polygon(_flat(seg.points, 1.0, h), fillColor=None, strokeColor=BORDER_INK,
                      strokeWidth=_pt(0.6), strokeDashArray=[_pt(2), _pt(1.5)]))
    g.add(Polygon(_flat(geo.outline, 1.0, h), fillColor=None, strokeColor=OUTLINE_INK, strokeWidth=_pt(1.4)))
    for v in geo.vessels:
        pts = _flat(v.points, 1.0, h)
        ink = HEPATIC_INK if v.kind in ("hepatic_vein", "ivc") else PORTAL_INK
        if v.behind and v.width < 10:
            g.add(PolyLine(pts, strokeColor=ink, strokeWidth=max(_pt(0.5), v.width * 0.5),
                           strokeDashArray=[_pt(2.5), _pt(1.8)]))
        elif v.behind:
            # A course behind the parenchyma: the vessel's walls, dashed, so the
            # segment colours under it stay visible.
            for side in (-0.5, 0.5):
                wall = _offset(v.points, side * v.width)
                g.add(PolyLine(_flat(wall, 1.0, h), strokeColor=ink, strokeWidth=_pt(0.7),
                               strokeDashArray=[_pt(2.5), _pt(1.8)]))
        else:
            cap = 0 if v.kind == "ivc" else 1
            g.add(PolyLine(pts, strokeColor=ink, strokeWidth=v.width, strokeLineCap=cap, strokeLineJoin=1))
    return g


@lru_cache(maxsize=64)
def _hatch(geo: LiverGeometry, unit: str, angle: float) -> tuple[tuple[Point, Point], ...]:
    return tuple(hatch_lines(geo.segment(unit).points, 20.0, angle))


def _fill_of(r: frozenset[str]) -> colors.Color:
    return FILL_REMNANT if REMNANT in r else FILL_RESECTED if RESECTED in r else FILL_NONE


def _under_layer(review: Review, geo: LiverGeometry, s: float) -> Group:
    """Segment fills and hatching, and the red halo of vessels in contact (points)."""
    h = geo.height * s
    g = Group()
    roles = segment_roles(review)
    hatch_w = max(0.35, 1.0 * s)
    for seg in geo.segments:
        r = roles[seg.unit]
        g.add(Polygon(_flat(seg.points, s, h), fillColor=_fill_of(r), strokeColor=None))
        if RESECTED in r:
            # One path per segment: a node per hatch line makes big meetings slow to draw.
            hatch = Path(strokeColor=HATCH_INK, strokeWidth=hatch_w, fillColor=None)
            for a, b in _hatch(geo, seg.unit, 45.0):
                hatch.moveTo(a[0] * s, h - a[1] * s)
                hatch.lineTo(b[0] * s, h - b[1] * s)
            g.add(hatch)
    involved = {v.structure for v in review.vessels or ()}
    for v in geo.vessels:
        if v.name in involved:
            g.add(PolyLine(_flat(v.points, s, h), strokeColor=INVOLVED_INK, strokeWidth=v.width * s + 2.6,
                           strokeLineCap=1, strokeLineJoin=1))
    return g


def _over_layer(review: Review, geo: LiverGeometry, s: float, width: float) -> Group:
    """Segment numerals and lesion markers with their labels (points)."""
    h = geo.height * s
    g = Group()
    roles = segment_roles(review)
    numeral = max(MIN_LABEL_PT, 30.0 * s)
    taken: list[Box] = []  # boxes a lesion label must not cover
    for seg in geo.segments:
        x, y = seg.label[0] * s, h - seg.label[1] * s
        nw = stringWidth(seg.unit, SANS_BOLD, numeral)
        taken.append((x - nw / 2 - 1, y - numeral * 0.45, x + nw / 2 + 1, y + numeral * 0.65))
        r = roles[seg.unit]
        if RESECTED in r:
            # Keep the numeral legible over hatching.
            nw = stringWidth(seg.unit, SANS_BOLD, numeral)
            g.add(Rect(x - nw / 2 - 1.5, y - numeral * 0.45, nw + 3, numeral * 1.05, fillColor=_fill_of(r),
                       strokeColor=None))
        g.add(String(x, y - numeral * 0.35, seg.unit, fontName=SANS_BOLD, fontSize=numeral,
                     fillColor=colors.HexColor("#3a2a1c"), textAnchor="middle"))
    positions = lesion_positions(review.lesions, geo)
    marker_r = max(3.2, 13.0 * s)
    label_size = max(MIN_LABEL_PT, 21.0 * s)
    for lesion in review.lesions:
        if lesion.id not in positions:
            continue
        px, py = positions[lesion.id]
        x, y = px * s, h - py * s
        kind = marker_kind(lesion, review)
        if kind == "gone":
            g.add(Circle(x, y, marker_r, fillColor=colors.white, strokeColor=TUMOUR_INK, strokeWidth=0.9,
                         strokeDashArray=[1.6, 1.2]))
        else:
            fill = ABLATION_INK if kind == "ablation" else TUMOUR_INK
            g.add(Circle(x, y, marker_r, fillColor=fill, strokeColor=colors.black, strokeWidth=0.6))
        text = lesion.id
        if lesion.diameter_mm is not None:
            text += f" {lesion.diameter_mm:g} mm"
        if lesion.target:
            text += " (T)"
        if lesion.status != "present":
            text += f" {lesion.status}"  # white marker: gone; orange: ablated
        tw = stringWidth(text, SANS, label_size)
        # Right of the marker, else left, else above or below: the first place that covers no
        # segment numeral and no other label and stays on the drawing.
        lh = label_size * 1.15
        candidates = [(x + marker_r + 1.5, y), (x - marker_r - 1.5 - tw, y),
                      (x - tw / 2, y + marker_r + lh * 0.6), (x - tw / 2, y - marker_r - lh * 0.6)]

        boxes = [_label_box(cx, cy, tw, lh, label_size) for cx, cy in candidates]
        pick = next((i for i, b in enumerate(boxes) if _free(b, taken, width, h)),
                    0 if x + marker_r + 1.5 + tw <= width else 1)
        tx, ty = candidates[pick]
        taken.append(boxes[pick])
        taken.append((x - marker_r, y - marker_r, x + marker_r, y + marker_r))
        g.add(Rect(tx - 1, ty - label_size * 0.45, tw + 2, lh, fillColor=colors.white, strokeColor=None))
        g.add(String(tx, ty - label_size * 0.3, text, fontName=SANS, fontSize=label_size,
                     fillColor=colors.black))
    return g


Box = tuple[float, float, float, float]


def _label_box(tx: float, ty: float, tw: float, lh: float, size: float) -> Box:
    return (tx - 1, ty - size * 0.45, tx + tw + 1, ty - size * 0.45 + lh)


def _free(b: Box, taken: list[Box], width: float, height: float) -> bool:
    """On the drawing and overlapping none of the ``taken`` boxes."""
    inside = b[0] >= 0 and b[2] <= width and b[1] >= 0 and b[3] <= height
    return inside and not any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in taken)


def _assemble(width: float, geo: LiverGeometry, legend: bool) -> tuple[float, float, float]:
    s = width / geo.width
    liver_h = geo.height * s
    return s, liver_h, liver_h + (legend_height(width) if legend else 0.0)


def liver_drawing(review: Review, width: float = 320.0, *, geometry: LiverGeometry | None = None,
                  legend: bool = True) -> Drawing:
    """A self-contained vector drawing of the review's liver, ``width`` points wide."""
    register_fonts()
    geo = geometry or load_geometry()
    s, liver_h, total_h = _assemble(width, geo, legend)
    d = Drawing(width, total_h)
    d.initialFontName = SANS  # the renderer's start-up font would otherwise be Helvetica (unembedded)
    top = total_h - liver_h
    under = _under_layer(review, geo, s)
    under.translate(0, top)
    static = Group(_static_layer(geo))
    static.translate(0, top)
    static.scale(s, s)
    over = _over_layer(review, geo, s, width)
    over.translate(0, top)
    d.add(under)
    d.add(static)
    d.add(over)
    if legend:
        d.add(_legend(width, total_h - liver_h))
    return d


class LiverFlowable(Flowable):
    """The liver diagram for documents: the static layer is one form XObject per PDF,
    shared by every patient page (30 patients draw it once, not 30 times)."""

    def __init__(self, review: Review, width: float, *, geometry: LiverGeometry | None = None,
                 legend: bool = True) -> None:
        super().__init__()
        register_fonts()
        self.review = review
        self.geo = geometry or load_geometry()
        self.legend = legend
        self.s, self.liver_h, total_h = _assemble(width, self.geo, legend)
        self.width, self.height = width, total_h

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        top = self.height - self.liver_h
        canv.saveState()
        canv.translate(0, top)
        _paint(canv, _under_layer(self.review, self.geo, self.s))
        canv.restoreState()
        defined: set[str] = canv.__dict__.setdefault("_mdt_forms", set())
        if FORM_NAME not in defined:
            canv.beginForm(FORM_NAME, 0, 0, self.geo.width, self.geo.height)
            static = Drawing(self.geo.width, self.geo.height)
            static.initialFontName = SANS
            static.add(_static_layer(self.geo))
            renderPDF.draw(static, canv, 0, 0)
            canv.endForm()
            defined.add(FORM_NAME)
        canv.saveState()
        canv.translate(0, top)
        canv.scale(self.s, self.s)
        canv.doForm(FORM_NAME)
        canv.restoreState()
        canv.saveState()
        canv.translate(0, top)
        _paint(canv, _over_layer(self.review, self.geo, self.s, self.width))
        canv.restoreState()
        if self.legend:
            _draw_legend_form(canv, self.width, self.height - self.liver_h)


def _paint(canv: Canvas, group: Group) -> None:
    """Draws the few shape kinds of the per-review layers straight onto the canvas.

    renderPDF's general state tracking costs more than the drawing itself when a
    meeting has 30 livers; these layers use no transforms and no inherited styles."""
    for node in group.contents:
        if isinstance(node, Group):
            _paint(canv, node)
            continue
        stroke = getattr(node, "strokeColor", None)
        fill = getattr(node, "fillColor", None)
        if isinstance(node, String):
            canv.setFillColor(fill or colors.black)
            canv.setFont(node.fontName, node.fontSize)
            if node.textAnchor == "middle":
                canv.drawCentredString(node.x, node.y, node.text)
            else:
                canv.drawString(node.x, node.y, node.text)
            continue
        if stroke is not None:
            canv.setStrokeColor(stroke)
            canv.setLineWidth(node.strokeWidth)
            canv.setLineCap(getattr(node, "strokeLineCap", 0) or 0)
            canv.setLineJoin(getattr(node, "strokeLineJoin", 0) or 0)
            canv.setDash(node.strokeDashArray or [])
        if fill is not None:
            canv.setFillColor(fill)
        do_stroke, do_fill = int(stroke is not None), int(fill is not None)
        if isinstance(node, Rect):
            canv.rect(node.x, node.y, node.width, node.height, stroke=do_stroke, fill=do_fill)
        elif isinstance(node, Circle):
            canv.circle(node.cx, node.cy, node.r, stroke=do_stroke, fill=do_fill)
        elif isinstance(node, Line):
            canv.line(node.x1, node.y1, node.x2, node.y2)
        else:
            pts = node.points
            path = canv.beginPath()
            if isinstance(node, Path):
                for op, (x, y) in zip(node.operators, zip(pts[0::2], pts[1::2], strict=True), strict=True):
                    (path.moveTo if op == _MOVE_TO else path.lineTo)(x, y)
            else:
                path.moveTo(pts[0], pts[1])
                for i in range(2, len(pts), 2):
                    path.lineTo(pts[i], pts[i + 1])
                if isinstance(node, Polygon):
                    path.close()
            canv.drawPath(path, stroke=do_stroke, fill=do_fill if isinstance(node, Polygon) else 0,
                          fillMode=FILL_EVEN_ODD)


_LEGEND_SIZE = MIN_LABEL_PT
_LEGEND_ROW = 11.5
_SWATCH = 9.0


def _legend_layout(width: float) -> list[tuple[LegendEntry, float, int]]:
    """(entry, x, row) of each paper legend entry (``mdt.diagram.legend``), wrapped to ``width``."""
    out = []
    x, row = 0.0, 0
    for entry in legend_entries(screen=False):
        tw = stringWidth(entry.words, SANS, _LEGEND_SIZE)
        if x > 0 and x + _SWATCH + 3 + tw > width:
            x, row = 0.0, row + 1
        out.append((entry, x, row))
        x += _SWATCH + 3 + tw + 9
    return out


def legend_height(width: float) -> float:
    register_fonts()
    return (max(r for *_, r in _legend_layout(width)) + 1) * _LEGEND_ROW + 3


def _legend(width: float, height: float) -> Group:
    g = Group()
    for entry, x, row in _legend_layout(width):
        y = height - 10.0 - row * _LEGEND_ROW
        ink = colors.HexColor(entry.colour)
        edge = colors.HexColor(entry.edge) if entry.edge else colors.black
        if entry.swatch in ("fill", "hatched"):
            g.add(Rect(x, y, _SWATCH, 8, fillColor=ink, strokeColor=edge, strokeWidth=0.5))
            if entry.swatch == "hatched":
                g.add(Line(x, y, x + 8, y + 8, strokeColor=edge, strokeWidth=0.8))
                g.add(Line(x + 4, y, x + 9, y + 5, strokeColor=edge, strokeWidth=0.8))
                g.add(Line(x, y + 4, x + 4, y + 8, strokeColor=edge, strokeWidth=0.8))
        elif entry.swatch == "line":
            g.add(Line(x, y + 4, x + _SWATCH, y + 4, strokeColor=ink, strokeWidth=2.4))
        elif entry.swatch == "ring":
            g.add(Circle(x + 4.5, y + 4, 3.4, fillColor=colors.white, strokeColor=ink, strokeWidth=0.9,
                         strokeDashArray=[1.6, 1.2]))
        else:
            g.add(Circle(x + 4.5, y + 4, 3.4, fillColor=ink, strokeColor=colors.black, strokeWidth=0.5))
        g.add(String(x + _SWATCH + 3, y + 1, entry.words, fontName=SANS, fontSize=_LEGEND_SIZE))
    return g


class LiverLegendFlowable(Flowable):
    """The drawing's legend on its own, ``width`` wide (beside or under several drawings); one form
    per width, shared by every page."""

    def __init__(self, width: float) -> None:
        super().__init__()
        register_fonts()
        self.width, self.height = width, legend_height(width)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return self.width, self.height

    def draw(self) -> None:
        _draw_legend_form(self.canv, self.width, self.height)


def _draw_legend_form(canv: Canvas, width: float, height: float) -> None:
    defined: set[str] = canv.__dict__.setdefault("_mdt_forms", set())
    name = f"mdtLegend{round(width * 10)}"
    if name not in defined:
        # Identical on every page: one form per width.
        canv.beginForm(name, 0, 0, width, height)
        drawing = Drawing(width, height)
        drawing.initialFontName = SANS
        drawing.add(_legend(width, height))
        renderPDF.draw(drawing, canv, 0, 0)
        canv.endForm()
        defined.add(name)
    canv.doForm(name)
