"""Playing a video in the viewer: Qt Multimedia from the matching moment, its scenes on a timeline.

The timeline shows the clip's scenes as segments, the ones that matched the
search highlighted (the best one strongest), and the playhead; clicking or
dragging seeks, the buttons jump from scene to scene, and "Find similar" searches
with the scene being shown. Qt Multimedia comes with the `video` extra
(PySide6-Addons); where it is missing, or its backend cannot start, the pane
says so in words, shows the poster frame, and offers the system's video player.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from photoclip.core import format_clip_time

if TYPE_CHECKING:
    from photoclip.core import Photo, SceneHit, SceneSpan

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'photoclip[video]'"


@functools.cache
def multimedia_problem() -> str | None:
    """Why videos cannot play in this app (None when they can), in words for the person."""
    try:
        from PySide6 import QtMultimedia, QtMultimediaWidgets  # noqa: F401 - presence check
    except ImportError as e:
        if "cannot import name" in str(e) or "No module named" in str(e):
            return f"Videos cannot play here: Qt Multimedia is not installed ({INSTALL_HINT})."
        return f"Videos cannot play here: Qt Multimedia could not load a library it needs ({e})."
    from PySide6.QtMultimedia import QMediaPlayer

    player = QMediaPlayer()
    if not player.isAvailable():
        return "Videos cannot play here: Qt Multimedia has no working backend on this system."
    return None


class FrameView(QWidget):
    """Shows the clip's current frame (or its poster until the first frame arrives), scaled to fit.

    Frames come from a QVideoSink and are painted here, rather than by a native video
    surface, so the view works the same on every platform, offscreen, and in a grab().
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.frames = 0  # frames shown since the clip was set
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(200, 150)
        self.setAccessibleName("Video")

    def set_image(self, image: QImage | None, *, frame: bool = False) -> None:
        self.image = image
        if frame:
            self.frames += 1
        else:
            self.frames = 0
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        if self.image is not None and not self.image.isNull():
            size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(self.rect().center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self.image)
        painter.end()


class SceneTimeline(QWidget):
    """The clip's scenes as segments along its length; matched scenes highlighted; click or drag to seek."""

    seek_requested = Signal(float)  # seconds

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.duration = 0.0
        self.position = 0.0
        self.spans: list[SceneSpan] = []
        self.matched: dict[int, int] = {}  # scene index -> rank among the matches (0: best)
        self.setMinimumHeight(26)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Timeline")
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:  # Qt's name
        return QSize(400, 26)

    def set_clip(self, duration: float, spans: Sequence[SceneSpan], matches: Sequence[SceneHit]) -> None:
        self.duration = max(duration, 0.0)
        self.spans = list(spans)
        self.matched = {m.index: rank for rank, m in enumerate(matches)}
        self.position = 0.0
        self.update()

    def set_position(self, seconds: float) -> None:
        self.position = seconds
        self.update()

    def scene_at(self, seconds: float) -> SceneSpan | None:
        for span in self.spans:
            if span.start <= seconds < span.end:
                return span
        return self.spans[-1] if self.spans and seconds >= self.spans[-1].start else None

    def x_of(self, seconds: float) -> int:
        inner = self.rect().adjusted(2, 0, -2, 0)
        return inner.left() + round(inner.width() * (seconds / self.duration if self.duration else 0.0))

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt's name
        painter = QPainter(self)
        palette = self.palette()
        bar = self.rect().adjusted(2, 8, -2, -8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.Mid))
        painter.drawRoundedRect(bar, 3, 3)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        for span in self.spans:
            left, right = self.x_of(span.start), self.x_of(span.end)
            rank = self.matched.get(span.index)
            if rank is not None:
                colour = QColor(highlight)
                colour.setAlpha(255 if rank == 0 else 140)
                painter.setBrush(colour)
                painter.drawRect(QRect(left, bar.top() - 3, max(2, right - left), bar.height() + 6))
            if span.start > 0:
                painter.setBrush(palette.color(QPalette.ColorRole.Base))
                painter.drawRect(QRect(left, bar.top(), 1, bar.height()))
        painter.setBrush(palette.color(QPalette.ColorRole.Text))
        x = self.x_of(self.position)
        painter.drawRect(QRect(x - 1, 2, 3, self.height() - 4))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt's name
        self._seek_to(event.position().x())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # Qt's name
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._seek_to(event.position().x())

    def _seek_to(self, x: float) -> None:
        if self.duration <= 0:
            return
        inner = self.rect().adjusted(2, 0, -2, 0)
        fraction = min(max((x - inner.left()) / max(inner.width(), 1), 0.0), 1.0)
        self.seek_requested.emit(fraction * self.duration)


