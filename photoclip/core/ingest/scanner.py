"""Find what changed in a photo folder since the last look, cheaply, and never lose what a drive takes away.

The walk (`walk`) sees size and modification time of every file without opening
any; only paths whose size or mtime differ are read again later, and then the
content hash decides whether the model has to run. A second scan of an
unchanged tree therefore embeds nothing.

Photos are only forgotten when their folder is present and they are really gone:
a folder that is missing, or that stands empty where it held photos (the mount
point of a drive that is not mounted: checked by its device id too), is offline,
not emptied; so are the photos of a subfolder that stands empty the same way, and
of a folder that cannot be listed. Photos that are forgotten keep their tags,
albums and vectors for a grace period (`store.memories`): one that comes back
with the same bytes gets them back, like a photo moved within the library.
"""

from __future__ import annotations

import logging
import os
import stat as stat_module
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from photoclip.core.ingest.walk import IgnoreRules, walk_raw
from photoclip.core.media.decode import hash_file
from photoclip.core.media.kinds import VIDEO, kind_of
from photoclip.core.media.video import video_hash
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.memories import Memories, Memory
from photoclip.core.store.problems import ScanProblems, SkippedFile
from photoclip.core.store.records import FileStat, Folder, FolderId, KnownFile, Move, PhotoId

log = logging.getLogger(__name__)

_BATCH = 2000
_BAD_NAME = "The name is not valid Unicode; rename it to index what is in it."

FUTURE_SLACK_NS = 60 * 10**9
"""How far ahead of the clock a file's modification time may be and still mean "being written now"
(a file server's clock can run a little ahead). Further ahead is a camera set to the wrong date
or a copy that kept such a date: that file is finished, and waiting for it to settle would wait forever."""


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
    problems: list[SkippedFile] = field(default_factory=list)
    missing: bool = False  # offline: missing, or an empty mount point where its photos were
    offline_reason: str = ""
    seconds: float = 0.0


@dataclass
class _FolderDiff:
    folder: Folder
    report: ScanReport
    roots: list[Path]
    device: int | None = None  # st_dev of the folder as walked
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
    from one place and appeared in another keeps its row (vectors, tags, albums), and
    a new file with the bytes of a photo removed earlier gets back what was learnt
    about it.

    Args:
        subtrees: only look below these paths (each inside one of `folders`); a
            watcher passes the folders where events happened.
        settle_ns: files modified more recently than this are left for later
            (reported as deferred): they may still be being copied.
    """
    rules = rules or IgnoreRules()
    memories = Memories(catalog)
    problems = ScanProblems(catalog)
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
        _apply(catalog, diff, moves, memories, problems, full=subtrees is None)
    if subtrees is None:
        memories.purge()
    return [d.report for d in diffs]


def _apply(
    catalog: Catalog, diff: _FolderDiff, moves: list[Move], memories: Memories, problems: ScanProblems, *, full: bool
) -> None:
    """Write one folder's differences: moves, new files, changed files, files gone, problems."""
    started = time.perf_counter()
    report = diff.report
    moved_here = [m for m in moves if m.folder_id == diff.folder.id]
    if moved_here:
        catalog.move_photos(moved_here)
        report.moved = [m.id for m in moved_here]
    moved_files = {m.file.path for m in moved_here}
    fresh = [f for f in diff.new if f.path not in moved_files]
    for start in range(0, len(fresh), _BATCH):
        report.added += _add(catalog, diff.folder, fresh[start : start + _BATCH], report, memories)
    if diff.changed:
        catalog.mark_changed(diff.changed)
        report.changed = [pid for pid, _ in diff.changed]
    moved_ids = {m.id for m in moves}
    report.removed = [entry.id for _, entry in diff.gone if entry.id not in moved_ids]
    if report.removed:
        memories.forget(report.removed)
    if report.missing:  # offline: the whole folder is the problem until it is back
        problems.replace(diff.folder.id, [diff.folder.path], report.problems)
    else:
        problems.replace(diff.folder.id, _outermost(diff.roots), report.problems)
        if full:
            catalog.mark_scanned(diff.folder.id, diff.device)
    report.seconds += time.perf_counter() - started


def scan_folder(catalog: Catalog, folder: Folder, rules: IgnoreRules | None = None) -> ScanReport:
    """One whole folder (see `scan_folders`)."""
    return scan_folders(catalog, [folder], rules)[0]


def offline_reason(folder: Folder, *, has_photos: bool) -> str | None:
    """Why a folder cannot be scanned now (it is offline), or None when it can.

    Missing, not a folder, or (when it holds photos) standing empty: an unmounted
    drive leaves its mount point behind as an empty folder, on another device than
    the one the photos were seen on. An empty folder is never taken to mean that
    every photo in it was deleted; the person removes the folder from the library
    if that is what happened.
    """
    try:
        st = os.stat(folder.path)
    except FileNotFoundError:
        return "The folder is missing (unplugged drive or moved?)."
    except OSError as e:
        return f"The folder cannot be reached ({e.strerror or e})."
    if not stat_module.S_ISDIR(st.st_mode):
        return "The folder is missing (something else has its name now)."
    if has_photos and _is_empty(folder.path):
        if folder.device is not None and st.st_dev != folder.device:
            return "The folder is an empty mount point: its drive is not mounted."
        return "The folder stands empty where it held photos (an unmounted drive?); its photos are kept."
    return None


