"""Review mode: one label's suggestions, most confident first, one photo and one key per decision.

The fastest way through a thousand suggestions: the photo large with the model's
confidence, Y or → accepts, N or ← rejects, Space skips, Backspace (or Ctrl+Z) goes
back one and takes its decision back, Esc leaves. A progress line says where you are
("12 of 340 · circle"), and the end says how many were accepted and rejected.

Decisions are written in order on the controller's write pool (`Tags.accept`,
`reject`, and `unaccept` / `unreject` to take one back); the page never waits for
them, and the next photo's picture is decoded ahead while you look at this one.
Leaving puts the whole review on the window's undo stack as one step.
"""

from __future__ import annotations

import html
import logging
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QKeySequence, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from photoclip.core import PhotoclipError, counted
from photoclip.ui.suggestions import ACCEPT, REJECT, Decided, apply, reverse
from photoclip.ui.undo import UndoStack, UndoStep
from photoclip.ui.viewer import decode_for_view

if TYPE_CHECKING:
    from photoclip.core import Library, PhotoId
    from photoclip.ui.controller import LibraryController

log = logging.getLogger(__name__)

SKIP = "skip"
PICTURE_SIDE = 1600
"""Longest side decoded for review: sharp on a large screen, quick to decode."""
AHEAD = 2
"""Photos decoded ahead of the one shown."""
UPSCALE = 3
"""How far a small photo is enlarged to fill the page (large enough to judge, short of blocky)."""


@dataclass(frozen=True)
class Picture:
    """A photo ready to show: its picture (None: `note` says why not) and its file name."""

    image: QImage | None
    name: str
    note: str = ""


def load_picture(library: Library, photo_id: int) -> Picture:
    """On the pool: the photo decoded for the screen, or what to say instead."""
    photo = library.photos.one(photo_id)
    if photo is None:
        return Picture(None, "", "This photo is no longer in the library.")
    size = QSize(photo.width, photo.height) if photo.width and photo.height else None
    try:
        return Picture(decode_for_view(photo.path, PICTURE_SIDE, size).image, photo.path.name)
    except PhotoclipError as e:
        return Picture(None, photo.path.name, str(e))
    except Exception:  # a bug must not leave the page waiting: say so, log the details
        log.exception("showing %s for review failed", photo.path)
        return Picture(None, photo.path.name, "This photo could not be shown (the details are in the log).")


class _Canvas(QWidget):
    """The photo, as large as the page allows, its aspect kept (or a line of text instead)."""

    def __init__(self) -> None:
        super().__init__()
        self.image: QImage | None = None
        self.note = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 90)
        self.setAccessibleName("Photo under review")

    def show_picture(self, image: QImage | None, note: str = "") -> None:
        self.image, self.note = image, note
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self.image is None or self.image.isNull():
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.note)
            return
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        if size.width() > self.image.width() * UPSCALE:  # a small photo fills the page, but not in blocks
            size = self.image.size() * UPSCALE
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(self.rect().center())
        painter.drawImage(target, self.image)


def _button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.setAccessibleName(text)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the page: Space must never click a button
    return button


