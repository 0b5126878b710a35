"""A model loaded without its text tower (the exported one answers text) still serves every text use."""

from __future__ import annotations

from pathlib import Path

from photoclip.core import Library, PhotoFilter
from photoclip.core.clip.registry import TINY_MODEL_KEY, resolve_model
from photoclip.core.clip.text_export import prepare_text_tower
from photoclip.demo import generate_photos


def test_model_view_and_smart_albums_use_the_exported_tower(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert prepare_text_tower(resolve_model(TINY_MODEL_KEY), cache) is not None
    generate_photos(tmp_path / "photos", 12, combos=[("red", "circle"), ("blue", "square")])
    with Library.open(tmp_path / "library", model=TINY_MODEL_KEY, cache_dir=cache) as library:
        library.folders.add(tmp_path / "photos")
        library.indexer.update()  # loads the image tower only: the export exists
        assert library.models.embedder().loaded.tokenizer is None
        photo = library.searcher.browse_ids(PhotoFilter())[0]
        assert library.tags.best_labels(photo)  # "What the model sees" in the viewer
        library.smart_albums.create("Red things", "red", relevance=0.5)
        assert library.albums.get("Red things").count > 0
