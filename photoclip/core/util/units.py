"""Numbers as people read them, shared by the command line and the app."""

from __future__ import annotations


def human_bytes(count: int | None) -> str:
    """1536 -> '1.5 KB'; None (unknown) -> '—'."""
    if count is None:
        return "—"
    value = float(count)
    for unit in ("bytes", "KB", "MB"):
        shown = round(value) if unit == "bytes" else round(value, 1)
        if shown < 1024:  # as shown: 1,048,575 bytes is "1.0 MB", never "1024.0 KB"
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
