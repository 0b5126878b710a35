"""Rotating backups of the library database, and restoring one when the database is damaged.

Copies are made with SQLite's online backup API (consistent while the library
is in use) into `backups/` beside the catalog: one a day while the library is
being indexed or watched, and one before every schema migration. The newest few
of each kind are kept. Restoring never deletes anything: the damaged file is
moved aside with a timestamp, and the newest backup that passes SQLite's own
check takes its place.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from photoclip.core.errors import CatalogError, DiskFull
from photoclip.core.util.atomic import fsync_dir

log = logging.getLogger(__name__)

DAILY_SECONDS = 24 * 3600
KEEP = {"daily": 3, "migration": 2}


@dataclass(frozen=True)
class Backup:
    path: Path
    kind: str  # "daily" or "migration"
    made_at: float

    @property
    def label(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.made_at))
        return f"{when} ({'before an upgrade' if self.kind == 'migration' else 'daily'})"


def backups_dir(catalog_path: Path) -> Path:
    return catalog_path.parent / "backups"


def list_backups(catalog_path: Path) -> list[Backup]:
    """Backups of a catalog, newest first."""
    found = []
    folder = backups_dir(catalog_path)
    if folder.is_dir():
        for path in folder.glob("catalog-*.sqlite"):
            parts = path.stem.split("-")  # catalog-<kind>-<epoch>
            if len(parts) == 3 and parts[1] in KEEP and parts[2].isdigit():
                found.append(Backup(path, parts[1], float(parts[2])))
    return sorted(found, key=lambda b: b.made_at, reverse=True)


def make_backup(conn: sqlite3.Connection, catalog_path: Path, kind: str) -> Backup:
    """Copy the open database into backups/ and drop the oldest copies of that kind."""
    folder = backups_dir(catalog_path)
    folder.mkdir(parents=True, exist_ok=True)
    made_at = time.time()
    target = folder / f"catalog-{kind}-{int(made_at)}.sqlite"
    partial = target.with_suffix(".partial")
    needed = catalog_path.stat().st_size if catalog_path.exists() else 0
    if shutil.disk_usage(folder).free < needed * 1.2 + (50 << 20):
        raise DiskFull(f"Not enough space in {folder} for a backup of the library database ({needed / 1e6:,.0f} MB).")
    copy = sqlite3.connect(partial)
    try:
        conn.backup(copy)
    finally:
        copy.close()
    os.replace(partial, target)
    fsync_dir(folder)
    for old in [b for b in list_backups(catalog_path) if b.kind == kind][KEEP[kind] :]:
        old.path.unlink(missing_ok=True)
    log.info("backed up %s to %s", catalog_path, target)
    return Backup(target, kind, made_at)


def due(catalog_path: Path) -> bool:
    """Whether a daily backup is due (none in the last day)."""
    daily = [b for b in list_backups(catalog_path) if b.kind == "daily"]
    return not daily or time.time() - daily[0].made_at > DAILY_SECONDS


def damage(catalog_path: Path) -> str | None:
    """What is wrong with a catalog file, or None when SQLite's check passes (a missing file is not damage).

    A file cut to 0 bytes beside a library that has been used (an index, backups,
    settings) is damage too: SQLite would open it as a new, empty library.
    """
    if not catalog_path.exists():
        return None
    if catalog_path.stat().st_size == 0:
        signs = [catalog_path.parent / "index", backups_dir(catalog_path), catalog_path.parent / "settings.json"]
        return "it is empty (0 bytes)" if any(sign.exists() for sign in signs) else None
    problems = check_file(catalog_path)
    return "; ".join(problems[:2]) if problems else None


def check_file(path: Path) -> list[str]:
    """SQLite's quick check of a database file; empty when healthy (any failure to read is a problem)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        return [str(e)]
    except UnicodeDecodeError:  # SQLite's message quotes bytes from a damaged schema page
        return ["its schema cannot be read"]
    return [str(r[0]) for r in rows if r[0] != "ok"]


@dataclass(frozen=True)
class Restored:
    backup: Backup
    damaged_copy: Path  # where the damaged database was moved (kept, never deleted)


def restore_latest(catalog_path: Path) -> Restored:
    """Move the damaged catalog aside and put the newest healthy backup in its place."""
    for backup in list_backups(catalog_path):
        if check_file(backup.path):
            log.warning("backup %s fails its check; trying an older one", backup.path)
            continue
        stamp = time.strftime("%Y%m%d-%H%M%S")
        damaged = catalog_path.with_name(f"{catalog_path.name}.damaged-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            current = Path(str(catalog_path) + suffix)
            if current.exists():
                os.replace(current, Path(str(damaged) + suffix))
        partial = catalog_path.with_suffix(".restoring")
        shutil.copyfile(backup.path, partial)
        os.replace(partial, catalog_path)
        fsync_dir(catalog_path.parent)
        return Restored(backup, damaged)
    raise CatalogError(
        f"No healthy backup of {catalog_path} to restore (looked in {backups_dir(catalog_path)}). "
        "The damaged file is untouched."
    )
