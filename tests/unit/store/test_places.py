"""Where photos were taken, stored per photo; names a person set stay theirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from photoclip.core.changes import ChangeBus
from photoclip.core.places.names import Place
from photoclip.core.places.service import Places
from photoclip.core.store.catalog import Catalog, FileStat, PhotoFilter, PhotoMetadata
from photoclip.core.store.places import FROM_EXIF, NOWHERE, SET_BY_PERSON, Located, PlaceStore

MODEL = "test-model"
LISBON = Place("Lisbon", "Lisbon", "Portugal", "PT")
SINTRA = Place("Sintra", "Lisbon", "Portugal", "PT")
PORTO = Place("Porto", "Porto", "Portugal", "PT")
PARIS = Place("Paris", "Île-de-France", "France", "FR")


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    c = Catalog(tmp_path / "catalog.sqlite")
    yield c
    c.close()


def photos(catalog: Catalog, count: int) -> list[int]:
    folder = catalog.add_folder(Path("/p"))
    ids = catalog.add_photos(folder.id, [FileStat(Path(f"/p/{i}.jpg"), 10, 1) for i in range(count)])
    rows = [
        (pid, PhotoMetadata(10, 1, f"h{pid}", 4, 3, "jpeg", "2024-01-01", "exif", None), np.ones(4, np.float32))
        for pid in ids
    ]
    catalog.record_batch(MODEL, rows, [], [])
    return ids


def at(catalog: Catalog, spec: str) -> list[int]:
    return sorted(catalog.filter_ids(MODEL, PhotoFilter(places=(spec,))).tolist())


def test_place_filters_match_any_level_without_case_or_accents(catalog: Catalog) -> None:
    lisbon, sintra, porto, paris, nowhere = photos(catalog, 5)
    store = PlaceStore(catalog)
    store.record(
        [
            Located(lisbon, 38.7, -9.1, LISBON, FROM_EXIF),
            Located(sintra, 38.8, -9.4, SINTRA, FROM_EXIF),
            Located(porto, 41.1, -8.6, PORTO, FROM_EXIF),
            Located(paris, 48.8, 2.3, PARIS, FROM_EXIF),
            Located(nowhere, source=NOWHERE),
        ]
    )
    assert at(catalog, "LISBON") == [lisbon, sintra], "the city, and the region of Sintra"
    assert at(catalog, "portugal") == [lisbon, sintra, porto]
    assert at(catalog, "ile-de-france") == [paris]
    assert at(catalog, "Lisbon, Lisbon, Portugal") == [lisbon]
    assert at(catalog, "Atlantis") == [] and at(catalog, ",") == []
    assert store.unlocated(10) == [], "every photo was looked at"
    assert set(store.of([lisbon, nowhere])) == {lisbon}


def test_names_a_person_set_survive_geocoding(catalog: Catalog) -> None:
    (pid,) = photos(catalog, 1)
    store = PlaceStore(catalog)
    store.record([Located(pid, 38.7, -9.1, LISBON, FROM_EXIF)])
    store.record([Located(pid, place=Place("Belém", "Lisbon", "Portugal", "PT"), source=SET_BY_PERSON)])
    store.record([Located(pid, 38.71, -9.2, LISBON, FROM_EXIF)])  # indexed again later
    located = store.of([pid])[pid]
    assert located.place.city == "Belém" and located.source == SET_BY_PERSON
    assert (located.latitude, located.longitude) == (38.71, -9.2), "coordinates follow the photo"
    assert at(catalog, "Lisbon") == [pid] and at(catalog, "belem") == [pid]


def test_places_no_photo_is_at_leave_the_list(catalog: Catalog) -> None:
    (pid,) = photos(catalog, 1)
    store = PlaceStore(catalog)
    store.record([Located(pid, 41.1, -8.6, PORTO, FROM_EXIF)])
    store.record([Located(pid, 38.7, -9.1, LISBON, FROM_EXIF)])
    assert "porto" not in store.known_keys()
    assert store.known_keys()["lisbon"] == "Lisbon"


def test_the_tree_counts_countries_regions_and_cities(catalog: Catalog) -> None:
    ids = photos(catalog, 6)
    store = PlaceStore(catalog)
    store.record(
        [Located(ids[i], 0.0, 0.0, p, FROM_EXIF) for i, p in enumerate([LISBON, LISBON, SINTRA, PORTO, PARIS])]
    )
    tree = Places(store, ChangeBus()).tree()
    assert [(n.name, n.photos) for n in tree] == [("Portugal", 4), ("France", 1)]
    portugal = tree[0]
    assert [(r.name, r.photos) for r in portugal.children] == [("Lisbon", 3), ("Porto", 1)]
    assert [(c.name, c.photos, c.spec) for c in portugal.children[0].children] == [
        ("Lisbon", 2, "Lisbon, Lisbon, Portugal"),
        ("Sintra", 1, "Sintra, Lisbon, Portugal"),
    ]
    for node in (portugal, portugal.children[0], portugal.children[0].children[1]):
        assert len(at(catalog, node.spec)) == node.photos, f"{node.spec} selects exactly its photos"
