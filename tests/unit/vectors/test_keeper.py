"""The keeper's index holds photos and video scenes, and stays exactly in step with the catalog."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import FileStat, PhotoId, PhotoMetadata
from photoclip.core.store.scenes import ClipRecord, SceneStore, StoredScene, mean_vector
from photoclip.core.vectors.keeper import VectorKeeper, index_differences
from photoclip.core.vectors.labels import owners, scene_label

MODEL = "m"
DIM = 8


def unit(axis: int) -> np.ndarray:
    v = np.full(DIM, 0.01, dtype=np.float32)
    v[axis] = 1.0
    return v / np.linalg.norm(v)


def meta(content_hash: str, duration: float | None = None) -> PhotoMetadata:
    return PhotoMetadata(1, 1, content_hash, 4, 4, "mp4" if duration else "jpeg", None, "file", None, duration=duration)


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    c = Catalog(tmp_path / "catalog.sqlite")
    yield c
    c.close()


def setup(catalog: Catalog, tmp_path: Path) -> tuple[PhotoId, PhotoId]:
    folder = catalog.add_folder(tmp_path)
    photo, video = catalog.add_photos(
        folder.id, [FileStat(tmp_path / "a.jpg", 1, 1), FileStat(tmp_path / "v.mp4", 1, 1)]
    )
    catalog.record_batch(MODEL, [(photo, meta("p"), unit(0))], [], [])
    return photo, video


def clip(video: PhotoId, axes: list[int], content: str = "v", fresh: bool = True) -> ClipRecord:
    scenes = tuple(StoredScene(i, i * 2.0, i * 2.0 + 2, i * 2.0 + 1, 2, unit(a)) for i, a in enumerate(axes))
    return ClipRecord(video, meta(content, 2.0 * len(axes)), scenes, fresh, mean_vector(scenes))


def test_scenes_enter_the_index_and_a_video_never_does_as_a_whole(catalog: Catalog, tmp_path: Path) -> None:
    photo, video = setup(catalog, tmp_path)
    keeper = VectorKeeper(catalog, tmp_path / "index", MODEL)
    index = keeper.index(DIM)
    assert index is not None
    keeper.add([photo], [unit(0)], None)
    keeper.add_scenes(SceneStore(catalog).record(MODEL, [clip(video, [1, 2, 3])]))
    assert sorted(index.ids().tolist()) == [photo, scene_label(video, 0), scene_label(video, 1), scene_label(video, 2)]
    assert not index_differences(catalog, index, MODEL)
    hit = index.search(unit(2), 1)[0]
    assert hit.photo_id == scene_label(video, 1)


def test_a_shorter_reindex_drops_the_scenes_that_are_gone(catalog: Catalog, tmp_path: Path) -> None:
    photo, video = setup(catalog, tmp_path)
    keeper = VectorKeeper(catalog, tmp_path / "index", MODEL)
    index = keeper.index(DIM)
    assert index is not None
    store = SceneStore(catalog)
    keeper.add_scenes(store.record(MODEL, [clip(video, [1, 2, 3])]))
    keeper.add_scenes(store.record(MODEL, [clip(video, [4], content="edited")]))
    assert [label for label in index.ids().tolist() if label != photo] == [scene_label(video, 0)]
    assert not index_differences(catalog, index, MODEL)


def test_removing_a_video_removes_every_scene(catalog: Catalog, tmp_path: Path) -> None:
    photo, video = setup(catalog, tmp_path)
    keeper = VectorKeeper(catalog, tmp_path / "index", MODEL)
    keeper.index(DIM)
    keeper.add([photo], [unit(0)], None)
    keeper.add_scenes(SceneStore(catalog).record(MODEL, [clip(video, [1, 2])]))
    keeper.remove([video])
    index = keeper.index()
    assert index is not None and index.ids().tolist() == [photo]
    assert keeper.labels_of([photo, video]).tolist() == [photo]


def test_a_lost_index_is_rebuilt_with_the_scenes_and_a_stale_one_caught_up(catalog: Catalog, tmp_path: Path) -> None:
    photo, video = setup(catalog, tmp_path)
    SceneStore(catalog).record(MODEL, [clip(video, [1, 2])])
    keeper = VectorKeeper(catalog, tmp_path / "index", MODEL)
    index = keeper.index()
    assert index is not None and set(owners(index.ids()).tolist()) == {photo, video} and len(index) == 3
    keeper.save()
    # another process indexes a third scene meanwhile: the saved index does not have it
    SceneStore(catalog).record(MODEL, [clip(video, [1, 2, 5], fresh=False)])
    reopened = VectorKeeper(catalog, tmp_path / "index", MODEL).index()
    assert reopened is not None and len(reopened) == 4
    assert not index_differences(catalog, reopened, MODEL)
