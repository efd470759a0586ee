"""The remnant volume of one plan: which volume, measured for which segments, against which
threshold (docs/clinical/conventions.md#volume-is-part-of-adequate, docs/clinical/conventions.md#remnant-threshold).

:func:`assess_volume` is the only place this is decided.  U1 (volume is part of "adequate"),
the remnant-volume criterion, the evaluation's remnant summary and through it the review
screen's remnant panel all read its result, so the verdict and the panel cannot disagree.

* A volume belongs to the segments it was measured for (``remnant.flr_segments``; a volume
  recorded before that field existed is taken as the recorded plan's).  For any other
  remnant it is stale: not used, and said so.
* A post-embolisation remnant volume (``remnant.pve.flr_after_ml``), when recorded, is the
  one used (setting ``post_embolisation_volume``); the kinetic growth rate is shown.
* The threshold follows the liver condition and the weeks of chemotherapy
  (:func:`mdt.remnant.threshold_choice`); where the facts leave several thresholds, the
  result is decided only when they all agree.
* "Standardised" (sFLR) is said only of a volume divided by the ESTIMATED total liver volume
  (Vauthey); against a measured total it is the remnant share (FLR / TLV).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from mdt import anatomy
from mdt.case import Case, Number
from mdt.evaluation import MET, NOT_MET, UNKNOWN
from mdt.exact import exact, to_float
from mdt.glossary import units_range
from mdt.protocols.model import Settings
from mdt.remnant import (
    AT_THRESHOLD_BAND,
    ChemotherapyWeeks,
    ThresholdChoice,
    TotalVolume,
    chemotherapy_weeks,
    compare,
    threshold_choice,
    total_volume,
)

OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}
VOLUMETRY_ADVISED_AT_UNITS = 4
"""For a remnant of four units or fewer without a measured volume, volumetry is advised before
surgery (docs/clinical/conventions.md#volume-is-part-of-adequate)."""


@dataclass(frozen=True, slots=True)
class VolumeFacts:
    status: str
    """``met`` adequate, ``not_met`` insufficient, ``unknown`` (not assessed, stale, data
    missing, or thresholds that disagree)."""
    summary: str
    """One line: "adequate: sFLR 35.1 % (≥ 30 %)"."""
    explanation: str
    missing: tuple[str, ...] = ()
    units: frozenset[str] | None = None
    """The remnant judged (the plan's viable segments)."""
    flr_ml: Number | None = None
    """The volume used, as recorded (None when none is usable)."""
    source: str | None = None
    """``measured`` or ``post_embolisation``."""
    recorded_ml: Number | None = None
    """The volume recorded, used or not (a stale one is shown, never used)."""
    measured_for: frozenset[str] | None = None
    stale: bool = False
    assumed_for_plan: bool = False
    """The volume has no recorded segments and is taken as the recorded plan's."""
    tlv: TotalVolume | None = None
    pct: Fraction | None = None
    threshold: Fraction | None = None
    """The threshold, when the facts decide one."""
    thresholds: tuple[Fraction, ...] = ()
    condition: str | None = None
    condition_note: str = ""
    chemo: ChemotherapyWeeks | None = None
    at_threshold: bool = False
    advise_volumetry: bool = False
    kgr: Fraction | None = None
    """Kinetic growth rate after portal vein embolisation, percentage points per week."""
    kgr_note: str = ""
    bound_undecided: bool = False
    """A volume measured for a larger remnant, this one lying within it (an upper bound), that
    could be insufficient for this one (setting ``smaller_remnant_volume``)."""

    @property
    def undecided(self) -> bool:
        """A volume measured for this remnant (or, as an upper bound, for a larger one holding
        it) that cannot be judged: no total liver volume, or the liver condition or the weeks
        of chemotherapy leave thresholds that disagree.  It could be insufficient, so a plan
        resting on it is never a pass
        (docs/clinical/conventions.md#volume-is-part-of-adequate)."""
        return self.status == UNKNOWN and (self.flr_ml is not None or self.bound_undecided)

    @property
    def standardised(self) -> bool:
        return self.tlv is not None and self.tlv.source == "estimated"

    @property
    def ratio_name(self) -> str:
        return "sFLR" if self.standardised else "remnant share"


def pct_round(pct: Fraction, limit: Fraction | None) -> float:
    """A percentage to 0.1, or to 0.01 when 0.1 would show it equal to a threshold it is not."""
    shown = to_float(pct, 1)
    if limit is not None and pct != limit and exact(shown) == limit:
        return to_float(pct, 2)
    return shown


def pct_text(pct: Fraction, limit: Fraction | None = None) -> str:
    return f"{pct_round(pct, limit):g}"


def _ml(value: Number | Fraction) -> str:
    v = exact(value) if not isinstance(value, Fraction) else value
    if v.denominator == 1:
        return str(v.numerator)
    return f"{float(v):.0f}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _thr(values: tuple[Fraction, ...]) -> str:
    return " or ".join(f"{pct_text(t)} %" for t in values)


def liver_threshold(case: Case, index: int, settings: Settings
                    ) -> tuple[ChemotherapyWeeks, ThresholdChoice]:
    """Weeks of chemotherapy and the threshold choice of a review (the same for every remnant
    of it: :func:`assess_volume` takes them precomputed)."""
    review = case.reviews[index]
    plan = review.remnant
    start = case.treatment.start_date if case.treatment is not None else None
    chemo = chemotherapy_weeks(start, review.date, review.cycle, settings.cycle_length_weeks)
    return chemo, threshold_choice(plan.liver_condition if plan else None, chemo,
                                   settings.chemotherapy_weeks)


def assess_volume(case: Case, index: int, settings: Settings, units: frozenset[str] | None,
                  recorded_units: frozenset[str] | None,
                  threshold: tuple[ChemotherapyWeeks, ThresholdChoice] | None = None
                  ) -> VolumeFacts:
    """The remnant volume of the remnant ``units`` (None: no plan) at ``case.reviews[index]``.

    ``recorded_units`` is the recorded plan's remnant, to which a volume without recorded
    segments is attributed (files written before ``flr_segments`` existed)."""
    review = case.reviews[index]
    plan = review.remnant
    chemo, choice = threshold or liver_threshold(case, index, settings)
    op = settings.flr_operator
    # The threshold is shown whenever the facts decide one, also while no usable volume is
    # measured ("needs 30 %" before the volumetry, never "threshold unknown").
    base: dict[str, Any] = dict(units=units, chemo=chemo, condition=choice.condition,
                                condition_note=choice.note, thresholds=choice.thresholds,
                                threshold=choice.thresholds[0] if len(choice.thresholds) == 1
                                else None)
    if units is None:
        return VolumeFacts(UNKNOWN, "not assessed: no plan recorded",
                           "No plan recorded, so no remnant volume can be judged: record the "
                           "planned resection and measure its remnant.",
                           ("remnant.resection",), **base)
    pve = plan.pve if plan is not None else None
    post = pve.flr_after_ml if pve is not None and settings.post_embolisation_volume else None
    measured = plan.flr_ml if plan is not None else None
    if post is not None:
        use, source = post, "post_embolisation"
    elif measured is not None:
        use, source = measured, "measured"
    else:
        use, source = None, None
    assumed = plan is not None and plan.flr_segments is None and use is not None
    if plan is not None and plan.flr_segments:
        measured_for: frozenset[str] | None = anatomy.expand(plan.flr_segments)
    else:
        measured_for = recorded_units if use is not None else None
    advise = anatomy.segment_count(units, 8) <= VOLUMETRY_ADVISED_AT_UNITS
    where = units_range(units)
    base.update(advise_volumetry=advise, recorded_ml=use, measured_for=measured_for,
                assumed_for_plan=assumed)
    if use is None:
        text = (f"No remnant volume is measured for the remnant {where}: the segment test "
                "decides alone.")
        if advise:
            text += (f" The remnant keeps {anatomy.segment_count(units, 8)} segment(s): "
                     "volumetry is advised before surgery.")
        return VolumeFacts(UNKNOWN, "not assessed: no volume measured for this plan"
                           + ("; volumetry advised" if advise else ""), text,
                           ("remnant.flr_ml",), **base)
    what = "post-embolisation remnant volume" if source == "post_embolisation" \
        else "remnant volume"
    if measured_for is None:
        return VolumeFacts(UNKNOWN, "not usable: recorded without its plan",
                           f"A {what} of {_ml(use)} mL is recorded without the segments it was "
                           "measured for and without a plan: it cannot be attributed.",
                           ("remnant.flr_ml",), **base)
    if measured_for != units:
        smaller = _within_measured(case, index, settings, units, measured_for, use, what,
                                   choice, base)
        if smaller is not None:
            return smaller
        return VolumeFacts(UNKNOWN, f"stale — measured for {units_range(measured_for)}",
                           f"The {what} of {_ml(use)} mL was measured for the remnant "
                           f"{units_range(measured_for)}; this plan keeps {where}. A volume "
                           "measured for other segments is stale and is not used: measure the "
                           "remnant of this plan."
                           + (f" The remnant keeps {anatomy.segment_count(units, 8)} "
                              "segment(s): volumetry is advised before surgery." if advise else ""),
                           ("remnant.flr_ml",), stale=True,
                           **{k: v for k, v in base.items() if k != "stale"})
    tlv = total_volume(plan.tlv_ml if plan else None, review.height_cm, review.weight_kg)
    base.update(flr_ml=use, source=source, tlv=tlv)
    kgr, kgr_note = _kgr(case, index, tlv, pve, measured)
    base.update(kgr=kgr, kgr_note=kgr_note)
    if tlv is None:
        missing = ["remnant.tlv_ml"] + [f for f in ("height_cm", "weight_kg")
                                        if getattr(review, f) is None]
        return VolumeFacts(UNKNOWN, "unknown: total liver volume missing",
                           f"{_cap(what)} {_ml(use)} mL, but no total liver volume: "
                           "measure it, or record height and weight for the Vauthey estimate.",
                           tuple(missing), **base)
    pct = exact(use) * 100 / tlv.ml
    name = "sFLR" if tlv.source == "estimated" else "remnant share"
    total = (f"an estimated total liver volume of {_ml(tlv.ml)} mL (Vauthey, from body surface "
             "area), so a standardised FLR" if tlv.source == "estimated"
             else f"a measured total liver volume of {_ml(tlv.ml)} mL (FLR / TLV; not "
                  "standardised)")
    used = (f"post-embolisation remnant volume {_ml(use)} mL" if source == "post_embolisation"
            else f"remnant volume {_ml(use)} mL")
    measured_note = (" (recorded without its segments: taken as measured for the recorded plan)"
                     if assumed else "")
    outcomes = {compare(pct, op, t) for t in choice.thresholds}
    if len(outcomes) != 1:
        low = min(choice.thresholds)
        return VolumeFacts(UNKNOWN, f"undecided: {name} {pct_text(pct)} % against "
                           f"{_thr(choice.thresholds)}",
                           f"{_cap(used)}{measured_note} of {total} = {pct_text(pct, low)} %. "
                           f"The threshold is {_thr(choice.thresholds)} and the result differs: "
                           f"{choice.note}.",
                           ("remnant.liver_condition",) if choice.condition is None and
                           "condition not recorded" in choice.note else ("treatment.start_date",),
                           pct=pct, **base)
    ok = outcomes.pop()
    limit = choice.thresholds[0] if len(choice.thresholds) == 1 else None
    near = limit is not None and abs(pct - limit) <= AT_THRESHOLD_BAND
    sign = OP_TEXT[op]
    if limit is not None:
        need = f"{sign} {pct_text(limit)} %"
        why = choice.note
    else:
        need = f"{sign} {_thr(choice.thresholds)} — every possible threshold agrees"
        why = choice.note
    verdict = "adequate" if ok else "insufficient"
    summary = f"{verdict}: {name} {pct_text(pct, limit)} % ({'needs ' if not ok else ''}{need})"
    if near:
        summary += ", at threshold"
    text = (f"{_cap(used)}{measured_note} of {total} = {pct_text(pct, limit)} %: "
            f"{verdict}, {need} ({why})"
            + (" — at threshold (within 0.5 points)" if near else "") + ".")
    if kgr_note:
        text += " " + kgr_note
    return VolumeFacts(MET if ok else NOT_MET, summary, text, (), pct=pct, at_threshold=near,
                       **base)


def _within_measured(case: Case, index: int, settings: Settings, units: frozenset[str],
                     measured_for: frozenset[str], use: Number, what: str,
                     choice: ThresholdChoice, base: dict[str, Any]) -> VolumeFacts | None:
    """A remnant lying within the one the volume was measured for holds less liver still, so
    that volume is an upper bound for it (setting ``smaller_remnant_volume``): short of every
    possible threshold, this remnant is insufficient too; short of some, or with no total
    liver volume to judge it, it could be insufficient (undecided, never a pass).  None: the
    bound clears every threshold, or the setting is ``stale``: the volume is stale for this
    remnant and not used."""
    if settings.smaller_remnant_volume != "upper_bound" or not units < measured_for:
        return None
    review = case.reviews[index]
    plan = review.remnant
    bigger = units_range(measured_for)
    where = units_range(units) if units else "no segment"
    rest = {k: v for k, v in base.items() if k != "stale"}
    tlv = total_volume(plan.tlv_ml if plan else None, review.height_cm, review.weight_kg)
    if tlv is None:
        missing = ["remnant.tlv_ml"] + [f for f in ("height_cm", "weight_kg")
                                        if getattr(review, f) is None] + ["remnant.flr_ml"]
        return VolumeFacts(
            UNKNOWN, f"undecided: smaller than {bigger}, total liver volume missing",
            f"The {what} of {_ml(use)} mL was measured for the remnant {bigger}; the remnant "
            f"that stays ({where}) lies within it and holds less, but with no total liver "
            "volume nobody can say whether even that is enough: measure the total liver volume "
            "(or record height and weight for the Vauthey estimate), or measure this remnant.",
            tuple(missing), stale=True, bound_undecided=True, **rest)
    pct = exact(use) * 100 / tlv.ml
    name = "sFLR" if tlv.source == "estimated" else "remnant share"
    passes = [compare(pct, settings.flr_operator, t) for t in choice.thresholds]
    if all(passes):
        return None
    limit = choice.thresholds[0] if len(choice.thresholds) == 1 else None
    if any(passes):
        return VolumeFacts(
            UNKNOWN, f"undecided: smaller than {bigger}, whose {name} is {pct_text(pct)} % "
            f"against {_thr(choice.thresholds)}",
            f"The {what} of {_ml(use)} mL was measured for the remnant {bigger} ({name} "
            f"{pct_text(pct)} %); the remnant that stays ({where}) lies within it and holds "
            f"less. The threshold is {_thr(choice.thresholds)} ({choice.note}): against the "
            "higher one this remnant is insufficient, so whether it is adequate stays unknown "
            "until that is recorded, or this remnant is measured.",
            (("remnant.liver_condition",) if choice.condition is None
             and "condition not recorded" in choice.note else ("treatment.start_date",))
            + ("remnant.flr_ml",), stale=True, bound_undecided=True, **rest)
    need = (f"{OP_TEXT[settings.flr_operator]} {pct_text(limit)} %" if limit is not None
            else f"{OP_TEXT[settings.flr_operator]} {_thr(choice.thresholds)}")
    return VolumeFacts(
        NOT_MET, f"insufficient: smaller than {bigger}, whose {name} is {pct_text(pct, limit)} % "
        f"(needs {need})",
        f"The {what} of {_ml(use)} mL was measured for the remnant {bigger} "
        f"({name} {pct_text(pct, limit)} %, needs {need}: {choice.note}); the remnant that stays "
        f"({where}) lies within it and holds less liver still, so it is insufficient too.",
        (), stale=True, **rest)


def insufficient_words(vol: VolumeFacts) -> str:
    """"remnant volume insufficient: remnant share 22.8 %, needs ≥ 30 %" (why a plan fails)."""
    found = vol.summary.split(": ", 1)[-1].replace(" (needs ", ", needs ")
    if found.endswith(")") and ", needs " in found:
        found = found[:-1]
    return f"remnant volume insufficient: {found}"


def _kgr(case: Case, index: int, tlv: TotalVolume | None, pve: object,
         measured: Number | None) -> tuple[Fraction | None, str]:
    """Kinetic growth rate after PVE: (share after − share before) per week (Shindoh 2013)."""
    from mdt.case import PortalVeinEmbolisation

    if not isinstance(pve, PortalVeinEmbolisation) or tlv is None:
        return None, ""
    after = pve.flr_after_ml
    before = pve.flr_before_ml
    before_note = ""
    if before is None and after is not None and measured is not None:
        before, before_note = measured, " (before: the remnant volume recorded beside it)"
    days = pve.days_between
    if days is None and pve.date is not None:
        days = (case.reviews[index].date - pve.date).days
        day_note = f", {days} days from the embolisation to this review"
    else:
        day_note = f", {days} days between the volumetries" if days else ""
    if after is None or before is None or not days or days <= 0:
        return None, ""
    dh = (exact(after) - exact(before)) * 100 / tlv.ml
    kgr = dh * 7 / days
    return kgr, (f"Kinetic growth rate after portal vein embolisation {pct_text(kgr)} %/week"
                 f"{before_note}{day_note} ({'≥' if kgr >= 2 else 'below'} 2 %/week, "
                 "Shindoh 2013).")
