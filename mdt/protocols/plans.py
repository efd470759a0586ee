"""Remnant planning: check a plan and search every remnant for the best one.

docs/clinical/conventions.md#what-a-remnant-segment-depends-on fixes the model: an R0 plan sacrifices every vessel a lesion
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache

from mdt import anatomy
from mdt.case import VESSEL_STRUCTURES, Review
from mdt.exact import exact
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
    return frozenset(u for u, b in UNIT_BIT.items() if mask & b)


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

@dataclass(frozen=True, slots=True)
class LesionFacts:
    id: str
    segments: tuple[str, ...]
    units: frozenset[str]
    mask: int
    diameter: Fraction | None
    contacts: tuple[tuple[str, str], ...]
    """(structure, relation) pairs recorded for this lesion."""

    @property
    def label(self) -> str:
        return f"{self.id} ({', '.join(self.segments)})"

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
    memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)
    """Per-review memo of explanation fragments (plans share them)."""

    def lost_if_ablated(self, ablated: frozenset[str]) -> frozenset[str]:
        """Structures lost when the lesions in ``ablated`` are destroyed in place: an ablated
        lesion leaves its vessels, every other lesion takes the vessels it touches."""
        if not ablated:
            return self.lost
        key = ("lost", ablated)
        hit = self.memo.get(key)
        if isinstance(hit, frozenset):
            return hit
        touched = {s for les in self.lesions if les.id not in ablated for s, _ in les.contacts}
        touched.update(s for s, _ in self.orphan_contacts)
        lost = anatomy.lost_structures(touched)
        self.memo[key] = lost
        return lost

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
    for vc in review.vessels:
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
        units, mask = _expand(tuple(les.segments))
        lesions.append(LesionFacts(
            id=les.id, segments=tuple(les.segments), units=units, mask=mask,
            diameter=None if les.diameter_mm is None else exact(les.diameter_mm),
            contacts=tuple(contacts[les.id]),
        ))
    touched = frozenset(s for les in lesions for s, _ in les.contacts) | {s for s, _ in orphans}
    return Disease(
        lesions=tuple(lesions), orphan_contacts=tuple(orphans), touched=touched,
        lost=_lost(touched),
        touched_by={k: tuple(dict.fromkeys(v)) for k, v in touched_by.items()},
        ignored_contacts=tuple(ignored),
    )


@lru_cache(maxsize=64)
def _limit(text: str) -> Fraction:
    return exact(text)


def ablatable(lesion: LesionFacts, settings: Settings) -> bool:
    if not settings.ablation_counts_as_resection or lesion.diameter is None:
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
    unsized = tuple(les for les in disease.lesions if les.diameter is None and les.contacts)
    if not unsized:
        return None, ()
    ids = {les.id for les in unsized}
    lesions = tuple(replace(les, diameter=Fraction(0)) if les.id in ids else les
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
    resection: str | None
    recorded: bool
    local: tuple[tuple[str, str], ...]
    untreated: tuple[str, ...]
    """Why disease would stay behind (empty when every lesion is cleared)."""
    nonviable: tuple[tuple[str, tuple[str, ...]], ...]
    """(segment, problems) for remnant segments that lose inflow or outflow."""
    viable: frozenset[str]
    remnant_contacts: tuple[tuple[str, tuple[str, ...]], ...]
    """(remnant vessel, lesion ids touching it)."""
    segment_count: int
    enough_segments: bool
    contiguous: bool
    """At least two viable remnant units touch each other."""

    @property
    def cleared(self) -> bool:
        return not self.untreated

    @property
    def feasible(self) -> bool:
        return self.cleared and not self.nonviable and self.enough_segments

    @property
    def name(self) -> str:
        if self.resection:
            return anatomy.RESECTION_LABELS[self.resection].lower()
        if self.remnant == frozenset(anatomy.UNITS):
            return "no anatomical resection"
        return "resection leaving " + anatomy.describe_units(self.remnant)

    @property
    def remnant_text(self) -> str:
        return anatomy.describe_units(self.remnant)

    def reasons(self) -> tuple[str, ...]:
        out = list(self.untreated)
        for seg, problems in self.nonviable:
            out.append(f"remnant segment {seg} not viable: {'; '.join(problems)}")
        if not self.enough_segments:
            out.append(f"leaves {anatomy.segment_count(self.viable)} viable segment(s), "
                       "fewer than required")
        return tuple(out)


def plan_units(resection: str | None, segments: Iterable[str] | None) -> frozenset[str] | None:
    if segments is not None:
        return anatomy.expand(segments)
    if resection is not None:
        return anatomy.remnant_of(resection)
    return None


def check_plan(disease: Disease, remnant: frozenset[str], settings: Settings,
               local: Mapping[str, str] | None = None, resection: str | None = None) -> PlanCheck:
    """Check one plan.  ``local`` is the recorded local treatment; None lets the planner choose."""
    recorded = local is not None
    treated: list[tuple[str, str]] = []
    untreated: list[str] = []
    rmask = units_mask(remnant)
    auto = {} if recorded else _auto_methods(disease, settings)
    for les in disease.lesions:
        if not les.mask & rmask:
            continue
        where = anatomy.describe_units(les.units & remnant)
        if recorded:
            method = local.get(les.id) if local else None
            if method is None:
                untreated.append(f"{les.label} lies in remnant segment(s) {where} and the plan "
                                 "does not treat it")
                continue
            if method == "ablation" and not settings.ablation_counts_as_resection:
                untreated.append(f"{les.label} in remnant segment(s) {where} is planned for "
                                 "ablation, which this protocol does not count as resection")
                continue
            if method == "wedge" and les.contacts:
                # docs/clinical/conventions.md#the-recorded-plan-governs: a wedge is for a lesion touching no vessel; the recorded
                # plan gets no more credit than the planner would give it.
                touching = ", ".join(dict.fromkeys(st for st, _ in les.contacts))
                untreated.append(f"{les.label} in remnant segment(s) {where} is planned for "
                                 f"wedge, but it touches {touching}: a wedge is only for a "
                                 "lesion touching no vessel")
                continue
            treated.append((les.id, method))
        else:
            method = auto[les.id]
            if method is None:
                untreated.append(f"{les.label} lies in remnant segment(s) {where} and "
                                 f"{_why_not_local(les, settings)}")
                continue
            treated.append((les.id, method))
    nonviable: list[tuple[str, tuple[str, ...]]] = []
    viable: set[str] = set(remnant)
    lost = disease.lost_if_ablated(frozenset(i for i, m in treated if m == "ablation"))
    if lost:
        base = _viable_bits(disease, lost)
        for seg in anatomy.sort_units(remnant):
            if seg != "I" and base & UNIT_BIT[seg]:
                continue
            problems = anatomy.supply_problems(seg, lost, remnant)
            if problems:
                viable.discard(seg)
                nonviable.append((seg, tuple(_name_cause(p, disease) for p in problems)))
    contacts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if disease.touched:
        rv = anatomy.remnant_vessels(remnant)
        contacts = tuple((s, disease.touched_by.get(s, ())) for s in VESSEL_STRUCTURES
                         if s in rv and s in disease.touched)
    count = anatomy.segment_count(viable, settings.segment_count_units)
    return PlanCheck(
        remnant=frozenset(remnant),
        resection=resection if resection is not None else anatomy.resection_for_remnant(remnant),
        recorded=recorded, local=tuple(treated), untreated=tuple(untreated),
        nonviable=tuple(nonviable), viable=frozenset(viable), remnant_contacts=contacts,
        segment_count=anatomy.segment_count(remnant, settings.segment_count_units),
        enough_segments=count >= settings.remnant_min_segments,
        contiguous=anatomy.has_two_contiguous(viable),
    )


def _why_not_local(les: LesionFacts, settings: Settings) -> str:
    touching = ", ".join(s for s, _ in les.contacts)
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


def quick_option(disease: Disease, remnant: frozenset[str], settings: Settings,
                 resection: str | None) -> tuple[bool, tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(feasible, local treatment, reasons) of a planner-chosen plan, from per-review memos.

    Same verdict and wording as :func:`check_plan` without its bookkeeping; it lists why every
    named resection fails in each evaluation, so it works on unit masks and memoised phrases.
    """
    rmask = _REMNANT_MASK.get(remnant) or units_mask(remnant)
    auto = _auto_methods(disease, settings)
    local: list[tuple[str, str]] = []
    reasons: list[str] = []
    ablated: list[str] = []
    for les in disease.lesions:
        inside = les.mask & rmask
        if not inside:
            continue
        method = auto[les.id]
        if method is None:
            key = ("why", les.id, inside, settings.ablation_counts_as_resection)
            text = disease.memo.get(key)
            if text is None:
                text = (f"{les.label} lies in remnant segment(s) "
                        f"{anatomy.describe_units(mask_units(inside))} and "
                        f"{_why_not_local(les, settings)}")
                disease.memo[key] = text
            reasons.append(text)  # type: ignore[arg-type]
        else:
            local.append((les.id, method))
            if method == "ablation" and les.contacts:
                ablated.append(les.id)
    viable = rmask
    lost = disease.lost_if_ablated(frozenset(ablated)) if ablated else disease.lost
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
                text = ("remnant segment " + seg + " not viable: "
                        + "; ".join(_name_cause(p, disease) for p in problems)
                        ) if problems else None
                disease.memo[dead_key] = text
            if text is not None:
                viable &= ~bit
                reasons.append(text)  # type: ignore[arg-type]
    if _viable_count(viable, settings.segment_count_units) < settings.remnant_min_segments:
        reasons.append(f"leaves {_viable_count(viable, 8)} viable segment(s), "
                       "fewer than required")
    return not reasons, tuple(local), tuple(reasons)


