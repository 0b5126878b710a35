"""Places of a library: locating photos, naming where they are, and the places people browse.

Indexing hands over the coordinates each photo's metadata holds (`record`);
they are reverse-geocoded offline into city, region and country and stored per
photo. Photos catalogued before places existed are located by `locate_pending`
(only their headers are read). `tree` gives countries, their regions and their
cities with photo counts, for the app's sidebar and `photoclip places`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from photoclip.core.changes import ChangeBus, Changes
from photoclip.core.errors import LibraryError
from photoclip.core.media.location import locate
from photoclip.core.places.geocode import geocoder
from photoclip.core.places.names import Place, fold
from photoclip.core.store.places import (
    FROM_EXIF,
    NOWHERE,
    SET_BY_PERSON,
    Located,
    PhotoPlace,
    PlaceStore,
)
from photoclip.core.store.records import PhotoId

log = logging.getLogger(__name__)

_BATCH = 256


@dataclass
class PlaceNode:
    """One level of the places tree: a country, a region or a city, with its photo count."""

    name: str
    photos: int
    spec: str  # the `place:` value that selects exactly this node ("Lisbon, Lisbon, Portugal")
    code: str = ""  # the country code, for countries
    children: list[PlaceNode] = field(default_factory=list)


class Places:
    """Where the library's photos were taken."""

    def __init__(self, store: PlaceStore, changes: ChangeBus) -> None:
        self._store = store
        self._changes = changes
        self._geocoder_failed = False
        self._lock = threading.Lock()

    # -- locating ------------------------------------------------------------------------------

    def record(self, found: Sequence[tuple[PhotoId, tuple[float, float, str] | None]]) -> int:
        """Store what indexing found: (photo, (latitude, longitude, source) or None); returns rows changed."""
        located = self._named([(pid, where) for pid, where in found])
        return self._store.record(located)

    def _named(self, found: Sequence[tuple[PhotoId, tuple[float, float, str] | None]]) -> list[Located]:
        with_coordinates = [(pid, where) for pid, where in found if where is not None]
        places = self._geocode([(where[0], where[1]) for _, where in with_coordinates])
        named = {pid: place for (pid, _), place in zip(with_coordinates, places, strict=True)}
        located = []
        for pid, where in found:
            if where is None:
                located.append(Located(pid, source=NOWHERE))
            else:
                place = named.get(pid)
                located.append(Located(pid, where[0], where[1], place if place else None, where[2]))
        return located

    def _geocode(self, coordinates: list[tuple[float, float]]) -> list[Place | None]:
        if not coordinates:
            return []
        try:
            return list(geocoder().places(coordinates))
        except LibraryError as e:
            with self._lock:
                if not self._geocoder_failed:
                    log.warning("%s", e)
                self._geocoder_failed = True
            return [None] * len(coordinates)

    def locate_pending(
        self,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> int:
        """Locate photos catalogued before places existed (their headers only); returns how many were looked at."""
        total = self._store.unlocated_count()
        done = 0
        after = 0
        while not (cancel is not None and cancel.is_set()):
            page = self._store.unlocated(_BATCH, after=after)
            if not page:
                break
            after = page[-1][0]
            found: list[tuple[PhotoId, tuple[float, float, str] | None]] = []
            for pid, path in page:
                where = locate(path)
                found.append((pid, None if where is None else (where.latitude, where.longitude, where.source)))
            self._store.record(self._named(found))
            done += len(page)
            if progress is not None:
                progress(done, total)
        if done:
            self._changes.publish(Changes(photos=True))
        return done

    def pending(self) -> int:
        """Photos not looked at for a location yet."""
        return self._store.unlocated_count()

    def set_by_person(self, places: Sequence[tuple[PhotoId, Place]]) -> Changes:
        """Place names a person set (read back from XMP): they stay, whatever geocoding says later."""
        changed = self._store.record([Located(pid, place=place, source=SET_BY_PERSON) for pid, place in places])
        return self._changes.publish(Changes(photos=bool(changed)))

    # -- reading -------------------------------------------------------------------------------

    def of(self, photo_ids: Sequence[int]) -> dict[PhotoId, PhotoPlace]:
        """The location of each photo that has one."""
        return self._store.of(photo_ids)

    def known_names(self) -> dict[str, str]:
        """Every city, region and country of the library, by folded name (for reading "in Lisbon")."""
        return self._store.known_keys()

    def matching(self, spec: str) -> list[Place]:
        return self._store.matching(spec)

    def tree(self) -> list[PlaceNode]:
        """Countries > regions > cities with photo counts, each level by count, then name."""
        countries: dict[str, PlaceNode] = {}
        for entry in self._store.counts():
            place = entry.place
            country_name = place.country or "Unknown country"
            country = countries.setdefault(
                fold(country_name), PlaceNode(country_name, 0, place.country, place.country_code)
            )
            country.photos += entry.photos
            parent = country
            if place.region:
                parent = _child(country, place.region, _spec(place.region, place.country))
                parent.photos += entry.photos
            if place.city:
                spec = (
                    _spec(place.city, place.region, place.country) if place.region else _spec(place.city, place.country)
                )
                _child(parent, place.city, spec).photos += entry.photos
        nodes = list(countries.values())
        _sort(nodes)
        return nodes


def _spec(*names: str) -> str:
    return ", ".join(name for name in names if name)


def _child(parent: PlaceNode, name: str, spec: str) -> PlaceNode:
    for child in parent.children:
        if fold(child.name) == fold(name):
            return child
    node = PlaceNode(name, 0, spec)
    parent.children.append(node)
    return node


def _sort(nodes: list[PlaceNode]) -> None:
    nodes.sort(key=lambda n: (-n.photos, fold(n.name)))
    for node in nodes:
        _sort(node.children)


__all__ = ["FROM_EXIF", "PlaceNode", "Places"]
