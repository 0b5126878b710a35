"""`Library`: the one object front ends hold, and the parts it hands out.

A library is a folder holding the catalog (SQLite, the source of truth), the
HNSW index files (a cache), and its settings. `Library.open` builds the real
parts; the constructor takes the catalog, settings and model ready-made (and
optionally a loaded model) so tests and tools can pass their own. Nothing
here blocks on the model until a call needs it: opening a library and reading
its status are instant, and the model loads on first search or index.

The parts, each owning its own lock:

    folders   which folders are followed, offline ones, ignore patterns
    indexer   scanning and embedding (current model, and the next during a switch)
    searcher  text / example search, browsing by filters
    tags      label sets, tags, auto-tagging, keyword import and XMP export
    albums    albums
    smart_albums  albums that fill themselves from a search, kept current as photos change
    photos    reading photo rows
    similar   near-duplicates and bursts, best shot first
    trash     photos a person removes: to the platform trash, and back
    places    where photos were taken (offline reverse geocoding), the places tree
    texts     text read in photos (OCR where the CLIP gate says there is text)
    models    the current model, loading it, switching to another
    changes   the change bus: every edit above is published there
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoclip.core.changes import ChangeBus, Changes
from photoclip.core.clip.registry import ModelSpec, resolve_model
from photoclip.core.clip.service import Models, ModelSwitch
from photoclip.core.errors import LibraryError
from photoclip.core.ingest.folders import Folders, FolderStatus
from photoclip.core.ingest.indexer import Indexer
from photoclip.core.ingest.trash import Trash
from photoclip.core.places.service import Places
from photoclip.core.search.searcher import Searcher
from photoclip.core.search.smart_albums import SmartAlbums
from photoclip.core.similar.service import Similar
from photoclip.core.store.albums import Albums
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.photos import Photos
from photoclip.core.store.places import PlaceStore
from photoclip.core.store.settings import LibrarySettings, SettingsFile
from photoclip.core.store.tags import TagStore
from photoclip.core.store.texts import TextStore
from photoclip.core.tagging.labelsets import builtin_label_sets
from photoclip.core.tagging.service import Tags
from photoclip.core.tagging.sidecar_sync import SidecarSync
from photoclip.core.text.service import TextProgress, Texts
from photoclip.core.util.paths import default_cache_dir, default_library_dir
from photoclip.core.vectors.keeper import VectorKeeper

if TYPE_CHECKING:  # torch loads only when the model is needed
    from photoclip.core.clip.embedder import Embedder
    from photoclip.core.ingest.indexer import IndexProgress
    from photoclip.core.ingest.watcher import Activity, LibraryWatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LibraryStatus:
    directory: Path
    model_key: str
    model_id: str
    folders: list[FolderStatus]
    photos: int
    embedded: int
    pending: int
    skipped: int
    skip_reasons: dict[str, int]
    duplicates: int
    other_models: dict[str, int]
    catalog_bytes: int
    index_bytes: int
    switch: ModelSwitch | None = None  # a model change in progress


class Library:
    """Photos, their vectors and everything learnt about them, behind one object."""

    def __init__(
        self,
        directory: Path,
        catalog: Catalog,
        settings: LibrarySettings | SettingsFile,
        model: ModelSpec,
        *,
        cache_dir: Path,
        embedder: Embedder | None = None,
    ) -> None:
        self.directory = directory
        self.cache_dir = cache_dir
        self.catalog = catalog  # the engine's own: front ends use the parts below
        self._settings = (
            settings if isinstance(settings, SettingsFile) else SettingsFile(directory / "settings.json", settings)
        )
        self.changes = ChangeBus()
        self.vectors = VectorKeeper(
            catalog, directory / "index", model.model_id, save_seconds=self._settings.current.index_save_seconds
        )
        self.models = Models(
            model,
            catalog=catalog,
            settings=self._settings,
            vectors=self.vectors,
            cache_dir=cache_dir,
            changes=self.changes,
            embedder=embedder,
        )
        self.folders = Folders(catalog, self._settings, self.vectors, self.changes, library_dir=directory)
        self.places = Places(PlaceStore(catalog), self.changes)
        self.texts = Texts(catalog, self.models, self._settings, self.changes, TextStore(catalog))
        self.indexer = Indexer(
            catalog,
            self._settings,
            self.folders,
            self.vectors,
            self.models,
            self.changes,
            lock_path=directory / "indexing.lock",
            places=self.places,
        )
        self.searcher = Searcher(catalog, self.vectors, self.models, self.folders, self.places)
        self.tags = Tags(catalog, TagStore(catalog), self.models, self.vectors, self.changes, self.places)
        self.albums = Albums(catalog, self.changes)
        self.photos = Photos(catalog, lambda: self.models.model_id)
        self.similar = Similar(catalog, self.vectors, self.models)
        self.trash = Trash(catalog, self.vectors, self.indexer, self.changes)
        self.sidecars = SidecarSync(self.tags, self._settings)
        self.changes.subscribe(self.sidecars)
        self.smart_albums = SmartAlbums(catalog, self.albums, self.searcher, self.vectors, self.models, self.changes)
        self.changes.subscribe(self.smart_albums)

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: Path | None = None,
        *,
        model: str | None = None,
        checkpoint: Path | None = None,
        device: str | None = None,
        cache_dir: Path | None = None,
        embedder: Embedder | None = None,
    ) -> Library:
        """Open (creating if needed) a library; a given model becomes the library's model.

        Args:
            embedder: an already loaded model to share (it must be the library's model).
        """
        directory = Path(directory or default_library_dir()).expanduser().resolve()
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LibraryError(f"Cannot create the library folder {directory}: {e.strerror or e}") from e
        settings = SettingsFile(directory / "settings.json")
        current = settings.current
        changes: dict[str, Any] = {}
        if model is not None and (model != current.model or str(checkpoint or "") != str(current.checkpoint or "")):
            changes.update(model=model, checkpoint=str(checkpoint) if checkpoint else None)
        if device is not None and device != current.device:
            changes["device"] = device
        checkpoint_text = changes.get("checkpoint", current.checkpoint)
        spec = resolve_model(
            changes.get("model", current.model),
            checkpoint=Path(checkpoint_text) if checkpoint_text else None,
            cache_dir=cache_dir,
        )
        catalog = Catalog(directory / "catalog.sqlite")
        if changes or not settings.path.exists():
            settings.update(**changes)
        TagStore(catalog).install_builtins(builtin_label_sets())
        return cls(
            directory, catalog, settings, spec, cache_dir=Path(cache_dir or default_cache_dir()), embedder=embedder
        )

    def close(self) -> None:
        """Save the index and close the catalog (closing again does nothing)."""
        if self.catalog.closed:
            return
        try:
            self.smart_albums.close()
            self.vectors.save()
        finally:
            self.catalog.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what every caller reads --------------------------------------------------------------

    @property
    def settings(self) -> LibrarySettings:
        """The current settings (read-only: change them with `update_settings`)."""
        return self._settings.current

    def update_settings(self, **changes: Any) -> Changes:
        """Change settings of this library (saved at once); an unusable value raises LibraryError."""
        before = self._settings.current
        after = self._settings.update(**changes)
        return self.changes.publish(Changes(settings=after != before))

    @property
    def model(self) -> ModelSpec:
        return self.models.spec

    @property
    def model_id(self) -> str:
        return self.models.model_id

    def status(self) -> LibraryStatus:
        """Counts and sizes, without loading the model."""
        model_id = self.model_id
        stats = self.catalog.stats(model_id)
        catalog_bytes = sum(p.stat().st_size for p in self.directory.glob("catalog.sqlite*") if p.is_file())
        skip_reasons = self.photos.skip_reasons()
        return LibraryStatus(
            directory=self.directory,
            model_key=self.model.key,
            model_id=model_id,
            folders=self.folders.statuses(),
            photos=stats.photos,
            embedded=stats.embedded,
            pending=stats.pending,
            skipped=sum(skip_reasons.values()),
            skip_reasons=skip_reasons,
            duplicates=self.catalog.duplicate_count(),
            other_models={m: n for m, n in stats.models.items() if m != model_id},
            catalog_bytes=catalog_bytes,
            index_bytes=self.vectors.file_bytes(),
            switch=self.models.switch_state(),
        )

    def watch(
        self,
        *,
        settle_seconds: float = 2.0,
        check_seconds: float = 5.0,
        poll_seconds: float = 300.0,
        on_activity: Callable[[Activity], None] | None = None,
        on_progress: Callable[[IndexProgress], None] | None = None,
        on_text_progress: Callable[[TextProgress], None] | None = None,
        read_text: bool = True,
        download: bool = True,
    ) -> LibraryWatcher:
        """Follow the folders from now on (a background thread); stop it with `LibraryWatcher.stop`.

        Text in photos is read in the background once indexing has nothing to do (when an
        OCR engine is installed and `read_text` and the library's setting allow it).

        Args:
            download: fetch the model if needed to embed new photos; False (the app) keeps them
                waiting, browsable, until the person asks for the model.
        """
        from photoclip.core.ingest.reading import TextReader
        from photoclip.core.ingest.watcher import LibraryWatcher

        watcher = LibraryWatcher(
            self.indexer,
            self.folders,
            self.catalog,
            settle_seconds=settle_seconds,
            check_seconds=check_seconds,
            poll_seconds=poll_seconds,
            on_activity=on_activity,
            on_progress=on_progress,
            download=download,
        )
        if read_text:
            watcher.companions.append(
                TextReader(
                    self.texts,
                    self._settings,
                    self.changes,
                    busy=lambda: self.indexer.busy() or watcher.busy(),
                    on_progress=on_text_progress,
                )
            )
        watcher.start()
        return watcher
