"""A protocol as data: its settings, its rules and how their findings combine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mdt.recist import DEFAULT_ASSESSMENT_INTERVAL, DEFAULT_TARGET_LIMIT

DEFAULT_PROTOCOL_ID = "NCT05103020"

RULE_GROUPS: tuple[str, ...] = (
    "unresectability", "technical", "biological", "exclusion", "inclusion", "organ_function",
)
ELIGIBILITY_GROUPS: tuple[str, ...] = ("inclusion", "organ_function", "exclusion")
"""Groups that make up a protocol's eligibility block (exclusion rules must be ``not_met``)."""


TABLE1_VESSELS: tuple[str, ...] = ("MPV", "RPV", "LPV", "RHV", "MHV", "LHV", "IVC")
"""The major vessels NCT05103020 Table 1 names for U2: main, right and left portal veins, the
three main hepatic veins and the retrohepatic vena cava (sectoral branches and the inferior
right hepatic vein are not among them)."""


PLAN_KINDS: tuple[str, ...] = (
    "u1_plan_feasible", "u2_remnant_vessel_contact", "r0_clearance", "inflow_outflow_preserved",
    "two_contiguous_viable", "every_lesion_treatable", "e2_bilobar_large_in_remnant",
    "remnant_volume_adequate")
"""Rule kinds that judge a plan (the recorded one, or the best the search finds)."""
VOLUME_KINDS: tuple[str, ...] = ("u1_plan_feasible", "remnant_volume_adequate",
                                 "every_lesion_treatable")
"""Rule kinds that read the remnant volume."""
LESION_READING_KINDS: tuple[str, ...] = PLAN_KINDS + (
    "e1_tumours_in_all_segments", "e3_bilobar_burden", "lesion_count_below", "measurable_lesion",
    "biological_progression")

SETTING_KINDS: dict[str, tuple[str, ...] | None] = {
    "segment_count_units": PLAN_KINDS + ("e1_tumours_in_all_segments",),
    "ablation_counts_as_resection": PLAN_KINDS,
    "ablation_max_diameter_mm": PLAN_KINDS,
    "ablation_excluded_near": ("every_lesion_treatable",),
    "indeterminate_ehd_counts": ("extrahepatic",),
    "flr_operator": VOLUME_KINDS,
    "remnant_min_segments": PLAN_KINDS,
    "vessels_not_assessed": PLAN_KINDS,
    "no_lesions": LESION_READING_KINDS,
    "bilobar_single_lesion": ("e2_bilobar_large_in_remnant", "e3_bilobar_burden"),
    "u2_vessels": ("u2_remnant_vessel_contact",),
    "recorded_wedge_takes_vessels": PLAN_KINDS,
    "nonviable_segments_resected": PLAN_KINDS,
    "remnant_contiguous": PLAN_KINDS,
    "volume_decides_u1": ("u1_plan_feasible",),
    "stale_volume": VOLUME_KINDS,
    "undecided_volume": VOLUME_KINDS,
    "smaller_remnant_volume": VOLUME_KINDS,
    "post_embolisation_volume": VOLUME_KINDS,
    "chemotherapy_weeks": VOLUME_KINDS,
    "cycle_length_weeks": VOLUME_KINDS,
    "eligibility_at": None,
    "e2_without_plan": ("e2_bilobar_large_in_remnant",),
}
"""Which rule kinds each setting can change (None: the eligibility block).  A protocol file
names, with its source, every setting that can change one of its criteria (tested): a reading
is never left to a default in code."""


