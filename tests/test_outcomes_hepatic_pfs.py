"""Hepatic progression-free survival under the protocol's two readings, as a table.

The trials name hepatic PFS without saying what an extrahepatic-only progression or a death
does to it (PUMP-IT: "progression confined to the liver"), so both are protocol settings
(``outcomes.hepatic_pfs_extrahepatic``, ``outcomes.hepatic_pfs_death``); every shipped
protocol writes its choice with its source, and the report says which was used.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

from mdt.case import FollowUp, ProgressionEvent
from mdt.outcomes.facts import TimeToEvent, patient_facts
from mdt.outcomes.report import hepatic_pfs_event_words
from mdt.protocols.outcome_settings import (
    OutcomeSettings,
    outcome_settings_problems,
    parse_outcome_settings,
)
from tests.outcomes_fixtures import ENROLLED, trial_case


def _case(progressions: list[tuple[int, str]], death: int | None, alive: int | None):  # noqa: ANN202
    case = trial_case("H-1", "SULTAN", "A", death_day=death, alive_day=alive)
    fu = dataclasses.replace(case.follow_up or FollowUp(), progressions=tuple(
        ProgressionEvent(ENROLLED + timedelta(days=d), site) for d, site in progressions))
    return dataclasses.replace(case, follow_up=fu)


EXTRA_THEN_LIVER = [(100, "extrahepatic"), (200, "hepatic")]
CASES = [
    # (what, progressions, death day, alive day, extrahepatic reading, death counts, expected)
    ("liver progression", [(120, "hepatic")], None, 300, "not_an_event", True, TimeToEvent(120, True)),
    ("liver + extrahepatic at once", [(120, "hepatic_extrahepatic")], None, 300, "censored", True,
     TimeToEvent(120, True)),
    ("extrahepatic first, not an event", EXTRA_THEN_LIVER, None, 300, "not_an_event", True,
     TimeToEvent(200, True)),
    ("extrahepatic first, censored", EXTRA_THEN_LIVER, None, 300, "censored", True,
     TimeToEvent(100, False)),
    ("extrahepatic first, an event", EXTRA_THEN_LIVER, None, 300, "event", True,
     TimeToEvent(100, True)),
    ("extrahepatic only, not an event", [(100, "extrahepatic")], None, 300, "not_an_event", True,
     TimeToEvent(300, False)),
    ("death without progression, an event", [], 250, None, "not_an_event", True,
     TimeToEvent(250, True)),
    ("death without progression, censors", [], 250, None, "not_an_event", False,
     TimeToEvent(250, False)),
    ("liver progression before death", [(120, "hepatic")], 250, None, "not_an_event", False,
     TimeToEvent(120, True)),
    ("extrahepatic, then death, censored", [(100, "extrahepatic")], 250, None, "censored", True,
     TimeToEvent(100, False)),
    ("nothing, alive", [], None, 300, "event", False, TimeToEvent(300, False)),
]


@pytest.mark.parametrize(("what", "progressions", "death", "alive", "extra", "death_counts",
                          "expected"), CASES, ids=[c[0] for c in CASES])
def test_hepatic_pfs_follows_the_protocol_readings(
        what: str, progressions: list[tuple[int, str]], death: int | None, alive: int | None,
        extra: str, death_counts: bool, expected: TimeToEvent) -> None:
    settings = OutcomeSettings(hepatic_pfs_extrahepatic=extra, hepatic_pfs_death=death_counts)
    facts = patient_facts(_case(progressions, death, alive), settings, {"kind": "consensus"})
    assert facts.hepatic_pfs == expected, what


def test_overall_pfs_does_not_depend_on_the_hepatic_readings() -> None:
    case = _case(EXTRA_THEN_LIVER, None, 300)
    for extra in ("not_an_event", "censored", "event"):
        for death in (True, False):
            s = OutcomeSettings(hepatic_pfs_extrahepatic=extra, hepatic_pfs_death=death)
            assert patient_facts(case, s, {"kind": "consensus"}).pfs == TimeToEvent(100, True)


@pytest.mark.parametrize(("raw", "problem"), [
    ({"hepatic_pfs_extrahepatic": "ignored"}, "outcomes.hepatic_pfs_extrahepatic"),
    ({"hepatic_pfs_death": "yes"}, "outcomes.hepatic_pfs_death"),
])
def test_wrong_readings_are_refused_with_their_setting(raw: dict, problem: str) -> None:
    assert problem in [p for p, _ in outcome_settings_problems(raw)]


def test_the_report_says_which_reading_was_used() -> None:
    assert hepatic_pfs_event_words(OutcomeSettings()) == (
        "first progression in the liver (hepatic or hepatic + extrahepatic) or death; "
        "extrahepatic-only progression is not an event")
    words = hepatic_pfs_event_words(OutcomeSettings(hepatic_pfs_extrahepatic="censored",
                                                    hepatic_pfs_death=False))
    assert "censored at an earlier extrahepatic-only progression" in words
    assert "censored at death" in words and " or death" not in words


def test_every_shipped_protocol_writes_both_readings_with_its_source() -> None:
    from mdt.protocols.loader import protocol_files

    files = protocol_files()
    assert files
    for f in files:
        block = json.loads(f.read_text(encoding="utf-8"))["outcomes"]
        assert {"hepatic_pfs_extrahepatic", "hepatic_pfs_death"} <= set(block), f.name
        assert "hepatic PFS" in block["source"], f.name
        assert parse_outcome_settings(block).hepatic_pfs_extrahepatic == "not_an_event"
