"""The decision rule, prompt ensembling and few-shot adaptation, on hand-made vectors."""

from __future__ import annotations

import numpy as np
import pytest

from photoclip.core.errors import LibraryError
from photoclip.core.tagging.classifier import Examples, adapt, ensemble, label_vectors, zero_shot
from photoclip.core.tagging.labelsets import DEFAULT_TEMPLATES, Label, LabelSet, builtin_label_sets, parse_label_set


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_ensemble_is_the_normalised_mean_of_unit_prompts() -> None:
    v = ensemble(np.array([[2, 0, 0], [0, 3, 0]], dtype=np.float32))
    np.testing.assert_allclose(v, unit(1, 1, 0), rtol=1e-6)


def test_label_vectors_encode_every_prompt_once_in_one_batch() -> None:
    label_set = LabelSet("s", (Label("dog"), Label("cat", ("a photo of a cat.",))))
    calls: list[list[str]] = []

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.array([unit(1, 0) if "dog" in t else unit(0, 1) for t in texts], dtype=np.float32)

    vectors = label_vectors(label_set, encode)
    assert len(calls) == 1 and len(calls[0]) == len(DEFAULT_TEMPLATES) + 1
    np.testing.assert_allclose(vectors, [unit(1, 0), unit(0, 1)], atol=1e-6)


def test_exclusive_rule_suggests_only_the_best_label_above_threshold() -> None:
    label_set = LabelSet("scene", (Label("beach"), Label("forest"), Label("city")), exclusive=True, threshold=0.6)
    vectors = np.eye(3, dtype=np.float32)
    classifier = zero_shot(label_set, vectors, unit(1, 1, 1), logit_scale=100)
    photos = np.stack([unit(1, 0.1, 0), unit(1, 1, 0)])  # clearly a beach; beach or forest
    p, suggested = classifier.decide(photos)
    assert np.allclose(p.sum(axis=1), 1)
    assert suggested[0].tolist() == [True, False, False]
    assert not suggested[1].any()  # 50/50 is below the threshold: no decision


def test_multi_label_rule_judges_each_label_against_the_background() -> None:
    label_set = LabelSet("colours", (Label("red"), Label("blue"), Label("green")), exclusive=False)
    # like CLIP's text vectors: a specific direction each, plus what all photos share ("a photo")
    labels = np.stack([unit(1, 0, 0, 1), unit(0, 1, 0, 1), unit(0, 0, 1, 1)])
    classifier = zero_shot(label_set, labels, unit(0, 0, 0, 1), logit_scale=100)
    photo = unit(1, 1, 0, 1)  # red and blue present, green not
    p, suggested = classifier.decide(photo[None, :])
    assert suggested[0].tolist() == [True, True, False]
    assert all(0 <= x <= 1 for x in p[0])


def test_per_label_thresholds() -> None:
    label_set = LabelSet("c", (Label("a", threshold=0.99), Label("b")), exclusive=False, threshold=0.5)
    classifier = zero_shot(label_set, np.stack([unit(1, 0, 1), unit(0, 1, 1)]), unit(0, 0, 1), logit_scale=10)
    photo = unit(1, 1, 1)[None, :]  # both labels equally likely, about 0.9 each
    p, suggested = classifier.decide(photo)
    assert 0.5 < p[0, 0] < 0.99 and p[0, 0] == pytest.approx(p[0, 1])
    assert suggested[0].tolist() == [False, True]  # only "b" clears its threshold


def test_corrections_move_a_label_the_words_got_wrong() -> None:
    """Two labels whose words the model confuses: a few examples teach the difference."""
    rng = np.random.default_rng(0)
    label_set = LabelSet("t", (Label("warm"), Label("cool")), exclusive=True)
    # nearly identical text vectors, differing only along a dimension photos do not vary in meaningfully
    confusable = np.stack([unit(1, 1, 1, 0.1), unit(1, 1, 1, -0.1)])
    prior = zero_shot(label_set, confusable, unit(1, 1, 1, 1), logit_scale=50)

    def photos(kind: int, n: int) -> np.ndarray:
        base = np.zeros((n, 4), dtype=np.float32)
        base[:, kind] = 1
        noisy = base + rng.normal(0, 0.3, size=(n, 4)).astype(np.float32)
        return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)

    warm_train, cool_train = photos(0, 3), photos(1, 3)
    held = np.concatenate([photos(0, 50), photos(1, 50)])
    truth = np.array([0] * 50 + [1] * 50)
    before = (prior.confidences(held).argmax(axis=1) == truth).mean()
    learned = adapt(
        prior,
        {
            "warm": Examples(warm_train, np.zeros((0, 4), np.float32)),
            "cool": Examples(cool_train, np.zeros((0, 4), np.float32)),
        },
        logit_scale=50,
    )
    after = (learned.confidences(held).argmax(axis=1) == truth).mean()
    assert learned.learned == (True, True)
    assert before < 0.7 and after > 0.9


def test_rejections_alone_push_a_multi_label_down() -> None:
    label_set = LabelSet("m", (Label("dog"),), exclusive=False)
    prior = zero_shot(label_set, unit(1, 0)[None, :], unit(0, 1), logit_scale=50)
    lookalike = unit(1, 0.3)  # a fox, say: the model thinks "dog"
    assert prior.decide(lookalike[None, :])[1][0, 0]
    learned = adapt(prior, {"dog": Examples(np.zeros((0, 2), np.float32), np.stack([lookalike] * 3))}, 50)
    assert not learned.decide(lookalike[None, :])[1][0, 0]
    assert learned.decide(unit(1, -0.5)[None, :])[1][0, 0]  # real dogs elsewhere are still dogs


def test_label_set_json_round_trip_and_validation() -> None:
    data = {
        "name": "Things",
        "exclusive": False,
        "threshold": 0.6,
        "templates": ["a photo of a {label}."],
        "labels": [{"name": "animals"}, {"name": "dog", "parent": "animals", "prompts": ["a dog."]}, "cat"],
    }
    label_set = parse_label_set(data)
    assert label_set.by_name()["dog"].path(label_set.by_name()) == ("animals", "dog")
    assert label_set.prompts_for(label_set.by_name()["cat"]) == ("a photo of a cat.",)
    assert parse_label_set(label_set.to_json()) == label_set
    for broken, message in [
        ({"labels": ["a"]}, "needs a 'name'"),
        ({"name": "x", "labels": []}, "non-empty"),
        ({"name": "x", "labels": ["a", "a"]}, "twice"),
        ({"name": "x", "labels": [{"name": "a", "parent": "b"}]}, "parent"),
        ({"name": "x", "labels": ["a"], "threshold": 2}, "between 0 and 1"),
        ({"name": "x", "labels": ["a"], "templates": ["no placeholder"]}, "{label}"),
    ]:
        with pytest.raises(LibraryError, match=message):
            parse_label_set(broken)


def test_builtin_label_sets_are_valid_and_cover_the_promised_topics() -> None:
    sets = {s.name: s for s in builtin_label_sets()}
    for name in ("Scenes", "Objects and animals", "Events", "People and activities", "Documents and screenshots"):
        assert name in sets
    assert "Photo quality and style" in sets
    assert sets["Scenes"].exclusive and not sets["Objects and animals"].exclusive
    assert all(s.builtin for s in sets.values())
