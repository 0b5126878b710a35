"""Loading a model onto a device: the one place that calls open_clip to build and run models.

Device choice (CUDA, then Apple MPS, then CPU, unless the user named one), the
model's own preprocessing and tokenizer, and the text tower trimmed to the
tokens a query actually has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def load_model(
    spec: ModelSpec,
    *,
    device: str | None = None,
    cache_dir: Path,
    allow_download: bool = True,
    progress: DownloadProgress | None = None,
) -> LoadedModel:
    """Load a model in float32 on the chosen device (precision is tuned later by the embedder)."""
    open_clip = open_clip_module()
    import torch

    torch_device = resolve_device(device)
    if spec.architecture.startswith("local-dir:"):
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
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            spec.architecture,
            pretrained=pretrained,
            device=torch_device,
            **_preprocess_override(spec),
        )
        tokenizer = open_clip.get_tokenizer(spec.architecture, cache_dir=str(cache_dir))
    except ModelUnavailable:
        raise
    except Exception as e:  # any loader failure is reported as one clear line
        raise ModelUnavailable(f"Could not load {spec.model_id}: {e}") from e
    model.eval()
    image_size = _image_size(model)
    with torch.inference_mode():
        probe = torch.zeros(1, 3, image_size, image_size, device=torch_device)
        embed_dim = int(model.encode_image(probe).shape[-1])
    log.info("loaded %s on %s (dim %d, input %dpx)", spec.model_id, torch_device, embed_dim, image_size)
    return LoadedModel(
        spec, model, preprocess, tokenizer, torch_device, embed_dim, image_size, supports_trimmed_text(model)
    )


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
