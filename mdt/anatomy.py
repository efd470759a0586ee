"""Couinaud anatomy as data (docs/clinical/conventions.md#what-a-remnant-segment-depends-on).

Sources: Brisbane 2000 terminology (IHPBA, HPB 2000;2:333-339) for hemilivers
and named resections; the project's docs/clinical/conventions.md#segment-inflow-and-outflow for inflow/outflow columns,
contiguity and remnant vessels.

Segments are the nine units I, II, III, IVa, IVb, V, VI, VII, VIII.  A case may
say ``IV`` without a or b: :func:`expand` turns it into both halves.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from itertools import combinations

from mdt.case import SEGMENTS

UNITS: tuple[str, ...] = tuple(s for s in SEGMENTS if s != "IV")
"""The nine anatomical units, in display order: the case format's segment codes (``mdt.case.SEGMENTS``,
the one list, in anatomical order) without the undivided ``IV``, which :func:`expand` splits."""

SEGMENT_ORDER: dict[str, int] = {s: i for i, s in enumerate(SEGMENTS)}
"""Anatomical order of every segment code a case may hold (``IV`` beside its halves)."""


def sort_segments(codes: Iterable[str]) -> tuple[str, ...]:
    """Segment codes of a case (``IV`` allowed) without duplicates, in anatomical order."""
    return tuple(sorted(set(codes), key=SEGMENT_ORDER.__getitem__))

RIGHT_HEMILIVER: frozenset[str] = frozenset({"V", "VI", "VII", "VIII"})
LEFT_HEMILIVER: frozenset[str] = frozenset({"II", "III", "IVa", "IVb"})
"""Brisbane 2000: segment I belongs to neither hemiliver."""

SECTIONS: dict[str, frozenset[str]] = {
    "right_anterior": frozenset({"V", "VIII"}),
    "right_posterior": frozenset({"VI", "VII"}),
    "left_medial": frozenset({"IVa", "IVb"}),
    "left_lateral": frozenset({"II", "III"}),
    "caudate": frozenset({"I"}),
}

CONTIGUITY: frozenset[frozenset[str]] = frozenset(
    frozenset(pair) for pair in (
        ("I", "II"), ("I", "IVa"), ("I", "IVb"), ("I", "VII"), ("I", "VIII"),
        ("II", "III"), ("II", "IVa"), ("III", "IVb"), ("IVa", "IVb"), ("IVa", "VIII"),
        ("IVb", "V"), ("V", "VI"), ("V", "VIII"), ("VI", "VII"), ("VII", "VIII"),
    )
)
"""Undirected surface contacts used for the "two contiguous segments" rule."""

# Inflow: every listed structure must survive. Segment I takes the portal branch
# of whichever side stays, hence the alternatives tuple.
INFLOW: dict[str, tuple[str | tuple[str, ...], ...]] = {
    "I": ("MPV", ("LPV", "RPV")),
    "II": ("MPV", "LPV"),
    "III": ("MPV", "LPV"),
    "IVa": ("MPV", "LPV"),
    "IVb": ("MPV", "LPV"),
    "V": ("MPV", "RPV", "RAPV"),
    "VIII": ("MPV", "RPV", "RAPV"),
    "VI": ("MPV", "RPV", "RPPV"),
    "VII": ("MPV", "RPV", "RPPV"),
}
"""For each segment, the inflow that must all survive (a tuple entry = one of)."""

OUTFLOW: dict[str, tuple[str, ...]] = {
    "I": ("IVC",),
    "II": ("LHV",),
    "III": ("LHV",),
    "IVa": ("MHV", "LHV"),
    "IVb": ("MHV", "LHV"),
    "V": ("MHV", "RHV"),
    "VIII": ("MHV", "RHV"),
    "VI": ("RHV", "IRHV"),
    "VII": ("RHV",),
}
"""For each segment, the hepatic veins of which at least one must survive.
Every hepatic vein ends in the retrohepatic IVC, so a sacrificed IVC drains nothing."""

# Arterial and biliary structures follow the portal column of the same side.
FOLLOWS_PORTAL: dict[str, str] = {
    "PHA": "MPV", "BC": "MPV",
    "RHA": "RPV", "RHD": "RPV",
    "LHA": "LPV", "LHD": "LPV",
}

PORTAL_VEINS = ("MPV", "RPV", "LPV", "RAPV", "RPPV")
HEPATIC_VEINS = ("RHV", "MHV", "LHV", "IRHV")

RESECTIONS: dict[str, frozenset[str]] = {
    "right_hepatectomy": frozenset({"V", "VI", "VII", "VIII"}),
    "left_hepatectomy": frozenset({"II", "III", "IVa", "IVb"}),
    "extended_right_hepatectomy": frozenset({"IVa", "IVb", "V", "VI", "VII", "VIII"}),
    "extended_left_hepatectomy": frozenset({"II", "III", "IVa", "IVb", "V", "VIII"}),
    "right_anterior_sectionectomy": frozenset({"V", "VIII"}),
    "right_posterior_sectionectomy": frozenset({"VI", "VII"}),
    "left_lateral_sectionectomy": frozenset({"II", "III"}),
    "left_medial_sectionectomy": frozenset({"IVa", "IVb"}),
    "central_hepatectomy": frozenset({"IVa", "IVb", "V", "VIII"}),
    "caudate_lobectomy": frozenset({"I"}),
}
"""Named resections (Brisbane 2000) and the segments each removes."""

RESECTION_LABELS: dict[str, str] = {
    "right_hepatectomy": "Right hepatectomy",
    "left_hepatectomy": "Left hepatectomy",
    "extended_right_hepatectomy": "Extended right hepatectomy (right trisectionectomy)",
    "extended_left_hepatectomy": "Extended left hepatectomy (left trisectionectomy)",
    "right_anterior_sectionectomy": "Right anterior sectionectomy",
    "right_posterior_sectionectomy": "Right posterior sectionectomy",
    "left_lateral_sectionectomy": "Left lateral sectionectomy",
    "left_medial_sectionectomy": "Left medial sectionectomy",
    "central_hepatectomy": "Central hepatectomy",
    "caudate_lobectomy": "Caudate lobectomy",
}


def expand(segments: Iterable[str]) -> frozenset[str]:
    """Anatomical units for recorded segment codes (``IV`` becomes IVa and IVb)."""
    out: set[str] = set()
    for seg in segments:
        if seg == "IV":
            out.update(("IVa", "IVb"))
        elif seg in UNITS:
            out.add(seg)
        else:
            raise ValueError(f"unknown segment {seg!r}")
    return frozenset(out)


_ORDER: dict[str, int] = {s: i for i, s in enumerate(UNITS)}


def sort_units(segments: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(segments), key=_ORDER.__getitem__))


def remnant_of(resection: str) -> frozenset[str]:
    """The segments a named resection leaves."""
    return frozenset(UNITS) - RESECTIONS[resection]


_BY_REMNANT: dict[frozenset[str], str] = {
    frozenset(UNITS) - removed: name for name, removed in RESECTIONS.items()
}


def resection_for_remnant(remnant: Iterable[str]) -> str | None:
    """The named resection whose remnant is exactly ``remnant``, if any."""
    return _BY_REMNANT.get(frozenset(remnant))


def adjacent(a: str, b: str) -> bool:
    return frozenset((a, b)) in CONTIGUITY


def is_connected(segments: Iterable[str]) -> bool:
    """True when the segments form one contiguous block (a single segment counts)."""
    segs = set(segments)
    if not segs:
        return False
    start = next(iter(segs))
    seen = {start}
    stack = [start]
    while stack:
        cur = stack.pop()
        for other in segs - seen:
            if adjacent(cur, other):
                seen.add(other)
                stack.append(other)
    return seen == segs


def has_two_contiguous(segments: Iterable[str]) -> bool:
    """At least one pair of the given segments touches."""
    return _has_two_contiguous(frozenset(segments))


@lru_cache(maxsize=1024)
def _has_two_contiguous(segments: frozenset[str]) -> bool:
    return any(adjacent(a, b) for a, b in combinations(segments, 2))


TABLE1_VESSELS: frozenset[str] = frozenset({"MPV", "RPV", "LPV", "RHV", "MHV", "LHV", "IVC"})
"""The major vessels NCT05103020 Table 1 names for U2; RAPV, RPPV and IRHV serve segment
viability only."""


def remnant_vessels(remnant: Iterable[str]) -> frozenset[str]:
    """Major vessels of a remnant (U2, docs/clinical/conventions.md#vessels-of-the-remnant): Table 1's vessels its segments need -
    MPV and IVC always; LPV and LHV with II, III or IV; MHV with IV, V or VIII; RPV and RHV with
    any of V-VIII.  Sectoral branches (RAPV, RPPV) and the IRHV are never among them."""
    return _remnant_vessels(frozenset(remnant))


@lru_cache(maxsize=1024)
def _remnant_vessels(rem: frozenset[str]) -> frozenset[str]:
    vessels: set[str] = {"MPV", "IVC"} if rem else set()
    for seg in rem:
        for item in INFLOW[seg]:
            if isinstance(item, tuple):
                continue  # segment I: the side that stays is counted by the other segments
            vessels.add(item)
        vessels.update(OUTFLOW[seg])
    return frozenset(vessels & TABLE1_VESSELS)


def lost_structures(sacrificed: Iterable[str]) -> frozenset[str]:
    """The sacrificed structures plus the portal column each arterial/biliary one follows."""
    lost = set(sacrificed)
    for structure, column in FOLLOWS_PORTAL.items():
        if structure in lost:
            lost.add(column)
    return frozenset(lost)


def supply_problems(segment: str, lost: frozenset[str], remnant: Iterable[str] = ()) -> tuple[str, ...]:
    """Why a segment is not viable once ``lost`` (see :func:`lost_structures`) is gone.

    Returns short phrases ("inflow RPV lost", "no outflow left (RHV lost)",
    "IVC lost"); an empty tuple means the segment is viable.
    """
    sides: tuple[str, ...] = ()
    if segment == "I":
        rem = set(remnant)
        sides = (("LPV",) if rem & LEFT_HEMILIVER else ()) + \
            (("RPV",) if rem & RIGHT_HEMILIVER else ())
        sides = sides or ("LPV", "RPV")
    return _supply_problems(segment, frozenset(lost), sides)


@lru_cache(maxsize=16384)
def _supply_problems(segment: str, lost: frozenset[str], sides: tuple[str, ...]) -> tuple[str, ...]:
    if "IVC" in lost:
        return ("IVC lost: no hepatic vein can drain",)
    problems: list[str] = []
    for item in INFLOW[segment]:
        if isinstance(item, tuple):
            if all(side in lost for side in sides):
                problems.append("inflow " + "/".join(sides) + " lost")
        elif item in lost:
            problems.append(f"inflow {item} lost")
    if all(vein in lost for vein in OUTFLOW[segment]):
        problems.append("no outflow left (" + ", ".join(OUTFLOW[segment]) + " lost)")
    return tuple(problems)


def segment_viable(segment: str, sacrificed: frozenset[str], remnant: Iterable[str] = ()) -> bool:
    """A segment is viable when all its inflow survives and one outflow vein survives.

    ``sacrificed`` holds the structures the plan resects (every vessel a removed
    lesion touches).  Arterial and biliary structures count against the portal
    column they follow.  Segment I needs the portal branch of the side that stays.
    """
    return not supply_problems(segment, lost_structures(sacrificed), remnant)


COUINAUD_SEGMENT: dict[str, str] = {u: ("IV" if u in ("IVa", "IVb") else u) for u in UNITS}
"""The classic 8-segment name of each unit (IVa and IVb together are segment IV)."""


def segment_count(units: Iterable[str], count_units: int = 8) -> int:
    """How many segments a set of units holds: 8-unit counting pools IVa and IVb."""
    units = frozenset(units)
    if count_units == 9:
        return len(units)
    return len(units) - (1 if "IVa" in units and "IVb" in units else 0)


def describe_units(units: Iterable[str]) -> str:
    """Readable list of units, with IVa + IVb shown as IV."""
    return _describe_units(frozenset(units))


@lru_cache(maxsize=2048)
def _describe_units(units: frozenset[str]) -> str:
    ordered = list(sort_units(units))
    if "IVa" in ordered and "IVb" in ordered:
        i = ordered.index("IVa")
        ordered[i:i + 2] = ["IV"]
    return ", ".join(ordered)
