"""The large view of one photo: zoom and pan, full screen, a slideshow, and everything about the photo beside it.

Arrow keys walk through the photos of the grid in its order. The wheel, + and -,
and a pinch zoom; a double-click or Z toggles fit and 100% (digits rate the photo, through the
window's Rate actions); dragging pans a zoomed photo
(see `image_view`). F or F11 shows the photo alone on the screen (Esc comes back),
S or F5 starts a slideshow that any input stops, and I shows or hides the info panel.

The photo arrives progressively, all of it decoded on the background pool (the file
is only read): a screen-sized preview first, then the full resolution, which replaces
it without moving anything; the next photo's preview is decoded ahead, so leafing
and slideshows do not wait. The info panel (`photo_info`) explains the photo: when it
was taken and how we know, where it was taken, the text read in it (selectable, with a
button to copy it), the camera's record (read from the file, not stored), its
similarity to the current query, its tags (accept, reject, add, remove right there),
and what the model itself sees in it.

A video plays instead of the zoomable photo (`ui.player`), from the moment that
matched the search, with its scenes on a timeline; Space or K plays and pauses it,
the zoom keys leave it alone, and a slideshow shows it for one interval like a photo.
"""

from __future__ import annotations

import html
import logging
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QHideEvent, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QMenu,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photoclip.core import PhotoclipError, PhotoId
from photoclip.ui.controller import MODEL_READY, LibraryController
from photoclip.ui.icons import icon
from photoclip.ui.image_view import FULL_SCREEN_BACKGROUND, WINDOW_BACKGROUND, ZoomView
from photoclip.ui.photo_info import ElidedLabel, InfoPanel, ModelView, PhotoDetails
from photoclip.ui.player import VideoPane
from photoclip.ui.slideshow import INTERVALS, Slideshow
from photoclip.ui.tag_edits import TagEdits
from photoclip.ui.theme import ICON_SIZE

if TYPE_CHECKING:
    from PIL import Image

    from photoclip.core import Library, Photo, SceneHit, SceneSpan, Tag
    from photoclip.ui.settings import AppSettings
    from photoclip.ui.undo import UndoStack

__all__ = [
    "ClipToPlay",
    "PhotoDetails",
    "PhotoViewer",
    "ViewImage",
    "decode_for_view",
    "pil_to_qimage",
    "show_in_folder",
]

log = logging.getLogger(__name__)

PREVIEW_SIDE = 2048
PREVIEW_MIN_SIDE = 1024
"""Longest side of the first, quick picture: what the view needs at fit, within these bounds."""

VIEWER_MAX_PIXELS = 50_000_000
"""The full resolution is decoded up to this many pixels (200 MB as shown); bigger photos are reduced to it."""

PREVIEWS_KEPT = 4
FULL_RESOLUTION_DELAY_MS = 150  # leafing quickly through photos never starts a full decode
LEAFING_SECONDS = 0.4  # a step this soon after the previous one counts as leafing
LOADING_MESSAGE_DELAY_MS = 300  # a quick decode shows no "Loading…" flash


@dataclass(frozen=True)
class ViewImage:
    """A decoded picture ready to paint, with the photo's full size (upright) it stands for."""

    image: QImage
    full_size: QSize


@dataclass(frozen=True)
class ClipToPlay:
    """What the viewer needs to show a video: its row, its scenes and a poster frame at the moment to start."""

    photo: Photo
    spans: list[SceneSpan]
    poster: QImage | None


def pil_to_qimage(image: Image.Image) -> QImage:
    """A QImage on the very bytes Pillow packs (RGBX: its own layout for RGB, so no per-pixel work).

    PySide keeps the bytes alive as long as the QImage uses them, so nothing is copied
    again; Qt paints RGBX directly (and fast enough: see benchmarks/gui.py viewer).
    """
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    data = rgb.tobytes("raw", "RGBX")
    return QImage(data, rgb.width, rgb.height, rgb.width * 4, QImage.Format.Format_RGBX8888)


