"""The timeline: browsing groups photos under day headers, newest first, in justified rows that keep each
photo's shape and fill the window's width; dragging the scroll bar shows the month under the handle.

A real library (generated JPEGs with EXIF dates and different shapes, indexed with the tiny model) in a
real window, driven as a person would.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.registry import TINY_MODEL_KEY
from photoclip.demo import save_photo
from photoclip.demo.shapes import random_scene, render
from photoclip.ui.controller import MODEL_READY
from photoclip.ui.justified import MARGIN, PAD
from photoclip.ui.settings import AppSettings
from photoclip.ui.window import MainWindow
from tests.gui.driving import WAIT, open_window, search

DAYS = (  # (when, count, width, height): newest first, as the timeline shows them
    (dt.datetime(2025, 6, 14, 10, 0), 9, 360, 240),
    (dt.datetime(2025, 6, 2, 18, 30), 4, 300, 300),
    (dt.datetime(2025, 5, 20, 8, 15), 6, 480, 200),
)
TOTAL = sum(d[1] for d in DAYS)


@pytest.fixture(scope="module")
def timeline_template(tmp_path_factory: pytest.TempPathFactory, gui_embedder: Embedder) -> Path:
    photos = tmp_path_factory.mktemp("timeline-photos")
    rng = random.Random(5)
    for when, count, width, height in DAYS:
        for i in range(count):
            shape = (width, height) if i < count - 2 or width == height else (height, width)  # two turned
            scene = random_scene(rng, colour=rng.choice(["red", "blue"]), shape=rng.choice(["circle", "star"]))
            save_photo(
                render(scene, *shape), photos / f"{when:%Y-%m-%d}" / f"IMG_{i}.jpg", when + dt.timedelta(minutes=i)
            )
    directory = tmp_path_factory.mktemp("timeline-library") / "library"
    with Library.open(directory, model=TINY_MODEL_KEY, embedder=gui_embedder) as library:
        library.folders.add(photos)
        assert library.indexer.update().embedded == TOTAL
    return directory


@pytest.fixture
def timeline(qtbot: Any, timeline_template: Path, tmp_path: Path, app_settings: AppSettings) -> Iterator[MainWindow]:
    import shutil

    shutil.copytree(timeline_template, tmp_path / "library")
    app_settings.thumbnail_size = 160
    window, controller = open_window(qtbot, tmp_path / "library", app_settings)
    qtbot.waitUntil(lambda: controller.state == MODEL_READY and window.model.rowCount() == TOTAL, timeout=WAIT)
    qtbot.waitUntil(window.grid.is_laid_out)
    yield window
    window.close()
    controller.close()


def _laid_out_at(qtbot: Any, window: MainWindow, width: int) -> None:
    window.resize(width, 600)
    qtbot.waitUntil(
        lambda: window.grid.is_laid_out() and window.grid.layout_data.width == window.grid.viewport().width()
    )


def test_browsing_shows_day_headers_newest_first_with_their_counts(qtbot: Any, timeline: MainWindow) -> None:
    _laid_out_at(qtbot, timeline, 1000)
    layout = timeline.grid.layout_data
    assert [h.title for h in layout.headers] == [
        "Saturday 14 June 2025 · 9 photos",
        "Monday 2 June 2025 · 4 photos",
        "Tuesday 20 May 2025 · 6 photos",
    ]
    model = timeline.model
    qtbot.waitUntil(lambda: all(model.photo(pid) is not None for pid in model.ids))
    dates = [model.photo(pid).taken_at for pid in model.ids]
    assert dates == sorted(dates, reverse=True)
    starts = [0, 9, 13]
    for header, start in zip(layout.headers, starts, strict=True):
        first = timeline.grid.visualRect(model.index(start))
        assert header.top - timeline.grid.verticalOffset() < first.top(), "each header sits above its day"
        assert model.photo(model.ids[start]).taken_at[:10] == DAYS[starts.index(start)][0].strftime("%Y-%m-%d")


@pytest.mark.parametrize("width", [900, 1000, 1600])
def test_rows_fill_the_width_and_photos_keep_their_shape(qtbot: Any, timeline: MainWindow, width: int) -> None:
    _laid_out_at(qtbot, timeline, width)
    grid, model = timeline.grid, timeline.model
    qtbot.waitUntil(lambda: all(model.photo(pid) is not None for pid in model.ids))
    viewport = grid.viewport().width()
    rows: dict[int, list[int]] = {}
    for r in range(model.rowCount()):
        rows.setdefault(grid.visualRect(model.index(r)).top(), []).append(r)
    full_rows = 0
    for members in rows.values():
        last = grid.visualRect(model.index(members[-1]))
        day_ends = (
            members[-1] + 1 == model.rowCount()
            or model.photo(model.ids[members[-1] + 1]).taken_at[:10]
            != model.photo(model.ids[members[-1]]).taken_at[:10]
        )
        if not day_ends:
            full_rows += 1
            assert abs(last.right() + 1 - viewport) <= MARGIN + 1, f"row {members} leaves the right side empty"
        for r in members:
            photo = model.photo(model.ids[r])
            rect = grid.visualRect(model.index(r)).adjusted(PAD // 2, PAD // 2, -PAD // 2, -PAD // 2)
            assert rect.width() / rect.height() == pytest.approx(photo.width / photo.height, abs=0.03)
    assert full_rows >= 1


def test_the_date_beside_the_dragged_scroll_bar_names_the_month_under_the_handle(
    qtbot: Any, timeline: MainWindow
) -> None:
    timeline.zoom.setValue(320)  # big thumbnails: a long timeline to drag through
    _laid_out_at(qtbot, timeline, 900)
    heights = timeline.grid.layout_data.row_height
    assert 160 + PAD < max(heights) <= 320 + PAD, "the zoom slider sets the rows' height (160 before)"
    bar = timeline.grid.verticalScrollBar()
    assert bar.maximum() > 0
    label = timeline.grid.date_label
    bar.setValue(bar.maximum() // 2)
    assert not label.isVisible(), "only while dragging"
    bar.setSliderDown(True)
    bar.setValue(0)
    assert label.isVisible() and label.text() == "June 2025"
    bar.setValue(bar.maximum())
    assert label.text() == "May 2025"
    assert label.geometry().bottom() > bar.geometry().center().y(), "it follows the handle down"
    bar.setSliderDown(False)
    qtbot.waitUntil(lambda: not label.isVisible())


def test_search_results_are_justified_without_headers_unless_by_date(qtbot: Any, timeline: MainWindow) -> None:
    _laid_out_at(qtbot, timeline, 1000)
    timeline.relevance.setValue(0)
    search(qtbot, timeline, "a red circle")
    qtbot.waitUntil(timeline.grid.is_laid_out)
    found = timeline.model.rowCount()
    assert found > 1
    assert timeline.grid.layout_data.headers == []
    scores = [timeline.model.score(r) for r in range(found)]
    assert scores == sorted(scores, reverse=True), "best match first"
    timeline.by_date.setChecked(True)
    qtbot.waitUntil(timeline.grid.is_laid_out)
    titles = [h.title.split(" · ")[0] for h in timeline.grid.layout_data.headers]
    assert titles and set(titles) <= {"Saturday 14 June 2025", "Monday 2 June 2025", "Tuesday 20 May 2025"}
    assert sum(int(h.title.split(" · ")[1].split()[0]) for h in timeline.grid.layout_data.headers) == found


def test_keys_and_selection_cross_from_one_day_to_the_next(qtbot: Any, timeline: MainWindow) -> None:
    _laid_out_at(qtbot, timeline, 1000)
    grid, model = timeline.grid, timeline.model
    grid.setFocus()
    grid.setCurrentIndex(model.index(8))  # the last photo of 14 June
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert grid.currentIndex().row() == 9, "Right goes on to 2 June's first photo"
    qtbot.keyClick(grid, Qt.Key.Key_Left)
    assert grid.currentIndex().row() == 8
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    below = grid.currentIndex().row()
    assert 9 <= below < 13, "Down from the last row of a day lands on the next day's first row"
    assert grid.visualRect(model.index(below)).top() > grid.visualRect(model.index(8)).bottom()
    qtbot.keyClick(grid, Qt.Key.Key_Up)
    assert grid.visualRect(grid.currentIndex()).top() == grid.visualRect(model.index(8)).top()
    grid.setCurrentIndex(model.index(7))
    grid.selectionModel().select(model.index(7), grid.selectionModel().SelectionFlag.ClearAndSelect)
    qtbot.keyClick(grid, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(grid, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert grid.selected_ids() == model.ids[7:10], "a range across the day boundary"
    qtbot.keyClick(grid, Qt.Key.Key_End)
    assert grid.currentIndex().row() == TOTAL - 1
    assert grid.viewport().rect().contains(grid.visualRect(grid.currentIndex())), "scrolled to it"
    rect = grid.visualRect(model.index(3))
    grid.scrollTo(model.index(3))
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(model.index(3)).center())
    assert grid.selected_ids() == [model.ids[3]] and rect.isValid()


def test_a_paint_asks_the_model_only_for_the_tiles_it_draws(
    qtbot: Any, app: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Painting finds the rows on screen by binary search and asks for those tiles only, each once; a
    thumbnail arriving repaints its own tile, not the screen."""
    grid, model = app.grid, app.model
    qtbot.waitUntil(grid.is_laid_out, timeout=WAIT)
    bar = grid.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=WAIT)
    bar.setValue(bar.maximum() // 2)
    asked: list[int] = []
    tile = model.tile

    def counted_tile(row: int) -> Any:
        asked.append(row)
        return tile(row)

    monkeypatch.setattr(model, "tile", counted_tile)
    grid.viewport().repaint()
    view = grid.viewport().rect()
    visible = [r for r in range(model.rowCount()) if view.intersects(grid.visualRect(model.index(r)))]
    assert 0 < len(visible) < model.rowCount()
    assert sorted(asked) == visible
    asked.clear()
    one = visible[len(visible) // 2]
    grid.viewport().repaint(grid.visualRect(model.index(one)))
    assert asked == [one]
