"""What the grid paints on a thumbnail besides the picture (suggestion badges, stars), read without stalling.

The grid's delegate asks for a photo's fact while it paints; one not known yet is
remembered and, at the end of that turn of the event loop, every photo asked for is read
in one batch on a worker; the grid repaints when the answers arrive. So painting never
reads the database, and only what is on screen is ever read. When the facts change (tags,
ratings), the known ones keep being painted while they are read again: no flicker after
an edit. `badges.SuggestionBadges` and `tile_ratings.TileRatings` are the two kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter

if TYPE_CHECKING:
    from photoclip.core import Library
    from photoclip.ui.controller import LibraryController

T = TypeVar("T")

KEPT = 50_000
"""Facts remembered per kind; past this the cache starts again (only what is on screen is asked for)."""

MARK_BACKGROUND = QColor(0, 0, 0, 160)
"""The dark pill under every mark on a thumbnail: legible on light and dark photos, in either theme."""


def use_mark_font(painter: QPainter) -> QFontMetrics:
    """The marks' smaller font set on the painter (never below 7 pt); its metrics."""
    font = QFont(painter.font())
    font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
    painter.setFont(font)
    return painter.fontMetrics()


class TileFacts(QObject, Generic[T]):
    """One kind of fact for the photos the grid paints, read in batches off the GUI thread."""

    updated = Signal()  # new facts arrived: repaint

    def __init__(
        self,
        controller: LibraryController,
        read: Callable[[Library, list[int]], dict[int, T]],
        changed_by: Sequence[SignalInstance],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self._read = read
        self._known: dict[int, T] = {}
        self._stale: set[int] = set()  # known, but changed since: read again, painted meanwhile
        self._wanted: set[int] = set()
        self._requests = controller.group()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)  # every tile painted in this turn of the event loop, in one read
        self._timer.timeout.connect(self._fetch)
        for signal in changed_by:
            signal.connect(self.invalidate)
        controller.opened.connect(lambda _status: self.forget())

    def get(self, photo_id: int) -> T | None:
        """The photo's fact as known now (None: not read yet); an unknown or stale one is asked for."""
        if photo_id not in self._known or photo_id in self._stale:
            self._wanted.add(photo_id)
            if not self._timer.isActive():
                self._timer.start()
        return self._known.get(photo_id)

    def known(self, photo_id: int) -> bool:
        """Whether the photo's fact has been read and is current."""
        return photo_id in self._known and photo_id not in self._stale

    def invalidate(self) -> None:
        """The facts changed: every known one is read again as it is painted."""
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
        read = self._read
        self._requests.submit(lambda: read(library, ids), self._arrived)

    def _arrived(self, found: dict[int, T]) -> None:
        if len(self._known) > KEPT:
            self._known.clear()
        self._known.update(found)
        self._stale.difference_update(found)
        self.updated.emit()
