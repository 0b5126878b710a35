"""Photo-like pictures, the copies people end up with, and bursts: ground truth for finding duplicates.

A library collects the same picture many times over: an export at lower JPEG
quality, a copy resized for mail, a crop, a brightened edit, a slightly
straightened one; and a camera's burst mode takes several near-identical frames
a fraction of a second apart. The tests and `benchmarks/duplicates.py` build such
libraries from these helpers, with look-alikes (the same kind of picture, but
another photo) that must not be grouped.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 0x9003
_SUBSEC_ORIGINAL = 0x9291
_MAKE, _MODEL = 0x010F, 0x0110

VARIANT_KINDS = ("re-encoded", "resized", "cropped", "edited", "rotated")


def photo_like(seed: int, size: tuple[int, int] = (640, 480), *, kind: int = 0) -> Image.Image:
    """A picture with the statistics of a photo: a smooth scene, a few objects, fine texture and noise.

    Pictures of the same `kind` share their layout and palette (a sky over ground, a subject in
    the middle, ...) and differ in every detail: look-alikes, not copies.
    """
    width, height = size
    rng = np.random.default_rng(seed)
    kinds = np.random.default_rng(1000 + kind)
    palette = kinds.uniform(40, 215, size=(4, 3))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    horizon = height * kinds.uniform(0.35, 0.65)
    sky = (yy < horizon + rng.normal(0, height * 0.03) * np.sin(xx / width * rng.uniform(2, 6)))[..., None]
    image = np.where(sky, palette[0], palette[1]).astype(np.float32)
    image += (yy / height)[..., None] * (palette[2] - palette[0]) * 0.35
    for _ in range(int(rng.integers(4, 9))):  # objects: soft-edged blobs of the kind's colours
        cx, cy = rng.uniform(0.1, 0.9) * width, rng.uniform(0.25, 0.95) * height
        rx, ry = rng.uniform(0.04, 0.18) * width, rng.uniform(0.04, 0.18) * height
        inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
        weight = np.clip(1.5 - inside, 0, 1)[..., None]
        colour = palette[int(rng.integers(2, 4))] + rng.normal(0, 25, 3)
        image = image * (1 - weight) + colour * weight
    for cell, amount in ((48, 16.0), (8, 7.0)):  # texture: coarse shading, then grain (smoothly interpolated)
        small = rng.normal(0, amount, size=(height // cell + 2, width // cell + 2)).astype(np.float32)
        field = Image.fromarray(small, "F").resize((width + 2 * cell, height + 2 * cell), Image.Resampling.BICUBIC)
        image += np.asarray(field, dtype=np.float32)[cell : cell + height, cell : cell + width, None]
    image += rng.normal(0, 6, size=image.shape)  # sensor noise
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "RGB")


def variant(image: Image.Image, kind: str, rng: random.Random) -> tuple[Image.Image, int]:
    """One copy of a picture as people make them; returns the image and the JPEG quality to save it at."""
    width, height = image.size
    quality = rng.randint(80, 95)
    if kind == "re-encoded":
        return image.copy(), rng.randint(50, 95)
    if kind == "resized":
        scale = rng.uniform(0.25, 0.95)
        return image.resize(
            (max(16, round(width * scale)), max(16, round(height * scale))), Image.Resampling.LANCZOS
        ), quality
    if kind == "cropped":
        share = rng.uniform(0.03, 0.10)
        dx, dy = round(width * share * rng.random()), round(height * share * rng.random())
        return image.crop((dx, dy, width - round(width * share) + dx, height - round(height * share) + dy)), quality
    if kind == "edited":
        brighter = ImageEnhance.Brightness(image).enhance(rng.choice((-1, 1)) * rng.uniform(0.04, 0.10) + 1)
        return ImageEnhance.Contrast(brighter).enhance(rng.choice((-1, 1)) * rng.uniform(0.04, 0.10) + 1), quality
    if kind == "rotated":
        angle = rng.choice((-1, 1)) * rng.uniform(0.5, 2.5)
        turned = image.rotate(angle, Image.Resampling.BICUBIC)
        margin = int(np.ceil(np.tan(np.radians(abs(angle))) * max(width, height) / 2)) + 1
        return turned.crop((margin, margin, width - margin, height - margin)), quality
    raise ValueError(f"unknown variant kind {kind!r}")


def burst(
    image: Image.Image, frames: int, rng: random.Random, *, size: tuple[int, int] | None = None
) -> list[Image.Image]:
    """Frames of one scene as a hand-held camera takes them in burst mode: the view drifts by a few pixels."""
    width, height = image.size
    out_w, out_h = size or (width - 16, height - 16)
    shots = []
    x, y = (width - out_w) // 2, (height - out_h) // 2
    for _ in range(frames):
        x = min(max(0, x + rng.randint(-4, 4)), width - out_w)
        y = min(max(0, y + rng.randint(-4, 4)), height - out_h)
        shots.append(image.crop((x, y, x + out_w, y + out_h)))
    return shots


@dataclass(frozen=True)
class Shot:
    """How a picture is saved: when and with which camera (written to EXIF), and at what quality."""

    taken_at: dt.datetime | None
    camera: str | None = "photoclip Burst Camera"
    quality: int = 92
    subsec: bool = True
    saved_at: dt.datetime | None = None  # the file's date (a copy is saved after the photo was taken)


def save_shot(image: Image.Image, path: Path, shot: Shot) -> Path:
    """Save as JPEG (or PNG by suffix) with the shot's EXIF time, sub-second digits and camera."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() not in (".jpg", ".jpeg"):
        image.save(path)
        return path
    exif = Image.Exif()
    if shot.camera is not None:
        make, _, model = shot.camera.partition(" ")
        exif[_MAKE], exif[_MODEL] = make, model or make
    if shot.taken_at is not None:
        exif.get_ifd(_EXIF_IFD)[_DATE_TIME_ORIGINAL] = shot.taken_at.strftime("%Y:%m:%d %H:%M:%S")
        if shot.subsec:
            exif.get_ifd(_EXIF_IFD)[_SUBSEC_ORIGINAL] = f"{shot.taken_at.microsecond // 10_000:02d}"
    image.save(path, "JPEG", quality=shot.quality, exif=exif)
    when = shot.saved_at or shot.taken_at
    if when is not None:
        stamp = when.timestamp()
        os.utime(path, (stamp, stamp))
    return path


