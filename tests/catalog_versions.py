"""Turning a current catalog back into an older version, to test that opening it migrates it.

One place that knows what each version added, so an upgrade test keeps testing an upgrade
when a later version adds more.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

_ADDED_AFTER_4 = [
    # version 8: ratings
    "DROP TABLE ratings",
    "ALTER TABLE removed_photos DROP COLUMN rating",
    # version 7: videos
    "DROP TABLE scenes",
    "DROP TABLE removed_scenes",
    "DROP INDEX photos_kind",
    "ALTER TABLE photos DROP COLUMN frame_rate",
    "ALTER TABLE photos DROP COLUMN codec",
    "ALTER TABLE photos DROP COLUMN duration",
    "ALTER TABLE photos DROP COLUMN kind",
    # version 6: places and text
    "DROP TABLE photo_text_index",
    "DROP TABLE photo_texts",
    "DROP TABLE photo_places",
    "DROP TABLE places",
    # version 5: duplicates' measures and smart albums
    "DROP TABLE smart_albums",
    *(
        f"ALTER TABLE photos DROP COLUMN {column}"
        for column in ("phash", "sharpness", "clipping", "luma", "contrast", "taken_subsec")
    ),
]


def make_version_4(catalog_path: Path) -> None:
    """Undo every migration after version 4 in this (closed) catalog file."""
    conn = sqlite3.connect(catalog_path)
    try:
        for statement in _ADDED_AFTER_4:
            conn.execute(statement)
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
        conn.commit()
    finally:
        conn.close()
