"""A camera dump into a watched folder: how long until every file is catalogued, and how much work it caused.

Starts the real watcher (watchdog, inotify) on a library using the bundled tiny
model, copies 10,000 generated photos into the watched folder at once, and
measures from the moment the copy finishes: seconds until all files are in the
catalog, seconds until all are embedded, how many rescans ("rounds") and index
saves the burst caused.

    python benchmarks/coalescing.py [--files 10000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path

from _common import DATA_DIR, emit, machine

from photoclip.core import TINY_MODEL_KEY, Activity, Library
from photoclip.demo import generate_photos

# watchdog warns (with the whole watch table, hundreds of KB) when a folder created during the
# copy is registered twice by its recursive watch; harmless, and it would drown the output
warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000, help="photos in the dump (default 10,000)")
    parser.add_argument("--settle", type=float, default=2.0, help="the watcher's quiet time before a rescan (s)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    args = parser.parse_args()
    staging = DATA_DIR / f"camera-dump-{args.files}"
    if not staging.exists():
        generate_photos(staging.with_suffix(".tmp"), args.files, seed=5, size=(160, 120), png_every=0)
        staging.with_suffix(".tmp").rename(staging)
    with tempfile.TemporaryDirectory() as tmp:
        photos = Path(tmp) / "photos"
        photos.mkdir()
        library = Library.open(Path(tmp) / "library", model=TINY_MODEL_KEY)
        library.folders.add(photos)
        saves = 0
        original_save = library.vectors.save

        def counting_save() -> None:
            nonlocal saves
            saves += 1
            original_save()

        library.vectors.save = counting_save  # type: ignore[method-assign]
        activities: list[Activity] = []
        watcher = library.watch(settle_seconds=args.settle, on_activity=activities.append)
        assert watcher.wait_idle(120)
        library.models.embedder()  # the model is loaded before the dump, as in a running app
        rounds_before, saves_before = len(activities), saves
        started = time.perf_counter()
        shutil.copytree(staging, photos / "DCIM")
        copy_seconds = time.perf_counter() - started
        copied = time.perf_counter()
        catalogued_at = embedded_at = None
        while embedded_at is None:
            time.sleep(0.1)
            status = library.status()
            if time.perf_counter() - copied > args.timeout:
                watcher.stop()
                raise SystemExit(
                    f"coalescing: gave up after {args.timeout:.0f} s: {status.photos} of {args.files} photos "
                    f"catalogued, {status.embedded} embedded"
                )
            if catalogued_at is None and status.photos == args.files:
                catalogued_at = time.perf_counter() - copied
            if status.embedded == args.files:
                embedded_at = time.perf_counter() - copied
        assert watcher.wait_idle(120)
        watcher.stop()
        library.close()
    rounds = activities[rounds_before:]
    emit(
        {
            "benchmark": "coalescing",
            "files": args.files,
            "settle_s": args.settle,
            "copy_s": round(copy_seconds, 2),
            "catalogued_after_copy_s": round(catalogued_at or 0, 2),
            "embedded_after_copy_s": round(embedded_at, 2),
            "rescan_rounds": len(rounds),
            "index_saves": saves - saves_before,
            "round_sizes": [a.counts()["added"] for a in rounds],
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
