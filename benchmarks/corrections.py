"""Do corrections move what they are evidence for? Main's rule against the evidence-weighted one, on the demo.

The offline demo library exactly as people get it (`prepare_demo_photos`: 240
photos, the bundled tiny model), auto-tagged through the real path (tag store,
stored vectors, `Library.tags`). Each measurement runs twice in one process:
once with the corrections rule as it was on main (kept below as `main_adapt`:
an L2 pull towards the zero-shot weights scaled by the number of corrections,
and a free per-label bias) and once with `classifier.adapt` (a fixed prior, no
bias: see its module docstring).

  single contrary corrections  For every label of "Shapes (demo)" (exclusive), the
        first photo suggested it with confidence >= 0.9: reject the label there, and
        (separately) accept the runner-up there. Also the case of issue 11: reject
        "triangle" on the first green triangle. For "Colours (demo)" (multi-label):
        reject each colour on the first photo suggested it with >= 0.9, and accept
        each colour on the photo that scores it lowest. After each correction, auto-tag
        again and count the OTHER photos whose suggestion made with confidence >= 0.9
        changed (exclusive: another label or none; multi-label: a >= 0.9 suggestion
        gone), and those whose suggestions changed at all. Then the correction is
        undone (`unreject`, or `remove` for an acceptance) and the library is checked
        to be back where it was.
  consistent corrections  The Shapes labels are never confused on the demo's
        single-shape photos, so the confusable pair is two words the tiny model never
        learned: "polka" and "chessboard" for the demo's dotted and checkered
        backgrounds (as in tests/integration/test_tagging.py). For n = 2, 4, 6, 8,
        accept n/2 photos of each (the first by id) and measure the accuracy of the
        suggestion (threshold 0) on all other dotted and checkered photos.

    python benchmarks/corrections.py
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from _common import emit, machine

import photoclip.core.tagging.autotagger as autotagger_module
from photoclip.core import TINY_MODEL_KEY, Label, LabelSet, Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.loading import load_model
from photoclip.core.clip.registry import resolve_model
from photoclip.core.tagging.classifier import Classifier, Examples, adapt
from photoclip.demo import DEMO_SEED, generate_photos, prepare_demo_photos
from photoclip.demo.shapes import Scene

SHAPES, COLOURS, PATTERNS = "Shapes (demo)", "Colours (demo)", "Patterns"
CONFIDENT = 0.9
Vectors = npt.NDArray[np.float32]


# -- the rule on main, kept to measure against ----------------------------------------------------------------


@dataclass(frozen=True)
class BiasedClassifier(Classifier):
    """Main's classifier had a per-label bias, learned from corrections."""

    bias: Vectors = field(default_factory=lambda: np.zeros(0, np.float32))

    def logits(self, photos: Vectors) -> npt.NDArray[np.float64]:
        return (photos @ self.weights.T + self.bias).astype(np.float64)


def main_adapt(logit_scale: float) -> Callable[[Classifier, dict[str, Examples]], Classifier]:  # noqa: C901 (kept verbatim)
    """`adapt` as it was on main (commit a7c3da3), verbatim but for the names."""
    penalty = 0.05 * logit_scale**-2

    def fit_binary(w0: Vectors, ex: Examples, steps: int = 300) -> tuple[Vectors, float]:
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

    def fit_exclusive(prior: Classifier, examples: dict[str, Examples], steps: int = 300) -> tuple[Vectors, Vectors]:
        index = {name: i for i, name in enumerate(prior.label_names)}
        rows: list[Vectors] = []
        accepted: list[int] = []
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
        target, negative = np.array(accepted), np.array(rejected)
        is_positive = target >= 0
        for _ in range(steps):
            logits = x @ w.T + b
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            residual = p.copy()
            residual[is_positive, target[is_positive]] -= 1.0
            if (~is_positive).any():
                rows_n = np.flatnonzero(~is_positive)
                q = p[rows_n, negative[rows_n]][:, None]
                residual[rows_n] = -p[rows_n] * q / np.maximum(1.0 - q, 1e-6)
                residual[rows_n, negative[rows_n]] = q[:, 0]
            w -= rate * (residual.T @ x + strength * (w - w0))
            b -= rate * (residual.sum(axis=0) + strength * b)
        return w.astype(np.float32), b.astype(np.float32)

    def adapt_as_on_main(prior: Classifier, examples: dict[str, Examples]) -> Classifier:
        weights, bias = prior.weights.copy(), np.zeros(len(prior.label_names), np.float32)
        learned = list(prior.learned)
        corrected = [i for i, name in enumerate(prior.label_names) if len(examples.get(name, ()))]
        if prior.exclusive and corrected:
            weights, bias = fit_exclusive(prior, examples)
        elif not prior.exclusive:
            for i in corrected:
                weights[i], bias[i] = fit_binary(prior.weights[i], examples[prior.label_names[i]])
        for i in corrected:
            learned[i] = True
        return BiasedClassifier(
            prior.label_names, weights, prior.exclusive, prior.thresholds, tuple(learned), bias=bias
        )

    return adapt_as_on_main


