"""Generated photo folders for the offline demo and the tests.

The photos are scenes from `photoclip.demo.shapes`, saved as real JPEG and PNG
files with EXIF dates, so a demo library exercises the same decode, embed and
search path as a real one, and tests can score results against known content.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from photoclip.demo.shapes import COLOURS, SHAPES, Scene, random_scene, render

_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 0x9003
_MAKE, _MODEL = 0x010F, 0x0110


@dataclass(frozen=True)
class GeneratedPhoto:
    path: Path
    scene: Scene
    taken_at: dt.datetime


def save_photo(image: Image.Image, path: Path, taken_at: dt.datetime | None = None, *, quality: int = 90) -> None:
    """Save as JPEG (with EXIF date and a camera name) or, by suffix, PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".jpg", ".jpeg"):
        exif = Image.Exif()
        exif[_MAKE] = "photoclip"
        exif[_MODEL] = "Shape Camera"
        if taken_at is not None:
            exif.get_ifd(_EXIF_IFD)[_DATE_TIME_ORIGINAL] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
        image.save(path, "JPEG", quality=quality, exif=exif)
    else:
        image.save(path)
    if taken_at is not None:  # formats without EXIF fall back to the file date
        stamp = taken_at.timestamp()
        os.utime(path, (stamp, stamp))


def generate_photos(
    folder: Path,
    count: int,
    *,
    seed: int = 0,
    size: tuple[int, int] = (320, 240),
    combos: Iterable[tuple[str, str]] | None = None,
    pair_probability: float = 0.0,
    png_every: int = 7,
    start: dt.datetime = dt.datetime(2023, 1, 1, 9, 0),
) -> list[GeneratedPhoto]:
    """Write `count` photos into `folder` (and a few subfolders) and return their ground truth.

    Args:
        combos: (colour, shape) pairs to cycle through, so every combination gets the
            same number of photos; random single scenes otherwise.
        png_every: every n-th photo is saved as PNG instead of JPEG.
    """
    from photoclip.core import mark_demo_folder

    mark_demo_folder(folder)  # these are demo photos: the tiny model is meaningful on them
    rng = random.Random(seed)
    cycle = list(combos) if combos is not None else None
    photos = []
    for i in range(count):
        if cycle:
            colour, shape = cycle[i % len(cycle)]
            scene = random_scene(rng, colour=colour, shape=shape)
        else:
            scene = random_scene(rng, pair_probability=pair_probability)
        taken_at = start + dt.timedelta(days=i * 3, hours=rng.randint(0, 10), minutes=rng.randint(0, 59))
        suffix = ".png" if png_every and i % png_every == png_every - 1 else ".jpg"
        subfolder = folder / str(taken_at.year) / f"{taken_at.month:02d}"
        path = subfolder / f"IMG_{i + 1:04d}{suffix}"
        save_photo(render(scene, *size), path, taken_at)
        photos.append(GeneratedPhoto(path, scene, taken_at))
    return photos


def all_combos() -> list[tuple[str, str]]:
    return [(colour, shape) for colour in COLOURS for shape in SHAPES]


DEMO_SEED = 7


def default_demo_dir() -> Path:
    """Beside the default library: the demo never mixes with a person's own library."""
    from photoclip.core import default_library_dir

    return default_library_dir().parent / "demo"


def prepare_demo_photos(base: Path, count: int = 240) -> Path:
    """The demo's sample photos under `base`/photos, generated once (the CLI and the app share them)."""
    photos_dir = base / "photos"
    if not photos_dir.exists():
        generate_photos(photos_dir, count, seed=DEMO_SEED, pair_probability=0.25)
    else:  # made by an earlier version, before demo folders carried their marker
        from photoclip.core import mark_demo_folder

        mark_demo_folder(photos_dir)
    return photos_dir
