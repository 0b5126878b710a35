"""Loading a model onto a device: the one place that calls open_clip to build and run models.

Device choice (CUDA, then Apple MPS, then CPU, unless the user named one), the
model's own preprocessing and tokenizer, and the text tower trimmed to the
tokens a query actually has.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photoclip.core.clip.registry import ModelSpec, open_clip_module
from photoclip.core.clip.weights import DownloadProgress, cached_weights, download_weights
from photoclip.core.errors import ModelUnavailable

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


def resolve_device(preference: str | None = None) -> torch.device:
    """CUDA, then Apple MPS, then CPU, unless the user named one."""
    import torch

    choice = (preference or "auto").lower()
    if choice != "auto":
        if choice.startswith("cuda") and not torch.cuda.is_available():
            raise ModelUnavailable("CUDA was requested but no CUDA GPU is available to PyTorch.")
        if choice == "mps" and not _mps_available():
            raise ModelUnavailable("Apple MPS was requested but is not available on this machine.")
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


@dataclass
class LoadedModel:
    """A model ready to embed: weights on a device, its own preprocessing and tokenizer."""

    spec: ModelSpec
    model: Any
    preprocess: Callable[[Any], Any]
    tokenizer: Any
    device: torch.device
    embed_dim: int
    image_size: int
    text_trimmable: bool = False

    @property
    def model_id(self) -> str:
        return self.spec.model_id


_DTYPES = {"float32": "float32", "bfloat16": "bfloat16", "float16": "float16"}


def load_model(
    spec: ModelSpec,
    *,
    device: str | None = None,
    cache_dir: Path,
    allow_download: bool = True,
    progress: DownloadProgress | None = None,
    dtype: str = "float32",
    text: bool = True,
) -> LoadedModel:
    """Load a model on the chosen device, holding one copy of its weights in `dtype`.

    Args:
        dtype: the precision the weights are held in ("float32", "bfloat16" or "float16"); the embedder
            chooses it (`embedder.calibrated_precision`).
        text: keep the text tower; without it (text queries answered by the exported tower) only the
            image tower's weights are read, which is what indexing needs.

    Weights in a .safetensors file (every download and import) are read tensor by tensor straight
    into a model built in `dtype`: no float32 copy of the model beside it, and no second copy of the
    file's contents in memory, which is what loading through open_clip costs (2.1 GB at the peak for
    ViT-B-32 against 1.2 GB). Other checkpoints load through open_clip as before.
    """
    open_clip = open_clip_module()
    import torch

    torch_device = resolve_device(device)
    local_dir = spec.architecture.startswith("local-dir:")
    if local_dir:
        pretrained = None
    elif spec.pretrained and Path(spec.pretrained).is_file():
        pretrained = spec.pretrained
    else:
        weights = download_weights(spec, cache_dir, progress) if allow_download else cached_weights(spec, cache_dir)
        if weights is None:
            raise ModelUnavailable(
                f"The weights of {spec.model_id} are not downloaded yet; run `photoclip models download {spec.key}`."
            )
        pretrained = str(weights)
    weights_file = _weights_file(spec, pretrained)
    torch_dtype = getattr(torch, _DTYPES[dtype])
    try:
        if weights_file is not None and weights_file.suffix == ".safetensors":
            model, preprocess = _empty_model(spec, pretrained, torch_dtype, text=text)
            read_safetensors(model, weights_file, dropped_text=not text)
            model.to(torch_device)
        else:
            model, _, preprocess = open_clip.create_model_and_transforms(
                spec.architecture, pretrained=pretrained, device=torch_device, **_preprocess_override(spec)
            )
            if torch_dtype != torch.float32:
                model.to(torch_dtype)
            if not text:
                drop_text_tower(model)
        tokenizer = open_clip.get_tokenizer(spec.architecture, cache_dir=str(cache_dir)) if text else None
    except ModelUnavailable:
        raise
    except Exception as e:  # any loader failure is reported as one clear line
        raise ModelUnavailable(f"Could not load {spec.model_id}: {e}") from e
    model.eval()
    image_size = _image_size(model)
    with torch.inference_mode():
        probe = torch.zeros(1, 3, image_size, image_size, device=torch_device, dtype=torch_dtype)
        embed_dim = int(model.encode_image(probe).shape[-1])
    log.info("loaded %s on %s in %s (dim %d, input %dpx)", spec.model_id, torch_device, dtype, embed_dim, image_size)
    return LoadedModel(
        spec,
        model,
        preprocess,
        tokenizer,
        torch_device,
        embed_dim,
        image_size,
        text and supports_trimmed_text(model),
    )


def _empty_model(spec: ModelSpec, pretrained: str | None, dtype: Any, *, text: bool) -> tuple[Any, Any]:
    """The architecture with room for its weights in `dtype` and nothing else: built on PyTorch's "meta"
    device (no memory, no random initialisation), the text tower dropped when not wanted, then given
    uninitialised memory that `read_safetensors` fills entirely.

    Buffers a checkpoint does not hold are computed when the model is built; the text tower's causal
    mask is rebuilt here, and an architecture with any other such buffer is built the ordinary way.
    """
    import torch

    open_clip = open_clip_module()
    with _default_dtype(dtype), torch.device("meta"), _no_random_init_warning():
        model, _, preprocess = open_clip.create_model_and_transforms(
            spec.architecture, pretrained=pretrained, load_weights=False, device="meta", **_preprocess_override(spec)
        )
    if not text:
        drop_text_tower(model)
    stored = set(model.state_dict().keys())
    computed = [name for name, _ in model.named_buffers() if name not in stored]
    if computed not in ([], ["attn_mask"]) or (computed and not hasattr(model, "build_causal_mask")):
        with _default_dtype(dtype), _no_random_init_warning():
            model, _, preprocess = open_clip.create_model_and_transforms(
                spec.architecture, pretrained=pretrained, load_weights=False, **_preprocess_override(spec)
            )
        if not text:
            drop_text_tower(model)
        return model, preprocess
    model.to_empty(device="cpu")
    if computed:
        with _default_dtype(dtype):
            model.register_buffer("attn_mask", model.build_causal_mask(), persistent=False)
    return model, preprocess


class _RandomInitWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No pretrained weights loaded for model")


@contextlib.contextmanager
def _no_random_init_warning() -> Iterator[None]:
    """Keep open_clip from saying "Model initialized randomly" (on the root logger, so on a command's
    screen) while building a model whose weights `read_safetensors` reads next: it is not true."""
    root = logging.getLogger()
    quiet = _RandomInitWarning()
    root.addFilter(quiet)
    try:
        yield
    finally:
        root.removeFilter(quiet)


def _weights_file(spec: ModelSpec, pretrained: str | None) -> Path | None:
    if pretrained is not None:
        return Path(pretrained)
    folder = Path(spec.architecture.removeprefix("local-dir:"))
    for name in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin"):
        if (folder / name).is_file():
            return folder / name
    return None


@contextlib.contextmanager
def _default_dtype(dtype: Any) -> Iterator[None]:
    """Build modules with their parameters in `dtype` from the start (no float32 copy to convert)."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


