"""How much a rating word costs a browse: filters over 100k photos with and without `rating:` / `is:favourite`.

A catalog of synthetic photo rows (no files: filtering reads only the catalog), a fifth of
them rated and one in twenty a favourite, as a long-used library might be. Each filter is
timed as `Searcher.browse_ids` runs it (`Catalog.filter_ids`, newest first), median of the
repeats; the ratio to the unfiltered browse is what the numbers mean on another machine.

    .venv/bin/python benchmarks/ratings.py [--photos 100000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from _common import emit, machine

from photoclip.core.changes import ChangeBus
from photoclip.core.search.query import parse_query
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.ratings import Ratings
from photoclip.core.store.records import FileStat, PhotoFilter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "catalog.sqlite")
        folder = catalog.add_folder(Path(tmp) / "photos")
        ids = catalog.add_photos(
            folder.id, [FileStat(Path(tmp) / "photos" / f"{i:06}.jpg", 1000, i) for i in range(args.photos)]
        )
        ratings = Ratings(catalog, ChangeBus())
        rated = rng.sample(ids, len(ids) // 5)
        started = time.perf_counter()
        for stars in range(1, 6):
            ratings.rate(rated[stars - 1 :: 5], stars)
        ratings.set_favourite(rng.sample(ids, len(ids) // 20), True)
        rate_seconds = time.perf_counter() - started
        queries = {"none": "", "rating:>=4": "rating:>=4", "rating:<2": "rating:<2", "is:favourite": "is:favourite"}
        times: dict[str, float] = {}
        counts: dict[str, int] = {}
        for name, query in queries.items():
            photo_filter = parse_query(query).filter if query else PhotoFilter()
            runs = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                found = catalog.filter_ids("none", photo_filter, by_date=True, embedded=False)
                runs.append(time.perf_counter() - started)
            times[name], counts[name] = statistics.median(runs), len(found)
        catalog.close()
    base = times["none"]
    emit(
        {
            "benchmark": "ratings",
            "photos": args.photos,
            "rate_all_s": round(rate_seconds, 2),
            **{f"browse_{k}_s": round(v, 3) for k, v in times.items()},
            **{f"{k}_vs_none": round(v / base, 2) for k, v in times.items() if k != "none"},
            "found": counts,
            "repeats": args.repeats,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
