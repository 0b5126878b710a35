"""Tags out to XMP sidecars, and keywords in from sidecars and from the photos themselves.

Imported keywords become user tags of a label set of their own ("Imported
keywords", hierarchy kept), which can then auto-tag the rest of the library
with the user's own vocabulary. These functions do the file work; the tagging
service (`tagging.service.Tags`) decides which photos and stores the tags.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from photoclip.core.changes import NOTHING, Changes
from photoclip.core.errors import LibraryError, PhotoclipError
from photoclip.core.media.xmp import (
    Keyword,
    XmpLocation,
    embedded_keywords,
    embedded_location,
    read_sidecar_keywords,
    read_sidecar_location,
    sidecar_targets,
    write_sidecar,
)
from photoclip.core.places.names import Place
from photoclip.core.store.records import Photo, PhotoId
from photoclip.core.store.tags import ACCEPTED, SUGGESTED, Tag
from photoclip.core.tagging.labelsets import Label, LabelSet
from photoclip.core.util.units import counted

IMPORTED_SET = "Imported keywords"


@dataclass
class ExportReport:
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0  # no tags and no sidecar: nothing to write
    only_suggested: int = 0  # of `unchanged`: photos whose only tags are suggestions, not written until accepted
    problems: list[tuple[Path, str]] = field(default_factory=list)
    warnings: list[tuple[Path, str]] = field(default_factory=list)  # written, but not where it would usually go

    def __str__(self) -> str:
        """What happened, and why nothing was written when nothing was (one sentence for the CLI and the app)."""
        parts = [f"Wrote {counted(len(self.written), 'XMP sidecar')}" if self.written else "No XMP sidecar written"]
        untagged = self.unchanged - self.only_suggested
        if self.only_suggested:
            parts.append(
                f"{counted(self.only_suggested, 'photo')} only {_has(self.only_suggested)} suggested tags, "
                "which are written once accepted"
            )
        if untagged:
            parts.append(f"{counted(untagged, 'photo')} {_has(untagged)} no tags")
        if self.problems:
            parts.append(f"{counted(len(self.problems), 'sidecar')} could not be written ({self.problems[0][1]})")
        if self.warnings:
            parts.append(self.warnings[0][1])
        return "; ".join(parts) + "."


def _has(count: int) -> str:
    return "has" if count == 1 else "have"


@dataclass
class ImportReport:
    photos: int = 0
    keywords: int = 0
    labels_added: int = 0
    places: int = 0  # photos whose place names (photoshop:City, ...) or GPS coordinates were read
    problems: list[tuple[Path, str]] = field(default_factory=list)
    changes: Changes = NOTHING

    def __str__(self) -> str:
        text = f"{counted(self.keywords, 'keyword')} on {counted(self.photos, 'photo')}"
        if self.labels_added:
            text += f", {counted(self.labels_added, 'new label')}"
        if self.places:
            text += f"; places of {counted(self.places, 'photo')}"
        if self.problems:
            text += f"; {counted(len(self.problems), 'file')} could not be read ({self.problems[0][1]})"
        return text


def write_sidecars(
    photos: Mapping[PhotoId, Photo],
    tags: Mapping[PhotoId, Sequence[Tag]],
    *,
    naming: str,
    include_suggestions: bool,
    texts: Mapping[PhotoId, str] | None = None,
    places: Mapping[PhotoId, Place] | None = None,
) -> ExportReport:
    """Write each photo's tags (and the text read in it, and its place) to its sidecar, merging with what is there.

    A photo gets a sidecar when it has tags or text to write, or has one already; its place
    goes into whichever sidecar it gets.
    """
    texts = texts or {}
    places = places or {}
    report = ExportReport()
    targets = sidecar_targets([p.path for p in photos.values()], naming)
    for pid, photo in photos.items():
        keywords = [
            Keyword(tag.path, suggestion=tag.status == SUGGESTED)
            for tag in tags.get(pid, [])
            if tag.status == ACCEPTED or (include_suggestions and tag.status == SUGGESTED)
        ]
        target, clash = targets[photo.path]
        text = texts.get(pid, "")
        if not keywords and not text and not target.exists():
            report.unchanged += 1  # nothing to write, and no sidecar of ours holding tags removed since
            report.only_suggested += any(tag.status == SUGGESTED for tag in tags.get(pid, []))
            continue
        if not photo.path.exists():
            report.problems.append((photo.path, "The photo is not on disk (its folder is offline?)."))
            continue
        if clash:
            report.warnings.append((photo.path, clash))
        try:
            report.written.append(
                write_sidecar(
                    photo.path, keywords, naming=naming, path=target, text=text, place=places.get(pid, Place())
                )
            )
        except PhotoclipError as e:
            report.problems.append((photo.path, str(e)))
        except OSError as e:
            report.problems.append((photo.path, f"Cannot write the sidecar: {e.strerror or e}"))
    return report


def read_keywords_of(
    photos: Collection[Photo], report: ImportReport, progress: Callable[[int, int], None] | None = None
) -> dict[PhotoId, list[tuple[str, ...]]]:
    """Keyword paths found in each photo's sidecar and embedded XMP/IPTC (never writing any file)."""
    found: dict[PhotoId, list[tuple[str, ...]]] = {}
    for done, photo in enumerate(photos, 1):
        if progress is not None:
            progress(done, len(photos))
        try:
            paths = read_sidecar_keywords(photo.path) + embedded_keywords(photo.path)
        except (LibraryError, OSError) as e:
            report.problems.append((photo.path, str(e)))
            continue
        if paths:
            found[photo.id] = list(dict.fromkeys(paths))
    return found


def read_locations_of(photos: Collection[Photo], report: ImportReport) -> dict[PhotoId, XmpLocation]:
    """GPS coordinates and a person's place names in each photo's sidecar, else inside the photo."""
    found: dict[PhotoId, XmpLocation] = {}
    for photo in photos:
        try:
            location = read_sidecar_location(photo.path)
            if location is None or location.place is None:
                inside = embedded_location(photo.path)
                if inside is not None:
                    location = XmpLocation(
                        location.latitude if location else None, location.longitude if location else None, inside.place
                    )
        except (LibraryError, OSError) as e:
            report.problems.append((photo.path, str(e)))
            continue
        if location is not None and (location.place is not None or location.latitude is not None):
            found[photo.id] = location
    return found


def with_keywords(label_set: LabelSet | None, found: Mapping[PhotoId, list[tuple[str, ...]]]) -> LabelSet:
    """The imported-keywords set grown by every keyword path found (parents become parent labels)."""
    if label_set is None:
        label_set = LabelSet(IMPORTED_SET, (), exclusive=False, description="Keywords read from XMP and IPTC.")
    labels = {label.name: label for label in label_set.labels}
    for paths in found.values():
        for path in paths:
            for depth, name in enumerate(path):
                if name not in labels:
                    labels[name] = Label(name, parent=path[depth - 1] if depth else None)
    return LabelSet(
        label_set.name,
        tuple(labels.values()),
        exclusive=label_set.exclusive,
        description=label_set.description,
        threshold=label_set.threshold,
        templates=label_set.templates,
        builtin=label_set.builtin,
        background=label_set.background,
        id=label_set.id,
    )
