"""Remnant planning: check a plan and search every remnant for the best one.

docs/clinical/conventions.md#what-a-remnant-segment-depends-on fixes the model: an R0 plan sacrifices
every vessel a lesion
touches; a remnant segment is viable when all its inflow survives and one of
its outflow veins survives; a lesion lying (even partly) in the remnant must be
treated there (wedge only when it touches no vessel, ablation only where the
protocol counts it); the search covers every connected remnant of at least two
segments.  The candidates are computed once per process; a set of candidates is
one Python integer (a bit per candidate, in rank order), so the search is a few
dozen integer operations, memoised per disease signature.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple, cast

from mdt import anatomy
from mdt.case import VESSEL_STRUCTURES, Review
from mdt.exact import exact
from mdt.glossary import units_range
from mdt.protocols.model import Settings

UNIT_BIT: dict[str, int] = {u: 1 << i for i, u in enumerate(anatomy.UNITS)}
ALL_UNITS_MASK = (1 << len(anatomy.UNITS)) - 1
VESSEL_BIT: dict[str, int] = {v: 1 << i for i, v in enumerate(VESSEL_STRUCTURES)}
LEFT_MASK = sum(UNIT_BIT[u] for u in anatomy.LEFT_HEMILIVER)
RIGHT_MASK = sum(UNIT_BIT[u] for u in anatomy.RIGHT_HEMILIVER)
I_BIT = UNIT_BIT["I"]


def units_mask(units: Iterable[str]) -> int:
    mask = 0
    for u in units:
        mask |= UNIT_BIT[u]
    return mask


def mask_units(mask: int) -> frozenset[str]:
    return _MASK_UNITS[mask]


_MASK_UNITS: tuple[frozenset[str], ...] = tuple(
    frozenset(u for u, b in UNIT_BIT.items() if mask & b) for mask in range(ALL_UNITS_MASK + 1))


def vessels_mask(structures: Iterable[str]) -> int:
    mask = 0
    for s in structures:
        mask |= VESSEL_BIT[s]
    return mask


@dataclass(frozen=True, slots=True)
class Candidate:
    mask: int
    units: frozenset[str]
    remnant_vessels: int
    """Bit mask of the remnant's major vessels (U2)."""
    segments8: int
    segments9: int
    resection: str | None


def _connected_candidates() -> tuple[Candidate, ...]:
    out = []
    for mask in range(1, ALL_UNITS_MASK + 1):
        units = mask_units(mask)
        if len(units) < 2 or not anatomy.is_connected(units):
            continue
        out.append(Candidate(
            mask=mask, units=units,
            remnant_vessels=vessels_mask(anatomy.remnant_vessels(units)),
            segments8=anatomy.segment_count(units, 8),
            segments9=len(units),
            resection=anatomy.resection_for_remnant(units),
        ))
    return tuple(out)


CANDIDATES: tuple[Candidate, ...] = _connected_candidates()
"""Every connected set of at least two units (computed once at import)."""


# --------------------------------------------------------------------------- disease facts

class LesionFacts(NamedTuple):
    """A present lesion as the planner sees it (a tuple: a few per review, read very often)."""
    id: str
    segments: tuple[str, ...]
    units: frozenset[str]
    mask: int
    diameter: Fraction | None
    contacts: tuple[tuple[str, str], ...]
    """(structure, relation) pairs recorded for this lesion."""
    label: str
    """"L1 (VII, VIII)"."""

    @property
    def wedgeable(self) -> bool:
        return not self.contacts


@dataclass(frozen=True, slots=True)
class Disease:
    """The liver disease of one review as the planner sees it."""
    lesions: tuple[LesionFacts, ...]
    """Lesions with status ``present``, in recorded order."""
    orphan_contacts: tuple[tuple[str, str], ...]
    """Vessel relations recorded without a (present) lesion id."""
    touched: frozenset[str]
    lost: frozenset[str]
    touched_by: Mapping[str, tuple[str, ...]]
    ignored_contacts: tuple[str, ...] = ()
    vessels_assessed: bool = True
    """False when the review's vessel relations are not assessed (``vessels`` null): the
    planner then sees no contact, and the rules turn every favourable answer into unknown."""
    memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)
    """Per-review memo of explanation fragments (plans share them)."""

    def lost_keeping(self, kept: int) -> frozenset[str]:
        """Structures lost when the lesions at the set bit positions of ``kept`` (bit i is
        ``lesions[i]``) stay in place (ablated, or left untreated): they leave their vessels,
        every other lesion takes the vessels it touches."""
        if not kept:
            return self.lost
        hit = self.memo.get(kept)
        if hit is None:
            touched = {s for i, les in enumerate(self.lesions) if not kept >> i & 1
                       for s, _ in les.contacts}
            touched.update(s for s, _ in self.orphan_contacts)
            hit = self.memo[kept] = anatomy.lost_structures(touched)
        return hit  # type: ignore[return-value]

    def who_touches(self, structure: str) -> str:
        ids = self.touched_by.get(structure, ())
        return ", ".join(ids) if ids else "a lesion"


@lru_cache(maxsize=1024)
def _expand(segments: tuple[str, ...]) -> tuple[frozenset[str], int]:
    units = anatomy.expand(segments)
    return units, units_mask(units)


@lru_cache(maxsize=4096)
def _lost(touched: frozenset[str]) -> frozenset[str]:
    return anatomy.lost_structures(touched)


