"""Where photoclip keeps its files, and the settings of one library.

Each setting is declared once, with its type and default, in `LibrarySettings`;
it is stored as JSON inside the library folder (written atomically) so a library
carried to another machine keeps its model and rules. Locations follow the
platform's conventions through platformdirs and can be moved with environment
variables (PHOTOCLIP_LIBRARY, PHOTOCLIP_CACHE) or the CLI's --library option.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from photoclip.core.atomic import write_json_atomic
from photoclip.core.models import DEFAULT_MODEL_KEY

log = logging.getLogger(__name__)

APP_NAME = "photoclip"


def default_library_dir() -> Path:
    env = os.environ.get("PHOTOCLIP_LIBRARY")
    return Path(env).expanduser() if env else platformdirs.user_data_path(APP_NAME) / "library"


def default_cache_dir() -> Path:
    """Model weights and the precision calibration; safe to delete."""
    env = os.environ.get("PHOTOCLIP_CACHE")
    return Path(env).expanduser() if env else platformdirs.user_cache_path(APP_NAME)


@dataclass
class LibrarySettings:
    """Settings stored with a library (library_dir/settings.json)."""

    model: str = DEFAULT_MODEL_KEY
    checkpoint: str | None = None  # a local weights file for `model` (an architecture name)
    next_model: str | None = None  # switching to this model: re-embedding in the background (Library.switch_model)
    device: str = "auto"  # auto, cpu, cuda, cuda:1, mps
    precision: str = "auto"  # auto, float32, bfloat16, float16
    batch_size: int = 32
    decode_workers: int = 0  # 0: one per CPU core
    draft_decode: bool = True  # decode JPEGs at reduced scale: ~4x faster, cosine >= 0.99 to full decode
    ignore_patterns: list[str] = field(default_factory=list)
    index_save_seconds: float = 120.0

    @classmethod
    def load(cls, path: Path) -> LibrarySettings:
        """Read settings, keeping defaults for anything missing or unreadable."""
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as e:
            log.warning("ignoring unreadable settings %s: %s", path, e)
            return cls()
        known = {f.name: f for f in dataclasses.fields(cls)}
        values = {k: v for k, v in raw.items() if k in known} if isinstance(raw, dict) else {}
        try:
            return cls(**values)
        except TypeError as e:
            log.warning("ignoring invalid settings %s: %s", path, e)
            return cls()

    def save(self, path: Path) -> None:
        write_json_atomic(path, dataclasses.asdict(self))
