"""Stars and the favourite heart on the grid's thumbnails.

A rated photo shows its stars (★★★★ for four) and a ♥ when it is a favourite, small,
in its tile's top-right corner, on the same dark pill as the grid's other marks, so
they read alike on light and dark themes and on light and dark photos. The corner is
free: the selection's check mark sits top-left, suggestion badges and a video's length
bottom-left, a search's score bottom-right; an "offline" mark (top-right) pushes the
stars below it. In a narrow tile (a portrait at a small size) the stars shrink to
"★4".

Like the suggestion badges, ratings are read in batches on a worker as tiles are
painted (`library.ratings.of`), never while painting; a change of stars or
favourites reads the known ones again while the old ones stay on screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter

from photoclip.core import UNRATED, PhotoId, Rating

if TYPE_CHECKING:
    from photoclip.core import Library
    from photoclip.ui.controller import LibraryController

KEPT = 50_000
"""Ratings remembered; past this the cache starts again (only what is on screen is asked for)."""

STAR_COLOUR = QColor(255, 200, 61)
HEART_COLOUR = QColor(255, 92, 108)


def read_ratings(library: Library, photo_ids: list[int]) -> dict[int, Rating]:
    """Each photo's rating (`UNRATED` for one never rated). Runs on a worker."""
    found = library.ratings.of(photo_ids)
    return {pid: found.get(PhotoId(pid), UNRATED) for pid in photo_ids}


class TileRatings(QObject):
    """Ratings of the photos the grid paints, read in batches off the GUI thread."""

    updated = Signal()  # new ratings arrived: repaint

    def __init__(self, controller: LibraryController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._known: dict[int, Rating] = {}
        self._stale: set[int] = set()  # known, but ratings changed since: read again, paint meanwhile
        self._wanted: set[int] = set()
        self._requests = controller.group()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)  # every tile painted in this turn of the event loop, in one read
        self._timer.timeout.connect(self._fetch)
        controller.ratings_changed.connect(self.invalidate)
        controller.photos_changed.connect(self.invalidate)  # a photo back from the trash brings its rating
        controller.opened.connect(lambda _status: self.forget())

    def rating(self, photo_id: int) -> Rating | None:
        """The photo's rating as known now (None: not read yet; asked for, painted when it arrives)."""
        known = self._known.get(photo_id)
        if known is None or photo_id in self._stale:
            self._wanted.add(photo_id)
            if not self._timer.isActive():
                self._timer.start()
        return known

    def known(self, photo_id: int) -> bool:
        return photo_id in self._known and photo_id not in self._stale

    def invalidate(self) -> None:
        """Ratings changed: every known one is read again as it is painted."""
        self._requests.invalidate()
        self._stale = set(self._known)
        self.updated.emit()

    def forget(self) -> None:
        """Another library: nothing known holds."""
        self._requests.invalidate()
        self._known.clear()
        self._stale.clear()
        self._wanted.clear()
        self.updated.emit()

    def _fetch(self) -> None:
        library = self.controller.library
        ids = sorted(self._wanted)
        self._wanted.clear()
        if library is None or not ids:
            return
        self._requests.submit(lambda: read_ratings(library, ids), self._arrived)

    def _arrived(self, found: dict[int, Rating]) -> None:
        if len(self._known) > KEPT:
            self._known.clear()
        self._known.update(found)
        self._stale.difference_update(found)
        self.updated.emit()


def rating_text(rating: Rating, *, compact: bool) -> str:
    """ "★★★★ ♥", or "★4 ♥" where a tile is narrow; "" for a photo not rated."""
    stars = ("★" * rating.stars if not compact else f"★{rating.stars}") if rating.stars else ""
    heart = "♥" if rating.favourite else ""
    return f"{stars} {heart}".strip()


def paint_rating(painter: QPainter, rect: QRect, rating: Rating | None, *, below: int = 0) -> None:
    """The stars and heart in the tile's top-right corner (`below`: pixels taken there already)."""
    if rating is None or (not rating.stars and not rating.favourite):
        return
    painter.save()
    font = QFont(painter.font())
    font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
    painter.setFont(font)
    metrics = painter.fontMetrics()
    room = rect.width() - 36  # the selection's check mark keeps the top-left corner
    text = rating_text(rating, compact=False)
    if metrics.horizontalAdvance(text) + 10 > room:
        text = rating_text(rating, compact=True)
    width, height = metrics.horizontalAdvance(text) + 10, metrics.height() + 2
    box = QRect(rect.right() - width - 4, rect.top() + 4 + below, width, height)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 160))
    painter.drawRoundedRect(box, 4, 4)
    inner = box.adjusted(5, 0, -5, 0)
    if rating.stars:
        painter.setPen(STAR_COLOUR)
        painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text.rstrip(" ♥"))
    if rating.favourite:
        painter.setPen(HEART_COLOUR)
        painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, "♥")
    painter.restore()
