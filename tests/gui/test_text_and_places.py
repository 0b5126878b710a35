"""The app with text and places: the Places tree, filter chips read from the words, the viewer's text and place."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.registry import TINY_MODEL_KEY
from photoclip.core.text import engines
from photoclip.demo import generate_photos
from photoclip.demo.text_photos import TextPhoto, generate_text_photos
from photoclip.ui.controller import MODEL_READY, LibraryController
from photoclip.ui.grid import PhotoRole
from photoclip.ui.settings import AppSettings
from photoclip.ui.sidebar import KindRole
from photoclip.ui.window import MainWindow
from tests.gui.driving import WAIT

LISBON, PARIS = (38.7223, -9.1393), (48.8566, 2.3522)
SHOTS = os.environ.get("PHOTOCLIP_SCREENSHOTS")  # a folder: also save screenshots there to look at


@pytest.fixture(scope="module")
def places_library(tmp_path_factory: pytest.TempPathFactory, gui_embedder: Embedder) -> tuple[Path, list]:
    base = tmp_path_factory.mktemp("places-gui")
    generate_photos(base / "photos" / "shapes", 12, seed=61, places=[LISBON, PARIS], png_every=0)
    texts = generate_text_photos(base / "photos" / "documents", 5, seed=62, places=[LISBON])
    with Library.open(base / "library", model=TINY_MODEL_KEY, embedder=gui_embedder) as library:
        library.folders.add(base / "photos")
        library.indexer.update()
        if engines.installed():
            library.texts.read_pending()
    return base / "library", texts


@pytest.fixture
def window(qtbot: Any, places_library: tuple[Path, list], app_settings: AppSettings) -> Iterator[MainWindow]:
    library_dir, _ = places_library
    controller = LibraryController(library_dir, watch=False, thumbnail_dir=app_settings.thumbnail_dir)
    main = MainWindow(controller, app_settings)
    qtbot.addWidget(main)
    main.resize(1000, 700)
    main.show()
    controller.open()
    qtbot.waitUntil(lambda: controller.state == MODEL_READY and main.model.rowCount() == 17, timeout=WAIT)
    yield main
    main.close()
    controller.close()


def _place_items(window: MainWindow) -> dict[str, Any]:
    section = window.sidebar._places
    found = {}
    stack = [section.child(i) for i in range(section.childCount())]
    while stack:
        item = stack.pop()
        found[item.text(0)] = item
        stack.extend(item.child(i) for i in range(item.childCount()))
    return found


def _shot(window: MainWindow, name: str) -> None:
    if SHOTS:
        for size in ((1000, 700), (1600, 1000)):
            window.resize(*size)
            QGuiApplication.processEvents()
            window.grab().save(str(Path(SHOTS) / f"{name}-{size[0]}.png"))


def test_the_places_tree_counts_photos_and_browses_a_place(qtbot: Any, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.sidebar._places.isHidden() and "Portugal  11" in _place_items(window))
    items = _place_items(window)
    assert {"Portugal  11", "France  6", "Lisbon  11", "Paris  6"} <= set(items)
    city = next(item for text, item in items.items() if text == "Lisbon  11" and item.parent().text(0) == "Lisbon  11")
    assert city.data(0, KindRole) == "place"
    window.sidebar.setCurrentItem(city)
    qtbot.waitUntil(lambda: window.model.rowCount() == 11 and "Lisbon" in window.header.text())
    _shot(window, "places")


def test_filters_read_from_the_words_show_as_chips_that_remove_them(qtbot: Any, window: MainWindow) -> None:
    qtbot.keyClicks(window.search, "circle in Paris 2023")
    qtbot.waitUntil(lambda: window.chips.isVisible() and len(window.chips.buttons) == 2, timeout=WAIT)
    labels = [button.text() for button in window.chips.buttons]
    assert labels == ["place:Paris  ✕", "2023  ✕"]
    qtbot.waitUntil(lambda: window.result is not None and "matches" in window.header.text(), timeout=WAIT)
    assert 0 < window.model.rowCount() <= 6, "only photos taken in Paris"
    _shot(window, "chips")
    window.chips.buttons[0].click()
    assert window.search.text() == 'circle "in Paris" 2023'
    qtbot.waitUntil(lambda: [b.text() for b in window.chips.buttons] == ["2023  ✕"], timeout=WAIT)


def test_the_viewer_shows_the_place_and_the_text_to_copy(
    qtbot: Any, window: MainWindow, places_library: tuple[Path, list]
) -> None:
    _, texts = places_library
    path, photo = next((p, t) for p, t in texts if t.kind == "sign")
    assert isinstance(photo, TextPhoto)
    row = next(r for r in range(window.model.rowCount()) if _path(window, r, qtbot) == path)
    window.open_viewer(window.model.ids[row])
    panel = window.viewer.panel
    qtbot.waitUntil(lambda: panel.place_label is not None and window.viewer.details is not None, timeout=WAIT)
    qtbot.waitUntil(
        lambda: panel.place_label is not None and panel.place_label.text() == "Lisbon, Portugal", timeout=WAIT
    )
    if engines.installed():
        qtbot.waitUntil(lambda: panel.text_view is not None and panel.text_view.isVisible(), timeout=WAIT)
        assert panel.text_view is not None and panel.copy_text_button is not None
        assert photo.key.casefold() in panel.text_view.text().casefold()
        assert panel.text_view.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
        panel.copy_text_button.click()
        assert QGuiApplication.clipboard().text() == panel.text_view.text()
    else:
        assert panel.text_status is not None and "photoclip[ocr]" in panel.text_status.text()
    _shot(window, "viewer-text")


def _path(window: MainWindow, row: int, qtbot: Any) -> Path:
    qtbot.waitUntil(lambda: window.model.index(row).data(PhotoRole) is not None)
    return window.model.index(row).data(PhotoRole).path
