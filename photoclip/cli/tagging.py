"""Commands that organise: tag, tags, labelsets, albums, export-xmp, import-keywords."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoclip.cli.common import open_library, positive
from photoclip.cli.searching import add_filter_options, photo_filter_from

if TYPE_CHECKING:
    from photoclip.core.catalog import PhotoId
    from photoclip.core.library import Library


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    tag = commands.add_parser("tag", help="auto-tag photos with a label set", parents=[common])
    tag.add_argument("--set", dest="label_set", required=True, help="label set name ('photoclip labelsets')")
    add_filter_options(tag)
    tag.add_argument("--query", help="only the photos a search finds (relevant ones)")
    tag.add_argument("--threshold", type=float, metavar="0..1", help="confidence needed (default: the set's)")
    tag.add_argument("--auto-accept", type=float, metavar="0..1", help="accept suggestions at least this confident")
    tag.add_argument("--json", action="store_true", help="print the summary as JSON")
    tag.set_defaults(handler=cmd_tag)

    tags = commands.add_parser("tags", help="show, accept, reject, add or remove tags of photos", parents=[common])
    tags.add_argument(
        "action",
        choices=("show", "accept", "reject", "add", "remove"),
        help="show the tags, or accept, reject, add or remove one label (--set, --label) on the photos",
    )
    tags.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files or ids")
    tags.add_argument("--set", dest="label_set", help="label set of the label")
    tags.add_argument("--label", help="the label to accept, reject, add or remove")
    tags.add_argument("--json", action="store_true", help="show: print the tags as JSON")
    tags.set_defaults(handler=cmd_tags)

    sets = commands.add_parser(
        "labelsets", help="list, show, import, export, rename or delete label sets", parents=[common]
    )
    sets.add_argument(
        "action",
        choices=("list", "show", "import", "export", "rename", "delete"),
        help="list; show NAME; import FILE...; export NAME [FILE]; rename OLD NEW; delete NAME",
    )
    sets.add_argument("names", nargs="*", metavar="NAME_OR_FILE", help="label set names, or JSON files")
    sets.set_defaults(handler=cmd_labelsets)

    albums = commands.add_parser("albums", help="list, create, rename, delete and fill albums", parents=[common])
    albums.add_argument(
        "action",
        choices=("list", "show", "create", "rename", "delete", "add", "remove"),
        help="list; show, create, rename, delete an album; add or remove photos",
    )
    albums.add_argument("name", nargs="?", help="the album")
    albums.add_argument("items", nargs="*", metavar="PHOTO_OR_NAME", help="photos (add/remove) or the new name")
    albums.add_argument("--from-search", metavar="QUERY", help="create: fill with the relevant results of a search")
    albums.add_argument("-n", "--limit", type=positive, default=200, help="create --from-search: at most this many")
    albums.set_defaults(handler=cmd_albums)

    export = commands.add_parser(
        "export-xmp", help="write tags to XMP sidecar files beside the photos", parents=[common]
    )
    add_filter_options(export)
    export.add_argument(
        "--naming",
        choices=("digikam", "lightroom"),
        default="digikam",
        help="photo.jpg.xmp (digikam, darktable; default) or photo.xmp (lightroom)",
    )
    export.add_argument(
        "--include-suggestions", action="store_true", help="also write unreviewed suggestions, under photoclip|auto|..."
    )
    export.set_defaults(handler=cmd_export_xmp)

    keywords = commands.add_parser(
        "import-keywords", help="read keywords from XMP sidecars and embedded XMP/IPTC as tags", parents=[common]
    )
    add_filter_options(keywords)
    keywords.set_defaults(handler=cmd_import_keywords)


def resolve_photos(library: Library, refs: list[str]) -> list[PhotoId]:
    """Photo files or ids, as the user typed them."""
    from photoclip.core.catalog import PhotoId
    from photoclip.core.errors import LibraryError

    ids = []
    for ref in refs:
        if ref.isdigit():
            if not library.catalog.photos([int(ref)]):
                raise LibraryError(f"There is no photo with id {ref}.")
            ids.append(PhotoId(int(ref)))
            continue
        photo = library.catalog.photo_by_path(Path(ref).expanduser().resolve())
        if photo is None:
            raise LibraryError(f"{ref} is not a photo of this library.")
        ids.append(photo.id)
    return ids


def _selected(library: Library, args: argparse.Namespace) -> list[PhotoId]:
    ids = library.photo_ids(photo_filter_from(args))
    if getattr(args, "query", None):
        wanted = set(ids)
        hits = library.search(args.query, limit=100_000, relevance=0.5).hits
        ids = [h.photo_id for h in hits if h.photo_id in wanted]
    return ids


def cmd_tag(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        ids = _selected(library, args)
        report = library.auto_tag(args.label_set, ids, threshold=args.threshold, auto_accept=args.auto_accept)
        counts = library.tags.counts()
    labels = {
        c.label: {"accepted": c.accepted, "suggested": c.suggested}
        for c in counts
        if c.label_set == report.label_set and (c.accepted or c.suggested)
    }
    summary = {
        "label_set": report.label_set,
        "photos": report.photos,
        "suggested": report.suggested,
        "auto_accepted": report.auto_accepted,
        "labels_learned_from_corrections": report.learned_labels,
        "seconds": round(report.seconds, 3),
        "labels": labels,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(
        f"Tagged {report.photos} photo(s) with {report.label_set}: {report.suggested} suggestion(s)"
        f"{f', {report.auto_accepted} accepted automatically' if report.auto_accepted else ''}"
        f"{f'; {report.learned_labels} label(s) adjusted by your corrections' if report.learned_labels else ''}."
    )
    for label, n in sorted(labels.items(), key=lambda kv: -(kv[1]["accepted"] + kv[1]["suggested"])):
        print(f"  {label}: {n['accepted']} accepted, {n['suggested']} suggested")
    return 0


def cmd_tags(args: argparse.Namespace) -> int:
    from photoclip.core.errors import LibraryError

    with open_library(args) as library:
        ids = resolve_photos(library, args.photos)
        if args.action != "show":
            if not args.label_set or not args.label:
                raise LibraryError(f"tags {args.action} needs --set and --label.")
            act = {
                "accept": library.accept_tag,
                "add": library.accept_tag,
                "reject": library.reject_tag,
                "remove": library.remove_tag,
            }[args.action]
            changed = act(ids, args.label_set, args.label)
            print(f"{args.action}: {args.label} on {changed} photo(s).")
            return 0
        photos = library.catalog.photos(ids)
        tags = library.tags_of(ids)
        if args.json:
            print(
                json.dumps(
                    {
                        str(photos[i].path): [
                            {
                                "set": t.label_set,
                                "label": "/".join(t.path),
                                "status": t.status,
                                "source": t.source,
                                "confidence": None if t.score is None else round(t.score, 4),
                            }
                            for t in tags.get(i, [])
                        ]
                        for i in ids
                    },
                    indent=2,
                )
            )
            return 0
        for i in ids:
            print(photos[i].path)
            for t in tags.get(i, []):
                confidence = "" if t.score is None else f" {t.score:.0%}"
                print(f"  {t.label_set}: {'/'.join(t.path)} [{t.status}, {t.source}{confidence}]")
    return 0


def cmd_labelsets(args: argparse.Namespace) -> int:
    from photoclip.core.errors import LibraryError
    from photoclip.core.labelsets import load_label_set_file

    def need(count: int, what: str) -> list[str]:
        if len(args.names) != count:
            raise LibraryError(f"labelsets {args.action} needs {what}.")
        return list(args.names)

    with open_library(args) as library:
        store = library.tags
        if args.action == "list":
            for s in store.label_sets():
                kind = "one per photo" if s.exclusive else "any number"
                print(f"{s.name}  ({len(s.labels)} labels, {kind}{', built-in' if s.builtin else ''})")
        elif args.action == "show":
            (name,) = need(1, "a set name")
            label_set = store.get(name)
            counts = {c.label: c for c in store.counts() if c.label_set == label_set.name}
            print(f"{label_set.name}: {label_set.description}")
            for label in label_set.labels:
                c = counts.get(label.name)
                path = "/".join(label.path(label_set.by_name()))
                tagged = (
                    f"  ({c.accepted} accepted, {c.suggested} suggested)" if c and (c.accepted or c.suggested) else ""
                )
                print(f"  {path}{tagged}")
                for prompt in label_set.prompts_for(label):
                    print(f'      "{prompt}"')
        elif args.action == "import":
            for file in args.names:
                saved = store.save(load_label_set_file(Path(file)))
                print(f"Imported {saved.name} ({len(saved.labels)} labels).")
        elif args.action == "export":
            if not 1 <= len(args.names) <= 2:
                raise LibraryError("labelsets export needs a set name and optionally a file.")
            text = json.dumps(store.get(args.names[0]).to_json(), indent=2, ensure_ascii=False) + "\n"
            if len(args.names) == 2:
                Path(args.names[1]).write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
        elif args.action == "rename":
            old, new = need(2, "the old and the new name")
            store.rename(old, new)
        else:
            (name,) = need(1, "a set name")
            store.delete(name)
            print(f"Deleted the label set {name} and its tags (photos are untouched).")
    return 0


def cmd_albums(args: argparse.Namespace) -> int:
    from photoclip.core.errors import LibraryError

    with open_library(args) as library:
        store = library.albums
        if args.action == "list":
            for album in store.albums():
                print(f"{album.name}  ({album.count} photos)")
            return 0
        if not args.name:
            raise LibraryError(f"albums {args.action} needs an album name.")
        if args.action == "create":
            album = store.create(args.name)
            if args.from_search:
                hits = library.search(args.from_search, limit=args.limit, relevance=0.5).hits
                store.add(album.name, [h.photo_id for h in hits])
            print(f"Created {album.name} with {store.get(album.name).count} photo(s).")
        elif args.action == "show":
            photos = library.catalog.photos(store.photo_ids(args.name))
            for photo in photos.values():
                print(photo.path)
        elif args.action == "rename":
            if len(args.items) != 1:
                raise LibraryError("albums rename needs the new name.")
            store.rename(args.name, args.items[0])
        elif args.action == "delete":
            store.delete(args.name)
            print(f"Deleted the album {args.name} (its photos are untouched).")
        else:
            ids = resolve_photos(library, args.items)
            changed = (store.add if args.action == "add" else store.remove)(args.name, ids)
            print(f"{'Added' if args.action == 'add' else 'Removed'} {changed} photo(s).")
    return 0


def cmd_export_xmp(args: argparse.Namespace) -> int:
    from photoclip.core.keywords import export_xmp

    with open_library(args) as library:
        report = export_xmp(
            library, _selected(library, args), naming=args.naming, include_suggestions=args.include_suggestions
        )
    print(f"Wrote {len(report.written)} sidecar file(s); {report.unchanged} photo(s) had no tags to write.")
    for path, problem in report.problems:
        print(f"  problem: {path}: {problem}")
    return 1 if report.problems else 0


def cmd_import_keywords(args: argparse.Namespace) -> int:
    from photoclip.core.keywords import IMPORTED_SET, import_keywords

    with open_library(args) as library:
        report = import_keywords(library, _selected(library, args))
    print(
        f"Imported {report.keywords} keyword(s) on {report.photos} photo(s) into the label set "
        f"{IMPORTED_SET!r} ({report.labels_added} new label(s))."
    )
    for path, problem in report.problems:
        print(f"  problem: {path}: {problem}")
    return 0
