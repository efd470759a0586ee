"""Background work that never blocks the window (Anki's TaskManager pattern).

``TaskRunner.run(fn, on_done)`` runs ``fn(task)`` on a worker thread from a
``QThreadPool``; ``on_done(result)`` (or ``on_error(exc)``) is then called on the
main thread through a queued Qt signal.  ``fn`` receives a :class:`TaskHandle`
to report progress (``task.progress(done, total, text)``) and to check
``task.cancelled``.  The work function must not touch widgets, sessions or ORM
objects that belong to the main thread (ENGINEERING-NOTES pitfall 7).

Tests pass ``synchronous=True`` to run the work inline, so a pytest-qt test can
assert on the result right after triggering an action.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class TaskCancelled(Exception):
    """Raised by :meth:`TaskHandle.check` when the user pressed Cancel."""


@dataclass(eq=False)
class TaskHandle:
    """What a work function sees: progress reporting and cancellation."""
    label: str
    _emit: Callable[[int, int, str], None]
    _cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise TaskCancelled(self.label)

    def progress(self, done: int, total: int, text: str = "") -> None:
        self._emit(done, total, text)


class _Signals(QObject):
    """Lives on the main thread; the worker emits, the slots run queued on the main thread."""
    progress = Signal(int, int, str)
    done = Signal(object)
    failed = Signal(object, str)

    def __init__(self, on_done: Callable[[object], None], on_failed: Callable[[BaseException, str], None]):
        super().__init__()
        self._on_done, self._on_failed = on_done, on_failed
        self.done.connect(self._done_slot)
        self.failed.connect(self._failed_slot)

    @Slot(object)
    def _done_slot(self, result: object) -> None:
        self._on_done(result)

    @Slot(object, str)
    def _failed_slot(self, exc: BaseException, tb: str) -> None:
        self._on_failed(exc, tb)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[TaskHandle], Any], handle: TaskHandle, signals: _Signals):
        super().__init__()
        self.fn, self.handle, self.signals = fn, handle, signals
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn(self.handle)
        except BaseException as exc:  # reported on the main thread, never swallowed
            self.signals.failed.emit(exc, traceback.format_exc())
        else:
            self.signals.done.emit(result)


class TaskRunner(QObject):
    """Runs work off the main thread and reports progress to the status bar."""

    started = Signal(str)
    """A task began (its label)."""
    progressed = Signal(int, int, str)
    """done, total (0 = unknown), text."""
    finished = Signal(str)
    """A task ended (successfully, with an error or cancelled)."""

    def __init__(self, parent: QObject | None = None, synchronous: bool = False, max_threads: int = 2):
        super().__init__(parent)
        self.synchronous = synchronous
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._active: list[list[Any]] = []

    @property
    def busy(self) -> bool:
        return bool(self._active)

    def cancel_all(self) -> None:
        for handle, _signals in self._active:
            handle.cancel()

    def run(self, label: str, fn: Callable[[TaskHandle], Any],
            on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException, str], None] | None = None) -> TaskHandle:
        entry: list[Any] = []

        def finish() -> None:
            self._active = [e for e in self._active if e is not entry]
            self.finished.emit(label)

        def done(result: object) -> None:
            try:
                if on_done is not None:
                    on_done(result)
            finally:
                finish()

        def failed(exc: BaseException, tb: str) -> None:
            try:
                if on_error is not None:
                    on_error(exc, tb)
                elif not isinstance(exc, TaskCancelled):
                    raise exc
            finally:
                finish()

        signals = _Signals(done, failed)
        handle = TaskHandle(label, signals.progress.emit)
        entry.extend((handle, signals))
        self._active.append(entry)
        signals.progress.connect(self.progressed)
        self.started.emit(label)
        if self.synchronous:
            _Job(fn, handle, signals).run()
        else:
            self.pool.start(_Job(fn, handle, signals))
        return handle

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the pool is idle (tests and shutdown only)."""
        return self.pool.waitForDone(msecs)
