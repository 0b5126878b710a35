"""Generated photo folders for the offline demo and the tests.

The photos are scenes from `photoclip.demo.shapes`, saved as real JPEG and PNG
files with EXIF dates, so a demo library exercises the same decode, embed and
search path as a real one, and tests can score results against known content.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from photoclip.demo.shapes import COLOURS, SHAPES, Scene, random_scene, render

_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 0x9003
_MAKE, _MODEL = 0x010F, 0x0110
_GPS_IFD = 0x8825


@dataclass(frozen=True)
class GeneratedPhoto:
    path: Path
    scene: Scene
    taken_at: dt.datetime


def save_photo(
    image: Image.Image,
    path: Path,
    taken_at: dt.datetime | None = None,
    *,
    quality: int = 90,
    gps: tuple[float, float] | None = None,
) -> None:
    """Save as JPEG (with EXIF date, a camera name and GPS coordinates when given) or, by suffix, PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".jpg", ".jpeg"):
        exif = Image.Exif()
        exif[_MAKE] = "photoclip"
        exif[_MODEL] = "Shape Camera"
        if taken_at is not None:
            exif.get_ifd(_EXIF_IFD)[_DATE_TIME_ORIGINAL] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
        if gps is not None:
            _write_gps(exif, *gps)
        image.save(path, "JPEG", quality=quality, exif=exif)
    else:
        image.save(path)
    if taken_at is not None:  # formats without EXIF fall back to the file date
        stamp = taken_at.timestamp()
        os.utime(path, (stamp, stamp))


def _write_gps(exif: Image.Exif, latitude: float, longitude: float) -> None:
    """EXIF's GPS tags as cameras write them: degrees, minutes, seconds and a hemisphere letter."""
    gps = exif.get_ifd(_GPS_IFD)
    for ref_tag, value_tag, value, letters in ((1, 2, latitude, "NS"), (3, 4, longitude, "EW")):
        degrees = abs(value)
        whole, minutes = int(degrees), int(degrees * 60) % 60
        seconds = round((degrees * 3600) % 60, 2)
        gps[ref_tag] = letters[0] if value >= 0 else letters[1]
        gps[value_tag] = (IFDRational(whole), IFDRational(minutes), IFDRational(int(seconds * 100), 100))


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
    places: Sequence[tuple[float, float]] = (),
) -> list[GeneratedPhoto]:
    """Write `count` photos into `folder` (and a few subfolders) and return their ground truth.

    Args:
        combos: (colour, shape) pairs to cycle through, so every combination gets the
            same number of photos; random single scenes otherwise.
        png_every: every n-th photo is saved as PNG instead of JPEG.
        places: GPS coordinates given to the JPEGs in turn (none: no GPS).
    """
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
        gps = places[i % len(places)] if places else None
        save_photo(render(scene, *size), path, taken_at, gps=gps)
        photos.append(GeneratedPhoto(path, scene, taken_at))
    return photos


def all_combos() -> list[tuple[str, str]]:
    return [(colour, shape) for colour in COLOURS for shape in SHAPES]


DEMO_SEED = 7


def default_demo_dir() -> Path:
    """Beside the default library: the demo never mixes with a person's own library."""
    from photoclip.core import default_library_dir

    return default_library_dir().parent / "demo"


DEMO_TEXT_PHOTOS = 20
"""Receipts, signs, slides, notes and screenshots among the demo's photos, for `text:` searches."""


def prepare_demo_photos(base: Path, count: int = 240) -> Path:
    """The demo's sample photos under `base`/photos, generated once (the CLI and the app share them).

    `count` photos of shapes, taken in a few cities (their EXIF has GPS coordinates), and
    `DEMO_TEXT_PHOTOS` photos of text in a folder of their own.
    """
    from photoclip.demo.text_photos import DEMO_PLACES, generate_text_photos

    photos_dir = base / "photos"
    if not photos_dir.exists():
        generate_photos(photos_dir, count, seed=DEMO_SEED, pair_probability=0.25, places=DEMO_PLACES)
        generate_text_photos(photos_dir / "documents", DEMO_TEXT_PHOTOS, seed=DEMO_SEED, places=DEMO_PLACES)
    return photos_dir
