"""The demo model is honest about itself: a banner when it ranks photos it was never trained on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import Qt

from photoclip.core import DEFAULT_MODEL_KEY
from photoclip.ui.window import MainWindow


def test_no_banner_on_the_demo_photos(app: MainWindow, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: app._status is not None and app._status.demo_model)
    assert app._status is not None and not app._status.demo_model_misused
    assert not app.demo_banner.isVisible()


def test_banner_on_real_photos_offers_the_real_model_and_can_be_dismissed(
    app: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    mine = tmp_path / "My Pictures"
    mine.mkdir()
    Image.new("RGB", (640, 480), (200, 150, 90)).save(mine / "beach.jpg")
    app.controller.add_folder(mine)
    qtbot.waitUntil(lambda: app.demo_banner.isVisible())
    assert "meaningless" in app.demo_banner.text.text()
    assert app.demo_banner.geometry().bottom() < app.grid.geometry().top()  # above the grid

    qtbot.mouseClick(app.demo_banner.button, Qt.MouseButton.LeftButton)
    preferences = app.preferences
    qtbot.waitUntil(lambda: preferences.isVisible() and preferences._selected_model() == DEFAULT_MODEL_KEY)
    assert preferences.tabs.currentIndex() == preferences.model_page_index
    assert preferences.use_button.isEnabled()  # one press away from switching (downloaded on OK)
    preferences.reject()

    qtbot.mouseClick(app.demo_banner.close_button, Qt.MouseButton.LeftButton)
    assert not app.demo_banner.isVisible()
    status_before = app._status
    app._refresh_status()  # the status comes again (photos arrive, folders change): dismissed for the session
    qtbot.waitUntil(lambda: app._status is not status_before)
    assert not app.demo_banner.isVisible()
