"""Near-duplicates and bursts: pairwise precision and recall on generated ground truth, and grouping at 100k.

Quality. A library is generated on disk (`photoclip.demo.variants.build_duplicate_library`):
originals of two kinds (the demo's shapes, photo-like pictures with texture and noise),
each with 2-4 copies (JPEG re-encodes at quality 50-95, resizes to 25-95%, crops up to
10%, brightness and contrast +-4-10%, rotations of 0.5-2.5 degrees; half keep the EXIF
time and camera), a byte-identical copy of one original in six, bursts (one scene drifting
by a few pixels, 0.2-1.5 s apart, same camera, all frames but one slightly shaken) and
look-alikes (other pictures of the same kinds; some taken seconds after another picture by
the same camera). It is indexed with the bundled tiny model, exactly as a user's library
is, and `Library.similar.find` groups it. Every pair inside a predicted group is a
predicted pair; precision and recall are over pairs, for duplicates and bursts apart.

Two baselines run on the same files in the same run: perceptual hash only (imagehash's
pHash of each file, pairs within a Hamming distance) and CLIP only (the same stored
vectors, pairs above a cosine), each at the threshold that gives it its best F1 for
duplicates on this very data (which favours them); their groups are also scored against
the bursts, which neither can tell from copies. The keeper rate says how often the
suggested best shot is the original (or its identical twin) and the sharp burst frame.

Scale. A catalog and HNSW index are filled with synthetic photos (clustered 512-d
vectors, perceptual hashes, EXIF times and cameras, with copies and bursts among them),
and grouping is timed for the whole library (wall and CPU seconds, beside the load average:
the cores are shared); its peak traced memory (Python and numpy; the HNSW index is loaded
before) is measured for a quarter, a half and all of it (folder filters), to show it grows
linearly: bytes per photo, and bytes per photo added from a quarter to a half and from a half
to all (`memory_growth_ratio`, the second over the first, is about 1 when growth is linear).
Targets: precision >= 0.95 and recall >= 0.9 for duplicates, above both baselines;
100k photos grouped in <= 30 s.

    python benchmarks/duplicates.py [--originals 60] [--photos 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

import imagehash
import numpy as np
from _common import emit, machine
from PIL import Image

from photoclip.core import TINY_MODEL_KEY, Library, LibrarySettings, PhotoFilter
from photoclip.core.clip.registry import resolve_model
from photoclip.core.similar.grouping import popcount
from photoclip.core.store.catalog import Catalog, FileStat, PhotoMetadata
from photoclip.core.store.records import Measures
from photoclip.core.vectors.hnsw import VectorIndex
from photoclip.demo.variants import DuplicateTruth, build_duplicate_library

Pair = frozenset[Path]


def scores(predicted: set[Pair], truth: set[Pair]) -> dict[str, float]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "pairs": len(predicted)}


def group_pairs(groups: list[set[Path]]) -> set[Pair]:
    return {frozenset((a, b)) for g in groups for a, b in itertools.combinations(sorted(g), 2)}


def components(paths: list[Path], links: list[tuple[int, int]]) -> list[set[Path]]:
    parent = list(range(len(paths)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in links:
        parent[root(a)] = root(b)
    groups: dict[int, set[Path]] = {}
    for i, path in enumerate(paths):
        groups.setdefault(root(i), set()).add(path)
    return [g for g in groups.values() if len(g) > 1]


def best_threshold(
    paths: list[Path], values: np.ndarray, thresholds: list[float], truth: DuplicateTruth, *, below: bool
) -> dict[str, object]:
    """The threshold with the best duplicate F1 for an all-pairs baseline, and its scores."""
    n = len(paths)
    i, j = np.triu_indices(n, k=1)
    flat = values[i, j]
    best: dict[str, object] = {}
    for threshold in thresholds:
        keep = flat <= threshold if below else flat >= threshold
        groups = components(paths, list(zip(i[keep].tolist(), j[keep].tolist(), strict=True)))
        dup = scores(group_pairs(groups), group_pairs(truth.duplicates))
        if not best or dup["f1"] > best["duplicates"]["f1"]:  # type: ignore[index]
            best = {
                "threshold": threshold,
                "duplicates": dup,
                "bursts": scores(group_pairs(groups), group_pairs(truth.bursts)),
            }
    return best


def quality(originals: int, seed: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        truth = build_duplicate_library(
            root / "photos", originals=originals, bursts=max(4, originals // 4), look_alikes=originals, seed=seed
        )
        with Library.open(root / "library", model=TINY_MODEL_KEY, cache_dir=root / "cache") as library:
            library.folders.add(root / "photos")
            started = time.perf_counter()
            report = library.indexer.update()
            index_seconds = time.perf_counter() - started
            assert report.skipped == 0, report
            found = library.similar.find()
            ids, vectors = library.catalog.embeddings(library.model_id)
            by_id = {p.id: p.path for p in library.photos.get(ids.tolist()).values()}
        ours_dup = {g_path for g_path in (frozenset(m.path for m in g.members) for g in found.duplicates)}
        ours = {
            "duplicates": scores(group_pairs([set(g) for g in ours_dup]), group_pairs(truth.duplicates)),
            "bursts": scores(
                group_pairs([{m.path for m in g.members} for g in found.bursts]), group_pairs(truth.bursts)
            ),
            "seconds": round(found.seconds, 3),
        }
        keepers = {"duplicates": [0, 0], "bursts": [0, 0]}
        for kind, groups in (("duplicates", found.duplicates), ("bursts", found.bursts)):
            for group in groups:
                members = {m.path for m in group.members}
                right = next((k for k in truth.keepers if k & members), None)
                if right is not None:
                    keepers[kind][0] += group.best.path in right
                    keepers[kind][1] += 1
        paths = [by_id[int(i)] for i in ids]
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        cosine = unit @ unit.T
        hashes = np.array([_imagehash(p) for p in paths], dtype=np.uint64)
        hamming = popcount((hashes[:, None] ^ hashes[None, :]).reshape(-1)).reshape(len(paths), len(paths))
        phash_only = best_threshold(paths, hamming, list(range(0, 25, 2)), truth, below=True)
        clip_only = best_threshold(
            paths, cosine, [0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999], truth, below=False
        )
    return {
        "files": len(truth.files),
        "duplicate_pairs": len(group_pairs(truth.duplicates)),
        "burst_pairs": len(group_pairs(truth.bursts)),
        "index_seconds": round(index_seconds, 1),
        "ours": ours,
        "phash_only": phash_only,
        "clip_only": clip_only,
        "keeper_right": {k: f"{v[0]}/{v[1]}" for k, v in keepers.items()},
    }


def _imagehash(path: Path) -> int:
    with Image.open(path) as image:
        return int(str(imagehash.phash(image.convert("RGB"))), 16)


# -- scale --------------------------------------------------------------------------------------


def synthetic_library(directory: Path, count: int, dim: int = 512, seed: int = 1) -> tuple[Library, list[Path]]:
    """`count` photos in three folders (a quarter, a quarter, a half): subjects, copies and bursts among them."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(count // 200 + 1, dim)).astype(np.float32)
    vectors = centres[rng.integers(0, len(centres), size=count)] + rng.normal(scale=0.6, size=(count, dim)).astype(
        np.float32
    )
    phash = rng.integers(0, 2**63, size=count, dtype=np.int64).astype(np.uint64) * np.uint64(2) + rng.integers(
        0, 2, size=count
    ).astype(np.uint64)
    start = dt.datetime(2015, 1, 1)
    seconds = np.sort(rng.uniform(0, 8 * 365 * 86400, size=count))
    camera = rng.integers(0, 5, size=count)
    content = np.arange(count)
    # copies: 5% of photos get the vector, hash (a few bits flipped) and time of the photo before them
    for i in np.flatnonzero(rng.random(count) < 0.05):
        if i == 0:
            continue
        vectors[i] = vectors[i - 1] + rng.normal(scale=0.05, size=dim)
        flips = rng.integers(0, 64, size=int(rng.integers(0, 8)))
        phash[i] = phash[i - 1] ^ np.uint64(sum(1 << int(b) for b in set(flips.tolist())))
        seconds[i], camera[i] = seconds[i - 1], camera[i - 1]
        if rng.random() < 0.3:
            content[i] = content[i - 1]
    # bursts: 2% start a run of 3 frames, half a second apart
    for i in np.flatnonzero(rng.random(count) < 0.02):
        for f in range(1, 3):
            if i + f < count:
                vectors[i + f] = vectors[i] + rng.normal(scale=0.08, size=dim)
                phash[i + f] = phash[i] ^ np.uint64(1 << int(rng.integers(0, 64)))
                seconds[i + f], camera[i + f] = seconds[i] + 0.5 * f, camera[i]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    catalog = Catalog(directory / "catalog.sqlite")
    model = resolve_model(TINY_MODEL_KEY)
    folders = [Path(f"/photos/part{k}") for k in range(3)]
    bounds = [0, count // 4, count // 2, count]
    for k, folder in enumerate(folders):
        added = catalog.add_folder(folder)
        for chunk in range(bounds[k], bounds[k + 1], 5000):
            rows = range(chunk, min(chunk + 5000, bounds[k + 1]))
            ids = catalog.add_photos(added.id, [FileStat(folder / f"{i:07d}.jpg", 1000 + i, 1) for i in rows])
            batch = []
            for pid, i in zip(ids, rows, strict=True):
                taken = start + dt.timedelta(seconds=float(seconds[i]))
                measures = Measures(int(phash[i]), 0.1, 0.0, 120.0, 50.0, taken.microsecond / 1e6)
                meta = PhotoMetadata(
                    1000 + i,
                    1,
                    f"h{content[i]}",
                    4000,
                    3000,
                    "jpeg",
                    taken.replace(microsecond=0).isoformat(),
                    "exif",
                    f"Camera {camera[i]}",
                    measures=measures,
                )
                batch.append((pid, meta, vectors[i]))
            catalog.record_batch(model.model_id, batch, [], [])
    index = VectorIndex(dim, model_id=model.model_id, capacity=count)
    ids, stored = catalog.embeddings(model.model_id)
    index.add(ids, stored)
    index.save(directory / "index")
    catalog.set_meta(f"index_saved_at:{model.model_id}", repr(time.time()))
    library = Library(directory, catalog, LibrarySettings(), model, cache_dir=directory)
    return library, folders


def load_average() -> dict[str, float]:
    """The 1, 5 and 15 minute load averages (as `uptime` shows them): the benchmark shares its cores."""
    one, five, fifteen = os.getloadavg()
    return {"1min": round(one, 2), "5min": round(five, 2), "15min": round(fifteen, 2)}


def scale(count: int) -> dict[str, object]:
    """Grouping the whole synthetic library (wall and CPU time, with the load), then a quarter, a half and all of
    it again under tracemalloc: peak memory per photo, and per photo added from one size to the next."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        library, folders = synthetic_library(Path(tmp), count)
        fill_seconds = time.perf_counter() - started
        library.vectors.index()  # loaded as the app has it: not part of grouping
        load_before = load_average()
        started, cpu = time.perf_counter(), time.process_time()
        found = library.similar.find(measure=False)
        group_seconds, group_cpu = time.perf_counter() - started, time.process_time() - cpu
        load_after = load_average()
        memory = {}
        for share, scope in (("quarter", folders[:1]), ("half", folders[:2]), ("all", folders)):
            tracemalloc.start()
            started = time.perf_counter()
            part = library.similar.find(PhotoFilter(folders=tuple(scope)), measure=False)
            memory[share] = {
                "photos": part.photos,
                "peak_mb": round(tracemalloc.get_traced_memory()[1] / 2**20, 1),
                "seconds_traced": round(time.perf_counter() - started, 1),
            }
            tracemalloc.stop()
        library.close()
    per_photo = {k: v["peak_mb"] * 2**20 / v["photos"] for k, v in memory.items()}  # bytes per photo
    added = {  # bytes per photo added: flat when memory grows linearly (a fixed part aside)
        "quarter_to_half": (memory["half"]["peak_mb"] - memory["quarter"]["peak_mb"])
        * 2**20
        / (memory["half"]["photos"] - memory["quarter"]["photos"]),
        "half_to_all": (memory["all"]["peak_mb"] - memory["half"]["peak_mb"])
        * 2**20
        / (memory["all"]["photos"] - memory["half"]["photos"]),
    }
    return {
        "photos": count,
        "fill_and_index_s": round(fill_seconds, 1),
        "group_s": round(group_seconds, 2),
        "group_cpu_s": round(group_cpu, 2),
        "load_average": {"before": load_before, "after": load_after},
        "duplicate_groups": len(found.duplicates),
        "burst_groups": len(found.bursts),
        "memory": memory,
        "bytes_per_photo": {k: round(v) for k, v in per_photo.items()},
        "bytes_per_added_photo": {k: round(v) for k, v in added.items()},
        "memory_all_over_quarter_per_photo": round(per_photo["all"] / per_photo["quarter"], 2),
        "memory_growth_ratio": round(added["half_to_all"] / max(added["quarter_to_half"], 1.0), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--originals", type=int, default=60)
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = quality(args.originals, args.seed)
    ours, phash_only, clip_only = result["ours"], result["phash_only"], result["clip_only"]
    big = scale(args.photos)
    duplicates = ours["duplicates"]  # type: ignore[index]
    emit(
        {
            "benchmark": "duplicates",
            "model": "photoclip-tiny (bundled)",
            "quality": result,
            "scale": big,
            "targets_met": {
                "duplicates_precision_0.95": duplicates["precision"] >= 0.95,
                "duplicates_recall_0.9": duplicates["recall"] >= 0.9,
                "above_phash_only": duplicates["precision"] > phash_only["duplicates"]["precision"]  # type: ignore[index]
                and duplicates["recall"] >= phash_only["duplicates"]["recall"],  # type: ignore[index]
                "above_clip_only": duplicates["precision"] > clip_only["duplicates"]["precision"]  # type: ignore[index]
                and duplicates["recall"] >= clip_only["duplicates"]["recall"],  # type: ignore[index]
                "100k_in_30s": big["group_s"] <= 30,
            },
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