def disease_of(review: Review) -> Disease:
    present = [les for les in review.lesions if les.status == "present"]
    present_ids = {les.id for les in present}
    all_ids = {les.id for les in review.lesions}
    contacts: dict[str, list[tuple[str, str]]] = {les.id: [] for les in present}
    orphans: list[tuple[str, str]] = []
    ignored: list[str] = []
    touched_by: dict[str, list[str]] = {}
    for vc in review.vessels or ():
        if vc.lesion is not None and vc.lesion in present_ids:
            contacts[vc.lesion].append((vc.structure, vc.relation))
            touched_by.setdefault(vc.structure, []).append(vc.lesion)
        elif vc.lesion is not None and vc.lesion in all_ids:
            # The lesion disappeared or was treated: its old relation no longer binds a plan.
            ignored.append(f"{vc.structure} {vc.relation} of {vc.lesion} (lesion not present)")
        else:
            orphans.append((vc.structure, vc.relation))
            touched_by.setdefault(vc.structure, []).append(
                "an unnamed lesion" if vc.lesion is None else f"unknown lesion {vc.lesion}")
    if not present and orphans:
        # Relations without any lesion present describe nothing a plan has to clear.
        ignored.extend(f"{s} {r} recorded while no lesion is present" for s, r in orphans)
        orphans = []
        touched_by = {}
    lesions = []
    for les in present:
        segments = tuple(les.segments)
        units, mask = _expand(segments)
        lesions.append(LesionFacts(
            les.id, segments, units, mask,
            None if les.diameter_mm is None else exact(les.diameter_mm),
            tuple(contacts[les.id]), f"{les.id} ({', '.join(segments)})"))
    touched = frozenset(s for les in lesions for s, _ in les.contacts) | {s for s, _ in orphans}
    return Disease(
        lesions=tuple(lesions), orphan_contacts=tuple(orphans), touched=touched,
        lost=_lost(touched),
        touched_by={k: tuple(dict.fromkeys(v)) for k, v in touched_by.items()},
        ignored_contacts=tuple(ignored), vessels_assessed=review.vessels is not None,
    )


@lru_cache(maxsize=64)
def _limit(text: str) -> Fraction:
    return exact(text)


def ablatable(lesion: LesionFacts, settings: Settings) -> bool:
    if not settings.ablation_counts_as_resection or lesion.diameter is None:
        return False
    if settings.ablation_excluded_near and any(
            st in settings.ablation_excluded_near for st, _ in lesion.contacts):
        return False
    return lesion.diameter <= _limit(settings.ablation_max_diameter_mm)


def optimistic_disease(disease: Disease, settings: Settings
                       ) -> tuple[Disease | None, tuple[LesionFacts, ...]]:
    """The disease with every unmeasured lesion that touches a vessel taken as small enough to
    ablate, and those lesions; (None, ()) when ablation does not count or no such lesion exists.

    The planner treats a lesion without a diameter as not ablatable; a verdict that only this
    pessimism produces depends on missing data, and the rules use this to say so (unknown).
    """
    if not settings.ablation_counts_as_resection:
        return None, ()
    unsized = tuple(les for les in disease.lesions if les.diameter is None and les.contacts
                    and not any(st in settings.ablation_excluded_near for st, _ in les.contacts))
    if not unsized:
        return None, ()
    ids = {les.id for les in unsized}
    lesions = tuple(les._replace(diameter=Fraction(0)) if les.id in ids else les
                    for les in disease.lesions)
    return replace(disease, lesions=lesions, memo={}), unsized


def auto_local_method(lesion: LesionFacts, settings: Settings) -> str | None:
    """How the search treats a lesion lying in the remnant: wedge, ablation or not at all."""
    if lesion.wedgeable:
        return "wedge"
    if ablatable(lesion, settings):
        return "ablation"
    return None


# --------------------------------------------------------------------------- one plan

