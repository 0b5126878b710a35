"""Is the window always responsive? Start-up, GUI-thread stalls while indexing, 100k-photo scrolling, the viewer.

Four measurements of the real app (offscreen unless QT_QPA_PLATFORM says otherwise):

  startup   a fresh process runs `photoclip` (the app) on an empty library; time from
            launching the process to the window's first turn of the event loop with the
            window shown, and whether torch was already imported then (it must not be).
  indexing  the window on a library whose folder receives N photos (default 2,000,
            1600x1200 JPEGs) indexed by the watcher with the bundled tiny model, while a
            "user" scrolls the grid and searches; a QTimer heartbeat every 10 ms records
            the longest gap, i.e. the longest time the GUI thread was busy.
  first-search  the app on an indexed library (benchmarks/peers.py's 120 photos, ViT-B-32-256):
            time from launch to the first text search's results, typed as the window shows,
            and whether they came before the image tower (the whole model) had loaded.
  scroll    a 100,000-photo catalogue (rows and vectors written straight into the
            catalog, pointing at real small JPEGs; ~37 photos a day over seven years, mixed
            shapes); the timeline (day headers, justified rows) is laid out, laid out again
            after two window resizes, then dragged from top to bottom page by page with the
            date indicator showing; GUI-thread stalls, the layout's time, memory (RSS) and
            the thumbnail cache are recorded.
  viewer    a 24-megapixel JPEG (6000x4000, photo-like detail and noise) opened in the
            viewer of a 1600x1000 window: time from the click to its screen-size preview
            on screen and to its full resolution (first open with a cold decoder, then the
            median of reopening it); then the paint rate while zooming from fit to 400% and
            back in small steps (as a pinch or a fast wheel does) and while panning at 100%
            and 300%, each frame painted synchronously (QWidget.repaint), and the longest
            GUI-thread stall while the photo loads.

    python benchmarks/gui.py [startup|indexing|scroll|first-search|viewer|all] [--photos 2000] [--rows 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import DATA_DIR, emit

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


STARTUP_CHILD = r"""
import sys, time, json
from pathlib import Path
from photoclip.ui.app import run

def started(window):
    from PySide6.QtWidgets import QApplication
    QApplication.processEvents()
    print(json.dumps({"visible_at": time.time(), "visible": window.isVisible(),
                      "torch_imported": "torch" in sys.modules}), flush=True)
    QApplication.quit()

sys.exit(run(library=Path(sys.argv[1]), on_started=started))
"""


def startup(runs: int = 5) -> dict[str, Any]:
    """Median seconds from process launch to the window shown with its event loop running."""
    import json

    times, torch_seen = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, PHOTOCLIP_CACHE=str(Path(tmp) / "cache"), XDG_CONFIG_HOME=str(Path(tmp) / "cfg"))
            launched = time.time()
            out = subprocess.run(
                [sys.executable, "-c", STARTUP_CHILD, str(Path(tmp) / "library")],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=True,
            ).stdout
            line = json.loads(out.strip().splitlines()[-1])
            times.append(line["visible_at"] - launched)
            torch_seen.append(line["torch_imported"])
    return {
        "window_visible_s_median": round(statistics.median(times), 3),
        "window_visible_s_max": round(max(times), 3),
        "runs": runs,
        "torch_imported_before_visible": any(torch_seen),
        "target_s": 1.5,
    }


FIRST_SEARCH_CHILD = r"""
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from photoclip.ui.app import run

def started(window):
    window.search.setText(sys.argv[2])
    window.set_query(sys.argv[2])  # as the search field does once typing pauses
    def poll():
        if window.result is not None and window.result.hits:
            models = window.controller.library.models
            print(json.dumps({"answered_at": time.time(), "hits": len(window.result.hits),
                              "image_tower_loaded": models.image_tower_loaded,
                              "model_state": window.controller.state}), flush=True)
            QApplication.quit()
        else:
            QTimer.singleShot(5, poll)
    poll()

