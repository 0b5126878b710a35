"""Safe video reading with PyAV (FFmpeg): facts about a clip, and frames at chosen moments, or one DecodeError.

Videos are big, so nothing here reads a whole file: identity is a hash of the
size and of samples spread over the file (`video_hash`), facts come from the
container's header (duration, resolution after rotation, codec, date taken,
camera), and frames are taken at chosen times by seeking to the nearest
keyframe and decoding forward only when keyframes are far apart. A clip that is
cut off, has no picture, uses a codec FFmpeg cannot decode, or is not a video at
all raises DecodeError with a reason code, like a bad photo.

PyAV is imported on first use; without it (`pip install av`), every video is
skipped with the reason "no_video_support" and photos are unaffected.
Files are opened read-only; nothing is ever written to them.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import hashlib
import logging
import os
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from PIL import Image

from photoclip.core.errors import DecodeError
from photoclip.core.media.kinds import VIDEO_SUFFIXES

__all__ = [
    "SampledFrame",
    "VideoFile",
    "VideoInfo",
    "VideoLimits",
    "VideoReader",
    "frame_at",
    "read_video",
    "video_hash",
    "video_support",
]

log = logging.getLogger(__name__)

_HASH_SAMPLES = 16
_HASH_BLOCK = 64 * 1024
_HASH_ENDS = 1 << 20
_OLDEST_DATE = dt.datetime(1971, 1, 1, tzinfo=dt.timezone.utc)  # cameras write 1904 or 1970 for "no date"
_FILE_TYPES = {".m4v": "m4v", ".3g2": "3gp", ".m2ts": "mts"}
_CAMERA_KEYS = (
    ("com.apple.quicktime.make", "com.apple.quicktime.model"),
    ("com.android.manufacturer", "com.android.model"),
    ("make", "model"),
    ("manufacturer", "model"),
)
_DATE_KEYS = ("com.apple.quicktime.creationdate", "creation_time", "date", "DATE_RECORDED")


@dataclass(frozen=True)
class VideoLimits:
    """How much of a clip indexing reads: bounded work whatever the clip.

    Args:
        frames_per_minute: samples per minute of video (60: one a second).
        max_frames: samples of one clip at most; longer clips are sampled more sparsely.
        seconds_per_file: decoding time one clip may take in one indexing run; a clip
            that needs longer is indexed that far and carries on at the next run.
    """

    frames_per_minute: int = 60
    max_frames: int = 300
    seconds_per_file: float = 120.0

    def interval(self, duration: float) -> float:
        """Seconds between samples for a clip of this length."""
        return max(60.0 / max(self.frames_per_minute, 1), duration / max(self.max_frames, 1))

    def sample_times(self, duration: float, *, after: float | None = None) -> list[float]:
        """When to take frames: evenly spaced from the start (the middle of a clip shorter than one step).

        `after`: only the times later than this (resuming a clip indexed that far).
        """
        if duration <= 0:
            return [0.0] if after is None else []
        step = self.interval(duration)
        count = max(1, min(self.max_frames, int(duration / step + 1e-9) + (0 if duration % step < 1e-6 else 1)))
        times = [min(i * step, max(duration - 1e-3, 0.0)) for i in range(count)]
        if count == 1:
            times = [duration / 2]
        return [t for t in times if after is None or t > after + 1e-6]


@dataclass(frozen=True)
class VideoInfo:
    """Facts about a clip as people see it: display size (rotation applied), length, date and camera."""

    width: int
    height: int
    duration: float
    frame_rate: float | None
    codec: str
    file_type: str
    taken_at: str | None  # local time, ISO 8601 without zone, like a photo's
    camera: str | None
    rotation: int  # degrees counter-clockwise to turn decoded frames upright


@dataclass(frozen=True)
class VideoFile:
    """A clip's identity as the catalog keeps it (sampled content hash, size, mtime)."""

    path: Path
    content_hash: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class SampledFrame:
    time: float  # when the frame shows, in seconds from the start
    image: Image.Image  # upright RGB, its shorter side about `min_side`


