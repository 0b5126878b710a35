"""The live library: real watchdog (inotify) events on real files, the real tiny model."""

from __future__ import annotations

import errno
import os
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from watchdog.observers import Observer

from photoclip.core import Activity, Library, LibraryWatcher, run_checks
from photoclip.core.clip.embedder import Embedder
from photoclip.demo import generate_photos, save_photo
from photoclip.demo.shapes import random_scene, render


@dataclass
class Watched:
    library: Library
    watcher: LibraryWatcher
    photos_dir: Path
    activities: list[Activity]

    def settle(self, action_rounds: int = 1, timeout: float = 60.0) -> None:
        """Wait until the watcher has done at least one more round and is idle again."""
        target = self.watcher.rounds + action_rounds
        deadline = time.monotonic() + timeout
        while self.watcher.rounds < target and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.watcher.rounds >= target, "the watcher did not react"
        assert self.watcher.wait_idle(timeout)
        assert self.watcher.error is None

    def top(self, query: str) -> Path:
        return self.library.searcher.search(query, limit=1).hits[0].path


def start_watcher(library: Library, activities: list[Activity], **options: object) -> LibraryWatcher:
    watcher = LibraryWatcher(
        library.indexer,
        library.folders,
        library.catalog,
        settle_seconds=0.4,
        check_seconds=0.2,
        on_activity=activities.append,
        **options,  # type: ignore[arg-type]
    )
    watcher.start()
    assert watcher.wait_idle(60)
    return watcher


@pytest.fixture
def watched(tmp_path: Path, tiny_embedder: Embedder) -> Iterator[Watched]:
    photos_dir = tmp_path / "photos"
    generate_photos(photos_dir, 8, seed=31, combos=[("red", "circle"), ("blue", "star")])
    library = Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder)
    library.folders.add(photos_dir)
    activities: list[Activity] = []
    watcher = start_watcher(library, activities)
    yield Watched(library, watcher, photos_dir, activities)
    watcher.stop()
    library.close()


def new_photo(path: Path, colour: str, shape: str, seed: int = 1) -> Path:
    scene = random_scene(random.Random(seed), colour=colour, shape=shape, size="large")
    save_photo(render(scene, 320, 240), path)
    return path


def test_start_indexes_everything(watched: Watched) -> None:
    status = watched.library.status()
    assert (status.photos, status.embedded, status.pending) == (8, 8, 0)
    assert watched.activities[0].reason == "start"


def test_new_photo_is_indexed(watched: Watched) -> None:
    added = new_photo(watched.photos_dir / "new" / "green.jpg", "green", "square")
    watched.settle()
    assert watched.top("a green square") == added


def test_modified_photo_is_reembedded(watched: Watched) -> None:
    target = watched.top("a red circle")
    new_photo(target, "yellow", "heart", seed=3)
    watched.settle()
    assert watched.top("a yellow heart") == target
    assert sum(a.counts()["changed"] for a in watched.activities) == 1


def test_deleted_photo_disappears(watched: Watched) -> None:
    gone = watched.top("a blue star")
    gone.unlink()
    watched.settle()
    assert watched.library.catalog.photo_by_path(gone) is None
    assert gone not in [h.path for h in watched.library.searcher.search("a blue star", limit=10).hits]


def test_move_into_a_new_folder_keeps_the_photo(watched: Watched) -> None:
    source = watched.top("a red circle")
    before = watched.library.catalog.photo_by_path(source)
    assert before is not None
    (watched.photos_dir / "albums" / "best").mkdir(parents=True)
    target = watched.photos_dir / "albums" / "best" / "renamed.jpg"
    os.rename(source, target)
    watched.settle()
    after = watched.library.catalog.photo_by_path(target)
    assert after is not None and after.id == before.id
    assert watched.library.catalog.photo_by_path(source) is None
    assert watched.activities[-1].counts()["moved"] == 1
    assert watched.activities[-1].counts()["embedded"] == 0  # the model did not run again
    assert watched.top("a red circle") == target


def test_renamed_folder_keeps_every_photo(watched: Watched) -> None:
    year = next(p for p in watched.photos_dir.iterdir() if p.is_dir())
    ids = {p.path.name: p.id for p in watched.library.catalog.photos(range(1, 100)).values()}
    os.rename(year, watched.photos_dir / "holiday")
    watched.settle()
    after = watched.library.catalog.photos(range(1, 100))
    assert {p.path.name: p.id for p in after.values()} == ids
    assert all(p.path.is_relative_to(watched.photos_dir / "holiday") for p in after.values())
    assert sum(a.counts()["embedded"] for a in watched.activities[1:]) == 0


def test_a_burst_of_copies_is_coalesced(watched: Watched, tmp_path: Path) -> None:
    staging = tmp_path / "camera"
    generate_photos(staging, 150, seed=33, size=(160, 120))
    rounds_before = len(watched.activities)
    shutil.copytree(staging, watched.photos_dir / "import")
    watched.settle(timeout=180)
    assert watched.library.status().embedded == 158
    rounds = watched.activities[rounds_before:]
    assert len(rounds) <= 3, [a.counts() for a in rounds]  # not 150 separate jobs