sys.exit(run(library=Path(sys.argv[1]), on_started=started))
"""


def first_search(library: Path, cache: Path, runs: int = 5, query: str = "a dog on a beach") -> dict[str, Any]:
    """Seconds from launching the app to the first text search's results in the grid, on an indexed library.

    The query is typed as soon as the window shows; the answer must not wait for the image tower
    (the whole model, which indexing needs): the exported text tower answers it.
    """
    import json

    times, before_image_tower = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, PHOTOCLIP_CACHE=str(cache), XDG_CONFIG_HOME=str(Path(tmp) / "cfg"))
            launched = time.time()
            out = subprocess.run(
                [sys.executable, "-c", FIRST_SEARCH_CHILD, str(library), query],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
                check=True,
            ).stdout
            line = json.loads(out.strip().splitlines()[-1])
            times.append(line["answered_at"] - launched)
            before_image_tower.append(not line["image_tower_loaded"])
    return {
        "first_text_search_s_median": round(statistics.median(times), 3),
        "first_text_search_s_max": round(max(times), 3),
        "all_s": [round(t, 3) for t in times],
        "answered_before_image_tower": all(before_image_tower),
        "runs": runs,
        "target_s": 1.5,
    }


def _generated(count: int, size: tuple[int, int]) -> Path:
    from photoclip.demo import generate_photos

    folder = DATA_DIR / f"gui-{count}-{size[0]}x{size[1]}"
    if not folder.exists():
        generate_photos(folder.with_suffix(".tmp"), count, seed=9, size=size, png_every=0)
        folder.with_suffix(".tmp").rename(folder)
    return folder


def _window(library_dir: Path, thumbnails: Path, **options: Any) -> tuple[Any, Any, Any]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from photoclip.ui.app import make_application
    from photoclip.ui.controller import LibraryController
    from photoclip.ui.settings import AppSettings
    from photoclip.ui.window import MainWindow

    app = make_application()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(thumbnails.parent / "qsettings"))
    settings = AppSettings()
    controller = LibraryController(library_dir, thumbnail_dir=thumbnails, **options)
    window = MainWindow(controller, settings)
    window.resize(1280, 800)
    window.show()
    controller.open()
    QApplication.processEvents()
    return app, controller, window


SLOW_CALLBACKS: list[tuple[float, str]] = []


def _time_callbacks() -> None:
    """Record how long each result callback runs on the GUI thread (to name the cause of a stall)."""
    from photoclip.ui import tasks

    original = tasks._Delivery._run

    def timed(self: Any, callback: Any, value: object, task: Any) -> None:
        started = time.perf_counter()
        original(self, callback, value, task)
        name = getattr(callback, "__qualname__", repr(callback))
        SLOW_CALLBACKS.append(((time.perf_counter() - started) * 1000, name))

    tasks._Delivery._run = timed  # type: ignore[method-assign]


def _slowest(n: int = 5) -> list[list[object]]:
    return [[round(ms, 1), name] for ms, name in sorted(SLOW_CALLBACKS, reverse=True)[:n]]


class Heartbeat:
    """Ticks every 10 ms on the GUI thread; a long gap means the GUI thread was busy."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = self.started = time.perf_counter()
        self.longest_at = 0.0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        if self.gaps[-1] >= max(self.gaps):
            self.longest_at = now - self.started  # when it happened, to tell start-up from steady state
        self._last = now

    def report(self) -> dict[str, float]:
        gaps = sorted(self.gaps)
        return {
            "ticks": len(gaps),
            "longest_gap_ms": round(gaps[-1] * 1000, 1),
            "longest_gap_at_s": round(self.longest_at, 2),
            "p99_gap_ms": round(gaps[int(len(gaps) * 0.99)] * 1000, 1),
            "median_gap_ms": round(statistics.median(gaps) * 1000, 1),
        }


def _pump_until(condition: Any, timeout: float) -> bool:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if condition():
            return True
        time.sleep(0.005)
    return False