def _is_empty(directory: Path | str) -> bool:
    try:
        with os.scandir(directory) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def _diff_folder(  # noqa: C901 - one pass over the walk, classifying each file as it comes
    catalog: Catalog, folder: Folder, roots: list[Path], rules: IgnoreRules, settle_ns: int
) -> _FolderDiff:
    started = time.perf_counter()
    diff = _FolderDiff(folder, ScanReport(folder.path), roots)
    report = diff.report
    outermost = []
    for root in _outermost(roots):
        try:
            str(root).encode("utf-8")
        except UnicodeEncodeError:  # a watcher's event in a folder whose name is not valid Unicode
            report.problems.append(SkippedFile(root, "bad_name", _BAD_NAME))
            continue
        outermost.append(root)
    known: dict[str, tuple[int, int, int]] = {}
    for root in outermost:
        known.update(catalog.file_rows(folder.id, None if root == folder.path else root))
    has_photos = bool(known) or catalog.folder_has_photos(folder.id)
    reason = offline_reason(folder, has_photos=has_photos)
    if reason is not None:
        report.missing, report.offline_reason = True, reason
        report.problems.append(SkippedFile(folder.path, "offline", reason))
        if folder.online:
            catalog.set_folder_online(folder.id, False)
        report.seconds = time.perf_counter() - started
        return diff
    if not folder.online:
        catalog.set_folder_online(folder.id, True)
    diff.device = os.stat(folder.path).st_dev
    unreadable: list[Path] = []
    now_ns = time.time_ns()
    fresh_after, future = now_ns - settle_ns, now_ns + FUTURE_SLACK_NS
    for root in outermost:
        files, problems = walk_raw(root, rules)
        for problem in problems:
            report.problems.append(problem)
            log.warning("%s: %s", problem.path, problem.message)
            if problem.reason in ("unlistable", "unreadable"):
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
    reachable: dict[str, bool] = {}
    gone = {
        row[0]: path
        for path, row in known.items()
        if not any(Path(path).is_relative_to(u) for u in unreadable)
        and _really_gone(path, folder.path, report, reachable)
    }
    full = catalog.known_by_id(list(gone))
    diff.gone = [(path, full[PhotoId(pid)]) for pid, path in gone.items() if PhotoId(pid) in full]
    report.seconds = time.perf_counter() - started
    return diff


def _really_gone(path: str, root: Path, report: ScanReport, reachable: dict[str, bool]) -> bool:
    """A file missing from the walk is gone unless the nearest folder still there stands empty.

    /photos/nas/2023/a.jpg missing while /photos/nas exists and is empty: nas is a
    mount point whose drive is not mounted (or a folder emptied by hand, which the
    person can confirm by removing it); its photos are kept, reported as unreachable.
    """
    parent = os.path.dirname(path)
    known = reachable.get(parent)
    if known is not None:
        return known
    directory = parent
    while len(directory) > len(str(root)) and not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    reachable[parent] = directory == str(root) or not _is_empty(directory)
    if reachable[parent]:
        return True
    if not any(p.path == Path(directory) for p in report.problems):
        report.problems.append(
            SkippedFile(
                Path(directory),
                "empty_mount",
                "This folder stands empty where it held photos (an unmounted drive?); its photos are kept.",
            )
        )
    return False


def content_identity(path: Path) -> str:
    """The content hash the catalog keeps for a file: all of a photo's bytes, samples of a video's."""
    return video_hash(path) if kind_of(path) == VIDEO else hash_file(path)


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
            digest = content_identity(f.path)
        except OSError:
            continue
        for entry in candidates:
            if entry.content_hash == digest:
                matched.add(entry.id)
                moves.append(Move(entry.id, folder_id, f))
                break
    return moves


def _add(
    catalog: Catalog, folder: Folder, files: Sequence[FileStat], report: ScanReport, memories: Memories
) -> list[PhotoId]:
    """New files become rows; one with the bytes of a photo removed earlier gets its memories back."""
    storable = []
    for f in files:
        try:
            str(f.path).encode("utf-8")
        except UnicodeEncodeError:
            report.problems.append(SkippedFile(f.path, "bad_name", _BAD_NAME))
            continue
        storable.append(f)
    ids = catalog.add_photos(folder.id, storable)
    remembered = memories.by_size([f.size for f in storable])
    for photo_id, f in zip(ids, storable, strict=True):
        memory = _remembered(f, remembered.get(f.size, []))
        if memory is not None:
            memories.restore(photo_id, memory)
    return ids


def _remembered(file: FileStat, candidates: list[Memory]) -> Memory | None:
    """The memory of a removed photo with exactly this file's bytes, if any (hashing only on a size match)."""
    if not candidates:
        return None
    try:
        digest = content_identity(file.path)
    except OSError:
        return None
    same = [m for m in candidates if m.content_hash == digest]
    return next((m for m in same if m.path == str(file.path)), same[0] if same else None)
