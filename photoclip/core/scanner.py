"""Find what changed in a photo folder since the last look, cheaply.

A walk with `os.scandir` sees size and modification time of every file without
opening any; only paths whose size or mtime differ are read again later, and
then the content hash decides whether the model has to run. A second scan of an
unchanged tree therefore embeds nothing. Hidden and system folders (.git,
@eaDir, $RECYCLE.BIN, ...) and user ignore patterns are skipped, directory
symlinks are followed without ever looping, and a folder that cannot be listed
is reported rather than treated as empty: photos are only forgotten when their
folder is present and they are really gone.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from photoclip.core.catalog import Catalog, FileStat, Folder, PhotoId
from photoclip.core.imaging import SUPPORTED_SUFFIXES

log = logging.getLogger(__name__)

SYSTEM_FOLDERS = frozenset(
    {
        "@eaDir",  # Synology thumbnails
        "#recycle",
        "#snapshot",
        "$RECYCLE.BIN",
        "System Volume Information",
        "lost+found",
        "__MACOSX",
        "Thumbs",
        "node_modules",
    }
)
"""Folders that hold copies, thumbnails or trash rather than photos (hidden ones are skipped anyway)."""

_BATCH = 2000


@dataclass(frozen=True)
class IgnoreRules:
    """What a scan leaves out. Patterns use shell wildcards and match file or folder names."""

    skip_hidden: bool = True
    system_folders: frozenset[str] = SYSTEM_FOLDERS
    patterns: tuple[str, ...] = ()
    excluded: tuple[Path, ...] = ()  # e.g. the library's own folder, whose thumbnails are not photos

    def skips_folder(self, name: str, path: Path | None = None) -> bool:
        return (
            (self.skip_hidden and name.startswith("."))
            or name in self.system_folders
            or any(fnmatch.fnmatch(name, p) for p in self.patterns)
            or (path is not None and path in self.excluded)
        )

    def skips_file(self, name: str) -> bool:
        if self.skip_hidden and name.startswith("."):
            return True
        if os.path.splitext(name)[1].lower() not in SUPPORTED_SUFFIXES:
            return True
        return any(fnmatch.fnmatch(name, p) for p in self.patterns)


@dataclass(frozen=True)
class WalkProblem:
    path: Path
    message: str


@dataclass
class ScanReport:
    """What one scan of one folder found."""

    folder: Path
    added: list[PhotoId] = field(default_factory=list)
    changed: list[PhotoId] = field(default_factory=list)
    removed: list[PhotoId] = field(default_factory=list)
    unchanged: int = 0
    problems: list[WalkProblem] = field(default_factory=list)
    missing: bool = False
    seconds: float = 0.0


def walk(root: Path, rules: IgnoreRules = IgnoreRules()) -> Iterator[FileStat | WalkProblem]:
    """Every supported photo under `root` with its size and mtime, plus problems met on the way."""
    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
            identity = (st.st_dev, st.st_ino)
            if identity in visited:
                continue  # a symlink loop or a second link to a folder already walked
            visited.add(identity)
            entries = list(os.scandir(folder))
        except OSError as e:
            yield WalkProblem(folder, f"Cannot list this folder: {e.strerror or e}")
            continue
        subfolders = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=True):
                    if not rules.skips_folder(entry.name, Path(entry.path)):
                        subfolders.append(Path(entry.path))
                    continue
                if rules.skips_file(entry.name) or not entry.is_file(follow_symlinks=True):
                    continue
                stat = entry.stat(follow_symlinks=True)
            except OSError as e:  # vanished meanwhile, a dangling symlink, no permission
                if not isinstance(e, FileNotFoundError):
                    yield WalkProblem(Path(entry.path), f"Cannot read file information: {e.strerror or e}")
                continue
            yield FileStat(Path(entry.path), stat.st_size, stat.st_mtime_ns)
        stack.extend(sorted(subfolders, reverse=True))


def scan_folder(catalog: Catalog, folder: Folder, rules: IgnoreRules = IgnoreRules()) -> ScanReport:
    """Bring the catalog in line with one folder on disk; returns what changed."""
    started = time.perf_counter()
    report = ScanReport(folder.path)
    if not folder.path.is_dir():
        report.missing = True
        report.problems.append(WalkProblem(folder.path, "The folder is missing (unplugged drive or moved?)."))
        report.seconds = time.perf_counter() - started
        return report
    known = catalog.known_files(folder.id)
    seen: set[Path] = set()
    new: list[FileStat] = []
    changed = []
    unreadable_folders: list[Path] = []
    for found in walk(folder.path, rules):
        if isinstance(found, WalkProblem):
            report.problems.append(found)
            log.warning("%s: %s", found.path, found.message)
            unreadable_folders.append(found.path)
            continue
        seen.add(found.path)
        entry = known.get(found.path)
        if entry is None:
            new.append(found)
        elif (entry.size, entry.mtime_ns) != (found.size, found.mtime_ns):
            changed.append((entry.id, found))
        else:
            report.unchanged += 1
    for start in range(0, len(new), _BATCH):
        report.added += _add(catalog, folder, new[start : start + _BATCH], report)
    if changed:
        catalog.mark_changed(changed)
        report.changed = [pid for pid, _ in changed]
    report.removed = [
        entry.id for path, entry in known.items() if path not in seen and not _under_any(path, unreadable_folders)
    ]
    if report.removed:
        catalog.delete_photos(report.removed)
    catalog.mark_scanned(folder.id)
    report.seconds = time.perf_counter() - started
    return report


def _add(catalog: Catalog, folder: Folder, files: Sequence[FileStat], report: ScanReport) -> list[PhotoId]:
    storable = []
    for f in files:
        try:
            str(f.path).encode("utf-8")
        except UnicodeEncodeError:
            report.problems.append(WalkProblem(f.path, "The file name is not valid Unicode; rename it to index it."))
            continue
        storable.append(f)
    return catalog.add_photos(folder.id, storable)


def _under_any(path: Path, folders: list[Path]) -> bool:
    return any(path.is_relative_to(f) for f in folders)
