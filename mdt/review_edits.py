"""Pure edit functions over an immutable :class:`mdt.case.Review` (no Qt here).

Every edit the review editor offers is one function ``(review, ...) -> Edit``:
it builds the new review with :func:`dataclasses.replace` and a human reason
for the version history ("L1 diameter 42 → 40 mm").  Invalid values raise
:class:`mdt.errors.ValidationError` naming the field by its ``mdt-case/1``
path, before anything is saved.  The same functions are replayed on top of
another workstation's version when the user chooses "apply mine on top".

The limits come from ``mdt.limits`` (the one table the case format and
``docs/case-format.md`` read too); the vocabularies come from ``mdt.case``, so
the UI, the format and the rules never disagree.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from mdt import anatomy, field_names, glossary, limits, review_diff
from mdt.case import (
    ASCITES,
    ENCEPHALOPATHY,
    EXTRAHEPATIC,
    LESION_STATUSES,
    LIVER_CONDITIONS,
    LOCAL_METHODS,
    MODALITIES,
    PLANS,
    PROTEINURIA,
    RATINGS,
    SEGMENTS,
    VESSEL_RELATIONS,
    VESSEL_STRUCTURES,
    Clinical,
    Decision,
    Imaging,
    Lesion,
    LocalTreatment,
    Measurement,
    Number,
    Panel,
    PortalVeinEmbolisation,
    RemnantPlan,
    Review,
    Uln,
    VesselContact,
)
from mdt.errors import FieldProblem, ValidationError


@dataclass(frozen=True, slots=True)
class Edit:
    """The result of one edit: the new review and the reason saved with its version."""
    review: Review
    reason: str


EditFn = Callable[[Review], Edit]
"""An edit still to be applied: replayable on top of a newer version."""


def problem(path: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(path, reason)])


# --------------------------------------------------------------------------- formatting

def fmt_num(value: Number | None) -> str:
    """A recorded number as typed (42, 42.5), or an empty string for not recorded."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fmt_value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return fmt_num(value)
    if isinstance(value, tuple):
        return ", ".join(fmt_value(v) for v in value) or "—"
    return str(value)


def _said(path: str, before: object, after: object) -> str:
    """The reason a one-field edit keeps: its History line ("Total bilirubin 11 → 25 µmol/L"),
    the field named by its one entry in ``mdt.field_names``."""
    return review_diff.field_change(path, before, after).text()


def label(code: str | None) -> str:
    """Vocabulary code in the board's words (mdt.glossary): ``permanently_unresectable`` ->
    ``permanently unresectable``."""
    return glossary.words(code, missing="—")


# --------------------------------------------------------------------------- parsing

_ARABIC = {"1": "I", "2": "II", "3": "III", "4": "IV", "4a": "IVa", "4b": "IVb",
           "5": "V", "6": "VI", "7": "VII", "8": "VIII"}
_CANON = {s.lower(): s for s in SEGMENTS}


def parse_segments(text: str, path: str = "segments") -> tuple[str, ...]:
    """Segments typed by a coordinator: ``VII, VIII`` or ``7 8`` or ``4a``; at least one.

    Returns them in anatomical order without duplicates.  ``IV`` together with
    IVa or IVb collapses to the halves, which say more.
    """
    tokens = [t for t in re.split(r"[\s,;/+]+", text.strip()) if t]
    if not tokens:
        raise problem(path, "at least one segment is required (e.g. VII, VIII)")
    out: list[str] = []
    bad: list[str] = []
    for tok in tokens:
        key = tok.lower()
        seg = _CANON.get(key) or _ARABIC.get(key)
        if seg is None:
            bad.append(tok)
        elif seg not in out:
            out.append(seg)
    if bad:
        raise problem(path, f"unknown segment {', '.join(bad)} (use I–VIII, IVa, IVb)")
    if "IV" in out and ("IVa" in out or "IVb" in out):
        out.remove("IV")
    return anatomy.sort_segments(out)


