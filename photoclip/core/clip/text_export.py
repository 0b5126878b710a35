"""Exporting a model's text tower to ONNX once, and proving it answers like the PyTorch tower.

A text query needs only the text tower: a few million multiply-adds for a short
query. Loading PyTorch and both towers for it costs seconds and more than a
gigabyte; ONNX Runtime runs the same graph after a fraction of a second and a
fraction of the memory. So each model's text tower is exported once (when its
weights are downloaded or imported, or the first time it is used), checked
against the PyTorch tower on a set of prompts (cosine >= `EXPORT_FIDELITY` for
every one, full-length and truncated texts included), and only then kept, in the
cache folder under the sha256 of the weights (`text_towers.tower_dir`). A tower
that cannot be exported or fails the check is simply not kept: queries keep using
PyTorch, as before.

For open_clip's standard causal text tower the graph takes token ids of any length
(the caller trims them after the last end-of-text token, as `loading.encode_text`
does); other text towers are exported at their full context length.

This module imports torch: only exporting needs it, never a query.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from photoclip.core.clip.loading import LoadedModel, encode_text
from photoclip.core.clip.registry import ModelSpec
from photoclip.core.clip.text_towers import (
    EXPORT_FIDELITY,
    FORMAT,
    RECORD,
    TOWER_FILE,
    TextTowerRecord,
    check_prompts,
    failure_file,
    find_text_tower,
    tokenizer_config,
    tower_dir,
    towers_dir,
    weights_sha256,
)
from photoclip.core.errors import ModelUnavailable
from photoclip.core.util.atomic import fsync_dir, write_json_atomic

log = logging.getLogger(__name__)

OPSET = 18


class ExportFailed(ModelUnavailable):
    """The text tower could not be exported, or the export does not answer like PyTorch: it is not kept."""


def prepare_text_tower(
    spec: ModelSpec, cache_dir: Path, *, loaded: LoadedModel | None = None
) -> TextTowerRecord | None:
    """Make sure `spec`'s text tower is exported and checked; None (logged, remembered) when it cannot be.

    Args:
        loaded: the model already loaded in float32 on the CPU (else it is loaded here, from disk only).
    """
    found = find_text_tower(spec, cache_dir)
    if found is not None:
        return found[1]
    digest = weights_sha256(spec, cache_dir)
    if digest is None:
        log.info("the weights of %s are not on disk; its text tower is exported once they are", spec.key)
        return None
    try:
        if loaded is None:
            from photoclip.core.clip.loading import load_model

            loaded = load_model(spec, device="cpu", cache_dir=cache_dir, allow_download=False)
        return export_text_tower(loaded, cache_dir=cache_dir, weights_sha256=digest, model_id=spec.model_id)
    except ModelUnavailable as e:
        log.warning("%s", e)
        _remember_failure(cache_dir, digest, spec, str(e))
        return None


def _remember_failure(cache_dir: Path, digest: str, spec: ModelSpec, reason: str) -> None:
    import torch

    try:
        towers_dir(cache_dir).mkdir(parents=True, exist_ok=True)
        write_json_atomic(
            failure_file(cache_dir, digest),
            {"model_id": spec.model_id, "reason": reason, "torch": torch.__version__, "time": time.time()},
        )
    except OSError as e:
        log.warning("cannot record the failed export: %s", e)


def export_text_tower(
    loaded: LoadedModel,
    *,
    cache_dir: Path,
    weights_sha256: str,
    model_id: str | None = None,
    prompts: Sequence[str] | None = None,
) -> TextTowerRecord:
    """Export `loaded`'s text tower (float32, on the CPU) to ONNX, check it, and keep it in the cache.

    Args:
        loaded: the model, in float32 (an embedder that switched it to bfloat16 cannot be exported faithfully).
        weights_sha256: the sha256 of the weights it was loaded from: the cache key.
        prompts: what the check compares (default: `check_prompts()`).

    Raises:
        ExportFailed: when export fails or any prompt's vector is further than `EXPORT_FIDELITY` from PyTorch's.
    """
    import torch

    model = loaded.model
    dtypes = {p.dtype for p in model.parameters()}
    if dtypes != {torch.float32} or loaded.device.type != "cpu":
        raise ExportFailed(f"The text tower of {loaded.model_id} must be exported from float32 weights on the CPU.")
    tokenizer = tokenizer_config(loaded)
    if tokenizer is None:
        raise ExportFailed(f"{loaded.model_id} has a tokenizer that needs PyTorch; its queries keep using PyTorch.")
    target = tower_dir(cache_dir, weights_sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    started = time.perf_counter()
    try:
        trimmable = loaded.text_trimmable
        context = int(tokenizer["context_length"])
        _export(model, staging / TOWER_FILE, trimmable=trimmable, context=context)
        cosine = _check(loaded, staging / TOWER_FILE, list(prompts or check_prompts()), trimmable)
        if cosine < EXPORT_FIDELITY:
            raise ExportFailed(
                f"The exported text tower of {loaded.model_id} differs from PyTorch's (cosine {cosine:.6f} < "
                f"{EXPORT_FIDELITY}); queries keep using PyTorch."
            )
        scale = getattr(model, "logit_scale", None)
        record = TextTowerRecord(
            format=FORMAT,
            model_id=model_id or loaded.model_id,
            weights_sha256=weights_sha256,
            embed_dim=loaded.embed_dim,
            logit_scale=float(scale.detach().exp()) if scale is not None else 100.0,
            trimmable=trimmable,
            tokenizer=tokenizer,
            checked_prompts=len(list(prompts or check_prompts())),
            min_cosine=cosine,
            seconds=round(time.perf_counter() - started, 2),
            versions={"torch": torch.__version__, "onnxruntime": _ort_version(), "opset": OPSET},
        )
        write_json_atomic(staging / RECORD, record.as_dict())
        if target.exists():
            shutil.rmtree(target)
        staging.chmod(0o755)
        staging.rename(target)
        fsync_dir(target.parent)
    except ExportFailed:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except Exception as e:  # the exporter's and ONNX Runtime's many failures: one clear line, PyTorch stays
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportFailed(f"Could not export the text tower of {loaded.model_id}: {str(e)[:300]}") from e
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("exported the text tower of %s (cosine %.6f, %.1f s)", loaded.model_id, cosine, record.seconds)
    return record


def _export(model: Any, path: Path, *, trimmable: bool, context: int) -> None:
    import torch

    class TextTower(torch.nn.Module):
        """The text tower alone: token ids in, the projected (not normalised) text vector out."""

        def __init__(self, clip: Any) -> None:
            super().__init__()
            self.clip = clip

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            return encode_text(self.clip, tokens, trim=False) if not trimmable else _trimmed(self.clip, tokens)

    sample = torch.zeros(2, min(context, 16) if trimmable else context, dtype=torch.long)
    sample[:, 0], sample[:, 5] = 49406, 49407
    batch = torch.export.Dim("batch", min=1, max=4096)
    shapes: dict[int, Any] = {0: batch}
    if trimmable:
        shapes[1] = torch.export.Dim("length", min=1, max=context)
    with torch.inference_mode(False), torch.no_grad():
        program = torch.onnx.export(
            TextTower(model).eval(),
            (sample,),
            input_names=["tokens"],
            output_names=["vector"],
            dynamic_shapes=({**shapes},),
            opset_version=OPSET,
            dynamo=True,
            verbose=False,
        )
    import onnx_ir

    if program is None:
        raise ExportFailed("the ONNX exporter returned nothing")

    # the weights in a file of their own, each tensor at a page-aligned offset: ONNX Runtime then maps
    # them into memory instead of copying them (a query touches only the rows of its own words)
    onnx_ir.save(
        program.model,
        path,
        external_data=path.name + ".data",
        size_threshold_bytes=1024,
        alignment=65536,
        align_threshold=0,
    )


def _trimmed(model: Any, tokens: Any) -> Any:
    """`encode_text` for token ids already cut after the batch's last end-of-text (any length up to the context)."""
    import torch

    length = tokens.shape[1]
    cast_dtype = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast_dtype)
    x = x + model.positional_embedding[:length].to(cast_dtype)
    x = model.transformer(x, attn_mask=model.attn_mask[:length, :length])
    x = model.ln_final(x)
    pooled = x[torch.arange(x.shape[0]), tokens.argmax(dim=-1)]
    projection = model.text_projection
    if projection is None:
        return pooled
    return projection(pooled) if isinstance(projection, torch.nn.Linear) else pooled @ projection


