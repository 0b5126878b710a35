"""Safe photo decoding: turn any file from a user's photo folders into an upright RGB image, or one clear DecodeError.

Photo libraries hold everything: phone HEICs, camera RAWs, scans saved as 16-bit TIFF, screenshots with alpha,
half-copied files, and files that only pretend to be images. Everything downstream (embedding, thumbnails, the
catalog) wants the same thing from each of them: pixels the way the person sees the photo, basic facts about it,
and a content hash, or else a reason code the catalog can store and the UI can group by. Keeping all of Pillow's
many failure modes behind this one module means no other module ever needs a try/except around an image library.

Photos are the user's property: files are only ever opened read-only and nothing is written back.

Pillow's own decompression-bomb guard is switched off on import (``Image.MAX_IMAGE_PIXELS = None``). It judges an
image by the size in its header, which would refuse a 300-megapixel panorama even when we only ask libjpeg for a
1/8-scale draft of it. Instead :func:`decode_photo` enforces ``max_pixels`` on the pixels that will actually be
decoded, checked after the draft and before any pixel data is read, which protects memory just as well.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import io
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError, features
from PIL.JpegImagePlugin import JpegImageFile

from photoclip.core.errors import DecodeError
from photoclip.core.media.exif import PhotoExif, camera_name, describe_exif, taken_at
from photoclip.core.media.float_tiff import float_tiff_layout, read_float_tiff, tiff_problem
from photoclip.core.media.samples import float_to_8bit, stretch
from photoclip.core.util.memory import MemoryBudget, default_decode_budget

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "SUPPORTED_SUFFIXES",
    "DecodedPhoto",
    "PhotoBytes",
    "PhotoInfo",
    "content_hash",
    "decode_bytes",
    "decode_photo",
    "hash_file",
    "make_thumbnail",
    "read_exif",
    "read_photo",
    "to_rgb",
    "try_decode",
]

logger = logging.getLogger(__name__)

# We enforce our own limit on decoded pixels (see the module docstring), so Pillow's header-based one must not
# refuse images we would decode cheaply through a JPEG draft.
Image.MAX_IMAGE_PIXELS = None

HEIF_SUFFIXES: frozenset[str] = frozenset({".heic", ".heif"})
RAW_SUFFIXES: frozenset[str] = frozenset(
    {".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2", ".pef", ".srw"}
)
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp", ".avif"}
    | HEIF_SUFFIXES
    | RAW_SUFFIXES
)

DEFAULT_MAX_PIXELS: int = 200_000_000
DEFAULT_MAX_BYTES: int = 1 << 30

DECODE_MEMORY = MemoryBudget(default_decode_budget())
"""Bytes all decodes of this process may hold at once (every decode worker, the viewer, thumbnails): a folder
of huge images costs waiting, never more memory than this."""

_HASH_CHUNK = 1 << 20
_WHITE = (255, 255, 255)
_TAG_ORIENTATION = 0x0112

# The same table ImageOps.exif_transpose uses; kept here so an orientation that does not come from the image's own
# EXIF (a RAW file's LibRaw "flip") is applied identically.
_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# LibRaw reports rotation as dcraw's "flip" (0, 3, 5, 6); these are the EXIF orientations that mean the same.
_LIBRAW_FLIP_TO_ORIENTATION: dict[int, int] = {0: 1, 3: 3, 5: 8, 6: 6}

_HIGH_BIT_GRAY = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I", "F"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})

# Pillow and its codecs say "the data ran out" in several ways; all of them mean a cut-off file to the user.
_TRUNCATION_MARKERS = (
    "truncated",
    "broken data stream",
    "unpack requires a buffer",
    "end of file",
    "premature end",
    "not enough data",
)

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_BMP_HEADER_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})


@dataclass(frozen=True)
class PhotoInfo:
    """Facts about a photo as the person sees it, for the catalog and for sorting by date and camera.

    ``width``/``height`` are the full-resolution size after EXIF orientation, even when the decoded image was
    reduced by a JPEG draft, so the catalog shows the photo's real size.
    """

    width: int
    height: int
    file_type: str
    taken_at: str | None
    camera: str | None


@dataclass(frozen=True)
class DecodedPhoto:
    """Everything one read of a file yields, so the indexer never has to open the file a second time.

    ``content_hash``, ``size`` and ``mtime_ns`` describe exactly the bytes that were decoded, so the catalog can
    later tell cheaply whether the file changed since.
    """

    image: Image.Image
    info: PhotoInfo
    content_hash: str
    size: int
    mtime_ns: int


def content_hash(data: bytes) -> str:
    """Identify a photo by its bytes, so a moved or renamed file is recognised instead of re-embedded."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def hash_file(path: Path) -> str:
    """Hash a file without holding it in memory, giving the same digest as :func:`content_hash`.

    Meant for duplicate checks on files we do not decode. OSError is left to the caller, who knows whether a
    missing file matters in its context.
    """
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class PhotoBytes:
    """A file's bytes read once, with the identity the catalog keeps (hash, size, mtime).

    Reading and decoding are separate steps so the indexer can recognise known content
    (a duplicate, a touched file) by its hash before paying for a decode.
    """

    path: Path
    data: bytes
    content_hash: str
    size: int
    mtime_ns: int


