"""Reading real video files made here with PyAV's encoders: facts, frames at chosen moments, and every failure."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from pathlib import Path

import av
import pytest
from PIL import Image

from photoclip.core.errors import DecodeError
from photoclip.core.media.video import VideoLimits, VideoReader, frame_at, read_video, video_hash
from photoclip.demo.videos import Shot, shape_shots, write_clip

COMBOS = [("red", "circle"), ("blue", "star"), ("green", "square")]


def _clip(path: Path, seconds: tuple[float, ...] = (2, 2, 2), **options: object) -> Path:
    rng = random.Random(1)
    write_clip(path, shape_shots(rng, COMBOS[: len(seconds)], seconds), **options)  # type: ignore[arg-type]
    return path


def _dominant(image: Image.Image) -> str:
    """Which of red, green, blue the middle of a frame shows most (the shapes are large and central)."""
    r, g, b = image.convert("RGB").resize((1, 1), Image.Resampling.BOX, box=_middle(image)).getpixel((0, 0))
    return max((("red", r - (g + b) / 2), ("green", g - (r + b) / 2), ("blue", b - (r + g) / 2)), key=lambda x: x[1])[0]


def _middle(image: Image.Image) -> tuple[int, int, int, int]:
    w, h = image.size
    return (w * 2 // 5, h * 2 // 5, w * 3 // 5, h * 3 // 5)


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("h264.mp4", "libx264"),
        ("hevc.mov", "libx265"),
        ("vp9.webm", "libvpx-vp9"),
        ("mpeg4.avi", "mpeg4"),
        ("h264.mkv", "libx264"),
        ("phone.3gp", "libx264"),
    ],
)
def test_the_codecs_phones_and_cameras_write_are_read(tmp_path: Path, name: str, codec: str) -> None:
    path = _clip(tmp_path / name, (1.0, 1.0), codec=codec)
    with VideoReader(path) as reader:
        info = reader.info
        assert (info.width, info.height) == (320, 240)
        assert info.duration == pytest.approx(2.0, abs=0.1)
        assert info.file_type == path.suffix.lstrip(".")
        frames = list(reader.frames([0.2, 1.4], min_side=64))
    assert [_dominant(f.image) for f in frames] == ["red", "blue"]
    assert min(frames[0].image.size) == 64


def test_hevc_is_in_the_wheel() -> None:
    """Phones film in HEVC: the FFmpeg inside PyAV's wheel must decode it (and encode it, for these tests)."""
    assert av.codec.Codec("hevc", "r").name == "hevc"
    assert av.codec.Codec("libx265", "w")


def test_facts_come_from_the_container(tmp_path: Path) -> None:
    created = dt.datetime(2021, 7, 4, 15, 30, tzinfo=dt.timezone.utc)
    path = _clip(tmp_path / "clip.mkv", (1.0,), created=created, metadata={"make": "Apple", "model": "iPhone 15"})
    with VideoReader(path) as reader:
        info = reader.info
    assert info.taken_at == created.astimezone().replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S")
    assert info.camera == "Apple iPhone 15"
    assert info.codec == "h264"
    assert info.frame_rate == pytest.approx(30.0)


def test_a_clip_filmed_upright_is_shown_upright(tmp_path: Path) -> None:
    path = _clip(tmp_path / "portrait.mp4", (1.0,), rotation=90)
    with VideoReader(path) as reader:
        assert (reader.info.width, reader.info.height, reader.info.rotation) == (240, 320, 90)
        (frame,) = reader.frames([0.5], min_side=60)
    assert frame.image.size[0] < frame.image.size[1]  # portrait, as the person filmed it


def test_frames_come_from_keyframes_without_decoding_the_frames_between(tmp_path: Path) -> None:
    """With a keyframe every second, sampling once a second decodes one frame per sample, not thirty."""
    path = _clip(tmp_path / "long.mp4", (4, 4, 4), keyframe_seconds=1.0)
    with VideoReader(path) as reader:
        times = [f.time for f in reader.frames([float(t) for t in range(12)], min_side=32)]
        decoded = reader.decoded
    assert times == pytest.approx([float(t) for t in range(12)], abs=0.05)
    assert decoded <= 12 * 4  # a few B-frame delays at most; decoding everything would be 360


def test_sparse_keyframes_are_decoded_forward_not_re_seeked(tmp_path: Path) -> None:
    path = _clip(tmp_path / "gop.mp4", (3, 3), keyframe_seconds=10.0)
    with VideoReader(path) as reader:
        frames = list(reader.frames([0.0, 1.0, 2.0, 3.5, 5.0], min_side=32))
    assert [round(f.time, 1) for f in frames] == [0.0, 1.0, 2.0, 3.5, 5.0]
    assert [_dominant(f.image) for f in frames] == ["red", "red", "red", "blue", "blue"]


def test_frame_at_gives_a_poster_of_the_asked_size(tmp_path: Path) -> None:
    path = _clip(tmp_path / "clip.mp4", (2, 2))
    image = frame_at(path, 3.0, max_side=128)
    assert max(image.size) == 128 and _dominant(image) == "blue"
    assert _dominant(frame_at(path, None, max_side=64)) in ("red", "blue")


