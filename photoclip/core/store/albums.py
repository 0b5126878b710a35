"""Albums: named, hand-picked collections of photos, kept in the catalog.

An album only refers to photos; removing a photo from an album, or deleting the
album, never touches a file. Photos that move keep their album memberships
because the catalog keeps their row (see the scanner).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from photoclip.core.changes import ChangeBus, Changes, Outcome
from photoclip.core.errors import LibraryError
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import PhotoId


@dataclass(frozen=True)
class Album:
    id: int
    name: str
    count: int
    created_at: float
    smart: bool = False  # fills itself from a search (`search.smart_albums`)


class Albums:
    """The library's albums; every edit returns (and publishes) what it changed."""

    def __init__(self, catalog: Catalog, changes: ChangeBus) -> None:
        self.catalog = catalog
        self._changes = changes

    def _changed(self, *, photos: bool = False) -> Changes:
        return self._changes.publish(Changes(albums=True, photos=photos))

    def all(self) -> list[Album]:
        rows = self.catalog.reader().execute(
            "SELECT a.id, a.name, COUNT(ap.photo_id), a.created_at, "
            "EXISTS (SELECT 1 FROM smart_albums s WHERE s.album_id = a.id) FROM albums a "
            "LEFT JOIN album_photos ap ON ap.album_id = a.id GROUP BY a.id ORDER BY a.name COLLATE NOCASE"
        )
        return [Album(int(r[0]), str(r[1]), int(r[2]), float(r[3]), bool(r[4])) for r in rows]

    def get(self, name: str) -> Album:
        for album in self.all():
            if album.name.casefold() == name.strip().casefold():
                return album
        raise LibraryError(f"There is no album named {name!r}.")

    def create(self, name: str, photo_ids: Sequence[int] = ()) -> Outcome[Album]:
        """A new album, holding `photo_ids` from the start when given (one transaction)."""
        name = _valid_name(name)
        with self.catalog.transaction() as conn:
            if conn.execute("SELECT 1 FROM albums WHERE name = ? COLLATE CASEFOLD", (name,)).fetchone():
                raise LibraryError(f"An album named {name!r} already exists.")
            cur = conn.execute("INSERT INTO albums(name, created_at) VALUES (?, ?)", (name, time.time()))
            self._insert(conn, int(cur.lastrowid or 0), photo_ids)
        return Outcome(self.get(name), self._changed(photos=bool(photo_ids)))

    def rename(self, old: str, new: str) -> Outcome[Album]:
        album = self.get(old)
        new = _valid_name(new)
        with self.catalog.transaction() as conn:
            clash = conn.execute("SELECT id FROM albums WHERE name = ? COLLATE CASEFOLD", (new,)).fetchone()
            if clash and int(clash[0]) != album.id:
                raise LibraryError(f"An album named {new!r} already exists.")
            conn.execute("UPDATE albums SET name = ? WHERE id = ?", (new, album.id))
        return Outcome(self.get(new), self._changed())

    def delete(self, name: str) -> Changes:
        album = self.get(name)
        with self.catalog.transaction() as conn:
            conn.execute("DELETE FROM albums WHERE id = ?", (album.id,))
        return self._changed(photos=album.count > 0)

    def add(self, name: str, photo_ids: Sequence[int]) -> Outcome[int]:
        """Add photos (ignoring ones already there); returns how many were new."""
        album = self._hand_picked(name)
        with self.catalog.transaction() as conn:
            added = self._insert(conn, album.id, photo_ids)
        return Outcome(added, self._changed(photos=added > 0))

    @staticmethod
    def _insert(conn: sqlite3.Connection, album_id: int, photo_ids: Sequence[int]) -> int:
        before = conn.total_changes
        now = time.time()
        conn.executemany(
            "INSERT OR IGNORE INTO album_photos(album_id, photo_id, added_at) SELECT ?, id, ? FROM photos WHERE id = ?",
            [(album_id, now, int(pid)) for pid in photo_ids],
        )
        return int(conn.total_changes - before)

    def remove(self, name: str, photo_ids: Sequence[int]) -> Outcome[int]:
        """Take photos out of an album (the photos stay in the library); returns how many were in it."""
        album = self._hand_picked(name)
        with self.catalog.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "DELETE FROM album_photos WHERE album_id = ? AND photo_id = ?",
                [(album.id, int(pid)) for pid in photo_ids],
            )
            removed = int(conn.total_changes - before)
        return Outcome(removed, self._changed(photos=removed > 0))

    def _hand_picked(self, name: str) -> Album:
        album = self.get(name)
        if album.smart:
            raise LibraryError(
                f"{album.name!r} is a smart album: its search decides what it holds. Edit its search, or freeze it "
                "to pick photos by hand."
            )
        return album

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
