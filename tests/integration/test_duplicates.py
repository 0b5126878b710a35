"""Finding duplicates and bursts in a real library: generated copies, bursts and look-alikes on disk, the tiny
model, the CLI's output, photos indexed before measuring existed, and the trash with its way back."""

from __future__ import annotations

import itertools
import json
import shutil
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from photoclip.cli import main
from photoclip.core import Library, Photo, PhotoFilter, PhotoId
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.registry import TINY_MODEL_KEY
from photoclip.core.similar import service
from photoclip.core.store.schema import SCHEMA_VERSION
from photoclip.demo.variants import DuplicateTruth, build_duplicate_library
from tests.catalog_versions import make_version_4

REASONS = {"best shot", "same file", "re-encoded", "resized", "cropped", "edited", "burst"}


@dataclass(frozen=True)
class DuplicateLibrary:
    directory: Path
    photos: Path
    truth: DuplicateTruth


@pytest.fixture(scope="module")
def duplicate_library(tmp_path_factory: pytest.TempPathFactory, tiny_embedder: Embedder) -> DuplicateLibrary:
    base = tmp_path_factory.mktemp("duplicates")
    truth = build_duplicate_library(base / "photos", originals=10, bursts=3, look_alikes=10, size=(400, 300), seed=4)
    with Library.open(base / "library", model=TINY_MODEL_KEY, embedder=tiny_embedder) as library:
        library.folders.add(base / "photos")
        report = library.indexer.update()
        assert report.skipped == 0
    return DuplicateLibrary(base / "library", base / "photos", truth)


@pytest.fixture
def library(duplicate_library: DuplicateLibrary, tiny_embedder: Embedder, tmp_path: Path) -> Iterator[Library]:
    copy = tmp_path / "library"
    shutil.copytree(duplicate_library.directory, copy)
    opened = Library.open(copy, embedder=tiny_embedder)
    yield opened
    opened.close()


def pairs(groups: list[set[Path]]) -> set[frozenset[Path]]:
    return {frozenset(p) for g in groups for p in itertools.combinations(sorted(g), 2)}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_copies_and_bursts_are_found_apart_and_look_alikes_are_left_alone(
    library: Library, duplicate_library: DuplicateLibrary
) -> None:
    truth = duplicate_library.truth
    found = library.similar.find()
    duplicates = [{m.path for m in g.members} for g in found.duplicates]
    bursts = [{m.path for m in g.members} for g in found.bursts]
    predicted, expected = pairs(duplicates), pairs(truth.duplicates)
    assert len(predicted & expected) / len(predicted) >= 0.95  # precision
    assert len(predicted & expected) / len(expected) >= 0.9  # recall
    assert pairs(bursts) == pairs(truth.bursts)
    grouped = set().union(*duplicates, *bursts)
    assert not grouped & set(truth.look_alikes)
    assert found.photos == len(truth.files) and found.unmeasured == 0
    for group in found.bursts:  # the frame that did not shake is the keeper
        assert any(group.best.path in keepers for keepers in truth.keepers)
        assert "sharper" in group.why


def test_duplicates_json_lists_groups_keeper_first_with_a_reason_each(
    library: Library, capsys: pytest.CaptureFixture[str], duplicate_library: DuplicateLibrary
) -> None:
    code, out, _ = run(capsys, "--library", str(library.directory), "duplicates", "--json")
    assert code == 0
    groups = json.loads(out)
    assert len(groups) == len(duplicate_library.truth.duplicates)
    reasons = set()
    for group in groups:
        assert [p["best"] for p in group] == [True] + [False] * (len(group) - 1)
        assert group[0]["reason"] == "best shot" and group[0]["why"]
        for photo in group:
            assert Path(photo["path"]).is_file() and isinstance(photo["id"], int)
            reasons.add(photo["reason"])
    assert reasons <= REASONS and {"same file", "resized"} <= reasons
    code, out, _ = run(capsys, "--library", str(library.directory), "bursts", "--json")
    bursts = json.loads(out)
    assert len(bursts) == len(duplicate_library.truth.bursts)
    assert {p["reason"] for g in bursts for p in g} == {"best shot", "burst"}


def test_the_human_listing_and_a_folder_scope(
    library: Library, capsys: pytest.CaptureFixture[str], duplicate_library: DuplicateLibrary
) -> None:
    code, out, err = run(capsys, "--library", str(library.directory), "duplicates")
    assert code == 0 and out.count("   keep  ") == len(duplicate_library.truth.duplicates)
    assert "best shot:" in out and "keeping only the best of each would free" in err
    bursts_folder = duplicate_library.photos / "bursts"
    code, out, _ = run(capsys, "--library", str(library.directory), "duplicates", "--folder", str(bursts_folder))
    assert code == 0 and out.strip() == f"No duplicates among {len(list(bursts_folder.iterdir()))} photos."
    code, out, _ = run(capsys, "--library", str(library.directory), "bursts", "--folder", str(bursts_folder), "--json")
    assert len(json.loads(out)) == len(duplicate_library.truth.bursts)


def test_a_library_from_before_measuring_is_measured_once_then_grouped_alike(
    library: Library, tiny_embedder: Embedder, duplicate_library: DuplicateLibrary
) -> None:
    """A catalog of schema 4 (no perceptual hashes): opening migrates it, the first search measures every photo."""
    before = {frozenset(m.path for m in g.members) for g in library.similar.find().duplicates}
    directory = library.directory
    library.close()
    make_version_4(directory / "catalog.sqlite")
    with Library.open(directory, embedder=tiny_embedder) as upgraded:
        assert upgraded.catalog.schema_version() == SCHEMA_VERSION
        assert len(upgraded.similar.unmeasured()) == len(duplicate_library.truth.files)
        seen: list[int] = []
        found = upgraded.similar.find(progress=lambda p: seen.append(p.done))
        assert seen[-1] == len(duplicate_library.truth.files) and upgraded.similar.unmeasured() == []
        assert {frozenset(m.path for m in g.members) for g in found.duplicates} == before


