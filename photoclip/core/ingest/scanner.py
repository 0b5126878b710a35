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

from photoclip.core.errors import LibraryError
from photoclip.core.media.decode import SUPPORTED_SUFFIXES, hash_file
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import FileStat, Folder, FolderId, KnownFile, Move, PhotoId

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

FUTURE_SLACK_NS = 60 * 10**9
"""How far ahead of the clock a file's modification time may be and still mean "being written now"
(a file server's clock can run a little ahead). Further ahead is a camera set to the wrong date
or a copy that kept such a date: that file is finished, and waiting for it to settle would wait forever."""


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


@dataclass(frozen=True)
class WalkProblem:
    path: Path
    message: str


@dataclass
class ScanReport:
    """What one scan of one folder (or of some of its subfolders) found."""

    folder: Path
    added: list[PhotoId] = field(default_factory=list)
    changed: list[PhotoId] = field(default_factory=list)
    removed: list[PhotoId] = field(default_factory=list)
    moved: list[PhotoId] = field(default_factory=list)
    unchanged: int = 0
    deferred: list[Path] = field(default_factory=list)  # still being written; look again later
    problems: list[WalkProblem] = field(default_factory=list)
    missing: bool = False
    seconds: float = 0.0


def walk(root: Path, rules: IgnoreRules | None = None) -> Iterator[FileStat | WalkProblem]:
    """Every supported photo under `root` with its size and mtime, plus problems met on the way.

    A folder that vanishes during the walk is simply empty; one that cannot be listed
    is a problem, so its photos are not mistaken for deleted ones.
    """
    files, problems = _walk_raw(root, rules or IgnoreRules())
    yield from problems
    for path, size, mtime_ns in files:
        yield FileStat(Path(path), size, mtime_ns)


def _walk_raw(root: Path, rules: IgnoreRules) -> tuple[list[tuple[str, int, int]], list[WalkProblem]]:  # noqa: C901 - the rescan's hot loop, kept free of calls on purpose (see docstring)
    """`walk` as plain (path, size, mtime_ns) tuples: the rescan's hot loop, kept free of objects and calls.

    A rescan of an unchanged tree costs this walk plus one catalog query, so every
    microsecond per file here shows (target: at most twice a bare scandir + stat).
    """
    visited: set[tuple[int, int]] = set()
    files: list[tuple[str, int, int]] = []
    problems: list[WalkProblem] = []
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
                continue  # a symlink loop or a second link to a folder already walked
            visited.add(identity)
            with os.scandir(folder) as listing:
                entries = list(listing)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as e:
            problems.append(WalkProblem(Path(folder), f"Cannot list this folder: {e.strerror or e}"))
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
                    or not entry.is_file()
                ):
                    continue
                stat = entry.stat()
            except OSError as e:  # vanished meanwhile, a dangling symlink, no permission
                if not isinstance(e, FileNotFoundError):
                    problems.append(WalkProblem(Path(entry.path), f"Cannot read file information: {e.strerror or e}"))
                continue
            files.append((entry.path, stat.st_size, stat.st_mtime_ns))
        stack.extend(sorted(subfolders, reverse=True))
    return files, problems


@dataclass
class _FolderDiff:
    folder: Folder
    report: ScanReport
    new: list[FileStat] = field(default_factory=list)
    changed: list[tuple[PhotoId, FileStat]] = field(default_factory=list)
    gone: list[tuple[str, KnownFile]] = field(default_factory=list)


def scan_folders(
    catalog: Catalog,
    folders: Sequence[Folder],
    rules: IgnoreRules | None = None,
    *,
    subtrees: Sequence[Path] | None = None,
    settle_ns: int = 0,
) -> list[ScanReport]:
    """Bring the catalog in line with the disk, for whole folders or only some of their subfolders.

    Moves are recognised across all scanned folders at once: a photo that vanished
    from one place and appeared in another keeps its row (vectors, tags, albums).

    Args:
        subtrees: only look below these paths (each inside one of `folders`); a
            watcher passes the folders where events happened.
        settle_ns: files modified more recently than this are left for later
            (reported as deferred): they may still be being copied.
    """
    rules = rules or IgnoreRules()
    diffs = []
    for folder in folders:
        if subtrees is None:
            roots = [folder.path]
        else:
            roots = [t for t in subtrees if t.is_relative_to(folder.path) and not rules.skips_subfolder(t, folder.path)]
        if roots:
            diffs.append(_diff_folder(catalog, folder, roots, rules, settle_ns))
    moves = _match_moves(diffs)
    for diff in diffs:
        started = time.perf_counter()
        report = diff.report
        moved_here = [m for m in moves if m.folder_id == diff.folder.id]
        if moved_here:
            catalog.move_photos(moved_here)
            report.moved = [m.id for m in moved_here]
        moved_files = {m.file.path for m in moved_here}
        fresh = [f for f in diff.new if f.path not in moved_files]
        for start in range(0, len(fresh), _BATCH):
            report.added += _add(catalog, diff.folder, fresh[start : start + _BATCH], report)
        if diff.changed:
            catalog.mark_changed(diff.changed)
            report.changed = [pid for pid, _ in diff.changed]
        moved_ids = {m.id for m in moves}
        report.removed = [entry.id for _, entry in diff.gone if entry.id not in moved_ids]
        if report.removed:
            catalog.delete_photos(report.removed)
        if subtrees is None:
            catalog.mark_scanned(diff.folder.id)
        report.seconds += time.perf_counter() - started
    return [d.report for d in diffs]


