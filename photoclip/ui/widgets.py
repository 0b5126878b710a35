"""Small widget helpers shared by the dialogs."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QPushButton


def make_button(text: str, accessible: str, slot: Callable[[], object]) -> QPushButton:
    """A push button with an accessible name that never steals Enter from the dialog's default."""
    widget = QPushButton(text)
    widget.setAccessibleName(accessible)
    widget.setAutoDefault(False)
    widget.clicked.connect(lambda _checked=False: slot())
    return widget
