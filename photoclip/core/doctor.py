"""Health checks behind `photoclip doctor`: what runs where, and what is wrong, in plain words.

Each check is independent and never raises: a failure becomes a line of the
report, so one broken part cannot hide the state of the others.
"""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from photoclip import __version__
from photoclip.core.clip.weights import cached_weights
from photoclip.core.library import Library
from photoclip.core.util.units import counted
from photoclip.core.vectors.hnsw import VectorIndex
from photoclip.core.vectors.keeper import index_differences


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok", "warn" or "error"
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _versions(_: Library) -> Check:
    names = ("torch", "torchvision", "open_clip_torch", "hnswlib", "pillow", "numpy", "watchdog", "PySide6-Essentials")
    parts = [f"photoclip {__version__}", f"Python {platform.python_version()}"]
    missing = []
    for name in names:
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        return Check("versions", "error", ", ".join(parts) + f"; missing: {', '.join(missing)}")
    return Check("versions", "ok", ", ".join(parts))


def _optional_formats(_: Library) -> Check:
    present, absent = [], []
    for module, label in (("pillow_heif", "HEIC/HEIF (pillow-heif)"), ("rawpy", "camera RAW (rawpy)")):
        try:
            __import__(module)
            present.append(label)
        except ImportError:
            absent.append(label)
    from PIL import features

    (present if features.check("avif") else absent).append("AVIF")
    status = "ok" if not absent else "warn"
    detail = ("readable: " + ", ".join(present) if present else "") + (
        ("; " if present else "") + "not installed: " + ", ".join(absent) if absent else ""
    )
    return Check("optional formats", status, detail)


def _device(library: Library) -> Check:
    import torch

    from photoclip.core.clip.loading import resolve_device

    try:
        device = resolve_device(library.settings.device)
    except Exception as e:  # reported, not raised
        return Check("device", "error", str(e))
    if device.type == "cuda":
        detail = f"CUDA GPU: {torch.cuda.get_device_name(device)}"
    elif device.type == "mps":
        detail = "Apple GPU (MPS)"
    else:
        bf16 = getattr(torch.backends, "cpu", None)
        capability = bf16.get_cpu_capability() if bf16 is not None else "unknown"
        detail = f"CPU ({torch.get_num_threads()} threads, {capability}); no GPU found, indexing runs on the CPU"
    return Check("device", "ok", detail)


def _model(library: Library) -> Check:
    spec = library.model
    if spec.is_local:
        return Check("model", "ok", f"{spec.key}: local weights ({spec.model_id})")
    try:
        weights = cached_weights(spec, library.cache_dir)
    except Exception as e:
        return Check("model", "error", f"{spec.key}: {e}")
    if weights is None:
        return Check(
            "model",
            "warn",
            f"{spec.key} ({spec.model_id}) is not downloaded yet; it downloads on first use "
            "(or use --model photoclip-tiny offline)",
        )
    return Check("model", "ok", f"{spec.key}: {weights}")


def _catalog(library: Library) -> Check:
    problems = library.catalog.integrity_problems()
    if problems:
        return Check("catalog", "error", "database damaged: " + "; ".join(problems[:3]))
    return Check("catalog", "ok", f"schema {library.catalog.schema_version()}, {library.catalog.path}")


def _index(library: Library) -> Check:
    """The saved index against the catalog, vector by vector: counts alone miss a stale vector."""
    model_id = library.model_id
    embedded = library.catalog.embedding_count(model_id)
    index_dir = library.vectors.directory
    index_file, _ = VectorIndex.files(index_dir, model_id)
    if embedded == 0:
        return Check("index", "ok", "nothing indexed yet")
    if not index_file.exists():
        return Check("index", "warn", f"index file missing; it will be rebuilt from {embedded} stored vectors")
    dim = library.catalog.embedding_dim(model_id) or 0
    index = VectorIndex.load(index_dir, model_id=model_id, dim=dim)
    if index is None:
        return Check("index", "warn", "index file damaged or outdated; it will be rebuilt from the catalog")
    differences = index_differences(library.catalog, index, model_id)
    if differences:
        return Check(
            "index",
            "error" if differences.stale else "warn",
            f"the saved index differs from the catalog: {differences}; "
            "run 'photoclip doctor --repair' to rebuild it (the catalog holds every vector)",
        )
    return Check("index", "ok", f"{len(index)} vectors, consistent with the catalog vector by vector")


def _folders(library: Library) -> Check:
    folders = library.folders.all()
    missing = [str(f.path) for f in folders if f.is_offline()]
    if missing:
        return Check("folders", "warn", "offline (unplugged or moved?); their photos are kept: " + ", ".join(missing))
    if not folders:
        return Check("folders", "warn", "no photo folders yet: photoclip index FOLDER")
    return Check("folders", "ok", f"{counted(len(folders), 'folder')} present")


def _watching(library: Library) -> Check:
    """Folders the watcher could not watch (recorded by `photoclip watch` or the app) and the inotify budget."""
    import json

    from photoclip.core.ingest.watcher import FALLBACK_META_KEY

    fallbacks = json.loads(library.catalog.get_meta(FALLBACK_META_KEY) or "{}")
    limit_file = Path("/proc/sys/fs/inotify/max_user_watches")
    budget = ""
    status = "ok"
    if limit_file.exists():
        limit = int(limit_file.read_text().strip())
        folders = library.catalog.distinct_photo_folders()
        budget = f"inotify allows {limit} watched folders; the library has about {folders}"
        if folders > 0.8 * limit:
            status = "warn"
            budget += " (raise fs.inotify.max_user_watches, e.g. sudo sysctl fs.inotify.max_user_watches=524288)"
    if fallbacks:
        listed = "; ".join(f"{path}: {reason}" for path, reason in sorted(fallbacks.items()))
        return Check("watching", "warn", f"rescanned periodically instead of watched: {listed}. {budget}".strip())
    return Check("watching", status, budget or "folders can be watched")


