"""Every kind of bad, odd or exotic file ends with a state and a reason; the good ones are all indexed."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from photoclip.cli import main
from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.demo import save_photo
from photoclip.demo.shapes import random_scene, render

from .hostile import heif_bytes, make_hostile_folder, make_uncatalogued_folder


@pytest.fixture
def library(tmp_path: Path, tiny_embedder: Embedder) -> Library:
    lib = Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder)
    yield lib
    lib.close()


def test_hostile_folder(tmp_path: Path, library: Library) -> None:
    expectations = make_hostile_folder(tmp_path / "photos")
    library.folders.add(tmp_path / "photos")
    report = library.indexer.update()
    by_path = {p.path: p for p in library.catalog.photos(range(1, 1000)).values()}
    for expected in expectations:
        photo = by_path.get(expected.path)
        assert photo is not None, f"{expected.path.name} was not catalogued"
        if expected.skipped_reason:
            assert photo.state.value == "skipped", expected.path.name
            assert photo.error_reason == expected.skipped_reason, (expected.path.name, photo.error)
            assert photo.error and len(photo.error) > 10
        else:
            assert photo.state.value == "ok", (expected.path.name, photo.error)
            if expected.file_type:
                assert photo.file_type == expected.file_type, expected.path.name
            if expected.size:
                assert (photo.width, photo.height) == expected.size, (expected.path.name, expected.note)
    assert set(by_path) == {e.path for e in expectations}  # nothing from @eaDir or hidden files
    indexed = [e for e in expectations if not e.skipped_reason]
    assert report.embedded == len(indexed) and library.status().embedded == len(indexed)
    assert library.searcher.search("a red circle", limit=1).hits  # the library works on


def test_colours_survive_conversion(tmp_path: Path, library: Library) -> None:
    make_hostile_folder(tmp_path / "photos")
    library.folders.add(tmp_path / "photos")
    library.indexer.update()
    cmyk = library.catalog.photo_by_path(tmp_path / "photos" / "print-cmyk.jpg")
    red = library.catalog.photo_by_path(tmp_path / "photos" / "good.jpg")
    assert cmyk is not None and red is not None
    # the CMYK "red" and a red scene are closer to "red" than to "blue" for the model
    ranked = [h.photo_id for h in library.searcher.search("red", limit=50).hits]
    blue_ranked = [h.photo_id for h in library.searcher.search("blue", limit=50).hits]
    assert ranked.index(cmyk.id) < blue_ranked.index(cmyk.id)


def test_file_vanishing_between_listing_and_reading(tmp_path: Path, library: Library) -> None:
    photos = tmp_path / "photos"
    for i in range(3):
        save_photo(render(random_scene(random.Random(i)), 160, 120), photos / f"p{i}.jpg")
    library.folders.add(photos)
    library.indexer.scan()
    (photos / "p1.jpg").unlink()
    report = library.indexer.index_pending()
    assert report.embedded == 2 and report.skipped == 1
    gone = library.catalog.photo_by_path(photos / "p1.jpg")
    assert gone is not None and gone.error_reason == "missing"
    library.indexer.update()
    assert library.catalog.photo_by_path(photos / "p1.jpg") is None  # the next scan forgets it


def test_heic_photos_are_indexed(tmp_path: Path, library: Library) -> None:
    image = render(random_scene(random.Random(3), colour="green", shape="star", size="large"), 320, 240)
    data = heif_bytes(image)
    if data is None:
        pytest.skip("pillow-heif is not installed")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "IMG_1234.HEIC").write_bytes(data)
    save_photo(
        render(random_scene(random.Random(4), colour="red", shape="circle"), 320, 240),
        tmp_path / "photos" / "other.jpg",
    )
    library.folders.add(tmp_path / "photos")
    library.indexer.update()
    photo = library.catalog.photo_by_path(tmp_path / "photos" / "IMG_1234.HEIC")
    assert photo is not None and photo.state.value == "ok" and photo.file_type == "heif"
    assert library.searcher.search("a green star", limit=1).hits[0].path.name == "IMG_1234.HEIC"


def test_avif_photos_are_indexed(tmp_path: Path, library: Library) -> None:
    from PIL import features

    if not features.check("avif"):
        pytest.skip("this Pillow has no AVIF support")
    image = render(random_scene(random.Random(5), colour="yellow", shape="cross", size="large"), 320, 240)
    (tmp_path / "photos").mkdir()
    image.save(tmp_path / "photos" / "modern.avif", "AVIF")
    Image.new("RGB", (32, 32), (0, 0, 255)).save(tmp_path / "photos" / "blue.png")
    library.folders.add(tmp_path / "photos")
    library.indexer.update()
    photo = library.catalog.photo_by_path(tmp_path / "photos" / "modern.avif")
    assert photo is not None and photo.state.value == "ok" and photo.file_type == "avif"
    assert library.searcher.search("a yellow cross", limit=1).hits[0].path.name == "modern.avif"


def _status(capsys: pytest.CaptureFixture[str], library: Library) -> tuple[str, dict[str, Any]]:
    """`photoclip status` as text and as JSON, on the library's folder (the open library reads on meanwhile)."""
    assert main(["--library", str(library.directory), "status"]) == 0
    text = capsys.readouterr().out
    assert main(["--library", str(library.directory), "status", "--json"]) == 0
    return text, json.loads(capsys.readouterr().out)


