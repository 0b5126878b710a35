"""Preferences of the app itself (window, grid, thumbnails, theme), in QSettings.

Settings that belong to a library (its model, device, ignore patterns, sidecar
habits) live in the library's own settings.json (`core.LibrarySettings`) so they
travel with it and the command line honours them too; these are the person's
preferences for this computer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from photoclip.core import SIDECAR_NAMINGS

THEMES = ("system", "light", "dark")


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

    # -- moved to the library --------------------------------------------------------------------

    def take_library_settings(self) -> dict[str, object]:
        """Sidecar preferences saved here by earlier versions, removed from here: they belong to the library now."""
        found: dict[str, object] = {}
        legacy = {
            "sidecars/naming": ("sidecar_naming", str),
            "sidecars/include_suggestions": ("sidecar_include_suggestions", bool),
            "sidecars/write_on_change": ("write_sidecars_on_change", bool),
        }
        for key, (name, kind) in legacy.items():
            if self.qsettings.contains(key):
                found[name] = self._get(key, "digikam" if kind is str else False, kind)
                self.qsettings.remove(key)
        if found.get("sidecar_naming") not in (None, *SIDECAR_NAMINGS):
            found.pop("sidecar_naming")
        return found

    # -- appearance -------------------------------------------------------------------------------

    @property
    def theme(self) -> str:
        value = str(self.qsettings.value("appearance/theme", "system"))
        return value if value in THEMES else "system"

    @theme.setter
    def theme(self, value: str) -> None:
        self.qsettings.setValue("appearance/theme", value if value in THEMES else "system")

    # -- viewer ---------------------------------------------------------------------------------

    @property
    def slideshow_seconds(self) -> float:
        value = self._get("viewer/slideshow_seconds", 5.0, float)
        return min(600.0, max(0.05, value if isinstance(value, float) else 5.0))

    @slideshow_seconds.setter
    def slideshow_seconds(self, value: float) -> None:
        self.qsettings.setValue("viewer/slideshow_seconds", float(value))

    @property
    def viewer_info(self) -> bool:
        """Whether the viewer shows the info panel beside the photo."""
        return bool(self._get("viewer/info", True, bool))

    @viewer_info.setter
    def viewer_info(self, value: bool) -> None:
        self.qsettings.setValue("viewer/info", bool(value))

    def sync(self) -> None:
        self.qsettings.sync()


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) else default
