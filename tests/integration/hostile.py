"""A generator of the files real photo folders contain besides nice JPEGs.

Each entry says what the library must make of it: indexed (with facts to check)
or skipped with a given reason. Reusable by any test that wants a hostile folder.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zlib
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
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


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
