"""Screenshots of every key state of the app, at three window sizes, for the README and for looking at.

welcome, grid, search, the viewer (fitted, zoomed, info panel, full screen), the
auto-tag dialog, the label set editor, each Preferences page, the dark theme and the
demo model banner, each at 900x600, 1366x768 and 1920x1080 (docs/screenshots/<W>x<H>/);
the README's few (docs/screenshots/*.png) are at 1366x768.

Runs the real app on the offline demo (generated photos, bundled tiny model) in a
temporary folder, drives it like a person would, and grabs each window as PNG:

    .venv/bin/python docs/make_screenshots.py [--out docs/screenshots]
    .venv/bin/python docs/make_screenshots.py --scale 2 --only grid --out /tmp/hidpi   # high-DPI crispness

Works offscreen (QT_QPA_PLATFORM=offscreen, the default here) or on a real display.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from photoclip.core.clip.registry import TINY_MODEL_KEY
from photoclip.core.library import Library
from photoclip.core.store.catalog import PhotoFilter
from photoclip.demo import DEMO_TEXT_PHOTOS, prepare_demo_photos
from photoclip.ui.app import apply_appearance, make_application
from photoclip.ui.controller import MODEL_READY, LibraryController
from photoclip.ui.grid import PixmapRole
from photoclip.ui.settings import AppSettings
from photoclip.ui.sidebar import ALL
from photoclip.ui.theme import apply_theme
from photoclip.ui.window import MainWindow

SIZES = ((900, 600), (1366, 768), (1920, 1080))
"""Window sizes every state is rendered at (docs/screenshots/<W>x<H>/); offscreen, each is also a screen."""

README_SIZE = (1366, 768)
"""The size of the few screenshots the README shows (docs/screenshots/*.png)."""

SHOWN = 240 + DEMO_TEXT_PHOTOS + 1 + 3
"""Rows of the demo library shown: its shapes and texts, the camera photo, three clips."""

PREFERENCE_PAGES = ("folders", "model", "thumbnails", "sidecars", "appearance")


def pump(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if condition():
            return
        time.sleep(0.01)
    raise TimeoutError("the app did not get there in time")


def settle(seconds: float = 0.5) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)


def save(widget: QWidget, path: Path) -> None:
    settle()
    widget.grab().save(str(path))
    print(f"saved {path}")


def add_demo_clips(folder: Path) -> None:
    """Three short clips of the demo's shapes, a few scenes each (as a phone folder holds videos beside photos)."""
    import random

    from photoclip.demo.videos import shape_shots, write_clip

    rng = random.Random(3)
    plans = [
        [("green", "circle"), ("blue", "star"), ("yellow", "square")],
        [("red", "heart"), ("purple", "cross")],
        [("orange", "triangle"), ("blue", "star"), ("cyan", "circle"), ("pink", "heart")],
    ]
    for number, combos in enumerate(plans, 1):
        write_clip(folder / f"VID_000{number}.mp4", shape_shots(rng, combos, [4] * len(combos)), size=(640, 360))


def thumbnails_shown(window: MainWindow, count: int) -> bool:
    model = window.model
    rows = min(count, model.rowCount())
    return rows > 0 and all(model.index(r).data(PixmapRole) is not None for r in range(rows))


def offscreen_screens(folder: Path) -> None:
    """Offscreen, give Qt one screen per viewer size, so full screen has that size (before the app starts)."""
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return
    left, screens = 0, []
    for width, height in SIZES:
        screens.append(
            {
                "name": f"{width}x{height}",
                "x": left,
                "y": 0,
                "width": width,
                "height": height,
                "logicalDpi": 96,
                "logicalBaseDpi": 96,
                "dpr": 1,
            }
        )
        left += width
    config = folder / "screens.json"
    config.write_text(json.dumps({"screens": screens}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def camera_photo(folder: Path) -> Path:
    """A 12-megapixel "camera" JPEG with a full EXIF record (exposure, lens, GPS), for the viewer's states."""
    import random

    from PIL import Image as PILImage
    from PIL.TiffImagePlugin import IFDRational

    from photoclip.demo.shapes import random_scene, render

    path = folder / "2024" / "06" / "DSC_4711.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    image = render(random_scene(random.Random(4711), colour="red", shape="circle"), 4000, 3000, supersample=1)
    exif = PILImage.Exif()
    exif[0x010F], exif[0x0110] = "NIKON CORPORATION", "NIKON Z 6"
    exif.get_ifd(0x8769).update(
        {
            0x829A: IFDRational(1, 250),
            0x829D: IFDRational(28, 10),
            0x8827: 200,
            0x920A: IFDRational(50, 1),
            0xA434: "NIKKOR Z 50mm f/1.8 S",
            0x9003: "2024:06:14 18:42:05",
            0x9011: "+02:00",
            0x9209: 0x10,
        }
    )
    exif.get_ifd(0x8825).update(
        {
            1: "N",
            2: (IFDRational(48, 1), IFDRational(51, 1), IFDRational(2412, 100)),
            3: "E",
            4: (IFDRational(2, 1), IFDRational(17, 1), IFDRational(4020, 100)),
            6: IFDRational(35, 1),
        }
    )
    image.save(path, quality=90, exif=exif)
    return path


def on_screen(window: QWidget, width: int, height: int) -> None:
    """Put the window alone on the screen of that size (offscreen), at that size."""
    screens = {screen.name(): screen for screen in QApplication.screens()}
    name = f"{width}x{height}"
    handle = window.windowHandle()
    if name in screens and handle is not None:
        handle.setScreen(screens[name])
        window.move(screens[name].geometry().topLeft())
    window.resize(width, height)
    settle(0.3)


def fit_dialog(dialog: QWidget, width: int, height: int, window: tuple[int, int]) -> None:
    """A dialog at its usual size, smaller when the window (and so the screen) is smaller."""
    dialog.resize(min(width, window[0] - 40), min(height, window[1] - 40))


def viewer_states(window: MainWindow, photo_id: int, out: Path, size: tuple[int, int]) -> None:
    """The viewer fitted, zoomed to 100%, its info panel (whole, as tall as its content), and full screen."""
    from PySide6.QtCore import QPointF

    viewer = window.viewer
    window.open_viewer(photo_id)
    pump(
        lambda: viewer.view.full_resolution and viewer.details is not None and viewer.model_view is not None,
        timeout=180,
    )
    save(window, out / "viewer-fit.png")
    view = viewer.view
    view.set_zoom(1.0, QPointF(view.width() * 0.45, view.height() * 0.4))
    save(window, out / "viewer-zoomed.png")
    save(viewer.panel.page, out / "viewer-info.png")
    view.fit()
    settle(1.5)  # the zoom badge fades
    window.toggle_full_screen()
    pump(lambda: window.isFullScreen() and not window.menuBar().isVisible())
    save(window, out / "viewer-full-screen.png")
    window.toggle_full_screen()
    pump(lambda: not window.isFullScreen())
    window.close_viewer()
    on_screen(window, *size)


def dialogs(
    window: MainWindow, controller: LibraryController, settings: AppSettings, out: Path, size: tuple[int, int]
) -> None:
    """The auto-tag dialog after a run, the label set editor testing a label, each page of Preferences."""
    from photoclip.ui.autotag_dialog import AutoTagDialog
    from photoclip.ui.labelset_editor import LabelSetEditor
    from photoclip.ui.preferences import PreferencesDialog

    dialog = AutoTagDialog(controller, window.model.ids, "search results for “a red circle”", window)
    dialog.show()
    pump(lambda: dialog.sets.count() > 0)
    dialog.sets.setCurrentText("Shapes (demo)")
    dialog.run()
    pump(lambda: not dialog._running, 120)
    save(dialog, out / "auto-tag.png")
    dialog.close()

    editor = LabelSetEditor(controller, window, select="Colours (demo)")
    fit_dialog(editor, 1100, 680, size)
    editor.show()
    pump(lambda: editor.table.rowCount() > 0)
    editor.table.setCurrentCell(0, 0)
    editor._test_label()  # the "Test this label" button
    settle(2.5)
    save(editor, out / "label-set-editor.png")
    editor.close()

    preferences = PreferencesDialog(controller, settings, window)
    fit_dialog(preferences, preferences.width(), preferences.height(), size)
    preferences.show()
    pump(lambda: preferences.model_table.rowCount() > 0)
    for page, name in enumerate(PREFERENCE_PAGES):
        preferences.tabs.setCurrentIndex(page)
        settle(0.8)  # the cache size and the folder list come from the library
        save(preferences, out / f"preferences-{name}.png")
    preferences.reject()


def grid_states(window: MainWindow, out: Path, prefix: str = "") -> None:
    """All photos (the grid, first one selected) and a search's results."""
    window.clear_search()
    pump(lambda: window.model.rowCount() == SHOWN and "matches" not in window.header.text())
    window.grid.scrollToTop()
    window.grid.select_ids(window.model.ids[:1])
    pump(lambda: thumbnails_shown(window, 30))
    save(window, out / f"{prefix}grid.png")
    window.search.setText("a red circle")
    window.search.search_now()
    pump(lambda: window.result is not None and "matches" in window.header.text())
    window.grid.select_ids(window.model.ids[:1])
    pump(lambda: thumbnails_shown(window, 30))
    save(window, out / f"{prefix}search.png")


def welcome_state(
    app: QApplication, settings: AppSettings, base: Path, out_of: Callable[[tuple[int, int]], Path]
) -> None:
    """A new, empty library: the welcome page (nothing is downloaded unless asked)."""
    from photoclip.ui.window import WELCOME

    controller = LibraryController(base / "new-library", thumbnail_dir=base / "new-thumbs", watch=False)
    window = MainWindow(controller, settings)
    window.show()
    controller.open()
    pump(lambda: controller.library is not None and window.stack.currentIndex() == WELCOME)
    for size in SIZES:
        on_screen(window, *size)
        save(window, out_of(size) / "welcome.png")
    window.close()
    controller.close()


def demo_banner_state(window: MainWindow, base: Path, out_of: Callable[[tuple[int, int]], Path]) -> None:
    """The tiny model on a person's own photos: the banner above the grid says its results mean nothing."""
    from PIL import Image as PILImage

    mine = base / "My Pictures"
    mine.mkdir()
    PILImage.new("RGB", (640, 480), (200, 150, 90)).save(mine / "beach.jpg")
    window.controller.add_folder(mine)
    pump(lambda: window.demo_banner.isVisible())
    window.clear_search()
    for size in SIZES:
        on_screen(window, *size)
        save(window, out_of(size) / "demo-model-banner.png")


def video_states(window: MainWindow, out: Path) -> None:
    """A search that finds a clip's scene, and the viewer playing it from the matching moment."""
    window.search.setText("a blue star")
    window.search.search_now()
    pump(lambda: window.result is not None and "a blue star" in window.header.text())
    pump(lambda: thumbnails_shown(window, 30))
    video = next(h.photo_id for h in window.result.hits if h.is_video)
    window.grid.select_ids([video])
    save(window, out / "videos.png")
    window.open_viewer(video)
    pump(lambda: window.viewer.video.photo is not None)
    settle(2.5)  # playing from the matching moment
    window.viewer.video.toggle_play()
    save(window, out / "video-viewer.png")
    window.close_viewer()
    window.clear_search()


def build_demo(base: Path) -> tuple[Path, int]:
    """The offline demo's photos and a camera JPEG, indexed with the tiny model, an album and tags."""
    photos = prepare_demo_photos(base / "demo", 240)
    add_demo_clips(photos / "videos")
    camera = camera_photo(photos)
    with Library.open(base / "library", model=TINY_MODEL_KEY) as library:
        library.folders.add(photos)
        library.indexer.update()
        library.albums.create("Holiday 2024")
        library.albums.add("Holiday 2024", library.searcher.browse_ids(PhotoFilter())[:40])
        library.tags.auto_tag("Colours (demo)")
        camera_photo_row = library.photos.by_path(camera)
        assert camera_photo_row is not None
        camera_id = int(camera_photo_row.id)
        library.albums.add("Holiday 2024", [camera_id])
        library.tags.tag([camera_id], "evening walk")
        library.ratings.rate([camera_id], 4)  # the info panel shows stars and a favourite
        library.ratings.set_favourite([camera_id], True)
    return base / "library", camera_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "screenshots")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="device pixel ratio (QT_SCALE_FACTOR): 2 checks high-DPI crispness"
    )
    parser.add_argument(
        "--only", choices=["grid", "timeline"], help="only the grid and viewer (with --scale), or only the timeline"
    )
    args = parser.parse_args()
    if args.scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    args.out.mkdir(parents=True, exist_ok=True)

    def out_of(size: tuple[int, int]) -> Path:
        folder = args.out / f"{size[0]}x{size[1]}"
        folder.mkdir(exist_ok=True)
        return folder

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        if args.only == "timeline":
            offscreen_screens(base)
            timeline_screenshots(light_settings(make_application(), base), base, args.out)
            return
        library_dir, camera_id = build_demo(base)
        offscreen_screens(base)
        app = make_application()
        settings = light_settings(app, base)
        controller = LibraryController(library_dir, thumbnail_dir=base / "thumbs", watch=False)
        window = MainWindow(controller, settings)
        window.show()
        controller.open()
        pump(lambda: controller.state == MODEL_READY and window.model.rowCount() == SHOWN)
        window.sidebar.expandToDepth(1)
        if args.only == "grid":
            on_screen(window, *README_SIZE)
            grid_states(window, args.out, f"x{args.scale:g}-")
            window.close_viewer()
            viewer_states(window, camera_id, out_of(README_SIZE), README_SIZE)
            return
        for size in SIZES:
            out = out_of(size)
            on_screen(window, *size)
            grid_states(window, out)
            if size == README_SIZE:
                save(window, args.out / "main-window.png")
                window.open_viewer(window.model.ids[0])
                pump(lambda: window.viewer.view.full_resolution and window.viewer.model_view is not None)
                save(window, args.out / "viewer.png")
                window.close_viewer()
                video_states(window, args.out)
            window.clear_search()
            pump(lambda: window.model.rowCount() == SHOWN)
            viewer_states(window, camera_id, out, size)
            dialogs(window, controller, settings, out, size)
            apply_theme(app, "dark")
            grid_states(window, out, "dark-")
            apply_theme(app, "light")
        for name in ("auto-tag", "label-set-editor"):
            (args.out / f"{name}.png").write_bytes((out_of(README_SIZE) / f"{name}.png").read_bytes())
        (args.out / "dark.png").write_bytes((out_of(README_SIZE) / "dark-search.png").read_bytes())
        demo_banner_state(window, base, out_of)
        review_screenshots(window, args.out)
        window.close()
        controller.close()
        welcome_state(app, settings, base, out_of)
        duplicates_screenshot(app, settings, base, args.out)
        timeline_screenshots(settings, base, args.out)


def light_settings(app: QApplication, base: Path) -> AppSettings:
    """The app's settings kept in the temporary folder, light theme."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(base / "qsettings"))
    settings = AppSettings()
    settings.theme = "light"
    apply_appearance(app, settings)
    return settings


def review_screenshots(window: MainWindow, out: Path) -> None:
    """Suggestion badges in the grid and review mode, after auto-tagging every photo with shapes."""
    done: list[object] = []
    window.controller.run_auto_tag("Shapes (demo)", None, threshold=None, auto_accept=None, on_done=done.append)
    pump(lambda: bool(done))
    window.set_scope(ALL)
    window.clear_search()
    window.grid.clearSelection()
    for width, height in SIZES:
        window.resize(width, height)
        pump(lambda: window.model.rowCount() > 0 and thumbnails_shown(window, 12))
        pump(lambda: all(window.badges.known(pid) for pid in window.model.ids[:12]))
        save(window, out / f"badges-{width}x{height}.png")
    for width, height in SIZES:
        window.resize(width, height)
        window.review_label("Shapes (demo)", "circle")
        pump(lambda: window.review.loaded)
        for verdict in ("accept", "accept", "reject"):
            window.review.decide(verdict)
        pump(lambda: window.review.canvas.image is not None)
        save(window, out / f"review-{width}x{height}.png")
        window.review.leave()


def timeline_photos(folder: Path) -> None:
    """A fortnight of outings: 3 to 14 photos a day, landscape, portrait, square and panoramic."""
    import datetime as dt
    import random

    from photoclip.demo import save_photo
    from photoclip.demo.shapes import random_scene, render

    rng = random.Random(11)
    shapes = ((360, 240), (240, 360), (300, 300), (480, 180), (320, 240))
    day = dt.datetime(2025, 6, 14, 9, 0)
    for _outing in range(14):
        for i in range(rng.randint(3, 14)):
            width, height = rng.choices(shapes, weights=(6, 3, 1, 1, 3))[0]
            taken = day + dt.timedelta(minutes=17 * i)
            save_photo(
                render(random_scene(rng), width, height), folder / f"{taken:%Y-%m-%d}" / f"IMG_{i:03d}.jpg", taken
            )
        day -= dt.timedelta(days=rng.choice((1, 1, 2, 3, 6)))


def timeline_screenshots(settings: AppSettings, base: Path, out: Path) -> None:
    """Browsing: the timeline (day headers, justified rows) at three window sizes; the date beside the scroll bar."""
    timeline_photos(base / "timeline-photos")
    with Library.open(base / "timeline-library", model=TINY_MODEL_KEY) as library:
        library.folders.add(base / "timeline-photos")
        library.indexer.update()
    controller = LibraryController(base / "timeline-library", thumbnail_dir=base / "timeline-thumbs", watch=False)
    window = MainWindow(controller, settings)
    window.show()
    controller.open()
    pump(lambda: controller.state == MODEL_READY and window.model.rowCount() > 0 and window.grid.is_laid_out())
    window.demo_banner.dismiss()  # the tiny model on photos it does not know: shown elsewhere, not the point here
    for width, height in SIZES:
        window.resize(width, height)
        pump(lambda: window.grid.is_laid_out() and window.grid.layout_data.width == window.grid.viewport().width())
        pump(lambda: thumbnails_shown(window, 20))
        save(window, out / f"timeline-{width}x{height}.png")
    window.resize(*README_SIZE)
    bar = window.grid.verticalScrollBar()
    pump(lambda: bar.maximum() > 0)
    bar.setSliderDown(True)
    bar.setValue(bar.maximum() * 2 // 3)
    pump(lambda: thumbnails_shown(window, 1))
    settle(1.0)
    save(window, out / "timeline-scrubbing.png")
    bar.setSliderDown(False)
    window.close()
    controller.close()


def duplicates_screenshot(app: QApplication, settings: AppSettings, base: Path, out: Path) -> None:
    """The Duplicates & bursts view on generated copies, bursts and look-alikes, with a smart album beside."""
    from photoclip.demo.variants import build_duplicate_library

    build_duplicate_library(base / "dup-photos", originals=10, bursts=3, look_alikes=6, seed=5)
    with Library.open(base / "dup-library", model=TINY_MODEL_KEY) as library:
        library.folders.add(base / "dup-photos")
        library.indexer.update()
        library.smart_albums.create("Red things", "red", relevance=0.5)
    controller = LibraryController(base / "dup-library", thumbnail_dir=base / "dup-thumbs", watch=False)
    window = MainWindow(controller, settings)
    window.resize(*README_SIZE)
    window.show()
    controller.open()
    pump(lambda: controller.state == MODEL_READY)
    window.sidebar.expandToDepth(1)
    window.show_duplicates()
    pump(lambda: window.similar.found is not None and bool(window.duplicates.cards), 120)
    pump(
        lambda: all(
            c.image.pixmap() is not None and not c.image.pixmap().isNull()
            for c in list(window.duplicates.cards.values())[:8]
        )
    )
    save(window, out / "duplicates.png")
    window.close()
    controller.close()


if __name__ == "__main__":
    main()
