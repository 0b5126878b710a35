"""A slideshow: the next photo after an interval, until the person does anything at all.

The interval counts from the moment a photo is on screen, so a slow decode never
shortens the time a photo is shown. While the show runs, every key, click, wheel
turn, touch or gesture anywhere in the app only stops it (it does not also act),
and so does moving the mouse more than a few pixels.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent

INTERVALS = (2, 3, 5, 10, 20)
"""Seconds a person can choose from."""

DEFAULT_INTERVAL = 5.0

_STOPPING = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.Gesture,
        QEvent.Type.NativeGesture,
        QEvent.Type.TabletPress,
    }
)
_MOVE_THRESHOLD = 12.0  # pixels of pointer travel a bumped desk may cause without stopping the show


class Slideshow(QObject):
    """Emits `advance` every `interval` seconds after `photo_shown`; `stopped` once any input ends it."""

    advance = Signal()
    started = Signal()
    stopped = Signal()

    def __init__(self, interval: float = DEFAULT_INTERVAL, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval = interval
        self.running = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may fire 5% early
        self._timer.timeout.connect(self._next)
        self._pointer: QPointF | None = None
        self._swallow_key: int | None = None  # the key press that stopped the show: it does nothing else

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self._pointer = None
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.started.emit()

    def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        self._timer.stop()
        app = QCoreApplication.instance()
        if app is not None and self._swallow_key is None:
            app.removeEventFilter(self)
        self.stopped.emit()

    def photo_shown(self) -> None:
        """The current photo is on screen: the next one comes after the interval."""
        if self.running:
            self._timer.start(max(1, round(self.interval * 1000)))

    def _next(self) -> None:
        if self.running:
            self.advance.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's name
        kind = event.type()
        if not self.running:
            return self._swallow(event)
        if kind == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            # a key bound to a menu shortcut (F11, Ctrl+F): stop here instead of running the shortcut
            event.accept()
            self._swallow_key = event.key()
            self.stop()
            return True
        if kind in _STOPPING:
            if isinstance(event, QKeyEvent):
                self._swallow_key = None
            self.stop()
            return True
        if kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            point = event.globalPosition()
            if self._pointer is None:
                self._pointer = point
            elif (point - self._pointer).manhattanLength() > _MOVE_THRESHOLD:
                self.stop()
        return False

    def _swallow(self, event: QEvent) -> bool:
        """After a shortcut key stopped the show, its key press arrives too: drop it, then stop listening."""
        if self._swallow_key is None or event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        swallowed = event.key() == self._swallow_key
        self._swallow_key = None
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        return swallowed
