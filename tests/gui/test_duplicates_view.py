"""The Duplicates & bursts view, trash and undo, driven as a person would; smart albums in the sidebar.

A private library per test (generated copies, bursts and look-alikes on disk, the tiny
model) because these tests move files to the trash: a temporary XDG_DATA_HOME holds
that trash, never the real user's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QKeySequence

from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.registry import TINY_MODEL_KEY
from photoclip.demo.variants import DuplicateTruth, build_duplicate_library
from photoclip.ui.controller import MODEL_READY
from photoclip.ui.settings import AppSettings
from photoclip.ui.sidebar import SIMILAR, KindRole, SmartRole
from photoclip.ui.window import GRID, SIMILAR_VIEW, MainWindow
from tests.gui.driving import WAIT, answer_next_question, open_window


@pytest.fixture
def duplicates_app(
    qtbot: Any, tmp_path: Path, gui_embedder: Embedder, app_settings: AppSettings, trash_dir: Path
) -> Iterator[tuple[MainWindow, DuplicateTruth]]:
    truth = build_duplicate_library(tmp_path / "photos", originals=4, bursts=2, look_alikes=3, size=(320, 240), seed=2)
    with Library.open(tmp_path / "library", model=TINY_MODEL_KEY, embedder=gui_embedder) as library:
        library.folders.add(tmp_path / "photos")
        library.indexer.update()
        library.smart_albums.create("Stars", "a star", relevance=0.5)
    window, controller = open_window(qtbot, tmp_path / "library", app_settings, size=(1000, 700), watch=False)
    qtbot.waitUntil(lambda: controller.state == MODEL_READY and window.similar.found is not None, timeout=WAIT)
    yield window, truth
    window.close()
    controller.close()


def test_the_sidebar_counts_the_groups_and_opens_the_view(
    duplicates_app: tuple[MainWindow, DuplicateTruth], qtbot: Any
) -> None:
    window, truth = duplicates_app
    entry = next(i for i in window.sidebar._all_items() if i.data(0, KindRole) == "duplicates")
    groups = len(truth.duplicates) + len(truth.bursts)
    qtbot.waitUntil(lambda: entry.text(0) == f"Duplicates & bursts  {groups}", timeout=WAIT)
    window.sidebar.setCurrentItem(entry)
    assert window.stack.currentIndex() == SIMILAR_VIEW and window.sidebar.current_scope == SIMILAR
    view = window.duplicates
    assert view.duplicates_button.text() == f"Duplicates ({len(truth.duplicates)})"
    assert len([c for c in view.cards.values() if c.objectName() == "keeper"]) == len(truth.duplicates)
    keeper = next(c for c in view.cards.values() if c.objectName() == "keeper")
    assert keeper.badge.text() == "★ Best shot" and not keeper.keep_button.isEnabled()
    view.show_kind("bursts")
    assert len(view.cards) == sum(len(b) for b in truth.bursts)
    assert {c.badge.text() for c in view.cards.values()} == {"★ Best shot", "Another frame of the burst"}
    window.sidebar.select_scope(window.sidebar.scope_of(window.sidebar._all))  # back to the photos
    assert window.stack.currentIndex() == GRID


def test_trash_one_photo_then_undo_puts_it_back_with_its_album(
    duplicates_app: tuple[MainWindow, DuplicateTruth], qtbot: Any, trash_dir: Path
) -> None:
    window, _truth = duplicates_app
    library = window.controller.library
    assert library is not None
    window.show_duplicates()
    view = window.duplicates
    card = next(c for c in view.cards.values() if c.objectName() == "photo")
    path = card.member.path
    library.albums.create("Keep", [card.member.id])
    card.trash_button.click()
    qtbot.waitUntil(lambda: not path.exists() and window.undo_action.isEnabled(), timeout=WAIT)
    assert (trash_dir / "files" / path.name).exists() and (trash_dir / "info" / f"{path.name}.trashinfo").exists()
    assert int(card.member.id) not in view.cards  # left the groups at once
    assert window.undo_action.text() == f"Undo move {path.name} to the trash"
    assert window.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)  # Ctrl+Z
    assert "Ctrl+Z" in window.statusBar().currentMessage()
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: path.exists() and "Restored 1 file" in window.statusBar().currentMessage(), timeout=WAIT)
    assert not (trash_dir / "files" / path.name).exists()
    assert library.albums.get("Keep").count == 1  # its album place came back with it
    assert not window.undo_action.isEnabled()
    qtbot.waitUntil(
        lambda: any(m.path == path for g in window.similar.found.duplicates for m in g.members), timeout=WAIT
    )


def test_keep_the_best_of_every_group_asks_first_and_says_how_many(
    duplicates_app: tuple[MainWindow, DuplicateTruth], qtbot: Any, trash_dir: Path
) -> None:
    window, truth = duplicates_app
    window.show_duplicates()
    view = window.duplicates
    found = window.similar.found
    assert found is not None
    extra = sum(len(g.members) - 1 for g in found.duplicates)
    keepers = {g.best.path for g in found.duplicates}
    said: list[str] = []
    answer_next_question(False, said)
    view.keep_all_button.click()
    assert said and said[0].startswith(f"Move {extra} files") and "Nothing is deleted" in said[0]
    assert all(p.exists() for g in truth.duplicates for p in g)  # cancelled: nothing moved
    answer_next_question(True, said)
    view.keep_all_button.click()
    qtbot.waitUntil(lambda: len(list((trash_dir / "files").glob("*"))) == extra, timeout=WAIT)
    assert all(p.exists() for p in keepers)
    qtbot.waitUntil(lambda: window.similar.found is not None and not window.similar.found.duplicates, timeout=WAIT)
    assert view.summary.text().startswith("No duplicates among")
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: all(p.exists() for g in truth.duplicates for p in g), timeout=WAIT)


def test_keep_this_moves_the_mark_and_the_group_button_keeps_it(
    duplicates_app: tuple[MainWindow, DuplicateTruth], qtbot: Any, trash_dir: Path
) -> None:
    window, _truth = duplicates_app
    window.show_duplicates()
    view = window.duplicates
    other = next(c for c in view.cards.values() if c.objectName() == "photo")
    chosen = other.member.path
    other.keep_button.click()
    assert view.cards[int(other.member.id)].objectName() == "keeper"
    group = next(g for g in window.similar.found.duplicates if any(m.path == chosen for m in g.members))  # type: ignore[union-attr]
    said: list[str] = []
    answer_next_question(True, said)
    view._trash_others(group)
    qtbot.waitUntil(lambda: all(not m.path.exists() for m in group.members if m.path != chosen), timeout=WAIT)
    assert chosen.exists() and chosen.name in said[0]


def test_smart_albums_are_marked_in_the_sidebar_and_refuse_drops(
    duplicates_app: tuple[MainWindow, DuplicateTruth], qtbot: Any
) -> None:
    window, _truth = duplicates_app
    qtbot.waitUntil(lambda: "Stars" in [i.data(0, 2 + 256) for i in window.sidebar._all_items()], timeout=WAIT)
    item = next(i for i in window.sidebar._all_items() if i.data(0, KindRole) == "album")
    assert item.data(0, SmartRole) and "Smart album: “a star”, relevance 0.5" in item.toolTip(0)
    assert "Stars" not in window.sidebar.album_names()  # not offered for "Add to album"


def test_a_smart_album_made_from_the_dialog_is_shown_and_filled(
    duplicates_app: tuple[MainWindow, DuplicateTruth], qtbot: Any
) -> None:
    window, _truth = duplicates_app
    window.search.setText("a circle")
    window.search.search_now()
    window.new_smart_album()
    dialog = window.smart_dialog
    assert dialog.query.text() == "a circle"  # the search being shown fills the form
    dialog.name.setText("Circles")
    dialog.after.setText("2023-13")
    dialog.buttons.accepted.emit()
    assert dialog.problem.isVisible() and "real day" in dialog.problem.text()
    dialog.after.setText("")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: window.scope.kind == "album" and window.scope.value == "Circles", timeout=WAIT)
    library = window.controller.library
    assert library is not None and library.albums.get("Circles").smart and library.albums.get("Circles").count > 0
