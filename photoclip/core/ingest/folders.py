"""The photo folders of a library: adding, removing, which are offline, and what scans leave out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from photoclip.core.changes import ChangeBus, Changes, Outcome
from photoclip.core.errors import LibraryError
from photoclip.core.ingest.walk import IgnoreRules, clean_ignore_patterns
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import Folder, FolderId
from photoclip.core.store.settings import SettingsFile
from photoclip.core.vectors.keeper import VectorKeeper


@dataclass(frozen=True)
class FolderStatus:
    path: Path
    photos: int
    offline: bool  # see `Folder.is_offline`: its photos are kept and shown as offline until it returns
    last_scan: float | None


class Folders:
    """Which folders the library follows; photos themselves are never touched."""

    def __init__(
        self,
        catalog: Catalog,
        settings: SettingsFile,
        vectors: VectorKeeper,
        changes: ChangeBus,
        *,
        library_dir: Path,
    ) -> None:
        self._catalog = catalog
        self._settings = settings
        self._vectors = vectors
        self._changes = changes
        self._library_dir = library_dir

    def all(self) -> list[Folder]:
        return self._catalog.folders()

    def add(self, path: Path) -> Outcome[Folder]:
        """Follow a folder; a folder inside an existing one is already covered, a parent absorbs its children."""
        folder = Path(path).expanduser()
        if not folder.exists():
            raise LibraryError(f"Folder not found: {folder}")
        if not folder.is_dir():
            raise LibraryError(f"Not a folder: {folder}")
        folder = folder.resolve()
        if folder.is_relative_to(self._library_dir):
            raise LibraryError("The library's own folder cannot be added as a photo folder.")
        existing = self._catalog.folders()
        for known in existing:
            if folder == known.path:
                return Outcome(known, Changes())
            if folder.is_relative_to(known.path):
                raise LibraryError(f"{folder} is already in the library (inside {known.path}).")
        added = self._catalog.add_folder(folder)
        children = [known for known in existing if known.path.is_relative_to(folder)]
        if children:
            self._catalog.absorb_folders(added.id, [c.id for c in children])
        return Outcome(added, self._changes.publish(Changes(folders=True, photos=bool(children))))

    def remove(self, path: Path) -> Outcome[int]:
        """Forget a folder and everything learnt about its photos (the photos themselves are untouched)."""
        folder = self._catalog.folder_by_path(Path(path).expanduser().resolve())
        if folder is None:
            raise LibraryError(f"{path} is not a folder of this library.")
        ids = self._catalog.remove_folder(folder.id)
        self._vectors.remove(ids)
        changes = Changes(folders=True, photos=bool(ids), tags=bool(ids), albums=bool(ids))
        return Outcome(len(ids), self._changes.publish(changes))

    def statuses(self) -> list[FolderStatus]:
        """Each folder with its photo count and whether it is connected (cheap: for the app's sidebar)."""
        counts = self._catalog.photo_counts_by_folder()
        return [FolderStatus(f.path, counts.get(f.id, 0), f.is_offline(), f.last_scan) for f in self._catalog.folders()]

    def offline_ids(self) -> set[FolderId]:
        return {f.id for f in self._catalog.folders() if f.is_offline()}

    # -- what scans leave out -----------------------------------------------------------------

    def ignore_rules(self) -> IgnoreRules:
        return IgnoreRules(patterns=self._settings.current.ignore_patterns, excluded=(self._library_dir,))

    def ignore_patterns(self) -> list[str]:
        return list(self._settings.current.ignore_patterns)

    def set_ignore_patterns(self, patterns: Sequence[str]) -> Outcome[list[str]]:
        """Replace the user's ignore patterns (saved with the library) and return them cleaned up.

        They apply from the next scan on: a full scan forgets catalogued photos that now
        match (their files are untouched), and photos no longer ignored come back as new.
        """
        cleaned = clean_ignore_patterns(patterns)
        before = self._settings.current.ignore_patterns
        self._settings.update(ignore_patterns=cleaned)
        return Outcome(cleaned, self._changes.publish(Changes(settings=tuple(cleaned) != before)))

    def ignored_photos(self) -> list[Path]:
        """Catalogued photos that the current ignore rules leave out: the next full scan forgets them."""
        rules = self.ignore_rules()
        found = []
        for folder in self._catalog.folders():
            for path in self._catalog.file_rows(folder.id):
                if rules.skips_path(Path(path), folder.path):
                    found.append(Path(path))
        return sorted(found)
