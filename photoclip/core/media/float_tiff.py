"""TIFFs with floating-point samples that Pillow cannot open: 64-bit and 16-bit floats, and float colour.

Scientific cameras, HDR tools and ImageMagick (``-define quantum:format=floating-point
-depth 64``) write such files; Pillow opens only single-channel 32-bit floats and
reports the rest as unidentified, which used to reach people as "the header is damaged".
This module reads the first page (image file directory) of such a file with numpy:
strips or tiles, contiguous or separate planes, uncompressed, Deflate or LZW, without a
predictor or with the floating-point predictor (3) that ImageMagick and Photoshop use.

When a TIFF is valid but still cannot be read here (another compression, complex
samples, ...), :func:`tiff_problem` names the true reason instead of blaming the header.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image
from PIL.TiffImagePlugin import ImageFileDirectory_v2

from photoclip.core.errors import DecodeError
from photoclip.core.media.samples import float_to_8bit

__all__ = ["FloatTiff", "float_tiff_layout", "read_float_tiff", "tiff_problem"]

_FLOAT = 3
_SAMPLE_FORMATS = {
    1: "unsigned integer",
    2: "signed integer",
    3: "floating-point",
    4: "untyped",
    5: "complex integer",
    6: "complex floating-point",
}
_COMPRESSIONS = {
    1: "none",
    2: "CCITT",
    3: "CCITT fax 3",
    4: "CCITT fax 4",
    5: "LZW",
    6: "old-style JPEG",
    7: "JPEG",
    8: "Deflate",
    32773: "PackBits",
    32946: "Deflate",
    34887: "LERC",
    34925: "LZMA",
    50000: "Zstandard",
    50001: "WebP",
    50002: "JPEG XL",
}
_READABLE_COMPRESSIONS = frozenset({1, 5, 8, 32946})
_PHOTOMETRIC_MINISWHITE = 0
_PHOTOMETRIC_RGB = 2

# TIFF tags (baseline and extension) this reader looks at.
_WIDTH, _LENGTH, _BITS, _COMPRESSION, _PHOTOMETRIC = 256, 257, 258, 259, 262
_STRIP_OFFSETS, _SAMPLES, _ROWS_PER_STRIP, _STRIP_BYTES, _PLANAR = 273, 277, 278, 279, 284
_PREDICTOR, _TILE_WIDTH, _TILE_LENGTH, _TILE_OFFSETS, _TILE_BYTES = 317, 322, 323, 324, 325
_SAMPLE_FORMAT = 339


@dataclass(frozen=True)
class FloatTiff:
    """How the first page of a floating-point TIFF is laid out in the file."""

    width: int
    height: int
    samples: int  # per pixel: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA
    bits: int  # 16, 32 or 64
    big_endian: bool
    compression: int
    predictor: int
    planar: int  # 1 contiguous, 2 separate planes
    block_width: int  # a strip is a tile as wide as the image
    block_height: int
    offsets: tuple[int, ...]
    byte_counts: tuple[int, ...]
    min_is_white: bool

    @property
    def dtype(self) -> np.dtype[np.floating[npt.NBitBase]]:
        return np.dtype(f"{'>' if self.big_endian else '<'}f{self.bits // 8}")

    @property
    def decoded_bytes(self) -> int:
        return self.width * self.height * self.samples * self.bits // 8


def _first_directory(data: bytes) -> ImageFileDirectory_v2 | None:
    """The first image file directory of a TIFF (classic or BigTIFF), or None when it cannot be parsed."""
    try:
        directory = ImageFileDirectory_v2(data[:16] if data[2:4] in (b"+\x00", b"\x00+") else data[:8])
        stream = io.BytesIO(data)
        stream.seek(directory.next)
        directory.load(stream)
    except Exception:
        return None
    return directory


def _tuple(value: object) -> tuple[int, ...]:
    if isinstance(value, tuple):
        return tuple(int(v) for v in value)
    return (int(value),) if isinstance(value, int | float) else ()


def float_tiff_layout(data: bytes) -> FloatTiff | None:
    """The first page's layout when it holds floating-point samples this module reads; None otherwise."""
    directory = _first_directory(data)
    if directory is None:
        return None
    formats = _tuple(directory.get(_SAMPLE_FORMAT, (1,)))
    bits = _tuple(directory.get(_BITS, (1,)))
    if not formats or any(f != _FLOAT for f in formats) or len(set(bits)) != 1 or bits[0] not in (16, 32, 64):
        return None
    samples = int(directory.get(_SAMPLES, 1))
    compression = int(directory.get(_COMPRESSION, 1))
    predictor = int(directory.get(_PREDICTOR, 1))
    if samples not in (1, 2, 3, 4) or compression not in _READABLE_COMPRESSIONS or predictor not in (1, 3):
        return None
    width, height = int(directory.get(_WIDTH, 0)), int(directory.get(_LENGTH, 0))
    if _TILE_OFFSETS in directory:
        block = (int(directory.get(_TILE_WIDTH, 0)), int(directory.get(_TILE_LENGTH, 0)))
        offsets, counts = _tuple(directory[_TILE_OFFSETS]), _tuple(directory.get(_TILE_BYTES, ()))
    else:
        block = (width, min(height, int(directory.get(_ROWS_PER_STRIP, height)) or height))
        offsets, counts = _tuple(directory.get(_STRIP_OFFSETS, ())), _tuple(directory.get(_STRIP_BYTES, ()))
    if width < 1 or height < 1 or block[0] < 1 or block[1] < 1 or not offsets or len(offsets) != len(counts):
        return None
    return FloatTiff(
        width=width,
        height=height,
        samples=samples,
        bits=bits[0],
        big_endian=data.startswith(b"MM"),
        compression=compression,
        predictor=predictor,
        planar=int(directory.get(_PLANAR, 1)),
        block_width=block[0],
        block_height=block[1],
        offsets=offsets,
        byte_counts=counts,
        min_is_white=int(directory.get(_PHOTOMETRIC, 1)) == _PHOTOMETRIC_MINISWHITE,
    )