def parse_number(text: str, path: str, *, minimum: float | None = None, maximum: float | None = None,
                 strict_min: bool = False, integer: bool = False, unit: str = "") -> Number | None:
    """A typed number, or None for an empty field; range-checked with the format's limits."""
    t = text.strip().replace(",", ".")
    if not t:
        return None
    try:
        value: Number = int(t) if re.fullmatch(r"[+-]?\d+", t) else float(t)
    except ValueError:
        raise problem(path, f"{text.strip()!r} is not a number") from None
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise problem(path, f"{text.strip()!r} is not a number")
    if integer and not isinstance(value, int):
        if value.is_integer():
            value = int(value)
        else:
            raise problem(path, "must be a whole number")
    u = f" {unit}" if unit else ""
    if minimum is not None:
        if strict_min and value <= minimum:
            raise problem(path, f"must be > {fmt_num(minimum)}{u}")
        if not strict_min and value < minimum:
            raise problem(path, f"must be ≥ {fmt_num(minimum)}{u}")
    if maximum is not None and value > maximum:
        raise problem(path, f"must be ≤ {fmt_num(maximum)}{u}")
    return value


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Limits of one numeric field, built from ``mdt.limits`` by :func:`spec_for`."""
    path: str
    label: str
    unit: str = ""
    minimum: float | None = 0
    maximum: float | None = None
    strict_min: bool = False
    integer: bool = False

    def parse(self, text: str, path: str | None = None) -> Number | None:
        return parse_number(text, path or self.path, minimum=self.minimum, maximum=self.maximum,
                            strict_min=self.strict_min, integer=self.integer, unit=self.unit)

    def check(self, value: Number, path: str | None = None) -> None:
        """Raise the editor's message when ``value`` is outside this field's limits."""
        parse_number(fmt_num(value), path or self.path, minimum=self.minimum, maximum=self.maximum,
                     strict_min=self.strict_min, integer=self.integer, unit=self.unit)


def spec_for(path: str) -> FieldSpec:
    """The editor's field ``path`` (inside a review) with its limits from the one table."""
    lim = limits.LIMITS["reviews[]." + path]
    return FieldSpec(path, lim.label, lim.unit, lim.lower, lim.maximum,
                     strict_min=lim.above is not None, integer=lim.integer)


REVIEW_FIELDS: dict[str, FieldSpec] = {
    name: spec_for(name) for name in ("cycle", "height_cm", "weight_kg", "ecog", "tumour_burden_pct")
}
CLINICAL_FIELDS: dict[str, FieldSpec] = {
    name: spec_for(f"clinical.{name}")
    for name in ("prior_systemic_lines", "neuropathy_grade", "life_expectancy_months", "cea", "ca19_9",
                 "lvef_pct", "fev1_fvc_pct", "disease_free_interval_months")
}
LAB_FIELDS: dict[str, FieldSpec] = {
    name: spec_for(f"labs.{name}")
    for name in ("anc", "wbc", "hb", "plt", "ast", "alt", "alp", "bilirubin", "creatinine", "albumin",
                 "inr", "proteinuria_g_24h")
}
ULN_FIELDS: dict[str, FieldSpec] = {
    name: spec_for(f"labs.uln.{name}") for name in ("ast", "alt", "alp", "bilirubin", "creatinine")
}
REMNANT_FIELDS: dict[str, FieldSpec] = {
    name: spec_for(f"remnant.{name}") for name in ("flr_ml", "tlv_ml")
}
DIAMETER = spec_for("lesions[].diameter_mm")
_DIAMETER_WORD = field_names.NAMES["reviews[].lesions[].diameter_mm"].brief  # "diameter", after "L2 …"


def _check_choice(value: str | None, allowed: Iterable[str], path: str) -> None:
    if value is not None and value not in allowed:
        raise problem(path, f"must be one of {', '.join(allowed)}")


# --------------------------------------------------------------------------- lesions

def _lesion_index(review: Review, lesion_id: str) -> int:
    for i, les in enumerate(review.lesions):
        if les.id == lesion_id:
            return i
    raise problem("lesions", f"no lesion {lesion_id!r} in this review")


def next_lesion_id(review: Review) -> str:
    """``L<n>`` one past the highest numbered id, so ids stay stable across reviews."""
    used = {les.id for les in review.lesions}
    numbers = [int(m.group(1)) for les in review.lesions if (m := re.fullmatch(r"L(\d+)", les.id))]
    n = max(numbers, default=0) + 1
    while f"L{n}" in used:
        n += 1
    return f"L{n}"


def add_lesion(review: Review, segments: Iterable[str] = (), lesion_id: str | None = None,
               diameter_mm: Number | None = None) -> Edit:
    """A new present lesion.  With no segment yet it is given none; the segments cell asks for one.

    The format requires at least one segment; the editor only saves a lesion
    without one because the coordinator is about to click the diagram, and the
    validation message says so until it is done.
    """
    new_id = lesion_id or next_lesion_id(review)
    if review.lesion(new_id) is not None:
        raise problem("lesions", f"lesion id {new_id} is already used in this review")
    segs = anatomy.sort_units(anatomy.expand(segments)) if segments else ()
    les = Lesion(id=new_id, segments=segs, diameter_mm=diameter_mm)
    where = f" in {', '.join(segs)}" if segs else ""
    return Edit(replace(review, lesions=review.lesions + (les,)), f"add lesion {new_id}{where}")


