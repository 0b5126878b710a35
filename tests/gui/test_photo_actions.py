"""Ratings, favourites, Del, open elsewhere and copies, driven in the window as a person would.

Each test has its own photos (generated here, indexed with the tiny model) because some move
files to the trash; a temporary XDG_DATA_HOME holds that trash, never the user's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from photoclip.core import TINY_MODEL_KEY, Library, PhotoId, Rating
from photoclip.core.clip.embedder import Embedder
from photoclip.demo import generate_photos
from photoclip.ui.controller import MODEL_READY
from photoclip.ui.settings import AppSettings
from photoclip.ui.sidebar import ALL, album_scope
from photoclip.ui.window import GRID, VIEWER, MainWindow
from tests.gui.driving import WAIT, answer_next_question, open_window

N = 12


@pytest.fixture
def own_app(
    qtbot: Any, tmp_path: Path, gui_embedder: Embedder, app_settings: AppSettings, trash_dir: Path
) -> Iterator[tuple[MainWindow, Library]]:
    """The window on a library of its own photos, plus the engine opened beside it to check what it stored."""
    photos = tmp_path / "photos"
    generate_photos(photos, N, seed=8, combos=[("red", "circle"), ("blue", "square")], size=(320, 240))
    with Library.open(tmp_path / "library", model=TINY_MODEL_KEY, embedder=gui_embedder) as library:
        library.folders.add(photos)
        library.indexer.update()
        library.albums.create("Trip")
    window, controller = open_window(qtbot, tmp_path / "library", app_settings, size=(1000, 700), watch=False)
    qtbot.waitUntil(lambda: controller.state == MODEL_READY and window.model.rowCount() == N, timeout=WAIT)
    qtbot.waitUntil(lambda: all(window.model.photo(i) is not None for i in window.model.ids), timeout=WAIT)
    engine = controller.library
    assert engine is not None
    yield window, engine
    window.close()
    controller.close()


def select_rows(window: MainWindow, rows: list[int]) -> list[int]:
    window.grid.setFocus()
    ids = [window.model.ids[r] for r in rows]
    window.grid.select_ids(ids)
    window.grid.setCurrentIndex(window.model.index(rows[0]))
    window.grid.select_ids(ids)
    return ids


def show_album_of(qtbot: Any, window: MainWindow, library: Library, count: int) -> list[int]:
    """The first `count` photos put in the album "Trip", which the window then shows."""
    members = window.model.ids[:count]
    library.albums.add("Trip", members)
    window.sidebar.select_scope(album_scope("Trip"))
    qtbot.waitUntil(lambda: sorted(window.model.ids) == sorted(members), timeout=WAIT)
    return members


def status(window: MainWindow) -> str:
    return window.statusBar().currentMessage()


def test_keys_rate_the_selection_and_ctrl_z_undoes_it(own_app: tuple[MainWindow, Library], qtbot: Any) -> None:
    window, library = own_app
    ids = select_rows(window, [0, 2])

    qtbot.keyClick(window.grid, Qt.Key.Key_4)
    qtbot.waitUntil(lambda: library.ratings.of(ids) == {PhotoId(i): Rating(4) for i in ids}, timeout=WAIT)
    qtbot.waitUntil(lambda: status(window) == "Gave 2 photos 4 stars. Ctrl+Z undoes it.", timeout=WAIT)
    assert window.undo_action.text() == "Undo rate 2 photos ★★★★☆"

    qtbot.keyClick(window.grid, Qt.Key.Key_Period)  # the favourite key
    qtbot.waitUntil(lambda: library.ratings.get(ids[0]) == Rating(4, True), timeout=WAIT)
    assert library.ratings.get(ids[1]) == Rating(4, True)
    qtbot.waitUntil(lambda: status(window).startswith("Marked 2 photos as favourite"), timeout=WAIT)

    window.undo_action.trigger()  # Ctrl+Z: the favourite first, then the stars
    qtbot.waitUntil(lambda: library.ratings.get(ids[0]) == Rating(4, False), timeout=WAIT)
    qtbot.waitUntil(lambda: window.undo_action.isEnabled(), timeout=WAIT)
    qtbot.keySequence(window, QKeySequence(QKeySequence.StandardKey.Undo))
    qtbot.waitUntil(lambda: library.ratings.of(ids) == {}, timeout=WAIT)  # never rated again, not "0 stars"

    window.search.setFocus()
    qtbot.keyClicks(window.search, "3")  # a digit typed in the search field is text, not a rating
    assert window.search.text() == "3"
    qtbot.wait(200)
    assert library.ratings.of(window.model.ids) == {}


def test_the_rating_words_find_what_was_rated(own_app: tuple[MainWindow, Library], qtbot: Any) -> None:
    window, library = own_app
    ids = select_rows(window, [1, 3, 5])
    qtbot.keyClick(window.grid, Qt.Key.Key_5)
    qtbot.waitUntil(lambda: len(library.ratings.of(ids)) == 3, timeout=WAIT)
    window.search.setText("rating:>=4")  # filters only: the matching photos, newest first
    window.search.search_now()
    qtbot.waitUntil(lambda: sorted(window.model.ids) == sorted(ids), timeout=WAIT)
    select_rows(window, [0])
    favourite = window.model.ids[0]
    qtbot.keyClick(window.grid, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: library.ratings.get(favourite).favourite, timeout=WAIT)
    window.search.setText("is:favourite")
    window.search.search_now()
    qtbot.waitUntil(lambda: window.model.ids == [favourite], timeout=WAIT)
    select_rows(window, [0])
    qtbot.keyClick(window.grid, Qt.Key.Key_Period)  # unmarked: the results follow
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=WAIT)


def test_the_viewer_rates_its_photo_and_shows_the_stars(own_app: tuple[MainWindow, Library], qtbot: Any) -> None:
    window, library = own_app
    photo_id = window.model.ids[3]
    window.open_viewer(photo_id)
    assert window.stack.currentIndex() == VIEWER

    def shown_rating() -> str:
        label = next((w for w in window.viewer.panel.findChildren(QLabel) if w.accessibleName() == "Rating"), None)
        return label.accessibleDescription() if label is not None else ""

    qtbot.waitUntil(lambda: shown_rating() == "not rated", timeout=WAIT)
    qtbot.keyClick(window.viewer, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: shown_rating() == "★★★☆☆", timeout=WAIT)
    qtbot.keyClick(window.viewer, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: shown_rating() == "★★★☆☆ · favourite", timeout=WAIT)
    assert library.ratings.get(photo_id) == Rating(3, True)
    assert window.undo_action.text().startswith("Undo mark ")
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: shown_rating() == "★★★☆☆", timeout=WAIT)
    assert window.viewer.view.fitting  # 0-5 rate now; they no longer zoom


def test_the_edit_menu_offers_rate_favourite_and_says_the_keys(own_app: tuple[MainWindow, Library]) -> None:
    window, _ = own_app
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    rate = next(a.menu() for a in edit.actions() if a.text() == "Rate")
    assert [a.shortcut().toString() for a in rate.actions()] == ["0", "1", "2", "3", "4", "5"]
    assert rate.actions()[4].text() == "★★★★☆  4 stars" and rate.actions()[0].text() == "☆☆☆☆☆  No stars"
    favourite = next(a for a in edit.actions() if a.text() == "Favourite")
    assert favourite.shortcut().toString() == "."
    delete = window.photo_actions.delete_action
    assert delete in edit.actions() and delete.shortcut() == QKeySequence(QKeySequence.StandardKey.Delete)


def test_del_in_an_album_takes_photos_out_of_it_and_undo_puts_them_back(
    own_app: tuple[MainWindow, Library], qtbot: Any
) -> None:
    window, library = own_app
    members = show_album_of(qtbot, window, library, 3)
    ids = select_rows(window, [0, 1])
    window.photo_actions.update_texts()
    assert window.photo_actions.delete_action.text() == "Remove from “Trip”"

    qtbot.keyClick(window.grid, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    assert sorted(library.albums.photo_ids("Trip")) == sorted(set(members) - set(ids))
    assert all(p.path.exists() for p in library.photos.get(members).values())  # the photos stay
    assert status(window) == "Removed 2 photos from “Trip” (still in the library). Ctrl+Z puts them back."
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: sorted(window.model.ids) == sorted(members), timeout=WAIT)


def test_del_elsewhere_asks_then_moves_to_the_trash_and_undo_restores(
    own_app: tuple[MainWindow, Library], qtbot: Any, trash_dir: Path
) -> None:
    window, library = own_app
    window.sidebar.select_scope(ALL)
    ids = select_rows(window, [0, 1])
    photos = library.photos.get(ids)
    paths = [photos[PhotoId(i)].path for i in ids]
    library.ratings.rate(ids[:1], 5)
    said: list[str] = []

    answer_next_question(False, said)
    qtbot.keyClick(window.grid, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: bool(said), timeout=WAIT)
    assert said[0].startswith("Move 2 photos to the trash?") and "Nothing is deleted" in said[0]
    assert "Undo (Ctrl+Z) puts them back" in said[0] and "file manager's trash can restore them" in said[0]
    qtbot.wait(100)
    assert all(p.exists() for p in paths) and window.model.rowCount() == N  # cancelled: nothing moved

    answer_next_question(True, said)
    qtbot.keyClick(window.grid, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.model.rowCount() == N - 2, timeout=WAIT)
    assert not any(p.exists() for p in paths)
    assert sorted(f.name for f in (trash_dir / "files").iterdir()) == sorted(p.name for p in paths)
    assert status(window) == "Moved 2 photos to the trash. Ctrl+Z puts them back."
    assert window.undo_action.text() == "Undo move 2 photos to the trash"

    window.undo_action.trigger()
    qtbot.waitUntil(lambda: window.model.rowCount() == N and all(p.exists() for p in paths), timeout=WAIT)
    back = library.photos.by_path(paths[0])
    assert back is not None and library.ratings.get(back.id) == Rating(5)  # back with its rating
    qtbot.waitUntil(lambda: status(window) == "Restored 2 photos from the trash.", timeout=WAIT)


class _Opened(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_open_in_default_app_hands_the_file_to_the_system(own_app: tuple[MainWindow, Library]) -> None:
    window, library = own_app
    opened = _Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")
    try:
        ids = select_rows(window, [2])
        window.photo_actions.open_action.trigger()
        path = library.photos.get(ids)[PhotoId(ids[0])].path
        assert [u.toLocalFile() for u in opened.urls] == [str(path)]
        window.photo_actions.reveal_action.trigger()  # the folder, where no file manager can select the file
        assert opened.urls[-1].toLocalFile() == str(path.parent)
    finally:
        QDesktopServices.unsetUrlHandler("file")


def test_copy_to_folder_copies_in_the_background_and_reports_what_it_could_not(
    own_app: tuple[MainWindow, Library], qtbot: Any, tmp_path: Path
) -> None:
    window, library = own_app
    out = tmp_path / "export"
    out.mkdir()
    ids = select_rows(window, [0, 1, 2])
    photos = library.photos.get(ids)
    paths = [photos[PhotoId(i)].path for i in ids]
    before = {p: p.read_bytes() for p in paths[:2]}
    (out / paths[0].name).write_bytes(b"someone else's file")
    paths[2].unlink()  # gone from disk since it was indexed
    window.photo_actions.choose_folder = lambda: out

    window.photo_actions.copy_action.trigger()
    qtbot.waitUntil(lambda: status(window).startswith("Copied 2 photos"), timeout=WAIT)
    stem, suffix = paths[0].stem, paths[0].suffix
    assert sorted(p.name for p in out.iterdir()) == sorted([paths[0].name, f"{stem} (2){suffix}", paths[1].name])
    assert (out / paths[0].name).read_bytes() == b"someone else's file"  # never overwritten
    assert (out / f"{stem} (2){suffix}").read_bytes() == before[paths[0]]
    assert {p: p.read_bytes() for p in paths[:2]} == before  # originals untouched
    assert f"{paths[2].name} could not be copied: the file is not there any more" in status(window)
    warning = next(w for w in window.findChildren(QMessageBox) if w.windowTitle() == "Copy to folder")
    assert warning.isVisible() and str(paths[2]) in warning.detailedText()
    warning.close()
    assert window.stack.currentIndex() == GRID


def open_in_viewer(qtbot: Any, window: MainWindow, row: int) -> int:
    photo_id = window.model.ids[row]
    window.activateWindow()  # keys reach the window's shortcuts once a closed dialog gave the focus back
    window.open_viewer(photo_id)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.viewer, timeout=WAIT)
    qtbot.waitUntil(
        lambda: window.viewer.details is not None and window.viewer.details.photo.id == photo_id, timeout=WAIT
    )
    return photo_id


def test_del_in_the_viewer_trashes_the_photo_shown_and_shows_the_next(
    own_app: tuple[MainWindow, Library], qtbot: Any, trash_dir: Path
) -> None:
    window, library = own_app
    window.sidebar.select_scope(ALL)
    order = list(window.model.ids)
    shown = open_in_viewer(qtbot, window, 1)
    path = library.photos.get([shown])[PhotoId(shown)].path
    said: list[str] = []

    answer_next_question(True, said)
    qtbot.keyClick(window.viewer, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: not path.exists() and window.viewer.current_id == order[2], timeout=WAIT)
    assert said[0].startswith(f"Move {path.name} to the trash?")
    assert window.stack.currentIndex() == VIEWER, "the viewer stays, on the next photo"
    assert window.viewer.ids == [i for i in order if i != shown]
    qtbot.waitUntil(lambda: window.viewer.details is not None and window.viewer.details.photo.id == order[2])
    assert status(window) == "Moved 1 photo to the trash. Ctrl+Z puts it back."

    window.undo_action.trigger()
    qtbot.waitUntil(lambda: path.exists() and window.model.rowCount() == N, timeout=WAIT)

    last = open_in_viewer(qtbot, window, N - 1)  # the last photo: its predecessor shows next
    walked = list(window.viewer.ids)
    answer_next_question(True, said)
    qtbot.keyClick(window.viewer, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.viewer.current_id == walked[-2], timeout=WAIT)
    assert window.viewer.ids == walked[:-1] and last not in window.viewer.ids


def test_del_in_the_viewer_of_an_album_takes_the_photo_out_and_the_last_one_leaves_the_viewer(
    own_app: tuple[MainWindow, Library], qtbot: Any
) -> None:
    window, library = own_app
    members = show_album_of(qtbot, window, library, 2)
    first, second = window.model.ids
    open_in_viewer(qtbot, window, 0)

    qtbot.keyClick(window.viewer, Qt.Key.Key_Delete)  # no question: the photo stays in the library
    qtbot.waitUntil(lambda: window.viewer.current_id == second, timeout=WAIT)
    assert library.albums.photo_ids("Trip") == [second]
    qtbot.keyClick(window.viewer, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == GRID, timeout=WAIT)
    assert library.albums.photo_ids("Trip") == []
    assert all(p.path.exists() for p in library.photos.get(members).values())


def tag_statuses(library: Library, photo_id: int) -> dict[str, tuple[str, float | None]]:
    return {t.label: (t.status, t.score) for t in library.tags.tags_of([photo_id]).get(PhotoId(photo_id), [])}


def test_tag_decisions_in_the_viewer_are_undone_and_redone_exactly(
    own_app: tuple[MainWindow, Library], qtbot: Any
) -> None:
    window, library = own_app
    shown = window.model.ids[0]
    library.tags.auto_tag("Shapes (demo)", [shown], threshold=0.0)
    suggested = tag_statuses(library, shown)
    label = next(name for name, (state, _) in suggested.items() if state == "suggested")
    open_in_viewer(qtbot, window, 0)
    viewer = window.viewer
    tag = next(t for t in viewer.details.tags if t.label == label)

    for action, after in (("accept", "accepted"), ("reject", "rejected"), ("remove", None)):
        viewer.panel.tag_action.emit(action, tag)
        qtbot.waitUntil(lambda after=after: tag_statuses(library, shown).get(label, (None,))[0] == after, timeout=WAIT)
        qtbot.waitUntil(window.undo_action.isEnabled, timeout=WAIT)
        assert window.undo_action.text().endswith(
            f"“{label}” {'from' if action == 'remove' else 'for'} {viewer.details.photo.path.name}"
        )
        window.undo_action.trigger()
        qtbot.waitUntil(lambda: tag_statuses(library, shown) == suggested, timeout=WAIT)  # its confidence too
        qtbot.waitUntil(window.redo_action.isEnabled, timeout=WAIT)
        window.redo_action.trigger()
        qtbot.waitUntil(lambda after=after: tag_statuses(library, shown).get(label, (None,))[0] == after, timeout=WAIT)
        qtbot.waitUntil(window.undo_action.isEnabled, timeout=WAIT)
        window.undo_action.trigger()
        qtbot.waitUntil(lambda: tag_statuses(library, shown) == suggested, timeout=WAIT)
        qtbot.waitUntil(window.redo_action.isEnabled, timeout=WAIT)  # the undo has finished

    viewer.new_tag.setEditText("lighthouse")
    viewer.panel.add_tag.emit("lighthouse")
    qtbot.waitUntil(lambda: tag_statuses(library, shown).get("lighthouse") == ("accepted", None), timeout=WAIT)
    qtbot.waitUntil(lambda: window.undo_action.text().startswith("Undo tag "), timeout=WAIT)
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: tag_statuses(library, shown) == suggested, timeout=WAIT)