class VideoPane(QWidget):
    """One video: played from the matching moment, with its scenes; `similar_requested(photo id, scene)`."""

    similar_requested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.photo: Photo | None = None
        self.start_at = 0.0
        self._player: Any = None
        self._audio: Any = None
        self.screen_stack = QStackedWidget()
        self.poster = QLabel()
        self.poster.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.poster.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.poster.setAccessibleName("Video frame")
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setAccessibleName("Video notice")
        poster_page = QWidget()
        poster_layout = QVBoxLayout(poster_page)
        poster_layout.addWidget(self.poster, 1)
        poster_layout.addWidget(self.notice)
        self.screen_stack.addWidget(poster_page)
        self.frame_view = FrameView()
        self.screen_stack.addWidget(self.frame_view)
        self.problem = multimedia_problem()
        if self.problem is None:
            self._make_player()
        style = self.style()
        self.play_button = QPushButton("Play")
        self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setAccessibleName("Play or pause")
        self.play_button.setToolTip("Play or pause (Space or K)")
        self.play_button.clicked.connect(self.toggle_play)
        previous = QPushButton()  # icons only: the controls fit beside the info panel in a small window
        previous.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipBackward))
        previous.setAccessibleName("Previous scene")
        previous.setToolTip("Go to the scene before")
        previous.clicked.connect(lambda: self.jump_scene(-1))
        following = QPushButton()
        following.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward))
        following.setAccessibleName("Next scene")
        following.setToolTip("Go to the scene after")
        following.clicked.connect(lambda: self.jump_scene(1))
        self.similar_button = QPushButton("Find similar")
        self.similar_button.setToolTip("Find photos and videos like the scene on screen")
        self.similar_button.setAccessibleName("Find similar to this scene")
        self.similar_button.clicked.connect(self._similar)
        self.external = QPushButton("Open in player")
        self.external.setToolTip("Open the video in the system's video player")
        self.external.clicked.connect(self._open_externally)
        self.clock = QLabel("0:00 / 0:00")
        self.clock.setAccessibleName("Time")
        for button in (self.play_button, previous, following, self.similar_button, self.external):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.setEnabled(self.problem is None)
        self.timeline = SceneTimeline()
        self.timeline.seek_requested.connect(self.seek)
        self._controls = QHBoxLayout()  # playing; then the actions, on a row of their own when narrow
        for widget in (self.play_button, previous, following, self.clock):
            self._controls.addWidget(widget)
        self._controls.addStretch(1)
        self._actions = QHBoxLayout()
        self._actions.addStretch(1)
        self._action_buttons = (self.similar_button, self.external)
        for button in self._action_buttons:
            self._controls.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.screen_stack, 1)
        layout.addWidget(self.timeline)
        layout.addLayout(self._controls)
        layout.addLayout(self._actions)
        playing = sum(w.sizeHint().width() for w in (self.play_button, previous, following, self.clock))
        actions = sum(b.sizeHint().width() for b in self._action_buttons)
        spacing = max(layout.spacing(), 6)
        self._one_row_width = playing + actions + 6 * spacing
        # the pane never makes the viewer (a page of the window) wider than the photo view needs
        self.setMinimumWidth(max(playing, actions) + 4 * spacing)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's name
        super().resizeEvent(event)
        narrow = event.size().width() < self._one_row_width
        target, other = (self._actions, self._controls) if narrow else (self._controls, self._actions)
        for button in self._action_buttons:
            if target.indexOf(button) < 0:
                other.removeWidget(button)
                target.addWidget(button)

    def _make_player(self) -> None:
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoSink

        self._player = QMediaPlayer(self)
        self._audio = QAudioOutput(self)
        self._player.setAudioOutput(self._audio)
        self._sink = QVideoSink(self)
        self._sink.videoFrameChanged.connect(self._frame)
        self._player.setVideoSink(self._sink)
        self._player.positionChanged.connect(self._position_changed)
        self._player.mediaStatusChanged.connect(self._status_changed)
        self._player.playbackStateChanged.connect(self._state_changed)
        self._player.errorOccurred.connect(self._error)

    # -- what is shown --------------------------------------------------------------------------

    def show_video(
        self, photo: Photo, spans: Sequence[SceneSpan], matches: Sequence[SceneHit], poster: QPixmap | None
    ) -> None:
        """Show a clip: from the start of its best match when it was found by a search, else from the start."""
        self.stop()
        self.photo = photo
        self.start_at = matches[0].start if matches else 0.0
        duration = photo.duration or 0.0
        self.timeline.set_clip(duration, spans, matches)
        self.timeline.set_position(self.start_at)
        self._show_clock(self.start_at)
        self.similar_button.setEnabled(bool(spans))
        self.set_poster(poster)
        if self._player is None:
            self.notice.setText(self.problem or "")
            self.screen_stack.setCurrentIndex(0)
            return
        self.notice.setText("")
        self.frame_view.set_image(poster.toImage() if poster is not None else None)  # until the first frame
        self.screen_stack.setCurrentWidget(self.frame_view)
        self._player.setSource(QUrl.fromLocalFile(str(photo.path)))

    def set_poster(self, poster: QPixmap | None) -> None:
        if poster is None:
            self.poster.setPixmap(QPixmap())
            return
        size = self.poster.size() * self.devicePixelRatioF()
        scaled = poster.scaled(
            size if size.width() > 10 else poster.size(),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self.poster.setPixmap(scaled)

    def stop(self) -> None:
        if self._player is not None:
            self._player.stop()
            self._player.setSource(QUrl())
        self.photo = None

    @property
    def position(self) -> float:
        """Seconds into the clip: where it plays, or where it was asked to go (before it has opened)."""
        return self.timeline.position

    @property
    def playing(self) -> bool:
        if self._player is None:
            return False
        from PySide6.QtMultimedia import QMediaPlayer

        return bool(self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState)

    # -- actions ----------------------------------------------------------------------------------

    def toggle_play(self) -> None:
        if self._player is None:
            return
        if self.playing:
            self._player.pause()
        else:
            self._player.play()

    def seek(self, seconds: float) -> None:
        self.timeline.set_position(seconds)
        self._show_clock(seconds)
        if self._player is not None:
            self._player.setPosition(int(seconds * 1000))

    def jump_scene(self, step: int) -> None:
        spans = self.timeline.spans
        if not spans:
            return
        current = self.timeline.scene_at(self.position + 0.01)
        at = spans.index(current) if current is not None else 0
        target = spans[min(max(at + step, 0), len(spans) - 1)]
        self.seek(target.start)

    def current_scene(self) -> SceneSpan | None:
        return self.timeline.scene_at(self.position)

    def _similar(self) -> None:
        scene = self.current_scene()
        if self.photo is not None and scene is not None:
            self.similar_requested.emit(int(self.photo.id), scene.index)

    def _open_externally(self) -> None:
        if self.photo is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.photo.path))))

    # -- the player's news ------------------------------------------------------------------------

    def _status_changed(self, status: Any) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if status == QMediaPlayer.MediaStatus.LoadedMedia and self.photo is not None:
            # the matching moment (or wherever the person went meanwhile), once the clip is open
            self._player.setPosition(int(self.timeline.position * 1000))
            self._player.play()
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._fail("This video cannot be played here (its format or codec is not supported by the player).")

    def _state_changed(self, state: Any) -> None:
        playing = self.playing
        self.play_button.setText("Pause" if playing else "Play")
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _frame(self, frame: Any) -> None:
        if self.photo is not None and frame.isValid():
            self.frame_view.set_image(frame.toImage(), frame=True)

    def _position_changed(self, milliseconds: int) -> None:
        seconds = milliseconds / 1000
        self.timeline.set_position(seconds)
        self._show_clock(seconds)

    def _error(self, error: Any, message: str) -> None:
        if self.photo is not None and message:
            self._fail(f"This video cannot be played: {message}")

    def _fail(self, message: str) -> None:
        log.info("%s: %s", self.photo.path if self.photo else "video", message)
        self.notice.setText(message)
        self.screen_stack.setCurrentIndex(0)

    def _show_clock(self, seconds: float) -> None:
        duration = self.photo.duration if self.photo is not None and self.photo.duration else 0.0
        self.clock.setText(f"{format_clip_time(seconds)} / {format_clip_time(duration)}")
