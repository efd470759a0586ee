"""The liver diagram as data: Couinaud segment polygons, vessels and colour roles.

One geometry (``resources/diagram/liver.json``, built by ``build_liver.py`` beside
it) is drawn twice: by the window (Qt painter paths) and by the PDF minutes
(reportlab shapes).  This module holds no drawing code, only the shapes and
the decisions both renderers share: which role each segment plays in a review
(tumour, resected, remnant, ablated) and where each lesion's label goes.

Coordinates: a 1000 x 700 box, y down, anterior view (the patient's right on
the viewer's left).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mdt.anatomy import RESECTIONS, UNITS, expand, remnant_of
from mdt.case import Lesion, Review
from mdt.resources import resource_path

Point = tuple[float, float]

TUMOUR, RESECTED, REMNANT, ABLATED = "tumour", "resected", "remnant", "ablated"
ROLES: tuple[str, ...] = (TUMOUR, RESECTED, REMNANT, ABLATED)
"""Colour roles of a segment.  RESECTED and REMNANT exclude each other; both are
absent when the review records no plan."""

ROLE_LABELS: dict[str, str] = {
    TUMOUR: "Tumour", RESECTED: "Resected (hatched)", REMNANT: "Future remnant", ABLATED: "Ablation",
}

# --------------------------------------------------------------------------- the one legend
#
# The window's diagram and the PDFs' drawing draw from these colours and this legend, so a colour
# or a hatching means the same on the screen and on paper: a segment's fill is the plan (remnant
# green, resected grey and hatched, no plan tan); a lesion is a marker with its id (tumour red,
# ablated or to be ablated violet, gone: an empty dashed ring); veins are blue (hepatic) and violet
# (portal), and a vessel a lesion touches is red.

PALETTE: dict[str, str] = {
    "no_plan": "#f2dcc9", "remnant": "#c4e5c0", "resected": "#d2d2d2", "hatch": "#6b6b6b",
    "tumour": "#c62828", "ablation": "#6a1b9a", "hepatic_vein": "#3b6fb6", "portal_vein": "#7e57c2",
    "ivc": "#2c4f86", "involved": "#d50000", "border": "#5a4636", "selected": "#e65100",
    "text": "#111111",
}


@dataclass(frozen=True, slots=True)
class LegendEntry:
    key: str
    words: str
    swatch: str
    """How the key is drawn: ``fill`` (a box), ``hatched`` (a box with a diagonal), ``marker`` (a
    filled disc), ``ring`` (an empty dashed disc), ``line`` (a short thick line), ``dashed`` (a box
    with a dashed edge)."""
    colour: str
    edge: str | None = None
    screen_only: bool = False
    """Meaningful only where the user selects (the selected lesion)."""


LEGEND: tuple[LegendEntry, ...] = (
    LegendEntry("no_plan", "No plan recorded", "fill", PALETTE["no_plan"], PALETTE["border"]),
    LegendEntry("remnant", "Future remnant", "fill", PALETTE["remnant"], PALETTE["border"]),
    LegendEntry("resected", "Resected (hatched)", "hatched", PALETTE["resected"], PALETTE["hatch"]),
    LegendEntry("tumour", "Tumour", "marker", PALETTE["tumour"]),
    LegendEntry("ablation", "Ablation, done or planned", "marker", PALETTE["ablation"]),
    LegendEntry("gone", "Lesion gone", "ring", PALETTE["tumour"]),
    LegendEntry("hepatic_vein", "Hepatic vein", "line", PALETTE["hepatic_vein"]),
    LegendEntry("portal_vein", "Portal vein", "line", PALETTE["portal_vein"]),
    LegendEntry("involved", "Vessel in contact", "line", PALETTE["involved"]),
    LegendEntry("selected", "Selected lesion", "dashed", "#ffffff", PALETTE["selected"], screen_only=True),
)


def legend(screen: bool) -> tuple[LegendEntry, ...]:
    """The legend entries of the window (``screen``) or of paper (no selection there)."""
    return tuple(e for e in LEGEND if screen or not e.screen_only)


def marker_kind(lesion: Lesion, review: Review | None = None) -> str:
    """The legend key of a lesion's marker: ``gone``, ``ablation`` (ablated, or ablation planned
    in the review's remnant plan) or ``tumour``."""
    if lesion.status in _GONE_STATUSES:
        return "gone"
    planned = review is not None and review.remnant is not None and any(
        lt.lesion == lesion.id and lt.method == "ablation" for lt in review.remnant.local_treatment)
    return "ablation" if lesion.status == "ablated" or planned else "tumour"

# Lesions that are no longer there are not drawn as tumour.
_GONE_STATUSES = frozenset({"disappeared", "resected"})


