"""What kind of file a path names, by its suffix: a photo or a video.

Kept apart from the decoders (and free of imports) so the walk, the catalog and
the pipeline can ask cheaply, before anything is opened.
"""

from __future__ import annotations

from pathlib import PurePath

VIDEO_SUFFIXES: frozenset[str] = frozenset(
    {".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm", ".3gp", ".3g2", ".mts", ".m2ts"}
)
"""Containers phones and cameras write (MP4/MOV/M4V, MKV, AVI, WebM, 3GP, AVCHD's MTS)."""

PHOTO = "photo"
VIDEO = "video"
KINDS = (PHOTO, VIDEO)


def kind_of(path: PurePath | str) -> str:
    """ "video" for a video container's suffix, else "photo"."""
    name = str(path)
    dot = name.rfind(".")
    return VIDEO if dot > 0 and name[dot:].lower() in VIDEO_SUFFIXES else PHOTO
