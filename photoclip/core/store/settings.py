"""The settings of one library, declared once with their types and defaults.

They are stored as JSON inside the library folder (written atomically) so a
library carried to another machine keeps its model, rules and sidecar habits.
`SettingsFile` is the only writer: every change goes through `update`, which
checks each value before anything is saved, so the CLI, the app and the
watcher always read the same settings.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photoclip.core.clip.registry import DEFAULT_MODEL_KEY
from photoclip.core.errors import LibraryError
from photoclip.core.util.atomic import write_json_atomic

log = logging.getLogger(__name__)

SIDECAR_NAMINGS = ("digikam", "lightroom")
"""photo.jpg.xmp (digiKam, darktable, exiftool) or photo.xmp (Lightroom, Capture One)."""

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
"""A device preference: one of these, or cuda:N for one GPU of several."""


@dataclass(frozen=True)
class LibrarySettings:
    """Settings stored with a library (library_dir/settings.json); change them with `SettingsFile.update`."""

    model: str = DEFAULT_MODEL_KEY
    checkpoint: str | None = None  # a local weights file for `model` (an architecture name)
    next_model: str | None = None  # switching to this model: re-embedding in the background
    device: str = "auto"  # auto, cpu, cuda, cuda:1, mps
    precision: str = "auto"  # auto, float32, bfloat16, float16
    batch_size: int = 32
    decode_workers: int = 0  # 0: one per CPU core
    draft_decode: bool = True  # decode JPEGs at reduced scale: ~4x faster, cosine >= 0.99 to full decode
    ignore_patterns: tuple[str, ...] = ()
    index_save_seconds: float = 120.0
    write_sidecars_on_change: bool = False  # keep each photo's XMP sidecar in step with its tags
    sidecar_naming: str = "digikam"  # see SIDECAR_NAMINGS
    sidecar_include_suggestions: bool = False  # unreviewed suggestions go to the sidecar too (marked)
    read_text: bool = True  # read the text in photos after embedding (OCR, where the gate says there is text)

    def as_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["ignore_patterns"] = list(self.ignore_patterns)
        return data


def check_settings(settings: LibrarySettings) -> LibrarySettings:
    """The settings if every value is usable, else a LibraryError naming the first one that is not."""
    device = settings.device.strip().lower()
    if device not in DEVICE_CHOICES and not (device.startswith("cuda:") and device[5:].isdigit()):
        raise LibraryError(f"Unknown device {settings.device!r}: use auto, cpu, cuda, cuda:N or mps.")
    if settings.precision not in ("auto", "float32", "bfloat16", "float16"):
        raise LibraryError(f"Unknown precision {settings.precision!r}: use auto, float32, bfloat16 or float16.")
    if settings.sidecar_naming not in SIDECAR_NAMINGS:
        raise LibraryError(f"Unknown sidecar naming {settings.sidecar_naming!r}: use digikam or lightroom.")
    if settings.batch_size < 1 or settings.decode_workers < 0 or settings.index_save_seconds <= 0:
        raise LibraryError("Batch size, decode workers and the index save interval must be positive.")
    return dataclasses.replace(settings, device=device)


class SettingsFile:
    """A library's settings.json: read once, changed only through `update` (thread-safe)."""

    def __init__(self, path: Path, settings: LibrarySettings | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._current = settings if settings is not None else _load(path)

    @property
    def current(self) -> LibrarySettings:
        return self._current

    def update(self, **changes: Any) -> LibrarySettings:
        """Apply and save changes atomically; returns the new settings (unchanged ones are not rewritten)."""
        with self._lock:
            if "ignore_patterns" in changes:
                changes["ignore_patterns"] = tuple(changes["ignore_patterns"])
            try:
                updated = check_settings(dataclasses.replace(self._current, **changes))
            except TypeError as e:
                raise LibraryError(f"Unknown library setting: {e}") from e
            if updated != self._current or not self.path.exists():
                write_json_atomic(self.path, updated.as_json())
            self._current = updated
            return updated

    def save(self) -> None:
        """Write the current settings (a new library gets its file at once)."""
        with self._lock:
            write_json_atomic(self.path, self._current.as_json())


def _load(path: Path) -> LibrarySettings:
    """Read settings, keeping defaults for anything missing or unreadable."""
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return LibrarySettings()
    except (OSError, ValueError) as e:
        log.warning("ignoring unreadable settings %s: %s", path, e)
        return LibrarySettings()
    if not isinstance(raw, dict):
        log.warning("ignoring settings %s: not a JSON object", path)
        return LibrarySettings()
    settings = LibrarySettings()
    defaults = settings.as_json()
    for key, value in raw.items():
        if key not in defaults:
            continue
        if not _same_json_type(value, defaults[key], key):
            log.warning("ignoring the setting %s=%r in %s: not a %s", key, value, path, _kind(defaults[key], key))
            continue
        if key == "ignore_patterns":
            value = tuple(value)
        try:  # one bad value costs only itself, never the model or the other settings
            settings = check_settings(dataclasses.replace(settings, **{key: value}))
        except (TypeError, AttributeError, LibraryError) as e:
            log.warning("ignoring the setting %s=%r in %s: %s", key, value, path, e)
    return settings


_OPTIONAL_TEXT = ("checkpoint", "next_model")


def _same_json_type(value: Any, default: Any, key: str) -> bool:
    """Whether a value read from JSON has the type of the setting (None only where a setting may be unset)."""
    if key in _OPTIONAL_TEXT:
        return value is None or isinstance(value, str)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, type(default))


def _kind(default: Any, key: str) -> str:
    if key in _OPTIONAL_TEXT:
        return "text or null"
    if isinstance(default, list):
        return "list of texts"
    return type(default).__name__
