"""Auto-tagging a library: stored vectors times cached label vectors, corrections, idempotent runs.

The real catalog supplies the stored vectors and keeps the tags; only the text
model is stood in for, by one that maps each label word to its own axis.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import FileStat, PhotoId, PhotoMetadata
from photoclip.core.store.tags import ACCEPTED, AUTO, REJECTED, SUGGESTED, TagStore
from photoclip.core.tagging import autotagger
from photoclip.core.tagging.autotagger import AutoTagger, AutoTagProgress, fingerprint
from photoclip.core.tagging.labelsets import Label, LabelSet

MODEL = "fake-model"
AXES = {"beach": 0, "forest": 1, "city": 2, "dog": 3}
BACKGROUND_AXIS = 4  # every prompt without a label word ("a photo.", ...)
DIM = 5

SCENES = LabelSet(
    "Scenes",
    (Label("beach"), Label("forest"), Label("city")),
    exclusive=True,
    threshold=0.9,
    templates=("a photo of a {label}.", "a picture of the {label}."),
)


class FakeTextModel:
    """The text side of a model at the true boundary: each label word is its own direction."""

    def __init__(self, model_id: str = MODEL) -> None:
        self.model_id = model_id
        self.logit_scale = 100.0
        self.calls: list[list[str]] = []

    def encode_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.append(list(texts))
        rows = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            axes = [axis for word, axis in AXES.items() if word in text]
            rows[row, axes[0] if axes else BACKGROUND_AXIS] = 1.0
        return rows


def unit(*values: float) -> npt.NDArray[np.float32]:
    v = np.array(values, dtype=np.float32)
    return (v / np.linalg.norm(v)).astype(np.float32)


PHOTO_VECTORS = {
    "beach": unit(1, 0.1, 0, 0, 0),
    "forest": unit(0.1, 1, 0, 0, 0),
    "city": unit(0, 0.05, 1, 0, 0.1),
    "unsure": unit(1, 0.98, 0, 0, 0),  # beach rather than forest, p(beach) about 0.8
}


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    c = Catalog(tmp_path / "catalog.sqlite")
    yield c
    c.close()


@pytest.fixture
def store(catalog: Catalog) -> TagStore:
    return TagStore(catalog)


@pytest.fixture
def scenes(store: TagStore) -> LabelSet:
    return store.save(SCENES)


@pytest.fixture
def model() -> FakeTextModel:
    return FakeTextModel()


@pytest.fixture
def tagger(store: TagStore, model: FakeTextModel, catalog: Catalog) -> AutoTagger:
    return AutoTagger(store, lambda: model, catalog)


@pytest.fixture
def photos(catalog: Catalog, tmp_path: Path) -> dict[str, PhotoId]:
    """The photos of PHOTO_VECTORS embedded by MODEL, and one that is not indexed yet ("pending")."""
    folder = catalog.add_folder(tmp_path / "photos")
    names = [*PHOTO_VECTORS, "pending"]
    ids = catalog.add_photos(folder.id, [FileStat(tmp_path / "photos" / f"{n}.jpg", 10, 1) for n in names])
    by_name = dict(zip(names, ids, strict=True))
    catalog.record_batch(
        MODEL,
        [
            (by_name[name], PhotoMetadata(10, 1, f"hash-{name}", 4, 3, "jpeg", None, "file", None), vector)
            for name, vector in PHOTO_VECTORS.items()
        ],
        [],
        [],
    )
    return by_name


def tags(store: TagStore, label_set: LabelSet, photos: dict[str, PhotoId]) -> dict[str, list[tuple[str, str, str]]]:
    """photo name -> [(label, source, status)] of this set."""
    names = {pid: name for name, pid in photos.items()}
    result: dict[str, list[tuple[str, str, str]]] = {}
    for pid, found in store.tags_of(list(photos.values())).items():
        for t in found:
            if t.label_set == label_set.name:
                result.setdefault(names[pid], []).append((t.label, t.source, t.status))
    return result


def score(store: TagStore, photo_id: PhotoId, label: str) -> float:
    (found,) = [t for t in store.tags_of([photo_id])[photo_id] if t.label == label]
    assert found.score is not None
    return found.score


def test_each_photo_gets_its_label_when_the_model_is_sure(
    tagger: AutoTagger, store: TagStore, scenes: LabelSet, photos: dict[str, PhotoId]
) -> None:
    report = tagger.run(scenes)

    assert tags(store, scenes, photos) == {
        "beach": [("beach", AUTO, SUGGESTED)],
        "forest": [("forest", AUTO, SUGGESTED)],
        "city": [("city", AUTO, SUGGESTED)],
    }  # "unsure" stays below the set's 0.9; "pending" has no vector
    assert report.label_set == "Scenes"
    assert report.photos == 4
    assert report.suggested == 3
    assert report.auto_accepted == 0
    assert report.learned_labels == 0
    assert not report.cancelled
    assert report.tagged == {photos["beach"], photos["forest"], photos["city"]}
    assert score(store, photos["beach"], "beach") > 0.99


def test_a_run_threshold_overrides_the_sets(
    tagger: AutoTagger, store: TagStore, scenes: LabelSet, photos: dict[str, PhotoId]
) -> None:
    tagger.run(scenes, threshold=0.7)

    assert tags(store, scenes, photos)["unsure"] == [("beach", AUTO, SUGGESTED)]
    assert 0.7 < score(store, photos["unsure"], "beach") < 0.9

    report = tagger.run(scenes, threshold=0.9999999)
    assert "unsure" not in tags(store, scenes, photos)
    assert photos["unsure"] in report.tagged  # its suggestion went away: its tags changed


def test_per_label_thresholds_are_respected(tagger: AutoTagger, store: TagStore, photos: dict[str, PhotoId]) -> None:
    strict_beach = store.save(replace(SCENES, labels=(Label("beach", threshold=0.9999999), *SCENES.labels[1:])))
    tagger.run(strict_beach, threshold=None)
    found = tags(store, strict_beach, photos)
    assert "beach" in found  # p(beach) for the clear beach photo is essentially 1
    assert "unsure" not in found


def test_auto_accept_marks_confident_suggestions_accepted(
    tagger: AutoTagger, store: TagStore, scenes: LabelSet, photos: dict[str, PhotoId]
) -> None:
    report = tagger.run(scenes, threshold=0.7, auto_accept=0.95)

    assert tags(store, scenes, photos) == {
        "beach": [("beach", AUTO, ACCEPTED)],
        "forest": [("forest", AUTO, ACCEPTED)],
        "city": [("city", AUTO, ACCEPTED)],
        "unsure": [("beach", AUTO, SUGGESTED)],
    }
    assert report.auto_accepted == 3
    assert report.suggested == 4


def test_running_again_is_idempotent(
    tagger: AutoTagger, store: TagStore, catalog: Catalog, scenes: LabelSet, photos: dict[str, PhotoId]
) -> None:
    def rows() -> list[tuple[int, int, float, str, str]]:
        return catalog.reader().execute("SELECT photo_id, label_id, score, source, status FROM tags").fetchall()

    first = tagger.run(scenes, threshold=0.7)
    before = sorted(rows())
    second = tagger.run(scenes, threshold=0.7)

    assert sorted(rows()) == before
    assert len(before) == 4  # one tag per photo, no duplicates
    assert second.suggested == first.suggested == 4
    assert second.photos == first.photos


def test_corrections_teach_the_classifier(
    tagger: AutoTagger, store: TagStore, scenes: LabelSet, photos: dict[str, PhotoId]
) -> None:
    ids = store.label_ids(scenes)
    unsure = PHOTO_VECTORS["unsure"][None, :]
    zero_shot = tagger.classifier(scenes)
    assert zero_shot.learned == (False, False, False)
    forest_before = zero_shot.confidences(unsure)[0, 1]

    store.set_status([photos["unsure"]], ids["forest"], ACCEPTED)  # "it is the forest, not the beach"
    learned = tagger.classifier(scenes)

    assert learned.learned == (False, True, False)
    assert learned.confidences(unsure)[0, 1] > forest_before + 0.1
    assert tagger.classifier(scenes, learn=False).learned == (False, False, False)

    store.set_status([photos["city"]], ids["beach"], REJECTED)
    assert tagger.classifier(scenes).learned == (True, True, False)
    report = tagger.run(scenes)
    assert report.learned_labels == 2
    assert tags(store, scenes, photos)["unsure"] == [("forest", "user", ACCEPTED)]  # decided: nothing added


def test_a_correction_on_a_photo_without_a_vector_teaches_nothing(
    tagger: AutoTagger, store: TagStore, scenes: LabelSet, photos: dict[str, PhotoId]
) -> None:
    store.set_status([photos["pending"]], store.label_ids(scenes)["city"], ACCEPTED)
    assert tagger.classifier(scenes).learned == (False, False, False)
    assert tagger.run(scenes).suggested == 3


def test_only_the_given_photos_are_tagged(
    tagger: AutoTagger, store: TagStore, scenes: LabelSet, photos: dict[str, PhotoId]
) -> None:
    report = tagger.run(scenes, [photos["forest"], photos["pending"], photos["forest"]])
    assert report.photos == 1  # the pending photo has no vector; the repeated id counts once
    assert tags(store, scenes, photos) == {"forest": [("forest", AUTO, SUGGESTED)]}
    assert report.tagged == {photos["forest"]}


def test_a_multi_label_set_can_suggest_several_labels_per_photo(
    tagger: AutoTagger, store: TagStore, catalog: Catalog, photos: dict[str, PhotoId]
) -> None:
    things = store.save(LabelSet("Things", (Label("beach"), Label("dog"), Label("city"))))
    both = unit(1, 0, 0, 1, 0.5)  # a dog on a beach
    catalog.record_batch(
        MODEL, [(photos["pending"], PhotoMetadata(10, 1, "hash-dog", 4, 3, "jpeg", None, "file", None), both)], [], []
    )

    tagger.run(things, [photos["pending"]])

    assert sorted(label for label, _, _ in tags(store, things, photos)["pending"]) == ["beach", "dog"]


def test_label_vectors_are_encoded_once_per_model_and_label_set(
    store: TagStore, catalog: Catalog, scenes: LabelSet, photos: dict[str, PhotoId]
) -> None:
    models = {"current": FakeTextModel()}
    tagger = AutoTagger(store, lambda: models["current"], catalog)

    tagger.run(scenes)
    first_calls = len(models["current"].calls)
    tagger.run(scenes)
    tagger.classifier(scenes)
    np.testing.assert_allclose(tagger.label_vectors(scenes), np.eye(DIM, dtype=np.float32)[:3], atol=1e-6)

    assert first_calls == 2  # the label prompts in one batch, and the background prompts
    assert len(models["current"].calls) == first_calls  # nothing encoded again
    assert len(models["current"].calls[0]) == 3 * len(SCENES.templates)

    edited = store.save(replace(SCENES, labels=(*SCENES.labels[:2], Label("city", ("a city street.",)))))
    assert fingerprint(edited) != fingerprint(scenes)
    tagger.run(edited)
    assert len(models["current"].calls) == first_calls + 2  # new prompts, new vectors

    models["current"] = FakeTextModel("other-model")  # the library switched models
    tagger.label_vectors(scenes)
    assert len(models["current"].calls) == 2


def test_fingerprint_ignores_what_does_not_shape_label_vectors() -> None:
    same = replace(SCENES, threshold=0.5, exclusive=False, description="x", id=7)
    assert fingerprint(same) == fingerprint(SCENES)
    assert fingerprint(replace(SCENES, background=("a snapshot.",))) != fingerprint(SCENES)
    assert fingerprint(replace(SCENES, templates=("{label}",))) != fingerprint(SCENES)


def test_a_cancelled_run_tags_nothing(
    tagger: AutoTagger, store: TagStore, scenes: LabelSet, photos: dict[str, PhotoId]
) -> None:
    cancel = threading.Event()
    cancel.set()
    report = tagger.run(scenes, cancel=cancel)
    assert report.cancelled
    assert report.photos == 0
    assert tags(store, scenes, photos) == {}


def test_cancel_stops_after_the_current_chunk(
    tagger: AutoTagger,
    store: TagStore,
    scenes: LabelSet,
    photos: dict[str, PhotoId],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(autotagger, "CHUNK", 2)
    cancel = threading.Event()
    seen: list[AutoTagProgress] = []

    def progress(p: AutoTagProgress) -> None:
        seen.append(p)
        cancel.set()

    report = tagger.run(scenes, progress=progress, cancel=cancel)

    assert report.cancelled
    assert report.photos == 2
    assert seen == [AutoTagProgress(2, 4)]
    assert set(tags(store, scenes, photos)) == {"beach", "forest"}  # the first chunk by id


def test_progress_reports_every_chunk(
    tagger: AutoTagger, scenes: LabelSet, photos: dict[str, PhotoId], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(autotagger, "CHUNK", 3)
    seen: list[AutoTagProgress] = []
    report = tagger.run(scenes, progress=seen.append)
    assert seen == [AutoTagProgress(3, 4), AutoTagProgress(4, 4)]
    assert report.photos == 4 and not report.cancelled
