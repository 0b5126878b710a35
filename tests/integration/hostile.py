"""A generator of the files real photo folders contain besides nice JPEGs.

Each entry says what the library must make of it: indexed (with facts to check)
or skipped with a given reason. Reusable by any test that wants a hostile folder.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import stat
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from photoclip.demo import save_photo
from photoclip.demo.shapes import random_scene, render


@dataclass
class Expectation:
    path: Path
    skipped_reason: str | None = None  # None: must be indexed
    file_type: str | None = None
    size: tuple[int, int] | None = None  # (width, height) as displayed
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def _scene_image(seed: int, width: int = 320, height: int = 240) -> Image.Image:
    return render(random_scene(random.Random(seed), colour="red", shape="circle", size="large"), width, height)


def _png_claiming(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 100)) + _png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


HUGE_PNG_SIDE = 14100
"""The tester's memory bomb: 199 megapixels of RGBA (under the 200-megapixel limit), 0.8 MB on disk."""


def huge_png(
    side: int = HUGE_PNG_SIDE, colour: tuple[int, int, int, int] = (40, 120, 200, 255), note: str = ""
) -> bytes:
    """A real, fully decodable RGBA PNG of side x side pixels in one colour, about 1/1000 of its pixels' size.

    Made in a quarter of a second: zlib is run on 100 rows once, ending in a full flush
    (which makes the next block independent of what came before), and that block is
    repeated. `note` goes into a tEXt chunk, so files of the same picture can differ
    in content (the library would take identical files for duplicates and decode one).
    """
    row = b"\0" + bytes(colour) * side  # filter type 0, then the pixels
    rows = 100
    block = row * rows
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: the zlib wrapper is written here
    repeated = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(side, rows)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = last.compress(row * rest) + last.flush()
    check = 1
    for _ in range(count):
        check = zlib.adler32(block, check)
    check = zlib.adler32(row * rest, check)
    stream = b"\x78\xda" + repeated * count + tail + struct.pack(">I", check)
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)  # 8 bits, colour type 6: RGBA
    chunks = [_png_chunk(b"IHDR", header)]
    if note:
        chunks.append(_png_chunk(b"tEXt", b"Comment\0" + note.encode("latin-1")))
    step = 1 << 20
    chunks += [_png_chunk(b"IDAT", stream[i : i + step]) for i in range(0, len(stream), step)]
    chunks.append(_png_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def jpeg_claiming(width: int = 65500, height: int = 65500, size: int = 693) -> bytes:
    """A valid little JPEG (16x16 pixels) whose frame header claims `width` x `height`, padded to `size` bytes.

    libjpeg decodes it without an error, filling the picture the data does not cover
    with grey: the tester's 693-byte file that cost 300 MB and was accepted as a photo.
    """
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, "JPEG", quality=75)
    data = bytearray(buffer.getvalue())
    position = 2  # after SOI: walk the marker segments up to the frame header
    while data[position + 1] not in (0xC0, 0xC1, 0xC2):
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    struct.pack_into(">HH", data, position + 5, height, width)  # FFCx, length, precision, then height, width
    padding = size - len(data)
    if padding >= 4:  # a comment segment right after SOI
        data[2:2] = b"\xff\xfe" + struct.pack(">H", padding - 2) + b"x" * (padding - 4)
    return bytes(data)