def video_support() -> ModuleType | None:
    """PyAV when it is installed (photoclip's `av` dependency), else None."""
    try:
        import av
    except ImportError:
        return None
    av.logging.set_level(av.logging.PANIC)  # FFmpeg's chatter about damaged files goes nowhere; errors still raise
    return av


def _av() -> ModuleType:
    av = video_support()
    if av is None:
        raise DecodeError("no_video_support", "Videos need PyAV, which is not installed: pip install av")
    return av


# --- identity ---------------------------------------------------------------------------------------------------


def video_hash(path: Path) -> str:
    """A video's content identity: its size and samples from its start, end and 16 places between.

    Reading a whole 20 GB clip to recognise it would take minutes; the samples (about
    3 MB) are enough to tell any two real clips apart, and an edit that rewrites a clip
    changes its size or the samples. OSError is left to the caller, as for `hash_file`.
    """
    digest = hashlib.blake2b(digest_size=16, person=b"photoclip-video")
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest.update(size.to_bytes(8, "little"))
        if size <= 2 * _HASH_ENDS + _HASH_SAMPLES * _HASH_BLOCK:
            while chunk := handle.read(_HASH_ENDS):
                digest.update(chunk)
            return digest.hexdigest()
        digest.update(handle.read(_HASH_ENDS))
        for i in range(1, _HASH_SAMPLES + 1):
            handle.seek(size * i // (_HASH_SAMPLES + 1))
            digest.update(handle.read(_HASH_BLOCK))
        handle.seek(size - _HASH_ENDS)
        digest.update(handle.read(_HASH_ENDS))
    return digest.hexdigest()


def read_video(path: Path) -> VideoFile:
    """Check a clip is a readable regular file with content, and identify it; raises only DecodeError."""
    path = Path(path)
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise DecodeError("is_directory", "This is a folder, not a video file.")
        if not stat.S_ISREG(st.st_mode):
            raise DecodeError("unreadable", "This is not a regular file (it is a pipe, device or socket).")
        if st.st_size == 0:
            raise DecodeError("empty", "The file is empty (0 bytes).")
        digest = video_hash(path)
    except DecodeError:
        raise
    except (FileNotFoundError, NotADirectoryError) as e:
        raise DecodeError("missing", "The file is no longer there; it was moved or deleted.") from e
    except PermissionError as e:
        raise DecodeError("unreadable", "photoclip is not allowed to read this file (permission denied).") from e
    except OSError as e:
        raise DecodeError("unreadable", f"The file cannot be read: {e.strerror or e}.") from e
    return VideoFile(path, digest, st.st_size, st.st_mtime_ns)


# --- reading ----------------------------------------------------------------------------------------------------


class VideoReader:
    """An open clip: its facts (`info`) and frames at chosen times. Use as a context manager.

    Raises DecodeError on opening (not a video, cut off, no picture, unknown codec).
    """

    def __init__(self, path: Path, *, rotation: int | None = None) -> None:
        self.path = Path(path)
        av = _av()
        self._av = av
        self.ended_early: float | None = None  # where the picture stopped although the clip claims more
        self.decoded = 0  # frames decoded so far (samples cost about one each when keyframes are close)
        try:
            self._container: Any = av.open(str(self.path), mode="r", metadata_errors="replace")
        except av.error.FileNotFoundError as e:
            raise DecodeError("missing", "The file is no longer there; it was moved or deleted.") from e
        except av.error.PermissionError as e:
            raise DecodeError("unreadable", "photoclip is not allowed to read this file (permission denied).") from e
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError, OSError) as e:
            raise _open_failure(self.path, e) from e
        try:
            self._stream = self._video_stream()
            self.info = self._read_info(rotation)
        except BaseException:
            self._container.close()
            raise

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._container.close()

    def _video_stream(self) -> Any:
        streams = [s for s in self._container.streams.video if not _is_cover_art(s)]
        if not streams:
            if self._container.streams.audio:
                raise DecodeError("no_video_stream", "This file holds only sound, no pictures.")
            raise DecodeError("no_video_stream", "This file holds no video picture.")
        stream = streams[0]
        codec = stream.codec_context
        name = getattr(codec, "name", None) or "unknown"
        if name in ("none", "unknown") or not getattr(codec, "is_decoder", True):
            tag = _codec_tag(stream)
            raise DecodeError(
                "unknown_codec",
                f"The video is encoded with a codec photoclip cannot decode{f' ({tag})' if tag else ''}.",
            )
        # one thread per clip: a keyframe seek decodes a frame or two, which frame threading only
        # delays (measured: 60 samples of a 1080p clip in 0.63 s, 1.78 s with "AUTO"); the
        # pipeline runs several clips' segments side by side instead
        stream.codec_context.thread_count = 1
        return stream

    def _read_info(self, rotation: int | None) -> VideoInfo:
        stream, container = self._stream, self._container
        width, height = int(stream.codec_context.width or 0), int(stream.codec_context.height or 0)
        if width <= 0 or height <= 0:
            raise DecodeError("corrupt", "The video's header gives no picture size (damaged file).")
        if rotation is None:
            rotation = self._first_frame_rotation()
        if rotation % 180:
            width, height = height, width
        rate = stream.average_rate or stream.guessed_rate
        tags = {**{str(k).lower(): v for k, v in stream.metadata.items()}, **_lower(container.metadata)}
        return VideoInfo(
            width=width,
            height=height,
            duration=_duration(container, stream),
            frame_rate=round(float(rate), 3) if rate else None,
            codec=str(stream.codec_context.name),
            file_type=_FILE_TYPES.get(self.path.suffix.lower(), self.path.suffix.lower().lstrip(".")),
            taken_at=_taken_at(tags),
            camera=_camera(tags),
            rotation=rotation,
        )

    def _first_frame_rotation(self) -> int:
        """Decode the first frame: it proves the clip has a picture FFmpeg can decode, and carries its rotation."""
        av = self._av
        try:
            frame = self._first_at(self._container.decode(self._stream), 0.0, time.monotonic() + 30)
        except av.error.FFmpegError as e:
            raise DecodeError("corrupt", f"The video's picture cannot be decoded ({e}).") from e
        finally:
            with contextlib.suppress(Exception):
                self._container.seek(0)
        if frame is None:
            raise DecodeError("truncated", "The video data is cut off: no frame can be decoded.")
        return _rotation_of(frame)

    def frames(self, times: Sequence[float], *, min_side: int, deadline: float | None = None) -> Iterator[SampledFrame]:
        """A frame at (or just after) each wanted time, in order, with its real time.

        Seeks to the keyframe nearest each time when the clip has one close enough
        (no decoding of the frames in between); otherwise decodes forward from the
        keyframe before it. Stops early when `deadline` (time.monotonic) passes, or
        when the data ends before the clip's claimed length (`ended_early` says where).
        """
        av, stream = self._av, self._stream
        keys = _keyframe_times(stream)
        tolerance = _tolerance(times)
        position: float | None = None  # time of the last frame decoded
        decoded: Iterator[Any] | None = None
        previous = -1.0
        for wanted in times:
            if deadline is not None and time.monotonic() > deadline:
                return
            target = _nearest(keys, wanted, tolerance)
            behind = _before(keys, target)
            if decoded is None or position is None or target < position or (behind is not None and behind > position):
                self._seek(target)
                decoded = self._container.decode(stream)
            try:
                frame = self._first_at(decoded, target, deadline)
            except (av.error.FFmpegError, ValueError, OSError) as e:
                log.info("%s: decoding stopped at %.1f s: %s", self.path, position or 0.0, e)
                frame = None
            if frame is None:
                if deadline is None or time.monotonic() <= deadline:
                    self.ended_early = position if position is not None else 0.0
                return
            seconds = float(frame.time)
            position = seconds
            if seconds <= previous + 1e-6:
                continue  # the same frame again (keyframes far apart): nothing new to see
            previous = seconds
            yield SampledFrame(seconds, self._image(frame, min_side))

    def frame_at(self, seconds: float, *, max_side: int) -> Image.Image:
        """One frame near `seconds` (a poster or a thumbnail), its longer side at most `max_side`."""
        seconds = min(max(seconds, 0.0), max(self.info.duration - 0.05, 0.0))
        for sampled in self.frames([seconds], min_side=max_side):
            image = sampled.image
            break
        else:
            # the data ends before that moment: the first frame is better than nothing
            self.ended_early = None
            for sampled in self.frames([0.0], min_side=max_side):
                image = sampled.image
                break
            else:
                raise DecodeError("truncated", "The video data is cut off: no frame can be decoded.")
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return image

    def _first_at(self, decoded: Iterator[Any], target: float, deadline: float | None) -> Any | None:
        """The first decoded frame showing at or after `target` (a little before counts), or None at the end."""
        for frame in decoded:
            self.decoded += 1
            if frame.time is None:
                continue
            if frame.time >= target - 1e-3:
                return frame
            if deadline is not None and time.monotonic() > deadline:
                return None
        return None

    def _seek(self, seconds: float) -> None:
        stream = self._stream
        base = stream.time_base
        start = stream.start_time or 0
        offset = int(seconds / base) + start if base else int(seconds * 1_000_000)
        try:
            self._container.seek(offset, stream=stream, backward=True, any_frame=False)
        except (self._av.error.FFmpegError, ValueError, OSError):  # some files cannot seek: read from the start
            self._container.seek(0)

    def _image(self, frame: Any, min_side: int) -> Image.Image:
        """The frame as upright RGB, scaled by FFmpeg so its shorter side is about `min_side` (never enlarged)."""
        width, height = int(frame.width), int(frame.height)
        scale = min(1.0, max(min_side, 1) / max(min(width, height), 1))
        size = (max(2, round(width * scale)), max(2, round(height * scale)))
        image: Image.Image = frame.to_image(width=size[0], height=size[1], interpolation="AREA")
        rotation = self.info.rotation
        if rotation:
            image = image.rotate(rotation, expand=True)
        return image


