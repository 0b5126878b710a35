"""kill -9 at random moments during indexing loses nothing and never leaves the library inconsistent."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from photoclip.core import Library, ModelManager
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.registry import bundled_model_dir
from photoclip.core.media.decode import SUPPORTED_SUFFIXES
from photoclip.core.media.xmp import read_keywords
from photoclip.demo import generate_photos


def _index_process(library: Path, photos: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "photoclip", "--library", str(library), "index", str(photos), "--no-progress", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _committed(library: Path) -> int:
    if not (library / "catalog.sqlite").exists():
        return 0
    conn = sqlite3.connect(f"file:{library / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
    except sqlite3.OperationalError:  # killed before the catalog existed
        return 0
    finally:
        conn.close()


def _wait_for_progress(library: Path, process: subprocess.Popen[str], before: int) -> None:
    """Kill points are tied to progress, not wall time, so fast and slow machines both kill mid-work."""
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if _committed(library) > before:
            return
        time.sleep(0.01)


def _check_consistent(library_dir: Path, photos: Path, embedder: Embedder, *, complete: bool) -> list[str]:
    """Catalog rows vs files on disk vs index entries; returns the index repairs made on opening."""
    conn = sqlite3.connect(library_dir / "catalog.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Library.open(library_dir, embedder=embedder) as library:
        catalog = library.catalog
        rows = catalog.photos(range(1, 10_000))
        assert all(p.path.exists() for p in rows.values()), "a row for a file that is not there"
        embedded_ids = catalog.embedding_ids(library.model_id)
        assert set(embedded_ids.tolist()) <= set(rows), "a vector without its photo"
        assert all(rows[i].state.value == "ok" for i in embedded_ids.tolist()), "a vector for an unfinished photo"
        index = library.vectors.index()
        assert index is None or sorted(index.ids().tolist()) == embedded_ids.tolist()
        if complete:
            on_disk = {p for p in photos.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES}
            assert {p.path for p in rows.values()} == on_disk
            assert catalog.count_pending(library.model_id) == 0
            assert len(embedded_ids) == len(on_disk)
        return list(library.vectors.repairs)


def test_kill_9_during_indexing_loses_nothing(tmp_path: Path, tiny_embedder: Embedder) -> None:
    photos = tmp_path / "photos"
    total = 240
    generate_photos(photos, total, seed=41, size=(640, 480))
    library = tmp_path / "library"
    library.mkdir()
    settings = {"model": "photoclip-tiny", "batch_size": 8, "decode_workers": 1, "index_save_seconds": 0.2}
    (library / "settings.json").write_text(json.dumps(settings))
    rng = random.Random(20261123)
    kills = 0
    for round_number in range(6):
        before = _committed(library)
        process = _index_process(library, photos)
        if round_number == 0:
            time.sleep(rng.uniform(0.3, 1.5))  # during start-up: imports, catalog creation, the scan
        else:
            _wait_for_progress(library, process, before)
            time.sleep(rng.uniform(0.0, 0.4))  # mid-batch, mid-commit or mid-index-save
        if process.poll() is None:
            process.kill()
            kills += 1
        process.communicate(timeout=60)
        _check_consistent(library, photos, tiny_embedder, complete=False)
    assert kills >= 3, "the library indexed too fast for the kills to land mid-work"
    committed = _committed(library)
    final = _index_process(library, photos)
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    summary = json.loads(out)
    assert summary["embedded"] == total - committed  # committed work is never done twice
    _check_consistent(library, photos, tiny_embedder, complete=True)


def _run(library: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "photoclip", "--library", str(library), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _kill_during(library: Path, args: list[str], env: dict[str, str], rng: random.Random, rounds: int) -> int:
    """Start a command and kill -9 it at a random moment, `rounds` times; returns how many kills landed."""
    kills = 0
    for _ in range(rounds):
        process = _run(library, *args, env=env)
        time.sleep(rng.uniform(1.0, 4.0))  # start-up (imports, the model) takes most of a second or two here
        if process.poll() is None:
            process.kill()
            kills += 1
        process.communicate(timeout=60)
        _check_other_commands_consistent(library)
    return kills


def _check_other_commands_consistent(library: Path) -> None:
    """After any kill: the catalog is sound, the settings parse, every sidecar parses, no user tag is lost."""
    conn = sqlite3.connect(library / "catalog.sqlite")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        user = conn.execute("SELECT COUNT(*) FROM tags WHERE source = 'user' AND status = 'accepted'").fetchone()[0]
        assert user == 3, "a tag a person gave was lost"
    finally:
        conn.close()
    settings = json.loads((library / "settings.json").read_text(encoding="utf-8"))
    assert settings["model"] in ("photoclip-tiny", "tiny-copy")
    for sidecar in (library.parent / "photos").rglob("*.xmp"):
        read_keywords(sidecar.read_bytes())  # raises on a torn or invalid file


def test_kill_9_during_tagging_sidecar_export_and_a_model_switch_loses_nothing(
    tmp_path: Path, tiny_embedder: Embedder
) -> None:
    photos = tmp_path / "photos"
    generate_photos(photos, 160, seed=43, size=(320, 240))
    library = tmp_path / "library"
    cache = tmp_path / "cache"
    env = {**os.environ, "PHOTOCLIP_CACHE": str(cache)}
    with Library.open(library, model="photoclip-tiny", embedder=tiny_embedder, cache_dir=cache) as opened:
        opened.folders.add(photos)
        opened.indexer.update()
        opened.tags.tag(opened.photos.embedded_ids()[:3], "mine")  # what a person gave: never lost
    ModelManager(cache, device="cpu").import_checkpoint(
        bundled_model_dir() / "open_clip_model.safetensors", architecture="photoclip-tiny", name="tiny-copy"
    )
    rng = random.Random(20261130)
    kills = _kill_during(library, ["tag", "--set", "Shapes (demo)", "--auto-accept", "0.6"], env, rng, 3)
    kills += _kill_during(library, ["export-xmp", "--include-suggestions"], env, rng, 3)
    kills += _kill_during(library, ["models", "use", "tiny-copy", "--now", "--no-progress"], env, rng, 3)
    assert kills >= 5, "the commands ended too fast for the kills to land mid-work"

    for args in (["tag", "--set", "Shapes (demo)", "--auto-accept", "0.6"], ["export-xmp", "--include-suggestions"]):
        finished = _run(library, *args, env=env)
        out, err = finished.communicate(timeout=300)
        assert finished.returncode == 0, err
    assert not list(photos.rglob(".*.tmp")), "temporary files of killed exports are cleaned up"
    use = _run(library, "models", "use", "tiny-copy", "--now", "--no-progress", env=env)
    out, err = use.communicate(timeout=300)
    assert use.returncode == 0, err
    with Library.open(library, cache_dir=cache) as reopened:
        assert reopened.model.key == "tiny-copy" and reopened.status().pending == 0
        assert reopened.searcher.search("a red circle", limit=1).hits
        tagged = reopened.tags.tags_of(reopened.photos.embedded_ids())
        assert len(tagged) == 160, "every photo has its tags after the runs finish"
