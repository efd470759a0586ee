"""Every shipped protocol's panel settings work with the panel logic (data meets code)."""

from __future__ import annotations

from datetime import date

import pytest

from mdt.case import Vote
from mdt.meeting import Member
from mdt.panel import KINDS, aggregate, check_quorum, plan_next_review
from mdt.protocols import load_protocols

PROTOCOLS = load_protocols()
FULL_BOARD = [
    Member("Dr A", "hepatobiliary_surgeon"), Member("Dr B", "hepatobiliary_surgeon"),
    Member("Dr C", "hepatobiliary_surgeon"), Member("Dr D", "diagnostic_radiologist"),
    Member("Dr E", "interventional_radiologist"), Member("Dr F", "medical_oncologist"),
    Member("Dr G", "pathologist"),
]


@pytest.mark.parametrize("pid", sorted(PROTOCOLS))
def test_protocol_panel_settings_are_usable(pid: str) -> None:
    protocol = PROTOCOLS[pid]
    assert protocol.aggregation.get("kind", "consensus") in KINDS
    unanimous = [Vote(m.name, m.specialty, "convertible") for m in FULL_BOARD[:3]]
    agg = aggregate(unanimous, protocol.aggregation)
    assert (agg.result, agg.rule) == ("convertible", "consensus")
    quorum = check_quorum(FULL_BOARD, protocol.quorum)
    assert quorum.ok, quorum.reason
    nobody_required = [m for m in FULL_BOARD if m.specialty != "hepatobiliary_surgeon"]
    if "hepatobiliary_surgeon" in (protocol.quorum.get("required") or ["hepatobiliary_surgeon"]):
        assert not check_quorum(nobody_required, protocol.quorum).ok
    proposal = plan_next_review(date(2026, 1, 8), protocol.assessment_interval, None)
    assert proposal.date > date(2026, 1, 8)