def decode_for_view(path: Path, longest: int | None, full_size: QSize | None = None) -> ViewImage:
    """Decode a photo for the screen: at most `longest` pixels on its long side, or the full resolution (None).

    Raises PhotoclipError (DecodeError) with the reason a person should read.
    """
    from photoclip.core import decode_photo

    min_side = None
    if longest is not None and full_size is not None and not full_size.isEmpty():
        # libjpeg then decodes at 1/2, 1/4 or 1/8 scale: the short side only needs its share of `longest`
        short, long = sorted((full_size.width(), full_size.height()))
        min_side = max(1, -(-longest * short // long))
    elif longest is None and full_size is not None and full_size.width() * full_size.height() > VIEWER_MAX_PIXELS:
        factor = (full_size.width() * full_size.height() / VIEWER_MAX_PIXELS) ** 0.5
        min_side = int(min(full_size.width(), full_size.height()) / factor)
    decoded = decode_photo(path, min_side=min_side)
    image = decoded.image
    if longest is not None and max(image.size) >= 2 * longest:  # a box filter by a whole factor: cheap
        image = image.reduce(max(image.size) // longest)
    size = QSize(decoded.info.width, decoded.info.height)
    return ViewImage(pil_to_qimage(image), size)


def read_clip(library: Library, photo: Photo, longest: int, matches: Sequence[SceneHit]) -> ClipToPlay:
    """On the pool: a video's scenes and its poster frame (the best match's, else the first), for the player."""
    from photoclip.core import frame_at

    try:
        frame = frame_at(photo.path, matches[0].frame if matches else 0.0, max_side=longest)
        poster: QImage | None = pil_to_qimage(frame)
    except PhotoclipError as e:
        log.info("no poster frame for %s: %s", photo.path, e)
        poster = None  # the player may still manage; the pane says so if not
    return ClipToPlay(photo, library.searcher.scenes(photo.id), poster)


def load_details(library: Library, photo_id: int) -> PhotoDetails:
    """On the pool: the photo's row, tags, albums, place and text, and its EXIF read from the file."""
    from photoclip.core import PhotoExif, read_exif

    photo = library.photos.one(photo_id)
    tags = library.tags.tags_of([photo_id]).get(PhotoId(photo_id), [])
    albums = library.albums.albums_of(photo_id)
    exif = read_exif(photo.path) if photo is not None else PhotoExif()
    return PhotoDetails(
        photo,
        tags,
        albums,
        exif,
        place=library.places.of([photo_id]).get(PhotoId(photo_id)),
        text=library.texts.text_of(photo_id),
        text_state=library.texts.state_of(photo_id),
        ocr_missing=library.texts.status().how_to_get,
        rating=library.ratings.get(photo_id),
    )


def load_model_view(library: Library, photo_id: int) -> ModelView:
    """On the pool: the model's best labels for the photo (the first call encodes every label set's prompts)."""
    try:
        labels = library.tags.best_labels(photo_id)
        if not labels and not library.tags.best_labels(photo_id, top=1, minimum=0.0):
            return ModelView([], "This photo is not indexed yet.", photo_id)
    except PhotoclipError as e:
        return ModelView([], str(e), photo_id)
    return ModelView(labels, "", photo_id)


class PhotoViewer(QWidget):
    """One photo at a time; `closed` when the person goes back to the grid."""

    closed = Signal()
    current_changed = Signal(int)
    toggle_full_screen = Signal()
    shown = Signal(int)  # a photo's first picture is on screen (its id)
    sharpened = Signal(int)  # its full resolution replaced the preview
    similar_scene = Signal(int, int)  # "find similar" from a video's scene: (photo id, scene index)

    def __init__(
        self,
        controller: LibraryController,
        settings: AppSettings | None = None,
        undo: UndoStack | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.settings = settings
        self.tag_edits = TagEdits(controller, undo, self)
        self.ids: list[int] = []
        self.position = 0
        self.scores: dict[int, float] = {}
        self.matches: dict[int, tuple[SceneHit, ...]] = {}  # videos' matching scenes, best first (searching)
        self.query_context: tuple[str, float | None, float | None] | None = None  # query, typical, top score
        self.details: PhotoDetails | None = None
        self.model_view: ModelView | None = None
        self._model_for: int | None = None  # the photo whose model view is asked for or shown
        self.full_screen = False
        self._preview_request = controller.latest()
        self._full_request = controller.latest()
        self._prefetch_request = controller.latest()
        self._details_request = controller.latest()
        self._model_request = controller.latest()
        self._previews: OrderedDict[int, ViewImage] = OrderedDict()
        self._full_timer = QTimer(self)
        self._full_timer.setSingleShot(True)
        self._full_timer.setInterval(FULL_RESOLUTION_DELAY_MS)
        self._full_timer.timeout.connect(self._load_full)
        self._loading_timer = QTimer(self)
        self._loading_timer.setSingleShot(True)
        self._loading_timer.setInterval(LOADING_MESSAGE_DELAY_MS)
        self._loading_timer.timeout.connect(self._say_loading)
        self.slideshow = Slideshow(settings.slideshow_seconds if settings is not None else 5.0, self)
        self.slideshow.advance.connect(self._slideshow_next)
        self.slideshow.started.connect(self._on_slideshow_started)
        self.slideshow.stopped.connect(self._on_slideshow_stopped)
        self._full_screen_for_slideshow = False
        self._stepped_at = 0.0
        self._leafing = False  # the last step came right after the one before
        self._prefetching: int | None = None  # the photo whose preview is being decoded ahead
        self._settle_timer = QTimer(self)  # while leafing, the slower work waits until the steps stop
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(round(LEAFING_SECONDS * 1000))
        self._settle_timer.timeout.connect(self._after_picture_now)
        self._build()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        controller.tags_changed.connect(self._reload_details)
        controller.ratings_changed.connect(self._reload_details)
        controller.albums_changed.connect(self._reload_details)
        controller.photos_changed.connect(self._reload_details)  # text read, a place found
        controller.label_sets_changed.connect(lambda: self._reload_model_view(again=True))
        controller.model_state.connect(self._on_model_state)

    # -- building -------------------------------------------------------------------------------

    def _button(
        self,
        text: str,
        tip: str,
        slot: Callable[[], object],
        accessible: str | None = None,
        icon_name: str | None = None,
        *,
        with_text: bool = False,
    ) -> QToolButton:
        """A flat top-bar button: an icon alone (the text is its accessible name), or text, or both."""
        button = QToolButton()
        button.setText(text)
        if icon_name is not None:
            button.setIcon(icon(icon_name))
            button.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
            button.setToolButtonStyle(
                Qt.ToolButtonStyle.ToolButtonTextBesideIcon if with_text else Qt.ToolButtonStyle.ToolButtonIconOnly
            )
        button.setToolTip(tip)
        button.setAccessibleName(accessible or tip.split(" (")[0])
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setAutoRaise(True)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def _build(self) -> None:
        self.view = ZoomView()
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.view.interacted.connect(self.setFocus)
        self.view.zoom_changed.connect(self._show_zoom)
        self.title = ElidedLabel()
        self.title.setAccessibleName("Photo title")
        back = self._button(
            "Back", "Back to the photos (Esc)", self.closed.emit, "Back to photos", icon_name="photos", with_text=True
        )
        previous = self._button("Previous", "Previous photo (Left arrow)", lambda: self.step(-1), icon_name="back")
        following = self._button("Next", "Next photo (Right arrow)", lambda: self.step(1), icon_name="next")
        self.zoom_out_button = self._button("Zoom out", "Zoom out (−, wheel)", self.view.zoom_out, icon_name="zoom-out")
        self.zoom_button = self._button("Fit", "Fit / 100% (double-click, or Z)", self.view.toggle_fit, "Zoom")
        self.zoom_button.setMinimumWidth(52)
        self.zoom_in_button = self._button("Zoom in", "Zoom in (+, wheel)", self.view.zoom_in, icon_name="zoom-in")
        self.info_button = self._button(
            "Info", "Show or hide the photo's details (I)", self.toggle_info, icon_name="info"
        )
        self.info_button.setCheckable(True)
        self.slideshow_button = self._button(
            "Slideshow", "Start a slideshow (S); any key stops it", self.start_slideshow, icon_name="slideshow"
        )
        self.slideshow_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.slideshow_button.setMenu(self._interval_menu())
        self.full_screen_button = self._button(
            "Full screen", "The photo alone on the screen (F, F11)", self._ask_full, icon_name="full-screen"
        )
        self.top_bar = QWidget()
        self.top_bar.setObjectName("viewer-top-bar")
        top = QHBoxLayout(self.top_bar)
        top.setContentsMargins(0, 0, 0, 2)
        top.setSpacing(2)
        for widget in (back, previous, following):
            top.addWidget(widget)
        top.addSpacing(6)
        top.addWidget(self.title, 1)
        for widget in (self.zoom_out_button, self.zoom_button, self.zoom_in_button):
            top.addWidget(widget)
        top.addSpacing(6)
        for widget in (self.info_button, self.slideshow_button, self.full_screen_button):
            top.addWidget(widget)
        self.panel = InfoPanel()
        self.panel.tag_action.connect(self._tag_action)
        self.panel.add_tag.connect(self._add_tag)
        self.panel.show_in_folder.connect(show_in_folder)
        self.video = VideoPane()
        self.video.similar_requested.connect(self.similar_scene.emit)
        self.media = QStackedWidget()  # the zoomable photo, or a video's player
        self.media.addWidget(self.view)
        self.media.addWidget(self.video)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.media)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setCollapsible(0, False)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([900, 320])
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.setSpacing(2)
        self._layout.addWidget(self.top_bar)
        self._layout.addWidget(self.splitter, 1)
        self._info_wanted = self.settings.viewer_info if self.settings is not None else True
        self.panel.setVisible(self._info_wanted)
        self.info_button.setChecked(self._info_wanted)

    def _interval_menu(self) -> QMenu:
        menu = QMenu(self)
        group = QActionGroup(menu)
        for seconds in INTERVALS:
            action = QAction(f"Every {seconds} seconds", menu)
            action.setCheckable(True)
            action.setChecked(abs(self.slideshow.interval - seconds) < 1e-6)
            action.triggered.connect(lambda _checked=False, s=seconds: self.set_slideshow_interval(s))
            group.addAction(action)
            menu.addAction(action)
        return menu

    # -- navigation -----------------------------------------------------------------------------

    def show_photos(self, ids: Sequence[int], position: int, scores: Mapping[int, float] | None = None) -> None:
        self.ids = list(ids)
        self.scores = dict(scores or {})
        self.position = max(0, min(position, len(ids) - 1))
        self._leafing = False
        self._load()
        self.setFocus()

    def forget(self, photo_ids: Sequence[int]) -> None:
        """These photos are gone from what the viewer walks through (Del): the next one shows in the place
        of the one shown, the last photo's predecessor after the last; nothing when none is left."""
        gone = {int(i) for i in photo_ids}
        if not gone.intersection(self.ids):
            return
        shown = self.current_id
        before = sum(1 for i in self.ids[: self.position] if i in gone)
        self.ids = [i for i in self.ids if i not in gone]
        for photo_id in gone:
            self._previews.pop(photo_id, None)
        if not self.ids:
            self.leave()
            return
        self.position = min(self.position - before, len(self.ids) - 1)
        if shown in gone:
            self._load()

    @property
    def current_id(self) -> int | None:
        return self.ids[self.position] if self.ids else None

    def step(self, delta: int, *, wrap: bool = False) -> None:
        if not self.ids:
            return
        position = self.position + delta
        position = position % len(self.ids) if wrap else max(0, min(position, len(self.ids) - 1))
        if position != self.position:
            self.position = position
            now = time.monotonic()
            self._leafing = now - self._stepped_at < LEAFING_SECONDS
            self._stepped_at = now
            self._load()

    def leave(self) -> None:
        """The viewer is no longer shown: stop the slideshow, drop pending work and the pictures' memory."""
        self.slideshow.stop()
        for request in (
            self._preview_request,
            self._full_request,
            self._prefetch_request,
            self._details_request,
            self._model_request,
        ):
            request.invalidate()
        self._full_timer.stop()
        self._loading_timer.stop()
        self._settle_timer.stop()
        self._prefetching = None
        self._previews.clear()
        self.view.clear()
        self._show_photo_view()
        self.details = None
        self.model_view = None
        self._model_for = None
        self.panel.clear()

    def hideEvent(self, event: QHideEvent) -> None:  # Qt's name
        super().hideEvent(event)
        self.video.stop()

    def scenes_of(self, photo_id: int) -> list[SceneSpan]:
        """The scenes of the video shown, if it is this one."""
        shown = self.video.photo
        return list(self.video.timeline.spans) if shown is not None and shown.id == photo_id else []

    @property
    def showing_video(self) -> bool:
        return self.media.currentWidget() is self.video and self.video.photo is not None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: C901 - one branch per key, read as a table
        key = event.key()
        zoom_keys = (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus, Qt.Key.Key_Underscore)
        if key in (Qt.Key.Key_K, Qt.Key.Key_Space) and self.showing_video:
            self.video.toggle_play()  # as in every video player
        elif key in (*zoom_keys, Qt.Key.Key_0, Qt.Key.Key_1) and self.media.currentWidget() is self.video:
            pass  # a video is shown whole: nothing to zoom
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Space, Qt.Key.Key_PageDown):
            self.step(1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Backspace, Qt.Key.Key_PageUp):
            self.step(-1)
        elif key == Qt.Key.Key_Home:
            self.step(-len(self.ids))
        elif key == Qt.Key.Key_End:
            self.step(len(self.ids))
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.view.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.view.zoom_out()
        elif key == Qt.Key.Key_Z:  # 0-5 rate the photo (the window's Rate actions), as in Lightroom
            self.view.toggle_fit()
        elif key == Qt.Key.Key_0 and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.view.fit()
        elif key == Qt.Key.Key_1 and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.view.actual_size()
        elif key == Qt.Key.Key_Escape:
            if self.full_screen:
                self.toggle_full_screen.emit()
            else:
                self.closed.emit()
        elif key in (Qt.Key.Key_F11, Qt.Key.Key_F):
            self.toggle_full_screen.emit()
        elif key in (Qt.Key.Key_S, Qt.Key.Key_F5):
            self.start_slideshow()
        elif key == Qt.Key.Key_I:
            self.toggle_info()
        else:
            super().keyPressEvent(event)

    # -- full screen, info, slideshow -----------------------------------------------------------

    def _ask_full(self) -> None:
        self.toggle_full_screen.emit()

    def set_full_screen(self, on: bool) -> None:
        """The window went full screen (or back): the photo alone, on black, or the viewer with its bars."""
        self.full_screen = on
        self.top_bar.setVisible(not on)
        self.panel.setVisible(self._info_wanted and not on)
        self._layout.setContentsMargins(*((0, 0, 0, 0) if on else (4, 4, 4, 4)))
        self.view.background = FULL_SCREEN_BACKGROUND if on else WINDOW_BACKGROUND
        self.full_screen_button.setText("Leave full screen" if on else "Full screen")
        self.view.update()
        if not on:
            self._full_screen_for_slideshow = False
            self.slideshow.stop()

    def toggle_info(self) -> None:
        self._info_wanted = not self._info_wanted
        if self.settings is not None:
            self.settings.viewer_info = self._info_wanted
        self.info_button.setChecked(self._info_wanted)
        self.panel.setVisible(self._info_wanted and not self.full_screen)

    def set_slideshow_interval(self, seconds: float) -> None:
        self.slideshow.interval = seconds
        if self.settings is not None:
            self.settings.slideshow_seconds = seconds

    def start_slideshow(self) -> None:
        """Full screen, then the next photo every interval, until any input."""
        if not self.ids or self.slideshow.running:
            return
        self.slideshow.start()

    def _on_slideshow_started(self) -> None:
        self.view.hide_cursor(True)
        if not self.full_screen:
            self._full_screen_for_slideshow = True
            self.toggle_full_screen.emit()
        if self.view.has_image or self.showing_video:
            self.slideshow.photo_shown()

    def _on_slideshow_stopped(self) -> None:
        self.view.hide_cursor(False)
        if self._full_screen_for_slideshow and self.full_screen:
            self._full_screen_for_slideshow = False
            self.toggle_full_screen.emit()

    def _slideshow_next(self) -> None:
        self.step(1, wrap=True)

    def _show_zoom(self) -> None:
        video = self.media.currentWidget() is self.video
        for button in (self.zoom_out_button, self.zoom_button, self.zoom_in_button):
            button.setEnabled(not video)  # a video is shown whole
        if video or not self.view.has_image:
            self.zoom_button.setText("Fit")
            return
        self.zoom_button.setText("Fit" if self.view.fitting else f"{self.view.zoom():.0%}")

    # -- loading the picture --------------------------------------------------------------------

    def _preview_side(self) -> int:
        """Sharp at fit in the view as it is now (full screen gets the full resolution a moment later)."""
        shown = max(self.view.width(), self.view.height()) * self.devicePixelRatioF()
        return int(min(PREVIEW_SIDE, max(PREVIEW_MIN_SIDE, shown)))

    def _load(self) -> None:
        photo_id = self.current_id
        library = self.controller.library
        if photo_id is None or library is None:
            return
        self.current_changed.emit(photo_id)
        self._set_title(None)
        self._show_photo_view()  # a video shown before stops; the next one starts when it is read
        self._full_timer.stop()
        self._settle_timer.stop()
        self._full_request.invalidate()
        if self._prefetching is not None and self._prefetching != photo_id:
            self._prefetch_request.invalidate()  # moved past it: never decoded if it had not started
            self._prefetching = None
        cached = self._previews.get(photo_id)
        if cached is not None:
            self._previews.move_to_end(photo_id)
            self._preview_request.invalidate()
            self._show_preview(photo_id, cached)
        elif self._prefetching == photo_id:  # its preview is being decoded ahead: it shows when done
            self._preview_request.invalidate()
            self.view.clear("")
            self._loading_timer.start()
        else:
            self.view.clear("")
            self._loading_timer.start()
            side = self._preview_side()
            self._preview_request.submit(
                self._decoder(library, photo_id, side), lambda result: self._on_preview(photo_id, result)
            )
        self._reload_details()

    def _decoder(
        self, library: Library, photo_id: int, longest: int | None
    ) -> Callable[[], ViewImage | ClipToPlay | str]:
        """The pool's work for a photo's picture (the matches are read here, on the GUI thread)."""
        matches = self.matches.get(photo_id, ())
        return lambda: self._decode(library, photo_id, longest, matches)

    @staticmethod
    def _decode(
        library: Library, photo_id: int, longest: int | None, matches: Sequence[SceneHit] = ()
    ) -> ViewImage | ClipToPlay | str:
        """On the pool: the photo's picture at a size, a video's scenes and poster, or what to say instead."""
        photo = library.photos.one(photo_id)
        if photo is None:
            return "This photo is no longer in the library."
        size = QSize(photo.width, photo.height) if photo.width and photo.height else None
        try:
            if photo.is_video:
                return read_clip(library, photo, longest or PREVIEW_SIDE, matches)
            return decode_for_view(photo.path, longest, size)
        except PhotoclipError as e:
            return str(e)
        except Exception:  # a bug must not leave the viewer waiting: say so, log the details
            log.exception("showing %s failed", photo.path)
            return "This photo could not be shown (the details are in the log)."

    def _say_loading(self) -> None:
        if not self.view.has_image:
            self.view.clear("Loading…")

    def _show_photo_view(self) -> None:
        self.video.stop()
        if self.media.currentWidget() is not self.view:
            self.media.setCurrentWidget(self.view)
            self._show_zoom()

    def _show_clip(self, photo_id: int, clip: ClipToPlay) -> None:
        """A video: the player instead of the photo view, from the best match's start (or the beginning)."""
        self._loading_timer.stop()
        self.view.clear("")
        self.media.setCurrentWidget(self.video)
        self._show_zoom()
        poster = QPixmap.fromImage(clip.poster) if clip.poster is not None else None
        self.video.show_video(clip.photo, clip.spans, self.matches.get(photo_id, ()), poster)
        self.shown.emit(photo_id)
        self.slideshow.photo_shown()
        self._after_picture()

    def _on_preview(self, photo_id: int, result: ViewImage | ClipToPlay | str) -> None:
        self._loading_timer.stop()
        if isinstance(result, ClipToPlay):
            self._show_clip(photo_id, result)
            return
        if isinstance(result, str):
            self.view.clear(result)
            self.slideshow.photo_shown()  # a photo that cannot be shown does not stop the show
            self._after_picture()
            return
        self._previews[photo_id] = result
        while len(self._previews) > PREVIEWS_KEPT:
            self._previews.popitem(last=False)
        self._show_preview(photo_id, result)

    def _show_preview(self, photo_id: int, result: ViewImage) -> None:
        self._loading_timer.stop()
        self.view.set_image(result.image, result.full_size)
        self.shown.emit(photo_id)
        self.slideshow.photo_shown()
        if self.view.full_resolution:
            self.sharpened.emit(photo_id)
            self._after_picture()
        else:
            # leafing quickly never starts a full decode; a photo looked at gets one at once
            self._full_timer.start(FULL_RESOLUTION_DELAY_MS if self._leafing else 0)

    def _load_full(self) -> None:
        photo_id = self.current_id
        library = self.controller.library
        if photo_id is None or library is None:
            return
        self._full_request.submit(
            self._decoder(library, photo_id, None), lambda result: self._on_full(photo_id, result)
        )

    def _on_full(self, photo_id: int, result: ViewImage | ClipToPlay | str) -> None:
        if photo_id != self.current_id:
            return
        if isinstance(result, str):
            log.info("full resolution of photo %s unavailable: %s", photo_id, result)
        elif isinstance(result, ViewImage):
            self.view.add_level(result.image)
            self.sharpened.emit(photo_id)
        self._after_picture()

    def _after_picture(self) -> None:
        """The picture is complete: now the slower, less urgent work (or once the person stops leafing)."""
        if self._leafing:
            self._settle_timer.start()
        else:
            self._after_picture_now()

    def _after_picture_now(self) -> None:
        self._reload_model_view()
        self._prefetch()

    def _prefetch(self) -> None:
        """Decode the next photo's preview ahead (the previous one too when leafing backwards)."""
        library = self.controller.library
        if library is None or len(self.ids) < 2:
            return
        following = self.ids[(self.position + 1) % len(self.ids)]
        if following in self._previews:
            return
        side = self._preview_side()

        def keep(result: ViewImage | ClipToPlay | str) -> None:
            self._prefetching = None
            if following == self.current_id:  # the person got there first: show it now
                self._on_preview(following, result)
            elif isinstance(result, ViewImage):
                self._previews[following] = result
                while len(self._previews) > PREVIEWS_KEPT:
                    self._previews.popitem(last=False)

        self._prefetching = following
        self._prefetch_request.submit(self._decoder(library, following, side), keep)

    # -- details and the model's view ------------------------------------------------------------

    def _set_title(self, photo: Photo | None) -> None:
        where = f"{self.position + 1:,} of {len(self.ids):,}"
        self.title.set_text(f"{photo.path.name}   ·   {where}" if photo is not None else where)

    def _reload_details(self) -> None:
        photo_id = self.current_id
        library = self.controller.library
        if photo_id is None or library is None or not self.isVisible():
            return
        self._details_request.submit(lambda: load_details(library, photo_id), self._show_details)

    def _on_model_state(self, state: str, _detail: str) -> None:
        if state == MODEL_READY:
            self._reload_model_view(again=True)

    def _reload_model_view(self, *, again: bool = False) -> None:
        """Ask what the model sees in the current photo (once per photo unless `again`: label sets changed)."""
        photo_id = self.current_id
        library = self.controller.library
        if photo_id is None or library is None or not self.isVisible():
            return
        if self._model_for == photo_id and not again:
            return
        self._model_for = photo_id
        self.model_view = None
        if not library.models.loaded:
            note = "The model is not loaded yet; what it sees appears here once it is."
            self._show_model_view(ModelView([], note, photo_id))
            return
        self._model_request.submit(lambda: load_model_view(library, photo_id), self._show_model_view)

    def _show_details(self, details: PhotoDetails) -> None:
        photo = details.photo
        if photo is not None and photo.id != self.current_id:
            return
        self.details = details
        self._set_title(photo)
        matched = [m.start for m in self.matches.get(photo.id, ())] if photo is not None else []
        self.panel.show_details(details, self._match_text(photo.id) if photo is not None else None, matched_at=matched)
        library = self.controller.library
        if library is not None:
            self.controller.read(library.tags.label_names, self.panel.set_tag_names)
        view = self.model_view
        self.panel.show_model_view(view if view is not None and view.photo_id == self.current_id else None)

    def _show_model_view(self, view: ModelView) -> None:
        if view.photo_id != self.current_id:
            return
        self.model_view = view
        details = self.details
        if details is not None and details.photo is not None and details.photo.id == view.photo_id:
            self.panel.show_model_view(view)

    def _match_text(self, photo_id: int) -> str | None:
        score = self.scores.get(photo_id)
        if score is None or self.query_context is None:
            return None
        query, typical, top = self.query_context
        text = f"Similarity to “{html.escape(query)}”: <b>{score:.3f}</b>"
        if typical is not None and top is not None and top > typical:
            relevance = (score - typical) / (top - typical)
            text += (
                f"<br>Library's typical score for this query: {typical:.3f}; best match: {top:.3f}."
                f"<br>Relevance {max(relevance, 0):.0%} of the way from typical to best."
            )
        return text

    # -- tag edits ------------------------------------------------------------------------------

    @property
    def new_tag(self) -> QComboBox | None:
        """The panel's "Add a tag" field."""
        return self.panel.new_tag

    def _tag_action(self, action: str, tag: Tag) -> None:
        photo_id = self.current_id
        if photo_id is not None:
            self.tag_edits.edit(photo_id, self._shown_name(), action, tag.label_set, tag.label)

    def _add_tag(self, text: str) -> None:
        photo_id = self.current_id
        if photo_id is None or not text:
            return
        existing = {t.label.casefold(): t for t in (self.details.tags if self.details else [])}
        if text.casefold() in existing and existing[text.casefold()].status == "accepted":
            return
        self.tag_edits.add(photo_id, self._shown_name(), text)

    def _shown_name(self) -> str:
        """The photo's file name, for the undo menu's words."""
        details = self.details
        return details.photo.path.name if details is not None and details.photo is not None else "this photo"


def show_in_folder(path: Path) -> None:
    """Open the file manager at the photo's folder (selecting it where the platform allows)."""
    import subprocess

    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    try:
        if sys.platform == "darwin":
            subprocess.Popen(["open", "-R", str(path)])
            return
        if sys.platform == "win32":
            subprocess.Popen(["explorer", "/select,", str(path)])
            return
    except OSError:
        log.warning("could not reveal %s in the file manager", path, exc_info=True)
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
