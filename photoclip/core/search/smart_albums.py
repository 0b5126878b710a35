"""`SmartAlbums`: albums that fill themselves from a search, kept current as photos arrive, change or go.

A smart album is a query, filters and a relevance (`store.smart_albums.Rule`). Its members
are what the normal searcher finds relevant for it, so it follows the model, its index and
the relevance rule (`search.ranking.relevance_cutoff`) exactly as a search in the app does.

Computing an album in full (creating or editing it, a new model, or when the bar moved)
runs that search and keeps the bar it set: the query's vector, the score a photo needs,
the best score. Afterwards each change to the library is judged against the bar instead of
searching again, and only for the albums the change can affect:

    new or changed photos   only the vectors written since the album last looked (the
                            catalog's vector sequence numbers) are scored: one dot product
                            each; a photo that beats the best match moves the bar, and
                            that album alone is computed in full again
    photos gone             their rows leave the album with them (SQLite cascades)
    tags / albums / folders only albums whose filters name tags / albums / folders: the
                            filter is re-read in SQL, photos that left it leave, photos that
                            entered it are scored
    the library grows or shrinks by more than a fifth, or the model changes
                            the typical score (relevance 0) has drifted: computed in full

The work runs on one background thread fed by the change bus (listeners must be quick);
`wait` blocks until it has caught up, and closing the library waits for it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from photoclip.core.changes import NOTHING, ChangeBus, Changes, Outcome
from photoclip.core.clip.service import Models
from photoclip.core.errors import LibraryError, PhotoclipError, QueryError
from photoclip.core.search.query import merge_filters, parse_query, query_vector
from photoclip.core.search.searcher import DATE_ORDER_LIMIT, Searcher, resolve_folders
from photoclip.core.store.albums import Album, Albums
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import PhotoFilter, PhotoId
from photoclip.core.store.smart_albums import Bar, Rule, SmartAlbum, SmartAlbumStore
from photoclip.core.vectors.keeper import VectorKeeper

log = logging.getLogger(__name__)

DRIFT = 0.2
"""A library this much larger or smaller than when an album was computed gets it computed in full."""

_CHUNK = 5000
_SLACK = 1e-6


class SmartAlbums:
    """Creates, edits, freezes and keeps current the library's smart albums (see the module docstring)."""

    def __init__(
        self,
        catalog: Catalog,
        albums: Albums,
        searcher: Searcher,
        vectors: VectorKeeper,
        models: Models,
        changes: ChangeBus,
    ) -> None:
        self._catalog = catalog
        self._albums = albums
        self._searcher = searcher
        self._vectors = vectors
        self._models = models
        self._changes = changes
        self._store = SmartAlbumStore(catalog)
        self._allowed: dict[int, npt.NDArray[np.int64]] = {}  # album id -> its filter's photos when last looked
        self._lock = threading.RLock()  # one computation at a time
        self._pending = NOTHING
        self._busy = False
        self._closed = False
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self.full_refreshes = 0  # albums computed in full (tests and benchmarks check incremental work)

    # -- reading --------------------------------------------------------------------------------

    def all(self) -> list[SmartAlbum]:
        return self._store.all()

    def get(self, name: str) -> SmartAlbum:
        album = self._albums.get(name)
        smart = self._store.get(album.id)
        if smart is None:
            raise LibraryError(f"{album.name!r} is not a smart album.")
        return smart

    # -- editing --------------------------------------------------------------------------------

    def create(
        self, name: str, query: str, *, relevance: float = 0.5, photo_filter: PhotoFilter | None = None
    ) -> Outcome[Album]:
        """A new album holding what the search finds relevant, kept current from now on."""
        rule = self._valid(name, Rule(query.strip(), relevance, photo_filter or PhotoFilter()))
        self._models.embedder()  # without the model nothing could fill it: say so before creating anything
        with self._lock:
            album = self._albums.create(name).value
            with self._catalog.transaction() as conn:
                SmartAlbumStore.set_rule(conn, album.id, rule)
            changes = self._compute(album.id)
        return Outcome(self._albums.get(album.name), changes | Changes(albums=True))

    def edit(
        self,
        name: str,
        *,
        query: str | None = None,
        relevance: float | None = None,
        photo_filter: PhotoFilter | None = None,
    ) -> Outcome[Album]:
        """Change what fills a smart album (what is not given stays); it is computed again at once."""
        smart = self.get(name)
        rule = Rule(
            smart.rule.query if query is None else query.strip(),
            smart.rule.relevance if relevance is None else relevance,
            smart.rule.photo_filter if photo_filter is None else photo_filter,
        )
        rule = self._valid(smart.name, rule)
        self._models.embedder()
        with self._lock:
            with self._catalog.transaction() as conn:
                SmartAlbumStore.set_rule(conn, smart.album_id, rule)
            self._allowed.pop(smart.album_id, None)
            changes = self._compute(smart.album_id)
        return Outcome(self._albums.get(smart.name), changes | self._changes.publish(Changes(albums=True)))

    def freeze(self, name: str) -> Changes:
        """Make a smart album a plain one: it keeps the photos it holds now and stops changing."""
        smart = self.get(name)
        with self._lock:
            with self._catalog.transaction() as conn:
                SmartAlbumStore.forget(conn, smart.album_id)
            self._allowed.pop(smart.album_id, None)
        return self._changes.publish(Changes(albums=True))

    def refresh(self, name: str) -> Changes:
        """Compute one smart album in full now (the app's "Refresh"; normally never needed)."""
        smart = self.get(name)
        with self._lock:
            return self._compute(smart.album_id)

    def _valid(self, name: str, rule: Rule) -> Rule:
        if not 0.0 <= rule.relevance <= 1.0:
            raise LibraryError(f"The relevance is a number from 0 to 1, not {rule.relevance:g}.")
        parsed = parse_query(rule.query)
        if parsed.is_empty():
            raise QueryError('A smart album needs words to search for, e.g. "dog -cat".')
        named = merge_filters(parsed.filter, rule.photo_filter).albums
        if any(a.strip().casefold() == name.strip().casefold() for a in named):
            raise LibraryError(f"A smart album cannot be filtered by itself (album:{name!r}).")
        return replace(rule, query=rule.query.strip())

    # -- computing in full ------------------------------------------------------------------------

    def _compute(self, album_id: int) -> Changes:
        """Run the album's search and keep what it found and the bar it set (publishes what changed)."""
        smart = self._store.get(album_id)
        if smart is None:
            return NOTHING
        parsed = parse_query(smart.rule.query)
        combined = resolve_folders(merge_filters(parsed.filter, smart.rule.photo_filter))
        embedder = self._models.text_encoder()  # the exported tower when the whole model loaded without one
        with self._models.reading():
            model_id = self._models.model_id
            seq = self._catalog.vector_seq()  # read first: vectors written during the search are judged later
            result = self._searcher.search(
                parsed, photo_filter=smart.rule.photo_filter, relevance=smart.rule.relevance, limit=DATE_ORDER_LIMIT
            )
            vector = query_vector(parsed, embedder.encode_texts)
            members = [h.photo_id for h in result.hits]
            if len(result.hits) >= DATE_ORDER_LIMIT and result.cutoff is not None:
                # the searcher stops at its limit: the rest above the same bar, scored from the catalog
                members = self._above(model_id, vector, result.cutoff, self._filter_ids(model_id, combined))
            size = self._catalog.embedding_count(model_id)
        top = result.hits[0].score if result.hits else None
        bar = Bar(model_id, vector, result.cutoff, top, seq, size)
        self.full_refreshes += 1
        self._allowed.pop(album_id, None)
        with self._catalog.transaction() as conn:
            before = {
                int(r[0]) for r in conn.execute("SELECT photo_id FROM album_photos WHERE album_id = ?", (album_id,))
            }
            wanted = {int(i) for i in members}
            self._apply(conn, album_id, join=wanted - before, leave=before - wanted)
            SmartAlbumStore.set_bar(conn, album_id, bar)
        if wanted == before:
            return NOTHING
        return self._changes.publish(Changes(albums=True, photos=True))

    def _filter_ids(self, model_id: str, combined: PhotoFilter) -> npt.NDArray[np.int64]:
        if combined.is_empty():
            return self._catalog.embedding_ids(model_id)
        return self._catalog.filter_ids(model_id, combined)

    def _above(
        self, model_id: str, vector: npt.NDArray[np.float32], cutoff: float, ids: npt.NDArray[np.int64]
    ) -> list[PhotoId]:
        """Photos among `ids` scoring at least `cutoff` (chunked: memory stays small)."""
        found: list[PhotoId] = []
        for start in range(0, len(ids), _CHUNK):
            got, scores = self._scores(model_id, vector, ids[start : start + _CHUNK])
            found += [PhotoId(int(i)) for i in got[scores >= cutoff - _SLACK]]
        return found

    def _scores(
        self, model_id: str, vector: npt.NDArray[np.float32], ids: npt.NDArray[np.int64] | list[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        got, vectors = self._catalog.embeddings(model_id, [int(i) for i in ids])
        if not len(got):
            return got, np.zeros(0, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1)
        scores: npt.NDArray[np.float32] = (vectors @ vector) / np.maximum(norms, 1e-12)
        return got, scores

    @staticmethod
    def _apply(conn: sqlite3.Connection, album_id: int, *, join: set[int], leave: set[int]) -> None:
        conn.executemany(
            "DELETE FROM album_photos WHERE album_id = ? AND photo_id = ?", [(album_id, i) for i in sorted(leave)]
        )
        now = time.time()
        conn.executemany(
            "INSERT OR IGNORE INTO album_photos(album_id, photo_id, added_at) SELECT ?, id, ? FROM photos WHERE id = ?",
            [(album_id, now, i) for i in sorted(join)],
        )

    # -- keeping current ----------------------------------------------------------------------------

    def __call__(self, changes: Changes) -> None:
        """The change bus's listener: queue the change for the background thread (never blocks the caller)."""
        wanted = changes.photos or changes.tags or changes.albums or changes.folders or changes.model or changes.rated
        if self._closed or not wanted:
            return
        with self._wake:
            self._pending = self._pending | changes
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="photoclip-smart-albums", daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if not self._pending and self._closed:
                    return
                changes, self._pending = self._pending, NOTHING
                self._busy = True
            try:
                self.update(changes)
            except Exception:
                log.exception("keeping smart albums current failed")
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every change heard so far has been applied; False on timeout."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self) -> None:
        """Apply what is queued, then stop the thread (closing the library calls this)."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def update(self, changes: Changes) -> None:
        """Bring every smart album the change can affect up to date (see the module docstring)."""
        with self._lock:
            smart_albums = self._store.all()
            if not smart_albums:
                return
            model_id = self._models.model_id
            size = self._catalog.embedding_count(model_id)
            seen = min((s.bar.seen_seq for s in smart_albums if s.bar is not None), default=0)
            counter, written, seqs = self._catalog.vector_changes_since(model_id, seen)
            seq_of = np.asarray(seqs, dtype=np.int64)
            for smart in smart_albums:
                try:
                    if self._needs_computing(smart, changes, model_id, size):
                        self._compute(smart.album_id)
                    else:
                        assert smart.bar is not None
                        fresh = written[seq_of > smart.bar.seen_seq] if len(written) else written
                        self._judge(smart, changes, model_id, fresh, counter)
                except PhotoclipError as e:  # no model now, a label renamed away: try again at the next change
                    log.warning("smart album %s not brought up to date: %s", smart.name, e)

    @staticmethod
    def _needs_computing(smart: SmartAlbum, changes: Changes, model_id: str, size: int) -> bool:
        bar = smart.bar
        if bar is None or changes.model or bar.model_id != model_id:
            return True
        if abs(size - bar.library_size) > DRIFT * max(bar.library_size, 1):
            return True
        return bar.cutoff is None and size > 0  # found nothing last time: the scale itself is new

    def _judge(
        self, smart: SmartAlbum, changes: Changes, model_id: str, fresh: npt.NDArray[np.int64], counter: int
    ) -> None:
        """Judge only what changed against the album's bar; compute in full when a photo beats its best match."""
        bar = smart.bar
        if bar is None or bar.cutoff is None:
            return  # nothing embedded when it was computed: computed in full once photos arrive
        combined = resolve_folders(merge_filters(parse_query(smart.rule.query).filter, smart.rule.photo_filter))
        candidates = set(fresh.tolist())
        allowed: set[int] | None = None
        if not combined.is_empty() and self._filter_touched(combined, changes):
            now = self._catalog.filter_ids(model_id, combined)
            before = self._allowed.get(smart.album_id)
            entered = now if before is None else np.setdiff1d(now, before)
            self._allowed[smart.album_id] = now
            candidates |= set(entered.tolist())
            allowed = set(now.tolist())
        elif not combined.is_empty() and candidates:
            allowed = set(self._catalog.filter_ids(model_id, combined).tolist())
        got, scores = self._scores(model_id, bar.vector, sorted(candidates))
        if len(scores) and bar.top_score is not None and float(scores.max()) > bar.top_score + _SLACK:
            self._compute(smart.album_id)  # the best match changed: so does the bar
            return
        passing = {int(i) for i, s in zip(got.tolist(), scores.tolist(), strict=True) if s >= bar.cutoff - _SLACK}
        if allowed is not None:
            passing &= allowed
        with self._catalog.transaction() as conn:
            members = {
                int(r[0])
                for r in conn.execute("SELECT photo_id FROM album_photos WHERE album_id = ?", (smart.album_id,))
            }
            leave = (members & set(got.tolist())) - passing
            if allowed is not None:
                leave |= members - allowed
            join = passing - members
            self._apply(conn, smart.album_id, join=join, leave=leave)
            SmartAlbumStore.set_seen(conn, smart.album_id, max(counter, bar.seen_seq))
        if join or leave:
            self._changes.publish(Changes(albums=True, photos=True))

    @staticmethod
    def _filter_touched(combined: PhotoFilter, changes: Changes) -> bool:
        """Could this change move photos in or out of the album's filters?"""
        if changes.photos or changes.folders:
            return True  # moves, dates, types, removals
        rated = combined.min_stars is not None or combined.max_stars is not None or combined.favourite is not None
        return bool(
            (changes.tags and combined.tags) or (changes.albums and combined.albums) or (changes.rated and rated)
        )


def describe_rule(rule: Rule) -> str:
    """A smart album's rule in words, as the CLI and the app show it."""
    parts = [f"“{rule.query}”", f"relevance {rule.relevance:g}"]
    f = rule.photo_filter
    parts += [f"in {p}" for p in f.folders]
    if f.taken_after:
        parts.append(f"after {f.taken_after}")
    if f.taken_before:
        parts.append(f"before {f.taken_before}")
    parts += [f"type {t}" for t in f.file_types] + [f"tag {t}" for t in f.tags] + [f"album {a}" for a in f.albums]
    return ", ".join(parts)
