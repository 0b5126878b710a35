"""Save screenshots of the app for the README: main window, viewer states, auto-tag dialog, label set editor,
duplicates.

Runs the real app on the offline demo (generated photos, bundled tiny model) in a
temporary folder, drives it like a person would, and grabs each window as PNG:

    .venv/bin/python docs/make_screenshots.py [--out docs/screenshots]

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
from photoclip.ui.window import MainWindow

VIEWER_SIZES = ((1000, 700), (1600, 1000))
"""Window sizes the viewer's states are rendered at; offscreen, each is also a screen, for full screen."""


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


def thumbnails_shown(window: MainWindow, count: int) -> bool:
    model = window.model
    rows = min(count, model.rowCount())
    return rows > 0 and all(model.index(r).data(PixmapRole) is not None for r in range(rows))


def offscreen_screens(folder: Path) -> None:
    """Offscreen, give Qt one screen per viewer size, so full screen has that size (before the app starts)."""
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return
    left, screens = 0, []
    for width, height in VIEWER_SIZES:
        screens.append(
            {"name": f"{width}x{height}", "x": left, "y": 0, "width": width, "height": height,
             "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
        )  # fmt: skip
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


def viewer_states(window: MainWindow, photo_id: int, out: Path) -> None:
    """The viewer fitted, zoomed in, in full screen, and its info panel with a suggested tag, at each size."""
    from PySide6.QtCore import QPointF

    viewer = window.viewer
    screens = {screen.name(): screen for screen in QApplication.screens()}
    for width, height in VIEWER_SIZES:
        name = f"{width}x{height}"
        if name in screens:
            window.windowHandle().setScreen(screens[name])
            window.move(screens[name].geometry().topLeft())
        window.resize(width, height)
        window.open_viewer(photo_id)
        pump(
            lambda: viewer.view.full_resolution and viewer.details is not None and viewer.model_view is not None,
            timeout=180,
        )
        save(window, out / f"viewer-fit-{name}.png")
        view = viewer.view
        view.set_zoom(1.0, QPointF(view.width() * 0.45, view.height() * 0.4))
        save(window, out / f"viewer-zoomed-{name}.png")
        save(viewer.panel.page, out / f"viewer-info-{name}.png")  # the whole panel, as tall as its content
        view.fit()
        settle(1.5)  # the zoom badge fades
        window.toggle_full_screen()
        pump(lambda: window.isFullScreen() and not window.menuBar().isVisible())
        save(window, out / f"viewer-full-screen-{name}.png")
        window.toggle_full_screen()
        pump(lambda: not window.isFullScreen())
        window.close_viewer()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "screenshots")
    parser.add_argument("--theme", default="light", choices=["light", "dark", "system"])
    parser.add_argument("--only", choices=["timeline"], help="render only these states")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        if args.only == "timeline":
            app = make_application()
            settings = _settings(app, base, args.theme)
            timeline_screenshots(settings, base, args.out)
            return
        photos = prepare_demo_photos(base / "demo", 240)
        shown = 240 + DEMO_TEXT_PHOTOS + 1  # the demo's shapes and texts, and the camera photo
        camera = camera_photo(photos)
        offscreen_screens(base)
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
        app = make_application()
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(base / "qsettings"))
        settings = AppSettings()
        settings.theme = args.theme
        apply_appearance(app, settings)
        controller = LibraryController(base / "library", thumbnail_dir=base / "thumbs", watch=False)
        window = MainWindow(controller, settings)
        window.resize(1280, 800)
        window.show()
        controller.open()
        pump(lambda: controller.state == MODEL_READY and window.model.rowCount() == shown)
        window.sidebar.expandAll()
        window.search.setText("a red circle")
        window.search.search_now()
        pump(lambda: window.result is not None and "matches" in window.header.text())
        window.grid.select_ids(window.model.ids[:1])
        pump(lambda: thumbnails_shown(window, 30))
        save(window, args.out / "main-window.png")

        window.open_viewer(window.model.ids[0])
        pump(lambda: window.viewer.view.full_resolution and window.viewer.model_view is not None)
        save(window, args.out / "viewer.png")
        window.close_viewer()
        window.clear_search()
        pump(lambda: window.model.rowCount() == shown)
        viewer_states(window, camera_id, args.out)
        window.resize(1280, 800)

        from photoclip.ui.autotag_dialog import AutoTagDialog

        dialog = AutoTagDialog(controller, window.model.ids, "search results for “a red circle”", window)
        dialog.show()
        pump(lambda: dialog.sets.count() > 0)
        dialog.sets.setCurrentText("Shapes (demo)")
        dialog.run()
        pump(lambda: not dialog._running)
        save(dialog, args.out / "auto-tag.png")
        dialog.close()

        from photoclip.ui.labelset_editor import LabelSetEditor

        editor = LabelSetEditor(controller, window, select="Colours (demo)")
        editor.resize(1100, 680)
        editor.show()
        pump(lambda: editor.table.rowCount() > 0)
        editor.table.setCurrentCell(0, 0)
        editor._test_label()  # the "Test this label" button
        settle(2.5)
        save(editor, args.out / "label-set-editor.png")
        editor.close()
        window.close()
        controller.close()
        duplicates_screenshot(app, settings, base, args.out)
        timeline_screenshots(settings, base, args.out)


def _settings(app: QApplication, base: Path, theme: str) -> AppSettings:
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(base / "qsettings"))
    settings = AppSettings()
    settings.theme = theme
    apply_appearance(app, settings)
    return settings


TIMELINE_SIZES = ((900, 600), (1366, 768), (1920, 1080))


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
    for width, height in TIMELINE_SIZES:
        window.resize(width, height)
        pump(lambda: window.grid.is_laid_out() and window.grid.layout_data.width == window.grid.viewport().width())
        pump(lambda: thumbnails_shown(window, 20))
        save(window, out / f"timeline-{width}x{height}.png")
    window.resize(1366, 768)
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
    window.resize(1280, 800)
    window.show()
    controller.open()
    pump(lambda: controller.state == MODEL_READY)
    window.sidebar.expandAll()
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
