"""The library database: the single source of truth for photos, vectors, albums and tags.

SQLite in WAL mode, so readers (the GUI's pages, searches) never wait for the
writer (indexing). Each thread gets its own connection; writes are serialised by
one lock so a batch commits as a whole or not at all, which is what lets a
killed process restart without losing anything but its last uncommitted batch.
Vectors live here too (float16 blobs): the HNSW index is a cache rebuilt from them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from photoclip.core.errors import CatalogDamaged, CatalogError, SchemaTooNew
from photoclip.core.media.kinds import kind_of
from photoclip.core.store.backup import Backup, damage, make_backup
from photoclip.core.store.backup import due as backup_due
from photoclip.core.store.filters import filter_clauses, prefix_range, text_match
from photoclip.core.store.order import NEWEST_FIRST_SQL, newest_first_key
from photoclip.core.store.records import (
    VECTOR_DTYPE,
    CatalogStats,
    FileStat,
    Folder,
    FolderId,
    KnownFile,
    Measures,
    Move,
    Photo,
    PhotoFilter,
    PhotoId,
    PhotoMetadata,
    PhotoState,
    RecordedBatch,
    WorkItem,
    phash_from_sql,
    phash_to_sql,
)
from photoclip.core.store.schema import MIGRATIONS, SCHEMA_VERSION
from photoclip.core.store.sqlite import connect

log = logging.getLogger(__name__)

CHECK_SECONDS = 24 * 3600
"""How often opening the catalog runs SQLite's quick check (it reads the whole file)."""


def _path_key(path: Path) -> str:
    """Paths are stored as text; names that are not valid Unicode cannot be stored and are refused."""
    text = str(path)
    text.encode("utf-8")  # raises UnicodeEncodeError for undecodable (surrogate-escaped) names
    return text


def _under(sql: str, folder_id: FolderId, under: Path | None) -> tuple[str, list[object]]:
    """Restrict a per-folder photo query to one subfolder (an index-friendly path range)."""
    params: list[object] = [folder_id]
    if under is not None:
        low, high = prefix_range(under)
        sql += " AND path >= ? AND path < ?"
        params += [low, high]
    return sql, params


