"""Panel vote aggregation: every branch of consensus, majority and CAIRO5 as a table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdt.case import RATINGS, Vote
from mdt.panel import aggregate, may_see_aggregate

CAIRO5 = {"kind": "cairo5", "first_round": 3, "second_round": 2, "tie": "chair",
          "voter_role": "surgeon"}
R, C, P = "resectable", "convertible", "permanently_unresectable"


def votes(*specs: str) -> list[Vote]:
    """``"A:R"`` surgeon A rates resectable in round 1; ``"D:C:2"`` round 2;
    ``"X:P:1:medical_oncologist"`` a non-surgeon."""
    out = []
    letters = {"R": R, "C": C, "P": P}
    for spec in specs:
        parts = spec.split(":")
        member, rating = parts[0], letters.get(parts[1], parts[1])
        round_ = int(parts[2]) if len(parts) > 2 else 1
        role = parts[3] if len(parts) > 3 else "hepatobiliary_surgeon"
        out.append(Vote(member, role, rating, round_))
    return out


CAIRO5_TABLE = [
    # id, votes, chair, result, rule, agreement, round 2 required, round 2 pending, chair pending
    ("3-0-0 consensus", ["A:C", "B:C", "C:C"], None, C, "consensus", "3 of 3 agree",
     False, False, False),
    ("2-1-0 asks two more", ["A:C", "B:C", "C:R"], None, None, None,
     "2 of 3 agree, no consensus: two more surgeons needed", True, True, False),
    ("2-1-0 with one of two second-round votes", ["A:C", "B:C", "C:R", "D:C:2"], None, None, None,
     "2 of 3 agree, no consensus: one more surgeon needed (1 of 2 second-round ratings recorded)",
     True, True, False),
    ("2-1-0 then 3-2 majority", ["A:C", "B:C", "C:R", "D:C:2", "E:R:2"], None, C, "majority",
     "3 of 5 agree (majority after a second round)", True, False, False),
    ("2-1-0 then 4-1 majority", ["A:C", "B:C", "C:R", "D:C:2", "E:C:2"], None, C, "majority",
     "4 of 5 agree (majority after a second round)", True, False, False),
    ("1-1-1 then 3-1-1", ["A:C", "B:R", "C:P", "D:C:2", "E:C:2"], None, C, "majority",
     "3 of 5 agree (majority after a second round)", True, False, False),
    ("2-2-1 goes to the chair", ["A:C", "B:C", "C:R", "D:R:2", "E:P:2"], R, R, "chair",
     "2-2-1 split of 5 after a second round: the chair decides resectable", True, False, False),
    ("2-2-1 without the chair's rating", ["A:C", "B:C", "C:R", "D:R:2", "E:P:2"], None, None, None,
     "2-2-1 split of 5 after a second round: the chair decides (chair's rating not recorded)",
     True, False, True),
    ("first round incomplete", ["A:C", "B:C"], None, None, None,
     "2 of 3 first-round surgeon ratings recorded", False, False, False),
    ("no votes", [], None, None, None, "0 of 3 first-round surgeon ratings recorded",
     False, False, False),
    ("oncologist's vote ignored", ["A:C", "B:C", "X:R:1:medical_oncologist", "C:C"], None, C,
     "consensus", "3 of 3 agree", False, False, False),
    ("oncologist does not complete the first round", ["A:C", "B:C", "X:C:1:medical_oncologist"],
     None, None, None, "2 of 3 first-round surgeon ratings recorded", False, False, False),
    ("chair rating ignored when not needed", ["A:C", "B:C", "C:C"], R, C, "consensus",
     "3 of 3 agree", False, False, False),
]


@pytest.mark.parametrize(
    ("specs", "chair", "result", "rule", "agreement", "second", "second_pending", "chair_pending"),
    [r[1:] for r in CAIRO5_TABLE], ids=[r[0] for r in CAIRO5_TABLE])
def test_cairo5(specs: list[str], chair: str | None, result: str | None, rule: str | None,
                agreement: str, second: bool, second_pending: bool, chair_pending: bool) -> None:
    agg = aggregate(votes(*specs), CAIRO5, chair_rating=chair)
    assert (agg.result, agg.rule, agg.agreement) == (result, rule, agreement)
    assert (agg.second_round, agg.needs_second_round, agg.needs_chair) == (
        second, second_pending, chair_pending)
    assert agg.decided == (result is not None)
    # Pending work and a result never go together (the minutes print "needed" from these).
    assert not (agg.decided and (agg.needs_second_round or agg.needs_chair))


def test_cairo5_notes_ignored_non_surgeon() -> None:
    agg = aggregate(votes("A:C", "B:C", "X:R:1:medical_oncologist", "C:C"), CAIRO5)
    assert agg.voters == ("A", "B", "C")
    assert agg.counts == {R: 0, C: 3, P: 0}
    assert any("X (medical_oncologist) not counted" in n and "surgeon" in n for n in agg.notes)


def test_cairo5_counts_after_second_round() -> None:
    agg = aggregate(votes("A:C", "B:C", "C:R", "D:R:2", "E:P:2"), CAIRO5, chair_rating=R)
    assert agg.counts == {R: 2, C: 2, P: 1}
    assert agg.voters == ("A", "B", "C", "D", "E")


def test_cairo5_unanimous_first_round_ignores_second_round() -> None:
    agg = aggregate(votes("A:C", "B:C", "C:C", "D:R:2"), CAIRO5)
    assert (agg.result, agg.rule) == (C, "consensus")
    assert any("second-round votes not counted" in n for n in agg.notes)


def test_cairo5_round_two_voter_must_be_new() -> None:
    agg = aggregate(votes("A:C", "B:C", "C:R", "A:C:2", "D:C:2"), CAIRO5)
    assert agg.result is None and agg.needs_second_round
    assert any("A already rated in round 1" in n for n in agg.notes)


def test_cairo5_surgeon_roles_spelled_differently() -> None:
    vs = [Vote("A", "surgeon", C), Vote("B", "HPB surgeon", C), Vote("C", "hepatobiliary_surgeon", C)]
    assert aggregate(vs, CAIRO5).result == C
    assert aggregate([*vs[:2], Vote("C", None, C)], CAIRO5).result is None


def test_chair_outside_the_tied_groups_is_noted() -> None:
    agg = aggregate(votes("A:C", "B:C", "C:R", "D:R:2", "E:P:2"), CAIRO5, chair_rating=P)
    assert (agg.result, agg.rule) == (P, "chair")
    assert any("none of the largest groups" in n for n in agg.notes)


def test_duplicate_vote_counts_once_last_wins() -> None:
    agg = aggregate(votes("A:R", "A:C", "B:C", "C:C"), CAIRO5)
    assert (agg.result, agg.counts[C], agg.counts[R]) == (C, 3, 0)
    assert any("more than once" in n for n in agg.notes)


def test_invalid_rating_is_noted_not_counted() -> None:
    agg = aggregate([Vote("A", "surgeon", "maybe"), *votes("B:C", "C:C", "D:C")], CAIRO5)
    assert agg.result == C
    assert any("'maybe'" in n for n in agg.notes)


CONSENSUS_TABLE = [
    ("unanimous", ["A:C", "B:C:1:medical_oncologist", "C:C:1:diagnostic_radiologist"], C,
     "consensus", "3 of 3 agree"),
    ("split", ["A:C", "B:R:1:medical_oncologist", "C:C:1:diagnostic_radiologist"], None, None,
     "2 of 3 agree, no consensus: rediscuss"),
    ("single vote", ["A:P"], P, "consensus", "1 of 1 agree"),
    ("none", [], None, None, "no votes recorded"),
]


@pytest.mark.parametrize(("specs", "result", "rule", "agreement"), [r[1:] for r in CONSENSUS_TABLE],
                         ids=[r[0] for r in CONSENSUS_TABLE])
def test_consensus(specs: list[str], result: str | None, rule: str | None, agreement: str) -> None:
    agg = aggregate(votes(*specs), {"kind": "consensus"})
    assert (agg.result, agg.rule, agg.agreement, agg.needs_chair) == (result, rule, agreement, False)


def test_default_aggregation_is_consensus() -> None:
    assert aggregate(votes("A:C", "B:C")).rule == "consensus"
    assert aggregate(votes("A:C", "B:R"), None).result is None


MAJORITY_TABLE = [
    ("unanimous", ["A:C", "B:C", "C:C"], None, C, "consensus", "3 of 3 agree", False),
    ("2 of 3", ["A:C", "B:C", "C:R"], None, C, "majority", "2 of 3 agree (majority)", False),
    ("2-2 tie to chair", ["A:C", "B:C", "C:R", "D:R"], C, C, "chair",
     "2-2 split of 4, no majority: the chair decides convertible", False),
    ("2-2 tie without chair", ["A:C", "B:C", "C:R", "D:R"], None, None, None,
     "2-2 split of 4, no majority: the chair decides (chair's rating not recorded)", True),
    ("2-1-1 is no majority", ["A:C", "B:C", "C:R", "D:P"], None, None, None,
     "2-1-1 split of 4, no majority: the chair decides (chair's rating not recorded)", True),
]


@pytest.mark.parametrize(("specs", "chair", "result", "rule", "agreement", "needs_chair"),
                         [r[1:] for r in MAJORITY_TABLE], ids=[r[0] for r in MAJORITY_TABLE])
def test_majority(specs: list[str], chair: str | None, result: str | None, rule: str | None,
                  agreement: str, needs_chair: bool) -> None:
    agg = aggregate(votes(*specs), {"kind": "majority"}, chair_rating=chair)
    assert (agg.result, agg.rule, agg.agreement, agg.needs_chair) == (
        result, rule, agreement, needs_chair)


def test_majority_tie_without_chair_rule_is_rediscussed() -> None:
    agg = aggregate(votes("A:C", "B:R"), {"kind": "majority", "tie": "rediscuss"}, chair_rating=C)
    assert agg.result is None and agg.agreement == "1-1 split of 2, no majority: rediscuss"


def test_bad_settings_raise() -> None:
    with pytest.raises(ValueError, match="aggregation kind 'delphi'"):
        aggregate([], {"kind": "delphi"})
    with pytest.raises(ValueError, match="chair_rating"):
        aggregate([], CAIRO5, chair_rating="operable")


@given(st.lists(st.tuples(st.sampled_from(RATINGS), st.integers(1, 2)), max_size=7),
       st.sampled_from([CAIRO5, {"kind": "consensus"}, {"kind": "majority"}]),
       st.one_of(st.none(), st.sampled_from(RATINGS)))
def test_aggregate_invariants(raw: list[tuple[str, int]], settings: dict,
                              chair: str | None) -> None:
    vs = [Vote(f"S{i}", "hepatobiliary_surgeon", rating, rnd) for i, (rating, rnd) in enumerate(raw)]
    agg = aggregate(vs, settings, chair_rating=chair)
    assert (agg.result is None) == (agg.rule is None)
    assert agg.result is None or agg.result in RATINGS
    assert sum(agg.counts.values()) == len(agg.voters)
    if agg.rule == "consensus":
        assert agg.counts[agg.result] == len(agg.voters)
    if agg.rule == "majority":
        assert 2 * agg.counts[agg.result] > len(agg.voters)
    if agg.rule == "chair":
        assert agg.result == chair and not agg.needs_chair
    assert not (agg.decided and (agg.needs_chair or agg.needs_second_round))
    # Vote order never changes the result.
    again = aggregate(list(reversed(vs)), settings, chair_rating=chair)
    assert (again.result, again.rule, again.counts) == (agg.result, agg.rule, agg.counts)


def test_aggregate_hidden_until_own_rating_is_in() -> None:
    vs = votes("A:C", "B:R")
    assert may_see_aggregate(vs, "A")
    assert not may_see_aggregate(vs, "C")


def test_chair_involved_before_and_after_the_chair_decides() -> None:
    tie = votes("A:C", "B:C", "C:R", "D:R:2", "E:P:2")
    assert aggregate(tie, CAIRO5).chair_involved
    assert aggregate(tie, CAIRO5, chair_rating=C).chair_involved
    assert not aggregate(votes("A:C", "B:C", "C:C"), CAIRO5, chair_rating=C).chair_involved


@pytest.mark.parametrize(("specs", "settings", "chair", "dissent"), [
    (["A:C", "B:C", "C:C"], CAIRO5, None, ()),
    (["A:C", "B:C", "C:R", "D:C:2", "E:P:2"], CAIRO5, None, (("C", R), ("E", P))),
    (["A:C", "B:C", "C:R", "D:R:2", "E:P:2"], CAIRO5, R, (("A", C), ("B", C), ("E", P))),
    (["A:C", "B:C", "C:R"], CAIRO5, None, ()),               # undecided: no dissent yet
    (["A:C", "B:C", "C:R"], {"kind": "majority"}, None, (("C", R),)),
])
def test_dissent_lists_every_counted_disagreeing_vote(specs: list[str], settings: dict,
                                                      chair: str | None, dissent: tuple) -> None:
    assert aggregate(votes(*specs), settings, chair_rating=chair).dissent == dissent
