"""Start the desktop app: window first, everything slow afterwards.

The window is shown before the library is opened and long before torch is
imported (seconds): the library opens on a worker thread and the model loads in
the background, so the app is usable for browsing almost at once. An uncaught
exception is logged and shown in a dialog instead of silently killing the app.
"""

from __future__ import annotations

import logging
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from photoclip import __version__
from photoclip.core import MB
from photoclip.ui.controller import LibraryController
from photoclip.ui.settings import AppSettings
from photoclip.ui.window import MainWindow, app_icon

log = logging.getLogger(__name__)

DESKTOP_ID = "io.github.photoclip.Photoclip"


def make_application(argv: list[str] | None = None) -> QApplication:
    QCoreApplication.setOrganizationName("photoclip")
    QCoreApplication.setApplicationName("photoclip")
    QCoreApplication.setApplicationVersion(__version__)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setDesktopFileName(DESKTOP_ID)
    app.setWindowIcon(app_icon())
    return app


def apply_appearance(app: QApplication, settings: AppSettings) -> None:
    try:
        from photoclip.ui.theme import apply_theme
    except ImportError:  # pragma: no cover - the theme module ships with the app
        return
    apply_theme(app, settings.theme)


def install_excepthook(window: MainWindow) -> None:
    """Show unexpected errors (bugs) instead of dying; the library stays consistent (transactions)."""
    showing = [False]

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        log.error("unexpected error", exc_info=(kind, error, tb))
        if showing[0]:
            return
        showing[0] = True
        try:
            box = QMessageBox(window)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle("photoclip")
            box.setText("Something went wrong. Your photos and library are safe; you can keep working.")
            box.setDetailedText("".join(traceback.format_exception(kind, error, tb)))
            box.exec()
        finally:
            showing[0] = False

    sys.excepthook = hook


def run(
    *,
    library: Path | None = None,
    model: str | None = None,
    device: str | None = None,
    on_started: Callable[[MainWindow], None] | None = None,
) -> int:
    """The app's main loop. `on_started` runs once the event loop is up (benchmarks, smoke tests)."""
    app = make_application()
    settings = AppSettings()
    apply_appearance(app, settings)
    controller = LibraryController(
        library or settings.library_dir,
        model=model,
        device=device,
        thumbnail_dir=settings.thumbnail_dir,
        thumbnail_budget=settings.thumbnail_budget_mb * MB,
    )
    window = MainWindow(controller, settings)
    install_excepthook(window)
    window.show()
    QTimer.singleShot(0, controller.open)
    if on_started is not None:
        QTimer.singleShot(0, lambda: on_started(window))
    # Ctrl-C in the terminal quits cleanly: Python only sees signals while it runs, so wake it up.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    heartbeat = QTimer()
    heartbeat.start(250)
    heartbeat.timeout.connect(lambda: None)
    try:
        return app.exec()
    finally:
        controller.close()
