"""Where each photo was taken: its coordinates and place, kept in the catalog.

Each photo that has been looked at has one `photo_places` row: its coordinates
(from its EXIF, or its XMP sidecar), the place they are in (city, region,
country, each a row of `places` shared by every photo there), and where that
came from. Names a person set in their metadata (photoshop:City and friends,
read back by `import-keywords`) are theirs: a later geocoding never replaces
them. A row with neither coordinates nor place says "looked, nothing found",
so no photo is read twice for nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from photoclip.core.places.names import Place, fold, matches_parts, spec_parts
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import PhotoId

FROM_EXIF = "exif"
FROM_SIDECAR = "sidecar"
SET_BY_PERSON = "xmp"
NOWHERE = "none"


@dataclass(frozen=True)
class PhotoPlace:
    """A photo's location as stored."""

    latitude: float | None
    longitude: float | None
    place: Place
    source: str  # FROM_EXIF, FROM_SIDECAR, SET_BY_PERSON or NOWHERE


@dataclass(frozen=True)
class Located:
    """What indexing or a look at a photo's metadata found: coordinates, place names, or both."""

    photo_id: PhotoId
    latitude: float | None = None
    longitude: float | None = None
    place: Place | None = None
    source: str = NOWHERE


@dataclass(frozen=True)
class PlaceCount:
    place: Place
    photos: int


class PlaceStore:
    """Reads and writes `places` and `photo_places`."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    # -- writing -------------------------------------------------------------------------------

    def record(self, found: Sequence[Located]) -> int:
        """Store locations (one transaction); returns how many rows changed.

        Coordinates always follow the photo's metadata; place names a person set
        (`SET_BY_PERSON`) stay unless the new ones are a person's too.
        """
        changed = 0
        orphans = False
        with self._catalog.transaction() as conn:
            for item in found:
                place_id = _place_id(conn, item.place) if item.place else None
                row = conn.execute(
                    "SELECT latitude, longitude, place_id, source FROM photo_places WHERE photo_id = ?",
                    (item.photo_id,),
                ).fetchone()
                if row is not None and row[3] == SET_BY_PERSON and item.source != SET_BY_PERSON:
                    if (row[0], row[1]) != (item.latitude, item.longitude) and item.latitude is not None:
                        conn.execute(
                            "UPDATE photo_places SET latitude = ?, longitude = ? WHERE photo_id = ?",
                            (item.latitude, item.longitude, item.photo_id),
                        )
                        changed += 1
                    continue
                latitude, longitude = item.latitude, item.longitude
                if item.source == SET_BY_PERSON and latitude is None and row is not None:
                    latitude, longitude = row[0], row[1]  # names set by hand keep the coordinates known
                if row is not None and tuple(row) == (latitude, longitude, place_id, item.source):
                    continue
                cur = conn.execute(
                    "INSERT INTO photo_places(photo_id, latitude, longitude, place_id, source) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(photo_id) DO UPDATE SET latitude = excluded.latitude, "
                    "longitude = excluded.longitude, place_id = excluded.place_id, source = excluded.source",
                    (item.photo_id, latitude, longitude, place_id, item.source),
                )
                changed += cur.rowcount
                orphans = orphans or (row is not None and row[2] is not None and row[2] != place_id)
            if orphans:  # a place no photo is at any more leaves the list of places
                conn.execute(
                    "DELETE FROM places WHERE id NOT IN (SELECT place_id FROM photo_places WHERE place_id IS NOT NULL)"
                )
        return changed

    # -- reading -------------------------------------------------------------------------------

    def unlocated(self, limit: int, *, after: int = 0) -> list[tuple[PhotoId, Path]]:
        """Readable photos never looked at for a location (catalogued before places existed)."""
        rows = (
            self._catalog.reader()
            .execute(
                "SELECT p.id, p.path FROM photos p LEFT JOIN photo_places pp ON pp.photo_id = p.id "
                "WHERE pp.photo_id IS NULL AND p.state = 'ok' AND p.id > ? ORDER BY p.id LIMIT ?",
                (after, limit),
            )
            .fetchall()
        )
        return [(PhotoId(int(r[0])), Path(str(r[1]))) for r in rows]

    def unlocated_count(self) -> int:
        row = (
            self._catalog.reader()
            .execute(
                "SELECT COUNT(*) FROM photos p LEFT JOIN photo_places pp ON pp.photo_id = p.id "
                "WHERE pp.photo_id IS NULL AND p.state = 'ok'"
            )
            .fetchone()
        )
        return int(row[0])

    def of(self, photo_ids: Sequence[int]) -> dict[PhotoId, PhotoPlace]:
        """The stored location of each photo that has one (coordinates or a place)."""
        result: dict[PhotoId, PhotoPlace] = {}
        conn = self._catalog.reader()
        for start in range(0, len(photo_ids), 500):
            chunk = [int(i) for i in photo_ids[start : start + 500]]
            rows = conn.execute(
                "SELECT pp.photo_id, pp.latitude, pp.longitude, pp.source, pl.city, pl.region, pl.country, "
                "pl.country_code FROM photo_places pp LEFT JOIN places pl ON pl.id = pp.place_id "
                f"WHERE pp.photo_id IN ({','.join('?' * len(chunk))}) AND (pp.place_id IS NOT NULL "
                "OR pp.latitude IS NOT NULL)",
                chunk,
            )
            for r in rows:
                place = Place(r[4] or "", r[5] or "", r[6] or "", r[7] or "")
                result[PhotoId(int(r[0]))] = PhotoPlace(r[1], r[2], place, str(r[3]))
        return result

    def counts(self) -> list[PlaceCount]:
        """Every place with photos, and how many (photos of readable files only)."""
        rows = self._catalog.reader().execute(
            "SELECT pl.city, pl.region, pl.country, pl.country_code, COUNT(*) FROM photo_places pp "
            "JOIN places pl ON pl.id = pp.place_id JOIN photos p ON p.id = pp.photo_id "
            "WHERE p.state != 'skipped' GROUP BY pl.id"
        )
        return [PlaceCount(Place(str(r[0]), str(r[1]), str(r[2]), str(r[3])), int(r[4])) for r in rows]

    def known_keys(self) -> dict[str, str]:
        """Every folded city, region and country name of the library, with one spelling of it."""
        known: dict[str, str] = {}
        rows = self._catalog.reader().execute("SELECT city, region, country FROM places")
        for row in rows:
            for name in row:
                if name:
                    known.setdefault(fold(str(name)), str(name))
        return known

    def matching(self, spec: str) -> list[Place]:
        """The places a `place:` value names."""
        parts = spec_parts(spec)
        rows = self._catalog.reader().execute("SELECT city, region, country, country_code FROM places")
        places = (Place(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows)
        return [p for p in places if matches_parts(p.keys(), parts)]


def _place_id(conn: sqlite3.Connection, place: Place) -> int:
    values = (place.city, place.region, place.country, place.country_code)
    conn.execute(
        "INSERT OR IGNORE INTO places(city, region, country, country_code, city_key, region_key, country_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (*values, *place.keys()),
    )
    row = conn.execute(
        "SELECT id FROM places WHERE city = ? AND region = ? AND country = ? AND country_code = ?", values
    ).fetchone()
    return int(row[0])
