"""The decision rule, prompt ensembling and few-shot adaptation, on hand-made vectors."""

from __future__ import annotations

import numpy as np
import pytest

from photoclip.core.errors import LibraryError
from photoclip.core.tagging.classifier import (
    MOVE_PER_CORRECTION,
    PRIOR_STRENGTH,
    Classifier,
    Examples,
    adapt,
    ensemble,
    label_vectors,
    zero_shot,
)
from photoclip.core.tagging.labelsets import DEFAULT_TEMPLATES, Label, LabelSet, builtin_label_sets, parse_label_set

NONE = np.zeros((0, 4), np.float32)
NONE2, NONE_D3, NONE_D4, NONE16, NONE_D = (np.zeros((0, d), np.float32) for d in (2, 3, 4, 16, 24))


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
    """Two labels whose words the model confuses: eight corrections teach the difference, one does not."""
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

    warm_train, cool_train = photos(0, 4), photos(1, 4)
    held = np.concatenate([photos(0, 50), photos(1, 50)])
    truth = np.array([0] * 50 + [1] * 50)

    def accuracy(classifier: Classifier) -> float:
        return float((classifier.confidences(held).argmax(axis=1) == truth).mean())

    learned = adapt(prior, {"warm": Examples(warm_train, NONE), "cool": Examples(cool_train, NONE)})
    one = adapt(prior, {"warm": Examples(warm_train[:1], NONE)})
    assert learned.learned == (True, True) and one.learned == (True, False)
    assert accuracy(prior) < 0.6 and accuracy(one) < 0.7 and accuracy(learned) > 0.8


def test_rejections_push_a_multi_label_down_in_proportion_to_their_number() -> None:
    label_set = LabelSet("m", (Label("dog"),), exclusive=False)
    prior = zero_shot(label_set, unit(1, 0)[None, :], unit(0, 1), logit_scale=5)
    rng = np.random.default_rng(1)
    foxes = np.stack([unit(1, 0.3 + rng.normal(0, 0.05)) for _ in range(8)])  # the model thinks "dog"
    fox, dog = unit(1, 0.3)[None, :], unit(1, -0.5)[None, :]
    assert prior.confidences(fox)[0, 0] > 0.95

    once = adapt(prior, {"dog": Examples(NONE2, foxes[:1])})
    assert once.decide(fox)[1][0, 0]  # one "no" does not overturn a confident model
    assert prior.logits(fox)[0, 0] - once.logits(fox)[0, 0] <= MOVE_PER_CORRECTION  # ... it moves the logit by <= 2
    learned = adapt(prior, {"dog": Examples(NONE2, foxes)})
    assert not learned.decide(fox)[1][0, 0]  # eight do
    assert learned.decide(dog)[1][0, 0]  # real dogs elsewhere are still dogs