def _auto_methods(disease: Disease, settings: Settings) -> dict[str, str | None]:
    key = ("auto", settings.ablation_counts_as_resection, settings.ablation_max_diameter_mm)
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


def _name_cause(problem: str, disease: Disease) -> str:
    """Add which lesion took the lost structure ("inflow RPV lost (L1 touches RPV)")."""
    key = ("cause", problem)
    hit = disease.memo.get(key)
    if isinstance(hit, str):
        return hit
    tokens = set(re.findall(r"[A-Z]+", problem))
    causes = []
    for structure in sorted(disease.touched):
        if structure in tokens or anatomy.FOLLOWS_PORTAL.get(structure) in tokens:
            causes.append(f"{disease.who_touches(structure)} touches {structure}")
    text = f"{problem} ({'; '.join(causes)})" if causes else problem
    disease.memo[key] = text
    return text


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


def search(disease: Disease, settings: Settings) -> SearchResult:
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
    key = (
        bad, tuple(local_masks), vessels_mask(anatomy.lost_structures(fixed)),
        tuple(ablatable_with_contacts), vessels_mask(disease.touched),
        settings.segment_count_units, settings.remnant_min_segments,
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
                 count_units: int, min_segments: int) -> SearchResult:
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
    contact = 0
    for vb, bits in ranked.rv_has.items():
        if touched_bits & vb:
            contact |= bits
    free = ok & ~contact
    best_free = ranked.pick(free, local_masks)
    best = best_free if best_free is not None else ranked.pick(ok, local_masks)
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


def contact_free_remnant_exists(disease: Disease, settings: Settings) -> Candidate | None:
    """Largest eligible remnant keeping no touched vessel, whatever its clearance."""
    touched = vessels_mask(disease.touched)
    best: Candidate | None = None
    for cand in CANDIDATES:
        count = cand.segments8 if settings.segment_count_units == 8 else cand.segments9
        if count < settings.remnant_min_segments or touched & cand.remnant_vessels:
            continue
        if best is None or len(cand.units) > len(best.units):
            best = cand
    return best
