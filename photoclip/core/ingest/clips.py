"""A video's work in the indexing pipeline: plan it, read its frames in segments, assemble its scenes.

A clip is split into work the pipeline's decode workers share with photos, so
the model stays busy and memory stays bounded whatever the clip:

1. `plan_clip` (a worker) identifies the clip (a sampled hash), reads its facts,
   recognises one already indexed (touched, or a copy elsewhere), and lists the
   sample times still to read: all of them, or those after the scenes a run cut
   short by the time limit stored.
2. `read_segment` (workers) decodes a few sample times at a time, seeking to
   keyframes, into model inputs.
3. `ClipAssembly` (the pipeline thread) collects each segment's vectors and,
   when all are in, finds the scenes (`ingest.scenes`) and hands the pipeline a
   `ClipRecord` to store.

Bounds: samples per minute and per clip (`VideoLimits`), and a time limit per
file and run; a clip stopped by the limit is stored as far as it got, stays
pending, and the next run carries on from its last scene.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from photoclip.core.clip.embedder import ModelInput
from photoclip.core.errors import DecodeError
from photoclip.core.ingest.scenes import SCENE_SIMILARITY, find_scenes
from photoclip.core.media.video import VideoLimits, VideoReader, read_video
from photoclip.core.store.records import PhotoMetadata, WorkItem
from photoclip.core.store.scenes import ClipRecord, StoredScene, mean_vector

log = logging.getLogger(__name__)

SEGMENT_FRAMES = 16
"""Sample times one decode task reads: small enough to bound memory, big enough to amortise opening the file."""

Vector = npt.NDArray[np.float32]
StoredScenes = Callable[[int, str], "list[StoredScene]"]
"""(photo id, content hash) -> the scenes stored so far for that content (resuming a clip)."""
KnownClip = Callable[[str], "tuple[list[StoredScene], Vector] | None"]
"""content hash -> the scenes and mean vector of a fully indexed clip with these bytes (a copy)."""


@dataclass(frozen=True)
class ClipSources:
    """What the pipeline needs to know about videos beyond the files themselves."""

    limits: VideoLimits = VideoLimits()
    stored: StoredScenes | None = None
    known: KnownClip | None = None
    threshold: float = SCENE_SIMILARITY


@dataclass(frozen=True)
class ClipPlan:
    """A clip to read: its facts, the sample times still to take, and the scenes stored before them."""

    item: WorkItem
    meta: PhotoMetadata
    rotation: int
    times: tuple[float, ...]
    resume: tuple[StoredScene, ...]
    deadline: float  # time.monotonic() after which this run reads no more of it
    seconds: float  # time spent planning (decode share)


@dataclass(frozen=True)
class KnownClipResult:
    """The clip's bytes were indexed already (a copy): its scenes are reused, no frame is decoded."""

    record: ClipRecord


@dataclass(frozen=True)
class ClipFrames:
    """One segment of a clip, decoded: the real times of its frames and their model inputs."""

    plan: ClipPlan
    segment: int
    times: tuple[float, ...]
    tensors: tuple[ModelInput, ...]
    ended_early: float | None  # the picture stopped here although the clip claims more
    timed_out: bool  # the clip's time limit passed before this segment was read
    seconds: float  # time spent decoding


def plan_clip(item: WorkItem, sources: ClipSources) -> ClipPlan | KnownClipResult | tuple[int, int] | DecodeError:
    """Worker step: identify and probe a clip. Returns (size, mtime_ns) when its bytes are unchanged."""
    started = time.perf_counter()
    try:
        video = read_video(item.path)
        if item.has_embedding and video.content_hash == item.known_hash:
            return video.size, video.mtime_ns
        with VideoReader(item.path) as reader:
            info = reader.info
    except DecodeError as e:
        return e
    meta = PhotoMetadata(
        size=video.size,
        mtime_ns=video.mtime_ns,
        content_hash=video.content_hash,
        width=info.width,
        height=info.height,
        file_type=info.file_type,
        taken_at=info.taken_at or time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(video.mtime_ns / 1e9)),
        date_source="video" if info.taken_at else "file",
        camera=info.camera,
        duration=round(info.duration, 3),
        codec=info.codec,
        frame_rate=info.frame_rate,
    )
    if sources.known is not None and (known := sources.known(video.content_hash)) is not None:
        scenes, summary = known
        return KnownClipResult(ClipRecord(item.id, meta, tuple(scenes), True, summary))
    resume = sources.stored(item.id, video.content_hash) if sources.stored is not None else []
    after = resume[-1].end if resume else None
    times = sources.limits.sample_times(info.duration, after=after)
    deadline = time.monotonic() + sources.limits.seconds_per_file
    return ClipPlan(item, meta, info.rotation, tuple(times), tuple(resume), deadline, time.perf_counter() - started)


