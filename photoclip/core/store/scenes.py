"""Video scenes in the catalog: each video's scenes per model, with their time span and vector.

A video is one row in `photos` (kind 'video'); what its frames look like lives
here, one row per scene and model: where the scene starts and ends, the time of
the frame that shows it best (the poster), how many samples it merges, and its
vector. The video's own row in `embeddings` holds the mean of its scenes and is
written only when every scene is, so until then the video stays pending and
indexing carries on from the last stored scene (see `ingest.clips`).

Like `embeddings`, scenes carry the content hash they were computed from (other
content makes them stale) and the catalog-wide sequence number of the write, so
the HNSW index, which holds scenes rather than whole videos, can be checked and
caught up exactly as for photos (`vectors.entries`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import VECTOR_DTYPE, PhotoId, PhotoMetadata

_CHUNK = 500

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SceneSpan:
    """Where one scene of a video is: what search hits, the timeline and hover scrubbing show."""

    index: int
    start: float  # seconds from the start of the video
    end: float
    frame: float  # the time of the frame that shows the scene best (its poster)


@dataclass(frozen=True)
class StoredScene:
    """A scene with its vector, as indexing writes it and resumes from it."""

    index: int
    start: float
    end: float
    frame: float
    samples: int  # how many sampled frames it merges (the weight of its vector when it grows)
    vector: Vector

    @property
    def span(self) -> SceneSpan:
        return SceneSpan(self.index, self.start, self.end, self.frame)


@dataclass(frozen=True)
class ClipRecord:
    """What indexing learnt about one video in one go (a whole clip, or the next part of it).

    `fresh`: the scenes start from the beginning (any stored scenes of this model are replaced);
    otherwise they continue the stored ones (the first may update the last stored scene).
    `summary` is the mean of all the video's scenes once the last one is known, else None.
    """

    photo_id: PhotoId
    meta: PhotoMetadata
    scenes: tuple[StoredScene, ...]
    fresh: bool
    summary: Vector | None


@dataclass
class RecordedClips:
    """What `SceneStore.record` wrote: the scenes (by video) the index must now hold, and their sequence."""

    scenes: dict[PhotoId, tuple[StoredScene, ...]]
    replaced: set[PhotoId]  # videos whose earlier scenes are all gone (a fresh start)
    completed: list[PhotoId]
    seq: int | None


class SceneStore:
    """Reads and writes the `scenes` table beside the catalog (the catalog's one writer)."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    # -- writing ------------------------------------------------------------------------------

    def record(self, model_id: str, clips: Sequence[ClipRecord]) -> RecordedClips:
        """Store clips in one transaction (joining the caller's, when there is one).

        A video deleted meanwhile (by a scan or the watcher) is dropped, as in `Catalog.record_batch`.
        """
        result = RecordedClips({}, set(), [], None)
        if not clips:
            return result
        now = time.time()
        with self._catalog.transaction() as conn:
            for clip in clips:
                if not Catalog.update_metadata(conn, clip.photo_id, clip.meta, now):
                    continue
                if result.seq is None:
                    result.seq = Catalog.next_seq(conn)
                self._write_clip(conn, model_id, clip, result.seq, now)
                result.scenes[clip.photo_id] = clip.scenes
                if clip.fresh:
                    result.replaced.add(clip.photo_id)
                if clip.summary is not None:
                    result.completed.append(clip.photo_id)
        return result

    @staticmethod
    def _write_clip(conn: sqlite3.Connection, model_id: str, clip: ClipRecord, seq: int, now: float) -> None:
        pid, content_hash = clip.photo_id, clip.meta.content_hash
        if clip.fresh:
            conn.execute("DELETE FROM scenes WHERE photo_id = ? AND model_id = ?", (pid, model_id))
        conn.executemany(
            "INSERT INTO scenes(photo_id, model_id, idx, start, end, frame, samples, dim, vector, content_hash, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(photo_id, model_id, idx) DO UPDATE SET "
            "start = excluded.start, end = excluded.end, frame = excluded.frame, samples = excluded.samples, "
            "dim = excluded.dim, vector = excluded.vector, content_hash = excluded.content_hash, seq = excluded.seq",
            [
                (pid, model_id, s.index, s.start, s.end, s.frame, s.samples, int(s.vector.shape[-1]), _blob(s.vector))
                + (content_hash, seq)
                for s in clip.scenes
            ],
        )
        if clip.summary is not None:
            conn.execute(
                "INSERT INTO embeddings(photo_id, model_id, dim, vector, content_hash, created_at, seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(photo_id, model_id) DO UPDATE SET "
                "dim = excluded.dim, vector = excluded.vector, content_hash = excluded.content_hash, "
                "created_at = excluded.created_at, seq = excluded.seq",
                (pid, model_id, int(clip.summary.shape[-1]), _blob(clip.summary), content_hash, now, seq),
            )

    # -- reading: one video ---------------------------------------------------------------------

    def stored(self, model_id: str, photo_id: int, content_hash: str) -> list[StoredScene]:
        """A video's scenes of this model computed from these bytes, in order (what indexing resumes from)."""
        rows = (
            self._catalog.reader()
            .execute(
                "SELECT idx, start, end, frame, samples, dim, vector FROM scenes "
                "WHERE photo_id = ? AND model_id = ? AND content_hash = ? ORDER BY idx",
                (photo_id, model_id, content_hash),
            )
            .fetchall()
        )
        return [_stored(r) for r in rows]

    def for_content(self, model_id: str, content_hash: str) -> tuple[list[StoredScene], Vector] | None:
        """The scenes and summary of a fully indexed video with exactly these bytes (a copy is not decoded)."""
        conn = self._catalog.reader()
        row = conn.execute(
            "SELECT e.photo_id, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE e.model_id = ? AND e.content_hash = ? AND p.content_hash = ? AND p.kind = 'video' LIMIT 1",
            (model_id, content_hash, content_hash),
        ).fetchone()
        if row is None:
            return None
        scenes = self.stored(model_id, int(row[0]), content_hash)
        if not scenes:
            return None
        return scenes, np.frombuffer(row[1], dtype=VECTOR_DTYPE).astype(np.float32)

    def spans(self, model_id: str, photo_ids: Sequence[int]) -> dict[PhotoId, list[SceneSpan]]:
        """Each video's scenes (times only), in order; photos and videos not indexed yet are absent."""
        found: dict[PhotoId, list[SceneSpan]] = {}
        conn = self._catalog.reader()
        for chunk in _chunks(photo_ids):
            rows = conn.execute(
                f"SELECT photo_id, idx, start, end, frame FROM scenes WHERE model_id = ? "
                f"AND photo_id IN ({','.join('?' * len(chunk))}) ORDER BY photo_id, idx",
                [model_id, *chunk],
            )
            for pid, idx, start, end, frame in rows:
                found.setdefault(PhotoId(int(pid)), []).append(SceneSpan(int(idx), start, end, frame))
        return found

    def vector(self, model_id: str, photo_id: int, index: int) -> Vector | None:
        row = (
            self._catalog.reader()
            .execute(
                "SELECT vector FROM scenes WHERE photo_id = ? AND model_id = ? AND idx = ?", (photo_id, model_id, index)
            )
            .fetchone()
        )
        return None if row is None else np.frombuffer(row[0], dtype=VECTOR_DTYPE).astype(np.float32)

    def vectors_of(
        self, model_id: str, photo_ids: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """(owner video ids, scene indexes, float32 matrix) of these videos' scenes, ordered by video and scene."""
        rows: list[tuple[int, int, int, bytes]] = []
        conn = self._catalog.reader()
        for chunk in _chunks(photo_ids):
            rows += conn.execute(
                f"SELECT photo_id, idx, dim, vector FROM scenes WHERE model_id = ? "
                f"AND photo_id IN ({','.join('?' * len(chunk))}) ORDER BY photo_id, idx",
                [model_id, *chunk],
            ).fetchall()
        return _matrix(rows)

    # -- reading: what the index holds ------------------------------------------------------------

    def keys(self, model_id: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(video ids, scene indexes) of every scene of a model."""
        rows = (
            self._catalog.reader()
            .execute("SELECT photo_id, idx FROM scenes WHERE model_id = ? ORDER BY photo_id, idx", (model_id,))
            .fetchall()
        )
        return _pairs(rows)

    def vectors_by_key(
        self, model_id: str, photo_ids: Sequence[int], indexes: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The vectors of exactly these (video, scene) pairs that exist."""
        wanted = set(zip((int(p) for p in photo_ids), (int(i) for i in indexes), strict=True))
        owners, idx, matrix = self.vectors_of(model_id, sorted({p for p, _ in wanted}))
        keep = np.fromiter(
            ((int(o), int(i)) in wanted for o, i in zip(owners, idx, strict=True)), dtype=bool, count=len(owners)
        )
        return owners[keep], idx[keep], matrix[keep] if len(matrix) else matrix

    def changes_since(self, model_id: str, seq: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[int]]:
        """(video ids, scene indexes, seqs) of scenes written after `seq` (inside the caller's snapshot)."""
        rows = (
            self._catalog.reader()
            .execute(
                "SELECT photo_id, idx, seq FROM scenes WHERE model_id = ? AND seq > ? ORDER BY photo_id, idx",
                (model_id, seq),
            )
            .fetchall()
        )
        owners, idx = _pairs([(r[0], r[1]) for r in rows])
        return owners, idx, [int(r[2]) for r in rows]

    def video_ids(self, model_id: str, photo_ids: Sequence[int] | None = None) -> set[int]:
        """Which of these photos (all, when None) are videos with scenes of this model."""
        conn = self._catalog.reader()
        if photo_ids is None:
            rows = conn.execute("SELECT DISTINCT photo_id FROM scenes WHERE model_id = ?", (model_id,))
            return {int(r[0]) for r in rows}
        found: set[int] = set()
        for chunk in _chunks(photo_ids):
            found |= {
                int(r[0])
                for r in conn.execute(
                    f"SELECT DISTINCT photo_id FROM scenes WHERE model_id = ? "
                    f"AND photo_id IN ({','.join('?' * len(chunk))})",
                    [model_id, *chunk],
                )
            }
        return found

    def video_count(self) -> int:
        return int(self._catalog.reader().execute("SELECT COUNT(*) FROM photos WHERE kind = 'video'").fetchone()[0])

    def count(self, model_id: str) -> int:
        return int(
            self._catalog.reader().execute("SELECT COUNT(*) FROM scenes WHERE model_id = ?", (model_id,)).fetchone()[0]
        )

    def delete_model(self, model_id: str) -> int:
        with self._catalog.transaction() as conn:
            return int(conn.execute("DELETE FROM scenes WHERE model_id = ?", (model_id,)).rowcount)


def mean_vector(scenes: Sequence[StoredScene]) -> Vector:
    """A whole video as one vector: its scenes' mean, weighted by how long each lasts (unit length)."""
    weights = np.array([max(s.end - s.start, 1e-3) for s in scenes], dtype=np.float64)
    matrix = np.stack([s.vector for s in scenes]).astype(np.float64)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    mean = (matrix * weights[:, None]).sum(axis=0)
    norm = float(np.linalg.norm(mean))
    result: Vector = (mean / norm if norm > 1e-12 else matrix[0]).astype(np.float32)
    return result


def _blob(vector: Vector) -> bytes:
    return np.ascontiguousarray(vector, dtype=VECTOR_DTYPE).tobytes()


def _stored(r: tuple[int, float, float, float, int, int, bytes]) -> StoredScene:
    vector = np.frombuffer(r[6], dtype=VECTOR_DTYPE).astype(np.float32)
    return StoredScene(int(r[0]), float(r[1]), float(r[2]), float(r[3]), int(r[4]), vector)


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    wanted = [int(i) for i in ids]
    return [wanted[start : start + _CHUNK] for start in range(0, len(wanted), _CHUNK)]


def _pairs(rows: Sequence[tuple[int, int]]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    owners = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    idx = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    return owners, idx


def _matrix(
    rows: Sequence[tuple[int, int, int, bytes]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    owners, idx = _pairs([(r[0], r[1]) for r in rows])
    if not rows:
        return owners, idx, np.zeros((0, 0), dtype=np.float32)
    dim = rows[0][2]
    matrix = np.frombuffer(b"".join(r[3] for r in rows), dtype=VECTOR_DTYPE).reshape(len(rows), dim)
    return owners, idx, matrix.astype(np.float32)
