"""`Library`: the one facade front ends use (CLI and GUI alike).

A library is a folder holding the catalog (SQLite, the source of truth), the
HNSW index files (a cache), and its settings. `Library.open` builds the real
parts; the constructor takes them ready-made so tests and tools can pass their
own. Nothing here blocks on the model until a call needs it: opening a library
and reading its status are instant, and the model loads on first search or index.

Index consistency: every stored batch commits to the catalog first and then
updates the in-memory index under one lock; the index file is saved now and then
and at the end. On open, the saved index is checked against the catalog (ids
present, vectors written since the last save) and repaired, or rebuilt from the
catalog's vectors when missing or damaged, so a crash costs at most the batch
in flight.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

from photoclip.core.albums import AlbumStore
from photoclip.core.autotag import AutoTagger, AutoTagProgress, AutoTagReport
from photoclip.core.catalog import VECTOR_DTYPE, Catalog, Folder, PhotoFilter, PhotoId, WorkItem
from photoclip.core.config import LibrarySettings, default_cache_dir, default_library_dir
from photoclip.core.errors import DecodeError, LibraryError, PhotoclipError, QueryError
from photoclip.core.index import VectorIndex
from photoclip.core.labelsets import Label, LabelSet, builtin_label_sets, with_label
from photoclip.core.models import DownloadProgress, ModelSpec, resolve_model
from photoclip.core.scanner import IgnoreRules, ScanReport, check_ignore_pattern, scan_folders
from photoclip.core.search import (
    DEFAULT_DATE_RELEVANCE,
    ParsedQuery,
    merge_filters,
    parse_query,
    query_vector,
    relevance_cutoff,
)
from photoclip.core.tagstore import ACCEPTED, REJECTED, Tag, TagStore

if TYPE_CHECKING:  # torch loads only when the model is needed
    from photoclip.core.embedder import Embedder

log = logging.getLogger(__name__)

DATE_ORDER_LIMIT = 5000
"""Most results considered when relevant results are shown by date instead of score."""

_BACKGROUND_SAMPLE = 2048

USER_TAGS = "My tags"
"""The label set that collects tags people type by hand."""


@dataclass(frozen=True)
class SearchHit:
    photo_id: PhotoId
    score: float
    path: Path
    taken_at: str | None
    offline: bool = False  # its folder is missing right now (unplugged drive)


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    offset: int
    limit: int
    has_more: bool
    cutoff: float | None
    seconds: float
    typical: float | None = None  # the library's median score for this query: relevance 0 (see search)


@dataclass(frozen=True)
class IndexProgress:
    """Reported while indexing; `total` is known once the scan is done."""

    phase: str  # "scan" or "embed"
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


@dataclass(frozen=True)
class FolderStatus:
    path: Path
    photos: int
    offline: bool  # missing from disk: its photos are kept and shown as offline until it returns
    last_scan: float | None


@dataclass(frozen=True)
class LibraryStatus:
    directory: Path
    model_key: str
    model_id: str
    folders: list[FolderStatus]
    photos: int
    embedded: int
    pending: int
    skipped: int
    skip_reasons: dict[str, int]
    duplicates: int
    other_models: dict[str, int]
    catalog_bytes: int
    index_bytes: int
    switch: ModelSwitch | None = None  # a model change in progress


@dataclass(frozen=True)
class ModelSwitch:
    """A model change in progress: photos get vectors for `spec` while the current model keeps serving."""

    name: str  # as given to switch_model, stored as settings.next_model
    spec: ModelSpec
    done: int  # photos that have a vector of the next model
    total: int  # photos that need one (every photo that is not skipped)

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else min(1.0, self.done / self.total)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _uses_model(method: Callable[Concatenate[Library, _P], _R]) -> Callable[Concatenate[Library, _P], _R]:
    """Mark a method that reads the current model in several steps: a model flip waits for it to finish."""

    @functools.wraps(method)
    def guarded(self: Library, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._model_guard.shared():
            return method(self, *args, **kwargs)

    return guarded


class Library:
    """Photos, their vectors and everything learnt about them, behind one object."""

    def __init__(
        self,
        directory: Path,
        catalog: Catalog,
        settings: LibrarySettings,
        model: ModelSpec,
        *,
        cache_dir: Path,
        embedder: Embedder | None = None,
    ) -> None:
        self.directory = directory
        self.catalog = catalog
        self.settings = settings
        self.model = model
        self.cache_dir = cache_dir
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self._index: VectorIndex | None = None
        self._index_lock = threading.RLock()
        self._update_lock = threading.RLock()  # one indexing run at a time (CLI, watcher, GUI)
        self._last_save = time.monotonic()
        self._background: tuple[int, npt.NDArray[np.float32]] | None = None
        self.index_repairs: list[str] = []
        self.download_progress: DownloadProgress | None = None
        self.model_load_seconds = 0.0
        self.albums = AlbumStore(catalog)
        self.tags = TagStore(catalog)
        self.autotagger = AutoTagger(self)
        self._model_guard = _ModelGuard()
        self._switch_lock = threading.RLock()
        self._next_embedder: Embedder | None = None

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: Path | None = None,
        *,
        model: str | None = None,
        checkpoint: Path | None = None,
        device: str | None = None,
        cache_dir: Path | None = None,
        embedder: Embedder | None = None,
    ) -> Library:
        """Open (creating if needed) a library; a given model becomes the library's model.

        Args:
            embedder: an already loaded model to share (it must be the library's model).
        """
        directory = Path(directory or default_library_dir()).expanduser().resolve()
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LibraryError(f"Cannot create the library folder {directory}: {e.strerror or e}") from e
        settings_path = directory / "settings.json"
        settings = LibrarySettings.load(settings_path)
        changed = False
        if model is not None and (model != settings.model or str(checkpoint or "") != str(settings.checkpoint or "")):
            settings.model, settings.checkpoint = model, str(checkpoint) if checkpoint else None
            changed = True
        if device is not None and device != settings.device:
            settings.device, changed = device, True
        checkpoint_path = Path(settings.checkpoint) if settings.checkpoint else None
        spec = resolve_model(settings.model, checkpoint=checkpoint_path, cache_dir=cache_dir)
        catalog = Catalog(directory / "catalog.sqlite")
        if changed or not settings_path.exists():
            settings.save(settings_path)
        TagStore(catalog).install_builtins(builtin_label_sets())
        if embedder is not None and embedder.model_id != spec.model_id:
            raise LibraryError(f"The given model {embedder.model_id} is not this library's model {spec.model_id}.")
        return cls(
            directory, catalog, settings, spec, cache_dir=Path(cache_dir or default_cache_dir()), embedder=embedder
        )

    def close(self) -> None:
        """Save the index and close the catalog."""
        try:
            self.save()
        finally:
            self.catalog.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def model_id(self) -> str:
        return self.model.model_id

    @property
    def index_dir(self) -> Path:
        return self.directory / "index"

    # -- the model ----------------------------------------------------------------------------

    def embedder(self) -> Embedder:
        """The loaded model (loads it on first use: seconds, or a download on first run)."""
        with self._embedder_lock:
            if self._embedder is None:
                started = time.perf_counter()
                self._embedder = self._load_embedder(self.model)
                self.model_load_seconds = time.perf_counter() - started
            return self._embedder

    def _load_embedder(self, spec: ModelSpec) -> Embedder:
        from photoclip.core.embedder import Embedder
        from photoclip.core.models import load_model

        loaded = load_model(
            spec, device=self.settings.device, cache_dir=self.cache_dir, progress=self.download_progress
        )
        return Embedder(loaded, precision=self.settings.precision, calibration_cache=self.cache_dir / "precision.json")

    @property
    def model_loaded(self) -> bool:
        return self._embedder is not None

    # -- folders ------------------------------------------------------------------------------

    def folders(self) -> list[Folder]:
        return self.catalog.folders()

    def add_folder(self, path: Path) -> Folder:
        """Watch a folder; a folder inside an existing one is already covered, a parent absorbs its children."""
        folder = Path(path).expanduser()
        if not folder.exists():
            raise LibraryError(f"Folder not found: {folder}")
        if not folder.is_dir():
            raise LibraryError(f"Not a folder: {folder}")
        folder = folder.resolve()
        if folder.is_relative_to(self.directory):
            raise LibraryError("The library's own folder cannot be added as a photo folder.")
        existing = self.catalog.folders()
        for known in existing:
            if folder == known.path:
                return known
            if folder.is_relative_to(known.path):
                raise LibraryError(f"{folder} is already in the library (inside {known.path}).")
        added = self.catalog.add_folder(folder)
        children = [known for known in existing if known.path.is_relative_to(folder)]
        if children:
            self.catalog.absorb_folders(added.id, [c.id for c in children])
        return added

    def remove_folder(self, path: Path) -> int:
        """Forget a folder and everything learnt about its photos (the photos themselves are untouched)."""
        folder = self.catalog.folder_by_path(Path(path).expanduser().resolve())
        if folder is None:
            raise LibraryError(f"{path} is not a folder of this library.")
        ids = self.catalog.remove_folder(folder.id)
        self._remove_from_index(ids)
        return len(ids)

    def ignore_rules(self) -> IgnoreRules:
        return IgnoreRules(patterns=tuple(self.settings.ignore_patterns), excluded=(self.directory,))

    def set_ignore_patterns(self, patterns: Sequence[str]) -> list[str]:
        """Replace the user's ignore patterns (saved with the library) and return them cleaned up.

        They apply from the next scan on: a full scan forgets catalogued photos that now
        match (their files are untouched), and photos no longer ignored come back as new.
        """
        cleaned = list(dict.fromkeys(check_ignore_pattern(p) for p in patterns))
        self.settings.ignore_patterns = cleaned
        self.settings.save(self.directory / "settings.json")
        return cleaned

    def ignored_photos(self) -> list[Path]:
        """Catalogued photos that the current ignore rules leave out: the next full scan forgets them."""
        rules = self.ignore_rules()
        found = []
        for folder in self.catalog.folders():
            for path in self.catalog.file_rows(folder.id):
                if rules.skips_path(Path(path), folder.path):
                    found.append(Path(path))
        return sorted(found)

    # -- indexing -----------------------------------------------------------------------------

    def scan(self, subtrees: Sequence[Path] | None = None, *, settle_seconds: float = 0.0) -> list[ScanReport]:
        """Bring the catalog up to date with the folders on disk (no model needed).

        Args:
            subtrees: only rescan these subfolders (a watcher's dirty folders).
            settle_seconds: leave files modified more recently than this for a later scan.
        """
        reports = scan_folders(
            self.catalog,
            self.catalog.folders(),
            self.ignore_rules(),
            subtrees=subtrees,
            settle_ns=int(settle_seconds * 1e9),
        )
        for report in reports:
            self._remove_from_index(report.removed)
        return reports

    def update(
        self,
        *,
        progress: Callable[[IndexProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexReport:
        """Scan every folder, then embed whatever is new or changed. Resumable at any point."""
        with self._update_lock:
            started = time.perf_counter()
            scans = self.scan()
            report = self._index_pending(progress, cancel)
            report.scans = scans
            report.seconds = time.perf_counter() - started
            return report

    def index_pending(
        self,
        *,
        progress: Callable[[IndexProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexReport:
        """Embed what the catalog lists as new or changed, without scanning (a watcher scanned already)."""
        with self._update_lock:
            return self._index_pending(progress, cancel)

    def _index_pending(
        self, progress: Callable[[IndexProgress], None] | None, cancel: threading.Event | None
    ) -> IndexReport:
        report = self._index_current(progress, cancel)
        if not report.cancelled:
            self._index_next(report, progress, cancel)
        return report

    def _index_current(
        self, progress: Callable[[IndexProgress], None] | None, cancel: threading.Event | None
    ) -> IndexReport:
        from photoclip.core.pipeline import Pipeline, PipelineStats

        started = time.perf_counter()
        report = IndexReport()
        total = self.catalog.count_pending(self.model_id)
        if total == 0:
            report.seconds = time.perf_counter() - started
            return report
        embedder = self.embedder()
        self._vector_index(embedder.dim)
        pipeline = Pipeline(
            embedder,
            workers=self.settings.decode_workers or None,
            batch_size=self.settings.batch_size,
            draft=self.settings.draft_decode,
            known_content=lambda digest: self.catalog.vector_for_content(self.model_id, digest),
        )

        def on_progress(stats: PipelineStats) -> None:
            if progress is not None:
                progress(IndexProgress("embed", stats.photos, total, stats.skipped, stats.rate))

        try:
            stats = pipeline.run(self._pending_items(), self._store_batch, cancel=cancel, on_progress=on_progress)
        finally:
            self.save()
        report.embedded, report.unchanged, report.skipped = stats.embedded, stats.unchanged, stats.skipped
        report.duplicates = stats.duplicates
        report.cancelled = stats.cancelled
        report.seconds = time.perf_counter() - started
        return report

    def _pending_items(self, model_id: str | None = None) -> Iterator[WorkItem]:
        after = PhotoId(0)
        while True:
            page = self.catalog.pending_work(model_id or self.model_id, 512, after=after)
            if not page:
                return
            yield from page
            after = page[-1].id

    def _store_batch(self, batch: object) -> None:
        """Writer-thread sink: catalog first (the truth), then the in-memory index."""
        from photoclip.core.pipeline import Batch

        assert isinstance(batch, Batch)
        with self._index_lock:
            written = set(
                self.catalog.record_batch(
                    self.model_id,
                    embedded=[(item.id, meta, vector) for item, meta, vector in batch.embedded],
                    unchanged=[(item.id, size, mtime_ns) for item, size, mtime_ns in batch.unchanged],
                    skipped=[(s.item.id, s.reason, s.message, s.size, s.mtime_ns) for s in batch.skipped],
                )
            )
            kept = [(item.id, vector) for item, _, vector in batch.embedded if item.id in written]
            if kept and self._index is not None:
                vectors = np.stack([v for _, v in kept]).astype(VECTOR_DTYPE).astype(np.float32)
                self._index.add(np.array([i for i, _ in kept], dtype=np.int64), vectors)
            self._remove_from_index([s.item.id for s in batch.skipped if s.item.has_embedding])
            if time.monotonic() - self._last_save > self.settings.index_save_seconds:
                self._save_locked()

    # -- the index ----------------------------------------------------------------------------

    def _vector_index(self, dim: int | None = None) -> VectorIndex | None:
        """The index of the current model, loaded and repaired on first use; None if nothing is embedded."""
        with self._index_lock:
            if self._index is not None:
                return self._index
            dim = self.catalog.embedding_dim(self.model_id) or dim
            if dim is None:
                return None
            index = VectorIndex.load(self.index_dir, model_id=self.model_id, dim=dim)
            catalog_ids = self.catalog.embedding_ids(self.model_id)
            if index is None:
                if len(catalog_ids):
                    self.index_repairs.append(f"rebuilt the index from {len(catalog_ids)} stored vectors")
                index = VectorIndex(dim, model_id=self.model_id, capacity=max(1024, int(len(catalog_ids) * 1.25)))
                self._add_from_catalog(index, catalog_ids)
                self._index = index
                if len(catalog_ids):
                    self._save_locked()
                return index
            saved_at = float(self.catalog.get_meta(f"index_saved_at:{self.model_id}") or 0.0)
            present = index.ids()
            missing = np.setdiff1d(catalog_ids, present)
            extra = np.setdiff1d(present, catalog_ids)
            rewritten = self.catalog.embedding_ids_since(self.model_id, saved_at)
            refresh = np.union1d(missing, rewritten)
            if len(refresh):
                self._add_from_catalog(index, refresh)
            if len(extra):
                index.remove(extra)
            self._index = index
            if len(refresh) or len(extra):
                self.index_repairs.append(
                    f"repaired the index: {len(refresh)} vectors added or refreshed, {len(extra)} removed"
                )
                self._save_locked()
            return index

    def _add_from_catalog(self, index: VectorIndex, ids: npt.NDArray[np.int64]) -> None:
        for start in range(0, len(ids), 20000):
            chunk_ids, vectors = self.catalog.embeddings(self.model_id, ids[start : start + 20000].tolist())
            if len(chunk_ids):
                index.add(chunk_ids, vectors)

    def _remove_from_index(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self._index_lock:
            if self._index is not None:
                self._index.remove(np.asarray(ids, dtype=np.int64))

    def save(self) -> None:
        """Write the index file if it changed (atomically)."""
        with self._index_lock:
            self._save_locked()

    def _save_locked(self) -> None:
        if self._index is None:
            return
        covered_until = time.time()
        self._index.save(self.index_dir)
        self.catalog.set_meta(f"index_saved_at:{self.model_id}", repr(covered_until))
        self._last_save = time.monotonic()

    # -- search -------------------------------------------------------------------------------

    @_uses_model
    def search(
        self,
        query: str | ParsedQuery = "",
        *,
        example: Path | int | None = None,
        limit: int = 20,
        offset: int = 0,
        photo_filter: PhotoFilter | None = None,
        min_score: float | None = None,
        relevance: float | None = None,
        order: str = "relevance",
    ) -> SearchResult:
        """Rank photos by similarity to a text query and/or an example photo.

        Args:
            min_score: drop results with a lower cosine similarity.
            relevance: drop results below this point (0-1) between the library's typical
                score for the query and its best match (see `relevance_cutoff`).
            order: "relevance", or "date": the relevant results newest first (relevance
                defaults to 0.5 then, unless a min_score is given).
        """
        if order not in ("relevance", "date"):
            raise QueryError(f"Unknown order {order!r}: use relevance or date.")
        parsed = parse_query(query) if isinstance(query, str) else query
        if not parsed.is_empty():
            self.embedder()  # loading the model is not part of the search time
        started = time.perf_counter()
        combined = _resolved_folders(merge_filters(parsed.filter, photo_filter or PhotoFilter()))
        base = []
        exclude: PhotoId | None = None
        if example is not None:
            vector, exclude = self._example_vector(example)
            base.append(vector)
        if parsed.is_empty() and not base:
            if combined.is_empty():
                raise QueryError("The query is empty: type some words, or give an example photo.")
            return self._browse(combined, offset, limit, started)
        index = self._vector_index()
        if index is None or len(index) == 0:
            return SearchResult([], offset, limit, False, None, time.perf_counter() - started)
        if not parsed.is_empty():
            text_vector = query_vector(parsed, self.embedder().encode_texts)
            vector = _normalised(sum(base, start=np.zeros_like(text_vector)) + text_vector) if base else text_vector
        else:
            vector = base[0]
        allowed = None if combined.is_empty() else self.catalog.filter_ids(self.model_id, combined)
        if allowed is not None and len(allowed) == 0:
            return SearchResult([], offset, limit, False, None, time.perf_counter() - started)
        if order == "date" and relevance is None and min_score is None:
            relevance = DEFAULT_DATE_RELEVANCE
        k = DATE_ORDER_LIMIT if order == "date" or relevance is not None else offset + limit + 1
        hits = [h for h in index.search(vector, k + 1, allowed=allowed) if h.photo_id != exclude][:k]
        cutoff = min_score
        background = self._background_scores(index, vector)
        typical = float(np.median(background)) if background.size else None
        if relevance is not None and hits:
            relative = relevance_cutoff(background, hits[0].score, relevance)
            cutoff = relative if cutoff is None else max(cutoff, relative)
        if cutoff is not None:
            hits = [h for h in hits if h.score >= cutoff]
        if order == "date":
            by_id = {h.photo_id: h for h in hits}
            hits = [by_id[i] for i in self.catalog.taken_order([h.photo_id for h in hits])]
        page = hits[offset : offset + limit]
        photos = self.catalog.photos([h.photo_id for h in page])
        offline = {f.id for f in self.catalog.folders() if not f.online}
        result = [
            SearchHit(photo.id, h.score, photo.path, photo.taken_at, photo.folder_id in offline)
            for h in page
            if (photo := photos.get(PhotoId(h.photo_id))) is not None
        ]
        has_more = len(hits) > offset + limit
        return SearchResult(result, offset, limit, has_more, cutoff, time.perf_counter() - started, typical)

    def _browse(self, photo_filter: PhotoFilter, offset: int, limit: int, started: float) -> SearchResult:
        """Filters without words (tag:beach, an album): the matching photos, newest first."""
        ordered = self.catalog.filter_ids(self.model_id, photo_filter, by_date=True).tolist()  # sorted in SQL
        page = ordered[offset : offset + limit]
        photos = self.catalog.photos(page)
        offline = {f.id for f in self.catalog.folders() if not f.online}
        hits = [SearchHit(p.id, 0.0, p.path, p.taken_at, p.folder_id in offline) for i in page if (p := photos.get(i))]
        return SearchResult(hits, offset, limit, len(ordered) > offset + limit, None, time.perf_counter() - started)

    def similar(self, example: Path | int, **options: object) -> SearchResult:
        """Photos that look like the example (a library photo id or any image file)."""
        return self.search(ParsedQuery(), example=example, **options)  # type: ignore[arg-type]

    def _example_vector(self, example: Path | int) -> tuple[npt.NDArray[np.float32], PhotoId | None]:
        """The stored vector of a library photo, or a fresh one for any other image file."""
        if isinstance(example, int):
            ids, vectors = self.catalog.embeddings(self.model_id, [example])
            if not len(ids):
                raise LibraryError(f"Photo {example} is not in the library or not indexed yet.")
            return _normalised(vectors[0]), PhotoId(example)
        path = Path(example).expanduser()
        if not path.exists():
            raise LibraryError(f"Photo not found: {path}")
        photo = self.catalog.photo_by_path(path.resolve())
        if photo is not None:
            ids, vectors = self.catalog.embeddings(self.model_id, [photo.id])
            if len(ids):
                return _normalised(vectors[0]), photo.id
        from photoclip.core.imaging import decode_photo

        embedder = self.embedder()
        try:
            decoded = decode_photo(path, min_side=embedder.image_size)
        except DecodeError as e:
            raise LibraryError(f"Cannot use {path} as an example: {e.message}") from e
        vector = embedder.encode_images(embedder.preprocess(decoded.image).unsqueeze(0))[0]
        return vector, photo.id if photo is not None else None

    def _background_scores(self, index: VectorIndex, vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Scores of the query against a fixed random sample of the library (for the automatic cut-off)."""
        with self._index_lock:
            if self._background is None or abs(self._background[0] - len(index)) > 0.1 * self._background[0]:
                ids = index.ids()
                rng = np.random.default_rng(0)
                sample = rng.choice(ids, size=min(len(ids), _BACKGROUND_SAMPLE), replace=False)
                self._background = (len(index), index.vectors(sample))
            matrix = self._background[1]
        return matrix @ vector

    # -- tags and albums ----------------------------------------------------------------------

    @_uses_model
    def auto_tag(
        self,
        label_set: str,
        photo_ids: Sequence[int] | None = None,
        *,
        threshold: float | None = None,
        auto_accept: float | None = None,
        progress: Callable[[AutoTagProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> AutoTagReport:
        """Suggest tags from a label set for some photos (default: all indexed); safe to re-run."""
        return self.autotagger.run(
            self.tags.get(label_set),
            photo_ids,
            threshold=threshold,
            auto_accept=auto_accept,
            progress=progress,
            cancel=cancel,
        )

    def tags_of(self, photo_ids: Sequence[int]) -> dict[PhotoId, list[Tag]]:
        return self.tags.tags_of(photo_ids)

    def _label_id(self, label_set: str, label: str) -> int:
        labels = self.tags.label_ids(self.tags.get(label_set))
        for name, label_id in labels.items():
            if name.casefold() == label.strip().casefold():
                return label_id
        raise LibraryError(f"The label set {label_set!r} has no label {label!r}.")

    def accept_tag(self, photo_ids: Sequence[int], label_set: str, label: str) -> int:
        """A person says these photos are `label` (also how tags are added by hand)."""
        return self.tags.set_status(photo_ids, self._label_id(label_set, label), ACCEPTED)

    def tag_photos(self, photo_ids: Sequence[int], label: str, label_set: str = USER_TAGS) -> int:
        """Tag photos by hand with any word: a label missing from the set is added to it first.

        People type tags freely; keeping them as labels of a (multi-label) set means they
        are also searchable, exportable and learnable like every other tag.
        """
        label = label.strip()
        if not label:
            raise LibraryError("A tag needs a name.")
        try:
            current = self.tags.get(label_set)
        except LibraryError:
            current = LabelSet(label_set, (), exclusive=False, description="Tags added by hand.")
        if not any(existing.name.casefold() == label.casefold() for existing in current.labels):
            self.tags.save(with_label(current, Label(label)))
        return self.accept_tag(photo_ids, label_set, label)

    def reject_tag(self, photo_ids: Sequence[int], label_set: str, label: str) -> int:
        """A person says these photos are not `label`; auto-tagging never suggests it for them again."""
        return self.tags.set_status(photo_ids, self._label_id(label_set, label), REJECTED)

    def remove_tag(self, photo_ids: Sequence[int], label_set: str, label: str) -> int:
        """Forget the tag entirely (a later auto-tag run may suggest it again)."""
        return self.tags.remove(photo_ids, self._label_id(label_set, label))

    @_uses_model
    def label_matches(self, label_set: LabelSet, label: str, limit: int = 24) -> SearchResult:
        """The photos a label's prompt ensemble finds best: "test this label" before saving a set."""
        started = time.perf_counter()
        index = self._vector_index()
        names = [entry.name for entry in label_set.labels]
        if label not in names:
            raise LibraryError(f"The label set {label_set.name!r} has no label {label!r}.")
        if index is None or len(index) == 0:
            return SearchResult([], 0, limit, False, None, 0.0)
        vector = self.autotagger.label_vectors(label_set)[names.index(label)]
        hits = index.search(vector, limit)
        photos = self.catalog.photos([h.photo_id for h in hits])
        result = [
            SearchHit(PhotoId(h.photo_id), h.score, photo.path, photo.taken_at)
            for h in hits
            if (photo := photos.get(PhotoId(h.photo_id))) is not None
        ]
        return SearchResult(result, 0, limit, False, None, time.perf_counter() - started)

    @_uses_model
    def label_scores(self, photo_id: int, label_set: str, top: int = 5) -> list[tuple[str, float]]:
        """A photo's most likely labels in a set with their confidences (what auto-tag would see)."""
        ids, vectors = self.catalog.embeddings(self.model_id, [photo_id])
        if not len(ids):
            return []
        classifier = self.autotagger.classifier(self.tags.get(label_set))
        confidences = classifier.confidences(_normalised(vectors[0])[None, :])[0]
        order = np.argsort(-confidences)[:top]
        return [(classifier.label_names[i], float(confidences[i])) for i in order]

    def photo_ids(self, photo_filter: PhotoFilter) -> list[PhotoId]:
        """Indexed photos matching a filter (folder, album, tag, dates, type), in id order."""
        combined = _resolved_folders(photo_filter)
        if combined.is_empty():
            return [PhotoId(int(i)) for i in self.catalog.embedding_ids(self.model_id)]
        return [PhotoId(int(i)) for i in self.catalog.filter_ids(self.model_id, combined)]

    # -- switching models ---------------------------------------------------------------------
    #
    # A switch is recorded as settings.next_model. Each indexing run embeds the photos for the
    # current model first, then for the next one (loaded alongside); searches keep using the
    # current model and its index until the next model has a vector for every photo, then the
    # library flips to it: settings first (atomically), then in memory while no search runs.
    # The old model's vectors stay in the catalog, so switching back is instant.

    def switch_model(self, name: str) -> ModelSwitch | None:
        """Move the library to another model without interrupting search.

        Returns the switch in progress (the next indexing run does the work), or None when
        nothing remains to do: `name` is the current model (a pending switch is cancelled),
        or it already has vectors for every photo (switching back), in which case the library
        uses it from now on. A checkpoint file must be imported first (`ModelManager`).
        """
        spec = resolve_model(name, cache_dir=self.cache_dir)
        with self._switch_lock:
            if spec.model_id == self.model_id:
                self._set_next_model(None)
                return None
            if self.settings.next_model != name:
                self._set_next_model(name)
        if self.catalog.count_pending(spec.model_id) == 0:
            self._flip(name, spec)
            return None
        return self.model_switch()

    def cancel_switch(self) -> bool:
        """Stay with the current model; the vectors made so far for the next one are kept."""
        with self._switch_lock:
            pending = self.settings.next_model is not None
            self._set_next_model(None)
            return pending

    def model_switch(self) -> ModelSwitch | None:
        """The model change in progress, with how many photos have vectors for it (no model loads)."""
        name, spec = self._next_model()
        if name is None or spec is None:
            return None
        stats = self.catalog.stats(spec.model_id)
        total = stats.photos - stats.skipped
        return ModelSwitch(name, spec, total - stats.pending, total)

    def drop_model_vectors(self, model_id: str) -> int:
        """Delete another model's stored vectors and index (to save space); returns how many were stored."""
        switch = self.model_switch()
        if model_id == self.model_id or (switch is not None and switch.spec.model_id == model_id):
            raise LibraryError(f"{model_id} is in use by this library; its vectors cannot be deleted.")
        with self.catalog.transaction() as conn:
            count = int(conn.execute("DELETE FROM embeddings WHERE model_id = ?", (model_id,)).rowcount)
        for path in VectorIndex.files(self.index_dir, model_id):
            path.unlink(missing_ok=True)
        return count

    def _next_model(self) -> tuple[str | None, ModelSpec | None]:
        with self._switch_lock:
            name = self.settings.next_model
            if name is None:
                return None, None
            try:
                spec = resolve_model(name, cache_dir=self.cache_dir)
            except PhotoclipError as e:  # removed since: say so and keep serving the current model
                log.warning("cannot switch to %s: %s", name, e)
                return name, None
            if spec.model_id == self.model_id:  # the library was moved to it another way (--model)
                self._set_next_model(None)
                return None, None
            return name, spec

    def _set_next_model(self, name: str | None) -> None:
        self.settings.next_model = name
        self.settings.save(self.directory / "settings.json")
        self._next_embedder = None

    def _index_next(
        self, report: IndexReport, progress: Callable[[IndexProgress], None] | None, cancel: threading.Event | None
    ) -> None:
        """Embed the photos that lack a vector of the next model; flip to it once none lack one."""
        from photoclip.core.pipeline import Pipeline, PipelineStats

        name, spec = self._next_model()
        if name is None or spec is None:
            return
        model_id = spec.model_id
        total = self.catalog.count_pending(model_id)
        if total:
            if self._next_embedder is None or self._next_embedder.model_id != model_id:
                self._next_embedder = self._load_embedder(spec)
            pipeline = Pipeline(
                self._next_embedder,
                workers=self.settings.decode_workers or None,
                batch_size=self.settings.batch_size,
                draft=self.settings.draft_decode,
                known_content=lambda digest: self.catalog.vector_for_content(model_id, digest),
            )

            def on_progress(stats: PipelineStats) -> None:
                if progress is not None:
                    progress(IndexProgress("switch", stats.photos, total, stats.skipped, stats.rate))

            def store(batch: object) -> None:
                """Catalog only: the next model's index is built from the catalog when the library flips."""
                from photoclip.core.pipeline import Batch

                assert isinstance(batch, Batch)
                self.catalog.record_batch(
                    model_id,
                    embedded=[(item.id, meta, vector) for item, meta, vector in batch.embedded],
                    unchanged=[(item.id, size, mtime_ns) for item, size, mtime_ns in batch.unchanged],
                    skipped=[(s.item.id, s.reason, s.message, s.size, s.mtime_ns) for s in batch.skipped],
                )
                self._remove_from_index([s.item.id for s in batch.skipped])  # unreadable now: gone for every model

            stats = pipeline.run(self._pending_items(model_id), store, cancel=cancel, on_progress=on_progress)
            report.switch_embedded = stats.embedded
            report.skipped += stats.skipped
            report.cancelled = stats.cancelled
            if stats.cancelled:
                return
        if self.catalog.count_pending(model_id) == 0 and self._flip(name, spec):
            report.switched_to = spec.key

    def _flip(self, name: str, spec: ModelSpec) -> bool:
        """Make `spec` the library's model: settings.json first (atomic), then memory, between searches."""
        with self._switch_lock:
            if self.settings.next_model != name:  # cancelled or changed meanwhile
                return False
            self.settings.model, self.settings.checkpoint, self.settings.next_model = name, None, None
            self.settings.save(self.directory / "settings.json")
            with self._model_guard.exclusive(), self._index_lock, self._embedder_lock:
                self._save_locked()
                self._index, self._background = None, None
                self.model = spec
                self._embedder, self._next_embedder = self._next_embedder, None
        log.info("the library now uses %s (%s)", name, spec.model_id)
        self._vector_index()  # load or build the new model's index now rather than on the first search
        return True

    # -- status -------------------------------------------------------------------------------

    def folder_statuses(self) -> list[FolderStatus]:
        """Each folder with its photo count and whether it is connected (cheap: for the app's sidebar)."""
        counts = self.catalog.photo_counts_by_folder()
        return [
            FolderStatus(f.path, counts.get(f.id, 0), not f.online or not f.path.is_dir(), f.last_scan)
            for f in self.catalog.folders()
        ]

    def status(self) -> LibraryStatus:
        """Counts and sizes, without loading the model."""
        stats = self.catalog.stats(self.model_id)
        folders = self.folder_statuses()
        index_file, manifest = VectorIndex.files(self.index_dir, self.model_id)
        index_bytes = index_file.stat().st_size if index_file.exists() else 0
        catalog_bytes = sum(p.stat().st_size for p in self.directory.glob("catalog.sqlite*") if p.is_file())
        return LibraryStatus(
            directory=self.directory,
            model_key=self.model.key,
            model_id=self.model_id,
            folders=folders,
            photos=stats.photos,
            embedded=stats.embedded,
            pending=stats.pending,
            skipped=stats.skipped,
            skip_reasons=self.catalog.skip_reasons(),
            duplicates=self.catalog.duplicate_count(),
            other_models={m: n for m, n in stats.models.items() if m != self.model_id},
            catalog_bytes=catalog_bytes,
            index_bytes=index_bytes,
            switch=self.model_switch(),
        )


def _resolved_folders(photo_filter: PhotoFilter) -> PhotoFilter:
    """Folder filters as the catalog stores paths: absolute, symlinks resolved."""
    if not photo_filter.folders:
        return photo_filter
    return replace(photo_filter, folders=tuple(Path(f).expanduser().resolve() for f in photo_filter.folders))


def _normalised(vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norm = float(np.linalg.norm(vector))
    if norm < 1e-6:
        raise QueryError("The query and the example cancel out.")
    return vector / norm


class _ModelGuard:
    """Many calls may read the current model at once; a model flip waits for them and holds off new ones.

    Re-entrant for readers (a search inside auto-tagging), and a waiting flip blocks new
    readers so a busy search box cannot postpone it forever.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._flipping = False
        self._depth = threading.local()

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        depth: int = getattr(self._depth, "value", 0)
        if depth == 0:
            with self._condition:
                self._condition.wait_for(lambda: not self._flipping)
                self._readers += 1
        self._depth.value = depth + 1
        try:
            yield
        finally:
            self._depth.value = depth
            if depth == 0:
                with self._condition:
                    self._readers -= 1
                    self._condition.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._flipping)
            self._flipping = True
            self._condition.wait_for(lambda: self._readers == 0)
        try:
            yield
        finally:
            with self._condition:
                self._flipping = False
                self._condition.notify_all()
