"""Everything the rules of one evaluation read, computed once per review."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from mdt import anatomy
from mdt import recist as recist_mod
from mdt.case import Case, Review
from mdt.evaluation import RecistSummary
from mdt.exact import exact
from mdt.protocols.model import Protocol, Settings
from mdt.protocols.plans import (
    Disease,
    LesionFacts,
    PlanCheck,
    SearchResult,
    check_plan,
    disease_of,
    mask_units,
    optimistic_disease,
    plan_units,
    search,
)
from mdt.remnant import TotalVolume, total_volume


@dataclass(slots=True)
class Context:
    case: Case
    index: int
    review: Review
    protocol: Protocol
    settings: Settings
    disease: Disease
    recorded: PlanCheck | None
    search: SearchResult
    best: PlanCheck | None
    recist: RecistSummary | None
    cache: dict[str, object] = field(default_factory=dict)

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
            phrase = f"the recorded plan {g.name}"
        else:
            phrase = f"the best plan found, {g.name}"
        self.cache["phrase"] = phrase
        return phrase

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

    @property
    def no_disease(self) -> bool:
        return not self.disease.lesions

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
    recorded: PlanCheck | None = None
    plan = review.remnant
    if plan is not None:
        units = plan_units(plan.resection, plan.segments)
        if units is not None:
            local = {lt.lesion: lt.method for lt in plan.local_treatment}
            recorded = check_plan(disease, units, settings, local=local,
                                  resection=plan.resection)
    result = search(disease, settings)
    best = None
    if result.best is not None:
        best = check_plan(disease, mask_units(result.best), settings)
    recist = recist_mod.assess(case.reviews, index, protocol.target_lesion_limit)
    return Context(case=case, index=index, review=review, protocol=protocol, settings=settings,
                   disease=disease, recorded=recorded, search=result, best=best, recist=recist)


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
    return anatomy.describe_units(units)