def frame_at(path: Path, seconds: float | None, *, max_side: int) -> Image.Image:
    """One upright frame of a clip near `seconds` (None: its middle); raises only DecodeError."""
    try:
        with VideoReader(path) as reader:
            return reader.frame_at(reader.info.duration / 2 if seconds is None else seconds, max_side=max_side)
    except DecodeError:
        raise
    except Exception as e:  # FFmpeg surprises: one clip must never take a caller down
        raise DecodeError("corrupt", f"The video could not be read: {e}") from e


# --- helpers ----------------------------------------------------------------------------------------------------


def _keyframe_times(stream: Any) -> list[float]:
    """Keyframe times from the container's index (MP4, MOV, MKV after reading its cues); empty when unknown."""
    try:
        entries = stream.index_entries
        if not entries:
            return []
        base = float(stream.time_base)
        # the index holds decoding times, which run ahead of showing times by the B-frame delay:
        # the first entry is the first frame, shown at the start
        first = min(e.timestamp for e in entries)
        return sorted({(e.timestamp - first) * base for e in entries if e.flags & 1})
    except (AttributeError, TypeError, ValueError):
        return []


def _tolerance(times: Sequence[float]) -> float:
    """How far from a wanted time a keyframe may be and still stand for it: a third of the step between times."""
    if len(times) < 2:
        return 0.5
    return max(0.05, min(b - a for a, b in zip(times, times[1:], strict=False)) / 3)


