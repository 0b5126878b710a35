"""Auto-tag photos and videos with a label set: stored vectors times label vectors, no re-embedding.

A video is judged scene by scene: a label holds for it when it holds in any of
its scenes, with the confidence of the scene where it holds best (a clip that
starts on a beach and ends in a city is both).

This is the workflow around `classifier` (the maths) and `store.tags` (the
storage): label vectors are computed once per model and label set (and cached),
the people's corrections adapt the classifier, and the photos' stored vectors
are scored in chunks with progress and cancel. It is given only what it needs:
the tag store, the text side of a model, and read access to stored vectors.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from photoclip.core.changes import NOTHING, Changes
from photoclip.core.store.records import PhotoId
from photoclip.core.store.tags import Decision, TagStore
from photoclip.core.tagging.classifier import (
    DEFAULT_BACKGROUND_PROMPTS,
    Classifier,
    Examples,
    adapt,
    background_vector,
    label_vectors,
    zero_shot,
)
from photoclip.core.tagging.labelsets import LabelSet

CHUNK = 20_000

Vectors = npt.NDArray[np.float32]


class TextModel(Protocol):
    """The text side of a loaded model (`Embedder` is one)."""

    @property
    def model_id(self) -> str: ...

    @property
    def logit_scale(self) -> float: ...

    def encode_texts(self, texts: Sequence[str]) -> Vectors: ...


class StoredVectors(Protocol):
    """Read access to the photos' stored vectors (`Catalog` is one)."""

    def embedding_ids(self, model_id: str) -> npt.NDArray[np.int64]: ...

    def embeddings(self, model_id: str, ids: Sequence[int] | None = None) -> tuple[npt.NDArray[np.int64], Vectors]: ...


class SceneVectors(Protocol):
    """Read access to videos' scene vectors (`SceneStore` is one)."""

    def vectors_of(
        self, model_id: str, photo_ids: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], Vectors]: ...


@dataclass(frozen=True)
class AutoTagProgress:
    done: int
    total: int


@dataclass
class AutoTagReport:
    label_set: str
    photos: int = 0
    suggested: int = 0
    auto_accepted: int = 0
    learned_labels: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    tagged: set[PhotoId] = field(default_factory=set)  # photos whose tags the run changed
    changes: Changes = NOTHING


def fingerprint(label_set: LabelSet) -> str:
    """Changes whenever anything that shapes a label vector changes."""
    data = json.dumps(
        [label_set.templates, label_set.background, [(label.name, label.prompts) for label in label_set.labels]],
        sort_keys=True,
    )
    return hashlib.blake2b(data.encode(), digest_size=8).hexdigest()


