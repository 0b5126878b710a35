"""What the model sees in a photo: its best labels across the zero-shot label sets, never the person's own tags.

The real tiny model on the generated shape library: no auto-tag run is needed for a
set's labels to be considered, people's own sets (typed tags, imported keywords) never
appear however well their words match, and one rule scores exclusive and multi-label
sets alike, so the numbers can be compared across sets.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoclip.core import IMPORTED_SET, USER_TAGS, Label, LabelSet, Library
from photoclip.core.clip.embedder import Embedder
from tests.integration.conftest import QUERY_COLOURS, QUERY_SHAPES, ShapeLibrary


@pytest.fixture
def library(shape_library: ShapeLibrary, tiny_embedder: Embedder, tmp_path: Path) -> Iterator[Library]:
    copy = tmp_path / "library"
    shutil.copytree(shape_library.directory, copy)
    with Library.open(copy, embedder=tiny_embedder) as opened:
        yield opened


def single_things(library: Library, shape_library: ShapeLibrary) -> dict[int, tuple[str, str]]:
    """Photo id -> (colour, shape) for the photos of one colour/shape pair asked about in queries."""
    truth = {
        p.path: (p.scene.things[0].colour, p.scene.things[0].shape)
        for p in shape_library.photos
        if len(p.scene.things) == 1
        and p.scene.things[0].colour in QUERY_COLOURS
        and p.scene.things[0].shape in QUERY_SHAPES
    }
    photos = library.photos.get(library.photos.embedded_ids())
    ids = {int(pid): truth[photo.path] for pid, photo in photos.items() if photo.path in truth}
    return ids


def test_the_photos_shape_and_colour_come_first_without_any_auto_tag_run(
    library: Library, shape_library: ShapeLibrary
) -> None:
    truth = single_things(library, shape_library)
    assert len(truth) == 192
    assert not any(c.accepted or c.suggested for c in library.tags.counts()), "nothing was auto-tagged"
    right = 0
    for pid, (colour, shape) in truth.items():
        best = library.tags.best_labels(pid)
        assert [s.confidence for s in best] == sorted((s.confidence for s in best), reverse=True)
        assert all(s.confidence >= 0.5 for s in best), "only labels the model prefers over a plain photo"
        right += {s.label for s in best[:2]} == {colour, shape}
    assert right / len(truth) >= 0.9


def test_peoples_own_tags_and_keywords_are_never_the_models_view(library: Library, shape_library: ShapeLibrary) -> None:
    truth = single_things(library, shape_library)
    red_circles = [pid for pid, pair in truth.items() if pair == ("red", "circle")]
    library.tags.tag(red_circles, "a red circle")  # the person's own words, matching the picture perfectly
    library.tags.save_label_set(LabelSet(IMPORTED_SET, (Label("red circle shape"),), exclusive=False))
    library.tags.accept(red_circles, IMPORTED_SET, "red circle shape")
    # scored like a label set, those words would top the list: leaving them out is what the test checks
    assert library.tags.label_scores(red_circles[0], USER_TAGS, top=1)[0][1] > 0.99

    for pid in red_circles:
        best = library.tags.best_labels(pid, top=10)
        assert best, "the model still has a view"
        assert {s.label_set for s in best}.isdisjoint({USER_TAGS, IMPORTED_SET})
        assert "a red circle" not in {s.label for s in best}


def test_exclusive_and_multi_label_sets_are_scored_by_one_rule(library: Library, shape_library: ShapeLibrary) -> None:
    """An exclusive set's softmax always crowns one label; against a plain photo, a poor fit stays below half."""
    pid = next(iter(single_things(library, shape_library)))
    unrelated = LabelSet(
        "Unrelated",
        (Label("alpha", prompts=("a photo.",)), Label("beta", prompts=("a picture.",))),
        exclusive=True,
        background=("a photo.", "a picture."),
    )
    library.tags.save_label_set(unrelated)
    softmax = dict(library.tags.label_scores(pid, "Unrelated"))
    assert max(softmax.values()) >= 0.5, "within the set, one of two always gets at least half"
    every = library.tags.best_labels(pid, top=100, minimum=0.0)
    scores = {(s.label_set, s.label): s.confidence for s in every}
    assert 0.25 < scores[("Unrelated", "alpha")] < 0.75 and 0.25 < scores[("Unrelated", "beta")] < 0.75


def test_a_photo_without_a_vector_has_no_view(library: Library) -> None:
    assert library.tags.best_labels(10_000_000) == []
