"""The places command: where the library's photos were taken."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from photoclip.cli.common import open_library
from photoclip.core import counted

if TYPE_CHECKING:
    from photoclip.core import PlaceNode


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    places = commands.add_parser(
        "places",
        help="where the photos were taken: countries, regions and cities with photo counts",
        description="Countries > regions > cities with photo counts, from the GPS coordinates in the photos "
        "(and their XMP sidecars), named offline. Search them with place:NAME.",
        parents=[common],
    )
    places.add_argument("--json", action="store_true", help="print the places as JSON")
    places.set_defaults(handler=cmd_places)


def cmd_places(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        library.places.locate_pending()
        tree = library.places.tree()
        unlocated = library.places.pending()
    if args.json:
        print(json.dumps([_as_json(node) for node in tree], indent=2, ensure_ascii=False))
        return 0
    if not tree:
        print("No photo of this library has a location (GPS coordinates in its EXIF or XMP sidecar).")
    for country in tree:
        print(f"{country.name}  {country.photos}")
        for region in country.children:
            print(f"  {region.name}  {region.photos}")
            for city in region.children:
                print(f"    {city.name}  {city.photos}")
    if unlocated:
        print(f"({counted(unlocated, 'photo')} not looked at yet: run 'photoclip index')")
    return 0


def _as_json(node: PlaceNode) -> dict[str, Any]:
    data: dict[str, Any] = {"name": node.name, "photos": node.photos, "place": node.spec}
    if node.code:
        data["country_code"] = node.code
    if node.children:
        data["children"] = [_as_json(child) for child in node.children]
    return data
