"""Keep the model busy: decode photos in worker threads while it embeds the previous batch.

Reading, hashing, JPEG decoding (at reduced scale through `draft`) and resizing
all release the GIL in Pillow and hashlib, so plain threads run them in parallel
with the model. A bounded window of work keeps the next batch decoding while the
current one is embedded, and a single writer thread stores finished batches so
the model never waits for the disk either. Any photo that cannot be read comes
back as a skip with its reason; it never stops a batch.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import torch

from photoclip.core.clip.embedder import Embedder
from photoclip.core.errors import DecodeError
from photoclip.core.media.decode import DecodedPhoto, PhotoBytes, decode_bytes, read_photo
from photoclip.core.media.location import locate
from photoclip.core.similar.measure import MEASURE_SIDE, measure
from photoclip.core.store.records import PhotoMetadata, WorkItem
from photoclip.core.util.threads import lower_thread_priority

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Skip:
    """A photo that could not be read, with the reason to show the user."""

    item: WorkItem
    reason: str
    message: str
    size: int
    mtime_ns: int


@dataclass
class Batch:
    """What one model batch produced; stored by the sink in one transaction."""

    embedded: list[tuple[WorkItem, PhotoMetadata, npt.NDArray[np.float32]]] = field(default_factory=list)
    unchanged: list[tuple[WorkItem, int, int]] = field(default_factory=list)  # (item, size, mtime_ns)
    skipped: list[Skip] = field(default_factory=list)
    refreshed: list[tuple[WorkItem, PhotoMetadata]] = field(default_factory=list)  # unchanged, its facts read again

    def __len__(self) -> int:
        return len(self.embedded) + len(self.unchanged) + len(self.skipped)


@dataclass
class PipelineStats:
    photos: int = 0
    embedded: int = 0
    unchanged: int = 0
    duplicates: int = 0
    skipped: int = 0
    batches: int = 0
    seconds: float = 0.0
    model_seconds: float = 0.0
    cancelled: bool = False

    @property
    def rate(self) -> float:
        return self.photos / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class _Prepared:
    item: WorkItem
    meta: PhotoMetadata
    tensor: torch.Tensor


@dataclass(frozen=True)
class _Duplicate:
    """The same bytes as a photo already embedded: its vector is reused, the model is not run."""

    item: WorkItem
    meta: PhotoMetadata
    vector: npt.NDArray[np.float32]


@dataclass(frozen=True)
class _Unchanged:
    """Size or date changed but the bytes did not: keep the stored vector and metadata."""

    item: WorkItem
    size: int
    mtime_ns: int
    meta: PhotoMetadata | None = None  # read again: the photo lacked its measures (see `prepare`)


KnownContent = Callable[[str], "tuple[npt.NDArray[np.float32], PhotoMetadata] | None"]
"""Looks up a stored vector (and metadata) for exact content, by hash."""


def prepare(
    item: WorkItem,
    embedder_preprocess: Callable[..., torch.Tensor],
    min_side: int | None,
    known_content: KnownContent | None = None,
) -> _Prepared | _Unchanged | _Duplicate | Skip:
    """Worker-thread step: read and hash once; decode and preprocess only content never seen before."""
    try:
        photo = read_photo(item.path)
        if item.has_embedding and photo.content_hash == item.known_hash:  # touched or copied back: same bytes
            if item.measured:
                return _Unchanged(item, photo.size, photo.mtime_ns)
            # read before measuring existed, or back from the trash: its vector stays, its facts are read again
            decoded = decode_bytes(photo, min_side=MEASURE_SIDE)
            return _Unchanged(item, photo.size, photo.mtime_ns, _metadata(photo, decoded, _location(item, photo)))
        location = _location(item, photo)
        if known_content is not None and (known := known_content(photo.content_hash)) is not None:
            vector, meta = known
            return _Duplicate(item, replace(meta, size=photo.size, mtime_ns=photo.mtime_ns, location=location), vector)
        decoded = decode_bytes(photo, min_side=min_side)
        tensor = embedder_preprocess(decoded.image)
        meta = _metadata(photo, decoded, location)
    except DecodeError as e:
        size, mtime_ns = _stat_or_zero(item)
        return Skip(item, e.reason, e.message, size, mtime_ns)
    except Exception as e:  # one bad photo must never stop the batch
        log.exception("unexpected failure preparing %s", item.path)
        size, mtime_ns = _stat_or_zero(item)
        return Skip(item, "corrupt", f"The image could not be processed: {e}", size, mtime_ns)
    return _Prepared(item, meta, tensor)


def _location(item: WorkItem, photo: PhotoBytes) -> tuple[float, float, str] | None:
    """Where the photo was taken, from its EXIF or a sidecar: (latitude, longitude, source)."""
    where = locate(item.path, photo.data)
    return None if where is None else (where.latitude, where.longitude, where.source)


def _metadata(photo: PhotoBytes, decoded: DecodedPhoto, location: tuple[float, float, str] | None) -> PhotoMetadata:
    """What the catalog keeps about a decoded photo, its measures included."""
    info = decoded.info
    taken_at = info.taken_at
    date_source = "exif"
    if taken_at is None:
        taken_at = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(photo.mtime_ns / 1e9))
        date_source = "file"
    return PhotoMetadata(
        size=photo.size,
        mtime_ns=photo.mtime_ns,
        content_hash=photo.content_hash,
        width=info.width,
        height=info.height,
        file_type=info.file_type,
        taken_at=taken_at,
        date_source=date_source,
        camera=info.camera,
        measures=measure(decoded.image, subsec=info.subsec),
        location=location,
    )


def _stat_or_zero(item: WorkItem) -> tuple[int, int]:
    try:
        stat = os.stat(item.path)
    except OSError:
        return 0, 0
    return stat.st_size, stat.st_mtime_ns


class Pipeline:
    """Parallel decode feeding batched embedding, with one writer for the results.

    Args:
        workers: decode threads; defaults to the number of CPU cores.
        batch_size: photos per model call.
        draft: decode JPEGs at reduced scale (never below the model's input size).
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        workers: int | None = None,
        batch_size: int = 32,
        draft: bool = True,
        known_content: KnownContent | None = None,
    ):
        self.embedder = embedder
        self.known_content = known_content
        self.workers = workers or os.cpu_count() or 2
        self.batch_size = batch_size
        # never below what measuring needs (`similar.measure`): for photos of any real size the
        # JPEG draft scale is the same, so this costs nothing
        self.min_side = max(embedder.image_size, MEASURE_SIDE) if draft else None

    def run(  # noqa: C901 - the scheduling loop; split up, its invariants about work in flight would scatter
        self,
        items: Iterable[WorkItem],
        sink: Callable[[Batch], None],
        *,
        cancel: threading.Event | None = None,
        on_progress: Callable[[PipelineStats], None] | None = None,
    ) -> PipelineStats:
        """Process every item; `sink` receives finished batches on the writer thread, in order.

        Cancelling (or an exception such as KeyboardInterrupt in the calling thread)
        stops decoding new photos, embeds and stores what is already decoded, and
        returns; nothing that reached the sink is lost.
        """
        stats = PipelineStats()
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        writer = _Writer(sink)
        window = self.batch_size * 2 + self.workers
        pending: set[cf.Future[_Prepared | _Unchanged | _Duplicate | Skip]] = set()
        batch = Batch()
        tensors: list[torch.Tensor] = []
        to_embed: list[_Prepared] = []
        source: Iterator[WorkItem] = iter(items)
        exhausted = False

        def flush() -> None:
            nonlocal batch, tensors, to_embed
            if to_embed:
                model_started = time.perf_counter()
                vectors = self.embedder.encode_images(torch.stack(tensors))
                stats.model_seconds += time.perf_counter() - model_started
                for prepared, vector in zip(to_embed, vectors, strict=True):
                    batch.embedded.append((prepared.item, prepared.meta, vector))
            if len(batch):
                stats.photos += len(batch)
                stats.embedded += len(batch.embedded)
                stats.unchanged += len(batch.unchanged)
                stats.skipped += len(batch.skipped)
                stats.batches += 1
                writer.put(batch)
                stats.seconds = time.perf_counter() - started
                if on_progress is not None:
                    on_progress(stats)
            batch, tensors, to_embed = Batch(), [], []

        with cf.ThreadPoolExecutor(
            self.workers, thread_name_prefix="photoclip-decode", initializer=lower_thread_priority
        ) as pool:
            try:
                while True:
                    while not exhausted and not cancel.is_set() and len(pending) < window:
                        item = next(source, None)
                        if item is None:
                            exhausted = True
                            break
                        pending.add(
                            pool.submit(prepare, item, self.embedder.preprocess, self.min_side, self.known_content)
                        )
                    if cancel.is_set():
                        for future in pending:
                            future.cancel()
                        pending = {f for f in pending if not f.cancelled()}
                    if not pending:
                        break
                    done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                    for future in done:
                        result = future.result()
                        if isinstance(result, Skip):
                            batch.skipped.append(result)
                        elif isinstance(result, _Unchanged):
                            batch.unchanged.append((result.item, result.size, result.mtime_ns))
                            if result.meta is not None:
                                batch.refreshed.append((result.item, result.meta))
                        elif isinstance(result, _Duplicate):
                            batch.embedded.append((result.item, result.meta, result.vector))
                            stats.duplicates += 1
                        else:
                            tensors.append(result.tensor)
                            to_embed.append(result)
                    if len(to_embed) >= self.batch_size or len(batch) >= self.batch_size * 4:
                        flush()
                    writer.raise_if_failed()
                flush()
            except BaseException:
                cancel.set()
                for future in pending:
                    future.cancel()
                try:
                    flush()  # what is decoded already is embedded and kept
                finally:
                    writer.close()
                raise
        writer.close()
        stats.seconds = time.perf_counter() - started
        stats.cancelled = cancel.is_set()
        return stats


class _Writer:
    """One thread that stores batches in order, so storage overlaps the next model batch."""

    def __init__(self, sink: Callable[[Batch], None]) -> None:
        self._sink = sink
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="photoclip-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            if self._error is not None:
                continue
            try:
                self._sink(batch)
            except BaseException as e:  # handed to the pipeline thread
                self._error = e

    def put(self, batch: Batch) -> None:
        self.raise_if_failed()
        self._queue.put(batch)

    def raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Wait until every queued batch is stored, then re-raise a storage failure."""
        self._queue.put(None)
        self._thread.join()
        self.raise_if_failed()