@dataclass(frozen=True, slots=True)
class SegmentShape:
    unit: str
    points: tuple[Point, ...]
    label: Point
    """Where the segment's numeral goes (inside the polygon)."""

    def contains(self, p: Point) -> bool:
        return point_in_polygon(p, self.points)


@dataclass(frozen=True, slots=True)
class VesselPath:
    name: str
    """A ``mdt.case.VESSEL_STRUCTURES`` code (IVC, RHV, MPV...); a vessel may have several paths."""
    kind: str
    """``ivc``, ``hepatic_vein`` or ``portal_vein``."""
    points: tuple[Point, ...]
    width: float
    behind: bool
    """True where the course runs behind the parenchyma (draw dashed)."""


@dataclass(frozen=True, slots=True)
class Landmark:
    name: str
    kind: str
    """``polygon`` or ``polyline``."""
    points: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class LiverGeometry:
    width: float
    height: float
    outline: tuple[Point, ...]
    segments: tuple[SegmentShape, ...]
    vessels: tuple[VesselPath, ...]
    landmarks: tuple[Landmark, ...]

    def segment(self, unit: str) -> SegmentShape:
        for seg in self.segments:
            if seg.unit == unit:
                return seg
        raise KeyError(unit)

    def vessel_paths(self, name: str) -> tuple[VesselPath, ...]:
        return tuple(v for v in self.vessels if v.name == name)

    def unit_at(self, p: Point) -> str | None:
        """The segment under a point (for hover and click in the window)."""
        for seg in self.segments:
            if seg.contains(p):
                return seg.unit
        return None


def _points(raw: Iterable[Sequence[float]]) -> tuple[Point, ...]:
    return tuple((float(x), float(y)) for x, y in raw)


@lru_cache(maxsize=4)
def load_geometry(path: str | None = None) -> LiverGeometry:
    """Reads the shipped geometry (or ``path``); cached, the result is immutable."""
    file = Path(path) if path else resource_path("diagram", "liver.json")
    data = json.loads(file.read_text(encoding="utf-8"))
    width, height = data["box"]
    segments = tuple(
        SegmentShape(unit=s["unit"], points=_points(s["points"]), label=(float(s["label"][0]), float(s["label"][1])))
        for s in data["segments"]
    )
    vessels = tuple(
        VesselPath(name=v["name"], kind=v["kind"], points=_points(v["points"]),
                   width=float(v["width"]), behind=bool(v.get("behind", False)))
        for v in data["vessels"]
    )
    landmarks = tuple(
        Landmark(name=m["name"], kind=m["kind"], points=_points(m["points"])) for m in data.get("landmarks", ())
    )
    return LiverGeometry(float(width), float(height), _points(data["outline"]), segments, vessels, landmarks)


# --------------------------------------------------------------------------- geometry helpers

def point_in_polygon(p: Point, poly: Sequence[Point]) -> bool:
    """Even-odd ray casting."""
    x, y = p
    inside = False
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            xc = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if xc > x:
                inside = not inside
    return inside


def polygon_area(poly: Sequence[Point]) -> float:
    n = len(poly)
    return abs(sum(poly[i][0] * poly[(i + 1) % n][1] - poly[(i + 1) % n][0] * poly[i][1] for i in range(n))) / 2


def _distance_to_edges(p: Point, poly: Sequence[Point]) -> float:
    best = math.inf
    n = len(poly)
    for i in range(n):
        (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % n]
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - x1) * dx + (p[1] - y1) * dy) / length2))
        best = min(best, math.hypot(p[0] - (x1 + t * dx), p[1] - (y1 + t * dy)))
    return best


def hatch_lines(poly: Sequence[Point], spacing: float, angle_deg: float = 45.0) -> list[tuple[Point, Point]]:
    """Parallel hatch segments clipped to a polygon (even-odd), for fills that survive
    black-and-white printing.  Pure geometry so both renderers hatch alike."""
    a = math.radians(angle_deg)
    ux, uy = math.cos(a), math.sin(a)      # hatch direction
    nx, ny = -uy, ux                        # offset direction
    offsets = [x * nx + y * ny for x, y in poly]
    lo, hi = min(offsets), max(offsets)
    lines: list[tuple[Point, Point]] = []
    n = len(poly)
    k = math.floor(lo / spacing) + 1
    while k * spacing < hi:
        c = k * spacing
        ts: list[float] = []
        for i in range(n):
            (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % n]
            o1, o2 = offsets[i], offsets[(i + 1) % n]
            if (o1 > c) != (o2 > c):
                f = (c - o1) / (o2 - o1)
                xi, yi = x1 + f * (x2 - x1), y1 + f * (y2 - y1)
                ts.append(xi * ux + yi * uy)
        ts.sort()
        for t0, t1 in zip(ts[0::2], ts[1::2], strict=False):
            lines.append(((c * nx + t0 * ux, c * ny + t0 * uy), (c * nx + t1 * ux, c * ny + t1 * uy)))
        k += 1
    return lines


