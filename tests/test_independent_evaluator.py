"""An independent check of the protocol engine on NCT05103020.

A second evaluator, written apart from the engine from the project's clinical conventions (the
readings fixed for this release included), restates the anatomy it needs and decides resectability and
trial eligibility for every review of 150 generated cases; the engine must agree on every one.

It imports no engine code: only the case dataclasses (``mdt.case``, plain data) to read the
cases.  Anatomy, thresholds, the remnant search and the volume reading are all restated here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, getcontext
from fractions import Fraction
from itertools import combinations

import pytest

from mdt.case import (
    Case,
    Clinical,
    Labs,
    Lesion,
    LocalTreatment,
    Patient,
    PortalVeinEmbolisation,
    ProtocolRef,
    RemnantPlan,
    Review,
    Treatment,
    Uln,
    VesselContact,
)

# --------------------------------------------------------------------------- anatomy, restated

UNITS = ("I", "II", "III", "IVa", "IVb", "V", "VI", "VII", "VIII")
LEFT = {"II", "III", "IVa", "IVb"}
RIGHT = {"V", "VI", "VII", "VIII"}
EDGES = {frozenset(e) for e in (
    ("I", "II"), ("I", "IVa"), ("I", "IVb"), ("I", "VII"), ("I", "VIII"), ("II", "III"),
    ("II", "IVa"), ("III", "IVb"), ("IVa", "IVb"), ("IVa", "VIII"), ("IVb", "V"), ("V", "VI"),
    ("V", "VIII"), ("VI", "VII"), ("VII", "VIII"))}
INFLOW_ALL = {"II": {"MPV", "LPV"}, "III": {"MPV", "LPV"}, "IVa": {"MPV", "LPV"},
              "IVb": {"MPV", "LPV"}, "V": {"MPV", "RPV", "RAPV"}, "VIII": {"MPV", "RPV", "RAPV"},
              "VI": {"MPV", "RPV", "RPPV"}, "VII": {"MPV", "RPV", "RPPV"}}
OUTFLOW_ANY = {"II": {"LHV"}, "III": {"LHV"}, "IVa": {"MHV", "LHV"}, "IVb": {"MHV", "LHV"},
               "V": {"MHV", "RHV"}, "VIII": {"MHV", "RHV"}, "VI": {"RHV", "IRHV"},
               "VII": {"RHV"}}
FOLLOWS = {"PHA": "MPV", "BC": "MPV", "RHA": "RPV", "RHD": "RPV", "LHA": "LPV", "LHD": "LPV"}
REMOVES = {
    "right_hepatectomy": {"V", "VI", "VII", "VIII"}, "left_hepatectomy": {"II", "III", "IVa", "IVb"},
    "extended_right_hepatectomy": {"IVa", "IVb", "V", "VI", "VII", "VIII"},
    "extended_left_hepatectomy": {"II", "III", "IVa", "IVb", "V", "VIII"},
    "right_anterior_sectionectomy": {"V", "VIII"}, "right_posterior_sectionectomy": {"VI", "VII"},
    "left_lateral_sectionectomy": {"II", "III"}, "left_medial_sectionectomy": {"IVa", "IVb"},
    "central_hepatectomy": {"IVa", "IVb", "V", "VIII"}, "caudate_lobectomy": {"I"},
}


def units_of(segments) -> frozenset[str]:  # noqa: ANN001
    out: set[str] = set()
    for s in segments:
        out |= {"IVa", "IVb"} if s == "IV" else {s}
    return frozenset(out)


def count8(units) -> int:  # noqa: ANN001
    return len(units) - (1 if {"IVa", "IVb"} <= set(units) else 0)


def connected(units) -> bool:  # noqa: ANN001
    units = set(units)
    if not units:
        return False
    seen, todo = set(), [next(iter(units))]
    while todo:
        u = todo.pop()
        if u in seen:
            continue
        seen.add(u)
        todo += [v for v in units if frozenset((u, v)) in EDGES]
    return seen == units


def remnant_table1_vessels(units) -> set[str]:  # noqa: ANN001
    u = set(units)
    out = {"MPV", "IVC"} if u else set()
    if u & LEFT:
        out |= {"LPV", "LHV"}
    if u & {"IVa", "IVb", "V", "VIII"}:
        out.add("MHV")
    if u & RIGHT:
        out |= {"RPV", "RHV"}
    return out


def lost_from(touched) -> set[str]:  # noqa: ANN001
    return set(touched) | {FOLLOWS[s] for s in touched if s in FOLLOWS}


def viable(seg: str, lost: set[str], planned) -> bool:  # noqa: ANN001
    if "IVC" in lost:
        return False
    if seg == "I":
        sides = (["LPV"] if set(planned) & LEFT else []) + (["RPV"] if set(planned) & RIGHT else [])
        sides = sides or ["LPV", "RPV"]
        return "MPV" not in lost and not all(s in lost for s in sides)
    return not (INFLOW_ALL[seg] & lost) and not OUTFLOW_ANY[seg] <= lost


CANDIDATES = [frozenset(c) for n in range(2, 10) for c in combinations(UNITS, n)
              if connected(c) and count8(c) >= 2]


# --------------------------------------------------------------------------- numbers

def ex(value) -> Fraction:  # noqa: ANN001
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


getcontext().prec = 60


def estimated_tlv(height, weight) -> Fraction | None:  # noqa: ANN001
    if height is None or weight is None:
        return None
    bsa = (Decimal(repr(height)) * Decimal(repr(weight)) / Decimal(3600)).sqrt()
    tlv = Fraction(Decimal("-794.41") + Decimal("1267.28") * bsa)
    return tlv if tlv > 0 else None


def age(birth: date | None, on: date) -> int | None:
    if birth is None or on < birth:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --------------------------------------------------------------------------- the evaluator

@dataclass
class Facts:
    present: list[Lesion]
    contacts: dict[str, set[str]]  # lesion id -> structures touched


def facts(r: Review) -> Facts:
    present = [les for les in r.lesions if les.status == "present"]
    ids = {les.id for les in present}
    contacts: dict[str, set[str]] = {les.id: set() for les in present}
    for v in r.vessels or ():
        if v.lesion in ids:
            contacts[v.lesion].add(v.structure)
    return Facts(present, contacts)


def threshold_set(condition: str | None, weeks: Fraction | None) -> set[Fraction]:
    if condition in ("chemotherapy", "steatosis"):
        return {Fraction(30)}
    if condition in ("fibrosis", "cirrhosis"):
        return {Fraction(40)}
    if condition == "normal":
        if weeks is None:
            return {Fraction(20), Fraction(30)}
        return {Fraction(30) if weeks > 12 else Fraction(20)}
    base = {Fraction(20), Fraction(30), Fraction(40)}
    return {t for t in base if t >= 30} if weeks is not None and weeks > 12 else base


def volume_status(case: Case, r: Review, units: frozenset[str],
                  planned: frozenset[str] | None) -> str | None:
    """'met', 'not_met', 'unknown' (assessed but undecided) or None (no usable volume)."""
    plan = r.remnant
    if plan is None:
        return None
    after = plan.pve.flr_after_ml if plan.pve is not None else None
    use = after if after is not None else plan.flr_ml
    if use is None:
        return None
    measured_for = units_of(plan.flr_segments) if plan.flr_segments else planned
    if measured_for is None or not units <= measured_for:
        return None  # stale or not attributable: not used
    # A remnant within the one measured holds less: the volume is an upper bound for it.
    within = units != measured_for
    tlv = ex(plan.tlv_ml) if plan.tlv_ml is not None else estimated_tlv(r.height_cm, r.weight_kg)
    if tlv is None:
        return "unknown"
    start = case.treatment.start_date if case.treatment is not None else None
    if start is not None:
        weeks: Fraction | None = Fraction(max(0, (r.date - start).days), 7)
    elif r.cycle == 0:
        weeks = Fraction(0)
    elif r.cycle is not None:
        weeks = Fraction(r.cycle * 2)  # NCT05103020 cycles every 2 weeks
    else:
        weeks = None
    pct = ex(use) * 100 / tlv
    results = {pct >= t for t in threshold_set(plan.liver_condition, weeks)}
    if within and results == {True}:
        return None  # the bound clears every threshold: stale, not used
    return "unknown" if len(results) > 1 else ("met" if results.pop() else "not_met")


def recorded_plan(r: Review, f: Facts, case: Case) -> tuple[bool | None, set[str]]:
    """(feasible, touched Table-1 vessels of the planned remnant) of the recorded plan; feasible
    is None when the segments allow it and a volume measured for it cannot be judged (it could
    be insufficient: missing data is never a pass)."""
    plan = r.remnant
    assert plan is not None
    planned = units_of(plan.segments) if plan.segments else frozenset(UNITS) - REMOVES[plan.resection]
    method = {lt.lesion: lt.method for lt in plan.local_treatment}
    stays = planned
    while True:
        inside = {les.id for les in f.present if units_of(les.segments) & stays}
        in_place = {lid for lid in inside if method.get(lid) != "wedge"}
        touched = {s for les in f.present if les.id not in in_place for s in f.contacts[les.id]}
        lost = lost_from(touched)
        nxt = frozenset(u for u in planned if viable(u, lost, planned))
        if nxt == stays:
            break
        stays = nxt
    cleared = all(method.get(les.id) == "wedge" for les in f.present
                  if units_of(les.segments) & stays)
    ok = (cleared and bool(stays) and count8(stays) >= 2 and connected(stays)
          and connected(planned))
    feasible: bool | None = ok
    if ok:
        volume = volume_status(case, r, stays, planned)
        feasible = False if volume == "not_met" else None if volume == "unknown" else True
    all_touched = {s for les in f.present for s in f.contacts[les.id]}
    return feasible, all_touched & remnant_table1_vessels(planned)


SUPPLY = ("MPV", "RPV", "LPV", "RAPV", "RPPV", "MHV", "RHV", "LHV", "IRHV", "IVC")


def a_relation_could_make_it_work(r: Review, f: Facts, case: Case) -> bool:
    """Vessels not assessed, recorded plan failing: could a relation not yet recorded make it
    work?  A lesion that leaves with a specimen (resected, or wedged) may touch any structures;
    the remnant segments they supply go with the specimen, and the lesions in them."""
    plan = r.remnant
    assert plan is not None
    planned = units_of(plan.segments) if plan.segments else frozenset(UNITS) - REMOVES[plan.resection]
    if not connected(planned):
        return False
    method = {lt.lesion: lt.method for lt in plan.local_treatment}
    if not any(not units_of(les.segments) & planned or method.get(les.id) == "wedge"
               for les in f.present):
        return False
    for n in range(1 << len(SUPPLY)):
        lost = {s for k, s in enumerate(SUPPLY) if n >> k & 1}
        stays = frozenset(u for u in planned if viable(u, lost, planned))
        if not stays or count8(stays) < 2 or not connected(stays):
            continue
        if any(method.get(les.id) != "wedge" for les in f.present if units_of(les.segments) & stays):
            continue
        if volume_status(case, r, stays, planned) != "not_met":
            return True
    return False


def search(r: Review, f: Facts, case: Case, bilobar: bool) -> tuple[bool | None, bool]:
    """(a feasible remnant exists, the best one keeps a touched Table-1 vessel); None when the
    only remnants that work lie within one whose measured volume cannot be judged."""
    all_touched = {s for les in f.present for s in f.contacts[les.id]}
    large = [les for les in f.present if les.diameter_mm is not None and ex(les.diameter_mm) > 30]
    exclude: frozenset[str] | None = None
    plan = r.remnant
    if plan is not None and plan.flr_segments and (plan.flr_ml is not None or plan.pve is not None):
        m = units_of(plan.flr_segments)
        if volume_status(case, r, m, None) in ("not_met", "unknown"):
            exclude = m  # insufficient, or could be: not offered
    ok, free, e2bad, set_aside = [], set(), set(), False
    for c in CANDIDATES:
        inside = [les for les in f.present if units_of(les.segments) & c]
        if any(f.contacts[les.id] for les in inside):
            continue  # a lesion touching a vessel cannot be wedged (ablation does not count)
        touched = {s for les in f.present if les not in inside for s in f.contacts[les.id]}
        lost = lost_from(touched)
        if not all(viable(u, lost, c) for u in c):
            continue
        if exclude is not None and c <= exclude:
            set_aside = set_aside or volume_status(case, r, exclude, None) == "unknown"
            continue
        ok.append(c)
        if not all_touched & remnant_table1_vessels(c):
            free.add(c)
        if bilobar and len(large) >= 4 and sum(1 for les in large if units_of(les.segments) & c) >= 4:
            e2bad.add(c)
    if not ok:
        return (None if set_aside else False), False
    pools = ([c for c in ok if c in free and c not in e2bad], [c for c in ok if c not in e2bad],
             [c for c in ok if c in free], ok)
    chosen = next(i for i, p in enumerate(pools) if p)
    return True, chosen in (1, 3)


def resectability(case: Case, i: int) -> tuple[set[str], dict[str, str | None]]:
    """The possible verdicts and the E1-E3 statuses (None = unknown) of review i."""
    r = case.reviews[i]
    if not r.lesions:
        return {"permanently_unresectable", "convertible", "resectable"}, {"E1": None, "E2": None, "E3": None}
    f = facts(r)
    if not f.present:
        return {"resectable"}, {"E1": "no", "E2": "no", "E3": "no"}
    # E1: two or more tumours in every one of the 8 segments (IV = IVa + IVb).
    names = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    counts = dict.fromkeys(names, 0)
    for les in f.present:
        for n in {("IV" if u in ("IVa", "IVb") else u) for u in units_of(les.segments)}:
            counts[n] += 1
    e1 = "yes" if all(v >= 2 for v in counts.values()) else "no"
    right = [les for les in f.present if units_of(les.segments) & RIGHT]
    left = [les for les in f.present if units_of(les.segments) & LEFT]
    bilobar = bool(right and left)
    large = [les for les in f.present if les.diameter_mm is not None and ex(les.diameter_mm) > 30]
    unsized = [les for les in f.present if les.diameter_mm is None]
    has_plan = r.remnant is not None and (r.remnant.resection or r.remnant.segments)
    # E2
    if not bilobar:
        e2: str | None = "no"
    elif has_plan:
        planned = units_of(r.remnant.segments) if r.remnant.segments else \
            frozenset(UNITS) - REMOVES[r.remnant.resection]
        lo = sum(1 for les in large if units_of(les.segments) & planned)
        hi = lo + sum(1 for les in unsized if units_of(les.segments) & planned)
        e2 = "yes" if lo >= 4 else "no" if hi < 4 else None
    elif len(large) + len(unsized) < 4:
        e2 = "no"
    else:
        every = all(sum(1 for les in large if units_of(les.segments) & c) >= 4 for c in CANDIDATES)
        e2 = "yes" if every else None
    # E3
    if not bilobar:
        e3: str | None = "no"
    elif r.tumour_burden_pct is not None:
        e3 = "yes" if ex(r.tumour_burden_pct) > 50 else "no"
    elif unsized:
        e3 = None
    else:
        tlv = estimated_tlv(r.height_cm, r.weight_kg)
        if tlv is None:
            e3 = None
        else:
            spheres = 2 * Fraction(355, 113) / 6 * sum(ex(les.diameter_mm) ** 3 for les in f.present) / 1000
            e3 = "no" if spheres < tlv / 2 else None
    exclusions = {"E1": e1, "E2": e2, "E3": e3}
    # U1 and U2
    if has_plan:
        feasible, kept = recorded_plan(r, f, case)
        u1: str | None = None if feasible is None else "no" if feasible else "yes"
        u2: str | None = "yes" if kept else "no"
    else:
        exists, keeps = search(r, f, case, bilobar)
        u1 = None if exists is None else "no" if exists else "yes"
        if exists:
            u2 = "yes" if keeps else "no"
        else:
            touched = {s for les in f.present for s in f.contacts[les.id]} & \
                {"MPV", "RPV", "LPV", "RHV", "MHV", "LHV", "IVC"}
            any_free = any(not touched & remnant_table1_vessels(c) for c in CANDIDATES)
            u2 = "no" if not touched or any_free else "yes"
    if r.vessels is None:
        u2 = None
        if u1 == "no" or (u1 == "yes" and has_plan and a_relation_could_make_it_work(r, f, case)):
            u1 = None
    pu = "yes" if "yes" in exclusions.values() else "no" if all(
        v == "no" for v in exclusions.values()) else None
    unres = "yes" if "yes" in (u1, u2) else "no" if (u1, u2) == ("no", "no") else None
    rest = {"convertible"} if unres == "yes" else {"resectable"} if unres == "no" else \
        {"convertible", "resectable"}
    if pu == "yes":
        return {"permanently_unresectable"}, exclusions
    return (rest if pu == "no" else rest | {"permanently_unresectable"}), exclusions


def eligibility_at(case: Case, j: int) -> str:
    r = case.reviews[j]
    possible, exclusions = resectability(case, j)
    checks: list[bool | None] = [True if possible <= {"convertible"} else
                                 False if "convertible" not in possible else None]
    checks += [None if v is None else v == "no" for v in exclusions.values()]
    ehd = r.extrahepatic_disease
    checks.append(None if ehd is None else ehd != "confirmed")
    c, labs = r.clinical, r.labs
    checks.append(None if c.neuropathy_grade is None else c.neuropathy_grade < 2)
    a = age(case.patient.birth_date, r.date)
    checks.append(None if a is None else a >= 19)
    checks.append(None if r.ecog is None else r.ecog <= 1)
    checks.append(None if c.prior_systemic_lines is None else c.prior_systemic_lines == 0)
    checks.append(None if c.life_expectancy_months is None else ex(c.life_expectancy_months) >= 3)
    for name, limit in (("anc", "1.5"), ("hb", "9.0"), ("plt", "100")):
        v = getattr(labs, name)
        checks.append(None if v is None else ex(v) >= Fraction(limit))
    for name, factor in (("ast", 5), ("alt", 5), ("alp", 5), ("bilirubin", Fraction(3, 2))):
        v, u = getattr(labs, name), getattr(labs.uln, name)
        checks.append(None if v is None or u is None or ex(u) <= 0 else ex(v) <= factor * ex(u))
    # Creatinine clearance (Cockcroft-Gault, SI): (140 - age) x kg x 1.23 (men) or 1.04
    # (women) / creatinine in umol/L; for another or unknown sex both must agree.
    if a is None or r.weight_kg is None or labs.creatinine is None:
        checks.append(None)
    else:
        base = (140 - a) * ex(r.weight_kg) / ex(labs.creatinine)
        factors = {"M": [Fraction("1.23")], "F": [Fraction("1.04")]}.get(
            case.patient.sex or "", [Fraction("1.04"), Fraction("1.23")])
        results = {base * k >= 45 for k in factors}
        checks.append(results.pop() if len(results) == 1 else None)
    dip = labs.proteinuria
    if dip is None:
        checks.append(None)
    elif dip in ("neg", "trace", "1+"):
        checks.append(True)
    else:
        g = labs.proteinuria_g_24h
        checks.append(None if g is None else ex(g) <= 1)
    if False in checks:
        return "not_eligible"
    return "eligible" if all(v is True for v in checks) else "indeterminate"


def independent(case: Case, i: int) -> tuple[str, str]:
    possible, _ = resectability(case, i)
    verdict = next(iter(possible)) if len(possible) == 1 else "indeterminate"
    on = case.protocol.enrolment_date
    e = 0
    if on is not None:
        for k, r in enumerate(case.reviews):
            if r.date <= on:
                e = k
    return verdict, eligibility_at(case, e if e < i else i)


# --------------------------------------------------------------------------- generated cases

ALL_SEGMENTS = ("I", "II", "III", "IVa", "IVb", "IV", "V", "VI", "VII", "VIII")
NEAR = {"I": ("IVC", "RPV", "LPV"), "II": ("LHV", "LPV", "LHD"), "III": ("LHV", "LPV"),
        "IVa": ("MHV", "LHV", "LPV"), "IVb": ("MHV", "LPV", "BC"), "IV": ("MHV", "LPV"),
        "V": ("MHV", "RAPV", "RPV"), "VI": ("RHV", "IRHV", "RPPV"), "VII": ("RHV", "RPPV", "IVC"),
        "VIII": ("MHV", "RHV", "RAPV", "RHA")}


def _lesions(rng: random.Random, ids: list[str]) -> list[Lesion]:
    out = []
    for lid in ids:
        first = rng.choice(ALL_SEGMENTS)
        segs = [first]
        if rng.random() < 0.35:  # straddling lesions, some across the hemilivers
            other = rng.choice(ALL_SEGMENTS)
            if other != first and not ({other, first} & {"IV"} and {other, first} & {"IVa", "IVb"}):
                segs.append(other)
        status = rng.choice(("present",) * 9 + ("disappeared",))
        d = None if status == "disappeared" else rng.choice(
            [None, 12, 25, 30, 30.5, 31, 45, 60, 90, 120][: 10 if rng.random() < 0.8 else 3])
        out.append(Lesion(lid, tuple(segs), d, target=False, status=status))
    return out


def _review(rng: random.Random, on: date, cycle: int | None, ids: list[str]) -> Review:
    lesions = [] if rng.random() < 0.08 else _lesions(rng, ids[: rng.randint(1, 7)])
    roll = rng.random()
    if roll < 0.15:
        vessels: tuple[VesselContact, ...] | None = None  # not assessed
    else:
        vs = []
        for les in lesions:
            if rng.random() < 0.4:
                seg = rng.choice(les.segments)
                vs.append(VesselContact(rng.choice(NEAR[seg]), rng.choice(
                    ("contact", "encasement", "invasion", "thrombus")), les.id))
        vessels = tuple(vs)
    remnant = None
    roll = rng.random()
    if roll < 0.55 and lesions:
        named = rng.random() < 0.6
        segments = None
        if not named:
            segments = tuple(u for u in UNITS if rng.random() < 0.55) or ("II", "III")
        local = tuple(LocalTreatment(les.id, rng.choice(("wedge", "wedge", "ablation")))
                      for les in lesions if rng.random() < 0.4)
        flr = rng.choice([None, 250, 300, 380, 450, 600])
        after = rng.choice([None, None, None, 330, 470])
        flr_segments = None
        if flr is not None or after is not None:
            flr_segments = rng.choice([None, None, segments, ("I", "II", "III", "IVa", "IVb"),
                                       ("I", "VI", "VII")])
        remnant = RemnantPlan(
            resection=rng.choice(sorted(REMOVES)) if named else None, segments=segments,
            local_treatment=local, flr_ml=flr, tlv_ml=rng.choice([None, 1200, 1500]),
            liver_condition=rng.choice(("normal", "normal", "chemotherapy", "cirrhosis", None)),
            pve=None if after is None else PortalVeinEmbolisation(on - timedelta(days=30), flr,
                                                                   after, None),
            flr_segments=flr_segments)
    elif roll < 0.6 and lesions:
        # Volumes recorded without a plan, for the segments they were measured for.
        remnant = RemnantPlan(flr_ml=rng.choice([250, 500]), tlv_ml=1500,
                              liver_condition="normal", flr_segments=("I", "VI", "VII"))
    if rng.random() < 0.45:
        # A patient whose trial items are all in order: eligibility then turns on the liver.
        return Review(
            date=on, cycle=cycle, height_cm=rng.choice([158, 172, 190]),
            weight_kg=rng.choice([55, 74, 98]), lesions=tuple(lesions), vessels=vessels,
            remnant=remnant, tumour_burden_pct=rng.choice([None, 20, 60]),
            extrahepatic_disease="none", ecog=rng.choice((0, 1)),
            clinical=Clinical(prior_systemic_lines=0, neuropathy_grade=0,
                              life_expectancy_months=24, prior_adjuvant=rng.choice((None, True))),
            labs=Labs(anc=2.5, hb=12.0, plt=210, ast=30, alt=30, alp=100, bilirubin=10,
                      creatinine=70, proteinuria=rng.choice(("neg", "2+")), proteinuria_g_24h=0.4,
                      uln=Uln(ast=40, alt=41, alp=120, bilirubin=21)))
    return Review(
        date=on, cycle=cycle, height_cm=rng.choice([None, 158, 172, 190]),
        weight_kg=rng.choice([None, 55, 74, 98]), lesions=tuple(lesions), vessels=vessels,
        remnant=remnant, tumour_burden_pct=rng.choice([None, None, 20, 50, 51, 70]),
        extrahepatic_disease=rng.choice(("none", "none", "indeterminate", "confirmed", None)),
        ecog=rng.choice((0, 1, 1, 2, None)),
        clinical=Clinical(prior_systemic_lines=rng.choice((0, 0, 0, 1, None)),
                          neuropathy_grade=rng.choice((0, 0, 1, 2, None)),
                          life_expectancy_months=rng.choice((24, 24, 3, 2.9, None)),
                          prior_adjuvant=rng.choice((None, True, False))),
        labs=Labs(anc=rng.choice((1.5, 1.49, 3.0, None)), hb=rng.choice((9.0, 8.9, 12.1)),
                  plt=rng.choice((100, 99, 250)), ast=rng.choice((30, 200, 201)),
                  alt=rng.choice((30, 205)), alp=rng.choice((100, 600, 601)),
                  bilirubin=rng.choice((10, 31.5, 31.6)),
                  creatinine=rng.choice((60, 120, 160, None)),
                  proteinuria=rng.choice(("neg", "1+", "2+", "3+", None)),
                  proteinuria_g_24h=rng.choice((None, 0.5, 1.0, 1.2)),
                  uln=Uln(ast=40, alt=41, alp=120, bilirubin=rng.choice((21, None)))),
    )


def generated_case(rng: random.Random, n: int) -> Case:
    start = date(2026, 1, 15)
    k = rng.randint(1, 3)
    reviews = [_review(rng, start + timedelta(weeks=8 * j), rng.choice((4 * j, 4 * j, None)),
                       [f"L{i}" for i in range(1, 9)]) for j in range(k)]
    treatment = rng.choice((None, Treatment(start_date=start + timedelta(days=rng.choice((0, 7))))))
    enrolled = rng.choice((None, None, start, start + timedelta(weeks=8), start - timedelta(days=3)))
    return Case(Patient(f"IND-{n}", None, rng.choice(("F", "M", "M", "O", None)),
                        rng.choice((date(1960, 2, 29), date(1960, 2, 29), date(2007, 1, 16),
                                    None))),
                ProtocolRef("NCT05103020", None, enrolled), tuple(reviews), treatment)


CASES = [generated_case(random.Random(1100 + n), n) for n in range(150)]


def test_the_generated_cases_are_valid_and_cover_every_reading() -> None:
    from mdt.caseformat import review_problems

    reviews = [r for c in CASES for r in c.reviews]
    for c in CASES:
        for r in c.reviews:
            assert review_problems(r, c.patient.birth_date) == [], c.patient.id
    assert any(r.vessels is None and r.lesions for r in reviews)          # vessels not assessed
    assert any(not r.lesions for r in reviews)                            # no lesions
    assert any(r.remnant and r.remnant.segments and not connected(units_of(r.remnant.segments))
               for r in reviews)                                          # remnant in pieces
    assert any(r.remnant and r.remnant.pve for r in reviews)              # post-embolisation
    assert any(r.remnant and r.remnant.flr_segments for r in reviews)     # volumes with segments
    assert any(any(set(units_of(les.segments)) & LEFT and set(units_of(les.segments)) & RIGHT
                   for les in r.lesions) for r in reviews)                # straddling lesions
    assert any(c.protocol.enrolment_date for c in CASES)
    assert sum(len(c.reviews) for c in CASES) > 250


@pytest.mark.parametrize("n", range(len(CASES)))
def test_a_separately_written_evaluator_agrees_with_the_engine(n: int) -> None:
    from mdt.protocols import evaluate

    case = CASES[n]
    for i in range(len(case.reviews)):
        ev = evaluate(case, i)
        assert (ev.resectability, ev.eligibility) == independent(case, i), (
            n, i, ev.resectability_reason, ev.eligibility_reason,
            [(f.id, f.status, f.summary) for f in ev.criteria if f.status != "not_met"])


def test_the_verdicts_are_not_all_the_same() -> None:
    verdicts = {independent(c, i) for c in CASES for i in range(len(c.reviews))}
    assert {v for v, _ in verdicts} >= {"resectable", "convertible", "permanently_unresectable",
                                        "indeterminate"}
    assert {e for _, e in verdicts} >= {"eligible", "not_eligible", "indeterminate"}
