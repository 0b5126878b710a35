"""The desktop app under pytest-qt: a real library with the tiny model and generated photos.

A library is indexed once per session with the core (fast), and each test gets its
own copy, so tests can edit albums, tags and label sets freely. App preferences
(QSettings) go to a per-test folder, never the user's.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.loading import load_model
from photoclip.core.clip.registry import TINY_MODEL_KEY, resolve_model
from photoclip.demo import GeneratedPhoto, generate_photos
from photoclip.ui.controller import MODEL_READY, LibraryController
from photoclip.ui.settings import AppSettings
from photoclip.ui.window import MainWindow
from tests.gui.driving import WAIT, open_window
from tests.integration.test_model_download import hub  # noqa: F401 - the loopback model hub, for first-run tests

COLOURS = ("red", "green", "blue", "yellow")
SHAPES = ("circle", "square", "triangle", "star")
PER_COMBO = 5


@pytest.fixture(scope="session")
def gui_embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    cache = tmp_path_factory.getbasetemp() / "user-cache"
    loaded = load_model(resolve_model(TINY_MODEL_KEY), device="cpu", cache_dir=cache)
    return Embedder(loaded, calibration_cache=cache / "precision.json")


@pytest.fixture(scope="session")
def gui_generated(tmp_path_factory: pytest.TempPathFactory) -> list[GeneratedPhoto]:
    """80 photos: 5 of each colour/shape pair, with EXIF dates."""
    folder = tmp_path_factory.mktemp("gui-photos") / "photos"
    combos = [(c, s) for c in COLOURS for s in SHAPES]
    return generate_photos(folder, len(combos) * PER_COMBO, seed=21, combos=combos, size=(320, 240))


@pytest.fixture(scope="session")
def gui_photos(gui_generated: list[GeneratedPhoto]) -> Path:
    return gui_generated[0].path.parents[2]  # photos/YYYY/MM/IMG.jpg


@pytest.fixture(scope="session")
def truth(gui_generated: list[GeneratedPhoto]) -> dict[Path, tuple[str, str]]:
    """What each generated photo shows: (colour, shape) of its one thing."""
    return {p.path: (p.scene.things[0].colour, p.scene.things[0].shape) for p in gui_generated}


@pytest.fixture(scope="session")
def indexed_template(tmp_path_factory: pytest.TempPathFactory, gui_photos: Path, gui_embedder: Embedder) -> Path:
    directory = tmp_path_factory.mktemp("gui-library") / "library"
    with Library.open(directory, model=TINY_MODEL_KEY, embedder=gui_embedder) as library:
        library.folders.add(gui_photos)
        report = library.indexer.update()
        assert report.embedded == len(COLOURS) * len(SHAPES) * PER_COMBO
    return directory


@pytest.fixture
def library_dir(indexed_template: Path, tmp_path: Path) -> Path:
    """A private copy of the indexed library (its folder still points at the shared photos)."""
    target = tmp_path / "library"
    shutil.copytree(indexed_template, target)
    return target


@pytest.fixture
def app_settings(tmp_path: Path, qapp: object) -> Iterator[AppSettings]:
    QCoreApplication.setOrganizationName("photoclip-tests")
    QCoreApplication.setApplicationName("photoclip-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    settings = AppSettings(QSettings())
    settings.thumbnail_dir = tmp_path / "thumbnails"
    yield settings
    settings.sync()


@pytest.fixture
def controller(qtbot: object, library_dir: Path, tmp_path: Path) -> Iterator[LibraryController]:
    """An opened library whose model is loaded (no watcher: tests that need one start it)."""
    ctrl = LibraryController(library_dir, watch=False, thumbnail_dir=tmp_path / "thumbnails")
    with qtbot.waitSignal(ctrl.model_state, timeout=60_000, check_params_cb=lambda s, _d: s == MODEL_READY):  # type: ignore[attr-defined]
        ctrl.open()
    yield ctrl
    ctrl.close()


@pytest.fixture
def app(qtbot: object, library_dir: Path, app_settings: AppSettings) -> Iterator[MainWindow]:
    """The window on a private copy of the indexed library, model loaded and all 80 photos shown."""
    window, ctrl = open_window(qtbot, library_dir, app_settings)
    qtbot.waitUntil(lambda: ctrl.state == MODEL_READY and window.model.rowCount() == 80, timeout=WAIT)  # type: ignore[attr-defined]
    yield window
    window.close()
    ctrl.close()


@pytest.fixture(scope="session")
def tiny_tower_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache holding the tiny model's exported text tower (what a first use or an import leaves)."""
    from photoclip.core.clip.text_export import prepare_text_tower

    cache = tmp_path_factory.mktemp("tower-cache")
    assert prepare_text_tower(resolve_model(TINY_MODEL_KEY), cache) is not None
    return cache


@pytest.fixture
def trash_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The platform trash of a test: under a temporary XDG_DATA_HOME, never the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "Trash"
