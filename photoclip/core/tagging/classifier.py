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
on the stored embeddings of those photos (no photo is re-embedded) as the most
probable weights under a Gaussian prior centred on the zero-shot ones:

    minimise  sum over corrections of loss_i(W)  +  (lambda / 2) * |W - W0|^2

with the cross-entropy of the set's decision rule as the loss (for a rejection
in an exclusive set, -log(1 - p(rejected label)), which pushes that label down
and the others up by their share). Three choices make a correction move what it
is evidence for and nothing else:

* lambda (`PRIOR_STRENGTH`) is fixed, not scaled by the number of corrections.
  The prior counts the same however much evidence there is, so n corrections
  that agree pull n times as hard as one (until they are explained), while one
  correction cannot outweigh what the words say about every other photo.
* No bias. A per-label bias moves every photo of the library by the same amount:
  that is how one rejected triangle once turned the other triangles into stars.
  Without one, the optimum is W = W0 - (1/lambda) * sum_i r_i x_i^T, where r_i is
  the gradient of correction i's loss with respect to its logits: a correction
  moves each photo y in proportion to cos(x_i, y), so photos like the corrected
  one move and photos unlike it do not.
* The bound that follows. The entries of r_i add up, in absolute value, to at
  most 2 (exclusive: 2(1 - p) for an accepted label, 2p for a rejected one) or 1
  (multi-label), so one correction changes the logit margin between any two
  labels of any photo by at most 2 / lambda. With lambda = 1 that is 2, less than
  log 9 = 2.2, the smallest margin of a suggestion made with confidence 0.9: one
  correction can never give such a photo another label, nor take its confidence
  below 0.5. Eight corrections that agree can move a label by up to 16, plenty
  for two labels whose words the model confuses (`benchmarks/corrections.py`
  measures both on the demo library).

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

PRIOR_STRENGTH = 1.0
"""lambda: how firmly learned weights are held at the zero-shot ones, whatever the number of corrections.

Logits per unit of embedding (photo vectors have length 1), so it is the same for every model;
one correction moves any logit margin by at most 2 / lambda (see the module docstring).
"""

MAX_STEPS = 1000
"""Accelerated gradient steps at most; the fit usually converges in a few dozen."""

TOLERANCE = 1e-7
"""The fit stops when no gradient entry is larger (the bound above holds at the optimum)."""


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
    """Refit the set to people's corrections by the rule in the module docstring.

    Labels without corrections keep their zero-shot weights in a multi-label set; in an
    exclusive set they move only as far as the corrections of the others push them.
    """
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
    weights = _fit(prior.weights.astype(np.float64), x, loss)
    corrected = set(labels)
    learned = tuple(was or i in corrected for i, was in enumerate(prior.learned))
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


def _fit(w0: npt.NDArray[np.float64], x: npt.NDArray[np.float64], loss: _Loss) -> npt.NDArray[np.float64]:
    """The weights that minimise the corrections' loss plus (lambda / 2) |W - W0|^2.

    Nesterov's accelerated gradient descent with the step 1/L, where L = curvature * |X|^2
    + lambda bounds the objective's curvature, and momentum restarted whenever it points
    uphill (O'Donoghue and Candes, 2015: a rejection's loss is not convex everywhere).
    Milliseconds for a handful of corrections; a few hundred steps for thousands.
    """
    smooth = loss.curvature * float(np.linalg.norm(x, 2)) ** 2 + PRIOR_STRENGTH
    momentum = (np.sqrt(smooth) - np.sqrt(PRIOR_STRENGTH)) / (np.sqrt(smooth) + np.sqrt(PRIOR_STRENGTH))
    w = w0.copy()
    ahead = w0.copy()
    for _ in range(MAX_STEPS):
        gradient = loss.residuals(x @ ahead.T).T @ x + PRIOR_STRENGTH * (ahead - w0)
        if float(np.abs(gradient).max()) < TOLERANCE:
            return ahead
        step = ahead - gradient / smooth
        if float((gradient * (step - w)).sum()) > 0:  # the momentum carried us uphill: start again from here
            ahead = w
            continue
        w, ahead = step, step + momentum * (step - w)
    return w


def top_labels(classifier: Classifier, photo: npt.NDArray[np.float32], n: int = 5) -> list[tuple[str, float]]:
    """The photo's most likely labels with confidences (for the viewer's info panel)."""
    p = classifier.confidences(photo[None, :])[0]
    order = np.argsort(-p)[:n]
    return [(classifier.label_names[i], float(p[i])) for i in order]


def background_vector(encode: TextEncoder, prompts: Sequence[str] = DEFAULT_BACKGROUND_PROMPTS) -> Vectors:
    return ensemble(encode(list(prompts)))
