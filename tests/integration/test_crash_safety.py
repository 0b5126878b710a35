"""kill -9 at random moments during indexing loses nothing and never leaves the library inconsistent."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.media.decode import SUPPORTED_SUFFIXES
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
