"""Commands that find photos taken or kept twice: duplicates and bursts."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from photoclip.cli.common import open_library
from photoclip.cli.searching import add_filter_options, photo_filter_from

if TYPE_CHECKING:
    from photoclip.core import PhotoGroup, SimilarPhotos

_EPILOG = """\
Each group lists the suggested keeper first (marked "keep", with why it won: sharper,
larger, better exposed, tagged by you, the original rather than a re-encode), then the
others with how they differ from it (same file, re-encoded, resized, cropped, edited, burst).
Nothing is moved or deleted: remove the ones you do not want in the app's
"Duplicates & bursts" view, which sends them to the trash (undoable).

--json prints a list of groups; each group is a list of photos, the keeper first:
  {"id", "path", "best", "reason", "score", "width", "height", "size", "file_type"},
  and the keeper also has "why".
"""


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    for name, help_text in (
        ("duplicates", "groups of near-identical photos (copies, exports, resized or edited), best shot first"),
        ("bursts", "shots taken seconds apart of the same scene by one camera, best shot first"),
    ):
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[common],
        )
        add_filter_options(sub)
        sub.add_argument("--json", action="store_true", help="print the groups as JSON")
        sub.set_defaults(handler=cmd_similar)


def cmd_similar(args: argparse.Namespace) -> int:
    from photoclip.core import human_bytes

    with open_library(args) as library:
        photo_filter = photo_filter_from(args)
        missing = len(library.similar.unmeasured(photo_filter))
        progress = _MeasureLine(missing) if missing else None
        found = library.similar.find(photo_filter, progress=progress)
        if progress is not None:
            progress.finish()
    groups = found.duplicates if args.command == "duplicates" else found.bursts
    if args.json:
        print(json.dumps([g.to_json() for g in groups], indent=2))
        return 0
    if not groups:
        print(f"No {args.command} among {found.photos:,} photos.")
        return 0
    for number, group in enumerate(groups, start=1):
        _print_group(number, group, human_bytes)
    _print_summary(args.command, groups, found)
    return 0


def _print_group(number: int, group: PhotoGroup, human_bytes: Any) -> None:
    print(f"{number}. {len(group.members)} photos")
    for member in group.members:
        mark = "keep" if member.best else "    "
        detail = f"{member.width}x{member.height}  {human_bytes(member.size)}"
        why = f"best shot: {', '.join(group.why)}" if member.best else member.reason
        print(f"   {mark}  {member.path}  ({detail})  {why}")


def _print_summary(command: str, groups: list[PhotoGroup], found: SimilarPhotos) -> None:
    others = sum(len(g.others) for g in groups)
    saved = sum(m.size for g in groups for m in g.others)
    from photoclip.core import counted, human_bytes

    noun = "group" if len(groups) == 1 else "groups"
    print(
        f"-- {len(groups):,} {noun} of {command} among {found.photos:,} photos; keeping only the best of each "
        f"would free {counted(others, 'file')}, {human_bytes(saved)} ({found.seconds:.1f} s)",
        file=sys.stderr,
    )
    if found.unmeasured:
        print(
            f"-- {counted(found.unmeasured, 'photo')} could not be read for comparison and were matched by identical "
            "content only",
            file=sys.stderr,
        )


class _MeasureLine:
    """Photos read before measuring existed are measured first: say so, with progress on a terminal."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        from photoclip.core import counted

        print(f"Reading {counted(total, 'photo')} indexed by an earlier version, once...", file=sys.stderr)

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        if not self.tty or (now - self._last < 0.2 and progress.done < progress.total):
            return
        self._last = now
        sys.stderr.write(f"\r  {progress.done:,}/{progress.total:,}   ")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
