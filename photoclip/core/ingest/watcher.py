"""Follow the library's folders as they change, without rescanning everything.

watchdog reports file events on its own thread; they only mark folders "dirty".
A worker thread waits until a dirty folder has been quiet for a moment (a copy
in progress keeps producing events, so a burst of 10,000 files becomes one
rescan of the folders involved), then rescans just those subfolders with the
scanner and embeds what changed. Using the scanner for events as well as for
full scans means one set of rules decides what is new, changed, moved or gone:
a photo moved or renamed keeps its row, even when the move arrives as a delete
plus a create, because both land in the same rescan.

Events can be missed (the observer dies, the inotify watch limit is reached, a
drive is unplugged), so the worker also reconciles: a full scan at start, a
scan of any folder that comes back online or whose watch is restarted, and
periodic scans of folders that cannot be watched. A folder that disappears is
marked offline and keeps its photos.
"""

from __future__ import annotations

import errno
import json
import logging
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from photoclip.core.ingest.folders import Folders
from photoclip.core.ingest.indexer import Indexer, IndexProgress, IndexReport
from photoclip.core.ingest.scanner import ScanReport, offline_reason
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import Folder
from photoclip.core.util.threads import lower_thread_priority

log = logging.getLogger(__name__)

# watchdog warns, with its whole watch table in the message (hundreds of KB), when a folder
# created during a copy is registered twice by a recursive watch; it is harmless, and would
# flood `photoclip watch` users' terminals
warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning)

_IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})  # our own reads must not look like changes
FALLBACK_META_KEY = "watch_fallback"


@dataclass
class Activity:
    """One round of work the watcher did, for logs and the UI."""

    started: float
    reason: str  # "start", "changes", "folder back", "folder offline", "poll", "restart"
    folders: list[Path]
    scans: list[ScanReport] = field(default_factory=list)
    index: IndexReport | None = None
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {
            "added": sum(len(s.added) for s in self.scans),
            "changed": sum(len(s.changed) for s in self.scans),
            "moved": sum(len(s.moved) for s in self.scans),
            "removed": sum(len(s.removed) for s in self.scans),
            "embedded": self.index.embedded if self.index else 0,
            "skipped": self.index.skipped if self.index else 0,
        }


@dataclass
class _Watch:
    folder: Folder
    mode: str = "events"  # "events", "polling" (cannot be watched) or "offline"
    reason: str = ""
    handle: Any = None
    last_poll: float = 0.0


class _Handler(FileSystemEventHandler):
    def __init__(self, mark: Callable[[Path], None]) -> None:
        self._mark = mark

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        for raw in (event.src_path, event.dest_path):
            if not raw:
                continue
            path = Path(raw.decode() if isinstance(raw, bytes) else raw)
            # a file event dirties its folder; a folder event dirties the folder itself
            # (deleted or moved away: the rescan then finds its photos gone or moved)
            self._mark(path if event.is_directory else path.parent)


