"""Driving the window as a person would, shared by the GUI tests: open it, type, read the grid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from photoclip.ui.controller import LibraryController
from photoclip.ui.grid import PhotoRole
from photoclip.ui.settings import AppSettings
from photoclip.ui.window import MainWindow

WAIT = 60_000
_INSET = QPoint(10, 10)  # inside the first tile, past the grid's spacing


def open_window(
    qtbot: Any, library_dir: Path, settings: AppSettings, *, size: tuple[int, int] | None = None, **options: Any
) -> tuple[MainWindow, LibraryController]:
    """A shown window on `library_dir` (at `size`) with quick watcher timings; the caller waits for what it needs."""
    controller = LibraryController(
        library_dir,
        settle_seconds=0.3,
        check_seconds=0.5,
        thumbnail_dir=settings.thumbnail_dir,
        **options,
    )
    window = MainWindow(controller, settings)
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
    window.show()
    controller.open()
    return window, controller


def shown_paths(window: MainWindow, n: int, qtbot: Any) -> list[Path]:
    """The paths of the first n photos in the grid, once their rows are loaded."""
    model = window.model
    qtbot.waitUntil(lambda: all(model.index(r).data(PhotoRole) is not None for r in range(min(n, model.rowCount()))))
    return [model.index(r).data(PhotoRole).path for r in range(min(n, model.rowCount()))]


def search(qtbot: Any, window: MainWindow, text: str) -> None:
    """Type a whole query into the search field and wait for its results."""
    window.search.clear()
    qtbot.keyClicks(window.search, text)
    wait_for_results(qtbot, window, text)


def wait_for_results(qtbot: Any, window: MainWindow, text: str) -> None:
    qtbot.waitUntil(lambda: window.result is not None and window.query == text and "matches" in window.header.text())


def first_visible_row(window: MainWindow) -> int:
    """The row of the first tile down the grid's left edge (past a day's header; -1 when the grid is empty)."""
    viewport = window.grid.viewport().rect()
    for y in range(0, viewport.height() - _INSET.y(), 4):
        index = window.grid.indexAt(viewport.topLeft() + _INSET + QPoint(0, y))
        if index.isValid():
            return index.row()
    return -1


def answer_next_question(accept: bool, seen: list[str]) -> None:
    """Answer the confirmation the next key or click opens (accept or cancel), noting what it said."""

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen.append(f"{box.text()} {box.informativeText()}")
        wanted = QMessageBox.ButtonRole.AcceptRole if accept else QMessageBox.ButtonRole.RejectRole
        next(b for b in box.buttons() if box.buttonRole(b) == wanted).click()

    QTimer.singleShot(20, answer)
