"""Shared set-up for the benchmarks: real architectures with random weights, photo-like test files."""

from __future__ import annotations

import json
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as photoclip/__init__.py does, before numpy loads
import platform
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA_DIR = Path(os.environ.get("PHOTOCLIP_BENCH_DATA", Path(__file__).resolve().parent / ".data"))


def random_model(name: str = "ViT-B-32", device: str = "cpu") -> Any:
    """A randomly initialised open_clip model: the same compute as the published weights, no download."""
    import open_clip
    import torch

    from photoclip.core import ModelSpec
    from photoclip.core.clip.loading import LoadedModel, supports_trimmed_text

    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=None, device=device)
    model.eval()
    size = model.visual.image_size
    size = int(size[0] if isinstance(size, (tuple, list)) else size)
    with torch.inference_mode():
        dim = int(model.encode_image(torch.zeros(1, 3, size, size, device=device)).shape[-1])
    spec = ModelSpec(f"{name}-random", name, "random")
    return LoadedModel(
        spec,
        model,
        preprocess,
        open_clip.get_tokenizer(name),
        torch.device(device),
        dim,
        size,
        supports_trimmed_text(model),
    )


def photo_like_jpegs(count: int, width: int = 4000, height: int = 3000, seed: int = 0) -> list[Path]:
    """Large JPEGs with shapes, texture and sensor-like noise, cached between runs."""
    from photoclip.demo.shapes import random_scene, render

    folder = DATA_DIR / f"jpeg-{width}x{height}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"photo_{seed}_{i:04d}.jpg"
        if not path.exists():
            rng = random.Random(seed * 100_000 + i)
            image = render(random_scene(rng, pair_probability=0.5), width, height, supersample=1)
            noise = np.random.default_rng(i).normal(0, 10, size=(height, width, 3)).astype(np.float32)
            pixels = np.clip(np.asarray(image, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
            tmp = path.with_suffix(".tmp")
            Image.fromarray(pixels).save(tmp, "JPEG", quality=90)
            tmp.replace(path)
        paths.append(path)
    return paths


def machine() -> dict[str, Any]:
    import torch

    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],  # the cores are shared: a busy machine slows it all
    }


def emit(result: dict[str, Any]) -> None:
    """Human-readable lines first, JSON as the last line (what scripts parse)."""
    for key, value in result.items():
        if not isinstance(value, (dict, list)):
            print(f"# {key}: {value}", file=sys.stderr)
    print(json.dumps(result))
