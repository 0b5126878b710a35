"""Moving a file to the platform's trash, and putting it back where it was.

photoclip never deletes a photo: a person who removes one sends it to the trash their
file manager shows, from where the file manager (or photoclip's Undo) restores it.

- **Linux and other freedesktop systems**: the trash specification
  (https://specifications.freedesktop.org/trash-spec/): a file on the home trash's device
  goes to ``$XDG_DATA_HOME/Trash`` (``~/.local/share/Trash``), one on another device (a USB
  drive, a second disk) to that device's ``$topdir/.Trash/$uid`` (when the administrator
  made a sticky ``.Trash``) or ``$topdir/.Trash-$uid``, never copied across devices. The
  ``info/NAME.trashinfo`` file written first records the original path and the time, so
  file managers offer "Restore", and the exact place in the trash is known for Undo.
- **macOS and Windows**: the operating system's own trash / Recycle Bin through
  send2trash. They do not say where the file went, so it is restored from there by hand.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from photoclip.core.errors import LibraryError


@dataclass(frozen=True)
class TrashedFile:
    """A file in the trash and where it came from.

    Attributes:
        trashed: where it is inside the trash (None where the platform does not say).
        info: its freedesktop ``.trashinfo`` record (None elsewhere).
    """

    original: Path
    trashed: Path | None
    info: Path | None

    @property
    def restorable(self) -> bool:
        return self.trashed is not None


def uses_freedesktop_trash() -> bool:
    return sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def move_to_trash(path: Path) -> TrashedFile:
    """Move one file to the platform trash; raises LibraryError with the reason when it cannot."""
    path = Path(os.path.abspath(path))
    if not path.is_file() and not path.is_symlink():
        raise LibraryError(f"{path} is not there any more.")
    if not uses_freedesktop_trash():
        return _send2trash(path)
    trash = _trash_for(path)
    try:
        return _into(trash, path)
    except OSError as e:
        raise LibraryError(f"Cannot move {path.name} to the trash: {e.strerror or e}.") from e


def restore_from_trash(item: TrashedFile) -> Path:
    """Put a trashed file back where it was (recreating its folder); raises LibraryError when it cannot."""
    if item.trashed is None:
        where = "the Recycle Bin" if sys.platform == "win32" else "the Trash"
        raise LibraryError(f"Restore {item.original.name} from {where}: the system does not say where it went.")
    if not item.trashed.exists() and not item.trashed.is_symlink():
        raise LibraryError(f"{item.original.name} is no longer in the trash (emptied, or restored already).")
    if item.original.exists() or item.original.is_symlink():
        raise LibraryError(f"Cannot restore {item.original.name}: another file is at {item.original} now.")
    try:
        item.original.parent.mkdir(parents=True, exist_ok=True)
        os.rename(item.trashed, item.original)
    except OSError as e:
        raise LibraryError(f"Cannot restore {item.original.name}: {e.strerror or e}.") from e
    if item.info is not None:
        with contextlib.suppress(FileNotFoundError):
            item.info.unlink()
    return item.original


# -- freedesktop --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Trash:
    root: Path  # holds files/ and info/
    topdir: Path | None  # a device's top directory (paths in .trashinfo are relative to it); None: home trash


def home_trash() -> Path:
    data = os.environ.get("XDG_DATA_HOME") or ""
    base = Path(data) if data and os.path.isabs(data) else Path.home() / ".local" / "share"
    return base / "Trash"


def _device(path: Path) -> int:
    """The device of a path, or of its nearest existing folder."""
    for candidate in (path, *path.parents):
        with contextlib.suppress(OSError):
            return os.lstat(candidate).st_dev
    return -1


def _trash_for(path: Path) -> _Trash:
    home = home_trash()
    device = os.lstat(path).st_dev
    if _device(home) == device:
        return _Trash(home, None)
    topdir = _mount_point(path)
    uid = os.getuid()
    shared = topdir / ".Trash"
    with contextlib.suppress(OSError):
        info = os.lstat(shared)
        if stat.S_ISDIR(info.st_mode) and not stat.S_ISLNK(info.st_mode) and info.st_mode & stat.S_ISVTX:
            candidate = shared / str(uid)
            with contextlib.suppress(OSError):
                _make_trash_dirs(candidate)
                return _Trash(candidate, topdir)
    own = topdir / f".Trash-{uid}"
    try:
        _make_trash_dirs(own)
    except OSError as e:
        raise LibraryError(
            f"Cannot move {path.name} to the trash: the drive at {topdir} has no usable trash folder "
            f"({e.strerror or e}). Nothing was deleted."
        ) from e
    return _Trash(own, topdir)


def _mount_point(path: Path) -> Path:
    device = os.lstat(path).st_dev
    current = path.parent
    while current.parent != current and os.lstat(current.parent).st_dev == device:
        current = current.parent
    return current


def _make_trash_dirs(root: Path) -> None:
    root.mkdir(mode=0o700, parents=False, exist_ok=True)
    (root / "files").mkdir(mode=0o700, exist_ok=True)
    (root / "info").mkdir(mode=0o700, exist_ok=True)


def _into(trash: _Trash, path: Path) -> TrashedFile:
    if trash.topdir is None:
        _make_home_trash(trash.root)
    recorded = str(path) if trash.topdir is None else os.path.relpath(path, trash.topdir)
    when = dt.datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
    body = f"[Trash Info]\nPath={quote(recorded)}\nDeletionDate={when}\n".encode()
    info, name = _reserve_name(trash.root, path.name)
    try:
        with os.fdopen(os.open(info, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(body)
        target = trash.root / "files" / name
        os.rename(path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            info.unlink()
        raise
    return TrashedFile(path, target, info)


def _make_home_trash(root: Path) -> None:
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    (root / "files").mkdir(mode=0o700, exist_ok=True)
    (root / "info").mkdir(mode=0o700, exist_ok=True)


def _reserve_name(root: Path, name: str) -> tuple[Path, str]:
    """A name free in both files/ and info/ ("photo.jpg", then "photo.2.jpg", ...); its info file is created
    by the caller with O_EXCL, which is what makes the name ours."""
    stem, dot, suffix = name.rpartition(".")
    if not stem:
        stem, dot, suffix = name, "", ""
    for n in range(1, 100_000):
        candidate = name if n == 1 else f"{stem}.{n}{dot}{suffix}"
        info = root / "info" / f"{candidate}.trashinfo"
        if not info.exists() and not (root / "files" / candidate).exists():
            return info, candidate
    raise OSError("too many files of this name in the trash")


# -- other platforms ------------------------------------------------------------------------------


def _send2trash(path: Path) -> TrashedFile:
    try:
        from send2trash import send2trash
    except ImportError as e:  # a dependency on these platforms: only a broken installation lacks it
        raise LibraryError("Moving to the trash needs the send2trash package: pip install send2trash") from e
    try:
        send2trash(str(path))
    except OSError as e:
        raise LibraryError(f"Cannot move {path.name} to the trash: {e.strerror or e}.") from e
    return TrashedFile(path, None, None)
