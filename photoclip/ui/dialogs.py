"""Small dialogs: the skipped-files list, tagging a selection by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from photoclip.core import counted
from photoclip.ui.controller import LibraryController
from photoclip.ui.viewer import show_in_folder

if TYPE_CHECKING:
    from photoclip.core import SkippedFile, TagCount


class ProblemsDialog(QDialog):
    """Every file photoclip could not read, with the reason, so nothing is skipped silently."""

    def __init__(self, controller: LibraryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Skipped files")
        self.resize(860, 420)
        self.summary = QLabel("Reading…")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["File", "Why it was skipped"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setAccessibleName("Skipped files")
        self.table.doubleClicked.connect(self._reveal)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy list")
        copy.clicked.connect(self._copy)
        reveal = QPushButton("Show in folder")
        reveal.clicked.connect(self._reveal)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(reveal, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        library = controller.library
        if library is not None:
            controller.read(lambda: library.photos.skipped(5000), self._fill)

    def _fill(self, photos: list[SkippedFile]) -> None:
        self.table.setRowCount(len(photos))
        for row, photo in enumerate(photos):
            path_item = QTableWidgetItem(str(photo.path))
            path_item.setData(Qt.ItemDataRole.UserRole, str(photo.path))
            self.table.setItem(row, 0, path_item)
            self.table.setItem(row, 1, QTableWidgetItem(photo.message))
        if photos:
            self.summary.setText(
                f"{counted(len(photos), 'file')} could not be read. They stay untouched on disk and are retried "
                "when they change (a file replaced by a good copy is indexed)."
            )
        else:
            self.summary.setText("No problems: every photo file was read.")

    def _copy(self) -> None:
        lines = [
            f"{self.table.item(r, 0).text()}\t{self.table.item(r, 1).text()}"  # type: ignore[union-attr]
            for r in range(self.table.rowCount())
        ]
        QGuiApplication.clipboard().setText("\n".join(lines))

    def _reveal(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            from pathlib import Path

            show_in_folder(Path(self.table.item(row, 0).text()))  # type: ignore[union-attr]


class TagDialog(QDialog):
    """Tag photos by hand: any existing label, or a new word (kept in the "My tags" set)."""

    def __init__(self, controller: LibraryController, photo_ids: Sequence[int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.photo_ids = list(photo_ids)
        self.setWindowTitle(f"Tag {counted(len(self.photo_ids), 'photo')}")
        self.label = QComboBox()
        self.label.setEditable(True)
        self.label.setAccessibleName("Tag")
        self.label.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        editor = self.label.lineEdit()
        assert editor is not None
        editor.setPlaceholderText("a tag, e.g. grandma")
        self.message = QLabel()
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Tag", self.label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._labels: dict[str, tuple[str, str]] = {}
        library = controller.library
        if library is not None:
            controller.read(library.tags.counts, self._fill)

    def _fill(self, counts: list[TagCount]) -> None:
        for count in counts:
            self._labels.setdefault(count.label.casefold(), (count.label_set, count.label))
        self.label.addItems(sorted({label for _, label in self._labels.values()}, key=str.casefold))
        self.label.setEditText("")

    def apply(self) -> None:
        text = self.label.currentText().strip()
        if not text:
            self.message.setText("Type a tag first.")
            return
        library = self.controller.library
        if library is None:
            return
        known = self._labels.get(text.casefold())
        ids = self.photo_ids

        def work() -> object:
            if known is not None:
                return library.tags.accept(ids, known[0], known[1])
            return library.tags.tag(ids, text)

        self.controller.write(work)
        self.accept()