def _nearest(keys: list[float], wanted: float, tolerance: float) -> float:
    """The keyframe closest to `wanted` when one is within `tolerance`, else `wanted` itself."""
    if not keys:
        return wanted
    at = bisect.bisect_left(keys, wanted)
    best = min((keys[i] for i in (at - 1, at) if 0 <= i < len(keys)), key=lambda k: abs(k - wanted))
    return best if abs(best - wanted) <= tolerance else wanted


def _before(keys: list[float], target: float) -> float | None:
    """The last keyframe at or before `target` (where a seek would land), None when unknown."""
    if not keys:
        return None
    at = bisect.bisect_right(keys, target + 1e-6)
    return keys[at - 1] if at else None


def _duration(container: Any, stream: Any) -> float:
    if stream.duration and stream.time_base:
        return max(0.0, float(stream.duration * stream.time_base))
    if container.duration:
        return max(0.0, float(container.duration) / 1_000_000)
    if stream.frames and stream.average_rate:
        return float(stream.frames / stream.average_rate)
    return 0.0


def _rotation_of(frame: Any) -> int:
    """Degrees counter-clockwise from the frame's display matrix (phones film upright clips on their side)."""
    with contextlib.suppress(Exception):
        return int(round(float(frame.rotation) / 90.0)) * 90 % 360
    return 0


