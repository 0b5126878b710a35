"""What a person does to the photos they picked: rate, favourite, remove, open elsewhere, copy out.

One place for the actions the Edit menu, the grid's context menu and the keys share, so each
says the same thing wherever it is used:

- **Rate** ▸ 0-5 (keys 0-5, as in Lightroom, digiKam and Shotwell) and **Favourite** (`.`, as in
  Apple Photos) apply to the grid's selection, or to the photo in the viewer. Each is one step
  on the window's undo stack, and the status bar says what it did.
- **Del** in the grid or the viewer: inside an album it takes the selection (or the photo shown)
  out of the album (the photos stay in the library); anywhere else it moves the files to the
  platform trash after a confirmation that says how many and that they can be restored (Ctrl+Z
  or the file manager's trash). Nothing is ever deleted outright (`core.media.trash`). `removed`
  says which photos left, so the viewer goes on to the next one.
- **Open in default app**, **Show in folder**, and **Copy to folder…**: copies only, made off the
  GUI thread with a progress dialog and a final message (`core.media.copying`).

The window supplies what the actions apply to (`targets`), the album shown (`album`) and the
photo rows it holds (`photo_of`); the engine does the work and says what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QProgressDialog, QWidget

from photoclip.core import (
    MAX_STARS,
    UNRATED,
    CopyReport,
    Library,
    Photo,
    PhotoId,
    Rating,
    RestoreReport,
    TrashReport,
    counted,
)
from photoclip.ui.controller import LibraryController
from photoclip.ui.undo import UndoStack, UndoStep

FAVOURITE_KEY = "."
"""Apple Photos' key for a favourite; digits are the stars."""


def stars_text(stars: int) -> str:
    """★★★☆☆ (what the menu and the info panel show)."""
    return "★" * stars + "☆" * (MAX_STARS - stars)


def rate_label(stars: int) -> str:
    return f"{stars_text(stars)}  " + ("No stars" if stars == 0 else counted(stars, "star"))


class _Progress(QObject):
    """Carries a worker's progress to the GUI thread (a signal emitted off it arrives queued)."""

    moved = Signal(int, int)


