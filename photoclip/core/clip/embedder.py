"""Turn images and texts into unit-length CLIP vectors, as fast as fidelity allows.

Three things make this fast without changing results:

* precision per device: a short calibration compares float32 with the reduced
  precisions the device offers (bfloat16 on CPUs with AVX512-BF16/AMX, float16 on
  GPUs) and keeps the fastest one whose embeddings stay within cosine 0.999 of
  float32; the verdict is cached per model, device and torch version;
* text embeddings are cached (an LRU), as the CLIP paper does for class prompts;
* the text tower is causal, so tokens after end-of-text cannot change the result:
  a short query runs on its own length instead of the full 77-token context.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import os
import platform
import statistics
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from PIL import Image

from photoclip.core.clip.loading import LoadedModel, encode_text
from photoclip.core.errors import ModelUnavailable
from photoclip.core.util.atomic import write_json_atomic

log = logging.getLogger(__name__)

FIDELITY = 0.999
"""Minimum cosine between reduced-precision and float32 embeddings for a precision to be used."""

MIN_SPEEDUP = 1.15
"""A reduced precision must be at least this much faster to be worth any fidelity at all."""

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def precision_candidates(device: torch.device) -> list[str]:
    if device.type == "cuda":
        return ["float16", "bfloat16"]
    if device.type == "mps":
        return ["float16"]
    return ["bfloat16"]


def _calibration_images(image_size: int, count: int = 8) -> list[Image.Image]:
    """Deterministic, varied inputs: smooth gradients and blocky noise at the model's size."""
    rng = np.random.default_rng(1234)
    images = []
    for i in range(count):
        small = rng.integers(0, 256, size=(4 + i, 4 + i, 3), dtype=np.uint8)
        image = Image.fromarray(small).resize((image_size, image_size), Image.Resampling.BICUBIC if i % 2 else 0)
        images.append(image)
    return images


_CALIBRATION_TEXTS = [
    "a photo of a dog on a beach",
    "a red circle",
    "kids playing in the snow at sunset",
    "a screenshot of a spreadsheet",
    "a close-up photo of a yellow flower",
    "a blurry night photo of a city street with cars and neon signs",
]


SMALL_TEXT_BATCH = 4
"""A search query's few texts: encoded on one thread (see `_one_cpu_thread`)."""


@contextlib.contextmanager
def _one_cpu_thread(active: bool) -> Iterator[None]:
    """Run a small CPU computation on the calling thread alone.

    A query's text is a few tiny matrix products: splitting them over torch's thread pool
    gains little, and the pool's threads then spin-wait for more work while the search
    goes on with numpy and hnswlib on the same cores. Measured on 2 cores (20k library,
    benchmarks/search.py): query p50 43 ms and p95 134 ms with the pool, 26 ms and 36 ms
    on one thread. torch's thread count is per calling thread, and is restored after.
    """
    if not active:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


ModelInput = Image.Image | torch.Tensor
"""A photo on its way into the model: its 8-bit picture at the model's size, or already a tensor."""


def split_preprocess(
    preprocess: Callable[[Any], Any],
) -> tuple[Callable[[Image.Image], ModelInput], Callable[[ModelInput], torch.Tensor]]:
    """A preprocess transform split where the picture becomes a tensor: (picture steps, tensor steps).

    open_clip's transforms are a torchvision Compose (resize, crop, RGB, to tensor,
    normalise); applying the first part and then the second runs the very same steps
    in the same order, so the tensor is bit for bit the one the whole transform makes.
    Any other transform is not split: the first part is all of it.
    """
    steps = getattr(preprocess, "transforms", None)
    if isinstance(steps, list):
        for at, step in enumerate(steps):
            if "ToTensor" in type(step).__name__:
                return _Steps(steps[:at]), _Steps(steps[at:])
    return preprocess, _as_tensor


class _Steps:
    """Transform steps applied in order (a part of a torchvision Compose)."""

    def __init__(self, steps: Sequence[Callable[[Any], Any]]) -> None:
        self.steps = tuple(steps)

    def __call__(self, value: Any) -> Any:
        for step in self.steps:
            value = step(value)
        return value


