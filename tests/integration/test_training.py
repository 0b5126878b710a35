"""The tiny model's training script keeps working, and its output loads like any open_clip model."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.loading import load_model
from photoclip.core.clip.registry import resolve_model
from photoclip.demo.train import contrastive_loss, main


def test_contrastive_loss_prefers_matching_pairs() -> None:
    features = torch.nn.functional.normalize(torch.randn(8, 16), dim=-1)
    matched = contrastive_loss(features, features, torch.tensor(10.0))
    shuffled = contrastive_loss(features, features.roll(1, dims=0), torch.tensor(10.0))
    assert matched < shuffled


def test_a_few_training_steps_produce_a_loadable_model(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    threads = torch.get_num_threads()
    try:
        code = main(
            [
                "--out",
                str(out),
                "--steps",
                "4",
                "--batch-size",
                "16",
                "--workers",
                "0",
                "--eval-every",
                "4",
                "--eval-count",
                "48",
                "--threads",
                "1",
            ]
        )
    finally:
        torch.set_num_threads(threads)  # training sets it for the whole process
    assert code == 0
    report = json.loads((out / "training_report.json").read_text())
    assert report["final"]["step"] == 4 and 0 <= report["final"]["shape_accuracy"] <= 1
    spec = resolve_model(str(out))
    embedder = Embedder(load_model(spec, device="cpu", cache_dir=tmp_path), precision="float32")
    vectors = embedder.encode_texts(["a red circle", "a blue star"])
    assert vectors.shape == (2, 128) and abs(float((vectors**2).sum(axis=1)[0]) - 1) < 1e-5