@dataclass
class DuplicateTruth:
    """What a generated library holds: which files are copies of one picture, which are frames of one burst."""

    duplicates: list[set[Path]]
    bursts: list[set[Path]]
    look_alikes: list[Path]
    files: list[Path]
    keepers: list[set[Path]] = field(default_factory=list)  # per group (duplicates, then bursts): the right keepers

    def pairs(self, groups: list[set[Path]]) -> set[frozenset[Path]]:
        return {frozenset((a, b)) for group in groups for a in group for b in group if a < b}


def build_duplicate_library(  # noqa: C901 - one pass writing each kind of file, with its ground truth beside it
    folder: Path,
    *,
    originals: int = 24,
    bursts: int = 6,
    look_alikes: int = 24,
    size: tuple[int, int] = (640, 480),
    seed: int = 0,
) -> DuplicateTruth:
    """Originals (half the demo's shapes, half photo-like) with 2-4 copies each, bursts, and look-alikes.

    Copies keep the original's EXIF time and camera half of the time (an editor's export) and
    lose it otherwise (a picture saved from a chat); one original in six also has a byte-identical
    copy elsewhere. Burst frames are 0.2-1.5 s apart from one camera, with sub-second digits,
    and all but one are slightly blurred (shaken). `keepers` holds the right keeper(s) of each group:
    the original (or its identical twin), and the sharp frame.
    Look-alikes are other pictures of the same kinds, and a few are taken by the same camera a
    few seconds after another picture (neither a copy nor a burst).
    """
    from photoclip.demo.shapes import random_scene, render

    rng = random.Random(seed)
    start = dt.datetime(2022, 5, 1, 8, 0)
    truth = DuplicateTruth([], [], [], [])
    kinds = 6

    def picture(i: int, like: int | None = None) -> Image.Image:
        if i % 2 == 0:
            return render(random_scene(random.Random(seed * 1000 + i), pair_probability=0.0), *size)
        return photo_like(seed * 1000 + i, size, kind=(like if like is not None else i) % kinds)

    def save(image: Image.Image, path: Path, shot: Shot) -> Path:
        saved = save_shot(image, folder / path, shot)
        truth.files.append(saved)
        return saved

    for i in range(originals):
        taken = start + dt.timedelta(days=i, hours=rng.randint(0, 9), microseconds=rng.randint(0, 99) * 10_000)
        camera = f"photoclip Camera{i % 3}"
        image = picture(i)
        group = {save(image, Path("originals") / f"IMG_{i:04d}.jpg", Shot(taken, camera))}
        keepers = set(group)
        for n, kind in enumerate(rng.sample(VARIANT_KINDS, rng.randint(2, 4))):
            copy, quality = variant(image, kind, rng)
            keep_exif = rng.random() < 0.5
            saved = taken + dt.timedelta(days=rng.randint(1, 300), minutes=n)
            shot = Shot(taken if keep_exif else None, camera if keep_exif else None, quality, saved_at=saved)
            group.add(save(copy, Path("copies") / f"IMG_{i:04d}_{kind}_{n}.jpg", shot))
        if i % 6 == 0:
            twin = folder / "backup" / f"IMG_{i:04d}.jpg"
            twin.parent.mkdir(parents=True, exist_ok=True)
            twin.write_bytes((folder / "originals" / f"IMG_{i:04d}.jpg").read_bytes())
            truth.files.append(twin)
            group.add(twin)
            keepers.add(twin)
        truth.duplicates.append(group)
        truth.keepers.append(keepers)
    for b in range(bursts):
        taken = start + dt.timedelta(days=100 + b, hours=rng.randint(0, 9))
        wide = picture(originals + b).resize((size[0] + 24, size[1] + 24))
        frames = set()
        shots = burst(wide, rng.randint(3, 5), rng, size=size)
        sharp = rng.randrange(len(shots))  # the others shook a little: the one to keep
        for f, frame in enumerate(shots):
            taken += dt.timedelta(milliseconds=rng.randint(200, 1500))
            if f != sharp:
                frame = frame.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 1.6)))
            path = save(frame, Path("bursts") / f"BURST_{b:03d}_{f}.jpg", Shot(taken, f"photoclip Camera{b % 3}"))
            frames.add(path)
            if f == sharp:
                truth.keepers.append({path})
        truth.bursts.append(frames)
    for j in range(look_alikes):
        like = rng.randrange(originals)
        taken = start + dt.timedelta(days=200 + j, hours=rng.randint(0, 9))
        base = originals + bursts + 2 * j
        image = picture(base + (like - base) % 2, like=like)  # the same kind as the original it resembles
        name = Path("look-alikes") / f"LIKE_{j:04d}.jpg"
        truth.look_alikes.append(save(image, name, Shot(taken, f"photoclip Camera{j % 3}")))
        if j % 4 == 0:  # the same camera a few seconds later, another picture: not a burst
            later = taken + dt.timedelta(seconds=rng.randint(1, 4))
            other = picture(originals + bursts + 2 * look_alikes + j)
            next_name = Path("look-alikes") / f"LIKE_{j:04d}_next.jpg"
            truth.look_alikes.append(save(other, next_name, Shot(later, f"photoclip Camera{j % 3}")))
    return truth
