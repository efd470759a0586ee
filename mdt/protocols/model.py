"""A protocol as data: its settings, its rules and how their findings combine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_PROTOCOL_ID = "NCT05103020"

RULE_GROUPS: tuple[str, ...] = (
    "unresectability", "technical", "biological", "exclusion", "inclusion", "organ_function",
)
ELIGIBILITY_GROUPS: tuple[str, ...] = ("inclusion", "organ_function", "exclusion")
"""Groups that make up a protocol's eligibility block (exclusion rules must be ``not_met``)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Choices the sources leave open (docs/clinical/conventions.md#defaults-where-the-sources-leave-a-choice), shown with
    every evaluation."""
    segment_count_units: int = 8
    """8: IVa and IVb count as one segment IV (classic Couinaud); 9: counted apart."""
    ablation_counts_as_resection: bool = False
    """Whether a plan may treat remnant lesions by ablation (U1 says resection)."""
    ablation_max_diameter_mm: str = "30"
    """Largest lesion the plan search will propose to ablate."""
    indeterminate_ehd_counts: bool = False
    """Whether an indeterminate extrahepatic nodule counts as extrahepatic disease."""
    flr_operator: str = ">="
    """How the standardised FLR is compared with its threshold (AHPBA: at least)."""
    remnant_min_segments: int = 2
    """A plan must leave at least this many viable segments."""

    def describe(self) -> list[str]:
        return [
            f"segment counting: {self.segment_count_units} units"
            + (" (IVa and IVb as one segment IV)" if self.segment_count_units == 8
               else " (IVa and IVb counted apart)"),
            "ablation " + ("counts" if self.ablation_counts_as_resection else "does not count")
            + " as resection",
            "indeterminate extrahepatic nodules "
            + ("count" if self.indeterminate_ehd_counts else "do not count")
            + " as extrahepatic disease",
            f"remnant volume must be {self.flr_operator} the liver-condition threshold",
        ]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    label: str
    group: str
    kind: str
    params: dict[str, Any]
    source: str


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
    target_lesion_limit: int = 2
    assessment_interval: dict[str, int] = field(default_factory=lambda: {"weeks": 8, "cycles": 4})
    aggregation: dict[str, Any] = field(default_factory=lambda: {"kind": "consensus"})
    quorum: dict[str, Any] = field(default_factory=dict)
    assumptions: tuple[str, ...] = ()
    description: str = ""
    path: str = ""
    outcomes: dict[str, Any] = field(default_factory=dict)
    """The ``outcomes`` block (``mdt.protocols.outcome_settings``): confirmation rule, what counts as
    conversion, reference arm, population, time origin."""

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
