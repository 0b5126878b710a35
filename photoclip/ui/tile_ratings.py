"""Stars and the favourite heart on the grid's thumbnails.

A rated photo shows its stars (★★★★ for four) and a ♥ when it is a favourite, small,
in its tile's top-right corner, on the same dark pill as the grid's other marks, so
they read alike on light and dark themes and on light and dark photos. The corner is
free: the selection's check mark sits top-left, suggestion badges and a video's length
bottom-left, a search's score bottom-right; an "offline" mark (top-right) pushes the
stars below it. In a narrow tile (a portrait at a small size) the stars shrink to
"★4".

Like the suggestion badges, ratings are read in batches on a worker as tiles are
painted (`tile_facts.TileFacts` over `library.ratings.of`), never while painting; a
change of stars or favourites reads the known ones again while the old ones stay on screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRect, Qt
from PySide6.QtGui import QColor, QPainter

from photoclip.core import UNRATED, PhotoId, Rating
from photoclip.ui.tile_facts import MARK_BACKGROUND, TileFacts, use_mark_font

if TYPE_CHECKING:
    from photoclip.core import Library
    from photoclip.ui.controller import LibraryController

STAR_COLOUR = QColor(255, 200, 61)
HEART_COLOUR = QColor(255, 92, 108)


def read_ratings(library: Library, photo_ids: list[int]) -> dict[int, Rating]:
    """Each photo's rating (`UNRATED` for one never rated). Runs on a worker."""
    found = library.ratings.of(photo_ids)
    return {pid: found.get(PhotoId(pid), UNRATED) for pid in photo_ids}


class TileRatings(TileFacts[Rating]):
    """Ratings of the photos the grid paints, read again when ratings change or photos come back."""

    def __init__(self, controller: LibraryController, parent: QObject | None = None) -> None:
        # a photo back from the trash brings its rating: photos_changed too
        super().__init__(controller, read_ratings, (controller.ratings_changed, controller.photos_changed), parent)

    def rating(self, photo_id: int) -> Rating | None:
        """The photo's rating as known now (None: not read yet; asked for, painted when it arrives)."""
        return self.get(photo_id)


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
    metrics = use_mark_font(painter)
    room = rect.width() - 36  # the selection's check mark keeps the top-left corner
    text = rating_text(rating, compact=False)
    if metrics.horizontalAdvance(text) + 10 > room:
        text = rating_text(rating, compact=True)
    width, height = metrics.horizontalAdvance(text) + 10, metrics.height() + 2
    box = QRect(rect.right() - width - 4, rect.top() + 4 + below, width, height)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(MARK_BACKGROUND)
    painter.drawRoundedRect(box, 4, 4)
    inner = box.adjusted(5, 0, -5, 0)
    if rating.stars:
        painter.setPen(STAR_COLOUR)
        painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text.rstrip(" ♥"))
    if rating.favourite:
        painter.setPen(HEART_COLOUR)
        painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, "♥")
    painter.restore()
