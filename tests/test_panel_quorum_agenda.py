"""A meeting's quorum follows the strictest rule among its agenda's patients' protocols."""

from __future__ import annotations

from typing import Any

import pytest

from mdt.meeting import Member
from mdt.panel import check_agenda_quorum, combine_quorum_rules, quorum_for_protocols

HPB = Member("A. Surgeon", "hepatobiliary_surgeon")
RAD = Member("B. Radiologist", "diagnostic_radiologist")
ONC = Member("C. Oncologist", "medical_oncologist")
PATH = Member("D. Pathologist", "pathologist")
COORD = Member("E. Coordinator", "coordinator")
IR = Member("F. Interventional", "interventional_radiologist")

THREE_SURGEON = {"min_specialties": 3, "required": ["hepatobiliary_surgeon"]}
TWO_RADIOLOGY = {"min_specialties": 2, "required": ["hepatobiliary_surgeon", "radiologist"]}
FOUR_ONCOLOGY = {"min_specialties": 4, "required": ["medical_oncologist"], "min_members": 5}

COMBINE_CASES: list[tuple[str, dict[str, Any], int, list[str], int | None, str]] = [
    # (name, rules by protocol, min_specialties, required, min_members, demands text)
    ("one protocol", {"P1": THREE_SURGEON}, 3, ["hepatobiliary_surgeon"], None,
     "3 specialties (P1); HPB surgeon (P1)"),
    ("larger minimum wins, required united", {"P1": THREE_SURGEON, "P2": TWO_RADIOLOGY}, 3,
     ["hepatobiliary_surgeon", "radiologist"], None,
     "3 specialties (P1); HPB surgeon (P1, P2); Radiologist (P2)"),
    ("members minimum kept", {"P1": THREE_SURGEON, "P3": FOUR_ONCOLOGY}, 4,
     ["hepatobiliary_surgeon", "medical_oncologist"], 5,
     "4 specialties (P3); 5 members (P3); HPB surgeon (P1); Medical oncologist (P3)"),
    ("empty rule is the standing rule", {"P1": {}, "P2": TWO_RADIOLOGY}, 3,
     ["hepatobiliary_surgeon", "radiologist"], None,
     "3 specialties (P1); HPB surgeon (P1, P2); Radiologist (P2)"),
    ("equal minimums name every protocol", {"P1": THREE_SURGEON, "P2": dict(THREE_SURGEON)}, 3,
     ["hepatobiliary_surgeon"], None, "3 specialties (P1, P2); HPB surgeon (P1, P2)"),
]


@pytest.mark.parametrize(("rules", "min_specialties", "required", "min_members", "demands"),
                         [c[1:] for c in COMBINE_CASES], ids=[c[0] for c in COMBINE_CASES])
def test_the_combined_rule_is_the_strictest(rules: dict[str, Any], min_specialties: int, required: list[str],
                                            min_members: int | None, demands: str) -> None:
    combined, text = combine_quorum_rules(rules)
    assert combined["min_specialties"] == min_specialties
    assert combined["required"] == required
    assert combined.get("min_members") == min_members
    assert text == demands


CHECK_CASES: list[tuple[str, list[Member], dict[str, Any], bool, list[str]]] = [
    # (name, attendees, rules by protocol, quorate, phrases the reason must hold)
    ("radiology-only rule met", [HPB, RAD], {"P2": TWO_RADIOLOGY}, True, ["rule of P2"]),
    ("a stricter protocol on the agenda raises the minimum", [HPB, RAD], {"P1": THREE_SURGEON, "P2": TWO_RADIOLOGY},
     False, ["2 of the 3 specialties", "strictest rule of the agenda's protocols", "3 specialties (P1)"]),
    ("a radiologist demanded by one protocol", [HPB, ONC, PATH], {"P1": THREE_SURGEON, "P2": TWO_RADIOLOGY},
     False, ["no Radiologist present", "Radiologist (P2)"]),
    ("both rules met", [HPB, RAD, ONC], {"P1": THREE_SURGEON, "P2": TWO_RADIOLOGY}, True,
     ["Quorum: 3 specialties", "HPB surgeon (P1, P2)"]),
    ("members minimum of one protocol", [HPB, RAD, ONC, PATH], {"P1": THREE_SURGEON, "P3": FOUR_ONCOLOGY},
     False, ["4 of the 5 members needed", "5 members (P3)"]),
    ("coordinator does not count", [HPB, RAD, COORD], {"P1": THREE_SURGEON}, False, ["2 of the 3 specialties"]),
]


@pytest.mark.parametrize(("attendees", "rules", "ok", "phrases"), [c[1:] for c in CHECK_CASES],
                         ids=[c[0] for c in CHECK_CASES])
def test_agenda_quorum(attendees: list[Member], rules: dict[str, Any], ok: bool, phrases: list[str]) -> None:
    q = check_agenda_quorum(attendees, rules, "DEFAULT", THREE_SURGEON)
    assert q.ok is ok, q.reason
    for phrase in phrases:
        assert phrase in q.reason


def test_no_agenda_falls_back_to_the_default_protocol_rule() -> None:
    q = check_agenda_quorum([HPB, RAD], {}, "DEFAULT", TWO_RADIOLOGY)
    assert q.ok and q.reason.endswith("(rule of DEFAULT)")


SHIPPED_CASES: list[tuple[str, list[Member], list[str | None], bool, str]] = [
    # Shipped files: NCT05103020 and SULTAN ask the team their protocols name (surgeon,
    # radiologist, interventional radiologist, medical oncologist); CAIRO5 2 specialties with a
    # surgeon and a radiologist.
    ("no agenda: default NCT05103020", [HPB, RAD, IR, ONC], [], True, "rule of NCT05103020"),
    ("patient without protocol: default", [HPB, RAD, IR, ONC], [None], True, "rule of NCT05103020"),
    ("NCT05103020 patients only", [HPB, RAD, IR, ONC], ["NCT05103020", "NCT05103020"], True,
     "rule of NCT05103020"),
    ("NCT05103020 without an interventional radiologist", [HPB, RAD, ONC, PATH], ["NCT05103020"],
     False, "no Interventional radiologist present"),
    ("a CAIRO5 patient needs a radiologist", [HPB, ONC, PATH], ["CAIRO5"], False,
     "no Radiologist present"),
    ("CAIRO5 alone: two specialties", [HPB, RAD], ["CAIRO5"], True, "rule of CAIRO5"),
    ("CAIRO5 and NCT05103020: four", [HPB, RAD], ["CAIRO5", None], False, "4 specialties (NCT05103020)"),
    ("CAIRO5 and SULTAN", [HPB, RAD, IR, ONC], ["CAIRO5", "SULTAN"], True, "Radiologist (CAIRO5, SULTAN)"),
]


@pytest.mark.parametrize(("attendees", "protocol_ids", "ok", "phrase"), [c[1:] for c in SHIPPED_CASES],
                         ids=[c[0] for c in SHIPPED_CASES])
def test_quorum_for_the_shipped_protocols(attendees: list[Member], protocol_ids: list[str | None], ok: bool,
                                          phrase: str) -> None:
    q = quorum_for_protocols(attendees, protocol_ids)
    assert q.ok is ok, q.reason
    assert phrase in q.reason