def remove_lesion(review: Review, lesion_id: str) -> Edit:
    """Remove a lesion with its vessel contacts and local treatment (they describe it)."""
    _lesion_index(review, lesion_id)
    lesions = tuple(les for les in review.lesions if les.id != lesion_id)
    vessels = None if review.vessels is None else tuple(
        v for v in review.vessels if v.lesion != lesion_id)
    remnant = review.remnant
    if remnant is not None:
        remnant = replace(remnant, local_treatment=tuple(
            lt for lt in remnant.local_treatment if lt.lesion != lesion_id))
    return Edit(replace(review, lesions=lesions, vessels=vessels, remnant=remnant),
                f"remove lesion {lesion_id}")


def _replace_lesion(review: Review, idx: int, lesion: Lesion) -> Review:
    lesions = list(review.lesions)
    lesions[idx] = lesion
    return replace(review, lesions=tuple(lesions))


def rename_lesion(review: Review, lesion_id: str, new_id: str) -> Edit:
    """Change a lesion id and every reference to it (vessels, local treatment)."""
    idx = _lesion_index(review, lesion_id)
    new_id = new_id.strip()
    path = f"lesions[{idx}].id"
    if not new_id:
        raise problem(path, "a lesion id is required")
    if new_id == lesion_id:
        return Edit(review, "")
    if review.lesion(new_id) is not None:
        raise problem(path, f"{new_id} is already used by another lesion in this review")
    out = _replace_lesion(review, idx, replace(review.lesions[idx], id=new_id))
    vessels = None if out.vessels is None else tuple(
        replace(v, lesion=new_id) if v.lesion == lesion_id else v for v in out.vessels)
    remnant = out.remnant
    if remnant is not None:
        remnant = replace(remnant, local_treatment=tuple(
            replace(lt, lesion=new_id) if lt.lesion == lesion_id else lt for lt in remnant.local_treatment))
    return Edit(replace(out, vessels=vessels, remnant=remnant), f"rename lesion {lesion_id} → {new_id}")


def set_segments(review: Review, lesion_id: str, segments: Iterable[str]) -> Edit:
    idx = _lesion_index(review, lesion_id)
    segs = tuple(segments)
    path = f"lesions[{idx}].segments"
    if not segs:
        raise problem(path, f"{lesion_id} needs at least one segment")
    for s in segs:
        _check_choice(s, SEGMENTS, path)
    old = review.lesions[idx]
    return Edit(_replace_lesion(review, idx, replace(old, segments=segs)),
                _said(f"lesions[{lesion_id}].segments", old.segments, segs))


def toggle_segment(review: Review, lesion_id: str, unit: str) -> Edit:
    """Diagram click: add or remove one anatomical unit from a lesion (``IV`` splits in halves)."""
    idx = _lesion_index(review, lesion_id)
    if unit not in anatomy.UNITS:
        raise problem(f"lesions[{idx}].segments", f"unknown segment {unit}")
    units = set(anatomy.expand(review.lesions[idx].segments))
    if unit in units:
        units.discard(unit)
        if not units:
            raise problem(f"lesions[{idx}].segments",
                          f"{lesion_id} needs at least one segment; click another segment first")
    else:
        units.add(unit)
    return set_segments(review, lesion_id, anatomy.sort_units(units))


def set_diameter(review: Review, lesion_id: str, diameter: Number | None) -> Edit:
    idx = _lesion_index(review, lesion_id)
    old = review.lesions[idx]
    path = f"lesions[{idx}].diameter_mm"
    if diameter is not None:
        DIAMETER.check(diameter, path)
    return Edit(_replace_lesion(review, idx, replace(old, diameter_mm=diameter)),
                _said(f"lesions[{lesion_id}].diameter_mm", old.diameter_mm, diameter))


def set_target(review: Review, lesion_id: str, target: bool) -> Edit:
    idx = _lesion_index(review, lesion_id)
    return Edit(_replace_lesion(review, idx, replace(review.lesions[idx], target=bool(target))),
                f"{lesion_id} {'marked' if target else 'unmarked'} as target")


def set_status(review: Review, lesion_id: str, status: str) -> Edit:
    idx = _lesion_index(review, lesion_id)
    _check_choice(status, LESION_STATUSES, f"lesions[{idx}].status")
    old = review.lesions[idx]
    reason = _said(f"lesions[{lesion_id}].status", old.status, status)
    new = replace(old, status=status)
    if status == "disappeared" and old.diameter_mm is not None:
        # A disappeared lesion measures nothing (the format refuses a size beside it).
        new = replace(new, diameter_mm=None)
        reason += f" ({_DIAMETER_WORD} {fmt_num(old.diameter_mm)} {DIAMETER.unit} cleared)"
    return Edit(_replace_lesion(review, idx, new), reason)


