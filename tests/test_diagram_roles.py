"""Segment colour roles and lesion label placement (mdt.diagram)."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdt.anatomy import RESECTIONS, UNITS
from mdt.case import Lesion, LocalTreatment, RemnantPlan, Review
from mdt.diagram import (
    ABLATED,
    REMNANT,
    RESECTED,
    TUMOUR,
    hatch_lines,
    lesion_positions,
    load_geometry,
    planned_remnant,
    point_in_polygon,
    segment_roles,
)

DAY = date(2026, 11, 20)


def review(lesions: tuple[Lesion, ...] = (), remnant: RemnantPlan | None = None) -> Review:
    return Review(date=DAY, lesions=lesions, remnant=remnant)


def units_with(roles: dict[str, frozenset[str]], role: str) -> set[str]:
    return {u for u, r in roles.items() if role in r}


@pytest.mark.parametrize(("remnant", "resected"), [
    (RemnantPlan(resection="right_hepatectomy"), {"V", "VI", "VII", "VIII"}),
    (RemnantPlan(resection="left_lateral_sectionectomy"), {"II", "III"}),
    (RemnantPlan(resection="extended_right_hepatectomy"), {"IVa", "IVb", "V", "VI", "VII", "VIII"}),
    (RemnantPlan(segments=("I", "II", "III", "IV")), {"V", "VI", "VII", "VIII"}),
    # explicit segments win over a resection name (what the surgeon wrote down)
    (RemnantPlan(resection="left_hepatectomy", segments=("II", "III", "IVa", "IVb", "I", "VI", "VII")),
     {"V", "VIII"}),
])
def test_plan_splits_units_into_resected_and_remnant(remnant: RemnantPlan, resected: set[str]) -> None:
    roles = segment_roles(review(remnant=remnant))
    assert units_with(roles, RESECTED) == resected
    assert units_with(roles, REMNANT) == set(UNITS) - resected


@pytest.mark.parametrize("remnant", [None, RemnantPlan(), RemnantPlan(resection="no_such_resection"),
                                     RemnantPlan(flr_ml=400, tlv_ml=1500)])
def test_no_plan_means_neither_resected_nor_remnant(remnant: RemnantPlan | None) -> None:
    roles = segment_roles(review(remnant=remnant))
    assert not units_with(roles, RESECTED) and not units_with(roles, REMNANT)
    assert planned_remnant(review(remnant=remnant)) is None


@pytest.mark.parametrize(("lesion", "tumour", "ablated"), [
    (Lesion("L1", ("VII",), 30, True), {"VII"}, set()),
    (Lesion("L1", ("V", "VIII"), 30, True), {"V", "VIII"}, set()),
    (Lesion("L1", ("IV",), 30), {"IVa", "IVb"}, set()),
    (Lesion("L1", ("II",), 8, status="disappeared"), set(), set()),
    (Lesion("L1", ("II",), 8, status="resected"), set(), set()),
    (Lesion("L1", ("III",), 8, status="ablated"), set(), {"III"}),
    (Lesion("L1", ("X",), 8), set(), set()),  # unknown code: nothing drawn, nothing crashes
])
def test_lesions_mark_their_segments(lesion: Lesion, tumour: set[str], ablated: set[str]) -> None:
    roles = segment_roles(review((lesion,)))
    assert units_with(roles, TUMOUR) == tumour
    assert units_with(roles, ABLATED) == ablated


def test_planned_ablation_marks_a_present_lesion_both_ways() -> None:
    plan = RemnantPlan(resection="right_hepatectomy", local_treatment=(LocalTreatment("L2", "ablation"),
                                                                       LocalTreatment("L3", "wedge")))
    roles = segment_roles(review((Lesion("L2", ("IVb",), 12), Lesion("L3", ("III",), 9)), plan))
    assert roles["IVb"] == {TUMOUR, ABLATED, REMNANT}
    assert roles["III"] == {TUMOUR, REMNANT}


@given(st.sets(st.sampled_from(UNITS), min_size=1))
def test_resected_and_remnant_partition_the_liver(remnant: set[str]) -> None:
    roles = segment_roles(review(remnant=RemnantPlan(segments=tuple(remnant))))
    for unit in UNITS:
        assert (RESECTED in roles[unit]) != (REMNANT in roles[unit])
    assert units_with(roles, REMNANT) == remnant


@pytest.mark.parametrize("name", sorted(RESECTIONS))
def test_every_named_resection_removes_what_anatomy_says(name: str) -> None:
    roles = segment_roles(review(remnant=RemnantPlan(resection=name)))
    assert units_with(roles, RESECTED) == set(RESECTIONS[name])


def test_lesion_markers_sit_inside_their_segments_apart_from_each_other() -> None:
    geo = load_geometry()
    lesions = (
        Lesion("L1", ("VII",), 40), Lesion("L2", ("VII",), 20), Lesion("L3", ("VII",), 12),
        Lesion("L4", ("VII",), 9), Lesion("L5", ("V", "VIII"), 25), Lesion("L6", ("IV",), 15),
        Lesion("L7", ("I",), 11), Lesion("L8", ("Z",), 11),
    )
    pos = lesion_positions(lesions, geo)
    assert "L8" not in pos  # no known segment: not placed
    for les in lesions[:7]:
        units = {"IVa", "IVb"} if les.segments == ("IV",) else set(les.segments)
        assert any(point_in_polygon(pos[les.id], geo.segment(u).points) for u in units), les.id
    placed = list(pos.values())
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            assert math.dist(a, b) >= 40
    for les_id, p in pos.items():
        for seg in geo.segments:
            assert math.dist(p, seg.label) >= 40, (les_id, seg.unit)


def test_lesion_positions_are_deterministic() -> None:
    lesions = tuple(Lesion(f"L{i}", ("VI",), 10 + i) for i in range(6))
    assert lesion_positions(lesions) == lesion_positions(lesions)


def test_hatch_lines_stay_inside_the_polygon() -> None:
    square = ((0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0))
    lines = hatch_lines(square, 10.0, 45.0)
    assert len(lines) >= 10
    for (x1, y1), (x2, y2) in lines:
        mid = ((x1 + x2) / 2, (y1 + y2) / 2)
        assert point_in_polygon(mid, square)
        for x, y in ((x1, y1), (x2, y2)):
            assert -1e-6 <= x <= 100 + 1e-6 and -1e-6 <= y <= 100 + 1e-6


CODES = ("I", "II", "III", "IV", "IVa", "IVb", "V", "VI", "VII", "VIII")


@given(st.lists(st.lists(st.sampled_from(CODES), min_size=1, max_size=3), min_size=1, max_size=12))
def test_every_lesion_lands_inside_one_of_its_segments(segment_lists: list[list[str]]) -> None:
    geo = load_geometry()
    lesions = tuple(Lesion(f"L{i}", tuple(codes), 10) for i, codes in enumerate(segment_lists))
    pos = lesion_positions(lesions, geo)
    assert set(pos) == {les.id for les in lesions}
    for les in lesions:
        units = {u for c in les.segments for u in (("IVa", "IVb") if c == "IV" else (c,))}
        assert any(point_in_polygon(pos[les.id], geo.segment(u).points) for u in units), (les, pos[les.id])