class Catalog:
    """One SQLite file; safe to share between threads (one connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # One connection per OS thread, keyed by thread id rather than threading.local: a thread
        # pool's native threads get a fresh Python thread state (and so a fresh threading.local)
        # for every task, which opened and kept a new connection each time.
        self._by_thread: dict[int, sqlite3.Connection] = {}
        self._write_lock = threading.RLock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._refuse_emptied()
        self._migrate()
        self._check_now_and_then()

    # -- connections -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = connect(self.path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.create_collation("CASEFOLD", _casefold_compare)
        except CatalogDamaged:
            raise
        except sqlite3.DatabaseError as e:
            raise CatalogDamaged(
                f"The library database {self.path} is damaged or not a photoclip catalog ({e}). "
                "Run 'photoclip doctor --repair' to restore its latest backup."
            ) from e
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def reader(self) -> sqlite3.Connection:
        """This thread's connection, for the stores that keep their tables in this database."""
        return self._conn

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """The one-writer transaction (see `_write`), for companion stores (albums, tags)."""
        return self._write()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise CatalogError("The library database is closed.")
        thread = threading.get_ident()
        conn = self._by_thread.get(thread)
        if conn is None:
            conn = self._connect()
            self._by_thread[thread] = conn
        return conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction at a time; it commits whole or not at all."""
        with self._write_lock:
            conn = self._conn
            if conn.in_transaction:  # nested use inside one of our own transactions
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close every thread's connection (checkpointing the WAL)."""
        self._closed = True  # no new queries from here on
        with self._connections_lock:
            for conn in self._connections:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()
            self._by_thread.clear()

    def _refuse_emptied(self) -> None:
        """A catalog cut to 0 bytes beside a library that has been used is damage, not a new library."""
        if self.path.exists() and self.path.stat().st_size == 0 and damage(self.path):
            raise CatalogDamaged(
                f"The library database {self.path} is empty (0 bytes) although this library has been used. "
                "Run 'photoclip doctor --repair' to restore its latest backup; your photos are not affected."
            )

    def _migrate(self) -> None:
        conn = self._conn
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except CatalogError:
            raise
        except sqlite3.DatabaseError as e:
            raise CatalogDamaged(
                f"The library database {self.path} is damaged or not a photoclip catalog ({e})."
            ) from e
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"The library at {self.path.parent} was written by a newer photoclip "
                f"(catalog version {version}, this version understands {SCHEMA_VERSION}). Please update photoclip."
            )
        if 0 < version < SCHEMA_VERSION:
            make_backup(conn, self.path, "migration")
        with self._write() as conn:
            for target in range(version + 1, SCHEMA_VERSION + 1):
                log.info("migrating catalog %s to schema %d", self.path, target)
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (str(target),),
                )

    def _check_now_and_then(self) -> None:
        """SQLite's own consistency check at open, once a day (it reads the whole file)."""
        last = float(self.get_meta("last_quick_check") or 0)
        if time.time() - last < CHECK_SECONDS:
            return
        problems = self.integrity_problems()
        if problems:
            raise CatalogDamaged(
                f"The library database {self.path} is damaged ({'; '.join(problems[:2])}). Run 'photoclip doctor "
                "--repair' to restore its latest backup; your photos are not affected."
            )
        self.set_meta("last_quick_check", repr(time.time()))

    def back_up_if_due(self) -> Backup | None:
        """The daily backup, when the last one is more than a day old (indexing and watching call this)."""
        if not backup_due(self.path):
            return None
        with self._write_lock:
            return make_backup(self._conn, self.path, "daily")

    def schema_version(self) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0])

    # -- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- folders ------------------------------------------------------------------------------

    def add_folder(self, path: Path) -> Folder:
        """Register a folder (idempotent)."""
        key = _path_key(path)
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)", (key, time.time()))
            row = conn.execute(f"SELECT {_FOLDER_COLUMNS} FROM folders WHERE path = ?", (key,)).fetchone()
        return _folder(row)

    def remove_folder(self, folder_id: FolderId) -> list[PhotoId]:
        """Forget a folder and everything learnt about its photos; returns the photo ids removed."""
        with self._write() as conn:
            ids = [PhotoId(r[0]) for r in conn.execute("SELECT id FROM photos WHERE folder_id = ?", (folder_id,))]
            conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))
        return ids

    def folders(self) -> list[Folder]:
        rows = self._conn.execute(f"SELECT {_FOLDER_COLUMNS} FROM folders ORDER BY path").fetchall()
        return [_folder(r) for r in rows]

    def folder_by_path(self, path: Path) -> Folder | None:
        row = self._conn.execute(f"SELECT {_FOLDER_COLUMNS} FROM folders WHERE path = ?", (_path_key(path),)).fetchone()
        return None if row is None else _folder(row)

    def absorb_folders(self, parent: FolderId, children: Sequence[FolderId]) -> None:
        """A newly added parent folder takes over the photos of folders inside it."""
        with self._write() as conn:
            for child in children:
                conn.execute("UPDATE photos SET folder_id = ? WHERE folder_id = ?", (parent, child))
                conn.execute("DELETE FROM folders WHERE id = ?", (child,))

    def folder_has_photos(self, folder_id: FolderId) -> bool:
        return (
            self._conn.execute("SELECT 1 FROM photos WHERE folder_id = ? LIMIT 1", (folder_id,)).fetchone() is not None
        )

    def photo_counts_by_folder(self) -> dict[FolderId, int]:
        rows = self._conn.execute(
            "SELECT folder_id, COUNT(*) FROM photos WHERE state != 'skipped' GROUP BY folder_id"
        ).fetchall()
        return {FolderId(int(r[0])): int(r[1]) for r in rows}

    def directory_counts(self) -> dict[Path, int]:
        """Photos per directory (not counting subdirectories), for a folder tree; computed in SQL."""
        rows = self._conn.execute(
            "SELECT rtrim(path, replace(path, ?, '')) AS dir, COUNT(*) FROM photos WHERE state != 'skipped' "
            "GROUP BY dir",
            (os.sep,),
        )
        return {Path(str(r[0])): int(r[1]) for r in rows}

    def mark_scanned(self, folder_id: FolderId, device: int | None = None) -> None:
        """A full scan found the folder with its photos: remember when, and on which device (st_dev)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE folders SET last_scan = ?, device = COALESCE(?, device) WHERE id = ?",
                (time.time(), device, folder_id),
            )

    # -- photos: change tracking ----------------------------------------------------------------

    def known_files(self, folder_id: FolderId, under: Path | None = None) -> dict[str, KnownFile]:
        """Everything the catalog remembers under one folder (or one of its subfolders), keyed by path text."""
        rows = self._conn.execute(
            *_under(
                "SELECT path, id, size, mtime_ns, state, content_hash FROM photos WHERE folder_id = ?", folder_id, under
            )
        ).fetchall()
        return {r[0]: KnownFile(PhotoId(r[1]), r[2], r[3], PhotoState(r[4]), r[5]) for r in rows}

    def file_rows(self, folder_id: FolderId, under: Path | None = None) -> dict[str, tuple[int, int, int]]:
        """(id, size, mtime_ns) by path text: what a rescan compares. A rescan of 100k unchanged
        files must not build 100k objects, so these are the raw rows."""
        sql, params = _under("SELECT path, id, size, mtime_ns FROM photos WHERE folder_id = ?", folder_id, under)
        return {r[0]: r[1:] for r in self._conn.execute(sql, params).fetchall()}

    def known_by_id(self, ids: Sequence[int]) -> dict[PhotoId, KnownFile]:
        """Full change-tracking rows for a few photos (the ones a scan did not find again)."""
        result = {}
        for start in range(0, len(ids), 500):
            chunk = [int(i) for i in ids[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT id, size, mtime_ns, state, content_hash FROM photos WHERE id IN ({marks})", chunk
            )
            for r in rows:
                result[PhotoId(r[0])] = KnownFile(PhotoId(r[0]), r[1], r[2], PhotoState(r[3]), r[4])
        return result

    def set_folder_online(self, folder_id: FolderId, online: bool) -> None:
        """Missing folders keep their photos, vectors and tags until they come back."""
        with self._write() as conn:
            conn.execute(
                "UPDATE folders SET online = ?, offline_since = CASE WHEN ? THEN NULL "
                "ELSE COALESCE(offline_since, ?) END WHERE id = ?",
                (int(online), int(online), time.time(), folder_id),
            )

    def move_photos(self, moves: Sequence[Move]) -> None:
        """Give photos their new paths; everything learnt about them stays with them."""
        now = time.time()
        with self._write() as conn:
            for move in moves:
                conn.execute(
                    "UPDATE photos SET folder_id = ?, path = ?, size = ?, mtime_ns = ?, updated_at = ? WHERE id = ?",
                    (move.folder_id, _path_key(move.file.path), move.file.size, move.file.mtime_ns, now, move.id),
                )

    def vector_for_content(
        self, model_id: str, content_hash: str
    ) -> tuple[npt.NDArray[np.float32], PhotoMetadata] | None:
        """The vector and metadata of any photo with these exact bytes: a duplicate is never embedded twice."""
        row = self._conn.execute(
            """
            SELECT e.vector, p.width, p.height, p.file_type, p.taken_at, p.date_source, p.camera, p.size, p.mtime_ns,
                p.phash, p.sharpness, p.clipping, p.luma, p.contrast, p.taken_subsec
            FROM embeddings e JOIN photos p ON p.id = e.photo_id
            WHERE e.model_id = ? AND e.content_hash = ? AND p.content_hash = ? LIMIT 1
            """,
            (model_id, content_hash, content_hash),
        ).fetchone()
        if row is None:
            return None
        vector = np.frombuffer(row[0], dtype=VECTOR_DTYPE).astype(np.float32)
        measures = _measures(row[9:15])
        meta = PhotoMetadata(
            row[7], row[8], content_hash, row[1], row[2], row[3], row[4], row[5], row[6], measures=measures
        )
        return vector, meta

    def distinct_photo_folders(self) -> int:
        """How many folders hold photos (what a recursive watch needs watches for)."""
        rows = self._conn.execute("SELECT path FROM photos").fetchall()
        return len({os.path.dirname(r[0]) for r in rows})

    def duplicate_count(self) -> int:
        """Photos whose bytes are identical to another photo's (counted beyond the first)."""
        row = self._conn.execute(
            "SELECT COUNT(content_hash) - COUNT(DISTINCT content_hash) FROM photos WHERE content_hash IS NOT NULL"
        ).fetchone()
        return int(row[0])

    def add_photos(self, folder_id: FolderId, files: Sequence[FileStat]) -> list[PhotoId]:
        """New files to be read; one transaction."""
        now = time.time()
        ids: list[PhotoId] = []
        with self._write() as conn:
            for f in files:
                cur = conn.execute(
                    "INSERT INTO photos(folder_id, path, size, mtime_ns, state, added_at, updated_at, kind) "
                    "VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                    (folder_id, _path_key(f.path), f.size, f.mtime_ns, now, now, kind_of(f.path)),
                )
                ids.append(PhotoId(int(cur.lastrowid or 0)))
        return ids

    def mark_changed(self, changes: Sequence[tuple[PhotoId, FileStat]]) -> None:
        """Files whose size or mtime changed: read them again (the hash decides whether to re-embed)."""
        now = time.time()
        with self._write() as conn:
            conn.executemany(
                "UPDATE photos SET size = ?, mtime_ns = ?, state = 'pending', updated_at = ? WHERE id = ?",
                [(f.size, f.mtime_ns, now, pid) for pid, f in changes],
            )

    def delete_photos(self, ids: Iterable[PhotoId]) -> None:
        """Photos gone from disk; their embeddings, tags and album entries go with them."""
        with self._write() as conn:
            conn.executemany("DELETE FROM photos WHERE id = ?", [(int(i),) for i in ids])

    def pending_work(self, model_id: str, limit: int, *, after: int = 0) -> list[WorkItem]:
        """Photos to read for `model_id`: changed on disk, or not yet embedded by it (never skipped ones)."""
        rows = self._conn.execute(
            """
            SELECT p.id, p.path, p.content_hash, e.photo_id IS NOT NULL, p.phash IS NOT NULL
            FROM photos p LEFT JOIN embeddings e ON e.photo_id = p.id AND e.model_id = ?
            WHERE p.id > ? AND p.state != 'skipped' AND (p.state = 'pending' OR e.photo_id IS NULL)
            ORDER BY p.id LIMIT ?
            """,
            (model_id, after, limit),
        ).fetchall()
        return [WorkItem(PhotoId(r[0]), Path(r[1]), r[2], bool(r[3]), bool(r[4])) for r in rows]

    def count_pending(self, model_id: str) -> int:
        row = self._conn.execute(
            """
            SELECT COUNT(*) FROM photos p LEFT JOIN embeddings e ON e.photo_id = p.id AND e.model_id = ?
            WHERE p.state != 'skipped' AND (p.state = 'pending' OR e.photo_id IS NULL)
            """,
            (model_id,),
        ).fetchone()
        return int(row[0])

    def record_batch(
        self,
        model_id: str,
        embedded: Sequence[tuple[PhotoId, PhotoMetadata, npt.NDArray[np.float32]]],
        unchanged: Sequence[tuple[PhotoId, int, int]],
        skipped: Sequence[tuple[PhotoId, str, str, int, int]],
    ) -> RecordedBatch:
        """Store one indexing batch atomically.

        Args:
            embedded: photos decoded and embedded: metadata and their new vector.
            unchanged: (id, size, mtime_ns) of photos whose bytes did not change: vector and metadata kept.
            skipped: (id, reason, message, size, mtime_ns) for photos that could not be read.

        Returns:
            The ids that were actually written (photos deleted meanwhile, by a scan or a
            watcher, are silently dropped so a vanished file can never come back) and the
            sequence number the new vectors were written under (see `next_seq`).
        """
        now = time.time()
        written: list[PhotoId] = []
        seq: int | None = None
        with self._write() as conn:
            for pid, meta, vector in embedded:
                if not self._update_metadata(conn, pid, meta, now):
                    continue
                if seq is None:
                    seq = self.next_seq(conn)
                blob = np.ascontiguousarray(vector, dtype=VECTOR_DTYPE).tobytes()
                conn.execute(
                    "INSERT INTO embeddings(photo_id, model_id, dim, vector, content_hash, created_at, seq) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(photo_id, model_id) DO UPDATE SET "
                    "dim = excluded.dim, vector = excluded.vector, content_hash = excluded.content_hash, "
                    "created_at = excluded.created_at, seq = excluded.seq",
                    (pid, model_id, int(vector.shape[-1]), blob, meta.content_hash, now, seq),
                )
                written.append(pid)
            for pid, size, mtime_ns in unchanged:
                cur = conn.execute(
                    "UPDATE photos SET size = ?, mtime_ns = ?, state = 'ok', updated_at = ? WHERE id = ?",
                    (size, mtime_ns, now, pid),
                )
                if cur.rowcount:
                    written.append(pid)
            for pid, reason, message, size, mtime_ns in skipped:
                cur = conn.execute(
                    "UPDATE photos SET state = 'skipped', error_reason = ?, error = ?, size = ?, mtime_ns = ?, "
                    "updated_at = ? WHERE id = ?",
                    (reason, message, size, mtime_ns, now, pid),
                )
                if cur.rowcount:
                    conn.execute("DELETE FROM embeddings WHERE photo_id = ?", (pid,))
                    conn.execute("DELETE FROM scenes WHERE photo_id = ?", (pid,))
                    written.append(pid)
        return RecordedBatch(written, seq)

    @staticmethod
    def next_seq(conn: sqlite3.Connection) -> int:
        """The next vector sequence number, inside the caller's write transaction.

        A catalog-wide counter that never goes back (unlike MAX(seq), which drops when rows
        are deleted): an index file records the number it reflects, and every vector written
        later, by this process or another one, has a higher number (see `vectors.keeper`).
        """
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('embedding_seq', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
        return int(conn.execute("SELECT value FROM meta WHERE key = 'embedding_seq'").fetchone()[0])

    def vector_seq(self) -> int:
        """The vector sequence number written last (0 before any)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'embedding_seq'").fetchone()
        return int(row[0]) if row else 0

    def vector_changes_since(self, model_id: str, seq: int) -> tuple[int, npt.NDArray[np.int64], list[int]]:
        """(the counter now, ids written after `seq`, their seqs), read in one snapshot so none is missed."""
        conn = self._conn
        snapshot = not conn.in_transaction  # inside one of our own write transactions it is one already
        if snapshot:
            conn.execute("BEGIN")
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'embedding_seq'").fetchone()
            rows = conn.execute(
                "SELECT photo_id, seq FROM embeddings WHERE model_id = ? AND seq > ? ORDER BY photo_id",
                (model_id, seq),
            ).fetchall()
        finally:
            if snapshot:
                conn.execute("COMMIT")
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        return (int(row[0]) if row else 0), ids, [int(r[1]) for r in rows]

    @staticmethod
    def update_metadata(conn: sqlite3.Connection, pid: PhotoId, meta: PhotoMetadata, now: float) -> bool:
        """Store what reading a photo or video taught, inside the caller's write transaction."""
        return Catalog._update_metadata(conn, pid, meta, now)

    @staticmethod
    def _update_metadata(conn: sqlite3.Connection, pid: PhotoId, meta: PhotoMetadata, now: float) -> bool:
        cur = conn.execute(
            """
            UPDATE photos SET size = ?, mtime_ns = ?, content_hash = ?, width = ?, height = ?, file_type = ?,
                taken_at = ?, date_source = ?, camera = ?, state = 'ok', error_reason = NULL, error = NULL,
                duration = ?, codec = ?, frame_rate = ?, updated_at = ?
            WHERE id = ?
            """,
            (
                meta.size,
                meta.mtime_ns,
                meta.content_hash,
                meta.width,
                meta.height,
                meta.file_type,
                meta.taken_at,
                meta.date_source,
                meta.camera,
                meta.duration,
                meta.codec,
                meta.frame_rate,
                now,
                pid,
            ),
        )
        if cur.rowcount:
            Catalog._write_measures(conn, pid, meta.measures)
        if cur.rowcount and meta.content_hash:
            # a vector computed from other content is stale for every model
            conn.execute("DELETE FROM embeddings WHERE photo_id = ? AND content_hash != ?", (pid, meta.content_hash))
            conn.execute("DELETE FROM scenes WHERE photo_id = ? AND content_hash != ?", (pid, meta.content_hash))
        return bool(cur.rowcount)

    def record_metadata(self, photos: Sequence[tuple[PhotoId, PhotoMetadata]]) -> None:
        """Facts read again from photos whose bytes did not change (their vectors stay)."""
        now = time.time()
        with self._write() as conn:
            for pid, meta in photos:
                self._update_metadata(conn, pid, meta, now)

    def record_measures(self, measured: Sequence[tuple[PhotoId, Measures]]) -> None:
        """Store what was measured of photos whose bytes did not change (read before measuring existed)."""
        with self._write() as conn:
            for pid, measures in measured:
                self._write_measures(conn, pid, measures)

    @staticmethod
    def _write_measures(conn: sqlite3.Connection, pid: PhotoId, measures: Measures | None) -> None:
        """A photo's measures, or none (NULL: measured again when next needed) when its content changed unmeasured."""
        values: tuple[object, ...] = (None,) * 6
        if measures is not None:
            values = (
                phash_to_sql(measures.phash),
                measures.sharpness,
                measures.clipping,
                measures.luma,
                measures.contrast,
                measures.subsec,
            )
        conn.execute(
            "UPDATE photos SET phash = ?, sharpness = ?, clipping = ?, luma = ?, contrast = ?, taken_subsec = ? "
            "WHERE id = ?",
            (*values, pid),
        )

    # -- photos: reading ----------------------------------------------------------------------

    _PHOTO_COLUMNS = (
        "id, folder_id, path, size, mtime_ns, content_hash, width, height, taken_at, date_source, camera, "
        "file_type, state, error_reason, error, kind, duration, codec, frame_rate"
    )

    def photos(self, ids: Sequence[int]) -> dict[PhotoId, Photo]:
        """Rows for the given ids (missing ids are absent from the result)."""
        result: dict[PhotoId, Photo] = {}
        conn = self._conn
        for start in range(0, len(ids), 500):
            chunk = [int(i) for i in ids[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            for r in conn.execute(f"SELECT {self._PHOTO_COLUMNS} FROM photos WHERE id IN ({marks})", chunk):
                photo = _photo(r)
                result[photo.id] = photo
        return result

    def shapes(self, ids: Sequence[int]) -> dict[PhotoId, tuple[str | None, int | None, int | None]]:
        """(taken_at, width, height) of the given ids: what a timeline lays out, without the rest of the row."""
        result: dict[PhotoId, tuple[str | None, int | None, int | None]] = {}
        conn = self._conn
        for start in range(0, len(ids), 900):
            chunk = [int(i) for i in ids[start : start + 900]]
            marks = ",".join("?" * len(chunk))
            for pid, taken, width, height in conn.execute(
                f"SELECT id, taken_at, width, height FROM photos WHERE id IN ({marks})", chunk
            ):
                result[PhotoId(pid)] = (taken, width, height)
        return result

    def photo_by_path(self, path: Path) -> Photo | None:
        row = self._conn.execute(
            f"SELECT {self._PHOTO_COLUMNS} FROM photos WHERE path = ?", (_path_key(path),)
        ).fetchone()
        return None if row is None else _photo(row)

    def skipped_photos(self, limit: int = 1000) -> list[Photo]:
        rows = self._conn.execute(
            f"SELECT {self._PHOTO_COLUMNS} FROM photos WHERE state = 'skipped' ORDER BY path LIMIT ?", (limit,)
        ).fetchall()
        return [_photo(r) for r in rows]

    def filter_ids(
        self,
        model_id: str,
        photo_filter: PhotoFilter,
        *,
        by_date: bool = False,
        embedded: bool = True,
        by_text: bool = False,
        limit: int | None = None,
    ) -> npt.NDArray[np.int64]:
        """Ids of photos matching the filter, sorted by id (or newest first, undated last).

        Args:
            embedded: only photos with a vector of `model_id` (what a search can rank); False
                gives every photo that was not skipped, indexed or not yet (what browsing shows,
                with or without a model).
            by_text: with `text:` filters, the best text match first (FTS5's bm25), newest first among
                equals: one query led by the full-text index, fast at any library size.
            limit: only the first `limit` ids (a page of a search), found without ordering the rest.
        """
        ranked = by_text and bool(photo_filter.texts)
        clauses, params = filter_clauses(photo_filter, texts=not ranked)
        vectors = " JOIN embeddings e ON e.photo_id = p.id" if embedded else ""
        if embedded:
            clauses.insert(0, "e.model_id = ?")
            params.insert(0, model_id)
        else:
            clauses.insert(0, "p.state != 'skipped'")
        if ranked and limit is not None:
            return self._first_text_matches(photo_filter.texts, vectors, clauses, params, limit)
        if ranked:
            sql = (
                "SELECT p.id FROM photo_text_index JOIN photo_texts t ON t.id = photo_text_index.rowid "
                f"JOIN photos p ON p.content_hash = t.content_hash{vectors} "
                "WHERE photo_text_index MATCH ? AND "
                + " AND ".join(clauses)
                + " ORDER BY photo_text_index.rank, "
                + NEWEST_FIRST_SQL
            )
            params.insert(0, " AND ".join(text_match(t) for t in photo_filter.texts))
        else:
            sql = (
                f"SELECT p.id FROM photos p{vectors} WHERE "
                + " AND ".join(clauses)
                + (" ORDER BY " + NEWEST_FIRST_SQL if by_date else " ORDER BY p.id")
            )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self._conn.execute(sql, params).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def _first_text_matches(
        self, texts: Sequence[str], vectors: str, clauses: list[str], params: list[object], limit: int
    ) -> npt.NDArray[np.int64]:
        """The first `limit` photos in the ranked order of `filter_ids(by_text=True)`, without joining every match.

        Ranking thousands of matches in one query joins and sorts them all (a word in every fifth
        of 100k photos: ~30 ms). Here the full-text index ranks the texts alone, and only the
        best of them, every text tied with the last one taken included so the order stays exact,
        are joined to their photos and filtered; when the filters leave too few, more are taken.
        """
        match = " AND ".join(text_match(t) for t in texts)
        rows = self._conn.execute(
            "SELECT rowid, rank FROM photo_text_index WHERE photo_text_index MATCH ?", (match,)
        ).fetchall()
        if not rows or limit <= 0:
            return np.zeros(0, dtype=np.int64)
        text_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        ranks = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
        wanted = limit
        while True:
            if wanted < len(ranks):  # the best `wanted` and every text tied with the last of them
                chosen = ranks <= np.partition(ranks, wanted - 1)[wanted - 1]
            else:
                chosen = np.ones(len(ranks), dtype=bool)
            taken = text_ids[chosen]
            rank_of = dict(zip(taken.tolist(), ranks[chosen].tolist(), strict=True))
            found: list[tuple[tuple[object, ...], int]] = []
            for start in range(0, len(taken), 500):
                chunk = taken[start : start + 500].tolist()
                found += [
                    ((rank_of[r[0]], *newest_first_key(r[2], r[3], r[1])), int(r[1]))
                    for r in self._conn.execute(
                        f"SELECT t.id, p.id, p.taken_at, p.path FROM photo_texts t "
                        f"JOIN photos p ON p.content_hash = t.content_hash{vectors} "
                        f"WHERE t.id IN ({','.join('?' * len(chunk))}) AND " + " AND ".join(clauses),
                        [*chunk, *params],
                    )
                ]
            if len(found) >= limit or len(taken) == len(text_ids):
                found.sort(key=lambda item: item[0])
                return np.fromiter((i for _, i in found[:limit]), dtype=np.int64, count=min(limit, len(found)))
            wanted *= 4

    def browsable_count(self) -> int:
        """Photos a person can browse: every catalogued photo that was not skipped, indexed or not yet."""
        return int(self._conn.execute("SELECT COUNT(*) FROM photos WHERE state != 'skipped'").fetchone()[0])

    def taken_order(self, ids: Sequence[int]) -> list[PhotoId]:
        """Ids sorted by date taken, newest first; undated photos last, by path."""
        photos = self.photos(ids).values()
        return [p.id for p in sorted(photos, key=lambda p: newest_first_key(p.taken_at, p.path, p.id))]

    # -- embeddings ---------------------------------------------------------------------------

    def embedding_ids(self, model_id: str) -> npt.NDArray[np.int64]:
        rows = self._conn.execute(
            "SELECT photo_id FROM embeddings WHERE model_id = ? ORDER BY photo_id", (model_id,)
        ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def embeddings(
        self, model_id: str, ids: Sequence[int] | None = None, *, photos_only: bool = False
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """(ids, float32 matrix) for a model; all of them when `ids` is None.

        `photos_only` leaves out videos (whose row holds the mean of their scenes, which the
        index keeps one by one).
        """
        conn = self._conn
        kinds = " AND p.kind != 'video'" if photos_only else ""
        select = (
            "SELECT e.photo_id, e.dim, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            f"WHERE e.model_id = ?{kinds}"
        )
        if ids is None:
            rows = conn.execute(f"{select} ORDER BY e.photo_id", (model_id,)).fetchall()
        else:
            rows = []
            wanted = [int(i) for i in ids]
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows += conn.execute(
                    f"{select} AND e.photo_id IN ({','.join('?' * len(chunk))}) ORDER BY e.photo_id",
                    [model_id, *chunk],
                ).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        dim = rows[0][1]
        out_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=VECTOR_DTYPE).reshape(len(rows), dim)
        return out_ids, matrix.astype(np.float32)

    def embedding_count(self, model_id: str) -> int:
        row = self._conn.execute("SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,)).fetchone()
        return int(row[0])

    def embedding_dim(self, model_id: str) -> int | None:
        row = self._conn.execute("SELECT dim FROM embeddings WHERE model_id = ? LIMIT 1", (model_id,)).fetchone()
        return None if row is None else int(row[0])

    def embedding_ids_since(self, model_id: str, timestamp: float) -> npt.NDArray[np.int64]:
        """Ids whose vector was written after `timestamp` (to refresh an index saved before then)."""
        rows = self._conn.execute(
            "SELECT photo_id FROM embeddings WHERE model_id = ? AND created_at > ? ORDER BY photo_id",
            (model_id, timestamp),
        ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def delete_embeddings(self, model_id: str) -> int:
        """Forget every vector of one model; returns how many there were."""
        with self._write() as conn:
            conn.execute("DELETE FROM scenes WHERE model_id = ?", (model_id,))
            return int(conn.execute("DELETE FROM embeddings WHERE model_id = ?", (model_id,)).rowcount)

    def models(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT model_id, COUNT(*) FROM embeddings GROUP BY model_id").fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    # -- statistics ---------------------------------------------------------------------------

    def stats(self, model_id: str) -> CatalogStats:
        conn = self._conn
        folders = conn.execute("SELECT COUNT(*) FROM folders").fetchone()[0]
        photos = conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
        skipped = conn.execute("SELECT COUNT(*) FROM photos WHERE state = 'skipped'").fetchone()[0]
        embedded = conn.execute("SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,)).fetchone()[0]
        return CatalogStats(
            folders=int(folders),
            photos=int(photos),
            pending=self.count_pending(model_id),
            skipped=int(skipped),
            embedded=int(embedded),
            models=self.models(),
        )

    def skip_reasons(self) -> dict[str, int]:
        rows = self._conn.execute(
            "SELECT error_reason, COUNT(*) FROM photos WHERE state = 'skipped' GROUP BY error_reason"
        ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def integrity_problems(self) -> list[str]:
        """SQLite's own consistency check; empty when healthy."""
        rows = self._conn.execute("PRAGMA quick_check").fetchall()
        return [str(r[0]) for r in rows if r[0] != "ok"]


def _casefold_compare(a: str, b: str) -> int:
    """Names compare as people expect in any script ('Été' = 'été'), which SQLite's NOCASE (ASCII) does not.

    The one rule for album, label set and label names: `COLLATE CASEFOLD` in SQL, `str.casefold` in Python.
    """
    fa, fb = a.casefold(), b.casefold()
    return (fa > fb) - (fa < fb)


_FOLDER_COLUMNS = "id, path, added_at, last_scan, online, device"


def _folder(row: Any) -> Folder:
    last_scan = None if row[3] is None else float(row[3])
    device = None if row[5] is None else int(row[5])
    return Folder(FolderId(int(row[0])), Path(row[1]), float(row[2]), last_scan, bool(row[4]), device)


def _measures(values: Sequence[Any]) -> Measures | None:
    if values[0] is None:
        return None
    phash, sharpness, clipping, luma, contrast, subsec = values
    return Measures(phash_from_sql(int(phash)), float(sharpness), float(clipping), float(luma), float(contrast), subsec)


def _photo(r: Any) -> Photo:
    return Photo(
        id=PhotoId(int(r[0])),
        folder_id=FolderId(int(r[1])),
        path=Path(str(r[2])),
        size=int(r[3]),
        mtime_ns=int(r[4]),
        content_hash=None if r[5] is None else str(r[5]),
        width=None if r[6] is None else int(r[6]),
        height=None if r[7] is None else int(r[7]),
        taken_at=None if r[8] is None else str(r[8]),
        date_source=None if r[9] is None else str(r[9]),
        camera=None if r[10] is None else str(r[10]),
        file_type=None if r[11] is None else str(r[11]),
        state=PhotoState(str(r[12])),
        error_reason=None if r[13] is None else str(r[13]),
        error=None if r[14] is None else str(r[14]),
        kind=str(r[15]),
        duration=None if r[16] is None else float(r[16]),
        codec=None if r[17] is None else str(r[17]),
        frame_rate=None if r[18] is None else float(r[18]),
    )
