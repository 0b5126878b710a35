"""The app's own icons: every name the code asks for is shipped, renders sharp at 2x, and follows the theme."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage
from PySide6.QtWidgets import QApplication

import photoclip.ui
from photoclip.ui.icons import ICON_NAMES, icon
from photoclip.ui.theme import dark_palette

UI = Path(photoclip.ui.__file__).parent
ASKED = re.compile(r"""\bicon(?:_name=|\()\s*["']([\w-]+)["']""")


def names_in_code() -> set[str]:
    return {m.group(1) for path in UI.glob("*.py") for m in ASKED.finditer(path.read_text(encoding="utf-8"))}


def drawn(image: QImage) -> list[QColor]:
    return [
        image.pixelColor(x, y)
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alpha() > 128
    ]


def test_every_icon_the_code_uses_is_shipped() -> None:
    used = names_in_code()
    assert {"folder", "album", "smart-album", "tag", "duplicates", "zoom-in", "info", "warning"} <= used
    assert used <= set(ICON_NAMES)
    shipped = {p.name.removesuffix(".svg") for p in (files("photoclip.resources") / "icons").iterdir()}
    assert set(ICON_NAMES) <= shipped


@pytest.mark.parametrize("name", ICON_NAMES)
def test_icon_renders_sharp_at_twice_the_scale(qapp: QApplication, name: str) -> None:
    pixmap = icon(name).pixmap(QSize(24, 24), 2.0)
    assert pixmap.deviceIndependentSize().toSize() == QSize(24, 24)
    assert pixmap.size() == QSize(48, 48)  # drawn at device pixels, not scaled up from 24
    strokes = drawn(pixmap.toImage())
    assert 150 < len(strokes) < 48 * 48 * 0.6  # a line drawing: something drawn, not a filled square


def test_icons_take_the_palette_colour(qapp: QApplication) -> None:
    before = qapp.palette()
    try:
        qapp.setPalette(qapp.style().standardPalette())
        light = drawn(icon("folder").pixmap(QSize(32, 32)).toImage())
        qapp.setPalette(dark_palette())
        dark = drawn(icon("folder").pixmap(QSize(32, 32)).toImage())
        disabled = drawn(icon("folder").pixmap(QSize(32, 32), QIcon.Mode.Disabled).toImage())
    finally:
        qapp.setPalette(before)
    assert max(c.lightness() for c in light) < 80  # dark strokes on a light window
    assert min(c.lightness() for c in dark) > 180  # light strokes on a dark one
    assert max(c.lightness() for c in disabled) < 180  # dimmed when disabled


def test_an_unknown_name_fails_loudly(qapp: QApplication) -> None:
    with pytest.raises(KeyError):
        icon("no-such-icon")
