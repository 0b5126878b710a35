"""The one object between the window and the engine.

Widgets never call `core` directly: they ask the controller, which runs the work
on a background pool (see `tasks`) and answers through callbacks and signals on
the GUI thread. The library itself is opened, its model loaded and its folders
watched off the GUI thread; while the model loads, searches wait in the
controller (the newest query wins) and the window shows the model state.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from photoclip.core import Changes, PhotoclipError, ThumbnailStore, default_cache_dir
from photoclip.ui.tasks import Latest, RequestGroup, Task, TaskRunner

if TYPE_CHECKING:
    from photoclip.core import Activity, AutoTagProgress, AutoTagReport, Library, LibraryWatcher, ModelSwitch

log = logging.getLogger(__name__)

T = TypeVar("T")

MODEL_IDLE, MODEL_MISSING, MODEL_LOADING, MODEL_DOWNLOADING, MODEL_READY, MODEL_FAILED = (
    "idle",
    "missing",  # not on this computer: waits until the person asks for the download
    "loading",
    "downloading",
    "ready",
    "failed",
)

_CHANGE_SIGNAL_SECONDS = 1.5
"""While indexing, the views are told about new photos at most this often."""


def user_message(error: BaseException) -> str:
    """What a person should read for an error: our own errors carry one; others are bugs."""
    if isinstance(error, PhotoclipError):
        return str(error)
    if isinstance(error, OSError):
        return f"{error.strerror or error}: {error.filename or ''}".strip(": ")
    return f"Something went wrong ({type(error).__name__}: {error}). Details are in the log."


class LibraryController(QObject):
    """Opens a library, keeps it indexed and watched, and runs every request off the GUI thread.

    Args:
        library_dir: the library folder (None: the default data folder).
        model: use this model (it becomes the library's model), e.g. the demo's tiny model.
        watch: follow folder changes with the watcher (tests turn the settle time down).
        thumbnails: where the thumbnail cache lives and how big it may grow.
    """

    opened = Signal(object)  # LibraryStatus
    open_failed = Signal(str)
    catalog_damaged = Signal(str)  # the library database is damaged: offer to restore its backup
    repaired = Signal(list)  # what `repair_and_reopen` did, in words
    model_state = Signal(str, str)  # state, detail
    text_ready = Signal()  # text queries can be answered (the exported text tower is open), before the whole model
    download_progress = Signal(object, object)  # bytes done, bytes total or None
    index_progress = Signal(object)  # IndexProgress, or None when a round of work ends
    text_progress = Signal(object)  # TextProgress while text in photos is read in the background
    photos_changed = Signal()
    tags_changed = Signal()
    albums_changed = Signal()
    folders_changed = Signal()
    label_sets_changed = Signal()
    settings_changed = Signal()
    autotag_progress = Signal(int, int)
    watcher_paused = Signal(bool)
    error = Signal(str)
    sidecars_written = Signal(object)  # ExportReport of sidecars rewritten because tags changed
    _changed = Signal(object)  # Changes, from whichever thread made them

    def __init__(
        self,
        library_dir: Path | None = None,
        *,
        model: str | None = None,
        checkpoint: Path | None = None,
        device: str | None = None,
        watch: bool = True,
        settle_seconds: float = 2.0,
        check_seconds: float = 5.0,
        thumbnail_dir: Path | None = None,
        thumbnail_budget: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.library_dir = library_dir
        self._model_override = model
        self._checkpoint = checkpoint
        self._device = device
        self._watch = watch
        self._settle_seconds = settle_seconds
        self._check_seconds = check_seconds
        self._thumbnail_dir = thumbnail_dir
        self._thumbnail_budget = thumbnail_budget
        self.runner = TaskRunner()
        self.library: Library | None = None
        self.watcher: LibraryWatcher | None = None
        self.thumbnails: ThumbnailStore | None = None
        self.state = MODEL_IDLE
        self.state_detail = ""
        self.text_searchable = False  # text queries answer before the image tower has loaded
        self._waiting_for_model: list[Callable[[], None]] = []
        self._autotag_cancel: threading.Event | None = None
        self._closing = False
        self._download_cancel: threading.Event | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._pending_changes = Changes()
        self._last_photos_signal = 0.0
        self._change_timer = QTimer(self)  # photos arriving while indexing: told at most every 1.5 s
        self._change_timer.setSingleShot(True)
        self._change_timer.timeout.connect(self._emit_changes)
        self._changed.connect(self._on_changed)
        self.text_ready.connect(self._on_text_ready)
        self._health = QTimer(self)  # a watcher that died (disk error, a bug) is reported and restarted
        self._health.setInterval(5000)
        self._health.timeout.connect(self._check_watcher)

    def latest(self) -> Latest:
        """A request channel for a view that shows the newest answer only (errors go to `error`)."""
        return self.runner.latest(self._report)

    def group(self) -> RequestGroup:
        """Requests in flight together that all go stale at once (errors go to `error`)."""
        return self.runner.group(self._report)

    # -- opening and the model -----------------------------------------------------------------

    def open(self) -> None:
        def work() -> Library:
            from photoclip.core import Library

            return Library.open(
                self.library_dir, model=self._model_override, checkpoint=self._checkpoint, device=self._device
            )

        self.runner.write(work, self._on_opened, self._on_open_failed)

    def _on_open_failed(self, error: BaseException) -> None:
        from photoclip.core import CatalogDamaged

        if isinstance(error, CatalogDamaged):
            self.catalog_damaged.emit(user_message(error))
        else:
            self.open_failed.emit(user_message(error))

    def repair_and_reopen(self) -> None:
        """Restore the damaged database from its newest healthy backup (the damaged file is kept), then open it."""

        def work() -> list[str]:
            from photoclip.core import default_library_dir, repair

            return repair(Path(self.library_dir or default_library_dir()).expanduser().resolve())

        def done(actions: list[str]) -> None:
            for action in actions:
                log.info("repair: %s", action)
            self.repaired.emit(actions)
            self.open()

        self.runner.write(work, done, self._on_open_failed)

    def _on_opened(self, library: Library) -> None:
        self.library = library
        library.models.download_progress = self._on_download_bytes
        library.sidecars.on_report = self.sidecars_written.emit
        self._unsubscribe = library.changes.subscribe(self._changed.emit)
        folder = self._thumbnail_dir or default_cache_dir() / "thumbnails"
        self.thumbnails = ThumbnailStore(
            folder, **({"budget_bytes": self._thumbnail_budget} if self._thumbnail_budget else {})
        )
        self.read(library.status, self.opened.emit)
        if self._watch:  # folders are scanned and browsable with or without a model; embedding waits for it
            self.start_watching()
        if self.model_available():
            self.load_model()
        else:  # nothing is downloaded unless the person asks (welcome page or status bar)
            self._set_state(MODEL_MISSING, library.model.key)

    def model_available(self) -> bool:
        """True when the library's model loads without a download (bundled, local or cached)."""
        from photoclip.core import cached_weights

        if self.library is None:
            return False
        spec = self.library.model
        return bool(spec.is_local or cached_weights(spec, self.library.cache_dir) is not None)

    def load_model(self) -> None:
        """Load (downloading if needed) the library's model in the background, then start watching."""
        if self.library is None or self.state in (MODEL_LOADING, MODEL_DOWNLOADING):
            return
        self._set_state(MODEL_LOADING, self.library.model.key)
        library = self.library

        def load() -> object:
            # the text tower first (a fraction of a second, no PyTorch): searching by words starts now,
            # while the whole model (what indexing and outside example photos need) loads after it
            if library.models.exported_text_encoder() is not None:
                self.text_ready.emit()
            embedder = library.models.embedder()
            # torch and the model leave millions of long-lived objects; without this, Python's
            # full garbage collections walk them all, holding the GIL (and so the window) for
            # up to 0.3 s at a time while indexing (measured by benchmarks/gui.py)
            gc.freeze()
            return embedder

        self.runner.read(load, self._on_model_ready, self._on_model_failed)

    def download_model(self) -> None:
        """Fetch the library's model (the person asked), resumable and cancellable, then load it."""
        if self.library is None or self.state in (MODEL_LOADING, MODEL_DOWNLOADING):
            return
        library = self.library
        cancel = threading.Event()
        self._download_cancel = cancel
        self._set_state(MODEL_DOWNLOADING, library.model.key)

        def work() -> object:
            from photoclip.core import ModelManager

            return ModelManager.for_library(library).download(
                library.model.key, progress=self._on_download_bytes, cancel=cancel
            )

        def failed(error: BaseException) -> None:
            from photoclip.core import DownloadCancelled

            self._download_cancel = None
            if isinstance(error, DownloadCancelled):
                self._set_state(MODEL_MISSING, str(error))
            else:
                self._set_state(MODEL_FAILED, user_message(error))

        def done(_path: object) -> None:
            self._download_cancel = None
            self._set_state(MODEL_IDLE, library.model.key)
            self.load_model()

        self.runner.read(work, done, failed)

    def cancel_download(self) -> None:
        if self._download_cancel is not None:
            self._download_cancel.set()

    def _on_download_bytes(self, done: int, total: int | None) -> None:  # a worker thread
        library = self.library
        if self.state != MODEL_DOWNLOADING and library is not None:
            self._set_state(MODEL_DOWNLOADING, library.model.key)
        self.download_progress.emit(done, total)

    def _set_state(self, state: str, detail: str) -> None:
        self.state, self.state_detail = state, detail
        self.model_state.emit(state, detail)

    def _on_text_ready(self) -> None:
        if self.library is not None and self.state in (MODEL_LOADING, MODEL_READY):
            self.text_searchable = True

    def can_search(self, example: object = None) -> bool:
        """Whether a search with this example (None, a library photo id, or a file) can run now.

        Words and library photos (their stored vectors) need only the text tower; a photo from
        outside the library needs the image tower, i.e. the whole model.
        """
        if self.state == MODEL_READY:
            return True
        return self.text_searchable and (example is None or isinstance(example, int))

    def _on_model_ready(self, _embedder: object) -> None:
        if self.library is None:
            return
        self.text_searchable = True
        self._set_state(MODEL_READY, self.library.model.key)
        waiting, self._waiting_for_model = self._waiting_for_model, []
        for request in waiting:
            request()
        if self.watcher is not None:
            self.watcher.check_now()  # photos that waited for the model are embedded now

    def _on_model_failed(self, error: BaseException) -> None:
        self.text_searchable = False
        self._set_state(MODEL_FAILED, user_message(error))
        self._waiting_for_model.clear()

    def when_model_ready(self, request: Callable[[], None]) -> None:
        """Run now if the model is loaded, else once it is."""
        if self.state == MODEL_READY:
            request()
            return
        self._waiting_for_model.append(request)
        if self.state == MODEL_FAILED and self.model_available():
            self.load_model()

    def switch_model(self, name: str, on_done: Callable[[ModelSwitch | None], None] | None = None) -> None:
        """Move to another model: photos are re-embedded in the background while the old one serves.

        A switch with nothing to re-embed (an empty library, or switching back) happens at
        once; the new model is then loaded like at start-up.
        """
        library = self.library
        if library is None:
            return

        def done(switch: ModelSwitch | None) -> None:
            if switch is None:
                self._set_state(MODEL_IDLE, library.model.key)
                if self.model_available():
                    self.load_model()
                else:
                    self._set_state(MODEL_MISSING, library.model.key)
            elif self.watcher is not None:
                self.watcher.check_now()
            if on_done is not None:
                on_done(switch)

        self.write(lambda: library.models.switch(name).value, done)

    def import_checkpoint(self, path: Path, architecture: str) -> None:
        """Validate and keep a local weights file, then switch the library to it."""
        library = self.library
        if library is None:
            return

        def work() -> str:
            from photoclip.core import ModelManager

            return str(ModelManager.for_library(library).import_checkpoint(path, architecture=architecture).name)

        self.write(work, self.switch_model)

    def switch_library(
        self, library_dir: Path | None, *, model: str | None = None, checkpoint: Path | None = None
    ) -> None:
        """Close this library and open another (or the same one with another model)."""
        self.stop_watching()
        old = self.library
        self.library = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.library_dir = library_dir
        self._model_override, self._checkpoint = model, checkpoint
        self.state = MODEL_IDLE
        self.text_searchable = False
        if old is not None:

            def close_old() -> None:
                # reads queued before the switch may still use the old library's connections:
                # closing them under a running query crashes SQLite
                self.runner.wait_for_reads()
                old.close()

            self.runner.write(close_old)
        self.open()

    # -- watching and indexing ------------------------------------------------------------------

    def start_watching(self) -> None:
        if self.watcher is not None or self.library is None:
            return
        self.watcher = self.library.watch(
            settle_seconds=self._settle_seconds,
            check_seconds=self._check_seconds,
            on_activity=self._on_activity,
            on_progress=self.index_progress.emit,
            on_text_progress=self.text_progress.emit,
            download=False,  # the model is fetched only when the person asks (welcome page, status bar)
        )
        self._health.start()

    def _check_watcher(self) -> None:
        watcher = self.watcher
        if watcher is None or watcher.error is None:
            return
        self.error.emit(f"Watching the folders stopped ({user_message(watcher.error)}); restarting it.")
        self.stop_watching()
        self.start_watching()

    def stop_watching(self) -> None:
        self._health.stop()
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()

    def pause_indexing(self, paused: bool) -> None:
        if self.watcher is None:
            return
        if paused:
            self.watcher.pause()
        else:
            self.watcher.resume()
        self.watcher_paused.emit(paused)
        if paused:
            self.index_progress.emit(None)

    def _on_activity(self, activity: Activity) -> None:  # the watcher's thread
        self.index_progress.emit(None)
        library = self.library
        if activity.index is not None and activity.index.switched_to and library is not None:
            self._set_state(MODEL_READY, library.model.key)  # the next model took over
        if activity.reason in ("start", "folder offline", "folder back"):
            self._changed.emit(Changes(photos=True, folders=True))

    # -- what changed ---------------------------------------------------------------------------

    def _on_changed(self, changes: Changes) -> None:
        """Every change the engine made, whoever made it, as signals for the views (GUI thread).

        Photos arriving while indexing come in bursts of batches: those are told at most
        every 1.5 s; everything else at once.
        """
        self._pending_changes = self._pending_changes | changes
        only_photos = not (changes.tags or changes.albums or changes.folders or changes.label_sets)
        if only_photos and not (changes.settings or changes.model):
            wait = _CHANGE_SIGNAL_SECONDS - (time.monotonic() - self._last_photos_signal)
            if wait > 0:
                if not self._change_timer.isActive():
                    self._change_timer.start(int(wait * 1000))
                return
        self._emit_changes()

    def _emit_changes(self) -> None:
        self._change_timer.stop()
        changes, self._pending_changes = self._pending_changes, Changes()
        if changes.photos:
            self._last_photos_signal = time.monotonic()
            self.photos_changed.emit()
        if changes.folders:
            self.folders_changed.emit()
        if changes.tags:
            self.tags_changed.emit()
        if changes.albums:
            self.albums_changed.emit()
        if changes.label_sets:
            self.label_sets_changed.emit()
        if changes.settings or changes.model:
            self.settings_changed.emit()

    # -- running requests -----------------------------------------------------------------------

    def read(self, fn: Callable[[], T], on_done: Callable[[T], None] | None = None) -> Task:
        return self.runner.read(fn, on_done, self._report)

    def write(self, fn: Callable[[], T], on_done: Callable[[T], None] | None = None) -> Task:
        """Run an edit in order with the others; the engine tells every view what it changed."""
        return self.runner.write(fn, on_done, self._report)

    def _report(self, error: BaseException) -> None:
        if not isinstance(error, PhotoclipError | OSError):
            log.error("background task failed", exc_info=error)
        self.error.emit(user_message(error))

    # -- edits the window asks for ------------------------------------------------------------

    def add_folder(self, path: Path) -> None:
        library = self.library
        if library is None:
            return

        def work() -> object:
            folder = library.folders.add(path)
            if self.watcher is not None:
                self.watcher.check_now()
            return folder

        self.write(work)

    def remove_folder(self, path: Path) -> None:
        library = self.library
        if library is not None:
            self.write(lambda: library.folders.remove(path))

    def set_ignore_patterns(self, patterns: list[str]) -> None:
        library = self.library
        if library is None:
            return

        def work() -> None:
            library.folders.set_ignore_patterns(patterns)
            if self.watcher is not None:
                self.watcher.check_now()

        self.write(work)

    def run_auto_tag(
        self,
        label_set: str,
        photo_ids: Sequence[int] | None,
        *,
        threshold: float | None,
        auto_accept: float | None,
        on_done: Callable[[AutoTagReport | None], None],
    ) -> None:
        library = self.library
        if library is None:
            return
        cancel = threading.Event()
        self._autotag_cancel = cancel

        def progress(p: AutoTagProgress) -> None:  # a worker thread
            self.autotag_progress.emit(p.done, p.total)

        def work() -> AutoTagReport:
            return library.tags.auto_tag(
                label_set, photo_ids, threshold=threshold, auto_accept=auto_accept, progress=progress, cancel=cancel
            )

        def done(report: AutoTagReport) -> None:
            self._autotag_cancel = None
            on_done(report)

        def failed(error: BaseException) -> None:
            self._autotag_cancel = None
            self._report(error)
            on_done(None)

        def start() -> None:
            self.runner.write(work, done, failed)

        self.when_model_ready(start)

    def cancel_auto_tag(self) -> None:
        if self._autotag_cancel is not None:
            self._autotag_cancel.set()

    # -- shutting down ----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop watching, finish queued edits and close the library (saves the index)."""
        if self._closing:
            return
        self._closing = True
        self.cancel_auto_tag()
        self.stop_watching()
        self.runner.wait()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.library is not None:
            try:
                self.library.close()
            except Exception:  # closing must not raise at exit
                log.exception("closing the library failed")
            self.library = None
