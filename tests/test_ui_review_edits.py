"""The review editor's edit functions (no Qt): each builds a new review and a reason, or names the field."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdt import review_edits as edits
from mdt.caseformat import review_problems
from mdt.errors import ValidationError
from tests.ui_review_fixtures import sample_case


def review():
    return sample_case().reviews[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("VII, VIII", ("VII", "VIII")),
    ("8 7", ("VII", "VIII")),
    ("iva; ivb", ("IVa", "IVb")),
    ("4a", ("IVa",)),
    ("IV IVa", ("IVa",)),
    ("I/II+III", ("I", "II", "III")),
    ("  vi  ", ("VI",)),
])
def test_parse_segments_accepts_what_a_coordinator_types(text: str, expected: tuple[str, ...]) -> None:
    assert edits.parse_segments(text) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("", "at least one segment"),
    ("IX", "unknown segment IX"),
    ("VII, 9", "unknown segment 9"),
])
def test_parse_segments_names_the_problem(text: str, reason: str) -> None:
    with pytest.raises(ValidationError) as exc:
        edits.parse_segments(text, "lesions[0].segments")
    assert exc.value.problems[0].path == "lesions[0].segments"
    assert reason in exc.value.problems[0].reason


@pytest.mark.parametrize(("text", "kwargs", "expected"), [
    ("42", {}, 42), ("42.5", {}, 42.5), ("42,5", {}, 42.5), ("", {}, None), ("  ", {}, None),
    ("3.0", {"integer": True}, 3),
])
def test_parse_number(text: str, kwargs: dict, expected: object) -> None:
    assert edits.parse_number(text, "x", **kwargs) == expected


@pytest.mark.parametrize(("text", "kwargs", "reason"), [
    ("abc", {}, "is not a number"),
    ("nan", {}, "is not a number"),
    ("0", {"minimum": 0, "strict_min": True, "unit": "mm"}, "must be > 0 mm"),
    ("301", {"maximum": 300, "unit": "mm"}, "must be ≤ 300 mm"),
    ("-1", {"minimum": 0}, "must be ≥ 0"),
    ("1.5", {"integer": True}, "whole number"),
])
def test_parse_number_refuses_with_reason(text: str, kwargs: dict, reason: str) -> None:
    with pytest.raises(ValidationError) as exc:
        edits.parse_number(text, "labs.hb", **kwargs)
    assert exc.value.problems[0].path == "labs.hb"
    assert reason in exc.value.problems[0].reason


def test_diameter_edit_reason_reads_like_the_history() -> None:
    e = edits.set_diameter(review(), "L1", 40)
    assert e.reason == "L1 diameter 42 → 40 mm"
    assert e.review.lesion("L1").diameter_mm == 40
    assert review().lesion("L1").diameter_mm == 42  # the original is untouched


def test_add_lesion_uses_the_next_free_id_and_valid_segments() -> None:
    e = edits.add_lesion(review(), ("VI",))
    assert e.review.lesions[-1].id == "L3"
    assert e.review.lesions[-1].segments == ("VI",)
    assert review_problems(e.review) == []


def test_remove_lesion_drops_its_vessels_and_local_treatment() -> None:
    r = edits.set_local_treatment(review(), "L2", "wedge").review
    e = edits.remove_lesion(r, "L1")
    assert [les.id for les in e.review.lesions] == ["L2"]
    assert e.review.vessels == ()
    e2 = edits.remove_lesion(r, "L2")
    assert e2.review.remnant.local_treatment == ()


def test_rename_lesion_updates_references_and_refuses_duplicates() -> None:
    e = edits.rename_lesion(review(), "L1", "L9")
    assert e.review.vessels[0].lesion == "L9"
    with pytest.raises(ValidationError, match="already used"):
        edits.rename_lesion(review(), "L1", "L2")


def test_toggle_segment_adds_removes_and_keeps_one() -> None:
    r = edits.toggle_segment(review(), "L2", "II").review
    assert r.lesion("L2").segments == ("II", "III")
    r = edits.toggle_segment(r, "L2", "III").review
    assert r.lesion("L2").segments == ("II",)
    with pytest.raises(ValidationError, match="at least one segment"):
        edits.toggle_segment(r, "L2", "II")


def test_status_disappeared_is_recorded() -> None:
    e = edits.set_status(review(), "L2", "ablated")
    assert e.review.lesion("L2").status == "ablated"
    gone = edits.set_status(review(), "L2", "disappeared")
    assert gone.review.lesion("L2").diameter_mm is None
    assert gone.reason == "L2 status present → disappeared (diameter 18 mm cleared)"
    assert review_problems(gone.review) == []
    with pytest.raises(ValidationError):
        edits.set_status(review(), "L2", "gone")


def test_set_vessel_sets_changes_and_clears() -> None:
    r = edits.set_vessel(review(), "L1", "RHV", "encasement").review
    assert edits.vessel_relation(r, "L1", "RHV") == "encasement"
    assert len(r.vessels) == 1
    r = edits.set_vessel(r, "L2", "LHV", "contact").review
    assert edits.vessel_relation(r, "L2", "LHV") == "contact"
    e = edits.set_vessel(r, "L1", "RHV", None)
    assert edits.vessel_relation(e.review, "L1", "RHV") is None
    assert e.reason == "L1 RHV encasement → none"


def test_clearing_a_relation_never_records_no_vascular_contact() -> None:
    # Vessels not assessed: clearing a cell leaves them not assessed (never a silent "no
    # contact", which would let every vessel criterion pass).
    from dataclasses import replace

    unassessed = replace(review(), vessels=None)
    e = edits.set_vessel(unassessed, "L1", "RHV", None)
    assert e.review.vessels is None and edits.vessels_state(e.review) == "not_assessed"
    # Once a relation is recorded the vessels are assessed; clearing the last one leaves the
    # assessment standing ("no vascular contact" after it was looked at).
    r = edits.set_vessel(unassessed, "L1", "RHV", "contact").review
    assert edits.vessels_state(r) == "contacts"
    assert edits.vessels_state(edits.set_vessel(r, "L1", "RHV", None).review) == "no_contact"


def test_named_resection_and_custom_remnant() -> None:
    r = edits.choose_resection(review(), "left_hepatectomy").review
    assert edits.remnant_units(r) == frozenset({"I", "V", "VI", "VII", "VIII"})
    # Toggling VIII out of a right-hepatectomy remnant gives a custom remnant.
    r2 = edits.toggle_remnant_segment(review(), "V").review
    assert r2.remnant.resection is None
    assert r2.remnant.segments == ("I", "II", "III", "IVa", "IVb", "V")
    # Toggling it back is the named resection again.
    r3 = edits.toggle_remnant_segment(r2, "V").review
    assert r3.remnant.resection == "right_hepatectomy" and r3.remnant.segments is None
    assert review_problems(r2) == [] and review_problems(r3) == []


def test_local_treatment_only_for_lesions_in_the_remnant() -> None:
    r = edits.set_local_treatment(review(), "L2", "ablation").review
    assert r.remnant.local_treatment[0].method == "ablation"
    with pytest.raises(ValidationError, match="does not lie in the remnant"):
        edits.set_local_treatment(review(), "L1", "wedge")
    # A plan that removes L2's segment drops its local treatment.
    r2 = edits.choose_resection(r, "left_lateral_sectionectomy").review
    assert r2.remnant.local_treatment == ()


def test_remnant_volume_cannot_exceed_total() -> None:
    with pytest.raises(ValidationError, match="cannot exceed"):
        edits.set_remnant_value(review(), "flr_ml", 2000)


@pytest.mark.parametrize(("fn", "args", "path"), [
    (edits.set_review_value, ("weight_kg", 10), "weight_kg"),
    (edits.set_review_value, ("ecog", 6), "ecog"),
    (edits.set_clinical, ("neuropathy_grade", 5), "clinical.neuropathy_grade"),
    (edits.set_lab, ("hb", -1), "labs.hb"),
    (edits.set_uln, ("ast", 0), "labs.uln.ast"),
    (edits.set_lab, ("proteinuria", "5+"), "labs.proteinuria"),
])
def test_out_of_range_values_name_their_field(fn, args, path: str) -> None:  # noqa: ANN001
    with pytest.raises(ValidationError) as exc:
        fn(review(), *args)
    assert exc.value.problems[0].path == path


def test_a_second_rating_is_a_change_with_its_reason_and_the_history_words_hide_the_rating() -> None:
    from mdt.votes import record_rating

    votes, _ = record_rating((), member="A. Martin", role="surgeon", rating="convertible")
    with pytest.raises(ValidationError) as exc:
        record_rating(votes, member="A. Martin", role="surgeon", rating="resectable")
    assert "needs a reason" in str(exc.value)
    changed, words = record_rating(votes, member="A. Martin", role="surgeon", rating="resectable",
                                   reason="portal phase re-read")
    assert len(changed) == 1 and changed[0].rating == "resectable"
    assert (changed[0].changes[0].from_rating, changed[0].changes[0].to_rating) == ("convertible", "resectable")
    assert "resectable" not in words and "convertible" not in words
    with pytest.raises(ValidationError):
        record_rating(votes, member=" ", role=None, rating="resectable")


def test_decision_next_review_not_before_review_date() -> None:
    e = edits.decide(review(), "convertible", "continue_induction", "RHV contact", date(2026, 3, 12))
    assert e.review.panel.decision.plan == "continue_induction"
    with pytest.raises(ValidationError) as exc:
        edits.decide(review(), "convertible", "continue_induction", None, date(2025, 1, 1))
    assert exc.value.problems[0].path == "panel.decision.next_review"


def test_differences_say_what_changed_in_words() -> None:
    new = edits.set_diameter(review(), "L1", 40).review
    assert edits.differences(review(), new) == ["L1 diameter 42 → 40 mm"]


@given(st.lists(st.sampled_from(["I", "II", "III", "IVa", "IVb", "V", "VI", "VII", "VIII"]), min_size=1))
def test_any_clicked_segments_give_a_valid_review(clicks: list[str]) -> None:
    """Whatever sequence of diagram clicks, the saved review stays valid mdt-case/1."""
    r = review()
    for unit in clicks:
        try:
            r = edits.toggle_segment(r, "L2", unit).review
        except ValidationError:
            pass  # removing the last segment is refused, the review is unchanged
        r = edits.toggle_remnant_segment(r, unit).review
    assert review_problems(r) == []
    assert r.lesion("L2").segments
