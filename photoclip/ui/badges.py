"""Suggestion badges on the grid's thumbnails: which photos still have tags to review.

A photo with unreviewed suggestions gets a small badge in its bottom-left corner: a dot
and the most confident suggestion's label ("● circle", "● circle +1" when there are
more). Accepted and rejected tags are decisions already made and get no badge.

The grid's delegate asks `SuggestionBadges.badge` while it paints; answers are read in
batches on a worker (`tile_facts.TileFacts`), so painting never reads the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen

from photoclip.ui.tile_facts import MARK_BACKGROUND, TileFacts, use_mark_font

if TYPE_CHECKING:
    from photoclip.core import Library
    from photoclip.ui.controller import LibraryController


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


class SuggestionBadges(TileFacts["Badge | None"]):
    """Badges of the photos the grid paints, read again when tags or label sets change."""

    def __init__(self, controller: LibraryController, parent: QObject | None = None) -> None:
        super().__init__(controller, read_badges, (controller.tags_changed, controller.label_sets_changed), parent)

    def badge(self, photo_id: int) -> Badge | None:
        """The photo's badge as known now (None: nothing to review, or not read yet)."""
        return self.get(photo_id)


def paint_suggestion_badge(painter: QPainter, rect: QRect, badge: Badge | None, palette: QPalette) -> None:
    """A dot and the top suggestion's label in the tile's bottom-left corner (nothing for None)."""
    if badge is None:
        return
    painter.save()
    metrics = use_mark_font(painter)
    height = metrics.height() + 4
    dot = max(6, metrics.height() // 2)
    room = max(0, rect.width() // 2 + 10 - dot - 14)
    text = metrics.elidedText(badge.text, Qt.TextElideMode.ElideRight, room)
    width = dot + 14 + metrics.horizontalAdvance(text)
    box = QRect(rect.left() + 4, rect.bottom() - height - 4, width, height)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(MARK_BACKGROUND)
    painter.drawRoundedRect(box, height / 2, height / 2)
    painter.setBrush(palette.color(QPalette.ColorRole.Highlight).lighter(130))
    painter.drawEllipse(QRect(box.left() + 5, box.center().y() - dot // 2 + 1, dot, dot))
    painter.setPen(QPen(QColor("white")))
    painter.drawText(box.adjusted(dot + 9, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
    painter.restore()
