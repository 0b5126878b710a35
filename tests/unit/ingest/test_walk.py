"""Walking real folder trees: every entry that cannot become a photo is reported with its reason (issue 16, item 8)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from photoclip.core.ingest.walk import IgnoreRules, walk, walk_raw
from photoclip.core.store.problems import SkippedFile
from photoclip.core.store.records import FileStat


def touch(path: Path, content: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def problems(root: Path, rules: IgnoreRules | None = None) -> dict[str, str]:
    """{path relative to root: reason} of everything the walk reports."""
    _, found = walk_raw(root, rules or IgnoreRules())
    return {os.path.relpath(p.path, root): p.reason for p in found}


def test_a_clean_tree_reports_nothing(tmp_path: Path) -> None:
    touch(tmp_path / "a.jpg")
    touch(tmp_path / "sub" / "b.png")
    touch(tmp_path / "notes.txt")
    assert problems(tmp_path) == {}


def test_a_link_back_to_a_folder_above_is_a_loop_walked_once(tmp_path: Path) -> None:
    touch(tmp_path / "a" / "p.jpg")
    os.symlink(tmp_path, tmp_path / "a" / "up")
    files, found = walk_raw(tmp_path, IgnoreRules())
    assert [os.path.relpath(f[0], tmp_path) for f in files] == ["a/p.jpg"]
    assert [(os.path.relpath(p.path, tmp_path), p.reason) for p in found] == [("a/up", "link_loop")]
    assert "loop" in found[0].message


def test_links_leading_back_to_themselves(tmp_path: Path) -> None:
    os.symlink("self.jpg", tmp_path / "self.jpg")
    os.symlink("b.jpg", tmp_path / "a.jpg")
    os.symlink("a.jpg", tmp_path / "b.jpg")
    os.symlink("circle", tmp_path / "circle")  # not named like a photo: a broken link like any other
    assert problems(tmp_path) == {"self.jpg": "link_loop", "a.jpg": "link_loop", "b.jpg": "link_loop"}


def test_pipes_devices_and_dangling_links_named_like_photos(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.jpg")
    os.symlink(tmp_path / "gone" / "original.jpg", tmp_path / "y.jpg")
    os.symlink(tmp_path / "x.jpg", tmp_path / "to-pipe.jpg")  # leads somewhere: to a pipe
    os.mkfifo(tmp_path / "pipe")  # not named like a photo: none of our business
    os.symlink(tmp_path / "gone", tmp_path / "dangling-folder")
    expected = {"x.jpg": "not_a_file", "y.jpg": "dangling_link", "to-pipe.jpg": "not_a_file"}
    try:
        os.mknod(tmp_path / "z.png", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        expected["z.png"] = "not_a_file"
    except OSError:
        pass  # not allowed to make device files here
    assert problems(tmp_path) == expected


def test_ignored_and_hidden_entries_are_not_problems(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".hidden.jpg")
    os.mkfifo(tmp_path / "tmp_1.jpg")
    (tmp_path / ".cache").mkdir()
    os.symlink(tmp_path, tmp_path / ".cache" / "loop")
    assert problems(tmp_path, IgnoreRules(patterns=("tmp_*",))) == {}


@pytest.mark.skipif(os.geteuid() == 0, reason="root can list any folder")
def test_a_folder_without_permission_is_unlistable(tmp_path: Path) -> None:
    touch(tmp_path / "private" / "a.jpg")
    (tmp_path / "private").chmod(0)
    try:
        assert problems(tmp_path) == {"private": "unlistable"}
    finally:
        (tmp_path / "private").chmod(0o755)


def test_a_folder_nested_past_the_path_limit_is_unlistable(tmp_path: Path) -> None:
    """Any user, root too: the system refuses paths longer than PATH_MAX."""
    descriptor = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(4200 // 201 + 1):
            os.mkdir("d" * 200, dir_fd=descriptor)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
    finally:
        os.close(descriptor)
    found = walk_raw(tmp_path, IgnoreRules())[1]
    assert [p.reason for p in found] == ["unlistable"]
    assert len(os.fsencode(found[0].path)) >= os.pathconf("/", "PC_PATH_MAX") and "too long" in found[0].message


def test_names_that_are_not_unicode_are_walked_for_the_scanner_to_judge(tmp_path: Path) -> None:
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.jpg"), "wb") as handle:
        handle.write(b"x")
    entries = list(walk(tmp_path))
    assert len(entries) == 1 and isinstance(entries[0], FileStat)
    assert os.fsencode(entries[0].path).endswith(b"caf\xe9.jpg")  # the scanner reports it as "bad_name"


def test_walk_yields_problems_and_files(tmp_path: Path) -> None:
    touch(tmp_path / "a.jpg")
    os.mkfifo(tmp_path / "b.jpg")
    entries = list(walk(tmp_path))
    assert {type(e) for e in entries} == {FileStat, SkippedFile}