def test_a_deadline_stops_reading(tmp_path: Path) -> None:
    path = _clip(tmp_path / "clip.mp4", (3, 3))
    with VideoReader(path) as reader:
        frames = list(reader.frames([0.0, 1.0, 2.0], min_side=32, deadline=time.monotonic() - 1))
    assert frames == []


def test_sample_times_are_bounded_per_minute_and_per_clip() -> None:
    limits = VideoLimits(frames_per_minute=60, max_frames=300)
    assert limits.sample_times(3.0) == [0.0, 1.0, 2.0]
    assert limits.sample_times(0.4) == [0.2]  # a blink: its middle
    hour = limits.sample_times(3600.0)
    assert len(hour) == 300 and hour[1] == pytest.approx(12.0)  # sparser, never more than the cap
    assert limits.sample_times(10.0, after=6.0) == [7.0, 8.0, 9.0]  # resuming after the last stored sample
    assert VideoLimits(frames_per_minute=30).interval(60) == 2.0


def test_the_hash_reads_samples_not_the_whole_file(tmp_path: Path) -> None:
    """A 20 GB file is identified in milliseconds, and any change to its sampled parts or size tells."""
    big = tmp_path / "big.mp4"
    with open(big, "wb") as handle:
        handle.write(b"\0\0\0\x18ftypmp42")
        handle.truncate(20 * 1024**3)  # sparse: takes no disk space
    started = time.perf_counter()
    digest = video_hash(big)
    assert time.perf_counter() - started < 2.0
    with open(big, "r+b") as handle:
        handle.seek(20 * 1024**3 // 17)
        handle.write(b"x")
    assert video_hash(big) != digest
    small = _clip(tmp_path / "small.mp4", (1,))
    assert read_video(small).content_hash == video_hash(small)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        ("empty", "empty"),
        ("truncated", "truncated"),
        ("sound_only", "no_video_stream"),
        ("unknown_codec", "unknown_codec"),
        ("text", "not_a_video"),
        ("zeros", "corrupt"),
        ("sparse_20gb", "truncated"),  # a header and 20 GB of nothing: an unfinished copy
    ],
)
def test_bad_files_raise_one_decode_error_with_a_reason(tmp_path: Path, make: str, reason: str) -> None:
    path = tmp_path / f"{make}.mp4"
    _BAD[make](path)
    started = time.perf_counter()
    with pytest.raises(DecodeError) as raised:
        read_video(path)
        with VideoReader(path) as reader:
            list(reader.frames([0.0], min_side=32))
    assert raised.value.reason == reason, raised.value.message
    assert time.perf_counter() - started < 10


def _truncated(path: Path) -> None:
    _clip(path, (2, 2))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # the index (moov) is written last: it is gone


def _sound_only(path: Path) -> None:
    import numpy as np

    container = av.open(str(path), "w")
    stream = container.add_stream("aac", rate=44100)
    samples = np.zeros((1, 44100), dtype=np.float32)
    frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
    frame.sample_rate = 44100
    for packet in stream.encode(frame):
        container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()


def _unknown_codec(path: Path) -> None:
    _clip(path, (1,))
    data = path.read_bytes()
    assert data.count(b"avc1") >= 1
    path.write_bytes(data.replace(b"avc1", b"qq42"))  # a sample entry no decoder knows


def _sparse(path: Path) -> None:
    with open(path, "wb") as handle:
        handle.write(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom")
        handle.truncate(20 * 1024**3)


_BAD = {
    "empty": lambda p: p.write_bytes(b""),
    "truncated": _truncated,
    "sound_only": _sound_only,
    "unknown_codec": _unknown_codec,
    "text": lambda p: p.write_text("this is not a video\n" * 50),
    "zeros": lambda p: p.write_bytes(bytes(4096)),
    "sparse_20gb": _sparse,
}


def test_a_file_that_vanished_is_missing(tmp_path: Path) -> None:
    with pytest.raises(DecodeError) as raised:
        read_video(tmp_path / "gone.mp4")
    assert raised.value.reason == "missing"


def test_a_clip_whose_data_stops_early_says_where(tmp_path: Path) -> None:
    """A clip cut in its data (its index intact, as a camera's 'fast start' file) yields what is there."""
    path = _clip(tmp_path / "cut.mp4", (2, 2, 2))
    faststart = tmp_path / "fast.mp4"
    with av.open(str(path)) as source, av.open(str(faststart), "w", options={"movflags": "faststart"}) as target:
        stream = target.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                target.mux(packet)
    data = faststart.read_bytes()
    faststart.write_bytes(data[: int(len(data) * 0.5)])
    with VideoReader(faststart) as reader:
        frames = list(reader.frames([0.5, 1.5, 2.5, 3.5, 4.5, 5.5], min_side=32))
        assert 1 <= len(frames) < 6
        assert reader.ended_early is not None and reader.ended_early < 6.0
    assert os.path.getsize(faststart) > 0


def test_shots_have_the_length_asked(tmp_path: Path) -> None:
    rng = random.Random(2)
    clip = write_clip(tmp_path / "c.mp4", [Shot(s.scene, 1.5) for s in shape_shots(rng, COMBOS[:2], [1, 1])])
    assert clip.cuts == [1.5] and clip.duration == 3.0
