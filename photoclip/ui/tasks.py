"""Run engine work off the GUI thread and hand results back to it.

One helper for every background call, in the manner of Picard's
`picard/util/thread.py` and Anki's QueryOp: a QRunnable runs a plain function on
a pool, catches any exception, and the result or the error reaches a callback
on the GUI thread through a queued signal. The function must never touch
widgets. Writes (indexing, tagging, edits) go to a one-thread pool so they run
in order; reads (searches, pages of metadata, thumbnails) go to a wider pool.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]


class _Delivery(QObject):
    """Lives on the GUI thread; its slot runs callbacks there (queued from worker threads)."""

    deliver = Signal(object, object, object)  # callback, value, task

    def __init__(self) -> None:
        super().__init__()
        self.deliver.connect(self._run)
        self.running: set[Task] = set()
        self.closed = False

    @Slot(object, object, object)
    def _run(self, callback: Callback | None, value: object, task: Task) -> None:
        self.running.discard(task)
        if callback is None or self.closed:
            return
        try:
            callback(value)
        except RuntimeError as e:
            # The widget that asked was closed and deleted while the work ran: nobody to tell.
            if "deleted" not in str(e):
                raise
            log.debug("dropped a result for a deleted widget: %s", e)


class Task:
    """One background call; `cancel` is a flag the function may check.

    A plain object whose `run` is given to the pool (which wraps it in its own
    auto-deleted QRunnable): a QRunnable subclass per task was kept alive by the
    binding's ownership rules, leaking every task with its closure (hundreds of MB
    after scrolling through 100k thumbnails).
    """

    def __init__(
        self,
        delivery: _Delivery,
        fn: Callable[[], Any],
        on_done: Callback | None,
        on_error: Callback | None,
    ) -> None:
        self._delivery = delivery
        self._fn = fn
        self._on_done = on_done
        self._on_error = on_error
        self.cancel = threading.Event()

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as e:  # noqa: BLE001 - every failure is delivered to the GUI
            if self._on_error is None:
                log.exception("background task failed")
            self._delivery.deliver.emit(self._on_error, e, self)
            return
        self._delivery.deliver.emit(self._on_done, result, self)


class TaskRunner(QObject):
    """Background execution for the UI: `read` in parallel, `write` one at a time, in order."""

    def __init__(self, read_threads: int = 4) -> None:
        super().__init__()
        self._delivery = _Delivery()
        self._reads = QThreadPool()
        self._reads.setMaxThreadCount(read_threads)
        self._writes = QThreadPool()
        self._writes.setMaxThreadCount(1)
        for pool in (self._reads, self._writes):
            # keep the threads: each opens its own SQLite connection, and threads that expire
            # and come back anew would open (and keep) one more every time
            pool.setExpiryTimeout(-1)

    def read(self, fn: Callable[[], Any], on_done: Callback | None = None, on_error: Callback | None = None) -> Task:
        return self._start(self._reads, fn, on_done, on_error)

    def write(self, fn: Callable[[], Any], on_done: Callback | None = None, on_error: Callback | None = None) -> Task:
        return self._start(self._writes, fn, on_done, on_error)

    def _start(
        self, pool: QThreadPool, fn: Callable[[], Any], on_done: Callback | None, on_error: Callback | None
    ) -> Task:
        task = Task(self._delivery, fn, on_done, on_error)
        self._delivery.running.add(task)
        pool.start(task.run)
        return task

    def wait_for_reads(self, msecs: int = 60_000) -> bool:
        """Block (on a worker thread, never the GUI thread) until queued reads have run."""
        return self._reads.waitForDone(msecs)

    def busy(self) -> bool:
        return bool(self._delivery.running)

    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for queued work (at shutdown); callbacks still pending are dropped."""
        self._delivery.closed = True
        for task in list(self._delivery.running):
            task.cancel.set()
        return self._writes.waitForDone(msecs) and self._reads.waitForDone(msecs)
