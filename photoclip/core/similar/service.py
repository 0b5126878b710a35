"""`Similar`: the library's part that finds near-duplicates and bursts, best shot first.

Reading only: it never changes or removes a photo (moving the ones a person picks to the
trash is `ingest.trash`). Photos read before measuring existed are measured first (decoded
once, in parallel; `measure_missing`), so every photo has a perceptual hash to compare.
Grouping itself reads the catalog's rows and asks the HNSW index for each photo's
neighbours (see `grouping`); memory grows linearly with the photos in scope.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from photoclip.core.clip.service import Models
from photoclip.core.errors import DecodeError
from photoclip.core.search.searcher import resolve_folders
from photoclip.core.similar import best as best_shot
from photoclip.core.similar import grouping
from photoclip.core.similar.measure import measure_file
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import Measures, PhotoFilter, PhotoId, phash_from_sql
from photoclip.core.util.threads import lower_thread_priority
from photoclip.core.vectors.hnsw import VectorIndex
from photoclip.core.vectors.keeper import VectorKeeper

log = logging.getLogger(__name__)

DUPLICATES, BURSTS = "duplicates", "bursts"
BURST_REASON = "burst"
_CHUNK = 500


@dataclass(frozen=True)
class GroupMember:
    """One photo of a group; `reason` says how it relates to the suggested keeper."""

    id: PhotoId
    path: Path
    best: bool
    reason: str  # the keeper: "best shot"; others: same file, re-encoded, resized, cropped, edited, burst
    score: float
    width: int
    height: int
    size: int
    file_type: str
    taken_at: str | None
    content_hash: str | None = None


@dataclass(frozen=True)
class PhotoGroup:
    """Near-identical photos (kind "duplicates") or frames of one burst ("bursts"), the keeper first."""

    kind: str
    members: tuple[GroupMember, ...]
    why: tuple[str, ...]  # what makes the keeper better, in words

    @property
    def best(self) -> GroupMember:
        return self.members[0]

    @property
    def others(self) -> tuple[GroupMember, ...]:
        return self.members[1:]

    def to_json(self) -> list[dict[str, Any]]:
        """The group as `photoclip duplicates --json` prints it: one object per photo, the keeper first."""
        out = []
        for member in self.members:
            entry: dict[str, Any] = {
                "id": int(member.id),
                "path": str(member.path),
                "best": member.best,
                "reason": member.reason,
                "score": round(member.score, 4),
                "width": member.width,
                "height": member.height,
                "size": member.size,
                "file_type": member.file_type,
            }
            if member.best:
                entry["why"] = list(self.why)
            out.append(entry)
        return out


@dataclass(frozen=True)
class SimilarPhotos:
    """Everything found in one pass: duplicates and bursts apart."""

    duplicates: list[PhotoGroup]
    bursts: list[PhotoGroup]
    photos: int  # photos looked at
    unmeasured: int  # photos that could not be measured (no perceptual hash: matched by identical bytes only)
    seconds: float

    @property
    def extra_files(self) -> int:
        """Files beyond the keeper of every duplicate group: what "keep the best of every group" moves."""
        return sum(len(g.others) for g in self.duplicates)


@dataclass(frozen=True)
class MeasureProgress:
    done: int
    total: int


@dataclass
class MeasureReport:
    measured: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)


class Similar:
    """Duplicates and bursts of the library's photos (those with a vector of the current model)."""

    def __init__(self, catalog: Catalog, vectors: VectorKeeper, models: Models) -> None:
        self._catalog = catalog
        self._vectors = vectors
        self._models = models
        self._measure_lock = threading.Lock()

    # -- measuring ----------------------------------------------------------------------------

    def unmeasured(self, photo_filter: PhotoFilter | None = None) -> list[PhotoId]:
        """Photos in scope without measures (read before measuring existed, or unreadable since)."""
        ids = self._scope(photo_filter)
        missing = []
        conn = self._catalog.reader()
        for start in range(0, len(ids), _CHUNK):
            chunk = [int(i) for i in ids[start : start + _CHUNK]]
            rows = conn.execute(
                f"SELECT id FROM photos WHERE phash IS NULL AND id IN ({','.join('?' * len(chunk))})", chunk
            )
            missing += [PhotoId(int(r[0])) for r in rows]
        return sorted(missing)

    def measure_missing(
        self,
        photo_filter: PhotoFilter | None = None,
        *,
        progress: Callable[[MeasureProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> MeasureReport:
        """Decode and measure the photos in scope that lack measures (in parallel; photos are only read).

        A slice of `_CHUNK` photos at a time: their rows, futures and results are all that is
        alive at once. (Submitting a first run's 100,000 photos at once kept 100,000 rows and
        futures alive for minutes, and every full garbage collection in the process walked
        them: the app's window stalled for about a second each time, on any thread's behalf.)
        """
        with self._measure_lock:
            ids = self.unmeasured(photo_filter)
            report = MeasureReport()
            if not ids:
                return report
            workers = os.cpu_count() or 2
            with cf.ThreadPoolExecutor(workers, "photoclip-measure", initializer=lower_thread_priority) as pool:
                for start in range(0, len(ids), _CHUNK):

                    def one(count: int, start: int = start) -> None:
                        if progress is not None:
                            progress(MeasureProgress(start + count, len(ids)))

                    if not self._measure_slice(pool, ids[start : start + _CHUNK], report, one, cancel):
                        break
            return report

    def _measure_slice(
        self,
        pool: cf.Executor,
        ids: Sequence[PhotoId],
        report: MeasureReport,
        measured: Callable[[int], None],
        cancel: threading.Event | None,
    ) -> bool:
        """Measure these photos and record what was measured (`measured(n)` after each); False when cancelled."""
        paths = {p.id: p.path for p in self._catalog.photos(ids).values()}
        futures = {pool.submit(_measure_or_error, path): pid for pid, path in paths.items()}
        done: list[tuple[PhotoId, Measures]] = []
        cancelled = False
        for count, future in enumerate(cf.as_completed(futures), start=1):
            if cancel is not None and cancel.is_set():
                for other in futures:
                    other.cancel()
                cancelled = True
                break
            result = future.result()
            if isinstance(result, Measures):
                done.append((futures[future], result))
            else:
                report.failed.append((paths[futures[future]], result))
            measured(count)
        if done:
            self._catalog.record_measures(done)
            report.measured += len(done)
        return not cancelled

    # -- grouping -----------------------------------------------------------------------------

    def find(
        self,
        photo_filter: PhotoFilter | None = None,
        *,
        measure: bool = True,
        progress: Callable[[MeasureProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> SimilarPhotos:
        """Duplicates and bursts among the photos in scope (the whole library without a filter).

        Args:
            measure: first measure the photos that lack measures (see `measure_missing`).
        """
        started = time.perf_counter()
        if measure:
            self.measure_missing(photo_filter, progress=progress, cancel=cancel)
        with self._models.reading():
            ids = self._scope(photo_filter)
            facts = _facts(self._catalog, ids)
            pairs = self._candidate_pairs(facts)
        classified = grouping.classify(facts, pairs)
        duplicate_rows = grouping.components(len(facts), classified.duplicates, extra_links=facts.content)
        burst_rows = grouping.components(len(facts), classified.bursts)
        members = sorted({int(facts.ids[r]) for rows in duplicate_rows + burst_rows for r in rows})
        shots = self._shots(members)
        duplicates = [self._group(DUPLICATES, facts, rows, shots) for rows in duplicate_rows]
        bursts = [self._group(BURSTS, facts, rows, shots) for rows in burst_rows]
        return SimilarPhotos(
            duplicates=_ordered([g for g in duplicates if g is not None]),
            bursts=_ordered([g for g in bursts if g is not None]),
            photos=len(facts),
            unmeasured=int((~facts.measured).sum()),
            seconds=time.perf_counter() - started,
        )

    def duplicates(self, photo_filter: PhotoFilter | None = None) -> list[PhotoGroup]:
        return self.find(photo_filter).duplicates

    def bursts(self, photo_filter: PhotoFilter | None = None) -> list[PhotoGroup]:
        return self.find(photo_filter).bursts

    def _scope(self, photo_filter: PhotoFilter | None) -> npt.NDArray[np.int64]:
        return self._catalog.filter_ids(self._models.model_id, resolve_folders(photo_filter or PhotoFilter()))

    def _candidate_pairs(self, facts: grouping.Facts) -> grouping.Pairs:
        index = self._vectors.index()
        if index is None or not len(facts):
            return grouping.neighbour_pairs(facts, np.zeros((0, 0), np.int64), np.zeros((0, 0), np.float32))
        present = np.intersect1d(facts.ids, index.ids())
        labels, scores = self._neighbours(index, present)
        rows = np.searchsorted(facts.ids, present)
        full_labels = np.full((len(facts), labels.shape[1]), -1, dtype=np.int64)
        full_scores = np.full((len(facts), labels.shape[1]), -np.inf, dtype=np.float32)
        full_labels[rows], full_scores[rows] = labels, scores
        pairs = grouping.neighbour_pairs(facts, full_labels, full_scores)
        del full_labels, full_scores, labels, scores
        band_i, band_j = grouping.band_pairs(facts)
        fresh = ~np.isin(band_i * len(facts) + band_j, pairs.i * len(facts) + pairs.j)  # keys as in `merge`
        band_i, band_j = band_i[fresh], band_j[fresh]
        in_index = np.isin(facts.ids[band_i], present) & np.isin(facts.ids[band_j], present)
        band_i, band_j = band_i[in_index], band_j[in_index]
        cosine = index.pair_scores(facts.ids[band_i], facts.ids[band_j])
        return grouping.merge(facts, pairs, band_i, band_j, cosine)

    def _neighbours(
        self, index: VectorIndex, ids: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Each photo's `NEIGHBOURS` nearest neighbours: a bounded count per photo, so the pairs (and memory)
        grow linearly with the photos. The index asks hnswlib a chunk at a time (searches are not held up)."""
        return index.neighbours(ids, grouping.NEIGHBOURS)

    def _shots(self, ids: Sequence[int]) -> dict[int, best_shot.Shot]:
        """The score's inputs for the photos that are in a group (a few of the library)."""
        conn = self._catalog.reader()
        shots: dict[int, best_shot.Shot] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = [int(i) for i in ids[start : start + _CHUNK]]
            marks_sql = ",".join("?" * len(chunk))
            marks: dict[int, int] = {}
            for pid, count in conn.execute(
                f"SELECT photo_id, COUNT(*) FROM tags WHERE source = 'user' AND status = 'accepted' "
                f"AND photo_id IN ({marks_sql}) GROUP BY photo_id",
                chunk,
            ):
                marks[int(pid)] = marks.get(int(pid), 0) + int(count)
            for pid, count in conn.execute(
                f"SELECT photo_id, COUNT(*) FROM album_photos WHERE photo_id IN ({marks_sql}) "
                "AND album_id NOT IN (SELECT album_id FROM smart_albums) GROUP BY photo_id",
                chunk,
            ):
                marks[int(pid)] = marks.get(int(pid), 0) + int(count)
            for row in conn.execute(
                "SELECT id, path, width, height, size, file_type, sharpness, clipping, luma, contrast, content_hash, "
                f"taken_at, mtime_ns FROM photos WHERE id IN ({marks_sql})",
                chunk,
            ):
                shots[int(row[0])] = best_shot.Shot(
                    id=int(row[0]),
                    path=Path(row[1]),
                    width=int(row[2] or 0),
                    height=int(row[3] or 0),
                    size=int(row[4] or 0),
                    file_type=str(row[5] or ""),
                    sharpness=float(row[6] or 0.0),
                    clipping=float(row[7] or 0.0),
                    luma=float(row[8] or 0.0),
                    contrast=float(row[9] or 0.0),
                    content_hash=None if row[10] is None else str(row[10]),
                    marks=marks.get(int(row[0]), 0),
                    taken_at=None if row[11] is None else str(row[11]),
                    mtime_ns=int(row[12] or 0),
                )
        return shots

    @staticmethod
    def _group(
        kind: str, facts: grouping.Facts, rows: npt.NDArray[np.int64], shots: dict[int, best_shot.Shot]
    ) -> PhotoGroup | None:
        group = [shots[int(facts.ids[r])] for r in rows if int(facts.ids[r]) in shots]
        if len(group) < 2:
            return None  # removed while grouping
        ranked = best_shot.rank(group, burst=kind == BURSTS)
        keeper = ranked[0][0]
        phash = {int(facts.ids[r]): int(facts.phash[r]) for r in rows}
        members = []
        for shot, value in ranked:
            if shot is keeper:
                reason = "best shot"
            elif kind == BURSTS:
                reason = BURST_REASON
            else:
                reason = best_shot.relation(shot, keeper, (phash[shot.id] ^ phash[keeper.id]).bit_count())
            members.append(
                GroupMember(
                    PhotoId(shot.id),
                    shot.path,
                    shot is keeper,
                    reason,
                    value,
                    shot.width,
                    shot.height,
                    shot.size,
                    shot.file_type,
                    shot.taken_at,
                    shot.content_hash,
                )
            )
        why = best_shot.why_best(keeper, [s for s, _ in ranked[1:]], burst=kind == BURSTS)
        return PhotoGroup(kind, tuple(members), tuple(why))


def _ordered(groups: list[PhotoGroup]) -> list[PhotoGroup]:
    """Biggest groups first (the most to tidy), then by the keeper's path."""
    return sorted(groups, key=lambda g: (-len(g.members), str(g.best.path)))


def _measure_or_error(path: Path) -> Measures | str:
    try:
        return measure_file(path)
    except DecodeError as e:
        return e.message
    except Exception as e:  # one bad file never stops the others
        log.exception("cannot measure %s", path)
        return str(e)


def _facts(catalog: Catalog, ids: npt.NDArray[np.int64]) -> grouping.Facts:
    """The grouping arrays for these photo ids (sorted), read in one pass over the catalog.

    Rows become arrays a batch at a time, so no Python object per photo outlives its batch (a
    tuple per row of 100,000 would be most of grouping's memory).
    """
    ids = np.sort(ids.astype(np.int64))
    contents: dict[Any, int] = {}
    cameras: dict[Any, int] = {}
    parts = [_fact_columns(rows, contents, cameras) for rows in _fact_rows(catalog, ids)]
    if not parts:
        empty = _fact_columns([], contents, cameras)
        return grouping.Facts(*empty)
    ids, content, phash, measured, seconds, camera = (np.concatenate(column) for column in zip(*parts, strict=True))
    return grouping.Facts(ids, content, phash, measured, seconds, camera)


_FACT_COLUMNS = "id, content_hash, phash, taken_at, date_source, taken_subsec, camera"
_FACT_BATCH = 8192


def _fact_rows(catalog: Catalog, ids: npt.NDArray[np.int64]) -> Iterator[list[Any]]:
    """The rows of these photos (sorted by id), a batch at a time."""
    conn = catalog.reader()
    total = int(conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0])
    if len(ids) * 2 > total:  # most of the library: one pass, keeping the rows in scope
        cursor = conn.execute(f"SELECT {_FACT_COLUMNS} FROM photos ORDER BY id")
        while rows := cursor.fetchmany(_FACT_BATCH):
            batch_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            keep = np.isin(batch_ids, ids)
            yield [r for r, wanted in zip(rows, keep.tolist(), strict=True) if wanted]
    else:  # a folder or an album: only its rows (memory follows the scope, not the library)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK].tolist()
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {_FACT_COLUMNS} FROM photos WHERE id IN ({marks}) ORDER BY id"
            yield conn.execute(sql, chunk).fetchall()


def _fact_columns(
    rows: list[Any], contents: dict[Any, int], cameras: dict[Any, int]
) -> tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.float64],
    npt.NDArray[np.int64],
]:
    """One batch of rows as grouping's columns (content and camera codes shared across batches)."""
    ids = np.fromiter((int(r[0]) for r in rows), dtype=np.int64, count=len(rows))
    content = _codes([r[1] for r in rows], contents)
    measured = np.fromiter((r[2] is not None for r in rows), dtype=bool, count=len(rows))
    phash = np.fromiter(
        (phash_from_sql(int(r[2])) if r[2] is not None else 0 for r in rows), dtype=np.uint64, count=len(rows)
    )
    exif_times = [r[3] if r[4] == "exif" and r[3] else "NaT" for r in rows]
    try:
        seconds = np.array(exif_times, dtype="datetime64[s]").astype("int64").astype(np.float64)
    except ValueError:  # an odd stored date: parse one by one
        seconds = np.array([_seconds(t) for t in exif_times], dtype=np.float64)
    seconds[np.array([t == "NaT" for t in exif_times], dtype=bool)] = np.nan
    subsec = np.fromiter((float(r[5]) if r[5] is not None else 0.0 for r in rows), dtype=np.float64, count=len(rows))
    camera = _codes([r[6] for r in rows], cameras)
    return ids, content, phash, measured, seconds.reshape(-1) + subsec, camera


def _seconds(text: str) -> float:
    try:
        return float(np.datetime64(text, "s").astype("int64"))
    except ValueError:
        return float("nan")


def _codes(values: list[Any], codes: dict[Any, int]) -> npt.NDArray[np.int64]:
    """A small integer per distinct value (`codes`: those given so far), -1 for None."""
    return np.fromiter(
        (-1 if v is None else codes.setdefault(v, len(codes)) for v in values), dtype=np.int64, count=len(values)
    )
