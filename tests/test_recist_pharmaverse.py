"""External check: the 18 investigator responses of 5 pharmaversesdtm subjects (synthetic data,
Apache-2.0, copied with its notice to tests/data/recist-pharmaverse)."""

from __future__ import annotations

import pytest

from mdt.recist import assess, best_overall_response
from tests.recist_fixtures import PHARMAVERSE, load_pharmaverse, pharmaverse_expected

CASES = load_pharmaverse()
EXPECTED = pharmaverse_expected()
ROWS = [(name, int(i), row["recist"]) for name, reviews in EXPECTED.items()
        for i, row in reviews.items()]


def test_copy_carries_its_licence_notice() -> None:
    readme = (PHARMAVERSE / "README.md").read_text(encoding="utf-8")
    assert "Apache License 2.0" in readme
    assert "F. Hoffmann-La Roche AG, GlaxoSmithKline LLC and Cytel Inc." in readme


def test_all_18_reviews_are_checked() -> None:
    assert len(ROWS) == 18
    assert sorted(CASES) == sorted(EXPECTED)


@pytest.mark.parametrize(("case", "index", "expected"), ROWS,
                         ids=[f"{c}-{i}" for c, i, _ in ROWS])
def test_response_matches_dataset(case: str, index: int, expected: str) -> None:
    assert assess(CASES[case].reviews, index).response == expected


@pytest.mark.parametrize(
    ("case", "index", "sld", "baseline", "nadir"),
    [
        ("pvsdtm_01-701-1028", 1, 91, 94, 94),
        ("pvsdtm_01-701-1028", 2, 110, 94, 91),   # T01 not assessed, PD on the measured ones
        ("pvsdtm_01-701-1028", 3, 92, 94, 91),    # nadir skips the incomplete PD review
        ("pvsdtm_01-701-1118", 2, 38, 78, 72),
        ("pvsdtm_01-701-1118", 3, 14, 78, 38),
        ("pvsdtm_01-701-1118", 4, 33, 78, 38),
        ("pvsdtm_01-701-1133", 1, 42, 60, 60),    # exactly -30 %
        ("pvsdtm_01-701-1133", 3, 5, 60, 0),      # exactly +5 mm over a 0 mm nadir
    ],
)
def test_sums_match_readme(case: str, index: int, sld: int, baseline: int, nadir: int) -> None:
    summary = assess(CASES[case].reviews, index)
    assert (summary.sld_mm, summary.baseline_sld_mm, summary.nadir_sld_mm) == (sld, baseline, nadir)


def test_pd_with_missing_target_reports_the_change_that_decided_it() -> None:
    summary = assess(CASES["pvsdtm_01-701-1028"].reviews, 2)
    assert summary.change_from_nadir_pct == 20.9
    assert summary.change_from_baseline_pct is None
    assert any("T01 not assessed" in w for w in summary.warnings)


def test_more_targets_than_allowed_is_a_warning_not_a_failure() -> None:
    summary = assess(CASES["pvsdtm_01-701-1028"].reviews, 1)
    assert summary.response == "SD"
    assert any("5 target lesions" in w and "allows 2" in w for w in summary.warnings)
    assert not any("target lesions at baseline" in w
                   for w in assess(CASES["pvsdtm_01-701-1028"].reviews, 1, target_limit=5).warnings)


@pytest.mark.parametrize(("case", "best"), [
    ("pvsdtm_01-701-1028", "PD"),   # SD at week 3 is too early to count; then PD
    ("pvsdtm_01-701-1118", "PR"),
    ("pvsdtm_01-701-1133", "CR"),
    ("pvsdtm_01-701-1034", "NON-CR/NON-PD"),
    ("pvsdtm_01-701-1097", "NE"),   # its only follow-up is at week 3
])
def test_best_overall_response(case: str, best: str) -> None:
    assert best_overall_response(CASES[case].reviews) == best