def test_a_file_still_being_written_is_indexed_once_complete(watched: Watched, tmp_path: Path) -> None:
    finished = new_photo(tmp_path / "big.jpg", "purple", "cross")
    data = finished.read_bytes()
    target = watched.photos_dir / "copying.jpg"
    with open(target, "wb") as f:
        for start in range(0, len(data), len(data) // 6):
            f.write(data[start : start + len(data) // 6])
            f.flush()
            time.sleep(0.15)  # a slow copy: each pause is shorter than the settle time
    watched.settle()
    photo = watched.library.catalog.photo_by_path(target)
    assert photo is not None and photo.state.value == "ok"
    assert not any(a.counts()["skipped"] for a in watched.activities)
    assert watched.top("a purple cross") == target


def test_duplicates_are_embedded_once(watched: Watched) -> None:
    original = watched.top("a blue star")
    shutil.copy(original, watched.photos_dir / "copy-of-star.jpg")
    watched.settle()
    last = watched.activities[-1]
    assert last.index is not None and last.index.duplicates == 1
    assert watched.library.status().duplicates == 1


def test_unplugged_folder_goes_offline_and_comes_back(watched: Watched, tmp_path: Path) -> None:
    away = tmp_path / "unplugged"
    os.rename(watched.photos_dir, away)
    watched.settle()
    status = watched.library.status()
    assert status.folders[0].offline and status.photos == 8 and status.embedded == 8
    hits = watched.library.searcher.search("a red circle", limit=3).hits
    assert hits and all(h.offline for h in hits)
    os.rename(away, watched.photos_dir)
    watched.settle()
    assert not watched.library.status().folders[0].offline
    assert not any(h.offline for h in watched.library.searcher.search("a red circle", limit=3).hits)
    assert watched.library.status().embedded == 8


class _FullObserver(Observer):  # type: ignore[misc,valid-type]
    """An observer on a system whose inotify watch limit is used up."""

    def schedule(self, *args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_unwatchable_folder_is_polled_and_doctor_says_so(tmp_path: Path, tiny_embedder: Embedder) -> None:
    photos_dir = tmp_path / "photos"
    generate_photos(photos_dir, 2, seed=35)
    library = Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder)
    library.folders.add(photos_dir)
    activities: list[Activity] = []
    watcher = start_watcher(library, activities, poll_seconds=0.5, observer_factory=_FullObserver)
    watched = Watched(library, watcher, photos_dir, activities)
    try:
        mode, reason = watcher.modes()[photos_dir]
        assert mode == "polling" and "watch limit" in reason
        added = new_photo(photos_dir / "late.jpg", "orange", "triangle")
        deadline = time.monotonic() + 30
        while library.catalog.photo_by_path(added) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        watched.settle(action_rounds=0)
        assert watched.top("an orange triangle") == added
        checks = {c.name: c for c in run_checks(library)}
        assert checks["watching"].status == "warn" and "watch limit" in checks["watching"].detail
    finally:
        watcher.stop()
        library.close()


def test_restarts_a_dead_observer_and_reconciles(watched: Watched) -> None:
    watched.watcher._observer.stop()  # as if the observer thread had crashed
    watched.watcher._observer.join()
    new_photo(watched.photos_dir / "during-outage.jpg", "pink", "heart")
    watched.settle()
    assert any(a.reason == "restart" for a in watched.activities)
    assert watched.top("a pink heart") == watched.photos_dir / "during-outage.jpg"


def test_a_video_copied_in_slowly_is_indexed_once_complete(watched: Watched, tmp_path: Path) -> None:
    """A clip being copied has no index yet (it comes last); the watcher waits, then reads it whole, once."""
    from photoclip.demo.videos import shape_shots, write_clip

    clip = write_clip(tmp_path / "clip.mp4", shape_shots(random.Random(3), [("orange", "heart")], [4]))
    data = clip.path.read_bytes()
    target = watched.photos_dir / "clip.mp4"
    with open(target, "wb") as f:
        for start in range(0, len(data), len(data) // 5):
            f.write(data[start : start + len(data) // 5])
            f.flush()
            time.sleep(0.15)
    watched.settle()
    photo = watched.library.catalog.photo_by_path(target)
    assert photo is not None and photo.state.value == "ok" and photo.is_video
    assert not any(a.counts()["skipped"] for a in watched.activities)
    hit = watched.library.searcher.search("an orange heart", limit=1).hits[0]
    assert hit.path == target and hit.time == 0.0
    os.remove(target)
    watched.settle()
    assert watched.library.catalog.photo_by_path(target) is None
    assert all(not h.is_video for h in watched.library.searcher.search("an orange heart", limit=5).hits)


def test_a_folder_added_while_the_first_scan_runs_is_scanned_too(
    tmp_path: Path, tiny_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app starts watching at once and the person adds a folder meanwhile (issue 11, bug 2)."""
    late = tmp_path / "late"
    generate_photos(late, 3, seed=32)
    library = Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder)
    scan = library.indexer.scan

    def scan_then_add(*args: object, **options: object) -> object:
        reports = scan(*args, **options)  # type: ignore[arg-type]
        if not library.folders.all():
            library.folders.add(late)  # lands after the first scan listed the folders
        return reports

    monkeypatch.setattr(library.indexer, "scan", scan_then_add)
    watcher = start_watcher(library, [])
    try:
        deadline = time.monotonic() + 60
        while library.status().embedded < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert library.status().embedded == 3
    finally:
        watcher.stop()
        library.close()
