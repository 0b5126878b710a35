"""Auto-tagging a whole library: 100k stored embeddings against a 1,000-label set, on the CPU.

Measures `Library.auto_tag` with an exclusive set (at most one suggestion per photo)
end to end (scores, decisions, writing the suggestions to the catalog) twice: cold,
when the 1,000 labels x 7 prompt templates must be embedded by the text tower first,
and warm, when the label vectors are cached as they are after the first run. The text
tower is a randomly initialised ViT-B-32 (the same compute as the published weights);
the photo vectors are synthetic.

Random text vectors make 1,000 labels almost equally likely, so hardly any photo
would reach the usual 0.5 confidence and nothing would be written. The default
threshold is therefore 0: every photo gets its best label as a suggestion, the most
writing a run can cause (the warm run rewrites all of them).

    python benchmarks/tagging.py [--photos 100000] [--labels 1000] [--threshold 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import emit, machine, random_model
from search import clustered_vectors, fill_catalog

from photoclip.core import DEFAULT_TEMPLATES, Label, LabelSet, Library, LibrarySettings
from photoclip.core.clip.embedder import Embedder
from photoclip.core.store.catalog import Catalog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--labels", type=int, default=1_000)
    parser.add_argument(
        "--multi-label",
        action="store_true",
        help="any number of labels per photo (random vectors then pass thresholds at random: many rows)",
    )
    parser.add_argument(
        "--threshold", type=float, default=0.0, help="confidence needed (default 0: every photo gets a suggestion)"
    )
    args = parser.parse_args()
    embedder = Embedder(random_model("ViT-B-32"), precision="auto")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        catalog = Catalog(directory / "catalog.sqlite")
        fill_catalog(catalog, embedder.model_id, clustered_vectors(args.photos, embedder.dim, 500, seed=1))
        library = Library(
            directory, catalog, LibrarySettings(), embedder.loaded.spec, cache_dir=directory, embedder=embedder
        )
        label_set = library.tags.save_label_set(
            LabelSet(
                "Many things",
                tuple(Label(f"thing number {i}") for i in range(args.labels)),
                exclusive=not args.multi_label,
                threshold=args.threshold,
            )
        ).value
        started = time.perf_counter()
        library.tags.auto_tag(label_set.name)
        cold_seconds = time.perf_counter() - started
        started = time.perf_counter()
        warm = library.tags.auto_tag(label_set.name)
        warm_seconds = time.perf_counter() - started
        catalog.close()
    emit(
        {
            "benchmark": "tagging",
            "photos": args.photos,
            "labels": args.labels,
            "prompts": args.labels * len(DEFAULT_TEMPLATES),
            "exclusive": not args.multi_label,
            "threshold": args.threshold,
            "with_prompt_encoding_s": round(cold_seconds, 2),
            "prompt_encoding_excluded_s": round(warm_seconds, 2),
            "suggestions": warm.suggested,
            "photos_per_s_warm": round(args.photos / warm_seconds),
            "precision": embedder.precision,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
