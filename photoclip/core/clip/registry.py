"""Which CLIP models exist and how a name becomes a model: the registry.

A model is named by a short key (``photoclip-tiny``, ``vit-b-32``), by ``ARCH/TAG``
for any of open_clip's published weights, or by a local checkpoint. Each gets a
stable `model_id`, stored beside every vector, so changing weights can never mix
incompatible vectors. Nothing here loads torch: resolving a name is instant
unless it needs open_clip's list of architectures. Checkpoints people import
live in the cache beside downloads (see `manager`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from photoclip.core.errors import ModelUnavailable
from photoclip.core.util.paths import default_cache_dir

TINY_MODEL_KEY = "photoclip-tiny"
DEFAULT_MODEL_KEY = "vit-b-32"


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
    hf_hub: str = ""  # open_clip's download location ("org/repo/"), so finding cached weights needs no torch


# Curated choices shown to users; any other ARCH/TAG from open_clip works too. The default was chosen by
# published zero-shot quality per CPU millisecond (benchmarks/model_choice.py; see the README).
_CATALOGUE: dict[str, CatalogueEntry] = {
    "vit-b-32": CatalogueEntry(
        "ViT-B-32",
        "datacomp_xl_s13b_b90k",
        "Default: the most zero-shot accuracy per CPU millisecond (69.2% ImageNet; 151M parameters).",
        "English",
        download_bytes=605_120_000,
        imagenet_top1=0.6917,
        cpu_ms_per_photo=53.94,
        image_gflops=8.73,
        hf_hub="laion/CLIP-ViT-B-32-DataComp.XL-s13B-b90K/",
    ),
    "vit-b-32-256": CatalogueEntry(
        "ViT-B-32-256",
        "datacomp_s34b_b86k",
        "A step up: +3.6 points ImageNet (72.8%) for about 1.3x the time per photo.",
        "English",
        download_bytes=605_160_000,
        imagenet_top1=0.7281,
        cpu_ms_per_photo=85.64,
        image_gflops=11.34,
        hf_hub="laion/CLIP-ViT-B-32-256x256-DataComp-s34B-b86K/",
    ),
    "vit-l-14": CatalogueEntry(
        "ViT-L-14",
        "datacomp_xl_s13b_b90k",
        "Most accurate (79.2% ImageNet) but about 20x slower: for a GPU (428M parameters).",
        "English",
        download_bytes=1_710_480_000,
        imagenet_top1=0.7921,
        cpu_ms_per_photo=1170.93,
        image_gflops=155.53,
        hf_hub="laion/CLIP-ViT-L-14-DataComp.XL-s13B-b90K/",
    ),
    "multilingual": CatalogueEntry(
        "xlm-roberta-base-ViT-B-32",
        "laion5b_s13b_b90k",
        "Search in 100+ languages; same photo speed as the default.",
        "Multilingual",
        download_bytes=1_464_480_000,
        imagenet_top1=0.6236,
        cpu_ms_per_photo=52.2,
        image_gflops=8.73,
        requires=("transformers", "photoclip[multilingual]"),
        hf_hub="laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k/",
    ),
}

TINY_CPU_MS_ESTIMATE = 11.0
"""Not benchmarked: timed once (float32, batch 32) on a 2-core AMD EPYC like the benchmark's machine."""


def published_hub(architecture: str, pretrained: str) -> str | None:
    """The download location of curated published weights, known without importing open_clip (None if not curated)."""
    for entry in _CATALOGUE.values():
        if (entry.architecture, entry.pretrained) == (architecture, pretrained) and entry.hf_hub:
            return entry.hf_hub
    return None


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


def resolve_model(name: str, *, checkpoint: Path | None = None, cache_dir: Path | None = None) -> ModelSpec:  # noqa: C901 - one branch per way people name a model, tried in order
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
    imported = imported_model_dir(cache_dir or default_cache_dir(), lowered)
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
            if (arch, tag) not in set(open_clip_module().list_pretrained()):
                raise ModelUnavailable(
                    f"open_clip publishes no weights tagged {tag!r} for {arch}; see `photoclip models --all`."
                )
            return ModelSpec(f"{arch}/{tag}", arch, tag)
    raise ModelUnavailable(
        f"Unknown model {name!r}. Use one of: {', '.join(s.key for s in known_models())}, "
        "a name you imported (`photoclip models list`), or ARCH/TAG from `photoclip models --all`."
    )


def _require_architecture(arch: str) -> None:
    if arch not in open_clip_module().list_models():
        raise ModelUnavailable(f"open_clip has no architecture named {arch!r}.")


def open_clip_module() -> Any:
    import open_clip  # deferred: importing torch and open_clip costs seconds

    return open_clip