def _check(loaded: LoadedModel, path: Path, prompts: list[str], trimmable: bool) -> float:
    """The lowest cosine between ONNX Runtime's and PyTorch's (float32) vectors over `prompts`."""
    import torch

    from photoclip.core.clip.text_encoder import open_session, run_tower

    session = open_session(path)
    worst = 1.0
    for start in range(0, len(prompts), 64):
        chunk = prompts[start : start + 64]
        tokens = loaded.tokenizer(chunk)
        with torch.inference_mode():
            reference = encode_text(loaded.model, tokens, trim=trimmable).float().numpy()
        exported = run_tower(session, np.asarray(tokens.numpy(), dtype=np.int64), trimmable=trimmable)
        worst = min(worst, float(_cosines(reference, exported).min()))
    return worst


def _cosines(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    norms = np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1)
    result: npt.NDArray[np.float64] = (a64 * b64).sum(axis=1) / np.maximum(norms, 1e-30)
    return result


def _ort_version() -> str:
    import onnxruntime

    return str(onnxruntime.__version__)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m photoclip.core.clip.text_export SPEC_JSON CACHE_DIR``: what `start_text_export` runs."""
    import json
    import os
    import sys

    from filelock import FileLock, Timeout

    args = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    spec = ModelSpec(**json.loads(args[0]))
    cache_dir = Path(args[1])
    if hasattr(os, "nice"):
        os.nice(10)  # behind whatever the person is doing
    towers_dir(cache_dir).mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(towers_dir(cache_dir) / f"{spec.model_id.replace('/', '_')[:80]}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.info("another process is exporting the text tower of %s", spec.key)
        return 0
    try:
        return 0 if prepare_text_tower(spec, cache_dir) is not None else 1
    finally:
        lock.release()


if __name__ == "__main__":
    raise SystemExit(main())
