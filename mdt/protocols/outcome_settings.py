"""A protocol's ``outcomes`` settings: the readings its endpoints need, one place each.

Every field has a default (below) that a protocol file may override in its ``outcomes``
block; each shipped protocol file says why it chose its values (``outcomes.source``).
The loader checks the block with :func:`outcome_settings_problems`; ``mdt.outcomes``
reads it with :func:`parse_outcome_settings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mdt.case import CLAVIEN_DINDO, LOCAL_TREATMENT_KINDS

POPULATIONS = ("itt", "evaluable")
EXTRAHEPATIC_IN_HEPATIC_PFS = ("not_an_event", "censored", "event")
ORIGINS = ("enrolment_date", "first_review")


@dataclass(frozen=True, slots=True)
class OutcomeSettings:
    conversion_counts: tuple[str, ...] = LOCAL_TREATMENT_KINDS
    """Local treatment kinds that count as conversion (SULTAN: resection or ablation;
    NCT05103020: resection, with or without ablation)."""
    confirmation_days: int | None = None
    """RECIST 1.1: CR/PR confirmed by a repeat assessment at least this many days later
    (28 for non-randomised studies); None: not required (randomised trials)."""
    sd_min_days: int = 42
    """SD counts as best response only from this many days after baseline (RECIST 1.1)."""
    reference_arm: str | None = None
    """Arm the others are compared with (odds ratio, hazard ratio); None: the first arm in
    alphabetical order."""
    population: str = "itt"
    """``itt``: every enrolled patient is in the denominator (not evaluable counts as no
    response / not complete); ``evaluable``: patients not evaluable are left out."""
    origin: str = "enrolment_date"
    """Time zero of time-to-event endpoints; patients without an enrolment date start at
    their first review (said in the report)."""
    complication_min_grade: str = "IIIa"
    """Clavien-Dindo grade from which a complication counts (>= III: IIIa)."""
    hepatic_pfs_extrahepatic: str = "not_an_event"
    """Hepatic PFS and an extrahepatic-only progression: ``not_an_event`` (the patient stays
    at risk of progression in the liver), ``censored`` (hepatic follow-up ends there) or
    ``event`` (any progression counts).  PUMP-IT (NCT05068297) defines hepatic PFS by
    "progression confined to the liver"; the trials are silent on the extrahepatic case."""
    hepatic_pfs_death: bool = True
    """Whether death without hepatic progression is a hepatic-PFS event (True, as PFS) or
    censors (False: PUMP-IT's wording names progression only)."""
    source: str = "project defaults (docs/outcomes-format.md)"


_FIELDS = {"conversion_counts", "confirmation_days", "sd_min_days", "reference_arm",
           "population", "origin", "complication_min_grade", "hepatic_pfs_extrahepatic",
           "hepatic_pfs_death", "source"}


def outcome_settings_problems(raw: object) -> list[tuple[str, str]]:
    """(path, reason) for every wrong value of a protocol's ``outcomes`` block."""
    if not isinstance(raw, Mapping):
        return [("outcomes", "must be an object")]
    out: list[tuple[str, str]] = []
    for key in raw:
        if key not in _FIELDS:
            out.append((f"outcomes.{key}", "unknown setting"))
    counts = raw.get("conversion_counts", list(LOCAL_TREATMENT_KINDS))
    if not isinstance(counts, list) or not counts or any(c not in LOCAL_TREATMENT_KINDS for c in counts):
        out.append(("outcomes.conversion_counts",
                    f"must be a non-empty list of {', '.join(LOCAL_TREATMENT_KINDS)}"))
    conf = raw.get("confirmation_days")
    if conf is not None and (type(conf) is not int or conf < 1):
        out.append(("outcomes.confirmation_days", "must be a whole number of days >= 1, or null"))
    sd = raw.get("sd_min_days", 42)
    if type(sd) is not int or sd < 0:
        out.append(("outcomes.sd_min_days", "must be a whole number of days >= 0"))
    ref = raw.get("reference_arm")
    if ref is not None and (not isinstance(ref, str) or not ref.strip()):
        out.append(("outcomes.reference_arm", "must be an arm name or null"))
    if raw.get("population", "itt") not in POPULATIONS:
        out.append(("outcomes.population", f"must be one of {', '.join(POPULATIONS)}"))
    if raw.get("origin", "enrolment_date") not in ORIGINS:
        out.append(("outcomes.origin", f"must be one of {', '.join(ORIGINS)}"))
    if raw.get("complication_min_grade", "IIIa") not in CLAVIEN_DINDO[1:]:
        out.append(("outcomes.complication_min_grade", f"must be one of {', '.join(CLAVIEN_DINDO[1:])}"))
    if raw.get("hepatic_pfs_extrahepatic", "not_an_event") not in EXTRAHEPATIC_IN_HEPATIC_PFS:
        out.append(("outcomes.hepatic_pfs_extrahepatic",
                    f"must be one of {', '.join(EXTRAHEPATIC_IN_HEPATIC_PFS)}"))
    if not isinstance(raw.get("hepatic_pfs_death", True), bool):
        out.append(("outcomes.hepatic_pfs_death", "must be true or false"))
    if not isinstance(raw.get("source", ""), str):
        out.append(("outcomes.source", "must be a string"))
    return out


def parse_outcome_settings(raw: Mapping[str, Any] | None) -> OutcomeSettings:
    """Settings from a validated ``outcomes`` block (None: the defaults)."""
    if not raw:
        return OutcomeSettings()
    d = OutcomeSettings()
    return OutcomeSettings(
        conversion_counts=tuple(raw.get("conversion_counts", d.conversion_counts)),
        confirmation_days=raw.get("confirmation_days", d.confirmation_days),
        sd_min_days=raw.get("sd_min_days", d.sd_min_days),
        reference_arm=raw.get("reference_arm", d.reference_arm),
        population=raw.get("population", d.population),
        origin=raw.get("origin", d.origin),
        complication_min_grade=raw.get("complication_min_grade", d.complication_min_grade),
        hepatic_pfs_extrahepatic=raw.get("hepatic_pfs_extrahepatic", d.hepatic_pfs_extrahepatic),
        hepatic_pfs_death=raw.get("hepatic_pfs_death", d.hepatic_pfs_death),
        source=raw.get("source", d.source),
    )


