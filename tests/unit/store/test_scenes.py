"""Scenes in the catalog: written with their video in one transaction, read back for search, resume and copies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.memories import Memories
from photoclip.core.store.records import FileStat, PhotoFilter, PhotoId, PhotoMetadata
from photoclip.core.store.scenes import ClipRecord, SceneStore, StoredScene, mean_vector
from photoclip.core.store.schema import SCHEMA_VERSION
from tests.catalog_versions import make_version_4

MODEL = "m"


def video_meta(content_hash: str = "v1", duration: float = 12.0) -> PhotoMetadata:
    return PhotoMetadata(
        10,
        1,
        content_hash,
        320,
        240,
        "mp4",
        "2024-01-01T10:00:00",
        "video",
        "Phone",
        duration=duration,
        codec="hevc",
        frame_rate=30.0,
    )


def scene(index: int, start: float, end: float, axis: int) -> StoredScene:
    vector = np.zeros(4, dtype=np.float32)
    vector[axis] = 1.0
    return StoredScene(index, start, end, (start + end) / 2, 3, vector)


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    c = Catalog(tmp_path / "catalog.sqlite")
    yield c
    c.close()


def add_video(catalog: Catalog, tmp_path: Path, name: str = "clip.mp4") -> PhotoId:
    folder = catalog.add_folder(tmp_path)
    (pid,) = catalog.add_photos(folder.id, [FileStat(tmp_path / name, 10, 1)])
    return pid


def test_a_video_row_is_a_video_from_its_suffix(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    ids = catalog.add_photos(folder.id, [FileStat(tmp_path / "a.MOV", 1, 1), FileStat(tmp_path / "b.jpg", 1, 1)])
    photos = catalog.photos(ids)
    assert [photos[i].kind for i in ids] == ["video", "photo"]


def test_a_whole_clip_is_stored_with_its_facts_scenes_and_mean(catalog: Catalog, tmp_path: Path) -> None:
    pid = add_video(catalog, tmp_path)
    scenes = (scene(0, 0, 4, 0), scene(1, 4, 12, 1))
    store = SceneStore(catalog)
    recorded = store.record(MODEL, [ClipRecord(pid, video_meta(), scenes, True, mean_vector(scenes))])
    assert recorded.completed == [pid] and recorded.seq is not None and set(recorded.scenes) == {pid}
    photo = catalog.photos([pid])[pid]
    assert (photo.kind, photo.duration, photo.codec, photo.frame_rate, photo.camera) == (
        "video",
        12.0,
        "hevc",
        30.0,
        "Phone",
    )
    assert [s.start for s in store.spans(MODEL, [pid])[pid]] == [0.0, 4.0]
    assert store.video_ids(MODEL) == {pid} and store.count(MODEL) == 2
    _, vectors = catalog.embeddings(MODEL, [pid])
    assert vectors[0][1] > vectors[0][0] > 0  # the longer scene weighs more in the mean
    assert catalog.count_pending(MODEL) == 0
    assert catalog.filter_ids(MODEL, PhotoFilter(file_types=("video",))).tolist() == [pid]
    assert catalog.filter_ids(MODEL, PhotoFilter(file_types=("photo",))).tolist() == []
    assert catalog.filter_ids(MODEL, PhotoFilter(file_types=("mp4",))).tolist() == [pid]


def test_a_clip_cut_short_stays_pending_and_resumes_from_its_scenes(catalog: Catalog, tmp_path: Path) -> None:
    pid = add_video(catalog, tmp_path)
    store = SceneStore(catalog)
    store.record(MODEL, [ClipRecord(pid, video_meta(), (scene(0, 0, 3, 0),), True, None)])
    assert catalog.count_pending(MODEL) == 1  # no mean vector yet: not done
    assert [s.end for s in store.stored(MODEL, pid, "v1")] == [3.0]
    assert store.stored(MODEL, pid, "other-bytes") == []
    grown = (scene(0, 0, 5, 0), scene(1, 5, 12, 2))
    recorded = store.record(MODEL, [ClipRecord(pid, video_meta(), grown, False, mean_vector(grown))])
    assert pid not in recorded.replaced
    assert [(s.start, s.end) for s in store.spans(MODEL, [pid])[pid]] == [(0.0, 5.0), (5.0, 12.0)]
    assert catalog.count_pending(MODEL) == 0


def test_new_content_makes_old_scenes_stale(catalog: Catalog, tmp_path: Path) -> None:
    pid = add_video(catalog, tmp_path)
    store = SceneStore(catalog)
    three = (scene(0, 0, 4, 0), scene(1, 4, 8, 1), scene(2, 8, 12, 2))
    store.record(MODEL, [ClipRecord(pid, video_meta("v1"), three, True, mean_vector(three))])
    one = (scene(0, 0, 12, 3),)
    recorded = store.record(MODEL, [ClipRecord(pid, video_meta("v2"), one, True, mean_vector(one))])
    assert pid in recorded.replaced
    assert [s.index for s in store.spans(MODEL, [pid])[pid]] == [0]


def test_a_copy_reuses_the_scenes(catalog: Catalog, tmp_path: Path) -> None:
    pid = add_video(catalog, tmp_path)
    store = SceneStore(catalog)
    scenes = (scene(0, 0, 12, 0),)
    store.record(MODEL, [ClipRecord(pid, video_meta(), scenes, True, mean_vector(scenes))])
    found = store.for_content(MODEL, "v1")
    assert found is not None and [s.end for s in found[0]] == [12.0]
    assert store.for_content(MODEL, "unknown") is None


def test_a_deleted_video_is_not_written_back(catalog: Catalog, tmp_path: Path) -> None:
    pid = add_video(catalog, tmp_path)
    catalog.delete_photos([pid])
    recorded = SceneStore(catalog).record(MODEL, [ClipRecord(pid, video_meta(), (scene(0, 0, 1, 0),), True, None)])
    assert recorded.scenes == {} and SceneStore(catalog).count(MODEL) == 0


def test_a_removed_video_comes_back_with_its_scenes(catalog: Catalog, tmp_path: Path) -> None:
    pid = add_video(catalog, tmp_path)
    store = SceneStore(catalog)
    scenes = (scene(0, 0, 6, 0), scene(1, 6, 12, 1))
    store.record(MODEL, [ClipRecord(pid, video_meta(), scenes, True, mean_vector(scenes))])
    memories = Memories(catalog)
    memories.forget([pid])
    assert store.count(MODEL) == 0
    (again,) = catalog.add_photos(catalog.folders()[0].id, [FileStat(tmp_path / "again.mp4", 10, 1)])
    (memory,) = memories.by_size([10])[10]
    memories.restore(again, memory)
    assert [s.end for s in store.spans(MODEL, [again])[again]] == [6.0, 12.0]


def test_changes_since_and_keys_see_every_scene(catalog: Catalog, tmp_path: Path) -> None:
    pid = add_video(catalog, tmp_path)
    store = SceneStore(catalog)
    before = catalog.vector_seq()
    scenes = (scene(0, 0, 6, 0), scene(1, 6, 12, 1))
    store.record(MODEL, [ClipRecord(pid, video_meta(), scenes, True, mean_vector(scenes))])
    owners, idx, seqs = store.changes_since(MODEL, before)
    assert owners.tolist() == [pid, pid] and idx.tolist() == [0, 1] and len(set(seqs)) == 1
    assert store.keys(MODEL)[1].tolist() == [0, 1]
    got_owners, got_idx, matrix = store.vectors_by_key(MODEL, [pid], [1])
    assert got_idx.tolist() == [1] and matrix[0][1] == pytest.approx(1.0)


def test_a_version_4_catalog_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    Catalog(path).close()
    make_version_4(path)
    catalog = Catalog(path)
    assert catalog.schema_version() == SCHEMA_VERSION
    assert SceneStore(catalog).count(MODEL) == 0
    catalog.close()