def set_measurement(review: Review, lesion_id: str, measurement: Measurement, length_mm: Number) -> Edit:
    """A caliper measurement from the image viewer: the diameter (0.1 mm) and where it was taken."""
    idx = _lesion_index(review, lesion_id)
    path = f"lesions[{idx}].diameter_mm"
    if DIAMETER.maximum is not None and not (0 < length_mm <= DIAMETER.maximum):
        raise problem(path, f"a caliper length of {length_mm:.1f} mm is outside "
                            f"{limits.LIMITS['reviews[].lesions[].diameter_mm'].words()}")
    old = review.lesions[idx]
    if old.status == "disappeared":
        raise problem(path, f"{lesion_id} is recorded as disappeared; change its status before measuring it")
    diameter = round(float(length_mm), 1)
    if diameter.is_integer():
        diameter = int(diameter)
    return Edit(_replace_lesion(review, idx, replace(old, diameter_mm=diameter, measurement=measurement)),
                _said(f"lesions[{lesion_id}].diameter_mm", old.diameter_mm, diameter) + " (caliper)")


# --------------------------------------------------------------------------- imaging

def set_imaging(review: Review, modality: str | None = None, on: date | None = None,
                study_uid: str | None = None) -> Edit:
    """The imaging this review is based on; all three None removes it."""
    _check_choice(modality, MODALITIES, "imaging.modality")
    if on is not None and on > review.date:
        raise problem("imaging.date", f"must not be after the review date {review.date}")
    uid = (study_uid or "").strip() or None
    img = None if modality is None and on is None and uid is None else Imaging(modality, on, uid)
    old = review.imaging

    def words(i: Imaging | None) -> str:
        return "none" if i is None else " ".join(x for x in (i.modality, i.date and i.date.isoformat()) if x) or "—"

    return Edit(replace(review, imaging=img), f"imaging {words(old)} → {words(img)}")


# --------------------------------------------------------------------------- vessels

def vessel_relation(review: Review, lesion_id: str | None, structure: str) -> str | None:
    for v in review.vessels or ():
        if v.lesion == lesion_id and v.structure == structure:
            return v.relation
    return None


def set_vessel(review: Review, lesion_id: str | None, structure: str, relation: str | None) -> Edit:
    """Set (or clear with None) the relation of one lesion with one structure."""
    _check_choice(structure, VESSEL_STRUCTURES, "vessels[].structure")
    _check_choice(relation, VESSEL_RELATIONS, "vessels[].relation")
    if lesion_id is not None:
        _lesion_index(review, lesion_id)
    old = vessel_relation(review, lesion_id, structure)
    kept: list[VesselContact] = []
    placed = False
    # Recording a relation assesses the vessels: a review that was "not assessed" now is.
    for v in review.vessels or ():
        if v.lesion == lesion_id and v.structure == structure:
            if relation is not None and not placed:
                kept.append(replace(v, relation=relation))
                placed = True
            continue
        kept.append(v)
    if relation is not None and not placed:
        kept.append(VesselContact(structure=structure, relation=relation, lesion=lesion_id))
    who = lesion_id or "unattributed"
    if relation is None and review.vessels is None:
        # Clearing a relation of a review whose vessels are not assessed changes nothing: "no
        # vascular contact" is its own explicit action, never the side effect of a clear.
        return Edit(review, f"{who} {structure}: nothing to clear (vessels not assessed)")
    return Edit(replace(review, vessels=tuple(kept)),
                f"{who} {structure} {old or 'none'} → {relation or 'none'}")


def mark_no_vascular_contact(review: Review) -> Edit:
    """The explicit "no vascular contact" action: vessels assessed, no relation with any lesion
    (docs/clinical/conventions.md#missing-is-unknown: never the default of a new review)."""
    if review.vessels:
        raise problem("vessels", f"{len(review.vessels)} vessel relation(s) are recorded: clear "
                                 "them first to record that no lesion touches a vessel")
    before = "not assessed" if review.vessels is None else "no vascular contact"
    return Edit(replace(review, vessels=()), f"vessels {before} → no vascular contact")


def mark_vessels_not_assessed(review: Review) -> Edit:
    """Back to "vessel relations not assessed" (every vessel criterion becomes unknown)."""
    if review.vessels:
        raise problem("vessels", f"{len(review.vessels)} vessel relation(s) are recorded: clear "
                                 "them first to mark the vessels as not assessed")
    before = "not assessed" if review.vessels is None else "no vascular contact"
    return Edit(replace(review, vessels=None), f"vessels {before} → not assessed")


def vessels_state(review: Review) -> str:
    """``not_assessed``, ``no_contact`` or ``contacts`` (what the vessel grid says above itself)."""
    if review.vessels is None:
        return "not_assessed"
    return "contacts" if review.vessels else "no_contact"


# --------------------------------------------------------------------------- remnant

def _remnant(review: Review) -> RemnantPlan:
    return review.remnant or RemnantPlan()


