"""Suggestion badges on the grid's thumbnails: which photos still have tags to review.

A photo with unreviewed suggestions gets a small badge in its bottom-left corner: a dot
and the most confident suggestion's label ("● circle", "● circle +1" when there are
more). Accepted and rejected tags are decisions already made and get no badge.

The grid's delegate asks `SuggestionBadges.badge` while it paints; an answer not known
yet is fetched on a worker, many photos in one read, and the grid repaints when it
arrives, so painting never reads the database. When tags change, the known badges keep
being painted while they are read again (no flicker after an accept).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen

if TYPE_CHECKING:
    from photoclip.core import Library
    from photoclip.ui.controller import LibraryController

KEPT = 50_000
"""Badges remembered; past this the cache starts again (only what is on screen is asked for)."""


@dataclass(frozen=True)
class Badge:
    """What a thumbnail's badge says: the top suggestion, its confidence, and how many others."""

    label: str
    confidence: float | None
    more: int = 0

    @property
    def text(self) -> str:
        return f"{self.label} +{self.more}" if self.more else self.label


def read_badges(library: Library, photo_ids: list[int]) -> dict[int, Badge | None]:
    """Each photo's badge (None: nothing left to review). Runs on a worker."""
    found = library.tags.suggestions(photo_ids)
    result: dict[int, Badge | None] = dict.fromkeys(photo_ids)
    for pid, tags in found.items():
        top = tags[0]
        result[int(pid)] = Badge(top.label, top.score, len(tags) - 1)
    return result


class SuggestionBadges(QObject):
    """Badges of the photos the grid paints, read in batches off the GUI thread."""

    updated = Signal()  # new badges arrived: repaint

    def __init__(self, controller: LibraryController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._known: dict[int, Badge | None] = {}
        self._stale: set[int] = set()  # known, but tags changed since: read again, paint meanwhile
        self._wanted: set[int] = set()
        self._requests = controller.group()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)  # every tile painted in this turn of the event loop, in one read
        self._timer.timeout.connect(self._fetch)
        controller.tags_changed.connect(self.invalidate)
        controller.label_sets_changed.connect(self.invalidate)
        controller.opened.connect(lambda _status: self.forget())

    def badge(self, photo_id: int) -> Badge | None:
        """The photo's badge as known now; an unknown or stale one is asked for (painted when it arrives)."""
        known = self._known.get(photo_id)
        if photo_id not in self._known or photo_id in self._stale:
            self._wanted.add(photo_id)
            if not self._timer.isActive():
                self._timer.start()
        return known

    def known(self, photo_id: int) -> bool:
        """Whether the photo's badge (or that it has none) has been read and is current."""
        return photo_id in self._known and photo_id not in self._stale

    def invalidate(self) -> None:
        """Tags changed: every known badge is read again as it is painted."""
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
        self._requests.submit(lambda: read_badges(library, ids), self._arrived)

    def _arrived(self, found: dict[int, Badge | None]) -> None:
        if len(self._known) > KEPT:
            self._known.clear()
        self._known.update(found)
        self._stale.difference_update(found)
        self.updated.emit()


def paint_suggestion_badge(painter: QPainter, rect: QRect, badge: Badge | None, palette: QPalette) -> None:
    """A dot and the top suggestion's label in the tile's bottom-left corner (nothing for None)."""
    if badge is None:
        return
    painter.save()
    font = QFont(painter.font())
    font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
    painter.setFont(font)
    metrics = painter.fontMetrics()
    height = metrics.height() + 4
    dot = max(6, metrics.height() // 2)
    room = max(0, rect.width() // 2 + 10 - dot - 14)
    text = metrics.elidedText(badge.text, Qt.TextElideMode.ElideRight, room)
    width = dot + 14 + metrics.horizontalAdvance(text)
    box = QRect(rect.left() + 4, rect.bottom() - height - 4, width, height)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 160))
    painter.drawRoundedRect(box, height / 2, height / 2)
    painter.setBrush(palette.color(QPalette.ColorRole.Highlight).lighter(130))
    painter.drawEllipse(QRect(box.left() + 5, box.center().y() - dot // 2 + 1, dot, dot))
    painter.setPen(QPen(QColor("white")))
    painter.drawText(box.adjusted(dot + 9, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
    painter.restore()
