"""Read text in photos in the background, after embedding, without getting in anyone's way.

A thread of its own, at lower priority (its OCR engine's threads inherit that),
that reads a few photos at a time whenever indexing has nothing to do: new
photos are embedded first (search needs them), then their text is read, newest
photos first. It stops between two photos as soon as indexing has work again,
when paused, and when stopped; what it read is stored photo by photo, so
nothing is lost and the next start carries on. Started with the watcher by
`Library.watch`, in the app and in `photoclip watch`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from photoclip.core.changes import ChangeBus, Changes
from photoclip.core.errors import LibraryError, PhotoclipError
from photoclip.core.store.settings import SettingsFile
from photoclip.core.text.engines import engine_name
from photoclip.core.text.service import TextProgress, Texts
from photoclip.core.util.threads import lower_thread_priority

log = logging.getLogger(__name__)

CHUNK = 8
"""Photos read per round; between rounds the reader checks whether indexing needs the computer."""


class TextReader:
    """The background reader of one library.

    Args:
        busy: True while indexing has work (new photos to embed); the reader waits meanwhile.
        on_progress: called on the reader's thread as photos are looked at.
    """

    def __init__(
        self,
        texts: Texts,
        settings: SettingsFile,
        changes: ChangeBus,
        *,
        busy: Callable[[], bool],
        on_progress: Callable[[TextProgress], None] | None = None,
        idle_seconds: float = 30.0,
    ) -> None:
        self._texts = texts
        self._settings = settings
        self._changes = changes
        self._busy = busy
        self.on_progress = on_progress
        self.idle_seconds = idle_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cancel = threading.Event()
        self._paused = False
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.error: BaseException | None = None
        self.rounds = 0

    def start(self) -> None:
        if engine_name() is None:
            log.info("no OCR engine installed: text in photos is not read")
            return
        self._stop.clear()
        self._unsubscribe = self._changes.subscribe(self._on_changes)
        self._thread = threading.Thread(target=self._run, name="photoclip-text-reader", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._cancel.set()
        self._wake.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thread is not None:
            self._thread.join(timeout)

    def pause(self) -> None:
        self._paused = True
        self._cancel.set()

    def resume(self) -> None:
        self._paused = False
        self._cancel.clear()
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _on_changes(self, changes: Changes) -> None:
        if changes.photos or changes.model or changes.settings:
            self._wake.set()

    def _run(self) -> None:
        lower_thread_priority(10)
        while not self._stop.is_set():
            self._wake.wait(self.idle_seconds)
            self._wake.clear()
            while not self._stop.is_set() and not self._paused and self._settings.current.read_text:
                if self._busy():
                    self._stop.wait(2.0)  # indexing first; look again in a moment
                    continue
                try:
                    report = self._texts.read_pending(
                        limit=CHUNK, progress=self.on_progress, cancel=self._cancel, should_yield=self._busy
                    )
                except (PhotoclipError, LibraryError) as e:
                    log.warning("reading text in photos stopped: %s", e)
                    self.error = e
                    break
                except Exception as e:  # a bug must not take the app down; it is logged and shown
                    log.exception("reading text in photos failed")
                    self.error = e
                    break
                self.rounds += 1
                if report.looked_at == 0 and not report.interrupted:
                    break  # nothing left: sleep until new photos arrive
