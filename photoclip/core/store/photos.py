"""Reading photos for front ends: rows by id or path, skipped files, counts per folder, copies elsewhere.

Read-only (a copy reads the photos and writes only in the folder chosen) and cheap; every
edit goes through the part that owns it (folders, indexer, tags, albums, ratings).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from photoclip.core.errors import LibraryError
from photoclip.core.media.copying import CopyReport, copy_files
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.problems import ScanProblems, SkippedFile
from photoclip.core.store.records import Photo, PhotoId


class Photos:
    """The catalog's photo rows as front ends need them."""

    def __init__(self, catalog: Catalog, model_id: Callable[[], str]) -> None:
        self._catalog = catalog
        self._model_id = model_id  # the library's current model (it can change while open)

    def get(self, ids: Sequence[int]) -> dict[PhotoId, Photo]:
        """Rows for the given ids (ids no longer in the library are absent)."""
        return self._catalog.photos(ids)

    def shapes(self, ids: Sequence[int]) -> dict[PhotoId, tuple[str | None, int | None, int | None]]:
        """(taken_at, width, height) by id: the little a timeline needs to group and lay out photos."""
        return self._catalog.shapes(ids)

    def one(self, photo_id: int) -> Photo | None:
        return self._catalog.photos([photo_id]).get(PhotoId(photo_id))

    def copy_to(
        self,
        photo_ids: Sequence[int],
        destination: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> CopyReport:
        """Copy these photos into a folder (the originals are only read; see `media.copying`)."""
        photos = self._catalog.photos(photo_ids)
        paths = [photos[PhotoId(int(i))].path for i in photo_ids if PhotoId(int(i)) in photos]
        return copy_files(paths, destination, progress=progress, cancelled=cancelled)

    def by_path(self, path: Path) -> Photo | None:
        return self._catalog.photo_by_path(Path(path).expanduser().resolve())

    def find(self, ref: str) -> Photo:
        """A photo named by its id or its path, as people type it on the command line."""
        photo = self.one(int(ref)) if ref.isdigit() else self.by_path(Path(ref))
        if photo is None:
            raise LibraryError(f"{ref} is not a photo of this library.")
        return photo

    def skipped(self, limit: int = 1000) -> list[SkippedFile]:
        """Everything that could not be taken in, with the reason, by path: photos that could not be
        decoded, and folder entries that never became photos (unlistable folders, loops, pipes, ...)."""
        photos = [
            SkippedFile(p.path, p.error_reason or "unknown", p.error or p.error_reason or "unknown")
            for p in self._catalog.skipped_photos(limit)
        ]
        return sorted(photos + ScanProblems(self._catalog).all(limit), key=lambda s: str(s.path))[:limit]

    def skip_reasons(self) -> dict[str, int]:
        """How many were skipped for each reason (photos and folder entries together)."""
        reasons = dict(self._catalog.skip_reasons())
        for reason, count in ScanProblems(self._catalog).reasons().items():
            reasons[reason] = reasons.get(reason, 0) + count
        return reasons

    def embedded_ids(self) -> list[PhotoId]:
        """Every photo with a vector of the current model, in id order."""
        return [PhotoId(int(i)) for i in self._catalog.embedding_ids(self._model_id())]

    def embedded_count(self) -> int:
        return self._catalog.embedding_count(self._model_id())

    def browsable_count(self) -> int:
        """Photos shown when browsing: every photo catalogued and not skipped, indexed or not."""
        return self._catalog.browsable_count()

    def pending(self) -> int:
        """Photos waiting to be (re)read for the current model."""
        return self._catalog.count_pending(self._model_id())

    def directory_counts(self) -> dict[Path, int]:
        """Photos per directory (not counting subdirectories), for a folder tree."""
        return self._catalog.directory_counts()
