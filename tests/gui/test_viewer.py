"""The photo viewer driven as a person would: zoom, pan, pinch, full screen, slideshow, the info panel.

A real library (tiny model, generated photos, plus a large photo and one with a
camera's EXIF written by Pillow) in the real window offscreen; the pictures are
decoded on the background pool and every test waits on what the window shows.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QNativeGestureEvent, QPointingDevice
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QToolBar, QWidget

import photoclip.core
from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.ui.controller import MODEL_READY, LibraryController
from photoclip.ui.settings import AppSettings
from photoclip.ui.window import GRID, VIEWER, MainWindow

WAIT = 60_000
BIG = (3000, 2000)


def exif_photo(path: Path) -> None:
    """A JPEG a camera could have written: exposure, lens and where it was taken (Paris)."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS R6"
    exif.get_ifd(0x8769).update(
        {
            0x829A: IFDRational(1, 250),
            0x829D: IFDRational(28, 10),
            0x8827: 400,
            0x920A: IFDRational(35, 1),
            0xA434: "RF24-105mm F4 L IS USM",
            0x9003: "2024:05:17 14:03:22",
        }
    )
    exif.get_ifd(0x8825).update(
        {
            1: "N",
            2: (IFDRational(48, 1), IFDRational(51, 1), IFDRational(2412, 100)),
            3: "E",
            4: (IFDRational(2, 1), IFDRational(17, 1), IFDRational(4020, 100)),
        }
    )
    Image.new("RGB", (640, 480), (200, 40, 40)).save(path, exif=exif)


def big_photo(path: Path) -> None:
    """A large photo with detail everywhere (a gradient and a grid), so every zoom shows something."""
    import numpy as np

    width, height = BIG
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[..., 0] = x.astype(np.uint8)
    pixels[..., 1] = y.astype(np.uint8)
    pixels[::50, :, 2] = 255
    pixels[:, ::50, 2] = 255
    Image.fromarray(pixels).save(path, quality=90)


@pytest.fixture(scope="module")
def extra_photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("viewer-extra") / "extra"
    folder.mkdir()
    exif_photo(folder / "camera.jpg")
    big_photo(folder / "big.jpg")
    return folder


@pytest.fixture
def viewer_library(library_dir: Path, extra_photos: Path, gui_embedder: Embedder) -> Path:
    with Library.open(library_dir, embedder=gui_embedder) as library:
        library.folders.add(extra_photos)
        assert library.indexer.update().embedded == 2
    return library_dir


@pytest.fixture
def app(qtbot: Any, viewer_library: Path, app_settings: AppSettings) -> Iterator[MainWindow]:
    controller = LibraryController(viewer_library, watch=False, thumbnail_dir=app_settings.thumbnail_dir)
    window = MainWindow(controller, app_settings)
    qtbot.addWidget(window)
    window.resize(1280, 820)
    window.show()
    controller.open()
    qtbot.waitUntil(lambda: controller.state == MODEL_READY and window.model.rowCount() == 82, timeout=WAIT)
    yield window
    window.close()
    controller.close()


def photo_id(window: MainWindow, name: str) -> int:
    library = window.controller.library
    assert library is not None
    for pid in window.model.ids:
        photo = library.photos.one(pid)
        if photo is not None and photo.path.name == name:
            return int(pid)
    raise AssertionError(f"no photo {name}")


def open_photo(qtbot: Any, window: MainWindow, name: str, *, sharp: bool = True) -> Any:
    """Open the viewer on a photo and wait until its picture (and, with `sharp`, its full resolution) shows."""
    pid = photo_id(window, name)
    window.open_viewer(pid)
    viewer = window.viewer
    qtbot.waitUntil(lambda: viewer.view.has_image and viewer.details is not None, timeout=WAIT)
    if sharp:
        qtbot.waitUntil(lambda: viewer.view.full_resolution, timeout=WAIT)
    assert viewer.current_id == pid
    return viewer


