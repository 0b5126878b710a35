"""The `photoclip` command: the desktop app by default, subcommands for headless use.

Every user error (missing folder, unknown model, offline, bad query) ends as one
line on stderr and a non-zero exit status; a traceback is only shown with -v.
Heavy imports (torch, open_clip, Qt) happen inside the commands that need them,
so `photoclip --help` and `photoclip status` answer instantly.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from photoclip import __version__

if TYPE_CHECKING:
    from photoclip.core.library import IndexProgress, IndexReport, Library, SearchResult

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _add_common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photoclip",
        description="Find and organize your photos by meaning, entirely on your own computer.",
        epilog="Run without a command to open the app. See 'photoclip COMMAND --help' for each command.",
    )
    parser.add_argument("--version", action="version", version=f"photoclip {__version__}")
    _add_common_options(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _add_common_options(common, defaults=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    index = commands.add_parser("index", help="add folders and index new or changed photos", parents=[common])
    index.add_argument("folders", nargs="*", type=Path, metavar="FOLDER", help="folders to add (default: all known)")
    index.add_argument("--no-progress", action="store_true", help="no progress bar")
    index.add_argument("--json", action="store_true", help="print the summary as JSON")

    for name, help_text in (("search", "search photos by text"), ("similar", "find photos like an example photo")):
        sub = commands.add_parser(
            name,
            help=help_text,
            description=_SEARCH_HELP if name == "search" else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[common],
        )
        if name == "search":
            sub.add_argument("query", help="what to look for (see the syntax above)")
        else:
            sub.add_argument("example", help="a photo file (in the library or not) or a photo id")
            sub.add_argument("--text", default="", help="also match this text, e.g. '+sunset -people'")
        sub.add_argument("-n", "--limit", type=_positive, default=20, help="results per page (default 20)")
        sub.add_argument("--page", type=_positive, default=1, help="page number, from 1")
        sub.add_argument("--folder", type=Path, action="append", default=[], help="only photos under this folder")
        sub.add_argument("--after", metavar="DATE", help="taken on or after YYYY[-MM[-DD]]")
        sub.add_argument("--before", metavar="DATE", help="taken on or before YYYY[-MM[-DD]]")
        sub.add_argument("--type", dest="types", action="append", default=[], help="file type, e.g. jpeg or png")
        sub.add_argument("--min-score", type=float, help="drop results with a lower similarity score")
        sub.add_argument(
            "--relevance",
            type=float,
            metavar="0..1",
            help="drop weak matches: 0 keeps all, 1 only the best (default 0.5 with --by-date)",
        )
        sub.add_argument("--by-date", action="store_true", help="relevant results newest first instead of by score")
        sub.add_argument("--json", action="store_true", help="print results as JSON")

    status = commands.add_parser("status", help="library statistics", parents=[common])
    status.add_argument("--json", action="store_true")

    doctor = commands.add_parser("doctor", help="check the installation, device, model and library", parents=[common])
    doctor.add_argument("--json", action="store_true")

    folders = commands.add_parser("folders", help="list, add or remove photo folders", parents=[common])
    folders.add_argument("action", nargs="?", choices=("list", "add", "remove"), default="list")
    folders.add_argument("paths", nargs="*", type=Path, metavar="FOLDER")

    models = commands.add_parser("models", help="list the models photoclip can use", parents=[common])
    models.add_argument("--all", action="store_true", help="every published open_clip model, not just ours")

    demo = commands.add_parser(
        "demo", help="create a sample library with the bundled tiny model (offline)", parents=[common]
    )
    demo.add_argument("--dir", type=Path, help="where to put the sample photos and library (default: data folder)")
    demo.add_argument("--count", type=_positive, default=240, help="number of sample photos (default 240)")
    return parser


_SEARCH_HELP = """\
Query syntax:
  kids on a beach at sunset      free text
  beach -people +sunset          add (+) or remove (-) concepts; quote several words: +"golden hour"
  folder:~/Pictures/2023         only under a folder
  after:2023-06 before:2023-08   date taken (YYYY, YYYY-MM or YYYY-MM-DD), inclusive
  type:png                       file type
"""


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


# -- output helpers --------------------------------------------------------------------------------


class ProgressLine:
    """A one-line progress bar on a terminal; silent when output is redirected."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self._last = 0.0

    def __call__(self, progress: IndexProgress) -> None:
        if not self.enabled or progress.phase != "embed":
            return
        now = time.monotonic()
        if now - self._last < 0.1 and progress.done < progress.total:
            return
        self._last = now
        width = 30
        filled = int(width * progress.done / max(1, progress.total))
        eta = progress.eta_seconds
        eta_text = f"  ETA {int(eta // 60)}:{int(eta % 60):02d}" if eta is not None else ""
        skipped = f"  {progress.skipped} skipped" if progress.skipped else ""
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {progress.done}/{progress.total} photos"
            f"  {progress.rate:.1f}/s{eta_text}{skipped}   "
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _download_progress(stream: TextIO) -> Any:
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