def remnant_units(review: Review) -> frozenset[str] | None:
    """The segments the recorded plan leaves, or None when no plan is recorded."""
    rem = review.remnant
    if rem is None:
        return None
    if rem.resection in anatomy.RESECTIONS:
        return anatomy.remnant_of(rem.resection)
    if rem.segments:
        return anatomy.expand(rem.segments)
    return None


def lesions_in_remnant(review: Review, units: frozenset[str] | None = None) -> tuple[Lesion, ...]:
    """Present lesions lying (even partly) in the remnant: the ones a plan must treat locally."""
    units = remnant_units(review) if units is None else units
    if not units:
        return ()
    return tuple(les for les in review.lesions
                 if les.status == "present" and anatomy.expand(les.segments) & units)


def _prune_local(review: Review, plan: RemnantPlan) -> RemnantPlan:
    """Local treatment only makes sense for lesions still in the remnant; a measured volume
    keeps the segments it was measured for (a new plan never inherits it silently)."""
    probe = replace(review, remnant=plan)
    inside = {les.id for les in lesions_in_remnant(probe)}
    plan = replace(plan, local_treatment=tuple(lt for lt in plan.local_treatment if lt.lesion in inside))
    return _pin_volume(review, plan)


def _has_volume(plan: RemnantPlan | None) -> bool:
    return plan is not None and (plan.flr_ml is not None or (plan.pve is not None and (
        plan.pve.flr_before_ml is not None or plan.pve.flr_after_ml is not None)))


def _pin_volume(review: Review, plan: RemnantPlan) -> RemnantPlan:
    """A volume recorded without its segments belonged to the plan it was recorded beside: when
    the plan changes, write those segments down so the volume shows as stale, never as the new
    plan's (docs/clinical/conventions.md#volume-is-part-of-adequate)."""
    old = review.remnant
    if _has_volume(plan) and plan.flr_segments is None and old is not None:
        units = remnant_units(review)
        if units and units != remnant_units(replace(review, remnant=plan)):
            plan = replace(plan, flr_segments=anatomy.sort_units(units))
    return plan


def volume_segments(review: Review) -> frozenset[str] | None:
    """The segments the recorded remnant volume was measured for (None: no volume, or one
    recorded without its segments and no plan)."""
    plan = review.remnant
    if not _has_volume(plan):
        return None
    assert plan is not None
    if plan.flr_segments:
        return anatomy.expand(plan.flr_segments)
    return remnant_units(review)


def _plan_words(plan: RemnantPlan | None) -> str:
    if plan is None or (plan.resection is None and not plan.segments):
        return "no plan"
    if plan.resection:
        return anatomy.RESECTION_LABELS.get(plan.resection, plan.resection)
    return "remnant " + ", ".join(plan.segments or ())


def choose_resection(review: Review, name: str | None) -> Edit:
    """A named resection (Brisbane 2000) replaces any custom remnant; None clears the plan."""
    if name is not None and name not in anatomy.RESECTIONS:
        raise problem("remnant.resection", f"unknown resection {name!r}")
    old = _remnant(review)
    plan = _prune_local(review, replace(old, resection=name, segments=None))
    return Edit(replace(review, remnant=plan), f"plan {_plan_words(review.remnant)} → {_plan_words(plan)}")


def set_remnant_segments(review: Review, units: Iterable[str] | None) -> Edit:
    """A custom remnant; stored as the named resection when it is exactly one."""
    old = _remnant(review)
    if units is None or not set(units):
        plan = replace(old, resection=None, segments=None)
    else:
        us = anatomy.expand(units)
        named = anatomy.resection_for_remnant(us)
        plan = replace(old, resection=named, segments=None if named else anatomy.sort_units(us))
    plan = _prune_local(review, plan)
    return Edit(replace(review, remnant=plan), f"plan {_plan_words(review.remnant)} → {_plan_words(plan)}")


def toggle_remnant_segment(review: Review, unit: str) -> Edit:
    """Diagram click in remnant mode.  With no plan yet, the first click starts a remnant of that unit."""
    if unit not in anatomy.UNITS:
        raise problem("remnant.segments", f"unknown segment {unit}")
    units = set(remnant_units(review) or ())
    units.symmetric_difference_update({unit})
    return set_remnant_segments(review, units)


def set_local_treatment(review: Review, lesion_id: str, method: str | None) -> Edit:
    _check_choice(method, LOCAL_METHODS, "remnant.local_treatment[].method")
    _lesion_index(review, lesion_id)
    old = _remnant(review)
    if method is not None and lesion_id not in {les.id for les in lesions_in_remnant(review)}:
        raise problem("remnant.local_treatment", f"{lesion_id} does not lie in the remnant")
    before = next((lt.method for lt in old.local_treatment if lt.lesion == lesion_id), None)
    items = [lt for lt in old.local_treatment if lt.lesion != lesion_id]
    if method is not None:
        items.append(LocalTreatment(lesion=lesion_id, method=method))
    order = {les.id: i for i, les in enumerate(review.lesions)}
    items.sort(key=lambda lt: order.get(lt.lesion, 0))
    return Edit(replace(review, remnant=replace(old, local_treatment=tuple(items))),
                f"{lesion_id} local treatment {before or 'none'} → {method or 'none'}")


