"""Search at library scale: index build time, end-to-end query latency, recall against exact search.

A library of synthetic clustered 512-d vectors (100k by default, 1M with --million)
is written to a real catalog and indexed by photoclip's VectorIndex. Each query then
goes through `Library.search` exactly as the app does: the text is embedded by a
randomly initialised ViT-B-32 text tower (real compute; every query is new, so the
text cache never helps), k-NN runs in HNSW, and the catalog resolves the page of
paths. Recall@20 compares HNSW with exact search for held-out vectors drawn like the library's.
Targets: p50 < 30 ms at 100k, recall@20 >= 0.98.

    python benchmarks/search.py [--photos 100000 | --million] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import emit, machine, random_model

from photoclip.core import Library, LibrarySettings
from photoclip.core.clip.embedder import Embedder
from photoclip.core.store.catalog import Catalog, FileStat, PhotoMetadata
from photoclip.core.vectors.hnsw import VectorIndex

_WORDS = (
    "dog cat beach sunset kids snow mountain city night car bicycle flower garden birthday cake wedding "
    "dress forest river boat bridge museum painting coffee breakfast market train station airport plane "
    "grandma smiling laughing running swimming red blue green yellow old new small big rainy foggy"
).split()


def clustered_vectors(count: int, dim: int, clusters: int, seed: int) -> np.ndarray:
    """Unit vectors around random cluster centres, like photos of recurring subjects.

    The centres depend on the seed only, and the points are drawn in sequence, so a
    larger count gives the same library followed by new photos of the same subjects.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    points = np.random.default_rng(seed + 1)
    chunks = []
    for _ in range(0, count, 10_000):  # fixed-size draws keep the prefix identical for any count
        chosen = centres[points.integers(0, clusters, size=10_000)]
        chunks.append(chosen + points.normal(scale=0.6, size=(10_000, dim)).astype(np.float32))
    vectors = np.concatenate(chunks)[:count]
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def fill_catalog(catalog: Catalog, model_id: str, vectors: np.ndarray, folder_path: Path = Path("/photos")) -> None:
    folder = catalog.add_folder(folder_path)
    chunk = 5000
    for start in range(0, len(vectors), chunk):
        block = vectors[start : start + chunk]
        files = [FileStat(folder_path / f"{start + i:07d}.jpg", 1000, 1) for i in range(len(block))]
        ids = catalog.add_photos(folder.id, files)
        rows = [
            (pid, PhotoMetadata(1000, 1, f"h{pid}", 4000, 3000, "jpeg", "2024-01-01T00:00:00", "exif", None), v)
            for pid, v in zip(ids, block, strict=True)
        ]
        catalog.record_batch(model_id, rows, [], [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="1,000,000 photos")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=500)
    args = parser.parse_args()
    count = 1_000_000 if args.million else args.photos

    embedder = Embedder(random_model("ViT-B-32"), precision="auto")
    model_id = embedder.model_id
    vectors = clustered_vectors(count, embedder.dim, args.clusters, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        catalog = Catalog(directory / "catalog.sqlite")
        started = time.perf_counter()
        fill_catalog(catalog, model_id, vectors)
        catalog_seconds = time.perf_counter() - started

        started = time.perf_counter()
        index = VectorIndex(embedder.dim, model_id=model_id, capacity=count)
        ids, stored = catalog.embeddings(model_id)
        index.add(ids, stored)
        build_seconds = time.perf_counter() - started
        index.save(directory / "index")
        # what Library.save records beside the file; without it the library would take every vector
        # as written after the save and re-add all of them on the first search (minutes at 1M)
        catalog.set_meta(f"index_saved_at:{model_id}", repr(time.time()))
        library = Library(
            directory, catalog, LibrarySettings(), embedder.loaded.spec, cache_dir=directory, embedder=embedder
        )

        rng = random.Random(0)
        queries = [" ".join(rng.sample(_WORDS, rng.randint(2, 6))) + f" {i}" for i in range(args.queries)]
        library.searcher.search("warm up the model", limit=20)
        latencies = []
        for query in queries:
            started = time.perf_counter()
            result = library.searcher.search(query, limit=20)
            latencies.append((time.perf_counter() - started) * 1000)
            assert len(result.hits) == 20

        text_ms = []
        for query in queries[:50]:
            started = time.perf_counter()
            embedder._encode_texts_uncached([query + " again"])
            text_ms.append((time.perf_counter() - started) * 1000)

        # held-out photos of the same kind as the library: the "find similar" case, and where text
        # queries land once they are near the photos they describe
        held_out = clustered_vectors(count + args.queries, embedder.dim, args.clusters, seed=1)[count:]
        recalls = []
        knn_ms = []
        for q in held_out:
            exact = set((ids[np.argsort(-(stored @ q))[:20]]).tolist())
            started = time.perf_counter()
            approx = {h.photo_id for h in index.search(q, 20, exact=False)}
            knn_ms.append((time.perf_counter() - started) * 1000)
            recalls.append(len(exact & approx) / 20)

        # a filter keeping 10% of the library (one folder of ten): filtered HNSW, not brute force
        allowed = ids[::10]
        filtered_ms, filtered_recalls = [], []
        for q in held_out[:50]:
            started = time.perf_counter()
            approx = {h.photo_id for h in index.search(q, 20, allowed=allowed)}
            filtered_ms.append((time.perf_counter() - started) * 1000)
            exact = set((allowed[np.argsort(-(stored[::10] @ q))[:20]]).tolist())
            filtered_recalls.append(len(exact & approx) / 20)
        catalog.close()

    emit(
        {
            "benchmark": "search",
            "photos": count,
            "dim": embedder.dim,
            "text_model": "ViT-B-32 (random init)",
            "precision": embedder.precision,
            "catalog_fill_s": round(catalog_seconds, 1),
            "index_build_s": round(build_seconds, 1),
            "query_p50_ms": round(float(np.percentile(latencies, 50)), 2),
            "query_p95_ms": round(float(np.percentile(latencies, 95)), 2),
            "text_encoding_p50_ms": round(float(np.percentile(text_ms, 50)), 2),
            "knn_p50_ms": round(float(np.percentile(knn_ms, 50)), 2),
            "recall_at_20": round(float(np.mean(recalls)), 4),
            "recall_at_20_min": round(float(np.min(recalls)), 4),
            "filtered_10pct_knn_p50_ms": round(float(np.percentile(filtered_ms, 50)), 2),
            "filtered_10pct_recall_at_20": round(float(np.mean(filtered_recalls)), 4),
            "queries": args.queries,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
