"""The whole engine on real files with the real tiny model: index, search, change, recover."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.vectors.hnsw import VectorIndex
from photoclip.demo import GeneratedPhoto, save_photo
from photoclip.demo.shapes import random_scene, render

from .conftest import QUERY_COLOURS, QUERY_SHAPES, ShapeLibrary


def result_paths(library: Library, query: str, n: int = 10, **options: object) -> list[Path]:
    return [h.path for h in library.searcher.search(query, limit=n, **options).hits]  # type: ignore[arg-type]


def snapshot(library: Library, queries: list[str]) -> list[list[tuple[int, float]]]:
    return [[(h.photo_id, round(h.score, 5)) for h in library.searcher.search(q, limit=25).hits] for q in queries]


QUERIES = ["a red circle", "a blue star", "green triangle -large", "a photo of a yellow square +striped"]


def test_text_queries_reach_precision_at_10(open_shape_library: Library, shape_library: ShapeLibrary) -> None:
    precisions = {}
    for colour in QUERY_COLOURS:
        for shape in QUERY_SHAPES:
            top = result_paths(open_shape_library, f"a {colour} {shape}")
            relevant = shape_library.relevant(colour, shape) | {
                copy
                for original, copy in shape_library.near_duplicates.items()
                if original in shape_library.relevant(colour, shape)
            }
            precisions[f"{colour} {shape}"] = len(set(top) & relevant) / 10
    mean = sum(precisions.values()) / len(precisions)
    assert mean >= 0.9, precisions
    assert min(precisions.values()) >= 0.7, precisions


def test_scores_are_sorted_and_pages_continue(open_shape_library: Library) -> None:
    first = open_shape_library.searcher.search("a red circle", limit=10)
    second = open_shape_library.searcher.search("a red circle", limit=10, offset=10)
    scores = [h.score for h in first.hits + second.hits]
    assert scores == sorted(scores, reverse=True)
    assert first.has_more and not {h.photo_id for h in first.hits} & {h.photo_id for h in second.hits}


def test_concept_subtraction_removes_a_colour(open_shape_library: Library, shape_library: ShapeLibrary) -> None:
    by_path = {p.path: p for p in shape_library.photos}
    top = [by_path[p] for p in result_paths(open_shape_library, "star -yellow") if p in by_path]
    assert all(any(t.shape == "star" for t in p.scene.things) for p in top[:8])
    assert not any(t.colour == "yellow" for p in top[:8] for t in p.scene.things)


def test_example_photo_finds_its_near_duplicate_first(open_shape_library: Library, shape_library: ShapeLibrary) -> None:
    for original, copy in shape_library.near_duplicates.items():
        hits = open_shape_library.searcher.similar(original, limit=3).hits
        assert hits[0].path == copy, (original, [h.path for h in hits])
        assert all(h.path != original for h in hits)  # the example itself is not a result


def test_example_photo_outside_the_library(
    open_shape_library: Library, shape_library: ShapeLibrary, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.jpg"
    original = next(iter(shape_library.near_duplicates))
    shutil.copy(original, outside)
    hits = open_shape_library.searcher.similar(outside, limit=1).hits
    assert hits[0].path == original and hits[0].score > 0.99


def test_filters_and_date_order(open_shape_library: Library, shape_library: ShapeLibrary) -> None:
    pairs = shape_library.photos_dir / "pairs"
    assert all(p.is_relative_to(pairs) for p in result_paths(open_shape_library, f"circle folder:{pairs}", 30))
    png = result_paths(open_shape_library, "a red circle type:png", 30)
    assert png and all(p.suffix == ".png" for p in png)
    dated = open_shape_library.searcher.search("a red circle", order="date", limit=100)
    dates = [h.taken_at for h in dated.hits]
    assert dates == sorted(dates, reverse=True)
    relevant = shape_library.relevant("red", "circle")
    assert len({h.path for h in dated.hits} & relevant) >= 10  # the cut-off keeps the matches...
    assert len(dated.hits) <= 3 * len(relevant)  # ...and drops most of the library


def test_reopening_gives_identical_results(shape_library: ShapeLibrary, tiny_embedder: Embedder) -> None:
    with Library.open(shape_library.directory, embedder=tiny_embedder) as library:
        before = snapshot(library, QUERIES)
    with Library.open(shape_library.directory, embedder=tiny_embedder) as library:
        assert snapshot(library, QUERIES) == before
        assert library.vectors.repairs == []


def test_deleted_index_is_rebuilt_with_identical_results(library_copy: Path, tiny_embedder: Embedder) -> None:
    with Library.open(library_copy, embedder=tiny_embedder) as library:
        before = snapshot(library, QUERIES)
        model_id = library.model_id
    for path in VectorIndex.files(library_copy / "index", model_id):
        path.unlink()
    with Library.open(library_copy, embedder=tiny_embedder) as library:
        assert snapshot(library, QUERIES) == before
        assert any("rebuilt" in r for r in library.vectors.repairs)
    assert all(p.exists() for p in VectorIndex.files(library_copy / "index", model_id))


def test_corrupt_index_is_rebuilt(library_copy: Path, tiny_embedder: Embedder) -> None:
    with Library.open(library_copy, embedder=tiny_embedder) as library:
        before = snapshot(library, QUERIES)
        index_file, _ = VectorIndex.files(library.vectors.directory, library.model_id)
    data = bytearray(index_file.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
    index_file.write_bytes(bytes(data))
    with Library.open(library_copy, embedder=tiny_embedder) as library:
        assert snapshot(library, QUERIES) == before


def test_stale_index_is_repaired_from_the_catalog(library_copy: Path, tiny_embedder: Embedder) -> None:
    with Library.open(library_copy, embedder=tiny_embedder) as library:
        before = snapshot(library, QUERIES)
        index = library.vectors.index()
        assert index is not None
        removed = index.ids()[:20]
        index.remove(removed)  # as if the process died before these were saved
        index.save(library.vectors.directory)
        library.vectors._index = None
    with Library.open(library_copy, embedder=tiny_embedder) as library:
        assert snapshot(library, QUERIES) == before
        assert any("20 vectors added" in r for r in library.vectors.repairs)


def test_second_update_of_unchanged_tree_embeds_nothing(small_library: tuple[Library, list[GeneratedPhoto]]) -> None:
    library, photos = small_library
    first = library.indexer.update()
    assert first.embedded == len(photos)
    second = library.indexer.update()
    assert (second.embedded, second.unchanged, second.skipped) == (0, 0, 0)
    assert sum(s.unchanged for s in second.scans) == len(photos)


def test_touched_file_is_rehashed_not_reembedded(small_library: tuple[Library, list[GeneratedPhoto]]) -> None:
    library, photos = small_library
    library.indexer.update()
    path = photos[0].path
    stat = path.stat()
    import os

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    report = library.indexer.update()
    assert (report.embedded, report.unchanged) == (0, 1)


def test_modified_file_is_reembedded(small_library: tuple[Library, list[GeneratedPhoto]]) -> None:
    library, photos = small_library
    library.indexer.update()
    red_circle = next(p for p in photos if p.scene.things[0].shape == "circle")
    import random

    green_square = random_scene(random.Random(3), colour="green", shape="square", size="large")
    save_photo(render(green_square, 320, 240), red_circle.path, red_circle.taken_at)
    report = library.indexer.update()
    assert report.embedded == 1 and sum(len(s.changed) for s in report.scans) == 1
    assert result_paths(library, "a green square", 1) == [red_circle.path]
    assert red_circle.path not in result_paths(library, "a red circle", 7)


def test_deleted_file_disappears_from_results(small_library: tuple[Library, list[GeneratedPhoto]]) -> None:
    library, photos = small_library
    library.indexer.update()
    gone = result_paths(library, "a blue star", 1)[0]
    gone.unlink()
    report = library.indexer.update()
    assert sum(len(s.removed) for s in report.scans) == 1
    assert gone not in result_paths(library, "a blue star", 16)
    assert library.status().photos == len(photos) - 1


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose header claims a huge size (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
    )


def test_bad_files_are_skipped_with_reasons_and_the_rest_indexed(
    small_library: tuple[Library, list[GeneratedPhoto]],
) -> None:
    library, photos = small_library
    folder = photos[0].path.parent
    good = photos[0].path.read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("shopping list: milk, eggs\n")
    (folder / "huge.png").write_bytes(_png_claiming(40000, 40000))
    report = library.indexer.update()
    assert report.embedded == len(photos) and report.skipped == 4
    reasons = {p.path.name: p.error_reason for p in library.catalog.skipped_photos()}
    assert reasons == {
        "truncated.jpg": "truncated",
        "empty.jpg": "empty",
        "notes.jpg": "not_an_image",
        "huge.png": "too_many_pixels",
    }
    assert all(p.error for p in library.catalog.skipped_photos())
    assert library.status().skip_reasons == {"truncated": 1, "empty": 1, "not_an_image": 1, "too_many_pixels": 1}
    # a bad file replaced by a good one is indexed on the next run
    (folder / "empty.jpg").write_bytes(good)
    again = library.indexer.update()
    assert again.embedded == 1 and library.status().skipped == 3


def test_vectors_in_index_match_catalog(open_shape_library: Library) -> None:
    index = open_shape_library.vectors.index()
    assert index is not None
    ids, vectors = open_shape_library.catalog.embeddings(open_shape_library.model_id)
    assert np.array_equal(index.ids(), ids)
    stored = index.vectors(ids[:50])
    expected = vectors[:50] / np.linalg.norm(vectors[:50], axis=1, keepdims=True)
    np.testing.assert_allclose(stored, expected, atol=1e-6)


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_is_a_clear_error(open_shape_library: Library, query: str) -> None:
    from photoclip.core import QueryError

    with pytest.raises(QueryError, match="empty"):
        open_shape_library.searcher.search(query)
