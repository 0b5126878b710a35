"""Generated video clips made of the demo's shape scenes, with known cuts, for the tests and benchmarks.

Each clip is a sequence of shots; a shot shows one shape scene (`demo.shapes`)
with a slow camera drift, so its frames differ as a real shot's do, and cuts
hard to the next. The clip is encoded for real by PyAV (H.264 or HEVC through
the FFmpeg inside its wheel), so indexing it exercises the same demuxing,
seeking and decoding as a phone's video, and every scene's true start and end
are known.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from photoclip.demo.shapes import Scene, random_scene, render


@dataclass(frozen=True)
class Shot:
    scene: Scene
    seconds: float


@dataclass(frozen=True)
class GeneratedClip:
    path: Path
    shots: tuple[Shot, ...]
    fps: int

    @property
    def duration(self) -> float:
        return sum(s.seconds for s in self.shots)

    @property
    def cuts(self) -> list[float]:
        """The times where one shot ends and the next begins."""
        times, at = [], 0.0
        for shot in self.shots[:-1]:
            at += shot.seconds
            times.append(at)
        return times

    def span(self, index: int) -> tuple[float, float]:
        start = sum(s.seconds for s in self.shots[:index])
        return start, start + self.shots[index].seconds


def shape_shots(
    rng: random.Random, combos: Sequence[tuple[str, str]], seconds: Sequence[float], *, size: str = "large"
) -> list[Shot]:
    """One shot per (colour, shape), each a fresh random scene of that single shape."""
    return [
        Shot(random_scene(rng, colour=colour, shape=shape, size=size), length)
        for (colour, shape), length in zip(combos, seconds, strict=True)
    ]


def write_clip(
    path: Path,
    shots: Sequence[Shot],
    *,
    size: tuple[int, int] = (320, 240),
    fps: int = 30,
    codec: str = "libx264",
    keyframe_seconds: float = 1.0,
    rotation: int = 0,
    created: dt.datetime | None = None,
    metadata: dict[str, str] | None = None,
    preset: str = "ultrafast",
) -> GeneratedClip:
    """Encode the shots into a real video file (the container follows the suffix: .mp4, .mov, .mkv, ...).

    Args:
        keyframe_seconds: the distance between keyframes (phones write about one a second).
        rotation: a display rotation (degrees counter-clockwise), as phones filming upright store it.
        created: the recording time written to the container (UTC).
    """
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    container = av.open(str(path), mode="w")
    try:
        if created is not None:
            container.metadata["creation_time"] = created.astimezone(dt.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S.000000Z"
            )
        for key, value in (metadata or {}).items():
            container.metadata[key] = value
        options = {"g": str(max(1, round(fps * keyframe_seconds)))}
        if codec in ("libx264", "libx265"):
            options["preset"] = preset
        if codec == "libx265":
            options["x265-params"] = "log-level=none"
        stream: Any = container.add_stream(codec, rate=Fraction(fps), options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for shot in shots:
            for frame in _shot_frames(shot, width, height, fps):
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    finally:
        container.close()
    return GeneratedClip(path, tuple(shots), fps)


def _shot_frames(shot: Shot, width: int, height: int, fps: int) -> Iterator[np.ndarray]:
    """The shot's frames: its scene rendered once, a little larger, and a window drifting across it."""
    margin = max(4, width // 16)
    big = np.asarray(render(shot.scene, width + 2 * margin, height + 2 * margin, supersample=1))
    count = max(1, round(shot.seconds * fps))
    for i in range(count):
        phase = i / max(count - 1, 1)
        x = int(round(margin * (0.2 + 1.6 * phase)))
        y = int(round(margin * (1.0 + 0.5 * np.sin(phase * np.pi))))
        yield np.ascontiguousarray(big[y : y + height, x : x + width])
