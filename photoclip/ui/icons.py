"""The app's own icons: line drawings shipped as SVG, drawn in the palette's text colour.

The SVGs in resources/icons/ draw with `currentColor`. `icon(name)` returns a QIcon whose
engine renders the SVG when Qt asks for a pixmap, at the size in device pixels (so
they are sharp at any scale factor) and in the colour of the palette in use then
(so a switch to the dark theme recolours every icon without rebuilding anything).
Disabled icons take the palette's disabled text colour, selected ones the highlighted
text colour. Tinted drawings and rendered pixmaps are cached.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

ICON_NAMES = (
    "album",
    "auto-tag",
    "back",
    "close",
    "duplicates",
    "favourite",
    "fit",
    "folder",
    "full-screen",
    "info",
    "model",
    "next",
    "open",
    "pause",
    "place",
    "photos",
    "play",
    "search",
    "settings",
    "similar",
    "slideshow",
    "smart-album",
    "star",
    "tag",
    "trash",
    "warning",
    "zoom-in",
    "zoom-out",
)
"""Every icon the app uses (a test renders each one, and checks the code asks for no other)."""

_PIXMAP_CACHE_LIMIT = 512


@cache
def svg_source(name: str) -> str:
    """The drawing as shipped, with `currentColor` where the colour goes."""
    if name not in ICON_NAMES:
        raise KeyError(f"no icon called {name!r}")
    return (files("photoclip.resources") / "icons" / f"{name}.svg").read_text(encoding="utf-8")


@cache
def _renderer(name: str, colour: str) -> QSvgRenderer:
    return QSvgRenderer(QByteArray(svg_source(name).replace("currentColor", colour).encode("utf-8")))


def colour_for(mode: QIcon.Mode, palette: QPalette | None = None) -> QColor:
    """The colour an icon is drawn in: the text colour, dimmed when disabled, inverted when selected."""
    palette = palette if palette is not None else QGuiApplication.palette()
    role = QPalette.ColorRole.ButtonText
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    if mode == QIcon.Mode.Selected:
        role = QPalette.ColorRole.HighlightedText
    return palette.color(QPalette.ColorGroup.Active, role)


class TintedSvgEngine(QIconEngine):
    """Renders one of the app's SVGs at the requested device size, in the palette's colour."""

    _pixmaps: dict[tuple[str, str, int, int], QPixmap] = {}

    def __init__(self, name: str, colour: QColor | None = None) -> None:
        super().__init__()
        self.name = name
        self.colour = colour  # fixed colour (e.g. on a dark overlay), else the palette's

    def _colour(self, mode: QIcon.Mode) -> str:
        colour = self.colour if self.colour is not None else colour_for(mode)
        if self.colour is not None and mode == QIcon.Mode.Disabled:
            colour = QColor(colour)
            colour.setAlphaF(0.4)
        return colour.name(QColor.NameFormat.HexArgb if colour.alpha() < 255 else QColor.NameFormat.HexRgb)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        colour = self._colour(mode)
        _renderer(self.name, colour).render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        colour = self._colour(mode)
        key = (self.name, colour, size.width(), size.height())
        cached = self._pixmaps.get(key)
        if cached is not None:
            return QPixmap(cached)
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        if not size.isEmpty():
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            side = min(size.width(), size.height())  # square drawings, centred in the asked size
            target = QRectF((size.width() - side) / 2, (size.height() - side) / 2, side, side)
            _renderer(self.name, colour).render(painter, target)
            painter.end()
        if len(self._pixmaps) >= _PIXMAP_CACHE_LIMIT:
            self._pixmaps.clear()
        self._pixmaps[key] = pixmap
        return QPixmap(pixmap)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        """Qt 6 asks with the logical size and the device pixel ratio: draw at device size, sharp."""
        pixmap = self.pixmap(QSize(round(size.width() * scale), round(size.height() * scale)), mode, state)
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        side = min(size.width(), size.height())
        return QSize(side, side)

    def clone(self) -> QIconEngine:
        return TintedSvgEngine(self.name, self.colour)

    def key(self) -> str:
        return "photoclip-tinted-svg"

    def iconName(self) -> str:
        return self.name

    def isNull(self) -> bool:
        return False


_icons: dict[tuple[str, str], QIcon] = {}


def icon(name: str, colour: QColor | None = None) -> QIcon:
    """The app's icon `name` (one of ICON_NAMES), following the palette unless a colour is given."""
    svg_source(name)  # an unknown name fails here, loudly, not as an empty icon
    key = (name, colour.name(QColor.NameFormat.HexArgb) if colour is not None else "")
    found = _icons.get(key)
    if found is None:
        found = _icons[key] = QIcon(TintedSvgEngine(name, colour))
    return found
