"""The saved vectors answer a one-off search exactly as the index would, and only while they match the catalog."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from photoclip.core.store.catalog import Catalog, FileStat, PhotoMetadata
from photoclip.core.store.records import VECTOR_DTYPE
from photoclip.core.vectors.hnsw import VectorIndex
from photoclip.core.vectors.keeper import VectorKeeper
from photoclip.core.vectors.saved import SavedVectors

MODEL = "test/model"
DIM = 16


def unit_rows(count: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def saved_index(tmp_path: Path, count: int = 300) -> tuple[VectorIndex, SavedVectors]:
    index = VectorIndex(DIM, model_id=MODEL)
    index.add(np.arange(1, count + 1), unit_rows(count, 1))
    index.remove([5, 6, 70])
    index.covers_seq = 7
    index.save(tmp_path)
    saved = SavedVectors.open(tmp_path, model_id=MODEL, dim=DIM)
    assert saved is not None
    return index, saved


def test_saved_vectors_rank_like_the_index(tmp_path: Path) -> None:
    index, saved = saved_index(tmp_path)
    assert len(saved) == len(index) == 297 and saved.covers_seq == 7
    np.testing.assert_array_equal(saved.ids(), index.ids())
    for q in unit_rows(10, 2):
        assert saved.search(q, 15) == index.search(q, 15, exact=True)
        allowed = np.arange(1, 301, 7)
        assert saved.search(q, 5, allowed=allowed) == index.search(q, 5, allowed=allowed, exact=True)
    np.testing.assert_allclose(saved.vectors([1, 2, 300]), index.vectors([1, 2, 300]))
    with pytest.raises(KeyError):
        saved.vectors([5])


@pytest.mark.parametrize("damage", ["truncate", "other-model", "missing"])
def test_saved_vectors_that_do_not_match_their_manifest_are_not_used(tmp_path: Path, damage: str) -> None:
    saved_index(tmp_path)
    vectors_file, ids_file = VectorIndex.vector_files(tmp_path, MODEL)
    if damage == "truncate":
        vectors_file.write_bytes(vectors_file.read_bytes()[:-100])
    elif damage == "missing":
        ids_file.unlink()
    model = "other/model" if damage == "other-model" else MODEL
    assert SavedVectors.open(tmp_path, model_id=model, dim=DIM) is None


def add_photos(catalog: Catalog, vectors: np.ndarray, first: int = 0) -> None:
    folder = catalog.add_folder(Path("/photos"))
    files = [FileStat(Path(f"/photos/{first + i}.jpg"), 100, 1) for i in range(len(vectors))]
    ids = catalog.add_photos(folder.id, files)
    meta = PhotoMetadata(100, 1, "h", 10, 10, "jpeg", "2024-01-01T00:00:00", "exif", None)
    catalog.record_batch(MODEL, [(pid, meta, v) for pid, v in zip(ids, vectors, strict=True)], [], [])


def test_a_fresh_keeper_reads_the_saved_vectors_until_the_catalog_moves_on(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    add_photos(catalog, unit_rows(50, 3))
    first = VectorKeeper(catalog, tmp_path / "index", MODEL)
    assert first.searchable() is first.index()  # nothing saved yet: the index is built and saved
    q = unit_rows(1, 4)[0]
    expected = first.index().search(q, 10, exact=True)  # type: ignore[union-attr]

    second = VectorKeeper(catalog, tmp_path / "index", MODEL)
    reader = second.searchable()
    assert isinstance(reader, SavedVectors)
    assert [h.photo_id for h in reader.search(q, 10)] == [h.photo_id for h in expected]

    add_photos(catalog, unit_rows(5, 5).astype(VECTOR_DTYPE).astype(np.float32), first=50)
    third = VectorKeeper(catalog, tmp_path / "index", MODEL)
    assert isinstance(third.searchable(), VectorIndex)  # repaired to include the 5 new photos
    assert len(third.index() or []) == 55
    catalog.close()