def _as_tensor(value: ModelInput) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"expected a tensor from the model's preprocess, got {type(value).__name__}")
    return value


class Embedder:
    """A loaded model plus the policies that make it fast: precision, text cache, short contexts."""

    def __init__(
        self,
        loaded: LoadedModel,
        *,
        precision: str = "auto",
        calibration_cache: Path | None = None,
        text_cache_size: int = 4096,
    ) -> None:
        self.loaded = loaded
        self.model_id = loaded.model_id
        self.dim = loaded.embed_dim
        self.image_size = loaded.image_size
        self.device = loaded.device
        scale = getattr(loaded.model, "logit_scale", None)
        self.logit_scale = float(scale.detach().exp()) if scale is not None else 100.0  # learned temperature
        self._text_cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._text_cache_size = text_cache_size
        self._text_lock = threading.Lock()
        self._picture_steps, self._tensor_steps = split_preprocess(loaded.preprocess)
        self.calibration: dict[str, Any] = {}
        if precision == "auto":
            precision = self._calibrated_precision(calibration_cache)
        self.precision = precision
        self.dtype = _DTYPES[precision]
        if self.dtype != torch.float32:
            loaded.model.to(self.dtype)
        log.info("%s runs in %s on %s", self.model_id, precision, self.device)

    # -- encoding -----------------------------------------------------------------------------

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        """The model's own open_clip transform (resize, crop, normalise), float32 on the CPU."""
        tensor: torch.Tensor = self.loaded.preprocess(image)
        return tensor

    def compact_input(self, image: Image.Image) -> ModelInput:
        """The model's input before it becomes a tensor: the resized, cropped 8-bit picture.

        What a decode worker hands on while the model is busy: a quarter of the float32 tensor
        `preprocess` makes (196 KB against 786 KB at 256 pixels), turned into exactly that
        tensor by `encode_inputs` (the same transform steps, in the same order, split in two).
        A transform that cannot be split gives the whole tensor here.
        """
        return self._picture_steps(image)

    def encode_inputs(self, inputs: Sequence[ModelInput]) -> npt.NDArray[np.float32]:
        """Unit vectors for inputs from `compact_input` (or `preprocess`), as one batch.

        The pictures become tensors on this thread alone: each step is a tiny operation, and
        splitting each over torch's thread pool made the pool's threads wait on one another
        while decode workers held the cores (1 s for 32 pictures against 0.05 s on one thread,
        on 2 busy cores), which tripled the model's share of indexing.
        """
        if not inputs:
            return np.zeros((0, self.dim), dtype=np.float32)
        with _one_cpu_thread(self.device.type == "cpu"):
            batch = torch.stack([self._tensor_steps(x) for x in inputs])
        return self.encode_images(batch)

    @torch.inference_mode()
    def encode_images(self, batch: torch.Tensor) -> npt.NDArray[np.float32]:
        """Unit vectors for a batch of preprocessed images."""
        if batch.shape[0] == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        x = batch.to(self.device, dtype=self.dtype, non_blocking=True)
        features = self.loaded.model.encode_image(x).float()
        return F.normalize(features, dim=-1).cpu().numpy()

    def encode_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit vectors for texts; repeated texts come from the cache."""
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing: list[int] = []
        with self._text_lock:
            for i, text in enumerate(texts):
                cached = self._text_cache.get(text)
                if cached is None:
                    missing.append(i)
                else:
                    self._text_cache.move_to_end(text)
                    result[i] = cached
        if missing:
            fresh = self._encode_texts_uncached([texts[i] for i in missing])
            with self._text_lock:
                for row, i in enumerate(missing):
                    result[i] = fresh[row]
                    self._text_cache[texts[i]] = fresh[row]
                while len(self._text_cache) > self._text_cache_size:
                    self._text_cache.popitem(last=False)
        return result

    @torch.inference_mode()
    def _encode_texts_uncached(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if self.loaded.tokenizer is None:
            raise ModelUnavailable(
                f"The text tower of {self.model_id} was not loaded (its exported tower answers text); "
                "its export is gone: restart photoclip to load the whole model."
            )
        tokens = self.loaded.tokenizer(list(texts)).to(self.device)
        with _one_cpu_thread(self.device.type == "cpu" and len(texts) <= SMALL_TEXT_BATCH):
            features = encode_text(self.loaded.model, tokens, trim=self.loaded.text_trimmable).float()
        return F.normalize(features, dim=-1).cpu().numpy()

    # -- precision ----------------------------------------------------------------------------

    def _calibrated_precision(self, cache_path: Path | None) -> str:
        key = calibration_key(self.model_id, self.device)
        cache = _read_calibrations(cache_path)
        if key in cache and cache[key].get("precision") in _DTYPES:
            self.calibration = cache[key]
            return str(cache[key]["precision"])
        self.calibration = calibrate_precision(self.loaded, precision_candidates(self.device))
        if cache_path is not None:
            cache[key] = self.calibration
            write_json_atomic(cache_path, cache)
        return str(self.calibration["precision"])


def calibration_key(model_id: str, device: torch.device) -> str:
    """What a precision verdict holds for: the model, the device and its features, torch, the thread count."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    flags = ""
    if device.type == "cpu" and os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = hashlib.blake2b(line.encode(), digest_size=4).hexdigest()
                    break
    threads = torch.get_num_threads()
    return f"{model_id}|{device.type}|{name}|{flags}|torch {torch.__version__}|threads {threads}"