def tiff_problem(data: bytes) -> str | None:
    """Why a TIFF that Pillow cannot open cannot be read at all, from its first directory (None: no idea)."""
    directory = _first_directory(data)
    if directory is None:
        return None
    formats = _tuple(directory.get(_SAMPLE_FORMAT, (1,)))
    bits = _tuple(directory.get(_BITS, (1,)))
    samples = int(directory.get(_SAMPLES, 1))
    compression = int(directory.get(_COMPRESSION, 1))
    kind = _SAMPLE_FORMATS.get(formats[0] if formats else 1, "unknown")
    depth = f"{bits[0]}-bit {kind}" if bits else kind
    if compression not in _READABLE_COMPRESSIONS and compression in _COMPRESSIONS:
        return (
            f"This TIFF stores {depth} samples compressed with {_COMPRESSIONS[compression]}, "
            "which photoclip cannot read."
        )
    if compression not in _COMPRESSIONS:
        return f"This TIFF uses an unknown compression (code {compression}), which photoclip cannot read."
    if int(directory.get(_PREDICTOR, 1)) not in (1, 3) and formats and formats[0] == _FLOAT:
        return "This TIFF's floating-point samples use a predictor photoclip cannot undo."
    channels = f"{samples} channel{'s' if samples != 1 else ''}"
    return f"This TIFF stores {channels} of {depth} samples, which photoclip cannot read."


