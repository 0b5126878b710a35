"""Preferences driven as a person would: changes land on OK or Apply, Cancel leaves everything as it was."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from photoclip.core import TINY_MODEL_KEY
from photoclip.ui.controller import MODEL_READY, LibraryController
from photoclip.ui.preferences import NameRole, PathRole, PreferencesDialog
from photoclip.ui.settings import AppSettings
from photoclip.ui.theme import apply_theme, current_scheme


def on_pool(qtbot: Any, controller: LibraryController, fn: Callable[[], Any]) -> Any:
    box: list[Any] = []
    controller.read(fn, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=30_000)
    return box[0]


def folders(qtbot: Any, controller: LibraryController) -> list[Path]:
    return [f.path for f in on_pool(qtbot, controller, controller.library.status).folders]


def open_preferences(qtbot: Any, controller: LibraryController, settings: AppSettings) -> PreferencesDialog:
    dialog = PreferencesDialog(controller, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.folder_table.rowCount() > 0 and dialog.model_table.rowCount() > 0, timeout=30_000)
    return dialog


def folder_rows(dialog: PreferencesDialog) -> dict[str, str]:
    """Folder -> its State column."""
    table = dialog.folder_table
    return {
        str(table.item(r, 0).data(PathRole)): table.item(r, 2).text()  # type: ignore[union-attr]
        for r in range(table.rowCount())
    }


@pytest.fixture
def restore_theme(qapp: QApplication) -> Iterator[None]:
    yield
    apply_theme(qapp, "light")


@pytest.fixture
def new_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "more photos"
    folder.mkdir()
    return folder


def test_folders_added_on_ok_and_discarded_by_cancel(
    qtbot: Any,
    controller: LibraryController,
    app_settings: AppSettings,
    new_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = folders(qtbot, controller)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(new_folder)))

    dialog = open_preferences(qtbot, controller, app_settings)
    rows = folder_rows(dialog)
    assert rows == {str(before[0]): "online"}
    assert dialog.folder_table.item(0, 1).text() == "80"  # type: ignore[union-attr]
    dialog.add_folder_button.click()
    assert folder_rows(dialog)[str(new_folder.resolve())] == "added on OK"
    dialog.cancel_button.click()
    assert not dialog.isVisible()
    assert folders(qtbot, controller) == before

    dialog = open_preferences(qtbot, controller, app_settings)
    assert str(new_folder.resolve()) not in folder_rows(dialog)
    dialog.add_folder_button.click()
    with qtbot.waitSignal(controller.folders_changed, timeout=10_000):
        dialog.ok_button.click()
    assert not dialog.isVisible()
    assert new_folder.resolve() in folders(qtbot, controller)


def test_removing_a_folder_asks_and_applies_on_ok(
    qtbot: Any, controller: LibraryController, app_settings: AppSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = folders(qtbot, controller)[0]
    dialog = open_preferences(qtbot, controller, app_settings)
    dialog.folder_table.selectRow(0)
    dialog.remove_folder_button.click()
    assert folder_rows(dialog)[str(photos)] == "removed on OK"
    assert dialog.folder_table.item(0, 0).font().strikeOut()  # type: ignore[union-attr]

    asked: list[str] = []

    def question(_parent: object, _title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.No if len(asked) == 1 else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    dialog.ok_button.click()  # "No": nothing happens, the dialog stays
    assert dialog.isVisible() and str(photos) in asked[0]
    assert folders(qtbot, controller) == [photos]
    with qtbot.waitSignal(controller.folders_changed, timeout=10_000):
        dialog.ok_button.click()
    assert not dialog.isVisible()
    assert folders(qtbot, controller) == []
    status = on_pool(qtbot, controller, controller.library.status)
    assert status.photos == 0


def test_ignore_patterns_are_checked_and_saved(
    qtbot: Any, controller: LibraryController, app_settings: AppSettings
) -> None:
    dialog = open_preferences(qtbot, controller, app_settings)
    dialog.ignore_edit.setFocus()
    qtbot.keyClicks(dialog.ignore_edit, "raw/old")
    assert "not a path" in dialog.ignore_message.text()
    dialog.ok_button.click()
    assert dialog.isVisible() and dialog.tabs.currentIndex() == 0
    assert "Folders page" in dialog.message.text()

    dialog.ignore_edit.clear()
    qtbot.keyClicks(dialog.ignore_edit, "raw")
    qtbot.keyClick(dialog.ignore_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.ignore_edit, " *.png ")
    assert dialog.ignore_message.text() == ""
    dialog.apply_button.click()
    library = controller.library
    qtbot.waitUntil(
        lambda: on_pool(qtbot, controller, lambda: list(library.settings.ignore_patterns)) == ["raw", "*.png"]
    )
    saved = (library.directory / "settings.json").read_text(encoding="utf-8")
    assert '"*.png"' in saved and '"raw"' in saved

    dialog.cancel_button.click()  # after Apply, Cancel only closes
    assert library.settings.ignore_patterns == ("raw", "*.png")


def test_app_preferences_persist_on_ok_and_cancel_discards(
    qtbot: Any, controller: LibraryController, app_settings: AppSettings, tmp_path: Path, restore_theme: None
) -> None:
    library = controller.library
    assert library is not None

    def sidecars() -> tuple[str, bool, bool]:
        current = library.settings
        return current.sidecar_naming, current.sidecar_include_suggestions, current.write_sidecars_on_change

    assert (app_settings.thumbnail_budget_mb, app_settings.theme) == (1024, "system")
    assert sidecars() == ("digikam", False, False)
    dialog = open_preferences(qtbot, controller, app_settings)
    dialog.tabs.setCurrentIndex(2)
    dialog.budget_spin.clear()
    qtbot.keyClicks(dialog.budget_spin, "256")
    dialog.lightroom_radio.click()
    dialog.suggestions_check.click()
    dialog.on_change_radio.click()
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.cancel_button.click()
    assert (app_settings.thumbnail_budget_mb, app_settings.theme) == (1024, "system")
    assert on_pool(qtbot, controller, sidecars) == ("digikam", False, False)

    dialog = open_preferences(qtbot, controller, app_settings)
    assert dialog.budget_spin.value() == 1024 and dialog.digikam_radio.isChecked()
    dialog.budget_spin.clear()
    qtbot.keyClicks(dialog.budget_spin, "256")
    dialog.lightroom_radio.click()
    dialog.suggestions_check.click()
    dialog.on_change_radio.click()
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.ok_button.click()
    assert not dialog.isVisible()

    reread = AppSettings(type(app_settings.qsettings)())  # a fresh QSettings on the same file
    assert (reread.thumbnail_budget_mb, reread.theme) == (256, "dark")
    qtbot.waitUntil(lambda: on_pool(qtbot, controller, sidecars) == ("lightroom", True, True))
    saved = json.loads((library.directory / "settings.json").read_text(encoding="utf-8"))  # the library's own file
    assert (saved["sidecar_naming"], saved["sidecar_include_suggestions"], saved["write_sidecars_on_change"]) == (
        "lightroom",
        True,
        True,
    )
    assert controller.thumbnails is not None and controller.thumbnails.budget_bytes == 256 * 1_000_000
    window = QApplication.palette().color(QPalette.ColorRole.Window)
    assert window.lightness() < 100  # the dark theme is on


def test_sidecar_preferences_kept_by_an_older_version_move_to_the_library(app_settings: AppSettings) -> None:
    app_settings.qsettings.setValue("sidecars/naming", "lightroom")
    app_settings.qsettings.setValue("sidecars/write_on_change", "true")
    assert app_settings.take_library_settings() == {"sidecar_naming": "lightroom", "write_sidecars_on_change": True}
    assert not app_settings.qsettings.contains("sidecars/naming")
    assert app_settings.take_library_settings() == {}


def test_thumbnail_cache_usage_and_clear(qtbot: Any, controller: LibraryController, app_settings: AppSettings) -> None:
    store = controller.thumbnails
    assert store is not None
    photo = on_pool(qtbot, controller, lambda: next(iter(controller.library.catalog.photos([1]).values())))
    on_pool(qtbot, controller, lambda: store.get(photo.path, photo.content_hash, 128))
    dialog = open_preferences(qtbot, controller, app_settings)
    assert dialog.thumbnail_dir_edit.text() == str(store.folder)
    qtbot.waitUntil(lambda: "in 1 thumbnails" in dialog.usage_label.text())
    dialog.clear_cache_button.click()
    qtbot.waitUntil(lambda: "in 0 thumbnails" in dialog.usage_label.text())
    assert not list(store.folder.rglob("*.jpg"))


def test_model_page_lists_models_with_the_tiny_one_in_use(
    qtbot: Any, controller: LibraryController, app_settings: AppSettings
) -> None:
    dialog = open_preferences(qtbot, controller, app_settings)
    dialog.tabs.setCurrentIndex(1)
    table = dialog.model_table
    rows = {
        table.item(r, 0).data(NameRole): [table.item(r, c).text() for c in range(table.columnCount())]  # type: ignore[union-attr]
        for r in range(table.rowCount())
    }
    assert rows[TINY_MODEL_KEY][5] == "in use"
    assert "vit-b-32" in rows and "multilingual" in rows
    assert rows["vit-b-32"][2].endswith("MB") and "ImageNet" in rows["vit-b-32"][3]
    assert sum(1 for row in rows.values() if row[5] == "in use") == 1
    assert dialog.device_combo.currentData() == "auto"

    # Choosing another model is only a plan until OK; Cancel forgets it.
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).data(NameRole) == "vit-b-32")  # type: ignore[union-attr]
    table.selectRow(row)
    assert dialog.use_button.isEnabled()
    dialog.use_button.click()
    assert table.item(row, 5).text() == "will be used after OK"  # type: ignore[union-attr]
    dialog.cancel_button.click()
    assert controller.library.model.key == TINY_MODEL_KEY
    assert on_pool(qtbot, controller, controller.library.models.switch_state) is None


def test_device_choice_is_saved_with_the_library_and_reopens_it(
    qtbot: Any, controller: LibraryController, app_settings: AppSettings
) -> None:
    dialog = open_preferences(qtbot, controller, app_settings)
    qtbot.waitUntil(lambda: dialog.device_combo.findData("cpu") >= 0)
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    with qtbot.waitSignal(controller.opened, timeout=30_000):
        dialog.ok_button.click()
    assert controller.library.settings.device == "cpu"
    assert '"device": "cpu"' in (controller.library.directory / "settings.json").read_text(encoding="utf-8")
    assert controller.library.model.key == TINY_MODEL_KEY
    qtbot.waitUntil(lambda: controller.state == MODEL_READY, timeout=60_000)


def test_themes_set_palettes_and_system_follows_the_platform(qapp: QApplication, restore_theme: None) -> None:
    apply_theme(qapp, "dark")
    assert qapp.style().name().lower() == "fusion"
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 100
    apply_theme(qapp, "light")
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 150
    apply_theme(qapp, "system")
    expected_dark = current_scheme() == "dark"
    assert (QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 100) == expected_dark