@dataclass(frozen=True, slots=True)
class PlanCheck:
    remnant: frozenset[str]
    """The remnant as planned."""
    resection: str | None
    recorded: bool
    local: tuple[tuple[str, str], ...]
    untreated: tuple[str, ...]
    """Why disease would stay behind (empty when every lesion is cleared)."""
    untreated_ids: tuple[str, ...]
    """The lesions that would stay behind."""
    dropped: tuple[tuple[str, str], ...]
    """(segment, why) for planned remnant segments that lose inflow or outflow: resected with
    the specimen (setting ``nonviable_segments_resected``), else a reason the plan fails."""
    viable: frozenset[str]
    """The remnant that stays: the planned one less the dropped segments."""
    remnant_contacts: tuple[tuple[str, tuple[str, ...]], ...]
    """(major vessel of the planned remnant, lesion ids touching it)."""
    segment_count: int
    """Segments of the remnant that stays (under the protocol's counting)."""
    min_segments: int
    pieces: tuple[frozenset[str], ...]
    """The remnant that stays, as contiguous pieces (one when it is one block)."""
    drop_allowed: bool = True
    contiguity_required: bool = True
    volume_status: str = "not_assessed"
    """``met`` adequate, ``not_met`` insufficient, ``undecided`` (measured for this remnant but
    not judgeable: it could be insufficient), ``unknown`` (stale or not attributable: not used),
    or ``not_assessed``."""
    volume_reason: str = ""
    volume_counts: bool = False

    @property
    def cleared(self) -> bool:
        return not self.untreated

    @property
    def nonviable(self) -> tuple[tuple[str, str], ...]:
        return self.dropped

    planned_pieces: tuple[frozenset[str], ...] = ()
    """The remnant as planned, as contiguous pieces: a recorded remnant in pieces fails even if
    the segments that stay happen to touch (docs/clinical/conventions.md#a-remnant-is-one-contiguous-piece)."""

    @property
    def contiguous(self) -> bool:
        return len(self.pieces) == 1 and len(self.planned_pieces) <= 1

    @property
    def enough_segments(self) -> bool:
        return self.segment_count >= self.min_segments

    @property
    def feasible_segments(self) -> bool:
        """Every lesion cleared and the remnant that stays is viable, large and whole enough."""
        return (self.cleared and bool(self.viable) and self.enough_segments
                and (self.contiguous or not self.contiguity_required)
                and (self.drop_allowed or not self.dropped))

    @property
    def feasible(self) -> bool:
        """Not known to fail: see :attr:`volume_undecided` for a plan that may still fail."""
        return self.feasible_segments and not (self.volume_counts
                                               and self.volume_status == "not_met")

    @property
    def volume_undecided(self) -> bool:
        """The plan passes the segment tests, and its measured remnant volume, which counts,
        cannot be judged: whether it works is unknown, never a pass."""
        return self.volume_counts and self.volume_status == "undecided" and self.feasible

    @property
    def name(self) -> str:
        if self.resection:
            return anatomy.RESECTION_LABELS[self.resection].lower()
        if self.remnant == frozenset(anatomy.UNITS):
            return "no anatomical resection"
        return "resection leaving " + units_range(self.remnant)

    @property
    def remnant_text(self) -> str:
        return units_range(self.viable if self.drop_allowed else self.remnant)

    def with_volume(self, status: str, reason: str, counts: bool) -> PlanCheck:
        return replace(self, volume_status=status, volume_reason=reason, volume_counts=counts)

    def reasons(self) -> tuple[str, ...]:
        """Why the plan does not work (empty when it does)."""
        out = list(self.untreated)
        if not self.drop_allowed:
            out += [f"remnant segment {why}" for _seg, why in self.dropped]
        if not self.viable:
            out.append("no remnant segment keeps its inflow and outflow")
        elif self.contiguity_required and not self.contiguous:
            out.append(pieces_text(self.planned_pieces if len(self.planned_pieces) > 1
                                   else self.pieces))
        if self.viable and not self.enough_segments:
            out.append(f"leaves {self.segment_count} viable segment(s) "
                       f"({units_range(self.viable)}); at least {self.min_segments} needed")
        if self.volume_counts and self.volume_status == "not_met":
            out.append(self.volume_reason or "remnant volume insufficient")
        if self.volume_undecided:
            out.append(self.volume_reason or "remnant volume undecided")
        return tuple(out)

    def short_reason(self) -> str:
        """Why the plan fails, in a few words for a one-line finding ("" when it works)."""
        if self.untreated:
            return "leaves " + ", ".join(self.untreated_ids) + " untreated in the remnant"
        if not self.drop_allowed and self.dropped:
            return self.dropped[0][1]
        if not self.viable:
            return "no remnant segment keeps its inflow and outflow"
        if self.contiguity_required and not self.contiguous:
            pieces = self.planned_pieces if len(self.planned_pieces) > 1 else self.pieces
            return (f"remnant in {len(pieces)} separate pieces ("
                    + " | ".join(units_range(p) for p in pieces) + ")")
        if not self.enough_segments:
            return f"only {self.segment_count} viable segment(s) ({units_range(self.viable)})"
        if self.volume_counts and self.volume_status == "not_met":
            return self.volume_reason or "remnant volume insufficient"
        if self.volume_undecided:
            return self.volume_reason or "remnant volume undecided"
        return ""

    def notes(self) -> tuple[str, ...]:
        """What the plan takes beyond its planned resection (segments resected with the
        specimen), when that reading is on."""
        if not self.drop_allowed:
            return ()
        return tuple(f"{why}: resected with the specimen" for _seg, why in self.dropped)


def pieces_text(pieces: tuple[frozenset[str], ...]) -> str:
    """"the remnant is in 2 separate pieces (II | VI); between them: I, VII"."""
    named = " | ".join(units_range(p) for p in pieces)
    gap = bridge(pieces[0], frozenset().union(*pieces[1:])) if len(pieces) > 1 else ()
    return (f"the remnant is in {len(pieces)} separate pieces ({named})"
            + (f"; between them: {anatomy.describe_units(gap)}" if gap else ""))


@lru_cache(maxsize=1024)
def components(units: frozenset[str]) -> tuple[frozenset[str], ...]:
    """The contiguous pieces of a set of units, in display order of their first unit."""
    left = set(units)
    out: list[frozenset[str]] = []
    for start in anatomy.UNITS:
        if start not in left:
            continue
        piece = {start}
        stack = [start]
        while stack:
            cur = stack.pop()
            for other in list(left - piece):
                if anatomy.adjacent(cur, other):
                    piece.add(other)
                    stack.append(other)
        left -= piece
        out.append(frozenset(piece))
    return tuple(out)


def bridge(a: frozenset[str], b: frozenset[str]) -> tuple[str, ...]:
    """The fewest units outside both sets that join ``a`` to ``b`` (the gap to name)."""
    frontier: list[tuple[str, tuple[str, ...]]] = [(u, ()) for u in anatomy.sort_units(a)]
    seen = set(a)
    while frontier:
        nxt: list[tuple[str, tuple[str, ...]]] = []
        for cur, path in frontier:
            for other in anatomy.UNITS:
                if other in seen or not anatomy.adjacent(cur, other):
                    continue
                if other in b:
                    return tuple(path)
                seen.add(other)
                nxt.append((other, (*path, other)))
        frontier = nxt
    return ()


def plan_units(resection: str | None, segments: Iterable[str] | None) -> frozenset[str] | None:
    if segments is not None:
        return anatomy.expand(segments)
    if resection is not None:
        return anatomy.remnant_of(resection)
    return None