# --------------------------------------------------------------------------- roles

def units_of(codes: Iterable[str]) -> frozenset[str]:
    """Units of recorded segment codes (``IV`` -> IVa, IVb); unknown codes are skipped:
    an unknown code is a validation matter, not a drawing crash."""
    out: set[str] = set()
    for code in codes:
        try:
            out |= expand((code,))
        except ValueError:
            continue
    return frozenset(out)


def planned_remnant(review: Review) -> frozenset[str] | None:
    """The units the review's plan keeps, or None when no plan is recorded.

    Explicit remnant segments win over a named resection (they are what the
    surgeon wrote down); an unknown resection name gives no plan."""
    plan = review.remnant
    if plan is None:
        return None
    if plan.segments is not None:
        return units_of(plan.segments)
    if plan.resection in RESECTIONS:
        return remnant_of(plan.resection)
    return None


def segment_roles(review: Review) -> dict[str, frozenset[str]]:
    """For every unit I..VIII, the roles that apply in this review.

    - tumour: a lesion still present touches the unit;
    - ablated: a lesion there was ablated, or the plan ablates it;
    - resected / remnant: the plan removes / keeps the unit (none without a plan).
    """
    roles: dict[str, set[str]] = {u: set() for u in UNITS}
    planned_ablation = {
        lt.lesion for lt in (review.remnant.local_treatment if review.remnant else ()) if lt.method == "ablation"
    }
    for lesion in review.lesions:
        units = units_of(lesion.segments)
        for unit in units:
            if lesion.status == "ablated" or lesion.id in planned_ablation:
                roles[unit].add(ABLATED)
            if lesion.status not in _GONE_STATUSES and lesion.status != "ablated":
                roles[unit].add(TUMOUR)
    remnant = planned_remnant(review)
    if remnant is not None:
        for unit in UNITS:
            roles[unit].add(REMNANT if unit in remnant else RESECTED)
    return {u: frozenset(r) for u, r in roles.items()}


_units = units_of  # the window's diagram widget imported it under this name first


# --------------------------------------------------------------------------- lesion labels

_MIN_GAP = 64.0      # between two lesion markers (box units)
_LABEL_CLEAR = 74.0  # keep clear of the segment numeral (a 15 px marker on a narrow screen diagram)
_EDGE_CLEAR = 16.0   # keep off the segment border


def _candidates(base: Point) -> Iterable[Point]:
    yield base
    for ring_no in range(1, 9):
        r = 22.0 * ring_no
        steps = 8 * ring_no
        for k in range(steps):
            a = 2 * math.pi * k / steps + ring_no * 0.35
            yield (base[0] + r * math.cos(a), base[1] + r * math.sin(a))


def lesion_positions(lesions: Sequence[Lesion], geometry: LiverGeometry | None = None) -> dict[str, Point]:
    """Where each lesion's marker goes: inside one of its segments, off the segment
    numeral and apart from the other markers.  A lesion spanning two segments sits
    near their common border.  Lesions with no known segment are left out."""
    geo = geometry or load_geometry()
    placed: dict[str, Point] = {}
    for lesion in lesions:
        units = [u for u in UNITS if u in units_of(lesion.segments)]
        if not units:
            continue
        shapes = [geo.segment(u) for u in units]
        if len(shapes) == 1:
            s = shapes[0]
            base = (s.label[0], s.label[1] + _LABEL_CLEAR)
            if not s.contains(base):
                base = s.label
        else:
            base = (sum(s.label[0] for s in shapes) / len(shapes), sum(s.label[1] for s in shapes) / len(shapes))
        chosen: Point | None = None
        fallback: Point | None = None
        for cand in _candidates(base):
            home = next((s for s in shapes if s.contains(cand)), None)
            if home is None:
                continue
            if fallback is None:
                fallback = cand
            if _distance_to_edges(cand, home.points) < _EDGE_CLEAR:
                continue
            if any(math.dist(cand, s.label) < _LABEL_CLEAR for s in geo.segments):
                continue
            if any(math.dist(cand, q) < _MIN_GAP for q in placed.values()):
                continue
            chosen = cand
            break
        # A crowded segment still gets every marker (overlapping beats missing).
        placed[lesion.id] = chosen or fallback or shapes[0].label
    return placed
