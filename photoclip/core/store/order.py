"""Newest first: the one date order of the library, in SQL and in Python.

Photos are ordered by date taken, newest first; photos taken at the same moment
newest row first; undated photos last, by path. Browsing sorts in SQL, search
results re-sorted by date use the Python key; a test holds the two together.
"""

from __future__ import annotations

from pathlib import Path

NEWEST_FIRST_SQL = "p.taken_at IS NULL, p.taken_at DESC, CASE WHEN p.taken_at IS NULL THEN p.path END, p.id DESC"
"""ORDER BY terms for a query over `photos p`."""


def newest_first_key(taken_at: str | None, path: Path | str, photo_id: int) -> tuple[object, ...]:
    """Sort key giving `NEWEST_FIRST_SQL`'s order (ascending sort)."""
    if taken_at:
        return (0, _Descending(taken_at), "", -photo_id)
    return (1, _Descending(""), str(path), -photo_id)


class _Descending:
    """Inverts string comparison, so one ascending sort gives newest dates first."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __lt__(self, other: _Descending) -> bool:
        return self.text > other.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)
