"""Operations on a review (mdt.review_ops, mdt.review_edits.edit_for): the one place the window,
its undo stack, the image viewer and the command line change a review.

Specification:
- an edit is saved as the next version of the version the user saw, with its words;
- a review of signed minutes is never changed without an amendment reason
  (AmendmentNeeded), and with one it is an amendment the minutes print;
- a version saved meanwhile by another workstation is a ConflictError carrying theirs,
  and "apply mine on top" is the same operation on theirs;
- undo/redo never overwrites a change made since (ChangedSince);
- a bad value names the field in a clinician's words; nothing is saved;
- every field the command line offers round-trips: typing back the value shown changes nothing.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdt import anatomy, review_edits, review_ops
from mdt.case import Review
from mdt.errors import ConflictError, ValidationError
from mdt.meeting import AgendaItem, Meeting
from mdt.review_edits import edit_for, typed_values
from tests.pg_fixtures import db_url, pg_server_url, pg_url  # noqa: F401
from tests.signin_fixtures import TEST_PASSWORD
from tests.store_fixtures import CHAIR, MEMBER, Workstation, make_case, ws  # noqa: F401

DAY = date(2026, 3, 12)  # the second review of make_case()


def _record(ws: Workstation, pid: str = "P1", index: int = -1):  # noqa: ANN202, F811
    return ws.coordinator.list_reviews(pid)[index]


def _signed(ws: Workstation) -> None:  # noqa: F811
    ws.coordinator.create_meeting(Meeting(
        id="LIV-2026-03-12", date=DAY, start_time="08:00", board="Liver MDT", chair=CHAIR.name,
        attendees=(CHAIR, MEMBER), agenda=(AgendaItem(patient_id="P1", review_date=DAY),)))
    ws.chair.sign_meeting("LIV-2026-03-12", TEST_PASSWORD)


@pytest.fixture
def stored(ws: Workstation) -> Workstation:  # noqa: F811
    ws.coordinator.import_cases([make_case("P1")])
    return ws


def test_an_edit_is_the_next_version_with_its_words(stored: Workstation) -> None:
    rec = _record(stored)
    lid = rec.review.lesions[0].id
    saved = review_ops.apply_edit(stored.member, rec, lambda r: review_edits.set_diameter(r, lid, 33))
    assert saved.version == rec.version + 1 and saved.review.lesion(lid).diameter_mm == 33
    assert saved.reason.startswith(f"{lid} diameter") and saved.reason.endswith("→ 33 mm")
    assert stored.member.get_review(rec.review_id) == saved


def test_a_signed_review_needs_an_amendment_reason_and_then_is_an_amendment(stored: Workstation) -> None:
    _signed(stored)
    rec = _record(stored)
    assert rec.locked
    with pytest.raises(review_ops.AmendmentNeeded, match="signed meeting"):
        review_ops.apply_edit(stored.member, rec, lambda r: review_edits.set_lab(r, "bilirubin", 30))
    assert stored.member.get_review(rec.review_id) == rec  # nothing saved
    saved = review_ops.apply_edit(stored.member, rec, lambda r: review_edits.set_lab(r, "bilirubin", 30),
                                  amendment="lab transcribed wrongly")
    assert saved.review.labs.bilirubin == 30 and saved.reason.startswith("lab transcribed wrongly — ")
    minutes = stored.chair.get_meeting("LIV-2026-03-12")
    assert [a.reason for a in minutes.amendments][-1].startswith("lab transcribed wrongly")


def test_signed_meanwhile_is_asked_as_an_amendment_not_a_database_error(stored: Workstation) -> None:
    stale = _record(stored)  # opened before the meeting was signed
    _signed(stored)
    with pytest.raises(review_ops.AmendmentNeeded):
        review_ops.apply_edit(stored.member, stale, lambda r: review_edits.set_review_value(r, "ecog", 2))


def test_another_workstation_saved_first_and_mine_goes_on_top_of_theirs(stored: Workstation) -> None:
    mine = _record(stored)
    theirs = review_ops.apply_edit(stored.coordinator, mine, lambda r: review_edits.set_lab(r, "plt", 99))

    def edit(r: Review) -> review_edits.Edit:
        return review_edits.set_review_value(r, "ecog", 2)

    with pytest.raises(ConflictError) as refused:
        review_ops.apply_edit(stored.member, mine, edit)
    current = refused.value.current
    assert current == theirs
    assert review_ops.conflict_lines(mine.review, current.review) == [
        ln for ln in review_ops.conflict_lines(mine.review, theirs.review)]
    assert any("Platelets" in ln for ln in review_ops.conflict_lines(mine.review, current.review))
    on_top = review_ops.apply_edit(stored.member, current, edit)
    assert on_top.review.labs.plt == 99 and on_top.review.ecog == 2  # theirs kept, mine applied


def test_undo_never_overwrites_a_change_made_since(stored: Workstation) -> None:
    rec = _record(stored)
    edited = review_ops.apply_edit(stored.member, rec, lambda r: review_edits.set_lab(r, "plt", 150))
    review_ops.apply_edit(stored.coordinator, edited, lambda r: review_edits.set_lab(r, "hb", 9.5))
    with pytest.raises(review_ops.ChangedSince) as refused:
        review_ops.restore(stored.member, rec.review_id, rec.review, "Undo: platelets", expected=edited.review)
    assert refused.value.current.review.labs.hb == 9.5
    # On the version it expects, undo restores the earlier content as a new version.
    now = stored.member.get_review(rec.review_id)
    undone = review_ops.restore(stored.member, rec.review_id, edited.review, "Undo: haemoglobin",
                                expected=now.review)
    assert undone.review == edited.review and undone.version == now.version + 1


def test_a_bad_value_is_refused_in_words_and_nothing_is_saved(stored: Workstation) -> None:
    rec = _record(stored)
    lid = rec.review.lesions[0].id
    with pytest.raises(ValidationError) as refused:
        review_ops.apply_edit(stored.member, rec, edit_for(rec.review, f"lesions.{lid}.diameter_mm", "0"))
    assert review_ops.problem_words(refused.value, rec.review) == (
        f"{lid} diameter (lesions[0].diameter_mm): must be > 0 mm")
    assert stored.member.get_review(rec.review_id) == rec


def test_ratings_go_through_the_same_amendment_rule(stored: Workstation) -> None:
    _signed(stored)
    rec = _record(stored)
    with pytest.raises(review_ops.AmendmentNeeded):
        review_ops.rate(stored.chair, rec, CHAIR.name, "resectable")
    with pytest.raises(review_ops.AmendmentNeeded):
        review_ops.withdraw_rating(stored.chair, rec, CHAIR.name, 1, "typed for the wrong patient")


# --------------------------------------------------------------------------- one typed field

@pytest.mark.parametrize(("path", "text", "check"), [
    ("labs.bilirubin", "25", lambda r: r.labs.bilirubin == 25),
    ("labs.bilirubin", "", lambda r: r.labs.bilirubin is None),
    ("labs.inr", "1,2", lambda r: r.labs.inr == 1.2),
    ("labs.proteinuria", "2+", lambda r: r.labs.proteinuria == "2+"),
    ("labs.uln.bilirubin", "21", lambda r: r.labs.uln.bilirubin == 21),
    ("ecog", "2", lambda r: r.ecog == 2),
    ("extrahepatic_disease", "confirmed", lambda r: r.extrahepatic_disease == "confirmed"),
    ("clinical.synchronous", "yes", lambda r: r.clinical.synchronous is True),
    ("clinical.ascites", "mild", lambda r: r.clinical.ascites == "mild"),
    ("remnant.liver_condition", "cirrhosis", lambda r: r.remnant.liver_condition == "cirrhosis"),
    ("lesions.L1.segments", "7 8", lambda r: r.lesion("L1").segments == ("VII", "VIII")),
    ("lesions.L1.diameter_mm", "18.5", lambda r: r.lesion("L1").diameter_mm == 18.5),
    ("lesions.L1.target", "no", lambda r: r.lesion("L1").target is False),
])
def test_a_typed_field_becomes_the_editor_s_edit(path: str, text: str, check) -> None:  # noqa: ANN001
    review = make_case("P1").reviews[0]
    assert check(edit_for(review, path, text).review)


@pytest.mark.parametrize(("path", "text", "words"), [
    ("labs.bilirubin", "-3", "must be ≥ 0 µmol/L"),
    ("labs.bilirubin", "high", "'high' is not a number"),
    ("ecog", "7", "must be ≤ 5"),
    ("lesions.L9.diameter_mm", "20", "no lesion L9 in this review"),
    ("lesions.L1.segments", "IX", "unknown segment IX"),
    ("clinical.synchronous", "perhaps", "must be yes, no or empty"),
    ("labs.proteinuria", "5+", "must be one of"),
    ("labs.unknown", "1", "not a field of a review"),
])
def test_a_bad_typed_field_names_the_field_and_the_rule(path: str, text: str, words: str) -> None:
    review = make_case("P1").reviews[0]
    with pytest.raises(ValidationError) as refused:
        edit_for(review, path, text)
    assert words in review_ops.problem_words(refused.value, review)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.data())
def test_typing_back_every_value_shown_changes_nothing(data: st.DataObject) -> None:
    review = make_case("P1").reviews[data.draw(st.sampled_from([0, 1]), label="review")]
    shown = typed_values(review)
    path, text = data.draw(st.sampled_from(shown), label="field")
    if text == "" and path.endswith(".target"):
        return  # a lesion is a target or not: never blank
    again = edit_for(review, path, text).review
    if path == "remnant.flr_ml":
        # Typing a remnant volume says it was measured for this plan's remnant: it pins the
        # volume to those segments (the reading "a measured volume remembers its segments").
        assert again.remnant.flr_ml == review.remnant.flr_ml
        assert again.remnant.flr_segments == anatomy.sort_units(review_edits.remnant_units(review) or ())
        again = dataclasses.replace(again, remnant=dataclasses.replace(
            again.remnant, flr_segments=review.remnant.flr_segments))
    assert again == review, (path, text)


def test_every_field_the_command_line_offers_is_shown_and_typeable() -> None:
    review = make_case("P1").reviews[0]
    shown = {p for p, _v in typed_values(review)}
    offered = set(review_edits.field_paths())
    generic = {p.replace(f"lesions.{les.id}.", "lesions.<id>.") for p in shown for les in review.lesions
               if p.startswith(f"lesions.{les.id}.")}
    assert {p for p in shown if not p.startswith("lesions.")} | generic == offered
    assert dataclasses.is_dataclass(review)
