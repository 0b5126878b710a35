"""Measuring a photo's pixels: the perceptual hash survives copies, sharpness and clipping tell shots apart."""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from photoclip.core.similar.measure import hamming, measure
from photoclip.demo.variants import photo_like


def reencoded(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def test_the_perceptual_hash_survives_a_reencode_and_a_resize_but_not_another_picture() -> None:
    picture = photo_like(1, (480, 360))
    original = measure(picture)
    copy = measure(reencoded(picture.resize((240, 180)), 55))
    other = measure(photo_like(2, (480, 360), kind=0))
    assert hamming(original.phash, copy.phash) <= 4
    assert hamming(original.phash, other.phash) >= 16
    assert 0 <= original.phash < 1 << 64


def test_a_blurred_frame_is_less_sharp_and_more_contrast_does_not_make_a_copy_sharper() -> None:
    picture = photo_like(3, (480, 360))
    sharp = measure(picture)
    shaken = measure(picture.filter(ImageFilter.GaussianBlur(1.5)))
    contrastier = measure(ImageEnhance.Contrast(picture).enhance(1.3))
    assert shaken.sharpness < 0.7 * sharp.sharpness
    assert abs(contrastier.sharpness - sharp.sharpness) < 0.15 * sharp.sharpness
    assert contrastier.contrast > sharp.contrast * 1.15


def test_clipping_counts_blown_highlights_and_crushed_shadows() -> None:
    picture = photo_like(4, (320, 240))
    pixels = np.asarray(picture).copy()
    pixels[:60] = 255  # a blown sky: a quarter of the picture
    pixels[-24:] = 0  # a tenth crushed to black
    clipped = measure(Image.fromarray(pixels))
    assert measure(picture).clipping < 0.01
    assert 0.33 <= clipped.clipping <= 0.37


def test_brightness_moves_the_mean_grey_level_not_the_hash() -> None:
    picture = photo_like(5, (320, 240))
    brighter = ImageEnhance.Brightness(picture).enhance(1.1)
    a, b = measure(picture), measure(brighter)
    assert b.luma > a.luma + 5
    assert hamming(a.phash, b.phash) <= 4


def test_sub_second_digits_are_kept_as_given() -> None:
    assert measure(photo_like(6, (64, 48)), subsec=0.25).subsec == 0.25
    rng = random.Random(0)
    assert measure(photo_like(rng.randint(0, 99), (64, 48))).subsec is None
