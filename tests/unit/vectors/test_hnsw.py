"""Tests for photoclip.core.vectors.hnsw against real hnswlib and real files."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from photoclip.core.vectors.hnsw import EXACT_THRESHOLD, Hit, VectorIndex

pytestmark = pytest.mark.unit

DIM = 32
MODEL = "ViT-B-32/openai"


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def random_vectors(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def clustered_vectors(n: int, seed: int = 0, clusters: int = 8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIM))
    labels = rng.integers(0, clusters, n)
    return (centres[labels] + 0.3 * rng.standard_normal((n, DIM))).astype(np.float32)


def make_index(n: int, seed: int = 0, **kwargs: object) -> tuple[VectorIndex, np.ndarray, np.ndarray]:
    index = VectorIndex(DIM, model_id=MODEL, **kwargs)  # type: ignore[arg-type]
    ids = np.arange(1, n + 1, dtype=np.int64)
    vecs = random_vectors(n, seed)
    index.add(ids, vecs)
    return index, ids, vecs


def hit_ids(hits: list[Hit]) -> list[int]:
    return [h.photo_id for h in hits]


BOTH = pytest.mark.parametrize("exact", [True, False], ids=["exact", "hnsw"])


# ---------------------------------------------------------------- add / upsert / remove


@BOTH
def test_upsert_replaces_vector(exact: bool) -> None:
    index, _, _ = make_index(50)
    target = random_vectors(1, seed=99)[0]
    index.add([7], target[None, :])
    assert len(index) == 50
    top = index.search(target, 1, exact=exact)[0]
    assert top.photo_id == 7
    assert top.score == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(index.vectors([7])[0], unit(target), atol=1e-6)


@BOTH
def test_upsert_of_live_id_while_slots_are_vacant_does_not_duplicate(exact: bool) -> None:
    # hnswlib's replace_deleted=True would put the live label into the vacant slot as a second copy.
    index, ids, _ = make_index(20, capacity=20)
    index.remove([3])
    new = random_vectors(1, seed=5)[0]
    index.add([1], new[None, :])
    hits = index.search(new, 100, exact=exact)
    assert sorted(hit_ids(hits)) == [i for i in ids.tolist() if i != 3]
    assert hits[0].photo_id == 1
    np.testing.assert_allclose(index.vectors([1])[0], unit(new), atol=1e-6)
    # The vacant slot is still free for a new id, so no growth is needed.
    index.add([500], random_vectors(1, seed=6))
    assert index.capacity == 20


def test_duplicate_ids_in_one_call_keep_the_last_vector() -> None:
    index = VectorIndex(DIM, model_id=MODEL)
    vecs = random_vectors(3, seed=1)
    index.add([4, 4, 5], vecs)
    assert index.ids().tolist() == [4, 5]
    np.testing.assert_allclose(index.vectors([4])[0], unit(vecs[1]), atol=1e-6)


@BOTH
def test_remove_hides_id_and_readding_brings_it_back(exact: bool) -> None:
    index, _, vecs = make_index(30)
    index.remove([10, 10, 12])
    index.remove([10, 9999])  # already deleted and unknown: ignored
    assert len(index) == 28
    assert 10 not in index and 12 not in index and 11 in index
    assert 10 not in index.ids().tolist()
    assert 10 not in hit_ids(index.search(vecs[9], 30, exact=exact))
    with pytest.raises(KeyError):
        index.vectors([10])

    moved = random_vectors(1, seed=77)[0]
    index.add([10], moved[None, :])
    assert 10 in index and len(index) == 29
    assert index.search(moved, 1, exact=exact)[0].photo_id == 10
    np.testing.assert_allclose(index.vectors([10])[0], unit(moved), atol=1e-6)


@BOTH
def test_readding_a_deleted_id_while_other_slots_are_vacant_keeps_every_label(exact: bool) -> None:
    index, _, vecs = make_index(10, capacity=10)
    index.remove([1, 4, 6])
    index.add([4], vecs[3:4])
    index.add([100, 101], random_vectors(2, seed=3))  # takes the two remaining vacant slots
    expected = [2, 3, 4, 5, 7, 8, 9, 10, 100, 101]
    assert index.ids().tolist() == expected
    assert index.capacity == 10
    np.testing.assert_allclose(index.vectors([4])[0], unit(vecs[3]), atol=1e-6)
    assert sorted(hit_ids(index.search(vecs[0], 50, exact=exact))) == expected
    index.remove([4])
    assert 4 not in index
    index.add([102], random_vectors(1, seed=4))  # reuses 4's slot
    assert index.capacity == 10 and len(index) == 10


def test_partial_slot_reuse_then_readding_every_deleted_id(tmp_path: Path) -> None:
    # Two new ids take two of four vacant slots; hnswlib picks which deleted labels they evict,
    # so the index must find out which of 1..4 still exist before bringing them back.
    index, _, vecs = make_index(10, capacity=10)
    index.remove([1, 2, 3, 4])
    index.add([100, 101], random_vectors(2, seed=30))
    index.add([1, 2, 3, 4], vecs[:4])
    assert index.ids().tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 101]
    assert index.capacity == 20
    np.testing.assert_allclose(index.vectors([1, 2, 3, 4]), unit(vecs[:4]), atol=1e-6)
    for i in (1, 2, 3, 4):
        assert index.search(vecs[i - 1], 1, exact=False)[0].photo_id == i
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM)
    assert loaded is not None and loaded.ids().tolist() == index.ids().tolist()


def test_grows_beyond_initial_capacity() -> None:
    index = VectorIndex(DIM, model_id=MODEL, capacity=16)
    vecs = random_vectors(1000, seed=2)
    for start in range(0, 1000, 250):
        index.add(np.arange(start + 1, start + 251), vecs[start : start + 250])
    assert len(index) == 1000
    assert index.capacity == 1024  # 16 doubled six times
    np.testing.assert_array_equal(index.ids(), np.arange(1, 1001))
    np.testing.assert_allclose(index.vectors([1, 500, 1000]), unit(vecs[[0, 499, 999]]), atol=1e-6)
    for i in (1, 333, 1000):
        assert index.search(vecs[i - 1], 1, exact=False)[0].photo_id == i


def test_churn_reuses_deleted_slots_before_growing() -> None:
    index, _, _ = make_index(32, capacity=32)
    next_id = 33
    for round_ in range(10):
        index.remove(index.ids()[:8])
        index.add(np.arange(next_id, next_id + 8), random_vectors(8, seed=100 + round_))
        next_id += 8
        assert len(index) == 32
        assert index.capacity == 32
    index.remove(index.ids()[:8])
    index.add(np.arange(next_id, next_id + 10), random_vectors(10, seed=7))
    assert len(index) == 34 and index.capacity == 64


# ---------------------------------------------------------------- search


def test_exact_and_hnsw_agree_on_clustered_vectors() -> None:
    vecs = clustered_vectors(400, seed=11)
    index = VectorIndex(DIM, model_id=MODEL, ef_search=200)
    index.add(np.arange(1, 401), vecs)
    for q in clustered_vectors(10, seed=12):
        exact = index.search(q, 10, exact=True)
        approx = index.search(q, 10, exact=False)
        assert set(hit_ids(exact)) == set(hit_ids(approx))
        np.testing.assert_allclose([h.score for h in exact], [h.score for h in approx], atol=1e-5)


@pytest.mark.parametrize("exact", [True, False, None], ids=["exact", "hnsw", "auto"])
def test_allowed_restricts_results(exact: bool | None) -> None:
    index, _, vecs = make_index(200, seed=3)
    index.remove([50])
    allowed = [7, 50, 120, 199, 5000]  # 50 is deleted, 5000 unknown
    hits = index.search(vecs[6], 10, allowed=allowed, exact=exact)
    assert sorted(hit_ids(hits)) == [7, 120, 199]
    assert hits[0].photo_id == 7

    wide = np.arange(1, 201, 2)
    hits = index.search(vecs[0], 20, allowed=wide, exact=exact)
    assert len(hits) == 20 and all(h.photo_id % 2 == 1 for h in hits)
    assert set(hit_ids(hits)) == set(hit_ids(index.search(vecs[0], 20, allowed=wide, exact=True)))
    assert index.search(vecs[0], 5, allowed=[], exact=exact) == []
    assert index.search(vecs[0], 5, allowed=[50, 5000], exact=exact) == []


def test_allowed_hnsw_matches_exact_restricted() -> None:
    vecs = clustered_vectors(300, seed=21)
    index = VectorIndex(DIM, model_id=MODEL, ef_search=300)
    index.add(np.arange(1, 301), vecs)
    allowed = np.arange(1, 301, 3)
    for q in clustered_vectors(5, seed=22):
        exact = index.search(q, 10, allowed=allowed, exact=True)
        approx = index.search(q, 10, allowed=allowed, exact=False)
        assert set(hit_ids(exact)) == set(hit_ids(approx))
        assert set(hit_ids(exact)) <= set(allowed.tolist())


@BOTH
def test_scores_are_cosine_similarities(exact: bool) -> None:
    index, ids, vecs = make_index(60, seed=4)
    q = random_vectors(1, seed=40)[0] * 3.0
    hits = index.search(q, 60, exact=exact)
    expected = unit(vecs) @ unit(q)
    assert len(hits) == 60
    for h in hits:
        assert -1.0 <= h.score <= 1.0
        assert h.score == pytest.approx(float(expected[h.photo_id - 1]), abs=1e-5)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("dim", [DIM, 512])
@BOTH
def test_ties_are_broken_by_ascending_id(exact: bool, dim: int) -> None:
    # Many duplicates, added in shuffled order, so neither insertion order nor a partial sort
    # can produce ascending ids by luck. 103 rows at dim 512 puts duplicates in OpenBLAS's tail
    # block, which rounds identical rows differently from the main blocks.
    index = VectorIndex(dim, model_id=MODEL)
    index.add(np.arange(1, 61), random_vectors(60, seed=5, dim=dim))
    same = random_vectors(1, seed=50, dim=dim)[0]
    dup_ids = np.random.default_rng(51).permutation(np.arange(100, 143))
    index.add(dup_ids, np.repeat(same[None, :], dup_ids.size, axis=0))
    hits = index.search(same, 5, exact=exact)
    assert hit_ids(hits) == [100, 101, 102, 103, 104]
    assert len({h.score for h in hits}) == 1
    every = index.search(same, 100, exact=exact)
    assert hit_ids(every)[:43] == list(range(100, 143))


def test_hnsw_shortfall_falls_back_to_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    # hnswlib raises RuntimeError when it finds fewer than k results (e.g. a filter that the
    # graph walk cannot reach); the search must still answer, exactly.
    index, _, vecs = make_index(50)
    expected = index.search(vecs[0], 5, allowed=[1, 2, 3, 40, 41, 42], exact=True)
    raw = index._raw

    class ShortRaw:
        def __getattr__(self, name: str) -> object:
            return getattr(raw, name)

        def knn_query(self, *args: object, **kwargs: object) -> object:
            raise RuntimeError("Cannot return the results in a contiguous 2D array. Probably ef or M is too small")

    monkeypatch.setattr(index, "_raw", ShortRaw())
    assert index.search(vecs[0], 5, allowed=[1, 2, 3, 40, 41, 42], exact=False) == expected
    assert hit_ids(index.search(vecs[0], 3, exact=False)) == hit_ids(index.search(vecs[0], 3, exact=True))


@BOTH
def test_k_larger_than_index_returns_everything(exact: bool) -> None:
    index, ids, vecs = make_index(12)
    index.remove([2])
    hits = index.search(vecs[0], 1000, exact=exact)
    assert sorted(hit_ids(hits)) == [i for i in ids.tolist() if i != 2]


@BOTH
def test_empty_index_returns_nothing(exact: bool) -> None:
    index = VectorIndex(DIM, model_id=MODEL)
    q = random_vectors(1)[0]
    assert index.search(q, 5, exact=exact) == []
    assert len(index) == 0 and index.ids().tolist() == []
    index.add([1, 2], random_vectors(2))
    index.remove([1, 2])
    assert index.search(q, 5, exact=exact) == []
    assert index.search(q, 0, exact=exact) == []


def test_auto_mode_uses_exact_search_for_small_index(monkeypatch: pytest.MonkeyPatch) -> None:
    index, _, vecs = make_index(20)
    assert len(index) <= EXACT_THRESHOLD

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("HNSW used")

    monkeypatch.setattr(index, "_search_hnsw", fail)
    assert index.search(vecs[0], 3)[0].photo_id == 1
    with pytest.raises(AssertionError):
        index.search(vecs[0], 3, exact=False)


def test_exact_cache_is_invalidated_by_changes() -> None:
    index, _, vecs = make_index(20)
    assert index.search(vecs[4], 1, exact=True)[0].photo_id == 5  # builds the cache
    index.remove([5])
    assert index.search(vecs[4], 1, exact=True)[0].photo_id != 5
    index.add([500], vecs[4:5])
    assert index.search(vecs[4], 1, exact=True)[0].photo_id == 500
    assert index.search(vecs[4], 1, exact=True, allowed=[500, 1])[0].photo_id == 500


def test_rejects_bad_input() -> None:
    index = VectorIndex(DIM, model_id=MODEL)
    with pytest.raises(ValueError):
        index.add([1], random_vectors(1, dim=DIM + 1))
    with pytest.raises(ValueError):
        index.add([1, 2], random_vectors(1))
    with pytest.raises(ValueError):
        index.add([0], random_vectors(1))
    with pytest.raises(ValueError):
        index.add([1], np.full((1, DIM), np.nan, dtype=np.float32))
    with pytest.raises(ValueError):
        index.add([1.5], random_vectors(1))
    assert len(index) == 0
    index.add([1], random_vectors(1))
    with pytest.raises(ValueError):
        index.search(np.ones(DIM + 1), 1)
    with pytest.raises(ValueError):
        index.search(np.zeros(DIM), 1)
    with pytest.raises(ValueError):
        VectorIndex(DIM, model_id="")
    assert True not in index and "1" not in index and 1 in index and np.int64(1) in index


def test_concurrent_add_and_search() -> None:
    index = VectorIndex(DIM, model_id=MODEL, capacity=8)
    vecs = random_vectors(400, seed=9)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for start in range(0, 400, 20):
                index.add(np.arange(start + 1, start + 21), vecs[start : start + 20])
        except BaseException as exc:  # pragma: no cover - only on failure
            errors.append(exc)

    def reader() -> None:
        try:
            for i in range(200):
                for h in index.search(vecs[i % 50], 5, exact=bool(i % 2)):
                    assert 1 <= h.photo_id <= 400
        except BaseException as exc:  # pragma: no cover - only on failure
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(index) == 400


# ---------------------------------------------------------------- save / load


def test_save_load_round_trip(tmp_path: Path) -> None:
    index, _, vecs = make_index(150, seed=6, capacity=64)
    index.remove([3, 70, 71])
    index.save(tmp_path)
    index_file, manifest_file = VectorIndex.files(tmp_path, MODEL)
    manifest = json.loads(manifest_file.read_text())
    assert manifest["format"] == 2 and manifest["model_id"] == MODEL and manifest["dim"] == DIM
    assert manifest["count"] == 147 and manifest["capacity"] == 256
    assert manifest["file_bytes"] == index_file.stat().st_size

    loaded = VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM)
    assert loaded is not None
    assert loaded.model_id == MODEL and loaded.dim == DIM
    np.testing.assert_array_equal(loaded.ids(), index.ids())
    np.testing.assert_array_equal(loaded.vectors(loaded.ids()), index.vectors(index.ids()))
    for q in random_vectors(5, seed=60):
        for exact in (True, False):
            assert loaded.search(q, 10, exact=exact) == index.search(q, 10, exact=exact)
        assert loaded.search(q, 5, allowed=[1, 2, 3, 4, 5, 70]) == index.search(q, 5, allowed=[1, 2, 3, 4, 5, 70])

    # The loaded index still knows its deleted labels: re-adding one and filling the slots works.
    loaded.add([70], vecs[69:70])
    loaded.add([1001, 1002], random_vectors(2, seed=61))
    assert len(loaded) == 150 and loaded.capacity == 256
    assert loaded.search(vecs[69], 1, exact=False)[0].photo_id == 70


def test_save_overwrites_previous_save(tmp_path: Path) -> None:
    index, _, vecs = make_index(20)
    index.save(tmp_path)
    index.add([21], random_vectors(1, seed=8))
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM)
    assert loaded is not None and len(loaded) == 21
    expected = [*VectorIndex.files(tmp_path, MODEL), *VectorIndex.vector_files(tmp_path, MODEL)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in expected)


def test_files_are_distinct_and_safe_per_model(tmp_path: Path) -> None:
    a = VectorIndex.files(tmp_path, "hf-hub:org/model")
    b = VectorIndex.files(tmp_path, "hf-hub_org_model")
    c = VectorIndex.files(tmp_path, "HF-HUB:ORG/MODEL")
    assert len({a[0].name.lower(), b[0].name.lower(), c[0].name.lower()}) == 3
    for path in (*a, *b, *c):
        assert path.parent == tmp_path
        assert all(ch.isalnum() or ch in "._-" for ch in path.name)
    assert a[0].suffix == ".hnsw" and a[1].suffix == ".json"


def test_load_missing_files_returns_none(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="photoclip.core.vectors.hnsw"):
        assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM) is None
    assert "missing" in caplog.text
    index, _, _ = make_index(10)
    index.save(tmp_path)
    index_file, manifest_file = VectorIndex.files(tmp_path, MODEL)
    manifest_file.unlink()
    assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM) is None
    index.save(tmp_path)
    index_file.unlink()
    assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM) is None


def saved(tmp_path: Path) -> tuple[Path, Path]:
    index, _, _ = make_index(40, seed=12)
    index.save(tmp_path)
    assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM) is not None  # sanity: the pair is good
    return VectorIndex.files(tmp_path, MODEL)


def rewrite_manifest(path: Path, **changes: object) -> None:
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))


def test_load_other_model_returns_none(tmp_path: Path) -> None:
    index_file, manifest_file = saved(tmp_path)
    assert VectorIndex.load(tmp_path, model_id="other-model", dim=DIM) is None
    # Even when the files are renamed to the other model's names, the manifest still says who it is.
    other_index, other_manifest = VectorIndex.files(tmp_path, "other-model")
    shutil.copy(index_file, other_index)
    shutil.copy(manifest_file, other_manifest)
    assert VectorIndex.load(tmp_path, model_id="other-model", dim=DIM) is None


def test_load_dim_mismatch_returns_none(tmp_path: Path) -> None:
    saved(tmp_path)
    assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM * 2) is None


def test_load_wrong_digest_returns_none(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _, manifest_file = saved(tmp_path)
    rewrite_manifest(manifest_file, file_blake2b="0" * 128)
    with caplog.at_level(logging.INFO, logger="photoclip.core.vectors.hnsw"):
        assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM) is None
    assert "digest" in caplog.text


def test_load_truncated_index_returns_none(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    index_file, _ = saved(tmp_path)
    data = index_file.read_bytes()
    index_file.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.INFO, logger="photoclip.core.vectors.hnsw"):
        assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM) is None
    assert "bytes" in caplog.text  # caught by the cheap size check, before hashing


def test_load_flipped_byte_returns_none(tmp_path: Path) -> None:
    index_file, _ = saved(tmp_path)
    data = bytearray(index_file.read_bytes())
    data[len(data) // 3] ^= 0xFF  # same size, different content: only the digest can tell
    index_file.write_bytes(bytes(data))
    assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM) is None


def test_load_returns_none_when_hnswlib_rejects_the_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A truncated file whose manifest matches it passes the digest check and reaches hnswlib.
    index_file, manifest_file = saved(tmp_path)
    data = index_file.read_bytes()[:-100]
    index_file.write_bytes(data)
    rewrite_manifest(manifest_file, file_bytes=len(data), file_blake2b=hashlib.blake2b(data).hexdigest())
    with caplog.at_level(logging.INFO, logger="photoclip.core.vectors.hnsw"):
        assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM) is None
    assert "hnswlib" in caplog.text


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"[1, 2]", b"\xff\xfe", b'{"format": 1}'],
    ids=["garbage", "empty", "list", "not-utf8", "incomplete"],
)
def test_load_bad_manifest_returns_none(tmp_path: Path, content: bytes) -> None:
    _, manifest_file = saved(tmp_path)
    manifest_file.write_bytes(content)
    assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM) is None


@pytest.mark.parametrize(
    "changes",
    [{"format": 3}, {"count": "40"}, {"count": 39}, {"capacity": True}, {"deleted": [0]}, {"deleted": [5]}],
    ids=["format", "count-type", "count-value", "capacity-bool", "deleted-zero", "deleted-live"],
)
def test_load_inconsistent_manifest_returns_none(tmp_path: Path, changes: dict[str, object]) -> None:
    _, manifest_file = saved(tmp_path)
    rewrite_manifest(manifest_file, **changes)
    assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM) is None


def test_crash_mid_save_keeps_old_pair_loadable(tmp_path: Path) -> None:
    index, _, vecs = make_index(30, seed=13)
    index.save(tmp_path)
    index_file, manifest_file = VectorIndex.files(tmp_path, MODEL)
    # A crash during the next save leaves half-written temp files beside the old good pair.
    (tmp_path / f".{index_file.name}.abc123.tmp").write_bytes(index_file.read_bytes()[:50])
    (tmp_path / f".{manifest_file.name}.def456.tmp").write_bytes(b'{"format": 1, "mod')
    loaded = VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM)
    assert loaded is not None and len(loaded) == 30
    assert loaded.search(vecs[0], 3) == index.search(vecs[0], 3)
    # And a later save still works with the leftovers present.
    index.add([31], random_vectors(1, seed=14))
    index.save(tmp_path)
    reloaded = VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM)
    assert reloaded is not None and len(reloaded) == 31


def test_crash_between_index_and_manifest_is_detected(tmp_path: Path) -> None:
    index, _, _ = make_index(30, seed=15)
    index.save(tmp_path)
    _, manifest_file = VectorIndex.files(tmp_path, MODEL)
    old_manifest = manifest_file.read_bytes()
    index.add([31], random_vectors(1, seed=16))
    index.save(tmp_path)
    manifest_file.write_bytes(old_manifest)  # new index file, old manifest: as if the process died in between
    assert VectorIndex.load(tmp_path, model_id=MODEL, dim=DIM) is None


def test_neighbours_of_every_photo_agree_between_exact_and_hnsw() -> None:
    """Grouping asks each photo's neighbours in one batch: brute force for a small index, HNSW for a large one."""
    from photoclip.core.vectors import hnsw

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(600, 16)).astype(np.float32)
    vectors[1] = vectors[0] + 0.01  # a near copy
    index = VectorIndex(16, model_id="m", capacity=1000)
    ids = np.arange(1, 601)
    index.add(ids, vectors)
    exact_labels, exact_scores = index.neighbours(ids[:50], 5)
    assert exact_labels.shape == (50, 5)
    assert exact_labels[0, 0] == 1 and exact_labels[0, 1] == 2 and exact_scores[0, 1] > 0.99
    assert (np.diff(exact_scores, axis=1) <= 1e-6).all()  # best first
    original = hnsw._EXACT_NEIGHBOURS_MAX
    hnsw._EXACT_NEIGHBOURS_MAX = 10  # force the HNSW path
    try:
        approx_labels, approx_scores = index.neighbours(ids[:50], 5)
    finally:
        hnsw._EXACT_NEIGHBOURS_MAX = original
    overlap = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(exact_labels, approx_labels, strict=True)])
    assert overlap >= 0.95
    assert np.allclose(np.sort(approx_scores[:, :2], axis=1), np.sort(exact_scores[:, :2], axis=1), atol=1e-4)
    index.remove([2])
    labels, _ = index.neighbours([1], 5)
    assert 2 not in labels[0].tolist()