def _open_library(args: argparse.Namespace) -> Library:
    from photoclip.core.library import Library

    library = Library.open(args.library, model=args.model, checkpoint=args.checkpoint, device=args.device)
    library.download_progress = _download_progress(sys.stderr)
    return library


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


# -- commands ----------------------------------------------------------------------------------------


def cmd_index(args: argparse.Namespace) -> int:
    with _open_library(args) as library:
        for folder in args.folders:
            library.add_folder(folder)
        if not library.folders():
            print("No folders yet: run 'photoclip index FOLDER' to add one.", file=sys.stderr)
            return EXIT_ERROR
        report = _run_update(library, show_progress=not args.no_progress)
        _print_index_report(report, library, as_json=args.json)
        return EXIT_INTERRUPTED if report.cancelled else 0


def _run_update(library: Library, *, show_progress: bool) -> IndexReport:
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
        return library.update(progress=bar, cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.finish()


def _print_index_report(report: IndexReport, library: Library, *, as_json: bool) -> None:
    problems = [(str(p.path), p.message) for scan in report.scans for p in scan.problems]
    summary = {
        "added": sum(len(s.added) for s in report.scans),
        "changed": sum(len(s.changed) for s in report.scans),
        "removed": sum(len(s.removed) for s in report.scans),
        "embedded": report.embedded,
        "unchanged": report.unchanged,
        "skipped": report.skipped,
        "seconds": round(report.seconds, 2),
        "interrupted": report.cancelled,
        "problems": problems,
    }
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    print(
        f"Scanned {len(report.scans)} folder(s): {summary['added']} new, {summary['changed']} changed, "
        f"{summary['removed']} removed."
    )
    rate = report.embedded / report.seconds if report.seconds else 0.0
    print(f"Indexed {report.embedded} photo(s) in {report.seconds:.1f} s ({rate:.1f}/s); {report.skipped} skipped.")
    for path, message in problems[:20]:
        print(f"  problem: {path}: {message}")
    if report.skipped:
        print("Run 'photoclip status' to see why photos were skipped.")
    if report.cancelled:
        print("Interrupted: run 'photoclip index' again to continue where it stopped.")


def cmd_search(args: argparse.Namespace) -> int:
    from photoclip.core.catalog import PhotoFilter
    from photoclip.core.search import date_bound

    photo_filter = PhotoFilter(
        tuple(args.folder),
        date_bound(args.after, end=False) if args.after else None,
        date_bound(args.before, end=True) if args.before else None,
        tuple(t.lower() for t in args.types),
    )
    with _open_library(args) as library:
        options: dict[str, Any] = {
            "limit": args.limit,
            "offset": (args.page - 1) * args.limit,
            "photo_filter": photo_filter,
            "min_score": args.min_score,
            "relevance": args.relevance,
            "order": "date" if args.by_date else "relevance",
        }
        if args.command == "search":
            result = library.search(args.query, **options)
            label = args.query
        else:
            example: Path | int = int(args.example) if args.example.isdigit() else Path(args.example)
            result = library.search(args.text, example=example, **options)
            label = f"like {args.example}"
        _print_results(result, label, as_json=args.json, library=library)
    return 0


def _print_results(result: SearchResult, label: str, *, as_json: bool, library: Library) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "query": label,
                    "results": [
                        {"id": h.photo_id, "path": str(h.path), "score": round(h.score, 4), "taken_at": h.taken_at}
                        for h in result.hits
                    ],
                    "offset": result.offset,
                    "has_more": result.has_more,
                    "cutoff": result.cutoff,
                    "seconds": round(result.seconds, 4),
                },
                indent=2,
            )
        )
        return
    if not result.hits:
        pending = library.catalog.count_pending(library.model_id)
        hint = f" ({pending} photos are not indexed yet: run 'photoclip index')" if pending else ""
        print(f"No photos found{hint}.")
        return
    for hit in result.hits:
        print(f"{hit.score:6.3f}  {hit.path}")
    more = f"  (more: --page {result.offset // result.limit + 2})" if result.has_more else ""
    loading = f"; model loaded in {library.model_load_seconds:.1f} s" if library.model_load_seconds else ""
    print(f"-- {len(result.hits)} result(s) in {result.seconds * 1000:.0f} ms{loading}{more}", file=sys.stderr)