def set_remnant_value(review: Review, name: str, value: Number | None) -> Edit:
    spec = REMNANT_FIELDS[name]
    if value is not None:
        spec.check(value)
    old = _remnant(review)
    changes: dict[str, Any] = {name: value}
    plan = replace(old, **changes)
    if name == "flr_ml":
        # A measured remnant volume belongs to the segments of the plan it was measured for.
        units = remnant_units(review)
        plan = replace(plan, flr_segments=anatomy.sort_units(units) if value is not None and units
                       else plan.flr_segments if _has_volume(plan) else None)
    if plan.flr_ml is not None and plan.tlv_ml is not None and plan.flr_ml > plan.tlv_ml:
        raise problem(spec.path, f"remnant volume {fmt_num(plan.flr_ml)} mL cannot exceed the total "
                                 f"liver volume {fmt_num(plan.tlv_ml)} mL")
    return Edit(replace(review, remnant=plan), _said(f"remnant.{name}", getattr(old, name), value))


def set_pve(review: Review, flr_after_ml: Number | None = None, on: date | None = None) -> Edit:
    """Portal vein embolisation: the post-embolisation remnant volume (measured for the current
    plan's remnant) and the date of the embolisation.  Both empty removes the record."""
    if flr_after_ml is not None:
        parse_number(fmt_num(flr_after_ml), "remnant.pve.flr_after_ml", minimum=0,
                     maximum=REMNANT_FIELDS["flr_ml"].maximum, strict_min=True, unit="mL")
    if on is not None and on > review.date:
        raise problem("remnant.pve.date", f"must not be after the review date {review.date}")
    old = _remnant(review)
    before = old.pve
    if flr_after_ml is None and on is None:
        pve = None if before is None or (before.flr_before_ml is None) else replace(
            before, flr_after_ml=None, date=None)
    else:
        base = before or PortalVeinEmbolisation()
        pve = replace(base, flr_after_ml=flr_after_ml, date=on)
    plan = replace(old, pve=pve)
    units = remnant_units(review)
    if flr_after_ml is not None and units:
        plan = replace(plan, flr_segments=anatomy.sort_units(units))
    elif not _has_volume(plan):
        plan = replace(plan, flr_segments=None)

    def words(p: PortalVeinEmbolisation | None) -> str:
        if p is None or (p.flr_after_ml is None and p.date is None):
            return "none"
        return " ".join(x for x in (p.date and p.date.isoformat(),
                                    p.flr_after_ml is not None and f"{fmt_num(p.flr_after_ml)} mL"
                                    or "") if x)

    return Edit(replace(review, remnant=plan),
                f"{field_names.label('remnant.pve')} {words(before)} → {words(pve)}")


def set_liver_condition(review: Review, condition: str | None) -> Edit:
    _check_choice(condition, LIVER_CONDITIONS, "remnant.liver_condition")
    old = _remnant(review)
    return Edit(replace(review, remnant=replace(old, liver_condition=condition)),
                _said("remnant.liver_condition", old.liver_condition, condition))


# --------------------------------------------------------------------------- clinical and labs

def set_review_value(review: Review, name: str, value: Any) -> Edit:
    """cycle, height, weight, ECOG, tumour burden (numbers) or extrahepatic disease (choice)."""
    if name == "extrahepatic_disease":
        _check_choice(value, EXTRAHEPATIC, name)
        return Edit(replace(review, extrahepatic_disease=value),
                    _said(name, review.extrahepatic_disease, value))
    if name == "date":
        if not isinstance(value, date):
            raise problem("date", "must be a date")
        return Edit(replace(review, date=value), _said("date", review.date, value))
    spec = REVIEW_FIELDS[name]
    if value is not None:
        spec.parse(fmt_num(value))
    return Edit(replace(review, **{name: value}), _said(name, getattr(review, name), value))


_CLINICAL_CHOICES: dict[str, tuple[str, ...]] = {"ascites": ASCITES, "encephalopathy": ENCEPHALOPATHY}
_CLINICAL_BOOLS = ("node_positive_primary", "synchronous")


