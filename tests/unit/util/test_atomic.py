"""Atomic replacement: a failed write leaves the old file whole and no temporary file behind."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from photoclip.core.util.atomic import (
    STALE_SECONDS,
    atomic_path,
    remove_stale_temps,
    write_bytes_atomic,
    write_json_atomic,
)


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_bytes_creates_the_file_and_missing_parent_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "data.bin"
    write_bytes_atomic(target, b"\x00\x01payload")
    assert target.read_bytes() == b"\x00\x01payload"
    assert siblings(target.parent) == ["data.bin"]


def test_write_bytes_replaces_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(b"old content that is longer")
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert siblings(tmp_path) == ["data.bin"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    target.write_text("old", encoding="utf-8")

    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as tmp:
        tmp.write_text("half of the new ver", encoding="utf-8")
        raise RuntimeError("disk full")

    assert target.read_text(encoding="utf-8") == "old"
    assert siblings(tmp_path) == ["settings.json"]


def test_an_interrupted_write_also_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "index.bin"
    target.write_bytes(b"old")

    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise KeyboardInterrupt

    assert target.read_bytes() == b"old"
    assert siblings(tmp_path) == ["index.bin"]


def test_a_failed_first_write_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new.bin"
    with pytest.raises(OSError), atomic_path(target) as tmp:
        tmp.write_bytes(b"x")
        raise OSError("no space left on device")
    assert siblings(tmp_path) == []


def test_atomic_path_yields_a_hidden_sibling_that_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "vectors.idx"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp != target
        assert tmp.name.startswith(".vectors.idx.") and tmp.name.endswith(".tmp")
        assert not target.exists()  # nothing is visible until the write succeeded
        tmp.write_bytes(b"index")  # writers that only accept a file name (hnswlib) write here
    assert target.read_bytes() == b"index"
    assert not tmp.exists()


def test_write_json_round_trips_and_keeps_non_ascii_readable(tmp_path: Path) -> None:
    target = tmp_path / "library.json"
    data = {"name": "Été à Kraków", "count": 3, "ratio": 0.5, "patterns": ["*.tmp", "Thumbs.db"], "none": None}

    write_json_atomic(target, data)

    text = target.read_text(encoding="utf-8")
    assert json.loads(text) == data
    assert "Été à Kraków" in text  # stored as UTF-8, not \u escapes
    assert text.endswith("\n")


def test_write_json_of_unserialisable_data_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "library.json"
    write_json_atomic(target, {"version": 1})

    with pytest.raises(TypeError):
        write_json_atomic(target, {"version": object()})

    assert json.loads(target.read_text(encoding="utf-8")) == {"version": 1}
    assert siblings(tmp_path) == ["library.json"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("kept", [0o644, 0o664, 0o600, 0o640])
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, kept: int) -> None:
    target = tmp_path / "photo.jpg.xmp"
    target.write_bytes(b"old")
    target.chmod(kept)
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new" and mode(target) == kept


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_mode_of_the_umask_like_any_new_file(tmp_path: Path, umask: int) -> None:
    """Not 0600 as mkstemp makes them: a sidecar must be readable by whoever may read the photo."""
    target = tmp_path / "photo.jpg.xmp"
    previous = os.umask(umask)
    try:
        write_bytes_atomic(target, b"new")
    finally:
        os.umask(previous)
    assert mode(target) == 0o666 & ~umask


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_temporary_files_of_killed_writes_are_removed_at_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "photo.jpg.xmp"
    target.write_bytes(b"old")
    stale_old_style = tmp_path / ".photo.jpg.xmp.k2j_9x1a.tmp"  # mkstemp's names, from before
    stale = tmp_path / ".photo.jpg.xmp.0a1b2c3d.tmp"
    fresh = tmp_path / ".photo.jpg.xmp.ffee0011.tmp"  # a write in progress elsewhere: not stale yet
    for path in (stale_old_style, stale, fresh):
        path.write_bytes(b"half")
    age(stale_old_style, 3600)
    age(stale, STALE_SECONDS + 5)
    write_bytes_atomic(target, b"new")
    assert siblings(tmp_path) == [fresh.name, target.name]
    assert target.read_bytes() == b"new"


def test_only_temporary_files_of_the_same_file_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "photo.jpg.xmp"
    others = [
        tmp_path / ".other.jpg.xmp.0a1b2c3d.tmp",  # another file's: its own next write removes it
        tmp_path / ".photo.jpg.xmp.backup.copy.tmp",  # not one of our names
        tmp_path / "photo.jpg.xmp.0a1b2c3d.tmp",  # not hidden: not ours
        tmp_path / ".photo.jpg.xmp.0a1b2c3d.bak",
    ]
    for path in others:
        path.write_bytes(b"keep me")
        age(path, 3600)
    assert remove_stale_temps(target) == 0
    assert all(path.exists() for path in others)