def open_details(qtbot: Any, window: MainWindow, name: str) -> Any:
    """Open the viewer on a photo and wait for its info panel (the way the bug tests see any viewer)."""
    pid = photo_id(window, name)
    window.open_viewer(pid)
    viewer = window.viewer
    qtbot.waitUntil(lambda: viewer.details is not None and viewer.details.photo.id == pid, timeout=WAIT)
    return viewer


def texts(widget: QWidget) -> list[str]:
    return [str(label.text()) for label in widget.findChildren(QLabel)]


def panel_text(viewer: Any, accessible: str) -> str:
    for label in viewer.panel.findChildren(QLabel):
        if label.accessibleName() == accessible:
            return str(label.text())
    raise AssertionError(f"no {accessible!r} in the info panel")


def near(a: QPointF, b: QPointF, tolerance: float = 1.5) -> bool:
    return abs(a.x() - b.x()) <= tolerance and abs(a.y() - b.y()) <= tolerance


# --- zoom and pan -----------------------------------------------------------------------------------------------------


def test_the_wheel_zooms_around_the_pointer_and_keys_zoom_fit_and_100(qtbot: Any, app: MainWindow) -> None:
    viewer = open_photo(qtbot, app, "big.jpg")
    view = viewer.view
    assert view.fitting and view.zoom() < 1.0
    assert viewer.zoom_button.text() == "Fit"
    pointer = QPointF(view.width() * 0.3, view.height() * 0.6)
    fit = view.zoom()

    wheel(view, pointer, 240)  # two notches: the photo now overflows the view both ways
    assert view.zoom() == pytest.approx(fit * 1.25**2)
    under = view.to_photo(pointer)
    wheel(view, pointer, 120)
    assert view.zoom() == pytest.approx(fit * 1.25**3)
    assert near(view.to_photo(pointer), under), "the point under the pointer stays under it"
    assert viewer.zoom_button.text() == f"{view.zoom():.0%}"

    qtbot.keyClick(viewer, Qt.Key.Key_Minus)
    assert view.zoom() == pytest.approx(fit * 1.25**2)
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)
    assert view.zoom() == pytest.approx(fit * 1.25**3)
    qtbot.keyClick(viewer, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom() == 1.0 and viewer.zoom_button.text() == "100%"
    qtbot.keyClick(viewer, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert view.fitting
    qtbot.keyClick(viewer, Qt.Key.Key_Z)  # Z toggles, as double-click does (0-5 rate the photo)
    assert view.zoom() == 1.0
    qtbot.keyClick(viewer, Qt.Key.Key_Z)
    assert view.fitting

    for _ in range(6):  # zooming out past the fitting size fits again (and never shrinks further)
        wheel(view, pointer, 120)
    for _ in range(12):
        wheel(view, pointer, -120)
    assert view.fitting and view.zoom() == pytest.approx(fit)


def test_ctrl_plus_zooms_the_photo_not_the_thumbnails(qtbot: Any, app: MainWindow) -> None:
    viewer = open_photo(qtbot, app, "big.jpg")
    thumbnails = app.zoom.value()
    qtbot.keyClick(viewer, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert not viewer.view.fitting and app.zoom.value() == thumbnails


def test_double_click_toggles_fit_and_100_percent_at_the_clicked_point(qtbot: Any, app: MainWindow) -> None:
    viewer = open_photo(qtbot, app, "big.jpg")
    view = viewer.view
    point = QPoint(int(view.width() * 0.7), int(view.height() * 0.3))
    under = view.to_photo(QPointF(point))
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=point)
    assert view.zoom() == 1.0 and not view.fitting
    assert near(view.to_photo(QPointF(point)), under, 2.0), "100% around what was clicked"
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=point)
    assert view.fitting


def test_dragging_pans_a_zoomed_photo_and_stops_at_its_edges(qtbot: Any, app: MainWindow) -> None:
    viewer = open_photo(qtbot, app, "big.jpg")
    view = viewer.view
    start = view.center()
    drag(qtbot, view, QPoint(200, 200), QPoint(260, 230))
    assert view.center() == start, "a fitted photo does not move"

    qtbot.keyClick(viewer, Qt.Key.Key_Z)  # 100%: the photo is larger than the window
    before = view.center()
    drag(qtbot, view, QPoint(300, 300), QPoint(200, 250))  # pull the photo left and up
    after = view.center()
    assert after.x() == pytest.approx(before.x() + 100, abs=1) and after.y() == pytest.approx(before.y() + 50, abs=1)
    wheel(view, QPointF(300, 300), 24, pixels=QPoint(-30, 20))  # two fingers on a touchpad: move, not zoom
    assert view.zoom() == 1.0
    assert view.center().x() == pytest.approx(after.x() + 30, abs=1)
    assert view.center().y() == pytest.approx(after.y() - 20, abs=1)

    for _ in range(4):  # far beyond the photo's top left corner
        drag(qtbot, view, QPoint(100, 100), QPoint(view.width() - 10, view.height() - 10))
    rect = view.photo_rect()
    assert rect.left() == pytest.approx(0, abs=0.5) and rect.top() == pytest.approx(0, abs=0.5), "no gap at the edge"


def test_a_pinch_zooms_on_a_touchpad_and_on_a_touch_screen(qtbot: Any, app: MainWindow) -> None:
    viewer = open_photo(qtbot, app, "big.jpg")
    view = viewer.view
    fit = view.zoom()
    centre = QPointF(view.width() / 2, view.height() / 2)
    device = QPointingDevice.primaryPointingDevice()
    for kind, value in ((Qt.NativeGestureType.BeginNativeGesture, 0.0), (Qt.NativeGestureType.ZoomNativeGesture, 0.5)):
        event = QNativeGestureEvent(kind, device, 2, centre, centre, view.mapToGlobal(centre), value, QPointF())
        QApplication.sendEvent(view, event)
    assert view.zoom() == pytest.approx(fit * 1.5)

    from PySide6.QtWidgets import QGestureEvent, QPinchGesture

    pinch = QPinchGesture()
    pinch.setTotalScaleFactor(2.0)
    pinch.setScaleFactor(2.0)
    pinch.setChangeFlags(QPinchGesture.ChangeFlag.ScaleFactorChanged)
    pinch.setCenterPoint(view.mapToGlobal(centre))
    view.fit()
    QApplication.sendEvent(view, QGestureEvent([pinch]))
    assert view.zoom() == pytest.approx(fit * 2.0)


# --- full screen and the slideshow ------------------------------------------------------------------------------------


def chrome(window: MainWindow) -> list[QWidget]:
    return [window.menuBar(), window.statusBar(), window.sidebar, *window.findChildren(QToolBar)]


@pytest.mark.parametrize("key", [Qt.Key.Key_F11, Qt.Key.Key_F])
def test_full_screen_hides_every_bar_and_esc_comes_back(qtbot: Any, app: MainWindow, key: Qt.Key) -> None:
    viewer = open_photo(qtbot, app, "big.jpg", sharp=False)
    assert all(widget.isVisible() for widget in chrome(app))
    qtbot.keyClick(viewer, key)
    qtbot.waitUntil(app.isFullScreen)
    assert not any(widget.isVisible() for widget in chrome(app))
    assert not viewer.top_bar.isVisible() and not viewer.panel.isVisible()
    qtbot.waitUntil(lambda: viewer.view.width() >= app.width() - 2)  # the photo has the whole screen

    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not app.isFullScreen())
    assert all(widget.isVisible() for widget in chrome(app))
    assert viewer.top_bar.isVisible() and viewer.panel.isVisible()
    assert app.stack.currentIndex() == VIEWER, "Esc left full screen, not the viewer"
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert app.stack.currentIndex() == GRID


