"""The patient open in the window, kept once: its case and the records of its reviews.

The main window, the review editor and the views beside them read this one object; nobody
patches a copy of their own.  It follows ``Ops.review_did_save``: a version saved by any part of
the window (an edit, an undo, a rating, a decision, a caliper from the image viewer) replaces
that review here before any screen hears of it — it connects to the signal first — so every
screen reads the same case.  A record of another patient, or of a review not known here (a new
review: the window re-opens the patient), changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from mdt.case import Case
from mdt.service_types import ReviewRecord
from ui.ops import Ops


class OpenCase(QObject):
    changed = Signal(object)
    """The ReviewRecord that replaced a review of the open case."""

    def __init__(self, ops: Ops | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.case: Case | None = None
        self.records: list[ReviewRecord] = []
        if ops is not None:
            ops.review_did_save.connect(self.accept)

    def open(self, case: Case | None, records: list[ReviewRecord] | None = None) -> None:
        """Show ``case`` (None: nobody), with its reviews' records when known."""
        same_patient = case is not None and self.case is not None and case.patient.id == self.case.patient.id
        self.case = case
        if records is not None:
            self.records = list(records)
        elif not same_patient:
            self.records = []  # another patient's records never stay beside this case

    def accept(self, record: ReviewRecord) -> bool:
        """``record`` is the newest version of one review; True when it is one of the open case's."""
        case = self.case
        if case is None or record.patient_id != case.patient.id or not 0 <= record.index < len(case.reviews):
            return False
        known = next((r for r in self.records if r.review_id == record.review_id), None)
        if known is not None and known.version > record.version:
            return False  # an older version arriving late never replaces a newer one
        if known == record and case.reviews[record.index] == record.review:
            return False  # already here
        reviews = list(case.reviews)
        reviews[record.index] = record.review
        self.case = replace(case, reviews=tuple(reviews))
        self.records = [record if r.review_id == record.review_id else r for r in self.records]
        self.changed.emit(record)
        return True
