"""Thumbnails for the grid: made and read off the GUI thread, kept in a bounded memory cache.

The disk cache (`core.ThumbnailStore`) means a photo is decoded once; this module adds
the in-memory layer for what is on screen. Requests are served newest first (the
rows the user scrolled to now matter more than the ones flown past) and only a
few run at once, so fast scrolling through 100k photos queues little and the
memory cache stays under its byte budget whatever the library size.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPixmap

from photoclip.core import PhotoclipError, ThumbnailStore
from photoclip.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

DEFAULT_MEMORY_BUDGET = 192 * 1024 * 1024
MAX_QUEUED = 400  # older requests are dropped: they scrolled out of view long ago
MAX_RUNNING = 3

Key = tuple[int, int, int]
"""(photo id, size bucket, moment in milliseconds: a video's frame; -1 for a photo or a video's middle)."""


class PixmapCache:
    """Least recently used pixmaps up to a byte budget."""

    def __init__(self, budget_bytes: int = DEFAULT_MEMORY_BUDGET) -> None:
        self.budget_bytes = budget_bytes
        self.bytes = 0
        self._items: OrderedDict[Key, QPixmap] = OrderedDict()

    def get(self, key: Key) -> QPixmap | None:
        pixmap = self._items.get(key)
        if pixmap is not None:
            self._items.move_to_end(key)
        return pixmap

    def put(self, key: Key, pixmap: QPixmap) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= _cost(old)
        self._items[key] = pixmap
        self.bytes += _cost(pixmap)
        while self.bytes > self.budget_bytes and len(self._items) > 1:
            _, evicted = self._items.popitem(last=False)
            self.bytes -= _cost(evicted)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0


def _cost(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * 4


class ThumbnailLoader(QObject):
    """Gets thumbnails for (photo id, size bucket, moment) keys; `ready` fires on the GUI thread.

    A video has a thumbnail per moment: its middle by default, a scene's poster frame
    while searching, each scene's in turn while the pointer scrubs across it.
    """

    ready = Signal(int)  # photo id

    def __init__(self, runner: TaskRunner, store: ThumbnailStore | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.store = store
        self.cache = PixmapCache()
        self.failed: dict[int, str] = {}  # photo id -> why there is no thumbnail
        self._queue: OrderedDict[Key, tuple[Path, str | None]] = OrderedDict()
        self._running: set[Key] = set()

    @staticmethod
    def key(photo_id: int, size: int, at: float | None = None) -> Key:
        return (photo_id, ThumbnailStore.bucket(size), -1 if at is None else round(at * 1000))

    def cached(self, photo_id: int, size: int, at: float | None = None) -> QPixmap | None:
        """The pixmap if it is in memory already (never queues a request)."""
        return self.cache.get(self.key(photo_id, size, at))

    def pixmap(
        self, photo_id: int, path: Path, content_hash: str | None, size: int, at: float | None = None
    ) -> QPixmap | None:
        """The cached pixmap, or None after queueing a request for it (`at`: a video's moment, in seconds)."""
        key = self.key(photo_id, size, at)
        found = self.cache.get(key)
        if found is not None or photo_id in self.failed or self.store is None:
            return found
        if key not in self._running:
            self._queue.pop(key, None)
            self._queue[key] = (path, content_hash)  # newest last
            while len(self._queue) > MAX_QUEUED:
                self._queue.popitem(last=False)
            self._pump()
        return None

    def forget(self) -> None:
        """Drop queued requests (the grid shows other photos now); finished ones still land in the cache."""
        self._queue.clear()

    def retry_failed(self) -> None:
        self.failed.clear()

    def _pump(self) -> None:
        store = self.store
        assert store is not None
        while self._queue and len(self._running) < MAX_RUNNING:
            key, (path, content_hash) = self._queue.popitem(last=True)
            self._running.add(key)

            def work(
                key: Key = key, path: Path = path, content_hash: str | None = content_hash
            ) -> tuple[Key, QImage | None, str]:
                try:
                    file = store.get(path, content_hash, key[1], None if key[2] < 0 else key[2] / 1000)
                except PhotoclipError as e:
                    return key, None, str(e)
                except OSError as e:
                    return key, None, f"Cannot make a thumbnail: {e.strerror or e}"
                image = QImage(str(file))
                return key, image if not image.isNull() else None, "The thumbnail could not be read."

            self.runner.read(work, self._done, self._failed)

    def _done(self, result: tuple[Key, QImage | None, str]) -> None:
        key, image, reason = result
        self._running.discard(key)
        if image is None:
            self.failed[key[0]] = reason
        else:
            self.cache.put(key, QPixmap.fromImage(image))
        self.ready.emit(key[0])
        self._pump()

    def _failed(self, error: BaseException) -> None:
        log.error("thumbnail task failed", exc_info=error)
        self._running.clear()
        self._pump()
