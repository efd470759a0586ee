"""Undo commands for edits that are saved at once through the service.

Pattern: the caller applies the change first (so a ValidationError can be shown
inline and nothing is pushed), then pushes a :class:`AppliedCommand` whose first
``redo`` does nothing.  Undo and redo call the service again, so the database
always holds what the window shows; there is no "save" to forget.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

ErrorSink = Callable[[str, BaseException], None]


class AppliedCommand(QUndoCommand):
    """An already-applied edit; ``undo_fn``/``redo_fn`` write the old/new state again."""

    def __init__(self, text: str, redo_fn: Callable[[], object], undo_fn: Callable[[], object],
                 after: Callable[[], None] | None = None, on_error: ErrorSink | None = None):
        super().__init__(text)
        self._redo_fn, self._undo_fn = redo_fn, undo_fn
        self._after = after
        self._on_error = on_error
        self._applied = True

    def redo(self) -> None:
        if self._applied:  # the first redo happens when the stack takes the command
            self._applied = False
            return
        self._call(self._redo_fn, "Redo")

    def undo(self) -> None:
        self._call(self._undo_fn, "Undo")

    def _call(self, fn: Callable[[], object], what: str) -> None:
        try:
            fn()
        except Exception as exc:  # e.g. LockedError after the meeting was signed meanwhile
            if self._on_error is not None:
                self._on_error(f"{what} of '{self.text()}' failed", exc)
            else:
                raise
        if self._after is not None:
            self._after()


def apply_and_push(stack: QUndoStack, text: str, redo_fn: Callable[[], object],
                   undo_fn: Callable[[], object], after: Callable[[], None] | None = None,
                   on_error: ErrorSink | None = None) -> object:
    """Run ``redo_fn`` now (exceptions propagate: nothing is pushed), then push it for undo."""
    result = redo_fn()
    stack.push(AppliedCommand(text, redo_fn, undo_fn, after, on_error))
    if after is not None:
        after()
    return result
