"""One result per photo or video: a video counts once, by its best scene, and keeps its matching scenes."""

from __future__ import annotations

import numpy as np

from photoclip.core.search.matches import find, group_hits
from photoclip.core.vectors.hnsw import Hit, VectorIndex
from photoclip.core.vectors.labels import scene_label


def test_a_video_counts_once_at_its_best_scene() -> None:
    hits = [Hit(scene_label(9, 2), 0.9), Hit(3, 0.8), Hit(scene_label(9, 0), 0.7), Hit(4, 0.6)]
    matches = group_hits(hits)
    assert [(m.photo_id, m.score) for m in matches] == [(9, 0.9), (3, 0.8), (4, 0.6)]
    assert [(s.index, s.score) for s in matches[0].scenes] == [(2, 0.9), (0, 0.7)]
    assert matches[1].scenes == ()


def test_an_excluded_video_leaves_with_all_its_scenes() -> None:
    hits = [Hit(scene_label(9, 2), 0.9), Hit(3, 0.8), Hit(scene_label(9, 0), 0.7)]
    assert [m.photo_id for m in group_hits(hits, exclude={9})] == [3]


def test_a_long_clip_cannot_fill_the_page() -> None:
    """A clip with 200 scenes close to the query still leaves room for the photos."""
    rng = np.random.default_rng(0)
    query = np.ones(16, dtype=np.float32)
    index = VectorIndex(16, model_id="m")
    clip = query + rng.normal(0, 0.05, (200, 16)).astype(np.float32)
    index.add([scene_label(1, i) for i in range(200)], clip)
    photos = query + rng.normal(0, 0.5, (30, 16)).astype(np.float32)
    index.add(np.arange(2, 32), photos)
    matches = find(index, query, 10)
    assert len(matches) == 10 and len({m.photo_id for m in matches}) == 10
    assert matches[0].photo_id == 1
    assert all(m.photo_id != 1 for m in matches[1:])


def test_allowed_labels_restrict_the_results() -> None:
    index = VectorIndex(4, model_id="m")
    index.add([1, 2, scene_label(3, 0)], np.eye(4, dtype=np.float32)[:3])
    matches = find(index, np.array([0, 0, 1, 0], dtype=np.float32), 5, allowed=np.array([1, 2]))
    assert {m.photo_id for m in matches} == {1, 2}
