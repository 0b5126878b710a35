"""Folder entries a scan could not catalogue, with the reason, so nothing is skipped silently.

A photo that cannot be decoded is a catalog row in state `skipped`; these are the
entries that never became a row at all: a folder that cannot be listed, a link
that loops back, a file name that is not valid Unicode, a pipe or device file
named like a photo. Each scan replaces the problems it could have seen (those
under the folders it walked), so fixed ones disappear on their own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import FolderId


@dataclass(frozen=True)
class SkippedFile:
    """A file or folder the library could not take in, and why, in words for the person."""

    path: Path
    reason: str  # a short stable code: "truncated", "unlistable", "link_loop", "bad_name", "not_a_file", ...
    message: str


class ScanProblems:
    """The problems of the latest scans, per folder."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def replace(self, folder_id: FolderId, roots: Sequence[Path], problems: Sequence[SkippedFile]) -> None:
        """What a scan of `roots` (inside one folder) found now replaces what earlier scans found there."""
        now = time.time()
        with self._catalog.transaction() as conn:
            for root in roots:
                prefix = _text(root).rstrip(os.sep)  # the form problems are stored in, even for a name not Unicode
                conn.execute(
                    "DELETE FROM scan_problems WHERE folder_id = ? AND (path = ? OR (path >= ? AND path < ?))",
                    (folder_id, prefix, prefix + os.sep, prefix + chr(ord(os.sep) + 1)),
                )
            conn.executemany(
                "INSERT OR REPLACE INTO scan_problems(path, folder_id, reason, message, seen_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(_text(p.path), folder_id, p.reason, p.message, now) for p in problems],
            )

    def all(self, limit: int = 1000) -> list[SkippedFile]:
        rows = self._catalog.reader().execute(
            "SELECT path, reason, message FROM scan_problems ORDER BY path LIMIT ?", (limit,)
        )
        return [SkippedFile(Path(str(r[0])), str(r[1]), str(r[2])) for r in rows]

    def reasons(self) -> dict[str, int]:
        rows = self._catalog.reader().execute("SELECT reason, COUNT(*) FROM scan_problems GROUP BY reason")
        return {str(r[0]): int(r[1]) for r in rows}


def _text(path: Path) -> str:
    """A path as text even when its name is not valid Unicode (shown with the undecodable bytes escaped)."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return text