_TEXT_MODULES = ("transformer", "token_embedding", "ln_final", "text")
_TEXT_TENSORS = ("positional_embedding", "text_projection", "attn_mask")


def drop_text_tower(model: Any) -> None:
    """Free the text tower of a CLIP model whose queries are answered elsewhere (the exported tower)."""
    for name in _TEXT_MODULES:
        if name in model._modules:
            delattr(model, name)
    for name in _TEXT_TENSORS:
        if name in model._parameters or name in model._buffers:
            delattr(model, name)
    model.photoclip_text_dropped = True


def _is_text_key(key: str) -> bool:
    head = key.split(".", 1)[0]
    return head in _TEXT_MODULES or head in _TEXT_TENSORS


def read_safetensors(model: Any, path: Path, *, dropped_text: bool = False) -> None:
    """Copy every tensor of a .safetensors file into `model`, one tensor at a time, by plain reads.

    The file must fit the model exactly (every weight present, no unknown one; the text tower's
    may be absent from the model when it was dropped). Reading, not memory-mapping, keeps the
    file's pages out of this process's memory: only one tensor is held beside the model.
    """
    import struct

    import torch

    targets = model.state_dict(keep_vars=True)  # what a checkpoint holds: parameters and persistent buffers
    with open(path, "rb") as f:
        try:
            (length,) = struct.unpack("<Q", f.read(8))
            if length > 100 << 20:
                raise SafetensorError(f"{path.name} is not a safetensors file (its header claims {length} bytes)")
            header = json.loads(f.read(length))
            if not isinstance(header, dict):
                raise SafetensorError(f"{path.name} is not a safetensors file")
        except (struct.error, ValueError) as e:
            raise SafetensorError(f"{path.name} is not a readable safetensors file: {e}") from e
        base = 8 + length
        header.pop("__metadata__", None)
        unknown = [k for k in header if k not in targets and not (dropped_text and _is_text_key(k))]
        missing = [k for k in targets if k not in header]
        if unknown or missing:
            raise ModelUnavailable(
                f"the weights do not fit the architecture (missing: {', '.join(missing[:3]) or 'none'}; "
                f"unexpected: {', '.join(unknown[:3]) or 'none'})"
            )
        for name, info in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
            target = targets.get(name)
            if target is None:
                continue  # a text weight of a dropped text tower
            start, end = info["data_offsets"]
            dtype = _SAFETENSORS_DTYPES.get(info["dtype"])
            if dtype is None:
                raise ModelUnavailable(f"{path.name} holds {name} as {info['dtype']}, which photoclip cannot read.")
            if int(np.prod(info["shape"], dtype=np.int64)) != target.numel() or (
                tuple(info["shape"]) != tuple(target.shape) and name != "logit_scale"
            ):
                shape = list(target.shape)
                raise ModelUnavailable(f"the weights do not fit the architecture ({name}: {info['shape']} vs {shape})")
            buffer = bytearray(end - start)
            f.seek(base + start)
            if f.readinto(buffer) != len(buffer):
                raise SafetensorError(f"{path.name} is cut short (at {name})")
            source = torch.frombuffer(buffer, dtype=getattr(torch, dtype)) if buffer else torch.empty(0)
            with torch.no_grad():
                target.copy_(source.reshape(target.shape))
            del buffer, source


