"""Result types of a protocol evaluation (``mdt-evaluation/1``).

Computed by ``mdt.protocols`` from a case; never stored except as the protocol
id and version a decision was made under.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"
STATUSES: tuple[str, ...] = (MET, NOT_MET, UNKNOWN)
RESECTABILITY: tuple[str, ...] = (
    "resectable", "convertible", "permanently_unresectable", "indeterminate",
)
ELIGIBILITY: tuple[str, ...] = ("eligible", "not_eligible", "indeterminate")
RESPONSES: tuple[str, ...] = ("CR", "PR", "SD", "PD", "NON-CR/NON-PD", "NE")


class Finding(NamedTuple):
    """One criterion's answer.  A named tuple (immutable, and built a few dozen times per
    evaluation: a frozen dataclass costs several times more to construct)."""
    id: str
    group: str
    # ``unresectability``, ``exclusion``, ``inclusion``, ``organ_function``, ``technical``,
    # ``biological``
    status: str  # MET / NOT_MET / UNKNOWN
    explanation: str
    source: str
    label: str = ""
    # Short human title of the criterion ("U2 Tumour contact with a major vessel of the remnant").
    missing: tuple[str, ...] = ()
    # Field paths whose absence made the status unknown (machine keys).
    summary: str = ""
    # One line a panel reads: the answer, the finding and the number that decided it.
    effect: str = ""
    # ``ok``, ``unresectable``, ``excludes`` or ``unknown`` (see :mod:`mdt.glossary`).
    missing_words: tuple[str, ...] = ()
    # The missing fields in a clinician's words ("diameter of L3", "vessel relations").
    rule_text: str = ""
    # The criterion as its source words it (shown on demand).
    judged_at: str | None = None
    # ISO date of the review this finding was judged at when it is not the evaluated one
    # (trial criteria judged at the enrolment review).


@dataclass(frozen=True, slots=True)
class RemnantSummary:
    segments: tuple[str, ...] | None
    flr_ml: float | None
    tlv_ml: float | None
    tlv_source: str | None
    """``measured`` or ``estimated`` (Vauthey from BSA) or None."""
    flr_pct: float | None
    threshold_pct: float | None
    adequate: bool | None
    at_threshold: bool = False
    flr_bwr_pct: float | None = None
    kgr_pct_per_week: float | None = None
    status: str = "unknown"
    """``met`` adequate, ``not_met`` insufficient, ``unknown`` (never a pass)."""
    summary: str = ""
    """One line: "adequate: sFLR 35.1 % (≥ 30 %)", "stale — measured for I–IVb"."""
    explanation: str = ""
    standardised: bool = False
    """True only for a volume divided by the ESTIMATED total liver volume (sFLR)."""
    volume_source: str | None = None
    """``measured`` or ``post_embolisation`` (the volume used), None when none is used."""
    recorded_flr_ml: float | None = None
    """The remnant volume recorded, used or not."""
    measured_for: tuple[str, ...] | None = None
    """The segments the recorded volume was measured for."""
    stale: bool = False
    liver_condition: str | None = None
    """The condition the threshold was chosen for (``chemotherapy`` for a normal liver after
    more than the protocol's weeks of chemotherapy); None when undecided."""
    threshold_note: str = ""
    chemotherapy_weeks: float | None = None
    chemotherapy_basis: str = ""
    volumetry_advised: bool = False


@dataclass(frozen=True, slots=True)
class PlanOption:
    """A candidate plan found by the remnant search."""
    remnant: tuple[str, ...]
    resection: str | None
    """The named resection it matches, if any."""
    local_treatment: tuple[tuple[str, str], ...]
    """(lesion id, method) pairs for lesions left in the remnant."""
    feasible: bool
    reasons: tuple[str, ...]
    """Why it fails (empty when feasible)."""
    flr_pct: float | None = None
    notes: tuple[str, ...] = ()
    """What it takes beyond the named resection (segments resected with the specimen)."""


@dataclass(frozen=True, slots=True)
class RecistSummary:
    sld_mm: float | None
    baseline_sld_mm: float | None
    nadir_sld_mm: float | None
    change_from_baseline_pct: float | None
    change_from_nadir_pct: float | None
    response: str
    target_response: str | None = None
    non_target_response: str | None = None
    new_lesions: tuple[str, ...] = ()
    early_tumour_shrinkage: bool | None = None
    depth_of_response_pct: float | None = None
    warnings: tuple[str, ...] = ()
    ets_week: int | None = None
    """Week after baseline of the review that decided early_tumour_shrinkage (6-10)."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    protocol_id: str
    protocol_version: str
    protocol_title: str
    review_index: int
    review_date: str
    review_cycle: int | None
    resectability: str
    eligibility: str | None
    criteria: tuple[Finding, ...]
    remnant: RemnantSummary | None
    recist: RecistSummary | None
    best_plan: PlanOption | None = None
    better_plan_than_recorded: bool = False
    plans_considered: tuple[PlanOption, ...] = ()
    assumptions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)
    resectability_reason: str = ""
    """One line saying why the verdict is what it is ("no lesions recorded", "U2 applies")."""
    eligibility_review_index: int | None = None
    """The review the eligibility verdict was judged at (the enrolment review), or None."""
    eligibility_review_date: str | None = None
    eligibility_resectability: str | None = None
    """The resectability verdict at that review (the trial enrols on it)."""
    eligibility_reason: str = ""
    enrolment_criteria: tuple[Finding, ...] = ()
    """The trial criteria as judged at the enrolment review, when that is an earlier review."""
    settings: tuple[tuple[str, object, str], ...] = ()
    """The protocol's settings (the readings it applies): (name, value, where the value comes
    from); the same readings in words are among :attr:`assumptions`."""

    @property
    def eligibility_judged_here(self) -> bool:
        return self.eligibility_review_index in (None, self.review_index)
