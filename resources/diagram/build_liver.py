"""Builds ``liver.json``, the schematic anterior view of the Couinaud segments.

Run ``python resources/diagram/build_liver.py`` after changing a coordinate.
The liver is drawn as a planar map: a smooth outline (a closed Catmull-Rom
curve through control points) cut by interior paths (hepatic veins, portal
plane, umbilical fissure, the caudate's rim).  Every segment is a cycle of
outline arcs and interior paths that share their end nodes, so neighbouring
polygons share their edges exactly and the segments tile the outline with no
gap or overlap.

Conventions (anterior view, as in surgical textbooks): the patient's right is
on the viewer's left; box 1000 x 700, y down.  The right hepatic vein runs
between the posterior (VI/VII) and anterior (V/VIII) right sections, the middle
hepatic vein along Cantlie's line (IVC to gallbladder fossa), the umbilical
fissure separates IV from II/III, the portal plane separates superior
(II, IVa, VII, VIII) from inferior (III, IVb, V, VI) segments, and the caudate
lobe (I) lies in front of the retrohepatic IVC, to its left (viewer's right).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

Pt = tuple[float, float]

# --- nodes (shared by outline and interior paths) -----------------------------------------
C = (500.0, 26.0)        # hepatic-vein confluence on the IVC, top margin
P_LEFT = (42.0, 352.0)   # portal plane meets the right lateral margin
O_RHV = (118.0, 596.0)   # right hepatic vein reaches the inferior margin
GB = (452.0, 598.0)      # gallbladder fossa (Cantlie's line meets the inferior margin)
F_TOP = (690.0, 54.0)    # falciform ligament at the superior margin
F_BOT = (646.0, 458.0)   # umbilical notch
TIP = (984.0, 214.0)     # tip of the left lateral section

R_PP = (226.0, 354.0)    # right hepatic vein crosses the portal plane
M_PP = (424.0, 348.0)    # middle hepatic vein crosses the portal plane
F_PP = (664.0, 330.0)    # umbilical fissure at the portal plane
K_TL = (444.0, 214.0)    # caudate rim on the middle hepatic vein
K_BR = (574.0, 343.0)    # caudate rim on the portal plane

# Outline control points clockwise from the portal plane on the right margin.
OUTLINE_CTRL: list[Pt] = [
    P_LEFT, (58.0, 236.0), (112.0, 140.0), (212.0, 74.0), (350.0, 34.0), C,
    (600.0, 28.0), F_TOP, (800.0, 84.0), (905.0, 136.0), TIP, (930.0, 250.0),
    (830.0, 312.0), (730.0, 392.0), F_BOT, (590.0, 520.0), GB, (330.0, 640.0),
    (210.0, 646.0), O_RHV, (56.0, 500.0),
]

# --- interior paths (node to node, with intermediate shaping points) -----------------------
PATHS: dict[str, list[Pt]] = {
    "rhv_sup": [C, (404.0, 84.0), (310.0, 160.0), (250.0, 262.0), R_PP],
    "rhv_inf": [R_PP, (196.0, 446.0), (160.0, 526.0), O_RHV],
    "mhv_sup": [C, (470.0, 116.0), K_TL],
    "mhv_cau": [K_TL, (432.0, 280.0), M_PP],
    "mhv_inf": [M_PP, (430.0, 460.0), GB],
    "pp_post": [P_LEFT, (134.0, 358.0), R_PP],
    "pp_ant": [R_PP, (330.0, 352.0), M_PP],
    "pp_cau": [M_PP, K_BR],
    "pp_iv": [K_BR, F_PP],
    "fal_sup": [F_TOP, (682.0, 180.0), F_PP],
    "fal_inf": [F_PP, (650.0, 400.0), F_BOT],
    "ii_iii": [F_PP, (760.0, 268.0), (880.0, 230.0), TIP],
    "caudate_rim": [K_TL, (500.0, 194.0), (552.0, 206.0), (588.0, 262.0), K_BR],
}


def _catmull_rom(points: list[Pt], samples: int = 8) -> list[list[Pt]]:
    """Closed centripetal-free (uniform) Catmull-Rom; returns one point list per span."""
    n = len(points)
    spans: list[list[Pt]] = []
    for i in range(n):
        p0, p1, p2, p3 = points[i - 1], points[i], points[(i + 1) % n], points[(i + 2) % n]
        span: list[Pt] = []
        for k in range(samples + 1):
            t = k / samples
            t2, t3 = t * t, t * t * t
            x = 0.5 * ((2 * p1[0]) + (-p0[0] + p2[0]) * t + (2 * p0[0] - 5 * p1[0] + 4 * p2[0] - p3[0]) * t2
                       + (-p0[0] + 3 * p1[0] - 3 * p2[0] + p3[0]) * t3)
            y = 0.5 * ((2 * p1[1]) + (-p0[1] + p2[1]) * t + (2 * p0[1] - 5 * p1[1] + 4 * p2[1] - p3[1]) * t2
                       + (-p0[1] + 3 * p1[1] - 3 * p2[1] + p3[1]) * t3)
            span.append((round(x, 1), round(y, 1)))
        spans.append(span)
    return spans


SPANS = _catmull_rom(OUTLINE_CTRL)


def outline_arc(start: Pt, end: Pt) -> list[Pt]:
    """The outline clockwise from control point ``start`` to ``end`` (both included)."""
    i = OUTLINE_CTRL.index(start)
    j = OUTLINE_CTRL.index(end)
    pts: list[Pt] = []
    k = i
    while k != j:
        span = SPANS[k]
        pts.extend(span if not pts else span[1:])
        k = (k + 1) % len(OUTLINE_CTRL)
    return pts


def path(name: str, reverse: bool = False) -> list[Pt]:
    pts = PATHS[name]
    return list(reversed(pts)) if reverse else list(pts)


def ring(*parts: list[Pt]) -> list[Pt]:
    """Joins pieces that share their end points into one closed ring (last != first)."""
    out: list[Pt] = []
    for part in parts:
        if out and out[-1] == part[0]:
            part = part[1:]
        out.extend(part)
    if out[0] == out[-1]:
        out.pop()
    return out


def segments() -> dict[str, list[Pt]]:
    return {
        "VII": ring(outline_arc(P_LEFT, C), path("rhv_sup"), path("pp_post", True)),
        "VIII": ring(path("mhv_sup"), path("mhv_cau"), path("pp_ant", True), path("rhv_sup", True)),
        "VI": ring(path("pp_post"), path("rhv_inf"), outline_arc(O_RHV, P_LEFT)),
        "V": ring(path("pp_ant"), path("mhv_inf"), outline_arc(GB, O_RHV), path("rhv_inf", True)),
        "I": ring(path("caudate_rim"), path("pp_cau", True), path("mhv_cau", True)),
        "IVa": ring(outline_arc(C, F_TOP), path("fal_sup"), path("pp_iv", True),
                    path("caudate_rim", True), path("mhv_sup", True)),
        "IVb": ring(path("pp_cau"), path("pp_iv"), path("fal_inf"), outline_arc(F_BOT, GB),
                    path("mhv_inf", True)),
        "II": ring(outline_arc(F_TOP, TIP), path("ii_iii", True), path("fal_sup", True)),
        "III": ring(path("ii_iii"), outline_arc(TIP, F_BOT), path("fal_inf", True)),
    }


LABELS: dict[str, Pt] = {
    "I": (540.0, 276.0), "II": (846.0, 186.0), "III": (812.0, 300.0),
    "IVa": (566.0, 128.0), "IVb": (594.0, 458.0), "V": (300.0, 520.0),
    "VI": (104.0, 470.0), "VII": (136.0, 222.0), "VIII": (368.0, 196.0),
}

# Vessels: hepatic veins run between segments (on the boundaries), portal branches
# run to segment centres.  ``behind`` marks a course hidden behind the parenchyma.
VESSELS: list[dict[str, object]] = [
    {"name": "IVC", "kind": "ivc", "width": 28, "behind": False, "points": [(500.0, 0.0), C]},
    {"name": "IVC", "kind": "ivc", "width": 28, "behind": True, "points": [C, (500.0, 200.0), (500.0, 372.0)]},
    {"name": "RHV", "kind": "hepatic_vein", "width": 7, "behind": False,
     "points": path("rhv_sup") + [(204.0, 430.0)]},
    {"name": "MHV", "kind": "hepatic_vein", "width": 7, "behind": False,
     "points": path("mhv_sup") + path("mhv_cau")[1:] + [(428.0, 440.0)]},
    {"name": "LHV", "kind": "hepatic_vein", "width": 6, "behind": False,
     "points": [C, (590.0, 72.0), (680.0, 118.0), (770.0, 150.0)]},
    {"name": "IRHV", "kind": "hepatic_vein", "width": 4, "behind": True,
     "points": [(500.0, 340.0), (360.0, 420.0), (176.0, 480.0)]},
    {"name": "MPV", "kind": "portal_vein", "width": 11, "behind": False,
     "points": [(566.0, 700.0), (540.0, 560.0), (512.0, 430.0), (500.0, 392.0)]},
    {"name": "RPV", "kind": "portal_vein", "width": 8, "behind": False,
     "points": [(500.0, 392.0), (420.0, 392.0), (338.0, 386.0)]},
    {"name": "RAPV", "kind": "portal_vein", "width": 5, "behind": False,
     "points": [(338.0, 386.0), (340.0, 320.0), (346.0, 272.0)]},
    {"name": "RAPV", "kind": "portal_vein", "width": 5, "behind": False,
     "points": [(338.0, 386.0), (334.0, 462.0)]},
    {"name": "RPPV", "kind": "portal_vein", "width": 6, "behind": False,
     "points": [(338.0, 386.0), (240.0, 384.0), (150.0, 374.0)]},
    {"name": "RPPV", "kind": "portal_vein", "width": 4.5, "behind": False,
     "points": [(150.0, 374.0), (146.0, 300.0)]},
    {"name": "RPPV", "kind": "portal_vein", "width": 4.5, "behind": False,
     "points": [(150.0, 374.0), (128.0, 420.0)]},
    {"name": "LPV", "kind": "portal_vein", "width": 7, "behind": False,
     "points": [(500.0, 392.0), (580.0, 388.0), (650.0, 378.0), (668.0, 330.0), (690.0, 270.0)]},
    {"name": "LPV", "kind": "portal_vein", "width": 4, "behind": False,
     "points": [(690.0, 270.0), (760.0, 222.0)]},
    {"name": "LPV", "kind": "portal_vein", "width": 4, "behind": False,
     "points": [(668.0, 330.0), (738.0, 334.0)]},
    {"name": "LPV", "kind": "portal_vein", "width": 3.5, "behind": False,
     "points": [(676.0, 300.0), (620.0, 214.0)]},
    {"name": "LPV", "kind": "portal_vein", "width": 3.5, "behind": False,
     "points": [(652.0, 376.0), (610.0, 410.0)]},
]

LANDMARKS: list[dict[str, object]] = [
    {"name": "gallbladder", "kind": "polygon",
     "points": [(420.0, 572.0), (470.0, 566.0), (492.0, 596.0), (486.0, 640.0), (458.0, 668.0),
                (430.0, 660.0), (414.0, 626.0)]},
    {"name": "ligamentum_teres", "kind": "polyline", "points": [F_BOT, (680.0, 520.0), (700.0, 580.0)]},
]


def build() -> dict[str, object]:
    segs = segments()
    return {
        "format": "mdt-liver-diagram/1",
        "view": "anterior",
        "box": [1000, 700],
        "note": "Schematic anterior view of the Couinaud segments; patient's right on the viewer's left; y down.",
        "outline": [list(p) for p in ring(*SPANS)],
        "segments": [
            {"unit": unit, "label": list(LABELS[unit]), "points": [list(p) for p in segs[unit]]}
            for unit in ("I", "II", "III", "IVa", "IVb", "V", "VI", "VII", "VIII")
        ],
        "vessels": [
            {**v, "points": [list(p) for p in v["points"]]}  # type: ignore[union-attr]
            for v in VESSELS
        ],
        "landmarks": [
            {**m, "points": [list(p) for p in m["points"]]}  # type: ignore[union-attr]
            for m in LANDMARKS
        ],
    }


if __name__ == "__main__":
    out = Path(__file__).with_name("liver.json")
    text = json.dumps(build(), indent=1)
    # One point per line is unreadable: fold "[x, y]" pairs onto one line.
    text = re.sub(r"\[\s+(-?[\d.]+),\s+(-?[\d.]+)\s+\]", r"[\1, \2]", text)
    out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {out}")
