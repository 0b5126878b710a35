"""The values the catalog stores and hands out: photos, folders, filters and ids.

Plain frozen dataclasses with no behaviour beyond what defines them, so every
layer (scanner, indexer, searcher, front ends) can pass them around freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import NewType

import numpy as np

PhotoId = NewType("PhotoId", int)
FolderId = NewType("FolderId", int)

VECTOR_DTYPE = np.float16
"""Stored precision of vectors: halves the catalog; cosine error ~1e-4, far below ranking noise."""


class PhotoState(str, Enum):
    """Where a photo stands; embeddings are tracked per model in their own table."""

    PENDING = "pending"  # new or changed on disk: must be read again
    OK = "ok"  # decoded; metadata current
    SKIPPED = "skipped"  # cannot be decoded; `error` says why


@dataclass(frozen=True)
class Folder:
    id: FolderId
    path: Path
    added_at: float
    last_scan: float | None
    online: bool = True  # False while the last look found it missing (unplugged drive, unmounted share)
    device: int | None = None  # st_dev when last seen with its photos: another device there means not mounted

    def is_offline(self) -> bool:
        """What "offline" means everywhere: the last scan found the folder missing, or it is not on disk now.

        Its photos stay in the library (tags, albums, vectors) and are shown as offline
        until the folder comes back.
        """
        return not self.online or not self.path.is_dir()


@dataclass(frozen=True)
class Photo:
    id: PhotoId
    folder_id: FolderId
    path: Path
    size: int
    mtime_ns: int
    content_hash: str | None
    width: int | None
    height: int | None
    taken_at: str | None
    date_source: str | None
    camera: str | None
    file_type: str | None
    state: PhotoState
    error_reason: str | None
    error: str | None


@dataclass(frozen=True)
class FileStat:
    """What the scanner saw on disk for one path."""

    path: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class KnownFile:
    """What the catalog remembers about one path, for change detection."""

    id: PhotoId
    size: int
    mtime_ns: int
    state: PhotoState
    content_hash: str | None = None


@dataclass(frozen=True)
class Move:
    """A photo found at a new path: same row, so its vectors, tags and albums stay."""

    id: PhotoId
    folder_id: FolderId
    file: FileStat


@dataclass(frozen=True)
class WorkItem:
    """A photo the indexer must read; `known_hash` lets it skip the model when content is unchanged."""

    id: PhotoId
    path: Path
    known_hash: str | None
    has_embedding: bool
    measured: bool = True  # False: unchanged bytes are still decoded once, for the `Measures` it lacks


@dataclass(frozen=True)
class Measures:
    """What finding duplicates and bursts needs to know about a photo's pixels (see `core.similar.measure`).

    Measured when a photo is read, so grouping never decodes a photo again.
    """

    phash: int  # 64-bit perceptual hash (imagehash's pHash), as an unsigned integer
    sharpness: float  # variance of the Laplacian on a fixed-size grey image
    clipping: float  # share of pixels crushed to black or blown to white (0-1)
    luma: float  # mean grey level (0-255)
    contrast: float  # standard deviation of the grey levels
    subsec: float | None = None  # EXIF's sub-second part of the time taken, in seconds


@dataclass(frozen=True)
class PhotoMetadata:
    """Facts learnt by decoding a photo."""

    size: int
    mtime_ns: int
    content_hash: str
    width: int
    height: int
    file_type: str
    taken_at: str | None
    date_source: str
    camera: str | None
    measures: Measures | None = None
    location: tuple[float, float, str] | None = None  # (latitude, longitude, "exif" or "sidecar")


@dataclass(frozen=True)
class RecordedBatch:
    """What one indexing batch wrote: the photos still there, and the sequence number of its vectors."""

    written: list[PhotoId]
    seq: int | None  # None when the batch wrote no vector


@dataclass(frozen=True)
class PhotoFilter:
    """Restrictions a search can apply before ranking; empty means the whole library."""

    folders: tuple[Path, ...] = ()
    taken_after: str | None = None  # inclusive ISO date or datetime
    taken_before: str | None = None  # inclusive ISO date or datetime
    file_types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # label names (a parent matches its children); every one must match
    albums: tuple[str, ...] = ()  # album names; a photo in any of them matches
    set_tags: tuple[tuple[str, str], ...] = ()  # (label set, label name): like `tags`, within one set
    texts: tuple[str, ...] = ()  # words read in the photo (whole words, in order); every one must match
    places: tuple[str, ...] = ()  # city, region or country names ("Paris, Texas" narrows); every one must match

    def is_empty(self) -> bool:
        return not (
            self.folders
            or self.taken_after
            or self.taken_before
            or self.file_types
            or self.tags
            or self.albums
            or self.set_tags
            or self.texts
            or self.places
        )


@dataclass(frozen=True)
class CatalogStats:
    folders: int
    photos: int
    pending: int
    skipped: int
    embedded: int
    models: dict[str, int]


def phash_to_sql(phash: int) -> int:
    """SQLite integers are signed 64-bit: a hash with its top bit set is stored as its negative twin."""
    return phash - (1 << 64) if phash >= 1 << 63 else phash


def phash_from_sql(value: int) -> int:
    return value + (1 << 64) if value < 0 else value
