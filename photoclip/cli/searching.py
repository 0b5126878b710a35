"""Commands that find photos: search and similar."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoclip.cli.common import open_library, positive
from photoclip.core import counted

if TYPE_CHECKING:
    from photoclip.core import Library, PhotoFilter, SearchResult

_SEARCH_HELP = """\
Query syntax:
  kids on a beach at sunset      free text
  beach -people +sunset          add (+) or remove (-) concepts; quote several words: +"golden hour"
  folder:~/Pictures/2023         only under a folder (also in:)
  after:2023-06 before:2023-08   date taken (YYYY, YYYY-MM or YYYY-MM-DD), inclusive
  type:png                       file type
  tag:beach                      photos tagged beach (a parent label matches its children)
  album:"Holiday 2024"           photos in an album
  text:"boarding pass"           photos whose text holds these words (read in the photos; whole words,
                                 case and accents aside)
  place:Lisbon                   taken in a city, region or country ("Paris, Texas" narrows)

Words that are filters: a year (2023), a month with its year (july 2023) and "in <place>"
for a place of your library (beach in Portugal) become filters, and the search says so.
Quote them to keep them words: "2023", "in Nice".
"""


def register(commands: Any, common: argparse.ArgumentParser) -> None:
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
        add_filter_options(sub)
        sub.add_argument("-n", "--limit", type=positive, default=20, help="results per page (default 20)")
        sub.add_argument("--page", type=positive, default=1, help="page number, from 1")
        sub.add_argument("--min-score", type=float, help="drop results with a lower similarity score")
        sub.add_argument(
            "--relevance",
            type=float,
            metavar="0..1",
            help="drop weak matches: 0 keeps all, 1 only the best (default 0.5 with --by-date)",
        )
        sub.add_argument("--by-date", action="store_true", help="relevant results newest first instead of by score")
        sub.add_argument("--json", action="store_true", help="print results as JSON")
        sub.set_defaults(handler=cmd_search)


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """The photo filters shared by search and the commands that act on a set of photos."""
    parser.add_argument("--folder", type=Path, action="append", default=[], help="only photos under this folder")
    parser.add_argument("--album", action="append", default=[], help="only photos in this album")
    parser.add_argument("--tag", action="append", default=[], help="only photos with this tag")
    parser.add_argument("--after", metavar="DATE", help="taken on or after YYYY[-MM[-DD]]")
    parser.add_argument("--before", metavar="DATE", help="taken on or before YYYY[-MM[-DD]]")
    parser.add_argument("--type", dest="types", action="append", default=[], help="file type, e.g. jpeg or png")
    parser.add_argument(
        "--place", action="append", default=[], help="only photos taken in this city, region or country"
    )


def photo_filter_from(args: argparse.Namespace) -> PhotoFilter:
    from photoclip.core import PhotoFilter, date_bound

    return PhotoFilter(
        folders=tuple(args.folder),
        taken_after=date_bound(args.after, end=False) if args.after else None,
        taken_before=date_bound(args.before, end=True) if args.before else None,
        file_types=tuple(t.lower() for t in args.types),
        tags=tuple(args.tag),
        albums=tuple(args.album),
        places=tuple(getattr(args, "place", ())),
    )


def cmd_search(args: argparse.Namespace) -> int:
    photo_filter = photo_filter_from(args)
    with open_library(args) as library:
        options: dict[str, Any] = {
            "limit": args.limit,
            "offset": (args.page - 1) * args.limit,
            "photo_filter": photo_filter,
            "min_score": args.min_score,
            "relevance": args.relevance,
            "order": "date" if args.by_date else "relevance",
        }
        if args.command == "search":
            result = library.searcher.search(args.query, **options)
            label = args.query
        else:
            example: Path | int = int(args.example) if args.example.isdigit() else Path(args.example)
            result = library.searcher.search(args.text, example=example, **options)
            label = f"like {args.example}"
        _print_results(result, label, as_json=args.json, library=library)
    return 0


def _print_results(result: SearchResult, label: str, *, as_json: bool, library: Library) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "query": label,
                    "filters": [
                        {"filter": c.label, "meaning": c.meaning, "read_from_words": c.from_words} for c in result.chips
                    ],
                    "results": [
                        {
                            "id": h.photo_id,
                            "path": str(h.path),
                            "score": round(h.score, 4),
                            "taken_at": h.taken_at,
                            "offline": h.offline,
                            "place": h.place,
                            "snippet": h.snippet,
                        }
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
    read = [c for c in result.chips if c.from_words]
    if read:
        said = "; ".join(f"{c.label} ({c.meaning})" for c in read)
        print(f"Read as filters: {said}. Quote words to keep them words.", file=sys.stderr)
    if not result.hits:
        _print_nothing_found(result, library)
        return
    for hit in result.hits:
        place = f"  ({hit.place})" if hit.place else ""
        print(f"{hit.score:6.3f}  {hit.path}{'  [offline]' if hit.offline else ''}{place}")
        if hit.snippet:
            print(f"        {hit.snippet}")
    more = f"  (more: --page {result.offset // result.limit + 2})" if result.has_more else ""
    loading = f"; model loaded in {library.models.load_seconds:.1f} s" if library.models.load_seconds else ""
    print(f"-- {counted(len(result.hits), 'result')} in {result.seconds * 1000:.0f} ms{loading}{more}", file=sys.stderr)


def _print_nothing_found(result: SearchResult, library: Library) -> None:
    """Nothing found, and what may explain it: photos not indexed yet, text not read yet, or no OCR at all."""
    pending = library.photos.pending()
    hint = f" ({counted(pending, 'photo')} not indexed yet: run 'photoclip index')" if pending else ""
    print(f"No photos found{hint}.")
    if any(c.label.startswith("text:") for c in result.chips):
        status = library.texts.status()
        if status.engine is None:
            print(f"Text in photos has not been read: {status.how_to_get}")
        elif status.counts.pending:
            print(
                f"The text of {counted(status.counts.pending, 'photo')} has not been read yet: run 'photoclip index'."
            )
