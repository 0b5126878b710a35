"""The scene finder: close consecutive samples merge; a change starts a scene half way between samples."""

from __future__ import annotations

import numpy as np
import pytest

from photoclip.core.ingest.scenes import find_scenes
from photoclip.core.store.scenes import StoredScene

rng = np.random.default_rng(3)
LOOKS = np.linalg.qr(rng.normal(size=(32, 32)))[0][:4].astype(np.float32)  # four unrelated "shots"


def samples(shots: list[tuple[int, int]], noise: float = 0.05) -> tuple[list[float], np.ndarray]:
    """One sample a second: (look, seconds) per shot, each sample a little different."""
    times, vectors = [], []
    for look, seconds in shots:
        for _ in range(seconds):
            times.append(float(len(times)))
            vectors.append(LOOKS[look] + rng.normal(0, noise, 32).astype(np.float32))
    return times, np.stack(vectors)


def test_one_long_shot_is_one_scene() -> None:
    times, vectors = samples([(0, 600)])
    (scene,) = find_scenes(times, vectors, duration=600.0, complete=True)
    assert (scene.start, scene.end, scene.samples) == (0.0, 600.0, 600)
    assert float(scene.vector @ LOOKS[0]) > 0.95


def test_cuts_become_boundaries_within_half_a_step() -> None:
    times, vectors = samples([(0, 4), (1, 5), (2, 3), (3, 6)])
    scenes = find_scenes(times, vectors, duration=18.0, complete=True)
    assert [s.index for s in scenes] == [0, 1, 2, 3]
    assert [s.start for s in scenes] == [0.0, 3.5, 8.5, 11.5]  # true cuts at 4, 9, 12
    assert scenes[-1].end == 18.0
    assert all(s.start <= s.frame < s.end for s in scenes)


def test_a_slow_drift_away_from_the_start_ends_the_scene() -> None:
    """Each sample is close to the one before, but the scene's mean stops looking like where it began."""
    steps = np.linspace(0, 1, 40)[:, None]
    vectors = ((1 - steps) * LOOKS[0] + steps * LOOKS[1]).astype(np.float32)
    scenes = find_scenes([float(t) for t in range(40)], vectors, duration=40.0, complete=True)
    assert len(scenes) >= 2


def test_an_unfinished_clip_ends_at_its_last_sample_and_resumes_there() -> None:
    times, vectors = samples([(0, 4), (1, 3)])
    first = find_scenes(times, vectors, duration=20.0, complete=False)
    assert first[-1].end == 6.0  # the last sample: the next run samples after it
    later_times = [7.0, 8.0, 9.0, 10.0]
    later = np.stack([LOOKS[1] + rng.normal(0, 0.05, 32), LOOKS[1], LOOKS[2], LOOKS[2]]).astype(np.float32)
    resumed = find_scenes(later_times, later, duration=11.0, complete=True, resume=first[-1])
    assert resumed[0].index == first[-1].index and resumed[0].start == first[-1].start  # the same scene, grown
    assert resumed[0].samples == first[-1].samples + 2
    assert resumed[1].start == 8.5 and resumed[1].end == 11.0 and resumed[1].index == first[-1].index + 1


def test_resuming_with_nothing_new_closes_the_stored_scene() -> None:
    stored = StoredScene(2, 10.0, 14.0, 12.0, 5, LOOKS[0])
    (scene,) = find_scenes([], np.zeros((0, 32), dtype=np.float32), duration=15.0, complete=True, resume=stored)
    assert (scene.index, scene.start, scene.end, scene.frame, scene.samples) == (2, 10.0, 15.0, 12.0, 5)


def test_the_threshold_decides_how_much_merges() -> None:
    times, vectors = samples([(0, 10)], noise=0.1)
    assert len(find_scenes(times, vectors, duration=10.0, complete=True, threshold=0.2)) == 1
    assert len(find_scenes(times, vectors, duration=10.0, complete=True, threshold=0.999)) == 10


@pytest.mark.parametrize("count", [1, 2])
def test_very_short_clips(count: int) -> None:
    times, vectors = samples([(0, count)])
    (scene,) = find_scenes(times, vectors, duration=float(count), complete=True)
    assert scene.start == 0.0 and scene.end == float(count)
