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

Learning from corrections (few-shot). This is the one home of the rule. The
zero-shot rule above is a linear classifier on the photo embedding x (a unit
vector): logits z(l) = W0(l)·x with W0 = T*t(l) (exclusive) or T*(t(l) - bg)
(multi-label). An accepted tag is a positive example for its label and a
rejected one a negative example; with some of either, the weights are refitted
on the stored embeddings of those photos (no photo is re-embedded):

    minimise    sum over corrections of loss_i(W)  +  (lambda / 2) * |W - W0|^2
    subject to  |W(l) - W0(l)| <= 2 * n(l)  for every label l,

where n(l) is the number of corrections of label l and the loss is the
cross-entropy of the set's decision rule (for a rejection in an exclusive set,
-log(1 - p(rejected label)), which pushes that label down and lifts the others
by their share). Why this shape:

* Evidence buys movement. Each correction of a label lets that label's weights
  move by at most 2 (logits per unit of embedding), so n corrections that agree
  move it up to n times as far as one, and a label nobody corrected keeps its
  zero-shot weights. (The rule this replaced pulled the weights back with a
  strength that grew with the number of corrections, so one correction moved a
  label as freely as eight.)
* No bias. A per-label bias moves every photo of the library by the same
  amount: that is how one rejected triangle once turned the other triangles into
  stars. Without one, the weights move only within the span of the corrected
  photos, so a label's logit moves for photos like the corrected ones, less for
  others, and not at all for a photo orthogonal to all of them.
* The bound. One correction changes one label's logit for any photo by at most
  2, less than log 9 = 2.2, the smallest margin (against each other label, or
  against the background) of a suggestion made with confidence 0.9. So one
  correction can never give such a photo another label, nor take its confidence
  below 0.5. The fit projects every step back inside the limits, so this holds
  however far it got.
* Inside the limits a weak Gaussian pull towards the zero-shot weights (lambda,
  `PRIOR_STRENGTH`) decides: evidence the classifier already agrees with (an
  accepted suggestion it was sure of) moves it little rather than as far as
  allowed, while eight corrections that agree on two labels whose words the
  model confuses teach the difference as well as an unbounded fit
  (`benchmarks/corrections.py` measures both on the demo library).

The photo a person corrected is kept right by the tag store, not by bending the
classifier around it: a rejected label is never suggested for it again and an
accepted one stays (see `store.tags`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from photoclip.core.tagging.labelsets import LabelSet

Vectors = npt.NDArray[np.float32]
TextEncoder = Callable[[list[str]], Vectors]

DEFAULT_BACKGROUND_PROMPTS: tuple[str, ...] = ("a photo.", "a picture.", "an image of something.", "a snapshot.")

MOVE_PER_CORRECTION = 2.0
"""How far one correction may move its label's weights, in logits per unit of embedding (photo
vectors have length 1): below log 9, so no correction alone overturns a 90% suggestion."""

PRIOR_STRENGTH = 0.1
"""lambda: the pull towards the zero-shot weights inside those limits, the same however many corrections."""

MAX_STEPS = 2000
"""Accelerated gradient steps at most; a handful of corrections converge in a few dozen."""

TOLERANCE = 1e-6
"""The fit stops when a step would change no weight by more than this (logits per unit of embedding)."""


@dataclass(frozen=True)
class Examples:
    """The user's corrections for one label: embeddings of photos that are, and are not, it."""

    positive: Vectors
    negative: Vectors

    def __len__(self) -> int:
        return len(self.positive) + len(self.negative)


@dataclass(frozen=True)
class Classifier:
    """Weights (labels x dim) of a label set's linear classifier (no bias: see the module docstring)."""

    label_names: tuple[str, ...]
    weights: Vectors
    exclusive: bool
    thresholds: Vectors
    learned: tuple[bool, ...]  # which labels were adjusted by corrections

    def logits(self, photos: Vectors) -> npt.NDArray[np.float64]:
        """Photos (rows) times weights: what the confidences are a softmax or sigmoid of."""
        return (photos @ self.weights.T).astype(np.float64)

    def confidences(self, photos: Vectors) -> Vectors:
        """p(label | photo) for every photo (rows) and label (columns)."""
        logits = self.logits(photos)
        if self.exclusive:
            p = _softmax(logits)
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
        label_set.exclusive,
        np.array([label_set.threshold_for(label) for label in label_set.labels], dtype=np.float32),
        tuple(False for _ in label_set.labels),
    )


def adapt(prior: Classifier, examples: dict[str, Examples]) -> Classifier:
    """Refit the set to people's corrections by the rule in the module docstring."""
    index = {name: i for i, name in enumerate(prior.label_names)}
    rows: list[npt.NDArray[np.float32]] = []
    labels: list[int] = []
    accepted: list[bool] = []
    for name, ex in examples.items():
        if name not in index:
            continue
        for vectors, is_accepted in ((ex.positive, True), (ex.negative, False)):
            rows.extend(vectors)
            labels.extend([index[name]] * len(vectors))
            accepted.extend([is_accepted] * len(vectors))
    if not rows:
        return prior
    x = np.asarray(rows, dtype=np.float64)
    loss = (
        _ExclusiveLoss(np.array(labels), np.array(accepted))
        if prior.exclusive
        else _MultiLabelLoss(np.array(labels), np.array(accepted))
    )
    corrections = np.bincount(np.array(labels), minlength=len(prior.label_names))
    limits = (MOVE_PER_CORRECTION * corrections).astype(np.float64)
    weights = _fit(prior.weights.astype(np.float64), x, loss, limits)
    learned = tuple(was or bool(n) for was, n in zip(prior.learned, corrections, strict=True))
    return Classifier(prior.label_names, weights.astype(np.float32), prior.exclusive, prior.thresholds, learned)


