"""Where exported text towers live in the cache, what their record says, and finding one without PyTorch.

An exported tower sits in ``<cache>/text-towers/<sha256 of the weights>/``: the ONNX
graph (`TOWER_FILE`) and its record (`RECORD`: the model it came from, its vector
size, learned temperature, tokenizer and how closely it matched PyTorch). Keyed by
the weights' own hash, a tower can never answer for other weights, whatever the
model is called. Everything here is cheap and torch-free: it runs before every
text query.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoclip.core.clip.registry import (
    TINY_MODEL_KEY,
    ModelSpec,
    bundled_model_dir,
    read_import_record,
)
from photoclip.core.util.atomic import write_json_atomic

if TYPE_CHECKING:
    from photoclip.core.clip.loading import LoadedModel

log = logging.getLogger(__name__)

FORMAT = 1
TOWER_FILE = "text.onnx"
TOWER_DATA = TOWER_FILE + ".data"  # the weights, memory-mapped by ONNX Runtime
RECORD = "text_tower.json"
EXPORT_FIDELITY = 0.9999
"""Lowest cosine between the exported tower's vector and PyTorch's (float32) for any checked prompt."""

CHECK_PROMPTS = 128
"""Prompts each export is checked on before it is used (`benchmarks/text_towers.py` checks a thousand)."""


@dataclass(frozen=True)
class TextTowerRecord:
    format: int
    model_id: str
    weights_sha256: str
    embed_dim: int
    logit_scale: float
    trimmable: bool
    tokenizer: dict[str, Any]
    checked_prompts: int
    min_cosine: float
    seconds: float = 0.0
    versions: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextTowerRecord | None:
        try:
            record = cls(
                format=int(data["format"]),
                model_id=str(data["model_id"]),
                weights_sha256=str(data["weights_sha256"]),
                embed_dim=int(data["embed_dim"]),
                logit_scale=float(data["logit_scale"]),
                trimmable=bool(data["trimmable"]),
                tokenizer=dict(data["tokenizer"]),
                checked_prompts=int(data["checked_prompts"]),
                min_cosine=float(data["min_cosine"]),
                seconds=float(data.get("seconds", 0.0)),
                versions=dict(data.get("versions", {})),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return record


def towers_dir(cache_dir: Path) -> Path:
    return cache_dir / "text-towers"


def tower_dir(cache_dir: Path, weights_sha256: str) -> Path:
    return towers_dir(cache_dir) / weights_sha256


def find_text_tower(spec: ModelSpec, cache_dir: Path) -> tuple[Path, TextTowerRecord] | None:
    """The checked export of `spec`'s text tower, or None (not exported yet, or for other weights)."""
    digest = weights_sha256(spec, cache_dir, compute=False)
    if digest is None:
        return None
    folder = tower_dir(cache_dir, digest)
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    record = TextTowerRecord.from_dict(data) if isinstance(data, dict) else None
    if (
        record is None
        or record.format != FORMAT
        or record.weights_sha256 != digest
        or record.min_cosine < EXPORT_FIDELITY
        or not (folder / TOWER_FILE).is_file()
        or not (folder / TOWER_DATA).is_file()
    ):
        return None
    return folder, record


def weights_sha256(spec: ModelSpec, cache_dir: Path, *, compute: bool = True) -> str | None:
    """The sha256 of the file `spec`'s weights load from, from records where photoclip keeps it.

    Downloads and imports record it when they are made; the bundled model and checkpoints
    of one's own are hashed once and remembered by path, size and modification time.
    Without `compute`, an unknown hash is None rather than seconds of reading.
    """
    path = weights_file(spec, cache_dir)
    if path is None:
        return None
    if spec.architecture.startswith("local-dir:"):
        recorded = read_import_record(path.parent).get("sha256")
        if isinstance(recorded, str) and len(recorded) == 64:  # written by `ModelManager.import_checkpoint`
            return recorded
    else:
        downloaded = _download_record(path)
        if downloaded is not None:
            return downloaded
    try:
        stat = path.stat()
    except OSError:
        return None
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    memo_file = towers_dir(cache_dir) / "hashes.json"
    memo = _read_json(memo_file)
    known = memo.get(key)
    if isinstance(known, str):
        return known
    if not compute and not (spec.key == TINY_MODEL_KEY and path.parent == bundled_model_dir()):
        return None
    from photoclip.core.clip.weights import file_sha256

    digest = file_sha256(path)
    memo[key] = digest
    try:
        write_json_atomic(memo_file, memo)
    except OSError as e:  # a read-only cache: hashed again next time
        log.debug("cannot remember the hash of %s: %s", path, e)
    return digest


def weights_file(spec: ModelSpec, cache_dir: Path) -> Path | None:
    """The weights file of a model without importing open_clip (None when it is not on disk)."""
    if spec.architecture.startswith("local-dir:"):
        folder = Path(spec.architecture.removeprefix("local-dir:"))
        for name in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin"):
            if (folder / name).is_file():
                return folder / name
        return None
    if spec.pretrained and Path(spec.pretrained).is_file():
        return Path(spec.pretrained)
    for record_file in sorted((cache_dir / "weights").glob("*/*.json")):
        record = _read_json(record_file)
        weights = record_file.with_name(record_file.name.removesuffix(".json"))
        if record.get("model_id") == spec.model_id and weights.is_file():
            return weights
    return None


