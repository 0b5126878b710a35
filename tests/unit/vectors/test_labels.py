"""Index labels: photos keep their ids, scenes get labels that say whose they are."""

from __future__ import annotations

import numpy as np
import pytest

from photoclip.core.vectors.labels import (
    MAX_SCENES,
    SCENE_FLAG,
    is_scene,
    labels_of,
    owner,
    owners,
    scene_index,
    scene_label,
    scene_labels,
    scene_range,
)


def test_a_photo_label_is_its_id_and_a_scene_label_names_its_video_and_scene() -> None:
    assert owner(42) == 42 and scene_index(42) is None and not is_scene(42)
    label = scene_label(42, 7)
    assert is_scene(label) and owner(label) == 42 and scene_index(label) == 7
    assert label > SCENE_FLAG > 42


def test_labels_of_different_videos_never_collide_and_stay_in_their_range() -> None:
    seen = {scene_label(v, i) for v in (1, 2, 3, 10**9) for i in (0, 1, MAX_SCENES - 1)}
    assert len(seen) == 12
    low, high = scene_range(2)
    assert all(low <= scene_label(2, i) < high for i in (0, MAX_SCENES - 1))
    assert not low <= scene_label(3, 0) < high and not low <= scene_label(1, MAX_SCENES - 1) < high


def test_out_of_range_scene_indexes_are_refused() -> None:
    with pytest.raises(ValueError):
        scene_label(1, MAX_SCENES)
    with pytest.raises(ValueError):
        scene_label(0, 1)


def test_vectorised_forms_agree_with_the_single_ones() -> None:
    labels = scene_labels([5, 5, 9], [0, 3, 1])
    assert labels.tolist() == [scene_label(5, 0), scene_label(5, 3), scene_label(9, 1)]
    mixed = np.array([3, *labels.tolist()], dtype=np.int64)
    assert owners(mixed).tolist() == [3, 5, 5, 9]


def test_labels_of_finds_a_photo_and_every_scene_of_a_video() -> None:
    present = np.sort(np.array([1, 2, 3, scene_label(4, 0), scene_label(4, 1), scene_label(7, 0)], dtype=np.int64))
    assert sorted(labels_of([2, 4], present).tolist()) == [2, scene_label(4, 0), scene_label(4, 1)]
    assert labels_of([99], present).tolist() == []
    assert labels_of([1], np.array([1, 2], dtype=np.int64)).tolist() == [1]
