"""Star ratings (0-5) and the favourite flag: a person's own judgement of a photo, kept in the catalog.

A photo has a row here once it was rated (in the app, the CLI or by an XMP import); a photo
without one is "never rated" (0 stars, not a favourite). The difference matters for sidecars:
only a rated photo's sidecar gets `xmp:Rating`, so a rating another tool wrote is never
overwritten by a photoclip that was never told one. Every edit returns the ratings as they
were before (what Undo puts back) and publishes `Changes.rated`, which the sidecar writer and
the app's views hear. Ratings never touch a photo file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from photoclip.core.changes import ChangeBus, Changes, Outcome
from photoclip.core.errors import LibraryError
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import PhotoId

MAX_STARS = 5


@dataclass(frozen=True)
class Rating:
    """A photo's stars (0 = no stars) and whether it is a favourite."""

    stars: int = 0
    favourite: bool = False

    def describe(self) -> str:
        """How the app and the CLI say it: "★★★★☆ · favourite", "not rated"."""
        if not self.stars and not self.favourite:
            return "not rated"
        stars = "★" * self.stars + "☆" * (MAX_STARS - self.stars) if self.stars else "no stars"
        return stars + (" · favourite" if self.favourite else "")


UNRATED = Rating()

Before = Mapping[PhotoId, "Rating | None"]
"""Ratings as they were before an edit, None where the photo had never been rated (what `restore` takes)."""


def check_stars(stars: int) -> int:
    """`stars` when it is a rating (0 to 5), else a LibraryError that says what a rating is."""
    if isinstance(stars, bool) or not isinstance(stars, int) or not 0 <= stars <= MAX_STARS:
        raise LibraryError(f"A rating is 0 to {MAX_STARS} stars, not {stars!r}.")
    return stars


class Ratings:
    """The library's ratings and favourites; every edit returns (and publishes) what it changed."""

    def __init__(self, catalog: Catalog, changes: ChangeBus) -> None:
        self.catalog = catalog
        self._changes = changes

    def of(self, photo_ids: Sequence[int]) -> dict[PhotoId, Rating]:
        """The ratings of photos that were ever rated (a photo never rated is absent: `UNRATED`)."""
        return _ratings(self.catalog.reader(), [PhotoId(int(i)) for i in photo_ids])

    def get(self, photo_id: int) -> Rating:
        return self.of([photo_id]).get(PhotoId(int(photo_id)), UNRATED)

    def rate(self, photo_ids: Sequence[int], stars: int) -> Outcome[dict[PhotoId, Rating | None]]:
        """Give photos `stars` (0 clears the stars, the favourite flag stays); returns the ratings before."""
        stars = check_stars(stars)
        return self._set(photo_ids, lambda _pid, old: Rating(stars, old.favourite))

    def set_favourite(self, photo_ids: Sequence[int], favourite: bool) -> Outcome[dict[PhotoId, Rating | None]]:
        """Mark photos as favourites or not (their stars stay); returns the ratings before."""
        return self._set(photo_ids, lambda _pid, old: Rating(old.stars, bool(favourite)))

    def assign(self, ratings: Mapping[PhotoId, Rating]) -> Outcome[dict[PhotoId, Rating | None]]:
        """Set each photo's whole rating (an XMP import); returns the ratings before."""
        for rating in ratings.values():
            check_stars(rating.stars)
        return self._set(list(ratings), lambda pid, _old: ratings[pid])

    def _set(
        self, photo_ids: Sequence[int], change: Callable[[PhotoId, Rating], Rating]
    ) -> Outcome[dict[PhotoId, Rating | None]]:
        ids = list(dict.fromkeys(PhotoId(int(i)) for i in photo_ids))
        now = time.time()
        with self.catalog.transaction() as conn:
            known = _existing(conn, ids)
            before = _ratings(conn, known)
            rows = []
            for pid in known:
                new = change(pid, before.get(pid) or UNRATED)
                if before.get(pid) != new:
                    rows.append((int(pid), new.stars, int(new.favourite), now))
            conn.executemany(
                "INSERT INTO ratings(photo_id, stars, favourite, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(photo_id) DO UPDATE SET stars = excluded.stars, favourite = excluded.favourite, "
                "updated_at = excluded.updated_at",
                rows,
            )
        changed = {PhotoId(r[0]) for r in rows}
        return Outcome({pid: before.get(pid) for pid in known if pid in changed}, self._published(changed))

    def restore(self, before: Before) -> Changes:
        """Put ratings back as `rate`/`set_favourite` returned them (Undo); never-rated photos lose their row."""
        now = time.time()
        with self.catalog.transaction() as conn:
            known = _existing(conn, list(before))
            conn.executemany(
                "DELETE FROM ratings WHERE photo_id = ?", [(int(pid),) for pid in known if before[pid] is None]
            )
            conn.executemany(
                "INSERT INTO ratings(photo_id, stars, favourite, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(photo_id) DO UPDATE SET stars = excluded.stars, favourite = excluded.favourite, "
                "updated_at = excluded.updated_at",
                [
                    (int(pid), rating.stars, int(rating.favourite), now)
                    for pid in known
                    if (rating := before[pid]) is not None
                ],
            )
        return self._published(set(known))

    def counts(self) -> dict[str, int]:
        """How many photos have each number of stars ("1".."5") and how many are favourites ("favourite")."""
        conn = self.catalog.reader()
        counts = {
            str(int(r[0])): int(r[1])
            for r in conn.execute("SELECT stars, COUNT(*) FROM ratings WHERE stars > 0 GROUP BY stars")
        }
        counts["favourite"] = int(conn.execute("SELECT COUNT(*) FROM ratings WHERE favourite = 1").fetchone()[0])
        return counts

    def _published(self, changed: set[PhotoId]) -> Changes:
        return self._changes.publish(Changes.of_ratings(changed))


def _existing(conn: sqlite3.Connection, ids: Sequence[PhotoId]) -> list[PhotoId]:
    """The ids still in the library, in the order given (a photo removed meanwhile is left out)."""
    present: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = [int(i) for i in ids[start : start + 500]]
        marks = ",".join("?" * len(chunk))
        present |= {int(r[0]) for r in conn.execute(f"SELECT id FROM photos WHERE id IN ({marks})", chunk)}
    return [pid for pid in ids if int(pid) in present]


def _ratings(conn: sqlite3.Connection, ids: Sequence[PhotoId]) -> dict[PhotoId, Rating]:
    found: dict[PhotoId, Rating] = {}
    for start in range(0, len(ids), 500):
        chunk = [int(i) for i in ids[start : start + 500]]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT photo_id, stars, favourite FROM ratings WHERE photo_id IN ({marks})", chunk):
            found[PhotoId(int(row[0]))] = Rating(int(row[1]), bool(row[2]))
    return found
