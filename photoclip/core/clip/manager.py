"""The models a person can choose from, and looking after their weights on disk.

This is what the preferences page and `photoclip models` show and do: the curated
models with their download size, languages, quality and speed on this kind of
device; which are installed, how much disk they take and which one the library
uses; downloading (progress, resume, integrity check, cancel), checking, removing,
and importing a local checkpoint under a name of its own. Everything here may run
on a worker thread: progress arrives through plain callbacks and cancelling is a
`threading.Event`, so the UI adapts them to signals without this module knowing Qt.

Weights live in the cache folder (`config.default_cache_dir`, PHOTOCLIP_CACHE):
``weights/<org>--<repo>/`` for downloads (each file with a record of its size and
sha256), ``imported/<name>/`` for imported checkpoints (an open_clip model folder).
Which model a library uses is the library's business (`Library.models.switch`);
the manager is only told, so it can mark it and refuse to delete it by accident.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from photoclip.core.clip.registry import (
    DEFAULT_MODEL_KEY,
    IMPORT_RECORD,
    TINY_CPU_MS_ESTIMATE,
    TINY_MODEL_KEY,
    CatalogueEntry,
    ModelSpec,
    bundled_model_dir,
    catalogue_entry,
    imported_model_dir,
    imported_models_dir,
    imported_spec,
    known_models,
    read_import_record,
    resolve_model,
)
from photoclip.core.clip.text_towers import failure_file, tower_dir, weights_sha256
from photoclip.core.clip.weights import (
    DownloadCancelled,
    DownloadProgress,
    cached_weights,
    download_weights,
    file_sha256,
    hub_location,
    legacy_hub_folder,
    read_weights_record,
    weights_path,
)
from photoclip.core.errors import LibraryError, ModelUnavailable
from photoclip.core.util.atomic import write_json_atomic
from photoclip.core.util.paths import default_cache_dir

if TYPE_CHECKING:
    from photoclip.core.library import Library

log = logging.getLogger(__name__)

__all__ = [
    "DownloadCancelled",
    "Integrity",
    "ModelInUse",
    "ModelInfo",
    "ModelManager",
    "Speed",
]

CHECKPOINT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_MEASURED_BASIS = "measured: float32, batch 32, 2-core AVX-512 CPU (benchmarks/model_choice.py)"


class ModelInUse(LibraryError):
    """Removing a model the library uses (or is switching to) needs an explicit `force`."""


@dataclass(frozen=True)
class Speed:
    """How fast a model embeds photos compared with the default model on the same device.

    Attributes:
        relative: photos per second relative to the default model (2.0: twice as fast).
        ms_per_photo: CPU milliseconds per photo where known (the benchmark machine's CPU).
        measured: False for an estimate; `basis` says what it rests on.
    """

    relative: float
    ms_per_photo: float | None
    measured: bool
    basis: str


@dataclass(frozen=True)
class ModelInfo:
    """One row of the model list.

    Attributes:
        name: what to pass back to `download`, `remove`, `Library.switch_model` or `--model`.
        kind: "bundled" (ships with photoclip), "download" (published weights) or "imported".
        download_bytes: size of the download (None for imported models: nothing to download).
        imagenet_top1: published ImageNet zero-shot accuracy (fraction), None where unknown.
        installed: the weights are on disk and the model can be used offline.
        disk_bytes: what its files take in the cache (0 when not installed; the bundled model's own size).
        in_use: the library's current model; `switching_to`: the model it is re-embedding for.
        missing_requirement: a pip command needed before this model can load, if any.
        removable: `remove` is allowed (installed and not bundled; in use needs force).
    """

    name: str
    kind: str
    model_id: str
    architecture: str
    description: str
    languages: str
    download_bytes: int | None
    imagenet_top1: float | None
    speed: Speed | None
    installed: bool
    disk_bytes: int
    path: Path | None
    in_use: bool
    switching_to: bool
    missing_requirement: str | None
    removable: bool

    @property
    def multilingual(self) -> bool:
        return "multilingual" in self.languages.lower()

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types, for `photoclip models list --json`."""
        speed = None
        if self.speed is not None:
            speed = {
                "relative": round(self.speed.relative, 3),
                "ms_per_photo": self.speed.ms_per_photo,
                "measured": self.speed.measured,
                "basis": self.speed.basis,
            }
        return {
            "name": self.name,
            "kind": self.kind,
            "model_id": self.model_id,
            "architecture": self.architecture,
            "description": self.description,
            "languages": self.languages,
            "multilingual": self.multilingual,
            "download_bytes": self.download_bytes,
            "imagenet_top1": self.imagenet_top1,
            "speed": speed,
            "installed": self.installed,
            "disk_bytes": self.disk_bytes,
            "path": str(self.path) if self.path else None,
            "in_use": self.in_use,
            "switching_to": self.switching_to,
            "missing_requirement": self.missing_requirement,
            "removable": self.removable,
        }


@dataclass(frozen=True)
class Integrity:
    """Result of `ModelManager.verify`: status is "ok", "corrupted", "missing" or "unverifiable"."""

    status: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class ModelManager:
    """Lists, downloads, verifies, removes and imports models in one cache folder.

    Args:
        cache_dir: default: the user cache (PHOTOCLIP_CACHE).
        device: the device preference ("auto", "cpu", "cuda", "mps") that speeds are given for.
        in_use, switching_to: the library's current and next model, so they are marked and
            protected from removal (see `for_library`).
    """

    def __init__(
        self,
        cache_dir: Path | None = None,
        *,
        device: str | None = None,
        in_use: ModelSpec | None = None,
        switching_to: ModelSpec | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir or default_cache_dir())
        self.device = device
        self.in_use = in_use
        self.switching_to = switching_to
        self._device_class: str | None = None
        self._lock = threading.Lock()  # imports into the same folder, one at a time

    @classmethod
    def for_library(cls, library: Library) -> ModelManager:
        """A manager that knows which models this library uses and is switching to."""
        switch = library.models.switch_state()
        return cls(
            library.cache_dir,
            device=library.settings.device,
            in_use=library.model,
            switching_to=switch.spec if switch is not None else None,
        )

    # -- listing ------------------------------------------------------------------------------

    @property
    def device_class(self) -> str:
        """ "cpu", "cuda" or "mps": what the speed column describes (resolving "auto" imports torch)."""
        if self._device_class is None:
            choice = (self.device or "auto").lower()
            if choice == "auto":
                from photoclip.core.clip.loading import resolve_device

                choice = resolve_device(None).type
            self._device_class = "cuda" if choice.startswith("cuda") else choice
        return self._device_class

    def models(self) -> list[ModelInfo]:
        """The curated models (bundled tiny model first), then imported ones, then other downloads."""
        infos = [self._info(spec) for spec in known_models()]
        seen = {info.model_id for info in infos}
        folder = imported_models_dir(self.cache_dir)
        if folder.is_dir():
            for child in sorted(folder.iterdir()):
                if child.is_dir() and not child.name.startswith(".") and (child / "open_clip_config.json").is_file():
                    infos.append(self._info(imported_spec(child)))
        for spec in self._other_downloads():
            if spec.model_id not in seen:
                infos.append(self._info(spec))
        for role in (self.in_use, self.switching_to):
            if role is not None and role.model_id not in {i.model_id for i in infos}:
                infos.append(self._info(role))  # e.g. an ARCH/TAG not downloaded yet, or --checkpoint FILE
        return infos

    def info(self, name: str) -> ModelInfo:
        return self._info(self.resolve(name))

    def resolve(self, name: str) -> ModelSpec:
        return resolve_model(name, cache_dir=self.cache_dir)

    def _other_downloads(self) -> list[ModelSpec]:
        """Published weights fetched by ARCH/TAG (not curated), found through their download records."""
        specs = []
        for record_file in sorted((self.cache_dir / "weights").glob("*/*.json")):
            try:
                record = json.loads(record_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            key = str(record.get("model", ""))
            if "/" in key and catalogue_entry(key) is None:
                arch, tag = key.split("/", 1)
                specs.append(ModelSpec(key, arch, tag))
        return specs

    def _info(self, spec: ModelSpec) -> ModelInfo:
        kind, path, entry = self._kind(spec), None, catalogue_entry(spec.key)
        if kind == "bundled":
            path = bundled_model_dir()
            installed, disk = path.is_dir(), _tree_size(path)
            download = 0
        elif kind == "imported" or spec.is_local:
            path = Path(spec.architecture.removeprefix("local-dir:")) if kind == "imported" else _local_path(spec)
            installed, disk, download = path.exists(), _tree_size(path), None
        else:
            path = cached_weights(spec, self.cache_dir)
            installed, disk = path is not None, self._download_bytes_on_disk(spec)
            download = entry.download_bytes if entry is not None else None
        requirement = None
        if entry is not None and entry.requires is not None and importlib.util.find_spec(entry.requires[0]) is None:
            requirement = f"pip install {entry.requires[1]}"
        in_use = self.in_use is not None and self.in_use.model_id == spec.model_id
        next_model = self.switching_to is not None and self.switching_to.model_id == spec.model_id
        return ModelInfo(
            name=spec.key,
            kind=kind,
            model_id=spec.model_id,
            architecture=self._architecture_label(spec),
            description=spec.description or f"{spec.architecture} with open_clip's {spec.pretrained} weights",
            languages=spec.languages or "English",
            download_bytes=download,
            imagenet_top1=entry.imagenet_top1 if entry is not None else None,
            speed=self._speed(spec),
            installed=installed,
            disk_bytes=disk,
            path=path,
            in_use=in_use,
            switching_to=next_model,
            missing_requirement=requirement,
            removable=kind in ("download", "imported") and disk > 0,
        )

    def _kind(self, spec: ModelSpec) -> str:
        if spec.key == TINY_MODEL_KEY and spec.architecture == f"local-dir:{bundled_model_dir()}":
            return "bundled"
        folder = imported_models_dir(self.cache_dir).resolve()
        if spec.architecture.startswith("local-dir:") and Path(spec.architecture[10:]).parent == folder:
            return "imported"
        return "local" if spec.is_local else "download"

    def _architecture_label(self, spec: ModelSpec) -> str:
        if self._kind(spec) == "bundled":
            return TINY_MODEL_KEY
        if spec.architecture.startswith("local-dir:"):
            record = read_import_record(Path(spec.architecture[10:]))
            return str(record.get("architecture", "open_clip model folder"))
        return spec.architecture

    def _speed(self, spec: ModelSpec) -> Speed | None:
        """Measured CPU speed relative to the default where benchmarked; an estimate, labelled, otherwise."""
        reference = catalogue_entry(DEFAULT_MODEL_KEY)
        assert reference is not None and reference.cpu_ms_per_photo and reference.image_gflops
        arch = self._architecture_label(spec).partition("/")[0]
        if arch == TINY_MODEL_KEY:
            relative = reference.cpu_ms_per_photo / TINY_CPU_MS_ESTIMATE
            where = "CPU" if self.device_class == "cpu" else "CPU (GPUs not measured)"
            return Speed(relative, TINY_CPU_MS_ESTIMATE, False, f"estimate: timed once on a 2-core {where}")
        curated = catalogue_entry(spec.key) if not spec.is_local else None
        entry = curated or next((e for e in _catalogue_entries() if e.architecture == arch), None)
        if entry is None or entry.cpu_ms_per_photo is None:
            return None
        if self.device_class == "cpu":
            basis = _MEASURED_BASIS if curated is not None else f"{_MEASURED_BASIS}, same architecture"
            return Speed(reference.cpu_ms_per_photo / entry.cpu_ms_per_photo, entry.cpu_ms_per_photo, True, basis)
        if entry.image_gflops is None:
            return None
        return Speed(
            reference.image_gflops / entry.image_gflops,
            None,
            False,
            f"estimate for {self.device_class.upper()} from compute per photo (GFLOPs); only CPUs were benchmarked",
        )

    def _download_bytes_on_disk(self, spec: ModelSpec) -> int:
        return sum(p.stat().st_size for p in self._download_files(spec) if p.is_file())

    def _download_files(self, spec: ModelSpec) -> list[Path]:
        """Every file a download of this model left in the cache: weights, records, partial files, old layout."""
        repo, names = hub_location(spec)
        folder = weights_path(self.cache_dir, repo, "x").parent
        files: list[Path] = []
        for name in names:
            files += [folder / name, folder / f"{name}.json", *folder.glob(f"{name}.*.part")]
        legacy = legacy_hub_folder(self.cache_dir, repo)
        if legacy.is_dir():
            files += [p for p in legacy.rglob("*") if p.is_file() and not p.is_symlink()]
        return [p for p in files if p.exists()]

    # -- downloading and checking --------------------------------------------------------------

    def download(
        self,
        name: str,
        *,
        progress: DownloadProgress | None = None,
        cancel: threading.Event | None = None,
    ) -> Path:
        """Make a model's weights available offline; safe to call again (it resumes or repairs).

        An already downloaded file is checked first (sha256) and fetched again if damaged.
        Raises `DownloadCancelled` when `cancel` is set (the partial file stays), and
        `ModelUnavailable` when offline or the download fails its integrity check.
        """
        spec = self.resolve(name)
        kind = self._kind(spec)
        if kind != "download":
            path = bundled_model_dir() if kind == "bundled" else _local_path(spec)
            if not path.exists():
                raise ModelUnavailable(f"The files of {spec.key} are missing: {path}")
            return path
        if cached_weights(spec, self.cache_dir) is not None:
            check = self.verify(name)
            if check.status == "corrupted":
                for path in self._download_files(spec):
                    if not path.name.endswith(".part"):
                        path.unlink()
        return download_weights(spec, self.cache_dir, progress, cancel=cancel)

    def prepare_text_tower(self, name: str) -> bool:
        """Export and check the model's text tower now (seconds to a minute, once per weights); True when text
        queries can then run without PyTorch. A model whose tower cannot be exported keeps using PyTorch."""
        from photoclip.core.clip.text_export import prepare_text_tower

        return prepare_text_tower(self.resolve(name), self.cache_dir) is not None

    def verify(self, name: str) -> Integrity:
        """Re-hash a model's weights and compare them with the hash recorded when they arrived."""
        spec = self.resolve(name)
        kind = self._kind(spec)
        if kind == "bundled":
            return Integrity("unverifiable", "bundled with photoclip; reinstall photoclip if it misbehaves")
        if kind == "imported":
            folder = Path(spec.architecture[10:])
            record = read_import_record(folder)
            weights = [p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin")]
            if not weights or "sha256" not in record:
                return Integrity("unverifiable", f"no recorded hash in {folder}")
            return _compare(weights[0], str(record["sha256"]), "the hash recorded at import")
        if kind == "local":
            return Integrity("unverifiable", "a local file photoclip did not download")
        repo, names = hub_location(spec)
        for filename in names:
            path = weights_path(self.cache_dir, repo, filename)
            if not path.is_file():
                continue
            record = read_weights_record(path)
            if record.get("size") != path.stat().st_size:
                return Integrity(
                    "corrupted", f"{path} has {path.stat().st_size} bytes, {record.get('size')} were downloaded"
                )
            source = "the hub's sha256" if record.get("sha256_verified") else "the hash recorded at download"
            return _compare(path, str(record.get("sha256", "")), source)
        found = cached_weights(spec, self.cache_dir)  # downloaded by an older photoclip: hub cache layout
        if found is None:
            return Integrity("missing", f"{spec.key} is not downloaded")
        etag = found.resolve().name  # huggingface_hub names a large file's blob by its sha256
        if re.fullmatch(r"[0-9a-f]{64}", etag):
            return _compare(found, etag, "the hub's sha256")
        return Integrity("unverifiable", f"no hash known for {found}")

    # -- removing ------------------------------------------------------------------------------

    def remove(self, name: str, *, force: bool = False) -> int:
        """Delete a model's files from the cache and return the bytes freed.

        The bundled model is never removed, nor files outside the cache. The library's
        current or next model is removed only with `force` (it downloads again on next use;
        an imported one must be imported again).
        """
        spec = self.resolve(name)
        kind = self._kind(spec)
        if kind == "bundled":
            raise LibraryError(f"{spec.key} is bundled with photoclip and cannot be removed.")
        if kind == "local":
            raise LibraryError(
                f"{spec.key} is a file or folder of yours, not in photoclip's cache; delete it yourself."
            )
        for role, other in (("current model", self.in_use), ("model it is switching to", self.switching_to)):
            if other is not None and other.model_id == spec.model_id and not force:
                again = "be imported again" if kind == "imported" else "download again on next use"
                raise ModelInUse(
                    f"{spec.key} is the library's {role}; switch to another model first, "
                    f"or remove it anyway with --force (it would have to {again})."
                )
        freed_tower = self._remove_text_tower(spec)
        if kind == "imported":
            folder = Path(spec.architecture[10:])
            freed = _tree_size(folder)
            shutil.rmtree(folder)
            return freed + freed_tower
        files = self._download_files(spec)
        if not files:
            raise LibraryError(f"{spec.key} is not downloaded; nothing to remove.")
        freed = sum(p.stat().st_size for p in files)
        for path in files:
            path.unlink(missing_ok=True)
        legacy = legacy_hub_folder(self.cache_dir, hub_location(spec)[0])
        if legacy.is_dir():
            shutil.rmtree(legacy)
        return freed + freed_tower

    def _remove_text_tower(self, spec: ModelSpec) -> int:
        """Delete the exported text tower of these weights (it is made again if they come back)."""
        digest = weights_sha256(spec, self.cache_dir, compute=False)
        if digest is None:
            return 0
        folder = tower_dir(self.cache_dir, digest)
        freed = _tree_size(folder)
        shutil.rmtree(folder, ignore_errors=True)
        failure_file(self.cache_dir, digest).unlink(missing_ok=True)
        return freed

    # -- importing -----------------------------------------------------------------------------

    def import_checkpoint(self, path: Path, *, architecture: str, name: str | None = None) -> ModelInfo:
        """Copy a local checkpoint into the cache as a model of its own, after proving it loads.

        Args:
            path: a .safetensors, .pt, .pth or .bin file with the weights (a state dict, or a
                training checkpoint holding one under "state_dict").
            architecture: what the weights are for: a photoclip model name (``vit-b-32``,
                ``photoclip-tiny``), an open_clip architecture (``ViT-B-32``), or ``ARCH/TAG``
                to also take a published tag's preprocessing.
            name: how it will be called (default: the file's name); lowercase letters,
                digits, ``.``, ``_`` and ``-``.

        The weights are loaded with open_clip (strictly: every tensor must fit) and run on
        a blank image and a short text before anything is kept.
        """
        source = Path(path).expanduser()
        if not source.is_file():
            raise LibraryError(f"Checkpoint file not found: {source}")
        if source.suffix.lower() not in CHECKPOINT_SUFFIXES:
            raise LibraryError(
                f"{source.name} is not a checkpoint photoclip can import (use {', '.join(CHECKPOINT_SUFFIXES)})."
            )
        name = (name or source.stem).strip().lower()
        if not _NAME.fullmatch(name):
            raise LibraryError(
                f"{name!r} cannot be a model name: use lowercase letters, digits, '.', '_' and '-' (up to 64)."
            )
        if name in ("tiny", TINY_MODEL_KEY) or catalogue_entry(name) is not None:
            raise LibraryError(f"{name!r} is the name of a built-in model; choose another name with --name.")
        config, languages, label = _architecture_config(architecture)
        folder = imported_models_dir(self.cache_dir)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            target = imported_model_dir(self.cache_dir, name)
            if target.exists():
                raise LibraryError(
                    f"A model named {name!r} is already imported; remove it first or choose another name."
                )
            staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=folder))
            try:
                weights = "open_clip_model.safetensors" if source.suffix.lower() == ".safetensors" else None
                weights = weights or "open_clip_pytorch_model.bin"  # torch.load reads any pickle, whatever its suffix
                shutil.copyfile(source, staging / weights)
                write_json_atomic(staging / "open_clip_config.json", config)
                write_json_atomic(
                    staging / IMPORT_RECORD,
                    {
                        "name": name,
                        "architecture": label,
                        "languages": languages,
                        "source": str(source.resolve()),
                        "sha256": file_sha256(staging / weights),
                    },
                )
                loaded = _check_loads(staging, name, label)
                staging.rename(target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        spec = imported_spec(target)
        self._export_text_tower(spec, loaded)
        return self._info(spec)

    def _export_text_tower(self, spec: ModelSpec, loaded: Any) -> None:
        """Export the text tower of a model just imported, from the copy already loaded (never fails the import)."""
        from photoclip.core.clip.text_export import prepare_text_tower
        from photoclip.core.clip.text_towers import EXPORT_SWITCH

        if os.environ.get(EXPORT_SWITCH, "1") == "0":
            return
        loaded.spec = spec  # the copy in the cache, no longer the staging folder
        try:
            prepare_text_tower(spec, self.cache_dir, loaded=loaded)
        except Exception:  # text queries then load PyTorch, as before
            log.exception("exporting the text tower of %s failed", spec.key)


def _catalogue_keys() -> list[str]:
    return [spec.key for spec in known_models()]


def _catalogue_entries() -> list[CatalogueEntry]:
    return [e for e in map(catalogue_entry, _catalogue_keys()) if e is not None]


def _architecture_config(architecture: str) -> tuple[dict[str, Any], str, str]:
    """(open_clip_config.json content, languages, label) for what a checkpoint says it is."""
    wanted = architecture.strip()
    if wanted.lower() in ("tiny", TINY_MODEL_KEY):
        config = json.loads((bundled_model_dir() / "open_clip_config.json").read_text(encoding="utf-8"))
        return config, "English (shapes and colours only)", TINY_MODEL_KEY
    entry = catalogue_entry(wanted) if wanted == wanted.lower() else None  # ViT-B-32 is open_clip's name
    if entry is not None:
        arch, tag, languages = entry.architecture, entry.pretrained, entry.languages
    else:
        arch, _, tag = wanted.replace(":", "/").partition("/")
        languages = "Multilingual" if any(w in arch.lower() for w in ("xlm", "nllb", "i18n", "multilingual")) else ""
        languages = languages or "English"
    import open_clip

    model_cfg = open_clip.get_model_config(arch)
    if model_cfg is None:
        raise LibraryError(
            f"Unknown architecture {arch!r}: use a photoclip model name ({', '.join(_catalogue_keys())}) "
            "or an open_clip architecture from `photoclip models --all`."
        )
    preprocess: dict[str, Any] = {
        "mean": list(open_clip.OPENAI_DATASET_MEAN),
        "std": list(open_clip.OPENAI_DATASET_STD),
        "interpolation": "bicubic",
        "resize_mode": "shortest",
    }
    if tag:
        published = open_clip.get_pretrained_cfg(arch, tag)
        if not published:
            raise LibraryError(f"open_clip publishes no weights tagged {tag!r} for {arch}.")
        preprocess.update({k: published[k] for k in preprocess if k in published})
        if published.get("quick_gelu"):
            model_cfg["quick_gelu"] = True
    size = model_cfg.get("vision_cfg", {}).get("image_size", 224)
    preprocess["size"] = size
    label = f"{arch}/{tag}" if tag else arch
    return {"model_cfg": model_cfg, "preprocess_cfg": preprocess}, languages, label


def _check_loads(folder: Path, name: str, architecture: str) -> Any:
    """Load the staged model strictly on the CPU and run it on real inputs: photos and words.

    A checkpoint whose tensors fit can still be useless (saved after training diverged:
    NaN or infinite weights); every search would then fail. Every weight must be finite
    (the probes below touch only a few rows of the word table, and none of the
    temperature auto-tagging uses), so must its outputs, and different inputs must give
    different vectors.
    """
    from photoclip.core.clip.loading import load_model

    spec = ModelSpec(name, f"local-dir:{folder}", None, weights_fingerprint="staging")
    try:
        loaded = load_model(spec, device="cpu", cache_dir=folder, allow_download=False)
        broken = _non_finite_weights(loaded.model)
        images, texts = _probe_outputs(loaded)
    except Exception as e:  # every loader failure means: these weights do not fit
        reason = _loader_reason(e)
        if reason in (_NOT_WEIGHTS, _NOT_READABLE):
            raise LibraryError(f"The checkpoint cannot be imported: {reason}.") from e
        raise LibraryError(f"The checkpoint does not fit the {architecture} architecture: {reason}") from e
    if broken or not (np.isfinite(images).all() and np.isfinite(texts).all()):
        where = f" (in {', '.join(broken[:3])}{', ...' if len(broken) > 3 else ''})" if broken else ""
        raise LibraryError(
            f"The checkpoint's weights hold non-finite values (NaN or infinity){where}, which give no usable "
            "results for photos and words: it is damaged, or was saved after training went wrong. "
            "It was not imported."
        )
    if np.allclose(images[0], images[1]) or np.allclose(texts[0], texts[1]):
        raise LibraryError(
            "The checkpoint gives the same vector for different photos or words: it cannot tell anything apart "
            "(damaged or untrained weights). It was not imported."
        )
    return loaded


def _non_finite_weights(model: Any) -> list[str]:
    """Names of the weights holding NaN or infinity, and of the stored buffers holding NaN.

    Buffers may hold infinity on purpose (an attention mask's -inf); NaN never means anything.
    """
    import torch

    broken = [
        name
        for name, tensor in model.named_parameters()
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())
    ]
    broken += [
        name for name, tensor in model.named_buffers() if tensor.is_floating_point() and bool(torch.isnan(tensor).any())
    ]
    return broken


def _probe_outputs(loaded: Any) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Image and text vectors of a model for two different pictures and two different words."""
    import torch
    from PIL import Image

    size = loaded.image_size
    gradient = np.linspace(0, 255, size * size * 3, dtype=np.float32).reshape(size, size, 3).astype(np.uint8)
    pictures = [Image.fromarray(gradient), Image.new("RGB", (size, size), (200, 30, 30))]
    with torch.inference_mode():
        batch = torch.stack([loaded.preprocess(p) for p in pictures])
        images = loaded.model.encode_image(batch).float().numpy()
        texts = loaded.model.encode_text(loaded.tokenizer(["a photo of a dog", "a red square"])).float().numpy()
    return images, texts


_NOT_WEIGHTS = (
    "it is a pickle that needs program code to load, not plain weights; photoclip loads only weights "
    "(save them as .safetensors, or as a plain PyTorch state dict)"
)
_NOT_READABLE = "it is not a readable checkpoint (damaged, cut off, or not a weights file at all)"


def _loader_reason(error: Exception) -> str:
    """The loader's complaint in one line, without advice that would be unsafe to follow.

    torch explains a refused pickle with "re-run torch.load with weights_only=False",
    which would run whatever program code the file carries: never repeated here.
    """
    text = str(error).strip()
    if "Unsupported global" in text or "GLOBAL " in text:  # a class or function of someone's program
        return _NOT_WEIGHTS
    if "weights_only" in text or "pickl" in text.lower() or _raised_reading(error):
        return _NOT_READABLE
    if text.startswith("Could not load "):
        text = text.split(": ", 1)[-1]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):  # "Error(s) in loading state_dict for CLIP:" says nothing alone
        lines[0] = f"{lines[0]} {lines[1]}"
    return (lines[0] if lines else type(error).__name__)[:300]


def _raised_reading(error: BaseException) -> bool:
    """Whether the failure came from reading the file (torch.load, safetensors), not from fitting its tensors."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, EOFError) or type(current).__name__ in ("SafetensorError", "UnpicklingError"):
            return True
        trace = current.__traceback__
        while trace is not None:
            if trace.tb_frame.f_code.co_filename.replace("\\", "/").endswith("torch/serialization.py"):
                return True
            trace = trace.tb_next
        current = current.__cause__ or current.__context__
    return False


def _compare(path: Path, expected: str, source: str) -> Integrity:
    if not expected:
        return Integrity("unverifiable", f"no hash recorded for {path}")
    actual = file_sha256(path)
    if actual == expected.lower():
        return Integrity("ok", f"sha256 {actual[:12]}... matches {source}")
    return Integrity("corrupted", f"{path} has sha256 {actual[:12]}..., {source} is {expected[:12]}...")


def _local_path(spec: ModelSpec) -> Path:
    if spec.architecture.startswith("local-dir:"):
        return Path(spec.architecture[10:])
    return Path(spec.pretrained or "")


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