def _lower(tags: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(tags).items()}


def _taken_at(tags: dict[str, str]) -> str | None:
    """The recording date in local time: QuickTime's local creation date first, else the UTC creation time."""
    for key in _DATE_KEYS:
        value = tags.get(key.lower())
        if not value:
            continue
        parsed = _parse_date(value.strip())
        if parsed is None or parsed < _OLDEST_DATE:
            continue
        if key == "com.apple.quicktime.creationdate":  # the local wall-clock time the clip was filmed at
            return parsed.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S")
        return parsed.astimezone().replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S")
    return None


def _parse_date(value: str) -> dt.datetime | None:
    text = value.replace("Z", "+00:00").replace(" UTC", "+00:00")
    if len(text) >= 24 and text[-5] in "+-" and text[-3] != ":":  # +0200 -> +02:00
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.timezone.utc)


def _camera(tags: dict[str, str]) -> str | None:
    for make_key, model_key in _CAMERA_KEYS:
        make, model = tags.get(make_key, "").strip(), tags.get(model_key, "").strip()
        if model:
            return model if not make or model.lower().startswith(make.lower()) else f"{make} {model}"
        if make:
            return make
    return None


def _is_cover_art(stream: Any) -> bool:
    """An embedded still (album art, a thumbnail track) is not the clip's picture."""
    with contextlib.suppress(Exception):
        return "attached_pic" in str(stream.disposition).lower()
    return False


def _codec_tag(stream: Any) -> str:
    with contextlib.suppress(Exception):
        tag = stream.codec_context.codec_tag
        if tag and tag.isprintable() and tag.strip():
            return str(tag).strip()
    return ""


def _open_failure(path: Path, error: BaseException) -> DecodeError:
    """Why FFmpeg could not open a file: cut off (a video's start but no index), or not a video at all."""
    detail = str(error)
    head = b""
    with contextlib.suppress(OSError), open(path, "rb") as handle:
        head = handle.read(64)
    looks_like_video = head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free") or head[:4] in (
        b"\x1a\x45\xdf\xa3",  # Matroska / WebM
        b"RIFF",  # AVI
    )
    if looks_like_video and ("moov" in detail or "Invalid data" in detail or "End of file" in detail):
        return DecodeError(
            "truncated",
            "The video is cut off (its index is missing: a recording that stopped abruptly, or a copy "
            "that has not finished).",
        )
    if looks_like_video:
        return DecodeError("corrupt", f"The video is damaged and cannot be opened ({detail}).")
    if path.suffix.lower() in VIDEO_SUFFIXES and not head.strip(b"\0"):
        return DecodeError("corrupt", "The file holds only zeros, not a video (an unfinished or damaged copy?).")
    return DecodeError("not_a_video", "Not a video, or a format photoclip cannot read.")
