"""Which CLIP model to use, where its weights come from, and on which device it runs.

This is the one module that calls open_clip. A model is named by a short key
(``photoclip-tiny``, ``vit-b-32``), by ``ARCH/TAG`` for any of open_clip's
published weights, or by a local checkpoint. Each gets a stable `model_id`,
stored beside every vector, so changing weights can never mix incompatible
vectors. Downloads happen only when the user asked for that model: they resume
after an interruption, are checked against the hub's sha256 before use, and can
be cancelled; being offline fails within seconds with a message that says what
to do instead. Checkpoints people import live in the cache beside downloads.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import posixpath
import shutil
import socket
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoclip.core.errors import ModelUnavailable, PhotoclipError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

TINY_MODEL_KEY = "photoclip-tiny"
DEFAULT_MODEL_KEY = "vit-b-32"

DownloadProgress = Callable[[int, int | None], None]
"""Called with (bytes done, bytes total or None) while weights download."""


class DownloadCancelled(PhotoclipError):
    """A download was stopped on request; its partial file is kept and the next attempt resumes it."""

    def __init__(self, model: str, done: int, total: int | None) -> None:
        kept = f"{done / 1e6:.0f} of {total / 1e6:.0f} MB" if total else f"{done / 1e6:.0f} MB"
        super().__init__(f"Download of {model} cancelled; {kept} kept, the next download resumes from there.")
        self.model = model
        self.done = done
        self.total = total


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
    """Short content hash of a weights file or folder (cheap: size plus sampled bytes for big files).

    Remembered per file size and modification time: the model list is read often (the
    app's welcome page, preferences) and re-hashing 10 MB each time shows as a stutter.
    """
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    weights = [f for f in files if f.suffix in {".safetensors", ".pt", ".pth", ".bin", ".json"}]
    key = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in weights)
    return _fingerprint_of(key)


@functools.lru_cache(maxsize=64)
def _fingerprint_of(files: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.blake2b(digest_size=6)
    for name, size, _mtime in files:
        file = Path(name)
        digest.update(f"{file.name}:{size}".encode())
        with open(file, "rb") as f:
            if size <= 64 << 20:
                digest.update(f.read())
            else:
                for offset in (0, size // 2, size - (4 << 20)):
                    f.seek(offset)
                    digest.update(f.read(4 << 20))
    return digest.hexdigest()


@dataclass(frozen=True)
class CatalogueEntry:
    """What photoclip tells people about a curated model before they download it.

    The numbers are copied from benchmarks/results/model_choice.json (a test keeps them in
    sync) because benchmarks/ is not installed with the app.

    Attributes:
        download_bytes: size of the published fp32 weights (parameters x 4 bytes; the
            published files are within 0.1% of this).
        imagenet_top1: published ImageNet zero-shot accuracy (fraction), None when not measured.
        cpu_ms_per_photo: measured image-tower time per photo, float32, batch 32, on the
            benchmark's 2-core AVX-512 CPU; None when not measured.
        image_gflops: compute per photo, to estimate speed where nothing was measured (GPUs).
        requires: an import the model needs beyond photoclip's own, with the pip extra that brings it.
    """

    architecture: str
    pretrained: str
    description: str
    languages: str
    download_bytes: int
    imagenet_top1: float | None
    cpu_ms_per_photo: float | None
    image_gflops: float | None
    requires: tuple[str, str] | None = None


# Curated choices shown to users; any other ARCH/TAG from open_clip works too. The default was chosen by
# published zero-shot quality per CPU millisecond (benchmarks/model_choice.py; see the README).
_CATALOGUE: dict[str, CatalogueEntry] = {
    "vit-b-32": CatalogueEntry(
        "ViT-B-32",
        "datacomp_xl_s13b_b90k",
        "Default: the most zero-shot accuracy per CPU millisecond (69.2% ImageNet; 151M parameters, 605 MB).",
        "English",
        download_bytes=605_120_000,
        imagenet_top1=0.6917,
        cpu_ms_per_photo=53.94,
        image_gflops=8.73,
    ),
    "vit-b-32-256": CatalogueEntry(
        "ViT-B-32-256",
        "datacomp_s34b_b86k",
        "A step up: +3.6 points ImageNet (72.8%) for about 1.3x the time per photo (605 MB).",
        "English",
        download_bytes=605_160_000,
        imagenet_top1=0.7281,
        cpu_ms_per_photo=85.64,
        image_gflops=11.34,
    ),
    "vit-l-14": CatalogueEntry(
        "ViT-L-14",
        "datacomp_xl_s13b_b90k",
        "Most accurate (79.2% ImageNet) but about 20x slower: for a GPU (428M parameters, 1.7 GB).",
        "English",
        download_bytes=1_710_480_000,
        imagenet_top1=0.7921,
        cpu_ms_per_photo=1170.93,
        image_gflops=155.53,
    ),
    "multilingual": CatalogueEntry(
        "xlm-roberta-base-ViT-B-32",
        "laion5b_s13b_b90k",
        "Search in 100+ languages; same photo speed as the default (needs: pip install photoclip[multilingual]).",
        "Multilingual",
        download_bytes=1_464_480_000,
        imagenet_top1=0.6236,
        cpu_ms_per_photo=52.2,
        image_gflops=8.73,
        requires=("transformers", "photoclip[multilingual]"),
    ),
}

TINY_CPU_MS_ESTIMATE = 11.0
"""Not benchmarked: timed once (float32, batch 32) on a 2-core AMD EPYC like the benchmark's machine."""


def catalogue_entry(key: str) -> CatalogueEntry | None:
    """The curated facts about a model key (None for the tiny model and anything not curated)."""
    return _CATALOGUE.get(key.strip().lower())


def known_models() -> list[ModelSpec]:
    """The curated list, bundled tiny model first."""
    specs = [_tiny_spec()]
    for key, entry in _CATALOGUE.items():
        specs.append(ModelSpec(key, entry.architecture, entry.pretrained, entry.description, entry.languages))
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


IMPORT_RECORD = "photoclip_import.json"
"""Written once into an imported model's folder: where it came from and its weights' sha256."""


def _default_cache_dir() -> Path:
    from photoclip.core.config import default_cache_dir  # deferred: config imports this module

    return default_cache_dir()


def imported_models_dir(cache_dir: Path) -> Path:
    """Checkpoints imported by people live here, one open_clip model folder per name."""
    return cache_dir / "imported"


def imported_model_dir(cache_dir: Path, name: str) -> Path:
    return imported_models_dir(cache_dir) / name


def read_import_record(folder: Path) -> dict[str, Any]:
    """The import record of a folder, empty when it has none or it is unreadable."""
    try:
        data = json.loads((folder / IMPORT_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def imported_spec(folder: Path) -> ModelSpec:
    """The spec of an imported checkpoint: an open_clip model folder named by the person who imported it."""
    record = read_import_record(folder)
    source = Path(str(record.get("source", ""))).name or "a local file"
    return ModelSpec(
        folder.name,
        f"local-dir:{folder.resolve()}",
        None,
        f"{record.get('architecture', 'open_clip')} weights imported from {source}",
        str(record.get("languages", "English")),
        _fingerprint(folder),
    )


def resolve_model(name: str, *, checkpoint: Path | None = None, cache_dir: Path | None = None) -> ModelSpec:
    """Turn what the user typed into a spec, without loading anything heavy.

    Accepts a curated key, the name of a checkpoint imported into the cache (`cache_dir`,
    default: the user cache), ``ARCH/TAG`` (or ``ARCH:TAG``) of open_clip's published weights,
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
        entry = _CATALOGUE[lowered]
        return ModelSpec(lowered, entry.architecture, entry.pretrained, entry.description, entry.languages)
    imported = imported_model_dir(cache_dir or _default_cache_dir(), lowered)
    if (imported / "open_clip_config.json").is_file():
        return imported_spec(imported)
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
        "a name you imported (`photoclip models list`), or ARCH/TAG from `photoclip models --all`."
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


def hub_location(spec: ModelSpec) -> tuple[str, list[str]]:
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


def weights_path(cache_dir: Path, repo: str, filename: str) -> Path:
    """Where a published weights file lives once downloaded (one folder per hub repository)."""
    return cache_dir / "weights" / repo.replace("/", "--") / filename


def weights_record_path(weights: Path) -> Path:
    """The record written beside a downloaded file: size, sha256, hub etag and commit."""
    return weights.with_name(weights.name + ".json")


def read_weights_record(weights: Path) -> dict[str, Any]:
    try:
        data = json.loads(weights_record_path(weights).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def legacy_hub_folder(cache_dir: Path, repo: str) -> Path:
    """huggingface_hub's own cache layout, used by photoclip before resumable downloads."""
    return cache_dir / ("models--" + repo.replace("/", "--"))


def cached_weights(spec: ModelSpec, cache_dir: Path) -> Path | None:
    """The weights file if it is already on disk (no network).

    A downloaded file counts only when its size matches its record, so a file cut short
    (a full disk, a copy interrupted by hand) is fetched again rather than loaded.
    """
    if spec.is_local:
        return Path(spec.pretrained) if spec.pretrained else None
    repo, names = hub_location(spec)
    for name in names:
        path = weights_path(cache_dir, repo, name)
        if path.is_file() and read_weights_record(path).get("size") == path.stat().st_size:
            return path
    if not legacy_hub_folder(cache_dir, repo).is_dir():
        return None
    from huggingface_hub import hf_hub_download

    for name in names:
        try:
            return Path(hf_hub_download(repo, name, cache_dir=str(cache_dir), local_files_only=True))
        except Exception:  # noqa: BLE001 - any failure means "not cached"
            continue
    return None


def download_weights(
    spec: ModelSpec,
    cache_dir: Path,
    progress: DownloadProgress | None = None,
    *,
    cancel: threading.Event | None = None,
) -> Path:
    """Fetch published weights into the cache and return the file.

    huggingface_hub (2.x) writes each attempt to a uniquely named temporary file and deletes
    it on failure, so it cannot resume across attempts; this keeps its own partial file
    (``<name>.<etag>.part``) and asks the hub for the rest with an HTTP Range request. The
    finished file is checked against the sha256 the hub reports as its etag before it is used.

    Args:
        progress: called from this thread with (bytes on disk, total bytes).
        cancel: when set, the download stops at the next chunk with `DownloadCancelled`;
            the partial file stays for the next attempt.
    """
    found = cached_weights(spec, cache_dir)
    if found is not None:
        return found
    if spec.is_local:
        raise ModelUnavailable(f"The weights of {spec.key} are missing: {spec.pretrained}")
    endpoint = hub_endpoint()
    _check_reachable(endpoint)
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    repo, names = hub_location(spec)
    last_error: Exception | None = None
    for name in names:
        try:
            metadata = get_hf_file_metadata(hf_hub_url(repo, name, endpoint=endpoint), timeout=10)
        except Exception as e:  # noqa: BLE001 - a missing file name means: try the next one
            status = getattr(getattr(e, "response", None), "status_code", None)
            if status == 404:
                last_error = e
                continue
            raise ModelUnavailable(f"Could not download {spec.model_id} from {endpoint}/{repo}: {e}") from e
        if metadata.size is None:
            raise ModelUnavailable(f"{endpoint}/{repo} did not say how big {name} is; cannot download it safely.")
        return _fetch(
            spec,
            _RemoteFile(repo, name, metadata.location, metadata.size, metadata.etag or "", metadata.commit_hash),
            weights_path(cache_dir, repo, name),
            progress,
            cancel,
        )
    raise ModelUnavailable(f"Could not download {spec.model_id} from {endpoint}/{repo}: {last_error}") from last_error


@dataclass(frozen=True)
class _RemoteFile:
    repo: str
    filename: str
    url: str
    size: int
    etag: str
    commit: str | None

    @property
    def sha256(self) -> str | None:
        """The hub's etag of a large (LFS or Xet) file is the sha256 of its content."""
        etag = self.etag.lower()
        return etag if len(etag) == 64 and all(c in "0123456789abcdef" for c in etag) else None


def _fetch(
    spec: ModelSpec,
    remote: _RemoteFile,
    target: Path,
    progress: DownloadProgress | None,
    cancel: threading.Event | None,
) -> Path:
    from filelock import FileLock, Timeout
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]  # documented here, not in __all__

    target.parent.mkdir(parents=True, exist_ok=True)
    tag = "".join(c for c in remote.etag if c.isalnum())[:16] or "unversioned"
    part = target.with_name(f"{remote.filename}.{tag}.part")
    lock = FileLock(str(part) + ".lock")
    try:
        lock.acquire(timeout=0)
    except Timeout as e:
        raise ModelUnavailable(
            f"{spec.key} is being downloaded by another photoclip window or command; wait for it to finish."
        ) from e
    try:
        for stale in target.parent.glob(f"{remote.filename}.*.part"):
            if stale != part:  # an older version of the file: its bytes cannot be resumed
                stale.unlink(missing_ok=True)
        done = part.stat().st_size if part.exists() else 0
        if done > remote.size:
            part.unlink()
            done = 0
        free = shutil.disk_usage(target.parent).free
        if free < remote.size - done:
            raise ModelUnavailable(
                f"Not enough disk space for {spec.key} in {target.parent}: "
                f"{(remote.size - done) / 1e6:.0f} MB needed, {free / 1e6:.0f} MB free."
            )
        if progress is not None:
            progress(done, remote.size)
        if cancel is not None and cancel.is_set():
            raise DownloadCancelled(spec.key, done, remote.size)
        if done < remote.size:
            try:
                with open(part, "ab") as f:
                    http_get(
                        remote.url,
                        f,
                        resume_size=done,
                        headers=build_hf_headers(),
                        expected_size=remote.size,
                        tqdm_class=_progress_tqdm(progress, cancel),
                    )
            except DownloadCancelled:
                raise DownloadCancelled(spec.key, _size(part), remote.size) from None
            except Exception as e:  # noqa: BLE001 - network failures become one clear line; the part stays
                kept = _size(part)
                raise ModelUnavailable(
                    f"The download of {spec.key} stopped at {kept / 1e6:.0f} of {remote.size / 1e6:.0f} MB ({e}). "
                    "Run it again to resume."
                ) from e
        digest = file_sha256(part)
        if remote.sha256 is not None and digest != remote.sha256:
            part.unlink()
            raise ModelUnavailable(
                f"The download of {spec.key} is damaged: its sha256 is {digest[:12]}..., the hub says "
                f"{remote.sha256[:12]}...; the damaged file was deleted. Run the download again."
            )
        record = {
            "model": spec.key,
            "model_id": spec.model_id,
            "repo": remote.repo,
            "filename": remote.filename,
            "size": remote.size,
            "sha256": digest,
            "sha256_verified": remote.sha256 is not None,
            "etag": remote.etag,
            "commit": remote.commit,
        }
        from photoclip.core.atomic import fsync_dir, write_json_atomic

        write_json_atomic(weights_record_path(target), record)
        os.replace(part, target)
        fsync_dir(target.parent)
        log.info("downloaded %s (%d bytes, sha256 %s)", target, remote.size, digest)
        return target
    finally:
        lock.release()
        Path(lock.lock_file).unlink(missing_ok=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _progress_tqdm(progress: DownloadProgress | None, cancel: threading.Event | None) -> Any:
    """A tqdm subclass that reports byte counts to our callback instead of drawing a bar, and stops on cancel."""
    from tqdm.auto import tqdm

    class _Reporter(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = False
            kwargs["file"] = open(os.devnull, "w")  # noqa: SIM115 - closed in close()
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("", int(self.n), int(self.total) if self.total else None)
            result: bool | None = super().update(n)
            if progress is not None:
                progress(int(self.n), int(self.total) if self.total else None)
            return result

        def close(self) -> None:
            super().close()
            if not self.fp.closed:
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
