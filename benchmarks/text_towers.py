"""Every offered model's text tower, exported to ONNX, against its PyTorch tower on a thousand prompts.

For each architecture photoclip offers (built with random weights: the same graph as the
published ones, nothing to download) and the bundled tiny model (its real weights), the
text tower is exported exactly as photoclip does at download, import or first use, and
the lowest cosine between ONNX Runtime's and PyTorch's float32 vectors over 1,000 varied
prompts (captions, label prompts, texts longer than the context, odd characters) is
reported, with the export's time and size and a cold query through it (tokenizer, opening
the graph, encoding; in a fresh process, without PyTorch).

    python benchmarks/text_towers.py [--prompts 1000] [--models vit-b-32 vit-b-32-256 vit-l-14 multilingual]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import emit, machine

from photoclip.core.clip.registry import TINY_MODEL_KEY, catalogue_entry, resolve_model
from photoclip.core.clip.text_towers import check_prompts

COLD_QUERY = r"""
import json, resource, sys, time
started = time.perf_counter()
from pathlib import Path
from photoclip.core.clip.text_encoder import OnnxTextEncoder
from photoclip.core.clip.text_towers import TextTowerRecord
folder = Path(sys.argv[1])
record = TextTowerRecord.from_dict(json.loads((folder / "text_tower.json").read_text()))
encoder = OnnxTextEncoder(folder, record)
encoder.encode_texts(["a dog running on a beach at sunset"])
print(json.dumps({"seconds": time.perf_counter() - started, "torch": "torch" in sys.modules,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def one(name: str, prompts: int, cache: Path) -> dict[str, Any]:
    from _common import random_model

    from photoclip.core.clip.loading import load_model
    from photoclip.core.clip.text_export import ExportFailed, export_text_tower

    if name == TINY_MODEL_KEY:
        spec = resolve_model(TINY_MODEL_KEY)
        loaded = load_model(spec, device="cpu", cache_dir=cache)
        weights = "bundled (trained)"
    else:
        entry = catalogue_entry(name)
        assert entry is not None
        try:
            loaded = random_model(entry.architecture)
        except Exception as e:  # e.g. the multilingual text tower needs transformers and a tokenizer download
            return {"model": name, "exported": False, "reason": f"{type(e).__name__}: {str(e)[:200]}"}
        weights = f"{entry.architecture}, random"
    started = time.perf_counter()
    try:
        record = export_text_tower(loaded, cache_dir=cache, weights_sha256=name, prompts=check_prompts(prompts))
    except ExportFailed as e:
        return {"model": name, "weights": weights, "exported": False, "reason": str(e)}
    seconds = time.perf_counter() - started
    folder = cache / "text-towers" / name
    size = sum(p.stat().st_size for p in folder.iterdir())
    cold = json.loads(
        subprocess.run([sys.executable, "-c", COLD_QUERY, str(folder)], capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    return {
        "model": name,
        "weights": weights,
        "exported": True,
        "prompts": record.checked_prompts,
        "min_cosine": round(record.min_cosine, 7),
        "export_and_check_s": round(seconds, 1),
        "export_mb": round(size / 1e6),
        "cold_query_s": round(cold["seconds"], 3),
        "cold_query_peak_mb": round(cold["peak_mb"]),
        "cold_query_imported_torch": cold["torch"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument(
        "--models", nargs="*", default=[TINY_MODEL_KEY, "vit-b-32", "vit-b-32-256", "vit-l-14", "multilingual"]
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            result = one(name, args.prompts, Path(tmp))
            print(f"# {json.dumps(result)}", file=sys.stderr)
            results.append(result)
    emit(
        {
            "benchmark": "text_towers",
            "prompts": args.prompts,
            "fidelity_target": 0.9999,
            "models": results,
            "all_exported_faithfully": all(r.get("min_cosine", 0) >= 0.9999 for r in results if r["exported"]),
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
