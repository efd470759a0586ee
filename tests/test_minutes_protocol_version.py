"""Signed minutes show each decision under the protocol version it was made under, and the
meeting's quorum follows its agenda's protocols."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from io import BytesIO

import pytest
from pypdf import PdfReader

from mdt.case import Case, Decision, ProtocolRef
from mdt.meeting import Meeting, Member
from mdt.minutes import render_minutes
from mdt.minutes.items import meeting_quorum, minutes_items
from mdt.protocols import get_protocol, loader
from tests.minutes_fixtures import PRINTED, make_case, make_meeting

PID = "NCT05103020"


@pytest.fixture
def v2_shipped(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A second version of NCT05103020 installed beside the shipped one (the newest)."""
    v1 = get_protocol(PID)
    v2 = dataclasses.replace(v1, version="2", title=v1.title + " (version 2)")
    versions = dict(loader.load_protocol_versions())
    versions[(PID, "2")] = v2
    monkeypatch.setitem(loader._CACHE, "", versions)
    monkeypatch.setitem(loader._NEWEST, "", {**loader.load_protocols(), PID: v2})
    assert get_protocol(PID).version == "2"
    yield v1.version


def _decided_under(case: Case, protocol: str | None, version: str | None) -> Case:
    reviews = list(case.reviews)
    last = reviews[-1]
    assert last.panel.decision is not None
    decision: Decision = dataclasses.replace(last.panel.decision, protocol=protocol, protocol_version=version)
    reviews[-1] = dataclasses.replace(last, panel=dataclasses.replace(last.panel, decision=decision))
    return dataclasses.replace(case, reviews=tuple(reviews))


def _items(case: Case, *, signed: bool):
    meeting = make_meeting(1, signed=signed)
    return meeting, minutes_items(meeting, {case.patient.id: case})


def _pdf_text(meeting: Meeting, items) -> str:
    out = BytesIO()
    render_minutes(meeting, items, out, printed_at=PRINTED)
    return " ".join(" ".join((pg.extract_text() or "").split()) for pg in PdfReader(BytesIO(out.getvalue())).pages)


def test_signed_minutes_evaluate_under_the_version_of_the_decision(v2_shipped: str) -> None:
    case = _decided_under(make_case(0), PID, v2_shipped)
    _, (signed,) = _items(case, signed=True)
    assert signed.evaluation is not None and signed.evaluation.protocol_version == v2_shipped
    assert signed.protocol_note is None
    # A draft is live: it shows the criteria of the newest version.
    _, (draft,) = _items(case, signed=False)
    assert draft.evaluation is not None and draft.evaluation.protocol_version == "2"


def test_a_version_no_longer_shipped_is_said_plainly_next_to_the_criteria() -> None:
    case = _decided_under(make_case(0), PID, "0.9")
    meeting, (item,) = _items(case, signed=True)
    newest = get_protocol(PID).version
    assert item.evaluation is not None and item.evaluation.protocol_version == newest
    assert item.protocol_note == (f"The panel decided under {PID} v0.9, which this installation does not ship: "
                                  f"the criteria below are those of {PID} v{newest}, not the ones the panel saw.")
    text = _pdf_text(meeting, [item])
    criteria = text.index("Protocol criteria")
    assert text.index("The panel decided under NCT05103020 v0.9", criteria) < text.index("Protocol verdict",
                                                                                            criteria)
    assert "Decided under NCT05103020 v0.9" in text


def test_the_decision_block_names_its_protocol_or_says_it_is_not_recorded() -> None:
    meeting, (item,) = _items(_decided_under(make_case(0), PID, "1"), signed=True)
    assert "Protocol Decided under NCT05103020 v1" in _pdf_text(meeting, [item])
    meeting, (item,) = _items(make_case(0), signed=True)
    assert "Protocol Protocol not recorded with the decision" in _pdf_text(meeting, [item])


SURGEON_ONCOLOGIST_PATHOLOGIST = (Member("S", "hepatobiliary_surgeon"), Member("O", "medical_oncologist"),
                                  Member("P", "pathologist"), Member("I", "interventional_radiologist"),
                                  Member("R", "diagnostic_radiologist"))


@pytest.mark.parametrize(("protocols", "ok", "phrase"), [
    ((PID, PID), True, "rule of NCT05103020"),
    ((PID, "CAIRO5"), True, "Radiologist (CAIRO5)"),
    ((), True, "rule of NCT05103020"),
])
def test_minutes_quorum_uses_the_strictest_rule_of_the_agenda(protocols: tuple[str, ...], ok: bool,
                                                             phrase: str) -> None:
    meeting = dataclasses.replace(make_meeting(len(protocols)), attendees=SURGEON_ONCOLOGIST_PATHOLOGIST)
    cases = {}
    for n, pid in enumerate(protocols):
        case = make_case(n)
        cases[case.patient.id] = dataclasses.replace(case, protocol=ProtocolRef(pid, None))
    q = meeting_quorum(meeting, cases)
    assert q.ok is ok and phrase in q.reason
    text = _pdf_text(meeting, minutes_items(meeting, cases))
    assert phrase in text
