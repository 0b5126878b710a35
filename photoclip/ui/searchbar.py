"""The search field: search as you type, tag completion, the syntax at hand, photos dropped in.

Typing restarts a short timer and only the settled text is searched, so a fast
typist causes one search, not one per key. A photo dropped onto the field (from
the grid or a file manager) becomes the example for "find similar"; Esc clears
everything and returns to the album or folder being browsed. `FilterChips` show
the filters of the query as the engine understood them (typed ones, and those
read from the words, such as "2023" or "in Portugal"); each chip's ✕ removes
its filter (words read as a filter are kept, as words).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from photoclip.ui.grid import local_files_from_mime, photo_ids_from_mime

if TYPE_CHECKING:
    from photoclip.core import QueryChip

DEBOUNCE_MS = 250

SYNTAX_HELP = """<b>Search syntax</b>
<table cellspacing="4">
<tr><td><code>kids on a beach at sunset</code></td><td>describe the photo in words</td></tr>
<tr><td><code>beach -people +sunset</code></td>
<td>add (+) or remove (-) a concept; quote several words: <code>+"golden hour"</code></td></tr>
<tr><td><code>tag:beach</code></td><td>photos tagged beach (a parent tag includes its children)</td></tr>
<tr><td><code>album:"Holiday 2024"</code></td><td>photos in an album</td></tr>
<tr><td><code>folder:~/Pictures/2023</code></td><td>only photos under a folder (also <code>in:</code>)</td></tr>
<tr><td><code>after:2023-06 before:2023-08</code></td><td>date taken, inclusive (YYYY, YYYY-MM or YYYY-MM-DD)</td></tr>
<tr><td><code>type:png</code></td><td>file type (jpeg, png, heif, raw, ...)</td></tr>
<tr><td><code>text:"boarding pass"</code></td>
<td>photos whose text holds these words (read in the photos; whole words, case and accents aside)</td></tr>
<tr><td><code>place:Lisbon</code></td>
<td>taken in a city, region or country (<code>place:"Paris, Texas"</code> narrows)</td></tr>
</table>
<p><b>Words that are filters:</b> a year (<code>2023</code>), a month with its year (<code>july 2023</code>)
and <code>in</code> with a place of your library (<code>beach in Portugal</code>) become filters, shown as
chips under the search field; click a chip's ✕ to keep those words as words (or quote them).</p>
<p>Drop a photo on the search field, or right-click one and choose <i>Find similar</i>, to search by example.
Filters alone (<code>tag:beach</code>) list the matching photos newest first.</p>
<p><b>Where CLIP struggles:</b> words with two meanings ("boxer": dog or athlete? add words),
fine-grained kinds (exact bird species, car models), counting ("three people"), and reading text or
handwriting (<code>text:</code> finds what OCR read instead). The relevance slider hides weak matches; the
scores show how sure it is.</p>"""


class SearchField(QLineEdit):
    """Emits `query_changed` once typing settles, `example_dropped` for a photo dropped on it."""

    query_changed = Signal(str)
    example_dropped = Signal(object)  # photo id (int) or a file Path
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Search: describe a photo, or tag:…, album:…, after:2023 (Ctrl+F)")
        self.setAccessibleName("Search photos")
        self.setClearButtonEnabled(True)
        self.setAcceptDrops(True)
        self.setMinimumWidth(260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)  # the toolbar's main part
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self.query_changed.emit(self.text().strip()))
        self.textEdited.connect(lambda _text: self._timer.start())
        self.textChanged.connect(self._maybe_cleared)
        self._completions = QStringListModel(self)
        completer = QCompleter(self._completions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.activated.connect(self._complete)
        self._completer = completer
        self._completer.setWidget(self)
        self.textEdited.connect(self._update_completion)

    def set_completions(self, tags: list[str], albums: list[str]) -> None:
        """Offer tag:… and album:… tokens for what exists in the library."""
        words = [f"tag:{_quoted(t)}" for t in sorted(set(tags), key=str.casefold)]
        words += [f"album:{_quoted(a)}" for a in sorted(albums, key=str.casefold)]
        self._completions.setStringList(words)

    def _current_token(self) -> str:
        text = self.text()[: self.cursorPosition()]
        return text.rsplit(" ", 1)[-1]

    def _update_completion(self, _text: str) -> None:
        token = self._current_token()
        if token.startswith(("tag:", "album:")) and len(token) >= 4:
            self._completer.setCompletionPrefix(token)
            self._completer.complete()
        else:
            popup = self._completer.popup()
            if popup is not None:
                popup.hide()

    def _complete(self, completion: str) -> None:
        token = self._current_token()
        before = self.text()[: self.cursorPosition() - len(token)]
        after = self.text()[self.cursorPosition() :]
        self.setText(f"{before}{completion} {after.lstrip()}")
        self.setCursorPosition(len(before) + len(completion) + 1)
        self._timer.start()

    def search_now(self) -> None:
        self._timer.stop()
        self.query_changed.emit(self.text().strip())

    def _maybe_cleared(self, text: str) -> None:
        if not text:  # the clear button or select-all + delete
            self._timer.stop()
            self.query_changed.emit("")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt's name
        popup_open = bool(self._completer.popup() and self._completer.popup().isVisible())  # type: ignore[union-attr]
        if event.key() == Qt.Key.Key_Escape and not popup_open:
            self.clear()
            self.cleared.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not popup_open:
            self.search_now()
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt's name
        data = event.mimeData()
        if photo_ids_from_mime(data) or local_files_from_mime(data):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # Qt's name
        data = event.mimeData()
        ids = photo_ids_from_mime(data)
        files = local_files_from_mime(data)
        if ids:
            self.example_dropped.emit(ids[0])
        elif files:
            self.example_dropped.emit(Path(files[0]))
        else:
            super().dropEvent(event)
            return
        event.acceptProposedAction()


def _quoted(word: str) -> str:
    return f'"{word}"' if " " in word else word


def syntax_button(parent: QWidget) -> QToolButton:
    """A "?" button whose popover explains the query syntax and CLIP's weak spots."""
    button = QToolButton(parent)
    button.setText("?")
    button.setToolTip("Search syntax")
    button.setAccessibleName("Search syntax help")
    menu = QMenu(button)
    label = QLabel(SYNTAX_HELP)
    label.setWordWrap(True)
    label.setMinimumWidth(520)
    label.setMargin(10)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    action = QWidgetAction(menu)
    action.setDefaultWidget(label)
    menu.addAction(action)
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    return button


class FilterChips(QWidget):
    """The query's filters as chips; clicking one emits the query without that filter."""

    remove_requested = Signal(str)  # the query to search instead

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Search filters")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._intro = QLabel("Filters:")
        self._layout.addWidget(self._intro)
        self._layout.addStretch(1)
        self.buttons: list[QToolButton] = []
        self.setVisible(False)

    def show_chips(self, chips: Sequence[QueryChip]) -> None:
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.setParent(None)
            button.deleteLater()
        self.buttons = []
        for position, chip in enumerate(chips):
            button = QToolButton(self)
            button.setText(f"{chip.label}  ✕")
            button.setAutoRaise(False)
            read = "Read from your words: " if chip.from_words else ""
            undo = "keep these words as words" if chip.from_words else "remove this filter"
            button.setToolTip(f"{read}{chip.meaning}. Click to {undo}.")
            button.setAccessibleName(f"Remove the filter {chip.label}")
            without = chip.without
            button.clicked.connect(lambda _checked=False, query=without: self.remove_requested.emit(query))
            self._layout.insertWidget(1 + position, button)
            self.buttons.append(button)
        self.setVisible(bool(chips))
