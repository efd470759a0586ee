"""RECIST 1.1 rules as a table: each row is a course of reviews and the response at its last one.

Lesion specs (tests/recist_fixtures.py): ``T1=30`` target 30 mm, ``T1=-`` target present but too
small to measure, ``T1=0`` disappeared, ``T1=R`` resected, ``N1`` non-target present, ``N1=0``
non-target gone.  Reviews are 8 weeks apart unless a row says otherwise.
"""

from __future__ import annotations

import pytest

from mdt.case import Lesion, Review
from mdt.recist import assess, best_overall_response, timeline
from tests.recist_fixtures import BASE_DATE, reviews

RULES = [
    # id, visits, response, target response, non-target response
    ("PR exactly -30 %", ["T1=30 T2=30", "T1=21 T2=21"], "PR", "PR", None),
    ("SD at -29 %", ["T1=50 T2=50", "T1=35 T2=36"], "SD", "SD", None),
    ("PR exactly -30 % with decimals", ["T1=10.1 T2=20.0", "T1=10.07 T2=11.0"], "PR", "PR", None),
    ("SD just above -30 % with decimals", ["T1=10.1 T2=20.0", "T1=10.08 T2=11.0"], "SD", "SD", None),
    ("PD exactly +20 % (72 over 60: float trap)", ["T1=30 T2=30", "T1=36 T2=36"], "PD", "PD", None),
    ("SD at +19 %", ["T1=30 T2=30", "T1=36 T2=35"], "SD", "SD", None),
    ("+20 % but only +4 mm is SD", ["T1=10 T2=10", "T1=12 T2=12"], "SD", "SD", None),
    ("+20 % and exactly +5 mm is PD", ["T1=10 T2=15", "T1=12 T2=18"], "PD", "PD", None),
    ("+25 % but only +4.9 mm is SD", ["T1=9.8 T2=9.8", "T1=12.25 T2=12.25"], "SD", "SD", None),
    ("PD measured from nadir, not baseline", ["T1=30 T2=30", "T1=20 T2=20", "T1=24 T2=24"],
     "PD", "PD", None),
    ("nadir growth under 20 % stays PR", ["T1=30 T2=30", "T1=20 T2=20", "T1=21 T2=20"],
     "PR", "PR", None),
    ("CR: all targets gone, no non-target", ["T1=30 T2=20", "T1=0 T2=0"], "CR", "CR", None),
    ("CR of targets with non-target gone", ["T1=30 N1", "T1=0 N1=0"], "CR", "CR", "CR"),
    ("target CR with non-target present is PR", ["T1=30 N1", "T1=0 N1"], "PR", "CR",
     "NON-CR/NON-PD"),
    ("target CR with non-target not assessed is PR", ["T1=30 N1", "T1=0"], "PR", "CR", "NE"),
    ("target PR with non-target present", ["T1=30 N1", "T1=20 N1"], "PR", "PR", "NON-CR/NON-PD"),
    ("target SD with non-target present", ["T1=30 N1", "T1=28 N1"], "SD", "SD", "NON-CR/NON-PD"),
    ("too small to measure counts 5 mm", ["T1=20 T2=20", "T1=- T2=0"], "PR", "PR", None),
    ("two too-small targets count 10 mm: not CR", ["T1=20 T2=20", "T1=- T2=-"], "PR", "PR", None),
    ("measured under 5 mm counts as measured", ["T1=20", "T1=3"], "PR", "PR", None),
    ("missing target is NE", ["T1=30 T2=30", "T1=20"], "NE", "NE", None),
    ("missing target, measured ones already PD", ["T1=30 T2=30", "T1=30 T2=42"], "PD", "PD", None),
    ("missing target, measured +20 % but < 5 mm", ["T1=10 T2=10", "T1=24"], "NE", "NE", None),
    ("missing target, measured +25 % and +5 mm", ["T1=10 T2=10", "T1=25"], "PD", "PD", None),
    ("resected target counts as not assessed", ["T1=30 T2=30", "T1=R T2=10"], "NE", "NE", None),
    ("new lesion is PD despite shrinkage", ["T1=30 T2=30", "T1=10 T2=10 L9=12"], "PD", "PR", None),
    ("new lesion too small to measure is PD", ["T1=30", "T1=30 L9=-"], "PD", "SD", None),
    ("new id recorded as disappeared is not new", ["T1=30", "T1=30 L9=0"], "SD", "SD", None),
    ("reappearance after CR is PD (5 mm)", ["T1=20", "T1=0", "T1=-"], "PD", "PD", None),
    ("reappearance after CR is PD (3 mm)", ["T1=20", "T1=0", "T1=3"], "PD", "PD", None),
    ("target back under 5 mm after target CR, non-target left: PR",
     ["T1=20 N1", "T1=0 N1", "T1=3 N1"], "PR", "PR", "NON-CR/NON-PD"),
    ("target back at 5 mm after target CR, non-target left: PD",
     ["T1=20 N1", "T1=0 N1", "T1=5 N1"], "PD", "PD", "NON-CR/NON-PD"),
    ("non-target reappearing after CR is PD", ["T1=20 N1", "T1=0 N1=0", "T1=0 N1"], "PD", "CR",
     "PD"),
    ("non-target only: reappearance after CR is PD", ["N1", "N1=0", "N1"], "PD", None, "PD"),
    ("reappearance judged against any earlier CR", ["T1=20", "T1=0", "T1=10", "T1=2"], "PD", "PD",
     None),
    ("response scored after PD; nadir kept", ["T1=50", "T1=70", "T1=52"], "SD", "SD", None),
    ("non-target only, persisting", ["N1 N2", "N1 N2"], "NON-CR/NON-PD", None, "NON-CR/NON-PD"),
    ("non-target only, all gone", ["N1 N2", "N1=0 N2=0"], "CR", None, "CR"),
    ("non-target only, one gone one present", ["N1 N2", "N1=0 N2"], "NON-CR/NON-PD", None,
     "NON-CR/NON-PD"),
    ("non-target only, one gone one missing", ["N1 N2", "N1=0"], "NE", None, "NE"),
    ("non-target only, new lesion", ["N1", "N1 L9=15"], "PD", None, "NON-CR/NON-PD"),
    ("no disease at baseline", ["", ""], "NE", None, None),
]


