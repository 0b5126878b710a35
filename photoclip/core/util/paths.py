"""Where photoclip keeps its files by default, following the platform's conventions.

Both can be moved with environment variables (PHOTOCLIP_LIBRARY, PHOTOCLIP_CACHE)
or, for the library, the CLI's --library option.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "photoclip"


def default_library_dir() -> Path:
    env = os.environ.get("PHOTOCLIP_LIBRARY")
    return Path(env).expanduser() if env else platformdirs.user_data_path(APP_NAME) / "library"


def default_cache_dir() -> Path:
    """Model weights, thumbnails and the precision calibration; safe to delete."""
    env = os.environ.get("PHOTOCLIP_CACHE")
    return Path(env).expanduser() if env else platformdirs.user_cache_path(APP_NAME)
