"""A drive that is not mounted is offline, never emptied: every tag and album waits for it.

The mount point of a drive that is not mounted is an empty folder on another device.
`photoclip index` and `photoclip watch` used to take that as "every photo deleted",
forgetting their tags and albums for good (40 removed, then 40 new, 0 tags). Now such
a folder is offline; a photo that is really deleted keeps what was learnt about it
for a grace period, and gets it back if the same bytes return.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoclip.core import Library, PhotoId
from photoclip.core.clip.embedder import Embedder
from photoclip.demo import generate_photos

PHOTOS = 40


def _tag_and_album(library: Library) -> tuple[list[PhotoId], list[PhotoId]]:
    ids = sorted(library.photos.embedded_ids())
    tagged, in_album = ids[:5], ids[5:15]
    library.tags.tag(tagged, "holiday")
    library.albums.create("Best", in_album)
    return tagged, in_album


def _tags_and_albums(library: Library) -> tuple[int, int]:
    tagged = sum(1 for tags in library.tags.tags_of(library.photos.embedded_ids()).values() for t in tags)
    return tagged, library.albums.get("Best").count


def _update(library: Library) -> tuple[int, int, int]:
    report = library.indexer.update()
    return (
        sum(len(s.added) for s in report.scans),
        sum(len(s.removed) for s in report.scans),
        report.embedded,
    )


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    photos = tmp_path / "drive"
    generate_photos(photos, PHOTOS, seed=71, combos=[("red", "circle"), ("blue", "star")])
    return photos


def test_a_folder_whose_device_changed_and_stands_empty_is_offline_not_emptied(
    tmp_path: Path, drive: Path, tiny_embedder: Embedder
) -> None:
    """The unmount, as seen by the library everywhere: an empty folder on another device than before."""
    mount_point = tmp_path / "mnt"
    shutil.copytree(drive, mount_point)
    with Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder) as library:
        library.folders.add(mount_point)
        assert _update(library)[2] == PHOTOS
        _tag_and_album(library)
    with sqlite3.connect(tmp_path / "library" / "catalog.sqlite") as db:  # recorded: the device the photos were on
        (device,) = db.execute("SELECT device FROM folders").fetchone()
        assert device == os.stat(mount_point).st_dev
        db.execute("UPDATE folders SET device = device + 1")  # they were on another device: a drive mounted here
    unmounted = tmp_path / "unmounted-contents"
    mount_point.rename(unmounted)
    mount_point.mkdir()  # what an unmounted mount point looks like

    with Library.open(tmp_path / "library", embedder=tiny_embedder) as library:
        assert _update(library) == (0, 0, 0)
        status = library.status()
        assert status.folders[0].offline and status.photos == PHOTOS
        assert _tags_and_albums(library) == (5, 10)
        reasons = library.photos.skip_reasons()
        assert reasons.get("offline") == 1
        hit = library.searcher.search("a red circle", limit=1).hits[0]
        assert hit.offline

    shutil.rmtree(mount_point)
    unmounted.rename(mount_point)  # mounted again
    with Library.open(tmp_path / "library", embedder=tiny_embedder) as library:
        assert _update(library) == (0, 0, 0)
        assert not library.status().folders[0].offline
        assert _tags_and_albums(library) == (5, 10)


def test_a_subfolder_standing_empty_keeps_its_photos_and_says_why(
    tmp_path: Path, drive: Path, tiny_embedder: Embedder
) -> None:
    """A nested mount point (a NAS share inside the photo folder) unmounted: only its photos are unreachable."""
    folder = tmp_path / "photos"
    (folder / "nas").mkdir(parents=True)
    shutil.copytree(drive, folder / "nas" / "share")
    generate_photos(folder / "local", 20, seed=72)
    with Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder) as library:
        library.folders.add(folder)
        assert _update(library)[2] == PHOTOS + 20
        tagged, in_album = _tag_and_album(library)
        shutil.move(str(folder / "nas" / "share"), str(tmp_path / "away"))  # nas/ now stands empty
        local = [p for p in library.photos.get(library.photos.embedded_ids()).values() if "local" in p.path.parts]
        next(p for p in local if p.id not in tagged + in_album).path.unlink()  # one real delete
        added, removed, _ = _update(library)
        assert (added, removed) == (0, 1), "only the photo deleted from a folder that still lists files is gone"
        skipped = library.photos.skipped()
        assert [(s.path, s.reason) for s in skipped] == [(folder / "nas", "empty_mount")]
        assert "unmounted" in skipped[0].message
        assert _tags_and_albums(library) == (5, 10)


def test_a_deleted_photo_comes_back_with_its_tags_albums_and_vector(
    tmp_path: Path, drive: Path, tiny_embedder: Embedder
) -> None:
    folder = tmp_path / "photos"
    shutil.copytree(drive, folder)
    with Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder) as library:
        library.folders.add(folder)
        _update(library)
        tagged, in_album = _tag_and_album(library)
        photo = library.photos.one(tagged[0])
        assert photo is not None and tagged[0] not in in_album
        kept = tmp_path / "kept.jpg"
        shutil.move(str(photo.path), str(kept))
        assert _update(library)[1] == 1  # really gone: the folder still lists other files
        assert _tags_and_albums(library) == (4, 10)
        restored_at = folder / "restored" / "from-backup.jpg"
        restored_at.parent.mkdir()
        shutil.copy2(kept, restored_at)  # the same bytes come back, elsewhere, a day later
        added, _, embedded = _update(library)
        assert (added, embedded) == (1, 0), "its vector came back with it: nothing is embedded again"
        back = library.photos.by_path(restored_at)
        assert back is not None
        assert [t.label for t in library.tags.tags_of([back.id])[back.id]] == ["holiday"]
        assert _tags_and_albums(library) == (5, 10)
        assert library.searcher.search("a red circle", limit=PHOTOS).hits


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


@pytest.fixture
def bind_mount(tmp_path: Path, drive: Path) -> Iterator[tuple[Path, Path]]:
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("bind mounts need root on Linux; test_a_folder_whose_device_changed... covers the rule")
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    result = _mount("--bind", str(drive), str(mount_point))
    if result.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {result.stderr.strip()}")
    try:
        yield drive, mount_point
    finally:
        while _mounted(mount_point):  # os.path.ismount cannot see a bind mount within one file system
            subprocess.run(["umount", str(mount_point)], check=True)


def _mounted(path: Path) -> bool:
    with open("/proc/self/mountinfo", encoding="utf-8") as mounts:
        return any(line.split()[4] == str(path) for line in mounts)


def test_a_real_unmount_and_remount_keeps_every_tag_and_album(
    tmp_path: Path, bind_mount: tuple[Path, Path], tiny_embedder: Embedder
) -> None:
    drive, mount_point = bind_mount
    library_dir = tmp_path / "library"
    with Library.open(library_dir, model="photoclip-tiny", embedder=tiny_embedder) as library:
        library.folders.add(mount_point)
        assert _update(library)[2] == PHOTOS
        _tag_and_album(library)
    subprocess.run(["umount", str(mount_point)], check=True)
    assert not any(mount_point.iterdir())

    index = subprocess.run(
        [sys.executable, "-m", "photoclip", "--library", str(library_dir), "index", "--json", "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert index.returncode == 0, index.stderr
    assert '"removed": 0' in index.stdout

    with Library.open(library_dir, embedder=tiny_embedder) as library:
        watcher = library.watch(settle_seconds=0.2, check_seconds=0.2)
        try:
            assert watcher.wait_idle(60)
            time.sleep(0.5)
            assert watcher.wait_idle(60) and watcher.error is None
        finally:
            watcher.stop()
        assert library.status().photos == PHOTOS and library.status().folders[0].offline
        assert _tags_and_albums(library) == (5, 10)

    assert _mount("--bind", str(drive), str(mount_point)).returncode == 0
    with Library.open(library_dir, embedder=tiny_embedder) as library:
        assert _update(library) == (0, 0, 0)
        assert not library.status().folders[0].offline
        assert _tags_and_albums(library) == (5, 10)
