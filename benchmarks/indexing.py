"""Indexing throughput: is the model ever waiting for decoding, and how much faster than the naive way?

All in one run, on generated 12-megapixel JPEGs with a randomly initialised
ViT-B-32 (same compute as the published weights):

  M      model-only images/s (preprocessed tensors ready, chosen precision)
  D      decode + preprocess only, images/s, using all cores (draft decoding on)
  P      the full pipeline (photoclip.core.ingest.pipeline), images/s
  naive  sequential full-size decode, then float32 embedding in batches, like simple tools

When decoding and the model share the same cores the best possible rate is
M*D/(M+D); on a GPU, where they do not, it is min(M, D).
Targets: P >= 0.9 x that limit, and P >= 3 x naive.

    python benchmarks/indexing.py [--images 64] [--device cpu|cuda] [--model ViT-B-32]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import time

import torch
from _common import emit, machine, photo_like_jpegs, random_model
from PIL import Image

from photoclip.core import decode_photo
from photoclip.core.clip.embedder import Embedder
from photoclip.core.ingest.pipeline import Batch, Pipeline
from photoclip.core.store.catalog import PhotoId, WorkItem


def model_only(embedder: Embedder, tensors: list[torch.Tensor], batch_size: int) -> float:
    embedder.encode_images(torch.stack(tensors[:batch_size]))  # warm-up
    started = time.perf_counter()
    for start in range(0, len(tensors), batch_size):
        embedder.encode_images(torch.stack(tensors[start : start + batch_size]))
    if embedder.device.type == "cuda":
        torch.cuda.synchronize()
    return len(tensors) / (time.perf_counter() - started)


def decode_only(embedder: Embedder, paths: list, workers: int) -> float:
    def one(path: object) -> torch.Tensor:
        return embedder.preprocess(decode_photo(path, min_side=embedder.image_size).image)  # type: ignore[arg-type]

    with cf.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, paths[:4]))  # warm-up
        started = time.perf_counter()
        list(pool.map(one, paths))
    return len(paths) / (time.perf_counter() - started)


def pipeline(embedder: Embedder, paths: list, workers: int, batch_size: int) -> float:
    items = [WorkItem(PhotoId(i + 1), p, None, False) for i, p in enumerate(paths)]
    stored: list[int] = []

    def sink(batch: Batch) -> None:
        stored.append(len(batch.embedded))

    runner = Pipeline(embedder, workers=workers, batch_size=batch_size)
    runner.run(items[:batch_size], sink)  # warm-up
    stored.clear()
    started = time.perf_counter()
    runner.run(items, sink)
    seconds = time.perf_counter() - started
    assert sum(stored) == len(items)
    return len(items) / seconds


def naive(loaded: object, paths: list, batch_size: int) -> float:
    """Full-size decode on one thread, float32 model, no overlap."""
    model, preprocess, device = loaded.model, loaded.preprocess, loaded.device  # type: ignore[attr-defined]
    started = time.perf_counter()
    for start in range(0, len(paths), batch_size):
        tensors = []
        for path in paths[start : start + batch_size]:
            with Image.open(path) as image:
                tensors.append(preprocess(image.convert("RGB")))
        with torch.inference_mode():
            model.encode_image(torch.stack(tensors).to(device))
    return len(paths) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--naive-images", type=int, default=32, help="the naive baseline is slow; fewer images")
    parser.add_argument("--model", default="ViT-B-32")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    paths = photo_like_jpegs(args.images)
    naive_rate = naive(random_model(args.model, args.device), paths[: args.naive_images], args.batch_size)

    embedder = Embedder(random_model(args.model, args.device), precision="auto")
    tensors = [embedder.preprocess(decode_photo(p, min_side=embedder.image_size).image) for p in paths]
    m = model_only(embedder, tensors, args.batch_size)
    d = decode_only(embedder, paths, args.workers)
    p = pipeline(embedder, paths, args.workers, args.batch_size)
    shared_cores = embedder.device.type == "cpu"
    limit = m * d / (m + d) if shared_cores else min(m, d)
    emit(
        {
            "benchmark": "indexing",
            "model": args.model,
            "device": str(embedder.device),
            "precision": embedder.precision,
            "images": len(paths),
            "image_size": "4000x3000 JPEG",
            "workers": args.workers,
            "batch_size": args.batch_size,
            "model_only_per_s": round(m, 2),
            "decode_only_per_s": round(d, 2),
            "limit_per_s": round(limit, 2),
            "limit_formula": "M*D/(M+D)" if shared_cores else "min(M, D)",
            "pipeline_per_s": round(p, 2),
            "naive_per_s": round(naive_rate, 2),
            "pipeline_vs_limit": round(p / limit, 3),
            "pipeline_vs_naive": round(p / naive_rate, 2),
            "calibration": embedder.calibration,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
