"""The photo itself: fit to the window or zoomed (wheel, keys, pinch), panned by dragging, sharp as it arrives.

The view holds the photo at one or more resolutions ("levels": the screen-size preview
first, the full resolution once decoded) and paints only the visible part of the
smallest level that is sharp enough at the current zoom, so zooming and panning a
24-megapixel photo costs about one window of pixels per frame. Zoom is kept in the
photo's own pixels (1.0 = 100%, one photo pixel on one screen pixel), so a sharper
level arriving while zoomed replaces the preview without moving anything.

Fit mode follows the widget's size; any zoom gesture leaves it, and zooming back out
past the fitting size returns to it.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QCursor,
    QImage,
    QMouseEvent,
    QNativeGestureEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGestureEvent, QPinchGesture, QSizePolicy, QWidget

ZOOM_STEP = 1.25
"""One wheel notch or one +/- key press."""

MAX_ZOOM = 16.0
"""1600%: enough to see single pixels of any photo."""

WINDOW_BACKGROUND = QColor(38, 38, 38)
FULL_SCREEN_BACKGROUND = QColor(0, 0, 0)


class ZoomView(QWidget):
    """Paints one photo at any zoom; `zoom_changed` after every change, `interacted` on any pointer input."""

    zoom_changed = Signal()
    interacted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Photo")
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.grabGesture(Qt.GestureType.PinchGesture)
        self.background = WINDOW_BACKGROUND
        self.message = ""
        self._levels: list[QImage] = []
        self._size = QSize()  # the photo's full size in its own pixels (display orientation)
        self._fit = True
        self._zoom = 1.0  # photo pixels -> device pixels, when not fitting
        self._center = QPointF()  # the photo point at the middle of the widget, when not fitting
        self._drag_from: QPointF | None = None
        self._cursor_hidden = False
        self._pinch_start: float | None = None  # the zoom when the current pinch began
        self.paints = 0  # frames painted (the benchmark's frame counter)
        self.paint_seconds = 0.0
        self._badge_until = 0.0
        self._badge_timer = QTimer(self)
        self._badge_timer.setSingleShot(True)
        self._badge_timer.timeout.connect(self.update)

    # -- what is shown ------------------------------------------------------------------------

    def set_image(self, image: QImage, full_size: QSize | None = None) -> None:
        """A new photo (its first level): fitted to the window."""
        self._levels = [image]
        self._size = QSize(full_size) if full_size is not None and not full_size.isEmpty() else image.size()
        self.message = ""
        self._fit = True
        self._drag_from = None
        self._update_cursor()
        self.zoom_changed.emit()
        self.update()

    def add_level(self, image: QImage) -> None:
        """A sharper copy of the same photo (the full resolution after the preview): nothing moves."""
        if not self._levels:
            self.set_image(image)
            return
        self._levels = sorted([*self._levels, image], key=lambda level: level.width())
        self.zoom_changed.emit()
        self.update()

    def clear(self, message: str = "") -> None:
        """No photo; `message` says why (loading, cannot be read)."""
        self._levels = []
        self._size = QSize()
        self.message = message
        self._fit = True
        self._drag_from = None
        self._update_cursor()
        self.zoom_changed.emit()
        self.update()

    @property
    def has_image(self) -> bool:
        return bool(self._levels)

    @property
    def photo_size(self) -> QSize:
        return QSize(self._size)

    @property
    def sharpest(self) -> QSize:
        """The size of the best level held so far."""
        return self._levels[-1].size() if self._levels else QSize()

    @property
    def full_resolution(self) -> bool:
        """True once every pixel of the photo (as far as the viewer decodes it) is held."""
        return bool(self._levels) and self._levels[-1].width() >= self._size.width()

    # -- zoom -----------------------------------------------------------------------------------

    @property
    def fitting(self) -> bool:
        return self._fit

    def fit_zoom(self) -> float:
        """The zoom (photo pixels to device pixels) at which the whole photo fits the widget."""
        if self._size.isEmpty() or self.width() < 1 or self.height() < 1:
            return 1.0
        ratio = self.devicePixelRatioF()
        return min(self.width() * ratio / self._size.width(), self.height() * ratio / self._size.height())

    def zoom(self) -> float:
        """The current zoom: 1.0 shows the photo at 100%."""
        return self.fit_zoom() if self._fit else self._zoom

    def min_zoom(self) -> float:
        return min(self.fit_zoom(), 1.0)

    def max_zoom(self) -> float:
        return max(MAX_ZOOM, self.fit_zoom())

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom so that the photo point under `anchor` (widget coordinates; default the middle) stays put.

        Zooming out past the fitting size fits the photo again (and follows the window from then on).
        """
        if not self._levels:
            return
        before = self.zoom()
        zoom = max(self.min_zoom(), min(zoom, self.max_zoom()))
        fit = self.fit_zoom()
        at_fit = abs(zoom - fit) <= 1e-6 * fit
        if at_fit or (zoom < fit < before * (1 - 1e-6)):  # reached or crossed the fitting size
            self._fit = True
            self._show_badge()
            self._changed()
            return
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        point = self.to_photo(anchor)
        self._center = self._current_center()
        self._fit = False
        self._zoom = zoom
        scale = zoom / self.devicePixelRatioF()
        middle = QPointF(self.width() / 2, self.height() / 2)
        self._center = point - (anchor - middle) / scale  # keeps `point` under `anchor`
        self._clamp()
        self._show_badge()
        self._changed()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self.zoom() * factor, anchor)

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def fit(self) -> None:
        if self._levels and not self._fit:
            self._fit = True
            self._show_badge()
            self._changed()

    def actual_size(self, anchor: QPointF | None = None) -> None:
        """100%: one photo pixel on one screen pixel, around `anchor`."""
        if not self._levels:
            return
        point = self.to_photo(anchor) if anchor is not None else self._current_center()
        self._fit = False
        self._zoom = 1.0
        self._center = point
        if anchor is not None:
            middle = QPointF(self.width() / 2, self.height() / 2)
            self._center = point - (anchor - middle) / (1.0 / self.devicePixelRatioF())
        self._clamp()
        self._show_badge()
        self._changed()

    def toggle_fit(self, anchor: QPointF | None = None) -> None:
        """Double-click: fit <-> 100% at the clicked point."""
        if self._fit:
            self.actual_size(anchor)
        else:
            self.fit()

    # -- panning --------------------------------------------------------------------------------

    def can_pan(self) -> bool:
        """True when the photo is larger than the widget in some direction."""
        if not self._levels or self._fit:
            return False
        scale = self._zoom / self.devicePixelRatioF()
        return self._size.width() * scale > self.width() + 0.5 or self._size.height() * scale > self.height() + 0.5

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the photo by (dx, dy) widget pixels, as a drag does."""
        if not self.can_pan():
            return
        scale = self._zoom / self.devicePixelRatioF()
        self._center = self._center - QPointF(dx, dy) / scale
        self._clamp()
        self._changed()

    def center(self) -> QPointF:
        """The photo point (in full-resolution pixels) at the middle of the widget."""
        return self._current_center()

    # -- geometry -------------------------------------------------------------------------------

    def to_photo(self, point: QPointF) -> QPointF:
        """Widget coordinates to photo pixel coordinates."""
        scale = self.zoom() / self.devicePixelRatioF()
        middle = QPointF(self.width() / 2, self.height() / 2)
        return self._current_center() + (point - middle) / scale

    def photo_rect(self) -> QRectF:
        """Where the whole photo lies in widget coordinates (larger than the widget when zoomed in)."""
        scale = self.zoom() / self.devicePixelRatioF()
        center = self._current_center()
        left = self.width() / 2 - center.x() * scale
        top = self.height() / 2 - center.y() * scale
        return QRectF(left, top, self._size.width() * scale, self._size.height() * scale)

    def _current_center(self) -> QPointF:
        if self._fit or self._size.isEmpty():
            return QPointF(self._size.width() / 2, self._size.height() / 2)
        return QPointF(self._center)

    def _clamp(self) -> None:
        """Keep the photo covering the widget where it is larger than it, centred where it is smaller."""
        scale = self._zoom / self.devicePixelRatioF()
        x, y = self._center.x(), self._center.y()
        half_w, half_h = self.width() / 2 / scale, self.height() / 2 / scale
        width, height = self._size.width(), self._size.height()
        x = width / 2 if width <= 2 * half_w else max(half_w, min(x, width - half_w))
        y = height / 2 if height <= 2 * half_h else max(half_h, min(y, height - half_h))
        self._center = QPointF(x, y)

    def _changed(self) -> None:
        self._update_cursor()
        self.zoom_changed.emit()
        self.update()

    def hide_cursor(self, hidden: bool) -> None:
        """No pointer over the photo (a slideshow); it comes back with the next input."""
        self._cursor_hidden = hidden
        self._update_cursor()

    def _update_cursor(self) -> None:
        if self._cursor_hidden:
            self.setCursor(QCursor(Qt.CursorShape.BlankCursor))
        elif self._drag_from is not None:
            self.setCursor(QCursor(Qt.CursorShape.ClosedHandCursor))
        elif self.can_pan():
            self.setCursor(QCursor(Qt.CursorShape.OpenHandCursor))
        else:
            self.unsetCursor()

    def _show_badge(self) -> None:
        self._badge_until = time.monotonic() + 1.2
        self._badge_timer.start(1250)

    # -- painting -------------------------------------------------------------------------------

    def _level_for(self, zoom: float) -> QImage:
        """The smallest level with at least one of its pixels per device pixel (else the sharpest)."""
        for level in self._levels:
            if level.width() >= self._size.width() * zoom * 0.999:
                return level
        return self._levels[-1]

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt's name
        started = time.perf_counter()
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.background)
        if not self._levels:
            if self.message:
                painter.setPen(QColor(220, 220, 220))
                painter.drawText(
                    self.rect().adjusted(24, 24, -24, -24),
                    Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                    self.message,
                )
            painter.end()
            return
        zoom = self.zoom()
        level = self._level_for(zoom)
        target = self.photo_rect()
        visible = target.intersected(QRectF(event.rect()))
        if not visible.isEmpty():
            per_photo_pixel = level.width() / self._size.width()  # level pixels per photo pixel
            scale = target.width() / self._size.width()  # widget pixels per photo pixel
            source = QRectF(
                (visible.left() - target.left()) / scale * per_photo_pixel,
                (visible.top() - target.top()) / scale * per_photo_pixel,
                visible.width() / scale * per_photo_pixel,
                visible.height() / scale * per_photo_pixel,
            )
            magnified = zoom / per_photo_pixel > 2.0  # beyond 200%: show the pixels, crisp
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not magnified)
            painter.drawImage(visible, level, source)
        if time.monotonic() < self._badge_until:
            self._paint_badge(painter, "Fit" if self._fit else f"{zoom:.0%}")
        painter.end()
        self.paints += 1
        self.paint_seconds += time.perf_counter() - started

    def _paint_badge(self, painter: QPainter, text: str) -> None:
        """The zoom level, briefly, at the bottom of the photo."""
        metrics = painter.fontMetrics()
        width, height = metrics.horizontalAdvance(text) + 24, metrics.height() + 12
        box = QRectF((self.width() - width) / 2, self.height() - height - 16, width, height)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 170))
        painter.drawRoundedRect(box, 6, 6)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    # -- input ----------------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:  # Qt's name
        """A mouse wheel zooms around the pointer; a touchpad's two-finger scroll pans a zoomed photo."""
        self.interacted.emit()
        modifiers = event.modifiers()
        pixels = event.pixelDelta()
        if not pixels.isNull() and not modifiers & Qt.KeyboardModifier.ControlModifier:
            self.pan_by(pixels.x(), pixels.y())  # a touchpad moves the photo with the fingers (pinch zooms)
        else:
            steps = event.angleDelta().y() / 120
            if steps:
                self.zoom_by(ZOOM_STEP**steps, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt's name
        self.interacted.emit()
        if event.button() == Qt.MouseButton.LeftButton and self.can_pan():
            self._drag_from = event.position()
            self._update_cursor()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # Qt's name
        if self._drag_from is not None:
            delta = event.position() - self._drag_from
            self._drag_from = event.position()
            self.pan_by(delta.x(), delta.y())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # Qt's name
        if event.button() == Qt.MouseButton.LeftButton and self._drag_from is not None:
            self._drag_from = None
            self._update_cursor()
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # Qt's name
        self.interacted.emit()
        if event.button() == Qt.MouseButton.LeftButton:
            self.toggle_fit(event.position())
        event.accept()

    def event(self, event: QEvent) -> bool:  # Qt's name
        if event.type() == QEvent.Type.Gesture and isinstance(event, QGestureEvent):
            return self._gesture(event)
        if event.type() == QEvent.Type.NativeGesture and isinstance(event, QNativeGestureEvent):
            return self._native_gesture(event)
        return super().event(event)

    def _gesture(self, event: QGestureEvent) -> bool:
        """A touch screen's pinch: zoom around the fingers."""
        pinch = event.gesture(Qt.GestureType.PinchGesture)
        if not isinstance(pinch, QPinchGesture):
            return False
        self.interacted.emit()
        if pinch.state() == Qt.GestureState.GestureStarted or self._pinch_start is None:
            self._pinch_start = self.zoom()
        if pinch.changeFlags() & QPinchGesture.ChangeFlag.ScaleFactorChanged:
            anchor = self.mapFromGlobal(pinch.centerPoint().toPoint())
            self.set_zoom(self._pinch_start * pinch.totalScaleFactor(), QPointF(anchor))
        if pinch.state() in (Qt.GestureState.GestureFinished, Qt.GestureState.GestureCanceled):
            self._pinch_start = None
        event.accept(pinch)
        return True

    def _native_gesture(self, event: QNativeGestureEvent) -> bool:
        """A touchpad's pinch (macOS, Wayland): zoom around the pointer; a smart zoom toggles fit/100%."""
        kind = event.gestureType()
        if kind == Qt.NativeGestureType.ZoomNativeGesture:
            self.interacted.emit()
            self.zoom_by(1.0 + event.value(), event.position())
            return True
        if kind == Qt.NativeGestureType.SmartZoomNativeGesture:
            self.interacted.emit()
            self.toggle_fit(event.position())
            return True
        return bool(super().event(event))

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's name
        super().resizeEvent(event)
        if not self._fit and self._levels:
            if self._zoom < self.fit_zoom() and self._zoom < 1.0:
                self._fit = True
            else:
                self._clamp()
            self._update_cursor()
        self.zoom_changed.emit()
