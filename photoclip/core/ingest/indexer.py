"""Bring the catalog up to date with the folders, then give every photo a vector.

One routine embeds what is pending for a model, for the library's current model
and, while a switch is under way, for the next one; only the current model's
vectors go into the live index (the next model's index is built from the
catalog when the library flips to it). Resumable at any point: the catalog
records which photos have a vector of which model.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from photoclip.core.changes import NOTHING, ChangeBus, Changes
from photoclip.core.clip.service import Models
from photoclip.core.errors import DiskFull
from photoclip.core.ingest.folders import Folders
from photoclip.core.ingest.scanner import ScanReport, scan_folders
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import PhotoId, WorkItem
from photoclip.core.store.settings import SettingsFile
from photoclip.core.vectors.keeper import VectorKeeper

if TYPE_CHECKING:
    from photoclip.core.clip.embedder import Embedder
    from photoclip.core.ingest.pipeline import Batch, PipelineStats
    from photoclip.core.places.service import Places


@dataclass(frozen=True)
class IndexProgress:
    """Reported while indexing; `total` is known once the scan is done."""

    phase: str  # "embed" (the current model), "switch" (the model being switched to) or "wait" (see Indexer)
    done: int
    total: int
    skipped: int = 0
    rate: float = 0.0  # photos per second

    @property
    def eta_seconds(self) -> float | None:
        if self.rate <= 0 or self.total <= self.done:
            return None
        return (self.total - self.done) / self.rate


@dataclass
class IndexReport:
    scans: list[ScanReport] = field(default_factory=list)
    embedded: int = 0
    unchanged: int = 0
    skipped: int = 0
    duplicates: int = 0  # identical to a photo already indexed: its vector was reused
    seconds: float = 0.0
    cancelled: bool = False
    switch_embedded: int = 0  # photos embedded for the model the library is switching to
    switched_to: str | None = None  # the library now uses this model (its vectors became complete)
    waiting_for_model: int = 0  # photos left pending because the model is not on this computer yet
    changes: Changes = NOTHING


ProgressCallback = Callable[[IndexProgress], None]

log = logging.getLogger(__name__)

_PAGE = 512


class Indexer:
    """Scans and embeds; one run at a time per library, across threads and processes.

    A second `photoclip index` (or the app's watcher beside a command) waits for the
    first one's run to end, then finds the work done instead of embedding the same
    photos twice: a lock file in the library folder, held only while a run lasts.
    """

    def __init__(
        self,
        catalog: Catalog,
        settings: SettingsFile,
        folders: Folders,
        vectors: VectorKeeper,
        models: Models,
        changes: ChangeBus,
        *,
        lock_path: Path,
        places: Places | None = None,
    ) -> None:
        self._catalog = catalog
        self._places = places
        self._settings = settings
        self._folders = folders
        self._vectors = vectors
        self._models = models
        self._changes = changes
        self._run_lock = threading.RLock()
        self._file_lock = FileLock(str(lock_path), thread_local=False)

    @contextlib.contextmanager
    def _running(
        self, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
    ) -> Iterator[bool]:
        """Hold the library's indexing lock; yields False when cancelled while waiting for another process."""
        with self._run_lock:
            try:
                self._file_lock.acquire(timeout=0)
            except Timeout:
                if progress is not None:
                    progress(IndexProgress("wait", 0, 0))
                while True:
                    if cancel is not None and cancel.is_set():
                        yield False
                        return
                    try:
                        self._file_lock.acquire(timeout=0.5)
                        break
                    except Timeout:
                        continue
            try:
                yield True
            finally:
                self._file_lock.release()

    def busy(self) -> bool:
        """True while this process is scanning or embedding (text reading waits for it)."""
        return bool(self._file_lock.is_locked)

    def scan(self, subtrees: Sequence[Path] | None = None, *, settle_seconds: float = 0.0) -> list[ScanReport]:
        """Bring the catalog up to date with the folders on disk (no model needed).

        Args:
            subtrees: only rescan these subfolders (a watcher's dirty folders).
            settle_seconds: leave files modified more recently than this for a later scan.
        """
        with self._running():
            reports = scan_folders(
                self._catalog,
                self._catalog.folders(),
                self._folders.ignore_rules(),
                subtrees=subtrees,
                settle_ns=int(settle_seconds * 1e9),
            )
        for report in reports:
            self._vectors.remove(report.removed)
        touched = any(r.added or r.changed or r.removed or r.moved for r in reports)
        self._changes.publish(Changes(photos=touched, folders=touched or any(r.missing for r in reports)))
        return reports

    def update(
        self, *, progress: ProgressCallback | None = None, cancel: threading.Event | None = None, download: bool = True
    ) -> IndexReport:
        """Scan every folder, then embed whatever is new or changed. Resumable at any point."""
        with self._running(progress, cancel) as running:
            if not running:
                return IndexReport(cancelled=True)
            started = time.perf_counter()
            scans = self.scan()
            report = self.index_pending(progress=progress, cancel=cancel, download=download)
            self.back_up()  # after the work: the day's backup holds what was just indexed
            report.scans = scans
            report.seconds = time.perf_counter() - started
            return report

    def index_pending(
        self,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        download: bool = True,
    ) -> IndexReport:
        """Embed what the catalog lists as new or changed, without scanning (a watcher scanned already).

        Args:
            download: fetch the model's weights if they are not on disk yet (a command the
                person ran); False leaves the photos pending until the model is there (the
                app downloads only when asked), and says how many wait in `waiting_for_model`.
        """
        with self._running(progress, cancel) as running:
            if not running:
                return IndexReport(cancelled=True)
            started = time.perf_counter()
            report = IndexReport()
            model_id = self._models.model_id
            pending = self._catalog.count_pending(model_id)
            if pending and not download and not self._models.available():
                report.waiting_for_model = pending
            elif pending:
                embedder = self._models.embedder()
                self._vectors.index(embedder.dim)
                try:
                    stats = self._embed_pending(model_id, embedder, "embed", progress, cancel)
                finally:
                    self._vectors.save()
                report.embedded, report.unchanged, report.skipped = stats.embedded, stats.unchanged, stats.skipped
                report.duplicates, report.cancelled = stats.duplicates, stats.cancelled
            if not report.cancelled and not report.waiting_for_model:
                self._index_next_model(report, progress, cancel)
            report.seconds = time.perf_counter() - started
            report.changes = Changes(
                photos=bool(report.embedded or report.skipped or report.switch_embedded or report.switched_to),
                model=report.switched_to is not None,
                settings=report.switched_to is not None,
            )
            if report.switched_to:
                self._changes.publish(report.changes)
            return report

    def back_up(self) -> None:
        """The catalog's daily backup, made by whoever indexes first that day (never fatal to indexing)."""
        try:
            backup = self._catalog.back_up_if_due()
        except (DiskFull, OSError, sqlite3.Error) as e:
            log.warning("no daily backup of the library database: %s", e)
            return
        if backup is not None:
            log.info("daily backup of the library database: %s", backup.path)

    def pending(self) -> bool:
        """Photos waiting for the current model, or for the next one while the model is being switched."""
        if self._catalog.count_pending(self._models.model_id):
            return True
        switch = self._models.switch_state()
        return switch is not None and switch.done < switch.total

    def _index_next_model(
        self, report: IndexReport, progress: ProgressCallback | None, cancel: threading.Event | None
    ) -> None:
        """Embed the photos that lack a vector of the next model; flip to it once none lack one."""
        name, spec = self._models.next_model()
        if name is None or spec is None:
            return
        if self._catalog.count_pending(spec.model_id):
            stats = self._embed_pending(spec.model_id, self._models.next_embedder(spec), "switch", progress, cancel)
            report.switch_embedded = stats.embedded
            report.skipped += stats.skipped
            report.cancelled = stats.cancelled
            if stats.cancelled:
                return
        if self._catalog.count_pending(spec.model_id) == 0 and self._models.flip(name, spec):
            report.switched_to = spec.key

    def _embed_pending(
        self,
        model_id: str,
        embedder: Embedder,
        phase: str,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> PipelineStats:
        """Run the pipeline over every photo pending for `model_id`, storing each batch as it comes."""
        from photoclip.core.ingest.pipeline import Pipeline

        settings = self._settings.current
        total = self._catalog.count_pending(model_id)
        pipeline = Pipeline(
            embedder,
            workers=settings.decode_workers or None,
            batch_size=settings.batch_size,
            draft=settings.draft_decode,
            known_content=lambda digest: self._catalog.vector_for_content(model_id, digest),
        )

        def on_progress(stats: PipelineStats) -> None:
            if progress is not None:
                progress(IndexProgress(phase, stats.photos, total, stats.skipped, stats.rate))

        def store(batch: Batch) -> None:
            self._store_batch(model_id, batch)

        return pipeline.run(self._pending_items(model_id), store, cancel=cancel, on_progress=on_progress)

    def _pending_items(self, model_id: str) -> Iterator[WorkItem]:
        after = PhotoId(0)
        while True:
            page = self._catalog.pending_work(model_id, _PAGE, after=after)
            if not page:
                return
            yield from page
            after = page[-1].id

    def _store_batch(self, model_id: str, batch: Batch) -> None:
        """Writer-thread sink: catalog first (the truth), then the live index when it is this model's."""
        with self._vectors.locked():
            recorded = self._catalog.record_batch(
                model_id,
                embedded=[(item.id, meta, vector) for item, meta, vector in batch.embedded],
                unchanged=[(item.id, size, mtime_ns) for item, size, mtime_ns in batch.unchanged],
                skipped=[(s.item.id, s.reason, s.message, s.size, s.mtime_ns) for s in batch.skipped],
            )
            if batch.refreshed:
                self._catalog.record_metadata([(item.id, meta) for item, meta in batch.refreshed])
            written = set(recorded.written)
            if model_id == self._vectors.model_id:
                kept = [(item.id, vector) for item, _, vector in batch.embedded if item.id in written]
                self._vectors.add([i for i, _ in kept], [v for _, v in kept], recorded.seq)
            self._vectors.remove([s.item.id for s in batch.skipped])  # unreadable now: gone for every model
        if self._places is not None and model_id == self._vectors.model_id:
            self._places.record([(item.id, meta.location) for item, meta, _ in batch.embedded if item.id in written])
        self._changes.publish(Changes(photos=bool(written)))