def test_the_slideshow_shows_each_photo_for_its_interval_and_any_key_stops_it(qtbot: Any, app: MainWindow) -> None:
    viewer = open_photo(qtbot, app, "big.jpg", sharp=False)
    viewer.set_slideshow_interval(0.3)
    shown: list[tuple[float, int]] = []
    viewer.shown.connect(lambda pid: shown.append((time.monotonic(), pid)))
    start_position = viewer.position
    viewer.slideshow_button.click()
    qtbot.waitUntil(app.isFullScreen)
    assert viewer.slideshow.running
    assert viewer.view.cursor().shape() == Qt.CursorShape.BlankCursor, "no pointer over the show"
    qtbot.waitUntil(lambda: len(shown) >= 3, timeout=WAIT)
    gaps = [b[0] - a[0] for a, b in zip(shown, shown[1:], strict=False)]
    assert all(gap >= 0.29 for gap in gaps), gaps
    assert [pid for _t, pid in shown[:3]] == [viewer.ids[(start_position + i) % len(viewer.ids)] for i in (1, 2, 3)]

    qtbot.keyClick(viewer, Qt.Key.Key_Right)  # any key: it only stops the show
    assert not viewer.slideshow.running
    stopped_at = viewer.position
    qtbot.waitUntil(lambda: not app.isFullScreen())
    assert viewer.view.cursor().shape() != Qt.CursorShape.BlankCursor
    qtbot.wait(800)
    assert viewer.position == stopped_at, "no photo after the show stopped, and the key did not step"
    assert app.stack.currentIndex() == VIEWER and all(w.isVisible() for w in chrome(app))