def scan_folder(catalog: Catalog, folder: Folder, rules: IgnoreRules | None = None) -> ScanReport:
    """One whole folder (see `scan_folders`)."""
    return scan_folders(catalog, [folder], rules)[0]


def _diff_folder(  # noqa: C901 - one pass over the walk, classifying each file as it comes
    catalog: Catalog, folder: Folder, roots: list[Path], rules: IgnoreRules, settle_ns: int
) -> _FolderDiff:
    started = time.perf_counter()
    diff = _FolderDiff(folder, ScanReport(folder.path))
    report = diff.report
    if not folder.path.is_dir():
        report.missing = True
        report.problems.append(WalkProblem(folder.path, "The folder is missing (unplugged drive or moved?)."))
        if folder.online:
            catalog.set_folder_online(folder.id, False)
        report.seconds = time.perf_counter() - started
        return diff
    if not folder.online:
        catalog.set_folder_online(folder.id, True)
    outermost = _outermost(roots)
    known: dict[str, tuple[int, int, int]] = {}
    for root in outermost:
        known.update(catalog.file_rows(folder.id, None if root == folder.path else root))
    unreadable: list[Path] = []
    now_ns = time.time_ns()
    fresh_after, future = now_ns - settle_ns, now_ns + FUTURE_SLACK_NS
    for root in outermost:
        files, problems = _walk_raw(root, rules)
        for problem in problems:
            report.problems.append(problem)
            log.warning("%s: %s", problem.path, problem.message)
            unreadable.append(problem.path)
        for path, size, mtime_ns in files:
            row = known.pop(path, None)  # what is left in `known` at the end is gone
            if settle_ns and fresh_after < mtime_ns <= future:
                report.deferred.append(Path(path))  # still being written: neither new nor gone yet
            elif row is None:
                diff.new.append(FileStat(Path(path), size, mtime_ns))
            elif row[1] != size or row[2] != mtime_ns:
                diff.changed.append((PhotoId(row[0]), FileStat(Path(path), size, mtime_ns)))
            else:
                report.unchanged += 1
    gone = {row[0]: path for path, row in known.items() if not any(Path(path).is_relative_to(u) for u in unreadable)}
    full = catalog.known_by_id(list(gone))
    diff.gone = [(path, full[PhotoId(pid)]) for pid, path in gone.items() if PhotoId(pid) in full]
    report.seconds = time.perf_counter() - started
    return diff


def _outermost(roots: list[Path]) -> list[Path]:
    """Drop roots inside other roots, so nothing is walked twice."""
    ordered = sorted(set(roots), key=lambda p: len(p.parts))
    kept: list[Path] = []
    for root in ordered:
        if not any(root.is_relative_to(k) for k in kept):
            kept.append(root)
    return kept


def _match_moves(diffs: list[_FolderDiff]) -> list[Move]:  # noqa: C901 - the two move-matching passes (cheap identity, then content hash) share their state
    """Pair vanished photos with new files that are the same photo.

    Cheap first: the same name, size and modification time (what a folder move or
    rename preserves) needs no reading. Otherwise a new file of the same size as a
    vanished one is hashed, and equal content makes it a move.
    """
    gone = [entry for d in diffs for _, entry in d.gone]
    if not gone:
        return []
    by_identity: dict[tuple[str, int, int], KnownFile] = {}
    for d in diffs:
        for path, entry in d.gone:
            by_identity.setdefault((os.path.basename(path), entry.size, entry.mtime_ns), entry)
    moves: list[Move] = []
    matched: set[PhotoId] = set()
    unmatched: list[tuple[FolderId, FileStat]] = []
    for d in diffs:
        for f in d.new:
            same = by_identity.get((f.path.name, f.size, f.mtime_ns))
            if same is not None and same.id not in matched:
                matched.add(same.id)
                moves.append(Move(same.id, d.folder.id, f))
            else:
                unmatched.append((d.folder.id, f))
    by_size: dict[int, list[KnownFile]] = {}
    for entry in gone:
        if entry.id not in matched and entry.content_hash:
            by_size.setdefault(entry.size, []).append(entry)
    for folder_id, f in unmatched:
        candidates = [e for e in by_size.get(f.size, []) if e.id not in matched]
        if not candidates:
            continue
        try:
            digest = hash_file(f.path)
        except OSError:
            continue
        for entry in candidates:
            if entry.content_hash == digest:
                matched.add(entry.id)
                moves.append(Move(entry.id, folder_id, f))
                break
    return moves


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
