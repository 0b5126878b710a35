"""A video's steps in the pipeline, without a model: planning, reading segments, assembling scenes."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from photoclip.core.errors import DecodeError
from photoclip.core.ingest.clips import (
    SEGMENT_FRAMES,
    ClipAssembly,
    ClipPlan,
    ClipSources,
    KnownClipResult,
    plan_clip,
    read_segment,
    segments,
)
from photoclip.core.media.video import VideoLimits, video_hash
from photoclip.core.store.records import PhotoId, WorkItem
from photoclip.core.store.scenes import StoredScene
from photoclip.demo.videos import shape_shots, write_clip


def preprocess(image: Image.Image) -> torch.Tensor:
    """Stands in for the model's preprocess: the mean colour, which tells the shots apart."""
    return torch.tensor(np.asarray(image.convert("RGB"), dtype=np.float32).mean(axis=(0, 1)) / 255)


def fake_vectors(tensors: tuple[torch.Tensor, ...]) -> np.ndarray:
    """Stands in for the model: colour as direction, so different shots point different ways."""
    if not tensors:
        return np.zeros((0, 3), dtype=np.float32)
    matrix = torch.stack(tensors).numpy() - 0.4
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def clip_path(tmp_path: Path) -> Path:
    combos = [("red", "circle"), ("blue", "star"), ("green", "square")]
    return write_clip(tmp_path / "clip.mp4", shape_shots(random.Random(4), combos, [6, 6, 8])).path


def item(path: Path, **changes: object) -> WorkItem:
    return replace(WorkItem(PhotoId(3), path, None, False), **changes)  # type: ignore[arg-type]


def run(plan: ClipPlan, threshold: float = 0.95) -> ClipAssembly:
    parts = segments(plan)
    assembly = ClipAssembly(plan, len(parts), threshold)
    for i, times in enumerate(parts):
        frames = read_segment(plan, i, times, preprocess, 64)
        assembly.add(frames, fake_vectors(frames.tensors))
    return assembly


def test_a_clip_is_planned_and_read_into_its_scenes(clip_path: Path) -> None:
    plan = plan_clip(item(clip_path), ClipSources())
    assert isinstance(plan, ClipPlan)
    assert plan.meta.duration == pytest.approx(20.0) and plan.meta.file_type == "mp4"
    assert len(plan.times) == 20 and len(segments(plan)) == 2 and SEGMENT_FRAMES == 16
    record = run(plan).finish()
    assert not isinstance(record, DecodeError)
    assert [round(s.start) for s in record.scenes] == [0, 6, 12] and record.scenes[-1].end == pytest.approx(20.0)
    assert record.summary is not None and record.fresh


def test_an_unchanged_clip_is_not_read_again(clip_path: Path) -> None:
    result = plan_clip(item(clip_path, known_hash=video_hash(clip_path), has_embedding=True), ClipSources())
    assert result == (clip_path.stat().st_size, clip_path.stat().st_mtime_ns)


def test_a_copy_of_an_indexed_clip_reuses_its_scenes(clip_path: Path) -> None:
    stored = [StoredScene(0, 0.0, 20.0, 3.0, 20, np.ones(3, dtype=np.float32))]
    sources = ClipSources(known=lambda digest: (stored, np.ones(3, dtype=np.float32)))
    result = plan_clip(item(clip_path), sources)
    assert isinstance(result, KnownClipResult) and result.record.scenes == tuple(stored)


def test_the_time_limit_stores_what_was_read_and_the_next_run_carries_on(clip_path: Path) -> None:
    plan = plan_clip(item(clip_path), ClipSources())
    assert isinstance(plan, ClipPlan)
    parts = segments(plan)
    assembly = ClipAssembly(plan, len(parts), 0.95)
    first = read_segment(plan, 0, parts[0], preprocess, 64)
    assembly.add(first, fake_vectors(first.tensors))
    late = read_segment(replace(plan, deadline=time.monotonic() - 1), 1, parts[1], preprocess, 64)
    assert late.timed_out and not late.tensors
    assembly.add(late, fake_vectors(late.tensors))
    partial = assembly.finish()
    assert not isinstance(partial, DecodeError)
    assert partial.summary is None and partial.scenes[-1].end == pytest.approx(15.0)  # its last sample
    resumed_plan = plan_clip(item(clip_path), ClipSources(stored=lambda pid, digest: list(partial.scenes)))
    assert isinstance(resumed_plan, ClipPlan)
    assert resumed_plan.times == (16.0, 17.0, 18.0, 19.0)
    finished = run(resumed_plan).finish()
    assert not isinstance(finished, DecodeError) and finished.summary is not None and not finished.fresh
    assert finished.scenes[0].index == partial.scenes[-1].index and finished.scenes[-1].end == pytest.approx(20.0)


def test_a_clip_that_never_yields_a_frame_in_time_is_skipped_as_too_slow(clip_path: Path) -> None:
    plan = plan_clip(item(clip_path), ClipSources(VideoLimits(seconds_per_file=0.0)))
    assert isinstance(plan, ClipPlan)
    record = run(plan).finish()
    assert isinstance(record, DecodeError) and record.reason == "too_slow"


def test_a_clip_deleted_after_planning_ends_without_failing(clip_path: Path) -> None:
    plan = plan_clip(item(clip_path), ClipSources())
    assert isinstance(plan, ClipPlan)
    clip_path.unlink()
    frames = read_segment(plan, 0, segments(plan)[0], preprocess, 64)
    assert frames.tensors == () and frames.ended_early == 0.0


@pytest.mark.parametrize(("content", "reason"), [(b"", "empty"), (b"not a video at all" * 20, "not_a_video")])
def test_bad_clips_come_back_as_decode_errors(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    result = plan_clip(item(path), ClipSources())
    assert isinstance(result, DecodeError) and result.reason == reason
