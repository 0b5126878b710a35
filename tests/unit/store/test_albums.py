"""Albums: hand-picked photos by name; every edit says (and publishes) what it changed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoclip.core.changes import ChangeBus, Changes
from photoclip.core.errors import LibraryError
from photoclip.core.store.albums import Albums
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import FileStat, PhotoId


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    c = Catalog(tmp_path / "catalog.sqlite")
    yield c
    c.close()


@pytest.fixture
def published() -> list[Changes]:
    return []


@pytest.fixture
def albums(catalog: Catalog, published: list[Changes]) -> Albums:
    bus = ChangeBus()
    bus.subscribe(published.append)
    return Albums(catalog, bus)


@pytest.fixture
def photos(catalog: Catalog, tmp_path: Path) -> list[PhotoId]:
    folder = catalog.add_folder(tmp_path / "photos")
    return catalog.add_photos(folder.id, [FileStat(tmp_path / "photos" / f"{i}.jpg", 10, 1) for i in range(5)])


def test_create_with_photos_in_one_step(albums: Albums, photos: list[PhotoId], published: list[Changes]) -> None:
    outcome = albums.create("  Holiday  ", [photos[0], photos[2]])

    assert outcome.value.name == "Holiday"  # surrounding spaces are trimmed
    assert outcome.value.count == 2
    assert outcome.changes == Changes(albums=True, photos=True)
    assert published == [outcome.changes]
    assert albums.photo_ids("Holiday") == [photos[0], photos[2]]


def test_an_empty_album_changes_albums_but_not_photos(albums: Albums, published: list[Changes]) -> None:
    outcome = albums.create("Empty")
    assert outcome.value.count == 0
    assert outcome.changes == Changes(albums=True)
    assert published == [Changes(albums=True)]
    assert albums.photo_ids("Empty") == []


def test_duplicate_and_unknown_photo_ids_are_ignored(albums: Albums, photos: list[PhotoId]) -> None:
    outcome = albums.create("Twice", [photos[1], photos[1], 9_999])
    assert outcome.value.count == 1
    assert albums.photo_ids("Twice") == [photos[1]]


def test_names_are_case_insensitive_and_may_not_clash(
    albums: Albums, photos: list[PhotoId], published: list[Changes]
) -> None:
    albums.create("Holiday", [photos[0]])
    published.clear()

    assert albums.get("HOLIDAY").name == "Holiday"
    assert albums.get("  holiday ").count == 1
    with pytest.raises(LibraryError, match="already exists"):
        albums.create("holiday", [photos[1]])

    assert [a.name for a in albums.all()] == ["Holiday"]
    assert albums.photo_ids("Holiday") == [photos[0]]  # the refused create added nothing
    assert published == []  # a refused edit publishes nothing


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_bad_names_are_refused(albums: Albums, name: str) -> None:
    with pytest.raises(LibraryError):
        albums.create(name)
    assert albums.all() == []


def test_a_name_of_200_characters_is_fine(albums: Albums) -> None:
    assert albums.create("x" * 200).value.name == "x" * 200


def test_unknown_album_is_a_library_error(albums: Albums, photos: list[PhotoId]) -> None:
    for action in (
        lambda: albums.get("Nope"),
        lambda: albums.add("Nope", photos),
        lambda: albums.remove("Nope", photos),
        lambda: albums.rename("Nope", "Other"),
        lambda: albums.delete("Nope"),
        lambda: albums.photo_ids("Nope"),
    ):
        with pytest.raises(LibraryError, match="no album named 'Nope'"):
            action()


def test_all_lists_albums_by_name_ignoring_case_with_counts(albums: Albums, photos: list[PhotoId]) -> None:
    albums.create("beach", photos[:3])
    albums.create("Attic")
    albums.create("City", photos[3:])
    assert [(a.name, a.count) for a in albums.all()] == [("Attic", 0), ("beach", 3), ("City", 2)]


def test_rename_keeps_the_photos(albums: Albums, photos: list[PhotoId], published: list[Changes]) -> None:
    created = albums.create("Holiday", photos[:2]).value
    published.clear()

    outcome = albums.rename("holiday", "Summer 2023")

    assert outcome.value.id == created.id
    assert outcome.value.name == "Summer 2023"
    assert outcome.changes == Changes(albums=True)
    assert published == [Changes(albums=True)]
    assert albums.photo_ids("Summer 2023") == photos[:2]
    with pytest.raises(LibraryError):
        albums.get("Holiday")


def test_rename_may_change_only_the_case(albums: Albums) -> None:
    albums.create("holiday")
    assert albums.rename("holiday", "Holiday").value.name == "Holiday"
    assert [a.name for a in albums.all()] == ["Holiday"]


def test_rename_onto_another_album_is_refused(albums: Albums, published: list[Changes]) -> None:
    albums.create("Holiday")
    albums.create("Work")
    published.clear()
    with pytest.raises(LibraryError, match="already exists"):
        albums.rename("Work", "HOLIDAY")
    with pytest.raises(LibraryError):
        albums.rename("Work", " ")
    assert [a.name for a in albums.all()] == ["Holiday", "Work"]
    assert published == []


def test_delete_keeps_the_photos(
    albums: Albums, catalog: Catalog, photos: list[PhotoId], published: list[Changes]
) -> None:
    albums.create("Holiday", photos[:3])
    albums.create("Other", [photos[0]])
    published.clear()

    changes = albums.delete("HOLIDAY")

    assert changes == Changes(albums=True, photos=True)
    assert published == [changes]
    assert [a.name for a in albums.all()] == ["Other"]
    assert set(catalog.photos(photos)) == set(photos)  # no photo left the library
    assert albums.albums_of(photos[0]) == ["Other"]
    assert albums.albums_of(photos[1]) == []
    albums.create("Holiday")  # the name is free again
    assert albums.photo_ids("Holiday") == []


def test_deleting_an_empty_album_does_not_change_photos(albums: Albums) -> None:
    albums.create("Empty")
    assert albums.delete("Empty") == Changes(albums=True)


def test_add_counts_only_new_members(albums: Albums, photos: list[PhotoId], published: list[Changes]) -> None:
    albums.create("Holiday", [photos[0]])
    published.clear()

    first = albums.add("Holiday", [photos[0], photos[1], photos[2], 9_999])
    again = albums.add("Holiday", [photos[1], photos[2]])

    assert first.value == 2
    assert first.changes == Changes(albums=True, photos=True)
    assert again.value == 0
    assert again.changes == Changes(albums=True)
    assert published == [first.changes, again.changes]
    assert albums.get("Holiday").count == 3


def test_remove_counts_only_members_and_keeps_the_photos(
    albums: Albums, catalog: Catalog, photos: list[PhotoId], published: list[Changes]
) -> None:
    albums.create("Holiday", photos[:3])
    published.clear()

    removed = albums.remove("Holiday", [photos[1], photos[4], photos[1]])
    nothing = albums.remove("Holiday", [photos[4]])

    assert removed.value == 1
    assert removed.changes == Changes(albums=True, photos=True)
    assert nothing.value == 0
    assert nothing.changes == Changes(albums=True)
    assert published == [removed.changes, nothing.changes]
    assert albums.photo_ids("Holiday") == [photos[0], photos[2]]
    assert photos[1] in catalog.photos([photos[1]])


def test_photo_ids_are_in_the_order_they_were_added(albums: Albums, photos: list[PhotoId]) -> None:
    albums.create("Picks", [photos[3]])
    time.sleep(0.002)  # distinct timestamps even on coarse clocks
    albums.add("Picks", [photos[0]])
    time.sleep(0.002)
    albums.add("Picks", [photos[4], photos[1]])

    order = albums.photo_ids("Picks")

    assert order[:2] == [photos[3], photos[0]]
    assert sorted(order[2:]) == [photos[1], photos[4]]


def test_albums_of_a_photo(albums: Albums, photos: list[PhotoId]) -> None:
    albums.create("zoo", [photos[0], photos[1]])
    albums.create("Beach", [photos[0]])
    albums.create("city", [photos[1]])
    assert albums.albums_of(photos[0]) == ["Beach", "zoo"]
    assert albums.albums_of(photos[1]) == ["city", "zoo"]
    assert albums.albums_of(photos[2]) == []


def test_a_photo_deleted_from_the_library_leaves_its_albums(
    albums: Albums, catalog: Catalog, photos: list[PhotoId]
) -> None:
    albums.create("Holiday", photos[:3])
    catalog.delete_photos([photos[1]])
    assert albums.get("Holiday").count == 2
    assert albums.photo_ids("Holiday") == [photos[0], photos[2]]


def test_albums_survive_reopening_the_catalog(tmp_path: Path, photos: list[PhotoId], catalog: Catalog) -> None:
    Albums(catalog, ChangeBus()).create("Holiday", photos[:2])
    catalog.close()
    reopened = Catalog(tmp_path / "catalog.sqlite")
    try:
        assert Albums(reopened, ChangeBus()).photo_ids("holiday") == photos[:2]
    finally:
        reopened.close()


def test_names_differing_only_in_non_ascii_case_clash(albums: Albums) -> None:
    albums.create("Été")
    with pytest.raises(LibraryError, match="already exists"):
        albums.create("été")


def test_a_smart_album_cannot_be_filled_by_hand(catalog: Catalog, albums: Albums, photos: list[PhotoId]) -> None:
    """Its search decides what it holds: adding or removing by hand is refused with what to do instead."""
    album = albums.create("Dogs").value
    with catalog.transaction() as conn:
        conn.execute(
            "INSERT INTO smart_albums(album_id, query, filter, relevance) VALUES (?, 'dog', '{}', 0.5)", (album.id,)
        )
    assert albums.get("Dogs").smart and [a.smart for a in albums.all()] == [True]
    for change in (albums.add, albums.remove):
        with pytest.raises(LibraryError, match="smart album.*freeze"):
            change("Dogs", photos[:1])
