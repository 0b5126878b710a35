"""The decode step of indexing, `prepare`: what it decides for each photo before the model runs.

No model is needed: `prepare` only calls the embedder's preprocess, which is
given here as a function that records the image it got.
"""

from __future__ import annotations

import io
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from photoclip.core.ingest import pipeline as pipeline_module
from photoclip.core.ingest.pipeline import Skip, _Duplicate, _Prepared, _Unchanged, prepare
from photoclip.core.media.decode import content_hash, decode_bytes
from photoclip.core.similar.measure import MEASURE_SIDE, measure
from photoclip.core.store.records import PhotoId, PhotoMetadata, WorkItem

MTIME_NS = 1_600_000_000_123_456_789


@dataclass
class Preprocess:
    """Stands in for the model's preprocess: remembers each image and returns a token."""

    images: list[Image.Image]

    def __call__(self, image: Image.Image) -> Any:
        self.images.append(image)
        return ("tensor", image.size)


@pytest.fixture
def preprocess() -> Preprocess:
    return Preprocess([])


def jpeg_bytes(width: int = 64, height: int = 48, exif: Image.Exif | None = None) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    os.utime(path, ns=(MTIME_NS, MTIME_NS))
    return path


def item(path: Path, known_hash: str | None = None, has_embedding: bool = False) -> WorkItem:
    return WorkItem(PhotoId(7), path, known_hash, has_embedding)


def stored_meta(content: str) -> PhotoMetadata:
    return PhotoMetadata(
        size=1,
        mtime_ns=2,
        content_hash=content,
        width=4000,
        height=3000,
        file_type="jpeg",
        taken_at="2019-08-01T09:30:00",
        date_source="exif",
        camera="Canon EOS R",
    )


def test_a_good_jpeg_is_prepared_with_its_metadata(tmp_path: Path, preprocess: Preprocess) -> None:
    data = jpeg_bytes(64, 48)
    path = write(tmp_path / "photo.jpg", data)

    result = prepare(item(path), preprocess, None)

    assert isinstance(result, _Prepared)
    assert result.item == item(path)
    assert result.model_input == ("tensor", (64, 48))
    assert result.meta.measures is not None  # measured from the same decode (see core.similar.measure)
    assert replace(result.meta, measures=None) == PhotoMetadata(
        size=len(data),
        mtime_ns=MTIME_NS,
        content_hash=content_hash(data),
        width=64,
        height=48,
        file_type="jpeg",
        taken_at=time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(MTIME_NS / 1e9)),
        date_source="file",  # no EXIF date: the file's date stands in
        camera=None,
    )
    (image,) = preprocess.images
    assert image.mode == "RGB"


def test_an_exif_date_and_camera_are_used(tmp_path: Path, preprocess: Preprocess) -> None:
    exif = Image.Exif()
    exif[0x0132] = "2021:07:04 12:30:15"  # DateTime
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R"
    path = write(tmp_path / "photo.jpg", jpeg_bytes(exif=exif))

    result = prepare(item(path), preprocess, None)

    assert isinstance(result, _Prepared)
    assert result.meta.taken_at == "2021-07-04T12:30:15"
    assert result.meta.date_source == "exif"
    assert result.meta.camera is not None and "EOS R" in result.meta.camera


def test_a_draft_decode_keeps_the_full_size_in_the_metadata(tmp_path: Path, preprocess: Preprocess) -> None:
    path = write(tmp_path / "big.jpg", jpeg_bytes(800, 600))

    result = prepare(item(path), preprocess, 100)

    assert isinstance(result, _Prepared)
    assert (result.meta.width, result.meta.height) == (800, 600)
    (image,) = preprocess.images
    assert image.size[0] < 800 and min(image.size) >= 100  # decoded at reduced scale, never below min_side


def test_one_draft_decode_feeds_the_model_and_the_measures(
    tmp_path: Path, preprocess: Preprocess, monkeypatch: pytest.MonkeyPatch
) -> None:
    decodes: list[Image.Image] = []

    def counting(photo: Any, **kwargs: Any) -> Any:
        decoded = decode_bytes(photo, **kwargs)
        decodes.append(decoded.image)
        return decoded

    monkeypatch.setattr(pipeline_module, "decode_bytes", counting)
    path = write(tmp_path / "photo.jpg", jpeg_bytes(1024, 768))

    result = prepare(item(path), preprocess, MEASURE_SIDE)

    assert isinstance(result, _Prepared)
    (decoded,) = decodes  # one decode for everything
    assert decoded.size == (512, 384)  # a quarter-scale JPEG draft: the smallest keeping 256 pixels
    assert preprocess.images == [decoded]  # the model's input came from it
    assert result.meta.measures == measure(decoded)  # and so did the measures, at that scale