class PhotoActions(QObject):
    """The actions (see the module docstring); `message` is what the status bar should say."""

    message = Signal(str)
    removed = Signal(list)  # photo ids that left what is shown (to the trash, or out of the album shown)

    def __init__(
        self,
        parent: QWidget,
        controller: LibraryController,
        undo: UndoStack,
        *,
        targets: Callable[[], list[int]],
        album: Callable[[], str | None],
        photo_of: Callable[[int], Photo | None],
    ) -> None:
        super().__init__(parent)
        self.window = parent
        self.controller = controller
        self.undo = undo
        self.targets = targets
        self.album = album
        self.photo_of = photo_of
        self.choose_folder: Callable[[], Path | None] = self._choose_folder
        self.copy_progress: QProgressDialog | None = None
        self.rate_actions = [self._action(rate_label(n), str(n), partial(self.rate, n)) for n in range(MAX_STARS + 1)]
        self.favourite_action = self._action("Favourite", FAVOURITE_KEY, self.toggle_favourite)
        self.favourite_action.setToolTip(
            "Mark the photos as favourites, or unmark them if they all are (search: is:favourite)"
        )
        self.delete_action = self._action("Move to trash…", QKeySequence.StandardKey.Delete, self.delete_selection)
        self.open_action = self._action("Open in default app", None, self.open_in_default_app)
        self.reveal_action = self._action("Show in folder", None, self.show_in_folder)
        self.copy_action = self._action("Copy to folder…", "Ctrl+Shift+E", self.copy_to_folder)

    def _action(
        self, text: str, shortcut: str | QKeySequence.StandardKey | None, slot: Callable[[], object]
    ) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)  # the keys work while the menus are closed
        return action

    def rate_menu(self, parent: QMenu) -> QMenu:
        menu = parent.addMenu("Rate")
        for action in self.rate_actions:
            menu.addAction(action)
        return menu

    def update_texts(self) -> None:
        """Del's words follow where the grid is: an album, or anywhere else (called before a menu shows)."""
        name = self.album()
        self.delete_action.setText(f"Remove from “{name}”" if name else "Move to trash…")

    def _library(self) -> Library | None:
        return self.controller.library

    def _what(self, ids: Sequence[int]) -> str:
        """One photo by its file name, more by their number."""
        if len(ids) == 1:
            photo = self.photo_of(ids[0])
            if photo is not None:
                return photo.path.name
        return counted(len(ids), "photo")

    # -- ratings --------------------------------------------------------------------------------

    def rate(self, stars: int) -> None:
        library, ids = self._library(), self.targets()
        if library is None or not ids:
            return
        what = self._what(ids)
        text = f"Rate {what} {stars_text(stars)}" if stars else f"Clear the stars of {what}"

        def done(before: dict[PhotoId, Rating | None]) -> None:
            if before:
                self.undo.push(UndoStep(text, lambda: library.ratings.restore(before)))
            said = f"Gave {what} {counted(stars, 'star')}" if stars else f"Cleared the stars of {what}"
            self.message.emit(f"{said}. Ctrl+Z undoes it." if before else f"{what} already had that rating.")

        self.controller.write(lambda: library.ratings.rate(ids, stars).value, done)

    def toggle_favourite(self) -> None:
        """Favourites unless every one already is; then not (as Apple Photos' heart)."""
        library, ids = self._library(), self.targets()
        if library is None or not ids:
            return
        what = self._what(ids)

        def work() -> tuple[bool, dict[PhotoId, Rating | None]]:
            now = library.ratings.of(ids)
            mark = not all(now.get(PhotoId(int(i)), UNRATED).favourite for i in ids)
            return mark, library.ratings.set_favourite(ids, mark).value

        def done(answer: tuple[bool, dict[PhotoId, Rating | None]]) -> None:
            mark, before = answer
            text = f"Mark {what} as favourite" if mark else f"Unmark {what} as favourite"
            if before:
                self.undo.push(UndoStep(text, lambda: library.ratings.restore(before)))
            said = f"Marked {what} as favourite" if mark else f"{what} no longer favourite"
            self.message.emit(f"{said[0].upper()}{said[1:]}. Ctrl+Z undoes it.")

        self.controller.write(work, done)

    # -- Del: out of the album, or to the trash -------------------------------------------------

    def delete_selection(self) -> None:
        """Del: the viewer's photo or the grid's selection, out of the album shown or to the trash."""
        library, ids = self._library(), self.targets()
        if library is None or not ids:
            return
        name = self.album()
        if name:
            self._remove_from_album(library, name, ids)
        elif confirm_trash(self.window, len(ids), self._what(ids)):
            self.move_to_trash(ids)

    def _remove_from_album(self, library: Library, name: str, ids: list[int]) -> None:
        what = self._what(ids)

        def done(removed: int) -> None:
            if removed:
                self.undo.push(UndoStep(f"Remove {what} from “{name}”", lambda: library.albums.add(name, ids)))
                self.removed.emit(list(ids))
            them = "it" if len(ids) == 1 else "them"
            self.message.emit(
                f"Removed {what} from “{name}” (still in the library). Ctrl+Z puts {them} back."
                if removed
                else f"{what} {'is' if len(ids) == 1 else 'are'} not in “{name}”."
            )

        self.controller.write(lambda: library.albums.remove(name, ids).value, done)

    def move_to_trash(self, ids: list[int]) -> None:
        """The platform trash, one undo step (the same engine call the Duplicates view makes)."""
        library = self._library()
        if library is None:
            return

        def done(report: TrashReport) -> None:
            if report.trashed:
                gone = report.trashed
                name = gone[0].file.original.name if len(gone) == 1 else counted(len(gone), "photo")
                self.undo.push(UndoStep(f"Move {name} to the trash", lambda: library.trash.restore(gone), _restored))
                self.removed.emit([int(t.photo_id) for t in gone])
            if report.failed:
                path, why = report.failed[0]
                more = (
                    f" ({counted(len(report.failed) - 1, 'other')} not moved either)" if len(report.failed) > 1 else ""
                )
                self.message.emit(f"{path.name} was not moved to the trash: {why}{more}")
            elif report.trashed:
                moved, them = counted(len(report.trashed), "photo"), "it" if len(report.trashed) == 1 else "them"
                self.message.emit(f"Moved {moved} to the trash. Ctrl+Z puts {them} back.")

        self.controller.write(lambda: library.trash.move(ids), done)

    # -- elsewhere: the system's apps, the file manager, a copy -----------------------------------

    def _first_path(self) -> Path | None:
        ids = self.targets()
        photo = self.photo_of(ids[0]) if ids else None
        return photo.path if photo is not None else None

    def open_in_default_app(self) -> None:
        path = self._first_path()
        if path is None:
            return
        if not path.exists():
            self.message.emit(f"{path.name} is not on disk (is its drive connected?).")
        elif not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.message.emit(f"No application is set up to open {path.suffix or 'such'} files.")

    def show_in_folder(self) -> None:
        from photoclip.ui.viewer import show_in_folder

        path = self._first_path()
        if path is not None:
            show_in_folder(path)

    def _choose_folder(self) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(self.window, "Copy the photos to", str(Path.home()))
        return Path(chosen) if chosen else None

    def copy_to_folder(self) -> None:
        """Copies of the selection in a folder chosen in a dialog (off the GUI thread, with progress)."""
        library, ids = self._library(), self.targets()
        if library is None or not ids:
            return
        folder = self.choose_folder()
        if folder is None:
            return
        dialog = QProgressDialog(f"Copying {counted(len(ids), 'photo')} to {folder}…", "Stop", 0, len(ids), self.window)
        dialog.setWindowTitle("Copy to folder")
        dialog.setMinimumDuration(400)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setValue(0)
        self.copy_progress = dialog
        progress = _Progress(self)
        progress.moved.connect(lambda done, _total: dialog.setValue(done))
        stop = {"asked": False}
        dialog.canceled.connect(lambda: stop.update(asked=True))

        def work() -> CopyReport:
            return library.photos.copy_to(
                ids, folder, progress=progress.moved.emit, cancelled=lambda: bool(stop["asked"])
            )

        def done(report: CopyReport) -> None:
            dialog.close()
            self.copy_progress = None
            self.message.emit(str(report))
            if report.failed:
                box = QMessageBox(QMessageBox.Icon.Warning, "Copy to folder", str(report), parent=self.window)
                box.setDetailedText("\n".join(f"{path}: {why}" for path, why in report.failed))
                box.open()

        def failed(error: BaseException) -> None:
            from photoclip.ui.controller import user_message

            dialog.close()
            self.copy_progress = None
            self.message.emit(f"Nothing was copied: {user_message(error)}")

        self.controller.runner.read(work, done, failed)


def confirm_trash(parent: QWidget, count: int, what: str) -> bool:
    """Ask before files leave their folder: how many, and that they can be restored."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Move to the trash")
    box.setText(f"Move {what} to the trash?")
    them = "it" if count == 1 else "them"
    box.setInformativeText(
        f"Undo (Ctrl+Z) puts {them} back with {'its' if count == 1 else 'their'} tags, albums and ratings, and your "
        f"file manager's trash can restore {them} too. Nothing is deleted."
    )
    move = box.addButton(f"Move {counted(count, 'photo')} to the trash", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is move


def _restored(report: Any) -> str:
    assert isinstance(report, RestoreReport)
    if report.failed:
        path, why = report.failed[0]
        return f"Restored {counted(len(report.restored), 'photo')}; {path.name} could not be: {why}"
    return f"Restored {counted(len(report.restored), 'photo')} from the trash."
