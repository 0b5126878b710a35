"""Real parts, once per session: the bundled tiny model and generated, indexed photo libraries.

The shape library has 12 photos of each of 16 colour/shape combinations (so
precision@10 is meaningful), 48 other scenes (other colours and shapes, two-object
scenes), and near-duplicates of a few photos. The demo library is the offline
demo exactly as people get it (`prepare_demo_photos`: 240 photos, a quarter of
them with two shapes). Tests that change files build their own small library
instead of touching these.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.loading import load_model
from photoclip.core.clip.registry import TINY_MODEL_KEY, resolve_model
from photoclip.demo import DEMO_TEXT_PHOTOS, GeneratedPhoto, generate_photos, prepare_demo_photos, save_photo
from photoclip.demo.shapes import COLOURS, SHAPES

QUERY_COLOURS = ("red", "green", "blue", "yellow")
QUERY_SHAPES = ("circle", "square", "triangle", "star")
PER_COMBO = 12


@dataclass(frozen=True)
class ShapeLibrary:
    directory: Path
    photos_dir: Path
    photos: list[GeneratedPhoto]
    near_duplicates: dict[Path, Path]  # original -> its re-encoded, resized copy

    def relevant(self, colour: str, shape: str) -> set[Path]:
        return {p.path for p in self.photos if any(t.colour == colour and t.shape == shape for t in p.scene.things)}


@pytest.fixture(scope="session")
def tiny_embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    cache = tmp_path_factory.getbasetemp() / "user-cache"
    loaded = load_model(resolve_model(TINY_MODEL_KEY), device="cpu", cache_dir=cache)
    return Embedder(loaded, calibration_cache=cache / "precision.json")


def make_near_duplicate(original: Path, copy: Path) -> None:
    """Another encoding of the same picture: 90% size, slightly cropped, lower JPEG quality."""
    with Image.open(original) as image:
        w, h = image.size
        smaller = image.convert("RGB").crop((4, 3, w - 4, h - 3)).resize((int(w * 0.9), int(h * 0.9)))
    save_photo(smaller, copy, quality=60)


@pytest.fixture(scope="session")
def shape_library(tmp_path_factory: pytest.TempPathFactory, tiny_embedder: Embedder) -> ShapeLibrary:
    base = tmp_path_factory.mktemp("shape-library")
    photos_dir = base / "photos"
    combos = [(c, s) for c in QUERY_COLOURS for s in QUERY_SHAPES]
    photos = generate_photos(photos_dir / "main", len(combos) * PER_COMBO, seed=11, combos=combos)
    other_colours = [c for c in COLOURS if c not in QUERY_COLOURS]
    other_shapes = [s for s in SHAPES if s not in QUERY_SHAPES]
    rng = random.Random(5)
    others = [(rng.choice(other_colours), rng.choice(SHAPES)) for _ in range(24)]
    others += [(rng.choice(list(COLOURS)), rng.choice(other_shapes)) for _ in range(12)]
    photos += generate_photos(photos_dir / "others", len(others), seed=12, combos=others)
    photos += generate_photos(photos_dir / "pairs", 12, seed=13, pair_probability=1.0)
    near_duplicates = {}
    for original in [photos[i].path for i in (0, 37, 90, 151)]:
        copy = photos_dir / "copies" / f"{original.stem}_copy.jpg"
        make_near_duplicate(original, copy)
        near_duplicates[original] = copy
    directory = base / "library"
    with Library.open(directory, model=TINY_MODEL_KEY, embedder=tiny_embedder) as library:
        library.folders.add(photos_dir)
        report = library.indexer.update()
        assert report.embedded == len(photos) + len(near_duplicates) and report.skipped == 0
    return ShapeLibrary(directory, photos_dir, photos, near_duplicates)


@pytest.fixture
def open_shape_library(shape_library: ShapeLibrary, tiny_embedder: Embedder) -> Iterator[Library]:
    library = Library.open(shape_library.directory, embedder=tiny_embedder)
    yield library
    library.close()


@pytest.fixture
def library_copy(shape_library: ShapeLibrary, tmp_path: Path) -> Path:
    """A private copy of the indexed library's data (its photos stay shared and unchanged)."""
    copy = tmp_path / "library"
    shutil.copytree(shape_library.directory, copy)
    return copy


@pytest.fixture(scope="session")
def demo_library(tmp_path_factory: pytest.TempPathFactory, tiny_embedder: Embedder) -> Path:
    """The offline demo's library directory (its photos beside it), indexed with the tiny model."""
    base = tmp_path_factory.mktemp("demo")
    with Library.open(base / "library", model=TINY_MODEL_KEY, embedder=tiny_embedder) as library:
        library.folders.add(prepare_demo_photos(base))
        report = library.indexer.update()
        assert report.embedded == 240 + DEMO_TEXT_PHOTOS and report.skipped == 0
    return base / "library"


@pytest.fixture
def demo_copy(demo_library: Path, tmp_path: Path) -> Path:
    """A private copy of the demo library's data (its photos stay shared and unchanged)."""
    copy = tmp_path / "demo-library"
    shutil.copytree(demo_library, copy)
    return copy


@pytest.fixture
def small_library(tmp_path: Path, tiny_embedder: Embedder) -> Iterator[tuple[Library, list[GeneratedPhoto]]]:
    """A private library of 16 photos whose files tests may change."""
    photos = generate_photos(tmp_path / "photos", 16, seed=21, combos=[("red", "circle"), ("blue", "star")])
    library = Library.open(tmp_path / "library", model=TINY_MODEL_KEY, embedder=tiny_embedder)
    library.folders.add(tmp_path / "photos")
    yield library, photos
    library.close()
