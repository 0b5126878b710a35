"""Searching by words right after launch: the text tower answers while the image tower still loads."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from photoclip.core.clip.service import Models
from photoclip.ui.controller import MODEL_LOADING, MODEL_READY
from photoclip.ui.settings import AppSettings
from tests.gui.driving import WAIT, open_window, search, shown_paths


def test_a_text_search_answers_while_the_image_tower_still_loads(
    qtbot: Any,
    library_dir: Path,
    app_settings: AppSettings,
    tiny_tower_cache: Path,
    truth: dict[Path, tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PHOTOCLIP_CACHE", str(tiny_tower_cache))
    release = threading.Event()
    whole_model = Models.load

    def slow_whole_model(self: Models, spec: Any) -> Any:  # the image tower takes as long as the test needs
        release.wait(WAIT / 1000)
        return whole_model(self, spec)

    monkeypatch.setattr(Models, "load", slow_whole_model)
    window, controller = open_window(qtbot, library_dir, app_settings)
    try:
        search(qtbot, window, "a red circle")
        assert controller.state == MODEL_LOADING and controller.library is not None
        assert not controller.library.models.image_tower_loaded
        assert [truth[p] for p in shown_paths(window, 5, qtbot)] == [("red", "circle")] * 5
        outside = next(iter(truth))  # a file path as the example: needs the image tower, so it waits
        assert controller.can_search(None) and not controller.can_search(outside)
    finally:
        release.set()
    qtbot.waitUntil(lambda: controller.state == MODEL_READY, timeout=WAIT)
    assert controller.can_search(outside)
    window.close()
    controller.close()
