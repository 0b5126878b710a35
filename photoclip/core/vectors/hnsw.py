"""Nearest-neighbour search over photo embeddings: a rebuildable hnswlib cache in front of the catalog.

The SQLite catalog is the source of truth for embeddings; this index only exists so that a
search does not have to scan every vector. Anything here can therefore be thrown away and
rebuilt, which is why :meth:`VectorIndex.load` answers ``None`` rather than raising for a file
it does not trust: the caller's remedy is always the same (rebuild from the catalog).

Notes on hnswlib 0.8.0 that shape the code below (each was checked against the library):

* ``add_items`` with a label that is already live updates that element in place.
* With ``allow_replace_deleted=True``, ``add_items`` refuses a label that is marked deleted
  ("Can't use addPoint to update deleted elements ...") unless ``replace_deleted=True``.
* ``replace_deleted=True`` takes *any* vacant (deleted) slot, whatever the label: given a
  label that is still live it leaves the old element in the graph too, so the label comes
  back twice from ``knn_query``; given a deleted label it may take another label's slot and
  leave a stale entry behind that later drops the label from the lookup table. So here
  ``replace_deleted=True`` is only ever used for labels hnswlib has never seen, and a deleted
  label is brought back with ``unmark_deleted`` plus an in-place update of its own slot.
* ``get_items`` on a deleted label raises "Label not found", exactly as for an unknown one;
  ``get_ids_list`` still lists deleted labels. The live set is therefore tracked here, and the
  labels still held as deleted are written to the manifest so a loaded index knows them.
* ``knn_query`` raises ``RuntimeError`` when it finds fewer than ``k`` results (empty index,
  ``k`` above the live count, or a ``filter=`` admitting fewer than ``k``); the filter
  callback receives the label as a Python ``int``.
* ``load_index`` trusts the file: it will "load" a file written with another ``dim`` and it
  can crash the process on a damaged one, so the manifest is checked first.
* A NaN component poisons distances, so non-finite vectors are refused on the way in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import hnswlib
import numpy as np
import numpy.typing as npt

from photoclip.core.util.atomic import atomic_path, disk_full, write_bytes_atomic
from photoclip.core.vectors.exact import Hit, allowed_ids, exact_search, unit_query

__all__ = ["EXACT_THRESHOLD", "FORMAT_VERSION", "Hit", "PhotoIdArray", "VectorIndex"]

logger = logging.getLogger(__name__)

PhotoIdArray = npt.NDArray[np.int64]
FloatMatrix = npt.NDArray[np.float32]

#: Below this many candidates a brute-force matrix product is both exact and about as fast as HNSW.
EXACT_THRESHOLD = 20_000
#: A filter admitting less than this share of the index makes HNSW walk most of the graph anyway.
_MAX_FILTERED_EF = 2048
#: Candidates (a filter's) up to this share of the index are ranked exactly: the product over their rows
#: costs less than the wider beam a filtered graph walk needs (10% of 100,000: ~3 ms against 45 ms).
_EXACT_FILTERED_SHARE = 8
FORMAT_VERSION = 2
#: Versions a saved index may have: version 1 had no vectors file (its vectors are read from hnswlib once).
_READABLE_FORMATS = (1, 2)
_CHUNK_ROWS = 4096
_EXACT_QUERY_ROWS = 512
#: Neighbours of every photo: brute force costs n^2 dot products, HNSW n log n (measured at 20k: 17 s vs 2 s).
_EXACT_NEIGHBOURS_MAX = 4096
#: Far above float32 rounding of a unit-vector dot product; only widens the set that gets rescored.
_RESCORE_SLACK = 1e-4
#: Random planes whose signs order a batch of neighbour queries (4096 codes: ~25 photos a code at 100k).
_ORDER_BITS = 12
_HASH_CHUNK = 1 << 20
_MAX_SAFE_STEM = 80
_SAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]")


class VectorIndex:
    """One index per model id; hnswlib labels are photo ids (int64 >= 1).

    Every public method takes one lock: hnswlib's ``resize_index`` must not race with anything,
    and searches are short enough that serialising them costs nothing noticeable.
    """

    model_id: str
    dim: int
    ef_search: int

    def __init__(
        self,
        dim: int,
        *,
        model_id: str,
        capacity: int = 1024,
        m: int = 16,
        ef_construction: int = 200,
        ef_search: int = 128,
    ) -> None:
        _check_params(dim, model_id, capacity, m, ef_construction, ef_search)
        raw: Any = hnswlib.Index(space="cosine", dim=dim)
        raw.init_index(max_elements=capacity, M=m, ef_construction=ef_construction, allow_replace_deleted=True)
        self._setup(raw, dim=dim, model_id=model_id, m=m, ef_construction=ef_construction, ef_search=ef_search)

    def _setup(
        self,
        raw: Any,
        *,
        dim: int,
        model_id: str,
        m: int,
        ef_construction: int,
        ef_search: int,
        live: Iterable[int] = (),
        deleted: Iterable[int] = (),
    ) -> None:
        # Shared by __init__ and load so that loading never allocates a throwaway empty index.
        self._lock = threading.Lock()
        self._raw = raw
        self.dim = dim
        self.model_id = model_id
        self._m = m
        self._ef_construction = ef_construction
        self.ef_search = ef_search
        self._live: set[int] = set(live)
        # Labels hnswlib still holds as deleted; their slots are the ones replace_deleted reuses.
        self._deleted: set[int] = set(deleted)
        self._sorted: PhotoIdArray | None = None
        self._sorted_rows: npt.NDArray[np.intp] | None = None
        # Every live vector also sits in this matrix (unit length, as hnswlib keeps it): hnswlib hands its
        # own copies out at ~30 us each, far too slow for exact products and saving. Rows are reused.
        self._store: FloatMatrix = np.empty((0, dim), dtype=np.float32)
        self._row_of: dict[int, int] = {}
        self._free_rows: list[int] = []
        # the catalog's vector sequence number this index reflects (see vectors.keeper); None when unknown
        self.covers_seq: int | None = None

    # ------------------------------------------------------------------ introspection

    def __len__(self) -> int:
        with self._lock:
            return len(self._live)

    def __contains__(self, photo_id: object) -> bool:
        if isinstance(photo_id, bool) or not isinstance(photo_id, int | np.integer):
            return False
        with self._lock:
            return int(photo_id) in self._live

    def __repr__(self) -> str:
        return f"VectorIndex(model_id={self.model_id!r}, dim={self.dim}, count={len(self)}, capacity={self.capacity})"

    @property
    def capacity(self) -> int:
        """Slots allocated in hnswlib, so tests and diagnostics can see growth and slot reuse."""
        with self._lock:
            return int(self._raw.get_max_elements())

    def ids(self) -> PhotoIdArray:
        """Live ids, sorted; a copy, so callers may keep or modify it."""
        with self._lock:
            return self._sorted_ids().copy()

    # ------------------------------------------------------------------ mutation

    def add(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Upsert; within one call a repeated id keeps its last vector, as a sequence of calls would."""
        id_arr = _as_ids(ids)
        vec = np.asarray(vectors, dtype=np.float32)
        if id_arr.size == 0 and vec.size == 0:
            return
        if vec.ndim != 2 or vec.shape[1] != self.dim:
            raise ValueError(f"vectors must have shape (n, {self.dim}), got {vec.shape}")
        if vec.shape[0] != id_arr.size:
            raise ValueError(f"got {id_arr.size} ids for {vec.shape[0]} vectors")
        if not np.isfinite(vec).all():
            raise ValueError("vectors contain NaN or infinity")
        # Last occurrence wins: unique over the reversed array gives each id's last position.
        _, first_in_reversed = np.unique(id_arr[::-1], return_index=True)
        keep = np.sort(id_arr.size - 1 - first_in_reversed)
        id_arr, vec = id_arr[keep], np.ascontiguousarray(vec[keep])

        norms = np.linalg.norm(vec, axis=1, keepdims=True)
        unit = (vec / np.where(norms == 0.0, 1.0, norms)).astype(np.float32)  # what hnswlib keeps in cosine space
        with self._lock:
            self._put_rows(id_arr, unit)
            in_place = np.fromiter(
                (i in self._live or i in self._deleted for i in id_arr.tolist()), dtype=bool, count=id_arr.size
            )
            self._invalidate()
            if in_place.any():
                labels = id_arr[in_place]
                for label in labels.tolist():
                    if label in self._deleted:
                        # Own slot back, then update it in place (see module notes).
                        self._raw.unmark_deleted(label)
                        self._deleted.discard(label)
                self._raw.add_items(vec[in_place], labels)
                self._live.update(labels.tolist())
            new = ~in_place
            if new.any():
                self._add_new(id_arr[new], vec[new])

    def _put_rows(self, labels: PhotoIdArray, unit: FloatMatrix) -> None:
        rows = np.empty(labels.size, dtype=np.intp)
        for n, label in enumerate(labels.tolist()):
            row = self._row_of.get(label)
            if row is None:
                row = self._free_rows.pop() if self._free_rows else len(self._row_of) + len(self._free_rows)
                self._row_of[label] = row
            rows[n] = row
        needed = int(rows.max()) + 1 if rows.size else 0
        if needed > self._store.shape[0]:
            grown = np.empty((max(needed, 2 * self._store.shape[0], 1024), self.dim), dtype=np.float32)
            grown[: self._store.shape[0]] = self._store
            self._store = grown
        self._store[rows] = unit

    def _add_new(self, labels: PhotoIdArray, vec: FloatMatrix) -> None:
        vacant = len(self._deleted)
        slots = int(self._raw.get_current_count())
        needed = slots + max(0, labels.size - vacant)
        capacity = int(self._raw.get_max_elements())
        if needed > capacity:
            while capacity < needed:
                capacity *= 2
            self._raw.resize_index(capacity)
        self._raw.add_items(vec, labels, replace_deleted=vacant > 0)
        self._live.update(labels.tolist())
        if vacant:
            if labels.size >= vacant:
                self._deleted.clear()
            else:
                # hnswlib chose which deleted slots to reuse; ask it which labels survived.
                self._deleted.intersection_update(int(x) for x in self._raw.get_ids_list())

    def remove(self, ids: npt.ArrayLike) -> None:
        """Hide ids from search; their slots are reused by later additions of new ids."""
        id_arr = np.asarray(ids).reshape(-1)
        if id_arr.size == 0:
            return
        if id_arr.dtype.kind not in "iu":
            raise ValueError(f"photo ids must be integers, got dtype {id_arr.dtype}")
        with self._lock:
            gone = [i for i in set(id_arr.tolist()) if i in self._live]
            if not gone:
                return
            self._invalidate()
            for label in gone:
                self._raw.mark_deleted(label)
                self._live.discard(label)
                self._deleted.add(label)
                self._free_rows.append(self._row_of.pop(label))

    # ------------------------------------------------------------------ reading

    def vectors(self, ids: npt.ArrayLike) -> FloatMatrix:
        """Stored vectors, unit length because hnswlib normalises on insert in cosine space."""
        id_arr = _as_ids(ids)
        with self._lock:
            return self._vectors(id_arr)

    def _vectors(self, id_arr: PhotoIdArray) -> FloatMatrix:
        missing = [i for i in id_arr.tolist() if i not in self._live]
        if missing:
            raise KeyError(f"photo ids not in the index: {missing[:10]}")
        rows = np.fromiter((self._row_of[i] for i in id_arr.tolist()), dtype=np.intp, count=id_arr.size)
        return self._store[rows]

    def search(
        self,
        query: npt.ArrayLike,
        k: int,
        *,
        allowed: npt.ArrayLike | None = None,
        exact: bool | None = None,
    ) -> list[Hit]:
        """Best ``k`` matches; exact when that is cheap (a small index, or a filter admitting few photos)."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        q = unit_query(query, self.dim)
        with self._lock:
            total = len(self._live)
            if k == 0 or total == 0:
                return []
            candidates: PhotoIdArray | None = None
            if allowed is not None:
                candidates = allowed_ids(allowed, self._sorted_ids())
                if candidates.size == 0:
                    return []
            n = total if candidates is None else candidates.size
            if exact is None:
                # a product over n rows against a graph walk whose beam must widen by total/n to find
                # as many allowed photos (measured: 10,000 allowed of 100,000 take ~3 ms exact, 45 ms by HNSW)
                exact = total <= EXACT_THRESHOLD or n <= max(EXACT_THRESHOLD, total // _EXACT_FILTERED_SHARE)
            if not exact:
                hits = self._search_hnsw(q, min(k, n), n, candidates, total)
                if hits is not None:
                    return hits
                logger.debug("HNSW returned fewer than k results; falling back to exact search")
            return self._search_exact(q, k, candidates)

    def neighbours(
        self, ids: npt.ArrayLike, k: int, *, ef: int = 32, queries: FloatMatrix | None = None
    ) -> tuple[PhotoIdArray, npt.NDArray[np.float32]]:
        """The ``k`` nearest stored photos of each of these stored photos (itself among them), in one batch.

        Returns (labels, scores), both shaped (len(ids), k'), k' = min(k, live count); a row that
        HNSW answers with fewer than k' photos is padded with label -1 and score -inf. Grouping near-
        duplicates asks this for a whole library: a small index answers exactly from its matrix, a
        large one through hnswlib's threaded batch query, a chunk at a time so searches are not held
        up for long. Near copies are each other's very nearest, so a narrow beam (`ef`) finds them.

        A photo that has left the index meanwhile (grouping runs while the app trashes photos) gets
        no neighbours: its row stays -1 / -inf.

        Args:
            queries: the photos' vectors when the caller has them; unit length, in the order of `ids`.
        """
        id_arr = _as_ids(ids)
        with self._lock:
            k = min(k, len(self._live))
        labels = np.full((id_arr.size, k), -1, dtype=np.int64)
        scores = np.full((id_arr.size, k), -np.inf, dtype=np.float32)
        if k == 0:
            return labels, scores
        with self._lock:
            exact = len(self._live) <= _EXACT_NEIGHBOURS_MAX
        step = _EXACT_QUERY_ROWS if exact else _CHUNK_ROWS  # exact: a (step x live) score matrix per chunk
        order = np.arange(id_arr.size) if exact else self._near_first(id_arr, queries)
        for start in range(0, id_arr.size, step):
            at = order[start : start + step]
            with self._lock:
                if queries is None:
                    live, rows = self._live_vectors(id_arr[at])
                    at = at[live]
                else:
                    rows = queries[at]
                if not at.size or not self._live:
                    continue
                if exact and len(self._live) <= _EXACT_NEIGHBOURS_MAX:
                    found, near = self._neighbours_exact(rows, k)
                else:
                    found, near = self._neighbours_hnsw(rows, k, ef)
            labels[at] = found
            scores[at] = near
        return labels, scores

    def _near_first(self, ids: PhotoIdArray, queries: FloatMatrix | None) -> npt.NDArray[np.intp]:
        """An order of the queries that puts similar photos next to each other (their signs against
        `_ORDER_BITS` fixed random planes): consecutive HNSW walks then visit the same nodes while they
        are still in the CPU's cache, ~20% less time at 100k photos. Each walk's answer does not depend
        on the order."""
        planes = np.random.default_rng(0).normal(size=(self.dim, _ORDER_BITS)).astype(np.float32)
        weights = 1 << np.arange(_ORDER_BITS, dtype=np.int64)
        codes = np.empty(ids.size, dtype=np.int64)
        for start in range(0, ids.size, _CHUNK_ROWS):
            span = slice(start, start + _CHUNK_ROWS)
            if queries is None:
                with self._lock:
                    live, rows = self._live_vectors(ids[span])
            else:
                live, rows = np.ones(len(ids[span]), dtype=bool), queries[span]
            chunk = np.zeros(live.size, dtype=np.int64)
            chunk[live] = ((rows @ planes) > 0).astype(np.int64) @ weights
            codes[span] = chunk
        order: npt.NDArray[np.intp] = np.argsort(codes, kind="stable")
        return order

    def pair_scores(self, left: npt.ArrayLike, right: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Cosine of each pair of stored photos (left[n], right[n]), a chunk of pairs at a time (never every
        pair's two vectors at once); -inf for a pair with a photo no longer in the index."""
        left_ids, right_ids = _as_ids(left), _as_ids(right)
        if left_ids.size != right_ids.size:
            raise ValueError(f"got {left_ids.size} photos on the left for {right_ids.size} on the right")
        scores = np.full(left_ids.size, -np.inf, dtype=np.float32)
        for start in range(0, left_ids.size, _CHUNK_ROWS):
            span = slice(start, start + _CHUNK_ROWS)
            with self._lock:
                left_live, left_rows = self._live_vectors(left_ids[span])
                right_live, right_rows = self._live_vectors(right_ids[span])
            both = left_live & right_live
            chunk = scores[span]
            chunk[both] = np.einsum("ij,ij->i", left_rows[both[left_live]], right_rows[both[right_live]])
        return scores

    def _live_vectors(self, id_arr: PhotoIdArray) -> tuple[npt.NDArray[np.bool_], FloatMatrix]:
        """Which of these ids are in the index, and their vectors (in order, those only)."""
        live = np.fromiter((i in self._live for i in id_arr.tolist()), dtype=bool, count=id_arr.size)
        return live, self._vectors(id_arr[live])

    def _neighbours_exact(self, queries: FloatMatrix, k: int) -> tuple[PhotoIdArray, npt.NDArray[np.float32]]:
        ids = self._sorted_ids()
        matrix = self._store[self._sorted_row_positions()]
        similarity = queries @ matrix.T
        if k < ids.size:
            top = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        else:
            top = np.tile(np.arange(ids.size), (len(queries), 1))
        picked = np.take_along_axis(similarity, top, axis=1)
        order = np.argsort(-picked, axis=1, kind="stable")
        return ids[np.take_along_axis(top, order, axis=1)], np.take_along_axis(picked, order, axis=1)

    def _neighbours_hnsw(self, queries: FloatMatrix, k: int, ef: int) -> tuple[PhotoIdArray, npt.NDArray[np.float32]]:
        labels = np.full((len(queries), k), -1, dtype=np.int64)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        self._raw.set_ef(max(ef, k))
        try:
            found, distances = self._raw.knn_query(queries, k=k)
            labels[:], scores[:] = found, 1.0 - distances
        except RuntimeError:  # a row found fewer than k (a graph with unreachable parts): ask row by row
            for row, query in enumerate(queries):
                for fetch in (k, k // 2, 1):
                    try:
                        found, distances = self._raw.knn_query(query, k=fetch, num_threads=1)
                    except RuntimeError:
                        continue
                    labels[row, :fetch], scores[row, :fetch] = found[0], 1.0 - distances[0]
                    break
        finally:
            self._raw.set_ef(self.ef_search)
        return labels, scores

    def _search_hnsw(
        self, q: FloatMatrix, k: int, n: int, candidates: PhotoIdArray | None, total: int
    ) -> list[Hit] | None:
        filt: Callable[[int], bool] | None = None
        ef_floor = self.ef_search
        if candidates is not None:
            filt = set(candidates.tolist()).__contains__
            # a filter passing 1 node in 10 needs a ~10x wider beam to find as many good ones
            ef_floor = min(_MAX_FILTERED_EF, int(self.ef_search * total / max(n, 1)))
        # hnswlib returns an arbitrary member of a tie group cut by k (duplicate photos are common),
        # so fetch more until the group at the boundary ends before the last result.
        fetch = min(n, k + max(8, k // 4))
        while True:
            self._raw.set_ef(max(ef_floor, fetch))
            try:
                labels, distances = self._raw.knn_query(q, k=fetch, num_threads=1, filter=filt)
            except RuntimeError:
                return None
            hits = [Hit(int(i), 1.0 - float(d)) for i, d in zip(labels[0].tolist(), distances[0].tolist(), strict=True)]
            hits.sort(key=lambda h: (-h.score, h.photo_id))
            if fetch >= n or hits[k - 1].score > hits[-1].score:
                return hits[:k]
            fetch = min(n, fetch * 2)

    def _search_exact(self, q: FloatMatrix, k: int, candidates: PhotoIdArray | None) -> list[Hit]:
        ids = self._sorted_ids() if candidates is None else candidates
        rows = self._sorted_row_positions()
        if candidates is not None:  # sorted, and every one present (see `allowed_ids`)
            rows = rows[np.searchsorted(self._sorted_ids(), candidates)]
        store = self._store
        return exact_search(q, k, ids, lambda span: store[rows[span]])

    def _sorted_row_positions(self) -> npt.NDArray[np.intp]:
        if self._sorted_rows is None:
            ids = self._sorted_ids()
            self._sorted_rows = np.fromiter((self._row_of[i] for i in ids.tolist()), dtype=np.intp, count=ids.size)
        return self._sorted_rows

    def _sorted_ids(self) -> PhotoIdArray:
        if self._sorted is None:
            self._sorted = np.array(sorted(self._live), dtype=np.int64)
        return self._sorted

    def _invalidate(self) -> None:
        self._sorted = None
        self._sorted_rows = None

    # ------------------------------------------------------------------ persistence

    @staticmethod
    def files(directory: Path, model_id: str) -> tuple[Path, Path]:
        """Where one model's index lives, so callers can delete it and tests can damage it."""
        stem = _safe_name(model_id)
        return Path(directory) / f"{stem}.hnsw", Path(directory) / f"{stem}.json"

    @staticmethod
    def vector_files(directory: Path, model_id: str) -> tuple[Path, Path]:
        """The saved vectors (float32, unit length, ordered by photo id) and their ids: ``.npy`` files that a
        one-off search memory-maps instead of loading the graph (`saved.SavedVectors`)."""
        stem = _safe_name(model_id)
        return Path(directory) / f"{stem}.vectors.npy", Path(directory) / f"{stem}.ids.npy"

    def save(self, directory: Path) -> None:
        """Write index then manifest, each atomically, so a crash leaves the old pair or a detectable mismatch.

        The manifest carries `covers_seq`, so the file and the catalog state it reflects can
        never be paired wrongly (two processes saving in turn each write a consistent pair).
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        index_path, manifest_path = self.files(directory, self.model_id)
        with self._lock:
            least = self._least_file_bytes()
            if shutil.disk_usage(directory).free < least * 1.2 + (1 << 20):
                raise disk_full(index_path)
            with atomic_path(index_path) as tmp_index:
                self._raw.save_index(str(tmp_index))
                file_bytes, digest = _size_and_hash(tmp_index)
                if file_bytes < least:  # hnswlib writes a short file without a word when the disk fills up
                    raise disk_full(index_path)
            vectors_bytes = self._save_vectors(directory)
            manifest = {
                "format": FORMAT_VERSION,
                "model_id": self.model_id,
                "dim": self.dim,
                "count": len(self._live),
                "capacity": int(self._raw.get_max_elements()),
                "m": self._m,
                "ef_construction": self._ef_construction,
                "file_bytes": file_bytes,
                "file_blake2b": digest,
                # hnswlib cannot tell which of its labels are deleted; this list can.
                "deleted": sorted(self._deleted),
                "covers_seq": self.covers_seq,
                "vectors_bytes": vectors_bytes,
            }
        write_bytes_atomic(manifest_path, json.dumps(manifest, indent=1).encode("utf-8"))

    def _save_vectors(self, directory: Path) -> list[int]:
        """Write the live vectors and their ids (sorted) as ``.npy`` files; returns their sizes."""
        sizes = []
        arrays: tuple[npt.NDArray[Any], npt.NDArray[Any]] = (
            self._store[self._sorted_row_positions()],
            self._sorted_ids(),
        )
        for path, array in zip(self.vector_files(directory, self.model_id), arrays, strict=True):
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as f:
                    np.save(f, array, allow_pickle=False)
                sizes.append(tmp.stat().st_size)
                if sizes[-1] < array.nbytes:
                    raise disk_full(path)
        return sizes

    def _least_file_bytes(self) -> int:
        """What hnswlib's file takes at least: every slot's level-0 links, vector, label and link count."""
        per_slot = (2 * self._m * 4 + 4) + self.dim * 4 + 8 + 4
        return int(self._raw.get_current_count()) * per_slot

    @classmethod
    def load(cls, directory: Path, *, model_id: str, dim: int) -> VectorIndex | None:
        """The saved index if every check passes; ``None`` (logged) tells the caller to rebuild."""
        index_path, manifest_path = cls.files(Path(directory), model_id)
        try:
            return cls._load(index_path, manifest_path, model_id=model_id, dim=dim)
        except _Reject as why:
            logger.info("Not using saved index for %s (%s): %s", model_id, index_path, why)
            return None

    @classmethod
    def _load(cls, index_path: Path, manifest_path: Path, *, model_id: str, dim: int) -> VectorIndex:  # noqa: C901 - every check a saved index must pass before hnswlib may read it, in order
        if not index_path.is_file() or not manifest_path.is_file():
            raise _Reject("index or manifest file is missing")
        try:
            manifest = json.loads(manifest_path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise _Reject(f"manifest unreadable: {exc}") from exc
        if not isinstance(manifest, dict):
            raise _Reject("manifest is not a JSON object")
        if manifest.get("format") not in _READABLE_FORMATS:
            raise _Reject(f"unsupported format {manifest.get('format')!r}")
        if manifest.get("model_id") != model_id:
            raise _Reject(f"manifest is for model {manifest.get('model_id')!r}")
        count, file_bytes = _get_int(manifest, "count", 0), _get_int(manifest, "file_bytes", 1)
        capacity, m = _get_int(manifest, "capacity", 1), _get_int(manifest, "m", 2)
        ef_construction = _get_int(manifest, "ef_construction", 1)
        if _get_int(manifest, "dim", 1) != dim:
            raise _Reject(f"manifest dim {manifest['dim']} differs from {dim}")
        digest = manifest.get("file_blake2b")
        deleted = manifest.get("deleted", [])
        if not isinstance(digest, str):
            raise _Reject("manifest has no file digest")
        if not isinstance(deleted, list) or not all(_is_label(x) for x in deleted):
            raise _Reject("manifest 'deleted' is not a list of photo ids")

        # hnswlib can crash the process on a damaged file, so nothing reaches it unverified.
        try:
            actual_bytes = index_path.stat().st_size
            if actual_bytes != file_bytes:
                raise _Reject(f"index file is {actual_bytes} bytes, manifest says {file_bytes}")
            if _hash_file(index_path) != digest:
                raise _Reject("index file digest differs from the manifest")
        except OSError as exc:
            raise _Reject(f"index file unreadable: {exc}") from exc

        raw: Any = hnswlib.Index(space="cosine", dim=dim)
        try:
            raw.load_index(str(index_path), max_elements=capacity, allow_replace_deleted=True)
            labels = [int(x) for x in raw.get_ids_list()]
            slots = int(raw.get_current_count())
        except Exception as exc:  # hnswlib raises bare RuntimeError (and worse) for bad files
            raise _Reject(f"hnswlib could not load the file: {exc}") from exc
        label_set = set(labels)
        deleted_set = set(deleted)
        live = label_set - deleted_set
        if (
            len(label_set) != slots
            or not deleted_set <= label_set
            or len(live) != count
            or not all(_is_label(x) for x in labels)
        ):
            raise _Reject("index contents disagree with the manifest")
        covers = manifest.get("covers_seq")
        obj = cls.__new__(cls)
        obj._setup(
            raw,
            dim=dim,
            model_id=model_id,
            m=m,
            ef_construction=ef_construction,
            ef_search=128,
            live=live,
            deleted=deleted_set,
        )
        obj.covers_seq = covers if isinstance(covers, int) and not isinstance(covers, bool) and covers >= 0 else None
        obj._load_vectors(index_path.parent, manifest)
        return obj

    def _load_vectors(self, directory: Path, manifest: dict[str, Any]) -> None:
        """Fill the row matrix from the saved vectors file, or (an older save, or that file damaged) from hnswlib."""
        ids = self._sorted_ids()
        vectors_file, ids_file = self.vector_files(directory, self.model_id)
        matrix: FloatMatrix | None = None
        try:
            sizes = manifest.get("vectors_bytes")
            if isinstance(sizes, list) and [vectors_file.stat().st_size, ids_file.stat().st_size] == sizes:
                saved_ids = np.load(ids_file, allow_pickle=False)
                saved = np.load(vectors_file, allow_pickle=False)
                if np.array_equal(saved_ids, ids) and saved.shape == (ids.size, self.dim) and saved.dtype == np.float32:
                    matrix = saved
        except (OSError, ValueError) as exc:
            logger.info("saved vectors of %s unreadable (%s); reading them from the index", self.model_id, exc)
        if matrix is None:
            matrix = np.empty((ids.size, self.dim), dtype=np.float32)
            for start in range(0, ids.size, _CHUNK_ROWS):
                chunk = ids[start : start + _CHUNK_ROWS]
                matrix[start : start + chunk.size] = np.asarray(self._raw.get_items(chunk), dtype=np.float32)
        self._store = np.ascontiguousarray(matrix)
        self._row_of = {label: row for row, label in enumerate(ids.tolist())}
        self._free_rows = []
        self._sorted_rows = np.arange(ids.size, dtype=np.intp)


class _Reject(Exception):
    """Why a saved index is not used; never escapes :meth:`VectorIndex.load`."""


def _check_params(dim: int, model_id: str, capacity: int, m: int, ef_construction: int, ef_search: int) -> None:
    if not model_id:
        raise ValueError("model_id must not be empty")
    for name, value, low in (
        ("dim", dim, 1),
        ("capacity", capacity, 1),
        ("m", m, 2),
        ("ef_construction", ef_construction, 1),
        ("ef_search", ef_search, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _as_ids(ids: npt.ArrayLike) -> PhotoIdArray:
    arr = np.asarray(ids).reshape(-1)
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"photo ids must be integers, got dtype {arr.dtype}")
    if arr.dtype.kind == "u" and arr.max() > np.iinfo(np.int64).max:
        raise ValueError("photo ids must fit in int64")
    out = arr.astype(np.int64)
    if out.min() < 1:
        raise ValueError("photo ids must be >= 1")
    return out


def _is_label(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= np.iinfo(np.int64).max


def _get_int(manifest: dict[str, Any], key: str, low: int) -> int:
    value = manifest.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _Reject(f"manifest field {key!r} is {value!r}")
    return value


def _safe_name(model_id: str) -> str:
    # The hash keeps ids apart that sanitise (or case-fold, on macOS/Windows) to the same stem.
    stem = _SAFE_CHARS.sub("_", model_id)[:_MAX_SAFE_STEM]
    tag = hashlib.blake2b(model_id.encode("utf-8"), digest_size=6).hexdigest()
    return f"{stem}-{tag}"


def _hash_file(path: Path) -> str:
    h = hashlib.blake2b()
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _size_and_hash(path: Path) -> tuple[int, str]:
    """Hash what is actually on disk: hnswlib wrote it, not us."""
    return path.stat().st_size, _hash_file(path)
