"""Rescanning an unchanged tree must cost little more than merely looking at it.

Builds a tree of small files (100,000 by default: 1,000 folders of 100), catalogues
it once, then times, interleaved and repeated:

  walk     a bare walk that stats every file: os.scandir + DirEntry.stat()
  rescan   photoclip's scan of the same unchanged tree (walk, compare with the catalog)

Target: rescan <= 2 x walk. Also reports the first scan (cataloguing everything).

    python benchmarks/rescan.py [--files 100000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _common import emit, machine

from photoclip.core.ingest.scanner import scan_folder
from photoclip.core.store.catalog import Catalog


def build_tree(root: Path, files: int, per_folder: int = 100) -> None:
    for i in range(files):
        folder = root / f"{i // (per_folder * 50):03d}" / f"{(i // per_folder) % 50:03d}"
        if i % per_folder == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"IMG_{i:07d}.jpg").write_bytes(b"\xff\xd8\xff\xe0" + i.to_bytes(4, "little"))


def bare_walk(root: Path) -> int:
    count = 0
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    stack.append(entry.path)
                else:
                    entry.stat()
                    count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "photos"
        started = time.perf_counter()
        build_tree(root, args.files)
        build_seconds = time.perf_counter() - started
        catalog = Catalog(Path(tmp) / "library" / "catalog.sqlite")
        folder = catalog.add_folder(root)
        started = time.perf_counter()
        first = scan_folder(catalog, folder)
        first_seconds = time.perf_counter() - started
        assert len(first.added) == args.files
        walks, rescans = [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            assert bare_walk(root) == args.files
            walks.append(time.perf_counter() - started)
            started = time.perf_counter()
            report = scan_folder(catalog, folder)
            rescans.append(time.perf_counter() - started)
            assert report.unchanged == args.files and not (report.added or report.changed or report.removed)
        catalog.close()
    walk, rescan = statistics.median(walks), statistics.median(rescans)
    emit(
        {
            "benchmark": "rescan",
            "files": args.files,
            "tree_build_s": round(build_seconds, 2),
            "first_scan_s": round(first_seconds, 2),
            "bare_walk_s": round(walk, 3),
            "rescan_s": round(rescan, 3),
            "rescan_vs_walk": round(rescan / walk, 2),
            "repeats": args.repeats,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
