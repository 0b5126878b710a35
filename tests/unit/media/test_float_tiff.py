"""Floating-point TIFFs Pillow cannot open (64-bit and 16-bit floats, float colour) decode, or say the true reason.

The files come from independent writers: tifffile (uncompressed, Deflate, tiles,
separate planes, both byte orders, several pages) and libtiff's LZW encoder through
Pillow for the LZW + floating-point predictor files Photoshop and ImageMagick write.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from photoclip.core import DecodeError, decode_photo
from photoclip.core.media.float_tiff import float_tiff_layout, lzw_decode, read_float_tiff


def ramp(height: int = 24, width: int = 32) -> np.ndarray:
    return np.linspace(0.0, 1.0, height * width).reshape(height, width)


def expected_gray(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values * 255), 0, 255).astype(np.uint8)


def test_a_multipage_float64_tiff_decodes_its_first_page(tmp_path: Path) -> None:
    """Bug 8: ImageMagick reads it; photoclip said "header is damaged or cut off"."""
    first, second = ramp(), ramp()[::-1] * 0.25
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, first.astype(np.float64))
    tifffile.imwrite(path, second.astype(np.float64), append=True)
    assert len(tifffile.TiffFile(path).pages) == 2

    photo = decode_photo(path)

    assert photo.image.mode == "RGB" and photo.image.size == (32, 24)
    assert photo.info.file_type == "tiff" and (photo.info.width, photo.info.height) == (32, 24)
    pixels = np.asarray(photo.image)
    assert np.array_equal(pixels[..., 0], expected_gray(first)), "the first page, 0..1 mapped to 0..255"
    assert np.array_equal(pixels[..., 0], pixels[..., 2])


@pytest.mark.parametrize(
    "options",
    [
        {"compression": "zlib"},
        {"tile": (16, 16)},
        {"byteorder": ">"},
        {"compression": "zlib", "tile": (16, 16), "byteorder": ">"},
    ],
    ids=["deflate", "tiles", "big-endian", "all-three"],
)
def test_float64_layouts_and_compressions(tmp_path: Path, options: dict[str, object]) -> None:
    values = ramp(40, 48)
    path = tmp_path / "float.tif"
    tifffile.imwrite(path, values, **options)
    assert np.array_equal(np.asarray(decode_photo(path).image)[..., 1], expected_gray(values))


@pytest.mark.parametrize("planar", ["contig", "separate"])
def test_float_colour_keeps_its_colours(tmp_path: Path, planar: str) -> None:
    rgb = np.zeros((20, 30, 3), dtype=np.float64)
    rgb[..., 0] = 1.0  # red
    rgb[10:, :, 2] = 0.5  # the lower half gains some blue
    path = tmp_path / "colour.tif"
    stored = rgb if planar == "contig" else rgb.transpose(2, 0, 1)  # separate planes: (samples, rows, columns)
    tifffile.imwrite(path, stored, photometric="rgb", planarconfig=planar)
    pixels = np.asarray(decode_photo(path).image)
    assert tuple(pixels[0, 0]) == (255, 0, 0)
    assert tuple(pixels[15, 0]) == (255, 0, 128)


def test_float16_and_float32_colour_are_read_too(tmp_path: Path) -> None:
    half = tmp_path / "half.tif"
    tifffile.imwrite(half, ramp().astype(np.float16))
    assert np.abs(np.asarray(decode_photo(half).image)[..., 0].astype(int) - expected_gray(ramp())).max() <= 1
    colour = tmp_path / "rgb32.tif"
    tifffile.imwrite(colour, np.full((8, 8, 3), 0.2, dtype=np.float32), photometric="rgb")
    assert tuple(np.asarray(decode_photo(colour).image)[0, 0]) == (51, 51, 51)


def test_values_beyond_zero_to_one_are_stretched_and_nan_is_black(tmp_path: Path) -> None:
    values = np.array([[-1.0, 0.0, 3.0, np.nan]], dtype=np.float64)
    path = tmp_path / "hdr.tif"
    tifffile.imwrite(path, values)
    assert list(np.asarray(decode_photo(path).image)[0, :, 0]) == [0, 64, 255, 0]


def test_the_thumbnail_path_reduces_a_large_float_page(tmp_path: Path) -> None:
    path = tmp_path / "big.tif"
    tifffile.imwrite(path, ramp(600, 800))
    photo = decode_photo(path, min_side=100)
    assert (photo.info.width, photo.info.height) == (800, 600), "the real size is kept"
    assert min(photo.image.size) >= 100 and photo.image.size[0] <= 400


# --- LZW and the floating-point predictor (what Photoshop and ImageMagick write) ------------------------------------


def libtiff_lzw(data: bytes) -> bytes:
    """`data` compressed by libtiff's LZW encoder (Pillow saves an 8-bit strip with it)."""
    buffer = io.BytesIO()
    Image.frombytes("L", (len(data), 1), data).save(buffer, "TIFF", compression="tiff_lzw")
    with Image.open(io.BytesIO(buffer.getvalue())) as image:
        offset, count = image.tag_v2[273][0], image.tag_v2[279][0]
    return buffer.getvalue()[offset : offset + count]


