"""What grouping needs to know about a photo's pixels, measured once when the photo is read.

- a perceptual hash (imagehash's pHash: the signs of the low frequencies of a 32x32 grey
  image) that survives re-encoding, resizing and light edits, compared by Hamming distance;
- sharpness: the variance of the Laplacian of the grey image scaled to a fixed size
  (`SHARPNESS_SIDE` on its longer side), so a photo and its smaller copy are compared at
  the same scale and the blurrier or upscaled one scores lower; divided by the image's own
  variance, so raising the contrast does not make a copy "sharper" than its original;
- clipping: the share of pixels crushed to black or blown to white (bad exposure);
- luma and contrast: the grey image's mean and standard deviation, which tell a brightness or
  contrast edit from a plain re-encode (the perceptual hash ignores both).
"""

from __future__ import annotations

from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

from photoclip.core.store.records import Measures

MEASURE_SIDE = 256
"""Photos are decoded with at least this many pixels on their shorter side (a JPEG draft scale)."""

SHARPNESS_SIDE = 512
"""Pixels on the longer side of the grey image sharpness is measured on (the decoded image, scaled)."""

_DARK, _BRIGHT = 2, 253


def measure(image: Image.Image, *, subsec: float | None = None) -> Measures:
    """Measure an upright RGB image (any size; JPEG-draft-reduced is fine)."""
    phash = int(str(imagehash.phash(image)), 16)
    grey = image.convert("L")
    width, height = grey.size
    scale = SHARPNESS_SIDE / max(width, height)
    fixed = grey.resize(
        (max(3, round(width * scale)), max(3, round(height * scale))),
        Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC,
    )
    pixels = np.asarray(fixed, dtype=np.float32)
    laplacian = pixels[:-2, 1:-1] + pixels[2:, 1:-1] + pixels[1:-1, :-2] + pixels[1:-1, 2:] - 4.0 * pixels[1:-1, 1:-1]
    levels = np.asarray(grey, dtype=np.uint8)
    clipped = float(np.count_nonzero((levels <= _DARK) | (levels >= _BRIGHT))) / max(1, levels.size)
    return Measures(
        phash=phash,
        sharpness=float(laplacian.var()) / max(1.0, float(pixels.var())),
        clipping=clipped,
        luma=float(pixels.mean()),
        contrast=float(pixels.std()),
        subsec=subsec,
    )


def measure_file(path: Path) -> Measures:
    """Read, decode and measure one photo (for photos read before measuring existed); raises DecodeError."""
    from photoclip.core.media.decode import decode_photo

    decoded = decode_photo(path, min_side=MEASURE_SIDE)
    return measure(decoded.image, subsec=decoded.info.subsec)


def hamming(a: int, b: int) -> int:
    """Bits that differ between two 64-bit hashes."""
    return (a ^ b).bit_count()
