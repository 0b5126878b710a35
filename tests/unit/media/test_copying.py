"""Copies into a chosen folder: originals only read, names never overwritten, unreadable files reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from photoclip.core.errors import LibraryError
from photoclip.core.media.copying import copy_files


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_copies_keep_names_and_taken_names_get_a_number(tmp_path: Path) -> None:
    a = write(tmp_path / "cam1" / "IMG_0001.jpg", b"first")
    b = write(tmp_path / "cam2" / "IMG_0001.jpg", b"second")
    c = write(tmp_path / "cam2" / "beach.png", b"third")
    out = tmp_path / "out"
    write(out / "beach.png", b"already here")
    os.utime(a, (1_000_000_000, 1_000_000_000))

    report = copy_files([a, b, c], out)

    assert [copy.name for _, copy in report.copied] == ["IMG_0001.jpg", "IMG_0001 (2).jpg", "beach (2).png"]
    assert (out / "IMG_0001.jpg").read_bytes() == b"first" and (out / "IMG_0001 (2).jpg").read_bytes() == b"second"
    assert (out / "beach.png").read_bytes() == b"already here"  # never overwritten
    assert (out / "IMG_0001.jpg").stat().st_mtime == 1_000_000_000  # the file's date goes along
    assert a.read_bytes() == b"first" and b.read_bytes() == b"second"  # originals untouched
    assert report.renamed == 2 and not report.failed
    assert str(report) == f"Copied 3 photos to {out} (2 copies renamed because the name was taken)."


def test_an_unreadable_photo_is_reported_and_the_rest_copied(tmp_path: Path) -> None:
    good = write(tmp_path / "in" / "good.jpg", b"ok")
    gone = tmp_path / "in" / "gone.jpg"
    not_a_file = tmp_path / "in" / "folder.jpg"
    not_a_file.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    report = copy_files([gone, not_a_file, good], out)
    assert [copy.name for _, copy in report.copied] == ["good.jpg"]
    assert [(p.name, why) for p, why in report.failed] == [
        ("gone.jpg", "the file is not there any more (moved, or its drive is not connected)"),
        ("folder.jpg", "Is a directory"),
    ]
    assert sorted(p.name for p in out.iterdir()) == ["good.jpg"]  # no empty or partial copy left behind
    assert "gone.jpg and 1 other could not be copied: the file is not there" in str(report)


def test_a_photo_we_may_not_read_is_reported(tmp_path: Path) -> None:
    locked = write(tmp_path / "in" / "locked.jpg", b"secret")
    locked.chmod(0)
    out = tmp_path / "out"
    out.mkdir()
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: permissions do not stop reading")
        report = copy_files([locked], out)
    finally:
        locked.chmod(0o644)
    assert [(p.name, why) for p, why in report.failed] == [("locked.jpg", "permission denied")]
    assert list(out.iterdir()) == []


def test_the_sidecar_goes_along_under_the_new_name(tmp_path: Path) -> None:
    photo = write(tmp_path / "in" / "a.jpg", b"photo")
    write(tmp_path / "in" / "a.jpg.xmp", b"<x:xmpmeta/>")
    out = tmp_path / "out"
    write(out / "a.jpg", b"other")
    copy_files([photo], out)
    assert (out / "a (2).jpg.xmp").read_bytes() == b"<x:xmpmeta/>"
    assert not (out / "a.jpg.xmp").exists()


def test_progress_and_cancel(tmp_path: Path) -> None:
    photos = [write(tmp_path / "in" / f"{i}.jpg", b"x") for i in range(4)]
    out = tmp_path / "out"
    out.mkdir()
    heard: list[tuple[int, int]] = []
    report = copy_files(photos, out, progress=lambda d, n: heard.append((d, n)), cancelled=lambda: len(heard) >= 2)
    assert heard == [(0, 4), (1, 4)] and len(report.copied) == 2 and report.cancelled
    assert str(report).endswith("; stopped before the end.")


def test_the_destination_must_be_a_writable_folder(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="is not a folder"):
        copy_files([], tmp_path / "missing")
