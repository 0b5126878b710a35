"""The large view of one photo, with its details, its tags and why it was found.

Arrow keys walk through the photos of the grid in its order; Esc goes back to
the grid and F11 toggles full screen. The image is decoded at screen size on the
background pool (the photo file is only read). The info panel explains the
photo: its similarity to the current query against the library's typical score,
and its most likely labels in the label sets it has tags from, so people can see
what CLIP thinks and correct it (accept, reject, add, remove tags) right there.
A video plays instead (`ui.player`), from the moment that matched the search.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QHideEvent, QImage, QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from photoclip.core import PhotoclipError, PhotoId, format_clip_time, human_bytes
from photoclip.ui.controller import LibraryController
from photoclip.ui.grid import format_date
from photoclip.ui.player import VideoPane

if TYPE_CHECKING:
    from PIL import Image

    from photoclip.core import Library, Photo, SceneHit, SceneSpan, Tag

log = logging.getLogger(__name__)

INFO_LABEL_SETS = 3  # label sets explained in the info panel (those the photo has tags from first)


@dataclass(frozen=True)
class ClipToPlay:
    """What the viewer needs to show a video: its row, its scenes and a poster frame at the moment to start."""

    photo: Photo
    spans: list[SceneSpan]
    poster: QImage | None


@dataclass
class PhotoDetails:
    photo: Photo | None
    tags: list[Tag]
    albums: list[str]
    labels: dict[str, list[tuple[str, float]]]  # label set -> top (label, confidence)


def pil_to_qimage(image: Image.Image) -> QImage:
    rgb = image.convert("RGB")
    data = rgb.tobytes("raw", "RGB")
    return QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888).copy()


def load_details(library: Library, photo_id: int) -> PhotoDetails:
    photo = library.photos.one(photo_id)
    tags = library.tags.tags_of([photo_id]).get(PhotoId(photo_id), [])
    albums = library.albums.albums_of(photo_id)
    tagged_sets = [t.label_set for t in tags]
    all_sets = [s.name for s in library.tags.label_sets() if s.labels]
    preferred = list(dict.fromkeys(tagged_sets + [s for s in ("scenes", "objects and animals") if s in all_sets]))
    chosen = (preferred or all_sets)[:INFO_LABEL_SETS]
    labels = {}
    if library.models.loaded:
        for name in chosen:
            try:
                labels[name] = library.tags.label_scores(photo_id, name, top=3)
            except PhotoclipError:
                continue
    return PhotoDetails(photo, tags, albums, labels)


def read_for_viewer(
    library: Library, photo_id: int, side: int, matches: Sequence[SceneHit]
) -> QImage | ClipToPlay | str:
    """Background step: a photo decoded at screen size, a video's scenes and poster, or why neither."""
    from photoclip.core import decode_photo, frame_at

    photo = library.photos.one(photo_id)
    if photo is None:
        return "This photo is no longer in the library."
    if photo.is_video:
        try:
            frame: QImage | None = pil_to_qimage(
                frame_at(photo.path, matches[0].frame if matches else 0.0, max_side=side)
            )
        except PhotoclipError:
            frame = None  # the player may still manage; the pane says so if not
        return ClipToPlay(photo, library.searcher.scenes(photo_id), frame)
    try:
        decoded = decode_photo(photo.path, min_side=min(side, 2400))
    except PhotoclipError as e:
        return str(e)
    image = decoded.image
    if max(image.size) > side:
        image.thumbnail((side, side))
    return pil_to_qimage(image)


