"""The window's writes: run off the GUI thread, one failure display, one typed signal per change.

Every change a screen makes to the database (a review edit, a rating, a decision, a patient,
a meeting, a member, a setting, an import) is an operation in ``mdt`` — a method of
:class:`mdt.services.MdtService` or a function of :mod:`mdt.review_ops` — called through
:meth:`Ops.call` (or :meth:`Ops.run`):

- the operation runs on a worker thread (its own session and connection), so a
  save waiting for another workstation (SQLite busy, the PostgreSQL chain lock) never freezes
  the window: it repaints and shows the wait, while the user's keys and clicks wait until the
  save is over (they are delivered then, in order) — a save is never raced by the next edit;
- the caller still gets the result (or the exception) back where it asked, so a screen's
  logic reads top to bottom;
- after a successful write one typed signal says what changed — ``review_did_save(ReviewRecord)``,
  ``patient_did_change(patient id)``, ``meeting_did_change(meeting id)``,
  ``members_did_change()``, ``settings_did_change()``, ``cases_did_import(ImportSummary)`` —
  and the screens subscribe to it instead of patching copies of what they show;
- a failure is said once, the same way everywhere (:meth:`Ops.show_failure`): in a clinician's
  words naming the field (``failure_words``), on the screen where it was typed when that
  screen has a message bar, and in the window's status bar; a fault ``mdt`` did not name also
  opens a box with the details, and the earlier saves are intact.
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QEventLoop, QObject, QThreadPool, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from mdt.case import Case
from mdt.errors import MdtError, ValidationError
from mdt.meeting import Meeting, Member
from mdt.service_types import ImportSummary, PatientRow, ReviewRecord

if TYPE_CHECKING:
    from mdt.case import Review
    from mdt.services import MdtService

T = TypeVar("T")

BUSY_CURSOR_AFTER_MS = 250
"""A save that takes longer shows the busy cursor (a quick one does not flicker)."""


def failure_words(what: str, exc: BaseException, review: Review | None = None) -> str:
    """One sentence for a failed change: "<what> — <why>", the field named in a clinician's words."""
    from mdt.review_ops import problem_words

    if isinstance(exc, ValidationError):
        why = problem_words(exc, review)
    elif isinstance(exc, MdtError):
        why = str(exc)
    else:
        why = f"an unexpected problem ({type(exc).__name__}: {exc}); your earlier saves are intact"
    return f"{what} — {why}" if what else why


