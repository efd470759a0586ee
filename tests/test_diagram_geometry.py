"""The liver diagram geometry (resources/diagram/liver.json) as a specification.

It must tile the liver outline with the nine Couinaud units, in the textbook
anterior layout (the patient's right on the viewer's left), with vessels named
by the case vocabulary, so the window and the PDF draw the same anatomy.
"""

from __future__ import annotations

import json
from itertools import combinations

import pytest

from mdt.anatomy import CONTIGUITY, LEFT_HEMILIVER, RIGHT_HEMILIVER, UNITS
from mdt.case import VESSEL_STRUCTURES
from mdt.diagram import LiverGeometry, load_geometry, point_in_polygon, polygon_area
from mdt.resources import resource_path


@pytest.fixture(scope="module")
def geo() -> LiverGeometry:
    return load_geometry()


def centroid(points: tuple[tuple[float, float], ...]) -> tuple[float, float]:
    return sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points)


def test_file_declares_its_format_and_box() -> None:
    data = json.loads(resource_path("diagram", "liver.json").read_text(encoding="utf-8"))
    assert data["format"] == "mdt-liver-diagram/1"
    assert data["box"] == [1000, 700]


def test_every_unit_has_one_polygon_and_its_label_inside(geo: LiverGeometry) -> None:
    assert sorted(s.unit for s in geo.segments) == sorted(UNITS)
    for seg in geo.segments:
        assert len(seg.points) >= 3
        assert seg.contains(seg.label), seg.unit
        assert geo.unit_at(seg.label) == seg.unit


def test_everything_lies_in_the_box(geo: LiverGeometry) -> None:
    shapes = [s.points for s in geo.segments] + [geo.outline] + [v.points for v in geo.vessels]
    for pts in shapes:
        for x, y in pts:
            assert 0 <= x <= geo.width and 0 <= y <= geo.height


def test_segments_tile_the_outline(geo: LiverGeometry) -> None:
    """No gap and no overlap: the areas add up, and grid points inside the outline
    fall in exactly one segment."""
    total = sum(polygon_area(s.points) for s in geo.segments)
    assert total == pytest.approx(polygon_area(geo.outline), rel=0.002)
    inside = 0
    for gx in range(5, 1000, 20):
        for gy in range(5, 700, 20):
            p = (gx + 0.37, gy + 0.41)  # off the grid of the coordinates, away from shared edges
            hits = [s.unit for s in geo.segments if point_in_polygon(p, s.points)]
            if point_in_polygon(p, geo.outline):
                inside += 1
                assert len(hits) == 1, (p, hits)
            else:
                assert hits == [], (p, hits)
    assert inside > 500


def test_textbook_anterior_layout(geo: LiverGeometry) -> None:
    c = {s.unit: centroid(s.points) for s in geo.segments}
    # The patient's right (V-VIII) on the viewer's left.
    right_x = max(c[u][0] for u in RIGHT_HEMILIVER)
    left_x = min(c[u][0] for u in LEFT_HEMILIVER - {"IVa", "IVb"})
    assert right_x < left_x
    assert max(c[u][0] for u in RIGHT_HEMILIVER) < min(c["IVa"][0], c["IVb"][0])
    # Superior above inferior (y down).
    for sup, inf in (("VII", "VI"), ("VIII", "V"), ("IVa", "IVb"), ("II", "III")):
        assert c[sup][1] < c[inf][1], (sup, inf)
    # Posterior section lateral to the anterior one; II/III lateral to IV.
    assert c["VII"][0] < c["VIII"][0] and c["VI"][0] < c["V"][0]
    assert c["II"][0] > c["IVa"][0] and c["III"][0] > c["IVb"][0]
    # The caudate is the smallest unit and sits beside the IVC, below the confluence.
    caudate = geo.segment("I")
    assert polygon_area(caudate.points) == min(polygon_area(s.points) for s in geo.segments)
    ivc_x = geo.vessel_paths("IVC")[0].points[0][0]
    assert abs(c["I"][0] - ivc_x) < 80


def test_shared_edges_are_anatomical_contacts(geo: LiverGeometry) -> None:
    """Two segments drawn side by side (sharing an edge) really touch (anatomy.CONTIGUITY)."""
    pts = {s.unit: set(s.points) for s in geo.segments}
    drawn = {frozenset((a, b)) for a, b in combinations(UNITS, 2) if len(pts[a] & pts[b]) >= 2}
    assert drawn <= CONTIGUITY, drawn - CONTIGUITY
    assert len(drawn) >= 12


def test_vessels_use_the_case_vocabulary(geo: LiverGeometry) -> None:
    names = {v.name for v in geo.vessels}
    assert names <= set(VESSEL_STRUCTURES)
    assert {"IVC", "RHV", "MHV", "LHV", "MPV", "RPV", "LPV", "RAPV", "RPPV"} <= names
    kinds = {v.name: v.kind for v in geo.vessels}
    assert kinds["IVC"] == "ivc" and kinds["RHV"] == "hepatic_vein" and kinds["MPV"] == "portal_vein"


def test_geometry_is_cached_and_immutable(geo: LiverGeometry) -> None:
    assert load_geometry() is geo
    with pytest.raises(AttributeError):
        geo.width = 5  # type: ignore[misc]
