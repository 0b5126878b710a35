"""Which CLIP model to use, where its weights come from, and on which device it runs.

This is the one module that calls open_clip. A model is named by a short key
(``photoclip-tiny``, ``vit-b-32``), by ``ARCH/TAG`` for any of open_clip's
published weights, or by a local checkpoint. Each gets a stable `model_id`,
stored beside every vector, so changing weights can never mix incompatible
vectors. Downloads go through huggingface_hub (with progress) only when the
user asked for that model; being offline fails within seconds with a message
that says what to do instead.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import socket
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoclip.core.errors import ModelUnavailable

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

TINY_MODEL_KEY = "photoclip-tiny"
DEFAULT_MODEL_KEY = "vit-b-32"

DownloadProgress = Callable[[int, int | None], None]
"""Called with (bytes done, bytes total or None) while weights download."""


@dataclass(frozen=True)
class ModelSpec:
    """Where a model's architecture and weights come from.

    Attributes:
        key: the name users type.
        architecture: an open_clip model name, or ``local-dir:<path>`` for a folder holding
            ``open_clip_config.json`` and weights (the format of open_clip's hub repositories).
        pretrained: a published tag (downloaded on first use) or a local checkpoint file.
    """

    key: str
    architecture: str
    pretrained: str | None
    description: str = ""
    languages: str = "English"
    weights_fingerprint: str = field(default="", compare=False)
    preprocess_tag: str | None = None  # for a bare checkpoint: the published tag whose preprocessing it needs

    @property
    def is_local(self) -> bool:
        return self.architecture.startswith("local-dir:") or (
            self.pretrained is not None and Path(self.pretrained).is_file()
        )

    @property
    def model_id(self) -> str:
        """Identity stored beside every vector: changes whenever the weights change."""
        if self.architecture.startswith("local-dir:"):
            return f"{self.key}@{self.weights_fingerprint}"
        if self.pretrained and Path(self.pretrained).is_file():
            return f"{self.architecture}/file@{self.weights_fingerprint}"
        return f"{self.architecture}/{self.pretrained}"


def bundled_model_dir() -> Path:
    """Folder of the tiny model shipped with photoclip (trained by `photoclip.demo.train`)."""
    return Path(str(resources.files("photoclip.resources").joinpath("models", TINY_MODEL_KEY)))


def _fingerprint(path: Path) -> str:
    """Short content hash of a weights file or folder (cheap: size plus sampled bytes for big files)."""
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    digest = hashlib.blake2b(digest_size=6)
    for file in files:
        if file.suffix not in {".safetensors", ".pt", ".pth", ".bin", ".json"}:
            continue
        size = file.stat().st_size
        digest.update(f"{file.name}:{size}".encode())
        with open(file, "rb") as f:
            if size <= 64 << 20:
                digest.update(f.read())
            else:
                for offset in (0, size // 2, size - (4 << 20)):
                    f.seek(offset)
                    digest.update(f.read(4 << 20))
    return digest.hexdigest()


# Curated choices shown to users; any other ARCH/TAG from open_clip works too. The default was chosen by
# published zero-shot quality per CPU millisecond (benchmarks/model_choice.py; see the README).
_CATALOGUE: dict[str, tuple[str, str, str, str]] = {
    "vit-b-32": (
        "ViT-B-32",
        "datacomp_xl_s13b_b90k",
        "Default: the most zero-shot accuracy per CPU millisecond (69.2% ImageNet; 151M parameters, 605 MB).",
        "English",
    ),
    "vit-b-32-256": (
        "ViT-B-32-256",
        "datacomp_s34b_b86k",
        "A step up: +3.6 points ImageNet (72.8%) for about 1.3x the time per photo (605 MB).",
        "English",
    ),
    "vit-l-14": (
        "ViT-L-14",
        "datacomp_xl_s13b_b90k",
        "Most accurate (79.2% ImageNet) but about 20x slower: for a GPU (428M parameters, 1.7 GB).",
        "English",
    ),
    "multilingual": (
        "xlm-roberta-base-ViT-B-32",
        "laion5b_s13b_b90k",
        "Search in 100+ languages; same photo speed as the default (needs: pip install photoclip[multilingual]).",
        "Multilingual",
    ),
}


def known_models() -> list[ModelSpec]:
    """The curated list, bundled tiny model first."""
    specs = [_tiny_spec()]
    for key, (arch, tag, description, languages) in _CATALOGUE.items():
        specs.append(ModelSpec(key, arch, tag, description, languages))
    return specs


def _tiny_spec() -> ModelSpec:
    folder = bundled_model_dir()
    fingerprint = _fingerprint(folder) if folder.is_dir() else "missing"
    return ModelSpec(
        TINY_MODEL_KEY,
        f"local-dir:{folder}",
        None,
        "Tiny demo model bundled with photoclip: knows only coloured shapes; works offline.",
        "English (shapes and colours only)",
        fingerprint,
    )


def resolve_model(name: str, *, checkpoint: Path | None = None) -> ModelSpec:
    """Turn what the user typed into a spec, without loading anything heavy.

    Accepts a curated key, ``ARCH/TAG`` (or ``ARCH:TAG``) of open_clip's published weights,
    a folder in open_clip's hub format, or an architecture plus a local checkpoint file.
    """
    if checkpoint is not None:
        checkpoint = Path(checkpoint).expanduser()
        if not checkpoint.is_file():
            raise ModelUnavailable(f"Checkpoint file not found: {checkpoint}")
        arch, _, tag = name.replace(":", "/").partition("/")
        _require_architecture(arch)
        return ModelSpec(
            arch, arch, str(checkpoint), f"{arch} from {checkpoint.name}", "", _fingerprint(checkpoint), tag or None
        )
    lowered = name.strip().lower()
    if lowered in (TINY_MODEL_KEY, "tiny"):
        spec = _tiny_spec()
        if spec.weights_fingerprint == "missing":
            raise ModelUnavailable(f"The bundled tiny model is missing from {bundled_model_dir()}; reinstall.")
        return spec
    if lowered in _CATALOGUE:
        arch, tag, description, languages = _CATALOGUE[lowered]
        return ModelSpec(lowered, arch, tag, description, languages)
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "open_clip_config.json").is_file():
            raise ModelUnavailable(f"{path} has no open_clip_config.json; it is not an open_clip model folder.")
        folder = path.resolve()
        return ModelSpec(path.name, f"local-dir:{folder}", None, f"Local model in {folder}", "", _fingerprint(folder))
    for separator in ("/", ":"):
        if separator in name:
            arch, tag = name.split(separator, 1)
            _require_architecture(arch)
            if (arch, tag) not in set(_open_clip().list_pretrained()):
                raise ModelUnavailable(
                    f"open_clip publishes no weights tagged {tag!r} for {arch}; see `photoclip models --all`."
                )
            return ModelSpec(f"{arch}/{tag}", arch, tag)
    raise ModelUnavailable(
        f"Unknown model {name!r}. Use one of: {', '.join(s.key for s in known_models())}, "
        "or ARCH/TAG from `photoclip models --all`."
    )


def _require_architecture(arch: str) -> None:
    if arch not in _open_clip().list_models():
        raise ModelUnavailable(f"open_clip has no architecture named {arch!r}.")


def _open_clip() -> Any:
    import open_clip  # deferred: importing torch and open_clip costs seconds

    return open_clip


# -- devices -------------------------------------------------------------------------------------


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


# -- weights -------------------------------------------------------------------------------------


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _check_reachable(endpoint: str, timeout: float = 4.0) -> None:
    """Fail in seconds instead of after huggingface_hub's retries (~25 s) when offline."""
    parsed = urllib.parse.urlparse(endpoint)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as e:
        raise ModelUnavailable(
            f"Cannot reach {host} to download the model ({e.strerror or e}). Connect to the internet once to "
            f"download it, use a local checkpoint (--checkpoint FILE), or try the offline demo model "
            f"(--model {TINY_MODEL_KEY})."
        ) from e


def _hub_location(spec: ModelSpec) -> tuple[str, list[str]]:
    cfg = _open_clip().get_pretrained_cfg(spec.architecture, spec.pretrained or "")
    hub = cfg.get("hf_hub", "") if cfg else ""
    if not hub:
        raise ModelUnavailable(f"No download location is published for {spec.model_id}.")
    # open_clip's convention: "org/repo/" (default file names) or "org/repo/file.ext"
    repo, filename = posixpath.split(hub)
    names = [filename] if filename else ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
    if filename.endswith(".bin"):
        names.insert(0, filename[: -len(".bin")] + ".safetensors")
    return repo, names


def cached_weights(spec: ModelSpec, cache_dir: Path) -> Path | None:
    """The weights file if it is already on disk (no network)."""
    if spec.is_local:
        return Path(spec.pretrained) if spec.pretrained else None
    from huggingface_hub import hf_hub_download

    repo, names = _hub_location(spec)
    for name in names:
        try:
            return Path(hf_hub_download(repo, name, cache_dir=str(cache_dir), local_files_only=True))
        except Exception:  # noqa: BLE001 - any failure means "not cached"
            continue
    return None


def download_weights(spec: ModelSpec, cache_dir: Path, progress: DownloadProgress | None = None) -> Path:
    """Fetch published weights into the cache (resuming a partial download) and return the file."""
    found = cached_weights(spec, cache_dir)
    if found is not None:
        return found
    endpoint = hub_endpoint()
    _check_reachable(endpoint)
    from huggingface_hub import hf_hub_download

    repo, names = _hub_location(spec)
    tqdm_class = _progress_tqdm(progress) if progress else None
    last_error: Exception | None = None
    for name in names:
        try:
            path = hf_hub_download(repo, name, cache_dir=str(cache_dir), endpoint=endpoint, tqdm_class=tqdm_class)
            return Path(path)
        except Exception as e:  # noqa: BLE001 - try the next file name, then report
            last_error = e
    raise ModelUnavailable(f"Could not download {spec.model_id} from {endpoint}/{repo}: {last_error}") from last_error


def _progress_tqdm(progress: DownloadProgress) -> Any:
    """A tqdm subclass that reports byte counts to our callback instead of drawing a bar."""
    from tqdm.auto import tqdm

    class _Reporter(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = False
            kwargs["file"] = open(os.devnull, "w")  # noqa: SIM115 - closed in close()
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            result: bool | None = super().update(n)
            progress(int(self.n), int(self.total) if self.total else None)
            return result

        def close(self) -> None:
            super().close()
            self.fp.close()

    return _Reporter


# -- loading -------------------------------------------------------------------------------------


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
    open_clip = _open_clip()
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
    except Exception as e:  # noqa: BLE001 - any loader failure is reported as one clear line
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
    cfg = _open_clip().get_pretrained_cfg(spec.architecture, spec.preprocess_tag) or {}
    keys = ("mean", "std", "interpolation", "resize_mode")
    return {"force_preprocess_cfg": {k: cfg[k] for k in keys if k in cfg}}


def _image_size(model: Any) -> int:
    size = getattr(getattr(model, "visual", None), "image_size", 224)
    return int(size[0] if isinstance(size, (tuple, list)) else size)


def supports_trimmed_text(model: Any) -> bool:
    """True for open_clip's standard causal text tower, where padding cannot affect the output."""
    return (
        isinstance(model, _open_clip().CLIP)
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
