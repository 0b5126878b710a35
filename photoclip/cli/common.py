"""What every command shares: options, opening the library, progress lines, exit codes."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from photoclip.core import counted

if TYPE_CHECKING:
    from photoclip.core import ExportReport, IndexProgress, IndexReport, Library, TextProgress, TextReport

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def add_common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Options every command takes, before or after the command name."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS  # after the command: only override when given

    parser.add_argument(
        "--library",
        type=Path,
        metavar="DIR",
        default=default(None),
        help="library folder (default: in your data folder)",
    )
    parser.add_argument(
        "--model",
        metavar="NAME",
        default=default(None),
        help="model to use from now on: a name from 'photoclip models', or ARCH/TAG",
    )
    parser.add_argument(
        "--checkpoint", type=Path, metavar="FILE", default=default(None), help="local weights for --model ARCH[/TAG]"
    )
    parser.add_argument("--device", metavar="DEVICE", default=default(None), help="auto (default), cpu, cuda or mps")
    parser.add_argument("-v", "--verbose", action="count", default=default(0), help="more detail (-vv for debug logs)")


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class ProgressLine:
    """A one-line progress bar on a terminal; silent when output is redirected."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self._last = 0.0

    def __call__(self, progress: IndexProgress) -> None:
        if progress.phase == "wait":  # said even when output is redirected: it explains a pause
            self.stream.write("Another photoclip is indexing this library; waiting for it to finish...\n")
            self.stream.flush()
            return
        if not self.enabled or progress.phase not in ("embed", "switch"):
            return
        now = time.monotonic()
        if now - self._last < 0.1 and progress.done < progress.total:
            return
        self._last = now
        width = 30
        filled = int(width * progress.done / max(1, progress.total))
        noun = "photos" if progress.phase == "embed" else "photos for the next model"
        eta = progress.eta_seconds
        eta_text = f"  ETA {int(eta // 60)}:{int(eta % 60):02d}" if eta is not None else ""
        skipped = f"  {progress.skipped} skipped" if progress.skipped else ""
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {progress.done}/{progress.total} {noun}"
            f"  {progress.rate:.1f}/s{eta_text}{skipped}   "
        )
        self.stream.flush()

    def text(self, done: int, total: int, read: int) -> None:
        """Progress of reading text in photos."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and done < total:
            return
        self._last = now
        width = 30
        filled = int(width * done / max(1, total))
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{counted(total, 'photo')} looked at for text, "
            f"{read:,} read   "
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def download_progress(stream: TextIO) -> Callable[[int, int | None], None]:
    last = [0.0]

    def report(done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last[0] < 0.2 and (total is None or done < total):
            return
        last[0] = now
        size = f"{done / 1e6:.0f}/{total / 1e6:.0f} MB" if total else f"{done / 1e6:.0f} MB"
        stream.write(f"\rDownloading model weights: {size}   ")
        stream.flush()

    return report


def open_library(args: argparse.Namespace) -> Library:
    from photoclip.core import Library

    library = Library.open(args.library, model=args.model, checkpoint=args.checkpoint, device=args.device)
    library.models.download_progress = download_progress(sys.stderr)
    library.sidecars.on_report = _print_sidecar_problems
    return library


def _print_sidecar_problems(report: ExportReport) -> None:
    """Sidecars written because tags changed (the library's setting): say what could not be written, or went
    somewhere unusual (a naming clash)."""
    for path, problem in report.problems[:10]:
        print(f"photoclip: sidecar of {path} not written: {problem}", file=sys.stderr)
    for _path, warning in report.warnings[:10]:
        print(f"photoclip: {warning}", file=sys.stderr)


def run_update(library: Library, *, show_progress: bool) -> IndexReport:
    """Index with a progress bar; the first Ctrl-C finishes the batch in flight and stops cleanly."""
    cancel = threading.Event()
    bar = ProgressLine(sys.stderr, show_progress)

    def on_interrupt(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        sys.stderr.write("\nStopping after the current batch (press Ctrl-C again to stop at once)...\n")

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        return library.indexer.update(progress=bar, cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.finish()


def run_reading(library: Library, *, show_progress: bool) -> TextReport | None:
    """Locate photos catalogued before places existed, then read text in what is pending (Ctrl-C keeps it all).

    None when text is not read: no OCR engine installed (said on stderr, with what to
    install) or the library's `read_text` setting is off.
    """
    cancel = threading.Event()
    library.places.locate_pending(cancel=cancel)
    status = library.texts.status()
    if not status.enabled or library.texts.pending() == 0:
        return None
    if status.engine is None:
        print(f"Text in photos is not read: {status.how_to_get}", file=sys.stderr)
        return None
    bar = ProgressLine(sys.stderr, show_progress)

    def on_progress(progress: TextProgress) -> None:
        bar.text(progress.done, progress.total, progress.read)

    def on_interrupt(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        sys.stderr.write("\nStopping after the current photo (press Ctrl-C again to stop at once)...\n")

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        return library.texts.read_pending(progress=on_progress, cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.finish()
