"""Commands that bring photos in: index, watch, folders, demo."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoclip.cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    open_library,
    positive,
    run_reading,
    run_update,
)
from photoclip.core import counted

if TYPE_CHECKING:
    from photoclip.core import Activity, IndexReport, Library, TextReport


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    index = commands.add_parser("index", help="add folders and index new or changed photos", parents=[common])
    index.add_argument("folders", nargs="*", type=Path, metavar="FOLDER", help="folders to add (default: all known)")
    index.add_argument("--no-progress", action="store_true", help="no progress bar")
    index.add_argument("--json", action="store_true", help="print the summary as JSON")
    index.add_argument(
        "--no-text", action="store_true", help="do not read text in photos this time (it is read after embedding)"
    )
    index.set_defaults(handler=cmd_index)

    watch = commands.add_parser(
        "watch", help="keep the library in step with its folders until stopped (Ctrl-C)", parents=[common]
    )
    watch.add_argument("folders", nargs="*", type=Path, metavar="FOLDER", help="folders to add first")
    watch.add_argument("--settle", type=float, default=2.0, metavar="SECONDS", help="quiet time before indexing")
    watch.add_argument("--poll", type=float, default=300.0, metavar="SECONDS", help="rescan interval if unwatchable")
    watch.set_defaults(handler=cmd_watch)

    folders = commands.add_parser(
        "folders",
        help="list, add or remove photo folders; ignore files and folders by name",
        description="List, add or remove photo folders, and set the names that every scan ignores.",
        epilog="Ignore patterns are shell wildcards matched against file and folder names in every photo "
        "folder ('raw', '*.png', 'IMG_*_edit.jpg'); a matching folder is skipped with everything in it. "
        "They apply from the next scan: 'photoclip index' then forgets catalogued photos that match "
        "(the files are untouched) and picks up again those no longer ignored.",
        parents=[common],
    )
    folders.add_argument(
        "action",
        nargs="?",
        choices=("list", "add", "remove", "ignore", "unignore"),
        default="list",
        help="list folders and ignore patterns (default), add or remove FOLDERs, ignore or unignore PATTERNs",
    )
    folders.add_argument("items", nargs="*", metavar="FOLDER|PATTERN", help="folders to add or remove, or patterns")
    folders.set_defaults(handler=cmd_folders)

    demo = commands.add_parser(
        "demo", help="create a sample library with the bundled tiny model (offline)", parents=[common]
    )
    demo.add_argument("--dir", type=Path, help="where to put the sample photos and library (default: data folder)")
    demo.add_argument("--count", type=positive, default=240, help="photos of shapes (default 240; 20 of text come too)")
    demo.set_defaults(handler=cmd_demo)


def cmd_index(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        for folder in args.folders:
            library.folders.add(folder)
        if not library.folders.all():
            print("No folders yet: run 'photoclip index FOLDER' to add one.", file=sys.stderr)
            return EXIT_ERROR
        report = run_update(library, show_progress=not args.no_progress)
        text = None
        if not report.cancelled and not args.no_text:
            text = run_reading(library, show_progress=not args.no_progress)
        _print_index_report(report, library, as_json=args.json, text=text)
        return EXIT_INTERRUPTED if report.cancelled or (text is not None and text.interrupted) else 0


def _print_index_report(
    report: IndexReport, library: Library, *, as_json: bool, text: TextReport | None = None
) -> None:
    problems = [(str(p.path), p.message) for scan in report.scans for p in scan.problems]
    summary = {
        "added": sum(len(s.added) for s in report.scans),
        "changed": sum(len(s.changed) for s in report.scans),
        "removed": sum(len(s.removed) for s in report.scans),
        "embedded": report.embedded,
        "unchanged": report.unchanged,
        "skipped": report.skipped,
        "seconds": round(report.seconds, 2),
        "interrupted": report.cancelled or (text is not None and text.interrupted),
        "problems": problems,
        "text": None
        if text is None
        else {
            "looked_at": text.looked_at,
            "read": text.read,
            "with_words": text.found,
            "passed_over": text.gated,
            "failed": text.failed,
            "seconds": round(text.seconds, 2),
            "engine": text.engine,
        },
    }
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    print(
        f"Scanned {counted(len(report.scans), 'folder')}: {summary['added']} new, {summary['changed']} changed, "
        f"{summary['removed']} removed."
    )
    rate = report.embedded / report.seconds if report.seconds else 0.0
    print(
        f"Indexed {counted(report.embedded, 'photo')} in {report.seconds:.1f} s ({rate:.1f}/s); "
        f"{report.skipped} skipped."
    )
    for path, message in problems[:20]:
        print(f"  problem: {path}: {message}")
    if report.skipped:
        print("Run 'photoclip status' to see why photos were skipped.")
    if text is not None and text.looked_at:
        print(
            f"Read text in {counted(text.read, 'photo')} ({text.found:,} with words) in {text.seconds:.1f} s; "
            f"{text.gated} passed over (no text in them, says the model)"
            + (f"; {text.failed} could not be read." if text.failed else ".")
        )
    if report.cancelled or (text is not None and text.interrupted):
        print("Interrupted: run 'photoclip index' again to continue where it stopped.")


def cmd_watch(args: argparse.Namespace) -> int:
    def report(activity: Activity) -> None:
        counts = activity.counts()
        parts = [f"{n} {what}" for what, n in counts.items() if n]
        stamp = time.strftime("%H:%M:%S", time.localtime(activity.started))
        where = ", ".join(str(f) for f in activity.folders[:3]) + (" ..." if len(activity.folders) > 3 else "")
        print(
            f"{stamp} {activity.reason}{' ' + where if where else ''}: {', '.join(parts) or 'up to date'}", flush=True
        )

    with open_library(args) as library:
        for folder in args.folders:
            library.folders.add(folder)
        if not library.folders.all():
            print("No folders yet: run 'photoclip watch FOLDER' to add one.", file=sys.stderr)
            return EXIT_ERROR
        print(f"Watching {counted(len(library.folders.all()), 'folder')}; Ctrl-C to stop.", file=sys.stderr)
        watcher = library.watch(settle_seconds=args.settle, poll_seconds=args.poll, on_activity=report)
        try:
            while watcher.error is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nStopping...", file=sys.stderr)
        finally:
            watcher.stop()
        if watcher.error is not None:
            raise watcher.error
        for path, (mode, reason) in watcher.modes().items():
            if mode != "events":
                print(f"{path}: {mode} ({reason})", file=sys.stderr)
    return 0


def cmd_folders(args: argparse.Namespace) -> int:
    if args.action != "list" and not args.items:
        what = "FOLDER" if args.action in ("add", "remove") else "PATTERN"
        print(f"photoclip folders {args.action}: give at least one {what}.", file=sys.stderr)
        return EXIT_USAGE
    with open_library(args) as library:
        if args.action == "add":
            for item in args.items:
                folder = library.folders.add(Path(item)).value
                print(f"Added {folder.path}; run 'photoclip index' to index it.")
        elif args.action == "remove":
            for item in args.items:
                removed = library.folders.remove(Path(item)).value
                print(f"Removed {item} ({counted(removed, 'photo')} forgotten; the files themselves are untouched).")
        elif args.action in ("ignore", "unignore"):
            return _change_ignore_patterns(library, args.action, args.items)
        else:
            for status in library.folders.statuses():
                offline = ", offline" if status.offline else ""
                print(f"{status.path}  ({counted(status.photos, 'photo')}{offline})")
            patterns = library.folders.ignore_patterns()
            if patterns:
                print(f"Ignored in every folder: {', '.join(patterns)}")
    return 0


def _change_ignore_patterns(library: Library, action: str, items: list[str]) -> int:
    from photoclip.core import LibraryError, clean_ignore_patterns

    current = library.folders.ignore_patterns()
    given = clean_ignore_patterns(items)
    if action == "ignore":
        new = [p for p in given if p not in current]
        library.folders.set_ignore_patterns(current + new)
        for pattern in given:
            print(f"Ignoring '{pattern}'{'' if pattern in new else ' (already ignored)'}.")
        matching = library.folders.ignored_photos()
        if matching:
            print(
                f"{counted(len(matching), 'photo')} in the library {'matches' if len(matching) == 1 else 'match'}: "
                "the next 'photoclip index' forgets them (the files themselves are untouched)."
            )
        return 0
    unknown = [p for p in given if p not in current]
    if unknown:
        listed = ", ".join(current) or "none"
        raise LibraryError(f"Not an ignore pattern: {', '.join(unknown)} (the patterns are: {listed}).")
    library.folders.set_ignore_patterns([p for p in current if p not in given])
    for pattern in given:
        print(f"No longer ignoring '{pattern}'; the next 'photoclip index' picks up the photos it hid.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from photoclip.core import TINY_MODEL_KEY, Library
    from photoclip.demo import default_demo_dir, prepare_demo_photos

    base = (args.dir or default_demo_dir()).expanduser().resolve()
    library_dir = args.library or base / "library"
    if not (base / "photos").exists():
        print(f"Creating {args.count} sample photos in {base / 'photos'} ...", file=sys.stderr)
    photos_dir = prepare_demo_photos(base, args.count)
    with Library.open(library_dir, model=TINY_MODEL_KEY, device=args.device) as library:
        library.folders.add(photos_dir)
        report = run_update(library, show_progress=True)
        text = run_reading(library, show_progress=True) if not report.cancelled else None
        _print_index_report(report, library, as_json=False, text=text)
    print(
        "\nThe demo library uses a tiny model that knows only coloured shapes. Try:\n"
        f"  photoclip --library {library_dir} search 'a red circle'\n"
        f"  photoclip --library {library_dir} search 'star -yellow' --by-date\n"
        f"  photoclip --library {library_dir} similar {photos_dir / '2023' / '01' / 'IMG_0001.jpg'}\n"
        f"  photoclip --library {library_dir} search 'text:total'            # words read in the photos\n"
        f"  photoclip --library {library_dir} search 'circle in Lisbon 2023'  # places and dates in the words\n"
        f"  photoclip --library {library_dir} places"
    )
    return 0
