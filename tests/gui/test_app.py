"""The desktop app driven as a person would: search, find similar, albums, auto-tag, tags, first run.

A real library (tiny model, generated photos on disk), real widgets offscreen,
real background threads and a real folder watcher. Tests wait on what the window
shows, never on sleeps.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from photoclip.core import Library
from photoclip.demo import DEMO_TEXT_PHOTOS, generate_photos
from photoclip.ui.controller import MODEL_FAILED, MODEL_MISSING, MODEL_READY
from photoclip.ui.grid import PhotoRole
from photoclip.ui.settings import AppSettings
from photoclip.ui.sidebar import album_scope
from photoclip.ui.window import GRID, VIEWER, WELCOME, MainWindow
from tests.gui.driving import WAIT, open_window, search, shown_paths


def test_typing_a_query_shows_the_right_photos_first(qtbot: Any, app: MainWindow, truth: dict[Path, tuple]) -> None:
    search(qtbot, app, "a red circle")
    first = shown_paths(app, 5, qtbot)
    assert [truth[p] for p in first] == [("red", "circle")] * 5
    scores = [app.model.score(r) for r in range(app.model.rowCount())]
    assert scores == sorted(scores, reverse=True), "rank order"
    assert app.search_controls.isVisible() and app.grid.delegate.show_scores

    search(qtbot, app, "a blue star")
    assert [truth[p] for p in shown_paths(app, 5, qtbot)] == [("blue", "star")] * 5

    qtbot.keyClick(app.search, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not app.searching and app.model.rowCount() == 80)
    assert not app.search_controls.isVisible()


def test_relevance_slider_and_date_order_reshape_results_without_searching_again(
    qtbot: Any, app: MainWindow, truth: dict[Path, tuple]
) -> None:
    app.relevance.setValue(0)
    search(qtbot, app, "a green square")
    everything = app.model.rowCount()
    result = app.result
    app.relevance.setValue(90)
    strict = app.model.rowCount()
    assert 1 <= strict < everything
    assert app.result is result, "the slider filters the fetched results; no new search"
    shown = shown_paths(app, strict, qtbot)
    assert all(truth[p] == ("green", "square") for p in shown)

    app.relevance.setValue(40)
    app.by_date.setChecked(True)
    rows = app.model.rowCount()
    dates = [app.model.photo(app.model.photo_id(r)) for r in range(rows)]
    qtbot.waitUntil(lambda: all(app.model.index(r).data(PhotoRole) is not None for r in range(rows)))
    dates = [app.model.index(r).data(PhotoRole).taken_at for r in range(rows)]
    assert dates == sorted(dates, reverse=True)
    assert AppSettings(app.settings.qsettings).order_by_date is True


def test_find_similar_from_the_context_menu_path(qtbot: Any, app: MainWindow, truth: dict[Path, tuple]) -> None:
    paths = shown_paths(app, 80, qtbot)
    example_row = next(r for r in range(80) if truth[paths[r]] == ("yellow", "triangle"))
    example_id = app.model.photo_id(example_row)
    app.find_similar(example_id)
    qtbot.waitUntil(lambda: app.result is not None and "photos like" in app.header.text())
    shown = [truth[p] for p in shown_paths(app, 8, qtbot)]
    assert shown.count(("yellow", "triangle")) == 4, "the other yellow triangles are all in the top 8"
    assert all(colour == "yellow" or shape == "triangle" for colour, shape in shown)
    assert example_id not in app.model.ids[:4], "the example itself is not a result"
    assert app.example_action.isVisible()
    app.example_chip.click()
    qtbot.waitUntil(lambda: not app.searching and app.model.rowCount() == 80)


def test_albums_create_add_browse_remove_and_survive_a_restart(
    qtbot: Any, app: MainWindow, monkeypatch: pytest.MonkeyPatch, library_dir: Path
) -> None:
    search(qtbot, app, "a red square")
    app.relevance.setValue(80)
    picked = app.model.ids[:3]
    app.grid.select_ids(picked)
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Red squares", True)))
    app.new_album()
    qtbot.waitUntil(lambda: app.scope == album_scope("Red squares"))
    qtbot.waitUntil(lambda: sorted(app.model.ids) == sorted(picked))
    qtbot.waitUntil(lambda: "Red squares" in app.sidebar.album_names())  # the sidebar re-reads its counts

    app.grid.select_ids(picked[:1])
    app.grid.setFocus()
    qtbot.keyClick(app.grid, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: sorted(app.model.ids) == sorted(picked[1:]))

    app.sidebar.add_to_album("Red squares", picked[:1])
    qtbot.waitUntil(lambda: len(app.model.ids) == 3)
    with Library.open(library_dir) as library:
        assert sorted(library.albums.photo_ids("Red squares")) == sorted(picked)


def test_auto_tag_an_album_then_accept_and_reject_in_the_viewer(
    qtbot: Any, app: MainWindow, truth: dict[Path, tuple], library_dir: Path
) -> None:
    from photoclip.ui.autotag_dialog import AutoTagDialog

    dialog = AutoTagDialog(app.controller, list(app.model.ids), "All photos", app, label_set="Shapes (demo)")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.sets.currentText() == "Shapes (demo)")
    with qtbot.waitSignal(dialog.finished_tagging, timeout=WAIT) as finished:
        dialog.run_button.click()
    report = finished.args[0]
    assert report.photos == 80 and report.suggested >= 72

    with Library.open(library_dir) as library:
        tags = library.tags.tags_of(app.model.ids)
        paths = {pid: p.path for pid, p in library.catalog.photos(app.model.ids).items()}
    right = sum(
        1 for pid, ts in tags.items() for t in ts if t.status == "suggested" and t.label == truth[paths[pid]][1]
    )
    assert right / 80 >= 0.9, "exclusive shapes tagged right"
    qtbot.waitUntil(
        lambda: "Shapes (demo)" in [app.sidebar._tags.child(i).text(0) for i in range(app.sidebar._tags.childCount())]
    )

    app.grid.setCurrentIndex(app.model.index(0))
    app.grid.setFocus()
    qtbot.keyClick(app.grid, Qt.Key.Key_Return)
    assert app.stack.currentIndex() == VIEWER
    viewer = app.viewer
    qtbot.waitUntil(lambda: viewer.details is not None and viewer.details.photo.id == app.model.photo_id(0))
    pid = viewer.current_id
    accept = _button(viewer, "Accept tag")
    label = accept.accessibleName().removeprefix("Accept tag ")
    accept.click()
    qtbot.waitUntil(lambda: viewer.details is not None and any(t.status == "accepted" for t in viewer.details.tags))
    with Library.open(library_dir) as library:
        assert [(t.label, t.status) for t in library.tags.tags_of([pid])[pid]] == [(label, "accepted")]

    for row in range(1, 12):  # the next photo with a suggestion (a few have none above the threshold)
        qtbot.keyClick(viewer, Qt.Key.Key_Right)
        qtbot.waitUntil(
            lambda row=row: viewer.details is not None and viewer.details.photo.id == app.model.photo_id(row)
        )
        if any(t.status == "suggested" for t in viewer.details.tags):
            break
    second = viewer.current_id
    _button(viewer, "Reject tag").click()
    qtbot.waitUntil(lambda: viewer.details is not None and all(t.status == "rejected" for t in viewer.details.tags))
    viewer.new_tag.setEditText("favourite")
    _button(viewer, "Add tag").click()
    qtbot.waitUntil(lambda: viewer.details is not None and any(t.label == "favourite" for t in viewer.details.tags))
    with Library.open(library_dir) as library:
        statuses = {(t.label_set, t.label): t.status for t in library.tags.tags_of([second])[second]}
    assert statuses[("My tags", "favourite")] == "accepted"
    assert "rejected" in statuses.values()

    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert app.stack.currentIndex() == GRID
    assert app.grid.current_id() == second


def _button(widget: Any, accessible_prefix: str) -> Any:
    from PySide6.QtWidgets import QPushButton

    for button in widget.findChildren(QPushButton):
        if button.accessibleName().startswith(accessible_prefix) and not button.isHidden():
            return button
    raise AssertionError(f"no visible button {accessible_prefix!r}")


def test_new_photos_in_a_watched_folder_appear_while_the_window_stays_usable(
    qtbot: Any, app: MainWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "phone"
    folder.mkdir()
    app.controller.add_folder(folder)
    qtbot.waitUntil(lambda: any(f == folder.resolve() for f in app.folders), timeout=WAIT)
    staging = tmp_path / "staging"
    generate_photos(staging, 12, seed=77, size=(320, 240))
    for photo in [p for p in staging.rglob("*") if p.is_file()]:
        shutil.copy2(photo, folder / photo.name)
    qtbot.waitUntil(lambda: app.model.rowCount() == 92, timeout=WAIT)
    qtbot.waitUntil(lambda: "92 photos" in app.status_text.text(), timeout=WAIT)


def test_pause_and_resume_indexing(qtbot: Any, app: MainWindow, tmp_path: Path) -> None:
    app.controller.pause_indexing(True)
    assert app.controller.watcher.paused
    qtbot.waitUntil(lambda: app.pause_button.text() == "Resume")
    folder = tmp_path / "later"
    generate_photos(folder, 6, seed=78, size=(320, 240))
    app.controller.add_folder(folder)
    qtbot.waitUntil(lambda: any(f == folder.resolve() for f in app.folders), timeout=WAIT)
    qtbot.wait(1500)
    assert app.model.rowCount() == 80, "nothing is embedded while paused"
    app.pause_button.click()
    qtbot.waitUntil(lambda: app.model.rowCount() == 86, timeout=WAIT)


def test_first_run_offline_offers_the_demo(
    qtbot: Any, tmp_path: Path, app_settings: AppSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there: offline for sure
    monkeypatch.setenv("PHOTOCLIP_LIBRARY", str(tmp_path / "data" / "library"))
    window, controller = open_window(qtbot, tmp_path / "data" / "library", app_settings)
    try:
        qtbot.waitUntil(
            lambda: controller.state == MODEL_MISSING and window.stack.currentIndex() == WELCOME, timeout=WAIT
        )
        assert window.welcome.download.isVisible(), "nothing is downloaded until the person asks"
        window.welcome.download.click()
        qtbot.waitUntil(lambda: controller.state == MODEL_FAILED, timeout=WAIT)
        assert (
            "offline" in window.welcome.model_text.text().lower() or "reach" in window.welcome.model_text.text().lower()
        )
        assert window.welcome.demo.isVisible() and window.welcome.checkpoint.isVisible()
        window.welcome.demo.click()
        qtbot.waitUntil(lambda: controller.state == MODEL_READY and window.stack.currentIndex() == GRID, timeout=60_000)
        qtbot.waitUntil(lambda: window.model.rowCount() == 240 + DEMO_TEXT_PHOTOS, timeout=120_000)  # browsable at once
        qtbot.waitUntil(lambda: controller.library.status().pending == 0, timeout=120_000)  # and searchable
        assert app_settings.library_dir == tmp_path / "data" / "demo" / "library"
        search(qtbot, window, "a red circle")
        assert window.model.rowCount() > 0
    finally:
        window.close()
        controller.close()


def test_window_geometry_and_zoom_are_restored(qtbot: Any, library_dir: Path, app_settings: AppSettings) -> None:
    window, controller = open_window(qtbot, library_dir, app_settings)
    window.resize(760, 560)  # within the offscreen screen (800x800): restoreGeometry keeps a window on its screen
    window.zoom.setValue(256)
    window.close()
    controller.close()
    again, controller2 = open_window(qtbot, library_dir, app_settings)
    try:
        assert again.zoom.value() == 256
        assert (again.width(), again.height()) == (760, 560)
    finally:
        again.close()
        controller2.close()


def test_context_menu_offers_the_photo_actions(qtbot: Any, app: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QMenu

    menus: list[QMenu] = []
    monkeypatch.setattr(QMenu, "popup", lambda self, _pos, _at=None: menus.append(self))
    qtbot.waitUntil(lambda: app.model.index(0).data(PhotoRole) is not None)
    rect = app.grid.visualRect(app.model.index(0))
    app._grid_menu(rect.center())
    texts = [a.text() for a in menus[-1].actions() if a.text()]
    for wanted in (
        "Find similar",
        "Open with system viewer",
        "Show in folder",
        "Add to album",
        "Tag…",
        "Export tags to XMP",
    ):
        assert wanted in texts
    assert QPoint is not None and QMessageBox is not None


def test_switching_model_reembeds_in_the_background_while_search_keeps_working(
    qtbot: Any, app: MainWindow, truth: dict[Path, tuple]
) -> None:
    from photoclip.core.clip.registry import TINY_MODEL_KEY, bundled_model_dir

    weights = next(bundled_model_dir().glob("*.safetensors"))
    controller = app.controller
    controller.import_checkpoint(weights, TINY_MODEL_KEY)
    qtbot.waitUntil(
        lambda: app.status_text.text().startswith("Re-embedding") or controller.library.model.key != TINY_MODEL_KEY,
        timeout=WAIT,
    )
    search(qtbot, app, "a green circle")  # the old model's index answers meanwhile
    assert [truth[p] for p in shown_paths(app, 3, qtbot)] == [("green", "circle")] * 3
    qtbot.waitUntil(
        lambda: controller.library.model.key != TINY_MODEL_KEY and controller.state == MODEL_READY, timeout=60_000
    )
    assert controller.library.models.switch_state() is None
    search(qtbot, app, "a yellow square")
    assert [truth[p] for p in shown_paths(app, 3, qtbot)] == [("yellow", "square")] * 3


def test_first_run_download_shows_progress_can_be_cancelled_and_resumes(
    qtbot: Any, tmp_path: Path, app_settings: AppSettings, hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loopback hub serves a 3 MB file slowly; the real download code fetches it."""
    monkeypatch.setenv("PHOTOCLIP_CACHE", str(tmp_path / "cache"))  # the stand-in weights stay private to this test
    hub.chunk_delay = 0.02
    window, controller = open_window(qtbot, tmp_path / "library", app_settings)
    try:
        qtbot.waitUntil(lambda: controller.state == MODEL_MISSING and window.stack.currentIndex() == WELCOME)
        window.welcome.download.click()
        qtbot.waitUntil(
            lambda: window.welcome.progress.value() > 100 and window.welcome.cancel.isVisible(), timeout=WAIT
        )
        assert "MB" in window.welcome.progress.format()
        window.welcome.cancel.click()
        qtbot.waitUntil(lambda: controller.state == MODEL_MISSING, timeout=WAIT)
        assert "kept" in window.welcome.model_text.text() and window.welcome.download.isVisible()
        hub.chunk_delay = 0.0
        window.welcome.download.click()
        # the file completes (resumed with a Range request); it is a stand-in, not real weights, so loading fails
        qtbot.waitUntil(lambda: controller.state == MODEL_FAILED, timeout=WAIT)
        ranges = [r for method, path, r in hub.requests if method == "GET" and path.endswith(".safetensors")]
        assert ranges[0] == "" and ranges[-1].startswith("bytes=") and ranges[-1] != "bytes=0-"
    finally:
        window.close()
        controller.close()


def test_a_watcher_that_died_is_reported_and_restarted(qtbot: Any, app: MainWindow, tmp_path: Path) -> None:
    controller = app.controller
    dead = controller.watcher
    dead.error = OSError(5, "Input/output error")  # what the watcher thread records when it fails
    with qtbot.waitSignal(controller.error, timeout=WAIT) as reported:
        pass
    assert "Watching the folders stopped" in reported.args[0] and "Input/output error" in reported.args[0]
    assert controller.watcher is not None and controller.watcher is not dead
    folder = tmp_path / "after"
    generate_photos(folder, 3, seed=79, size=(320, 240))
    controller.add_folder(folder)
    qtbot.waitUntil(lambda: app.model.rowCount() == 83, timeout=WAIT)  # the new watcher indexes