def check_plan(disease: Disease, remnant: frozenset[str], settings: Settings,
               local: Mapping[str, str] | None = None, resection: str | None = None,
               volume: Callable[[frozenset[str]], tuple[str, str]] | None = None) -> PlanCheck:
    """Check one plan.  ``local`` is the recorded local treatment; None lets the planner choose.

    The structures lost are those every resected lesion touches (a lesion ablated in place keeps
    its own).  A planned segment that loses inflow or outflow is dropped: resected with the
    specimen when ``nonviable_segments_resected`` is on (the plan is then judged on what stays),
    else the plan fails.  A lesion counts as cleared when it lies in no segment that stays, or
    is treated there."""
    recorded = local is not None
    drop = settings.nonviable_segments_resected
    auto = {} if recorded else _auto_methods(disease, settings)
    methods: dict[str, str | None] = {}
    for les in disease.lesions:
        if recorded:
            methods[les.id] = (local or {}).get(les.id)
        else:
            methods[les.id] = auto[les.id]
    takes = settings.recorded_wedge_takes_vessels or not recorded
    rmask = units_mask(remnant)
    smask = rmask
    dropped: list[tuple[str, str]] = []
    vmask = rmask
    lesions = disease.lesions
    while True:
        # A lesion left in the remnant that stays (untreated or ablated) keeps its vessels; a
        # resected or wedged one takes them.  Segments losing their supply drop out of the
        # remnant (with the lesions in them): repeat until nothing more is lost.
        kept = 0
        for i, les in enumerate(lesions):
            if les.mask & smask and not (methods[les.id] == "wedge"
                                         and (takes or not les.contacts)):
                kept |= 1 << i
        lost = disease.lost_keeping(kept)
        dropped, vmask = [], rmask
        if lost:
            base = _viable_bits(disease, lost)
            dead = rmask & ~base & ~I_BIT
            if rmask & I_BIT:
                dead |= I_BIT  # the caudate depends on the side that stays
            for seg, bit in _UNITS_OF[dead]:
                problems = anatomy.supply_problems(seg, lost, remnant)
                if problems:
                    vmask &= ~bit
                    dropped.append((seg, _loss_phrase(seg, problems, disease)))
        nxt = vmask if drop else rmask
        if nxt == smask:
            break
        smask = nxt
    stays, viable = mask_units(smask), mask_units(vmask)
    treated: list[tuple[str, str]] = []
    untreated: list[str] = []
    untreated_ids: list[str] = []
    for les in disease.lesions:
        if not les.mask & smask:
            continue
        where = anatomy.describe_units(les.units & stays)
        method = methods[les.id]
        why = (_recorded_problem(les, method, where, settings) if recorded
               else None if method is not None
               else f"{les.label} lies in remnant segment(s) {where} and "
                    f"{_why_not_local(les, settings)}")
        if why is None:
            treated.append((les.id, method))  # type: ignore[arg-type]
        else:
            untreated.append(why)
            untreated_ids.append(les.id)
    contacts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if disease.touched:
        # "Of the remnant": the remnant the plan keeps as planned (a vessel a wedge takes, or
        # that the IVC drains for every segment, belongs to it even when segments drop out).
        rv = anatomy.remnant_vessels(remnant)
        contacts = tuple((s, disease.touched_by.get(s, ())) for s in VESSEL_STRUCTURES
                         if s in rv and s in disease.touched)
    status, reason = volume(stays) if volume is not None else ("not_assessed", "")
    return PlanCheck(
        remnant=frozenset(remnant),
        resection=resection if resection is not None else anatomy.resection_for_remnant(remnant),
        recorded=recorded, local=tuple(treated), untreated=tuple(untreated),
        untreated_ids=tuple(untreated_ids), dropped=tuple(dropped), viable=viable,
        remnant_contacts=contacts,
        segment_count=anatomy.segment_count(stays, settings.segment_count_units),
        min_segments=settings.remnant_min_segments,
        pieces=components(stays) if stays else (),
        planned_pieces=_planned_pieces(remnant),
        drop_allowed=drop, contiguity_required=settings.remnant_contiguous,
        volume_status=status, volume_reason=reason,
        volume_counts=volume is not None and settings.volume_decides_u1,
    )


@lru_cache(maxsize=1024)
def _planned_pieces(remnant: frozenset[str]) -> tuple[frozenset[str], ...]:
    return components(remnant) if remnant else ()


def _recorded_problem(les: LesionFacts, method: str | None, where: str,
                      settings: Settings) -> str | None:
    """Why a recorded local treatment leaves a remnant lesion behind (None: it clears it)."""
    if method is None:
        return f"{les.label} lies in remnant segment(s) {where} and the plan does not treat it"
    if method == "ablation" and not settings.ablation_counts_as_resection:
        return (f"{les.label} in remnant segment(s) {where} is planned for ablation, which this "
                "protocol does not count as resection")
    near = [st for st, _ in les.contacts if st in settings.ablation_excluded_near]
    if method == "ablation" and near:
        return (f"{les.label} in remnant segment(s) {where} is planned for ablation, but it "
                "touches " + ", ".join(dict.fromkeys(near)) + ": no ablation is allowed there")
    if method == "wedge" and les.contacts and not settings.recorded_wedge_takes_vessels:
        touching = ", ".join(dict.fromkeys(st for st, _ in les.contacts))
        return (f"{les.label} in remnant segment(s) {where} is planned for wedge, but it "
                f"touches {touching}: a wedge is only for a lesion touching no vessel")
    return None


_LOSS_WORDS = (("inflow", "its inflow"), ("outflow", "its outflow"), ("IVC", "its drainage"))


