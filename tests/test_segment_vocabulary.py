"""One list of segment codes: the case format's vocabulary (mdt.case.SEGMENTS, in anatomical
order) is where the nine anatomical units (mdt.anatomy.UNITS) and every segment ordering come from."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mdt import anatomy
from mdt.case import SEGMENTS
from mdt.review_edits import parse_segments


def test_the_nine_units_are_the_format_codes_without_undivided_iv() -> None:
    assert anatomy.UNITS == ("I", "II", "III", "IVa", "IVb", "V", "VI", "VII", "VIII")
    assert anatomy.UNITS == tuple(s for s in SEGMENTS if s != "IV")


@given(st.lists(st.sampled_from(SEGMENTS), min_size=1))
def test_segments_are_ordered_one_way_everywhere(codes: list[str]) -> None:
    ordered = anatomy.sort_segments(codes)
    assert list(ordered) == sorted(set(codes), key=SEGMENTS.index)
    units = [c for c in codes if c != "IV"]
    if units:
        assert anatomy.sort_units(units) == anatomy.sort_segments(units)
    typed = parse_segments(" ".join(reversed(codes)))
    assert list(typed) == [c for c in ordered if not (c == "IV" and {"IVa", "IVb"} & set(codes))]


# --------------------------------------------------------------------------- a diameter's meaning

import pytest  # noqa: E402

from mdt.case import Lesion  # noqa: E402
from mdt.recist import TOO_SMALL_MM, _lesion_value, diameter_words  # noqa: E402


@pytest.mark.parametrize(("lesion", "words", "counts"), [
    (Lesion("L1", ("VII",), 24, target=True), "24 mm", 24),
    (Lesion("L1", ("VII",), 12.5, target=True), "12.5 mm", 12.5),
    (Lesion("L1", ("VII",), None, target=True), "too small (5 mm)", TOO_SMALL_MM),
    (Lesion("L2", ("III",), None, target=False), "not measured", TOO_SMALL_MM),
    (Lesion("L3", ("VI",), None, status="disappeared", target=True), "gone (0 mm)", 0),
    (Lesion("L4", ("V",), None, status="ablated", target=True), "ablated, not measured", None),
])
def test_the_words_for_a_diameter_say_what_the_sums_count(lesion: Lesion, words: str, counts) -> None:  # noqa: ANN001
    assert diameter_words(lesion) == words
    assert _lesion_value(lesion) == counts
