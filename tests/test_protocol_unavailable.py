"""One policy for "this patient's protocol cannot be loaded" (mdt.protocols.governing).

A case imported with a protocol id this installation does not ship, or a decision recorded
under a version it does not ship, is looked up in one place with one exception policy; every
reader takes its documented fallback (docs/clinical/conventions.md#when-a-protocol-cannot-be-loaded)
and says so where the user sees the consequence.  The window is tested in
``tests/test_ui_protocol_unavailable.py``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

import main
from mdt.case import Case, Decision, Lesion, Patient, ProtocolRef, Review
from mdt.cohort import protocol_settings
from mdt.errors import NotFound
from mdt.meeting import AgendaItem, Meeting
from mdt.minutes import render_course_report, render_minutes
from mdt.minutes.items import course_inputs, meeting_quorum, minutes_item, minutes_items
from mdt.outcomes.settings import OutcomeSettings, settings_for
from mdt.panel import check_quorum, decided_under, quorum_for_protocols
from mdt.protocols import evaluate, get_protocol, governing, loader, lookup
from mdt.recist import DEFAULT_ASSESSMENT_INTERVAL, DEFAULT_TARGET_LIMIT
from tests.minutes_fixtures import MEMBERS, PRINTED, make_case, make_meeting
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.store_fixtures import CHAIR, MEMBER, Workstation, ws  # noqa: F401

UNKNOWN = "NCT09999999"
PID = "NCT05103020"
NOT_SHIPPED = f"Protocol {UNKNOWN} is not shipped with this installation"
FALLBACK_RULE = "fallback: the patient's protocol cannot be loaded"


def _unknown(case: Case) -> Case:
    return dataclasses.replace(case, protocol=ProtocolRef(UNKNOWN, case.protocol.arm))


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join((pg.extract_text() or "").split()) for pg in PdfReader(BytesIO(data)).pages)


# --- the lookup ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("protocol_id", "version", "problem"), [
    (UNKNOWN, None, f"{NOT_SHIPPED} (shipped: "),
    (UNKNOWN, "1", f"{NOT_SHIPPED} (shipped: "),
    (PID, "0.1", f"Protocol {PID} version 0.1 is not shipped with this installation (shipped versions: "),
])
def test_a_protocol_that_cannot_be_loaded_is_a_result_saying_why(protocol_id: str, version: str | None,
                                                                  problem: str) -> None:
    found = lookup(protocol_id=protocol_id, version=version)
    assert not found.loaded and found.protocol is None
    assert found.problem is not None and found.problem.startswith(problem)
    if version is None:
        assert all(known in found.problem for known in loader.load_protocols())
    else:
        assert ", ".join(loader.protocol_versions(protocol_id)) in found.problem or protocol_id == UNKNOWN
    # The fallbacks, one place each.
    assert found.aggregation == {"kind": "consensus"}
    assert found.quorum == {}
    assert (found.target_lesion_limit, found.assessment_interval) == (DEFAULT_TARGET_LIMIT,
                                                                        DEFAULT_ASSESSMENT_INTERVAL)
    assert found.ref == (protocol_id, None)
    # The note: the problem and the fallbacks in words.
    assert found.note is not None
    for words in (governing.FALLBACK_WORDS[f] for f in governing.PATIENT_FALLBACKS):
        assert words in found.note
    assert found.note_for(governing.RECIST) == f"{found.problem}: {governing.FALLBACK_WORDS['recist']}."
    with pytest.raises(NotFound, match="not shipped with this installation"):
        found.require()


def test_a_shipped_protocol_has_no_note() -> None:
    found = lookup(protocol_id=PID)
    assert found.loaded and found.note is None and found.note_for(governing.CRITERIA) is None
    assert found.protocol == get_protocol(PID)
    assert found.aggregation == dict(get_protocol(PID).aggregation)
    assert found.ref == (PID, get_protocol(PID).version)
    # A case naming no protocol is governed by the default one; the given id wins over the case's.
    assert lookup(dataclasses.replace(make_case(0), protocol=ProtocolRef())).protocol_id == PID
    assert lookup(_unknown(make_case(0)), "CAIRO5").protocol_id == "CAIRO5"


def test_unreadable_protocol_files_cannot_be_loaded(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    found = lookup(protocol_id=PID, directory=tmp_path)
    assert not found.loaded
    assert found.problem is not None and "protocol files of this installation cannot be read" in found.problem
    assert "broken.json" in found.problem


def test_a_bug_is_not_taken_for_a_missing_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(governing, "get_protocol", broken)
    with pytest.raises(KeyError):
        lookup(protocol_id=PID)


# --- every reader: its fallback and its note ----------------------------------------------------

ATTENDEES = tuple(m for m in MEMBERS if m.role != "coordinator")


def _quorum() -> tuple[Any, str | None]:
    q = quorum_for_protocols(ATTENDEES, [UNKNOWN])
    return (q.ok, q.specialties), q.reason


def _cohort() -> tuple[Any, str | None]:
    limit, interval, note = protocol_settings(UNKNOWN)
    return (limit, interval), note


def _outcomes() -> tuple[Any, str | None]:
    settings, aggregation, note = settings_for(UNKNOWN)
    return (settings, aggregation), note


def _minutes() -> tuple[Any, str | None]:
    meeting = make_meeting(1)
    item = minutes_item(_unknown(make_case(0)), meeting.agenda[0], meeting.date, attendees=MEMBERS)
    return (item.evaluation, item.aggregation, item.rule_note), item.protocol_note


def _course() -> tuple[Any, str | None]:
    evaluations, aggregates, _ = course_inputs(_unknown(make_case(0)))
    return (evaluations, [a is not None for a in aggregates]), lookup(_unknown(make_case(0))).note


def _engine() -> tuple[Any, str | None]:
    with pytest.raises(NotFound) as err:
        evaluate(_unknown(make_case(0)))
    return None, str(err.value)


READERS: list[tuple[str, Callable[[], tuple[Any, str | None]], Any, str]] = [
    ("quorum: the board's standing rule", _quorum,
     (check_quorum(ATTENDEES, {}).ok, check_quorum(ATTENDEES, {}).specialties),
     "the board's standing quorum applies"),
    ("cohort and response: RECIST defaults", _cohort,
     (DEFAULT_TARGET_LIMIT, DEFAULT_ASSESSMENT_INTERVAL), "RECIST 1.1 defaults apply"),
    ("outcomes: default settings, consensus", _outcomes,
     (OutcomeSettings(), {"kind": "consensus"}), "default outcome settings apply"),
    ("minutes: no criteria, consensus labelled as a fallback", _minutes,
     (None, {"kind": "consensus"}, FALLBACK_RULE), "every criterion is unknown"),
    ("course report: no criteria, ratings still aggregated", _course,
     ([None, None], [True, True]), "every criterion is unknown"),
    ("engine: refuses, naming the protocols shipped", _engine, None, "(shipped: AHPBA-2006, CAIRO5"),
]


@pytest.mark.parametrize(("reader", "fallback", "words"),
                         [pytest.param(r, f, w, id=name) for name, r, f, w in READERS])
def test_every_reader_takes_its_fallback_and_says_it(reader: Callable[[], tuple[Any, str | None]],
                                                     fallback: Any, words: str) -> None:
    value, note = reader()
    assert value == fallback
    assert note is not None and NOT_SHIPPED in note and words in note


def test_an_agenda_mixing_shipped_and_unknown_protocols_keeps_the_strictest_rule() -> None:
    meeting = make_meeting(2)
    cases = {c.patient.id: c for c in (make_case(0), _unknown(make_case(1)))}
    q = meeting_quorum(meeting, cases)
    assert q.reason.startswith(quorum_for_protocols(ATTENDEES, [PID]).reason.split(" (")[0])
    assert NOT_SHIPPED in q.reason and "the board's standing quorum applies" in q.reason


def _decided_under(case: Case, protocol: str, version: str) -> Case:
    reviews = list(case.reviews)
    decision = reviews[-1].panel.decision
    assert decision is not None
    reviews[-1] = dataclasses.replace(reviews[-1], panel=dataclasses.replace(
        reviews[-1].panel, decision=dataclasses.replace(decision, protocol=protocol, protocol_version=version)))
    return dataclasses.replace(case, reviews=tuple(reviews))


@pytest.mark.parametrize(("protocol_id", "version", "words"), [
    (PID, "0.1", f"The panel decided under {PID} v0.1, which this installation does not ship"),
    (UNKNOWN, "3", f"The panel decided under {UNKNOWN} v3, which this installation does not ship"),
])
def test_signed_minutes_of_a_decision_under_an_unshipped_version(protocol_id: str, version: str,
                                                                 words: str) -> None:
    case = _decided_under(make_case(0), protocol_id, version)
    if protocol_id == UNKNOWN:
        case = _unknown(case)
    meeting = make_meeting(1, signed=True)
    (item,) = minutes_items(meeting, {case.patient.id: case})
    assert item.protocol_note is not None and words in item.protocol_note
    if protocol_id == UNKNOWN:
        # Nothing to show instead: no criteria, consensus, and the page says both.
        assert item.evaluation is None and item.aggregation == {"kind": "consensus"}
        assert NOT_SHIPPED in item.protocol_note and item.rule_note == FALLBACK_RULE
    else:
        # The newest shipped version of the same protocol, said to be not the one the panel saw.
        assert item.evaluation is not None and item.evaluation.protocol_version == get_protocol(PID).version
        assert item.aggregation == dict(get_protocol(PID).aggregation) and item.rule_note is None


# --- the PDFs -----------------------------------------------------------------------------------

def test_the_minutes_say_it_on_the_patients_page() -> None:
    meeting: Meeting = make_meeting(2)
    cases = {c.patient.id: c for c in (make_case(0), _unknown(make_case(1)))}
    items = minutes_items(meeting, cases)
    out = BytesIO()
    render_minutes(meeting, items, out, printed_at=PRINTED, quorum=meeting_quorum(meeting, cases))
    reader = PdfReader(BytesIO(out.getvalue()))
    pages = [" ".join((pg.extract_text() or "").split()) for pg in reader.pages]
    text = " ".join(pages)
    assert NOT_SHIPPED in text
    assert "every criterion is unknown" in text and "ratings are counted by consensus" in text
    assert FALLBACK_RULE in text                                     # beside the rule
    assert "Protocol evaluation unavailable: every criterion is unknown." in text
    # On the page of that patient, not of the other one.
    shipped_page = next(p for p in pages if "MRN01000" in p and "Protocol criteria" in p)
    assert "not shipped with this installation (shipped" not in shipped_page.split("Protocol criteria")[1]


def test_the_course_report_says_it() -> None:
    out = BytesIO()
    render_course_report(_unknown(make_case(0)), [None, None], out, printed_at=PRINTED)
    text = _pdf_text(out.getvalue())
    assert NOT_SHIPPED in text and "RECIST 1.1 defaults apply" in text


# --- the command line ---------------------------------------------------------------------------

def _case_file(tmp_path: Path, protocol_id: str) -> Path:
    from tests.cli_fixtures import spec_case, write_json

    case = spec_case()
    case["protocol"]["id"] = protocol_id
    return write_json(tmp_path / "case.json", case)


def test_evaluate_refuses_a_case_under_an_unknown_protocol_saying_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _case_file(tmp_path, UNKNOWN)
    assert main.main(["evaluate", str(path), "--json"]) == 2
    err = capsys.readouterr().err
    assert f"error: {json.loads(path.read_text())['patient']['id']}: {NOT_SHIPPED}" in err
    assert "every criterion is unknown" in err
    assert main.main(["evaluate", str(_case_file(tmp_path, PID)), "--protocol", UNKNOWN]) == 2
    assert f"error: {NOT_SHIPPED}" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["response", "cohort"])
def test_response_and_cohort_print_a_note(command: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = _case_file(tmp_path, UNKNOWN)
    assert main.main([command, str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("note: ") and NOT_SHIPPED in err and "RECIST 1.1 defaults apply" in err


def test_minutes_report_and_outcome_sheet_print_a_note(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from mdt.services import Actor, MdtService, seed_demo_if_empty
    from mdt.store.db import open_database

    url = f"sqlite:///{tmp_path / 'board.sqlite3'}"
    db = open_database(url)
    try:
        seed_demo_if_empty(db)
        svc = MdtService(db, Actor("test"))
        meeting = svc.get_meeting(svc.list_meetings()[0].id)
        patient_id = meeting.agenda[0].patient_id
        case = svc.get_case(patient_id)
        db_case = dataclasses.replace(case, protocol=ProtocolRef(UNKNOWN, case.protocol.arm))
        from mdt.store.models import PatientModel

        with db.write() as s:  # as an import from another centre left it
            row = s.query(PatientModel).filter_by(mrn=patient_id).one()
            row.protocol_id = db_case.protocol.id
    finally:
        db.close()
    for args in (["minutes", "--meeting", meeting.id], ["report", "--patient", patient_id],
                 ["outcome-sheet", "--patient", patient_id]):
        out = tmp_path / f"{args[0]}.pdf"
        assert main.main(["--db", url, *args, "--out", str(out)]) == 0, args
        err = capsys.readouterr().err
        assert f"note: {patient_id}: {NOT_SHIPPED}" in err, args
        assert NOT_SHIPPED in _pdf_text(out.read_bytes()), args


def test_no_reader_catches_its_own_exceptions_any_more() -> None:
    """The one policy: callers ask the lookup; none keeps its own list of exceptions."""
    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in [*root.glob("mdt/**/*.py"), *root.glob("ui/**/*.py"), root / "main.py"]:
        text = path.read_text(encoding="utf-8")
        for call in ("get_protocol(", "protocol_for("):
            if call in text and path.name not in ("loader.py", "governing.py", "__init__.py") \
                    and path.name not in ("demo.py", "demo_followup.py", "engine.py"):
                offenders.append(f"{path.relative_to(root)}: {call}")
    assert offenders == []


def test_the_service_counts_ratings_by_consensus_and_records_the_id_alone(ws: Workstation) -> None:  # noqa: F811
    svc = ws.coordinator
    day = date(2026, 11, 20)
    svc.create_patient(Patient("P1", "PATIENT^ONE"), ProtocolRef(UNKNOWN, "A"))
    review = svc.add_review("P1", Review(date=day, lesions=(Lesion("L1", ("VII",), 30),))).review_id
    svc.create_meeting(Meeting(id="M1", date=day, chair=CHAIR.name, attendees=(CHAIR, MEMBER),
                               agenda=(AgendaItem("P1", day),)))
    ctx = svc.panel_context(review)
    assert ctx.aggregation == {"kind": "consensus"}
    assert ctx.protocol_note is not None and NOT_SHIPPED in ctx.protocol_note
    assert "ratings are counted by consensus" in ctx.protocol_note
    for who in (CHAIR.name, MEMBER.name):
        svc.cast_vote(review, who, "convertible", patient_id="P1")
    version = svc.list_reviews("P1")[0].version
    rec = svc.record_decision(review, Decision(resectability="convertible"), patient_id="P1",
                              expected_version=version)
    decision = rec.review.panel.decision
    assert decision is not None
    assert (decision.rule, decision.protocol, decision.protocol_version) == ("consensus", UNKNOWN, None)
    assert decided_under(decision) == f"Decided under {UNKNOWN} (version not recorded)"