def make_hostile_folder(folder: Path) -> list[Expectation]:
    """Write the corpus into `folder` and return what should become of each file."""
    folder.mkdir(parents=True, exist_ok=True)
    expect: list[Expectation] = []

    good = folder / "good.jpg"
    save_photo(_scene_image(1), good)
    expect.append(Expectation(good, file_type="jpeg", size=(320, 240)))
    data = good.read_bytes()

    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    expect.append(Expectation(folder / "truncated.jpg", "truncated"))
    (folder / "zero.jpg").write_bytes(b"")
    expect.append(Expectation(folder / "zero.jpg", "empty"))
    (folder / "letter.jpg").write_text("Dear Grandma,\nthank you for the photos!\n", encoding="utf-8")
    expect.append(Expectation(folder / "letter.jpg", "not_an_image"))
    (folder / "bomb.png").write_bytes(_png_claiming(50_000, 50_000))
    expect.append(Expectation(folder / "bomb.png", "too_many_pixels"))
    (folder / "claims-65500.jpg").write_bytes(jpeg_claiming(65500, 65500))
    expect.append(Expectation(folder / "claims-65500.jpg", "truncated", note="693 bytes claiming 65500x65500"))

    cmyk = folder / "print-cmyk.jpg"
    Image.new("CMYK", (64, 48), (0, 255, 255, 0)).save(cmyk, "JPEG")  # pure red in print colours
    expect.append(Expectation(cmyk, file_type="jpeg", size=(64, 48), note="CMYK"))

    deep = folder / "scan-16bit.png"
    Image.fromarray(np.full((48, 64), 40000, dtype=np.uint16)).save(deep)
    expect.append(Expectation(deep, file_type="png", size=(64, 48), note="16-bit grey"))

    palette = Image.new("P", (64, 48), 0)
    palette.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    palette.info["transparency"] = 0
    palette.save(folder / "logo-transparent.png", transparency=0)
    expect.append(Expectation(folder / "logo-transparent.png", file_type="png", size=(64, 48)))

    rotated = folder / "portrait-rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    _scene_image(2, 120, 80).save(rotated, "JPEG", exif=exif)
    expect.append(Expectation(rotated, file_type="jpeg", size=(80, 120), note="EXIF orientation 6"))

    frames = [Image.new("RGB", (40, 30), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    expect.append(Expectation(folder / "animated.gif", file_type="gif", size=(40, 30)))
    pages = [Image.new("RGB", (50, 40), c) for c in ((0, 0, 255), (255, 255, 0))]
    pages[0].save(folder / "scan-pages.tiff", save_all=True, append_images=pages[1:])
    expect.append(Expectation(folder / "scan-pages.tiff", file_type="tiff", size=(50, 40)))
    _scene_image(3).save(folder / "web.webp", "WEBP")
    expect.append(Expectation(folder / "web.webp", file_type="webp", size=(320, 240)))
    _scene_image(4).save(folder / "old.bmp", "BMP")
    expect.append(Expectation(folder / "old.bmp", file_type="bmp", size=(320, 240)))

    unicode_name = folder / "Ferien 2023 ☀ фото 日本 é.jpg"
    save_photo(_scene_image(5), unicode_name)
    expect.append(Expectation(unicode_name, file_type="jpeg"))
    long_name = folder / ("a-very-long-file-name-" * 10 + ".jpg")[:250]
    save_photo(_scene_image(6), long_name)
    expect.append(Expectation(long_name, file_type="jpeg"))

    locked = folder / "locked.jpg"
    save_photo(_scene_image(7), locked)
    locked.chmod(0)
    as_root = os.geteuid() == 0  # root reads it anyway
    expect.append(Expectation(locked, None if as_root else "unreadable", note="no read permission"))

    loop = folder / "loop"
    loop.mkdir()
    os.symlink(folder, loop / "back-to-start")
    save_photo(_scene_image(8), loop / "inside-loop.jpg")
    expect.append(Expectation(loop / "inside-loop.jpg", file_type="jpeg"))

    junk = folder / "@eaDir"
    junk.mkdir()
    save_photo(_scene_image(9), junk / "thumbnail.jpg")  # NAS thumbnails: never indexed
    hidden = folder / ".hidden.jpg"
    save_photo(_scene_image(10), hidden)
    return expect


@dataclass
class FolderProblem:
    """A folder entry that can never become a photo as it is: the library must report it, not pass it over."""

    path: Path  # as the library reports it (a name that is not valid Unicode: its bytes escaped as \\xff)
    reason: str
    fix: Callable[[], None]  # what the person does about it; a scan afterwards must forget the problem
    note: str = ""


def make_uncatalogued_folder(folder: Path) -> list[FolderProblem]:
    """Write entries no scan can catalogue into `folder` (plus one good photo) and say how each is reported.

    A folder that cannot be listed is made twice: without permission (only when not
    root, who lists it anyway) and nested past the system's path length limit (any user).
    A device file named like a photo is made only where this user may create one.
    """
    folder.mkdir(parents=True, exist_ok=True)
    save_photo(_scene_image(20), folder / "good.jpg")
    problems: list[FolderProblem] = []

    albums = folder / "albums"
    albums.mkdir()
    save_photo(_scene_image(21), albums / "beach.jpg")
    loop = albums / "all-photos"
    os.symlink(folder, loop)  # a shortcut back to the top: the walk must not go round forever
    problems.append(FolderProblem(loop, "link_loop", loop.unlink, "symlink to a folder above it"))

    raw_name = os.path.join(os.fsencode(folder), b"holiday-\xff.jpg")  # Latin-1 "y" from an old camera card
    with open(raw_name, "wb") as handle:
        handle.write(_jpeg_bytes(_scene_image(22)))
    problems.append(
        FolderProblem(
            folder / "holiday-\\xff.jpg",
            "bad_name",
            lambda: os.rename(raw_name, os.path.join(os.fsencode(folder), b"holiday-y.jpg")),
            "file name with an invalid UTF-8 byte",
        )
    )

    fifo = folder / "x.jpg"
    os.mkfifo(fifo)
    problems.append(FolderProblem(fifo, "not_a_file", fifo.unlink, "a pipe named like a photo"))

    device = folder / "z.jpg"
    try:
        os.mknod(device, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    except OSError:
        pass  # not allowed here
    else:
        problems.append(FolderProblem(device, "not_a_file", device.unlink, "a device file named like a photo"))

    dangling = folder / "y.jpg"
    original = folder / "originals" / "y-original.jpg"
    os.symlink(original, dangling)
    problems.append(
        FolderProblem(
            dangling, "dangling_link", lambda: save_photo(_scene_image(23), original), "link to a moved original"
        )
    )

    top = _nest_past_path_max(folder / "deep", "d" * 200)
    problems.append(
        FolderProblem(
            Path(top), "unlistable", lambda: shutil.rmtree(folder / "deep"), "nested past the path length limit"
        )
    )

    if os.geteuid() != 0:
        private = folder / "private"
        private.mkdir()
        save_photo(_scene_image(24), private / "secret.jpg")
        private.chmod(0)
        problems.append(FolderProblem(private, "unlistable", lambda: private.chmod(0o755), "no permission"))
    return problems


def _jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _nest_past_path_max(base: Path, name: str) -> str:
    """Folders inside each other until the path is longer than the system takes (made relative to each other,
    as a copy from another system can leave them); a photo lies at the bottom. Returns the first path too long."""
    base.mkdir()
    descriptor = os.open(base, os.O_RDONLY)
    path = str(base)
    first_too_long = ""
    try:
        while len(path) < 4200:
            os.mkdir(name, dir_fd=descriptor)
            inner = os.open(name, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
            path = os.path.join(path, name)
            if not first_too_long and len(os.fsencode(path)) >= os.pathconf("/", "PC_PATH_MAX"):
                first_too_long = path
        photo = os.open("deep.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=descriptor)
        with open(photo, "wb") as handle:
            handle.write(_jpeg_bytes(_scene_image(25)))
    finally:
        os.close(descriptor)
    return first_too_long


def heif_bytes(image: Image.Image) -> bytes | None:
    """A real HEIC file if pillow-heif can encode here."""
    try:
        import pillow_heif
    except ImportError:
        return None
    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    image.save(buffer, format="HEIF")
    return buffer.getvalue()


def make_hostile_videos(folder: Path) -> list[Expectation]:
    """Videos as phone and camera folders hold them, good and bad; what should become of each.

    Every bad one must end skipped with its reason, quickly: a clip cut off by a
    recording that stopped (its index missing), an empty file, sound without
    pictures, a codec no decoder knows, text named like a video, a 20 GB sparse
    file with a video's header and nothing else, and a clip whose data stops
    half way (indexed as far as it goes).
    """
    import av

    from photoclip.demo.videos import shape_shots, write_clip

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(4)
    expect: list[Expectation] = []
    good = write_clip(folder / "good.mp4", shape_shots(rng, [("red", "circle"), ("blue", "star")], [2, 2])).path
    expect.append(Expectation(good, file_type="mp4", size=(320, 240)))
    portrait = write_clip(
        folder / "IMG_0001.MOV", shape_shots(rng, [("green", "square")], [2]), codec="libx265", rotation=270
    ).path
    expect.append(Expectation(portrait, file_type="mov", size=(240, 320), note="HEVC, filmed upright"))
    webm = write_clip(folder / "screen.webm", shape_shots(rng, [("yellow", "star")], [2]), codec="libvpx-vp9").path
    expect.append(Expectation(webm, file_type="webm", size=(320, 240)))

    data = good.read_bytes()
    (folder / "stopped-recording.mp4").write_bytes(data[: len(data) // 2])
    expect.append(Expectation(folder / "stopped-recording.mp4", "truncated"))
    (folder / "zero.mov").write_bytes(b"")
    expect.append(Expectation(folder / "zero.mov", "empty"))

    sound = folder / "voice-memo.m4v"
    with av.open(str(sound), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=44100)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 44100), dtype=np.float32), format="fltp", layout="mono")
        frame.sample_rate = 44100
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    expect.append(Expectation(sound, "no_video_stream"))

    (folder / "odd-codec.mp4").write_bytes(data.replace(b"avc1", b"qq42"))
    expect.append(Expectation(folder / "odd-codec.mp4", "unknown_codec"))
    (folder / "notes.mkv").write_text("not a video, only named like one\n" * 40)
    expect.append(Expectation(folder / "notes.mkv", "not_a_video"))
    with open(folder / "huge.mp4", "wb") as handle:
        handle.write(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom")
        handle.truncate(20 * 1024**3)  # sparse: 20 GB that take no disk space
    expect.append(Expectation(folder / "huge.mp4", "truncated", note="20 GB sparse"))
    return expect