def test_measuring_goes_a_slice_at_a_time_and_a_cancel_keeps_what_was_measured(
    library: Library, tiny_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first measuring run reads, submits and records a slice of photos at a time (so a 100,000-photo
    library never holds all its rows and futures at once); cancelled, it keeps every photo measured."""
    monkeypatch.setattr(service, "_CHUNK", 7)
    directory = library.directory
    library.close()
    make_version_4(directory / "catalog.sqlite")
    with Library.open(directory, embedder=tiny_embedder) as upgraded:
        total = len(upgraded.similar.unmeasured())
        assert total > 14
        read = upgraded.catalog.photos
        asked: list[int] = []

        def photos(ids: Sequence[int]) -> dict[PhotoId, Photo]:
            asked.append(len(ids))
            return read(ids)

        monkeypatch.setattr(upgraded.catalog, "photos", photos)
        cancel = threading.Event()
        seen: list[int] = []

        def progress(done: int) -> None:
            seen.append(done)
            if done == 10:
                cancel.set()

        report = upgraded.similar.measure_missing(progress=lambda p: progress(p.done), cancel=cancel)
        assert report.measured == 10 and seen == list(range(1, 11))
        assert len(upgraded.similar.unmeasured()) == total - 10
        rest: list[tuple[int, int]] = []
        report = upgraded.similar.measure_missing(progress=lambda p: rest.append((p.done, p.total)))
        assert report.measured == total - 10 and rest[-1] == (total - 10, total - 10)
        assert upgraded.similar.unmeasured() == []
        assert max(asked) == 7  # the rows of one slice at a time


@pytest.fixture
def own_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "Trash"


@pytest.fixture
def private_library(tmp_path: Path, tiny_embedder: Embedder) -> Iterator[tuple[Library, DuplicateTruth]]:
    truth = build_duplicate_library(tmp_path / "photos", originals=3, bursts=1, look_alikes=2, size=(320, 240), seed=9)
    opened = Library.open(tmp_path / "library", model=TINY_MODEL_KEY, embedder=tiny_embedder)
    opened.folders.add(tmp_path / "photos")
    opened.indexer.update()
    yield opened, truth
    opened.close()


def test_the_trash_takes_the_files_and_undo_brings_them_back_with_tags_and_albums(
    private_library: tuple[Library, DuplicateTruth], own_trash: Path
) -> None:
    library, truth = private_library
    group = library.similar.find().duplicates[0]
    copy = group.others[0]
    library.albums.create("Trip", [copy.id])
    library.tags.tag([copy.id], "harbour")
    photos_before = library.photos.embedded_count()
    report = library.trash.move([m.id for m in group.others])
    assert not report.failed and len(report.trashed) == len(group.others)
    for item in report.trashed:
        assert not item.file.original.exists() and item.file.trashed is not None and item.file.trashed.exists()
        assert item.file.trashed.parent == own_trash / "files"
    assert library.photos.embedded_count() == photos_before - len(group.others)
    assert library.albums.get("Trip").count == 0
    remaining = {m.path for g in library.similar.find(measure=False).duplicates for m in g.members}
    assert not remaining & {m.path for m in group.others}
    restored = library.trash.restore(report.trashed)
    assert not restored.failed and sorted(restored.restored) == sorted(m.path for m in group.others)
    assert library.photos.embedded_count() == photos_before
    assert library.albums.get("Trip").count == 1
    back_id = library.photos.by_path(copy.path).id  # type: ignore[union-attr]
    assert [t.label for t in library.tags.tags_of([back_id])[back_id]] == ["harbour"]
    back = library.photos.by_path(copy.path)
    assert back is not None and back.width == copy.width and back.taken_at is not None
    assert not list((own_trash / "files").iterdir())
    again = {frozenset(m.path for m in g.members) for g in library.similar.find().duplicates}
    assert frozenset(m.path for m in group.members) in again


def test_a_photo_that_cannot_go_to_the_trash_stays_with_the_reason(
    private_library: tuple[Library, DuplicateTruth], own_trash: Path
) -> None:
    library, truth = private_library
    photo = library.photos.by_path(truth.files[0])
    assert photo is not None
    photo.path.unlink()  # gone from under us (another program)
    report = library.trash.move([photo.id])
    assert report.trashed == [] and report.failed[0][0] == photo.path and "not there" in report.failed[0][1]
    assert library.photos.one(photo.id) is not None  # still listed: the next scan will tell


def test_only_the_photos_own_sidecar_goes_with_it(
    private_library: tuple[Library, DuplicateTruth], own_trash: Path
) -> None:
    library, truth = private_library
    photo = library.photos.by_path(truth.files[0])
    assert photo is not None
    sidecar = photo.path.with_name(photo.path.name + ".xmp")
    sidecar.write_text("<x:xmpmeta/>")
    report = library.trash.move([photo.id])
    assert not sidecar.exists() and report.trashed[0].sidecar is not None
    library.trash.restore(report.trashed)
    assert sidecar.read_text() == "<x:xmpmeta/>" and photo.path.exists()


def test_grouping_within_a_folder_filter_reads_only_that_scope(
    library: Library, duplicate_library: DuplicateLibrary
) -> None:
    scope = PhotoFilter(folders=(duplicate_library.photos / "copies",))
    found = library.similar.find(scope)
    assert found.photos == len(list((duplicate_library.photos / "copies").iterdir()))
    assert all(
        str(m.path).startswith(str(duplicate_library.photos / "copies")) for g in found.duplicates for m in g.members
    )
