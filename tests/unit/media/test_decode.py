"""Tests for photoclip.core.media.decode, run against real image files written to a temporary folder."""

from __future__ import annotations

import contextlib
import enum
import hashlib
import importlib.util
import io
import os
import struct
import sys
import types
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps, features

from photoclip.core.errors import DecodeError
from photoclip.core.media import decode as imaging
from photoclip.core.media.decode import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    SUPPORTED_SUFFIXES,
    DecodedPhoto,
    content_hash,
    decode_photo,
    hash_file,
    make_thumbnail,
    to_rgb,
    try_decode,
)
from photoclip.core.util.memory import MemoryBudget

pytestmark = pytest.mark.unit

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)
GREY = (128, 128, 128)


# --- helpers -------------------------------------------------------------------------------------------------------


def assert_close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> None:
    assert len(actual) == len(expected), (actual, expected)
    assert all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True)), (actual, expected)


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def two_colour_image(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """Left half red, right half blue: a decoder that mixes up channels or halves is caught."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def corner_image(size: tuple[int, int] = (60, 30)) -> Image.Image:
    """Grey with a red block in the top-left corner, to see where that corner ends up after orientation."""
    image = Image.new("RGB", size, GREY)
    image.paste(RED, (0, 0, 15, 15))
    return image


def red_corner(image: Image.Image) -> str:
    width, height = image.size
    corners = {
        "top-left": (3, 3),
        "top-right": (width - 4, 3),
        "bottom-left": (3, height - 4),
        "bottom-right": (width - 4, height - 4),
    }
    red = [name for name, xy in corners.items() if pixel(image, xy)[0] > 200 and pixel(image, xy)[1] < 60]
    assert len(red) == 1, red
    return red[0]


def exif_with(tags: dict[int, Any] | None = None, exif_ifd: dict[int, Any] | None = None) -> Image.Exif:
    exif = Image.Exif()
    for tag, value in (tags or {}).items():
        exif[tag] = value
    if exif_ifd:
        sub = exif.get_ifd(0x8769)
        for tag, value in exif_ifd.items():
            sub[tag] = value
    return exif


def png_bytes(width: int, height: int, bit_depth: int, colour_type: int, rows: list[bytes]) -> bytes:
    """Write a PNG by hand, for headers and bit depths Pillow cannot be asked to write."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def tiff_bytes(width: int, height: int, samples: int, photometric: int, pixels: np.ndarray, endian: str) -> bytes:
    """Write an uncompressed 16-bit TIFF by hand; Pillow cannot save 16-bit RGB."""
    mark = b"II*\x00" if endian == "<" else b"MM\x00*"
    data = pixels.tobytes()
    bits_offset = 8 + len(data)
    bits = struct.pack(f"{endian}{samples}H", *([16] * samples))
    ifd_offset = bits_offset + len(bits)
    entries = [
        (256, 4, 1, struct.pack(f"{endian}I", width)),
        (257, 4, 1, struct.pack(f"{endian}I", height)),
        (
            258,
            3,
            samples,
            struct.pack(f"{endian}HH", 16, 0) if samples == 1 else struct.pack(f"{endian}I", bits_offset),
        ),
        (259, 3, 1, struct.pack(f"{endian}HH", 1, 0)),
        (262, 3, 1, struct.pack(f"{endian}HH", photometric, 0)),
        (273, 4, 1, struct.pack(f"{endian}I", 8)),
        (277, 3, 1, struct.pack(f"{endian}HH", samples, 0)),
        (278, 4, 1, struct.pack(f"{endian}I", height)),
        (279, 4, 1, struct.pack(f"{endian}I", len(data))),
    ]
    ifd = struct.pack(f"{endian}H", len(entries))
    ifd += b"".join(struct.pack(f"{endian}HHI", tag, kind, count) + value for tag, kind, count, value in entries)
    ifd += struct.pack(f"{endian}I", 0)
    return mark + struct.pack(f"{endian}I", ifd_offset) + data + bits + ifd


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def decode_error(path: Path, **kwargs: Any) -> DecodeError:
    with pytest.raises(DecodeError) as caught:
        decode_photo(path, **kwargs)
    return caught.value


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4000x3000 JPEG, made once: large enough that draft reduction matters."""
    path = tmp_path_factory.mktemp("big") / "big.jpg"
    image = Image.new("RGB", (4000, 3000), (90, 120, 150))
    image.paste(RED, (0, 0, 1000, 1000))
    image.save(path, "JPEG", quality=85)
    return path


# --- good files ----------------------------------------------------------------------------------------------------

FORMATS = [
    ("photo.jpg", "JPEG", "jpeg", {"quality": 95}, 12),
    ("photo.png", "PNG", "png", {}, 0),
    ("photo.webp", "WEBP", "webp", {"quality": 95}, 20),
    ("photo.bmp", "BMP", "bmp", {}, 0),
    ("photo.gif", "GIF", "gif", {}, 0),
    ("photo.tif", "TIFF", "tiff", {}, 0),
    pytest.param(
        "photo.avif",
        "AVIF",
        "avif",
        {"quality": 95},
        25,
        marks=pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF codec"),
    ),
]


@pytest.mark.parametrize(("name", "pil_format", "file_type", "options", "tolerance"), FORMATS)
def test_decodes_common_formats(
    tmp_path: Path, name: str, pil_format: str, file_type: str, options: dict[str, Any], tolerance: int
) -> None:
    path = tmp_path / name
    two_colour_image().save(path, pil_format, **options)

    photo = decode_photo(path)

    assert photo.image.mode == "RGB"
    assert photo.image.size == (64, 48)
    assert_close(pixel(photo.image, (8, 24)), RED, tolerance)
    assert_close(pixel(photo.image, (56, 24)), BLUE, tolerance)
    assert (photo.info.width, photo.info.height) == (64, 48)
    assert photo.info.file_type == file_type
    assert photo.info.taken_at is None
    assert photo.info.camera is None
    data = path.read_bytes()
    assert photo.size == len(data)
    assert photo.mtime_ns == path.stat().st_mtime_ns
    assert photo.content_hash == hashlib.blake2b(data, digest_size=16).hexdigest()


def test_animated_gif_gives_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (32, 32), colour) for colour in (RED, GREEN, BLUE)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(path) as check:
        assert getattr(check, "n_frames", 1) == 3

    photo = decode_photo(path)

    assert_close(pixel(photo.image, (16, 16)), RED, 0)


def test_animated_webp_gives_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "anim.webp"
    frames = [Image.new("RGB", (32, 32), colour) for colour in (RED, GREEN, BLUE)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, lossless=True)
    with Image.open(path) as check:
        assert getattr(check, "n_frames", 1) == 3

    photo = decode_photo(path)

    assert_close(pixel(photo.image, (16, 16)), RED, 2)


def test_multipage_tiff_gives_first_page(tmp_path: Path) -> None:
    path = tmp_path / "pages.tiff"
    first = Image.new("RGB", (64, 48), RED)
    first.save(path, save_all=True, append_images=[Image.new("RGB", (32, 32), GREEN)])
    with Image.open(path) as check:
        assert getattr(check, "n_frames", 1) == 2

    photo = decode_photo(path)

    assert photo.image.size == (64, 48)
    assert (photo.info.width, photo.info.height) == (64, 48)
    assert_close(pixel(photo.image, (10, 10)), RED, 0)


# --- JPEG draft and pixel limits -----------------------------------------------------------------------------------


def test_draft_reduces_large_jpeg_but_info_keeps_full_size(big_jpeg: Path) -> None:
    photo = decode_photo(big_jpeg, min_side=224)

    assert 224 <= min(photo.image.size) < 3000
    assert photo.image.size[0] > photo.image.size[1]
    assert (photo.info.width, photo.info.height) == (4000, 3000)
    assert_close(pixel(photo.image, (5, 5)), RED, 15)


def test_without_min_side_jpeg_decodes_at_full_size(big_jpeg: Path) -> None:
    photo = decode_photo(big_jpeg)

    assert photo.image.size == (4000, 3000)


def test_pixel_limit_counts_pixels_after_draft(big_jpeg: Path) -> None:
    assert decode_error(big_jpeg, max_pixels=1_000_000).reason == "too_many_pixels"

    photo = decode_photo(big_jpeg, min_side=224, max_pixels=1_000_000)

    assert photo.image.width * photo.image.height <= 1_000_000


def test_draft_with_orientation_reports_rotated_full_size(tmp_path: Path) -> None:
    path = tmp_path / "portrait.jpg"
    corner_image((1600, 800)).save(path, "JPEG", exif=exif_with({0x0112: 6}))

    photo = decode_photo(path, min_side=100)

    assert (photo.info.width, photo.info.height) == (800, 1600)
    assert photo.image.height > photo.image.width
    assert 100 <= min(photo.image.size) < 800


def test_too_many_pixels_with_small_limit(tmp_path: Path) -> None:
    path = tmp_path / "modest.png"
    Image.new("RGB", (100, 80), GREEN).save(path)

    error = decode_error(path, max_pixels=5_000)

    assert error.reason == "too_many_pixels"
    assert "100x80" in error.message
    assert "megapixels" in error.message


def test_huge_dimensions_refused_under_default_limit_without_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real, valid 30000x30000 one-bit PNG: 900 megapixels, but only half a megabyte on disk.
    side = 30000
    row = b"\x00" * (1 + side // 8)
    compressor = zlib.compressobj(1)
    idat = b"".join(compressor.compress(row * 500) for _ in range(side // 500)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    path = write(tmp_path / "bomb.png", data)
    with Image.open(path) as check:
        assert check.size == (side, side)
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels were decoded"))

    error = decode_error(path)

    assert side * side > DEFAULT_MAX_PIXELS
    assert error.reason == "too_many_pixels"
    assert "30000x30000" in error.message
    assert "900.0 megapixels" in error.message


# --- memory: the decode budget, early reduction, headers a file cannot back up -------------------------------------


class RecordingBudget(MemoryBudget):
    """The real budget, remembering what each decode reserved."""

    def __init__(self, total: int) -> None:
        super().__init__(total, trim=lambda: None)
        self.reserved: list[int] = []

    @contextlib.contextmanager
    def reserve(self, nbytes: int, *, what: str = "this") -> Iterator[None]:
        self.reserved.append(nbytes)
        with super().reserve(nbytes, what=what):
            yield


def noisy_rgba(size: tuple[int, int], seed: int = 1) -> Image.Image:
    values = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 4), dtype=np.uint8)
    return Image.fromarray(values, "RGBA")


def test_each_decode_reserves_its_peak_from_the_shared_budget_and_gives_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.png"
    Image.new("RGBA", (2000, 1500), (10, 200, 10, 255)).save(path)
    budget = RecordingBudget(1 << 30)
    monkeypatch.setattr(imaging, "DECODE_MEMORY", budget)

    decode_photo(path, min_side=224)
    decode_photo(path)

    reduced, full = budget.reserved
    assert 2000 * 1500 * 4 <= reduced < 2000 * 1500 * 5  # the pixels, and small copies once reduced
    assert full >= 2000 * 1500 * 12  # at full size every copy (RGB, white page) is as big as the picture
    assert budget.free == budget.total


def test_a_decode_bigger_than_the_whole_budget_is_refused_before_any_pixel_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.png"
    Image.new("RGBA", (2000, 1500), (10, 200, 10, 255)).save(path)
    monkeypatch.setattr(imaging, "DECODE_MEMORY", MemoryBudget(8 << 20, trim=lambda: None))
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels were decoded"))

    error = decode_error(path, min_side=224)

    assert error.reason == "too_many_pixels"
    assert "2000x1500" in error.message and "GB" in error.message
    assert imaging.DECODE_MEMORY.free == 8 << 20


def test_decode_bytes_needed_counts_the_pixels_and_the_copies() -> None:
    side = 14100
    assert imaging.decode_bytes_needed("RGBA", (side, side), 224) < side * side * 4.01
    assert imaging.decode_bytes_needed("RGBA", (side, side)) == side * side * 16
    assert imaging.decode_bytes_needed("L", (1000, 1000), 224) < imaging.decode_bytes_needed("RGB", (1000, 1000), 224)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA"])
def test_reduction_band_by_band_gives_what_pillow_gives_for_the_whole(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = noisy_rgba((1003, 701)).convert(mode)  # sizes no factor divides: edge blocks are partial
    monkeypatch.setattr(imaging, "_BAND_BYTES", 1003 * 4 * 3 * 5)  # bands of 15 rows: many of them

    reduced = imaging._reduced(image, min_side=224)

    assert reduced.mode == mode and reduced.size == (335, 234)  # factor 3, rounded up
    assert reduced.tobytes() == image.reduce(3).tobytes()


def test_a_large_rgba_image_is_reduced_without_a_second_full_size_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pillow's reduce() converts a whole RGBA image to premultiplied alpha first: a copy as big as the picture."""
    image = noisy_rgba((2400, 1800))
    converted: list[tuple[int, int]] = []
    original_convert = Image.Image.convert

    def convert(self: Image.Image, mode: str | None = None, *args: Any, **kwargs: Any) -> Image.Image:
        converted.append(self.size)
        return original_convert(self, mode, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "convert", convert)
    reduced = imaging._reduced(image, min_side=224)

    assert reduced.size == (300, 225)  # factor 8
    assert converted and max(w * h for w, h in converted) <= 2400 * 1800 // 2  # bands only, never the whole


def test_palette_and_colour_keyed_images_are_reduced_in_colour_not_by_index(tmp_path: Path) -> None:
    palette = Image.new("P", (1200, 900), 1)
    palette.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    palette.paste(0, (0, 0, 600, 900))  # left half red, right half blue, red transparent
    path = tmp_path / "logo.png"
    palette.save(path, transparency=0)

    photo = decode_photo(path, min_side=224)

    assert photo.image.size == (300, 225)  # reduced (palette images used to stay full size)
    assert_close(pixel(photo.image, (10, 100)), WHITE, 0)  # transparent red on white
    assert_close(pixel(photo.image, (290, 100)), BLUE, 0)  # averaged colours, not averaged palette indices


def test_deep_grey_is_reduced_and_keeps_its_levels(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    Image.fromarray(np.full((900, 1200), 40000, dtype=np.uint16)).save(path)

    photo = decode_photo(path, min_side=224)

    assert photo.image.size == (300, 225)
    assert pixel(photo.image, (100, 100)) == (40000 >> 8,) * 3


def forged_jpeg(width: int, height: int) -> bytes:
    """A valid 16x16 JPEG whose frame header claims width x height (libjpeg would fill the rest with grey)."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), RED).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    frame = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, frame + 5, height, width)
    return bytes(data)


def test_a_file_far_too_small_for_its_header_is_refused_as_truncated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "forged.jpg", forged_jpeg(65500, 65500))
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels were decoded"))

    error = decode_error(path, min_side=224)

    assert error.reason == "truncated"
    assert "65500x65500" in error.message and f"{path.stat().st_size:,} bytes" in error.message


def test_small_files_with_honest_headers_are_not_taken_for_forgeries(tmp_path: Path) -> None:
    """A flat picture is the most a real file can compress; the check leaves a wide margin below it."""
    flat_png = tmp_path / "flat.png"
    Image.new("1", (4000, 3000), 1).save(flat_png, optimize=True)
    flat_jpeg = tmp_path / "flat.jpg"
    Image.new("L", (4000, 3000), 128).save(flat_jpeg, quality=1, optimize=True, progressive=True)
    small = write(tmp_path / "small.jpg", forged_jpeg(256, 256))  # 16x16 of data claiming 256x256: 64 KB

    for path in (flat_png, flat_jpeg, small):
        assert min(decode_photo(path, min_side=224).image.size) >= 224, path.name


# --- orientation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "size", "corner"),
    [
        (1, (60, 30), "top-left"),
        (3, (60, 30), "bottom-right"),
        (6, (30, 60), "top-right"),
        (8, (30, 60), "bottom-left"),
    ],
)
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int, size: tuple[int, int], corner: str) -> None:
    path = tmp_path / f"orientation{orientation}.jpg"
    corner_image().save(path, "JPEG", quality=95, exif=exif_with({0x0112: orientation}))
    before = path.read_bytes()

    photo = decode_photo(path)

    assert photo.image.size == size
    assert (photo.info.width, photo.info.height) == size
    assert red_corner(photo.image) == corner
    assert path.read_bytes() == before  # Photos are never written to.


@pytest.mark.parametrize("orientation", range(1, 9))
def test_all_orientations_match_pillow_exif_transpose(tmp_path: Path, orientation: int) -> None:
    path = tmp_path / f"o{orientation}.png"
    noise = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    Image.fromarray(noise).save(path, exif=exif_with({0x0112: orientation}))
    with Image.open(path) as original:
        expected = np.asarray(ImageOps.exif_transpose(original).convert("RGB"))

    photo = decode_photo(path)

    np.testing.assert_array_equal(np.asarray(photo.image), expected)
    assert (photo.info.width, photo.info.height) == photo.image.size


def test_invalid_orientation_value_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "odd.jpg"
    corner_image().save(path, "JPEG", quality=95, exif=exif_with({0x0112: 42}))

    photo = decode_photo(path)

    assert photo.image.size == (60, 30)
    assert red_corner(photo.image) == "top-left"


# --- EXIF metadata -------------------------------------------------------------------------------------------------


def test_taken_at_and_camera_from_exif(tmp_path: Path) -> None:
    path = tmp_path / "exif.jpg"
    exif = exif_with(
        {0x010F: "Canon", 0x0110: "Canon EOS 5D", 0x0132: "2022:01:01 00:00:00"},
        {0x9003: "2021:07:04 15:30:09", 0x9004: "2021:07:05 10:00:00"},
    )
    Image.new("RGB", (16, 16), GREEN).save(path, "JPEG", exif=exif)

    info = decode_photo(path).info

    assert info.taken_at == "2021-07-04T15:30:09"
    assert info.camera == "Canon EOS 5D"


@pytest.mark.parametrize(
    ("tags", "exif_ifd", "expected"),
    [
        ({0x0132: "2019:12:31 23:59:58"}, {}, "2019-12-31T23:59:58"),
        ({}, {0x9004: "2018:02:03 04:05:06"}, "2018-02-03T04:05:06"),
        ({0x0132: "2017:01:01 12:00:00"}, {0x9003: "0000:00:00 00:00:00"}, "2017-01-01T12:00:00"),
        ({}, {0x9003: "0000:00:00 00:00:00"}, None),
        ({}, {0x9003: "    :  :     :  :  "}, None),
        ({0x0132: "2020:13:45 10:00:00"}, {}, None),
        ({0x010F: "Canon"}, {}, None),
    ],
)
def test_taken_at_fallbacks_and_invalid_dates(
    tmp_path: Path, tags: dict[int, Any], exif_ifd: dict[int, Any], expected: str | None
) -> None:
    path = tmp_path / "date.jpg"
    Image.new("RGB", (16, 16), GREEN).save(path, "JPEG", exif=exif_with(tags, exif_ifd))

    assert decode_photo(path).info.taken_at == expected


@pytest.mark.parametrize(
    ("make", "model", "expected"),
    [
        ("Canon\x00\x00", "Canon EOS 5D\x00", "Canon EOS 5D"),
        ("NIKON CORPORATION", "NIKON D750", "NIKON D750"),
        ("FUJIFILM ", " X-T3", "FUJIFILM X-T3"),
        (None, "Pixel 7", "Pixel 7"),
        ("Apple", None, "Apple"),
        ("  \x00", "  ", None),
    ],
)
def test_camera_name_is_cleaned(tmp_path: Path, make: str | None, model: str | None, expected: str | None) -> None:
    tags = {tag: value for tag, value in ((0x010F, make), (0x0110, model)) if value is not None}
    path = tmp_path / "camera.jpg"
    Image.new("RGB", (16, 16), GREEN).save(path, "JPEG", exif=exif_with(tags))

    assert decode_photo(path).info.camera == expected


# --- colour modes --------------------------------------------------------------------------------------------------


def test_cmyk_jpeg_keeps_its_colour(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (32, 32), (0, 255, 255, 0)).save(path, "JPEG", quality=95)
    with Image.open(path) as check:
        assert check.mode == "CMYK"

    photo = decode_photo(path)

    assert photo.image.mode == "RGB"
    assert_close(pixel(photo.image, (16, 16)), RED, 20)


def test_16bit_grayscale_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    path = tmp_path / "grey16.png"
    values = np.full((8, 12), 32768, dtype=np.uint16)
    values[0, 0] = 0
    values[0, 1] = 65535
    Image.fromarray(values).save(path)
    with Image.open(path) as check:
        assert check.mode == "I;16"

    photo = decode_photo(path)

    assert_close(pixel(photo.image, (5, 5)), GREY, 1)
    assert pixel(photo.image, (0, 0)) == (0, 0, 0)
    assert pixel(photo.image, (1, 0)) == WHITE


def test_16bit_big_endian_grayscale_tiff_is_scaled(tmp_path: Path) -> None:
    values = np.full((4, 6), 32768, dtype=">u2")
    path = write(tmp_path / "grey16be.tif", tiff_bytes(6, 4, 1, 1, values, ">"))
    with Image.open(path) as check:
        assert check.mode == "I;16B"

    assert_close(pixel(decode_photo(path).image, (2, 2)), GREY, 1)


def test_16bit_rgb_png_comes_out_as_8bit_rgb(tmp_path: Path) -> None:
    values = np.zeros((4, 6, 3), dtype=">u2")
    values[..., 0], values[..., 1], values[..., 2] = 65535, 32768, 256
    path = write(tmp_path / "rgb16.png", png_bytes(6, 4, 16, 2, [row.tobytes() for row in values]))

    photo = decode_photo(path)

    assert pixel(photo.image, (3, 2)) == (255, 128, 1)


def test_16bit_rgba_png_comes_out_as_8bit_rgb_on_white(tmp_path: Path) -> None:
    values = np.zeros((4, 6, 4), dtype=">u2")
    values[..., 0], values[..., 3] = 65535, 0
    values[:, 3:, 3] = 65535
    path = write(tmp_path / "rgba16.png", png_bytes(6, 4, 16, 6, [row.tobytes() for row in values]))

    photo = decode_photo(path)

    assert pixel(photo.image, (1, 1)) == WHITE
    assert pixel(photo.image, (4, 1)) == RED


@pytest.mark.parametrize("endian", ["<", ">"])
def test_16bit_rgb_tiff_comes_out_as_8bit_rgb(tmp_path: Path, endian: str) -> None:
    values = np.zeros((4, 6, 3), dtype=f"{endian}u2")
    values[..., 0], values[..., 1], values[..., 2] = 65535, 32768, 256
    path = write(tmp_path / "rgb16.tif", tiff_bytes(6, 4, 3, 2, values, endian))

    photo = decode_photo(path)

    assert photo.info.file_type == "tiff"
    assert pixel(photo.image, (3, 2)) == (255, 128, 1)


def test_palette_png_transparency_becomes_white(tmp_path: Path) -> None:
    path = tmp_path / "palette.png"
    image = Image.new("P", (20, 10), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (10, 0, 20, 10))
    image.save(path, transparency=0)
    with Image.open(path) as check:
        assert check.mode == "P"
        assert "transparency" in check.info

    photo = decode_photo(path)

    assert pixel(photo.image, (3, 5)) == WHITE
    assert pixel(photo.image, (15, 5)) == BLUE


def test_rgba_alpha_composites_onto_white(tmp_path: Path) -> None:
    path = tmp_path / "alpha.png"
    image = Image.new("RGBA", (30, 10), (255, 0, 0, 0))
    image.paste((0, 255, 0, 255), (10, 0, 20, 10))
    image.paste((0, 0, 0, 128), (20, 0, 30, 10))
    image.save(path)

    photo = decode_photo(path)

    assert pixel(photo.image, (5, 5)) == WHITE
    assert pixel(photo.image, (15, 5)) == GREEN
    assert_close(pixel(photo.image, (25, 5)), (127, 127, 127), 2)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (Image.new("L", (2, 2), 77), (77, 77, 77)),
        (Image.new("1", (2, 2), 1), WHITE),
        (Image.new("LA", (2, 2), (0, 0)), WHITE),
        (Image.new("La", (2, 2), (100, 255)), (100, 100, 100)),
        (Image.new("RGBa", (2, 2), (0, 0, 0, 0)), WHITE),
        (Image.new("PA", (2, 2), (0, 0)), WHITE),
        (Image.new("RGBX", (2, 2), (1, 2, 3, 0)), (1, 2, 3)),
        (Image.new("HSV", (2, 2), (0, 255, 255)), RED),
        (Image.new("YCbCr", (2, 2), (255, 128, 128)), WHITE),
        (Image.new("I;16", (2, 2), 65535), WHITE),
        (Image.new("I;16B", (2, 2), 32768), (128, 128, 128)),
        (Image.new("I", (2, 2), 32768), (128, 128, 128)),
        (Image.new("F", (2, 2), 0.5), (128, 128, 128)),
        (Image.new("F", (2, 2), 1.0), WHITE),
    ],
    ids=lambda value: value.mode if isinstance(value, Image.Image) else str(value),
)
def test_to_rgb_modes(image: Image.Image, expected: tuple[int, int, int]) -> None:
    converted = to_rgb(image)

    assert converted.mode == "RGB"
    assert converted.size == image.size
    assert_close(pixel(converted, (1, 1)), expected, 1)


def test_to_rgb_stretches_wide_integer_and_float_ranges() -> None:
    wide = Image.fromarray(np.array([[0, 500_000, 1_000_000]], dtype=np.int32))
    assert wide.mode == "I"
    assert_close(tuple(pixel(to_rgb(wide), (x, 0))[0] for x in range(3)), (0, 128, 255), 1)

    floats = Image.fromarray(np.array([[-2.0, 0.0, 2.0, np.nan]], dtype=np.float32))
    assert floats.mode == "F"
    assert [pixel(to_rgb(floats), (x, 0))[0] for x in range(4)] == [0, 128, 255, 0]


def test_to_rgb_returns_rgb_unchanged() -> None:
    image = Image.new("RGB", (3, 3), BLUE)

    assert to_rgb(image) is image


# --- failures ------------------------------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    error = decode_error(write(tmp_path / "empty.jpg", b""))

    assert error.reason == "empty"
    assert "0 bytes" in error.message


def test_text_file_named_jpg(tmp_path: Path) -> None:
    error = decode_error(write(tmp_path / "notes.jpg", b"shopping list: milk, eggs\n" * 20))

    assert error.reason == "not_an_image"
    assert "Not an image" in error.message


def test_truncated_jpeg(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()

    error = decode_error(write(tmp_path / "cut.jpg", data[: len(data) // 2]))

    assert error.reason == "truncated"
    assert "truncated" in error.message


def test_damaged_header_of_known_format_is_corrupt(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + b"\xff" * 40)

    error = decode_error(path)

    assert error.reason == "corrupt"
    assert "PNG" in error.message


def test_unexpected_library_exception_becomes_decode_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "fine.png"
    Image.new("RGB", (4, 4)).save(path)

    def explode(*args: Any, **kwargs: Any) -> Image.Image:
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(Image, "open", explode)

    error = decode_error(path)

    assert error.reason == "corrupt"
    assert "decoder exploded" in error.message
    assert isinstance(error.__cause__, RuntimeError)


def test_too_large_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.png"
    Image.new("RGB", (16, 16)).save(path)

    error = decode_error(path, max_bytes=10)

    assert error.reason == "too_large_file"
    assert DEFAULT_MAX_BYTES == 1 << 30


def test_missing_file(tmp_path: Path) -> None:
    assert decode_error(tmp_path / "gone.jpg").reason == "missing"


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "album.jpg"
    folder.mkdir()

    assert decode_error(folder).reason == "is_directory"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.jpg"
    os.mkfifo(pipe)

    assert decode_error(pipe).reason == "unreadable"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read files without permission")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.png"
    Image.new("RGB", (4, 4)).save(path)
    path.chmod(0)
    try:
        error = decode_error(path)
    finally:
        path.chmod(0o644)

    assert error.reason == "unreadable"


@pytest.mark.skipif(importlib.util.find_spec("pillow_heif") is not None, reason="pillow_heif is installed")
def test_heic_without_pillow_heif_is_unsupported(tmp_path: Path) -> None:
    header = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    path = write(tmp_path / "IMG_0001.HEIC", header + b"\x00" * 200)

    error = decode_error(path)

    assert error.reason == "unsupported"
    assert "pip install pillow-heif" in error.message


@pytest.mark.skipif(importlib.util.find_spec("rawpy") is not None, reason="rawpy is installed")
def test_raw_without_rawpy_is_unsupported(tmp_path: Path) -> None:
    path = write(tmp_path / "IMG_0001.CR2", b"II*\x00\x10\x00\x00\x00CR\x02\x00" + b"\x00" * 200)

    error = decode_error(path)

    assert error.reason == "unsupported"
    assert "pip install rawpy" in error.message


def test_supported_suffixes() -> None:
    assert {".jpg", ".jpeg", ".png", ".heic", ".cr2", ".dng", ".avif"} <= SUPPORTED_SUFFIXES
    assert all(suffix == suffix.lower() and suffix.startswith(".") for suffix in SUPPORTED_SUFFIXES)


# --- RAW through a stand-in rawpy ----------------------------------------------------------------------------------


class FakeThumbFormat(enum.Enum):
    JPEG = 1
    BITMAP = 2


class FakeRaw:
    def __init__(self, owner: FakeRawpy, source: io.BytesIO) -> None:
        self.owner = owner
        owner.read_bytes = source.read()
        self.sizes = types.SimpleNamespace(width=600, height=400, flip=owner.flip)

    def __enter__(self) -> FakeRaw:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def extract_thumb(self) -> types.SimpleNamespace:
        if self.owner.thumb is None:
            raise self.owner.module.LibRawNoThumbnailError("no thumbnail")
        return types.SimpleNamespace(format=FakeThumbFormat.JPEG, data=self.owner.thumb)

    def postprocess(self, **kwargs: Any) -> np.ndarray:
        self.owner.postprocess_kwargs = kwargs
        pixels = np.zeros((200, 300, 3), dtype=np.uint8)
        pixels[..., 2] = 255
        return pixels


class FakeRawpy:
    """Just the parts of rawpy's API that imaging uses, so the RAW path runs without LibRaw."""

    def __init__(self) -> None:
        self.flip = 0
        self.thumb: bytes | None = None
        self.read_bytes: bytes | None = None
        self.postprocess_kwargs: dict[str, Any] | None = None
        module = types.ModuleType("rawpy")
        error = type("LibRawError", (Exception,), {})
        module.LibRawError = error  # type: ignore[attr-defined]
        module.LibRawNoThumbnailError = type("LibRawNoThumbnailError", (error,), {})  # type: ignore[attr-defined]
        module.LibRawUnsupportedThumbnailError = type("LibRawUnsupportedThumbnailError", (error,), {})  # type: ignore[attr-defined]
        module.ThumbFormat = FakeThumbFormat  # type: ignore[attr-defined]
        module.imread = lambda source: FakeRaw(self, source)  # type: ignore[attr-defined]
        self.module = module


@pytest.fixture
def fake_rawpy(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRawpy]:
    fake = FakeRawpy()
    monkeypatch.setitem(sys.modules, "rawpy", fake.module)
    imaging._rawpy_module.cache_clear()
    yield fake
    imaging._rawpy_module.cache_clear()


def raw_container(tmp_path: Path, name: str) -> Path:
    """A TIFF with camera EXIF standing in for a TIFF-based RAW file."""
    path = tmp_path / name
    exif = exif_with({0x010F: "Canon", 0x0110: "Canon EOS R5", 0x0132: "2023:05:06 07:08:09"})
    Image.new("RGB", (8, 8)).save(path, "TIFF", exif=exif)
    return path


def test_raw_uses_embedded_jpeg_and_libraw_rotation(tmp_path: Path, fake_rawpy: FakeRawpy) -> None:
    preview = io.BytesIO()
    corner_image((60, 40)).save(preview, "JPEG", quality=95)
    fake_rawpy.thumb = preview.getvalue()
    fake_rawpy.flip = 6
    path = raw_container(tmp_path, "IMG_0002.CR2")

    photo = decode_photo(path)

    assert fake_rawpy.read_bytes == path.read_bytes()
    assert fake_rawpy.postprocess_kwargs is None
    assert photo.image.size == (40, 60)
    assert red_corner(photo.image) == "top-right"
    assert (photo.info.width, photo.info.height) == (400, 600)
    assert photo.info.file_type == "cr2"
    assert photo.info.camera == "Canon EOS R5"
    assert photo.info.taken_at == "2023-05-06T07:08:09"


def test_raw_preview_with_its_own_orientation_wins_over_flip(tmp_path: Path, fake_rawpy: FakeRawpy) -> None:
    preview = io.BytesIO()
    corner_image((60, 40)).save(preview, "JPEG", quality=95, exif=exif_with({0x0112: 8}))
    fake_rawpy.thumb = preview.getvalue()
    fake_rawpy.flip = 0
    path = raw_container(tmp_path, "IMG_0005.ARW")

    photo = decode_photo(path)

    assert photo.image.size == (40, 60)
    assert red_corner(photo.image) == "bottom-left"
    assert (photo.info.width, photo.info.height) == (400, 600)


def test_raw_without_preview_is_rendered_at_half_size(tmp_path: Path, fake_rawpy: FakeRawpy) -> None:
    path = raw_container(tmp_path, "IMG_0003.NEF")

    photo = decode_photo(path)

    assert fake_rawpy.postprocess_kwargs is not None
    assert fake_rawpy.postprocess_kwargs.get("half_size") is True
    assert photo.image.size == (300, 200)
    assert pixel(photo.image, (10, 10)) == BLUE
    assert (photo.info.width, photo.info.height) == (600, 400)


def test_raw_without_preview_respects_pixel_limit(tmp_path: Path, fake_rawpy: FakeRawpy) -> None:
    path = raw_container(tmp_path, "IMG_0004.DNG")

    assert decode_error(path, max_pixels=1000).reason == "too_many_pixels"
    assert fake_rawpy.postprocess_kwargs is None


# --- hashing, try_decode, thumbnails -------------------------------------------------------------------------------


def test_hashes_agree(tmp_path: Path) -> None:
    data = np.random.default_rng(7).bytes((5 << 20) // 2)  # Spans several hash_file chunks.
    path = write(tmp_path / "blob.bin", data)
    reference = hashlib.blake2b(data, digest_size=16).hexdigest()

    assert content_hash(data) == reference
    assert hash_file(path) == reference
    assert len(reference) == 32


def test_decode_hash_matches_hash_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    two_colour_image().save(path)

    assert decode_photo(path).content_hash == hash_file(path)


def test_try_decode_returns_error_instead_of_raising(tmp_path: Path) -> None:
    result = try_decode(tmp_path / "nothing.jpg")

    assert isinstance(result, DecodeError)
    assert result.reason == "missing"


def test_try_decode_passes_options_and_returns_photo(big_jpeg: Path) -> None:
    result = try_decode(big_jpeg, min_side=300)

    assert isinstance(result, DecodedPhoto)
    assert 300 <= min(result.image.size) < 3000


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [((400, 100), 64, (64, 16)), ((90, 300), 100, (30, 100)), ((50, 40), 64, (50, 40)), ((1000, 1), 10, (10, 1))],
)
def test_make_thumbnail_keeps_aspect_ratio(size: tuple[int, int], max_side: int, expected: tuple[int, int]) -> None:
    image = Image.new("RGBA", size, (0, 0, 255, 255))

    thumbnail = make_thumbnail(image, max_side)

    assert thumbnail.mode == "RGB"
    assert thumbnail.size == expected
    assert image.size == size
    assert_close(pixel(thumbnail, (0, 0)), BLUE, 2)


def test_make_thumbnail_does_not_alias_rgb_input() -> None:
    image = Image.new("RGB", (10, 10), RED)

    thumbnail = make_thumbnail(image, 64)
    thumbnail.putpixel((0, 0), GREEN)

    assert pixel(image, (0, 0)) == RED


def test_multi_picture_jpeg_counts_as_jpeg(tmp_path: Path) -> None:
    """Phones write MPO (a JPEG with a second picture); filters by type must still see a JPEG."""
    path = tmp_path / "phone.jpg"
    first, second = Image.new("RGB", (64, 48), (200, 10, 10)), Image.new("RGB", (64, 48), (10, 10, 200))
    first.save(path, "MPO", save_all=True, append_images=[second])
    with Image.open(path) as check:
        assert check.format == "MPO"
    decoded = decode_photo(path)
    assert decoded.info.file_type == "jpeg"
    assert decoded.image.getpixel((32, 24))[0] > 150  # the first picture
