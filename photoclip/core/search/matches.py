"""From index hits to results: one result per photo or video, a video found by its best scene.

The index holds photos and video scenes side by side (`vectors.labels`), so a
long clip of a beach could otherwise fill a whole page with its own scenes. Each
video counts once, at the score of its best-matching scene, and keeps the list
of its scenes that matched (for the timeline and the poster frame). Hits are
fetched in growing rounds until enough distinct photos and videos are found.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from photoclip.core.vectors.hnsw import Hit, VectorIndex
from photoclip.core.vectors.labels import owner, scene_index
from photoclip.core.vectors.saved import SavedVectors

_FIRST_ROUND = 2
"""The first round fetches this many hits per result wanted; each further round four times more."""


@dataclass(frozen=True)
class SceneMatch:
    index: int  # the scene's index within its video
    score: float


@dataclass(frozen=True)
class Match:
    """One photo or video, scored by its best entry; `scenes` lists a video's matching scenes, best first."""

    photo_id: int
    score: float
    scenes: tuple[SceneMatch, ...] = ()


def group_hits(hits: list[Hit], exclude: Collection[int] = ()) -> list[Match]:
    """Hits (best first) as one match per photo or video, in the order of each one's best hit."""
    order: list[int] = []
    best: dict[int, float] = {}
    scenes: dict[int, list[SceneMatch]] = {}
    for hit in hits:
        who = owner(hit.photo_id)
        if who in exclude:
            continue
        if who not in best:
            order.append(who)
            best[who] = hit.score
        index = scene_index(hit.photo_id)
        if index is not None:
            scenes.setdefault(who, []).append(SceneMatch(index, hit.score))
    return [Match(who, best[who], tuple(scenes.get(who, ()))) for who in order]


def find(
    index: VectorIndex | SavedVectors,
    vector: npt.NDArray[np.float32],
    k: int,
    *,
    allowed: npt.NDArray[np.int64] | None = None,
    exclude: Collection[int] = (),
) -> list[Match]:
    """The best `k` photos and videos for a query; `allowed` holds index labels (`VectorKeeper.labels_of`)."""
    if k <= 0:
        return []
    available = len(index) if allowed is None else len(allowed)
    fetch = min(available, max(k * _FIRST_ROUND, k + 8))
    while True:
        hits = index.search(vector, fetch, allowed=allowed)
        matches = group_hits(hits, exclude)
        if len(matches) >= k or fetch >= available or len(hits) < fetch:
            return matches[:k]
        fetch = min(available, fetch * 4)
