"""Which review an imaging study belongs to, so a caliper line lands on the review of the study it
was drawn on (a line on the prior study never becomes the current review's diameter).

Rule: the review whose recorded imaging has the study's UID; else the one review whose imaging
date is the study's date (and names no other study).  Otherwise nothing is guessed: the user
chooses among the reviews the study can belong to (dated on or after the study, nearest first),
seeing the study's date and each review's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mdt.case import Case, Review


@dataclass(frozen=True, slots=True)
class StudyMatch:
    index: int | None
    """Position of the matching review in ``case.reviews``; None when no review records the study."""
    how: str
    """``study UID``, ``imaging date``, or "" when unmatched."""
    candidates: tuple[int, ...] = ()
    """When unmatched: reviews the study may belong to, nearest in date first."""


def _records(review: Review, study_uid: str | None) -> bool:
    img = review.imaging
    return bool(study_uid and img is not None and img.study_uid == study_uid)


def review_for_study(case: Case, study_uid: str | None, study_date: date | None) -> StudyMatch:
    """The review of ``case`` the study (UID, date) belongs to, by the rule of this module."""
    by_uid = [i for i, r in enumerate(case.reviews) if _records(r, study_uid)]
    if by_uid:
        return StudyMatch(by_uid[-1], "study UID")
    if study_date is not None:
        by_date = [i for i, r in enumerate(case.reviews)
                   if r.imaging is not None and r.imaging.date == study_date
                   and (r.imaging.study_uid is None or not study_uid)]
        if len(by_date) == 1:
            return StudyMatch(by_date[0], "imaging date")
    return StudyMatch(None, "", candidate_reviews(case, study_date))


def candidate_reviews(case: Case, study_date: date | None) -> tuple[int, ...]:
    """Reviews a study of ``study_date`` can be the imaging of: dated on or after it (a review
    rests on earlier imaging), nearest first; every review, latest first, when the date is unknown."""
    indices = range(len(case.reviews))
    if study_date is None:
        return tuple(reversed(indices))
    after = [i for i in indices if case.reviews[i].date >= study_date]
    return tuple(sorted(after, key=lambda i: (case.reviews[i].date - study_date).days))
