"""Moments in a video as people read and write them: 1:23, 1:02:03, or plain seconds."""

from __future__ import annotations


def format_clip_time(seconds: float) -> str:
    """1:23 (or 1:02:03), as video players show a moment; whole seconds, rounded down."""
    whole = int(max(seconds, 0.0))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def parse_clip_time(text: str) -> float:
    """83, 83.5, 1:23 or 1:02:03 as seconds; ValueError for anything else."""
    pieces = text.strip().split(":")
    try:
        parts = [float(p) for p in pieces]
    except ValueError:
        parts = []
    if not parts or len(parts) > 3 or any(p < 0 or p != p for p in parts) or any(p >= 60 for p in parts[1:]):
        raise ValueError(f"not a time: {text!r} (use seconds, or minutes:seconds like 1:23)")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds
