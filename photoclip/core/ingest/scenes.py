"""Finding a video's scenes: consecutive sampled frames whose vectors are close belong to one scene.

Frames are sampled every second or two (`VideoLimits`); each new sample joins
the current scene when its vector is close to the scene's mean so far, and
starts a new scene otherwise. So a ten-minute clip of one scene costs a few
vectors and a busy clip more, and a slow pan drifting away from where it began
still ends its scene. A boundary is placed half way between the last sample of
one scene and the first of the next, which is within half a sampling step of
the real cut. A scene's vector is the mean of its samples; its poster frame is
the sample closest to that mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from photoclip.core.store.scenes import StoredScene
from photoclip.core.vectors.labels import MAX_SCENES

SCENE_SIMILARITY = 0.9
"""Cosine to the scene's mean a sample needs to stay in the scene (measured: benchmarks/videos.py)."""

Vector = npt.NDArray[np.float32]


@dataclass
class _Growing:
    index: int
    start: float
    total: npt.NDArray[np.float64]  # sum of unit sample vectors
    samples: int
    last: float
    frames: list[tuple[float, Vector]] = field(default_factory=list)  # this run's samples
    kept_frame: float | None = None  # the stored poster time of a resumed scene

    @property
    def mean(self) -> npt.NDArray[np.float64]:
        norm = float(np.linalg.norm(self.total))
        return self.total / norm if norm > 1e-12 else self.total

    def add(self, seconds: float, vector: Vector) -> None:
        self.total = self.total + vector
        self.samples += 1
        self.last = seconds
        self.frames.append((seconds, vector))

    def close(self, end: float) -> StoredScene:
        mean = self.mean
        if self.kept_frame is not None and self.samples - len(self.frames) >= len(self.frames):
            frame = self.kept_frame
        else:
            frame = max(self.frames, key=lambda f: float(f[1] @ mean))[0]
        return StoredScene(self.index, self.start, max(end, self.start), frame, self.samples, mean.astype(np.float32))


def find_scenes(
    times: Sequence[float],
    vectors: npt.NDArray[np.float32],
    *,
    duration: float,
    complete: bool,
    resume: StoredScene | None = None,
    threshold: float = SCENE_SIMILARITY,
) -> list[StoredScene]:
    """Scenes from samples taken in time order.

    Args:
        duration: the clip's length (the last scene ends there when `complete`).
        complete: these samples reach the end of the clip; otherwise the last scene
            ends at its last sample and indexing carries on from there later.
        resume: the last scene stored so far, which the first samples may extend
            (it is returned updated, with its own index).
    """
    scenes: list[StoredScene] = []
    current: _Growing | None = None
    if resume is not None:
        current = _Growing(
            resume.index,
            resume.start,
            _unit(resume.vector).astype(np.float64) * resume.samples,
            resume.samples,
            resume.end,
            kept_frame=resume.frame,
        )
    for seconds, raw in zip(times, vectors, strict=True):
        vector = _unit(raw)
        if current is not None and float(current.mean @ vector) >= threshold:
            current.add(float(seconds), vector)
            continue
        start = 0.0
        index = 0
        if current is not None:
            start = (current.last + float(seconds)) / 2
            if current.frames or current.kept_frame is not None:
                scenes.append(current.close(start))
            index = current.index + 1
        if index >= MAX_SCENES:  # never in practice: sampling is capped far below
            break
        current = _Growing(index, start, np.zeros(vector.shape[0]), 0, float(seconds))
        current.add(float(seconds), vector)
    if current is not None:
        scenes.append(current.close(duration if complete else current.last))
    return scenes


def _unit(vector: Vector) -> Vector:
    norm = float(np.linalg.norm(vector))
    result: Vector = (vector / norm if norm > 1e-12 else vector).astype(np.float32)
    return result
