"""Couinaud anatomy as data, checked against the tables of docs/clinical/conventions.md#what-a-remnant-segment-depends-on."""

from __future__ import annotations

import pytest

from mdt import anatomy
from mdt.protocols.plans import CANDIDATES


def test_units_and_hemilivers() -> None:
    assert anatomy.UNITS == ("I", "II", "III", "IVa", "IVb", "V", "VI", "VII", "VIII")
    assert anatomy.RIGHT_HEMILIVER == {"V", "VI", "VII", "VIII"}
    assert anatomy.LEFT_HEMILIVER == {"II", "III", "IVa", "IVb"}
    assert "I" not in anatomy.RIGHT_HEMILIVER | anatomy.LEFT_HEMILIVER


def test_contiguity_is_exactly_the_conventions_list() -> None:
    edges = {"I–II", "I–IVa", "I–IVb", "I–VII", "I–VIII", "II–III", "II–IVa", "III–IVb",
             "IVa–IVb", "IVa–VIII", "IVb–V", "V–VI", "V–VIII", "VI–VII", "VII–VIII"}
    assert anatomy.CONTIGUITY == {frozenset(e.split("–")) for e in edges}


@pytest.mark.parametrize(("a", "b", "touch"), [
    ("II", "III", True), ("III", "IVb", True), ("IVb", "V", True), ("I", "VII", True),
    ("II", "V", False), ("II", "VI", False), ("III", "VII", False), ("VI", "IVa", False),
    ("III", "IVa", False),
])
def test_adjacent(a: str, b: str, touch: bool) -> None:
    assert anatomy.adjacent(a, b) is touch
    assert anatomy.adjacent(b, a) is touch


@pytest.mark.parametrize(("name", "removed"), [
    ("right_hepatectomy", {"V", "VI", "VII", "VIII"}),
    ("left_hepatectomy", {"II", "III", "IVa", "IVb"}),
    ("extended_right_hepatectomy", {"IVa", "IVb", "V", "VI", "VII", "VIII"}),
    ("extended_left_hepatectomy", {"II", "III", "IVa", "IVb", "V", "VIII"}),
    ("right_anterior_sectionectomy", {"V", "VIII"}),
    ("right_posterior_sectionectomy", {"VI", "VII"}),
    ("left_lateral_sectionectomy", {"II", "III"}),
    ("left_medial_sectionectomy", {"IVa", "IVb"}),
    ("central_hepatectomy", {"IVa", "IVb", "V", "VIII"}),
    ("caudate_lobectomy", {"I"}),
])
def test_named_resections(name: str, removed: set[str]) -> None:
    assert anatomy.RESECTIONS[name] == removed
    assert anatomy.remnant_of(name) == set(anatomy.UNITS) - removed
    assert anatomy.resection_for_remnant(anatomy.remnant_of(name)) == name


@pytest.mark.parametrize(("segment", "inflow", "outflow"), [
    ("II", {"MPV", "LPV"}, {"LHV"}), ("III", {"MPV", "LPV"}, {"LHV"}),
    ("IVa", {"MPV", "LPV"}, {"MHV", "LHV"}), ("IVb", {"MPV", "LPV"}, {"MHV", "LHV"}),
    ("V", {"MPV", "RPV", "RAPV"}, {"MHV", "RHV"}), ("VIII", {"MPV", "RPV", "RAPV"}, {"MHV", "RHV"}),
    ("VI", {"MPV", "RPV", "RPPV"}, {"RHV", "IRHV"}), ("VII", {"MPV", "RPV", "RPPV"}, {"RHV"}),
])
def test_inflow_outflow_columns(segment: str, inflow: set[str], outflow: set[str]) -> None:
    assert set(anatomy.INFLOW[segment]) == inflow
    assert set(anatomy.OUTFLOW[segment]) == outflow
    for vessel in inflow:  # losing any inflow kills the segment
        assert not anatomy.segment_viable(segment, frozenset({vessel}))
    for vessel in outflow:  # losing one outflow alternative alone does not when another exists
        assert anatomy.segment_viable(segment, frozenset({vessel})) is (len(outflow) > 1)
    assert not anatomy.segment_viable(segment, frozenset(outflow))


