"""Who rates, how many ratings are expected, and how a rating changes (``mdt.votes``), and what
the aggregate and the blind-rating rule make of them (``mdt.panel``).  No database, no window."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdt import caseformat
from mdt.case import RATINGS, Panel, Review, Vote
from mdt.errors import ValidationError
from mdt.meeting import Member
from mdt.panel import aggregate, may_see_aggregate
from mdt.protocols import get_protocol
from mdt.votes import (
    decision_rule,
    eligible_voters,
    expected_ratings,
    record_rating,
    refusal,
    withdraw_rating,
)

CONSENSUS = {"kind": "consensus", "non_voting": ["coordinator", "nurse_specialist"]}
CAIRO5 = dict(get_protocol("CAIRO5").aggregation)
BOARD = (Member("Anne Martin", "hepatobiliary_surgeon", "chair"), Member("Sophie Dubois", "coordinator", "coordinator"),
         Member("Bo Chen", "hepatobiliary_surgeon"), Member("Pieter de Vries", "hepatobiliary_surgeon"),
         Member("Chidi Okafor", "diagnostic_radiologist"), Member("Dag Lindqvist", "interventional_radiologist"),
         Member("Élise Moreau", "medical_oncologist"), Member("Nina Berg", "nurse_specialist"))


def names(members) -> list[str]:  # noqa: ANN001
    return [m.name for m in members]


def rated(*pairs: tuple[str, str], round_: int = 1) -> tuple[Vote, ...]:
    return tuple(Vote(m, "hepatobiliary_surgeon", r, round=round_) for m, r in pairs)


# ---------------------------------------------------------------- who rates

@pytest.mark.parametrize(("aggregation", "voters"), [
    (CONSENSUS, ["Anne Martin", "Bo Chen", "Pieter de Vries", "Chidi Okafor", "Dag Lindqvist", "Élise Moreau"]),
    (CAIRO5, ["Anne Martin", "Bo Chen", "Pieter de Vries"]),                  # surgeons only
    ({"kind": "majority", "non_voting": []}, names(BOARD)),                  # a protocol may let all rate
    ({"kind": "consensus"}, ["Anne Martin", "Bo Chen", "Pieter de Vries", "Chidi Okafor", "Dag Lindqvist",
                             "Élise Moreau"]),                               # default: coordinator, nurse do not
])
def test_the_voting_attendees_follow_the_protocol(aggregation, voters) -> None:  # noqa: ANN001
    assert names(eligible_voters(BOARD, aggregation)) == voters


@pytest.mark.parametrize(("member", "reason"), [
    ("Sophie Dubois", "attends but does not rate"),
    ("Nina Berg", "attends but does not rate"),
    ("Visitor", "not recorded as present at meeting M1"),
    ("Anne Martin", None),
])
def test_refusals_say_why_in_words(member: str, reason: str | None) -> None:
    why = refusal(member, BOARD, CONSENSUS, "M1")
    assert (why is None) if reason is None else reason in why


def test_cairo5_refuses_a_radiologist_present() -> None:
    assert "only surgeons rate" in refusal("Chidi Okafor", BOARD, CAIRO5, "M1")


# ---------------------------------------------------------------- expected ratings

@pytest.mark.parametrize(("present", "expected"), [(3, 3), (5, 5), (7, 7)])
def test_consensus_expects_one_rating_per_voting_member_present(present: int, expected: int) -> None:
    voters = [f"Member {i}" for i in range(present)]
    exp = expected_ratings((), CONSENSUS, voters)
    assert (exp.expected, exp.recorded, exp.complete) == (expected, 0, False)
    assert exp.text == f"0 of {expected} ratings recorded"


def test_ratings_of_non_attendees_are_not_counted_towards_the_expected() -> None:
    votes = rated(("A", "convertible"), ("B", "convertible"), ("C", "convertible"), ("Visitor", "resectable"))
    exp = expected_ratings(votes, CONSENSUS, ["A", "B", "C"])
    assert (exp.recorded, exp.expected, exp.complete) == (3, 3, True)       # never "4 recorded, 3 expected"
    agg = aggregate(votes, CONSENSUS, eligible=["A", "B", "C"])
    assert agg.result == "convertible" and agg.voters == ("A", "B", "C")
    assert any("Visitor not counted: not present" in n for n in agg.notes)


def test_withdrawn_ratings_count_for_nothing() -> None:
    votes, _ = record_rating((), member="A", role="surgeon", rating="resectable")
    votes, _ = withdraw_rating(votes, member="A", round_=1, reason="entered under the wrong name")
    exp = expected_ratings(votes, CONSENSUS, ["A", "B"])
    assert exp.recorded == 0 and exp.waiting == ("A", "B")
    agg = aggregate(votes, CONSENSUS)
    assert agg.result is None and "A: rating withdrawn (entered under the wrong name)" in agg.notes[0]


def test_cairo5_expects_three_then_two_more_without_consensus() -> None:
    surgeons = ["S1", "S2", "S3", "S4", "S5"]
    exp = expected_ratings((), CAIRO5, surgeons)
    assert (exp.round, exp.expected) == (1, 3)
    split = rated(("S1", "resectable"), ("S2", "convertible"), ("S3", "convertible"))
    exp = expected_ratings(split, CAIRO5, surgeons)
    assert (exp.round, exp.expected, exp.voters, exp.recorded) == (2, 2, ("S4", "S5"), 0)
    unanimous = rated(("S1", "convertible"), ("S2", "convertible"), ("S3", "convertible"))
    assert expected_ratings(unanimous, CAIRO5, surgeons).complete
    short = expected_ratings((), CAIRO5, ["S1", "S2"])
    assert "only 2 surgeons present: CAIRO5 asks 3" in short.text


# ---------------------------------------------------------------- changing a rating

def test_a_second_rating_needs_a_reason_and_keeps_the_first() -> None:
    at = datetime(2026, 11, 20, 9, 12, tzinfo=UTC)
    votes, words = record_rating((), member="A", role="surgeon", rating="convertible")
    assert words == "rating of A (round 1) recorded"
    with pytest.raises(ValidationError, match="changing a rating needs a reason"):
        record_rating(votes, member="A", role="surgeon", rating="resectable")
    with pytest.raises(ValidationError, match="already this one"):
        record_rating(votes, member="A", role="surgeon", rating="convertible", reason="again")
    votes, words = record_rating(votes, member="A", role="surgeon", rating="resectable",
                                 reason="RHV contact re-read on the portal phase", at=at, by="Sophie Dubois")
    (vote,) = votes
    assert vote.rating == "resectable" and len(vote.changes) == 1
    change = vote.changes[0]
    assert (change.from_rating, change.to_rating, change.at, change.by) == ("convertible", "resectable", at,
                                                                            "Sophie Dubois")
    assert "convertible" not in words and "resectable" not in words  # the history is seen while rating


def test_a_withdrawn_rating_can_be_given_again_with_a_reason() -> None:
    votes, _ = record_rating((), member="A", role="surgeon", rating="convertible")
    votes, _ = withdraw_rating(votes, member="A", round_=1, reason="left before the case")
    with pytest.raises(ValidationError):
        withdraw_rating(votes, member="A", round_=1, reason="twice")
    votes, _ = record_rating(votes, member="A", role="surgeon", rating="resectable", reason="came back")
    assert not votes[0].withdrawn
    assert [(c.from_rating, c.to_rating) for c in votes[0].changes] == [("convertible", None),
                                                                        (None, "resectable")]


OPERATIONS = st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from([*RATINGS, None])),
                      max_size=12)


@settings(max_examples=60, deadline=None)
@given(OPERATIONS)
def test_any_sequence_of_ratings_keeps_one_vote_per_member_with_a_lossless_history(ops) -> None:  # noqa: ANN001
    votes: tuple[Vote, ...] = ()
    for member, rating in ops:
        try:
            if rating is None:
                votes, _ = withdraw_rating(votes, member=member, round_=1, reason="withdrawn")
            else:
                votes, _ = record_rating(votes, member=member, role="surgeon", rating=rating, reason="changed")
        except ValidationError:
            continue  # nothing to withdraw, or the same rating again: refused, nothing changed
    assert len({v.member for v in votes}) == len(votes)
    for v in votes:
        assert all(c.reason for c in v.changes)
    review = Review(date=date(2026, 1, 1), panel=Panel(votes=votes))
    assert caseformat.parse_review(caseformat.review_to_dict(review)) == review   # history valid, lossless


# ---------------------------------------------------------------- the decision's rule and blind rating

def test_the_decision_rule_claims_only_what_the_complete_panel_gave() -> None:
    voters = ["A", "B", "C"]
    two = rated(("A", "convertible"), ("B", "convertible"))
    assert decision_rule(two, CONSENSUS, voters, "convertible") is None           # C has not rated
    three = (*two, Vote("C", "surgeon", "convertible"))
    assert decision_rule(three, CONSENSUS, voters, "convertible") == "consensus"
    assert decision_rule(three, CONSENSUS, voters, "resectable") is None           # not what they said
    assert decision_rule(three, CONSENSUS, None, "convertible") is None            # no meeting known
    tie = rated(("A", "resectable"), ("B", "convertible"))
    assert decision_rule(tie, {"kind": "majority"}, ["A", "B"], "convertible") == "chair"


@pytest.mark.parametrize(("viewer", "voter", "revealed", "decided", "complete", "visible"), [
    ("Coordinator", False, False, False, False, False),   # the room's screen: nothing before all are in
    ("Coordinator", False, False, False, True, True),
    ("Coordinator", False, True, False, False, True),     # revealed on purpose
    ("Coordinator", False, False, True, False, True),     # decided
    ("C", True, False, False, False, False),              # a voter who has not rated sees nothing
    ("A", True, False, False, False, False),              # rated, but the others are still rating
])
def test_blind_rating(viewer, voter, revealed, decided, complete, visible) -> None:  # noqa: ANN001
    votes = rated(("A", "convertible"), ("B", "resectable"))
    voters = ["A", "B"] if complete else ["A", "B", "C"]
    exp = expected_ratings(votes, CONSENSUS, voters)
    assert may_see_aggregate(votes, viewer, expectation=exp, revealed=revealed, decided=decided,
                             voter=voter) is visible


def test_without_an_expectation_a_member_sees_once_they_have_rated() -> None:
    votes = rated(("A", "convertible"))
    assert may_see_aggregate(votes, "A") and not may_see_aggregate(votes, "C")