class _ExclusiveLoss:
    """Cross-entropy of a softmax over the set: an accepted label is pulled up; a rejected one is
    pushed down by -log(1 - p), which lifts the other labels by their share."""

    curvature = 0.5  # the largest eigenvalue of either loss's Hessian in the logits

    def __init__(self, labels: npt.NDArray[np.int_], accepted: npt.NDArray[np.bool_]) -> None:
        self.labels, self.accepted = labels, accepted

    def residuals(self, logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The gradient of each correction's loss with respect to its logits."""
        rows = np.arange(len(logits))
        yes, no = rows[self.accepted], rows[~self.accepted]
        residual = _softmax(logits)
        residual[yes, self.labels[yes]] -= 1.0
        # d/dz of -log(1 - q), q = p(rejected): q for the rejected label, -q * (each other's share of 1 - q)
        q = residual[no, self.labels[no]].copy()
        others = logits[no].copy()
        others[np.arange(len(no)), self.labels[no]] = -np.inf
        residual[no] = -q[:, None] * _softmax(others)
        residual[no, self.labels[no]] = q
        return residual


class _MultiLabelLoss:
    """Logistic loss of each corrected label against the background, on its own."""

    curvature = 0.25

    def __init__(self, labels: npt.NDArray[np.int_], accepted: npt.NDArray[np.bool_]) -> None:
        self.labels, self.target = labels, accepted.astype(np.float64)

    def residuals(self, logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        rows = np.arange(len(logits))
        residual = np.zeros_like(logits)
        residual[rows, self.labels] = 1.0 / (1.0 + np.exp(-logits[rows, self.labels])) - self.target
        return residual


class _Loss(Protocol):
    curvature: float

    def residuals(self, logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...


def _softmax(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: npt.NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return result


def _fit(
    w0: npt.NDArray[np.float64], x: npt.NDArray[np.float64], loss: _Loss, limits: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The weights the rule asks for: W0 plus a shift whose row l has a length of at most limits[l].

    Projected accelerated gradient descent (Nesterov's momentum for a lambda-strongly convex
    objective, step 1/L where L = curvature * |X|^2 + lambda bounds its curvature), the momentum
    restarted whenever it points uphill (O'Donoghue and Candes, 2015: a rejection's loss is not
    convex everywhere). Every iterate lies within the limits. Only the corrected labels' rows
    move, so only they are computed: milliseconds for a handful of corrections.
    """
    moving = np.flatnonzero(limits > 0)
    base = x @ w0.T  # the zero-shot logits of the corrected photos, for every label
    bounds = limits[moving]
    smooth = loss.curvature * float(np.linalg.norm(x, 2)) ** 2 + PRIOR_STRENGTH
    momentum = (np.sqrt(smooth) - np.sqrt(PRIOR_STRENGTH)) / (np.sqrt(smooth) + np.sqrt(PRIOR_STRENGTH))
    shift = np.zeros((len(moving), w0.shape[1]))
    ahead = shift
    logits = base.copy()
    for _ in range(MAX_STEPS):
        logits[:, moving] = base[:, moving] + x @ ahead.T
        gradient = loss.residuals(logits)[:, moving].T @ x + PRIOR_STRENGTH * ahead
        step = _within(ahead - gradient / smooth, bounds)
        if float(np.abs(step - ahead).max()) < TOLERANCE:
            shift = step
            break
        if float(((ahead - step) * (step - shift)).sum()) > 0:  # the momentum points uphill: drop it
            shift, ahead = step, step
        else:
            shift, ahead = step, step + momentum * (step - shift)
    weights = w0.copy()
    weights[moving] += shift
    return weights


def _within(shift: npt.NDArray[np.float64], limits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Each row scaled back to its limit when it is longer (the projection onto the allowed shifts)."""
    lengths = np.linalg.norm(shift, axis=1)
    scale = np.minimum(1.0, limits / np.maximum(lengths, 1e-300))
    result: npt.NDArray[np.float64] = shift * scale[:, None]
    return result


def top_labels(classifier: Classifier, photo: npt.NDArray[np.float32], n: int = 5) -> list[tuple[str, float]]:
    """The photo's most likely labels with confidences (for the viewer's info panel)."""
    p = classifier.confidences(photo[None, :])[0]
    order = np.argsort(-p)[:n]
    return [(classifier.label_names[i], float(p[i])) for i in order]


def background_vector(encode: TextEncoder, prompts: Sequence[str] = DEFAULT_BACKGROUND_PROMPTS) -> Vectors:
    return ensemble(encode(list(prompts)))