def test_caudate_needs_the_portal_side_that_stays() -> None:
    left_remnant = {"I", "II", "III"}
    assert not anatomy.segment_viable("I", frozenset({"LPV"}), left_remnant)
    assert anatomy.segment_viable("I", frozenset({"RPV"}), left_remnant)
    right_remnant = {"I", "VI", "VII"}
    assert not anatomy.segment_viable("I", frozenset({"RPV"}), right_remnant)
    assert anatomy.segment_viable("I", frozenset({"LPV"}), right_remnant)


def test_ivc_drains_everything_and_mpv_feeds_everything() -> None:
    for seg in anatomy.UNITS:
        assert not anatomy.segment_viable(seg, frozenset({"IVC"}), anatomy.UNITS)
        assert not anatomy.segment_viable(seg, frozenset({"MPV"}), anatomy.UNITS)


@pytest.mark.parametrize(("structure", "column", "killed"), [
    ("RHA", "RPV", "VI"), ("RHD", "RPV", "V"), ("LHA", "LPV", "II"), ("LHD", "LPV", "III"),
    ("PHA", "MPV", "VII"), ("BC", "MPV", "II"),
])
def test_arterial_and_biliary_follow_the_portal_column(structure: str, column: str,
                                                       killed: str) -> None:
    assert anatomy.lost_structures({structure}) >= {column}
    assert not anatomy.segment_viable(killed, frozenset({structure}), anatomy.UNITS)


def test_remnant_vessels_of_a_right_hepatectomy() -> None:
    assert anatomy.remnant_vessels(anatomy.remnant_of("right_hepatectomy")) == {
        "MPV", "LPV", "LHV", "MHV", "IVC"}


@pytest.mark.parametrize(("remnant", "vessels"), [
    # docs/clinical/conventions.md#vessels-of-the-remnant: only the vessels Table 1 names; RAPV, RPPV and IRHV serve
    # segment viability (U1) only.
    ({"II", "III"}, {"MPV", "IVC", "LPV", "LHV"}),
    ({"V", "VIII"}, {"MPV", "IVC", "RPV", "MHV", "RHV"}),
    ({"VI", "VII"}, {"MPV", "IVC", "RPV", "RHV"}),
    ({"IVa", "IVb"}, {"MPV", "IVC", "LPV", "LHV", "MHV"}),
    ({"I", "VII"}, {"MPV", "IVC", "RPV", "RHV"}),
    ({"I"}, {"MPV", "IVC"}),
])
def test_remnant_vessels(remnant: set[str], vessels: set[str]) -> None:
    assert anatomy.remnant_vessels(remnant) == vessels


def test_expand_and_counting() -> None:
    assert anatomy.expand(["IV", "II"]) == {"IVa", "IVb", "II"}
    with pytest.raises(ValueError):
        anatomy.expand(["IX"])
    assert anatomy.segment_count({"IVa", "IVb", "II"}, 8) == 2
    assert anatomy.segment_count({"IVa", "IVb", "II"}, 9) == 3
    assert anatomy.describe_units({"IVb", "IVa", "I"}) == "I, IV"
    assert anatomy.describe_units({"IVb", "I"}) == "I, IVb"


def test_candidate_remnants_are_every_connected_set_of_two_or_more_units() -> None:
    masks = {c.units for c in CANDIDATES}
    assert frozenset(anatomy.UNITS) in masks
    assert frozenset({"II", "III"}) in masks
    assert frozenset({"II", "V"}) not in masks  # not contiguous
    assert all(len(c.units) >= 2 and anatomy.is_connected(c.units) for c in CANDIDATES)
    assert 100 < len(CANDIDATES) < 512