class LibraryWatcher:
    """Keeps a library in step with its folders until stopped.

    Args:
        settle_seconds: how long a folder must be quiet before it is rescanned; files
            modified more recently are left for the next round (a copy in progress).
        check_seconds: how often folders are checked for coming and going.
        poll_seconds: rescan interval for folders that cannot be watched.
        max_wait_seconds: a folder busy for longer than this is rescanned anyway, so
            a long copy shows progress.
        on_activity: called on the worker thread after each round of work.
        on_progress: indexing progress within a round (on the worker thread).
    """

    def __init__(
        self,
        indexer: Indexer,
        folders: Folders,
        catalog: Catalog,
        *,
        settle_seconds: float = 2.0,
        check_seconds: float = 5.0,
        poll_seconds: float = 300.0,
        max_wait_seconds: float = 30.0,
        on_activity: Callable[[Activity], None] | None = None,
        on_progress: Callable[[IndexProgress], None] | None = None,
        observer_factory: Callable[[], Any] = Observer,
        download: bool = True,
    ) -> None:
        self._indexer = indexer
        self._folders = folders
        self._catalog = catalog
        self.settle_seconds = settle_seconds
        self.check_seconds = check_seconds
        self.poll_seconds = poll_seconds
        self.max_wait_seconds = max_wait_seconds
        self.on_activity = on_activity
        self.on_progress = on_progress
        self.download = download  # False: photos wait for a model that is not on disk (see Indexer.index_pending)
        self._observer_factory = observer_factory
        self._observer: Any = None
        self._watches: dict[Path, _Watch] = {}
        self._dirty: dict[Path, tuple[float, float]] = {}  # folder -> (first event, last event)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._cancel = threading.Event()  # interrupts the embedding in progress (pause, stop)
        self._paused = False
        self._check_now = False
        self._model_missing = False  # photos wait for a model that is not on disk: no point asking every check
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.rounds = 0
        self.companions: list[Any] = []  # background work that lives, pauses and stops with the watcher

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Reconcile once, start watching, and keep going on a background thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="photoclip-watcher", daemon=True)
        self._thread.start()
        for companion in self.companions:
            companion.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._cancel.set()
        self._wake.set()
        for companion in self.companions:
            companion.stop(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        self._stop_observer()

    def busy(self) -> bool:
        """True while a round of scanning or embedding is under way or folders wait to be rescanned."""
        with self._lock:
            return bool(self._dirty) or not self._idle.is_set()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once nothing is dirty or running (for tests and for `photoclip watch --once`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                quiet = not self._dirty
            if quiet and self._idle.is_set() and self.rounds > 0:
                return True
            time.sleep(0.05)
        return False

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Stop embedding now (the current batch is kept); changes are still noted for later."""
        self._paused = True
        self._cancel.set()
        for companion in self.companions:
            companion.pause()

    def resume(self) -> None:
        """Catch up with everything noted while paused, then carry on watching."""
        self._paused = False
        self._check_now = True
        self._wake.set()
        for companion in self.companions:
            companion.resume()

    def check_now(self) -> None:
        """Look at the folders now rather than at the next check (a folder was just added, the model came)."""
        self._model_missing = False
        self._check_now = True
        self._wake.set()

    def modes(self) -> dict[Path, tuple[str, str]]:
        """How each folder is followed right now: (mode, reason)."""
        with self._lock:
            return {path: (w.mode, w.reason) for path, w in self._watches.items()}

    # -- events (watchdog's thread) ------------------------------------------------------------

    def _mark(self, folder: Path) -> None:
        now = time.monotonic()
        with self._lock:
            first, _ = self._dirty.get(folder, (now, now))
            self._dirty[folder] = (first, now)
            self._idle.clear()
        self._wake.set()

    # -- the worker ---------------------------------------------------------------------------

    def _run(self) -> None:
        lower_thread_priority()  # this thread runs the model while indexing
        try:
            scanned = {f.path for f in self._folders.all()}
            self._round("start", [], full=True)
            self._indexer.back_up()
            self._start_observer()
            for path in self._sync_watches():
                if path not in scanned:  # added while the first scan ran: nothing else would scan it
                    self._round("folder added", [path])
            last_check = time.monotonic()
            while not self._stop.is_set():
                with self._lock:
                    if not self._dirty:
                        self._idle.set()
                self._wake.wait(min(self.settle_seconds / 2, self.check_seconds))
                self._wake.clear()
                if self._stop.is_set():
                    break
                if self._paused:
                    continue
                if self._check_now or time.monotonic() - last_check >= self.check_seconds:
                    self._check_now = False
                    last_check = time.monotonic()
                    self._check()
                self._flush()
        except BaseException as e:  # reported through `error` and the log
            self.error = e
            log.exception("the folder watcher stopped")
        finally:
            self._idle.set()

    def _flush(self) -> None:
        """Rescan the folders that have been quiet long enough (or busy for too long)."""
        now = time.monotonic()
        with self._lock:
            ready = [
                folder
                for folder, (first, last) in self._dirty.items()
                if now - last >= self.settle_seconds or now - first >= self.max_wait_seconds
            ]
            for folder in ready:
                del self._dirty[folder]
        if ready:
            self._round("changes", ready)

    def _round(self, reason: str, folders: Sequence[Path], *, full: bool = False) -> Activity:
        self._idle.clear()
        activity = Activity(time.time(), reason, list(folders))
        started = time.perf_counter()
        if full:
            activity.scans = self._indexer.scan()
        elif folders:
            activity.scans = self._indexer.scan(subtrees=folders, settle_seconds=self.settle_seconds)
        for scan in activity.scans:
            for path in scan.deferred:  # still being written: look again when it settles
                self._mark(path.parent)
        if not self._paused and (any(s.added or s.changed for s in activity.scans) or self._work_pending()):
            self._cancel.clear()
            activity.index = self._indexer.index_pending(
                progress=self.on_progress, cancel=self._cancel, download=self.download
            )
        if activity.index is not None:
            self._model_missing = activity.index.waiting_for_model > 0  # until `check_now` says it came
        activity.seconds = time.perf_counter() - started
        self.rounds += 1
        if self.on_activity is not None and (full or any(activity.counts().values())):
            self.on_activity(activity)
        return activity

    def _work_pending(self) -> bool:
        return self._indexer.pending()

    # -- folders and the observer ---------------------------------------------------------------

    def _start_observer(self) -> None:
        self._observer = self._observer_factory()
        self._observer.start()

    def _stop_observer(self) -> None:
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(5)
            except Exception:  # stopping a broken observer must not fail shutdown
                log.debug("observer did not stop cleanly", exc_info=True)
            self._observer = None

    def _check(self) -> None:
        """Folders added or removed, drives gone or back, a dead observer, polling that is due."""
        if self._observer is None or not self._observer.is_alive():
            log.warning("the file observer stopped; restarting it and rescanning")
            self._stop_observer()
            with self._lock:
                for watch in self._watches.values():
                    watch.handle = None
            self._start_observer()
            self._sync_watches()
            self._round("restart", [], full=True)
            return
        for path in self._sync_watches():
            self._round("folder added", [path])
        if self._work_pending() and not self._model_missing:
            self._round("pending", [])  # left over from a pause, a cancel or an earlier session
        now = time.monotonic()
        current = {f.path: f for f in self._folders.all()}
        for path, watch in list(self._watches.items()):
            watch.folder = current.get(path, watch.folder)  # its device is known after its first full scan
            why = offline_reason(watch.folder, has_photos=self._catalog.folder_has_photos(watch.folder.id))
            if watch.mode == "offline" and why is None:
                self._watch(watch)
                self._round("folder back", [path])
            elif watch.mode != "offline" and why is not None:
                self._unwatch(watch)
                watch.mode, watch.reason = "offline", why
                self._catalog.set_folder_online(watch.folder.id, False)
                self._round("folder offline", [path])
            elif watch.mode == "polling" and now - watch.last_poll >= self.poll_seconds:
                watch.last_poll = now
                self._watch(watch)  # the limit may have been raised meanwhile
                self._round("poll", [path])

    def _sync_watches(self) -> list[Path]:
        """Watch folders added to the library since, forget removed ones; returns the added ones."""
        folders = {f.path: f for f in self._folders.all()}
        for path in set(self._watches) - set(folders):
            with self._lock:
                removed = self._watches.pop(path)
            self._unwatch(removed)
        added = []
        for path, folder in folders.items():
            watch = self._watches.get(path)
            if watch is None:
                added.append(path)
                watch = _Watch(folder)
                with self._lock:
                    self._watches[path] = watch
                why = offline_reason(folder, has_photos=self._catalog.folder_has_photos(folder.id))
                if why is not None:
                    watch.mode, watch.reason = "offline", why
                    continue
            if watch.mode == "events" and watch.handle is None:
                self._watch(watch)
        self._record_fallbacks()
        return added

    def _watch(self, watch: _Watch) -> None:
        try:
            watch.handle = self._observer.schedule(_Handler(self._mark), str(watch.folder.path), recursive=True)
            watch.mode, watch.reason = "events", ""
        except OSError as e:
            watch.handle = None
            was_polling = watch.mode == "polling"
            watch.mode = "polling"
            watch.last_poll = time.monotonic()
            if e.errno == errno.ENOSPC:
                watch.reason = (
                    "the system's inotify watch limit is reached; rescanning every "
                    f"{_duration(self.poll_seconds)} instead (raise fs.inotify.max_user_watches to watch it)"
                )
            elif e.errno == errno.EMFILE:
                watch.reason = "the system's inotify instance limit is reached; rescanning periodically instead"
            else:
                watch.reason = f"cannot watch it ({e.strerror or e}); rescanning periodically instead"
            if not was_polling:
                log.warning("%s: %s", watch.folder.path, watch.reason)
        self._record_fallbacks()

    def _unwatch(self, watch: _Watch) -> None:
        if watch.handle is not None and self._observer is not None:
            try:
                self._observer.unschedule(watch.handle)
            except (KeyError, ValueError, OSError):
                pass
        watch.handle = None

    def _record_fallbacks(self) -> None:
        """Tell `photoclip doctor` (another process) which folders are polled and why."""
        fallbacks = {str(p): w.reason for p, w in self._watches.items() if w.mode == "polling"}
        text = json.dumps(fallbacks, sort_keys=True)
        if (self._catalog.get_meta(FALLBACK_META_KEY) or "{}") != text:
            self._catalog.set_meta(FALLBACK_META_KEY, text)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"
