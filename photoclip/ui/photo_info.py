"""The viewer's info panel: the photo's facts and place, its text, camera record, why it was found, tags, model's view.

Everything here wraps or elides to the panel's width (the panel never scrolls
sideways, whatever the window size): long file names and folders are shortened in
the middle with the whole text in a tooltip, tag names wrap beside their buttons.
The panel only shows what it is given; the viewer loads it off the GUI thread.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QGuiApplication, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from photoclip.core import PhotoExif, human_bytes
from photoclip.ui.grid import format_date

if TYPE_CHECKING:
    from photoclip.core import LabelScore, Photo, PhotoPlace, Tag

PANEL_MIN_WIDTH = 250
"""Narrow enough for a 900-pixel window beside the photo; wide enough for a tag with both its buttons."""


@dataclass
class PhotoDetails:
    """What the panel shows about one photo, read together off the GUI thread."""

    photo: Photo | None
    tags: list[Tag]
    albums: list[str]
    exif: PhotoExif = field(default_factory=PhotoExif)
    place: PhotoPlace | None = None
    text: str | None = None  # the text read in the photo
    text_state: str | None = None  # "read", "gated", "failed", or None (not looked at yet)
    ocr_missing: str | None = None  # what to install to read text, when no OCR engine is


@dataclass
class ModelView:
    """The model's best labels for the photo, or why there are none (`note`)."""

    labels: list[LabelScore]
    note: str = ""
    photo_id: int | None = None


def date_text(photo: Photo) -> tuple[str, str, str]:
    """(row name, value, tooltip): a date from the camera says "Taken"; one from the file says so."""
    if not photo.taken_at:
        return "Taken", "unknown", "Neither the photo nor the file says when it was taken."
    when = format_date(photo.taken_at)
    if photo.date_source == "exif":
        return "Taken", f"{when} (EXIF)", "The date the camera recorded in the photo (its EXIF data)."
    return (
        "Date",
        f"{when} (file modified; the photo has no capture date)",
        "The photo carries no date of its own, so this is when the file was last modified.",
    )


def place_text(located: PhotoPlace) -> tuple[str, str]:
    """(value, tooltip): the place's name (its coordinates when it has none), and where we know it from."""
    coordinates = (
        f"{located.latitude:.5f}, {located.longitude:.5f}"
        if located.latitude is not None and located.longitude is not None
        else ""
    )
    source = {"xmp": "set in the photo's metadata", "sidecar": "GPS from its XMP sidecar"}.get(
        located.source, "GPS from the photo"
    )
    return located.place.label() or coordinates, f"{coordinates} ({source})" if coordinates else source


def text_note(details: PhotoDetails) -> str:
    """Why a photo shows no text: no OCR engine, none found, not worth reading, unreadable, or not read yet."""
    if details.ocr_missing:
        return details.ocr_missing
    return {
        "read": "No text was found in this photo.",
        "gated": "Not read: the model sees no text in this photo.",
        "failed": "The text of this photo could not be read.",
    }.get(details.text_state or "", "Not read yet: text is read in the background after indexing.")


def size_text(photo: Photo) -> str:
    parts = []
    if photo.width and photo.height:
        megapixels = photo.width * photo.height / 1e6
        parts.append(f"{photo.width:,} × {photo.height:,}" + (f" ({megapixels:.1f} MP)" if megapixels >= 1 else ""))
    if photo.file_type:
        parts.append(photo.file_type.upper())
    parts.append(human_bytes(photo.size))
    return " · ".join(parts)


class ElidedLabel(QWidget):
    """One line of text shortened in the middle to fit (a long path or name); the whole text is the tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = text
        self.setToolTip(text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        self._text = text
        self.setToolTip(text)
        self.updateGeometry()
        self.update()

    def shown_text(self) -> str:
        return self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideMiddle, max(self.width(), 1))

    def sizeHint(self) -> QSize:  # Qt's name
        metrics = QFontMetrics(self.font())
        return QSize(min(metrics.horizontalAdvance(self._text), 400), metrics.height())

    def minimumSizeHint(self) -> QSize:  # Qt's name
        return QSize(40, QFontMetrics(self.font()).height())

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt's name
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.shown_text())
        painter.end()


def wrapping(text: str, *, rich: bool = False, selectable: bool = False) -> QLabel:
    """A label that wraps to whatever width the panel has (and never asks for more)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setMinimumWidth(40)  # an unbreakable word is cut at the panel's edge rather than widening it
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _Content(QWidget):
    """The panel's page: as wide as the scroll area's viewport, never wider."""

    def minimumSizeHint(self) -> QSize:  # Qt's name
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), PANEL_MIN_WIDTH - 20), hint.height())


