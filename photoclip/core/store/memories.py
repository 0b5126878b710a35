"""What was learnt about a photo whose file went away, kept for a while in case it comes back.

A photo's row leaves the catalog when its file is really gone (see the scanner's
rules for unmounted drives), but its tags, album places, rating and vectors are kept by
content hash for `GRACE_SECONDS`. A file with the same bytes that turns up again
within that time, anywhere in the library (restored from a backup, copied back,
a drive remounted after a scan wrongly saw it empty), gets them all back and is
not embedded again, the way a photo moved within the library keeps them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import PhotoId

GRACE_SECONDS = 30 * 24 * 3600
"""How long a removed photo's tags, albums and vectors wait for it to come back."""

_CHUNK = 500


@dataclass(frozen=True)
class Memory:
    """A removed photo, as the scanner matches new files against it."""

    content_hash: str
    path: str
    size: int
    removed_at: float


class Memories:
    """Removed photos' tags, albums and vectors, by content hash."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def forget(self, ids: Sequence[int]) -> None:
        """Delete these photos' rows (their files are gone) and keep what was learnt about them."""
        now = time.time()
        with self._catalog.transaction() as conn:
            for start in range(0, len(ids), _CHUNK):
                chunk = [int(i) for i in ids[start : start + _CHUNK]]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT id, content_hash, path, size FROM photos WHERE id IN ({marks}) "
                    "AND content_hash IS NOT NULL",
                    chunk,
                ).fetchall()
                for photo_id, content_hash, path, size in rows:
                    tags = conn.execute(
                        "SELECT label_id, score, source, status FROM tags WHERE photo_id = ?", (photo_id,)
                    ).fetchall()
                    albums = conn.execute(
                        "SELECT album_id, added_at FROM album_photos WHERE photo_id = ?", (photo_id,)
                    ).fetchall()
                    rating = conn.execute(
                        "SELECT stars, favourite FROM ratings WHERE photo_id = ?", (photo_id,)
                    ).fetchone()
                    conn.execute(
                        "INSERT OR REPLACE INTO removed_photos(content_hash, path, size, removed_at, tags, albums, "
                        "rating) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            content_hash,
                            path,
                            size,
                            now,
                            json.dumps(tags),
                            json.dumps(albums),
                            None if rating is None else json.dumps(list(rating)),
                        ),
                    )
                    conn.execute(
                        "INSERT OR REPLACE INTO removed_embeddings(content_hash, model_id, dim, vector, removed_at) "
                        "SELECT content_hash, model_id, dim, vector, ? FROM embeddings "
                        "WHERE photo_id = ? AND content_hash = ?",
                        (now, photo_id, content_hash),
                    )
                    conn.execute(  # a video's scenes, which stand for it in the index
                        "INSERT OR REPLACE INTO removed_scenes(content_hash, model_id, idx, start, end, frame, "
                        "samples, dim, vector, removed_at) SELECT content_hash, model_id, idx, start, end, frame, "
                        "samples, dim, vector, ? FROM scenes WHERE photo_id = ? AND content_hash = ?",
                        (now, photo_id, content_hash),
                    )
                conn.execute(f"DELETE FROM photos WHERE id IN ({marks})", chunk)

    def by_size(self, sizes: Sequence[int]) -> dict[int, list[Memory]]:
        """Memories of photos of these sizes (a new file can only be one of them if its size matches)."""
        found: dict[int, list[Memory]] = {}
        wanted = sorted(set(sizes))
        conn = self._catalog.reader()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = conn.execute(
                "SELECT content_hash, path, size, removed_at FROM removed_photos "
                f"WHERE size IN ({','.join('?' * len(chunk))}) ORDER BY removed_at DESC",
                chunk,
            )
            for content_hash, path, size, removed_at in rows:
                found.setdefault(int(size), []).append(Memory(str(content_hash), str(path), int(size), removed_at))
        return found

    def restore(self, photo_id: PhotoId, memory: Memory) -> None:
        """Give a photo that came back its tags, albums, rating and vectors (labels, albums deleted since: skipped)."""
        with self._catalog.transaction() as conn:
            row = conn.execute(
                "SELECT tags, albums, rating FROM removed_photos WHERE content_hash = ? AND path = ?",
                (memory.content_hash, memory.path),
            ).fetchone()
            if row is None:
                return
            now = time.time()
            for label_id, score, source, status in json.loads(row[0]):
                conn.execute(
                    "INSERT OR IGNORE INTO tags(photo_id, label_id, score, source, status, updated_at) "
                    "SELECT ?, id, ?, ?, ?, ? FROM labels WHERE id = ?",
                    (photo_id, score, source, status, now, label_id),
                )
            for album_id, added_at in json.loads(row[1]):
                conn.execute(
                    "INSERT OR IGNORE INTO album_photos(album_id, photo_id, added_at) SELECT id, ?, ? FROM albums "
                    "WHERE id = ?",
                    (photo_id, added_at, album_id),
                )
            if row[2] is not None:
                stars, favourite = json.loads(row[2])
                conn.execute(
                    "INSERT OR IGNORE INTO ratings(photo_id, stars, favourite, updated_at) VALUES (?, ?, ?, ?)",
                    (photo_id, int(stars), int(favourite), now),
                )
            conn.execute("UPDATE photos SET content_hash = ? WHERE id = ?", (memory.content_hash, photo_id))
            seq = Catalog.next_seq(conn)
            conn.execute(
                "INSERT OR IGNORE INTO embeddings(photo_id, model_id, dim, vector, content_hash, created_at, seq) "
                "SELECT ?, model_id, dim, vector, content_hash, ?, ? FROM removed_embeddings WHERE content_hash = ?",
                (photo_id, now, seq, memory.content_hash),
            )
            conn.execute(
                "INSERT OR IGNORE INTO scenes(photo_id, model_id, idx, start, end, frame, samples, dim, vector, "
                "content_hash, seq) SELECT ?, model_id, idx, start, end, frame, samples, dim, vector, content_hash, ? "
                "FROM removed_scenes WHERE content_hash = ?",
                (photo_id, seq, memory.content_hash),
            )
            conn.execute(
                "DELETE FROM removed_photos WHERE content_hash = ? AND path = ?", (memory.content_hash, memory.path)
            )
            self._drop_orphan_vectors(conn)

    def purge(self, older_than: float = GRACE_SECONDS) -> int:
        """Forget memories older than the grace period; returns how many photos' memories went."""
        cutoff = time.time() - older_than
        with self._catalog.transaction() as conn:
            count = int(conn.execute("DELETE FROM removed_photos WHERE removed_at < ?", (cutoff,)).rowcount)
            self._drop_orphan_vectors(conn)
        return count

    def count(self) -> int:
        return int(self._catalog.reader().execute("SELECT COUNT(*) FROM removed_photos").fetchone()[0])

    @staticmethod
    def _drop_orphan_vectors(conn: sqlite3.Connection) -> None:
        """Vectors are kept per content hash while any memory of that content remains."""
        conn.execute(
            "DELETE FROM removed_embeddings WHERE content_hash NOT IN (SELECT content_hash FROM removed_photos)"
        )
        conn.execute("DELETE FROM removed_scenes WHERE content_hash NOT IN (SELECT content_hash FROM removed_photos)")