class SafetensorError(ValueError):
    """A .safetensors file that cannot be read (damaged, cut short, not one at all); named like the safetensors
    library's own error, which `manager` recognises as "not a readable checkpoint"."""


_SAFETENSORS_DTYPES = {
    "F32": "float32",
    "F16": "float16",
    "BF16": "bfloat16",
    "F64": "float64",
    "I64": "int64",
    "I32": "int32",
    "BOOL": "bool",
}


def _preprocess_override(spec: ModelSpec) -> dict[str, Any]:
    """Published tags carry their own mean/std/interpolation; a bare checkpoint borrows them from its tag."""
    if not spec.preprocess_tag:
        return {}
    cfg = open_clip_module().get_pretrained_cfg(spec.architecture, spec.preprocess_tag) or {}
    keys = ("mean", "std", "interpolation", "resize_mode")
    return {"force_preprocess_cfg": {k: cfg[k] for k in keys if k in cfg}}


def _image_size(model: Any) -> int:
    size = getattr(getattr(model, "visual", None), "image_size", 224)
    return int(size[0] if isinstance(size, (tuple, list)) else size)


def supports_trimmed_text(model: Any) -> bool:
    """True for open_clip's standard causal text tower, where padding cannot affect the output."""
    return (
        isinstance(model, open_clip_module().CLIP)
        and getattr(model, "attn_mask", None) is not None
        and getattr(model, "text_pool_type", None) == "argmax"
    )


def encode_text(model: Any, tokens: torch.Tensor, *, trim: bool) -> torch.Tensor:
    """`model.encode_text`, computed only up to the longest end-of-text in the batch when `trim`.

    Valid for open_clip's standard CLIP text tower (see `supports_trimmed_text`): the
    causal mask means position i attends only to positions <= i, and pooling reads
    the end-of-text position, so the padding after it cannot influence the output.
    A 5-word query then costs ~10 token positions instead of 77.
    """
    import torch

    if not trim:
        return model.encode_text(tokens)  # type: ignore[no-any-return]
    nonzero = (tokens != 0).int()
    length = int((nonzero * torch.arange(1, tokens.shape[1] + 1, device=tokens.device)).max())
    if length >= tokens.shape[1]:
        return model.encode_text(tokens)  # type: ignore[no-any-return]
    text = tokens[:, :length]
    cast_dtype = model.transformer.get_cast_dtype()
    x = model.token_embedding(text).to(cast_dtype)
    x = x + model.positional_embedding[:length].to(cast_dtype)
    x = model.transformer(x, attn_mask=model.attn_mask[:length, :length])
    x = model.ln_final(x)
    pooled: torch.Tensor = x[torch.arange(x.shape[0], device=x.device), text.argmax(dim=-1)]
    projection = model.text_projection
    if projection is None:
        return pooled
    projected: torch.Tensor = projection(pooled) if isinstance(projection, torch.nn.Linear) else pooled @ projection
    return projected
