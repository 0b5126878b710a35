"""The current model's HNSW index, kept in step with the catalog (which holds every vector).

Every stored batch commits to the catalog first and then updates the in-memory
index under this keeper's lock; the index file is saved now and then and at the
end. Each vector in the catalog carries a sequence number from a counter that
only grows; an index file records the number it reflects (`covers_seq`), and
before saving, the keeper brings in every vector written after that number that
it has not applied itself, whoever wrote it (another `photoclip index` while the
app runs). On first use the saved index is checked against the catalog (ids
present, vectors written after the number it covers) and repaired, or rebuilt
from the catalog's vectors when missing or damaged, so a crash costs at most the
batch in flight and never a wrong answer, even across processes.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import VECTOR_DTYPE, PhotoId
from photoclip.core.store.scenes import RecordedClips
from photoclip.core.vectors.entries import entry_changes_since, entry_count, entry_labels, entry_vectors
from photoclip.core.vectors.hnsw import VectorIndex
from photoclip.core.vectors.labels import SCENE_FLAG, labels_of, scene_labels, scene_range
from photoclip.core.vectors.saved import SavedVectors

SAVED_VECTORS_LIMIT = 300_000
"""Up to this many photos a search that finds no index loaded reads the saved vectors instead (exact, instant)."""

BACKGROUND_SAMPLE = 2048
"""Photos in the fixed random sample a query is scored against to find its typical score."""

_CATALOG_CHUNK = 20_000


class VectorKeeper:
    """Loads, repairs, updates and saves the index of one model at a time (the library's current one).

    Args:
        save_seconds: how often a stream of additions saves the index (a crash loses no
            data either way; this bounds the repair work at the next start).
    """

    def __init__(self, catalog: Catalog, directory: Path, model_id: str, *, save_seconds: float = 120.0) -> None:
        self.catalog = catalog
        self.directory = directory
        self.model_id = model_id
        self.save_seconds = save_seconds
        self.repairs: list[str] = []  # what loading had to fix, for `photoclip doctor` and the tests
        self._index: VectorIndex | None = None
        self._saved: SavedVectors | None = None
        self._background: tuple[int, npt.NDArray[np.float32]] | None = None
        self._lock = threading.RLock()
        self._last_save = time.monotonic()
        self._applied: set[int] = set()  # sequence numbers applied here since the index last caught up

    def index(self, dim: int | None = None) -> VectorIndex | None:
        """The index, loaded and repaired on first use; None while nothing is embedded (and no `dim` given)."""
        with self._lock:
            if self._index is None:
                self._index = self._load(dim)
            return self._index

    def searchable(self) -> VectorIndex | SavedVectors | None:
        """What a search reads: the index when it is loaded; before that, the vectors saved beside it (mapped
        from disk, searched exactly) while they match the catalog; else the index, loaded now.

        A one-off command thereby answers without building the graph; a long-lived process loads
        the index once (`index`) and uses it from then on.
        """
        with self._lock:
            if self._index is not None:
                return self._index
            if self._saved is None:
                self._saved = self._open_saved()
            if self._saved is not None:
                return self._saved
        return self.index()

    def _open_saved(self) -> SavedVectors | None:
        dim = self.catalog.embedding_dim(self.model_id)
        if dim is None:
            return None
        saved = SavedVectors.open(self.directory, model_id=self.model_id, dim=dim)
        if saved is None or len(saved) > SAVED_VECTORS_LIMIT:
            return None
        _, written, _ = entry_changes_since(self.catalog, self.model_id, saved.covers_seq)
        if len(written) or entry_count(self.catalog, self.model_id) != len(saved):
            return None  # the catalog moved on since the save: the index repairs itself when it loads
        return saved

    def _load(self, dim: int | None) -> VectorIndex | None:
        dim = self.catalog.embedding_dim(self.model_id) or dim
        if dim is None:
            return None
        index = VectorIndex.load(self.directory, model_id=self.model_id, dim=dim)
        counter = self.catalog.vector_seq()
        catalog_ids = entry_labels(self.catalog, self.model_id)
        if index is None:
            index = VectorIndex(dim, model_id=self.model_id, capacity=max(1024, int(len(catalog_ids) * 1.25)))
            self._add_from_catalog(index, catalog_ids)
            index.covers_seq = counter
            self._index = index
            self._applied.clear()
            if len(catalog_ids):
                self.repairs.append(f"rebuilt the index from {len(catalog_ids)} stored vectors")
                self._save_locked()
            return index
        present = index.ids()
        missing = np.setdiff1d(catalog_ids, present)
        extra = np.setdiff1d(present, catalog_ids)
        if index.covers_seq is not None:
            _, rewritten, _ = entry_changes_since(self.catalog, self.model_id, index.covers_seq)
        else:  # saved by a version without sequence numbers: trust its save time instead
            saved_at = float(self.catalog.get_meta(f"index_saved_at:{self.model_id}") or 0.0)
            rewritten = self.catalog.embedding_ids_since(self.model_id, saved_at)
        index.covers_seq = max(counter, index.covers_seq or 0)
        self._applied.clear()
        refresh = np.union1d(missing, rewritten)
        if len(refresh):
            self._add_from_catalog(index, refresh)
        if len(extra):
            index.remove(extra)
        self._index = index
        if len(refresh) or len(extra):
            self.repairs.append(f"repaired the index: {len(refresh)} vectors added or refreshed, {len(extra)} removed")
            self._save_locked()
        return index

    def _add_from_catalog(self, index: VectorIndex, ids: npt.NDArray[np.int64]) -> None:
        for start in range(0, len(ids), _CATALOG_CHUNK):
            chunk_ids, vectors = entry_vectors(self.catalog, self.model_id, ids[start : start + _CATALOG_CHUNK])
            if len(chunk_ids):
                index.add(chunk_ids, vectors)

    # -- changes ------------------------------------------------------------------------------

    def locked(self) -> contextlib.AbstractContextManager[object]:
        """Hold off saves while a batch commits to the catalog and then to the index.

        A save in between would record the catalog's vector as covered while the
        index still lacks it, and the next start would not repair it.
        """
        return self._lock

    def add(self, ids: Sequence[PhotoId], vectors: Sequence[npt.NDArray[np.float32]], seq: int | None) -> None:
        """Vectors just committed to the catalog under `seq` (rounded as the catalog stores them).

        Saves now and then (`save_seconds`).
        """
        with self._lock:
            self._saved = None
            if ids and self._index is not None:
                matrix = np.stack(list(vectors)).astype(VECTOR_DTYPE).astype(np.float32)
                self._index.add(np.asarray(ids, dtype=np.int64), matrix)
                if seq is not None:
                    self._applied.add(seq)
            if time.monotonic() - self._last_save > self.save_seconds:
                self._save_locked()

    def add_scenes(self, recorded: RecordedClips) -> None:
        """Video scenes just committed to the catalog (see `SceneStore.record`): a fresh start replaces them all."""
        with self._lock:
            index = self._index
            if index is None or not recorded.scenes:
                return
            labels: list[npt.NDArray[np.int64]] = []
            vectors = []
            for photo_id, scenes in recorded.scenes.items():
                new = scene_labels(np.full(len(scenes), photo_id), [s.index for s in scenes])
                if photo_id in recorded.replaced:
                    low, high = scene_range(photo_id)
                    present = index.ids()
                    old = present[(present >= low) & (present < high)]
                    index.remove(np.setdiff1d(old, new))
                labels.append(new)
                vectors += [s.vector for s in scenes]
            if vectors:
                matrix = np.stack(vectors).astype(VECTOR_DTYPE).astype(np.float32)
                index.add(np.concatenate(labels), matrix)
                if recorded.seq is not None:
                    self._applied.add(recorded.seq)
            if time.monotonic() - self._last_save > self.save_seconds:
                self._save_locked()

    def remove(self, ids: Sequence[int]) -> None:
        """Photos and videos gone (or unreadable): their entries leave the index, a video's scenes with it."""
        if not ids:
            return
        with self._lock:
            self._saved = None
            if self._index is not None:
                self._index.remove(self.labels_of(ids))

    def labels_of(self, photo_ids: Sequence[int] | npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The labels the index holds for these photos and videos (a video's are its scenes')."""
        with self._lock:
            held = self._index if self._index is not None else self._saved  # what `searchable` gives
            if held is None:
                return np.zeros(0, dtype=np.int64)
            present = held.ids()
        ids = np.asarray(photo_ids, dtype=np.int64).reshape(-1)
        if present.size and present[-1] < SCENE_FLAG:  # no videos: labels are photo ids
            kept: npt.NDArray[np.int64] = ids[np.isin(ids, present)]
            return kept
        return labels_of(ids, present)

    def save(self) -> None:
        """Write the index file if one is loaded (atomically)."""
        with self._lock:
            self._save_locked()

    def _save_locked(self) -> None:
        if self._index is None:
            return
        self._catch_up(self._index)
        self._index.save(self.directory)
        self._last_save = time.monotonic()

    def _catch_up(self, index: VectorIndex) -> None:
        """Bring in every vector written after the number the index covers that it does not have yet.

        Vectors this process wrote are in already (`_applied`); others, written by another
        process meanwhile, are read from the catalog. Then the index covers the counter as it
        was in that same snapshot: a save can never claim vectors it has not seen.
        """
        counter, ids, seqs = entry_changes_since(self.catalog, self.model_id, index.covers_seq or 0)
        mine = self._applied
        foreign = np.array([i for i, s in zip(ids.tolist(), seqs, strict=True) if s not in mine], dtype=np.int64)
        if len(foreign):
            self._add_from_catalog(index, foreign)
            self._background = None
        index.covers_seq = counter
        self._applied.clear()

    def switch_to(self, model_id: str) -> None:
        """Save and drop the current index; the next use loads `model_id`'s."""
        with self._lock:
            self._save_locked()
            self._index, self._background, self._saved = None, None, None
            self.model_id = model_id

    def rebuild(self) -> int:
        """Throw the saved index away and build it again from the catalog; returns how many vectors it holds."""
        with self._lock:
            self._index, self._background, self._saved = None, None, None
            self.drop_files(self.model_id)
            index = self.index()
            return 0 if index is None else len(index)

    def drop_files(self, model_id: str) -> None:
        """Delete another model's index files (its vectors are being deleted)."""
        for path in (*VectorIndex.files(self.directory, model_id), *VectorIndex.vector_files(self.directory, model_id)):
            path.unlink(missing_ok=True)

    def file_bytes(self) -> int:
        index_file, _manifest = VectorIndex.files(self.directory, self.model_id)
        files = (index_file, *VectorIndex.vector_files(self.directory, self.model_id))
        return sum(path.stat().st_size for path in files if path.exists())

    # -- reading ------------------------------------------------------------------------------

    def background_scores(
        self, index: VectorIndex | SavedVectors, vector: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """Scores of a query against a fixed random sample of the library (the typical score's basis)."""
        with self._lock:
            if self._background is None or abs(self._background[0] - len(index)) > 0.1 * self._background[0]:
                ids = index.ids()
                rng = np.random.default_rng(0)
                sample = rng.choice(ids, size=min(len(ids), BACKGROUND_SAMPLE), replace=False)
                self._background = (len(index), index.vectors(sample))
            matrix = self._background[1]
        scores: npt.NDArray[np.float32] = matrix @ vector
        return scores


STALE_COSINE = 0.999
"""A saved vector this far from the catalog's (which is float16: ~1e-4 apart at most) is stale."""


@dataclass(frozen=True)
class IndexDifferences:
    missing: int  # in the catalog, not in the index
    extra: int  # in the index, not in the catalog
    stale: int  # in both, but the index holds another vector

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.stale)

    def __str__(self) -> str:
        parts = [f"{self.missing} missing", f"{self.extra} extra", f"{self.stale} stale"]
        return ", ".join(p for p in parts if not p.startswith("0 ")) or "none"


def index_differences(catalog: Catalog, index: VectorIndex, model_id: str) -> IndexDifferences:
    """Compare an index with the catalog label by label and vector by vector (chunked: memory stays small)."""
    catalog_ids = entry_labels(catalog, model_id)
    present = index.ids()
    common = np.intersect1d(catalog_ids, present)
    stale = 0
    for start in range(0, len(common), _CATALOG_CHUNK):
        ids, stored = entry_vectors(catalog, model_id, common[start : start + _CATALOG_CHUNK])
        if not len(ids):
            continue
        norms = np.linalg.norm(stored, axis=1, keepdims=True)
        cosine = ((stored / np.maximum(norms, 1e-12)) * index.vectors(ids)).sum(axis=1)
        stale += int((cosine < STALE_COSINE).sum())
    return IndexDifferences(
        missing=len(np.setdiff1d(catalog_ids, present)), extra=len(np.setdiff1d(present, catalog_ids)), stale=stale
    )