class ImageView(QLabel):
    """Shows a pixmap scaled to fit, keeping its aspect ratio."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(200, 200)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setAccessibleName("Photo")
        self._pixmap: QPixmap | None = None

    def set_image(self, pixmap: QPixmap | None, message: str = "") -> None:
        self._pixmap = pixmap
        if pixmap is None:
            self.setPixmap(QPixmap())
            self.setText(message)
        else:
            self.setText("")
            self._rescale()

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's name
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is not None:
            size = self.size() * self.devicePixelRatioF()
            scaled = self._pixmap.scaled(
                size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            scaled.setDevicePixelRatio(self.devicePixelRatioF())
            super().setPixmap(scaled)


class PhotoViewer(QWidget):
    """One photo at a time; `closed` when the user goes back to the grid."""

    closed = Signal()
    current_changed = Signal(int)
    toggle_full_screen = Signal()
    similar_scene = Signal(int, int)  # "find similar" from a video's scene: (photo id, scene index)

    def __init__(self, controller: LibraryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.ids: list[int] = []
        self.position = 0
        self.scores: dict[int, float] = {}
        self.matches: dict[int, tuple[SceneHit, ...]] = {}  # videos' matching scenes, best first (searching)
        self.query_context: tuple[str, float | None, float | None] | None = None  # query, typical, top score
        self._image_request = controller.latest()
        self._details_request = controller.latest()
        self.image = ImageView()
        self.title = QLabel()
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        back = QPushButton("Back to photos")
        back.setToolTip("Back to the grid (Esc)")
        back.clicked.connect(self.closed.emit)
        previous = QPushButton("◀")
        previous.setAccessibleName("Previous photo")
        previous.setToolTip("Previous photo (Left arrow)")
        previous.clicked.connect(lambda: self.step(-1))
        following = QPushButton("▶")
        following.setAccessibleName("Next photo")
        following.setToolTip("Next photo (Right arrow)")
        following.clicked.connect(lambda: self.step(1))
        for button in (back, previous, following):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        top = QHBoxLayout()
        top.addWidget(back)
        top.addWidget(previous)
        top.addWidget(following)
        top.addWidget(self.title, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(top)
        self.video = VideoPane()
        self.video.similar_requested.connect(self.similar_scene.emit)
        self.media = QStackedWidget()
        self.media.addWidget(self.image)
        self.media.addWidget(self.video)
        left_layout.addWidget(self.media, 1)
        self.panel = QWidget()
        self.panel_layout = QVBoxLayout(self.panel)
        self.panel_layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(300)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([900, 320])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.details: PhotoDetails | None = None
        controller.tags_changed.connect(self._reload_details)
        self.closed.connect(self.video.stop)

    # -- navigation -----------------------------------------------------------------------------

    def show_photos(self, ids: Sequence[int], position: int, scores: Mapping[int, float] | None = None) -> None:
        self.ids = list(ids)
        self.scores = dict(scores or {})
        self.position = max(0, min(position, len(ids) - 1))
        self._load()
        self.setFocus()

    @property
    def current_id(self) -> int | None:
        return self.ids[self.position] if self.ids else None

    def step(self, delta: int) -> None:
        if not self.ids:
            return
        position = max(0, min(self.position + delta, len(self.ids) - 1))
        if position != self.position:
            self.position = position
            self._load()

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

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt's name
        key = event.key()
        if key in (Qt.Key.Key_K, Qt.Key.Key_Space) and self.showing_video:
            self.video.toggle_play()  # as in every video player
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Space, Qt.Key.Key_PageDown):
            self.step(1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Backspace, Qt.Key.Key_PageUp):
            self.step(-1)
        elif key == Qt.Key.Key_Home:
            self.step(-len(self.ids))
        elif key == Qt.Key.Key_End:
            self.step(len(self.ids))
        elif key == Qt.Key.Key_Escape:
            self.closed.emit()
        elif key == Qt.Key.Key_F11:
            self.toggle_full_screen.emit()
        else:
            super().keyPressEvent(event)

    # -- loading --------------------------------------------------------------------------------

    def _load(self) -> None:
        photo_id = self.current_id
        library = self.controller.library
        if photo_id is None or library is None:
            return
        self.current_changed.emit(photo_id)
        self.title.setText(f"{self.position + 1:,} of {len(self.ids):,}")
        self.image.set_image(None, "Loading…")
        screen = self.screen().availableSize() if self.screen() else QSize(1920, 1080)
        side = int(max(screen.width(), screen.height()) * self.devicePixelRatioF())

        matches = self.matches.get(photo_id, ())

        def shown(result: QImage | ClipToPlay | str) -> None:
            if isinstance(result, ClipToPlay):
                self.media.setCurrentWidget(self.video)
                poster = QPixmap.fromImage(result.poster) if result.poster is not None else None
                self.video.show_video(result.photo, result.spans, matches, poster)
                return
            self.video.stop()
            self.media.setCurrentWidget(self.image)
            if isinstance(result, str):
                self.image.set_image(None, result)
            else:
                self.image.set_image(QPixmap.fromImage(result))

        self._image_request.submit(lambda: read_for_viewer(library, photo_id, side, matches), shown)
        self._reload_details()

    def _reload_details(self) -> None:
        photo_id = self.current_id
        library = self.controller.library
        if photo_id is None or library is None or not self.isVisible():
            return
        self._details_request.submit(lambda: load_details(library, photo_id), self._show_details)

    # -- the info panel -------------------------------------------------------------------------

    def _clear_panel(self) -> None:
        while self.panel_layout.count():
            item = self.panel_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)  # gone from the panel now, not at the next event loop turn
                widget.deleteLater()

    def _heading(self, text: str) -> None:
        label = QLabel(f"<b>{text}</b>")
        label.setContentsMargins(0, 10, 0, 2)
        self.panel_layout.addWidget(label)

    def _show_details(self, details: PhotoDetails) -> None:
        self.details = details
        self._clear_panel()
        photo = details.photo
        if photo is None:
            return
        self.title.setText(f"{photo.path.name}   ·   {self.position + 1:,} of {len(self.ids):,}")
        form_widget = QWidget()
        form = QFormLayout(form_widget)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Taken", QLabel(format_date(photo.taken_at) if photo.taken_at else "unknown"))
        if photo.width and photo.height:
            form.addRow("Size", QLabel(f"{photo.width} × {photo.height}, {human_bytes(photo.size)}"))
        if photo.is_video and photo.duration is not None:
            facts = [format_clip_time(photo.duration)]
            if photo.codec:
                facts.append(photo.codec.upper())
            if photo.frame_rate:
                facts.append(f"{photo.frame_rate:g} frames/s")
            form.addRow("Video", QLabel(", ".join(facts)))
            matched = self.matches.get(photo.id, ())
            if matched:
                moments = ", ".join(format_clip_time(m.start) for m in matched[:5])
                form.addRow("Matches at", QLabel(moments))
        if photo.camera:
            form.addRow("Camera", QLabel(photo.camera))
        if photo.file_type:
            form.addRow("Type", QLabel(photo.file_type.upper()))
        where = QLabel(str(photo.path.parent))
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Folder", where)
        if details.albums:
            form.addRow("Albums", QLabel(", ".join(details.albums)))
        self.panel_layout.addWidget(form_widget)
        self._show_match(photo.id)
        self._show_tags(details)
        self._show_labels(details)

    def _show_match(self, photo_id: int) -> None:
        score = self.scores.get(photo_id)
        if score is None or self.query_context is None:
            return
        query, typical, top = self.query_context
        self._heading("Why it was found")
        text = f"Similarity to “{query}”: <b>{score:.3f}</b>"
        if typical is not None and top is not None and top > typical:
            relevance = (score - typical) / (top - typical)
            text += (
                f"<br>Library's typical score for this query: {typical:.3f}; best match: {top:.3f}."
                f"<br>Relevance {max(relevance, 0):.0%} of the way from typical to best."
            )
        label = QLabel(text)
        label.setWordWrap(True)
        self.panel_layout.addWidget(label)

    def _show_tags(self, details: PhotoDetails) -> None:
        if details.photo is None:
            return
        self._heading("Tags")
        photo_id = details.photo.id
        visible = [t for t in details.tags if t.status != "rejected"]
        if not visible:
            self.panel_layout.addWidget(QLabel("No tags yet. Auto-tag, or add one below."))
        for tag in visible:
            row = QWidget()
            layout = QHBoxLayout(row)
            layout.setContentsMargins(0, 0, 0, 0)
            name = "/".join(tag.path)
            if tag.status == "suggested":
                text = (
                    f"{name} <i>(suggested, {tag.score:.0%})</i>"
                    if tag.score is not None
                    else f"{name} <i>(suggested)</i>"
                )
            else:
                text = f"<b>{name}</b>"
            label = QLabel(text)
            label.setToolTip(f"Label set: {tag.label_set}; source: {tag.source}")
            layout.addWidget(label, 1)
            if tag.status == "suggested":
                layout.addWidget(self._tag_button("Accept", "accept", photo_id, tag))
                layout.addWidget(self._tag_button("Reject", "reject", photo_id, tag))
            else:
                layout.addWidget(self._tag_button("Remove", "remove", photo_id, tag))
            self.panel_layout.addWidget(row)
        adder = QWidget()
        layout = QHBoxLayout(adder)
        layout.setContentsMargins(0, 4, 0, 0)
        self.new_tag = QComboBox()
        self.new_tag.setEditable(True)
        self.new_tag.setAccessibleName("New tag")
        editor = self.new_tag.lineEdit()
        assert editor is not None
        editor.setPlaceholderText("Add a tag…")
        self.new_tag.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        library = self.controller.library
        if library is not None:
            self.controller.read(library.tags.label_names, self._fill_tags)
        add = QPushButton("Add")
        add.setAccessibleName("Add tag")
        add.clicked.connect(lambda: self._add_tag(photo_id))
        editor.returnPressed.connect(lambda: self._add_tag(photo_id))
        layout.addWidget(self.new_tag, 1)
        layout.addWidget(add)
        self.panel_layout.addWidget(adder)

    def _fill_tags(self, names: list[str]) -> None:
        try:
            text = self.new_tag.currentText()
            self.new_tag.clear()
            self.new_tag.addItems(names)
            self.new_tag.setEditText(text)
        except RuntimeError:  # the panel was rebuilt meanwhile
            pass

    def _tag_button(self, text: str, action: str, photo_id: int, tag: Tag) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(f"{text} tag {tag.label}")
        library = self.controller.library
        assert library is not None
        calls: dict[str, Callable[[], object]] = {
            "accept": lambda: library.tags.accept([photo_id], tag.label_set, tag.label),
            "reject": lambda: library.tags.reject([photo_id], tag.label_set, tag.label),
            "remove": lambda: library.tags.remove([photo_id], tag.label_set, tag.label),
        }
        button.clicked.connect(lambda: self.controller.write(calls[action]))
        return button

    def _add_tag(self, photo_id: int) -> None:
        text = self.new_tag.currentText().strip()
        if not text:
            return
        library = self.controller.library
        if library is None:
            return
        existing = {t.label.casefold(): t for t in (self.details.tags if self.details else [])}

        def work() -> object:
            for count in library.tags.counts():
                if count.label.casefold() == text.casefold():
                    return library.tags.accept([photo_id], count.label_set, count.label)
            return library.tags.tag([photo_id], text)

        if text.casefold() in existing and existing[text.casefold()].status == "accepted":
            return
        self.controller.write(work)

    def _show_labels(self, details: PhotoDetails) -> None:
        if not details.labels:
            return
        self._heading("What the model sees")
        for label_set, scores in details.labels.items():
            text = ", ".join(f"{name} {p:.0%}" for name, p in scores)
            label = QLabel(f"<i>{label_set}</i>: {text}")
            label.setWordWrap(True)
            self.panel_layout.addWidget(label)


def show_in_folder(path: Path) -> None:
    """Open the file manager at the photo's folder (selecting it where the platform allows)."""
    import subprocess
    import sys

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
