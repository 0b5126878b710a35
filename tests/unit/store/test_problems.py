"""ScanProblems: what scans could not catalogue, per folder, replaced by each scan of the same place."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.photos import Photos
from photoclip.core.store.problems import ScanProblems, SkippedFile
from photoclip.core.store.records import FileStat


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    c = Catalog(tmp_path / "library" / "catalog.sqlite")
    yield c
    c.close()


def problem(path: Path, reason: str = "not_a_file") -> SkippedFile:
    return SkippedFile(path, reason, f"{path.name} cannot be catalogued ({reason})")


def test_problems_are_kept_and_counted_by_reason(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    folder = catalog.add_folder(root)
    store = ScanProblems(catalog)
    found = [problem(root / "b.jpg"), problem(root / "a" / "loop", "link_loop"), problem(root / "c.jpg")]
    store.replace(folder.id, [root], found)
    assert store.all() == sorted(found, key=lambda p: str(p.path))
    assert store.reasons() == {"not_a_file": 2, "link_loop": 1}
    assert store.all(limit=1) == [problem(root / "a" / "loop", "link_loop")]


def test_a_scan_replaces_what_earlier_scans_found_under_the_folders_it_walked(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    folder = catalog.add_folder(root)
    store = ScanProblems(catalog)
    store.replace(
        folder.id, [root], [problem(root / "2023" / "x.jpg"), problem(root / "2024" / "y.jpg"), problem(root / "z.jpg")]
    )
    store.replace(folder.id, [root / "2023"], [])  # a watcher's scan of one subfolder, now fixed
    assert [p.path for p in store.all()] == [root / "2024" / "y.jpg", root / "z.jpg"]
    store.replace(folder.id, [root / "2024"], [problem(root / "2024" / "y.jpg", "dangling_link")])
    assert store.reasons() == {"dangling_link": 1, "not_a_file": 1}
    store.replace(folder.id, [root], [])  # a full scan that found nothing
    assert store.all() == []


def test_a_subfolder_scan_leaves_a_sibling_with_a_longer_name_alone(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    folder = catalog.add_folder(root)
    store = ScanProblems(catalog)
    store.replace(
        folder.id, [root], [problem(root / "a" / "x.jpg"), problem(root / "ab" / "y.jpg"), problem(root / "a")]
    )
    store.replace(folder.id, [root / "a"], [])
    assert [p.path for p in store.all()] == [root / "ab" / "y.jpg"]


def test_another_folder_keeps_its_problems(catalog: Catalog, tmp_path: Path) -> None:
    first, second = catalog.add_folder(tmp_path / "first"), catalog.add_folder(tmp_path / "second")
    store = ScanProblems(catalog)
    store.replace(first.id, [first.path], [problem(first.path / "x.jpg")])
    store.replace(second.id, [second.path], [problem(second.path / "x.jpg")])
    store.replace(first.id, [first.path], [])
    assert [p.path for p in store.all()] == [second.path / "x.jpg"]
    catalog.remove_folder(second.id)  # a folder removed from the library takes its problems along
    assert store.all() == [] and store.reasons() == {}


def test_names_that_are_not_unicode_are_stored_escaped_and_replaced(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    folder = catalog.add_folder(root)
    store = ScanProblems(catalog)
    odd_folder = Path(os.fsdecode(os.path.join(os.fsencode(root), b"Urlaub-\xe4")))  # Latin-1 folder name
    store.replace(folder.id, [root], [problem(odd_folder / "a.jpg", "bad_name"), problem(root / "b.jpg")])
    stored = store.all()
    assert stored[0].path == root / "Urlaub-\\xe4" / "a.jpg" and stored[0].reason == "bad_name"
    str(stored[0].path).encode("utf-8")  # printable and storable as it is
    store.replace(folder.id, [odd_folder], [])  # a watcher's scan of that very folder
    assert [p.path for p in store.all()] == [root / "b.jpg"]


def test_photos_list_skipped_photos_and_problems_together(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    folder = catalog.add_folder(root)
    (photo_id,) = catalog.add_photos(folder.id, [FileStat(root / "b.jpg", 10, 1)])
    catalog.record_batch("m", [], [], [(photo_id, "truncated", "The image data is cut off.", 10, 1)])
    ScanProblems(catalog).replace(folder.id, [root], [problem(root / "a.jpg"), problem(root / "c.jpg", "link_loop")])
    photos = Photos(catalog, lambda: "m")
    assert [(s.path.name, s.reason) for s in photos.skipped()] == [
        ("a.jpg", "not_a_file"),
        ("b.jpg", "truncated"),
        ("c.jpg", "link_loop"),
    ]
    assert photos.skip_reasons() == {"truncated": 1, "not_a_file": 1, "link_loop": 1}
    assert len(photos.skipped(limit=2)) == 2
