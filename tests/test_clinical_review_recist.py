"""Independent clinical review of RECIST 1.1 as docs/clinical/conventions.md#lesions-over-time fixes it:
both sides of every boundary, decided on exact values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mdt.case import Lesion, Review
from mdt.recist import assess
from tests.engine_fixtures import BASE_DATE, les, review

Spec = tuple[float | None | str, ...]


def _reviews(*visits: Spec, extra: dict[int, list[Lesion]] | None = None) -> list[Review]:
    """Each visit gives the two targets' diameters; "gone" = disappeared, "-" = not recorded."""
    out = []
    for i, visit in enumerate(visits):
        lesions = []
        for k, d in enumerate(visit):
            if d == "-":
                continue
            if d == "gone":
                lesions.append(les(f"T{k + 1}", "VI", d=None, target=True, status="disappeared"))
            else:
                lesions.append(les(f"T{k + 1}", "VI", d=d, target=True))  # type: ignore[arg-type]
        lesions += (extra or {}).get(i, [])
        out.append(review(lesions, on=BASE_DATE + timedelta(weeks=8 * i), cycle=4 * i))
    return out


@pytest.mark.parametrize(("visits", "response"), [
    (((30, 30), (21, 21)), "PR"),          # exactly -30 %
    (((30, 30), (21, 21.01)), "SD"),       # -29.99 %
    (((30, 30), (36, 36)), "PD"),          # exactly +20 % and +12 mm
    (((30, 30), (36, 35.99)), "SD"),
    (((10, 10), (12, 12)), "SD"),          # +20 % but only +4 mm
    (((10, 10), (12.5, 12.5)), "PD"),      # +25 % and +5 mm
    (((36, 36), (30, 30)), "SD"),          # 72 -> 60 is -16.7 %
    (((30, 30), (30, 30), (36, 36)), "PD"),
    # nadir: 60 -> 40 (PR) -> 48 = +20 % over the nadir and +8 mm: PD
    (((30, 30), (20, 20), (24, 24)), "PD"),
    (((30, 30), (20, 20), (23.9, 24)), "SD"),  # +19.75 % over the nadir, -20 % from baseline
    (((20, 20), ("gone", "gone")), "CR"),
    (((20, 20), (None, "gone")), "PR"),    # too small to measure counts 5 mm: 40 -> 5
    (((3, 20), (4, 20)), "SD"),            # measured under 5 mm counts as measured
    (((30, 30), (30, "-")), "NE"),         # a target not assessed
    (((30, 30), (72, "-")), "PD"),         # ... unless the measured ones already show PD
    (((30, 30), (71.9, "-")), "NE"),
])
def test_target_response_boundaries(visits: tuple[Spec, ...], response: str) -> None:
    reviews = _reviews(*visits)
    assert assess(reviews, len(reviews) - 1).response == response


def test_nadir_comes_from_earlier_reviews_only() -> None:
    reviews = _reviews((30, 30), (25, 25), (24, 24))
    s = assess(reviews, 2)
    assert s.nadir_sld_mm == 50     # the current 48 mm is not its own nadir
    assert s.response == "SD"


def test_incomplete_review_is_never_the_nadir() -> None:
    reviews = _reviews((30, 30), (10, "-"), (30, 30))
    assert assess(reviews, 2).nadir_sld_mm == 60


def test_new_lesion_is_progression_whatever_the_targets() -> None:
    reviews = _reviews((30, 30), (10, 10), extra={1: [les("N1", "III", d=6)]})
    s = assess(reviews, 1)
    assert s.response == "PD" and s.new_lesions == ("N1",)
    gone = _reviews((30, 30), (10, 10),
                    extra={1: [les("N1", "III", d=None, status="disappeared")]})
    assert assess(gone, 1).response == "PR"


def test_baseline_is_not_evaluable() -> None:
    assert assess(_reviews((30, 30)), 0).response == "NE"


def test_a_target_left_unmeasured_after_a_measurable_size_is_warned() -> None:
    reviews = _reviews((40, 20), (None, 20))
    s = assess(reviews, 1)
    assert s.sld_mm == 25        # docs/clinical/conventions.md#lesions-over-time: present without diameter counts 5 mm
    assert any("T1 has no diameter here and counts 5 mm" in w for w in s.warnings)
    small = _reviews((40, 20), (8, 20), (None, 20))
    assert not any("counts 5 mm" in w for w in assess(small, 2).warnings)
