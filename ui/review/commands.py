"""Undo commands for review edits, each saved at once as a new version.

Every edit in the review editor becomes one :class:`ReviewEditCommand` holding
the review before and after.  The editor saves the new version *before* it
pushes the command (so an invalid value, a conflict the user resolves by
keeping the other version, or a refused amendment pushes nothing); the stack's
first ``redo`` is therefore a no-op.  Later undo/redo save the old/new review
again through the editor, so the database always holds what the window shows,
with a reason such as ``Undo: L1 diameter 42 → 40 mm`` in the version history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from mdt.case import Review

if TYPE_CHECKING:
    from .editor import ReviewEditor



class ReviewEditCommand(QUndoCommand):
    """One saved edit of one review (``review_id``); undo saves ``before`` again."""

    def __init__(self, editor: ReviewEditor, review_id: int, before: Review, after: Review,
                 reason: str) -> None:
        super().__init__(reason)
        self.editor = editor
        self.review_id = review_id
        self.before = before
        self.after = after
        self.reason = reason
        self._first = True

    def redo(self) -> None:
        if self._first:  # already saved by the editor before the push
            self._first = False
            return
        if not self.editor.save_from_undo(self.review_id, self.after, f"Redo: {self.reason}",
                                          expected=self.before):
            self.setObsolete(True)

    def undo(self) -> None:
        if not self.editor.save_from_undo(self.review_id, self.before, f"Undo: {self.reason}",
                                          expected=self.after):
            # The stack drops an obsolete command: it can no longer be undone
            # (e.g. the meeting was signed meanwhile and no amendment reason was given).
            self.setObsolete(True)
