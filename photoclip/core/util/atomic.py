"""Replace files so that a crash leaves either the old or the new version, never a torn one.

A replacement keeps the permissions of the file it replaces (a new file gets the
ones the user's umask gives), and a full disk is reported as `DiskFull` with the
old file untouched. The temporary sibling is named `.NAME.<random>.tmp`; one
left behind by a killed process is removed by the next write of the same file
(`remove_stale_temps`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from photoclip.core.errors import DiskFull

STALE_SECONDS = 60.0
"""A temporary sibling older than this belongs to a write that was killed, not to one in progress."""

_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling to write; then fsync it, rename it over `path` and fsync the folder.

    Takes a path rather than a file object because some writers (hnswlib) only accept names.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    tmp = _create_sibling(path)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDWR)  # writable: Windows cannot flush a read-only handle
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(e, OSError) and e.errno in _NO_SPACE:
            raise disk_full(path) from e
        raise
    fsync_dir(path.parent)


def _create_sibling(path: Path) -> Path:
    """An empty new file beside `path` with the mode `path` has (or the umask's, for a new file)."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)  # the umask applies, as for any new file
        except FileExistsError:
            continue
        except OSError as e:
            if e.errno in _NO_SPACE:
                raise disk_full(path) from e
            raise
        os.close(fd)
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        except FileNotFoundError:
            pass
        return tmp


def remove_stale_temps(path: Path) -> int:
    """Delete temporary siblings of `path` left by writes that were killed; returns how many."""
    removed = 0
    prefix = f".{path.name}."
    try:
        candidates = [p for p in path.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]
    except OSError:
        return 0
    now = time.time()
    for candidate in candidates:
        middle = candidate.name[len(prefix) : -len(".tmp")]
        if not middle or "." in middle:
            continue  # not one of ours
        try:
            if now - candidate.stat().st_mtime > STALE_SECONDS:
                candidate.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def disk_full(path: Path) -> DiskFull:
    try:
        free = f"{shutil.disk_usage(path.parent).free / 1e6:,.0f} MB free"
    except OSError:
        free = "no space left"
    return DiskFull(
        f"The disk holding {path.parent} is full ({free}): {path.name} was not written. Free some space and "
        "try again; the previous version is untouched."
    )


def fsync_dir(folder: Path) -> None:
    """Make a rename durable on POSIX (Windows cannot open a folder, and NTFS journals renames)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json_atomic(path: Path, data: object) -> None:
    write_bytes_atomic(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
