"""The ``follow_up`` extension: lossless round trip, bad values refused with their path, and
the end of the course derived from the events (an older file's end still imports)."""

from __future__ import annotations

import copy

import pytest

from mdt.caseformat import case_to_dict, parse_case
from mdt.caseformat_followup import clinical_words, with_derived_end
from mdt.course_end import course_end, derive_end
from mdt.errors import ValidationError
from tests.caseformat_fixtures import full_case_dict


def _problems(doc) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        parse_case(doc)
    return [(p.path, p.reason) for p in info.value.problems]


def test_round_trip_is_lossless():
    doc = full_case_dict()
    case = parse_case(doc)
    assert case_to_dict(case) == doc
    assert parse_case(case_to_dict(case)) == case


def test_an_older_file_with_a_recorded_end_and_no_events_still_imports():
    doc = full_case_dict()
    del doc["follow_up"]
    doc["treatment"]["outcome"], doc["treatment"]["outcome_date"] = "resected", "2026-03-20"
    case = parse_case(doc)
    end = course_end(case)
    assert (end.code, end.derived) == ("resected", False)


@pytest.mark.parametrize("edit,path,words", [
    (lambda d: d["treatment"].update(outcome="resected"), "treatment.outcome", "disagrees with the follow-up events"),
    (lambda d: d["treatment"].update(outcome_date="2026-11-30"), "treatment.outcome_date", "disagrees"),
    (lambda d: d["follow_up"]["local_treatments"][0].update(lesions=["L9"]),
     "follow_up.local_treatments[0].lesions[0]", "lesion L9 is in no review"),
    (lambda d: d["follow_up"]["local_treatments"][0].update(clavien_dindo_90d="I"),
     "follow_up.local_treatments[0].clavien_dindo_90d", "must not be milder than the 30-day grade"),
    (lambda d: d["follow_up"]["local_treatments"][0].update(kind="excision"),
     "follow_up.local_treatments[0].kind", "must be one of resection, ablation, resection_ablation"),
    (lambda d: d["follow_up"]["local_treatments"][0].update(margin="R3"),
     "follow_up.local_treatments[0].margin", "must be one of R0, R1, R2"),
    (lambda d: d["follow_up"]["progressions"][0].update(site="lung"),
     "follow_up.progressions[0].site", "must be one of hepatic"),
    (lambda d: d["follow_up"].update(death_date="2026-03-01"), "follow_up.death_date", "nothing is recorded after death"),
    (lambda d: d["follow_up"].update(last_follow_up="2026-13-01"), "follow_up.last_follow_up", "not a calendar date"),
    (lambda d: d["follow_up"].update(extra=1), "follow_up.extra", "unknown field"),
    (lambda d: d["follow_up"]["local_treatments"][0].update(clavien_dindo_30d="V", clavien_dindo_90d="V"),
     "follow_up.local_treatments[0].clavien_dindo_30d", "grade V is death within 30 days"),
])
def test_bad_follow_up_values_are_refused_with_their_path(edit, path, words):
    doc = full_case_dict()
    edit(doc)
    problems = _problems(doc)
    assert any(p == path and words in r for p, r in problems), problems


def test_the_end_is_the_latest_event_and_death_always_wins():
    case = parse_case(full_case_dict())
    assert derive_end(case).code == "died"
    doc = full_case_dict()
    doc["follow_up"].update(death_date=None, end=None)
    doc["treatment"]["outcome"] = doc["treatment"]["outcome_date"] = None
    case = parse_case(doc)
    end = derive_end(case)
    assert (end.code, end.source) == ("progressed", "follow_up.progressions[0]")
    synced = with_derived_end(case)
    assert (synced.treatment.outcome, synced.treatment.outcome_date) == ("progressed", end.date)
    doc["follow_up"]["progressions"] = []
    assert derive_end(parse_case(doc)).code == "resected"
    doc["follow_up"]["local_treatments"][0]["kind"] = "ablation"
    doc["follow_up"]["local_treatments"][0]["margin"] = None
    assert derive_end(parse_case(doc)).code == "ablated"


def test_problems_read_in_clinical_words():
    doc = copy.deepcopy(full_case_dict())
    doc["follow_up"]["local_treatments"][0]["clavien_dindo_90d"] = "I"
    with pytest.raises(ValidationError) as info:
        parse_case(doc)
    text = clinical_words(info.value.problems[0])
    assert text.startswith("Local treatment 1, Clavien-Dindo grade at 90 days:")
    assert "follow_up" not in text
