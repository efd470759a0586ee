"""Invariants of the RECIST assessment, checked on generated courses."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from mdt.case import Lesion, Review
from mdt.evaluation import RESPONSES
from mdt.recist import assess
from tests.recist_fixtures import BASE_DATE

STATUSES = st.sampled_from(["present", "present", "present", "disappeared", "resected"])
DIAMETERS = st.one_of(st.none(), st.integers(0, 120),
                      st.decimals(0, 120, places=1).map(float))


@st.composite
def courses(draw: st.DrawFn) -> list[Review]:
    """A baseline plus 1-4 follow-ups over lesion ids L1..L6 (some only later: new lesions)."""
    ids = [f"L{i}" for i in range(1, 7)]
    targets = set(draw(st.lists(st.sampled_from(ids), max_size=4, unique=True)))
    n_reviews = draw(st.integers(2, 5))
    course: list[Review] = []
    for r in range(n_reviews):
        present = draw(st.lists(st.sampled_from(ids), min_size=0 if r else 1, unique=True))
        lesions = []
        for lesion_id in present:
            status = "present" if r == 0 else draw(STATUSES)
            diameter = draw(DIAMETERS) if status == "present" else None
            if r == 0 and diameter is None:
                diameter = draw(st.integers(10, 120))
            lesions.append(Lesion(lesion_id, ("VI",), diameter, lesion_id in targets, status))
        course.append(Review(BASE_DATE + timedelta(days=draw(st.integers(35, 70)) * r),
                             lesions=tuple(lesions)))
    return course


def _shuffle(review: Review, order: list[int]) -> Review:
    lesions = [review.lesions[i] for i in order]
    return Review(review.date, lesions=tuple(lesions))


def _key(summary) -> tuple:  # type: ignore[no-untyped-def]
    return (summary.response, summary.target_response, summary.non_target_response,
            summary.sld_mm, summary.baseline_sld_mm, summary.nadir_sld_mm,
            summary.change_from_baseline_pct, summary.change_from_nadir_pct,
            summary.new_lesions, summary.early_tumour_shrinkage, summary.ets_week,
            summary.depth_of_response_pct, summary.warnings)


@given(course=courses(), data=st.data())
def test_lesion_order_never_changes_the_assessment(course: list[Review], data: st.DataObject) -> None:
    shuffled = [
        _shuffle(r, data.draw(st.permutations(range(len(r.lesions))))) for r in course
    ]
    for i in range(len(course)):
        assert _key(assess(course, i)) == _key(assess(shuffled, i))


@given(course=courses())
def test_assessment_is_deterministic_and_well_formed(course: list[Review]) -> None:
    for i in range(len(course)):
        first, second = assess(course, i), assess(course, i)
        assert first == second
        assert first.response in RESPONSES
        if i == 0:
            assert first.response == "NE"
        if first.new_lesions:
            assert first.response == "PD"
        if first.response == "CR":
            assert first.sld_mm in (None, 0.0)


@given(course=courses())
def test_later_reviews_never_change_an_earlier_assessment(course: list[Review]) -> None:
    # Review i is judged against earlier reviews only (nadir excludes the current one).
    for i in range(len(course)):
        assert _key(assess(course[: i + 1], i)) == _key(assess(course, i))
