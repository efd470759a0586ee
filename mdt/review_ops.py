"""Operations on a stored review: every change the window, its undo stack, the image viewer
and the command line make to a review is one function here (Anki's "operations in the core").

Each operation takes the service, the record the change was made on (the version the user
saw) and the change, and returns the saved :class:`~mdt.service_types.ReviewRecord`.  It never
asks anything: a question the user must answer comes back as an exception the caller turns
into a dialog (or, on the command line, into a message and an exit status) and then calls the
operation again with the answer:

- :class:`~mdt.errors.ConflictError` — another workstation saved a newer version first
  (``.current`` is theirs; :func:`conflict_lines` says what they changed, in the History
  tab's words).  "Apply mine on top" is :func:`apply_edit` again on ``.current``.
- :class:`AmendmentNeeded` (a :class:`~mdt.errors.LockedError`) — the review belongs to a
  signed meeting: call again with ``amendment=`` the reason the minutes will print.
- :class:`ChangedSince` (a ConflictError) — undo/redo would overwrite a change made since.
- :class:`~mdt.errors.ValidationError` — the new value breaks a rule of the case format;
  the service validates every version once (``mdt.caseformat.review_problems``), on the thread
  that writes; :func:`problem_words` says it in a clinician's words.

The edits themselves (``Review -> Edit``) are :mod:`mdt.review_edits`; this module only
applies and saves them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from mdt import field_names, review_diff
from mdt import review_edits as edits
from mdt.case import Decision, Review
from mdt.errors import ConflictError, LockedError, ValidationError
from mdt.review_edits import Edit, EditFn
from mdt.service_types import ReviewRecord

if TYPE_CHECKING:
    from mdt.services import MdtService

__all__ = [
    "AmendmentNeeded", "ChangedSince", "apply_edit", "conflict_lines", "field_label",
    "problem_words", "rate", "record_decision", "restore", "save_version", "withdraw_rating",
]


class AmendmentNeeded(LockedError):
    """The review belongs to a signed meeting: the change needs an amendment reason."""

    def __init__(self, record: ReviewRecord, change: str) -> None:
        super().__init__(f"the review of {record.review.date.isoformat()} belongs to the signed meeting "
                         f"{record.meeting_id or ''}".rstrip() + "; changing it adds an amendment to the "
                         "minutes, which needs its reason")
        self.record = record
        self.change = change


class ChangedSince(ConflictError):
    """Undo/redo refused: the review was changed since, and restoring would overwrite that."""


def save_version(service: MdtService, record: ReviewRecord, review: Review, reason: str, *,
                 amendment: str | None = None) -> ReviewRecord:
    """Save ``review`` as the next version of ``record`` (the version the user saw).

    The patient the record belongs to is named on every save, so the service refuses a form
    filled for another patient.  ``amendment``: the reason for changing a review of a signed
    meeting (without it such a review raises :class:`AmendmentNeeded`)."""
    if amendment:
        return _amendable(record, reason, amendment, lambda why: service.amend_review(
            record.review_id, review, record.version, f"{why} — {reason}", patient_id=record.patient_id))
    return _amendable(record, reason, amendment, lambda _why: service.save_review(
        record.review_id, review, record.version, reason, patient_id=record.patient_id))


def apply_edit(service: MdtService, record: ReviewRecord, edit: EditFn | Edit, *,
               amendment: str | None = None) -> ReviewRecord:
    """Apply ``edit`` to the version in ``record`` and save the result as the next version.

    ``edit`` is an edit function (replayable on a newer version: "apply mine on top" is this
    function again on the ConflictError's ``current``) or an already built :class:`Edit`."""
    done = edit if isinstance(edit, Edit) else edit(record.review)
    return save_version(service, record, done.review, done.reason, amendment=amendment)


def record_decision(service: MdtService, record: ReviewRecord, decision: Decision | None, reason: str, *,
                    amendment: str | None = None) -> ReviewRecord:
    """The panel's decision on the version in ``record`` (the ratings decide its rule)."""
    if decision is None:
        # Clearing a decision is an edit of the review like any other.
        return save_version(service, record, edits.clear_decision(record.review).review, reason,
                            amendment=amendment)
    return _amendable(record, reason, amendment, lambda why: service.record_decision(
        record.review_id, decision, patient_id=record.patient_id, expected_version=record.version,
        reason=reason, amendment_reason=why))


def rate(service: MdtService, record: ReviewRecord, member: str, rating: str, *,
         reason: str | None = None, amendment: str | None = None) -> ReviewRecord:
    """``member``'s rating on the current version (a person's act: never a conflict, never undone;
    a second rating is a change with its ``reason``)."""
    return _amendable(record, f"rating of {member}", amendment, lambda why: service.cast_vote(
        record.review_id, member, rating, patient_id=record.patient_id, reason=reason,
        amendment_reason=why))


def withdraw_rating(service: MdtService, record: ReviewRecord, member: str, round_: int, reason: str, *,
                    amendment: str | None = None) -> ReviewRecord:
    """Withdraw ``member``'s rating with its reason (kept in the record, not counted)."""
    return _amendable(record, f"withdrawal of {member}'s rating", amendment, lambda why: service.withdraw_vote(
        record.review_id, member, round_, reason, patient_id=record.patient_id, amendment_reason=why))


def _amendable(record: ReviewRecord, change: str, amendment: str | None,
               write: Callable[[str | None], ReviewRecord]) -> ReviewRecord:
    """``write(amendment)``, or AmendmentNeeded when the review belongs to signed minutes (known
    when it was read, or signed on another workstation since) and no amendment reason was given."""
    if record.locked and not amendment:
        raise AmendmentNeeded(record, change)
    try:
        return write(amendment)
    except LockedError as exc:
        if amendment:
            raise
        raise AmendmentNeeded(record, change) from exc


def restore(service: MdtService, review_id: int, review: Review, reason: str, *,
            expected: Review | None = None, amendment: str | None = None) -> ReviewRecord:
    """Undo or redo: save ``review`` again as a new version of ``review_id``.

    Always on the database's current version (another workstation may have saved since);
    ``expected``, the content undo/redo assumes is there now: anything else is
    :class:`ChangedSince` (undoing would overwrite that change), carrying the current record."""
    current = service.get_review(review_id)
    if expected is not None and current.review != expected:
        raise ChangedSince(f"the review was changed since (version {current.version} by {current.saved_by}); "
                           "undoing would overwrite that change", current)
    return save_version(service, current, review, reason, amendment=amendment)


def conflict_lines(mine: Review, theirs: Review) -> list[str]:
    """What the other workstation changed, compared with what this one had (History-tab words)."""
    return review_diff.change_lines(mine, theirs)


# --------------------------------------------------------------------------- words

_LIST_ITEM = re.compile(r"(vessels|panel\.votes)\[(\d+)\](?:\.(\w+))?.*")


def field_label(path: str, review: Review | None = None) -> str:
    """Words a clinician reads for a problem path, from the one table (``mdt.field_names``):
    ``lesions[0].diameter_mm`` -> "L1 diameter", ``labs.bilirubin`` -> "Total bilirubin"."""
    path = path.removeprefix("review.")
    m = re.fullmatch(r"lesions\[(\d+)\](?:\.(\w+))?.*", path)
    if m:
        i = int(m.group(1))
        lesions = review.lesions if review is not None else ()
        name = lesions[i].id if i < len(lesions) else f"Lesion {i + 1}"
        return field_names.lesion_label(name, m.group(2)) if m.group(2) else name
    m = _LIST_ITEM.fullmatch(path)
    if m:
        leaf = f"{m.group(1)}[].{m.group(3)}" if m.group(3) else m.group(1)
        return f"{field_names.label(leaf) or leaf} (row {int(m.group(2)) + 1})"
    return field_names.label(path) or ""


def field_words(path: str, reason: str, review: Review | None = None) -> str:
    """"Lesion L1 diameter (lesions[0].diameter_mm): must be > 0 mm": the words and the exact path."""
    if not path:
        return reason
    label = field_label(path, review)
    return f"{label} ({path}): {reason}" if label else f"{path}: {reason}"


def problem_words(exc: ValidationError, review: Review | None = None) -> str:
    """Every problem of a refused change, field by field: "Lesion L1 diameter (…): must be > 0 mm; …"."""
    return "; ".join(field_words(p.path, p.reason, review) for p in exc.problems)