def read_photo(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> PhotoBytes:
    """Read and hash a photo file; raises only DecodeError (missing, unreadable, empty, too large)."""
    path = Path(path)
    try:
        data, mtime_ns = _read_file(path, max_bytes)
    except DecodeError:
        raise
    except Exception as e:
        raise _decode_failure(e) from e
    return PhotoBytes(path, data, content_hash(data), len(data), mtime_ns)


def decode_bytes(
    photo: PhotoBytes, *, min_side: int | None = None, max_pixels: int = DEFAULT_MAX_PIXELS
) -> DecodedPhoto:
    """Decode bytes from :func:`read_photo`; raises only DecodeError."""
    try:
        suffix = photo.path.suffix.lower()
        if suffix in RAW_SUFFIXES:
            image, info = _decode_raw(photo.data, suffix, min_side, max_pixels)
        else:
            needed, what = _peak_bytes(photo.data, min_side, max_pixels)
            with DECODE_MEMORY.reserve(needed, what=what):
                image, info = _decode_with_pillow(photo.data, suffix, min_side, max_pixels)
    except DecodeError:
        raise
    except MemoryError as e:
        raise DecodeError("too_many_pixels", "There is not enough memory to decode this image.") from e
    except Exception as e:
        raise _decode_failure(e) from e
    return DecodedPhoto(image, info, photo.content_hash, photo.size, photo.mtime_ns)


def decode_photo(
    path: Path,
    *,
    min_side: int | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> DecodedPhoto:
    """Decode one photo upright and in RGB, or explain in one DecodeError why it cannot be.

    ``min_side`` lets a caller that only needs, say, 224-pixel model input skip most of the JPEG decoding work:
    libjpeg then decodes at 1/2, 1/4 or 1/8 scale while keeping the shorter side at least ``min_side``.
    ``max_pixels`` bounds the memory one photo may take; ``max_bytes`` bounds how much of a file is read.

    Only DecodeError is raised, whatever the file contains, so one bad file can never stop a library scan.
    """
    return decode_bytes(read_photo(path, max_bytes=max_bytes), min_side=min_side, max_pixels=max_pixels)


def try_decode(
    path: Path,
    *,
    min_side: int | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> DecodedPhoto | DecodeError:
    """Decode like :func:`decode_photo` but hand back the error, for batch code that records failures as data."""
    try:
        return decode_photo(path, min_side=min_side, max_pixels=max_pixels, max_bytes=max_bytes)
    except DecodeError as e:
        logger.debug("cannot decode %s: %s (%s)", path, e.reason, e.message)
        return e


def read_exif(path: Path) -> PhotoExif:
    """The camera's record of a photo (exposure, lens, GPS...), read from the file's header only, on demand.

    Never raises: a file without EXIF, or one that is missing, unreadable or damaged,
    gives an empty PhotoExif (the viewer says why the picture itself cannot be shown).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in HEIF_SUFFIXES:
        _heif_available()
    exif: Image.Exif | None = None
    try:
        with Image.open(path) as image:  # reads the header, not the pixels
            exif = image.getexif()
    except Exception as e:
        logger.debug("cannot read the EXIF of %s with Pillow: %s", path, e)
    if (exif is None or not len(exif)) and suffix in RAW_SUFFIXES:
        try:
            data, _mtime = _read_file(path, DEFAULT_MAX_BYTES)
        except DecodeError as e:
            logger.debug("cannot read %s: %s", path, e)
        else:
            exif = _tiff_container_exif(data)
    return describe_exif(exif)


def to_rgb(image: Image.Image) -> Image.Image:
    """Bring any Pillow mode to 8-bit RGB the way a photo viewer would show it.

    Transparent areas become white, like the page a picture sits on, rather than whatever colour hides under
    the alpha. Deep grayscale is rescaled, because Pillow's own convert clips every value above 255 to white:

    * ``I;16*``: 16-bit samples, keep the high byte.
    * ``I``: 32-bit integers; if all values fit 0..65535 they are treated as 16-bit samples, otherwise the range
      from min(0, darkest) to the brightest value is stretched to 0..255.
    * ``F``: floats; if every finite value lies in 0..1 (the usual convention for normalised data) that range maps
      to 0..255, otherwise min(0, darkest)..brightest is stretched like ``I``. NaN is black, +inf white.

    An RGB image without a transparency key comes back as the same object.
    """
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return image
    if mode in _HIGH_BIT_GRAY:
        return _deep_gray_to_rgb(image)
    if mode == "La":
        image = image.convert("LA")  # Pillow has no La -> RGBA path; La -> LA un-premultiplies.
        mode = "LA"
    if mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, _WHITE)
        background.paste(rgba, mask=rgba)
        return background
    return image.convert("RGB")


def make_thumbnail(image: Image.Image, max_side: int) -> Image.Image:
    """Shrink for display with a sharp, alias-free filter; never enlarges and never changes the caller's image.

    ``reducing_gap`` first halves the image cheaply by box averaging and only then runs Lanczos, which is
    nearly as good as pure Lanczos and far faster on multi-megapixel photos.
    """
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    rgb = to_rgb(image)
    width, height = rgb.size
    if max(width, height) <= max_side:
        return rgb.copy() if rgb is image else rgb
    if width >= height:
        size = (max_side, max(1, round(height * max_side / width)))
    else:
        size = (max(1, round(width * max_side / height)), max_side)
    return rgb.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


# --- reading -------------------------------------------------------------------------------------------------------


def _read_file(path: Path, max_bytes: int) -> tuple[bytes, int]:  # noqa: C901 - each OS error gets its own message for the person
    """Read the whole file once, refusing early what would waste time or memory or could block forever."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError) as e:
        raise _missing() from e
    except PermissionError as e:
        raise _permission_denied() from e
    except OSError as e:
        raise _unreadable(e) from e
    if stat.S_ISDIR(st.st_mode):
        raise DecodeError("is_directory", "This is a folder, not a photo file.")
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO or device would block or read forever.
        raise DecodeError("unreadable", "This is not a regular file (it is a pipe, device or socket).")
    _check_size(st.st_size, max_bytes)
    try:
        with open(path, "rb") as handle:
            # mtime from before the read: if the file changes while we read it, the catalog sees a newer mtime
            # next time and reads it again.
            opened = os.fstat(handle.fileno())
            mtime_ns = opened.st_mtime_ns
            # Ask for the known size (plus one byte to notice growth), not for max_bytes: Python allocates the
            # requested amount up front.
            data = handle.read(min(opened.st_size, max_bytes) + 1)
            if len(data) > opened.st_size:  # Still being written; take the rest, but never more than the limit.
                data += handle.read(max_bytes + 1 - len(data))
    except (FileNotFoundError, NotADirectoryError) as e:
        raise _missing() from e
    except IsADirectoryError as e:
        raise DecodeError("is_directory", "This is a folder, not a photo file.") from e
    except PermissionError as e:
        raise _permission_denied() from e
    except OSError as e:
        raise _unreadable(e) from e
    _check_size(len(data), max_bytes)  # The file may have grown or shrunk since stat().
    return data, mtime_ns


def _check_size(size: int, max_bytes: int) -> None:
    if size == 0:
        raise DecodeError("empty", "The file is empty (0 bytes).")
    if size > max_bytes:
        raise DecodeError(
            "too_large_file",
            f"The file is too large to read ({_megabytes(size)}; the limit is {_megabytes(max_bytes)}).",
        )


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"


def _missing() -> DecodeError:
    return DecodeError("missing", "The file is no longer there; it was moved or deleted.")


def _permission_denied() -> DecodeError:
    return DecodeError("unreadable", "photoclip is not allowed to read this file (permission denied).")


def _unreadable(error: OSError) -> DecodeError:
    detail = error.strerror or str(error) or type(error).__name__
    return DecodeError("unreadable", f"The file cannot be read: {detail}.")


# --- Pillow path ---------------------------------------------------------------------------------------------------


def _decode_with_pillow(
    data: bytes, suffix: str, min_side: int | None, max_pixels: int
) -> tuple[Image.Image, PhotoInfo]:
    sniffed = _sniff_format(data)
    if suffix in HEIF_SUFFIXES or sniffed == "HEIF" or (sniffed == "AVIF" and not _native_avif()):
        _heif_available()  # Registers the opener on first need, so plain JPEG users never import it.
    try:
        loaded = _open_and_load(data, min_side, max_pixels)
    except UnidentifiedImageError as e:
        if sniffed == "TIFF":
            loaded = _load_tiff_pillow_cannot_open(data, min_side, max_pixels, e)
        else:
            raise _unidentified(suffix, sniffed) from e
    file_type = (loaded.file_format or suffix.lstrip(".") or "unknown").lower()
    if file_type == "mpo":  # phones' multi-picture JPEGs: a JPEG to anyone filtering by type
        file_type = "jpeg"
    orientation = _orientation(loaded.exif)
    upright = _orient(loaded.image, orientation)
    return _finish(upright, _display_size(loaded.full_size, orientation), file_type, loaded.exif, None)


@dataclass(frozen=True)
class _Loaded:
    image: Image.Image
    full_size: tuple[int, int]  # as stored in the file, before any draft or reduction
    file_format: str | None
    exif: Image.Exif | None


def _open_and_load(data: bytes, min_side: int | None, max_pixels: int) -> _Loaded:
    """Open, draft, check the pixel and memory budgets and only then decode, so an oversized image costs no memory.

    Decoding takes the bytes the pixels need from the process-wide `DECODE_MEMORY`
    budget first (waiting while other decodes hold it), and an image bigger than the
    caller needs is reduced while that reservation holds, so what lives on is small.
    """
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise
    except Exception as e:
        raise _decode_failure(e) from e
    try:
        image.seek(0)  # First frame of an animation or first page of a multi-page TIFF.
        full_size = image.size
        if min_side is not None and isinstance(image, JpegImageFile):
            side = max(1, min_side)
            image.draft("RGB", (side, side))
        width, height = image.size
        if width * height > max_pixels:
            raise DecodeError(
                "too_many_pixels",
                f"The image is {width}x{height} pixels ({width * height / 1e6:.1f} megapixels), more than the "
                f"{max_pixels / 1e6:g} megapixels photoclip decodes.",
            )
        _check_plausible(image.format, image.mode, len(data), full_size)
        file_format, exif = image.format, _get_exif(image)
        image.load()
        pixels = _reduced(image, min_side)
    except DecodeError:
        raise
    except MemoryError:
        raise
    except Exception as e:
        raise _decode_failure(e) from e
    return _Loaded(pixels, full_size, file_format, exif)


def _load_tiff_pillow_cannot_open(
    data: bytes, min_side: int | None, max_pixels: int, error: UnidentifiedImageError
) -> _Loaded:
    """A valid TIFF Pillow does not read: floating-point samples (read here), or the true reason it cannot be."""
    layout = float_tiff_layout(data)
    if layout is None:
        problem = tiff_problem(data)
        if problem is None:
            raise _unidentified(".tif", "TIFF") from error
        raise DecodeError("unsupported", problem) from error
    pixels = layout.width * layout.height
    if pixels > max_pixels:
        raise DecodeError(
            "too_many_pixels",
            f"The image is {layout.width}x{layout.height} pixels ({pixels / 1e6:.1f} megapixels), more than the "
            f"{max_pixels / 1e6:g} megapixels photoclip decodes.",
        )
    # the samples as stored and as float32, plus the 8-bit picture and its copies
    needed = layout.decoded_bytes * 2 + pixels * layout.samples * 4 + pixels * 12
    with DECODE_MEMORY.reserve(needed, what=f"a {layout.width}x{layout.height} floating-point TIFF"):
        image = read_float_tiff(data, layout)
        reduced = _reduced(image, min_side)
    return _Loaded(reduced, (layout.width, layout.height), "TIFF", _tiff_container_exif(data))


def _peak_bytes(data: bytes, min_side: int | None, max_pixels: int) -> tuple[int, str]:
    """What decoding these bytes will take at its peak, from the header alone, and how to name the image.

    0 when the header cannot be read or is over the pixel limit: the decode then says why.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            if min_side is not None and isinstance(image, JpegImageFile):
                image.draft("RGB", (max(1, min_side), max(1, min_side)))
            if image.width * image.height > max_pixels:
                return 0, "this image"
            return decode_bytes_needed(image.mode, image.size, min_side), f"a {image.width}x{image.height} image"
    except Exception:  # the real decode reports what is wrong with the file
        return 0, "this image"


_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "La": 2, "PA": 2, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}


def decode_bytes_needed(mode: str, size: tuple[int, int], min_side: int | None = None) -> int:
    """Memory a decode of this mode and size takes at its peak: the decoded pixels, plus the copies made from them
    (to RGB, onto a white page), which are small when the image is reduced for a caller needing `min_side`."""
    pixels = size[0] * size[1]
    per_pixel = _BYTES_PER_PIXEL.get(mode, 4)  # RGB is stored as 4 bytes a pixel in Pillow
    factor = max(1, min(size) // max(1, min_side)) if min_side else 1
    copies = 12 * pixels // (factor * factor)  # RGB, a white page under transparency, the upright copy
    return pixels * per_pixel + copies


def _reduced(image: Image.Image, min_side: int | None) -> Image.Image:
    """The image shrunk by a whole factor while its shorter side stays at least `min_side` (cheap box filter).

    Done a band of rows at a time, so no second full-size image ever exists: Pillow's
    own `reduce` first copies a whole RGBA image into premultiplied alpha (as big again
    as the decoded pixels), and cannot reduce palette, 1-bit or 16-bit images at all;
    those are converted one band at a time here instead.
    """
    if min_side is None:
        return image
    factor = min(image.size) // max(1, min_side)
    if factor < 2:
        return image
    width, height = image.size
    mode = _reducible_mode(image)
    step = max(1, _BAND_BYTES // (width * 4 * factor)) * factor  # whole blocks of rows: bands reduce exactly alike
    try:
        reduced = Image.new(mode, (-(-width // factor), -(-height // factor)))
        for top in range(0, height, step):
            band = image.crop((0, top, width, min(height, top + step)))
            if band.mode != mode:
                band = band.convert(mode)
            reduced.paste(band.reduce(factor), (0, top // factor))
    except ValueError as e:  # a mode Pillow can neither reduce nor convert: it keeps its size
        logger.debug("cannot reduce a %s image: %s", image.mode, e)
        return image
    key = image.info.get("transparency")
    if mode in _HIGH_BIT_GRAY and isinstance(key, int):
        reduced.info["transparency"] = key  # to_rgb shows keyed deep grey as white
    return reduced


_BAND_BYTES = 8 << 20
_REDUCIBLE = frozenset({"L", "LA", "La", "RGB", "RGBA", "RGBa", "CMYK", "YCbCr", "HSV", "LAB", "I", "F"})


def _reducible_mode(image: Image.Image) -> str:
    """The mode to average an image's pixels in: palette indices and colour keys cannot be averaged."""
    mode = image.mode
    if mode in _HIGH_BIT_GRAY:
        return "I" if mode.startswith("I;16") else mode  # to_rgb reads 0..65535 in "I" as 16-bit samples
    if mode in ("P", "PA") or "transparency" in image.info:
        return "RGBA"
    if mode in _REDUCIBLE:
        return mode
    return "L" if mode == "1" else "RGB"


_BITS_PER_PIXEL = {"1": 1, "L": 8, "P": 8, "LA": 16, "PA": 16, "I;16": 16, "I;16B": 16, "RGB": 24}


def _least_file_bytes(file_format: str | None, mode: str, pixels: int) -> float:
    """The fewest bytes a file of that format can hold a picture in, with a wide margin (0 when unknown).

    A JPEG codes at least a bit for each 8x8 block even when it is flat (1 byte per 512
    pixels; half that is allowed); deflate (PNG) shrinks the raw rows at most about 1030
    to 1 (1100 allowed).
    """
    if file_format in ("JPEG", "MPO"):
        return pixels / 1024
    if file_format == "PNG":
        return pixels * _BITS_PER_PIXEL.get(mode, 32) / 8 / 1100
    return 0.0


def _check_plausible(file_format: str | None, mode: str, file_bytes: int, size: tuple[int, int]) -> None:
    """A header claiming far more pixels than the file could hold describes a cut-off or forged file."""
    if file_bytes < _least_file_bytes(file_format, mode, size[0] * size[1]):
        raise DecodeError(
            "truncated",
            f"The file ({file_bytes:,} bytes) is far too small for the {size[0]}x{size[1]} picture its header "
            "describes: it is cut off or damaged.",
        )


def _finish(
    upright: Image.Image,
    display_size: tuple[int, int],
    file_type: str,
    exif: Image.Exif | None,
    fallback_exif: Image.Exif | None,
) -> tuple[Image.Image, PhotoInfo]:
    info = PhotoInfo(
        width=display_size[0],
        height=display_size[1],
        file_type=file_type,
        taken_at=taken_at(exif) or taken_at(fallback_exif),
        camera=camera_name(exif) or camera_name(fallback_exif),
    )
    return to_rgb(upright), info


def _display_size(full_size: tuple[int, int], orientation: int) -> tuple[int, int]:
    width, height = full_size
    return (height, width) if orientation >= 5 else (width, height)  # 5..8 turn the picture by a quarter.


def _orient(image: Image.Image, orientation: int) -> Image.Image:
    """Stand the picture upright; any EXIF trouble leaves it as stored rather than failing the photo."""
    if orientation == 1:
        return image
    try:
        if orientation == _orientation(_get_exif(image)):
            return ImageOps.exif_transpose(image)
    except Exception as e:
        logger.debug("exif_transpose failed (%s); transposing directly", e)
    return image.transpose(_TRANSPOSE[orientation])


def _unidentified(suffix: str, sniffed: str | None) -> DecodeError:
    """Tell "not a photo" apart from "a photo we lack the codec for" and "a photo whose header is damaged"."""
    if sniffed == "HEIF" or (sniffed is None and suffix in HEIF_SUFFIXES):
        if not _heif_available():
            return DecodeError(
                "unsupported",
                "HEIC/HEIF photos need the optional pillow-heif package. Install it with: pip install pillow-heif",
            )
    elif (sniffed == "AVIF" or (sniffed is None and suffix == ".avif")) and not _native_avif():
        if not _heif_available():
            return DecodeError(
                "unsupported",
                "This Pillow cannot read AVIF photos. Install a Pillow with AVIF support (11.3 or newer): "
                "pip install --upgrade pillow",
            )
    if sniffed is not None:
        return DecodeError("corrupt", f"The file looks like a {sniffed} image, but its header is damaged or cut off.")
    return DecodeError("not_an_image", "Not an image, or a format photoclip cannot read.")


def _decode_failure(error: BaseException) -> DecodeError:
    detail = str(error) or type(error).__name__
    lowered = detail.lower()
    if isinstance(error, EOFError) or any(marker in lowered for marker in _TRUNCATION_MARKERS):
        return DecodeError("truncated", "The image data is cut off (truncated file).")
    return DecodeError("corrupt", f"The image data is damaged and cannot be decoded ({detail}).")


def _sniff_format(data: bytes) -> str | None:
    """Name the image format from magic bytes, for messages when Pillow cannot identify the file."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "TIFF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[:2] == b"BM" and len(data) >= 18 and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES:
        return "BMP"
    if data[4:8] == b"ftyp":
        box_size = int.from_bytes(data[:4], "big")
        brands = {data[8:12]} | {data[i : i + 4] for i in range(16, min(box_size, len(data), 256) - 3, 4)}
        if data[8:12] in _AVIF_BRANDS or (data[8:12] in {b"mif1", b"msf1"} and brands & _AVIF_BRANDS):
            return "AVIF"
        if brands & _HEIF_BRANDS:
            return "HEIF"
    return None


@functools.cache
def _heif_available() -> bool:
    """Import pillow-heif and register it with Pillow once, on first need; a broken install counts as absent."""
    try:
        module = importlib.import_module("pillow_heif")
        module.register_heif_opener()
        if not _native_avif() and hasattr(module, "register_avif_opener"):
            module.register_avif_opener()  # Older pillow-heif releases can also read AVIF.
    except ImportError:
        return False
    except Exception as e:
        logger.debug("pillow_heif is installed but unusable: %s", e)
        return False
    return True


@functools.cache
def _native_avif() -> bool:
    try:
        return bool(features.check("avif"))
    except Exception:
        return False


# --- RAW path ------------------------------------------------------------------------------------------------------


@functools.cache
def _rawpy_module() -> ModuleType | None:
    try:
        return importlib.import_module("rawpy")
    except ImportError:
        return None
    except Exception as e:
        logger.debug("rawpy is installed but unusable: %s", e)
        return None


def _decode_raw(data: bytes, suffix: str, min_side: int | None, max_pixels: int) -> tuple[Image.Image, PhotoInfo]:
    """Use the camera's own embedded JPEG preview: it is full-size or close on modern cameras, carries the
    camera's rendering, and is roughly a hundred times faster than demosaicing the sensor data."""
    rawpy = _rawpy_module()
    if rawpy is None:
        raise DecodeError(
            "unsupported",
            f"Camera RAW files ({suffix}) need the optional rawpy package. Install it with: pip install rawpy",
        )
    container_exif = _tiff_container_exif(data)
    try:
        with rawpy.imread(io.BytesIO(data)) as raw:
            file_type = suffix.lstrip(".")
            sizes = raw.sizes
            full_size = (int(sizes.width), int(sizes.height))
            orientation = _LIBRAW_FLIP_TO_ORIENTATION.get(int(sizes.flip), 1)
            thumb = _extract_jpeg_thumb(rawpy, raw)
            if thumb is not None:
                preview = _open_and_load(thumb, min_side, max_pixels)
                image, thumb_exif = preview.image, preview.exif
                # Previews usually carry no rotation of their own (LibRaw's flip is the authority); trust one that does.
                thumb_orientation = _orientation(thumb_exif)
                if thumb_orientation != 1:
                    orientation = thumb_orientation
                upright = _orient(image, orientation)
                display_size = _display_size(full_size, orientation)
                return _finish(upright, display_size, file_type, container_exif, thumb_exif)
            half_w, half_h = (full_size[0] + 1) // 2, (full_size[1] + 1) // 2
            if half_w * half_h > max_pixels:
                raise DecodeError(
                    "too_many_pixels",
                    f"The RAW image is {full_size[0]}x{full_size[1]} pixels and has no embedded preview; even at "
                    f"half size ({half_w * half_h / 1e6:.1f} megapixels) that is more than the "
                    f"{max_pixels / 1e6:g} megapixels photoclip decodes.",
                )
            with DECODE_MEMORY.reserve(half_w * half_h * 3 * 3, what=f"a {full_size[0]}x{full_size[1]} RAW image"):
                pixels = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
    except DecodeError:
        raise
    except UnidentifiedImageError as e:
        raise DecodeError("corrupt", "The RAW file's embedded preview is not a readable JPEG.") from e
    except MemoryError:
        raise
    except Exception as e:
        raise _raw_failure(e) from e
    # LibRaw has already turned the postprocessed pixels upright.
    image = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8))
    return _finish(image, _display_size(full_size, orientation), file_type, container_exif, None)


def _extract_jpeg_thumb(rawpy: ModuleType, raw: Any) -> bytes | None:
    no_thumb = tuple(
        cls
        for cls in (
            getattr(rawpy, "LibRawNoThumbnailError", None),
            getattr(rawpy, "LibRawUnsupportedThumbnailError", None),
        )
        if isinstance(cls, type) and issubclass(cls, BaseException)
    )
    try:
        thumb = raw.extract_thumb()
    except no_thumb:
        return None
    if thumb.format != rawpy.ThumbFormat.JPEG:
        return None  # A bitmap preview is a tiny one; the half-size render is worth its cost.
    return bytes(thumb.data)


def _raw_failure(error: Exception) -> DecodeError:
    name = type(error).__name__
    if name == "LibRawFileUnsupportedError":
        return DecodeError(
            "unsupported",
            "The installed rawpy/LibRaw does not support this camera's RAW format. Try: pip install --upgrade rawpy",
        )
    if name in {"LibRawIOError", "LibRawDataError"}:
        return DecodeError("truncated", "The image data is cut off (truncated file).")
    return _decode_failure(error)


def _tiff_container_exif(data: bytes) -> Image.Exif | None:
    """Most RAW formats are TIFF files underneath, with the capture date and camera in their first IFD."""
    if not data.startswith((b"II*\x00", b"MM\x00*")):
        return None
    try:
        exif = Image.Exif()
        exif.load(data)
        return exif
    except Exception as e:
        logger.debug("cannot read the RAW container's EXIF: %s", e)
        return None


# --- EXIF ----------------------------------------------------------------------------------------------------------


def _get_exif(image: Image.Image) -> Image.Exif | None:
    try:
        return image.getexif()
    except Exception as e:
        logger.debug("cannot read EXIF: %s", e)
        return None


def _orientation(exif: Image.Exif | None) -> int:
    if exif is None:
        return 1
    try:
        value = exif.get(_TAG_ORIENTATION, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and value in _TRANSPOSE else 1


# --- deep grayscale ------------------------------------------------------------------------------------------------


def _deep_gray_to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if image.width == 0 or image.height == 0:
        return Image.new("RGB", image.size, _WHITE)
    values = np.asarray(image)
    if mode.startswith("I;16"):
        gray = (values.astype(np.uint16) >> 8).astype(np.uint8)
    elif mode == "I":
        low, high = int(values.min()), int(values.max())
        if low >= 0 and high <= 0xFFFF:
            gray = (values >> 8).astype(np.uint8)
        else:
            gray = stretch(values.astype(np.float32), float(min(low, 0)), float(high))
    else:
        gray = float_to_8bit(values)
    key = image.info.get("transparency")
    if isinstance(key, int) and mode != "F":
        gray[values == key] = 255  # A colour-keyed transparent pixel, shown on white like any other transparency.
    return Image.fromarray(gray).convert("RGB")