class AutoTagger:
    """Builds label-set classifiers for one library and runs them over photos."""

    def __init__(
        self,
        store: TagStore,
        model: Callable[[], TextModel],
        vectors: StoredVectors,
        scenes: SceneVectors | None = None,
    ) -> None:
        self.store = store
        self._model = model  # the library's current model, loaded when first needed
        self._stored = vectors
        self._scenes = scenes
        self._vectors: dict[tuple[str, str], tuple[Vectors, Vectors]] = {}
        self._lock = threading.Lock()

    def _text_vectors(self, label_set: LabelSet) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """(label vectors, background vector), cached per model and label-set content."""
        embedder = self._model()
        key = (embedder.model_id, fingerprint(label_set))
        with self._lock:
            cached = self._vectors.get(key)
        if cached is None:
            labels = label_vectors(label_set, embedder.encode_texts)
            background = background_vector(embedder.encode_texts, label_set.background or DEFAULT_BACKGROUND_PROMPTS)
            cached = (labels, background)
            with self._lock:
                self._vectors[key] = cached
        return cached

    def label_vectors(self, label_set: LabelSet) -> npt.NDArray[np.float32]:
        """One ensembled text vector per label (cached), in the set's order."""
        return self._text_vectors(label_set)[0]

    def classifier(self, label_set: LabelSet, *, learn: bool = True) -> Classifier:
        """The set's zero-shot classifier, adapted to people's corrections when there are any."""
        vectors, background = self._text_vectors(label_set)
        model = self._model()
        classifier = zero_shot(label_set, vectors, background, model.logit_scale)
        if not learn:
            return classifier
        decided = self.store.examples(label_set)
        if not decided:
            return classifier
        ids = sorted({pid for pos, neg in decided.values() for pid in pos + neg})
        found_ids, found = self._stored.embeddings(model.model_id, ids)
        row = {int(pid): i for i, pid in enumerate(found_ids)}
        examples = {}
        for name, (positive, negative) in decided.items():
            pos = [found[row[p]] for p in positive if p in row]
            neg = [found[row[n]] for n in negative if n in row]
            dim = vectors.shape[1]
            examples[name] = Examples(
                _normalised_rows(np.array(pos, dtype=np.float32).reshape(-1, dim)),
                _normalised_rows(np.array(neg, dtype=np.float32).reshape(-1, dim)),
            )
        return adapt(classifier, examples)

    def run(
        self,
        label_set: LabelSet,
        photo_ids: Sequence[int] | None = None,
        *,
        threshold: float | None = None,
        auto_accept: float | None = None,
        progress: Callable[[AutoTagProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> AutoTagReport:
        """Suggest tags for the photos (all indexed photos when None); idempotent."""
        started = time.perf_counter()
        report = AutoTagReport(label_set.name)
        classifier = self.classifier(label_set)
        if threshold is not None:
            classifier = replace(classifier, thresholds=np.full_like(classifier.thresholds, threshold))
        report.learned_labels = sum(classifier.learned)
        label_ids = self.store.label_ids(label_set)
        column_ids = [label_ids[name] for name in classifier.label_names]
        model_id = self._model().model_id
        ids = (
            self._stored.embedding_ids(model_id).tolist() if photo_ids is None else sorted({int(i) for i in photo_ids})
        )
        for start in range(0, len(ids), CHUNK):
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
            found_ids, vectors = self._stored.embeddings(model_id, ids[start : start + CHUNK])
            if len(found_ids):
                confidences, suggested = self.decide(classifier, model_id, found_ids, vectors)
                rows, cols = np.nonzero(suggested)
                decisions = [
                    Decision(
                        int(found_ids[r]),
                        column_ids[c],
                        float(confidences[r, c]),
                        auto_accept is not None and float(confidences[r, c]) >= auto_accept,
                    )
                    for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
                ]
                written, touched = self.store.record_auto(label_set, found_ids.tolist(), decisions)
                report.suggested += written
                report.tagged |= touched
                report.auto_accepted += sum(d.accepted for d in decisions)
            report.photos += len(found_ids)
            if progress is not None:
                progress(AutoTagProgress(min(start + CHUNK, len(ids)), len(ids)))
        report.seconds = time.perf_counter() - started
        return report

    def decide(
        self, classifier: Classifier, model_id: str, ids: npt.NDArray[np.int64], vectors: Vectors
    ) -> tuple[Vectors, npt.NDArray[np.bool_]]:
        """(confidences, suggested) per photo; a video's rows come from its scenes (any scene, its best score)."""
        confidences, suggested = classifier.decide(_normalised_rows(vectors))
        if self._scenes is None:
            return confidences, suggested
        owners, _, scene_matrix = self._scenes.vectors_of(model_id, ids.tolist())
        if not len(owners):
            return confidences, suggested
        scene_conf, scene_suggested = classifier.decide(_normalised_rows(scene_matrix))
        row_of = {int(pid): row for row, pid in enumerate(ids.tolist())}
        rows = np.array([row_of[int(o)] for o in owners], dtype=np.int64)
        for row in np.unique(rows):
            mine = rows == row
            confidences[row] = scene_conf[mine].max(axis=0)
            suggested[row] = scene_suggested[mine].any(axis=0)
        return confidences, suggested


def _normalised_rows(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    if not len(vectors):
        return vectors
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    result: npt.NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return result