@contextmanager
def rule(name: str, logit_scale: float) -> Iterator[None]:
    """Auto-tagging learns from corrections by main's rule or by today's, for the duration."""
    previous = autotagger_module.adapt
    autotagger_module.adapt = main_adapt(logit_scale) if name == "main" else adapt  # type: ignore[assignment]
    try:
        yield
    finally:
        autotagger_module.adapt = previous


# -- the demo library and its ground truth --------------------------------------------------------------------


def demo_library(base: Path, embedder: Embedder) -> tuple[Path, dict[Path, Scene]]:
    """The demo's library, indexed, and each photo's scene (generated again elsewhere, checked byte for byte)."""
    photos = prepare_demo_photos(base)
    truth_dir = base / "truth"
    generated = generate_photos(truth_dir, 240, seed=DEMO_SEED, pair_probability=0.25)
    scenes = {}
    for photo in generated:
        relative = photo.path.relative_to(truth_dir)
        assert _digest(photos / relative) == _digest(photo.path), "the demo's photos are not what generate_photos made"
        scenes[photos / relative] = photo.scene
    with Library.open(base / "library", model=TINY_MODEL_KEY, embedder=embedder) as library:
        library.folders.add(photos)
        report = library.indexer.update()
        assert report.embedded == 240, report
    return base / "library", scenes


def _digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


# -- measurements ---------------------------------------------------------------------------------------------


def suggested(library: Library, label_set: str, ids: list[int]) -> dict[int, dict[str, float]]:
    """Each photo's unreviewed suggestions in a set: label -> confidence."""
    result: dict[int, dict[str, float]] = {pid: {} for pid in ids}
    for pid, tags in library.tags.tags_of(ids).items():
        for t in tags:
            if t.label_set == label_set and t.status == "suggested":
                result[pid][t.label] = float(t.score or 0.0)
    return result


def effect(before: dict[int, dict[str, float]], after: dict[int, dict[str, float]], corrected: int) -> dict[str, int]:
    """Other photos whose confident suggestion changed (another label, or gone), and whose suggestions changed."""
    confident = sum(
        any(score >= CONFIDENT and label not in after[pid] for label, score in was.items())
        for pid, was in before.items()
        if pid != corrected
    )
    changed = sum(set(was) != set(after[pid]) for pid, was in before.items() if pid != corrected)
    return {"confident_changed": confident, "changed": changed}


def single_cases(library: Library, ids: list[int], scenes: dict[int, Scene]) -> list[tuple[str, str, int, str]]:
    """(set, action, photo, label): the contrary single corrections the docstring lists (zero-shot state)."""
    cases = []
    library.tags.auto_tag(SHAPES)
    shapes = suggested(library, SHAPES, ids)
    for label in (label.name for label in library.tags.label_set(SHAPES).labels):
        pid = min(p for p, s in shapes.items() if s.get(label, 0.0) >= CONFIDENT)
        runner_up = library.tags.label_scores(pid, SHAPES, top=2)[1][0]
        cases += [(SHAPES, "reject", pid, label), (SHAPES, "accept", pid, runner_up)]
    green_triangles = [
        p
        for p in ids
        if "triangle" in shapes[p] and [(t.colour, t.shape) for t in scenes[p].things] == [("green", "triangle")]
    ]
    cases.append((SHAPES, "reject", min(green_triangles), "triangle"))
    library.tags.auto_tag(COLOURS)
    colours = suggested(library, COLOURS, ids)
    scores = {p: dict(library.tags.label_scores(p, COLOURS, top=100)) for p in ids}
    for label in (label.name for label in library.tags.label_set(COLOURS).labels):
        confident = [p for p, s in colours.items() if s.get(label, 0.0) >= CONFIDENT]
        if confident:
            cases.append((COLOURS, "reject", min(confident), label))
        cases.append((COLOURS, "accept", min(ids, key=lambda p: scores[p][label]), label))
    return cases


def single_corrections(
    library: Library, ids: list[int], cases: list[tuple[str, str, int, str]], captions: dict[int, str]
) -> dict[str, Any]:
    results = []
    for label_set in (SHAPES, COLOURS):
        library.tags.auto_tag(label_set)
    baseline = {s: suggested(library, s, ids) for s in (SHAPES, COLOURS)}
    counts_before = {s: dict(sorted(Counter(lab for t in baseline[s].values() for lab in t).items())) for s in baseline}
    for label_set, action, pid, label in cases:
        before = baseline[label_set]
        getattr(library.tags, action)([pid], label_set, label)
        library.tags.auto_tag(label_set)
        after = suggested(library, label_set, ids)
        counts = Counter(lab for s in after.values() for lab in s)
        results.append(
            {
                "set": label_set,
                "correction": f"{action} {label}",
                "photo": captions[pid],
                **effect(before, after, pid),
                "suggested_per_label": dict(sorted(counts.items())),
            }
        )
        (library.tags.unreject if action == "reject" else library.tags.remove)([pid], label_set, label)
        library.tags.auto_tag(label_set)
        restored = suggested(library, label_set, ids)
        assert {p: set(s) for p, s in restored.items()} == {p: set(s) for p, s in before.items()}, "undo failed"
    return {
        "cases": results,
        "suggested_per_label_before": counts_before,
        "confident_changed": sum(r["confident_changed"] for r in results),
        "confident_changed_max": max(r["confident_changed"] for r in results),
        "changed": sum(r["changed"] for r in results),
    }


