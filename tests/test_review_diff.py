"""What changed between two versions of a review, in words (mdt.review_diff, mdt.audit_words):
the lines the History tab and the conflict dialog show."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from mdt import audit_words, caseformat, review_diff
from mdt.case import Decision, Labs, Lesion, Panel, Review, VesselContact, Vote

BASE = Review(date=date(2026, 11, 19), cycle=8,
              lesions=(Lesion("L1", ("VIII", "IVa"), 39, target=True), Lesion("L2", ("VI",), 30, target=True)),
              vessels=(VesselContact("RHV", "contact", "L1"),), labs=Labs(plt=150))


def _with_lesion(lesion_id: str, **changes: object) -> Review:
    return replace(BASE, lesions=tuple(replace(les, **changes) if les.id == lesion_id else les
                                       for les in BASE.lesions))


CASES = [
    ("a diameter", _with_lesion("L2", diameter_mm=28), ["L2 diameter 30 → 28 mm"]),
    ("a diameter measured for the first time", _with_lesion("L2", diameter_mm=None),
     ["L2 diameter 30 mm → not recorded"]),
    ("segments", _with_lesion("L2", segments=("VI", "VII")), ["L2 segments VI → VI, VII"]),
    ("a lesion added", replace(BASE, lesions=BASE.lesions + (Lesion("L3", ("VII",), 25),)),
     ["L3 added (VII, 25 mm)"]),
    ("a lesion removed", replace(BASE, lesions=BASE.lesions[:1]), ["L2 removed (was VI, 30 mm)"]),
    ("a lab with its unit", replace(BASE, labs=Labs(plt=90)), ["Platelets 150 → 90 ×10⁹/L"]),
    ("the decision", replace(BASE, panel=Panel(decision=Decision("convertible", "continue_induction"))),
     ["Decision: resectability not recorded → convertible (potentially resectable)",
      "Decision: plan not recorded → continue induction chemotherapy"]),
    ("a vessel relation", replace(BASE, vessels=(VesselContact("RHV", "encasement", "L1"),)),
     ["Vessel RHV (right hepatic vein) / L1 contact → encasement (> 180°)"]),
    ("nothing", BASE, []),
]


@pytest.mark.parametrize(("what", "new", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_change_reads_in_words(what: str, new: Review, expected: list[str]) -> None:
    assert review_diff.change_lines(BASE, new) == expected


def test_ratings_are_named_but_hidden_while_the_panel_rates_independently() -> None:
    rated = replace(BASE, panel=Panel(votes=(Vote("Bo Chen", "hepatobiliary_surgeon", "resectable"),)))
    assert review_diff.change_lines(BASE, rated) == ["Bo Chen's rating none → resectable"]
    hidden = review_diff.change_lines(BASE, rated, hide_ratings=True)
    assert hidden == [f"Bo Chen's rating recorded ({review_diff.HIDDEN_RATING})"]


def test_an_audit_event_reads_with_who_why_and_what() -> None:
    new = _with_lesion("L2", diameter_mm=28)
    before = {"version": 1, "review": caseformat.review_to_dict(BASE)}
    after = {"version": 2, "reason": "re-measured on the portal phase", "changes": [],
             "review": caseformat.review_to_dict(new)}
    text = audit_words.event_text("2026-11-19 14:02:00", "Anne Martin", "review.save", "review of 2026-11-19",
                                  before, after)
    assert text.splitlines()[:3] == ["Anne Martin changed the review — review of 2026-11-19",
                                     "at 2026-11-19 14:02:00 (UTC)", "Reason: re-measured on the portal phase"]
    assert "  • L2 diameter 30 → 28 mm" in text
    assert "{" not in text and "lesions[" not in text


def test_other_records_read_as_fields() -> None:
    lines = audit_words.change_lines("patient.amend", {"name": "DUPONT^Jean", "sex": "M"},
                                     {"name": "DUPONT-BIERRE^Jean", "sex": "M", "reason": "typo"})
    assert lines == ["Name DUPONT^Jean → DUPONT-BIERRE^Jean"]