def cmd_status(args: argparse.Namespace) -> int:
    with _open_library(args) as library:
        status = library.status()
    data = {
        "library": str(status.directory),
        "model": status.model_key,
        "model_id": status.model_id,
        "photos": status.photos,
        "indexed": status.embedded,
        "pending": status.pending,
        "skipped": status.skipped,
        "skip_reasons": status.skip_reasons,
        "folders": [
            {"path": str(f.path), "photos": f.photos, "missing": f.missing, "last_scan": f.last_scan}
            for f in status.folders
        ],
        "other_models": status.other_models,
        "catalog_bytes": status.catalog_bytes,
        "index_bytes": status.index_bytes,
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"Library:  {status.directory}")
    print(f"Model:    {status.model_key} ({status.model_id})")
    print(f"Photos:   {status.photos} ({status.embedded} indexed, {status.pending} to do, {status.skipped} skipped)")
    for folder in status.folders:
        flag = "  [missing]" if folder.missing else ""
        print(f"  {folder.path}: {folder.photos} photos{flag}")
    if status.skip_reasons:
        print("Skipped:  " + ", ".join(f"{n} {reason}" for reason, n in sorted(status.skip_reasons.items())))
        for photo in library.catalog.skipped_photos(limit=10):
            print(f"  {photo.path}: {photo.error}")
    for model_id, count in status.other_models.items():
        print(f"Also stored: {count} vectors of {model_id}")
    print(f"Disk:     catalog {_human_bytes(status.catalog_bytes)}, index {_human_bytes(status.index_bytes)}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from photoclip.core.doctor import run_checks

    with _open_library(args) as library:
        checks = run_checks(library)
    if args.json:
        print(json.dumps([c.as_dict() for c in checks], indent=2))
    else:
        marks = {"ok": "ok  ", "warn": "WARN", "error": "FAIL"}
        for check in checks:
            print(f"[{marks[check.status]}] {check.name}: {check.detail}")
    return EXIT_ERROR if any(c.status == "error" for c in checks) else 0


def cmd_folders(args: argparse.Namespace) -> int:
    with _open_library(args) as library:
        if args.action == "add":
            for path in args.paths:
                folder = library.add_folder(path)
                print(f"Added {folder.path}; run 'photoclip index' to index it.")
        elif args.action == "remove":
            for path in args.paths:
                removed = library.remove_folder(path)
                print(f"Removed {path} ({removed} photos forgotten; the files themselves are untouched).")
        else:
            counts = library.catalog.photo_counts_by_folder()
            for folder in library.folders():
                print(f"{folder.path}  ({counts.get(folder.id, 0)} photos)")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from photoclip.core.models import known_models

    for spec in known_models():
        print(f"{spec.key:15s} {spec.description}  [{spec.languages}]")
    if args.all:
        import open_clip

        print("\nAll published open_clip weights (use as --model ARCH/TAG):")
        for arch, tag in open_clip.list_pretrained():
            print(f"  {arch}/{tag}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from photoclip.core.config import default_library_dir
    from photoclip.core.library import Library
    from photoclip.core.models import TINY_MODEL_KEY
    from photoclip.demo import generate_photos

    base = (args.dir or default_library_dir().parent / "demo").expanduser().resolve()
    photos_dir = base / "photos"
    library_dir = args.library or base / "library"
    if not photos_dir.exists():
        print(f"Creating {args.count} sample photos in {photos_dir} ...", file=sys.stderr)
        generate_photos(photos_dir, args.count, seed=7, pair_probability=0.25)
    with Library.open(library_dir, model=TINY_MODEL_KEY, device=args.device) as library:
        library.add_folder(photos_dir)
        report = _run_update(library, show_progress=True)
        _print_index_report(report, library, as_json=False)
    print(
        "\nThe demo library uses a tiny model that knows only coloured shapes. Try:\n"
        f"  photoclip --library {library_dir} search 'a red circle'\n"
        f"  photoclip --library {library_dir} search 'star -yellow' --by-date\n"
        f"  photoclip --library {library_dir} similar {photos_dir / '2023' / '01' / 'IMG_0001.jpg'}"
    )
    return 0


def cmd_app(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """The desktop app arrives with the GUI issue; until then the command line is the app."""
    parser.print_help()
    return 0


_COMMANDS = {
    "index": cmd_index,
    "search": cmd_search,
    "similar": cmd_search,
    "status": cmd_status,
    "doctor": cmd_doctor,
    "folders": cmd_folders,
    "models": cmd_models,
    "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose >= 2 else logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.verbose < 2:
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from photoclip.core.errors import PhotoclipError

    try:
        if args.command is None:
            return cmd_app(args, parser)
        return _COMMANDS[args.command](args)
    except PhotoclipError as e:
        if args.verbose:
            logging.exception("details")
        print(f"photoclip: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\nphotoclip: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
