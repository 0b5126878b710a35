"""The timeline's arithmetic: groups, their titles, and justified rows that fill the width exactly."""

from __future__ import annotations

import pytest

from photoclip.ui.justified import MARGIN, PAD, Shapes, group_bounds, group_title, groups_by_month, justify


def test_groups_are_runs_of_one_day_or_month_and_undated_photos_come_last() -> None:
    days = ["2025-06-14", "2025-06-14", "2025-06-02", "2025-05-30", "", ""]
    assert group_bounds(days, by_month=False) == [
        (0, 2, "2025-06-14"),
        (2, 3, "2025-06-02"),
        (3, 4, "2025-05-30"),
        (4, 6, ""),
    ]
    assert group_bounds(days, by_month=True) == [(0, 3, "2025-06"), (3, 4, "2025-05"), (4, 6, "")]


def test_titles_name_the_day_the_month_or_no_date_with_a_count() -> None:
    assert group_title("2025-06-14", 23) == "Saturday 14 June 2025 · 23 photos"
    assert group_title("2025-06", 1) == "June 2025 · 1 photo"
    assert group_title("", 3) == "No date · 3 photos"


def test_months_when_zoomed_out_or_when_days_are_sparse() -> None:
    busy = Shapes([f"2025-06-{d:02d}" for d in range(1, 11) for _ in range(10)], [1.5] * 100)
    assert not groups_by_month(busy, 192)
    assert groups_by_month(busy, 128), "the smallest thumbnails group by month"
    sparse = Shapes([f"2024-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 11)], [1.5] * 120)
    assert groups_by_month(sparse, 192), "120 days with one photo each would be a column of headers"
    matches = Shapes([f"2024-{m:02d}-{d:02d}" for m in range(1, 4) for d in range(1, 30, 3)], [1.5] * 30)
    assert groups_by_month(matches, 192), "a search's 30 matches on 30 days, by date: months"
    few = Shapes(["2025-06-14", "2025-06-12", "2025-06-01", "2025-05-28"], [1.5] * 4)
    assert not groups_by_month(few, 192), "four days fit on a screen: their own headers"


@pytest.mark.parametrize("width", [900, 1000, 1600, 333])
def test_rows_fill_the_width_keep_aspect_ratios_and_the_last_row_is_not_stretched(width: int) -> None:
    aspects = [1.5, 0.75, 1.0, 2.4, 1.33, 0.66, 1.5, 1.5, 3.0, 0.5] * 7
    days = ["2025-06-14"] * 37 + ["2025-06-13"] * 33
    layout = justify(Shapes(days, aspects), width, 192, grouped=True)
    assert [h.title for h in layout.headers] == [
        "Saturday 14 June 2025 · 37 photos",
        "Friday 13 June 2025 · 33 photos",
    ]
    rows = len(layout.row_top)
    for row in range(rows):
        items = list(layout.items_of(row))
        last_of_group = row + 1 == rows or layout.row_group[row + 1] != layout.row_group[row]
        right = layout.x[items[-1]] + layout.w[items[-1]]
        if not last_of_group:
            assert right == width - MARGIN, "a full row ends exactly at the right edge"
            assert layout.row_height[row] <= 192 + PAD
        else:
            assert right <= width - MARGIN and layout.row_height[row] == 192 + PAD
        for i in items:
            photo_w, photo_h = layout.w[i] - PAD, layout.row_height[row] - PAD
            assert photo_w / photo_h == pytest.approx(aspects[i], abs=0.02 + 1.5 / photo_h)
        assert [layout.x[i] for i in items] == sorted(layout.x[i] for i in items)
    tops = list(layout.row_top)
    assert tops == sorted(tops) and layout.height >= tops[-1] + layout.row_height[-1]
    second_group_row = next(r for r in range(rows) if layout.row_group[r] == 1)
    assert layout.headers[1].top < tops[second_group_row], "a day's header sits above its first row"


def test_hit_testing_and_the_month_at_a_height() -> None:
    shapes = Shapes(["2025-06-14"] * 10 + ["2025-05-01"] * 10 + [""] * 3, [1.5] * 23)
    layout = justify(shapes, 1000, 192, grouped=True)
    for item in (0, 7, 15, 22):
        x, y, w, h = layout.rect(item)
        assert layout.item_at(x + w // 2, y + h // 2) == item
    assert layout.item_at(5, layout.headers[0].top + 5) is None, "a header is not a photo"
    assert layout.month_at(layout.rect(3)[1]) == "June 2025"
    assert layout.month_at(layout.rect(12)[1]) == "May 2025"
    assert layout.month_at(layout.rect(22)[1]) == "No date"
    search = justify(shapes, 1000, 192, grouped=False)
    assert not search.headers and search.rect(0)[1] == MARGIN
