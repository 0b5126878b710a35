"""Stars and favourites on the grid's thumbnails: rated with the keys, shown in the tile's corner.

The photos are rated as a person does (select, press 4, press .); the grid then reads the
ratings on a worker and paints them. What is on screen is checked in the grabbed grid: the
stars' gold and the heart's red in the rated tiles' top-right corners, nothing in an
unrated tile, and the suggestion badge's corner left alone.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from photoclip.core import Rating
from photoclip.ui.grid import PixmapRole
from photoclip.ui.tile_ratings import HEART_COLOUR, STAR_COLOUR, paint_rating, rating_text
from photoclip.ui.window import MainWindow
from tests.gui.driving import WAIT


def near(colour: QColor, wanted: QColor, tolerance: int = 40) -> bool:
    return (
        abs(colour.red() - wanted.red()) <= tolerance
        and abs(colour.green() - wanted.green()) <= tolerance
        and abs(colour.blue() - wanted.blue()) <= tolerance
    )


def count(image: QImage, area: QRect, wanted: QColor) -> int:
    """Pixels of about this colour in the area."""
    area = area.intersected(image.rect())
    return sum(
        near(image.pixelColor(x, y), wanted)
        for y in range(area.top(), area.bottom() + 1)
        for x in range(area.left(), area.right() + 1)
    )


def corners(rect: QRect) -> tuple[QRect, QRect]:
    """A tile's top-right and bottom-left quarters (where the stars go, where a suggestion goes)."""
    half_w, half_h = rect.width() // 2, rect.height() // 2
    return (
        QRect(rect.left() + half_w, rect.top(), rect.width() - half_w, half_h),
        QRect(rect.left(), rect.top() + half_h, half_w, rect.height() - half_h),
    )


def changed(before: QImage, after: QImage, area: QRect) -> int:
    """Pixels that differ between two grabs, in the area."""
    area = area.intersected(before.rect())
    return sum(
        before.pixel(x, y) != after.pixel(x, y)
        for y in range(area.top(), area.bottom() + 1)
        for x in range(area.left(), area.right() + 1)
    )


def test_rated_photos_show_their_stars_and_heart_in_the_corner(app: MainWindow, qtbot: Any) -> None:
    grid, model = app.grid, app.model
    qtbot.waitUntil(grid.is_laid_out, timeout=WAIT)
    first, second, plain = model.ids[0], model.ids[1], model.ids[2]
    ratings = grid.ratings
    qtbot.waitUntil(
        lambda: all(model.index(r).data(PixmapRole) is not None and ratings.known(model.ids[r]) for r in range(3)),
        timeout=WAIT,
    )
    before = grid.viewport().grab().toImage()
    grid.setFocus()
    grid.setCurrentIndex(model.index(0))
    grid.select_ids([first])
    qtbot.keyClick(grid, Qt.Key.Key_4)
    grid.setCurrentIndex(model.index(1))
    grid.select_ids([second])
    qtbot.keyClick(grid, Qt.Key.Key_Period)  # a favourite, no stars
    qtbot.waitUntil(lambda: ratings.known(first) and ratings.rating(first) == Rating(4), timeout=WAIT)
    qtbot.waitUntil(lambda: ratings.known(second) and ratings.rating(second) == Rating(0, True), timeout=WAIT)
    assert ratings.rating(plain) == Rating()
    grid.clearSelection()  # compared with the grid before: no selection in either
    after = grid.viewport().grab().toImage()

    top_right, bottom_left = corners(grid.visualRect(model.index(0)))
    assert changed(before, after, top_right) >= 40
    assert count(after, top_right, STAR_COLOUR) > count(before, top_right, STAR_COLOUR) + 20
    assert changed(before, after, bottom_left) == 0  # the suggestion badges' and video marks' corner stays free
    top_right = corners(grid.visualRect(model.index(1)))[0]
    assert count(after, top_right, HEART_COLOUR) > count(before, top_right, HEART_COLOUR) + 10
    assert count(after, top_right, STAR_COLOUR) <= count(before, top_right, STAR_COLOUR)
    assert changed(before, after, grid.visualRect(model.index(2))) == 0  # not rated: nothing drawn

    grid.setCurrentIndex(model.index(0))
    grid.select_ids([first])
    qtbot.keyClick(grid, Qt.Key.Key_0)  # the stars go: the grid reads them again
    qtbot.waitUntil(lambda: ratings.known(first) and ratings.rating(first) == Rating(0), timeout=WAIT)
    grid.clearSelection()
    qtbot.waitUntil(
        lambda: changed(before, grid.viewport().grab().toImage(), grid.visualRect(model.index(0))) == 0,
        timeout=WAIT,
    )


def test_stars_read_on_light_and_dark_photos_and_shrink_in_a_narrow_tile(qapp: object) -> None:
    assert rating_text(Rating(4, True), compact=False) == "★★★★ ♥"
    assert rating_text(Rating(5), compact=True) == "★5" and rating_text(Rating(0, True), compact=True) == "♥"
    for background in (Qt.GlobalColor.white, Qt.GlobalColor.black):
        image = QImage(160, 120, QImage.Format.Format_RGB32)
        image.fill(background)
        painter = QPainter(image)
        paint_rating(painter, image.rect(), Rating(3, True))
        painter.end()
        corner = QRect(80, 0, 80, 40)
        assert count(image, corner, STAR_COLOUR) >= 15 and count(image, corner, HEART_COLOUR) >= 5
        pill = image.pixelColor(image.width() - 8, 8)  # the dark pill behind them, on either photo
        assert pill.lightness() < 140
    narrow = QImage(60, 120, QImage.Format.Format_RGB32)
    narrow.fill(Qt.GlobalColor.white)
    painter = QPainter(narrow)
    paint_rating(painter, narrow.rect(), Rating(5))
    painter.end()
    # five stars would not fit beside the selection's check mark: "★5", clear of the left edge
    assert count(narrow, QRect(0, 0, 20, 40), STAR_COLOUR) == 0
    assert count(narrow, QRect(20, 0, 40, 40), STAR_COLOUR) >= 5