def settings_that_matter(protocol: Protocol) -> tuple[str, ...]:
    """The settings that can change one of ``protocol``'s criteria or verdicts."""
    kinds = protocol.kinds
    out = []
    for name, used_by in SETTING_KINDS.items():
        if used_by is None:
            if protocol.has_eligibility:
                out.append(name)
        elif kinds & set(used_by):
            if name == "ablation_max_diameter_mm" and not (
                    protocol.settings.ablation_counts_as_resection
                    or "every_lesion_treatable" in kinds):
                continue  # no ablation is ever planned: the size limit cannot matter
            out.append(name)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Settings:
    """Choices the sources leave open (docs/clinical/conventions.md#defaults-where-the-sources-leave-a-choice
    and docs/clinical/conventions.md#readings-fixed-for-this-release), each shown with every
    evaluation (:meth:`describe`), never hidden in code."""
    segment_count_units: int = 8
    """8: IVa and IVb count as one segment IV (classic Couinaud); 9: counted apart."""
    ablation_counts_as_resection: bool = False
    """Whether a plan may treat remnant lesions by ablation (U1 says resection)."""
    ablation_max_diameter_mm: str = "30"
    """Largest lesion the plan search will propose to ablate."""
    ablation_excluded_near: tuple[str, ...] = ()
    """Structures a lesion may not touch to be ablated (EORTC 40004: main portal vein,
    biliary confluence)."""
    indeterminate_ehd_counts: bool = False
    """Whether an indeterminate extrahepatic nodule counts as extrahepatic disease."""
    flr_operator: str = ">="
    """How the remnant share is compared with its threshold (AHPBA: at least)."""
    remnant_min_segments: int = 2
    """A plan must leave at least this many viable segments (under segment_count_units)."""
    vessels_not_assessed: str = "unknown"
    """Vessels absent or null = not assessed: every vessel test is unknown (the only value)."""
    no_lesions: str = "indeterminate"
    """A review with no lesion recorded is indeterminate, never resectable, no plan is
    suggested (the only value)."""
    bilobar_single_lesion: bool = True
    """One lesion touching a right (V-VIII) and a left (II-IV) segment makes disease bilobar."""
    u2_vessels: tuple[str, ...] = TABLE1_VESSELS
    """The vessels whose contact in the remnant meets U2; other structures cost only the
    segments they serve (U1)."""
    recorded_wedge_takes_vessels: bool = True
    """A recorded wedge of a lesion touching a vessel takes that vessel with the specimen (it
    clears the lesion; the segments depending on the vessel lose inflow or outflow)."""
    nonviable_segments_resected: bool = True
    """A remnant segment that loses inflow or outflow is resected with the specimen and the
    plan is judged on the viable segments that stay (false: such a plan fails)."""
    remnant_contiguous: bool = True
    """The remnant must be one contiguous piece (a recorded remnant in two pieces fails)."""
    volume_decides_u1: bool = True
    """A plan whose remnant volume is known and below the threshold is not feasible (U1); with
    no volume measured for the plan the segment test decides alone, and the evaluation says so."""
    stale_volume: str = "refused"
    """A remnant volume measured for other segments than the plan's is not used (the only
    value)."""
    undecided_volume: str = "unknown"
    """A remnant volume measured for the plan that cannot be judged (no total liver volume, or
    the liver condition or the weeks of chemotherapy leave thresholds that disagree) leaves the
    plan undecided: unknown, never a pass (the only value)."""
    smaller_remnant_volume: str = "upper_bound"
    """A volume measured for a larger remnant is an upper bound for a remnant lying within it:
    insufficient when it falls short of every possible threshold, undecided when it could fall
    short, else stale and not used (``stale``: never used for another remnant)."""
    post_embolisation_volume: bool = True
    """When a post-embolisation remnant volume is recorded, the remnant share uses it."""
    chemotherapy_weeks: int = 12
    """After MORE than this many weeks of chemotherapy a normal liver is judged against the
    post-chemotherapy threshold (30 %)."""
    cycle_length_weeks: int | None = 2
    """The protocol's cycle length: with no treatment start date, weeks of chemotherapy are
    completed cycles × this (None: the protocol does not fix one, weeks are then unknown)."""
    eligibility_at: str = "enrolment"
    """``enrolment``: trial eligibility is judged at the enrolment review and later reviews show
    that verdict; ``each_review``: judged again at every review."""
    e2_without_plan: str = "every_candidate"
    """With no recorded plan, E2 is met only when every candidate remnant holds the large
    lesions, not met only when none does, else unknown (the only value)."""

    def describe(self, kinds: frozenset[str] | None = None, eligibility: bool = True) -> list[str]:
        """The settings in words; with ``kinds`` (the protocol's rule kinds) only those that
        can change one of its criteria; ``eligibility``: the protocol has an eligibility block."""
        def uses(*names: str) -> bool:
            return kinds is None or any(n in kinds for n in names)

        plan_kinds = ("u1_plan_feasible", "u2_remnant_vessel_contact", "r0_clearance",
                      "inflow_outflow_preserved", "two_contiguous_viable",
                      "every_lesion_treatable", "e2_bilobar_large_in_remnant")
        volume_kinds = ("remnant_volume_adequate", "u1_plan_feasible", "every_lesion_treatable")
        out = [
            f"segment counting: {self.segment_count_units} units"
            + (" (IVa and IVb as one segment IV)" if self.segment_count_units == 8
               else " (IVa and IVb counted apart)"),
            "no lesion recorded: the review is indeterminate (\"no lesions recorded\"), never "
            "resectable, and no plan is suggested",
        ]
        if uses(*plan_kinds):
            out += [
                "vessel relations not assessed: every vessel criterion is unknown, never a pass, "
                "and so is a failing recorded plan that a relation not yet recorded could make "
                "work; \"no vascular contact\" must be recorded as such",
                "ablation " + ("counts" if self.ablation_counts_as_resection else "does not count")
                + " as resection"
                + (f" (up to {self.ablation_max_diameter_mm} mm)"
                   if self.ablation_counts_as_resection else ""),
                "the recorded plan governs; with none, the best plan found",
                "a recorded wedge of a lesion touching a vessel "
                + ("takes that vessel with the specimen" if self.recorded_wedge_takes_vessels
                   else "does not clear the lesion"),
                "a remnant segment losing inflow or outflow "
                + ("is resected with the specimen; the plan is judged on the segments that stay"
                   if self.nonviable_segments_resected else "makes the plan fail"),
                f"the remnant must keep at least {self.remnant_min_segments} viable segments"
                + (" in one contiguous piece" if self.remnant_contiguous else ""),
            ]
        if self.ablation_excluded_near and uses("every_lesion_treatable", *plan_kinds):
            out.append("no ablation of a lesion touching " + ", ".join(self.ablation_excluded_near))
        if uses("u2_remnant_vessel_contact"):
            out.append("U2 counts contact with " + ", ".join(self.u2_vessels)
                       + " when the remnant keeps it")
        if uses(*volume_kinds):
            out += [
                "remnant share must be "
                + {">=": "at least", ">": "more than"}.get(self.flr_operator, self.flr_operator)
                + " the liver-condition threshold"
                + ("; a known insufficient volume makes the plan infeasible (U1), and a measured "
                   "volume that cannot be judged leaves the plan undecided"
                   if self.volume_decides_u1 and uses("u1_plan_feasible") else ""),
                "a volume measured for other segments than the plan's is stale and not used"
                + ("; for a remnant lying within the one measured it is an upper bound: "
                   "insufficient when short of every possible threshold, undecided when it "
                   "could be short" if self.smaller_remnant_volume == "upper_bound" else ""),
                "post-embolisation remnant volume "
                + ("used when recorded" if self.post_embolisation_volume else "not used"),
                f"the 30 % threshold applies after more than {self.chemotherapy_weeks} weeks of "
                "chemotherapy, counted from the treatment start date, else as completed cycles × "
                + (f"{self.cycle_length_weeks} weeks" if self.cycle_length_weeks
                   else "(no cycle length: unknown)"),
            ]
        if uses("e1_tumours_in_all_segments", "e2_bilobar_large_in_remnant", "e3_bilobar_burden"):
            out.append("a single lesion touching both hemilivers "
                       + ("makes disease bilobar" if self.bilobar_single_lesion
                          else "does not make disease bilobar"))
        if uses("e2_bilobar_large_in_remnant"):
            out.append("E2 with no recorded plan: met only when every candidate remnant holds the "
                       "large lesions, not met only when none does, else unknown")
        if eligibility:
            out.append("trial eligibility is judged "
                       + ("at the enrolment review (the latest review on or before the "
                          "enrolment date, else the first); later reviews show that verdict"
                          if self.eligibility_at == "enrolment" else "again at every review"))
        if uses("extrahepatic"):
            out.append("indeterminate extrahepatic nodules "
                       + ("count" if self.indeterminate_ehd_counts else "do not count")
                       + " as extrahepatic disease")
        return out


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    label: str
    group: str
    kind: str
    params: dict[str, Any]
    source: str
    text: str = ""
    """The criterion as its source words it (shown on demand beside the one-line finding)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How findings map to the two axes of an evaluation."""
    permanently_unresectable_if_any: tuple[str, ...] = ()
    unresectable_if_any: tuple[str, ...] = ()
    resectable_requires_all: tuple[str, ...] = ()
    eligible_resectability: tuple[str, ...] = ()
    """Resectability verdicts compatible with eligibility; empty = no eligibility block."""


@dataclass(frozen=True, slots=True)
class Protocol:
    id: str
    version: str
    title: str
    sources: tuple[str, ...]
    settings: Settings
    rules: tuple[Rule, ...]
    outcome: Outcome
    target_lesion_limit: int = DEFAULT_TARGET_LIMIT
    assessment_interval: dict[str, int] = field(
        default_factory=lambda: dict(DEFAULT_ASSESSMENT_INTERVAL))
    aggregation: dict[str, Any] = field(default_factory=lambda: {"kind": "consensus"})
    quorum: dict[str, Any] = field(default_factory=dict)
    assumptions: tuple[str, ...] = ()
    description: str = ""
    path: str = ""
    setting_sources: dict[str, str] = field(default_factory=dict)
    """Where each setting's value comes from (a citation, or the project's reading)."""
    outcomes: dict[str, Any] = field(default_factory=dict)
    """The ``outcomes`` block (``mdt.protocols.outcome_settings``): confirmation rule, what counts as
    conversion, reference arm, population, time origin."""

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(r.kind for r in self.rules)

    @property
    def has_eligibility(self) -> bool:
        return bool(self.outcome.eligible_resectability)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def default_protocol_id() -> str:
    return DEFAULT_PROTOCOL_ID