def test_status_lists_skipped_photos_with_their_reasons(
    tmp_path: Path, library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    """`photoclip status` used to fail with "The library database is closed" whenever a photo was skipped."""
    photos = tmp_path / "photos"
    save_photo(render(random_scene(random.Random(1)), 160, 120), photos / "fine.jpg")
    (photos / "letter.jpg").write_text("Dear Grandma, thank you for the photos!", encoding="utf-8")
    data = (photos / "fine.jpg").read_bytes()
    (photos / "cut.jpg").write_bytes(data[: len(data) // 2])
    library.folders.add(photos)
    library.indexer.update()

    text, status = _status(capsys, library)

    assert "Skipped:  2 (1 not_an_image, 1 truncated)" in text
    assert f"  {photos / 'letter.jpg'}: Not an image" in text and "[not_an_image]" in text
    assert f"  {photos / 'cut.jpg'}: The image data is cut off" in text and "[truncated]" in text
    assert status["skipped"] == 2 and status["skip_reasons"] == {"not_an_image": 1, "truncated": 1}
    listed = {entry["path"]: entry for entry in status["skipped_files"]}
    assert listed[str(photos / "letter.jpg")]["reason"] == "not_an_image"
    assert listed[str(photos / "cut.jpg")]["reason"] == "truncated"
    assert "cut off" in listed[str(photos / "cut.jpg")]["message"]


def test_entries_that_never_become_photos_are_reported_until_fixed(
    tmp_path: Path, library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    photos = tmp_path / "photos"
    problems = make_uncatalogued_folder(photos)
    library.folders.add(photos)
    library.indexer.update()

    skipped = {entry.path: entry for entry in library.photos.skipped()}
    for problem in problems:
        assert problem.path in skipped, f"{problem.note}: not reported"
        assert skipped[problem.path].reason == problem.reason, problem.note
        assert len(skipped[problem.path].message) > 20, problem.note
    assert len(skipped) == len(problems)  # the good photos are not in the list
    expected_reasons: dict[str, int] = {}
    for problem in problems:
        expected_reasons[problem.reason] = expected_reasons.get(problem.reason, 0) + 1
    assert library.status().skip_reasons == expected_reasons
    assert library.photos.by_path(photos / "good.jpg") is not None
    assert library.photos.by_path(photos / "albums" / "beach.jpg") is not None  # read once, loop or not

    text, status = _status(capsys, library)
    for problem in problems:
        assert f"  {problem.path}: " in text and f"[{problem.reason}]" in text, problem.note
    assert status["skip_reasons"] == expected_reasons
    listed = {entry["path"]: entry["reason"] for entry in status["skipped_files"]}
    assert listed == {str(problem.path): problem.reason for problem in problems}

    for problem in problems:
        problem.fix()
    library.indexer.update()

    assert library.photos.skipped() == [] and library.status().skip_reasons == {}
    text, status = _status(capsys, library)
    assert "Skipped:" not in text and status["skipped_files"] == [] and status["skip_reasons"] == {}
    assert library.photos.by_path(photos / "holiday-y.jpg") is not None  # renamed: now a photo
    assert library.photos.by_path(photos / "y.jpg") is not None  # its original is back
    if os.geteuid() != 0:
        assert library.photos.by_path(photos / "private" / "secret.jpg") is not None


def test_a_problem_is_forgotten_only_where_a_scan_looked_again(tmp_path: Path, library: Library) -> None:
    """Two folders: rescanning one (fixed) leaves the other's problem standing."""
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        save_photo(render(random_scene(random.Random(2)), 160, 120), folder / "photo.jpg")
        os.mkfifo(folder / "pipe.jpg")
    library.folders.add(first)
    library.folders.add(second)
    library.indexer.update()
    assert {entry.path for entry in library.photos.skipped()} == {first / "pipe.jpg", second / "pipe.jpg"}

    (first / "pipe.jpg").unlink()
    library.indexer.update()
    assert [entry.path for entry in library.photos.skipped()] == [second / "pipe.jpg"]


def test_hostile_videos(tmp_path: Path, library: Library, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad videos are skipped with a reason, fast (a 20 GB file is never read whole); good ones are indexed."""
    import time

    from .hostile import make_hostile_videos

    expectations = make_hostile_videos(tmp_path / "videos")
    library.folders.add(tmp_path / "videos")
    started = time.monotonic()
    report = library.indexer.update()
    assert time.monotonic() - started < 120
    photos = {p.path: p for p in library.catalog.photos(range(1, 100)).values()}
    assert set(photos) == {e.path for e in expectations}
    for expected in expectations:
        photo = photos[expected.path]
        assert photo.kind == "video", expected.path.name
        if expected.skipped_reason:
            assert (photo.state.value, photo.error_reason) == ("skipped", expected.skipped_reason), (
                expected.path.name,
                photo.error,
            )
            assert photo.error and len(photo.error) > 10
        else:
            assert photo.state.value == "ok", (expected.path.name, photo.error)
            assert (photo.file_type, (photo.width, photo.height)) == (expected.file_type, expected.size)
    indexed = [e for e in expectations if not e.skipped_reason]
    assert report.videos == len(indexed) and report.skipped == len(expectations) - len(indexed)
    assert library.searcher.search("a red circle", limit=1).hits[0].path.name == "good.mp4"
    assert main(["--library", str(library.directory), "status"]) == 0
    out = capsys.readouterr().out
    assert "unknown_codec" in out and "no_video_stream" in out and "huge.mp4" in out