@pytest.mark.parametrize(("visits", "response", "target", "non_target"),
                         [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_response_table(visits: list[str], response: str, target: str | None,
                        non_target: str | None) -> None:
    course = reviews(*visits)
    summary = assess(course, len(course) - 1)
    assert (summary.response, summary.target_response, summary.non_target_response) == (
        response, target, non_target)


def test_baseline_is_ne_with_its_sum() -> None:
    summary = assess(reviews("T1=30 T2=25 N1"), 0)
    assert summary.response == "NE"
    assert (summary.sld_mm, summary.baseline_sld_mm, summary.nadir_sld_mm) == (55, 55, 55)
    assert (summary.change_from_baseline_pct, summary.change_from_nadir_pct) == (0.0, 0.0)
    assert summary.target_response is None and summary.new_lesions == ()


def test_changes_are_rounded_for_display_only() -> None:
    summary = assess(reviews("T1=30", "T1=20"), 1)
    assert summary.change_from_baseline_pct == -33.3
    # -29.96 % rounds to -30.0 for display but is SD: the decision is exact.
    close = assess(reviews("T1=250.3", "T1=175.3"), 1)
    assert close.change_from_baseline_pct == -30.0
    assert close.response == "SD"


def test_plus_twenty_percent_rounds_but_decides_exactly() -> None:
    # +19.98 % over the nadir rounds to +20.0 % but is not PD.
    summary = assess(reviews("T1=50.05", "T1=60.05"), 1)
    assert summary.change_from_nadir_pct == 20.0
    assert summary.response == "SD"


def test_sums_in_mm_use_the_5_mm_and_0_mm_rules() -> None:
    summary = assess(reviews("T1=20 T2=20 T3=20", "T1=- T2=0 T3=3"), 1, target_limit=3)
    assert summary.sld_mm == 8.0  # 5 + 0 + 3


def test_new_lesions_are_listed_sorted_and_warned() -> None:
    summary = assess(reviews("T1=30", "L9=10 T1=30 L2=8"), 1)
    assert summary.new_lesions == ("L2", "L9")
    assert any("new lesion" in w for w in summary.warnings)


def test_new_lesion_stays_new_at_later_reviews() -> None:
    course = reviews("T1=30", "T1=28 L9=10", "T1=26 L9=12")
    assert [s.response for s in timeline(course)] == ["NE", "PD", "PD"]


def test_incomplete_sum_gives_no_change_and_says_which_target() -> None:
    summary = assess(reviews("T1=30 T2=30", "T1=20"), 1)
    assert summary.sld_mm == 20
    assert summary.change_from_baseline_pct is None and summary.change_from_nadir_pct is None
    assert any("T2 not assessed" in w for w in summary.warnings)


def test_incomplete_review_never_becomes_the_nadir() -> None:
    course = reviews("T1=30 T2=30", "T1=10", "T1=10 T2=10")
    assert assess(course, 2).nadir_sld_mm == 60


def test_reappearance_warning_names_the_rule() -> None:
    summary = assess(reviews("T1=20", "T1=0", "T1=-"), 2)
    assert summary.nadir_sld_mm == 0
    assert summary.change_from_nadir_pct is None  # undefined over a 0 mm nadir
    assert any("target lesion reappeared after complete response" in w for w in summary.warnings)


@pytest.mark.parametrize(("visits", "limit", "warned"), [
    (["T1=30 T2=30 T3=30", "T1=30 T2=30 T3=30"], 2, True),
    (["T1=30 T2=30 T3=30", "T1=30 T2=30 T3=30"], 5, False),
    (["T1=30 T2=30", "T1=30 T2=30"], 2, False),
])
def test_target_limit_warning(visits: list[str], limit: int, warned: bool) -> None:
    summary = assess(reviews(*visits), 1, target_limit=limit)
    assert any("target lesions at baseline" in w for w in summary.warnings) == warned


def test_baseline_measurability_warnings() -> None:
    summary = assess(reviews("T1=8 T2=-", "T1=8 T2=-"), 1)
    assert any("T1 measures 8 mm" in w for w in summary.warnings)
    assert any("T2 has no diameter" in w for w in summary.warnings)


def test_designation_change_keeps_baseline_targets() -> None:
    base = Review(BASE_DATE, lesions=(Lesion("A", ("II",), 30, True), Lesion("B", ("V",), 40)))
    later = Review(BASE_DATE.replace(month=3),
                   lesions=(Lesion("A", ("II",), 20, False), Lesion("B", ("V",), 40, True)))
    summary = assess([base, later], 1)
    assert summary.sld_mm == 20
    assert summary.response == "PR"
    assert sum("designation is kept" in w for w in summary.warnings) == 2


def test_duplicate_lesion_id_is_warned() -> None:
    base = Review(BASE_DATE, lesions=(Lesion("A", ("II",), 30, True), Lesion("A", ("V",), 40, True)))
    summary = assess([base], 0)
    assert summary.sld_mm == 30
    assert any("appears more than once" in w for w in summary.warnings)


@pytest.mark.parametrize(("weeks", "visits", "index", "ets", "week", "warned"), [
    (8, ["T1=50", "T1=40"], 1, True, 8, False),        # exactly -20 % at week 8
    (8, ["T1=50", "T1=41"], 1, False, 8, False),       # -18 %
    (6, ["T1=50", "T1=40"], 1, True, 6, False),        # week 6 counts too
    (4, ["T1=50", "T1=30", "T1=45"], 1, None, None, False),  # week 4: not yet due
    (4, ["T1=50", "T1=30", "T1=45"], 2, False, 8, False),    # week 8 decides, not week 4
    (12, ["T1=50", "T1=30"], 1, None, None, True),     # no review 6-10 weeks after baseline
    (8, ["T1=50 T2=10", "T1=30"], 1, None, None, True),  # review in window incomplete
])
def test_early_tumour_shrinkage(weeks: int, visits: list[str], index: int, ets: bool | None,
                                week: int | None, warned: bool) -> None:
    summary = assess(reviews(*visits, weeks=weeks), index)
    assert (summary.early_tumour_shrinkage, summary.ets_week) == (ets, week)
    assert any("early tumour shrinkage" in w for w in summary.warnings) == warned


def test_depth_of_response_is_deepest_shrinkage_so_far() -> None:
    course = reviews("T1=50", "T1=30", "T1=40", "T1=60")
    assert [s.depth_of_response_pct for s in timeline(course)] == [None, 40.0, 40.0, 40.0]


def test_depth_of_response_negative_when_only_growth() -> None:
    course = reviews("T1=50", "T1=60", "T1=55", "T1=70")
    assert [s.depth_of_response_pct for s in timeline(course)] == [None, -20.0, -10.0, -10.0]


def test_depth_of_response_skips_incomplete_reviews() -> None:
    course = reviews("T1=50 T2=50", "T1=10", "T1=40 T2=40")
    assert [s.depth_of_response_pct for s in timeline(course)] == [None, None, 20.0]


def test_depth_of_response_unknown_without_targets() -> None:
    assert assess(reviews("N1", "N1"), 1).depth_of_response_pct is None


@pytest.mark.parametrize(("visits", "weeks", "best"), [
    (["T1=50", "T1=30", "T1=60"], 8, "PR"),            # PR then PD
    (["T1=50", "T1=48", "T1=70"], 2, "PD"),            # SD too early, then PD
    (["T1=50", "T1=48"], 2, "NE"),                     # SD too early, nothing else
    (["T1=50", "T1=48"], 6, "SD"),                     # SD at 6 weeks counts
    (["T1=50", "T1=0", "T1=30"], 8, "CR"),
    (["T1=50", "T1=70", "T1=10"], 8, "PD"),            # nothing counts after progression
    (["T1=50"], 8, "NE"),                              # no follow-up
])
def test_best_overall_response_table(visits: list[str], weeks: int, best: str) -> None:
    assert best_overall_response(reviews(*visits, weeks=weeks)) == best


def test_empty_and_out_of_range() -> None:
    with pytest.raises(ValueError):
        assess([], 0)
    with pytest.raises(IndexError):
        assess(reviews("T1=30"), 1)
    assert best_overall_response([]) == "NE"


def test_review_before_baseline_is_warned() -> None:
    course = reviews("T1=30", "T1=30")
    course[1] = Review(BASE_DATE.replace(year=BASE_DATE.year - 1), lesions=course[1].lesions)
    assert any("before the baseline" in w for w in assess(course, 1).warnings)


@pytest.mark.parametrize(("visits", "weeks", "best"), [
    (["T1=50", "T1=30", "T1=28"], 8, "PR"),            # PR confirmed 8 weeks later
    (["T1=50", "T1=30", "T1=0"], 8, "PR"),             # PR confirmed by a CR; CR itself not
    (["T1=50", "T1=0", "T1=0"], 8, "CR"),
    (["T1=50", "T1=30", "T1=40"], 8, "SD"),            # PR not confirmed: SD
    (["T1=50", "T1=30"], 8, "SD"),                     # nothing after the PR
    (["T1=50", "T1=30", "T1=70"], 8, "SD"),            # PD before confirmation
    (["T1=50", "T1=30", "T1=30"], 4, "PR"),            # exactly 28 days apart confirms
    (["T1=50", "T1=30", "T1=30"], 3, "SD"),            # 21 days: unconfirmed; SD at week 6
    (["T1=50", "T1=30", "T1=30"], 2, "NE"),            # unconfirmed and SD too early
    (["N1", "N1=0", "N1=0"], 8, "CR"),
    (["N1", "N1=0", "N1"], 8, "NON-CR/NON-PD"),        # unconfirmed CR, then reappearance = PD
])
def test_best_overall_response_with_confirmation(visits: list[str], weeks: int, best: str) -> None:
    assert best_overall_response(reviews(*visits, weeks=weeks), confirm_days=28) == best
