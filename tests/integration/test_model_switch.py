"""Switching a library's model: photos are re-embedded in the background while the old index answers.

The new model is an imported copy of the bundled tiny model under another name: a
different model id (so every photo really is embedded again, through the same code
path as any model) with the same weights (so its vectors must equal the old ones).
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from photoclip.cli import main
from photoclip.core import IndexProgress, Library, ModelManager
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.registry import TINY_MODEL_KEY, bundled_model_dir
from photoclip.core.vectors.hnsw import VectorIndex

TINY_WEIGHTS = bundled_model_dir() / "open_clip_model.safetensors"
QUERY = "a red circle"


def _top(library: Library, limit: int = 10) -> list[Path]:
    return [hit.path for hit in library.searcher.search(QUERY, limit=limit).hits]


def test_switch_reembeds_every_photo_while_the_old_index_serves_then_flips(
    library_copy: Path, tiny_embedder: Embedder, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    ModelManager(cache, device="cpu").import_checkpoint(TINY_WEIGHTS, architecture=TINY_MODEL_KEY, name="tiny-copy")
    library = Library.open(library_copy, embedder=tiny_embedder, cache_dir=cache)
    # a model loaded again after switching back runs in the precision the shared one chose, so scores
    # (and the order of near ties) compare exactly; the tiny model's bfloat16 speedup is too close to
    # the calibration's threshold for two calibrations to be sure to agree
    library.update_settings(precision=tiny_embedder.precision)
    try:
        old_id = library.model_id
        photos = library.status().embedded
        before = _top(library)
        assert len(before) == 10

        switch = library.models.switch("tiny-copy").value
        assert switch is not None and switch.done == 0 and switch.total == photos
        settings = json.loads((library_copy / "settings.json").read_text())
        assert settings["model"] == TINY_MODEL_KEY and settings["next_model"] == "tiny-copy"
        assert library.status().switch == switch and library.model_id == old_id

        cancel = threading.Event()

        def stop_part_way(progress: IndexProgress) -> None:
            if progress.phase == "switch" and progress.done >= 32:
                cancel.set()

        report = library.indexer.index_pending(progress=stop_part_way, cancel=cancel)
        assert report.cancelled and report.switched_to is None
        partial = library.models.switch_state()
        assert partial is not None and 0 < partial.done < partial.total
        assert library.model_id == old_id and _top(library) == before

        answers: list[list[Path]] = []
        errors: list[BaseException] = []
        finished = threading.Event()

        def keep_searching() -> None:
            while not finished.is_set():
                try:
                    answers.append(_top(library))
                except BaseException as e:  # collected and asserted below
                    errors.append(e)
                    return

        searcher = threading.Thread(target=keep_searching)
        searcher.start()
        try:
            report = library.indexer.index_pending()
        finally:
            finished.set()
            searcher.join(timeout=60)
        assert not errors, errors
        assert len(answers) >= 2 and all(answer[:3] == before[:3] for answer in answers)
        assert report.switched_to == "tiny-copy" and report.switch_embedded == photos - partial.done

        assert library.model_id.startswith("tiny-copy@") and library.model_id != old_id
        settings = json.loads((library_copy / "settings.json").read_text())
        assert settings["model"] == "tiny-copy" and settings["next_model"] is None
        assert library.models.switch_state() is None and library.status().switch is None
        old_ids, old_vectors = library.catalog.embeddings(old_id)
        new_ids, new_vectors = library.catalog.embeddings(library.model_id)
        assert np.array_equal(old_ids, new_ids) and len(new_ids) == photos  # old vectors kept, all re-embedded
        assert np.allclose(old_vectors, new_vectors, atol=2e-3)
        assert VectorIndex.files(library.vectors.directory, library.model_id)[0].exists()
        assert _top(library)[:3] == before[:3]

        assert library.models.switch(TINY_MODEL_KEY).value is None  # every vector is still there: instant
        assert library.model_id == old_id and _top(library) == before
    finally:
        library.close()
    with Library.open(library_copy, cache_dir=cache) as reopened:
        assert reopened.model_id == old_id and reopened.settings.next_model is None


def test_switching_to_the_current_model_cancels_a_pending_switch(
    library_copy: Path, tiny_embedder: Embedder, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    ModelManager(cache).import_checkpoint(TINY_WEIGHTS, architecture="tiny", name="other")
    with Library.open(library_copy, embedder=tiny_embedder, cache_dir=cache) as library:
        assert library.models.switch("other").value is not None
        assert library.models.switch("tiny").value is None and library.models.switch_state() is None
        assert library.models.switch("other").value is not None and library.models.cancel_switch()
        assert json.loads((library_copy / "settings.json").read_text())["next_model"] is None


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_cli_import_use_and_remove(library_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOTOCLIP_CACHE", str(tmp_path / "cache"))
    lib = ["--library", str(library_copy), "--device", "cpu"]
    code, out, _ = _run(["models", "import", str(TINY_WEIGHTS), "--arch", "photoclip-tiny", "--name", "copy", *lib])
    assert code == 0 and "Imported copy" in out
    code, _, err = _run(["models", "import", str(TINY_WEIGHTS), "--arch", "ViT-B-32", "--name", "wrong", *lib])
    assert code == 1 and "does not fit the ViT-B-32 architecture" in err and len(err.strip().splitlines()) == 1

    code, out, _ = _run(["models", "use", "copy", *lib])
    assert code == 0 and "Switching to copy: 0 of" in out and "next 'photoclip index'" in out
    code, out, _ = _run(["status", "--json", *lib])
    assert json.loads(out)["switch"]["to"] == "copy"
    code, out, _ = _run(["models", "list", *lib])
    assert any(line.startswith(">") and " copy " in line for line in out.splitlines())

    code, out, _ = _run(["models", "use", "copy", "--now", "--no-progress", *lib])
    assert code == 0 and "Done: the library now uses copy" in out
    code, _, err = _run(["models", "remove", "copy", *lib])
    assert code == 1 and "current model" in err

    code, out, _ = _run(["models", "use", "photoclip-tiny", *lib])
    assert code == 0 and "now uses photoclip-tiny: every photo already had its vectors" in out
    code, out, _ = _run(["models", "remove", "copy", "--vectors", *lib])
    assert code == 0 and "Removed copy" in out and "Deleted this library's" in out
    code, _, err = _run(["models", "use", "copy", *lib])
    assert code == 1 and "Unknown model 'copy'" in err


def test_cli_refuses_a_checkpoint_with_nan_weights_and_the_library_keeps_working(
    library_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to import; `models use --now` switched to it and every search then failed."""
    from safetensors.torch import load_file, save_file

    monkeypatch.setenv("PHOTOCLIP_CACHE", str(tmp_path / "cache"))
    weights = load_file(str(TINY_WEIGHTS))
    projection = weights["text_projection"].clone()
    projection[7, 3] = float("nan")  # one weight of one tensor, as training that diverged leaves them
    weights["text_projection"] = projection
    diverged = tmp_path / "diverged.safetensors"
    save_file(weights, str(diverged))
    lib = ["--library", str(library_copy), "--device", "cpu"]

    code, out, err = _run(["models", "import", str(diverged), "--arch", "photoclip-tiny", "--name", "diverged", *lib])
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "non-finite" in err and "not imported" in err
    assert list((tmp_path / "cache" / "imported").iterdir()) == []  # no model, no staging folder

    code, _, err = _run(["models", "use", "diverged", "--now", "--no-progress", *lib])
    assert code == 1 and "Unknown model 'diverged'" in err
    code, out, _ = _run(["status", "--json", *lib])
    assert json.loads(out)["model"] == TINY_MODEL_KEY and json.loads(out)["switch"] is None
    code, out, _ = _run(["search", QUERY, "-n", "3", "--json", *lib])
    assert code == 0 and len(json.loads(out)["results"]) == 3


def test_cli_refuses_a_pickle_with_program_code_without_unsafe_advice(
    library_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch
    from safetensors.torch import load_file

    monkeypatch.setenv("PHOTOCLIP_CACHE", str(tmp_path / "cache"))
    checkpoint = tmp_path / "epoch3.pt"
    torch.save({"state_dict": load_file(str(TINY_WEIGHTS)), "optimizer": _Optimizer()}, checkpoint)
    code, out, err = _run(["models", "import", str(checkpoint), "--arch", "tiny", "--library", str(library_copy)])
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "photoclip loads only weights" in err and "weights_only" not in err


class _Optimizer:
    """A training program's own object, pickled into its checkpoint."""

    def __init__(self) -> None:
        self.learning_rate = 1e-4
