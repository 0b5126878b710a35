"""Creating or editing a smart album: its name, the search that fills it, how relevant, and where.

The same rule a search in the window uses (words, +/- concepts, inline filters such as
tag: or after:), plus the relevance slider's scale and an optional folder and dates. The
engine validates everything; its message is shown here, and nothing is created until it
is accepted.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from photoclip.core import PhotoclipError, PhotoFilter, date_bound
from photoclip.ui.controller import LibraryController, user_message

if TYPE_CHECKING:
    from photoclip.core import Album, SmartAlbum


class SmartAlbumDialog(QDialog):
    """New smart album (`existing` None) or the rule of an existing one."""

    def __init__(
        self,
        controller: LibraryController,
        folders: list[Path],
        parent: QWidget | None = None,
        *,
        existing: SmartAlbum | None = None,
        query: str = "",
        relevance: float = 0.5,
        folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.existing = existing
        self.created: str | None = None
        self.setWindowTitle("Edit smart album" if existing else "New smart album")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel("A smart album holds the photos a search finds, and keeps up as photos arrive, change or go.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit(existing.name if existing else "")
        self.name.setEnabled(existing is None)
        self.name.setPlaceholderText("e.g. Dogs")
        form.addRow("&Name:", self.name)
        rule = existing.rule if existing else None
        self.query = QLineEdit(rule.query if rule else query)
        self.query.setPlaceholderText('e.g. dog -cat, or "golden hour" tag:beach')
        form.addRow("&Search for:", self.query)
        slider_row = QHBoxLayout()
        self.relevance = QSlider(Qt.Orientation.Horizontal)
        self.relevance.setRange(0, 100)
        self.relevance.setValue(round((rule.relevance if rule else relevance) * 100))
        self.relevance_value = QLabel()
        self.relevance.valueChanged.connect(self._show_relevance)
        slider_row.addWidget(self.relevance, 1)
        slider_row.addWidget(self.relevance_value)
        self._show_relevance()
        relevance_label = QLabel("&Relevance:")  # a row holding a layout gets no buddy by itself
        relevance_label.setBuddy(self.relevance)
        form.addRow(relevance_label, slider_row)
        self.folder = QComboBox()
        self.folder.addItem("Anywhere in the library", None)
        chosen = rule.photo_filter.folders[0] if rule and rule.photo_filter.folders else folder
        for path in folders:
            self.folder.addItem(str(path), str(path))
        if chosen is not None:
            index = self.folder.findData(str(chosen))
            if index < 0:
                self.folder.addItem(str(chosen), str(chosen))
                index = self.folder.count() - 1
            self.folder.setCurrentIndex(index)
        form.addRow("&Only in:", self.folder)
        self.after = QLineEdit(rule.photo_filter.taken_after or "" if rule else "")
        self.before = QLineEdit(rule.photo_filter.taken_before or "" if rule else "")
        for field in (self.after, self.before):
            field.setPlaceholderText("YYYY, YYYY-MM or YYYY-MM-DD")
        form.addRow("Taken &after:", self.after)
        form.addRow("Taken &before:", self.before)
        layout.addLayout(form)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.setVisible(False)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Save" if existing else "Create")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout.addWidget(buttons)

    def _show_relevance(self) -> None:
        value = self.relevance.value()
        words = "everything above typical" if value == 0 else "only the best" if value == 100 else ""
        self.relevance_value.setText(f"{value / 100:.2f}" + (f" ({words})" if words else ""))

    def _filter(self) -> PhotoFilter:
        folder = self.folder.currentData()
        after, before = self.after.text().strip(), self.before.text().strip()
        existing = self.existing.rule.photo_filter if self.existing else PhotoFilter()
        return PhotoFilter(
            (Path(folder),) if folder else (),
            date_bound(after, end=False) if after else None,
            date_bound(before, end=True) if before else None,
            existing.file_types,
            existing.tags,
            existing.albums,
            min_stars=existing.min_stars,
            max_stars=existing.max_stars,
            favourite=existing.favourite,
        )

    def _save(self) -> None:
        library = self.controller.library
        if library is None:
            return
        try:
            photo_filter = self._filter()
        except PhotoclipError as e:
            self._say(str(e))
            return
        name, query, relevance = self.name.text().strip(), self.query.text().strip(), self.relevance.value() / 100
        if not name:
            self._say("The album needs a name.")
            return
        self.buttons.setEnabled(False)
        self._say("")

        def work() -> Album:
            if self.existing is None:
                return library.smart_albums.create(name, query, relevance=relevance, photo_filter=photo_filter).value
            return library.smart_albums.edit(name, query=query, relevance=relevance, photo_filter=photo_filter).value

        def done(album: Album) -> None:
            self.created = album.name
            self.accept()

        def failed(error: BaseException) -> None:
            self.buttons.setEnabled(True)
            self._say(user_message(error))

        self.controller.runner.write(work, done, failed)

    def _say(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
