"""Deep samples to 8 bits: the one rule for floating-point pixels, wherever they come from.

Pillow's own conversions clip every value above 255 to white, so float and wide
integer images would come out blank; `decode.to_rgb` and the floating-point TIFF
reader both bring such samples to 0..255 with these functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["float_to_8bit", "stretch"]


def float_to_8bit(values: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.uint8]:
    """Floats of any shape to 0..255, all values on one scale.

    If every finite value lies in 0..1 (the usual convention for normalised data) that
    range maps to 0..255; otherwise min(0, darkest)..brightest is stretched. NaN is
    black, +inf white, -inf black.
    """
    floats: npt.NDArray[np.float32] = values.astype(np.float32, copy=False)
    finite = np.isfinite(floats)
    if not finite.any():
        return np.zeros(floats.shape, dtype=np.uint8)
    low, high = float(floats[finite].min()), float(floats[finite].max())
    if low < 0 or high > 1:
        low, high = min(low, 0.0), high
    else:
        low, high = 0.0, 1.0
    cleaned = np.nan_to_num(floats, nan=low, posinf=high, neginf=low)
    return stretch(cleaned, low, high)


def stretch(values: npt.NDArray[np.float32], low: float, high: float) -> npt.NDArray[np.uint8]:
    """Map low..high linearly to 0..255 (clipped); a flat range is black."""
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    scaled = (values - np.float32(low)) * np.float32(255.0 / (high - low))
    gray: npt.NDArray[np.uint8] = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return gray