def _read_calibrations(cache_path: Path | None) -> dict[str, Any]:
    if cache_path is None or not cache_path.is_file():
        return {}
    try:
        data = json.loads(cache_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cached_precision(model_id: str, device: torch.device, cache_path: Path | None) -> str | None:
    """The precision calibrated earlier for this model on this device, if any (so the weights load in it)."""
    verdict = _read_calibrations(cache_path).get(calibration_key(model_id, device), {})
    precision = verdict.get("precision") if isinstance(verdict, dict) else None
    return precision if precision in _DTYPES else None


def calibrate_precision(loaded: LoadedModel, candidates: Sequence[str]) -> dict[str, Any]:
    """Measure each candidate's speed and fidelity against float32; pick the fastest faithful one."""
    images = torch.stack([loaded.preprocess(im) for im in _calibration_images(loaded.image_size)])
    tokens = loaded.tokenizer(_CALIBRATION_TEXTS)

    def run(model: Any, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, float]:
        with torch.inference_mode():
            x = images.to(loaded.device, dtype=dtype)
            t = tokens.to(loaded.device)
            model.encode_image(x)  # warm-up
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                image_features = model.encode_image(x).float()
                if loaded.device.type == "cuda":
                    torch.cuda.synchronize()
                timings.append(time.perf_counter() - started)
            text_features = encode_text(model, t, trim=loaded.text_trimmable).float()
        return F.normalize(image_features, dim=-1), F.normalize(text_features, dim=-1), statistics.median(timings)

    reference_images, reference_texts, reference_time = run(loaded.model, torch.float32)
    report: dict[str, Any] = {"precision": "float32", "float32_seconds": reference_time, "candidates": {}}
    best_time = reference_time
    for name in candidates:
        dtype = _DTYPES[name]
        try:
            image_features, text_features, seconds = run(copy.deepcopy(loaded.model).to(dtype), dtype)
        except Exception as e:  # an unsupported dtype simply is not chosen
            report["candidates"][name] = {"error": str(e)[:200]}
            continue
        fidelity = min(
            float((image_features * reference_images).sum(-1).min()),
            float((text_features * reference_texts).sum(-1).min()),
        )
        speedup = reference_time / seconds
        report["candidates"][name] = {"cosine": fidelity, "seconds": seconds, "speedup": speedup}
        if fidelity >= FIDELITY and speedup >= MIN_SPEEDUP and seconds < best_time:
            best_time = seconds
            report["precision"] = name
    log.info("precision calibration for %s: %s", loaded.model_id, report)
    return report
