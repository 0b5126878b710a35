"""The thumbnail grid: a list model of photo ids, a painting delegate and a justified timeline view.

No widget per photo: the model holds ids (and scores in search mode); a photo's
row details are fetched in pages off the GUI thread the first time the view asks
for them, and thumbnails come from `ThumbnailLoader`. So showing 1M photos costs
a list of ints, and only what is on screen is ever read.

A video shows a frame (while searching, the poster frame of its best-matching
scene) with its length in a badge; moving the pointer across it scrubs through
its scenes, one frame per scene, fetched the first time they are shown.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from photoclip.core import format_clip_time
from photoclip.ui.badges import SuggestionBadges, paint_suggestion_badge
from photoclip.ui.controller import LibraryController
from photoclip.ui.justified import Shapes
from photoclip.ui.thumbnails import ThumbnailLoader
from photoclip.ui.tile_facts import MARK_BACKGROUND, use_mark_font
from photoclip.ui.tile_ratings import TileRatings, paint_rating
from photoclip.ui.timeline_view import TimelineView

if TYPE_CHECKING:
    from photoclip.core import FolderId, Photo, PhotoId, SceneHit, SceneSpan

PAGE = 256
KEPT_PAGES = 64
"""Pages of catalog rows kept in memory (16k photos); scrolling through 1M photos stays bounded."""
PHOTO_ID_MIME = "application/x-photoclip-photo-ids"

IdRole = Qt.ItemDataRole.UserRole + 1
ScoreRole = Qt.ItemDataRole.UserRole + 2
PhotoRole = Qt.ItemDataRole.UserRole + 3  # the catalog row, or None while its page loads
PixmapRole = Qt.ItemDataRole.UserRole + 4
FailedRole = Qt.ItemDataRole.UserRole + 5
OfflineRole = Qt.ItemDataRole.UserRole + 6
DurationRole = Qt.ItemDataRole.UserRole + 7  # a video's length in seconds; None for a photo
ScrubRole = Qt.ItemDataRole.UserRole + 8  # (scene shown, scenes) while the pointer scrubs across a video
MomentRole = Qt.ItemDataRole.UserRole + 9  # the moment of a video the thumbnail shows (seconds), or None

Index = QModelIndex | QPersistentModelIndex


class Tile(NamedTuple):
    """What one thumbnail shows (`PhotoGridModel.tile`); the details are None while its row loads."""

    photo_id: int
    pixmap: QPixmap | None
    failed: str | None  # why there is no preview
    offline: bool
    score: float | None
    duration: float | None  # a video's length
    scrub: tuple[int, int] | None  # (scene shown, scenes) while the pointer scrubs across a video
    moment: float | None  # the moment of a video shown


class PhotoGridModel(QAbstractListModel):
    """Photo ids in display order, with lazily fetched rows and thumbnails."""

    page_loaded = Signal()

    def __init__(self, controller: LibraryController, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.loader = loader
        self.thumbnail_size = 192
        self._ids: list[int] = []
        self.shapes = Shapes()
        self._scores: list[float] | None = None
        self._rows: dict[int, int] = {}
        self._photos: dict[int, Photo] = {}
        self._page_ids: OrderedDict[int, list[int]] = OrderedDict()  # loaded pages, least recently used first
        self._offline_folders: set[FolderId] = set()
        self._pages_requested: set[int] = set()
        self._pages = controller.group()  # rows of the photos shown; a reset makes them all stale
        self._matches: dict[int, tuple[SceneHit, ...]] = {}  # a video's matching scenes, best first (searching)
        self._spans: dict[int, list[SceneSpan]] = {}  # videos' scenes, fetched when first scrubbed
        self._spans_requested: set[int] = set()
        self._hover: tuple[int, float] | None = None  # (video id, 0..1 across its thumbnail)
        loader.ready.connect(self._thumbnail_ready)

    # -- contents ---------------------------------------------------------------------------

    def set_photos(
        self, ids: Sequence[int], scores: Sequence[float] | None = None, shapes: Shapes | None = None
    ) -> None:
        """Show these photos; rows already fetched are kept (a refresh only reads what is new).

        `shapes` (each photo's day and aspect ratio, read off the GUI thread) lay the grid out;
        without them every photo is a square tile.
        """
        ids = [int(i) for i in ids]
        if shapes is None or len(shapes) != len(ids):
            shapes = Shapes([""] * len(ids), [1.0] * len(ids))
        self.shapes = shapes
        self.loader.forget()
        if ids[: len(self._ids)] == self._ids and scores is None and self._scores is None and len(ids) > len(self._ids):
            self.beginInsertRows(QModelIndex(), len(self._ids), len(ids) - 1)
            self._ids = ids
            self._rows = {pid: row for row, pid in enumerate(ids)}
            self.endInsertRows()
            return
        self.beginResetModel()
        self._ids = ids
        self._matches = {}
        self._scores = [float(s) for s in scores] if scores is not None else None
        self._rows = {pid: row for row, pid in enumerate(ids)}
        self._pages_requested.clear()
        self._page_ids.clear()
        self._pages.invalidate()
        self.endResetModel()

    def set_matches(self, matches: dict[int, tuple[SceneHit, ...]]) -> None:
        """The matching scenes of the videos shown: their best one's frame becomes the thumbnail."""
        self._matches = dict(matches)
        rows = [row for pid in matches if (row := self._rows.get(pid)) is not None]
        for row in rows:
            self.dataChanged.emit(self.index(row), self.index(row), [PixmapRole, MomentRole])

    def matches(self, photo_id: int) -> tuple[SceneHit, ...]:
        return self._matches.get(photo_id, ())

    # -- scrubbing a video ------------------------------------------------------------------

    def hover(self, photo_id: int, fraction: float) -> None:
        """The pointer is over a video's thumbnail, this far across: show the scene there."""
        previous = self._hover
        self._hover = (photo_id, min(max(fraction, 0.0), 1.0))
        if photo_id not in self._spans:
            self._request_spans(photo_id)
        if previous is not None and previous[0] != photo_id:
            self._row_changed(previous[0])
        if previous is None or previous[0] != photo_id or self._scrub(photo_id) != self._scrub_at(previous[1]):
            self._row_changed(photo_id)

    def leave(self) -> None:
        """The pointer left: every video shows its poster again."""
        if self._hover is not None:
            photo_id = self._hover[0]
            self._hover = None
            self._row_changed(photo_id)

    def scenes_of(self, photo_id: int) -> list[SceneSpan] | None:
        return self._spans.get(photo_id)

    def _scrub(self, photo_id: int) -> int | None:
        if self._hover is None or self._hover[0] != photo_id:
            return None
        return self._scrub_at(self._hover[1])

    def _scrub_at(self, fraction: float) -> int | None:
        spans = self._spans.get(self._hover[0]) if self._hover is not None else None
        if not spans:
            return None
        return min(int(fraction * len(spans)), len(spans) - 1)

    def moment(self, photo: Photo) -> float | None:
        """The moment of a video its thumbnail shows: the scene scrubbed to, the best match, or None (its middle)."""
        if not photo.is_video:
            return None
        scrubbed = self._scrub(photo.id)
        if scrubbed is not None:
            return self._spans[photo.id][scrubbed].frame
        matched = self._matches.get(photo.id)
        return matched[0].frame if matched else None

    def _request_spans(self, photo_id: int) -> None:
        library = self.controller.library
        if library is None or photo_id in self._spans_requested:
            return
        self._spans_requested.add(photo_id)

        def done(spans: list[SceneSpan]) -> None:
            self._spans[photo_id] = spans
            self._row_changed(photo_id)

        self.controller.read(lambda: library.searcher.scenes(photo_id), done)

    def _row_changed(self, photo_id: int) -> None:
        row = self._rows.get(photo_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [PixmapRole, ScrubRole, MomentRole])

    def invalidate_rows(self) -> None:
        """Photos may have moved or changed: fetch their rows again as they are shown.

        The rows already known keep being shown meanwhile, so thumbnails never flash to
        placeholders while the library changes underneath.
        """
        self._pages_requested.clear()
        self._pages.invalidate()
        self._spans.clear()  # a video may have been read again: its scenes are fetched anew
        self._spans_requested.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1), [PhotoRole])

    def set_thumbnail_size(self, size: int) -> None:
        self.thumbnail_size = size
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1), [PixmapRole])

    @property
    def ids(self) -> list[int]:
        return self._ids

    def photo_id(self, row: int) -> int:
        return self._ids[row]

    def score(self, row: int) -> float | None:
        return self._scores[row] if self._scores is not None else None

    def row_of(self, photo_id: int) -> int | None:
        return self._rows.get(photo_id)

    def photo(self, photo_id: int) -> Photo | None:
        return self._photos.get(photo_id)

    # -- Qt model interface -----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: C901 - Qt's data(): one branch per item role
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        row = index.row()
        pid = self._ids[row]
        if role == IdRole:
            return pid
        if role == ScoreRole:
            return self.score(row)
        photo = self._shown(row)
        if photo is None:
            return None
        if role == PhotoRole:
            return photo
        if role == OfflineRole:
            return photo.folder_id in self._offline_folders
        if role == FailedRole:
            return self.loader.failed.get(pid)
        if role == PixmapRole:
            return self._pixmap(photo)
        if role == DurationRole:
            return photo.duration if photo.is_video else None
        if role == MomentRole:
            return self.moment(photo)
        if role == ScrubRole:
            return self._scrub_shown(pid)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return _describe(photo, self.score(row), photo.folder_id in self._offline_folders, self.matches(pid))
        if role == Qt.ItemDataRole.DisplayRole:
            return photo.path.name
        return None

    def tile(self, row: int) -> Tile:
        """Everything the delegate paints for one row, in one Python call.

        Painting asks this instead of `data()` role by role: each `data()` is a trip through
        Qt and back (six per tile), which cost more than the painting itself while
        workers held the interpreter.
        """
        pid = self._ids[row]
        score = self._scores[row] if self._scores is not None else None
        photo = self._shown(row)
        if photo is None:
            return Tile(pid, None, None, False, score, None, None, None)
        video = photo.is_video
        return Tile(
            pid,
            self._pixmap(photo),
            self.loader.failed.get(pid),
            photo.folder_id in self._offline_folders,
            score,
            photo.duration if video else None,
            self._scrub_shown(pid) if video else None,
            self.moment(photo) if video else None,
        )

    def _shown(self, row: int) -> Photo | None:
        """The row's photo if its page is loaded (a page not asked for yet is asked for now)."""
        page = row // PAGE
        if page not in self._pages_requested:
            self._request_page(page)
        elif page in self._page_ids:
            self._page_ids.move_to_end(page)
        return self._photos.get(self._ids[row])

    def _scrub_shown(self, photo_id: int) -> tuple[int, int] | None:
        scrubbed = self._scrub(photo_id)
        return None if scrubbed is None else (scrubbed, len(self._spans[photo_id]))

    def _pixmap(self, photo: Photo) -> QPixmap | None:
        size = self.thumbnail_size
        at = self.moment(photo)
        found = self.loader.pixmap(photo.id, photo.path, photo.content_hash, size, at)
        if found is None and photo.is_video and self._hover is not None and self._hover[0] == photo.id:
            # while the scrubbed frame loads, keep showing the poster instead of a blank cell
            matched = self._matches.get(photo.id)
            found = self.loader.cached(photo.id, size, matched[0].frame if matched else None)
        return found

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:  # Qt's name
        return [PHOTO_ID_MIME, "text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # Qt's name
        data = QMimeData()
        ids = [self._ids[i.row()] for i in indexes if i.isValid()]
        data.setData(PHOTO_ID_MIME, ",".join(map(str, ids)).encode())
        urls = [QUrl.fromLocalFile(str(p.path)) for pid in ids if (p := self._photos.get(pid)) is not None]
        data.setUrls(urls)
        return data

    # -- background fetching ----------------------------------------------------------------

    def _request_page(self, page: int) -> None:
        if page in self._pages_requested or self.controller.library is None:
            return
        self._pages_requested.add(page)
        ids = self._ids[page * PAGE : (page + 1) * PAGE]
        library = self.controller.library

        def work() -> tuple[dict[PhotoId, Photo], set[FolderId]]:
            return library.photos.get(ids), library.folders.offline_ids()

        def done(result: tuple[dict[PhotoId, Photo], set[FolderId]]) -> None:
            photos, offline = result
            self._photos.update({int(k): v for k, v in photos.items()})
            self._page_ids[page] = [int(k) for k in photos]
            self._page_ids.move_to_end(page)
            while len(self._page_ids) > KEPT_PAGES:
                old_page, old_ids = self._page_ids.popitem(last=False)
                self._pages_requested.discard(old_page)
                for pid in old_ids:
                    self._photos.pop(pid, None)
            self._offline_folders = offline
            first, last = page * PAGE, min((page + 1) * PAGE, len(self._ids)) - 1
            if first <= last:
                self.dataChanged.emit(self.index(first), self.index(last))
            self.page_loaded.emit()

        self._pages.submit(work, done)

    def _thumbnail_ready(self, photo_id: int) -> None:
        row = self._rows.get(photo_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [PixmapRole])


def _describe(photo: Photo, score: float | None, offline: bool, matches: tuple[SceneHit, ...] = ()) -> str:
    parts = [photo.path.name]
    if photo.is_video and photo.duration is not None:
        parts.append(f"video, {format_clip_time(photo.duration)}")
    if photo.taken_at:
        parts.append(format_date(photo.taken_at))
    if score is not None:
        parts.append(f"similarity {score:.3f}")
    if matches:
        parts.append("best match at " + format_clip_time(matches[0].start))
    if offline:
        parts.append("offline: its folder is not connected")
    return "\n".join(parts)


def format_date(taken_at: str) -> str:
    try:
        return dt.datetime.fromisoformat(taken_at).strftime("%d %b %Y, %H:%M")
    except ValueError:
        return taken_at


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints a thumbnail (or a placeholder), the selection, a score badge, video marks and the offline mark."""

    def __init__(self, grid: PhotoGrid) -> None:
        super().__init__(grid)
        self.grid = grid
        self.show_scores = False
        self.badges: SuggestionBadges | None = None  # suggestion badges (photoclip/ui/badges.py), set by the window
        self.ratings: TileRatings | None = None  # stars and favourites (photoclip/ui/tile_ratings.py)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # Qt's name
        return QSize(self.grid.thumbnail_size, self.grid.thumbnail_size)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        self.paint_tile(painter, option.rect, selected, option.palette, self.grid.grid_model().tile(index.row()))

    def paint_tile(self, painter: QPainter, cell: QRect, selected: bool, palette: QPalette, tile: Tile) -> None:
        """One tile in its cell (the grid calls this directly: no item option, no `data()` per role)."""
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect = cell.adjusted(4, 4, -4, -4)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(cell.adjusted(1, 1, -1, -1), 6, 6)
        target = self._picture(painter, rect, palette, tile)
        if selected:
            self._selection_mark(painter, target, palette)
        self._marks(painter, rect, palette, tile)
        painter.restore()

    @staticmethod
    def _picture(painter: QPainter, rect: QRect, palette: QPalette, tile: Tile) -> QRect:
        """The thumbnail at its aspect ratio (dimmed when offline), or a placeholder; where it went."""
        pixmap = tile.pixmap
        if pixmap is None or pixmap.isNull():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
            painter.drawRoundedRect(rect, 4, 4)
            if tile.failed:
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(rect.adjusted(6, 6, -6, -6), Qt.TextFlag.TextWordWrap, "No preview\n" + tile.failed)
            return rect
        scaled = pixmap.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, scaled.width(), scaled.height())
        target.moveCenter(rect.center())
        painter.drawPixmap(target, pixmap)
        if tile.offline:
            painter.fillRect(target, QColor(0, 0, 0, 110))
        return target

    def _marks(self, painter: QPainter, rect: QRect, palette: QPalette, tile: Tile) -> None:
        """Offline and stars top-right, the score bottom-right, a video's length and the suggestion bottom-left."""
        if tile.offline:
            self._badge(painter, rect, "offline", top=True)
        if self.ratings is not None:
            below = painter.fontMetrics().height() + 8 if tile.offline else 0  # under the offline mark
            paint_rating(painter, rect, self.ratings.rating(tile.photo_id), below=below)
        if self.show_scores and tile.score is not None:
            self._badge(painter, rect, f"{tile.score:.2f}", top=False)
        if tile.duration is not None:
            self._video_marks(painter, rect, tile.duration, tile.scrub, tile.moment)
        if self.badges is not None:
            # a video's length sits in the same corner: the suggestion goes above it
            lift = painter.fontMetrics().height() + 8 if tile.duration is not None else 0
            badge = self.badges.badge(tile.photo_id)
            paint_suggestion_badge(painter, rect.adjusted(0, 0, 0, -lift), badge, palette)

    @staticmethod
    def _selection_mark(painter: QPainter, target: QRect, palette: QPalette) -> None:
        """A thick frame and a check mark on the photo itself: visible even when the photo fills its cell."""
        highlight = palette.color(QPalette.ColorRole.Highlight)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(highlight, 3))
        painter.drawRect(target.adjusted(1, 1, -2, -2))
        side = max(16, min(24, target.width() // 6))
        mark = QRect(target.left() + 5, target.top() + 5, side, side)
        painter.setPen(QPen(QColor("white"), 1.5))
        painter.setBrush(highlight)
        painter.drawEllipse(mark)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.HighlightedText), 2))
        painter.drawText(mark, Qt.AlignmentFlag.AlignCenter, "✓")

    def _video_marks(
        self, painter: QPainter, rect: QRect, duration: float, scrub: tuple[int, int] | None, moment: float | None
    ) -> None:
        """A video's length (and, at a scene, the moment shown), and while scrubbing which of its scenes this is."""
        text = "▶ " + format_clip_time(duration)
        if moment is not None and scrub is not None:
            text = f"▶ {format_clip_time(moment)} / {format_clip_time(duration)}"
        self._badge(painter, rect, text, top=False, left=True)
        if scrub is None:
            return
        shown, count = scrub
        bar = QRect(rect.left() + 6, rect.bottom() - 3, rect.width() - 12, 3)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 90))
        painter.drawRect(bar)
        width = bar.width() / max(count, 1)
        painter.setBrush(QColor(255, 255, 255, 230))
        painter.drawRect(QRect(int(bar.left() + shown * width), bar.top(), max(2, int(width)), bar.height()))

    def _badge(self, painter: QPainter, rect: QRect, text: str, *, top: bool, left: bool = False) -> None:
        metrics = use_mark_font(painter)
        width, height = metrics.horizontalAdvance(text) + 10, metrics.height() + 4
        y = rect.top() + 4 if top else rect.bottom() - height - 4 - (4 if left else 0)
        badge = QRect(rect.left() + 4 if left else rect.right() - width - 4, y, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(MARK_BACKGROUND)
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QPen(QColor("white")))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)