class Ops(QObject):
    """Runs the screens' writes (see the module's documentation)."""

    review_did_save = Signal(object)
    """A new version of a review was saved (ReviewRecord): edit, undo, rating, decision, caliper."""
    patient_did_change = Signal(str)
    """A patient's record changed (demographics, protocol, archive, treatment, follow-up, new review)."""
    meeting_did_change = Signal(object)
    """A meeting changed (its id): created, edited, agenda, attendance, signed."""
    members_did_change = Signal()
    settings_did_change = Signal()
    cases_did_import = Signal(object)
    """Case files were stored (ImportSummary)."""
    failed = Signal(str, str, bool)
    """(what, the words shown, unexpected) for the window's status bar and box."""
    busy_changed = Signal(bool)
    database_waited = Signal(object)
    """A save waits for another workstation (mdt.store.db.Wait), delivered on the GUI thread."""
    _job_done = Signal(int)
    """A worker finished the job of this token (emitted on the worker, delivered on the GUI
    thread).  It lives on Ops, which outlives every job: a per-job QObject could be deleted on
    the GUI thread while the worker is still inside its emit."""

    def __init__(self, service: MdtService | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service: MdtService | None = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # writes one after another, in the order asked
        self._depth = 0
        self._cursor_timer = QTimer(self)
        self._cursor_timer.setSingleShot(True)
        self._cursor_timer.timeout.connect(self._busy_cursor)
        self._cursor_shown = False
        self.last_failure = ""
        self._loops: dict[int, QEventLoop] = {}
        self._tokens = itertools.count(1)
        self._job_done.connect(self._finish_job)
        self.set_service(service)

    # ---- the service
    @property
    def service(self) -> MdtService | None:
        return self._service

    def set_service(self, service: MdtService | None) -> None:
        self._service = service
        if service is not None:
            # The wait listener is called on the writing thread: hand it to the GUI thread.
            service.on_database_wait(self.database_waited.emit)

    @property
    def busy(self) -> bool:
        return self._depth > 0

    # ---- running
    def call(self, what: str, op: Callable[[MdtService], T], *, patient_id: str | None = None) -> T:
        """Run ``op(service)`` on a worker thread and return its result; exceptions propagate
        (nothing is shown: :meth:`run` shows them).  On success the change's signal is emitted;
        ``patient_id``: also ``patient_did_change`` for that patient."""
        service = self._service
        if service is None:
            raise MdtError(f"{what}: no database is open; nothing was saved")
        # The service keeps no session between calls: the worker's call opens its own (and
        # its own pooled connection), so the window's reads meanwhile never share it.
        result = self._on_worker(lambda: op(service))
        self.announce(result, patient_id=patient_id)
        return result

    def run(self, what: str, op: Callable[[MdtService], T], *, patient_id: str | None = None,
            shown_in: Callable[[str], None] | None = None, review: Review | None = None) -> T | None:
        """:meth:`call`, with a failure shown (:meth:`show_failure`) and None returned."""
        try:
            return self.call(what, op, patient_id=patient_id)
        except Exception as exc:  # noqa: BLE001 - every failure is shown, none crashes the window
            self.show_failure(what, exc, shown_in=shown_in, review=review)
            return None

    def announce(self, result: object, *, patient_id: str | None = None) -> None:
        """The typed signal for what a write returned."""
        if isinstance(result, ReviewRecord):
            self.review_did_save.emit(result)
        elif isinstance(result, PatientRow):
            self.patient_did_change.emit(result.patient_id)
        elif isinstance(result, Meeting):
            self.meeting_did_change.emit(result.id)
        elif isinstance(result, Member):
            self.members_did_change.emit()
        elif isinstance(result, ImportSummary):
            self.cases_did_import.emit(result)
        elif isinstance(result, Case):
            self.patient_did_change.emit(result.patient.id)
            return
        if patient_id is not None and not isinstance(result, PatientRow):
            self.patient_did_change.emit(patient_id)

    def show_failure(self, what: str, exc: BaseException, *, shown_in: Callable[[str], None] | None = None,
                     review: Review | None = None) -> str:
        """Say a failed change once, the same way everywhere; returns the words shown."""
        words = failure_words(what, exc, review)
        self.last_failure = words
        if shown_in is not None:
            shown_in(words)
        unexpected = not isinstance(exc, MdtError)
        detail = "".join(traceback.format_exception(exc)) if unexpected else ""
        self.failed.emit(what, words if not detail else f"{words}\n\n{detail}", unexpected)
        return words

    # ---- the worker
    def _on_worker(self, fn: Callable[[], T]) -> T:
        box: dict[str, object] = {}
        token = next(self._tokens)
        loop = QEventLoop()
        self._loops[token] = loop

        def job() -> None:
            try:
                box["result"] = fn()
            except BaseException as exc:  # noqa: BLE001 - handed back to the GUI thread
                box["error"] = exc
            finally:
                self._job_done.emit(token)

        self._enter()
        try:
            self.pool.start(job)
            # Paint, timers and the wait's progress go on; the user's input waits for the save.
            while "result" not in box and "error" not in box:
                loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        finally:
            self._loops.pop(token, None)
            self._leave()
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box["result"]  # type: ignore[return-value]

    def _finish_job(self, token: int) -> None:
        loop = self._loops.get(token)
        if loop is not None:
            loop.quit()

    def _enter(self) -> None:
        self._depth += 1
        if self._depth == 1:
            self._cursor_timer.start(BUSY_CURSOR_AFTER_MS)
            self.busy_changed.emit(True)

    def _leave(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._cursor_timer.stop()
            if self._cursor_shown:
                QGuiApplication.restoreOverrideCursor()
                self._cursor_shown = False
            self.busy_changed.emit(False)

    def _busy_cursor(self) -> None:
        if self._depth > 0 and not self._cursor_shown:
            from PySide6.QtCore import Qt

            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            self._cursor_shown = True
