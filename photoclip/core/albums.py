"""Albums: named, hand-picked collections of photos, kept in the catalog.

An album only refers to photos; removing a photo from an album, or deleting the
album, never touches a file. Photos that move keep their album memberships
because the catalog keeps their row (see the scanner).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from photoclip.core.catalog import Catalog, PhotoId
from photoclip.core.errors import LibraryError


@dataclass(frozen=True)
class Album:
    id: int
    name: str
    count: int
    created_at: float


class AlbumStore:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def albums(self) -> list[Album]:
        rows = self.catalog.reader().execute(
            "SELECT a.id, a.name, COUNT(ap.photo_id), a.created_at FROM albums a "
            "LEFT JOIN album_photos ap ON ap.album_id = a.id GROUP BY a.id ORDER BY a.name COLLATE NOCASE"
        )
        return [Album(int(r[0]), str(r[1]), int(r[2]), float(r[3])) for r in rows]

    def get(self, name: str) -> Album:
        for album in self.albums():
            if album.name.casefold() == name.strip().casefold():
                return album
        raise LibraryError(f"There is no album named {name!r}.")

    def create(self, name: str) -> Album:
        name = _valid_name(name)
        with self.catalog.transaction() as conn:
            if conn.execute("SELECT 1 FROM albums WHERE name = ? COLLATE NOCASE", (name,)).fetchone():
                raise LibraryError(f"An album named {name!r} already exists.")
            conn.execute("INSERT INTO albums(name, created_at) VALUES (?, ?)", (name, time.time()))
        return self.get(name)

    def rename(self, old: str, new: str) -> Album:
        album = self.get(old)
        new = _valid_name(new)
        with self.catalog.transaction() as conn:
            clash = conn.execute("SELECT id FROM albums WHERE name = ? COLLATE NOCASE", (new,)).fetchone()
            if clash and int(clash[0]) != album.id:
                raise LibraryError(f"An album named {new!r} already exists.")
            conn.execute("UPDATE albums SET name = ? WHERE id = ?", (new, album.id))
        return self.get(new)

    def delete(self, name: str) -> None:
        album = self.get(name)
        with self.catalog.transaction() as conn:
            conn.execute("DELETE FROM albums WHERE id = ?", (album.id,))

    def add(self, name: str, photo_ids: Sequence[int]) -> int:
        """Add photos (ignoring ones already there); returns how many were new."""
        album = self.get(name)
        now = time.time()
        with self.catalog.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO album_photos(album_id, photo_id, added_at) "
                "SELECT ?, id, ? FROM photos WHERE id = ?",
                [(album.id, now, int(pid)) for pid in photo_ids],
            )
            return conn.total_changes - before

    def remove(self, name: str, photo_ids: Sequence[int]) -> int:
        album = self.get(name)
        with self.catalog.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "DELETE FROM album_photos WHERE album_id = ? AND photo_id = ?",
                [(album.id, int(pid)) for pid in photo_ids],
            )
            return conn.total_changes - before

    def photo_ids(self, name: str) -> list[PhotoId]:
        """Members in the order they were added."""
        album = self.get(name)
        rows = self.catalog.reader().execute(
            "SELECT photo_id FROM album_photos WHERE album_id = ? ORDER BY added_at, photo_id", (album.id,)
        )
        return [PhotoId(int(r[0])) for r in rows]

    def albums_of(self, photo_id: int) -> list[str]:
        rows = self.catalog.reader().execute(
            "SELECT a.name FROM albums a JOIN album_photos ap ON ap.album_id = a.id WHERE ap.photo_id = ? "
            "ORDER BY a.name COLLATE NOCASE",
            (int(photo_id),),
        )
        return [str(r[0]) for r in rows]


def _valid_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise LibraryError("An album needs a name.")
    if len(name) > 200:
        raise LibraryError("Album names are limited to 200 characters.")
    return name
