"""`Trash`: the library's part that moves photos a person chose to the platform trash, and brings them back.

Moving a photo to the trash takes its row out of the catalog the way a deleted file does:
its tags, album places and vectors are remembered by content hash (`store.memories`) for
30 days. Restoring puts the file back where it was and rescans its folder, so the photo
returns with everything it had, without being embedded again. A sidecar that belongs to
the photo alone (``photo.jpg.xmp``, or ``photo.xmp`` with no other photo of that name)
travels with it. Nothing is ever deleted: a file that cannot go to the trash stays where
it is, with the reason.
"""

from __future__ import annotations

import glob
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from photoclip.core.changes import NOTHING, ChangeBus, Changes
from photoclip.core.errors import LibraryError
from photoclip.core.ingest.indexer import Indexer
from photoclip.core.media.trash import TrashedFile, move_to_trash, restore_from_trash
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.memories import Memories
from photoclip.core.store.records import PhotoId
from photoclip.core.vectors.keeper import VectorKeeper

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrashedPhoto:
    """A photo sent to the trash, with its sidecar if it had one of its own."""

    photo_id: PhotoId
    file: TrashedFile
    sidecar: TrashedFile | None = None

    @property
    def restorable(self) -> bool:
        return self.file.restorable


@dataclass
class TrashReport:
    """What `Trash.move` did: the photos now in the trash (what Undo restores) and those left in place."""

    trashed: list[TrashedPhoto] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    changes: Changes = NOTHING


@dataclass
class RestoreReport:
    restored: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    changes: Changes = NOTHING


class Trash:
    """Sends photos to the platform trash and restores them (see the module docstring)."""

    def __init__(self, catalog: Catalog, vectors: VectorKeeper, indexer: Indexer, changes: ChangeBus) -> None:
        self._catalog = catalog
        self._vectors = vectors
        self._indexer = indexer
        self._changes = changes
        self._lock = threading.Lock()

    def move(self, photo_ids: Sequence[int]) -> TrashReport:
        """Move these photos' files to the trash and take them out of the library (tags and albums remembered)."""
        report = TrashReport()
        with self._lock:
            photos = self._catalog.photos(photo_ids)
            for pid in photo_ids:
                photo = photos.get(PhotoId(int(pid)))
                if photo is None:
                    continue  # gone already
                try:
                    trashed = move_to_trash(photo.path)
                except LibraryError as e:
                    report.failed.append((photo.path, str(e)))
                    continue
                report.trashed.append(TrashedPhoto(photo.id, trashed, self._sidecar_along(photo.path)))
            gone = [t.photo_id for t in report.trashed]
            if gone:
                Memories(self._catalog).forget(gone)
                self._vectors.remove(gone)
        if gone:
            report.changes = self._changes.publish(Changes(photos=True, albums=True, tags=True, folders=True))
        return report

    def restore(self, photos: Sequence[TrashedPhoto]) -> RestoreReport:
        """Put trashed photos back where they were, then rescan their folders so they return with their tags,
        albums and vectors (and read them again, without the model for what it saw before)."""
        report = RestoreReport()
        with self._lock:
            for item in photos:
                try:
                    report.restored.append(restore_from_trash(item.file))
                except LibraryError as e:
                    report.failed.append((item.file.original, str(e)))
                    continue
                if item.sidecar is not None:
                    try:
                        restore_from_trash(item.sidecar)
                    except LibraryError as e:
                        log.warning("sidecar of %s not restored: %s", item.file.original, e)
        if report.restored:
            folders = sorted({path.parent for path in report.restored})
            self._indexer.scan(subtrees=folders)
            indexed = self._indexer.index_pending()
            report.changes = self._changes.publish(
                Changes(photos=True, albums=True, tags=True, folders=True) | indexed.changes
            )
        return report

    @staticmethod
    def _sidecar_along(path: Path) -> TrashedFile | None:
        """The photo's own sidecar goes with it: photo.jpg.xmp, or photo.xmp when no other file shares the stem."""
        candidates = [path.with_name(path.name + ".xmp")]
        siblings = [
            p for p in path.parent.glob(glob.escape(path.stem) + ".*") if p != path and p.suffix.lower() != ".xmp"
        ]
        if not siblings:
            candidates.append(path.with_suffix(".xmp"))
        for sidecar in candidates:
            if sidecar.is_file():
                try:
                    return move_to_trash(sidecar)
                except LibraryError as e:
                    log.warning("sidecar %s left in place: %s", sidecar, e)
        return None
