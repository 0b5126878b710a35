"""Smart albums as the catalog keeps them: a search (query, filters, relevance) beside an album.

The album's members are stored like any album's (`album_photos`), so browsing, the
`album:` filter and the counts treat both kinds alike; this table adds what fills it
(`Rule`) and what judging a new photo needs without searching again (`Bar`): the query's
vector for the model it was computed with, the score a photo needs (the searcher's
relevance cut-off), the best score then, and the vector sequence number seen last.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import PhotoFilter


@dataclass(frozen=True)
class Rule:
    """What fills a smart album: the photos a search for `query` within `photo_filter` finds relevant."""

    query: str
    relevance: float = 0.5
    photo_filter: PhotoFilter = field(default_factory=PhotoFilter)

    def filter_json(self) -> str:
        f = self.photo_filter
        return json.dumps(
            {
                "folders": [str(p) for p in f.folders],
                "after": f.taken_after,
                "before": f.taken_before,
                "types": list(f.file_types),
                "tags": list(f.tags),
                "albums": list(f.albums),
                "min_stars": f.min_stars,
                "max_stars": f.max_stars,
                "favourite": f.favourite,
            }
        )

    @staticmethod
    def filter_from_json(text: str) -> PhotoFilter:
        data = json.loads(text)
        return PhotoFilter(
            tuple(Path(p) for p in data.get("folders", [])),
            data.get("after"),
            data.get("before"),
            tuple(data.get("types", [])),
            tuple(data.get("tags", [])),
            tuple(data.get("albums", [])),
            min_stars=data.get("min_stars"),
            max_stars=data.get("max_stars"),
            favourite=data.get("favourite"),
        )


@dataclass(frozen=True)
class Bar:
    """Where a smart album stood when last computed in full (None before the first time)."""

    model_id: str
    vector: npt.NDArray[np.float32]
    cutoff: float | None
    top_score: float | None
    seen_seq: int
    library_size: int


@dataclass(frozen=True)
class SmartAlbum:
    album_id: int
    name: str
    rule: Rule
    bar: Bar | None


class SmartAlbumStore:
    """The smart_albums table; writes happen inside the caller's catalog transaction where given."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    _SELECT = (
        "SELECT s.album_id, a.name, s.query, s.filter, s.relevance, s.model_id, s.vector, s.cutoff, s.top_score, "
        "s.seen_seq, s.library_size FROM smart_albums s JOIN albums a ON a.id = s.album_id"
    )

    def all(self) -> list[SmartAlbum]:
        rows = self.catalog.reader().execute(self._SELECT + " ORDER BY a.name")
        return [_smart(r) for r in rows]

    def get(self, album_id: int) -> SmartAlbum | None:
        row = self.catalog.reader().execute(self._SELECT + " WHERE s.album_id = ?", (album_id,)).fetchone()
        return None if row is None else _smart(row)

    @staticmethod
    def set_rule(conn: sqlite3.Connection, album_id: int, rule: Rule) -> None:
        """A new or edited rule; its bar is cleared until the album is computed in full again."""
        conn.execute(
            "INSERT INTO smart_albums(album_id, query, filter, relevance) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(album_id) DO UPDATE SET query = excluded.query, filter = excluded.filter, "
            "relevance = excluded.relevance, model_id = NULL, vector = NULL, cutoff = NULL, top_score = NULL",
            (album_id, rule.query, rule.filter_json(), rule.relevance),
        )

    @staticmethod
    def set_bar(conn: sqlite3.Connection, album_id: int, bar: Bar) -> None:
        conn.execute(
            "UPDATE smart_albums SET model_id = ?, vector = ?, cutoff = ?, top_score = ?, seen_seq = ?, "
            "library_size = ?, refreshed_at = ? WHERE album_id = ?",
            (
                bar.model_id,
                np.ascontiguousarray(bar.vector, dtype=np.float32).tobytes(),
                bar.cutoff,
                bar.top_score,
                bar.seen_seq,
                bar.library_size,
                time.time(),
                album_id,
            ),
        )

    @staticmethod
    def set_seen(conn: sqlite3.Connection, album_id: int, seq: int) -> None:
        conn.execute("UPDATE smart_albums SET seen_seq = ? WHERE album_id = ?", (seq, album_id))

    @staticmethod
    def forget(conn: sqlite3.Connection, album_id: int) -> None:
        """The album stays with its photos, as a plain album (freezing)."""
        conn.execute("DELETE FROM smart_albums WHERE album_id = ?", (album_id,))


def _smart(row: tuple[object, ...]) -> SmartAlbum:
    album_id, name, query, filter_text, relevance, model_id, vector, cutoff, top, seen, size = row
    rule = Rule(str(query), float(relevance), Rule.filter_from_json(str(filter_text)))  # type: ignore[arg-type]
    bar = None
    if model_id is not None and isinstance(vector, bytes):
        bar = Bar(
            str(model_id),
            np.frombuffer(vector, dtype=np.float32).copy(),
            None if cutoff is None else float(cutoff),  # type: ignore[arg-type]
            None if top is None else float(top),  # type: ignore[arg-type]
            int(seen),  # type: ignore[call-overload]
            int(size),  # type: ignore[call-overload]
        )
    return SmartAlbum(int(album_id), str(name), rule, bar)  # type: ignore[call-overload]
