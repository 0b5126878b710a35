"""A disk cache of small JPEG previews, so the grid never decodes a full photo twice.

Thumbnails are keyed by the photo's content hash (a moved photo keeps its
thumbnail, an edited one gets a new one) and a size bucket (a video's also by
the moment shown: its middle, or a scene's poster frame while searching), stored under the
library folder (or wherever the user points the cache) and written atomically.
The cache has a size budget; when it is exceeded the least recently used files
are deleted. Photos themselves are only ever read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from photoclip.core.errors import DecodeError
from photoclip.core.media.decode import decode_photo, make_thumbnail
from photoclip.core.media.kinds import VIDEO, kind_of
from photoclip.core.media.video import frame_at
from photoclip.core.util.atomic import write_bytes_atomic

log = logging.getLogger(__name__)

SIZE_BUCKETS = (128, 256, 512)
"""Stored sizes (longest side); a request is served from the smallest bucket at least as big."""

DEFAULT_BUDGET_BYTES = 512 * 1_000_000


@dataclass(frozen=True)
class CacheUsage:
    files: int
    bytes: int
    budget: int


class ThumbnailStore:
    def __init__(self, folder: Path, *, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.folder = folder
        self.budget_bytes = budget_bytes
        self._lock = threading.Lock()
        self._approx_bytes: int | None = None

    @staticmethod
    def bucket(max_side: int) -> int:
        for size in SIZE_BUCKETS:
            if size >= max_side:
                return size
        return SIZE_BUCKETS[-1]

    def path_for(self, content_hash: str, max_side: int, at: float | None = None) -> Path:
        size = self.bucket(max_side)
        moment = "" if at is None else f"@{round(at * 1000)}"
        return self.folder / str(size) / content_hash[:2] / f"{content_hash}{moment}.jpg"

    def get(self, photo_path: Path, content_hash: str | None, max_side: int, at: float | None = None) -> Path:
        """The thumbnail file, made now if missing. Raises DecodeError for photos that cannot be read.

        A photo not read yet (no content hash: it waits for indexing, or for a model that is
        not downloaded) is keyed by its path, size and modification time instead, so it can
        be browsed before it is indexed; once indexed it gets its content-keyed thumbnail.
        For a video, `at` is the moment to show in seconds (None: the middle of the clip).
        """
        key = content_hash or _file_key(photo_path)
        target = self.path_for(key, max_side, at)
        if target.is_file():
            try:
                os.utime(target)  # recently used: kept when the cache is trimmed
            except OSError:
                pass
            return target
        size = self.bucket(max_side)
        if kind_of(photo_path) == VIDEO:
            thumbnail = frame_at(photo_path, at, max_side=size)
        else:
            thumbnail = make_thumbnail(decode_photo(photo_path, min_side=size).image, size)
        write_bytes_atomic(target, _jpeg_bytes(thumbnail))
        self._account(target.stat().st_size)
        return target

    def usage(self) -> CacheUsage:
        files, total = 0, 0
        for path in self.folder.rglob("*.jpg"):
            try:
                total += path.stat().st_size
                files += 1
            except OSError:
                continue
        return CacheUsage(files, total, self.budget_bytes)

    def trim(self) -> int:
        """Delete least recently used thumbnails until the cache fits its budget; returns bytes freed."""
        entries = []
        for path in self.folder.rglob("*.jpg"):
            try:
                st = path.stat()
            except OSError:
                continue
            entries.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in entries)
        freed = 0
        for _, size, path in sorted(entries):
            if total - freed <= self.budget_bytes * 0.9:
                break
            try:
                path.unlink()
                freed += size
            except OSError:
                continue
        with self._lock:
            self._approx_bytes = total - freed
        return freed

    def clear(self) -> None:
        for path in self.folder.rglob("*.jpg"):
            try:
                path.unlink()
            except OSError:
                continue
        with self._lock:
            self._approx_bytes = 0

    def _account(self, added: int) -> None:
        with self._lock:
            if self._approx_bytes is None:
                self._approx_bytes = self.usage().bytes
            else:
                self._approx_bytes += added
            over = self._approx_bytes > self.budget_bytes
        if over:
            self.trim()


def _file_key(path: Path) -> str:
    """A stand-in for the content hash, from what `stat` says (the file is not read for it)."""
    try:
        stat = path.stat()
    except OSError as e:
        raise DecodeError("unreadable", f"Cannot read the file: {e.strerror or e}") from e
    identity = f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode(errors="surrogateescape")
    return "f" + hashlib.sha1(identity).hexdigest()


def _jpeg_bytes(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, optimize=True)
    return buffer.getvalue()
