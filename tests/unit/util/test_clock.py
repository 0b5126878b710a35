"""Moments in a video, read and written as people do."""

from __future__ import annotations

import pytest

from photoclip.core.util.clock import format_clip_time, parse_clip_time


@pytest.mark.parametrize(("seconds", "text"), [(0, "0:00"), (5.9, "0:05"), (83, "1:23"), (3723, "1:02:03")])
def test_format(seconds: float, text: str) -> None:
    assert format_clip_time(seconds) == text


@pytest.mark.parametrize(("text", "seconds"), [("83", 83.0), ("83.5", 83.5), ("1:23", 83.0), ("1:02:03", 3723.0)])
def test_parse(text: str, seconds: float) -> None:
    assert parse_clip_time(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "1:2:3:4", "-5", "1:75", "nan"])
def test_nonsense_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_clip_time(text)