def set_clinical(review: Review, name: str, value: Any) -> Edit:
    if name in _CLINICAL_CHOICES:
        _check_choice(value, _CLINICAL_CHOICES[name], f"clinical.{name}")
    elif name in _CLINICAL_BOOLS:
        if value is not None and not isinstance(value, bool):
            raise problem(f"clinical.{name}", "must be yes, no or not recorded")
    else:
        spec = CLINICAL_FIELDS[name]
        if value is not None:
            spec.parse(fmt_num(value))
    if not any(f.name == name for f in dataclasses.fields(Clinical)):
        raise problem(f"clinical.{name}", "unknown field")
    old = getattr(review.clinical, name)
    return Edit(replace(review, clinical=replace(review.clinical, **{name: value})),
                _said(f"clinical.{name}", old, value))


def set_lab(review: Review, name: str, value: Any) -> Edit:
    if name == "proteinuria":
        _check_choice(value, PROTEINURIA, "labs.proteinuria")
    else:
        spec = LAB_FIELDS[name]
        if value is not None:
            spec.parse(fmt_num(value))
    old = getattr(review.labs, name)
    return Edit(replace(review, labs=replace(review.labs, **{name: value})),
                _said(f"labs.{name}", old, value))


def set_uln(review: Review, name: str, value: Number | None) -> Edit:
    spec = ULN_FIELDS[name]
    if value is not None:
        spec.parse(fmt_num(value))
    uln = review.labs.uln or Uln()
    old = getattr(uln, name)
    return Edit(replace(review, labs=replace(review.labs, uln=replace(uln, **{name: value}))),
                _said(f"labs.uln.{name}", old, value))


# --------------------------------------------------------------------------- panel

def decide(review: Review, resectability: str | None, plan: str | None, rationale: str | None = None,
           next_review: date | None = None, dissent: str | None = None, responsible: str | None = None,
           rule: str | None = None, protocol: str | None = None,
           protocol_version: str | None = None) -> Edit:
    """``protocol``/``protocol_version``: the protocol whose criteria the panel saw (kept with the
    decision so a later version of the protocol never silently re-judges it)."""
    _check_choice(resectability, RATINGS, "panel.decision.resectability")
    _check_choice(plan, PLANS, "panel.decision.plan")
    if next_review is not None and next_review < review.date:
        raise problem("panel.decision.next_review", f"must not be before the review date {review.date}")
    dec = Decision(resectability=resectability, plan=plan, rationale=(rationale or "").strip() or None,
                   next_review=next_review, dissent=(dissent or "").strip() or None,
                   responsible=(responsible or "").strip() or None, rule=rule,
                   protocol=protocol, protocol_version=protocol_version if protocol else None)
    old = review.panel.decision
    words = f"{label(resectability)}, {label(plan)}"
    if next_review:
        words += f", next review {next_review.isoformat()}"
    verb = "changed" if old is not None else "recorded"
    return Edit(replace(review, panel=Panel(votes=review.panel.votes, decision=dec)),
                f"decision {verb}: {words}")


def clear_decision(review: Review) -> Edit:
    return Edit(replace(review, panel=replace(review.panel, decision=None)), "decision cleared")


# --------------------------------------------------------------------------- comparing versions

def differences(old: Review, new: Review, limit: int = 40) -> list[str]:
    """What changed between two versions, in words ("L1 diameter 42 → 40 mm"): mdt.review_diff,
    the same lines the History tab shows."""
    return review_diff.change_lines(old, new, limit=limit)


def replay(edit: EditFn, onto: Review) -> Edit:
    """Apply an edit on top of another version (conflict resolution "apply mine on top")."""
    return edit(onto)


# --------------------------------------------------------------------------- one typed field

_YES = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}


def _choice_text(text: str) -> str | None:
    return text.strip() or None


def _bool_text(text: str, path: str) -> bool | None:
    t = text.strip().lower()
    if not t:
        return None
    if t not in _YES:
        raise problem(path, "must be yes, no or empty (not recorded)")
    return _YES[t]


def field_paths() -> list[str]:
    """Every field :func:`edit_for` takes, as typed on the command line (``labs.bilirubin``)."""
    return ([*REVIEW_FIELDS, "extrahepatic_disease"]
            + [f"clinical.{n}" for n in (*CLINICAL_FIELDS, *_CLINICAL_CHOICES, *_CLINICAL_BOOLS)]
            + [f"labs.{n}" for n in (*LAB_FIELDS, "proteinuria")]
            + [f"labs.uln.{n}" for n in ULN_FIELDS]
            + [f"remnant.{n}" for n in REMNANT_FIELDS] + ["remnant.liver_condition"]
            + ["lesions.<id>.diameter_mm", "lesions.<id>.segments", "lesions.<id>.status",
               "lesions.<id>.target"])