def _loss_phrase(seg: str, problems: tuple[str, ...], disease: Disease) -> str:
    """"VI loses its inflow (RPPV, touched by L1)"."""
    key = ("loss", seg, problems)
    hit = disease.memo.get(key)
    if isinstance(hit, str):
        return hit
    parts = []
    for problem in problems:
        what = next((w for k, w in _LOSS_WORDS if k in problem), "its supply")
        tokens = [t for t in re.findall(r"[A-Z]{2,}", problem) if t in VESSEL_BIT]
        who = []
        for structure in sorted(disease.touched):
            if structure in tokens or anatomy.FOLLOWS_PORTAL.get(structure) in tokens:
                who.append(f"{structure} touched by {disease.who_touches(structure)}")
        lost = ", ".join(dict.fromkeys(tokens))
        parts.append(f"{what} ({'; '.join(who) if who else lost + ' lost'})")
    text = f"{seg} loses " + " and ".join(parts)
    disease.memo[key] = text
    return text


def _why_not_local(les: LesionFacts, settings: Settings) -> str:
    touching = ", ".join(s for s, _ in les.contacts)
    near = [s for s, _ in les.contacts if s in settings.ablation_excluded_near]
    if settings.ablation_counts_as_resection and near:
        return (f"touches {touching}; no ablation is allowed next to the "
                + ", ".join(dict.fromkeys(near)))
    if settings.ablation_counts_as_resection and les.diameter is None:
        return f"touches {touching} and has no recorded diameter to judge ablation"
    if settings.ablation_counts_as_resection:
        return (f"touches {touching} and at {_mm(les.diameter)} mm exceeds the "
                f"{settings.ablation_max_diameter_mm} mm ablation limit")
    return f"touches {touching}, so it cannot be wedged"


_UNIT_ORDER: tuple[tuple[str, int], ...] = tuple((u, UNIT_BIT[u]) for u in anatomy.UNITS)
_IV_BITS = UNIT_BIT["IVa"] | UNIT_BIT["IVb"]


_UNITS_OF: tuple[tuple[tuple[str, int], ...], ...] = tuple(
    tuple((u, b) for u, b in _UNIT_ORDER if mask & b) for mask in range(ALL_UNITS_MASK + 1))
"""For every unit mask, its (unit, bit) pairs in display order."""
_MISSING = object()


def _caudate_sides(rmask: int) -> tuple[bool, bool]:
    return bool(rmask & LEFT_MASK), bool(rmask & RIGHT_MASK)


def _viable_count(bits: int, count_units: int) -> int:
    n = bin(bits).count("1")
    if count_units == 8 and bits & _IV_BITS == _IV_BITS:
        n -= 1
    return n


_REMNANT_MASK: dict[frozenset[str], int] = {c.units: c.mask for c in CANDIDATES}


_Prep = tuple[tuple[tuple[int, int], ...], tuple[tuple[int, tuple[str, str]], ...],
              tuple[tuple[int, LesionFacts], ...]]
"""Per disease and settings: the lesions that keep their vessels in place, (bit, unit mask);
the lesions the planner treats in place, (unit mask, (id, method)); the others."""


