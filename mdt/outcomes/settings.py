"""The outcome settings the endpoints of one protocol use (``mdt.protocols.outcome_settings``
holds the settings themselves and their checks), and months as survival papers count them."""

from __future__ import annotations

from typing import Any

from mdt.protocols.governing import AGGREGATION, FALLBACK_AGGREGATION, OUTCOMES, lookup
from mdt.protocols.outcome_settings import OutcomeSettings, parse_outcome_settings

__all__ = ["DAYS_PER_MONTH", "OutcomeSettings", "settings_for", "settings_to_dict"]

DAYS_PER_MONTH = 365.25 / 12
"""Months are 30.4375 days (a Julian year over 12), as survival papers report them."""


def settings_for(protocol_id: str | None) -> tuple[OutcomeSettings, dict[str, Any], str | None]:
    """(outcome settings, aggregation, note) of a protocol; an unknown protocol or none gives the
    defaults and consensus aggregation, and the note says so."""
    if protocol_id is None:
        return OutcomeSettings(), dict(FALLBACK_AGGREGATION), "no protocol: default outcome settings"
    found = lookup(protocol_id=protocol_id)
    if found.protocol is None:
        return OutcomeSettings(), found.aggregation, found.note_for(OUTCOMES, AGGREGATION)
    return (parse_outcome_settings(getattr(found.protocol, "outcomes", None)), found.aggregation,
            None)


def settings_to_dict(s: OutcomeSettings) -> dict[str, Any]:
    return {"conversion_counts": list(s.conversion_counts), "confirmation_days": s.confirmation_days,
            "sd_min_days": s.sd_min_days, "reference_arm": s.reference_arm,
            "population": s.population, "origin": s.origin,
            "complication_min_grade": s.complication_min_grade,
            "hepatic_pfs_extrahepatic": s.hepatic_pfs_extrahepatic,
            "hepatic_pfs_death": s.hepatic_pfs_death, "source": s.source}
