"""Ratings: 0-5 stars and a favourite flag per photo; edits return what they replaced and publish `rated`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from photoclip.core.changes import ChangeBus, Changes
from photoclip.core.errors import LibraryError
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.ratings import UNRATED, Rating, Ratings
from photoclip.core.store.records import FileStat, PhotoFilter, PhotoId


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    c = Catalog(tmp_path / "catalog.sqlite")
    yield c
    c.close()


@pytest.fixture
def published() -> list[Changes]:
    return []


@pytest.fixture
def ratings(catalog: Catalog, published: list[Changes]) -> Ratings:
    bus = ChangeBus()
    bus.subscribe(published.append)
    return Ratings(catalog, bus)


@pytest.fixture
def photos(catalog: Catalog, tmp_path: Path) -> list[PhotoId]:
    folder = catalog.add_folder(tmp_path / "photos")
    return catalog.add_photos(folder.id, [FileStat(tmp_path / "photos" / f"{i}.jpg", 10, 1) for i in range(6)])


def test_rate_keeps_the_favourite_flag_and_says_what_it_replaced(
    ratings: Ratings, photos: list[PhotoId], published: list[Changes]
) -> None:
    ratings.set_favourite([photos[0]], True)
    outcome = ratings.rate([photos[0], photos[1]], 4)

    assert outcome.value == {photos[0]: Rating(0, True), photos[1]: None}  # None: never rated before
    assert outcome.changes == Changes(rated=frozenset({photos[0], photos[1]}))
    assert published[-1] == outcome.changes
    assert ratings.get(photos[0]) == Rating(4, True)
    assert ratings.get(photos[1]) == Rating(4, False)
    assert ratings.get(photos[2]) == UNRATED
    assert photos[2] not in ratings.of(photos)  # never rated: no row, so sidecars keep other tools' rating


def test_an_edit_that_changes_nothing_publishes_nothing(
    ratings: Ratings, photos: list[PhotoId], published: list[Changes]
) -> None:
    ratings.rate([photos[0]], 3)
    published.clear()
    outcome = ratings.rate([photos[0]], 3)
    assert outcome.value == {} and not outcome.changes and published == []


def test_restore_puts_back_what_an_edit_replaced(ratings: Ratings, photos: list[PhotoId]) -> None:
    ratings.rate([photos[0]], 2)
    before = ratings.rate([photos[0], photos[1]], 5).value
    ratings.restore(before)
    assert ratings.get(photos[0]) == Rating(2, False)
    assert photos[1] not in ratings.of([photos[1]])  # back to never rated, not to "0 stars"


@pytest.mark.parametrize("stars", [-1, 6, 2.5, True, "4"])
def test_a_rating_is_zero_to_five_stars(ratings: Ratings, photos: list[PhotoId], stars: object) -> None:
    with pytest.raises(LibraryError, match="0 to 5 stars"):
        ratings.rate([photos[0]], stars)  # type: ignore[arg-type]
    assert ratings.of(photos) == {}


def test_photos_no_longer_in_the_library_are_left_out(
    ratings: Ratings, catalog: Catalog, photos: list[PhotoId]
) -> None:
    outcome = ratings.rate([photos[0], PhotoId(9999)], 1)
    assert list(outcome.value) == [photos[0]]


def test_filters_by_stars_and_favourite(ratings: Ratings, catalog: Catalog, photos: list[PhotoId]) -> None:
    for stars, pid in enumerate(photos):
        ratings.rate([pid], stars)
    ratings.restore({photos[0]: None})  # photo 0: never rated, counts as 0 stars
    ratings.set_favourite([photos[1], photos[5]], True)

    def ids(**kwargs: object) -> set[PhotoId]:
        return {PhotoId(int(i)) for i in catalog.filter_ids("none", PhotoFilter(**kwargs), embedded=False)}  # type: ignore[arg-type]

    assert ids(min_stars=4) == {photos[4], photos[5]}
    assert ids(min_stars=5, max_stars=5) == {photos[5]}
    assert ids(max_stars=1) == {photos[0], photos[1]}
    assert ids(favourite=True) == {photos[1], photos[5]}
    assert ids(favourite=False) == {photos[0], photos[2], photos[3], photos[4]}
    assert ids(min_stars=4, favourite=True) == {photos[5]}
    assert ratings.counts() == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "favourite": 2}


def test_a_trashed_photo_takes_its_row_with_it(ratings: Ratings, catalog: Catalog, photos: list[PhotoId]) -> None:
    ratings.rate([photos[0]], 5)
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM photos WHERE id = ?", (int(photos[0]),))
    assert ratings.of([photos[0]]) == {}


def test_describe() -> None:
    assert Rating(4, True).describe() == "★★★★☆ · favourite"
    assert Rating(0, True).describe() == "no stars · favourite"
    assert UNRATED.describe() == "not rated"