def test_lzw_decoding_matches_libtiff() -> None:
    rng = np.random.default_rng(3)
    data = bytes(rng.integers(0, 7, size=20_000, dtype=np.uint8)) + bytes(range(256)) * 40  # long and short runs
    assert lzw_decode(libtiff_lzw(data), len(data)) == data


def float_predictor(values: np.ndarray, samples: int) -> bytes:
    """Encode rows with TIFF's floating-point predictor (Adobe TIFF Technical Note 3)."""
    rows = []
    for row in values.reshape(values.shape[0], -1):
        big = row.astype(f">f{row.dtype.itemsize}").view(np.uint8).reshape(-1, row.dtype.itemsize)
        shuffled = big.T.reshape(-1).astype(np.int16)  # byte planes, most significant first
        diff = shuffled.copy()
        diff[samples:] = shuffled[samples:] - shuffled[:-samples]
        rows.append((diff % 256).astype(np.uint8).tobytes())
    return b"".join(rows)


def hand_tiff(
    width: int, height: int, samples: int, bits: int, strip: bytes, compression: int, predictor: int
) -> bytes:
    """A one-strip little-endian TIFF with floating-point samples, written field by field."""
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, bits) if samples == 1 else (258, 3, samples, 0),
        (259, 3, 1, compression),
        (262, 3, 1, 2 if samples >= 3 else 1),
        (273, 4, 1, 0),
        (277, 3, 1, samples),
        (278, 4, 1, height),
        (279, 4, 1, len(strip)),
        (317, 3, 1, predictor),
        (339, 3, 1, 3) if samples == 1 else (339, 3, samples, 0),
    ]
    header_size = 8
    ifd_size = 2 + 12 * len(entries) + 4
    extra = header_size + ifd_size
    arrays = b""
    packed = []
    for tag, kind, count, value in entries:
        if count > 1:  # bits per sample and sample format for each channel, stored after the directory
            field = struct.pack(f"<{count}H", *([bits] * count if tag == 258 else [3] * count))
            value = extra + len(arrays)
            arrays += field
        packed.append((tag, kind, count, value))
    strip_offset = extra + len(arrays)
    directory = struct.pack("<H", len(packed))
    for tag, kind, count, value in packed:
        if tag == 273:
            value = strip_offset
        if kind == 3 and count == 1:
            directory += struct.pack("<HHIHH", tag, kind, count, value, 0)
        else:
            directory += struct.pack("<HHII", tag, kind, count, value)
    directory += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", header_size) + directory + arrays + strip


def test_lzw_with_the_floating_point_predictor_as_photoshop_writes_it(tmp_path: Path) -> None:
    rgb = np.stack([ramp(), ramp()[::-1], np.full((24, 32), 0.5)], axis=-1).astype(np.float32)
    strip = libtiff_lzw(float_predictor(rgb, samples=3))
    path = tmp_path / "photoshop.tif"
    path.write_bytes(hand_tiff(32, 24, 3, 32, strip, compression=5, predictor=3))
    pixels = np.asarray(decode_photo(path).image).astype(int)
    assert np.abs(pixels - expected_gray(rgb).astype(int)).max() <= 1


def test_deflate_with_the_predictor_on_64_bit_grey(tmp_path: Path) -> None:
    import zlib

    values = ramp()
    path = tmp_path / "imagemagick.tif"
    path.write_bytes(hand_tiff(32, 24, 1, 64, zlib.compress(float_predictor(values, 1)), compression=8, predictor=3))
    assert np.array_equal(np.asarray(decode_photo(path).image)[..., 0], expected_gray(values))


# --- the true reason when it cannot be read ---------------------------------------------------------------------------


def test_complex_samples_are_named_not_blamed_on_the_header(tmp_path: Path) -> None:
    path = tmp_path / "complex.tif"
    tifffile.imwrite(path, (ramp() + 1j * ramp()).astype(np.complex128))
    with pytest.raises(DecodeError) as error:
        decode_photo(path)
    assert error.value.reason == "unsupported"
    assert "complex" in error.value.message and "damaged" not in error.value.message


def test_a_cut_off_float_tiff_is_reported_as_truncated(tmp_path: Path) -> None:
    path = tmp_path / "cut.tif"
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, ramp(200, 200), metadata=None)
    data = buffer.getvalue()
    layout = float_tiff_layout(data)
    assert layout is not None
    cut = data[: layout.offsets[0] + 1000]  # the directory survives, most of the pixels do not
    path.write_bytes(cut)
    with pytest.raises(DecodeError) as error:
        decode_photo(path)
    assert error.value.reason == "truncated"


def test_a_layout_is_only_claimed_for_float_samples() -> None:
    buffer = io.BytesIO()
    Image.new("L", (4, 4)).save(buffer, "TIFF")
    assert float_tiff_layout(buffer.getvalue()) is None
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, ramp())
    layout = float_tiff_layout(buffer.getvalue())
    assert layout is not None and (layout.bits, layout.samples) == (64, 1)
    assert read_float_tiff(buffer.getvalue(), layout).size == (32, 24)
