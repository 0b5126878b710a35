"""Text read in photos, and its full-text index.

Text is kept per content hash, not per photo: duplicates share what was read,
a photo that is changed on disk (new bytes, new hash) is read again, and one
that comes back after being removed finds its text still there. Every content
hash that has been looked at has a row: "read" (with the text, which may be
empty), "gated" (the CLIP gate said it holds no text; looked at again when the
library's model changes) or "failed" (the photo could not be decoded for it).

`photo_text_index` is an FTS5 index (unicode61 tokenizer, diacritics removed)
over the rows with text, so `text:` is an index lookup at any library size. It
is an external-content table kept in step here, in the same transaction as the
row it indexes, which is why no other module writes `photo_texts`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.filters import spaced, text_match
from photoclip.core.store.order import NEWEST_FIRST_SQL
from photoclip.core.store.records import PhotoId

READ = "read"
GATED = "gated"
FAILED = "failed"


@dataclass(frozen=True)
class TextWork:
    """A photo whose text has not been looked at yet."""

    photo_id: PhotoId
    path: Path
    content_hash: str


@dataclass(frozen=True)
class TextCounts:
    read: int  # photos read by the OCR
    with_text: int  # of those, photos where it found words
    gated: int  # photos the gate said hold no text
    failed: int  # photos that could not be read
    pending: int  # photos not looked at yet


class TextStore:
    """Reads and writes `photo_texts` and its index."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    # -- writing -------------------------------------------------------------------------------

    def record(
        self,
        content_hash: str,
        state: str,
        text: str = "",
        *,
        engine: str | None = None,
        model_id: str | None = None,
        gate_score: float | None = None,
    ) -> None:
        """What looking at one photo's content found (replacing what was there)."""
        text = spaced(text.replace("\x00", " ")).strip()
        with self._catalog.transaction() as conn:
            self._unindex(conn, content_hash)
            cur = conn.execute(
                "INSERT INTO photo_texts(content_hash, state, text, engine, model_id, gate_score, read_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(content_hash) DO UPDATE SET state = excluded.state, "
                "text = excluded.text, engine = excluded.engine, model_id = excluded.model_id, "
                "gate_score = excluded.gate_score, read_at = excluded.read_at RETURNING id",
                (content_hash, state, text, engine, model_id, gate_score, time.time()),
            )
            row_id = int(cur.fetchone()[0])
            if text:
                conn.execute("INSERT INTO photo_text_index(rowid, text) VALUES (?, ?)", (row_id, text))

    @staticmethod
    def _unindex(conn: sqlite3.Connection, content_hash: str) -> None:
        row = conn.execute("SELECT id, text FROM photo_texts WHERE content_hash = ?", (content_hash,)).fetchone()
        if row is not None and row[1]:
            conn.execute(
                "INSERT INTO photo_text_index(photo_text_index, rowid, text) VALUES ('delete', ?, ?)", (row[0], row[1])
            )

    def forget_orphans(self) -> int:
        """Drop text of content no photo has any more (nor a removed photo that may come back)."""
        with self._catalog.transaction() as conn:
            rows = conn.execute(
                "SELECT id, text FROM photo_texts t WHERE NOT EXISTS (SELECT 1 FROM photos p "
                "WHERE p.content_hash = t.content_hash) AND NOT EXISTS (SELECT 1 FROM removed_photos r "
                "WHERE r.content_hash = t.content_hash)"
            ).fetchall()
            for row_id, text in rows:
                if text:
                    conn.execute(
                        "INSERT INTO photo_text_index(photo_text_index, rowid, text) VALUES ('delete', ?, ?)",
                        (row_id, text),
                    )
                conn.execute("DELETE FROM photo_texts WHERE id = ?", (row_id,))
        return len(rows)

    # -- what is left to read ------------------------------------------------------------------

    _PENDING = (
        "FROM photos p JOIN embeddings e ON e.photo_id = p.id AND e.model_id = ? "
        "LEFT JOIN photo_texts t ON t.content_hash = p.content_hash "
        "WHERE p.state = 'ok' AND p.content_hash IS NOT NULL "
        "AND (t.id IS NULL OR (t.state = 'gated' AND t.model_id IS NOT ?))"
    )

    def pending(self, model_id: str, limit: int) -> list[TextWork]:
        """Photos embedded by the model whose text was never looked at, newest first (one per content)."""
        rows = (
            self._catalog.reader()
            .execute(
                f"SELECT p.id, p.path, p.content_hash {self._PENDING} ORDER BY {NEWEST_FIRST_SQL} LIMIT ?",
                (model_id, model_id, limit * 2),
            )
            .fetchall()
        )
        seen: set[str] = set()
        work = []
        for r in rows:
            if r[2] not in seen:
                seen.add(r[2])
                work.append(TextWork(PhotoId(int(r[0])), Path(str(r[1])), str(r[2])))
        return work[:limit]

    def pending_count(self, model_id: str) -> int:
        row = (
            self._catalog.reader()
            .execute(f"SELECT COUNT(DISTINCT p.content_hash) {self._PENDING}", (model_id, model_id))
            .fetchone()
        )
        return int(row[0])

    def counts(self, model_id: str) -> TextCounts:
        """Photos (distinct contents) in each state."""
        rows = (
            self._catalog.reader()
            .execute(
                "SELECT t.state, t.text != '', COUNT(DISTINCT t.content_hash) FROM photo_texts t "
                "JOIN photos p ON p.content_hash = t.content_hash GROUP BY t.state, t.text != ''"
            )
            .fetchall()
        )
        by_state: dict[str, int] = {}
        with_text = 0
        for state, has_text, count in rows:
            by_state[str(state)] = by_state.get(str(state), 0) + int(count)
            if state == READ and has_text:
                with_text += int(count)
        return TextCounts(
            by_state.get(READ, 0),
            with_text,
            by_state.get(GATED, 0),
            by_state.get(FAILED, 0),
            self.pending_count(model_id),
        )

    # -- reading -------------------------------------------------------------------------------

    def text_of(self, photo_ids: Sequence[int]) -> dict[PhotoId, str]:
        """The text read in each photo that has some."""
        result: dict[PhotoId, str] = {}
        conn = self._catalog.reader()
        for start in range(0, len(photo_ids), 500):
            chunk = [int(i) for i in photo_ids[start : start + 500]]
            rows = conn.execute(
                "SELECT p.id, t.text FROM photos p JOIN photo_texts t ON t.content_hash = p.content_hash "
                f"WHERE p.id IN ({','.join('?' * len(chunk))}) AND t.text != ''",
                chunk,
            )
            result.update({PhotoId(int(r[0])): str(r[1]) for r in rows})
        return result

    def state_of(self, photo_id: int) -> str | None:
        """READ, GATED, FAILED, or None when the photo's text has not been looked at yet."""
        row = (
            self._catalog.reader()
            .execute(
                "SELECT t.state FROM photos p JOIN photo_texts t ON t.content_hash = p.content_hash WHERE p.id = ?",
                (int(photo_id),),
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def snippets(self, photo_ids: Sequence[int], phrases: Sequence[str], *, words: int = 12) -> dict[PhotoId, str]:
        """The part of each photo's text around what `phrases` matched, matches in [brackets]."""
        if not phrases or not photo_ids:
            return {}
        query = " AND ".join(text_match(p) for p in phrases)
        hashes = self._hashes(photo_ids)
        wanted = sorted(set(hashes.values()))
        by_hash: dict[str, str] = {}
        conn = self._catalog.reader()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            # The rowid restriction lets FTS5 build snippets for these photos only, not every match
            # (a common word in 20k photos: 73 ms -> 0.3 ms for a page).
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT t.content_hash, snippet(photo_text_index, 0, '[', ']', '…', ?) FROM photo_text_index "
                "JOIN photo_texts t ON t.id = photo_text_index.rowid WHERE photo_text_index MATCH ? AND "
                f"photo_text_index.rowid IN (SELECT id FROM photo_texts WHERE content_hash IN ({marks}))",
                (words, query, *chunk),
            )
            by_hash.update({str(r[0]): " ".join(str(r[1]).split()) for r in rows})
        return {pid: by_hash[h] for pid, h in hashes.items() if h in by_hash}

    def _hashes(self, photo_ids: Sequence[int]) -> dict[PhotoId, str]:
        result: dict[PhotoId, str] = {}
        conn = self._catalog.reader()
        for start in range(0, len(photo_ids), 500):
            chunk = [int(i) for i in photo_ids[start : start + 500]]
            rows = conn.execute(
                f"SELECT id, content_hash FROM photos WHERE id IN ({','.join('?' * len(chunk))})", chunk
            )
            result.update({PhotoId(int(r[0])): str(r[1]) for r in rows if r[1]})
        return result