def indexing(photos: int) -> dict[str, Any]:
    from photoclip.core import TINY_MODEL_KEY, Library
    from photoclip.ui.controller import MODEL_READY

    _time_callbacks()
    source = _generated(photos, (1600, 1200))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        with Library.open(Path(tmp) / "library", model=TINY_MODEL_KEY) as library:
            library.folders.add(folder)
        app, controller, window = _window(Path(tmp) / "library", Path(tmp) / "thumbs", settle_seconds=1.0)
        assert _pump_until(lambda: controller.state == MODEL_READY and controller.watcher is not None, 60)
        assert _pump_until(lambda: controller.watcher.wait_idle(0.01), 60)
        heartbeat = Heartbeat()
        started = time.perf_counter()
        # the camera dump arrives from another program (a file manager): copy on another thread
        copier = threading.Thread(target=shutil.copytree, args=(source, folder), kwargs={"dirs_exist_ok": True})
        copier.start()
        _pump_until(lambda: not copier.is_alive(), 600)
        copied = time.perf_counter() - started
        user_actions = 0
        queries = ["a red circle", "a blue star", "a green square", "a yellow triangle"]

        def indexed() -> bool:
            return window.model.rowCount() >= photos and not window.progress.isVisible()

        deadline = time.monotonic() + 900
        while not indexed() and time.monotonic() < deadline:
            _pump_until(lambda: False, 0.25)
            scroll = window.grid.verticalScrollBar()
            scroll.setValue((scroll.value() + scroll.pageStep()) % max(scroll.maximum(), 1))
            if user_actions % 8 == 0:
                window.search.setText(queries[(user_actions // 8) % len(queries)])
                window.search.search_now()
            elif user_actions % 8 == 4:
                window.search.clear()
            user_actions += 1
        seconds = time.perf_counter() - started
        heartbeat.timer.stop()
        window.close()
        controller.close()
        app.processEvents()
        return {
            "photos": photos,
            "photo_size": "1600x1200 JPEG",
            "copy_s": round(copied, 1),
            "indexed_s": round(seconds, 1),
            "rate_photos_per_s": round(photos / seconds, 1),
            "user_actions": user_actions,
            **heartbeat.report(),
            "target_longest_gap_ms": 100,
            "slowest_gui_callbacks_ms": _slowest(),
        }


def _fake_catalogue(library_dir: Path, rows: int) -> None:
    """`rows` photos (hard links to real small JPEGs) with metadata and random unit vectors."""
    import numpy as np

    from photoclip.core import TINY_MODEL_KEY, Library
    from photoclip.core.store.catalog import FileStat, PhotoMetadata

    source = sorted(p for p in _generated(10_000, (160, 120)).rglob("*.jpg"))
    folder = library_dir.parent / "photos"
    with Library.open(library_dir, model=TINY_MODEL_KEY) as library:
        registered = library.folders.add(folder if folder.exists() else _link_tree(source, folder, rows)).value
        dim = 64
        rng = np.random.default_rng(0)
        files = sorted(p for p in folder.rglob("*.jpg"))
        for start in range(0, len(files), 5000):
            chunk = files[start : start + 5000]
            stats = [FileStat(p, p.stat().st_size, p.stat().st_mtime_ns) for p in chunk]
            ids = library.catalog.add_photos(registered.id, stats)
            vectors = rng.normal(size=(len(ids), dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            embedded = [
                (
                    pid,
                    PhotoMetadata(
                        s.size,
                        s.mtime_ns,
                        f"{start + i:064x}",
                        *_shape(start + i),
                        "jpeg",
                        _taken(start + i),
                        "exif",
                        None,
                    ),
                    vectors[i],
                )
                for i, (pid, s) in enumerate(zip(ids, stats, strict=True))
            ]
            library.catalog.record_batch(library.model_id, embedded=embedded, unchanged=[], skipped=[])


def _shape(i: int) -> tuple[int, int]:
    """Mostly landscape, every 4th portrait, every 13th a panorama, every 7th square: a timeline's mix."""
    return (120, 160) if i % 4 == 3 else (480, 120) if i % 13 == 5 else (120, 120) if i % 7 == 2 else (160, 120)


def _taken(i: int) -> str:
    """About 37 photos a day over seven years (a busy photographer's timeline), newest with the highest ids."""
    day = dt.date(2020, 1, 1) + dt.timedelta(days=i // 37)
    return f"{day.isoformat()}T{8 + (i % 37) // 4:02d}:{i % 60:02d}:00"


def _link_tree(source: list[Path], folder: Path, rows: int) -> Path:
    for i in range(rows):
        target = folder / f"{i // 1000:03d}" / f"IMG_{i:06d}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source[i % len(source)], target)
    return folder


def _laid_out(grid: Any) -> Any:
    """When the grid's layout is final: the timeline says so; the icon-mode grid of before laid a long list
    out in batches, so its end stopped moving (kept, to measure a checkout from before the timeline alike)."""
    if hasattr(grid, "is_laid_out"):
        return grid.is_laid_out
    bar = grid.verticalScrollBar()
    seen = [bar.maximum(), time.perf_counter()]

    def stopped() -> bool:
        if bar.maximum() != seen[0] or bar.maximum() == 0:
            seen[:] = [bar.maximum(), time.perf_counter()]
        return bool(time.perf_counter() - seen[1] > 1.0)

    return stopped


def scroll(rows: int, max_pages: int | None = None) -> dict[str, Any]:
    from photoclip.ui.controller import MODEL_READY

    _time_callbacks()
    with tempfile.TemporaryDirectory() as tmp:
        built = time.perf_counter()
        _fake_catalogue(Path(tmp) / "library", rows)
        build_s = time.perf_counter() - built
        rss_before = rss_mb()
        app, controller, window = _window(Path(tmp) / "library", Path(tmp) / "thumbs", watch=False)
        idle = Heartbeat()  # the control: the same timer with the window idle, to tell the machine's load from ours
        _pump_until(lambda: False, 5.0)
        idle.timer.stop()
        opened = time.perf_counter()
        grid = window.grid
        bar = grid.verticalScrollBar()
        opening = Heartbeat()  # from the photos' arrival to the final layout (the first layout, the model loading)
        assert _pump_until(lambda: window.model.rowCount() == rows and controller.state == MODEL_READY, 120)
        shown_s = time.perf_counter() - opened
        layout_started = time.perf_counter()
        assert _pump_until(_laid_out(grid), 120), "the grid was never laid out"
        layout_s = time.perf_counter() - layout_started
        opening.timer.stop()
        layout = getattr(grid, "layout_data", None)
        first_layout_ms = getattr(grid, "layout_ms", 0.0)
        relayouts = []  # a window resize lays 100k photos out again (on a worker); the old layout shows meanwhile
        if layout is not None:
            for width in (1100, 1280):
                window.resize(width, 800)
                resized = time.perf_counter()
                assert _pump_until(lambda: grid.is_laid_out() and grid.layout_data.width == grid.viewport().width(), 60)
                relayouts.append(round(time.perf_counter() - resized, 2))
        samples = []
        pages = 0
        heartbeat = Heartbeat()
        started = time.perf_counter()
        bar.setSliderDown(True)  # dragged, as a person scrubs through years: the date indicator follows
        dates_shown = set()
        date_label = getattr(grid, "date_label", None)
        while bar.value() < bar.maximum() and (max_pages is None or pages < max_pages):
            bar.setValue(bar.value() + bar.pageStep())
            _pump_until(lambda: False, 0.02)
            if date_label is not None:
                dates_shown.add(date_label.text())
            pages += 1
            if pages % 200 == 0:
                samples.append(round(rss_mb(), 1))
        scroll_s = time.perf_counter() - started
        bar.setSliderDown(False)
        _pump_until(lambda: False, 2.0)
        heartbeat.timer.stop()
        paints = []  # the GUI thread's cost of one frame, anywhere in the list
        for step in range(60):
            bar.setValue(bar.maximum() * step // 59)
            painted = time.perf_counter()
            grid.viewport().repaint()
            paints.append((time.perf_counter() - painted) * 1000)
        cache = window.loader.cache
        result = {
            "rows": rows,
            "photoclip": str(Path(sys.modules["photoclip"].__file__ or "").parent.parent),
            "catalogue_build_s": round(build_s, 1),
            "grid_filled_s": round(shown_s, 2),
            "layout_s": round(layout_s, 2),
            "load_average_1min": round(os.getloadavg()[0], 1),
            "cpu_cores": os.cpu_count(),
            "frame_paint_ms_median": round(statistics.median(paints), 2),
            "frame_paint_ms_max": round(max(paints), 2),
            "layout_compute_ms": round(first_layout_ms, 1),
            "relayout_after_resize_s": relayouts,
            "timeline_groups": len(layout.headers) if layout is not None else 0,
            "timeline_by_month": layout.by_month if layout is not None else None,
            "timeline_rows": len(layout.row_top) if layout is not None else 0,
            "months_shown_while_dragging": len(dates_shown),
            "scroll_height_px": bar.maximum(),
            "pages_scrolled": pages,
            "scroll_s": round(scroll_s, 1),
            "ms_per_page": round(scroll_s * 1000 / max(pages, 1), 1),
            "rss_mb_before_window": round(rss_before, 1),
            "rss_mb_samples": samples,
            "rss_mb_end": round(rss_mb(), 1),
            "pixmaps_cached": len(cache),
            "pixmap_cache_mb": round(cache.bytes / 1e6, 1),
            "pixmap_cache_budget_mb": round(cache.budget_bytes / 1e6, 1),
            "rows_with_details_loaded": len(window.model._photos),
            **{f"opening_{k}": v for k, v in opening.report().items()},
            **{f"scroll_{k}": v for k, v in heartbeat.report().items()},
            "scroll_target_longest_gap_ms": 100,
            **{f"idle_{k}": v for k, v in idle.report().items() if k != "longest_gap_at_s"},
            "slowest_gui_callbacks_ms": _slowest(),
        }
        window.close()
        controller.close()
        return result


def _frames(view: Any, steps: list[Any]) -> dict[str, float]:
    """Paint one frame per step (each step changes zoom or position), synchronously; frames per second."""
    times = []
    for step in steps:
        started = time.perf_counter()
        step()
        view.repaint()
        times.append(time.perf_counter() - started)
    times.sort()
    return {
        "frames": len(times),
        "fps": round(len(times) / sum(times), 1),
        "median_frame_ms": round(statistics.median(times) * 1000, 2),
        "slowest_frame_ms": round(times[-1] * 1000, 2),
    }


def viewer(runs: int = 5) -> dict[str, Any]:
    from _common import photo_like_jpegs
    from PySide6.QtCore import QPointF

    from photoclip.core import TINY_MODEL_KEY, Library
    from photoclip.ui.controller import MODEL_READY

    _time_callbacks()
    source = photo_like_jpegs(1, 6000, 4000, seed=24)[0]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        shutil.copy(source, folder / "IMG_24MP.jpg")
        with Library.open(Path(tmp) / "library", model=TINY_MODEL_KEY) as library:
            library.folders.add(folder)
            library.indexer.update()
            photo = library.photos.by_path(folder / "IMG_24MP.jpg")
            assert photo is not None
            photo_id = int(photo.id)
        app, controller, window = _window(Path(tmp) / "library", Path(tmp) / "thumbs", watch=False)
        window.resize(1600, 1000)
        assert _pump_until(lambda: controller.state == MODEL_READY and window.model.rowCount() == 1, 60)
        view = window.viewer.view
        previews, fulls, gaps = [], [], []
        for _ in range(runs):
            heartbeat = Heartbeat()
            marks: dict[str, float] = {}
            window.viewer.shown.connect(lambda _pid, m=marks: m.setdefault("shown", time.perf_counter()))
            window.viewer.sharpened.connect(lambda _pid, m=marks: m.setdefault("sharp", time.perf_counter()))
            started = time.perf_counter()
            window.open_viewer(photo_id)
            assert _pump_until(lambda m=marks: "sharp" in m, 60), "the full resolution never came"
            heartbeat.timer.stop()
            window.viewer.shown.disconnect()
            window.viewer.sharpened.disconnect()
            previews.append(marks["shown"] - started)
            fulls.append(marks["sharp"] - started)
            gaps.append(heartbeat.report()["longest_gap_ms"])
            preview_size, full_size = view._levels[0].size().toTuple(), view.sharpest.toTuple()
            if len(previews) < runs:
                window.close_viewer()
                _pump_until(lambda: False, 0.3)
        fit = view.fit_zoom()
        middle = QPointF(view.width() / 2, view.height() / 2)
        zoom_steps = []
        zoom = fit
        while zoom < 4.0:  # in small steps, as a pinch or a fast wheel does
            zoom = min(4.0, zoom * 1.04)
            zoom_steps.append(lambda z=zoom: view.set_zoom(z, middle))
        zoom_steps += list(reversed(zoom_steps))
        zooming = _frames(view, zoom_steps)
        view.set_zoom(1.0, middle)
        pan_100 = _frames(view, [lambda d=d: view.pan_by(d, d * 0.5) for d in [-12] * 60 + [12] * 60])
        view.set_zoom(3.0, middle)
        pan_300 = _frames(view, [lambda d=d: view.pan_by(d, d * 0.5) for d in [-12] * 60 + [12] * 60])
        window.close()
        controller.close()
        return {
            "photo": "6000x4000 JPEG (24 MP), quality 90",
            "window": "1600x1000",
            "preview_size": preview_size,
            "full_size": full_size,
            "preview_s_first": round(previews[0], 3),
            "preview_s_median": round(statistics.median(previews), 3),
            "full_resolution_s_first": round(fulls[0], 3),
            "full_resolution_s_median": round(statistics.median(fulls), 3),
            "runs": runs,
            "longest_gui_gap_while_loading_ms": max(gaps),
            "slowest_gui_callbacks_ms": _slowest(),
            "zoom_fit_to_400_and_back": zooming,
            "pan_at_100": pan_100,
            "pan_at_300": pan_300,
            "machine_load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],  # before, after
            "cores": os.cpu_count(),
            "target_preview_s": 0.3,
            "target_full_resolution_s": 1.5,
            "target_fps": 30,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "what", nargs="?", default="all", choices=["startup", "indexing", "scroll", "first-search", "viewer", "all"]
    )
    parser.add_argument(
        "--library",
        type=Path,
        default=DATA_DIR / "peers" / "photoclip-lib",
        help="first-search: an indexed library (default: the one benchmarks/peers.py made)",
    )
    parser.add_argument(
        "--cache", type=Path, default=DATA_DIR / "peers" / "photoclip-cache", help="first-search: its model cache"
    )
    parser.add_argument("--photos", type=int, default=2000, help="photos indexed while measuring stalls")
    parser.add_argument("--rows", type=int, default=100_000, help="catalogue size for the scroll test")
    parser.add_argument("--pages", type=int, default=None, help="scroll: stop after this many pages (default: the end)")
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "gui", "platform": os.environ.get("QT_QPA_PLATFORM")}
    if args.what == "all":  # each part in a fresh process, as a person would start the app
        import json

        for part in ("startup", "indexing", "scroll", "viewer"):
            command = [sys.executable, __file__, part, "--photos", str(args.photos), "--rows", str(args.rows)]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            result[part] = json.loads(out.strip().splitlines()[-1])[part]
    elif args.what == "startup":
        result["startup"] = startup()
    elif args.what == "indexing":
        result["indexing"] = indexing(args.photos)
    elif args.what == "first-search":
        result["first_search"] = first_search(args.library, args.cache)
    elif args.what == "viewer":
        result["viewer"] = viewer()
    else:
        result["scroll"] = scroll(args.rows, args.pages)
    emit(result)


if __name__ == "__main__":
    main()