def segments(plan: ClipPlan) -> list[tuple[float, ...]]:
    return [plan.times[i : i + SEGMENT_FRAMES] for i in range(0, len(plan.times), SEGMENT_FRAMES)]


def read_segment(
    plan: ClipPlan, segment: int, times: tuple[float, ...], preprocess: Callable[..., ModelInput], min_side: int
) -> ClipFrames:
    """Worker step: decode one segment's frames (a damaged stretch ends the clip there, it never fails)."""
    started = time.perf_counter()
    if time.monotonic() > plan.deadline:
        return ClipFrames(plan, segment, (), (), None, True, 0.0)
    found_times: list[float] = []
    tensors: list[ModelInput] = []
    ended: float | None = None
    try:
        with VideoReader(plan.item.path, rotation=plan.rotation) as reader:
            for frame in reader.frames(times, min_side=min_side, deadline=plan.deadline):
                found_times.append(frame.time)
                tensors.append(preprocess(frame.image))
            ended = reader.ended_early
    except DecodeError as e:  # changed or removed since it was planned, or damaged past its header
        log.info("%s: segment %d unreadable: %s", plan.item.path, segment, e.message)
        ended = times[0]
    except Exception:  # one clip must never stop the pipeline
        log.exception("unexpected failure decoding %s", plan.item.path)
        ended = times[0]
    timed_out = ended is None and len(found_times) < len(times) and time.monotonic() > plan.deadline
    return ClipFrames(
        plan, segment, tuple(found_times), tuple(tensors), ended, timed_out, time.perf_counter() - started
    )


@dataclass
class ClipAssembly:
    """Collects a clip's segments (in any order) and their vectors; `finish` finds the scenes."""

    plan: ClipPlan
    expected: int
    threshold: float = SCENE_SIMILARITY
    parts: dict[int, tuple[tuple[float, ...], Vector, float | None, bool]] = field(default_factory=dict)

    def add(self, frames: ClipFrames, vectors: Vector) -> None:
        self.parts[frames.segment] = (frames.times, vectors, frames.ended_early, frames.timed_out)

    @property
    def done(self) -> bool:
        return len(self.parts) >= self.expected

    @property
    def frames(self) -> int:
        return sum(len(part[0]) for part in self.parts.values())

    def finish(self) -> ClipRecord | DecodeError:
        """The clip's scenes as far as its segments reach in order (a timed-out segment stops it there)."""
        plan = self.plan
        times: list[float] = []
        vectors: list[Vector] = []
        complete = True
        for segment in range(self.expected):
            seg_times, seg_vectors, ended, timed_out = self.parts[segment]
            if timed_out or (len(seg_times) == 0 and ended is None):
                complete = False  # carried on by the next run
                break
            times += seg_times
            vectors += list(seg_vectors)
            if ended is not None:
                break  # the picture stops here: nothing more can be read
        if not times and plan.resume and not complete:
            log.warning("%s: no progress within the time limit; indexed as far as it got", plan.item.path)
            complete = True  # never pending for ever: a clip that cannot go further is done
        if not times and not plan.resume:
            if not complete:
                return DecodeError(
                    "too_slow", "Decoding this video took longer than the time limit before a single frame."
                )
            return DecodeError("truncated", "The video data is cut off: no frame can be decoded.")
        matrix = np.stack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)
        resume = plan.resume[-1] if plan.resume else None
        duration = plan.meta.duration or (times[-1] if times else 0.0)
        scenes = find_scenes(
            times, matrix, duration=duration, complete=complete, resume=resume, threshold=self.threshold
        )
        summary = mean_vector([*plan.resume[:-1], *scenes]) if complete else None
        return ClipRecord(plan.item.id, plan.meta, tuple(scenes), not plan.resume, summary)

    @property
    def seconds_covered(self) -> float:
        """Seconds of video this run's samples cover (for the throughput figures)."""
        times = sorted(t for part in self.parts.values() for t in part[0])
        if not times:
            return 0.0
        start = self.plan.resume[-1].end if self.plan.resume else 0.0
        end = self.plan.meta.duration or times[-1]
        return max(0.0, (end if self.done else times[-1]) - start)
