"""Copies of photos in a folder a person chose ("Copy to folder…"): the originals are only ever read.

Each copy gets the photo's name; a name already taken in the folder (by a file there or by
another photo of the same copy, IMG_0001.jpg from two cameras) gets " (2)", " (3)"... before
its extension, never an overwrite: the name is claimed with an exclusive create, so even a
file appearing meanwhile is safe. The photo's own XMP sidecar (photo.jpg.xmp) travels with it
under the new name, so tags and ratings go along. A photo that cannot be read is reported with
the reason and leaves no half-written copy; the others go on.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from photoclip.core.errors import LibraryError
from photoclip.core.util.units import counted

_CHUNK = 1 << 20


@dataclass
class CopyReport:
    """What `copy_files` did: each copy made (original, copy) and each photo that could not be copied."""

    destination: Path
    copied: list[tuple[Path, Path]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    cancelled: bool = False

    @property
    def renamed(self) -> int:
        """Copies that took another name because theirs was taken."""
        return sum(1 for original, copy in self.copied if copy.name != original.name)

    def __str__(self) -> str:
        """One sentence for the app's final message and the status bar."""
        text = f"Copied {counted(len(self.copied), 'photo')} to {self.destination}"
        if self.renamed:
            text += f" ({counted(self.renamed, 'copy', 'copies')} renamed because the name was taken)"
        if self.failed:
            path, why = self.failed[0]
            more = f" and {counted(len(self.failed) - 1, 'other')}" if len(self.failed) > 1 else ""
            text += f"; {path.name}{more} could not be copied: {why}"
        if self.cancelled:
            text += "; stopped before the end"
        return text + "."


def copy_files(
    sources: Sequence[Path],
    destination: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> CopyReport:
    """Copy photos into `destination` (see the module docstring); `progress` hears (done, all)."""
    destination = Path(destination).expanduser()
    if not destination.is_dir():
        raise LibraryError(f"{destination} is not a folder; choose a folder to copy the photos to.")
    if not os.access(destination, os.W_OK):
        raise LibraryError(f"{destination} cannot be written to; choose another folder.")
    report = CopyReport(destination)
    for done, source in enumerate(sources):
        if cancelled is not None and cancelled():
            report.cancelled = True
            break
        if progress is not None:
            progress(done, len(sources))
        try:
            copy = _copy_one(Path(source), destination)
        except OSError as e:
            report.failed.append((Path(source), _reason(e)))
            continue
        report.copied.append((Path(source), copy))
        _copy_sidecar(Path(source), copy)
    if progress is not None and not report.cancelled:
        progress(len(sources), len(sources))
    return report


def _copy_one(source: Path, destination: Path) -> Path:
    with source.open("rb") as reader:  # unreadable: fails here, before any name is taken
        target, writer = _claim(destination, source.name)
        try:
            with writer:
                shutil.copyfileobj(reader, writer, _CHUNK)
        except BaseException:
            target.unlink(missing_ok=True)  # no half-written copy is left behind
            raise
    try:
        shutil.copystat(source, target)  # the date taken by the file manager's reckoning stays
    except OSError:
        pass
    return target


def _claim(folder: Path, name: str) -> tuple[Path, BinaryIO]:
    """The first free name for `name` in `folder`, opened for writing with an exclusive create."""
    stem, suffix = _split(name)
    for n in range(1, 10_000):
        target = folder / (name if n == 1 else f"{stem} ({n}){suffix}")
        try:
            return target, target.open("xb")
        except FileExistsError:
            continue
    raise OSError(f"every name like {name} is taken in {folder}")


def _split(name: str) -> tuple[str, str]:
    """("IMG_0001", ".jpg"); a dotfile keeps its whole name as the stem."""
    dot = name.rfind(".")
    return (name[:dot], name[dot:]) if dot > 0 else (name, "")


def _copy_sidecar(source: Path, copy: Path) -> None:
    """photo.jpg.xmp goes along as copy.jpg.xmp when the copy's name is free of one (never overwriting)."""
    sidecar = source.with_name(source.name + ".xmp")
    target = copy.with_name(copy.name + ".xmp")
    if not sidecar.is_file() or target.exists():
        return
    try:
        with sidecar.open("rb") as reader, target.open("xb") as writer:
            shutil.copyfileobj(reader, writer, _CHUNK)
    except OSError:
        target.unlink(missing_ok=True)


def _reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "the file is not there any more (moved, or its drive is not connected)"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or str(error)
