"""Text queries through the exported text tower: as exact as PyTorch's, without PyTorch, with a fallback.

The bundled tiny model's text tower is exported for real (open_clip, torch.onnx) and run
by ONNX Runtime; searches are made by a fresh process, as `photoclip search` is.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from photoclip.core import Library, ModelManager, PhotoFilter
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.loading import load_model
from photoclip.core.clip.registry import TINY_MODEL_KEY, bundled_model_dir, resolve_model
from photoclip.core.clip.text_encoder import OnnxTextEncoder
from photoclip.core.clip.text_export import export_text_tower
from photoclip.core.clip.text_towers import (
    EXPORT_FIDELITY,
    RECORD,
    TOWER_FILE,
    TextTowerRecord,
    check_prompts,
    find_text_tower,
    weights_sha256,
)
from photoclip.core.tagging.labelsets import Label, LabelSet

from .conftest import ShapeLibrary


@pytest.fixture(scope="module")
def tower_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding the tiny model's exported text tower, checked on a thousand prompts."""
    cache = tmp_path_factory.mktemp("tower-cache")
    spec = resolve_model(TINY_MODEL_KEY)
    loaded = load_model(spec, device="cpu", cache_dir=cache)
    digest = weights_sha256(spec, cache)
    assert digest is not None
    record = export_text_tower(
        loaded, cache_dir=cache, weights_sha256=digest, model_id=spec.model_id, prompts=check_prompts(1000)
    )
    assert record.checked_prompts == 1000 and record.min_cosine >= EXPORT_FIDELITY
    return cache


def test_the_exported_tower_gives_pytorchs_vectors(tower_cache: Path) -> None:
    spec = resolve_model(TINY_MODEL_KEY)
    found = find_text_tower(spec, tower_cache)
    assert found is not None
    encoder = OnnxTextEncoder(*found)
    reference = Embedder(load_model(spec, device="cpu", cache_dir=tower_cache), precision="float32")
    texts = ["a red circle", "a photo of a blue star on wood", "", "x" * 300, *check_prompts(50, seed=7)]
    ours, theirs = encoder.encode_texts(texts), reference.encode_texts(texts)
    assert (np.sum(ours * theirs, axis=1) >= EXPORT_FIDELITY).all()
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert encoder.logit_scale == pytest.approx(reference.logit_scale, rel=1e-5)


SEARCH = """
import json, sys
from pathlib import Path
from photoclip.core import Library
with Library.open(Path(sys.argv[1])) as library:
    result = library.searcher.search(sys.argv[2], limit=10)
    reader = type(library.vectors.searchable()).__name__
print(json.dumps({"ids": [h.photo_id for h in result.hits], "reader": reader,
                  "loaded": sorted(m for m in ("torch", "open_clip", "torchvision", "scipy") if m in sys.modules)}))
"""


def test_a_cold_text_search_loads_no_pytorch_nor_scipy_and_ranks_like_it(
    tower_cache: Path, shape_library: ShapeLibrary, tmp_path: Path
) -> None:
    library_dir = tmp_path / "library"
    shutil.copytree(shape_library.directory, library_dir)
    env = {**__import__("os").environ, "PHOTOCLIP_CACHE": str(tower_cache)}
    out = subprocess.run(
        [sys.executable, "-c", SEARCH, str(library_dir), "a red circle"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["loaded"] == [] and answer["reader"] == "SavedVectors"
    with Library.open(library_dir, cache_dir=tmp_path / "empty-cache") as library:  # no export: PyTorch answers
        expected = [h.photo_id for h in library.searcher.search("a red circle", limit=10).hits]
        assert not library.models.exported_text_encoder()
    assert answer["ids"][0] == expected[0] and len(set(answer["ids"]) & set(expected)) >= 8


@pytest.mark.parametrize("damage", ["unfaithful", "broken-graph"])
def test_an_export_that_is_not_trusted_leaves_queries_on_pytorch(
    tower_cache: Path, tiny_embedder: Embedder, tmp_path: Path, damage: str
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(tower_cache, cache)
    spec = resolve_model(TINY_MODEL_KEY)
    found = find_text_tower(spec, cache)
    assert found is not None
    folder, record = found
    if damage == "unfaithful":
        data = {**record.as_dict(), "min_cosine": 0.98}
        (folder / RECORD).write_text(json.dumps(data))
    else:
        (folder / TOWER_FILE).write_bytes(b"not an onnx graph")
    with Library.open(tmp_path / "library", model=TINY_MODEL_KEY, cache_dir=cache, embedder=tiny_embedder) as library:
        assert library.models.exported_text_encoder() is None
        assert library.models.text_encoder() is tiny_embedder
        assert TextTowerRecord.from_dict({"format": 1}) is None


def test_importing_a_checkpoint_exports_its_text_tower(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PHOTOCLIP_TEXT_EXPORT", "1")
    manager = ModelManager(tmp_path / "cache")
    source = tmp_path / "mine.safetensors"
    shutil.copyfile(bundled_model_dir() / "open_clip_model.safetensors", source)
    info = manager.import_checkpoint(source, architecture=TINY_MODEL_KEY, name="mine")
    spec = manager.resolve("mine")
    found = find_text_tower(spec, manager.cache_dir)
    assert found is not None and found[1].min_cosine >= EXPORT_FIDELITY
    assert info.disk_bytes > 0
    freed = manager.remove("mine")
    assert not found[0].exists() and freed > info.disk_bytes


def test_a_model_loaded_without_its_text_tower_still_gates_text_and_names_labels(
    tower_cache: Path, shape_library: ShapeLibrary, tmp_path: Path
) -> None:
    """With an export present the whole model is loaded without its text tower; what encodes prompts beside
    a search (the text gate's prompts, the viewer's "what the model sees") must use the export."""
    library_dir, cache = tmp_path / "library", tmp_path / "cache"
    shutil.copytree(shape_library.directory, library_dir)
    shutil.copytree(tower_cache, cache)
    with Library.open(library_dir, cache_dir=cache) as library:
        assert library.models.embedder().loaded.tokenizer is None, "the export answers text"
        levels = library.texts.gate_levels()
        assert levels.clear_text > levels.no_text
        photo_id = int(library.searcher.browse_ids(PhotoFilter())[0])
        library.tags.save_label_set(LabelSet("Shapes", tuple(Label(n) for n in ("circle", "square", "triangle"))))
        assert [score.label for score in library.tags.best_labels(photo_id, minimum=0.0)]
