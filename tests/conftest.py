"""Shared test set-up: markers by folder, a headless Qt, and session-wide expensive fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# no text tower is exported behind a test's back (a process per loaded model); tests that want one export it
os.environ.setdefault("PHOTOCLIP_TEXT_EXPORT", "0")

_MARKERS = {"unit": pytest.mark.unit, "integration": pytest.mark.integration, "gui": pytest.mark.gui}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by the folder it lives in (tests/unit, tests/integration, tests/gui)."""
    for item in items:
        folder = Path(str(item.fspath)).parent.name
        if folder in _MARKERS:
            item.add_marker(_MARKERS[folder])


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's library or cache."""
    cache = tmp_path_factory.getbasetemp() / "user-cache"
    monkeypatch.setenv("PHOTOCLIP_CACHE", str(cache))
    monkeypatch.setenv("PHOTOCLIP_LIBRARY", str(tmp_path_factory.getbasetemp() / "default-library"))
