"""human_bytes: sizes as people read them, at each unit's boundaries."""

from __future__ import annotations

import pytest

from photoclip.core.util.units import human_bytes


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 bytes"),
        (1, "1 bytes"),
        (1023, "1023 bytes"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (10 * 1024 + 512, "10.5 KB"),
        (1024**2, "1.0 MB"),
        (int(2.5 * 1024**2), "2.5 MB"),
        (1024**3, "1.0 GB"),
        (5 * 1024**3 + 1024**3 // 2, "5.5 GB"),
    ],
)
def test_human_bytes(count: int, text: str) -> None:
    assert human_bytes(count) == text


def test_gigabytes_is_the_largest_unit() -> None:
    assert human_bytes(1024**4) == "1024.0 GB"
    assert human_bytes(3 * 1024**4) == "3072.0 GB"


def test_unknown_size_is_a_dash() -> None:
    assert human_bytes(None) == "—"


def test_a_value_that_rounds_up_to_the_next_unit_is_shown_in_it() -> None:
    assert human_bytes(1024**2 - 1) == "1.0 MB"
    assert human_bytes(1024**3 - 1) == "1.0 GB"
    assert human_bytes(1023) == "1023 bytes"