def test_hnsw_neighbours_come_back_in_the_order_asked_over_several_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The index walks a batch in an order of its own (similar photos together); rows are the caller's order."""
    from photoclip.core.vectors import hnsw

    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(600, 16)).astype(np.float32)
    index = VectorIndex(16, model_id="m", capacity=1000)
    index.add(np.arange(1, 601), vectors)
    monkeypatch.setattr(hnsw, "_EXACT_NEIGHBOURS_MAX", 10)  # the HNSW path
    monkeypatch.setattr(hnsw, "_CHUNK_ROWS", 64)  # ten chunks
    asked = rng.permutation(np.arange(1, 601))
    labels, scores = index.neighbours(asked, 4)
    assert (labels[:, 0] == asked).all() and np.allclose(scores[:, 0], 1.0, atol=1e-5)  # each photo's nearest: itself
    given, given_scores = index.neighbours(asked, 4, queries=index.vectors(asked))
    assert np.array_equal(given, labels) and np.array_equal(given_scores, scores)
    assert not np.array_equal(index._near_first(asked, None), np.arange(asked.size))  # the walk's order is its own


@pytest.mark.parametrize("hnsw_path", [False, True])
def test_a_photo_that_left_the_index_meanwhile_gets_no_neighbours_and_no_pair_score(
    monkeypatch: pytest.MonkeyPatch, hnsw_path: bool
) -> None:
    """Grouping asks for a whole library while the app may trash photos: the gone ones answer nothing."""
    from photoclip.core.vectors import hnsw

    vectors = random_vectors(300, seed=9)
    vectors[1] = vectors[0] + 0.001  # photo 2 is a near copy of photo 1
    index = VectorIndex(DIM, model_id="m", capacity=400)
    index.add(np.arange(1, 301), vectors)
    if hnsw_path:
        monkeypatch.setattr(hnsw, "_EXACT_NEIGHBOURS_MAX", 10)
    index.remove([3])
    labels, scores = index.neighbours([1, 3, 2], 3)
    assert labels[1].tolist() == [-1, -1, -1] and np.isneginf(scores[1]).all()
    assert labels[0, :2].tolist() == [1, 2] and labels[2, :2].tolist() == [2, 1]
    assert 3 not in labels.ravel().tolist()
    paired = index.pair_scores([1, 1, 3], [2, 4, 1])
    assert paired[0] > 0.99 and paired[1] == pytest.approx(
        float(vectors[0] @ vectors[3]) / (np.linalg.norm(vectors[0]) * np.linalg.norm(vectors[3])), abs=1e-5
    )
    assert np.isneginf(paired[2])
