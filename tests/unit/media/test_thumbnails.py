"""The thumbnail disk cache: keyed by content, sized by bucket, bounded by a budget, photos untouched."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PIL import Image

from photoclip.core.errors import DecodeError
from photoclip.core.media.thumbnails import ThumbnailStore


def _photo(path: Path, colour: str, size: tuple[int, int] = (1200, 800)) -> Path:
    Image.new("RGB", size, colour).save(path, "JPEG", quality=90)
    return path


def test_thumbnails_are_made_once_per_content_and_bucket(tmp_path: Path) -> None:
    photo = _photo(tmp_path / "a.jpg", "red")
    store = ThumbnailStore(tmp_path / "cache")
    small = store.get(photo, "abc123", 100)
    with Image.open(small) as image:
        assert max(image.size) == 128 and image.getpixel((10, 10))[0] > 200
    assert store.get(photo, "abc123", 128) == small, "same bucket: the same file"
    large = store.get(photo, "abc123", 300)
    with Image.open(large) as image:
        assert max(image.size) == 512
    photo.unlink()
    assert store.get(photo, "abc123", 120) == small, "served from the cache: the photo is not read again"


def test_photos_that_cannot_be_read_raise_a_decode_error(tmp_path: Path) -> None:
    store = ThumbnailStore(tmp_path / "cache")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(DecodeError):
        store.get(broken, "deadbeef", 128)
    with pytest.raises(DecodeError):
        store.get(tmp_path / "gone.jpg", None, 128)


def test_a_photo_not_indexed_yet_gets_a_thumbnail_keyed_by_its_file(tmp_path: Path) -> None:
    """Browsing works before indexing (or with no model at all): no content hash is needed."""
    store = ThumbnailStore(tmp_path / "cache")
    photo = _photo(tmp_path / "new.jpg", "blue")
    first = store.get(photo, None, 128)
    with Image.open(first) as image:
        assert max(image.size) == 128 and image.getpixel((10, 10))[2] > 200
    assert store.get(photo, None, 128) == first
    _photo(photo, "green")  # edited: a new thumbnail, not the stale one
    os.utime(photo, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    edited = store.get(photo, None, 128)
    assert edited != first
    with Image.open(edited) as image:
        assert image.getpixel((10, 10))[1] > 100 and image.getpixel((10, 10))[2] < 100


def test_the_cache_is_trimmed_to_its_budget_least_recently_used_first(tmp_path: Path) -> None:
    store = ThumbnailStore(tmp_path / "cache", budget_bytes=10**9)
    made = []
    for i in range(6):
        photo = _photo(tmp_path / f"p{i}.jpg", (i * 40, 255 - i * 40, 90), size=(800, 600))  # type: ignore[arg-type]
        made.append(store.get(photo, f"{i:02d}hash", 512))
    for i, path in enumerate(made):
        os.utime(path, (time.time() - 1000 + i, time.time() - 1000 + i))  # p0 is the least recently used
    store.get(tmp_path / "p0.jpg", "00hash", 512)  # used again now: it must survive
    usage = store.usage()
    assert usage.files == 6
    store.budget_bytes = usage.bytes // 2
    freed = store.trim()
    assert freed > 0 and store.usage().bytes <= store.budget_bytes
    assert made[0].exists(), "recently used thumbnails are kept"
    assert not made[1].exists(), "the least recently used go first"
    store.clear()
    assert store.usage().files == 0
