"""Commands that organise: tag, tags, labelsets, albums, export-xmp, import-keywords."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from photoclip.cli.common import open_library, positive
from photoclip.cli.searching import add_filter_options, photo_filter_from
from photoclip.core import counted

if TYPE_CHECKING:
    from photoclip.core import Library, PhotoId

RELEVANT = 0.5
"""The relevance a command's --query or --from-search keeps (as the app's default slider)."""


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    tag = commands.add_parser("tag", help="auto-tag photos with a label set", parents=[common])
    tag.add_argument("--set", dest="label_set", required=True, help="label set name ('photoclip labelsets')")
    add_filter_options(tag)
    tag.add_argument("--query", help="only the photos a search finds (relevant ones)")
    tag.add_argument("--threshold", type=float, metavar="0..1", help="confidence needed (default: the set's)")
    tag.add_argument("--auto-accept", type=float, metavar="0..1", help="accept suggestions at least this confident")
    tag.add_argument("--json", action="store_true", help="print the summary as JSON")
    tag.set_defaults(handler=cmd_tag)

    tags = commands.add_parser(
        "tags", help="show, accept, reject, unreject, add or remove tags of photos", parents=[common]
    )
    tags.add_argument(
        "action",
        choices=("show", "accept", "reject", "unreject", "add", "remove"),
        help="show the tags (rejected ones too), or accept, reject, undo a rejection of (unreject), add or remove "
        "one label (--set, --label) on the photos",
    )
    tags.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files or ids")
    tags.add_argument("--set", dest="label_set", help="label set of the label")
    tags.add_argument("--label", help="the label to accept, reject, unreject, add or remove")
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
    return [library.photos.find(ref).id for ref in refs]


def _selected(library: Library, args: argparse.Namespace) -> list[PhotoId]:
    ids = library.searcher.browse_ids(photo_filter_from(args))
    if getattr(args, "query", None):
        wanted = set(ids)
        hits = library.searcher.search(args.query, limit=100_000, relevance=RELEVANT).hits
        ids = [h.photo_id for h in hits if h.photo_id in wanted]
    return ids


def cmd_tag(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        ids = _selected(library, args)
        report = library.tags.auto_tag(args.label_set, ids, threshold=args.threshold, auto_accept=args.auto_accept)
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
    accepted = f", {report.auto_accepted} accepted automatically" if report.auto_accepted else ""
    learned = (
        f"; {counted(report.learned_labels, 'label')} learnt from your corrections" if report.learned_labels else ""
    )
    print(
        f"Tagged {counted(report.photos, 'photo')} with {report.label_set}: "
        f"{counted(report.suggested, 'suggestion')}{accepted}{learned}."
    )
    for label, n in sorted(labels.items(), key=lambda kv: -(kv[1]["accepted"] + kv[1]["suggested"])):
        print(f"  {label}: {n['accepted']} accepted, {n['suggested']} suggested")
    return 0


def cmd_tags(args: argparse.Namespace) -> int:
    from photoclip.core import LibraryError

    with open_library(args) as library:
        ids = resolve_photos(library, args.photos)
        if args.action != "show":
            if not args.label_set or not args.label:
                raise LibraryError(f"tags {args.action} needs --set and --label.")
            act = {
                "accept": library.tags.accept,
                "add": library.tags.accept,
                "reject": library.tags.reject,
                "unreject": library.tags.unreject,
                "remove": library.tags.remove,
            }[args.action]
            changed = act(ids, args.label_set, args.label).value
            if args.action == "unreject":
                print(
                    f"unreject: {args.label} on {counted(changed, 'photo')} (back to its suggestion, if it was one)."
                    if changed
                    else f"unreject: {args.label} is not rejected on these photos; nothing to undo."
                )
                return 0
            print(f"{args.action}: {args.label} on {counted(changed, 'photo')}.")
            return 0
        photos = library.photos.get(ids)
        tags = library.tags.tags_of(ids)
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
            for t in sorted(tags.get(i, []), key=lambda t: t.status == "rejected"):  # rejected ones last
                confidence = "" if t.score is None else f" {t.score:.0%}"
                undo = " (undo: tags unreject)" if t.status == "rejected" else ""
                print(f"  {t.label_set}: {'/'.join(t.path)} [{t.status}, {t.source}{confidence}]{undo}")
    return 0


def cmd_labelsets(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        _LABELSET_ACTIONS[args.action](library, args)
    return 0


def _need(args: argparse.Namespace, count: int, what: str) -> list[str]:
    from photoclip.core import LibraryError

    if len(args.names) != count:
        raise LibraryError(f"labelsets {args.action} needs {what}.")
    return list(args.names)


def _labelsets_list(library: Library, args: argparse.Namespace) -> None:
    for s in library.tags.label_sets():
        kind = "one per photo" if s.exclusive else "any number"
        print(f"{s.name}  ({counted(len(s.labels), 'label')}, {kind}{', built-in' if s.builtin else ''})")


def _labelsets_show(library: Library, args: argparse.Namespace) -> None:
    (name,) = _need(args, 1, "a set name")
    label_set = library.tags.label_set(name)
    counts = {c.label: c for c in library.tags.counts() if c.label_set == label_set.name}
    print(f"{label_set.name}: {label_set.description}")
    for label in label_set.labels:
        c = counts.get(label.name)
        path = "/".join(label.path(label_set.by_name()))
        tagged = f"  ({c.accepted} accepted, {c.suggested} suggested)" if c and (c.accepted or c.suggested) else ""
        print(f"  {path}{tagged}")
        for prompt in label_set.prompts_for(label):
            print(f'      "{prompt}"')


def _labelsets_import(library: Library, args: argparse.Namespace) -> None:
    for file in args.names:
        saved = library.tags.import_label_set(Path(file)).value
        print(f"Imported {saved.name} ({counted(len(saved.labels), 'label')}).")


def _labelsets_export(library: Library, args: argparse.Namespace) -> None:
    from photoclip.core import LibraryError

    if not 1 <= len(args.names) <= 2:
        raise LibraryError("labelsets export needs a set name and optionally a file.")
    text = json.dumps(library.tags.label_set(args.names[0]).to_json(), indent=2, ensure_ascii=False) + "\n"
    if len(args.names) == 2:
        Path(args.names[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _labelsets_rename(library: Library, args: argparse.Namespace) -> None:
    old, new = _need(args, 2, "the old and the new name")
    library.tags.rename_label_set(old, new)


def _labelsets_delete(library: Library, args: argparse.Namespace) -> None:
    (name,) = _need(args, 1, "a set name")
    library.tags.delete_label_set(name)
    print(f"Deleted the label set {name} and its tags (photos are untouched).")


_LABELSET_ACTIONS: dict[str, Callable[[Library, argparse.Namespace], None]] = {
    "list": _labelsets_list,
    "show": _labelsets_show,
    "import": _labelsets_import,
    "export": _labelsets_export,
    "rename": _labelsets_rename,
    "delete": _labelsets_delete,
}


def cmd_albums(args: argparse.Namespace) -> int:
    from photoclip.core import LibraryError

    with open_library(args) as library:
        if args.action == "list":
            for album in library.albums.all():
                print(f"{album.name}  ({counted(album.count, 'photo')})")
            return 0
        if not args.name:
            raise LibraryError(f"albums {args.action} needs an album name.")
        _ALBUM_ACTIONS[args.action](library, args)
    return 0


def _album_create(library: Library, args: argparse.Namespace) -> None:
    ids: list[PhotoId] = []
    if args.from_search:
        ids = [h.photo_id for h in library.searcher.search(args.from_search, limit=args.limit, relevance=RELEVANT).hits]
    album = library.albums.create(args.name, ids).value
    print(f"Created {album.name} with {counted(album.count, 'photo')}.")


def _album_show(library: Library, args: argparse.Namespace) -> None:
    photos = library.photos.get(library.albums.photo_ids(args.name))
    for photo in photos.values():
        print(photo.path)


def _album_rename(library: Library, args: argparse.Namespace) -> None:
    from photoclip.core import LibraryError

    if len(args.items) != 1:
        raise LibraryError("albums rename needs the new name.")
    library.albums.rename(args.name, args.items[0])


def _album_delete(library: Library, args: argparse.Namespace) -> None:
    library.albums.delete(args.name)
    print(f"Deleted the album {args.name} (its photos are untouched).")


def _album_add_or_remove(library: Library, args: argparse.Namespace) -> None:
    ids = resolve_photos(library, args.items)
    change = library.albums.add if args.action == "add" else library.albums.remove
    print(f"{'Added' if args.action == 'add' else 'Removed'} {counted(change(args.name, ids).value, 'photo')}.")


_ALBUM_ACTIONS: dict[str, Callable[[Library, argparse.Namespace], None]] = {
    "create": _album_create,
    "show": _album_show,
    "rename": _album_rename,
    "delete": _album_delete,
    "add": _album_add_or_remove,
    "remove": _album_add_or_remove,
}


def cmd_export_xmp(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        report = library.tags.export_xmp(
            _selected(library, args), naming=args.naming, include_suggestions=args.include_suggestions
        )
    print(str(report) + (" (--include-suggestions writes them now)" if report.only_suggested else ""))
    for path, warning in report.warnings:
        print(f"  warning: {path.parent}: {warning}")
    for path, problem in report.problems:
        print(f"  problem: {path}: {problem}")
    return 1 if report.problems else 0


def _photos_read(stream: TextIO) -> Callable[[int, int], None] | None:
    """A progress line for reading keywords, on a terminal only (the last one stays, ended by a newline)."""
    if not stream.isatty():
        return None
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and done < total:
            return
        last[0] = now
        stream.write(f"\rReading keywords: {done:,}/{total:,} photos   " + ("\n" if done == total else ""))
        stream.flush()

    return report


def cmd_import_keywords(args: argparse.Namespace) -> int:
    from photoclip.core import IMPORTED_SET

    with open_library(args) as library:
        report = library.tags.import_keywords(_selected(library, args), progress=_photos_read(sys.stderr))
    print(
        f"Imported {counted(report.keywords, 'keyword')} on {counted(report.photos, 'photo')} into the label set "
        f"{IMPORTED_SET!r} ({counted(report.labels_added, 'new label')})."
    )
    for path, problem in report.problems:
        print(f"  problem: {path}: {problem}")
    return 0