class InfoPanel(QScrollArea):
    """The photo's details beside it; tag buttons ask for edits through `tag_action` and `add_tag`."""

    tag_action = Signal(str, object)  # "accept" / "reject" / "remove", the Tag
    add_tag = Signal(str)
    show_in_folder = Signal(object)  # the photo's Path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Photo information")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(PANEL_MIN_WIDTH)
        self.page = _Content()
        self.page.setObjectName("info-page")
        self.layout_ = QVBoxLayout(self.page)
        self.layout_.setContentsMargins(10, 6, 12, 12)
        self.layout_.setSpacing(4)
        self.layout_.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.setWidget(self.page)
        self.new_tag: QComboBox | None = None
        self.model_section: QWidget | None = None
        self.place_label: QLabel | None = None
        self.text_view: QLabel | None = None  # the text read in the photo, selectable
        self.copy_text_button: QPushButton | None = None
        self.text_status: QLabel | None = None  # why there is no text
        self._tag_names: list[str] = []
        self._model_box = QVBoxLayout()

    # -- building -------------------------------------------------------------------------------

    def clear(self) -> None:
        while self.layout_.count():
            item = self.layout_.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)  # gone from the panel now, not at the next event loop turn
                widget.deleteLater()
        self.new_tag = None
        self.model_section = None
        self.place_label = self.text_view = self.copy_text_button = self.text_status = None

    def heading(self, text: str) -> QLabel:
        label = QLabel(f"<b>{html.escape(text)}</b>")
        label.setContentsMargins(0, 12, 0, 2)
        self.layout_.addWidget(label)
        return label

    def _form(self, rows: Sequence[tuple[str, QWidget]]) -> None:
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(3)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, widget in rows:
            caption = QLabel(name)
            caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            form.addRow(caption, widget)
        self.layout_.addWidget(box)

    def show_details(
        self, details: PhotoDetails, match: str | None, tag_names: Callable[[], list[str]] | None = None
    ) -> None:
        """Rebuild the panel for one photo (the model's view comes later, through `show_model_view`)."""
        self.clear()
        photo = details.photo
        if photo is None:
            self.layout_.addWidget(wrapping("This photo is no longer in the library."))
            return
        name = wrapping(f"<b>{html.escape(photo.path.name)}</b>", rich=True, selectable=True)
        name.setAccessibleName("File name")
        self.layout_.addWidget(name)
        caption, when, why = date_text(photo)
        date = wrapping(when)
        date.setToolTip(why)
        date.setAccessibleName("Date taken")
        folder = ElidedLabel(str(photo.path.parent))
        folder.setAccessibleName("Folder")
        rows: list[tuple[str, QWidget]] = [(caption, date), ("Size", wrapping(size_text(photo))), ("Folder", folder)]
        if details.albums:
            rows.append(("Albums", wrapping(", ".join(details.albums))))
        if details.place is not None:
            place, source = place_text(details.place)
            self.place_label = wrapping(place, selectable=True)
            self.place_label.setToolTip(source)
            self.place_label.setAccessibleName("Place")
            rows.append(("Place", self.place_label))
        self._form(rows)
        reveal = QPushButton("Show in folder")
        reveal.setFlat(True)
        reveal.setAccessibleName("Show in folder")
        reveal.clicked.connect(lambda: self.show_in_folder.emit(photo.path))
        reveal_row = QHBoxLayout()
        reveal_row.setContentsMargins(0, 0, 0, 0)
        reveal_row.addStretch(1)
        reveal_row.addWidget(reveal)
        holder = QWidget()
        holder.setLayout(reveal_row)
        self.layout_.addWidget(holder)
        self._show_text(details)
        self._show_camera(details.exif, photo)
        if match:
            self.heading("Why it was found")
            self.layout_.addWidget(wrapping(match, rich=True))
        self._show_tags(details)
        self.model_section = QWidget()
        self.model_section.setAccessibleName("What the model sees")
        self._model_box = QVBoxLayout(self.model_section)
        self._model_box.setContentsMargins(0, 0, 0, 0)
        self._model_box.setSpacing(3)
        self.layout_.addWidget(self.model_section)

    def _show_text(self, details: PhotoDetails) -> None:
        """The text read in the photo, selectable and copyable; or why there is none."""
        self.heading("Text in the photo")
        if not details.text:
            self.text_status = wrapping(text_note(details))
            self.text_status.setAccessibleName("Text in the photo")
            self.layout_.addWidget(self.text_status)
            return
        self.text_view = wrapping(details.text, selectable=True)
        self.text_view.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.text_view.setAccessibleName("Text read in the photo")
        self.layout_.addWidget(self.text_view)
        self.copy_text_button = QPushButton("Copy text")
        self.copy_text_button.setToolTip("Copy the text read in this photo to the clipboard")
        text = details.text
        self.copy_text_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(text))
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.copy_text_button)
        row.addStretch(1)
        holder = QWidget()
        holder.setLayout(row)
        self.layout_.addWidget(holder)

    def _show_camera(self, exif: PhotoExif, photo: Photo) -> None:
        rows = exif.rows()
        if not rows and photo.camera:
            rows = [("Camera", photo.camera)]
        if not rows:
            return
        self.heading("Camera")
        widgets: list[tuple[str, QWidget]] = []
        for name, value in rows:
            label = wrapping(value, selectable=True)
            label.setAccessibleName(name)
            widgets.append((name, label))
        self._form(widgets)

    def _show_tags(self, details: PhotoDetails) -> None:
        self.heading("Tags")
        visible = [t for t in details.tags if t.status != "rejected"]
        if not visible:
            self.layout_.addWidget(wrapping("No tags yet. Auto-tag, or add one below."))
        grid_box = QWidget()
        grid = QGridLayout(grid_box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(3)
        grid.setColumnStretch(0, 1)
        for row, tag in enumerate(visible):
            name = html.escape("/".join(tag.path))
            if tag.status == "suggested":
                confidence = f", {tag.score:.0%}" if tag.score is not None else ""
                text = f"{name} <i>(suggested{confidence})</i>"
            else:
                text = f"<b>{name}</b>"
            label = wrapping(text, rich=True)
            label.setToolTip(f"Label set: {tag.label_set}; source: {tag.source}")
            grid.addWidget(label, row, 0)
            if tag.status == "suggested":
                grid.addWidget(self._tag_button("Accept", "accept", tag), row, 1)
                grid.addWidget(self._tag_button("Reject", "reject", tag), row, 2)
            else:
                grid.addWidget(self._tag_button("Remove", "remove", tag), row, 1, 1, 2)
        if visible:
            self.layout_.addWidget(grid_box)
        adder = QWidget()
        layout = QHBoxLayout(adder)
        layout.setContentsMargins(0, 4, 0, 0)
        self.new_tag = QComboBox()
        self.new_tag.setEditable(True)
        self.new_tag.setAccessibleName("New tag")
        self.new_tag.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.new_tag.setMinimumContentsLength(6)
        self.new_tag.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.new_tag.setMinimumWidth(80)
        self.new_tag.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.new_tag.addItems(self._tag_names)
        self.new_tag.setEditText("")
        editor = self.new_tag.lineEdit()
        assert editor is not None
        editor.setPlaceholderText("Add a tag…")
        add = QPushButton("Add")
        add.setAccessibleName("Add tag")
        add.clicked.connect(self._add)
        editor.returnPressed.connect(self._add)
        layout.addWidget(self.new_tag, 1)
        layout.addWidget(add)
        self.layout_.addWidget(adder)

    def _tag_button(self, text: str, action: str, tag: Tag) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(f"{text} tag {tag.label}")
        button.setToolTip(f"{text} “{tag.label}” ({tag.label_set})")
        button.clicked.connect(lambda: self.tag_action.emit(action, tag))
        return button

    def _add(self) -> None:
        if self.new_tag is not None and self.new_tag.currentText().strip():
            self.add_tag.emit(self.new_tag.currentText().strip())

    def set_tag_names(self, names: list[str]) -> None:
        """Completions for the new-tag field (kept while the panel is rebuilt)."""
        self._tag_names = names
        if self.new_tag is not None:
            text = self.new_tag.currentText()
            self.new_tag.clear()
            self.new_tag.addItems(names)
            self.new_tag.setEditText(text)

    # -- the model's view -----------------------------------------------------------------------

    def show_model_view(self, view: ModelView | None) -> None:
        """Fill "What the model sees" (None: it is being worked out)."""
        if self.model_section is None:
            return
        box = self._model_box
        while box.count():
            item = box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        heading = QLabel("<b>What the model sees</b>")
        heading.setContentsMargins(0, 12, 0, 2)
        box.addWidget(heading)
        if view is None:
            box.addWidget(wrapping("Looking…"))
            return
        if not view.labels:
            box.addWidget(wrapping(view.note or "Nothing stands out: no label fits better than “a photo”."))
            return
        dim = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        for score in view.labels:
            row = wrapping(
                f"{html.escape(score.label)} <b>{score.confidence:.0%}</b>"
                f" <span style='color:{dim}'>· {html.escape(score.label_set)}</span>",
                rich=True,
            )
            row.setAccessibleName(f"Model label {score.label}")
            box.addWidget(row)
        explain = wrapping(
            "How strongly the model prefers each label over a plain “a photo” (50% = no preference), "
            "across your label sets, before any of your corrections. Your own tags are listed under Tags."
        )
        explain.setStyleSheet(f"color: {dim}")
        font = explain.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        explain.setFont(font)
        explain.setAccessibleName("What the percentages mean")
        box.addWidget(explain)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's name
        super().resizeEvent(event)
        self.page.setMaximumWidth(self.viewport().width())
