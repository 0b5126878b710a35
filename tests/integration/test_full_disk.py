"""A full disk ends a command with one line that says what to free, and never costs a saved file.

Scanning, storing and closing used to end in raw tracebacks ("database or disk is
full", Errno 28), and hnswlib wrote a short index file without a word, which then
replaced the good one. The library runs here on a real, small file system (tmpfs),
so the test needs root on Linux; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from photoclip.core import DiskFull
from photoclip.core.vectors.hnsw import VectorIndex
from photoclip.demo import generate_photos


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real small file system (tmpfs) needs root on Linux")
    disk = tmp_path / "small-disk"
    disk.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with open(filler, "ab") as f:
        f.write(b"\0" * max(0, free - leave))
    return filler


def _photoclip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "photoclip", *args], capture_output=True, text=True, timeout=300)


def test_indexing_onto_a_full_disk_says_so_and_resumes_once_space_is_freed(tmp_path: Path, small_disk: Path) -> None:
    generate_photos(tmp_path / "photos" / "first", 150, seed=95, size=(160, 120))
    library = small_disk / "library"
    options = ["--library", str(library), "--model", "photoclip-tiny"]
    assert _photoclip(*options, "index", str(tmp_path / "photos"), "--no-progress").returncode == 0
    generate_photos(tmp_path / "photos" / "more", 150, seed=96, size=(160, 120))
    filler = _fill(small_disk, leave=48 * 1024)  # room for a few batches, not for all of them
    result = _photoclip(*options, "index", "--no-progress")
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is full" in lines[0] and "free" in lines[0].lower(), result.stderr
    assert "Traceback" not in result.stderr

    filler.unlink()
    result = _photoclip(*options, "index", "--no-progress", "--json")
    assert result.returncode == 0, result.stderr
    status = _photoclip(*options, "status", "--json")
    assert '"indexed": 300' in status.stdout and '"pending": 0' in status.stdout
    db = sqlite3.connect(library / "catalog.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_an_index_save_on_a_full_disk_keeps_the_previous_file(small_disk: Path) -> None:
    rng = np.random.default_rng(0)
    index = VectorIndex(64, model_id="m", capacity=4096)
    index.add(np.arange(1, 2001), rng.standard_normal((2000, 64)).astype(np.float32))
    directory = small_disk / "index"
    index.save(directory)
    index_file, _ = VectorIndex.files(directory, "m")
    saved = index_file.read_bytes()
    index.add(np.arange(2001, 4001), rng.standard_normal((2000, 64)).astype(np.float32))  # twice the size now
    _fill(small_disk, leave=200 * 1024)
    with pytest.raises(DiskFull, match="is full"):
        index.save(directory)
    assert index_file.read_bytes() == saved
    reloaded = VectorIndex.load(directory, model_id="m", dim=64)
    assert reloaded is not None and len(reloaded) == 2000
    assert not [p for p in directory.iterdir() if p.name.endswith(".tmp")], "no temporary file left behind"
