"""How the HNSW index names what it holds: photos by their id, video scenes by a label of their own.

The index holds one entry per photo and one per video scene (never the video as
a whole), so a search can land on the moment that matches. Both kinds share
hnswlib's one integer label space without a lookup table: a photo's label is its
photo id, as it always was; a scene's label sets bit 62 and packs the video's id
with the scene's index:

    label = SCENE_FLAG | photo_id << SCENE_BITS | scene_index

Photo ids stay far below 2**50, so labels never collide, every label says whose
it is (`owners`), and all scenes of one video form one contiguous range of labels
(`scene_range`), which is how a video's scenes leave the index together.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SCENE_BITS = 12
MAX_SCENES = 1 << SCENE_BITS
"""Scenes one video can have in the index (indexing caps a clip's samples far below this)."""
SCENE_FLAG = 1 << 62
_INDEX_MASK = MAX_SCENES - 1
MAX_PHOTO_ID = (1 << (62 - SCENE_BITS)) - 1

Labels = npt.NDArray[np.int64]


def scene_label(photo_id: int, index: int) -> int:
    if not 0 <= index < MAX_SCENES:
        raise ValueError(f"scene index {index} out of range (0..{MAX_SCENES - 1})")
    if not 1 <= photo_id <= MAX_PHOTO_ID:
        raise ValueError(f"photo id {photo_id} out of range for a scene label")
    return SCENE_FLAG | (photo_id << SCENE_BITS) | index


def scene_labels(photo_ids: npt.ArrayLike, indexes: npt.ArrayLike) -> Labels:
    owners = np.asarray(photo_ids, dtype=np.int64)
    idx = np.asarray(indexes, dtype=np.int64)
    labels: Labels = np.int64(SCENE_FLAG) | (owners << SCENE_BITS) | idx
    return labels


def is_scene(label: int) -> bool:
    return label >= SCENE_FLAG


def owner(label: int) -> int:
    """The photo or video a label belongs to."""
    return (label & ~SCENE_FLAG) >> SCENE_BITS if label >= SCENE_FLAG else label


def scene_index(label: int) -> int | None:
    """A scene label's scene index; None for a photo's label."""
    return label & _INDEX_MASK if label >= SCENE_FLAG else None


def owners(labels: npt.ArrayLike) -> Labels:
    """`owner` of every label at once."""
    arr = np.asarray(labels, dtype=np.int64)
    scenes = arr >= SCENE_FLAG
    result: Labels = np.where(scenes, (arr & ~np.int64(SCENE_FLAG)) >> SCENE_BITS, arr)
    return result


def scene_range(photo_id: int) -> tuple[int, int]:
    """[low, high): every label a video's scenes can have."""
    low = SCENE_FLAG | (photo_id << SCENE_BITS)
    return low, low + MAX_SCENES


def labels_of(photo_ids: npt.ArrayLike, present: Labels) -> Labels:
    """The labels in `present` (sorted) that belong to these photos and videos: a photo's own, a video's scenes."""
    ids = np.unique(np.asarray(photo_ids, dtype=np.int64).reshape(-1))
    if ids.size == 0 or present.size == 0:
        return np.zeros(0, dtype=np.int64)
    direct = ids[np.isin(ids, present, assume_unique=False)]
    first_scene = int(np.searchsorted(present, SCENE_FLAG))
    if first_scene == present.size:
        return direct
    scenes = present[first_scene:]
    keep = np.isin(owners(scenes), ids)
    result: Labels = np.concatenate([direct, scenes[keep]])
    return result