def _download_record(weights: Path) -> str | None:
    record = _read_json(weights.with_name(weights.name + ".json"))
    digest = record.get("sha256")
    try:
        size_ok = record.get("size") == weights.stat().st_size
    except OSError:
        return None
    return digest if isinstance(digest, str) and len(digest) == 64 and size_ok else None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def tokenizer_config(loaded: LoadedModel) -> dict[str, Any] | None:
    """How to tokenize for this model without PyTorch, or None when only open_clip's own tokenizer will do.

    CLIP's byte-pair tokenizer with its "lower" clean-up and no extra tokens (every CLIP
    and ViT model photoclip offers, and the tiny one) is re-implemented in
    `tokenizer.ClipTokenizer`; other tokenizers keep queries on PyTorch.
    """
    tokenizer = loaded.tokenizer
    if type(tokenizer).__name__ != "SimpleTokenizer":
        return None
    clean = getattr(getattr(tokenizer, "clean_fn", None), "__name__", "")
    encoder = getattr(tokenizer, "encoder", {})
    if clean != "_clean_lower" or getattr(tokenizer, "reduction_fn", None) is not None or len(encoder) != 49408:
        return None
    return {"kind": "clip-bpe", "context_length": int(tokenizer.context_length)}


@functools.lru_cache(maxsize=4)
def check_prompts(count: int = CHECK_PROMPTS, seed: int = 0) -> tuple[str, ...]:
    """Varied texts to compare an export with PyTorch: captions, label prompts, odd characters, too-long texts."""
    rng = random.Random(seed)
    words = (
        "dog cat beach sunset kids snow mountain city night car bicycle flower garden birthday cake wedding dress "
        "forest river boat bridge museum painting coffee market train station airport grandma smiling running red "
        "blue green yellow old small big rainy foggy screenshot document receipt selfie portrait café naïve jalapeño "
        "straße 東京 夜景 猫 собака пляж 🙂 🌅 #holiday @home 2024 3.5 x-ray e-mail don't it's"
    ).split()
    templates = (
        "a photo of a {}.",
        "a close-up photo of a {}.",
        "a blurry photo of the {}.",
        "{}",
        "a bad photo of {} at night",
        "{} -people +sunset",
    )
    prompts = ["", "a", "   ", "a photo of a dog", "A PHOTO OF A DOG!!!", "&amp; &lt;b&gt;", "\t\n"]
    while len(prompts) < count:
        kind = len(prompts) % 4
        if kind == 0:
            prompts.append(rng.choice(templates).format(rng.choice(words)))
        elif kind == 1:
            prompts.append(" ".join(rng.choices(words, k=rng.randint(2, 12))))
        elif kind == 2:
            prompts.append(" ".join(rng.choices(words, k=rng.randint(60, 120))))  # longer than any context
        else:
            alphabet = "abcdefghij ,.!?'-0123456789éü日🙂&;"
            prompts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))))
    return tuple(prompts[:count])


EXPORT_SWITCH = "PHOTOCLIP_TEXT_EXPORT"
"""Set to 0 to never export text towers in the background (the test suite does; explicit exports still run)."""


def failure_file(cache_dir: Path, weights_sha256: str) -> Path:
    """Written when an export failed, so it is not retried at every start (until photoclip or torch changes)."""
    return towers_dir(cache_dir) / f"{weights_sha256}.failed.json"


def start_text_export(spec: ModelSpec, cache_dir: Path) -> subprocess.Popen[bytes] | None:
    """Export the text tower in a process of its own, at low priority, that outlives this one if need be.

    Called when a model's whole is loaded and its text tower was never exported: the
    next text query (in this process or a later command) then needs no PyTorch. A
    process of its own keeps the export's memory (a second float32 copy of the model)
    out of the app, and lets a one-off command finish without waiting for it.
    """
    if os.environ.get(EXPORT_SWITCH, "1") == "0":
        return None
    if getattr(sys, "frozen", False):  # a bundled app cannot run `python -m`: a low-priority thread instead
        _export_in_thread(spec, cache_dir)
        return None
    try:
        digest = weights_sha256(spec, cache_dir, compute=False)
        if digest is not None and failure_file(cache_dir, digest).exists():
            return None
        towers_dir(cache_dir).mkdir(parents=True, exist_ok=True)
        log_file = open(towers_dir(cache_dir) / "export.log", "ab")  # handed to the child, closed below
    except OSError as e:
        log.warning("cannot prepare the text tower export of %s: %s", spec.key, e)
        return None
    with log_file:
        return subprocess.Popen(
            [sys.executable, "-m", "photoclip.core.clip.text_export", json.dumps(asdict(spec)), str(cache_dir)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
            close_fds=True,
        )


def _export_in_thread(spec: ModelSpec, cache_dir: Path) -> None:
    import threading

    def work() -> None:
        from photoclip.core.clip.text_export import prepare_text_tower

        try:
            prepare_text_tower(spec, cache_dir)
        except Exception:  # never fatal: text queries keep using PyTorch
            log.exception("exporting the text tower of %s failed", spec.key)

    threading.Thread(target=work, name="photoclip-text-export", daemon=True).start()
