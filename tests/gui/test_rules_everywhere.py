"""One rule, one answer: the app and the command line agree because both ask the core.

Each test puts the same question to the `photoclip` command and to the window on
the same library: the relevance cut-off, newest-first order with ties, folder
browsing, what "offline" means, ignore patterns. And the window's views only
ever show the newest answer: a fast typist's older searches and a quickly leafed
viewer's older photos are superseded, never shown.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

import photoclip.core
from photoclip.cli import main
from photoclip.core import Library, PhotoFilter
from photoclip.core.clip.embedder import Embedder
from photoclip.demo import generate_photos
from photoclip.ui.controller import MODEL_READY, LibraryController
from photoclip.ui.grid import OfflineRole, PhotoRole
from photoclip.ui.preferences import PreferencesDialog
from photoclip.ui.settings import AppSettings
from photoclip.ui.sidebar import folder_scope
from photoclip.ui.window import VIEWER, MainWindow

WAIT = 60_000


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def window(qtbot: Any, library_dir: Path, app_settings: AppSettings) -> Iterator[MainWindow]:
    controller = LibraryController(library_dir, watch=False, thumbnail_dir=app_settings.thumbnail_dir)
    main_window = MainWindow(controller, app_settings)
    qtbot.addWidget(main_window)
    main_window.resize(1000, 700)
    main_window.show()
    controller.open()
    qtbot.waitUntil(lambda: controller.state == MODEL_READY and main_window.model.rowCount() > 0, timeout=WAIT)
    yield main_window
    main_window.close()
    controller.close()


def _search(qtbot: Any, window: MainWindow, text: str) -> None:
    window.search.setText(text)
    window.search.search_now()
    qtbot.waitUntil(lambda: window.result is not None and window.query == text and "matches" in window.header.text())


def _shown_ids(window: MainWindow) -> list[int]:
    return [int(i) for i in window.model.ids]


def test_the_relevance_slider_keeps_what_the_clis_relevance_keeps(
    qtbot: Any, window: MainWindow, library_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for relevance in (0.0, 0.5, 0.8):
        window.relevance.setValue(round(relevance * 100))
        _search(qtbot, window, "a yellow star")
        shown = _shown_ids(window)
        answer = cli(capsys, "search", "a yellow star", "--library", str(library_dir), "--relevance", str(relevance))
        assert shown[: len(answer["results"])] == [r["id"] for r in answer["results"]]
        assert len(shown) == len(answer["results"]) or answer["has_more"]


def test_newest_first_breaks_ties_and_places_undated_photos_as_the_cli_does(
    qtbot: Any, library_dir: Path, app_settings: AppSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(library_dir / "catalog.sqlite") as db:  # photos taken at the same second, and undated ones
        db.execute("UPDATE photos SET taken_at = '2023-05-01T10:00:00' WHERE id % 3 = 0")
        db.execute("UPDATE photos SET taken_at = NULL WHERE id % 3 = 1")
    controller = LibraryController(library_dir, watch=False, thumbnail_dir=app_settings.thumbnail_dir)
    window = MainWindow(controller, app_settings)
    qtbot.addWidget(window)
    window.show()
    controller.open()
    try:
        qtbot.waitUntil(lambda: controller.state == MODEL_READY, timeout=WAIT)
        window.relevance.setValue(0)
        window.by_date.setChecked(True)
        _search(qtbot, window, "a red circle")
        answer = cli(
            capsys,
            "search",
            "a red circle",
            "--library",
            str(library_dir),
            "--relevance",
            "0",
            "--by-date",
            "-n",
            "500",
        )
        assert len(answer["results"]) > 20
        assert _shown_ids(window) == [r["id"] for r in answer["results"]]
    finally:
        window.close()
        controller.close()


def test_a_folder_in_the_sidebar_shows_what_the_cli_browses_in_it(
    qtbot: Any, window: MainWindow, library_dir: Path, gui_photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    month = next(p for p in sorted(gui_photos.glob("*/*")) if p.is_dir())
    window.sidebar.select_scope(folder_scope(month))
    qtbot.waitUntil(lambda: "matches" not in window.header.text() and window.scope.kind == "folder")
    qtbot.waitUntil(lambda: 0 < window.model.rowCount() < 80)
    answer = cli(capsys, "search", "", "--library", str(library_dir), "--folder", str(month), "-n", "500")
    assert _shown_ids(window) == [r["id"] for r in answer["results"]]


def test_offline_means_the_same_to_the_cli_and_the_app(
    qtbot: Any,
    library_dir: Path,
    app_settings: AppSettings,
    gui_embedder: Embedder,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    drive = tmp_path / "usb-drive"
    generate_photos(drive, 4, seed=9, combos=[("red", "circle")])
    with Library.open(library_dir, embedder=gui_embedder) as library:
        library.folders.add(drive)
        library.indexer.update()
    drive.rename(tmp_path / "unplugged")  # gone, and no scan has noticed yet

    status = cli(capsys, "status", "--library", str(library_dir))
    assert [f["offline"] for f in status["folders"] if f["path"] == str(drive)] == [True]
    found = cli(capsys, "search", "a red circle", "--library", str(library_dir), "-n", "200")["results"]
    on_drive = [r for r in found if r["path"].startswith(str(drive))]
    assert len(on_drive) == 4 and all(r["offline"] for r in on_drive)
    assert not any(r["offline"] for r in found if not r["path"].startswith(str(drive)))

    controller = LibraryController(library_dir, watch=False, thumbnail_dir=app_settings.thumbnail_dir)
    window = MainWindow(controller, app_settings)
    qtbot.addWidget(window)
    window.show()
    controller.open()
    try:
        qtbot.waitUntil(lambda: window.model.rowCount() == 84, timeout=WAIT)
        rows = range(window.model.rowCount())
        qtbot.waitUntil(lambda: all(window.model.index(r).data(PhotoRole) is not None for r in rows))
        offline = {window.model.index(r).data(PhotoRole).path for r in rows if window.model.index(r).data(OfflineRole)}
        assert offline == {Path(r["path"]) for r in on_drive}
    finally:
        window.close()
        controller.close()


def test_ignore_patterns_are_cleaned_up_alike_by_the_cli_and_preferences(
    qtbot: Any, window: MainWindow, library_dir: Path, app_settings: AppSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    controller = window.controller
    dialog = PreferencesDialog(controller, app_settings, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.ignore_edit.setPlainText(" raw \n*.png\nraw\n\n")
    dialog.apply_button.click()
    library = controller.library
    assert library is not None
    qtbot.waitUntil(lambda: library.settings.ignore_patterns == ("raw", "*.png"))
    dialog.close()

    with Library.open(library_dir) as other:
        other.folders.set_ignore_patterns([])
    assert main(["folders", "ignore", " raw ", "*.png", "raw", "--library", str(library_dir)]) == 0
    capsys.readouterr()
    assert json.loads((library_dir / "settings.json").read_text())["ignore_patterns"] == ["raw", "*.png"]


def test_typing_fast_shows_only_the_last_searchs_answer(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = window.controller.library
    assert library is not None
    searcher = library.searcher
    original = searcher.search
    ran: list[str] = []
    lock = threading.Lock()

    def slow_search(query: Any = "", **options: Any) -> Any:
        with lock:
            ran.append(getattr(query, "text", query))
        time.sleep(0.3)  # a big library on a slow disk
        return original(query, **options)

    monkeypatch.setattr(searcher, "search", slow_search)
    shown: list[str] = []
    show = window._show_search
    monkeypatch.setattr(window, "_show_search", lambda result: (shown.append(window.query), show(result)))
    window.search.clear()
    for text in ("b", "bl", "blu", "blue", "blue "):  # a key every 300 ms: each one settles and searches
        window.search.setText(text)
        window.search.search_now()
        qtbot.wait(60)
    qtbot.waitUntil(lambda: bool(shown) and not window._results.busy, timeout=WAIT)
    qtbot.wait(400)
    assert shown == ["blue"], "only the newest query's answer reaches the grid"
    assert ran[-1] == "blue" and len(ran) < 5, f"superseded searches that had not started never ran: {ran}"


def test_leafing_through_the_viewer_decodes_only_the_photo_it_stops_at(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[Path] = []
    real = photoclip.core.decode_photo

    def counting(path: Path, **options: Any) -> Any:
        decoded.append(Path(path))
        return real(path, **options)

    monkeypatch.setattr(photoclip.core, "decode_photo", counting)
    ids = window.model.ids
    window.open_viewer(ids[0])
    viewer = window.viewer
    qtbot.waitUntil(lambda: window.stack.currentIndex() == VIEWER and viewer.view.has_image, timeout=WAIT)
    qtbot.wait(300)  # the next photo's preview, decoded ahead, is in
    decoded.clear()
    for _ in range(10):
        qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.current_id == ids[10]
    qtbot.waitUntil(lambda: bool(decoded) and viewer.view.has_image, timeout=WAIT)
    qtbot.wait(300)
    photos = library_photos(window, [ids[9], ids[10], ids[11]])
    # ten steps, one decode for the photo the viewer stopped at, then its neighbour prepared ahead
    assert decoded[0] == photos[ids[10]], "ten steps, one decode: the photo the viewer stopped at"
    assert decoded[1:] in ([], [photos[ids[11]]]), "and nothing for the photos it went past"


def library_photos(window: MainWindow, ids: list[int]) -> dict[int, Path]:
    library = window.controller.library
    assert library is not None
    return {int(i): p.path for i, p in library.photos.get(ids).items()}


def test_browsing_needs_the_same_filter_in_the_app_and_core(window: MainWindow, gui_photos: Path) -> None:
    """The sidebar's scope hands the core its filter unchanged: `~` and symlinks are the core's business."""
    link = gui_photos.parent / "photos-link"
    if not link.exists():
        link.symlink_to(gui_photos, target_is_directory=True)
    try:
        library = window.controller.library
        assert library is not None
        by_link = library.searcher.browse_ids(folder_scope(link).photo_filter)
        by_path = library.searcher.browse_ids(PhotoFilter(folders=(gui_photos,)))
        assert by_link == by_path and len(by_path) == 80
    finally:
        link.unlink()
