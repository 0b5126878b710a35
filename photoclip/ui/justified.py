"""The timeline's geometry: photos grouped by day or month, in justified rows (Qt-free, pure arithmetic).

Rows have one height and fill the width exactly, each photo keeping its aspect
ratio (as Google Photos, Flickr and digiKam's timeline do); the last row of a
group keeps the target height and is not stretched. The layout is computed from
two lists the catalog gives cheaply (each photo's day and aspect ratio), so a
100,000-photo timeline is a few flat arrays; the view then paints only the rows
on screen. Big layouts are computed off the GUI thread (see `PhotoGrid`).

Grouping rule: by day, unless thumbnails are zoomed out to `MONTH_BELOW_SIZE` or
less, or the photos are spread thinly over more than a screenful of days (more
than `SPARSE_DAYS` days averaging fewer than `SPARSE_PHOTOS_PER_DAY` photos, as the
matches of a search by date often are): then by month, so a screen is not a
column of headers over single photos.
"""

from __future__ import annotations

import datetime as dt
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from photoclip.core import counted

if TYPE_CHECKING:
    from photoclip.core import PhotoId

MONTH_BELOW_SIZE = 128
SPARSE_DAYS = 8
SPARSE_PHOTOS_PER_DAY = 3.0
MIN_ASPECT, MAX_ASPECT = 0.4, 3.0
"""Extremes (panoramas, slivers) are laid out at these ratios and letterboxed in their tile."""
PAD = 8
"""Pixels around each photo inside its tile (the delegate's inset on both sides): the gap and the selection."""
HEADER_HEIGHT = 40
MARGIN = 2


@dataclass(frozen=True)
class Shapes:
    """Per photo, in display order: its day ("YYYY-MM-DD", "" when undated) and its width/height ratio."""

    days: list[str] = field(default_factory=list)
    aspects: list[float] = field(default_factory=list)

    @staticmethod
    def of(ids: Sequence[PhotoId], rows: Mapping[PhotoId, tuple[str | None, int | None, int | None]]) -> Shapes:
        """From the catalog's (taken_at, width, height) rows; photos not read yet are square and undated."""
        days: list[str] = []
        aspects: list[float] = []
        for pid in ids:
            taken, width, height = rows.get(pid, (None, None, None))
            days.append(taken[:10] if taken else "")
            aspects.append(width / height if width and height else 1.0)
        return Shapes(days, aspects)

    def __len__(self) -> int:
        return len(self.days)


@dataclass(frozen=True)
class Header:
    top: int
    title: str
    group: int


