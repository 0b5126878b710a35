"""Incremental scanning of real folder trees."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from photoclip.core.ingest.scanner import FUTURE_SLACK_NS, scan_folder, scan_folders
from photoclip.core.ingest.walk import IgnoreRules, walk
from photoclip.core.store.catalog import Catalog, FileStat


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    c = Catalog(tmp_path / "library" / "catalog.sqlite")
    yield c
    c.close()


def touch(path: Path, content: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def found(root: Path, rules: IgnoreRules | None = None) -> set[str]:
    return {str(f.path.relative_to(root)) for f in walk(root, rules or IgnoreRules()) if isinstance(f, FileStat)}


def test_walk_finds_photos_and_skips_junk(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    touch(root / "a.jpg")
    touch(root / "sub" / "B.JPEG")
    touch(root / "sub" / "c.png")
    touch(root / "notes.txt")
    touch(root / ".hidden.jpg")
    touch(root / ".thumbnails" / "t.jpg")
    touch(root / "@eaDir" / "t.jpg")
    touch(root / "$RECYCLE.BIN" / "old.jpg")
    touch(root / ".git" / "x.png")
    assert found(root) == {"a.jpg", "sub/B.JPEG", "sub/c.png"}


def test_ignore_patterns_and_excluded_folders(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    touch(root / "keep.jpg")
    touch(root / "tmp_1.jpg")
    touch(root / "exports" / "e.jpg")
    touch(root / "lib" / "thumb.jpg")
    rules = IgnoreRules(patterns=("tmp_*", "exports"), excluded=(root / "lib",))
    assert found(root, rules) == {"keep.jpg"}


def test_symlink_loops_are_walked_once(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    touch(root / "a" / "p.jpg")
    os.symlink(root, root / "a" / "loop")
    os.symlink(root / "a", root / "again")
    assert found(root) == {"a/p.jpg"}


def test_dangling_symlink_is_ignored(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    touch(root / "p.jpg")
    os.symlink(root / "gone.jpg", root / "dangling.jpg")
    assert found(root) == {"p.jpg"}


def test_scan_detects_new_changed_and_removed(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    touch(root / "a.jpg")
    touch(root / "b.jpg")
    touch(root / "c.jpg")
    folder = catalog.add_folder(root)
    first = scan_folder(catalog, folder)
    assert len(first.added) == 3 and not first.changed and not first.removed

    again = scan_folder(catalog, folder)
    assert (len(again.added), len(again.changed), len(again.removed), again.unchanged) == (0, 0, 0, 3)

    touch(root / "a.jpg", b"longer content")
    (root / "b.jpg").unlink()
    touch(root / "d.jpg")
    third = scan_folder(catalog, folder)
    known = catalog.known_files(folder.id)
    assert [known[str(root / "d.jpg")].id] == third.added
    assert third.changed == [known[str(root / "a.jpg")].id]
    assert len(third.removed) == 1 and str(root / "b.jpg") not in known


def test_missing_folder_goes_offline_and_forgets_nothing(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "drive"
    touch(root / "a.jpg")
    folder = catalog.add_folder(root)
    scan_folder(catalog, folder)
    shutil.move(root, tmp_path / "elsewhere")
    report = scan_folder(catalog, folder)
    assert report.missing and not report.removed
    assert len(catalog.known_files(folder.id)) == 1
    assert not catalog.folders()[0].online
    shutil.move(tmp_path / "elsewhere", root)
    back = scan_folder(catalog, catalog.folders()[0])
    assert not back.missing and back.unchanged == 1 and catalog.folders()[0].online


def test_moves_keep_their_rows(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    touch(root / "a" / "one.jpg", b"first photo")
    touch(root / "a" / "two.jpg", b"second photo, longer")
    folder = catalog.add_folder(root)
    scan_folder(catalog, folder)
    before = {Path(p).name: k.id for p, k in catalog.known_files(folder.id).items()}
    (root / "b").mkdir()
    os.rename(root / "a" / "one.jpg", root / "b" / "one.jpg")  # same name, size, mtime: no reading needed
    report = scan_folder(catalog, folder)
    assert report.moved == [before["one.jpg"]] and not report.added and not report.removed
    assert catalog.known_files(folder.id)[str(root / "b" / "one.jpg")].id == before["one.jpg"]


def test_renamed_file_is_recognised_by_content(catalog: Catalog, tmp_path: Path) -> None:
    from photoclip.core.media.decode import hash_file
    from photoclip.core.store.catalog import PhotoMetadata

    root = tmp_path / "photos"
    touch(root / "IMG_1.jpg", b"the same bytes")
    folder = catalog.add_folder(root)
    (pid,) = scan_folder(catalog, folder).added
    meta = PhotoMetadata(14, 1, hash_file(root / "IMG_1.jpg"), 1, 1, "jpeg", None, "file", None)
    catalog.record_batch("m", [(pid, meta, __import__("numpy").ones(4, dtype="float32"))], [], [])
    os.rename(root / "IMG_1.jpg", root / "beach.jpg")
    os.utime(root / "beach.jpg", ns=(1, 1))  # a different date too: only the content can tell
    report = scan_folder(catalog, folder)
    assert report.moved == [pid] and not report.added and not report.removed
    assert catalog.models() == {"m": 1}  # the vector stayed with the photo


@pytest.mark.skipif(os.geteuid() == 0, reason="root can list any folder")
def test_unlistable_subfolder_forgets_nothing(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    touch(root / "private" / "a.jpg")
    folder = catalog.add_folder(root)
    scan_folder(catalog, folder)
    (root / "private").chmod(0)
    try:
        report = scan_folder(catalog, folder)
    finally:
        (root / "private").chmod(0o755)
    assert report.problems and not report.removed


def test_settling_defers_fresh_files_but_not_future_dated_ones(catalog: Catalog, tmp_path: Path) -> None:
    """A copy in progress waits; a photo whose camera clock was years ahead is finished and must not wait forever."""
    root = tmp_path / "photos"
    fresh = touch(root / "fresh.jpg")
    future = touch(root / "future.jpg")
    old = touch(root / "old.jpg")
    in_ten_years = int((os.stat(future).st_mtime_ns + 10 * 365 * 86400 * 10**9) / 1e9)
    os.utime(future, (in_ten_years, in_ten_years))
    os.utime(old, (1_600_000_000, 1_600_000_000))
    folder = catalog.add_folder(root)
    (report,) = scan_folders(catalog, [folder], subtrees=[root], settle_ns=2 * 10**9)
    assert report.deferred == [fresh]
    assert set(catalog.known_files(folder.id)) == {str(future), str(old)}
    slightly_ahead = (os.stat(fresh).st_mtime_ns + FUTURE_SLACK_NS // 2) // 10**9
    os.utime(fresh, (slightly_ahead, slightly_ahead))  # a file server's clock a little ahead: still settling
    (report,) = scan_folders(catalog, [folder], subtrees=[root], settle_ns=2 * 10**9)
    assert report.deferred == [fresh] and not report.added


@pytest.mark.skipif(os.name != "posix", reason="file names that are not valid Unicode exist on POSIX file systems")
def test_a_watched_subfolder_whose_name_is_not_unicode_is_reported_not_fatal(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    root.mkdir()
    (root / "ok.jpg").write_bytes(b"x")
    odd = Path(os.fsdecode(os.fsencode(root) + b"/Urlaub-\xe4"))
    odd.mkdir()
    (odd / "a.jpg").write_bytes(b"x")
    folder = catalog.add_folder(root)
    scan_folder(catalog, folder)
    (report,) = scan_folders(catalog, [folder], subtrees=[odd])  # what the watcher does after an event there
    assert [(p.reason, p.path) for p in report.problems] == [("bad_name", odd)]
    assert not report.removed
