"""Where an indexing process's memory goes, before and after loading the weights once, in their precision.

Each step runs in a fresh process and reports its peak resident memory (ru_maxrss):
importing torch, then open_clip, then the model loaded the way photoclip used to
(open_clip's loader: a float32 model plus the checkpoint's own copy of every tensor,
converted to bfloat16 afterwards) and the way it does now (tensor by tensor into a
model built in bfloat16, with and without the text tower). The weights are random
ViT-B-32-256 weights in a .safetensors file, the format of every download and import
(benchmarks/peers.py makes them; any open_clip checkpoint works with --weights).

    python benchmarks/memory.py [--weights FILE] [--arch ViT-B-32-256]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _common import DATA_DIR, emit

STEPS = {
    "python_numpy": "import numpy",
    "import_torch": "import torch",
    "import_torch_open_clip": "import torch, open_clip",
    "before_open_clip_loader_then_bf16": (
        "import torch, open_clip\n"
        "model, _, _ = open_clip.create_model_and_transforms(ARCH, pretrained=WEIGHTS)\n"
        "model.to(torch.bfloat16)\n"
    ),
    "after_one_copy_bf16_both_towers": (
        "from pathlib import Path\n"
        "from photoclip.core.clip.loading import load_model\n"
        "from photoclip.core.clip.registry import ModelSpec\n"
        "load_model(ModelSpec('m', ARCH, WEIGHTS), device='cpu', cache_dir=Path('.'), dtype='bfloat16')\n"
    ),
    "after_one_copy_bf16_image_tower": (
        "from pathlib import Path\n"
        "from photoclip.core.clip.loading import load_model\n"
        "from photoclip.core.clip.registry import ModelSpec\n"
        "load_model(ModelSpec('m', ARCH, WEIGHTS), device='cpu', cache_dir=Path('.'), dtype='bfloat16', text=False)\n"
    ),
}


def measure(code: str, arch: str, weights: Path) -> float:
    script = f"ARCH = {arch!r}\nWEIGHTS = {str(weights)!r}\n{code}\nimport resource, json\n"
    script += "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return round(float(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=DATA_DIR / "peers" / "weights.safetensors")
    parser.add_argument("--arch", default="ViT-B-32-256")
    args = parser.parse_args()
    peaks = {name: measure(code, args.arch, args.weights) for name, code in STEPS.items()}
    for name, mb in peaks.items():
        print(f"# {name}: {mb} MB", file=sys.stderr)
    emit(
        {
            "benchmark": "memory",
            "arch": args.arch,
            "peak_mb": peaks,
            "weights_before_mb": peaks["before_open_clip_loader_then_bf16"] - peaks["import_torch_open_clip"],
            "weights_after_mb": peaks["after_one_copy_bf16_image_tower"] - peaks["import_torch_open_clip"],
            "note": json.dumps("peak resident memory of a process that does only that step"),
        }
    )


if __name__ == "__main__":
    main()
