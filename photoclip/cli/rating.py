"""`photoclip rate`: star ratings (0-5) and the favourite flag, from the command line."""

from __future__ import annotations

import argparse
from typing import Any

from photoclip.cli.common import open_library
from photoclip.cli.tagging import resolve_photos


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    rate = commands.add_parser(
        "rate",
        help="give photos 0-5 stars or mark them as favourites (search them with rating:>=4, is:favourite)",
        description=(
            "Rate photos: 'photoclip rate a.jpg b.jpg 4' gives both 4 stars (0 clears the stars); "
            "--favourite / --no-favourite marks them; with neither, it shows their ratings. "
            "Ratings are kept in the library and written to XMP sidecars as xmp:Rating; photos are never modified."
        ),
        parents=[common],
    )
    rate.add_argument(
        "items",
        nargs="+",
        metavar="PHOTO",
        help="photo files or ids, then the stars (0-5) as the last argument",
    )
    rate.add_argument(
        "--stars", type=_stars, metavar="0..5", help="the stars, when the last photo is an id from 0 to 5"
    )
    favourite = rate.add_mutually_exclusive_group()
    favourite.add_argument(
        "--favourite",
        "--favorite",
        dest="favourite",
        action="store_true",
        default=None,
        help="mark the photos as favourites",
    )
    favourite.add_argument(
        "--no-favourite", "--no-favorite", dest="favourite", action="store_false", help="unmark them as favourites"
    )
    rate.set_defaults(handler=cmd_rate)


def _stars(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 5:
        raise argparse.ArgumentTypeError(f"a rating is 0 to 5 stars, not {text!r}")
    return int(text)


def split_stars(items: list[str], stars: int | None) -> tuple[list[str], int | None]:
    """The photos and the stars: the last argument is the stars when it is 0-5 and photos come before it.

    `--stars` says it outright (then every argument is a photo, even one whose id is 0 to 5).
    """
    if stars is not None or len(items) < 2 or not (items[-1].isdigit() and int(items[-1]) <= 5):
        return items, stars
    return items[:-1], int(items[-1])


def cmd_rate(args: argparse.Namespace) -> int:
    from photoclip.core import Rating, counted

    refs, stars = split_stars(list(args.items), args.stars)
    with open_library(args) as library:
        ids = resolve_photos(library, refs)
        if stars is None and args.favourite is None:
            ratings = library.ratings.of(ids)
            photos = library.photos.get(ids)
            for pid in ids:
                print(f"{photos[pid].path}  {ratings.get(pid, Rating()).describe()}")
            return 0
        said = []
        if stars is not None:
            changed = library.ratings.rate(ids, stars).value
            what = f"gave {counted(len(ids), 'photo')} {counted(stars, 'star')}"
            if stars == 0:
                what = f"cleared the stars of {counted(len(ids), 'photo')}"
            said.append(what + _unchanged(ids, changed))
        if args.favourite is not None:
            changed = library.ratings.set_favourite(ids, args.favourite).value
            mark = "marked" if args.favourite else "unmarked"
            said.append(f"{mark} {counted(len(ids), 'photo')} as favourite" + _unchanged(ids, changed))
        text = "; ".join(said)
        print(text[0].upper() + text[1:] + ".")
    return 0


def _unchanged(ids: list[Any], changed: dict[Any, Any]) -> str:
    from photoclip.core import counted

    same = len(set(ids)) - len(changed)
    return f" ({counted(same, 'photo')} already had it)" if same else ""