class ReviewPage(QWidget):
    """A page of the window's stack; `start` a label, `finished` when the person leaves."""

    finished = Signal()
    message = Signal(str)  # for the status bar

    KEYS: dict[int, str] = {
        Qt.Key.Key_Y: ACCEPT,
        Qt.Key.Key_Right: ACCEPT,
        Qt.Key.Key_N: REJECT,
        Qt.Key.Key_Left: REJECT,
        Qt.Key.Key_Space: SKIP,
    }

    def __init__(self, controller: LibraryController, undo: UndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.undo = undo
        self.setAccessibleName("Review suggestions")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.label_set = ""
        self.label = ""
        self.queue: list[tuple[PhotoId, float | None]] = []
        self.position = 0
        self.loaded = False  # the queue has been read
        self.history: list[tuple[int, str]] = []  # (position, decision), newest last
        self._pictures: OrderedDict[int, Picture] = OrderedDict()
        self._picture_request = controller.latest()
        self._ahead = controller.group()
        self._queue_request = controller.latest()
        self._build()

    def _build(self) -> None:
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.progress = QLabel()
        self.progress.setAccessibleName("Review progress")
        self.tally = QLabel()
        self.tally.setAccessibleName("Decided so far")
        self.tally.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.done_button = _button("Done", "Leave review mode (Esc)")
        self.done_button.clicked.connect(self.leave)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.tally)
        top.addSpacing(12)
        top.addWidget(self.progress)
        top.addSpacing(12)
        top.addWidget(self.done_button)
        self.canvas = _Canvas()
        self.confidence = QLabel()
        self.confidence.setAccessibleName("Confidence")
        self.confidence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.confidence.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.confidence.setFont(font)
        self.back_button = _button("Back", "Back one photo and take its decision back (Backspace, Ctrl+Z)")
        self.reject_button = _button("Reject", "Not this label (N or ←)")
        self.skip_button = _button("Skip", "Decide later (Space)")
        self.accept_button = _button("Accept", "Yes, this label (Y or →)")
        self.back_button.clicked.connect(self.back)
        self.reject_button.clicked.connect(lambda: self.decide(REJECT))
        self.skip_button.clicked.connect(lambda: self.decide(SKIP))
        self.accept_button.clicked.connect(lambda: self.decide(ACCEPT))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.back_button, self.reject_button, self.skip_button, self.accept_button):
            button.setMinimumWidth(90)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.keys = QLabel("Y or → accept · N or ← reject · Space skip · Backspace back · Esc leave")
        self.keys.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.keys.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.summary = QLabel()
        self.summary.setAccessibleName("Review summary")
        self.summary.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.summary, 1)
        layout.addWidget(self.confidence)
        layout.addLayout(buttons)
        layout.addWidget(self.keys)

    # -- what is reviewed ---------------------------------------------------------------------------

    def start(self, label_set: str, label: str) -> None:
        """Review one label's suggestions from the most confident; they are read off the GUI thread."""
        library = self.controller.library
        if library is None:
            return
        self.label_set, self.label = label_set, label
        self.queue, self.position, self.history, self.loaded = [], 0, [], False
        self._pictures.clear()
        self._ahead.invalidate()
        self.title.setText(f"Reviewing <b>{html.escape(label)}</b> <small>({html.escape(label_set)})</small>")
        self.canvas.show_picture(None, "Reading the suggestions…")
        self._show()
        self.setFocus()
        self._queue_request.submit(lambda: library.tags.review_queue(label_set, label), self._on_queue)

    def _on_queue(self, queue: list[tuple[PhotoId, float | None]]) -> None:
        self.queue, self.loaded = queue, True
        self._show()

    @property
    def current(self) -> tuple[PhotoId, float | None] | None:
        return self.queue[self.position] if self.loaded and self.position < len(self.queue) else None

    def counts(self) -> dict[str, int]:
        """Decisions so far: accepted, rejected, skipped."""
        result = {ACCEPT: 0, REJECT: 0, SKIP: 0}
        for _, decision in self.history:
            result[decision] += 1
        return result

    def _show(self) -> None:
        current = self.current
        ended = self.loaded and current is None
        self.summary.setVisible(ended)
        self.canvas.setVisible(not ended)
        for button in (self.accept_button, self.reject_button, self.skip_button):
            button.setEnabled(current is not None)
        self.back_button.setEnabled(bool(self.history))
        counts = self.counts()
        self.tally.setText(f"{counts[ACCEPT]:,} accepted · {counts[REJECT]:,} rejected" if self.history else "")
        total = len(self.queue)
        if not self.loaded:
            self.progress.setText("")
            self.confidence.setText("")
            return
        if ended:
            self.progress.setText(f"{total:,} of {total:,} · {self.label}" if total else self.label)
            self.confidence.setText("")
            self.summary.setText(self._summary_text())
            return
        assert current is not None
        photo_id, score = current
        self.progress.setText(f"{self.position + 1:,} of {total:,} · {self.label}")
        self._show_picture(photo_id, score)
        self._prefetch()

    def _summary_text(self) -> str:
        label = html.escape(self.label)
        if not self.queue:
            return f"<p>No suggestions of <b>{label}</b> are left to review.</p><p>Esc goes back to the photos.</p>"
        counts = self.counts()
        return (
            f"<p><b>Done with {label}.</b></p>"
            f"<p>{counts[ACCEPT]:,} accepted, {counts[REJECT]:,} rejected, {counts[SKIP]:,} skipped.</p>"
            "<p>Backspace goes back one; Esc goes back to the photos.</p>"
        )

    def _show_picture(self, photo_id: int, score: float | None) -> None:
        confidence = f"Confidence {score:.0%}" if score is not None else "Confidence unknown"
        picture = self._pictures.get(photo_id)
        if picture is not None:
            self._picture_request.invalidate()
            self._apply_picture(photo_id, picture, confidence)
            return
        self.canvas.show_picture(None, "Loading…")
        self.confidence.setText(f"<b>{confidence}</b>")
        library = self.controller.library
        if library is not None:
            self._picture_request.submit(
                lambda: load_picture(library, photo_id), lambda p: self._on_picture(photo_id, p, confidence)
            )

    def _on_picture(self, photo_id: int, picture: Picture, confidence: str) -> None:
        self._keep(photo_id, picture)
        current = self.current
        if current is not None and current[0] == photo_id:
            self._apply_picture(photo_id, picture, confidence)

    def _apply_picture(self, photo_id: int, picture: Picture, confidence: str) -> None:
        self.canvas.show_picture(picture.image, picture.note)
        self.confidence.setText(f"<b>{confidence}</b> · {html.escape(picture.name)}" if picture.name else confidence)

    def _keep(self, photo_id: int, picture: Picture) -> None:
        self._pictures[photo_id] = picture
        self._pictures.move_to_end(photo_id)
        while len(self._pictures) > AHEAD + 4:
            self._pictures.popitem(last=False)

    def _prefetch(self) -> None:
        library = self.controller.library
        if library is None:
            return
        for photo_id, _ in self.queue[self.position + 1 : self.position + 1 + AHEAD]:
            if photo_id not in self._pictures:
                self._ahead.submit(partial(load_picture, library, photo_id), partial(self._keep, photo_id))

    # -- deciding -----------------------------------------------------------------------------------

    def decide(self, decision: str) -> None:
        """Accept, reject or skip the photo shown, and show the next; the write runs in the background."""
        current = self.current
        library = self.controller.library
        if current is None or library is None:
            return
        if decision != SKIP:
            done = [Decided(self.label_set, self.label, (int(current[0]),))]
            self.controller.write(lambda: apply(library, done, decision))
        self.history.append((self.position, decision))
        self.position += 1
        self._show()

    def back(self) -> None:
        """Back one photo, its decision taken back (the suggestion returns with its confidence)."""
        library = self.controller.library
        if not self.history or library is None:
            return
        position, decision = self.history.pop()
        if decision != SKIP:
            done = [Decided(self.label_set, self.label, (int(self.queue[position][0]),))]
            self.controller.write(lambda: reverse(library, done, decision))
        self.position = position
        self._show()

    def leave(self) -> None:
        """Back to the photos; the review's decisions become one undo step."""
        library = self.controller.library
        decided = {verdict: self._decided(verdict) for verdict in (ACCEPT, REJECT)}
        counts = self.counts()
        if library is not None and counts[ACCEPT] + counts[REJECT]:
            text = f"Review of “{self.label}” ({counts[ACCEPT]:,} accepted, {counts[REJECT]:,} rejected)"

            def undo_all() -> None:
                for verdict, items in decided.items():
                    reverse(library, items, verdict)

            def redo_all() -> None:
                for verdict, items in decided.items():
                    apply(library, items, verdict)

            self.undo.push(UndoStep(text, undo=undo_all, redo=redo_all))
            reviewed = counts[ACCEPT] + counts[REJECT]
            self.message.emit(
                f"Reviewed {counted(reviewed, 'suggestion')} of “{self.label}”: "
                f"{counts[ACCEPT]:,} accepted, {counts[REJECT]:,} rejected (Ctrl+Z undoes)."
            )
        self.history = []
        self._picture_request.invalidate()
        self._ahead.invalidate()
        self._pictures.clear()
        self.finished.emit()

    def _decided(self, verdict: str) -> list[Decided]:
        ids = tuple(int(self.queue[position][0]) for position, d in self.history if d == verdict)
        return [Decided(self.label_set, self.label, ids)] if ids else []

    # -- keys ---------------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:  # Qt's name
        """Claim this page's keys before the window's shortcuts (Ctrl+Z goes back one here)."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and self._handles(event):
            event.accept()
            return True
        return super().event(event)

    def _handles(self, event: QKeyEvent) -> bool:
        return (
            event.matches(QKeySequence.StandardKey.Undo)
            or event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Backspace)
            or (int(event.key()) in self.KEYS and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt's name
        key = int(event.key())
        if event.matches(QKeySequence.StandardKey.Undo) or key == Qt.Key.Key_Backspace:
            self.back()
        elif key == Qt.Key.Key_Escape:
            self.leave()
        elif key in self.KEYS and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.decide(self.KEYS[key])
        else:
            super().keyPressEvent(event)