class PhotoGrid(TimelineView):
    """Justified rows of thumbnails (under day headers on the timeline), multi-selection, drag out, Enter to open."""

    activated_photo = Signal(int)  # Enter or double-click
    delete_pressed = Signal()

    def __init__(self, model: PhotoGridModel, parent: QWidget | None = None) -> None:
        super().__init__(model.controller.latest(), parent)
        self.setModel(model)
        self._model = model  # the model never changes: painting asks it directly
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setAccessibleName("Photos")
        self.setMouseTracking(True)  # scrubbing through a video's scenes follows the pointer
        self.delegate = ThumbnailDelegate(self)
        self.setItemDelegate(self.delegate)
        self.ratings = TileRatings(model.controller, self)
        self.ratings.updated.connect(self.viewport().update)
        self.delegate.ratings = self.ratings
        self.doubleClicked.connect(lambda index: self.activated_photo.emit(index.data(IdRole)))
        self.set_thumbnail_size(model.thumbnail_size)

    def grid_model(self) -> PhotoGridModel:
        model = self.model()
        assert isinstance(model, PhotoGridModel)
        return model

    def paint_item(
        self, painter: QPainter, row: int, cell: QRect, selected: bool, current: bool, palette: QPalette
    ) -> None:
        """A tile straight from the model's `tile()`: no item option, no `data()` call per role."""
        self.delegate.paint_tile(painter, cell, selected, palette, self._model.tile(row))

    def set_thumbnail_size(self, size: int) -> None:
        """Rows about `size` pixels high; thumbnails big enough for a landscape photo's long side."""
        self.thumbnail_size = size
        self.grid_model().set_thumbnail_size(int(size * 1.5 * self.devicePixelRatioF()))
        self.relayout()

    def selected_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        model = self.grid_model()
        return [model.photo_id(r) for r in rows]

    def current_id(self) -> int | None:
        index = self.currentIndex()
        return index.data(IdRole) if index.isValid() else None

    def select_ids(self, ids: Sequence[int]) -> None:
        model = self.grid_model()
        selection = self.selectionModel()
        selection.clearSelection()
        for pid in ids:
            row = model.row_of(pid)
            if row is not None:
                selection.select(model.index(row), selection.SelectionFlag.Select)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # Qt's name
        super().mouseMoveEvent(event)
        index = self.indexAt(event.position().toPoint())
        model = self.grid_model()
        if index.isValid() and index.data(DurationRole) is not None:
            rect = self.visualRect(index)
            model.hover(index.data(IdRole), (event.position().x() - rect.left()) / max(rect.width(), 1))
        else:
            model.leave()

    def leaveEvent(self, event: QEvent) -> None:  # Qt's name
        super().leaveEvent(event)
        self.grid_model().leave()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_photo.emit(self.currentIndex().data(IdRole))
            return
        if event.key() == Qt.Key.Key_Delete:
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)


def photo_ids_from_mime(data: QMimeData) -> list[int] | None:
    if data.hasFormat(PHOTO_ID_MIME):
        raw = bytes(data.data(PHOTO_ID_MIME).data()).decode()
        return [int(x) for x in raw.split(",") if x]
    return None


def local_files_from_mime(data: QMimeData) -> list[Path]:
    return [Path(url.toLocalFile()) for url in data.urls() if url.isLocalFile()]
