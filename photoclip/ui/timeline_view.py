"""The item view behind the photo grid: justified rows, day/month headers, and a date beside the scroll bar.

A `QAbstractItemView` over the grid's list model whose geometry is a `justified.Layout`
(flat arrays); it paints, hit-tests and navigates only the rows on screen. Up to
`SYNC_LIMIT` photos the layout is computed at once (a few milliseconds); beyond, on a
worker through the controller's `latest()`, while the previous layout stays on screen
and scroll requests made meanwhile wait for the new one. A new layout for the same
photos (a resize, a zoom) keeps the photo at the top of the viewport where it was.
"""

from __future__ import annotations

from bisect import bisect_right

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QRect,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette, QRegion, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QLabel, QStyle, QStyleOptionSlider, QStyleOptionViewItem, QWidget

from photoclip.ui.justified import HEADER_HEIGHT, Layout, Shapes, justify
from photoclip.ui.tasks import Latest

SYNC_LIMIT = 4000
"""Photos laid out on the GUI thread (well under 10 ms); more are laid out on a worker."""

Cursor = QAbstractItemView.CursorAction


class TimelineView(QAbstractItemView):
    """Justified rows of photos, grouped under date headers when `grouped` is on."""

    def __init__(self, layouts: Latest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layouts = layouts
        self.grouped = False
        self.thumbnail_size = 192
        self.layout_data: Layout | None = None
        self.layout_ms = 0.0  # how long the last layout took to compute (for the benchmark)
        self._laid_out_for: tuple[object, ...] | None = None
        self._pending: tuple[int, QAbstractItemView.ScrollHint] | None = None
        self._stale = True
        self.date_label = QLabel(self)
        self.date_label.setObjectName("timelineDate")
        self.date_label.setAccessibleName("Date at the scroll position")
        self.date_label.setStyleSheet(
            "#timelineDate { background: rgba(0, 0, 0, 180); color: white; border-radius: 6px; padding: 6px 12px;"
            " font-weight: bold; }"
        )
        self.date_label.hide()
        self._hide_date = QTimer(self)
        self._hide_date.setSingleShot(True)
        self._hide_date.setInterval(700)
        self._hide_date.timeout.connect(self.date_label.hide)
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._show_date)
        bar.sliderPressed.connect(lambda: self._show_date(bar.value()))
        bar.sliderReleased.connect(self._hide_date.start)

    # -- laying out ---------------------------------------------------------------------------

    def setModel(self, model: QAbstractItemModel | None) -> None:  # Qt's name
        super().setModel(model)
        m = self.model()
        if m is None:
            return
        m.modelReset.connect(self._contents_changed)
        m.rowsInserted.connect(self._contents_changed)
        m.rowsRemoved.connect(self._contents_changed)

    def _shapes(self) -> Shapes:
        shapes = getattr(self.model(), "shapes", None)
        return shapes if isinstance(shapes, Shapes) else Shapes()

    def _contents_changed(self) -> None:
        self._stale = True
        self.relayout()

    def relayout(self) -> None:
        """Lay the photos out again for the current width, size and grouping (at once or on a worker)."""
        shapes = self._shapes()
        width = self.viewport().width()
        size, grouped = self.thumbnail_size, self.grouped
        key = (id(shapes), width, size, grouped)
        if key == self._laid_out_for and not self._stale:
            return
        self._laid_out_for = key
        if len(shapes) <= SYNC_LIMIT:
            self._layouts.invalidate()
            self._apply(_timed_layout(shapes, width, size, grouped))
        else:
            self._layouts.submit(lambda: _timed_layout(shapes, width, size, grouped), self._apply)

    def _apply(self, result: tuple[Layout, float]) -> None:
        layout, ms = result
        anchor = None if self._stale else self._top_item()
        old = self.layout_data
        # where the top photo sat in the viewport: it stays there (at the top, the first header stays in view)
        shift = old.rect(anchor)[1] - self.verticalOffset() if anchor is not None and old is not None else 0
        self.layout_data, self.layout_ms, self._stale = layout, ms, False
        self.updateGeometries()
        if self._pending is not None:
            row, hint = self._pending
            self._pending = None
            if row < 0:
                self.verticalScrollBar().setValue(0)
            elif row < layout.count:
                self.scrollTo(self.model().index(row, 0), hint)
        elif anchor is not None and anchor < layout.count:
            self.verticalScrollBar().setValue(max(0, layout.rect(anchor)[1] - shift))
        self.viewport().update()

    def _top_item(self) -> int | None:
        layout = self.layout_data
        if layout is None or not layout.count:
            return None
        return layout.nearest(0, self.verticalOffset())

    def top_index(self) -> QModelIndex:
        """The first photo in view (below a header at the top): the place to come back to."""
        item = self._top_item()
        if item is None or item >= self._rows():
            return QModelIndex()
        return self.model().index(item, 0)

    def is_laid_out(self) -> bool:
        """The layout on screen is the one for the current photos, width and size."""
        return not self._stale and self.layout_data is not None and self.layout_data.count == self._rows()

    def _rows(self) -> int:
        model = self.model()
        return model.rowCount() if model is not None else 0

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's name
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.relayout()
        else:
            self.updateGeometries()

    def updateGeometries(self) -> None:  # Qt's name
        super().updateGeometries()
        height = self.layout_data.height if self.layout_data is not None else 0
        bar = self.verticalScrollBar()
        bar.setPageStep(self.viewport().height())
        bar.setSingleStep(max(8, self.thumbnail_size // 6))
        bar.setRange(0, max(0, height - self.viewport().height()))
        self.horizontalScrollBar().setRange(0, 0)

    # -- geometry Qt asks for ----------------------------------------------------------------------

    def _usable(self, row: int) -> Layout | None:
        layout = self.layout_data
        return layout if layout is not None and 0 <= row < min(layout.count, self._rows()) else None

    def visualRect(self, index: QModelIndex) -> QRect:  # type: ignore[override]  # Qt's name
        layout = self._usable(index.row()) if index.isValid() else None
        if layout is None:
            return QRect()
        x, y, w, h = layout.rect(index.row())
        return QRect(x, y - self.verticalOffset(), w, h)

    def indexAt(self, point: QPoint) -> QModelIndex:  # Qt's name
        layout = self.layout_data
        item = layout.item_at(point.x(), point.y() + self.verticalOffset()) if layout is not None else None
        if item is None or item >= self._rows():
            return QModelIndex()
        return self.model().index(item, 0)

    def scrollTo(  # type: ignore[override]  # Qt's name
        self, index: QModelIndex, hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible
    ) -> None:
        if not index.isValid():
            return
        if self._stale or self._usable(index.row()) is None:
            self._pending = (index.row(), hint)  # once the layout for these photos is ready
            return
        layout = self.layout_data
        assert layout is not None
        _, top, _, height = layout.rect(index.row())
        row = layout.row_of(index.row())
        if layout.headers and (row == 0 or layout.row_group[row - 1] != layout.row_group[row]):
            top = layout.headers[layout.row_group[row]].top  # the first row of a day: show its header too
        bar = self.verticalScrollBar()
        view = self.viewport().height()
        if hint == QAbstractItemView.ScrollHint.PositionAtTop:
            bar.setValue(top)
        elif hint == QAbstractItemView.ScrollHint.PositionAtBottom:
            bar.setValue(top + height - view)
        elif hint == QAbstractItemView.ScrollHint.PositionAtCenter:
            bar.setValue(top + height // 2 - view // 2)
        elif top < bar.value():
            bar.setValue(top)
        elif top + height > bar.value() + view:
            bar.setValue(top + height - view)

    def scrollToTop(self) -> None:  # Qt's name
        self.verticalScrollBar().setValue(0)
        if self._stale:
            self._pending = (-1, QAbstractItemView.ScrollHint.PositionAtTop)

    def horizontalOffset(self) -> int:  # Qt's name
        return 0

    def verticalOffset(self) -> int:  # Qt's name
        return self.verticalScrollBar().value()

    def isIndexHidden(self, index: QModelIndex) -> bool:  # type: ignore[override]  # Qt's name
        return False

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # Qt's name
        self.viewport().update()

    def moveCursor(  # noqa: C901 - Qt's moveCursor: one branch per key
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        rows = self._rows()
        layout = self.layout_data
        if not rows or layout is None or not layout.count:
            return QModelIndex()
        current = self.currentIndex().row() if self.currentIndex().isValid() else -1
        if current < 0 or current >= min(rows, layout.count):
            return self.model().index(0, 0)
        x, y, w, h = layout.rect(current)
        target = current
        if action in (Cursor.MoveLeft, Cursor.MovePrevious):
            target = current - 1
        elif action in (Cursor.MoveRight, Cursor.MoveNext):
            target = current + 1
        elif action == Cursor.MoveHome:
            target = 0
        elif action == Cursor.MoveEnd:
            target = rows - 1
        else:
            row = layout.row_of(current)
            if action == Cursor.MoveUp:
                row -= 1
            elif action == Cursor.MoveDown:
                row += 1
            elif action in (Cursor.MovePageUp, Cursor.MovePageDown):
                step = self.viewport().height() * (1 if action == Cursor.MovePageDown else -1)
                row = max(0, layout.row_at(y + step))
            if 0 <= row < len(layout.row_top):
                centre = x + w // 2
                target = min(layout.items_of(row), key=lambda i: abs(layout.x[i] + layout.w[i] // 2 - centre))
        target = max(0, min(target, rows - 1, layout.count - 1))
        return self.model().index(target, 0)

    def setSelection(self, rect: QRect, command: QItemSelectionModel.SelectionFlag) -> None:  # Qt's name
        """Select the photos between the two corners in display order (the anchor and where the
        pointer or the cursor is), as photo apps select a range."""
        layout = self.layout_data
        if layout is None or not layout.count:
            return
        offset = self.verticalOffset()
        a = layout.nearest(rect.left(), rect.top() + offset)
        b = layout.nearest(rect.right(), rect.bottom() + offset)
        if a is None or b is None:
            return
        last = min(layout.count, self._rows()) - 1
        first, end = max(0, min(a, b)), min(max(a, b), last)
        if first > end:
            return
        model = self.model()
        self.selectionModel().select(QItemSelection(model.index(first, 0), model.index(end, 0)), command)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:  # Qt's name
        region = QRegion()
        first, end = self._visible_items()
        for span in (selection.at(i) for i in range(selection.size())):
            for row in range(max(span.top(), first), min(span.bottom() + 1, end)):
                region += self.visualRect(self.model().index(row, 0))
        return region

    def _visible_items(self) -> tuple[int, int]:
        layout = self.layout_data
        if layout is None or not layout.count:
            return 0, 0
        top = self.verticalOffset()
        first_row = max(0, layout.row_at(top))
        last_row = max(0, layout.row_at(top + self.viewport().height()))
        return layout.row_first[first_row], min(layout.row_first[last_row + 1], self._rows())

    # -- painting ---------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt's name
        """Headers and the photos in view: rows found by binary search, nothing done for the others."""
        layout = self.layout_data
        if layout is None:
            return
        painter = QPainter(self.viewport())
        offset = self.verticalOffset()
        self._paint_headers(painter, layout, offset)
        model, selection = self.model(), self.selectionModel()
        current = self.currentIndex().row() if self.hasFocus() and self.currentIndex().isValid() else -1
        palette = self.palette()
        area = event.rect()
        rows = min(layout.count, self._rows())
        first_row = max(0, layout.row_at(offset + area.top()))
        last_row = layout.row_at(offset + area.bottom())
        left, right = area.left(), area.right()
        for row in range(first_row, last_row + 1):
            top = layout.row_top[row] - offset
            height = layout.row_height[row]
            for item in range(layout.row_first[row], min(layout.row_first[row + 1], rows)):
                x, w = layout.x[item], layout.w[item]
                if x + w <= left or x > right:
                    continue  # outside the area to repaint (a thumbnail arrived beside it)
                selected = selection.isSelected(model.index(item, 0))
                self.paint_item(painter, item, QRect(x, top, w, height), selected, item == current, palette)
        painter.end()

    def paint_item(
        self, painter: QPainter, row: int, cell: QRect, selected: bool, current: bool, palette: QPalette
    ) -> None:
        """One item in its cell, through the item delegate (`PhotoGrid` paints its tiles directly)."""
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = cell
        option.palette = palette
        state = option.state
        if selected:
            state |= QStyle.StateFlag.State_Selected
        if current:
            state |= QStyle.StateFlag.State_HasFocus
        option.state = state
        self.itemDelegate().paint(painter, option, self.model().index(row, 0))

    def _paint_headers(self, painter: QPainter, layout: Layout, offset: int) -> None:
        if not layout.headers:
            return
        height = self.viewport().height()
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        painter.save()
        painter.setFont(font)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        first = bisect_right(layout.headers, offset - HEADER_HEIGHT, key=lambda h: h.top)
        for header in layout.headers[first:]:
            top = header.top - offset
            if top > height:
                break
            painter.drawText(
                QRect(8, top, layout.width - 16, HEADER_HEIGHT),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                header.title,
            )
        painter.restore()

    # -- the date beside the scroll bar ------------------------------------------------------------

    def _show_date(self, value: int) -> None:
        bar = self.verticalScrollBar()
        layout = self.layout_data
        if not bar.isSliderDown() or layout is None or not layout.headers:
            return
        fraction = value / bar.maximum() if bar.maximum() else 0.0
        self.date_label.setText(layout.month_at(value + round(fraction * self.viewport().height())))
        self.date_label.adjustSize()
        label = self.date_label
        option = QStyleOptionSlider()
        bar.initStyleOption(option)
        handle = bar.style().subControlRect(
            QStyle.ComplexControl.CC_ScrollBar, option, QStyle.SubControl.SC_ScrollBarSlider, bar
        )
        corner = bar.mapTo(self, QPoint(0, 0))
        y = corner.y() + handle.center().y() - label.height() // 2
        label.move(corner.x() - label.width() - 8, max(0, min(y, self.height() - label.height())))
        label.show()
        label.raise_()
        self._hide_date.stop()


def _timed_layout(shapes: Shapes, width: int, size: int, grouped: bool) -> tuple[Layout, float]:
    import time

    started = time.perf_counter()
    layout = justify(shapes, width, size, grouped=grouped)
    return layout, (time.perf_counter() - started) * 1000