def test_unchanged_content_with_a_vector_is_not_decoded(tmp_path: Path, preprocess: Preprocess) -> None:
    data = jpeg_bytes()
    path = write(tmp_path / "touched.jpg", data)
    looked_up: list[str] = []

    def known_content(digest: str) -> tuple[np.ndarray, PhotoMetadata] | None:
        looked_up.append(digest)
        return None

    result = prepare(item(path, content_hash(data), has_embedding=True), preprocess, None, known_content)

    assert result == _Unchanged(item(path, content_hash(data), True), len(data), MTIME_NS)
    assert preprocess.images == []
    assert looked_up == []


def test_changed_content_is_decoded_again(tmp_path: Path, preprocess: Preprocess) -> None:
    path = write(tmp_path / "edited.jpg", jpeg_bytes())
    result = prepare(item(path, "hash-of-the-old-version", has_embedding=True), preprocess, None)
    assert isinstance(result, _Prepared)
    assert len(preprocess.images) == 1


def test_the_same_hash_without_a_vector_is_decoded(tmp_path: Path, preprocess: Preprocess) -> None:
    data = jpeg_bytes()
    path = write(tmp_path / "new-model.jpg", data)
    result = prepare(item(path, content_hash(data), has_embedding=False), preprocess, None)
    assert isinstance(result, _Prepared)


def test_known_content_is_a_duplicate_with_the_new_files_size_and_date(tmp_path: Path, preprocess: Preprocess) -> None:
    data = jpeg_bytes()
    path = write(tmp_path / "copy.jpg", data)
    vector = np.arange(4, dtype=np.float32)
    looked_up: list[str] = []

    def known_content(digest: str) -> tuple[np.ndarray, PhotoMetadata] | None:
        looked_up.append(digest)
        return (vector, stored_meta(digest)) if digest == content_hash(data) else None

    result = prepare(item(path), preprocess, None, known_content)

    assert isinstance(result, _Duplicate)
    assert looked_up == [content_hash(data)]
    assert result.vector is vector
    assert result.meta == PhotoMetadata(
        size=len(data),
        mtime_ns=MTIME_NS,
        content_hash=content_hash(data),
        width=4000,
        height=3000,
        file_type="jpeg",
        taken_at="2019-08-01T09:30:00",
        date_source="exif",
        camera="Canon EOS R",
    )
    assert preprocess.images == []  # the model's work is reused, nothing decoded


def test_unknown_content_is_decoded(tmp_path: Path, preprocess: Preprocess) -> None:
    path = write(tmp_path / "new.jpg", jpeg_bytes())
    result = prepare(item(path), preprocess, None, lambda digest: None)
    assert isinstance(result, _Prepared)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.jpg", b"", "empty"),
        ("notes.jpg", b"shopping list: milk, eggs\n" * 20, "not_an_image"),
        ("cut.jpg", jpeg_bytes(64, 64)[:600], "truncated"),
    ],
)
def test_an_unreadable_file_is_skipped_with_its_reason(
    tmp_path: Path, preprocess: Preprocess, name: str, data: bytes, reason: str
) -> None:
    path = write(tmp_path / name, data)

    result = prepare(item(path), preprocess, None)

    assert isinstance(result, Skip)
    assert result.item == item(path)
    assert result.reason == reason
    assert result.message
    assert (result.size, result.mtime_ns) == (len(data), MTIME_NS)
    assert preprocess.images == []


def test_a_vanished_file_is_skipped_as_missing(tmp_path: Path, preprocess: Preprocess) -> None:
    result = prepare(item(tmp_path / "gone.jpg"), preprocess, None)
    assert isinstance(result, Skip)
    assert (result.reason, result.size, result.mtime_ns) == ("missing", 0, 0)


def test_an_unexpected_failure_is_a_skip_not_a_crash(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = jpeg_bytes()
    path = write(tmp_path / "photo.jpg", data)

    def broken(image: Image.Image) -> Any:
        raise ValueError("preprocess bug")

    with caplog.at_level(logging.ERROR, logger="photoclip.core.ingest.pipeline"):
        result = prepare(item(path), broken, None)

    assert isinstance(result, Skip)
    assert result.reason == "corrupt"
    assert "preprocess bug" in result.message
    assert (result.size, result.mtime_ns) == (len(data), MTIME_NS)
    assert any("photo.jpg" in r.getMessage() for r in caplog.records)
