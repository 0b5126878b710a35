"""Text in the library's photos: reading it (where the gate says it can pay) and reading it back.

`read_pending` works through the photos whose text was never looked at,
newest first, a few at a time: the gate decides from each photo's stored CLIP
vector whether to read it, the OCR engine reads the ones that pass, and every
answer is stored at once (per content hash), so a crash or a Ctrl-C loses at
most the photo being read and the next run carries on where this one stopped.
It runs after embedding: in the background in the app and `photoclip watch`
(`ingest.reading.TextReader`), at the end of `photoclip index`.

Without an OCR engine installed everything else works; `status` says so and
how to install one (`engines.HOW_TO_GET`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from photoclip.core.changes import NOTHING, ChangeBus, Changes
from photoclip.core.clip.service import Models
from photoclip.core.errors import DecodeError, LibraryError
from photoclip.core.media.decode import decode_photo
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import PhotoId
from photoclip.core.store.settings import SettingsFile
from photoclip.core.store.texts import FAILED, GATED, READ, TextCounts, TextStore, TextWork
from photoclip.core.text.engines import HOW_TO_GET, OcrEngine, OcrFailed, engine_name, make_engine
from photoclip.core.text.gate import GateLevels, TextGate

log = logging.getLogger(__name__)

BATCH = 8
"""Photos taken from the catalog at a time (newest first)."""
OCR_MIN_SIDE = 1200
"""Shorter side a photo is decoded at for reading (JPEG drafts keep it cheap; small print stays legible)."""
PUBLISH_SECONDS = 3.0
"""Views hear about newly read text at most this often while reading."""


@dataclass(frozen=True)
class TextProgress:
    done: int  # photos looked at in this run (read or passed over by the gate)
    total: int  # photos waiting when the run started
    read: int  # of those, photos the OCR read


@dataclass
class TextReport:
    looked_at: int = 0
    read: int = 0  # photos the OCR read
    found: int = 0  # of those, photos where it found words
    gated: int = 0  # passed over: the gate said they hold no text
    failed: int = 0
    seconds: float = 0.0
    ocr_seconds: float = 0.0
    engine: str | None = None
    interrupted: bool = False  # stopped early (cancelled, or indexing needed the computer)
    changes: Changes = NOTHING


@dataclass(frozen=True)
class TextStatus:
    engine: str | None  # the OCR engine in use, or None when none is installed
    how_to_get: str | None  # what to install, when none is
    enabled: bool  # the library's read_text setting
    counts: TextCounts


class Texts:
    """Reading text in photos, and the text found."""

    def __init__(
        self, catalog: Catalog, models: Models, settings: SettingsFile, changes: ChangeBus, store: TextStore
    ) -> None:
        self._catalog = catalog
        self._models = models
        self._settings = settings
        self._changes = changes
        self._store = store
        self._engine: OcrEngine | None = None
        self._gates: dict[str, TextGate] = {}
        self._lock = threading.Lock()  # one reading run at a time in this process

    # -- what is known -------------------------------------------------------------------------

    def status(self) -> TextStatus:
        name = engine_name()
        return TextStatus(
            name,
            None if name else HOW_TO_GET,
            self._settings.current.read_text,
            self._store.counts(self._models.model_id),
        )

    def text_of(self, photo_id: int) -> str | None:
        """The text read in a photo (None when none was found or it was not read)."""
        return self._store.text_of([photo_id]).get(PhotoId(int(photo_id)))

    def texts_of(self, photo_ids: Sequence[int]) -> dict[PhotoId, str]:
        return self._store.text_of(photo_ids)

    def state_of(self, photo_id: int) -> str | None:
        """ "read", "gated" (the gate said it holds no text), "failed", or None (not looked at yet)."""
        return self._store.state_of(photo_id)

    def pending(self) -> int:
        """Photos (distinct contents) whose text has not been looked at yet."""
        return self._store.pending_count(self._models.model_id)

    def gate_levels(self) -> GateLevels:
        """The gate's scale for the current model (loads the model)."""
        return self._gate().levels

    # -- reading -------------------------------------------------------------------------------

    def read_pending(
        self,
        *,
        limit: int | None = None,
        progress: Callable[[TextProgress], None] | None = None,
        cancel: threading.Event | None = None,
        should_yield: Callable[[], bool] | None = None,
    ) -> TextReport:
        """Look at every photo whose text has not been looked at (or `limit` of them), newest first.

        Args:
            should_yield: asked between photos; True stops the run (indexing needs the computer).
        """
        report = TextReport()
        if not self._lock.acquire(blocking=False):
            report.interrupted = True
            return report
        try:
            return self._read(report, limit, progress, cancel, should_yield)
        finally:
            self._lock.release()

    def _read(
        self,
        report: TextReport,
        limit: int | None,
        progress: Callable[[TextProgress], None] | None,
        cancel: threading.Event | None,
        should_yield: Callable[[], bool] | None,
    ) -> TextReport:
        started = time.perf_counter()
        model_id = self._models.model_id
        total = self._store.pending_count(model_id)
        if total == 0:
            return report
        engine = self._ocr()
        report.engine = engine.name
        gate = self._gate()
        publisher = _Publisher(self._changes)
        stop = _stopper(cancel, should_yield)
        while (limit is None or report.looked_at < limit) and not report.interrupted:
            work = self._store.pending(model_id, min(BATCH, limit - report.looked_at if limit else BATCH))
            if not work:
                break
            scores = self._gate_scores(gate, model_id, work)
            for item in work:
                if stop():
                    report.interrupted = True
                    break
                score = scores.get(int(item.photo_id))
                if score is None:
                    continue  # its vector went away meanwhile (the photo changed): it comes back as pending
                if self._look_at(item, score, gate, engine, model_id, report):
                    publisher.found()
                if progress is not None:
                    progress(TextProgress(report.looked_at, total, report.read))
        if report.looked_at:
            self._store.forget_orphans()
        report.changes = Changes(photos=report.found > 0)
        publisher.flush()
        report.seconds = time.perf_counter() - started
        return report

    def _gate_scores(self, gate: TextGate, model_id: str, work: Sequence[TextWork]) -> dict[int, float]:
        with self._models.reading():
            ids, vectors = self._catalog.embeddings(model_id, [w.photo_id for w in work])
        return dict(zip(ids.tolist(), gate.scores(vectors).tolist(), strict=True))

    def _look_at(
        self, item: TextWork, score: float, gate: TextGate, engine: OcrEngine, model_id: str, report: TextReport
    ) -> bool:
        """Gate, read and store one photo; True when text was found."""
        report.looked_at += 1
        if score < gate.levels.threshold:
            self._store.record(item.content_hash, GATED, model_id=model_id, gate_score=score)
            report.gated += 1
            return False
        began = time.perf_counter()
        try:
            image = decode_photo(item.path, min_side=OCR_MIN_SIDE).image
            text = engine.read(image)
        except (DecodeError, OcrFailed, OSError) as e:
            log.info("cannot read the text of %s: %s", item.path, e)
            self._store.record(item.content_hash, FAILED, engine=engine.name, model_id=model_id, gate_score=score)
            report.failed += 1
            return False
        finally:
            report.ocr_seconds += time.perf_counter() - began
        self._store.record(item.content_hash, READ, text, engine=engine.name, model_id=model_id, gate_score=score)
        report.read += 1
        report.found += bool(text.strip())
        return bool(text.strip())

    def _ocr(self) -> OcrEngine:
        if self._engine is None:
            name = engine_name()
            if name is None:
                raise LibraryError(HOW_TO_GET)
            self._engine = make_engine(name)
        return self._engine

    def _gate(self) -> TextGate:
        model_id = self._models.model_id
        gate = self._gates.get(model_id)
        if gate is None:
            with self._models.reading():
                gate = TextGate(self._models.embedder(), texts=self._models.text_encoder())
            self._gates[model_id] = gate
        return gate


class _Publisher:
    """Tells views about newly read text at most every `PUBLISH_SECONDS`, and once more at the end."""

    def __init__(self, changes: ChangeBus) -> None:
        self._changes = changes
        self._last = time.monotonic()
        self._unpublished = False

    def found(self) -> None:
        self._unpublished = True
        if time.monotonic() - self._last >= PUBLISH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self._unpublished:
            self._changes.publish(Changes(photos=True))
            self._last, self._unpublished = time.monotonic(), False


def _stopper(cancel: threading.Event | None, should_yield: Callable[[], bool] | None) -> Callable[[], bool]:
    """Whether a run must stop before its next photo: cancelled, or indexing needs the computer."""

    def stop() -> bool:
        return (cancel is not None and cancel.is_set()) or (should_yield is not None and should_yield())

    return stop
