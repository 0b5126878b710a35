"""human_bytes: sizes as people read them (decimal units, as download pages show them), at each boundary."""

from __future__ import annotations

import pytest

from photoclip.core.util.units import counted, human_bytes


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (1000, "1.0 KB"),
        (1500, "1.5 KB"),
        (10_500, "10.5 KB"),
        (1000**2, "1.0 MB"),
        (2_500_000, "2.5 MB"),
        (605_120_000, "605.1 MB"),
        (1000**3, "1.0 GB"),
        (5_500_000_000, "5.5 GB"),
    ],
)
def test_human_bytes(count: int, text: str) -> None:
    assert human_bytes(count) == text


def test_gigabytes_is_the_largest_unit() -> None:
    assert human_bytes(1000**4) == "1000.0 GB"
    assert human_bytes(3 * 1000**4) == "3000.0 GB"


def test_unknown_size_is_a_dash() -> None:
    assert human_bytes(None) == "—"


def test_a_value_that_rounds_up_to_the_next_unit_is_shown_in_it() -> None:
    assert human_bytes(1000**2 - 1) == "1.0 MB"
    assert human_bytes(1000**3 - 1) == "1.0 GB"
    assert human_bytes(999) == "999 bytes"


@pytest.mark.parametrize(
    ("count", "noun", "plural", "text"),
    [
        (0, "photo", None, "0 photos"),
        (1, "photo", None, "1 photo"),
        (2, "file", None, "2 files"),
        (12_345, "photo", None, "12,345 photos"),
        (1, "entry", "entries", "1 entry"),
        (3, "entry", "entries", "3 entries"),
    ],
)
def test_counted_agrees_with_its_number(count: int, noun: str, plural: str | None, text: str) -> None:
    assert counted(count, noun, plural) == text
