"""SQLite connections whose failures speak the library's language.

SQLite reports a damaged file, a full disk and an undecodable text as the same
few exception types, deep inside whatever query met them first. Every statement
and every row fetched through these connections turns them into one clear
error: `CatalogDamaged` (restore a backup: `photoclip doctor --repair`) or
`DiskFull` (free some space); everything else passes through unchanged.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from photoclip.core.errors import CatalogDamaged, DiskFull

_DAMAGE_SIGNS = (
    "malformed",
    "not a database",
    "could not decode",
    "file is encrypted",
    "disk i/o error",
    "database corrupt",
    "no such table",
)


def is_disk_full(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "full" in str(error).lower()


@contextlib.contextmanager
def translated(path: Path) -> Iterator[None]:
    """Turn SQLite's damage and disk-full errors about the database at `path` into ours."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        raise _translate(e, path) from e
    except UnicodeDecodeError as e:  # SQLite's message itself is garbled: it quotes a name from a damaged schema page
        raise _damaged(path, "its schema cannot be read") from e


def _translate(error: sqlite3.DatabaseError, path: Path) -> BaseException:
    text = str(error).lower()
    if is_disk_full(error):
        return disk_full(path)
    if isinstance(error, sqlite3.IntegrityError) or "locked" in text or "busy" in text:
        return error
    if any(sign in text for sign in _DAMAGE_SIGNS):
        return _damaged(path, str(error))
    return error


def _damaged(path: Path, why: str) -> CatalogDamaged:
    return CatalogDamaged(
        f"The library database {path} is damaged or not a photoclip catalog ({why}). Run 'photoclip doctor "
        "--repair' to restore its latest backup; your photos are not affected."
    )


def disk_full(path: Path) -> DiskFull:
    """The message for a write that failed for lack of space at `path`."""
    folder = path if path.is_dir() else path.parent
    try:
        free = shutil.disk_usage(folder).free
        left = f"{free / 1e6:,.0f} MB free"
    except OSError:
        left = "no space left"
    return DiskFull(
        f"The disk holding {folder} is full ({left}). Free some space and try again; nothing already saved was lost."
    )


class Cursor(sqlite3.Cursor):
    """Rows fetched one by one can fail too (a damaged page, an undecodable text)."""

    path: Path

    def __next__(self) -> Any:
        with translated(self.path):
            return super().__next__()

    def fetchone(self) -> Any:
        with translated(self.path):
            return super().fetchone()

    def fetchall(self) -> list[Any]:
        with translated(self.path):
            return super().fetchall()

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        with translated(self.path):
            return super().fetchmany(size)


class Connection(sqlite3.Connection):
    """A connection whose statements raise `CatalogDamaged` / `DiskFull` instead of raw SQLite errors."""

    path: Path

    def cursor(self, factory: Any = None) -> Cursor:  # type: ignore[override]
        cursor = super().cursor(factory or Cursor)
        cursor.path = self.path
        return cursor

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        with translated(self.path):
            return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor:
        with translated(self.path):
            return self.cursor().executemany(sql, parameters)


def connect(path: Path) -> Connection:
    with translated(path):
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False, factory=Connection)
    conn.path = path
    return conn