@pytest.mark.parametrize("how", ["click", "wheel", "s-key"])
def test_a_click_or_the_wheel_stops_the_slideshow_too(qtbot: Any, app: MainWindow, how: str) -> None:
    viewer = open_photo(qtbot, app, "big.jpg", sharp=False)
    viewer.set_slideshow_interval(0.2)
    if how == "s-key":
        qtbot.keyClick(viewer, Qt.Key.Key_S)
    else:
        viewer.start_slideshow()
    qtbot.waitUntil(lambda: app.isFullScreen() and viewer.slideshow.running)
    position = viewer.position
    if how == "click":
        qtbot.mouseClick(viewer.view, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    elif how == "wheel":
        wheel(viewer.view, QPointF(50, 50), 120)
    else:
        qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.slideshow.running
    qtbot.waitUntil(lambda: not app.isFullScreen())
    assert viewer.view.fitting, "the stopping input did nothing else"
    assert viewer.position in (position, (position + 1) % len(viewer.ids))
    assert app.stack.currentIndex() == VIEWER


# --- the picture arrives progressively, off the GUI thread ------------------------------------------------------------


def test_the_full_resolution_replaces_the_preview_without_moving_and_off_the_gui_thread(
    qtbot: Any, app: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    original = photoclip.core.decode_photo

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(photoclip.core, "decode_photo", recording)
    app.resize(1000, 700)
    pid = photo_id(app, "big.jpg")
    viewer = app.viewer
    sizes: list[tuple[int, int]] = []
    viewer.shown.connect(lambda _pid: sizes.append(viewer.view.sharpest.toTuple()))
    viewer.sharpened.connect(lambda _pid: sizes.append(viewer.view.sharpest.toTuple()))
    app.open_viewer(pid)
    qtbot.waitUntil(lambda: len(sizes) == 2, timeout=WAIT)
    preview, full = sizes
    assert max(preview) <= 2048 and preview[0] < BIG[0], "a screen-sized preview first"
    assert full == BIG, "then every pixel"
    assert viewer.view.photo_size.toTuple() == BIG
    assert threads and threading.main_thread().name not in threads, "decoded on the pool, never the GUI thread"


def test_leafing_shows_the_next_photo_from_the_preview_decoded_ahead(qtbot: Any, app: MainWindow) -> None:
    viewer = open_photo(qtbot, app, "big.jpg")
    following = viewer.ids[(viewer.position + 1) % len(viewer.ids)]
    qtbot.waitUntil(lambda: following in viewer._previews, timeout=WAIT)
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.current_id == following and viewer.view.has_image, "shown at once, no wait"


def test_a_photo_whose_file_is_gone_says_so_and_the_next_one_still_shows(
    qtbot: Any, app: MainWindow, extra_photos: Path, tmp_path: Path, gui_embedder: Embedder
) -> None:
    library = app.controller.library
    assert library is not None
    folder = tmp_path / "vanishing"
    folder.mkdir()
    shutil.copy(extra_photos / "camera.jpg", folder / "gone.jpg")
    library.folders.add(folder)
    library.indexer.update()
    qtbot.waitUntil(lambda: app.model.rowCount() == 83, timeout=WAIT)
    (folder / "gone.jpg").unlink()
    pid = photo_id(app, "gone.jpg")
    app.open_viewer(pid)
    viewer = app.viewer
    qtbot.waitUntil(lambda: "no longer there" in viewer.view.message, timeout=WAIT)
    assert not viewer.view.has_image
    qtbot.keyClick(viewer, Qt.Key.Key_Right if viewer.position + 1 < len(viewer.ids) else Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: viewer.view.has_image, timeout=WAIT)


def test_the_slideshow_interval_is_chosen_from_its_menu_and_remembered(
    qtbot: Any, app: MainWindow, app_settings: AppSettings
) -> None:
    viewer = open_photo(qtbot, app, "big.jpg", sharp=False)
    menu = viewer.slideshow_button.menu()
    ten = next(action for action in menu.actions() if action.text() == "Every 10 seconds")
    ten.trigger()
    assert viewer.slideshow.interval == 10 and app_settings.slideshow_seconds == 10
    assert ten.isChecked() and sum(action.isChecked() for action in menu.actions()) == 1


# --- the info panel ---------------------------------------------------------------------------------------------------


def test_the_info_panel_shows_the_cameras_record(qtbot: Any, app: MainWindow) -> None:
    viewer = open_photo(qtbot, app, "camera.jpg")
    assert panel_text(viewer, "Date taken") == "17 May 2024, 14:03 (EXIF)"
    assert panel_text(viewer, "Camera") == "Canon EOS R6"
    assert panel_text(viewer, "Lens") == "RF24-105mm F4 L IS USM"
    assert panel_text(viewer, "Exposure") == "1/250 s"
    assert panel_text(viewer, "Aperture") == "f/2.8"
    assert panel_text(viewer, "ISO") == "400"
    assert panel_text(viewer, "Focal length") == "35 mm"
    assert panel_text(viewer, "Location") == "48.85670° N, 2.29450° E"


def test_a_date_from_the_file_says_so(qtbot: Any, app: MainWindow) -> None:
    """Bug 11: "Taken" showed the file's modification time without saying so."""
    library = app.controller.library
    assert library is not None
    png = next(p for pid in app.model.ids if (p := library.photos.one(pid)) is not None and p.path.suffix == ".png")
    assert png.date_source == "file"
    viewer = open_details(qtbot, app, png.path.name)
    shown = texts(viewer)
    assert any("file modified" in text and "no capture date" in text for text in shown), shown
    assert "Taken" not in shown and "Date" in shown


def tagged_suggestion(window: MainWindow, name: str, label: str) -> None:
    """Give a photo a suggested tag with a long name: auto-tag with a one-label set and no threshold."""
    from photoclip.core import Label, LabelSet

    library = window.controller.library
    assert library is not None
    library.tags.save_label_set(LabelSet("Places", (Label(label),), exclusive=False))
    report = library.tags.auto_tag("Places", [photo_id(window, name)], threshold=0.0)
    assert report.suggested == 1


@pytest.mark.parametrize("size", [(900, 600), (1000, 700), (1600, 1000)])
def test_the_info_panel_never_scrolls_sideways(qtbot: Any, app: MainWindow, size: tuple[int, int]) -> None:
    """Bug 6: as soon as a suggested tag showed, Reject and Add were cut off behind a horizontal scroll bar."""
    from PySide6.QtWidgets import QScrollArea

    tagged_suggestion(app, "camera.jpg", "Jardin du Luxembourg, Paris")
    app.resize(*size)
    viewer = open_details(qtbot, app, "camera.jpg")
    qtbot.waitUntil(lambda: any(t.status == "suggested" for t in viewer.details.tags))
    qtbot.waitUntil(lambda: getattr(viewer, "model_view", True) is not None, timeout=WAIT)
    qtbot.wait(100)  # the layout settles
    buttons = {b.accessibleName(): b for b in viewer.findChildren(QPushButton)}
    wanted = ["Accept tag Jardin du Luxembourg, Paris", "Reject tag Jardin du Luxembourg, Paris", "Add tag"]
    assert set(wanted) <= set(buttons)
    panel = buttons["Add tag"].parent()
    while not isinstance(panel, QScrollArea):
        panel = panel.parent()
    assert panel.horizontalScrollBar().maximum() == 0, f"the panel scrolls sideways at {size}"
    port = panel.viewport()
    for name in wanted:
        button = buttons[name]
        assert button.mapTo(port, QPoint(button.width(), 0)).x() <= port.width(), f"{name} is cut off at {size}"


def test_what_the_model_sees_is_the_models_view_not_the_persons_tags(qtbot: Any, app: MainWindow) -> None:
    """Bug 7: the panel showed label sets by which had tags ("My tags: rocket 100%"), none from Shapes."""
    library = app.controller.library
    assert library is not None
    name = next(
        p.path.name
        for pid in app.model.ids
        if (p := library.photos.one(pid)) is not None and p.path.parent.parent.parent.name == "photos"
    )
    library.tags.tag([photo_id(app, name)], "rocket")
    viewer = open_details(qtbot, app, name)
    qtbot.waitUntil(lambda: any("%" in text for text in texts(viewer)), timeout=WAIT)  # the model's view is in
    shown = texts(viewer)
    assert any("Shapes (demo)" in text for text in shown), "the shape the model sees, with no auto-tag run"
    assert not any("My tags" in text for text in shown), "the person's own set is not the model's view"
    assert not any("rocket" in text and "%" in text for text in shown), "nor is the person's tag, scored"
    assert any("Colours (demo)" in text for text in shown), "the colour the model sees, with no auto-tag run"
    assert any("a photo" in text and "50%" in text for text in shown), "what the numbers mean"
    assert any(text == "<b>rocket</b>" for text in shown), "the person's tag is listed under Tags"


def test_typing_a_search_while_viewing_goes_back_to_the_new_results(qtbot: Any, app: MainWindow) -> None:
    """Bug 11: the viewer kept showing a stale photo and panel while the search changed underneath it."""
    viewer = open_details(qtbot, app, "big.jpg")
    qtbot.mouseClick(app.search, Qt.MouseButton.LeftButton)
    app.search.setFocus()
    qtbot.keyClicks(app.search, "a blue star")
    qtbot.waitUntil(lambda: app.result is not None and app.query == "a blue star", timeout=WAIT)
    assert app.stack.currentIndex() == GRID, "back to the grid, which shows the new results"
    assert "matches" in app.header.text()
    assert app.search.hasFocus() and app.search.text() == "a blue star", "typing goes on"
    assert viewer.details is None, "the stale photo and its panel are let go"


# --- helpers ------------------------------------------------------------------------------------------------------


def wheel(widget: QWidget, position: QPointF, delta: int, pixels: QPoint | None = None) -> None:
    """What a mouse wheel sends (angle only), or a touchpad's two-finger scroll (with `pixels`)."""
    from PySide6.QtGui import QWheelEvent

    event = QWheelEvent(
        position,
        widget.mapToGlobal(position),
        pixels if pixels is not None else QPoint(0, 0),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def drag(qtbot: Any, widget: QWidget, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    steps = 5
    for i in range(1, steps + 1):
        point = start + (end - start) * i / steps
        qtbot.mouseMove(widget, pos=QPoint(round(point.x()), round(point.y())))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)