def suggestion_accuracy(library: Library, held_out: list[int], truth: dict[int, str]) -> float:
    library.tags.auto_tag(PATTERNS, held_out, threshold=0.0)
    got = suggested(library, PATTERNS, held_out)
    return float(np.mean([list(got[p]) == [truth[p]] for p in held_out]))


def consistent_corrections(library: Library, ids: list[int], scenes: dict[int, Scene]) -> dict[str, Any]:
    library.tags.save_label_set(
        LabelSet(
            PATTERNS,
            (Label("polka", ("a polka pattern.",)), Label("chessboard", ("a chessboard pattern.",))),
            exclusive=True,
        )
    )
    truth = {
        pid: {"dotted": "polka", "checkered": "chessboard"}[scenes[pid].texture]
        for pid in ids
        if scenes[pid].texture in ("dotted", "checkered")
    }
    result: dict[str, Any] = {"photos": len(truth)}
    for n in (2, 4, 6, 8):
        train = [p for p in sorted(truth) if truth[p] == "polka"][: n // 2]
        train += [p for p in sorted(truth) if truth[p] == "chessboard"][: n // 2]
        held_out = [p for p in sorted(truth) if p not in train]

        before = suggestion_accuracy(library, held_out, truth)
        for pid in train:
            library.tags.accept([pid], PATTERNS, truth[pid])
        after = suggestion_accuracy(library, held_out, truth)
        for pid in train:
            library.tags.remove([pid], PATTERNS, truth[pid])
        result[str(n)] = {"held_out": len(held_out), "before": round(before, 3), "after": round(after, 3)}
    library.tags.delete_label_set(PATTERNS)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        embedder = Embedder(load_model(resolve_model(TINY_MODEL_KEY), device="cpu", cache_dir=base / "cache"))
        directory, scene_of = demo_library(base / "demo", embedder)
        output: dict[str, Any] = {"benchmark": "corrections", "library": "the demo: 240 photos, photoclip-tiny"}
        rules: dict[str, dict[str, Any]] = {}
        cases: list[tuple[str, str, int, str]] = []
        for name in ("main", "evidence_weighted"):
            copy = base / f"library-{name}"
            shutil.copytree(directory, copy)
            with Library.open(copy, embedder=embedder) as library, rule(name, embedder.logit_scale):
                ids = library.catalog.embedding_ids(library.model_id).tolist()
                rows = library.catalog.photos(ids)
                scenes = {pid: scene_of[Path(rows[pid].path)] for pid in ids}
                captions = {pid: f"{pid}: {scenes[pid].caption()}" for pid in ids}
                cases = cases or single_cases(library, ids, scenes)  # the same cases for both rules
                rules[name] = {
                    "single": single_corrections(library, ids, cases, captions),
                    "consistent": consistent_corrections(library, ids, scenes),
                }
        output["single_contrary_corrections"] = {
            "cases": len(rules["main"]["single"]["cases"]),
            "confident_means": f"another photo's suggestion made with confidence >= {CONFIDENT}",
            **{
                name: {key: value for key, value in r["single"].items() if "confident" in key or key == "changed"}
                for name, r in rules.items()
            },
            "per_case": [
                {
                    "set": main_case["set"],
                    "correction": main_case["correction"],
                    "photo": main_case["photo"],
                    "main": {k: main_case[k] for k in ("confident_changed", "changed")},
                    "evidence_weighted": {k: new_case[k] for k in ("confident_changed", "changed")},
                }
                for main_case, new_case in zip(
                    rules["main"]["single"]["cases"], rules["evidence_weighted"]["single"]["cases"], strict=True
                )
            ],
        }
        issue = next(
            i
            for i, c in enumerate(cases)
            if c[0] == SHAPES and c[1] == "reject" and "green triangle" in captions[c[2]] and c[3] == "triangle"
        )
        output["issue_11_case"] = {
            "correction": f"reject triangle on {captions[cases[issue][2]]}",
            "suggested_per_label_before": rules["main"]["single"]["suggested_per_label_before"][SHAPES],
            "suggested_per_label_after": {
                name: r["single"]["cases"][issue]["suggested_per_label"] for name, r in rules.items()
            },
        }
        output["consistent_corrections"] = {
            "pair": ["polka", "chessboard"],
            **{name: r["consistent"] for name, r in rules.items()},
        }
        output["seconds"] = round(time.perf_counter() - started, 1)
        output["machine"] = machine()
    emit(output)


if __name__ == "__main__":
    main()
