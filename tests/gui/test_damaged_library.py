"""The app on a damaged library database: it says so and offers the one thing to do, restoring the backup."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QAbstractButton, QMessageBox

from photoclip.ui.controller import MODEL_READY, LibraryController
from photoclip.ui.settings import AppSettings
from photoclip.ui.window import MainWindow


def _damage(catalog: Path) -> None:
    db = sqlite3.connect(catalog)
    db.execute("UPDATE meta SET value = '0' WHERE key = 'last_quick_check'")  # the daily check at open is due
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(catalog.read_bytes())
    for offset in random.Random(5).sample(range(8192, len(data)), 50):
        data[offset] ^= 0xFF
    catalog.write_bytes(bytes(data))


def _restore_button(box: QMessageBox) -> QAbstractButton:
    return next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)


def test_a_damaged_database_is_restored_from_its_backup_on_request(
    qtbot: Any, library_dir: Path, app_settings: AppSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _damage(library_dir / "catalog.sqlite")
    shown: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box) or 0)
    monkeypatch.setattr(QMessageBox, "clickedButton", _restore_button)  # the person clicks "Restore the backup"
    controller = LibraryController(library_dir, watch=False, thumbnail_dir=app_settings.thumbnail_dir)
    window = MainWindow(controller, app_settings)
    qtbot.addWidget(window)
    window.show()
    controller.open()
    try:
        qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
        assert "damaged" in shown[0].windowTitle() and _restore_button(shown[0]).text() == "Restore the backup"
        assert "not affected" in shown[0].text()
        qtbot.waitUntil(lambda: controller.state == MODEL_READY and window.model.rowCount() == 80, timeout=60_000)
        assert [p for p in library_dir.glob("catalog.sqlite.damaged-*") if p.suffix.startswith(".damaged")]
    finally:
        window.close()
        controller.close()
