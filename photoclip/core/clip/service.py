"""The library's model: loading it when first needed, and moving the library to another one.

A switch is recorded as the setting `next_model`. Each indexing run embeds the
photos for the current model first, then for the next one (loaded alongside);
searches keep using the current model and its index until the next model has a
vector for every photo, then the library flips to it: settings first
(atomically), then in memory while no search runs. The old model's vectors
stay in the catalog, so switching back is instant.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from photoclip.core.changes import ChangeBus, Changes, Outcome
from photoclip.core.clip.registry import ModelSpec, resolve_model
from photoclip.core.clip.text_towers import TextTowerRecord, find_text_tower, start_text_export
from photoclip.core.clip.weights import DownloadProgress
from photoclip.core.errors import LibraryError, PhotoclipError
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.settings import SettingsFile
from photoclip.core.vectors.keeper import VectorKeeper

if TYPE_CHECKING:  # torch loads only when the model is needed
    from photoclip.core.clip.embedder import Embedder
    from photoclip.core.clip.text_encoder import OnnxTextEncoder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSwitch:
    """A model change in progress: photos get vectors for `spec` while the current model keeps serving."""

    name: str  # as given to `switch`, stored as the setting next_model
    spec: ModelSpec
    done: int  # photos that have a vector of the next model
    total: int  # photos that need one (every photo that is not skipped)

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else min(1.0, self.done / self.total)


class Models:
    """The current model (loaded lazily) and the switch to the next one; owns the model locks.

    Args:
        embedder: an already loaded model to share (it must be `spec`'s).
    """

    def __init__(
        self,
        spec: ModelSpec,
        *,
        catalog: Catalog,
        settings: SettingsFile,
        vectors: VectorKeeper,
        cache_dir: Path,
        changes: ChangeBus,
        embedder: Embedder | None = None,
    ) -> None:
        if embedder is not None and embedder.model_id != spec.model_id:
            raise LibraryError(f"The given model {embedder.model_id} is not this library's model {spec.model_id}.")
        self.spec = spec
        self.cache_dir = cache_dir
        self.download_progress: DownloadProgress | None = None
        self.load_seconds = 0.0
        self._catalog = catalog
        self._settings = settings
        self._vectors = vectors
        self._changes = changes
        self._embedder = embedder
        self._next_embedder: Embedder | None = None
        self._text: OnnxTextEncoder | None = None
        self._text_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._switch_lock = threading.RLock()
        self._guard = _ModelGuard()

    @property
    def model_id(self) -> str:
        return self.spec.model_id

    @property
    def loaded(self) -> bool:
        return self._embedder is not None

    def available(self) -> bool:
        """Whether the model loads without a download: bundled, a local file, or weights already fetched."""
        from photoclip.core.clip.weights import cached_weights

        if self._embedder is not None or self.spec.is_local:
            return True
        try:
            return cached_weights(self.spec, self.cache_dir) is not None
        except PhotoclipError:
            return False

    @property
    def image_tower_loaded(self) -> bool:
        return self._embedder is not None

    def embedder(self) -> Embedder:
        """The whole model, both towers (loads it on first use: seconds, or a download on first run).

        Indexing and example photos from outside the library need it; text queries do not
        (`text_encoder`). Loading it also exports the text tower in the background when
        that was never done for these weights, so later queries need no PyTorch.
        """
        with self._load_lock:
            if self._embedder is None:
                started = time.perf_counter()
                self._embedder = self.load(self.spec)
                self.load_seconds = time.perf_counter() - started
                if self.text_tower() is None:
                    start_text_export(self.spec, self.cache_dir)
            return self._embedder

    def text_encoder(self) -> Embedder | OnnxTextEncoder:
        """What encodes text queries: the checked ONNX export of the text tower, without PyTorch, when there is
        one; otherwise the whole model (`embedder`)."""
        return self.exported_text_encoder() or self.embedder()

    def exported_text_encoder(self) -> OnnxTextEncoder | None:
        """The exported text tower, opened on first use (a fraction of a second); None when there is none."""
        with self._text_lock:
            if self._text is None or self._text.model_id != self.spec.model_id:
                self._text = self._open_text_tower()
            return self._text

    @property
    def text_ready(self) -> bool:
        """A text query can be answered without loading anything more."""
        return self._text is not None or self._embedder is not None

    def text_tower(self) -> tuple[Path, TextTowerRecord] | None:
        """The checked export of the current model's text tower, if there is one (reads two small files)."""
        try:
            return find_text_tower(self.spec, self.cache_dir)
        except OSError as e:
            log.warning("cannot look for the exported text tower of %s: %s", self.spec.key, e)
            return None

    def _open_text_tower(self) -> OnnxTextEncoder | None:
        found = self.text_tower()
        if found is None:
            return None
        from photoclip.core.clip.text_encoder import OnnxTextEncoder

        try:
            started = time.perf_counter()
            encoder = OnnxTextEncoder(*found, model_id=self.spec.model_id)
        except Exception as e:  # a missing ONNX Runtime, a damaged file: PyTorch answers instead
            log.warning("the exported text tower of %s cannot be used (%s); using PyTorch", self.spec.key, e)
            return None
        log.info("text queries use the exported text tower (opened in %.2f s)", time.perf_counter() - started)
        return encoder

    def load(self, spec: ModelSpec) -> Embedder:
        """Load any model with the library's device and precision (not kept: see `embedder`).

        The weights are held once, in the precision they run in: the one calibrated before on
        this device when there is one (else float32, calibrated now, then converted). The text
        tower stays on disk when its exported tower answers text queries.
        """
        from photoclip.core.clip.embedder import Embedder, cached_precision
        from photoclip.core.clip.loading import load_model, resolve_device

        settings = self._settings.current
        calibrations = self.cache_dir / "precision.json"
        precision = settings.precision
        if precision == "auto":
            precision = cached_precision(spec.model_id, resolve_device(settings.device), calibrations) or "auto"
        text = precision == "auto" or find_text_tower(spec, self.cache_dir) is None
        loaded = load_model(
            spec,
            device=settings.device,
            cache_dir=self.cache_dir,
            progress=self.download_progress,
            dtype="float32" if precision == "auto" else precision,
            text=text,
        )
        embedder = Embedder(loaded, precision=precision, calibration_cache=calibrations)
        if text and precision == "auto" and find_text_tower(spec, self.cache_dir) is not None:
            from photoclip.core.clip.loading import drop_text_tower

            drop_text_tower(loaded.model)  # calibrated on both towers; text queries use the exported one
            loaded.tokenizer, loaded.text_trimmable = None, False
        return embedder

    def reading(self) -> contextlib.AbstractContextManager[None]:
        """Hold the current model steady for a call that reads it in several steps (a flip waits)."""
        return self._guard.shared()

    # -- switching ----------------------------------------------------------------------------

    def switch(self, name: str) -> Outcome[ModelSwitch | None]:
        """Move the library to another model without interrupting search.

        Returns the switch in progress (the next indexing run does the work), or None when
        nothing remains to do: `name` is the current model (a pending switch is cancelled),
        or it already has vectors for every photo (switching back), in which case the library
        uses it from now on. A checkpoint file must be imported first (`ModelManager`).
        """
        spec = resolve_model(name, cache_dir=self.cache_dir)
        with self._switch_lock:
            if spec.model_id == self.model_id:
                self._set_next(None)
                return Outcome(None, self._changes.publish(Changes(settings=True)))
            if self._settings.current.next_model != name:
                self._set_next(name)
        if self._catalog.count_pending(spec.model_id) == 0:
            self.flip(name, spec)
            return Outcome(None, self._changes.publish(Changes(settings=True, model=True, photos=True)))
        return Outcome(self.switch_state(), self._changes.publish(Changes(settings=True)))

    def cancel_switch(self) -> bool:
        """Stay with the current model; the vectors made so far for the next one are kept."""
        with self._switch_lock:
            pending = self._settings.current.next_model is not None
            self._set_next(None)
        if pending:
            self._changes.publish(Changes(settings=True))
        return pending

    def switch_state(self) -> ModelSwitch | None:
        """The model change in progress, with how many photos have vectors for it (no model loads)."""
        name, spec = self.next_model()
        if name is None or spec is None:
            return None
        stats = self._catalog.stats(spec.model_id)
        total = stats.photos - stats.skipped
        return ModelSwitch(name, spec, total - stats.pending, total)

    def next_model(self) -> tuple[str | None, ModelSpec | None]:
        """The model being switched to: (name, spec), spec None when it cannot be resolved any more."""
        with self._switch_lock:
            name = self._settings.current.next_model
            if name is None:
                return None, None
            try:
                spec = resolve_model(name, cache_dir=self.cache_dir)
            except PhotoclipError as e:  # removed since: say so and keep serving the current model
                log.warning("cannot switch to %s: %s", name, e)
                return name, None
            if spec.model_id == self.model_id:  # the library was moved to it another way (--model)
                self._set_next(None)
                return None, None
            return name, spec

    def next_embedder(self, spec: ModelSpec) -> Embedder:
        """The next model, loaded beside the current one while photos are re-embedded for it."""
        with self._switch_lock:
            if self._next_embedder is None or self._next_embedder.model_id != spec.model_id:
                self._next_embedder = self.load(spec)
            return self._next_embedder

    def _set_next(self, name: str | None) -> None:
        self._settings.update(next_model=name)
        self._next_embedder = None

    def flip(self, name: str, spec: ModelSpec) -> bool:
        """Make `spec` the library's model: settings.json first (atomic), then memory, between searches."""
        with self._switch_lock:
            if self._settings.current.next_model != name:  # cancelled or changed meanwhile
                return False
            self._settings.update(model=name, checkpoint=None, next_model=None)
            with self._guard.exclusive(), self._vectors.locked(), self._load_lock:
                self._vectors.switch_to(spec.model_id)
                self.spec = spec
                self._embedder, self._next_embedder = self._next_embedder, None
                self._text = None
        log.info("the library now uses %s (%s)", name, spec.model_id)
        self._vectors.index()  # load or build the new model's index now rather than on the first search
        return True

    def drop_vectors(self, model_id: str) -> Outcome[int]:
        """Delete another model's stored vectors and index (to save space); returns how many were stored."""
        switch = self.switch_state()
        if model_id == self.model_id or (switch is not None and switch.spec.model_id == model_id):
            raise LibraryError(f"{model_id} is in use by this library; its vectors cannot be deleted.")
        count = self._catalog.delete_embeddings(model_id)
        self._vectors.drop_files(model_id)
        return Outcome(count, self._changes.publish(Changes(model=True)))


class _ModelGuard:
    """Many calls may read the current model at once; a model flip waits for them and holds off new ones.

    Re-entrant for readers (a search inside auto-tagging), and a waiting flip blocks new
    readers so a busy search box cannot postpone it forever.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._flipping = False
        self._depth = threading.local()

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        depth: int = getattr(self._depth, "value", 0)
        if depth == 0:
            with self._condition:
                self._condition.wait_for(lambda: not self._flipping)
                self._readers += 1
        self._depth.value = depth + 1
        try:
            yield
        finally:
            self._depth.value = depth
            if depth == 0:
                with self._condition:
                    self._readers -= 1
                    self._condition.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._flipping)
            self._flipping = True
            self._condition.wait_for(lambda: self._readers == 0)
        try:
            yield
        finally:
            with self._condition:
                self._flipping = False
                self._condition.notify_all()
