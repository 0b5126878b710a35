"""Run engine work off the GUI thread and hand results back to it; newer requests supersede older ones.

One helper for every background call, in the manner of Picard's
`picard/util/thread.py` and Anki's QueryOp: a plain function runs on a pool,
any exception is caught, and the result or the error reaches a callback on the
GUI thread through a queued signal. The function must never touch widgets.
Writes (edits, tagging, model switches) go to a one-thread pool so they run in
order; reads (searches, pages of metadata, thumbnails) go to a wider pool.

Views that show "the current answer" (the grid's search, the viewer's photo,
the sidebar's counts) ask through a `Latest`: each new request supersedes the
one before it, whose answer is never delivered and which does not run at all
if it has not started. A `Latest` runs one request at a time and starts the
newest only when the event loop turns, so a burst of requests (five keys
typed, ten photos leafed through) costs one run, not ten. A `RequestGroup`
does the same for many requests in flight together (the grid's pages): one
`invalidate` supersedes them all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]
T = TypeVar("T")


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
        task.finished()
        if callback is None or self.closed or task.superseded:
            return
        try:
            callback(value)
        except RuntimeError as e:
            # The widget that asked was closed and deleted while the work ran: nobody to tell.
            if "deleted" not in str(e):
                raise
            log.debug("dropped a result for a deleted widget: %s", e)


class Task:
    """One background call.

    A plain object whose `run` is given to the pool (which wraps it in its own
    auto-deleted QRunnable): a QRunnable subclass per task was kept alive by the
    binding's ownership rules, leaking every task with its closure (hundreds of MB
    after scrolling through 100k thumbnails).

    Attributes:
        cancel: a flag the function may check to stop early (set when superseded).
    """

    def __init__(
        self,
        delivery: _Delivery,
        fn: Callable[[], Any],
        on_done: Callback | None,
        on_error: Callback | None,
        on_finished: Callable[[Task], None] | None = None,
    ) -> None:
        self._delivery = delivery
        self._fn = fn
        self._on_done = on_done
        self._on_error = on_error
        self._on_finished = on_finished
        self.cancel = threading.Event()
        self.started = False

    @property
    def superseded(self) -> bool:
        return self.cancel.is_set()

    def supersede(self) -> None:
        """A newer request replaces this one: its answer is dropped, and it never starts if it has not."""
        self.cancel.set()

    def run(self) -> None:
        self.started = True
        if self.superseded:
            self._delivery.deliver.emit(None, None, self)
            return
        try:
            result = self._fn()
        except BaseException as e:  # every failure is delivered to the GUI
            if self._on_error is None:
                log.exception("background task failed")
            self._delivery.deliver.emit(self._on_error, e, self)
            return
        self._delivery.deliver.emit(self._on_done, result, self)

    def finished(self) -> None:
        """On the GUI thread, once the task has run (or been skipped)."""
        if self._on_finished is not None:
            self._on_finished(self)


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

    def read(
        self, fn: Callable[[], T], on_done: Callable[[T], None] | None = None, on_error: Callback | None = None
    ) -> Task:
        return self._start(self._reads, Task(self._delivery, fn, on_done, on_error))

    def write(
        self, fn: Callable[[], T], on_done: Callable[[T], None] | None = None, on_error: Callback | None = None
    ) -> Task:
        return self._start(self._writes, Task(self._delivery, fn, on_done, on_error))

    def latest(self, on_error: Callback | None = None) -> Latest:
        """A channel for reads where only the newest request counts."""
        return Latest(self, on_error)

    def group(self, on_error: Callback | None = None) -> RequestGroup:
        """Reads that may run together and are all superseded at once."""
        return RequestGroup(self, on_error)

    def _start(self, pool: QThreadPool, task: Task) -> Task:
        self._delivery.running.add(task)
        pool.start(task.run)
        return task

    def _task(
        self,
        fn: Callable[[], Any],
        on_done: Callback | None,
        on_error: Callback | None,
        finished: Callable[[Task], None],
    ) -> Task:
        return Task(self._delivery, fn, on_done, on_error, finished)

    def _start_read(self, task: Task) -> Task:
        return self._start(self._reads, task)

    def wait_for_reads(self, msecs: int = 60_000) -> bool:
        """Block (on a worker thread, never the GUI thread) until queued reads have run."""
        return self._reads.waitForDone(msecs)

    def busy(self) -> bool:
        return bool(self._delivery.running)

    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for queued work (at shutdown); callbacks still pending are dropped."""
        self._delivery.closed = True
        for task in list(self._delivery.running):
            task.supersede()
        return self._writes.waitForDone(msecs) and self._reads.waitForDone(msecs)


class RequestGroup:
    """Reads in flight together whose answers all become stale at once (`invalidate`)."""

    def __init__(self, runner: TaskRunner, on_error: Callback | None = None) -> None:
        self._runner = runner
        self._on_error = on_error
        self._tasks: set[Task] = set()

    def submit(self, fn: Callable[[], T], on_done: Callable[[T], None]) -> Task:
        task = self._runner._task(fn, on_done, self._on_error, self._tasks.discard)
        self._tasks.add(task)
        return self._runner._start_read(task)

    def invalidate(self) -> None:
        """Every request submitted so far is superseded: not started ones never run, none is delivered."""
        for task in self._tasks:
            task.supersede()
        self._tasks.clear()

    @property
    def pending(self) -> int:
        return len(self._tasks)


class Latest:
    """A channel where each request supersedes the previous one; at most one runs at a time.

    The newest request starts when the event loop next turns and the one before it has
    finished (or was never started), so a burst of requests runs only its last.
    """

    def __init__(self, runner: TaskRunner, on_error: Callback | None = None) -> None:
        self._runner = runner
        self._on_error = on_error
        self._running: Task | None = None
        self._waiting: Task | None = None
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._start_waiting)

    def submit(self, fn: Callable[[], T], on_done: Callable[[T], None] | None = None) -> Task:
        self.invalidate()
        task = self._runner._task(fn, on_done, self._on_error, self._finished)
        self._waiting = task
        self._timer.start()
        return task

    def invalidate(self) -> None:
        """Drop the current request (and its answer) without asking anything new."""
        for task in (self._running, self._waiting):
            if task is not None:
                task.supersede()
        self._waiting = None

    @property
    def busy(self) -> bool:
        return self._running is not None or self._waiting is not None

    def _start_waiting(self) -> None:
        if self._running is not None or self._waiting is None:
            return
        self._running, self._waiting = self._waiting, None
        self._runner._start_read(self._running)

    def _finished(self, task: Task) -> None:
        if task is self._running:
            self._running = None
            if self._waiting is not None:
                self._timer.start()
