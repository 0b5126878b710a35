"""Tags out to XMP sidecars, and keywords in from sidecars and from the photos themselves.

Imported keywords become user tags of a label set of their own ("Imported
keywords", hierarchy kept), which can then auto-tag the rest of the library
with the user's own vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from photoclip.core.catalog import PhotoId
from photoclip.core.errors import LibraryError, PhotoclipError
from photoclip.core.labelsets import Label, LabelSet
from photoclip.core.sidecar import Keyword, embedded_keywords, existing_sidecar, read_sidecar_keywords, write_sidecar
from photoclip.core.tagstore import ACCEPTED, SUGGESTED

if TYPE_CHECKING:
    from photoclip.core.library import Library

IMPORTED_SET = "Imported keywords"


@dataclass
class ExportReport:
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0  # no tags and no sidecar: nothing to write
    problems: list[tuple[Path, str]] = field(default_factory=list)


@dataclass
class ImportReport:
    photos: int = 0
    keywords: int = 0
    labels_added: int = 0
    problems: list[tuple[Path, str]] = field(default_factory=list)


def export_xmp(
    library: Library, photo_ids: Sequence[int], *, naming: str = "digikam", include_suggestions: bool = False
) -> ExportReport:
    """Write each photo's tags to its sidecar (merging with what is there)."""
    report = ExportReport()
    photos = library.catalog.photos(photo_ids)
    tags = library.tags_of(list(photos))
    for pid, photo in photos.items():
        keywords = [
            Keyword(tag.path, suggestion=tag.status == SUGGESTED)
            for tag in tags.get(pid, [])
            if tag.status == ACCEPTED or (include_suggestions and tag.status == SUGGESTED)
        ]
        if not keywords and existing_sidecar(photo.path) is None:
            report.unchanged += 1
            continue
        if not photo.path.exists():
            report.problems.append((photo.path, "The photo is not on disk (its folder is offline?)."))
            continue
        try:
            report.written.append(write_sidecar(photo.path, keywords, naming=naming))
        except PhotoclipError as e:
            report.problems.append((photo.path, str(e)))
        except OSError as e:
            report.problems.append((photo.path, f"Cannot write the sidecar: {e.strerror or e}"))
    return report


def import_keywords(library: Library, photo_ids: Sequence[int]) -> ImportReport:
    """Read keywords from sidecars and embedded XMP/IPTC as user tags (never writing any file)."""
    report = ImportReport()
    found: dict[PhotoId, list[tuple[str, ...]]] = {}
    for pid, photo in library.catalog.photos(photo_ids).items():
        try:
            paths = read_sidecar_keywords(photo.path) + embedded_keywords(photo.path)
        except (LibraryError, OSError) as e:
            report.problems.append((photo.path, str(e)))
            continue
        if paths:
            found[pid] = list(dict.fromkeys(paths))
    if not found:
        return report
    try:
        label_set = library.tags.get(IMPORTED_SET)
    except LibraryError:
        label_set = LabelSet(IMPORTED_SET, (), exclusive=False, description="Keywords read from XMP and IPTC.")
    labels = {label.name: label for label in label_set.labels}
    before = len(labels)
    for paths in found.values():
        for path in paths:
            for depth, name in enumerate(path):
                if name not in labels:
                    labels[name] = Label(name, parent=path[depth - 1] if depth else None)
    label_set = library.tags.save(replace(label_set, labels=tuple(labels.values())))
    report.labels_added = len(labels) - before
    ids = library.tags.label_ids(label_set)
    for pid, paths in found.items():
        for path in paths:
            library.tags.set_status([pid], ids[path[-1]], ACCEPTED)
            report.keywords += 1
        report.photos += 1
    return report
