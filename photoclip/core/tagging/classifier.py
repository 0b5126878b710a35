"""Zero-shot auto-tagging, and learning from the user's corrections.

Label vectors. Each label becomes several prompts (its own, or the set's
templates filled in with its name); the prompts' unit embeddings are averaged
and renormalised, the prompt ensembling of the CLIP paper. Text embeddings are
cached by the embedder, so a label set is encoded once per model.

Decision rule. Let s(l) be the cosine between a photo and label l, and T the
model's own logit scale (the softmax temperature CLIP learned in training,
about 100 for published models):

* exclusive sets (one label per photo): p(l) = softmax over the set of T*s(l);
  the best label is suggested when its p reaches the threshold;
* multi-label sets (any number): each label competes only with a neutral
  "background" prompt ensemble ("a photo.", ...), p(l) = sigmoid(T*(s(l) - s(bg))),
  a two-way softmax between "this label" and "just a photo"; every label whose
  p reaches its threshold is suggested.

Both give a confidence p in [0, 1] that reads as "how sure", thresholds are set
per set and per label (default 0.5), and the result does not depend on which
other photos are tagged at the same time, so re-running is idempotent.

Learning from corrections (few-shot). The zero-shot rule above is a linear
classifier on the photo embedding: weights T*t(l) (exclusive) or T*(t(l) - bg)
(multi-label). Accepted tags are positive examples and rejected ones negative;
with some of either, the weights are refitted by logistic regression on the
stored embeddings of those photos, pulled towards the zero-shot weights by an
L2 penalty, so a handful of corrections moves a label without forgetting what
its words meant. No photo is re-embedded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from photoclip.core.tagging.labelsets import LabelSet

Vectors = npt.NDArray[np.float32]
TextEncoder = Callable[[list[str]], Vectors]

DEFAULT_BACKGROUND_PROMPTS: tuple[str, ...] = ("a photo.", "a picture.", "an image of something.", "a snapshot.")

PRIOR_STRENGTH = 0.05
"""L2 pull of learned weights towards the zero-shot ones, relative to the logit scale squared."""


@dataclass(frozen=True)
class Examples:
    """The user's corrections for one label: embeddings of photos that are, and are not, it."""

    positive: Vectors
    negative: Vectors

    def __len__(self) -> int:
        return len(self.positive) + len(self.negative)


@dataclass(frozen=True)
class Classifier:
    """Weights (labels x dim) and biases of a label set's linear classifier."""

    label_names: tuple[str, ...]
    weights: Vectors
    bias: Vectors
    exclusive: bool
    thresholds: Vectors
    learned: tuple[bool, ...]  # which labels were adjusted by corrections

    def confidences(self, photos: Vectors) -> Vectors:
        """p(label | photo) for every photo (rows) and label (columns)."""
        logits = (photos @ self.weights.T + self.bias).astype(np.float64)
        if self.exclusive:
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            p = exp / exp.sum(axis=1, keepdims=True)
        else:
            p = 1.0 / (1.0 + np.exp(-logits))
        result: Vectors = p.astype(np.float32)
        return result

    def decide(self, photos: Vectors) -> tuple[Vectors, npt.NDArray[np.bool_]]:
        """(confidences, suggested) where suggested marks what passes the rule above."""
        p = self.confidences(photos)
        suggested = p >= self.thresholds
        if self.exclusive:
            best = np.zeros_like(suggested)
            best[np.arange(len(p)), p.argmax(axis=1)] = True
            suggested &= best
        return p, suggested


def ensemble(prompt_vectors: Vectors) -> npt.NDArray[np.float32]:
    """Average unit prompt embeddings and renormalise (CLIP paper, prompt ensembling)."""
    mean = (prompt_vectors / np.linalg.norm(prompt_vectors, axis=1, keepdims=True)).mean(axis=0)
    result: npt.NDArray[np.float32] = (mean / np.linalg.norm(mean)).astype(np.float32)
    return result


def label_vectors(label_set: LabelSet, encode: TextEncoder) -> Vectors:
    """One ensembled unit vector per label, in the set's order; all prompts in one batch."""
    prompts = [label_set.prompts_for(label) for label in label_set.labels]
    flat = [p for group in prompts for p in group]
    encoded = encode(flat)
    vectors = []
    start = 0
    for group in prompts:
        vectors.append(ensemble(encoded[start : start + len(group)]))
        start += len(group)
    return np.stack(vectors)


def zero_shot(
    label_set: LabelSet, vectors: Vectors, background: npt.NDArray[np.float32], logit_scale: float
) -> Classifier:
    """The classifier the decision rule describes, before any corrections."""
    if label_set.exclusive:
        weights = logit_scale * vectors
    else:
        weights = logit_scale * (vectors - background[None, :])
    return Classifier(
        tuple(label.name for label in label_set.labels),
        weights.astype(np.float32),
        np.zeros(len(label_set.labels), dtype=np.float32),
        label_set.exclusive,
        np.array([label_set.threshold_for(label) for label in label_set.labels], dtype=np.float32),
        tuple(False for _ in label_set.labels),
    )