def _skipped(library: Library) -> Check:
    reasons = library.catalog.skip_reasons()
    if not reasons:
        return Check("skipped files", "ok", "none")
    summary = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    return Check("skipped files", "warn", f"{summary} (photoclip status lists them)")


def _disk(library: Library) -> Check:
    free = shutil.disk_usage(library.directory).free
    status = "ok" if free > 1 << 30 else "warn"
    return Check("disk space", status, f"{free / (1 << 30):.1f} GB free at {library.directory}")


def _text_and_places(library: Library) -> Check:
    """Whether text in photos can be read (an OCR engine) and places named (the offline place data)."""
    from photoclip.core.places.geocode import available

    status = library.texts.status()
    parts = []
    state = "ok"
    if status.engine is None:
        state = "warn"
        parts.append(f"text in photos is not read: {status.how_to_get}")
    else:
        parts.append(f"text read with {status.engine} ({counted(status.counts.pending, 'photo')} to do)")
    if not available():
        state = "warn"
        parts.append("place names need the reverse-geocode package: pip install reverse-geocode")
    else:
        parts.append("places named offline from GeoNames")
    return Check("text and places", state, "; ".join(parts))


CHECKS: list[Callable[[Library], Check]] = [
    _versions,
    _device,
    _model,
    _optional_formats,
    _text_and_places,
    _catalog,
    _index,
    _folders,
    _watching,
    _skipped,
    _disk,
]


def run_checks(library: Library) -> list[Check]:
    results = []
    for check in CHECKS:
        try:
            results.append(check(library))
        except Exception as e:  # a broken check is itself a finding
            name = check.__name__.strip("_")
            results.append(Check(name, "error", f"check failed: {type(e).__name__}: {e}"))
    return results


def repair(directory: Path, *, cache_dir: Path | None = None) -> list[str]:
    """Mend what can be mended without the person: a damaged catalog (from its newest healthy backup) and an
    index that differs from the catalog (rebuilt from the catalog's vectors). Returns what was done, in words."""
    from photoclip.core.store.backup import damage, restore_latest

    done: list[str] = []
    catalog_path = Path(directory) / "catalog.sqlite"
    if damage(catalog_path):
        restored = restore_latest(catalog_path)
        done.append(
            f"restored the library database from its backup of {restored.backup.label}; the damaged file is kept "
            f"as {restored.damaged_copy.name}. Changes made after the backup are lost: run 'photoclip index' to "
            "pick up photos added since."
        )
    with Library.open(directory, cache_dir=cache_dir) as library:
        index_dir = library.vectors.directory
        dim = library.catalog.embedding_dim(library.model_id)
        saved = VectorIndex.load(index_dir, model_id=library.model_id, dim=dim) if dim else None
        if dim and (saved is None or index_differences(library.catalog, saved, library.model_id)):
            count = library.vectors.rebuild()
            done.append(f"rebuilt the index from the {count} vectors stored in the catalog")
    return done or ["nothing needed repair"]


def self_test(work_dir: Path) -> Check:
    """End to end in a scratch folder: the bundled model indexes generated photos and finds the right one.

    What an installer runs to prove a bundle works: every native part (torch, open_clip,
    hnswlib, SQLite with FTS5, Pillow's JPEG and PNG codecs, the place names data and,
    when installed, the OCR engine) is exercised for real, offline.
    """
    import time

    from photoclip.core.clip.registry import TINY_MODEL_KEY
    from photoclip.demo import generate_photos
    from photoclip.demo.text_photos import DEMO_PLACES, generate_text_photos

    started = time.perf_counter()
    photos = generate_photos(
        work_dir / "photos",
        24,
        seed=3,
        combos=[("red", "circle"), ("blue", "star"), ("green", "square")],
        places=DEMO_PLACES[:1],
    )
    signs = generate_text_photos(work_dir / "photos" / "signs", 1, seed=3, kinds=("sign",))
    with Library.open(work_dir / "library", model=TINY_MODEL_KEY, cache_dir=work_dir / "cache") as library:
        library.folders.add(work_dir / "photos")
        report = library.indexer.update()
        if report.embedded != len(photos) + len(signs) or report.skipped:
            return Check(
                "self-test", "error", f"indexed {report.embedded} of {len(photos)} photos, {report.skipped} skipped"
            )
        hits = library.searcher.search("a blue star", limit=5).hits
        truth = {p.path for p in photos if p.scene.things[0].colour == "blue"}
        found = sum(h.path in truth for h in hits)
        if found < 5:
            return Check("self-test", "error", f"search found {found} of 5 blue stars in the top 5")
        if len(library.searcher.search("place:Lisbon", limit=50).hits) < sum(p.path.suffix == ".jpg" for p in photos):
            return Check("self-test", "error", "the photos taken in Lisbon were not all found with place:Lisbon")
        read = ""
        if library.texts.status().engine is not None:
            library.texts.read_pending()
            if not library.searcher.search(f"text:{signs[0][1].key}", limit=1).hits:
                return Check("self-test", "error", f"the word {signs[0][1].key!r} was not read on a generated sign")
            read = ", read the text on a sign"
        device = library.models.embedder().device
    seconds = time.perf_counter() - started
    return Check(
        "self-test",
        "ok",
        f"indexed {len(photos) + len(signs)} generated photos and found the right ones{read} on {device} "
        f"in {seconds:.1f} s",
    )
