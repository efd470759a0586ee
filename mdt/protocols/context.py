"""Everything the rules of one evaluation read, computed once per review."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import cast

from mdt import anatomy
from mdt import recist as recist_mod
from mdt.case import Case, Review
from mdt.evaluation import RecistSummary
from mdt.exact import exact
from mdt.glossary import units_range
from mdt.protocols.model import Protocol, Settings
from mdt.protocols.plans import (
    Disease,
    LesionFacts,
    PlanCheck,
    SearchResult,
    check_plan,
    disease_of,
    drop_could_clear,
    mask_units,
    optimistic_disease,
    plan_units,
    search,
    units_mask,
)
from mdt.protocols.volume import VolumeFacts, assess_volume, insufficient_words, liver_threshold
from mdt.remnant import ChemotherapyWeeks, ThresholdChoice, TotalVolume, compare, total_volume


@dataclass(slots=True)
class Context:
    case: Case
    index: int
    review: Review
    protocol: Protocol
    settings: Settings
    disease: Disease
    cache: dict[str, object] = field(default_factory=dict)
    no_lesions: bool = False
    """No lesion recorded at all (docs/clinical/conventions.md#missing-is-unknown): the review is indeterminate."""
    no_disease: bool = False
    """Lesions are recorded but none is present (disappeared, ablated or resected)."""
    vessels_assessed: bool = True

    @property
    def recorded(self) -> PlanCheck | None:
        """The recorded plan, checked (computed when first read: a trial criterion judged at
        the enrolment review may not need it)."""
        hit = self.cache.get("recorded", _UNSET)
        if hit is _UNSET:
            hit = None
            plan = self.review.remnant
            if plan is not None and self.review.lesions:
                units = plan_units(plan.resection, plan.segments)
                if units is not None:
                    local = {lt.lesion: lt.method for lt in plan.local_treatment}
                    hit = check_plan(self.disease, units, self.settings, local=local,
                                     resection=plan.resection, volume=self._volume_status)
            self.cache["recorded"] = hit
        return hit  # type: ignore[return-value]

    @property
    def search(self) -> SearchResult:
        """The remnant search (computed when first read: not every evaluation needs it)."""
        hit = self.cache.get("search")
        if hit is None:
            self._run_search()
            hit = self.cache["search"]
        return hit  # type: ignore[return-value]

    @property
    def best(self) -> PlanCheck | None:
        if "search" not in self.cache:
            self._run_search()
        return self.cache.get("best")  # type: ignore[return-value]

    def _run_search(self) -> None:
        if not self.review.lesions:
            # No lesion recorded: nothing to plan, no plan is suggested (docs/clinical/conventions.md#missing-is-unknown).
            self.cache["search"], self.cache["best"] = _EMPTY_SEARCH, None
            return
        settings, disease, plan = self.settings, self.disease, self.review.remnant
        counts = settings.volume_decides_u1
        exclude = 0
        undecided = 0
        if counts and plan is not None and (plan.flr_ml is not None or plan.pve is not None):
            # A remnant whose measured volume is insufficient (and every remnant inside it) is
            # not a plan the search may offer; nor is one whose measured volume cannot be judged
            # (it could be insufficient: missing data is never a pass).
            measured = self.volume(self.recorded.viable) if self.recorded is not None else None
            if plan.flr_segments:
                measured = self.volume(anatomy.expand(plan.flr_segments))
            if measured is not None and measured.units and (
                    measured.status == "not_met" or measured.undecided):
                exclude = units_mask(measured.units)
                if measured.undecided:
                    undecided = exclude
        avoid = _e2_avoid(self.protocol, settings, disease) if self.recorded is None else ((), 0)
        result = search(disease, settings, exclude, avoid)
        best = None
        if result.best is not None:
            best = check_plan(disease, mask_units(result.best), settings,
                              volume=self._volume_status)
        elif undecided:
            # Only the undecided volume stands between the search and a plan: say so (unknown).
            self.cache["volume_pending"] = search(disease, settings, 0, avoid).best is not None
        self.cache["search"], self.cache["best"] = result, best


    def _volume_status(self, units: frozenset[str]) -> tuple[str, str]:
        """(status, short reason) of a remnant's volume; "not_assessed" without asking the
        volume reading when no volume is recorded at all; "undecided" for a volume measured for
        this remnant that cannot be judged (:attr:`VolumeFacts.undecided`)."""
        plan = self.review.remnant
        if plan is None or (plan.flr_ml is None and plan.pve is None):
            return "not_assessed", ""
        vol = self.volume(units)
        if vol.undecided:
            return "undecided", f"remnant volume {vol.summary}"
        return vol.status, _short_volume(vol)

    def drop_could_clear(self, need: str) -> bool:
        """Vessel relations not assessed, and a relation not yet recorded could give the failing
        recorded plan what ``need`` asks by taking the segments that hold its untreated lesions
        with the specimen (:func:`mdt.protocols.plans.drop_could_clear`)."""
        key = f"drop_could_clear:{need}"
        hit = self.cache.get(key)
        if hit is None:
            rec = self.recorded
            hit = self.cache[key] = rec is not None and drop_could_clear(
                self.disease, rec, self.settings, self._volume_status, need)
        return bool(hit)

    @property
    def volume_pending(self) -> bool:
        """No plan was found only because a measured remnant volume that cannot be judged was
        set aside: with it judged adequate, the search would find one."""
        if "search" not in self.cache:
            self._run_search()
        return bool(self.cache.get("volume_pending"))

    @property
    def recist(self) -> RecistSummary | None:
        """RECIST across the case's reviews (computed when first read)."""
        if "recist" not in self.cache:
            self.cache["recist"] = recist_mod.assess(self.case.reviews, self.index,
                                                     self.protocol.target_lesion_limit)
        return self.cache["recist"]  # type: ignore[return-value]

    @property
    def tlv(self) -> TotalVolume | None:
        """Measured total liver volume, else the Vauthey estimate (computed when first read)."""
        if "tlv" not in self.cache:
            plan = self.review.remnant
            self.cache["tlv"] = total_volume(plan.tlv_ml if plan else None,
                                             self.review.height_cm, self.review.weight_kg)
        return self.cache["tlv"]  # type: ignore[return-value]

    @property
    def governing(self) -> PlanCheck | None:
        """The recorded plan governs; without one, the best plan found (docs/clinical/conventions.md#which-plan)."""
        return self.recorded if self.recorded is not None else self.best

    @property
    def governing_phrase(self) -> str:
        phrase = self.cache.get("phrase")
        if isinstance(phrase, str):
            return phrase
        g = self.governing
        if g is None:
            phrase = ""
        elif g.recorded:
            phrase = f"the recorded plan ({g.name})"
        else:
            phrase = f"the best plan found ({g.name})"
        self.cache["phrase"] = phrase
        return phrase

    def volume(self, units: frozenset[str] | None) -> VolumeFacts:
        """The remnant volume of a remnant (see :mod:`mdt.protocols.volume`), once per remnant."""
        key = ("volume", units)
        hit = self.cache.get(key)  # type: ignore[call-overload]
        if hit is None:
            recorded_units = plan_units(self.review.remnant.resection,
                                        self.review.remnant.segments) \
                if self.review.remnant is not None else None
            threshold = self.cache.get("threshold")
            if threshold is None:
                threshold = self.cache["threshold"] = liver_threshold(self.case, self.index,
                                                                      self.settings)
            hit = assess_volume(self.case, self.index, self.settings, units, recorded_units,
                                cast(tuple[ChemotherapyWeeks, ThresholdChoice], threshold))
            self.cache[key] = hit  # type: ignore[index]
        return cast(VolumeFacts, hit)

    def governing_volume(self) -> VolumeFacts:
        g = self.governing
        return self.volume(None if g is None else g.viable if g.drop_allowed else g.remnant)

    def optimistic(self) -> tuple[PlanCheck | None, tuple[LesionFacts, ...]]:
        """With no recorded plan: the best plan found if every unmeasured lesion touching a
        vessel could be ablated, and those lesions ((None, ()) when there is none, or when
        ablation does not count).  Computed only when a rule asks."""
        hit = self.cache.get("optimistic")
        if hit is None:
            best: PlanCheck | None = None
            unsized: tuple[LesionFacts, ...] = ()
            if self.recorded is None:
                opt, unsized = optimistic_disease(self.disease, self.settings)
                if opt is not None:
                    found = search(opt, self.settings)
                    if found.best is not None:
                        best = check_plan(opt, mask_units(found.best), self.settings)
            hit = (best, unsized)
            self.cache["optimistic"] = hit
        return hit  # type: ignore[return-value]

    def lesion_path(self, lesion_id: str, attr: str) -> str:
        for i, les in enumerate(self.review.lesions):
            if les.id == lesion_id:
                return f"reviews[{self.index}].lesions[{i}].{attr}"
        return f"reviews[{self.index}].lesions"

    def path(self, attr: str) -> str:
        return f"reviews[{self.index}].{attr}"


def build_context(case: Case, index: int, protocol: Protocol,
                  settings: Settings | None = None) -> Context:
    review = case.reviews[index]
    settings = settings or protocol.settings
    disease = disease_of(review)
    return Context(case=case, index=index, review=review, protocol=protocol, settings=settings,
                   disease=disease, no_lesions=not review.lesions,
                   no_disease=bool(review.lesions) and not disease.lesions,
                   vessels_assessed=review.vessels is not None)


def _short_volume(vol: VolumeFacts) -> str:
    return insufficient_words(vol) if vol.status == "not_met" else ""


_EMPTY_SEARCH = SearchResult(None, None, 0, 0, 0)
_UNSET = object()


def _e2_avoid(protocol: Protocol, settings: Settings, disease: Disease
              ) -> tuple[tuple[int, ...], int]:
    """The large lesions and the count that make a remnant meet E2 (ranked last by the
    search), when the protocol has E2 and the disease is bilobar; else nothing to avoid."""
    for rule in protocol.rules:
        if rule.kind != "e2_bilobar_large_in_remnant":
            continue
        if not is_bilobar(disease, settings):
            return (), 0
        size = rule.params.get("diameter_mm", {"op": ">", "value": "30"})
        count = rule.params.get("count", {"op": ">=", "value": "4"})
        limit = exact(size["value"])
        masks = tuple(les.mask for les in disease.lesions if les.diameter is not None
                      and compare(les.diameter, size["op"], limit))
        need = int(exact(count["value"])) + (1 if count["op"] == ">" else 0)
        return (masks, need) if len(masks) >= need else ((), 0)
    return (), 0


def is_bilobar(disease: Disease, settings: Settings) -> bool:
    """Disease in both hemilivers (right V-VIII, left II-IV; I neither).  With
    ``bilobar_single_lesion`` one lesion touching both sides is enough
    (docs/clinical/conventions.md#bilobar-from-a-single-lesion)."""
    right = [les for les in disease.lesions if les.units & anatomy.RIGHT_HEMILIVER]
    left = [les for les in disease.lesions if les.units & anatomy.LEFT_HEMILIVER]
    if not right or not left:
        return False
    if settings.bilobar_single_lesion:
        return True
    return len(right) > 1 or len(left) > 1 or right[0] is not left[0]


def fmt_num(value: Fraction | float | int | None, places: int = 1) -> str:
    """A number as a person reads it: 30, 30.1, 1.5 (no float noise)."""
    if value is None:
        return "?"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        text = repr(value)
        if "e" not in text and len(text.partition(".")[2]) <= 3:
            # A recorded value with up to 3 decimals is shown exactly: 30.05 mm stays 30.05.
            return text[:-2] if text.endswith(".0") else text
    return _fmt_exact(value, places)


def _fmt_exact(value: Fraction | float, places: int) -> str:
    v = exact(value) if not isinstance(value, Fraction) else value
    if v.denominator == 1:
        return str(v.numerator)
    if 1000 % v.denominator == 0:
        # A recorded value with up to 3 decimals is shown exactly: 30.05 mm stays 30.05.
        scaled = v * 1000
        sign = "-" if scaled < 0 else ""
        whole, frac = divmod(abs(int(scaled)), 1000)
        return f"{sign}{whole}.{frac:03d}".rstrip("0").rstrip(".")
    q = round(float(v), places)
    text = f"{q:.{places}f}"
    # Only decimals lose their trailing zeros: 1510 mL must not read 151 mL.
    return text.rstrip("0").rstrip(".") if "." in text else text


def units_text(units: frozenset[str] | set[str]) -> str:
    return units_range(units)