def adapt(prior: Classifier, examples: dict[str, Examples], logit_scale: float, steps: int = 300) -> Classifier:
    """Refit the labels that have corrections; the others keep their zero-shot weights."""
    weights = prior.weights.copy()
    bias = prior.bias.copy()
    learned = list(prior.learned)
    penalty = PRIOR_STRENGTH * logit_scale**-2
    if prior.exclusive:
        rows = [i for i, name in enumerate(prior.label_names) if len(examples.get(name, _NONE))]
        if rows:
            weights, bias = _fit_exclusive(prior, examples, penalty, steps)
            for i in rows:
                learned[i] = True
    else:
        for i, name in enumerate(prior.label_names):
            ex = examples.get(name)
            if ex is None or not len(ex):
                continue
            weights[i], bias[i] = _fit_binary(prior.weights[i], ex, penalty, steps)
            learned[i] = True
    return Classifier(prior.label_names, weights, bias, prior.exclusive, prior.thresholds, tuple(learned))


_NONE = Examples(np.zeros((0, 1), dtype=np.float32), np.zeros((0, 1), dtype=np.float32))


def _fit_binary(
    w0: npt.NDArray[np.float32], ex: Examples, penalty: float, steps: int
) -> tuple[npt.NDArray[np.float32], float]:
    """Logistic regression with an L2 pull towards the zero-shot weights (and the bias towards 0).

    Plain gradient descent: the examples are unit vectors, so the loss curvature is at
    most n/4 and a step of 1/(n/4 + lambda) always descends; a few hundred steps over
    a handful of examples take well under a millisecond.
    """
    x = np.concatenate([ex.positive, ex.negative]).astype(np.float64)
    y = np.concatenate([np.ones(len(ex.positive)), np.zeros(len(ex.negative))])
    strength = penalty * len(x)
    rate = 1.0 / (0.25 * len(x) + strength)
    w, b = w0.astype(np.float64).copy(), 0.0
    for _ in range(steps):
        residual = 1.0 / (1.0 + np.exp(-(x @ w + b))) - y
        w -= rate * (x.T @ residual + strength * (w - w0))
        b -= rate * (float(residual.sum()) + strength * b)
    return w.astype(np.float32), float(b)


def _fit_exclusive(
    prior: Classifier, examples: dict[str, Examples], penalty: float, steps: int
) -> tuple[Vectors, Vectors]:
    """Multinomial logistic regression over the set; a rejected label is only pushed down."""
    index = {name: i for i, name in enumerate(prior.label_names)}
    rows: list[npt.NDArray[np.float32]] = []
    accepted: list[int] = []  # label index, or -1 for a rejection row
    rejected: list[int] = []
    for name, ex in examples.items():
        if name not in index:
            continue
        for v in ex.positive:
            rows.append(v)
            accepted.append(index[name])
            rejected.append(-1)
        for v in ex.negative:
            rows.append(v)
            accepted.append(-1)
            rejected.append(index[name])
    x = np.asarray(rows, dtype=np.float64)
    w0 = prior.weights.astype(np.float64)
    w, b = w0.copy(), np.zeros(len(prior.label_names))
    strength = penalty * len(x)
    rate = 1.0 / (0.5 * len(x) + strength)
    target = np.array(accepted)
    negative = np.array(rejected)
    is_positive = target >= 0
    for _ in range(steps):
        logits = x @ w.T + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        residual = p.copy()
        residual[is_positive, target[is_positive]] -= 1.0  # cross-entropy towards the accepted label
        if (~is_positive).any():  # -log(1 - p[rejected]): down for the rejected label, up for the rest
            rows_n = np.flatnonzero(~is_positive)
            q = p[rows_n, negative[rows_n]][:, None]
            residual[rows_n] = -p[rows_n] * q / np.maximum(1.0 - q, 1e-6)
            residual[rows_n, negative[rows_n]] = q[:, 0]
        w -= rate * (residual.T @ x + strength * (w - w0))
        b -= rate * (residual.sum(axis=0) + strength * b)
    return w.astype(np.float32), b.astype(np.float32)


def top_labels(classifier: Classifier, photo: npt.NDArray[np.float32], n: int = 5) -> list[tuple[str, float]]:
    """The photo's most likely labels with confidences (for the viewer's info panel)."""
    p = classifier.confidences(photo[None, :])[0]
    order = np.argsort(-p)[:n]
    return [(classifier.label_names[i], float(p[i])) for i in order]


def background_vector(encode: TextEncoder, prompts: Sequence[str] = DEFAULT_BACKGROUND_PROMPTS) -> Vectors:
    return ensemble(encode(list(prompts)))