def random_photos(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    """Unit vectors that share a common direction, as CLIP photo embeddings do (mean cosine about 0.3)."""
    v = rng.normal(0, 1, size=(n, dim)) / np.sqrt(dim) + 0.6 * np.eye(dim)[0]
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("exclusive", [True, False])
def test_one_correction_moves_no_margin_by_more_than_two_and_overturns_no_confident_suggestion(
    exclusive: bool,
) -> None:
    """The rule's bound, on every photo, for a rejection and an acceptance of every photo of a set."""
    rng = np.random.default_rng(7)
    dim, names = 24, ("a", "b", "c", "d", "e")
    label_set = LabelSet("s", tuple(Label(n) for n in names), exclusive=exclusive)
    texts = random_photos(rng, len(names), dim)
    prior = zero_shot(label_set, texts, random_photos(rng, 1, dim)[0], logit_scale=60)
    photos = random_photos(rng, 150, dim)
    p0, suggested0 = prior.decide(photos)
    confident = (p0 >= 0.9) & suggested0
    assert confident.sum() > 20  # the test means something: many confident suggestions to overturn
    before = prior.logits(photos)
    for i in range(0, 150, 5):
        for label in (int(p0[i].argmax()), int(p0[i].argmin())):
            for accepted in (True, False):
                example = Examples(photos[i : i + 1], NONE_D) if accepted else Examples(NONE_D, photos[i : i + 1])
                learned = adapt(prior, {names[label]: example})
                moved = learned.logits(photos) - before
                margins = moved.max(axis=1) - moved.min(axis=1) if exclusive else np.abs(moved).max(axis=1)
                assert margins.max() <= MOVE_PER_CORRECTION + 1e-4
                _, suggested = learned.decide(photos)
                others = np.arange(150) != i
                assert (suggested[others] == suggested0[others])[confident[others]].all(), (i, label, accepted)


def test_a_correction_does_not_move_photos_unlike_the_corrected_one() -> None:
    """No bias: a photo orthogonal to every corrected one keeps exactly its confidences."""
    label_set = LabelSet("s", (Label("a"), Label("b"), Label("c")), exclusive=True)
    texts = np.stack([unit(1, 0, 0, 1), unit(0, 1, 0, 1), unit(0, 0, 1, 1)])
    prior = zero_shot(label_set, texts, unit(1, 1, 1, 1), logit_scale=30)
    corrected = np.stack([unit(1, 0.2, 0, 0), unit(1, 0, 0.1, 0)])
    learned = adapt(prior, {"a": Examples(NONE_D4, corrected[:1]), "c": Examples(corrected[1:], NONE_D4)})
    unrelated = unit(0, 0, 0, 1)[None, :]
    np.testing.assert_allclose(learned.confidences(unrelated), prior.confidences(unrelated), atol=1e-6)
    alike = unit(1, 0.1, 0.05, 0.2)[None, :]  # photos like the corrected ones move towards "c", away from "a"
    margin_before, margin_after = (c.logits(alike)[0, 0] - c.logits(alike)[0, 2] for c in (prior, learned))
    assert margin_after < margin_before - 1.0


def test_evidence_adds_up_one_correction_at_a_time() -> None:
    """n corrections that contradict a confident model move its margin exactly n times as far as one."""
    label_set = LabelSet("s", (Label("a"), Label("b")), exclusive=True)
    prior = zero_shot(label_set, np.stack([unit(1, 0, 1), unit(0, 1, 1)]), unit(0, 0, 1), logit_scale=40)
    photo = unit(1, 0.2, 1)  # the model says "a", firmly
    margin = prior.logits(photo[None, :])[0, 0] - prior.logits(photo[None, :])[0, 1]
    assert margin > 10
    moves = []
    for n in (1, 2, 4):
        learned = adapt(prior, {"b": Examples(np.stack([photo] * n), NONE_D3)})
        logits = learned.logits(photo[None, :])[0]
        moves.append(margin - (logits[0] - logits[1]))
        np.testing.assert_array_equal(learned.weights[0], prior.weights[0])  # nobody corrected "a"
    assert moves == pytest.approx([MOVE_PER_CORRECTION * n for n in (1, 2, 4)], rel=1e-3)


def test_confirming_what_the_model_is_sure_of_moves_it_little() -> None:
    """Inside the limits the pull towards the zero-shot weights decides: no evidence, no move."""
    rng = np.random.default_rng(4)
    label_set = LabelSet("s", tuple(Label(n) for n in "abcde"), exclusive=True)
    prior = zero_shot(label_set, random_photos(rng, 5, 24), random_photos(rng, 1, 24)[0], logit_scale=60)
    photos = random_photos(rng, 400, 24)
    p = prior.confidences(photos)
    sure = photos[(p[:, 0] > 0.99)][:8]
    assert len(sure) == 8
    learned = adapt(prior, {"a": Examples(sure, NONE_D)})
    assert np.linalg.norm(learned.weights[0] - prior.weights[0]) < 0.3  # of the 16 the limit allows
    assert np.abs(learned.logits(photos) - prior.logits(photos)).max() < 0.3
    assert (learned.decide(photos)[1] != prior.decide(photos)[1]).any(axis=1).sum() <= 2  # a borderline photo or two


def test_the_fit_reaches_the_optimum_of_the_rule() -> None:
    """The optimality conditions of the constrained fit, against residuals computed here from the loss:
    a label inside its limit has a zero gradient, one at its limit a gradient pointing straight out."""
    rng = np.random.default_rng(3)
    names = ("a", "b", "c", "d")
    label_set = LabelSet("s", tuple(Label(n) for n in names), exclusive=True)
    prior = zero_shot(label_set, random_photos(rng, 4, 16), random_photos(rng, 1, 16)[0], logit_scale=80)
    photos = random_photos(rng, 60, 16)
    labelled = [(range(0, 20), 0, True), (range(20, 30), 0, False), (range(30, 31), 1, True), (range(40, 60), 3, False)]
    examples = {
        "a": Examples(photos[:20], photos[20:30]),
        "b": Examples(photos[30:31], NONE16),
        "d": Examples(NONE16, photos[40:60]),
    }
    learned = adapt(prior, examples)
    logits = learned.logits(photos).astype(np.float64)

    def softmax(z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max())
        return e / e.sum()

    gradient = np.zeros((4, 16))
    for index, label, accepted in labelled:
        for i in index:
            r = softmax(logits[i])
            if accepted:
                r[label] -= 1
            else:  # -q times each other label's share of the rest
                q = r[label]
                r = -q * softmax(np.where(np.arange(len(names)) == label, -np.inf, logits[i]))
                r[label] = q
            gradient += np.outer(r, photos[i])
    shift = learned.weights.astype(np.float64) - prior.weights
    gradient += PRIOR_STRENGTH * shift
    limits = MOVE_PER_CORRECTION * np.array([30, 1, 0, 20])
    lengths = np.linalg.norm(shift, axis=1)
    assert np.all(lengths <= limits + 1e-4) and lengths[2] == 0  # "c" has no corrections: it does not move
    assert lengths[1] == pytest.approx(limits[1], rel=1e-4)  # one contrary correction uses all it may
    for row in (0, 1, 3):
        if lengths[row] < limits[row] - 1e-3:
            np.testing.assert_allclose(gradient[row], 0, atol=1e-3)
        else:  # at the limit: the gradient is -mu * shift with mu >= 0
            outward = -gradient[row] @ shift[row] / lengths[row] ** 2
            assert outward >= 0
            np.testing.assert_allclose(gradient[row] + outward * shift[row], 0, atol=1e-3)


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