@dataclass
class Layout:
    """Where every photo goes, as flat arrays (content coordinates)."""

    width: int
    height: int = 0
    row_top: array[int] = field(default_factory=lambda: array("i"))
    row_height: array[int] = field(default_factory=lambda: array("i"))
    row_first: array[int] = field(default_factory=lambda: array("i"))  # first photo of each row, then the count
    row_group: array[int] = field(default_factory=lambda: array("i"))
    x: array[int] = field(default_factory=lambda: array("i"))
    w: array[int] = field(default_factory=lambda: array("i"))
    headers: list[Header] = field(default_factory=list)
    months: list[str] = field(default_factory=list)  # per group: "June 2025" / "No date", for the scroll indicator
    by_month: bool = False

    @property
    def count(self) -> int:
        return len(self.x)

    def row_of(self, item: int) -> int:
        return bisect_right(self.row_first, item) - 1

    def rect(self, item: int) -> tuple[int, int, int, int]:
        row = self.row_of(item)
        return self.x[item], self.row_top[row], self.w[item], self.row_height[row]

    def row_at(self, y: int) -> int:
        """The row at or above content height y (-1 above the first)."""
        return bisect_right(self.row_top, y) - 1

    def items_of(self, row: int) -> range:
        return range(self.row_first[row], self.row_first[row + 1])

    def item_at(self, x: int, y: int) -> int | None:
        row = self.row_at(y)
        if row < 0 or y >= self.row_top[row] + self.row_height[row]:
            return None
        for item in self.items_of(row):
            if self.x[item] <= x < self.x[item] + self.w[item]:
                return item
        return None

    def nearest(self, x: int, y: int) -> int | None:
        """The photo at (x, y), or the closest one in the row at or below that height (for ranges and keys)."""
        if not self.count:
            return None
        row = max(0, self.row_at(y))
        if y >= self.row_top[row] + self.row_height[row] and row + 1 < len(self.row_top):
            row += 1  # in a gap or a header: the row below it
        items = self.items_of(row)
        return min(items, key=lambda i: abs(self.x[i] + self.w[i] // 2 - x))

    def month_at(self, y: int) -> str:
        if not self.count:
            return ""
        return self.months[self.row_group[max(0, self.row_at(y))]]


def groups_by_month(shapes: Shapes, size: int) -> bool:
    """The grouping rule (see the module docstring)."""
    if size <= MONTH_BELOW_SIZE:
        return True
    days = len(set(shapes.days))
    return days > SPARSE_DAYS and len(shapes) / days < SPARSE_PHOTOS_PER_DAY


def group_bounds(days: Sequence[str], *, by_month: bool) -> list[tuple[int, int, str]]:
    """(first, end, key) of each run of photos on one day (or month); the order is the caller's (newest first)."""
    width = 7 if by_month else 10
    bounds: list[tuple[int, int, str]] = []
    start, key = 0, None
    for i, day in enumerate(days):
        k = day[:width]
        if k != key:
            if key is not None:
                bounds.append((start, i, key))
            start, key = i, k
    if key is not None:
        bounds.append((start, len(days), key))
    return bounds


def group_title(key: str, count: int) -> str:
    """ "Saturday 14 June 2025 · 23 photos", "June 2025 · 412 photos", "No date · 3 photos"."""
    return f"{_when(key, long=True)} · {counted(count, 'photo')}"


def _when(key: str, *, long: bool) -> str:
    try:
        if len(key) == 10:
            day = dt.date.fromisoformat(key)
            return f"{day:%A} {day.day} {day:%B %Y}" if long else f"{day:%B %Y}"
        if len(key) == 7:
            return f"{dt.date.fromisoformat(key + '-01'):%B %Y}"
    except ValueError:
        return key  # a date the catalog kept as it was written
    return "No date"


def justify(shapes: Shapes, width: int, size: int, *, grouped: bool) -> Layout:
    """Lay every photo out for a viewport `width` wide with rows about `size` pixels high.

    One Python step per row (where it breaks: a binary search in the running width), then
    every photo's position at once with numpy: 100,000 photos in a few tens of milliseconds.
    """
    layout = Layout(width=width)
    inner = max(1, width - 2 * MARGIN)
    target = max(16, size)  # the photo's height in a row that is not stretched
    by_month = grouped and groups_by_month(shapes, size)
    layout.by_month = by_month
    bounds = group_bounds(shapes.days, by_month=by_month) if grouped else [(0, len(shapes), "")]
    aspects = np.clip(np.asarray(shapes.aspects, dtype=np.float64), MIN_ASPECT, MAX_ASPECT)
    summed = np.concatenate(([0.0], np.cumsum(aspects)))  # aspect ratios of photos [0, i)
    running = (summed * target + np.arange(len(summed)) * PAD).tolist()  # their width at the target height
    sums = summed.tolist()  # plain floats: a binary search per row, no numpy scalars in the loop
    starts: list[int] = []
    heights: list[float] = []
    full: list[bool] = []
    y = MARGIN
    for group, (first, end, key) in enumerate(bounds):
        layout.months.append(_when(key, long=False) if grouped else "")
        if grouped:
            y += 0 if group == 0 else 6
            layout.headers.append(Header(y, group_title(key, end - first), group))
            y += HEADER_HEIGHT
        row = first
        while row < end:
            stop = max(row + 1, bisect_left(running, running[row] + inner))
            filled = stop <= end
            stop = min(stop, end)
            height = (inner - (stop - row) * PAD) / (sums[stop] - sums[row]) if filled else float(target)
            starts.append(row)
            heights.append(height)
            full.append(filled)
            layout.row_top.append(y)
            layout.row_height.append(round(height) + PAD)
            layout.row_group.append(group)
            y += round(height) + PAD
            row = stop
    layout.row_first.extend(starts)
    layout.row_first.append(len(shapes))
    layout.height = y + MARGIN
    if starts:
        _place(layout, aspects, summed, np.asarray(starts), np.asarray(heights), np.asarray(full), inner)
    return layout


def _place(
    layout: Layout,
    aspects: npt.NDArray[np.float64],
    summed: npt.NDArray[np.float64],
    starts: npt.NDArray[np.int64],
    heights: npt.NDArray[np.float64],
    full: npt.NDArray[np.bool_],
    inner: int,
) -> None:
    """Every photo's x and width from its row's first photo and height (the right edge of a full row is exact)."""
    count = len(aspects)
    counts = np.diff(np.append(starts, count))
    row = np.repeat(np.arange(len(starts)), counts)
    item = np.arange(count)
    left = MARGIN + (summed[item] - summed[starts[row]]) * heights[row] + (item - starts[row]) * PAD
    x = np.rint(left).astype(np.int64)
    right = np.empty(count, dtype=np.int64)
    right[:-1] = x[1:]
    ends = np.append(starts[1:], count) - 1  # the last photo of each row
    right[ends] = np.where(full, MARGIN + inner, np.rint(left[ends] + aspects[ends] * heights + PAD))
    layout.x.extend(x.astype(np.int32).tolist())
    layout.w.extend((right - x).astype(np.int32).tolist())
