"""Preferences of the app itself (window, grid, thumbnails, sidecars, theme), in QSettings.

Settings that belong to a library (its model, device, ignore patterns) live in the
library's own settings.json (see `core.config`) so they travel with it; these are
the person's preferences for this computer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

THEMES = ("system", "light", "dark")
SIDECAR_NAMINGS = ("digikam", "lightroom")  # photo.jpg.xmp / photo.xmp


class AppSettings:
    """Typed access to QSettings with defaults in one place."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.qsettings = settings or QSettings()

    def _get(self, key: str, default: object, kind: type) -> object:
        value = self.qsettings.value(key, default)
        try:
            if kind is bool and isinstance(value, str):
                return value.lower() in ("1", "true", "yes")
            return kind(value)
        except (TypeError, ValueError):
            return default

    # -- window ---------------------------------------------------------------------------------

    @property
    def geometry(self) -> QByteArray | None:
        value = self.qsettings.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", value)

    @property
    def window_state(self) -> QByteArray | None:
        value = self.qsettings.value("window/state")
        return value if isinstance(value, QByteArray) else None

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self.qsettings.setValue("window/state", value)

    @property
    def thumbnail_size(self) -> int:
        return min(384, max(96, _int(self._get("grid/thumbnail_size", 176, int), 176)))

    @thumbnail_size.setter
    def thumbnail_size(self, value: int) -> None:
        self.qsettings.setValue("grid/thumbnail_size", int(value))

    @property
    def relevance(self) -> float:
        value = self._get("search/relevance", 0.5, float)
        return min(1.0, max(0.0, value if isinstance(value, float) else 0.5))

    @relevance.setter
    def relevance(self, value: float) -> None:
        self.qsettings.setValue("search/relevance", float(value))

    @property
    def order_by_date(self) -> bool:
        return bool(self._get("search/by_date", False, bool))

    @order_by_date.setter
    def order_by_date(self, value: bool) -> None:
        self.qsettings.setValue("search/by_date", bool(value))

    # -- library and caches -----------------------------------------------------------------------

    @property
    def library_dir(self) -> Path | None:
        value = self.qsettings.value("library/dir")
        return Path(str(value)) if value else None

    @library_dir.setter
    def library_dir(self, value: Path | None) -> None:
        self.qsettings.setValue("library/dir", str(value) if value else "")

    @property
    def thumbnail_dir(self) -> Path | None:
        value = self.qsettings.value("thumbnails/dir")
        return Path(str(value)) if value else None

    @thumbnail_dir.setter
    def thumbnail_dir(self, value: Path | None) -> None:
        self.qsettings.setValue("thumbnails/dir", str(value) if value else "")

    @property
    def thumbnail_budget_mb(self) -> int:
        return max(64, _int(self._get("thumbnails/budget_mb", 1024, int), 1024))

    @thumbnail_budget_mb.setter
    def thumbnail_budget_mb(self, value: int) -> None:
        self.qsettings.setValue("thumbnails/budget_mb", int(value))

    # -- sidecars ---------------------------------------------------------------------------------

    @property
    def sidecar_naming(self) -> str:
        value = str(self.qsettings.value("sidecars/naming", "digikam"))
        return value if value in SIDECAR_NAMINGS else "digikam"

    @sidecar_naming.setter
    def sidecar_naming(self, value: str) -> None:
        self.qsettings.setValue("sidecars/naming", value if value in SIDECAR_NAMINGS else "digikam")

    @property
    def sidecar_include_suggestions(self) -> bool:
        return bool(self._get("sidecars/include_suggestions", False, bool))

    @sidecar_include_suggestions.setter
    def sidecar_include_suggestions(self, value: bool) -> None:
        self.qsettings.setValue("sidecars/include_suggestions", bool(value))

    @property
    def write_sidecars_on_change(self) -> bool:
        """Write a photo's sidecar whenever its tags change (off: only on 'Export tags to XMP')."""
        return bool(self._get("sidecars/write_on_change", False, bool))

    @write_sidecars_on_change.setter
    def write_sidecars_on_change(self, value: bool) -> None:
        self.qsettings.setValue("sidecars/write_on_change", bool(value))

    # -- appearance -------------------------------------------------------------------------------

    @property
    def theme(self) -> str:
        value = str(self.qsettings.value("appearance/theme", "system"))
        return value if value in THEMES else "system"

    @theme.setter
    def theme(self, value: str) -> None:
        self.qsettings.setValue("appearance/theme", value if value in THEMES else "system")

    def sync(self) -> None:
        self.qsettings.sync()


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) else default