def quick_option(disease: Disease, remnant: frozenset[str], settings: Settings,
                 resection: str | None
                 ) -> tuple[bool, tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...]]:
    """(feasible, local treatment, reasons, notes) of a planner-chosen plan, from per-review
    memos.

    Same verdict and wording as :func:`check_plan` without its bookkeeping; it lists why every
    named resection fails in each evaluation, so it works on unit masks and memoised phrases.
    """
    memo = _settings_memo(disease, settings)
    quick_key = ("quick", remnant)
    hit = memo.get(quick_key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    prep = memo.get("prep")
    if prep is None:
        auto = _auto_methods(disease, settings)
        # Lesions that keep their vessels when left in the remnant (untreated or ablated
        # there); the lesions the planner treats in place (mask, (id, method)); the others.
        prep = memo["prep"] = (
            _vessel_holders(disease, settings),
            tuple((les.mask, (les.id, auto[les.id])) for les in disease.lesions
                  if auto[les.id] is not None),
            tuple((les.mask, les) for les in disease.lesions if auto[les.id] is None))
    holders, treatable, untreatable = cast(_Prep, prep)
    rmask = _REMNANT_MASK.get(remnant) or units_mask(remnant)
    drop = settings.nonviable_segments_resected
    stays = rmask
    while disease.touched:
        kept = 0
        for bit, mask in holders:
            if mask & stays:
                kept |= bit
        lost = disease.lost_keeping(kept)
        viable = rmask
        dropped: list[str] = []
        if lost:
            base = _viable_bits(disease, lost)
            dead = rmask & ~base & ~I_BIT
            if rmask & I_BIT:
                dead |= I_BIT  # the caudate depends on the side that stays: checked below
            for seg, bit in _UNITS_OF[dead]:
                sides = _caudate_sides(rmask) if bit == I_BIT else ()
                dead_key = ("dead", lost, seg, sides)
                text = disease.memo.get(dead_key, _MISSING)
                if text is _MISSING:
                    problems = anatomy.supply_problems(seg, lost, remnant)
                    text = _loss_phrase(seg, problems, disease) if problems else None
                    disease.memo[dead_key] = text
                if text is not None:
                    viable &= ~bit
                    dropped.append(text)  # type: ignore[arg-type]
        nxt = viable if drop else rmask
        if nxt == stays:
            break
        stays = nxt
    else:
        dropped = []
    local = []
    for mask, pair in treatable:
        if mask & stays:
            local.append(pair)
    reasons = []
    for mask, les in untreatable:
        if mask & stays:
            reasons.append(_why_left(les, mask & stays, settings, memo))
    notes: tuple[str, ...] = ()
    if dropped:
        if drop:
            notes = tuple(f"{t}: resected with the specimen" for t in dropped)
        else:
            reasons += [f"remnant segment {t}" for t in dropped]
    if not stays:
        reasons.append("no remnant segment keeps its inflow and outflow")
    else:
        if settings.remnant_contiguous and stays not in _CONNECTED_MASKS:
            pieces_key = ("pieces", stays)
            text = disease.memo.get(pieces_key)
            if text is None:
                text = pieces_text(components(mask_units(stays)))
                disease.memo[pieces_key] = text
            reasons.append(text)  # type: ignore[arg-type]
        count = _viable_count(stays, settings.segment_count_units)
        if count < settings.remnant_min_segments:
            reasons.append(f"leaves {count} viable segment(s) ({units_range(mask_units(stays))}); "
                           f"at least {settings.remnant_min_segments} needed")
    out = (not reasons, tuple(local), tuple(reasons), notes)
    memo[quick_key] = out
    return out


_VIABILITY_STRUCTURES: tuple[str, ...] = ("MPV", "RPV", "LPV", "RAPV", "RPPV", "MHV", "RHV",
                                          "LHV", "IRHV", "IVC")
"""The structures a segment's viability reads (arterial and biliary ones follow the portal
column of their side, so losing them is losing that column)."""


@lru_cache(maxsize=512)
def reachable_remnants(planned: int) -> frozenset[int]:
    """Every remnant (unit mask) that can stay of the planned remnant ``planned`` once some set
    of vessels is sacrificed: its segments that keep inflow and outflow."""
    units = mask_units(planned)
    out = set()
    n = len(_VIABILITY_STRUCTURES)
    for pick in range(1 << n):
        lost = frozenset(v for i, v in enumerate(_VIABILITY_STRUCTURES) if pick >> i & 1)
        keep = planned
        for seg, bit in _UNITS_OF[planned]:
            if anatomy.supply_problems(seg, lost, units):
                keep &= ~bit
        out.add(keep)
    return frozenset(out)


DROP_NEEDS: tuple[str, ...] = ("cleared", "viable", "feasible")
"""What a relation not yet recorded might give a failing recorded plan (each asks more than the
one before): every lesion cleared (R0); cleared with a remnant of enough contiguous viable
segments; all that with a remnant volume not known to be insufficient (the plan works)."""


def drop_could_clear(disease: Disease, chk: PlanCheck, settings: Settings,
                     volume: Callable[[frozenset[str]], tuple[str, str]] | None = None,
                     need: str = "feasible") -> bool:
    """With the vessel relations not assessed: could a relation not yet recorded give this
    failing recorded plan what ``need`` (one of :data:`DROP_NEEDS`) asks?  It fails because
    lesions stay in its remnant; a vessel taken with a resected (or wedged) lesion would take
    the segments it feeds or drains with the specimen, and those lesions with them
    (docs/clinical/conventions.md#the-recorded-plan-governs).  "cleared" holds even when
    nothing viable stays: clearance and the remnant are judged by separate criteria."""
    if not chk.recorded or chk.cleared or not chk.drop_allowed or disease.vessels_assessed:
        return False
    whole = need != "cleared"
    if whole and settings.remnant_contiguous and len(chk.planned_pieces) > 1:
        return False  # a remnant planned in pieces fails whatever drops out of it
    planned = units_mask(chk.remnant)
    wedged = {lid for lid, method in chk.local if method == "wedge"}
    if not any(not les.mask & planned or les.id in wedged for les in disease.lesions):
        return False  # no lesion leaves with a specimen: no vessel can be sacrificed
    bad = 0
    for les in disease.lesions:
        if les.id in chk.untreated_ids:
            bad |= les.mask
    for stays in reachable_remnants(planned):
        if stays & bad:
            continue
        if not whole:
            return True
        if not stays or (settings.remnant_contiguous and stays not in _CONNECTED_MASKS):
            continue
        if _viable_count(stays, settings.segment_count_units) < settings.remnant_min_segments:
            continue
        if (need == "feasible" and volume is not None
                and volume(mask_units(stays))[0] == "not_met"):
            continue
        return True
    return False


def _settings_memo(disease: Disease, settings: Settings) -> dict[object, object]:
    """The part of a disease's memo that holds for one settings object.  Keyed by identity (a
    settings object is not cheap to hash) with the object kept beside it, so its id cannot be
    reused by another settings object while the memo lives."""
    key = ("settings", id(settings))
    hit = disease.memo.get(key)
    if hit is None or hit[0] is not settings:  # type: ignore[index]
        hit = disease.memo[key] = (settings, {})
    return hit[1]  # type: ignore[index]


def _why_left(les: LesionFacts, inside: int, settings: Settings, memo: dict[object, object]
              ) -> str:
    """Why a lesion the planner cannot treat in place stops a plan keeping ``inside``."""
    key = ("why", les.id, inside)
    text = memo.get(key)
    if text is None:
        text = memo[key] = (f"{les.label} lies in remnant segment(s) "
                            f"{anatomy.describe_units(mask_units(inside))} and "
                            f"{_why_not_local(les, settings)}")
    return text  # type: ignore[return-value]


def _vessel_holders(disease: Disease, settings: Settings) -> tuple[tuple[int, int], ...]:
    """(1 << position, unit mask) of every lesion that keeps its vessels when left in place."""
    key = ("holders", settings.ablation_counts_as_resection, settings.ablation_max_diameter_mm,
           settings.ablation_excluded_near)
    hit = disease.memo.get(key)
    if hit is None:
        auto = _auto_methods(disease, settings)
        hit = tuple((1 << i, les.mask) for i, les in enumerate(disease.lesions)
                    if les.contacts and auto[les.id] != "wedge")
        disease.memo[key] = hit
    return hit  # type: ignore[return-value]


_CONNECTED_MASKS: frozenset[int] = frozenset(
    m for m in range(1, ALL_UNITS_MASK + 1) if anatomy.is_connected(mask_units(m)))


def _auto_methods(disease: Disease, settings: Settings) -> dict[str, str | None]:
    key = ("auto", settings.ablation_counts_as_resection, settings.ablation_max_diameter_mm,
           settings.ablation_excluded_near)
    hit = disease.memo.get(key)
    if isinstance(hit, dict):
        return hit
    methods = {les.id: auto_local_method(les, settings) for les in disease.lesions}
    disease.memo[key] = methods
    return methods


def _viable_bits(disease: Disease, lost: frozenset[str]) -> int:
    return _viable_bits_of(lost)


@lru_cache(maxsize=4096)
def _viable_bits_of(lost: frozenset[str]) -> int:
    return _base_viable(vessels_mask(lost))[0]


def _mm(value: Fraction | None) -> str:
    if value is None:
        return "?"
    return f"{float(value):g}"


# --------------------------------------------------------------------------- search

@dataclass(frozen=True, slots=True)
class SearchResult:
    best: int | None
    """Mask of the best feasible remnant, or None."""
    best_contact_free: int | None
    """Mask of the best feasible remnant keeping no touched vessel, or None."""
    candidates: int
    feasible: int
    contact_free: int


def search(disease: Disease, settings: Settings, exclude: int = 0,
           avoid: tuple[tuple[int, ...], int] = ((), 0)) -> SearchResult:
    """The best remnant and the counts.  ``exclude``: the unit mask of a remnant whose measured
    volume is insufficient (it, and every remnant inside it, is not feasible); ``avoid``: (unit
    masks of large lesions, how many in a remnant meet E2) - remnants meeting E2 rank after those
    that do not (docs/clinical/conventions.md#e2-with-no-recorded-plan: the best plan meets no
    exclusion item).  Ranking: feasible; avoiding E2; keeping no vessel of
    ``settings.u2_vessels`` a lesion touches; then the largest remnant."""
    bad = 0
    local_masks = []
    fixed: set[str] = {st for st, _ in disease.orphan_contacts}
    ablatable_with_contacts: list[tuple[int, int]] = []
    auto = _auto_methods(disease, settings)
    for les in disease.lesions:
        method = auto[les.id]
        if method is None:
            bad |= les.mask
        else:
            local_masks.append(les.mask)
        if method == "ablation":
            # Ablated in the remnant it keeps its vessels; resected outside, it takes them.
            lost_bits = vessels_mask(anatomy.lost_structures(st for st, _ in les.contacts))
            ablatable_with_contacts.append((les.mask, lost_bits))
        else:
            fixed.update(st for st, _ in les.contacts)
    u2 = vessels_mask(s for s in disease.touched if s in settings.u2_vessels)
    key = (
        bad, tuple(local_masks), vessels_mask(anatomy.lost_structures(fixed)),
        tuple(ablatable_with_contacts), u2,
        settings.segment_count_units, settings.remnant_min_segments, exclude, avoid,
    )
    return _search_bits(*key)


class _Ranked:
    """Candidate sets as Python integers, one bit per candidate, bit 0 the best ranked.

    Ranking (docs/clinical/conventions.md#which-plan): more segments, more units, then (decided per
    search) fewer local treatments, a named resection, and the unit mask.  Set operations
    on these 276-bit integers replace a loop over the candidates.
    """

    def __init__(self, count_units: int):
        def count(c: Candidate) -> int:
            return c.segments8 if count_units == 8 else c.segments9
        self.order: list[Candidate] = sorted(
            CANDIDATES, key=lambda c: (-count(c), -len(c.units), c.resection is None, c.mask))
        self.all = (1 << len(self.order)) - 1
        self.with_unit: dict[int, int] = {}
        for _unit, bit in _UNIT_ORDER:
            self.with_unit[bit] = self._bits(lambda c, b=bit: bool(c.mask & b))
        self.valid = {n: self._bits(lambda c, n=n: count(c) >= n) for n in range(1, 10)}
        has_i = self._bits(lambda c: bool(c.mask & I_BIT))
        left = self._bits(lambda c: bool(c.mask & LEFT_MASK))
        right = self._bits(lambda c: bool(c.mask & RIGHT_MASK))
        self.i_all = has_i
        self.i_left_only = has_i & left & ~right
        self.i_right_only = has_i & right & ~left
        self.i_both_or_neither = has_i & ~(self.i_left_only | self.i_right_only)
        self.rv_has = {vb: self._bits(lambda c, vb=vb: bool(c.remnant_vessels & vb))
                       for vb in VESSEL_BIT.values()}
        groups: dict[tuple[int, int], int] = {}
        for p, c in enumerate(self.order):
            key = (count(c), len(c.units))
            groups[key] = groups.get(key, 0) | (1 << p)
        self.group = [groups[(count(c), len(c.units))] for c in self.order]
        self.count = [count(c) for c in self.order]

    def within(self, unit_mask: int) -> int:
        """The candidates whose units all lie in ``unit_mask`` (itself included)."""
        out = 0
        for p, c in enumerate(self.order):
            if not c.mask & ~unit_mask:
                out |= 1 << p
        return out

    def holding_at_least(self, masks: tuple[int, ...], need: int) -> int:
        """Candidates holding (even partly) at least ``need`` of the lesions ``masks``: one
        running bitset per count ("holds at least j of the lesions seen so far")."""
        at_least = [self.all] + [0] * need
        for m in masks:
            holds = _holding(self, m)
            for j in range(need, 0, -1):
                at_least[j] |= at_least[j - 1] & holds
        return at_least[need]

    def _bits(self, pred: object) -> int:
        out = 0
        for p, c in enumerate(self.order):
            if pred(c):  # type: ignore[operator]
                out |= 1 << p
        return out

    def pick(self, bits: int, local_masks: tuple[int, ...]) -> int | None:
        if not bits:
            return None
        first = (bits & -bits).bit_length() - 1
        group = bits & self.group[first]
        if group & (group - 1) == 0 or not local_masks:
            return self.order[first].mask
        best_key: tuple[int, bool, int] | None = None
        best = None
        while group:
            low = group & -group
            c = self.order[low.bit_length() - 1]
            key = (sum(1 for lm in local_masks if lm & c.mask), c.resection is None, c.mask)
            if best_key is None or key < best_key:
                best_key, best = key, c.mask
            group ^= low
        return best


_RANKED: dict[int, _Ranked] = {}


def _viable_within(ranked: _Ranked, region: int, lost_bits: int) -> int:
    """The candidates of ``region`` whose every unit keeps inflow and outflow."""
    base, lpv_ok, rpv_ok = _base_viable(lost_bits)
    ok = region
    for _, bit in _UNITS_OF[ALL_UNITS_MASK & ~I_BIT & ~base]:
        ok &= ~ranked.with_unit[bit]
    if lost_bits & VESSEL_BIT["IVC"]:
        ok &= ~ranked.i_all
    else:
        if not lpv_ok:
            ok &= ~ranked.i_left_only
        if not rpv_ok:
            ok &= ~ranked.i_right_only
        if not (lpv_ok or rpv_ok):
            ok &= ~ranked.i_both_or_neither
    return ok


def _holding(ranked: _Ranked, mask: int) -> int:
    out = 0
    for _, bit in _UNITS_OF[mask]:
        out |= ranked.with_unit[bit]
    return out


@lru_cache(maxsize=8192)
def _search_bits(bad: int, local_masks: tuple[int, ...], lost_bits: int,
                 ablatable: tuple[tuple[int, int], ...], touched_bits: int,
                 count_units: int, min_segments: int, exclude: int = 0,
                 avoid: tuple[tuple[int, ...], int] = ((), 0)) -> SearchResult:
    ranked = _RANKED.get(count_units)
    if ranked is None:
        ranked = _RANKED[count_units] = _Ranked(count_units)
    valid = ranked.valid.get(min_segments, 0) if min_segments >= 1 else ranked.all
    region = valid & ~_holding(ranked, bad)
    if not ablatable:
        ok = _viable_within(ranked, region, lost_bits)
    else:
        # An ablatable lesion keeps its vessels when the remnant holds it (ablated in place)
        # and takes them when it does not (resected): split the candidates accordingly.
        holds = [_holding(ranked, mask) for mask, _ in ablatable]
        ok = 0
        for inside in range(1 << len(ablatable)):
            part, lost = region, lost_bits
            for i, (_, lb) in enumerate(ablatable):
                if inside >> i & 1:
                    part &= holds[i]
                else:
                    part &= ~holds[i]
                    lost |= lb
            if part:
                ok |= _viable_within(ranked, part, lost)
    if exclude:
        # A remnant inside one whose measured volume is insufficient holds less liver still.
        ok &= ~ranked.within(exclude)
    contact = 0
    for vb, bits in ranked.rv_has.items():
        if touched_bits & vb:
            contact |= bits
    free = ok & ~contact
    masks, need = avoid
    bad_e2 = ranked.holding_at_least(masks, need) if need and len(masks) >= need else 0
    best = None
    for pool in (free & ~bad_e2, ok & ~bad_e2, free, ok):
        best = ranked.pick(pool, local_masks)
        if best is not None:
            break
    best_free = ranked.pick(free & ~bad_e2, local_masks)
    if best_free is None:
        best_free = ranked.pick(free, local_masks)
    return SearchResult(best, best_free, bin(valid).count("1"), bin(ok).count("1"),
                        bin(free).count("1"))


@lru_cache(maxsize=4096)
def _base_viable(lost_bits: int) -> tuple[int, bool, bool]:
    """Viable non-caudate units for a lost-structure mask, and whether LPV / RPV survive."""
    lost = {v for v, b in VESSEL_BIT.items() if lost_bits & b}
    if "IVC" in lost:
        return 0, False, False
    viable = 0
    for u in anatomy.UNITS:
        if u == "I":
            continue
        if not anatomy.supply_problems(u, frozenset(lost)):
            viable |= UNIT_BIT[u]
    mpv_ok = "MPV" not in lost
    return viable, mpv_ok and "LPV" not in lost, mpv_ok and "RPV" not in lost


@lru_cache(maxsize=4096)
def e2_candidates(large: tuple[int, ...], unsized: tuple[int, ...], need: int, count_units: int,
                  min_segments: int) -> tuple[bool, frozenset[str] | None]:
    """(every candidate remnant holds ``need`` of the ``large`` lesions, the largest remnant that
    cannot hold ``need`` of them even counting the ``unsized`` ones) - E2 with no recorded plan."""
    ranked = _RANKED.get(count_units)
    if ranked is None:
        ranked = _RANKED[count_units] = _Ranked(count_units)
    valid = ranked.valid.get(min_segments, 0) if min_segments >= 1 else ranked.all
    sure = ranked.holding_at_least(large, need) if need else ranked.all
    maybe = ranked.holding_at_least(large + unsized, need) if need else ranked.all
    free = valid & ~maybe
    first = (free & -free).bit_length() - 1 if free else -1
    return valid & ~sure == 0, (ranked.order[first].units if first >= 0 else None)


def contact_free_remnant_exists(disease: Disease, settings: Settings) -> Candidate | None:
    """Largest eligible remnant keeping no touched vessel of ``settings.u2_vessels``, whatever
    its clearance."""
    touched = vessels_mask(s for s in disease.touched if s in settings.u2_vessels)
    best: Candidate | None = None
    for cand in CANDIDATES:
        count = cand.segments8 if settings.segment_count_units == 8 else cand.segments9
        if count < settings.remnant_min_segments or touched & cand.remnant_vessels:
            continue
        if best is None or len(cand.units) > len(best.units):
            best = cand
    return best
