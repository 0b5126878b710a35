"""Light and dark appearance: the Fusion style with a palette, following the system's colour scheme on request.

Fusion draws every widget from the palette alone, so one palette switch repaints
the whole app the same way on every platform (the native styles ignore parts of
a custom palette). "system" reads Qt's colour scheme (Qt 6.5+) and keeps
following it while the app runs, so a desktop that turns dark at sunset takes
the app along.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")

# One scale for spacing and sizes, so every view lines up the same way (logical pixels).
SPACING = 6  # between controls in a row, and around a page's content
SMALL_SPACING = 2  # inside a group of tool buttons
ICON_SIZE = 20  # tool buttons and banners
MENU_ICON_SIZE = 16  # menus and the sidebar (Qt's default for item views)

_following: dict[str, str] = {}  # the theme asked for last; read by the colour-scheme handler
_connected: set[int] = set()  # apps whose colour-scheme signal is connected (once each)


def apply_theme(app: QApplication, theme: str) -> None:
    """Use Fusion with a light or dark palette; "system" follows the platform's scheme, now and later."""
    if theme not in THEMES:
        theme = "system"
    _following["theme"] = theme
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    hints = QGuiApplication.styleHints()
    if id(app) not in _connected:
        hints.colorSchemeChanged.connect(lambda _scheme: _scheme_changed(app))
        _connected.add(id(app))
    _set_palette(app, _effective(theme))


def current_scheme() -> str:
    """ "dark" or "light": what the platform asks for (light when it does not say)."""
    scheme = QGuiApplication.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def _effective(theme: str) -> str:
    return current_scheme() if theme == "system" else theme


def _scheme_changed(app: QApplication) -> None:
    if _following.get("theme") == "system":
        _set_palette(app, current_scheme())


def _set_palette(app: QApplication, scheme: str) -> None:
    palette = dark_palette() if scheme == "dark" else app.style().standardPalette()
    app.setPalette(palette)


def dark_palette() -> QPalette:
    """A dark palette with enough contrast for text and a visible selection and disabled state."""
    window, base, alternate = QColor(45, 45, 48), QColor(30, 30, 32), QColor(53, 53, 57)
    text, dim, link = QColor(230, 230, 230), QColor(140, 140, 145), QColor(90, 160, 255)
    highlight = QColor(42, 130, 218)
    palette = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for r, colour in (
        (role.Window, window),
        (role.WindowText, text),
        (role.Base, base),
        (role.AlternateBase, alternate),
        (role.ToolTipBase, QColor(60, 60, 64)),
        (role.ToolTipText, text),
        (role.PlaceholderText, dim),
        (role.Text, text),
        (role.Button, window),
        (role.ButtonText, text),
        (role.BrightText, QColor(255, 90, 90)),
        (role.Link, link),
        (role.LinkVisited, link.darker(120)),
        (role.Highlight, highlight),
        (role.HighlightedText, QColor(255, 255, 255)),
        (role.Light, QColor(75, 75, 80)),
        (role.Midlight, QColor(62, 62, 66)),
        (role.Mid, QColor(40, 40, 43)),
        (role.Dark, QColor(25, 25, 27)),
        (role.Shadow, QColor(0, 0, 0)),
    ):
        palette.setColor(r, colour)
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, r, dim)
    palette.setColor(group.Disabled, role.Highlight, QColor(80, 80, 85))
    return palette
