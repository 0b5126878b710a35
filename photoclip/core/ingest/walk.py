"""Walking a photo folder: every supported photo and video with its size and modification time, cheaply.

A walk with `os.scandir` sees size and modification time of every file without
opening any. Hidden and system folders (.git, @eaDir, $RECYCLE.BIN, ...) and the
user's ignore patterns are skipped, directory links are followed without ever
looping, and everything that cannot be catalogued (a folder that cannot be
listed, a link back to a folder already walked, a pipe or device named like a
photo, a dangling link) is reported with its reason rather than passed over.
"""

from __future__ import annotations

import errno
import fnmatch
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from photoclip.core.errors import LibraryError
from photoclip.core.media.decode import SUPPORTED_SUFFIXES as PHOTO_SUFFIXES
from photoclip.core.media.kinds import VIDEO_SUFFIXES
from photoclip.core.store.problems import SkippedFile
from photoclip.core.store.records import FileStat

SUPPORTED_SUFFIXES = PHOTO_SUFFIXES | VIDEO_SUFFIXES
"""What a walk catalogues: photos and videos."""

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

    def skips_subfolder(self, path: Path, base: Path) -> bool:
        """Whether a folder below `base` is left out, by any folder on the way down to it."""
        if any(path.is_relative_to(e) for e in self.excluded):
            return True
        return any(self.skips_folder(part) for part in path.relative_to(base).parts)

    def skips_file(self, name: str) -> bool:
        if self.skip_hidden and name[0] == ".":
            return True
        dot = name.rfind(".")
        if dot <= 0 or name[dot:].lower() not in SUPPORTED_SUFFIXES:
            return True
        return bool(self.patterns) and any(fnmatch.fnmatch(name, p) for p in self.patterns)

    def skips_path(self, path: Path, base: Path) -> bool:
        """Whether a scan of the folder `base` leaves out the file at `path` (by its name or a folder above it)."""
        return self.skips_subfolder(path.parent, base) or self.skips_file(path.name)


def check_ignore_pattern(pattern: str) -> str:
    """A user's ignore pattern, cleaned up, or a LibraryError saying why it can never match.

    Patterns are shell wildcards matched against single file and folder names
    (`raw`, `*.png`, `IMG_*_edit.jpg`), in every library folder; a folder that
    matches is skipped with everything inside it.
    """
    cleaned = pattern.strip()
    if not cleaned:
        raise LibraryError("An ignore pattern cannot be empty.")
    if "/" in cleaned or os.sep in cleaned:
        raise LibraryError(
            f"Ignore patterns match one file or folder name, not a path: use a name like 'raw' or '*.png' "
            f"instead of {pattern!r}."
        )
    return cleaned


def clean_ignore_patterns(patterns: Sequence[str]) -> list[str]:
    """A user's whole list of ignore patterns, each cleaned up, without repeats (see `check_ignore_pattern`)."""
    return list(dict.fromkeys(check_ignore_pattern(p) for p in patterns))


def walk(root: Path, rules: IgnoreRules | None = None) -> Iterator[FileStat | SkippedFile]:
    """Every supported photo under `root` with its size and mtime, plus problems met on the way.

    A folder that vanishes during the walk is simply empty; one that cannot be listed
    is a problem, so its photos are not mistaken for deleted ones.
    """
    files, problems = walk_raw(root, rules or IgnoreRules())
    yield from problems
    for path, size, mtime_ns in files:
        yield FileStat(Path(path), size, mtime_ns)


def walk_raw(root: Path, rules: IgnoreRules) -> tuple[list[tuple[str, int, int]], list[SkippedFile]]:  # noqa: C901 - the rescan's hot loop, kept free of calls on purpose (see docstring)
    """`walk` as plain (path, size, mtime_ns) tuples: the rescan's hot loop, kept free of objects and calls.

    A rescan of an unchanged tree costs this walk plus one catalog query, so every
    microsecond per file here shows (target: at most twice a bare scandir + stat).
    """
    visited: set[tuple[int, int]] = set()
    files: list[tuple[str, int, int]] = []
    problems: list[SkippedFile] = []
    stack = [str(root)]
    hidden = rules.skip_hidden
    patterns = rules.patterns
    suffixes = SUPPORTED_SUFFIXES
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
            identity = (st.st_dev, st.st_ino)
            if identity in visited:
                problems.append(SkippedFile(Path(folder), "link_loop", _LOOP))
                continue
            visited.add(identity)
            with os.scandir(folder) as listing:
                entries = list(listing)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as e:
            problems.append(SkippedFile(Path(folder), "unlistable", f"Cannot list this folder: {e.strerror or e}"))
            continue
        subfolders = []
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir():
                    if not rules.skips_folder(name, Path(entry.path)):
                        subfolders.append(entry.path)
                    continue
                dot = name.rfind(".")
                if (
                    dot <= 0
                    or (hidden and name[0] == ".")
                    or name[dot:].lower() not in suffixes
                    or (patterns and any(fnmatch.fnmatch(name, p) for p in patterns))
                ):
                    continue
                if not entry.is_file():
                    problems.append(_not_a_file(entry))
                    continue
                stat = entry.stat()
            except OSError as e:  # vanished meanwhile, no permission, links in a circle
                problem = _stat_failure(entry, e, rules)
                if problem is not None:
                    problems.append(problem)
                continue
            files.append((entry.path, stat.st_size, stat.st_mtime_ns))
        stack.extend(sorted(subfolders, reverse=True))
    return files, problems


_LOOP = "A link back to a folder that is already scanned (a loop, or a second link to it); its photos are read once."


def _not_a_file(entry: os.DirEntry[str]) -> SkippedFile:
    """Named like a photo, but a dangling link, a pipe, a socket or a device (or a link to one)."""
    path = Path(entry.path)
    if entry.is_symlink() and not os.path.exists(entry.path):
        return SkippedFile(path, "dangling_link", "A link to a file that does not exist (moved or deleted?).")
    return SkippedFile(path, "not_a_file", "Not a regular file (a pipe, socket or device) though named like a photo.")


def _stat_failure(entry: os.DirEntry[str], error: OSError, rules: IgnoreRules) -> SkippedFile | None:
    """What to report for an entry whose file information cannot be read (None: nothing, it vanished)."""
    if isinstance(error, FileNotFoundError):
        return None
    if error.errno == errno.ELOOP:  # a link to a link ... back to itself: it leads nowhere, like a dangling one
        if rules.skips_file(entry.name):
            return None  # not named like a photo: no more a problem than any other broken link
        return SkippedFile(
            Path(entry.path), "link_loop", "A link that leads back to itself (at once or through others): no file."
        )
    return SkippedFile(Path(entry.path), "unreadable", f"Cannot read file information: {error.strerror or error}")
