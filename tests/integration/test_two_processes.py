"""Two photoclip processes on one library (the app or `photoclip watch` beside a command) never leave a stale vector.

An index file records the catalog's vector sequence number it reflects; a process
saving its index first brings in what others wrote meanwhile, so a save can never
claim vectors it has not seen. `doctor` compares the saved index with the catalog
vector by vector, and `doctor --repair` rebuilds an index that differs. Two
`photoclip index` runs at once do the work once: the second waits for the first.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from photoclip.cli import main
from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.vectors.hnsw import VectorIndex
from photoclip.demo import generate_photos, save_photo
from photoclip.demo.shapes import random_scene, render


def _photoclip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "photoclip", *args], capture_output=True, text=True, timeout=300, check=False
    )


def _paint(path: Path, colour: str, shape: str) -> None:
    scene = random_scene(random.Random(7), colour=colour, shape=shape, size="large")
    save_photo(render(scene, 320, 240), path)


@pytest.fixture
def library_dir(tmp_path: Path, tiny_embedder: Embedder) -> Path:
    generate_photos(tmp_path / "photos", 24, seed=81, combos=[("red", "circle"), ("blue", "square")])
    directory = tmp_path / "library"
    with Library.open(directory, model="photoclip-tiny", embedder=tiny_embedder) as library:
        library.folders.add(tmp_path / "photos")
        library.indexer.update()
    return directory


def test_a_running_app_saving_its_index_never_hides_another_processs_new_vector(
    tmp_path: Path, library_dir: Path, tiny_embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    watching = Library.open(library_dir, embedder=tiny_embedder)  # the app, or `photoclip watch`
    try:
        reds = [h.path for h in watching.searcher.search("a red circle", limit=24).hits[:3]]
        x = reds[0]
        _paint(x, "blue", "square")  # red circle -> blue square, same file
        index = _photoclip("--library", str(library_dir), "index", "--json", "--no-progress")
        assert index.returncode == 0, index.stderr
        assert json.loads(index.stdout)["embedded"] == 1
    finally:
        watching.close()  # saves the index it holds, with X's old vector in memory

    with Library.open(library_dir, embedder=tiny_embedder) as library:
        top = [h.path for h in library.searcher.search("a red circle", limit=3).hits]
        assert x not in top, "the blue square must not rank as a red circle"
        squares = [h.path for h in library.searcher.search("a blue square", limit=13).hits]
        assert x in squares
        assert not library.vectors.repairs, "nothing was stale: the save itself caught up"
    assert main(["doctor", "--json", "--library", str(library_dir)]) == 0
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert checks["index"]["status"] == "ok"


def test_doctor_compares_vectors_and_repair_rebuilds_a_stale_index(
    library_dir: Path, tiny_embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    with Library.open(library_dir, embedder=tiny_embedder) as library:
        index = library.vectors.index()
        assert index is not None
        ids = index.ids()
        wrong = index.vectors(ids[:2])[::-1]  # two photos swap vectors: same counts, same ids, wrong answers
        index.add(ids[:2], wrong)
        index.save(library.vectors.directory)  # saved as it is, the way an older version could leave it
    code = main(["doctor", "--json", "--library", str(library_dir)])
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert code == 1 and checks["index"]["status"] == "error" and "2 stale" in checks["index"]["detail"]

    assert main(["doctor", "--repair", "--library", str(library_dir)]) == 0
    out = capsys.readouterr().out
    assert "Repair: rebuilt the index from the 24 vectors" in out
    assert "[ok  ] index:" in out
    with Library.open(library_dir, embedder=tiny_embedder) as library:
        saved = VectorIndex.load(library.vectors.directory, model_id=library.model_id, dim=index.dim)
        assert saved is not None
        stored_ids, stored = library.catalog.embeddings(library.model_id, ids[:2].tolist())
        stored /= np.linalg.norm(stored, axis=1, keepdims=True)
        assert np.allclose(saved.vectors(stored_ids), stored, atol=1e-3)


def test_two_index_runs_at_once_embed_each_photo_once(tmp_path: Path) -> None:
    generate_photos(tmp_path / "photos", 60, seed=82, size=(640, 480))
    library = tmp_path / "library"
    args = [sys.executable, "-m", "photoclip", "--library", str(library), "--model", "photoclip-tiny"]
    added = _photoclip(
        "--library", str(library), "--model", "photoclip-tiny", "folders", "add", str(tmp_path / "photos")
    )
    assert added.returncode == 0, added.stderr
    command = [*args, "index", "--json", "--no-progress"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [run.communicate(timeout=300) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err for _, err in results]
    embedded = [json.loads(out)["embedded"] for out, _ in results]
    assert sorted(embedded) == [0, 60], f"the photos were embedded {sum(embedded)} times"