def read_float_tiff(data: bytes, layout: FloatTiff) -> Image.Image:
    """The first page as an 8-bit image: grey ("L") or colour ("RGB"), transparency shown on white.

    Samples are scaled as `to_rgb` scales 32-bit float grey: 0..1 when every finite value lies in
    that range, otherwise min(0, darkest)..brightest; NaN is black, +inf white.
    Raises DecodeError for a cut-off or damaged file.
    """
    planes = _samples(data, layout)
    values = planes.astype(np.float32, copy=False)
    if layout.min_is_white and layout.samples <= 2:
        values[..., 0] = _invert(values[..., 0])
    colour = values[..., :3] if layout.samples >= 3 else values[..., :1]
    pixels = float_to_8bit(colour)  # all channels together, so colours keep their balance
    if layout.samples in (2, 4):  # an alpha channel: on a white page, like every transparent photo
        alpha = np.clip(np.nan_to_num(values[..., -1], nan=0.0), 0.0, 1.0)[..., None]
        pixels = np.rint(pixels * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    image = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    return image


def _invert(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    finite = np.isfinite(values)
    high = float(values[finite].max()) if finite.any() else 1.0
    top = 1.0 if high <= 1.0 else high
    inverted: npt.NDArray[np.float32] = (np.float32(top) - values).astype(np.float32)
    return inverted


def _samples(data: bytes, layout: FloatTiff) -> npt.NDArray[np.floating[npt.NBitBase]]:
    """All samples of the page as (height, width, samples) floats in the file's byte order."""
    per_block = layout.samples if layout.planar == 1 else 1
    across = -(-layout.width // layout.block_width)
    down = -(-layout.height // layout.block_height)
    planes = layout.samples if layout.planar == 2 else 1
    if len(layout.offsets) < across * down * planes:
        raise DecodeError("corrupt", "The TIFF lists fewer strips or tiles than its picture needs: it is damaged.")
    out = np.empty((layout.height, layout.width, layout.samples), dtype=layout.dtype)
    block_bytes = layout.block_width * layout.block_height * per_block * layout.bits // 8
    index = 0
    for plane in range(planes):
        for row in range(down):
            for column in range(across):
                raw = _block(data, layout, index, block_bytes)
                index += 1
                block = raw.reshape(-1, layout.block_width, per_block)
                top, left = row * layout.block_height, column * layout.block_width
                rows = min(layout.block_height, layout.height - top, len(block))
                cols = min(layout.block_width, layout.width - left)
                target = slice(plane, plane + 1) if layout.planar == 2 else slice(None)
                out[top : top + rows, left : left + cols, target] = block[:rows, :cols]
    return out


def _block(data: bytes, layout: FloatTiff, index: int, block_bytes: int) -> npt.NDArray[np.floating[npt.NBitBase]]:
    """One strip or tile, decompressed and with its predictor undone, as floats."""
    start, count = layout.offsets[index], layout.byte_counts[index]
    if start + count > len(data):
        raise DecodeError("truncated", "The image data is cut off (truncated file).")
    stored = data[start : start + count]
    if layout.compression in (8, 32946):
        try:
            raw = zlib.decompress(stored)
        except zlib.error as e:
            raise DecodeError("corrupt", f"The image data is damaged and cannot be decoded ({e}).") from e
    elif layout.compression == 5:
        raw = lzw_decode(stored, block_bytes)
    else:
        raw = stored
    item = layout.bits // 8
    per_block = layout.samples if layout.planar == 1 else 1
    row_samples = layout.block_width * per_block
    whole_rows = len(raw) // (row_samples * item)
    if whole_rows == 0:
        raise DecodeError("truncated", "The image data is cut off (truncated file).")
    raw = raw[: whole_rows * row_samples * item]
    if layout.predictor == 3:
        return _undo_float_predictor(raw, row_samples, per_block, item)
    return np.frombuffer(raw, dtype=layout.dtype)


def _undo_float_predictor(
    raw: bytes, row_samples: int, stride: int, item: int
) -> npt.NDArray[np.floating[npt.NBitBase]]:
    """TIFF's floating-point predictor (Adobe Photoshop TIFF Technical Note 3), row by row.

    Each row's bytes were reordered into byte planes (most significant first) and then
    differenced byte by byte with a stride of one pixel; accumulate, then reorder back.
    """
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(-1, row_samples * item)
    summed = np.add.accumulate(rows.reshape(len(rows), -1, stride), axis=1, dtype=np.uint8).reshape(len(rows), -1)
    planes = summed.reshape(len(rows), item, row_samples).transpose(0, 2, 1)  # byte planes, most significant first
    values: npt.NDArray[np.floating[npt.NBitBase]] = (
        np.ascontiguousarray(planes).view(np.dtype(f">f{item}")).reshape(-1)
    )
    return values


def lzw_decode(data: bytes, expected: int) -> bytes:  # noqa: C901 - one tight loop: calls would halve its speed
    """TIFF's LZW (codes of 9 to 12 bits, most significant bit first, "early change"), up to `expected` bytes.

    Pure Python at about a million codes a second: fine for the rare LZW float TIFF, and
    no codec library to ship. A code right after a clear is always a literal, which keeps
    the common path free of checks.
    """
    table: list[bytes] = [bytes([i]) for i in range(256)] + [b"", b""]
    out: list[bytes] = []
    padded = data + b"\x00\x00\x00"
    total_bits = len(data) * 8
    position, width, mask, limit, size = 0, 9, 511, 511, 258
    previous = b""
    while position + width <= total_bits:
        byte = position >> 3
        code = (
            ((padded[byte] << 16) | (padded[byte + 1] << 8) | padded[byte + 2]) >> (24 - (position & 7) - width)
        ) & mask
        position += width
        if code == 256 or not previous:  # clear (or the stream's first code): the next code is a literal
            if code == 256:
                del table[258:]
                position_ok = position + 9 <= total_bits
                width, mask, limit, size = 9, 511, 511, 258
                if not position_ok:
                    break
                byte = position >> 3
                code = (
                    ((padded[byte] << 16) | (padded[byte + 1] << 8) | padded[byte + 2]) >> (15 - (position & 7))
                ) & 511
                position += 9
            if code == 257:
                break
            if code > 255:
                raise DecodeError("corrupt", "The image data is damaged and cannot be decoded (bad LZW code).")
            previous = table[code]
            out.append(previous)
            continue
        if code == 257:  # end of information
            break
        if code < size:
            entry = table[code]
        elif code == size:
            entry = previous + previous[:1]
        else:
            raise DecodeError("corrupt", "The image data is damaged and cannot be decoded (bad LZW code).")
        table.append(previous + entry[:1])
        size += 1
        out.append(entry)
        previous = entry
        if size >= limit and width < 12:
            width += 1
            mask = limit = (1 << width) - 1
    return b"".join(out)[:expected]
