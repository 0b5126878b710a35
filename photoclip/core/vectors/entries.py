"""What the index of one model must hold, read from the catalog: photos' vectors and videos' scenes.

The catalog is the truth for both; these functions give the keeper one view of
them in index labels (`vectors.labels`): every photo's vector under its id, and
every video scene's under its scene label. A video's own row in `embeddings`
(the mean of its scenes) is not an entry: the scenes stand for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.scenes import SceneStore
from photoclip.core.vectors.labels import SCENE_FLAG, owners, scene_index, scene_labels

Labels = npt.NDArray[np.int64]


def entry_labels(catalog: Catalog, model_id: str) -> Labels:
    """Every label the index of `model_id` must hold, sorted."""
    rows = (
        catalog.reader()
        .execute(
            "SELECT e.photo_id FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE e.model_id = ? AND p.kind != 'video' ORDER BY e.photo_id",
            (model_id,),
        )
        .fetchall()
    )
    photos = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    video_ids, idx = SceneStore(catalog).keys(model_id)
    labels: Labels = np.concatenate([photos, np.sort(scene_labels(video_ids, idx))])
    return labels


def entry_count(catalog: Catalog, model_id: str) -> int:
    """How many labels the index of `model_id` must hold (the length of `entry_labels`, counted in SQL)."""
    conn = catalog.reader()
    photos = conn.execute(
        "SELECT COUNT(*) FROM embeddings e JOIN photos p ON p.id = e.photo_id "
        "WHERE e.model_id = ? AND p.kind != 'video'",
        (model_id,),
    ).fetchone()[0]
    scenes = conn.execute("SELECT COUNT(*) FROM scenes WHERE model_id = ?", (model_id,)).fetchone()[0]
    return int(photos) + int(scenes)


def entry_vectors(
    catalog: Catalog, model_id: str, labels: Sequence[int] | Labels
) -> tuple[Labels, npt.NDArray[np.float32]]:
    """(labels found, float32 matrix) for these labels; labels with no vector in the catalog are left out."""
    arr = np.asarray(labels, dtype=np.int64).reshape(-1)
    photo_labels = arr[arr < SCENE_FLAG]
    scene_part = arr[arr >= SCENE_FLAG]
    found_labels: list[Labels] = []
    found_vectors: list[npt.NDArray[np.float32]] = []
    if photo_labels.size:
        ids, vectors = catalog.embeddings(model_id, photo_labels.tolist(), photos_only=True)
        if len(ids):
            found_labels.append(ids)
            found_vectors.append(vectors)
    if scene_part.size:
        video_ids = owners(scene_part)
        indexes = np.array([scene_index(int(label)) for label in scene_part], dtype=np.int64)
        got_owners, got_idx, matrix = SceneStore(catalog).vectors_by_key(model_id, video_ids.tolist(), indexes.tolist())
        if len(got_owners):
            found_labels.append(scene_labels(got_owners, got_idx))
            found_vectors.append(matrix)
    if not found_labels:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(found_labels), np.concatenate(found_vectors)


def entry_changes_since(catalog: Catalog, model_id: str, seq: int) -> tuple[int, Labels, list[int]]:
    """(the counter now, labels written after `seq`, their seqs), read in one snapshot so none is missed."""
    conn = catalog.reader()
    snapshot = not conn.in_transaction
    if snapshot:
        conn.execute("BEGIN")
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'embedding_seq'").fetchone()
        rows = conn.execute(
            "SELECT e.photo_id, e.seq FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE e.model_id = ? AND e.seq > ? AND p.kind != 'video' ORDER BY e.photo_id",
            (model_id, seq),
        ).fetchall()
        video_ids, idx, scene_seqs = SceneStore(catalog).changes_since(model_id, seq)
    finally:
        if snapshot:
            conn.execute("COMMIT")
    photos = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    labels: Labels = np.concatenate([photos, scene_labels(video_ids, idx)])
    return (int(row[0]) if row else 0), labels, [int(r[1]) for r in rows] + scene_seqs