def field_name(path: str) -> field_names.FieldName | None:
    """The one name of a field as typed on the command line (``labs.bilirubin``,
    ``lesions.L1.diameter_mm``): what ``review show`` and ``review fields`` print beside it."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "lesions":
        found = field_names.name_for(f"lesions[].{parts[2]}")
        if found is None or parts[1].startswith("<"):
            return found
        return field_names.FieldName(field_names.lesion_label(parts[1], parts[2]), found.unit)  # "L1 diameter"
    return field_names.name_for(path)


def field_help(path: str) -> str:
    """"Total bilirubin, 0–3000 µmol/L": a command-line field's name and its range with the unit."""
    name = field_name(path)
    if name is None:
        return ""
    lim = limits.limit_for("lesions[].diameter_mm" if path.startswith("lesions.") and
                           path.endswith(".diameter_mm") else path)
    if lim is not None:
        return f"{name.label}, {lim.words()}"  # the range carries the unit
    return f"{name.label}, {name.unit}" if name.unit else name.label


def edit_for(review: Review, path: str, text: str) -> Edit:
    """The edit for one field typed as text (``labs.bilirubin`` = ``25``; empty = not recorded):
    the same edit functions, limits and words as the review editor's fields.  An unknown field
    or a bad value raises ValidationError naming the field."""
    p = path.strip()
    parts = p.split(".")
    if p in REVIEW_FIELDS:
        return set_review_value(review, p, REVIEW_FIELDS[p].parse(text))
    if p == "extrahepatic_disease":
        return set_review_value(review, p, _choice_text(text))
    if len(parts) == 2 and parts[0] == "clinical":
        name = parts[1]
        if name in CLINICAL_FIELDS:
            return set_clinical(review, name, CLINICAL_FIELDS[name].parse(text))
        if name in _CLINICAL_CHOICES:
            return set_clinical(review, name, _choice_text(text))
        if name in _CLINICAL_BOOLS:
            return set_clinical(review, name, _bool_text(text, p))
    if len(parts) == 2 and parts[0] == "labs":
        name = parts[1]
        if name in LAB_FIELDS:
            return set_lab(review, name, LAB_FIELDS[name].parse(text))
        if name == "proteinuria":
            return set_lab(review, name, _choice_text(text))
    if len(parts) == 3 and parts[:2] == ["labs", "uln"] and parts[2] in ULN_FIELDS:
        return set_uln(review, parts[2], ULN_FIELDS[parts[2]].parse(text))
    if len(parts) == 2 and parts[0] == "remnant":
        if parts[1] in REMNANT_FIELDS:
            return set_remnant_value(review, parts[1], REMNANT_FIELDS[parts[1]].parse(text))
        if parts[1] == "liver_condition":
            return set_liver_condition(review, _choice_text(text))
    if len(parts) == 3 and parts[0] == "lesions":
        lid, leaf = parts[1], parts[2]
        if review.lesion(lid) is None:
            known = ", ".join(les.id for les in review.lesions) or "none recorded"
            raise problem(p, f"no lesion {lid} in this review (lesions: {known})")
        where = f"lesions[{_lesion_index(review, lid)}].{leaf}"  # the editor's path: "Lesion L1 diameter"
        if leaf == "diameter_mm":
            return set_diameter(review, lid, DIAMETER.parse(text, where))
        if leaf == "segments":
            return set_segments(review, lid, parse_segments(text, where))
        if leaf == "status":
            return set_status(review, lid, text.strip())
        if leaf == "target":
            target = _bool_text(text, p)
            if target is None:
                raise problem(p, "must be yes or no")
            return set_target(review, lid, target)
    raise problem(p, "not a field of a review that can be typed here (see --list-fields)")


def typed_values(review: Review) -> list[tuple[str, str]]:
    """Every field :func:`edit_for` takes with its value as it would be typed ("" = not recorded),
    lesion by lesion: what ``main.py review show`` prints."""
    def text(value: object) -> str:
        return "" if value is None or value == () else fmt_value(value)

    remnant = review.remnant or RemnantPlan()
    uln = review.labs.uln or Uln()
    out: list[tuple[str, str]] = []
    for les in review.lesions:
        for leaf in ("segments", "diameter_mm", "status", "target"):
            out.append((f"lesions.{les.id}.{leaf}", text(getattr(les, leaf))))
    out += [(n, text(getattr(review, n))) for n in (*REVIEW_FIELDS, "extrahepatic_disease")]
    out += [(f"clinical.{n}", text(getattr(review.clinical, n)))
            for n in (*CLINICAL_FIELDS, *_CLINICAL_CHOICES, *_CLINICAL_BOOLS)]
    out += [(f"labs.{n}", text(getattr(review.labs, n))) for n in (*LAB_FIELDS, "proteinuria")]
    out += [(f"labs.uln.{n}", text(getattr(uln, n))) for n in ULN_FIELDS]
    out += [(f"remnant.{n}", text(getattr(remnant, n))) for n in (*REMNANT_FIELDS, "liver_condition")]
    return out
