"""Numbers as people read them, shared by the command line and the app."""

from __future__ import annotations


def human_bytes(count: int | None) -> str:
    """1500 -> '1.5 KB'; None (unknown) -> '—'.

    Decimal units (1 MB = 1,000,000 bytes), as file managers, download pages and the
    model hub show sizes, so one model is "605 MB" everywhere a person sees it.
    """
    if count is None:
        return "—"
    value = float(count)
    for unit in ("bytes", "KB", "MB"):
        shown = round(value) if unit == "bytes" else round(value, 1)
        if shown < 1000:  # as shown: 999,999 bytes is "1.0 MB", never "1000.0 KB"
            return counted(int(shown), "byte") if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


MB = 1_000_000
"""A megabyte as `human_bytes` counts it (the unit of the app's cache budgets)."""


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """3 -> '3 photos', 1 -> '1 photo', 12345 -> '12,345 photos' (never "1 photos").

    `plural` is for nouns that do not just take an "s" ("entry", "entries").
    """
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
