"""The saved vectors of an index, memory-mapped: what a one-off search reads instead of the graph.

Loading an HNSW index of 100,000 photos means reading and checking a 220 MB
file and building the graph in memory, half a second and as many megabytes
before the first answer. A command that asks one question does better with an
exact product over the vectors saved beside it (`VectorIndex.vector_files`):
the operating system pages them in as the product reads them, and the answer is
exact. The keeper uses them only while they match the catalog (`keeper`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt

from photoclip.core.vectors.exact import FloatMatrix, Hit, PhotoIdArray, allowed_ids, exact_search, unit_query
from photoclip.core.vectors.hnsw import FORMAT_VERSION, VectorIndex

log = logging.getLogger(__name__)


class SavedVectors:
    """Read-only exact search over a saved index's vectors, mapped from disk (see `open`)."""

    def __init__(self, model_id: str, ids: PhotoIdArray, matrix: FloatMatrix, covers_seq: int) -> None:
        self.model_id = model_id
        self.dim = int(matrix.shape[1])
        self.covers_seq = covers_seq
        self._ids = ids
        self._matrix = matrix

    @classmethod
    def open(cls, directory: Path, *, model_id: str, dim: int) -> SavedVectors | None:
        """The saved vectors when their manifest vouches for them (sizes, shape, model); None otherwise."""
        _, manifest_file = VectorIndex.files(directory, model_id)
        vectors_file, ids_file = VectorIndex.vector_files(directory, model_id)
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
            sizes = manifest.get("vectors_bytes") if isinstance(manifest, dict) else None
            covers = manifest.get("covers_seq") if isinstance(manifest, dict) else None
            if (
                manifest.get("format") != FORMAT_VERSION
                or manifest.get("model_id") != model_id
                or manifest.get("dim") != dim
                or not isinstance(covers, int)
                or sizes != [vectors_file.stat().st_size, ids_file.stat().st_size]
            ):
                return None
            ids = np.load(ids_file, allow_pickle=False)
            matrix = np.load(vectors_file, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, AttributeError) as e:
            log.debug("saved vectors of %s not usable: %s", model_id, e)
            return None
        if (
            ids.dtype != np.int64
            or ids.ndim != 1
            or matrix.dtype != np.float32
            or matrix.shape != (ids.size, dim)
            or ids.size != manifest.get("count")
            or (ids.size > 1 and not bool((np.diff(ids) > 0).all()))
        ):
            return None
        return cls(model_id, ids, matrix, covers)

    def __len__(self) -> int:
        return int(self._ids.size)

    def ids(self) -> PhotoIdArray:
        return self._ids.copy()

    def vectors(self, ids: npt.ArrayLike) -> FloatMatrix:
        wanted = np.asarray(ids, dtype=np.int64).reshape(-1)
        positions = np.searchsorted(self._ids, wanted)
        if wanted.size and (positions.max() >= self._ids.size or not np.array_equal(self._ids[positions], wanted)):
            raise KeyError("photo ids not in the saved vectors")
        return np.asarray(self._matrix[positions], dtype=np.float32)

    def search(self, query: npt.ArrayLike, k: int, *, allowed: npt.ArrayLike | None = None) -> list[Hit]:
        """Best `k` matches by an exact product (the same ranking and ties as `VectorIndex.search` exact)."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        q = unit_query(query, self.dim)
        if k == 0 or not len(self):
            return []
        matrix = self._matrix
        if allowed is None:
            return exact_search(q, k, self._ids, lambda span: np.asarray(matrix[span]))
        candidates = allowed_ids(allowed, self._ids)
        positions = np.searchsorted(self._ids, candidates)
        return exact_search(q, k, candidates, lambda span: np.asarray(matrix[positions[span]]))
