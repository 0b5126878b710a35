"""Train the tiny bundled CLIP model on generated shape scenes.

Run once on a CPU; the resulting checkpoint is committed under
resources/models/photoclip-tiny. The model uses open_clip's own architecture
(ModifiedResNet image tower, causal text transformer, standard tokenizer) and is
loaded through the same open_clip path as any published model, so the tests and
the offline demo exercise the real code. Training uses the symmetric contrastive
loss of the CLIP paper, a fixed seed and a fixed schedule, so a rerun with the
same arguments and thread count reproduces it.

    python -m photoclip.demo.train --out resources/models/photoclip-tiny
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import open_clip
import torch
import torch.nn.functional as F
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD
from PIL import Image
from safetensors.torch import save_file

from photoclip.demo.shapes import COLOURS, SHAPES, SIZES, TEXTURES, random_scene, render, training_caption

IMAGE_SIZE = 64
MODEL_CONFIG: dict[str, Any] = {
    "model_cfg": {
        "embed_dim": 128,
        "vision_cfg": {"image_size": IMAGE_SIZE, "layers": [1, 1, 1, 1], "width": 20, "head_width": 64},
        "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 64, "heads": 4, "layers": 3},
    },
    "preprocess_cfg": {
        "size": IMAGE_SIZE,
        "mean": list(OPENAI_DATASET_MEAN),
        "std": list(OPENAI_DATASET_STD),
        "interpolation": "bicubic",
        "resize_mode": "shortest",
    },
}


def _normalise(image: Image.Image) -> torch.Tensor:
    array = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
    mean = torch.tensor(OPENAI_DATASET_MEAN).view(3, 1, 1)
    std = torch.tensor(OPENAI_DATASET_STD).view(3, 1, 1)
    return (array - mean) / std


def _training_image(scene: Any, rng: random.Random) -> Image.Image:
    """Mostly rendered at model size; some rendered larger and downscaled as library photos are."""
    if rng.random() < 0.25:
        big = rng.randint(80, 160)
        return render(scene, big, supersample=1).resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BICUBIC)
    return render(scene, IMAGE_SIZE)


class SceneStream(torch.utils.data.IterableDataset[tuple[torch.Tensor, torch.Tensor]]):
    """Endless batches of (images, tokens); deterministic for a given seed and worker count."""

    def __init__(self, seed: int, batch_size: int, tokenizer: Any) -> None:
        self.seed = seed
        self.batch_size = batch_size
        self.tokenizer = tokenizer

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        info = torch.utils.data.get_worker_info()
        worker = info.id if info else 0
        rng = random.Random(self.seed * 1000 + worker)
        while True:
            scenes = [random_scene(rng) for _ in range(self.batch_size)]
            images = torch.stack([_normalise(_training_image(s, rng)) for s in scenes])
            tokens = self.tokenizer([training_caption(s, rng) for s in scenes])
            yield images, tokens


def contrastive_loss(
    image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor
) -> torch.Tensor:
    """Symmetric cross-entropy over the image-text similarity matrix (CLIP paper, Fig. 3)."""
    logits = logit_scale * image_features @ text_features.T
    targets = torch.arange(logits.shape[0])
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


def evaluate(model: Any, tokenizer: Any, preprocess: Any, seed: int = 12345, count: int = 960) -> dict[str, float]:
    """Zero-shot accuracy per attribute and text-query precision@10 on held-out library-sized photos."""
    rng = random.Random(seed)
    scenes = [random_scene(rng, pair_probability=0.0) for _ in range(count)]
    model.eval()
    with torch.no_grad():
        images = torch.stack([preprocess(render(s, 200, 150)) for s in scenes])
        image_features = F.normalize(model.encode_image(images), dim=-1)

        def encode(texts: list[str]) -> torch.Tensor:
            return F.normalize(model.encode_text(tokenizer(texts)), dim=-1)

        metrics: dict[str, float] = {}
        for attribute, names in (("shape", SHAPES), ("colour", tuple(COLOURS)), ("size", SIZES), ("texture", TEXTURES)):
            if attribute == "texture":
                prompts = [f"a photo of a shape on a {n} background." for n in names]
            elif attribute == "size":
                prompts = [f"a photo of a {n} shape." for n in names]
            else:
                prompts = [f"a photo of a {n}." for n in names]
            predicted = (image_features @ encode(prompts).T).argmax(dim=1)
            truth = torch.tensor(
                [names.index(getattr(s.things[0], attribute) if attribute != "texture" else s.texture) for s in scenes]
            )
            metrics[f"{attribute}_accuracy"] = float((predicted == truth).float().mean())
        combos = [(c, sh) for c in COLOURS for sh in SHAPES]
        query_features = encode([f"a {c} {sh}" for c, sh in combos])
        top = (query_features @ image_features.T).topk(10, dim=1).indices
        hits = [
            sum(scenes[i].things[0].colour == c and scenes[i].things[0].shape == sh for i in row.tolist())
            for (c, sh), row in zip(combos, top, strict=True)
        ]
        metrics["precision_at_10"] = float(np.mean(hits) / 10)
    model.train()
    return metrics


def save_weights(model: Any, out: Path) -> None:
    """Half precision halves the file; loading widens to float32 exactly."""
    state = {
        k: (v.detach().to(torch.float16) if v.is_floating_point() else v.detach()).contiguous()
        for k, v in model.state_dict().items()
    }
    tmp = out / "open_clip_model.safetensors.tmp"
    save_file(state, str(tmp))
    tmp.replace(out / "open_clip_model.safetensors")


def train(args: argparse.Namespace) -> dict[str, Any]:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "open_clip_config.json").write_text(json.dumps(MODEL_CONFIG, indent=2) + "\n")
    model, _, preprocess = open_clip.create_model_and_transforms(f"local-dir:{out}", load_weights=False)
    tokenizer = open_clip.get_tokenizer(f"local-dir:{out}")
    model = model.to(memory_format=torch.channels_last)  # ~1.5x faster convolutions on CPU
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.98),
        eps=1e-6,
    )
    steps: int = args.steps
    warmup = min(300, steps // 10)

    def schedule(step: int) -> float:
        """Linear warm-up, then cosine decay to zero at the last step."""
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    loader = torch.utils.data.DataLoader(
        SceneStream(args.seed, args.batch_size, tokenizer),
        batch_size=None,
        num_workers=args.workers,
        prefetch_factor=4 if args.workers else None,
    )
    history: list[dict[str, float]] = []
    started = time.time()
    model.train()
    for step, (images, tokens) in enumerate(loader):
        if step >= args.steps:
            break
        image_features = F.normalize(model.encode_image(images.to(memory_format=torch.channels_last)), dim=-1)
        text_features = F.normalize(model.encode_text(tokens), dim=-1)
        loss = contrastive_loss(image_features, text_features, model.logit_scale.exp())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        scheduler.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            entry = {"step": step + 1, "loss": loss.item(), "minutes": (time.time() - started) / 60}
            entry.update(evaluate(model, tokenizer, preprocess, count=args.eval_count))
            history.append(entry)
            print(json.dumps(entry), flush=True)
            save_weights(model, out)
    model.eval()
    report = {
        "seed": args.seed,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "threads": args.threads,
        "minutes": (time.time() - started) / 60,
        "parameters": sum(p.numel() for p in model.parameters()),
        "final": history[-1] if history else {},
        "history": history,
    }
    (out / "training_report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="resources/models/photoclip-tiny", help="directory for config and weights")
    parser.add_argument("--steps", type=int, default=2400)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (fix it to reproduce a run)")
    parser.add_argument("--workers", type=int, default=1, help="processes generating scenes")
    parser.add_argument("--eval-every", type=int, default=400)
    parser.add_argument("--eval-count", type=int, default=960, help="held-out photos per evaluation")
    args = parser.parse_args(argv)
    report = train(args)
    print(json.dumps({"final": report["final"], "minutes": report["minutes"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
