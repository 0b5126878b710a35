"""Label sets and tags of a library: what people and auto-tagging say about photos.

Every edit comes back as `Changes` naming the photos whose tags changed and is
published on the library's change bus, so listeners (the app's views, the XMP
sidecar writer) see edits from the dialogs, auto-tag runs, label renames,
keyword imports and the CLI alike.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photoclip.core.changes import ChangeBus, Changes, Outcome
from photoclip.core.clip.service import Models
from photoclip.core.errors import LibraryError
from photoclip.core.search.matches import find
from photoclip.core.search.ranking import SearchHit, SearchResult
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.ratings import Ratings
from photoclip.core.store.records import Photo, PhotoId
from photoclip.core.store.scenes import SceneStore
from photoclip.core.store.tags import ACCEPTED, REJECTED, SUGGESTED, USER, Tag, TagCount, TagState, TagStore
from photoclip.core.store.texts import TextStore
from photoclip.core.tagging.autotagger import AutoTagger, AutoTagProgress, AutoTagReport
from photoclip.core.tagging.classifier import DEFAULT_BACKGROUND_PROMPTS, background_vector
from photoclip.core.tagging.keywords import (
    IMPORTED_SET,
    ExportReport,
    ImportReport,
    merged_ratings,
    read_keywords_of,
    read_locations_of,
    read_ratings_of,
    with_keywords,
    write_sidecars,
)
from photoclip.core.tagging.labelsets import Label, LabelSet, check_label_set, load_label_set_file, with_label
from photoclip.core.vectors.keeper import VectorKeeper

if TYPE_CHECKING:
    from photoclip.core.places.service import Places

USER_TAGS = "My tags"
"""The label set that collects tags people type by hand."""

PEOPLES_OWN_SETS = frozenset({USER_TAGS, IMPORTED_SET})
"""Label sets of people's own words (typed by hand, imported keywords): their tags, never the model's view."""


@dataclass(frozen=True)
class LabelScore:
    """How strongly the model prefers a label over a plain "a photo" for one photo (0.5: no preference)."""

    label_set: str
    label: str
    confidence: float


class Tags:
    """Label sets (validated), tags with their provenance, auto-tagging and keyword exchange."""

    def __init__(
        self,
        catalog: Catalog,
        store: TagStore,
        models: Models,
        vectors: VectorKeeper,
        changes: ChangeBus,
        places: Places | None = None,
        ratings: Ratings | None = None,
    ) -> None:
        self._catalog = catalog
        self._places = places
        self._texts = TextStore(catalog)
        self._ratings = ratings or Ratings(catalog, changes)
        self._store = store
        self._models = models
        self._vectors = vectors
        self._changes = changes
        self._scenes = SceneStore(catalog)
        self._autotagger = AutoTagger(store, models.text_encoder, catalog, self._scenes)

    # -- label sets -------------------------------------------------------------------------------

    def label_sets(self) -> list[LabelSet]:
        return self._store.label_sets()

    def label_set(self, name: str) -> LabelSet:
        return self._store.get(name)

    def save_label_set(self, label_set: LabelSet, *, renames: dict[str, str] | None = None) -> Outcome[LabelSet]:
        """Create or update a set by name; labels keep their tags by name, or through `renames` (old -> new)."""
        check_label_set(label_set, source=f"Label set {label_set.name!r}")
        tagged = self._photos_with_changed_labels(label_set, renames or {})
        saved = self._store.save(label_set, renames=renames)
        return Outcome(saved, self._changes.publish(Changes.of_tags(tagged, label_sets=True)))

    def import_label_set(self, path: Path) -> Outcome[LabelSet]:
        """Read a set from a JSON file (validated like every other entry point) and save it."""
        return self.save_label_set(load_label_set_file(path))

    def rename_label_set(self, old: str, new: str) -> Outcome[LabelSet]:
        renamed = self._store.rename(old, new)
        return Outcome(renamed, self._changes.publish(Changes(label_sets=True, tags=True)))

    def delete_label_set(self, name: str) -> Changes:
        """Delete a set with its labels and their tags (photos are untouched)."""
        label_set = self._store.get(name)
        tagged = self._store.tagged_photos([label_id for label_id in self._store.label_ids(label_set).values()])
        self._store.delete(name)
        return self._changes.publish(Changes.of_tags(tagged, label_sets=True))

    def _photos_with_changed_labels(self, label_set: LabelSet, renames: dict[str, str]) -> list[PhotoId]:
        """Photos whose keywords a save changes: tagged with a label that is renamed, removed or re-parented."""
        try:
            old = self._store.get(label_set.name)
        except LibraryError:
            return []
        old_labels, new_labels = old.by_name(), label_set.by_name()
        ids = self._store.label_ids(old)
        changed = [
            ids[name]
            for name, label in old_labels.items()
            if name in ids
            and (
                renames.get(name, name) not in new_labels
                or renames.get(name, name) != name
                or label.path(old_labels) != new_labels[renames.get(name, name)].path(new_labels)
            )
        ]
        return self._store.tagged_photos(changed)

    # -- tags ---------------------------------------------------------------------------------------

    def tags_of(self, photo_ids: Sequence[int]) -> dict[PhotoId, list[Tag]]:
        """Every tag of the given photos (rejected ones included: the app shows them struck out)."""
        return self._store.tags_of(photo_ids)

    def counts(self) -> list[TagCount]:
        """Photos per label (accepted and suggested)."""
        return self._store.counts()

    def label_names(self) -> list[str]:
        """Every label name, for completion in a search field."""
        return sorted({c.label for c in self._store.counts()}, key=str.casefold)

    def accept(self, photo_ids: Sequence[int], label_set: str, label: str) -> Outcome[int]:
        """A person says these photos are `label` (also how tags are added by hand)."""
        count = self._store.set_status(photo_ids, self._label_id(label_set, label), ACCEPTED)
        return Outcome(count, self._changes.publish(Changes.of_tags(photo_ids)))

    def reject(self, photo_ids: Sequence[int], label_set: str, label: str) -> Outcome[int]:
        """A person says these photos are not `label`; auto-tagging never suggests it for them again."""
        count = self._store.set_status(photo_ids, self._label_id(label_set, label), REJECTED)
        return Outcome(count, self._changes.publish(Changes.of_tags(photo_ids)))

    def rejected(self, photo_ids: Sequence[int]) -> dict[PhotoId, list[Tag]]:
        """The tags people rejected on these photos (kept through every auto-tag run, and undoable)."""
        return {
            pid: found
            for pid, tags in self._store.tags_of(photo_ids).items()
            if (found := [t for t in tags if t.status == REJECTED])
        }

    def unreject(self, photo_ids: Sequence[int], label_set: str, label: str) -> Outcome[int]:
        """Undo a rejection: back to the suggestion it was, with its score, or to no tag at all.

        The value is the number of photos that had the rejection. It also withdraws the
        correction: the next auto-tag run learns from the person's other decisions only.
        """
        changed = self._store.unreject(photo_ids, self._label_id(label_set, label))
        return Outcome(len(changed), self._changes.publish(Changes.of_tags(changed)))

    def unaccept(self, photo_ids: Sequence[int], label_set: str, label: str) -> Outcome[int]:
        """Undo an acceptance: back to the suggestion it was, with its score, or to no tag at all.

        The value is the number of photos that had the label accepted.
        """
        changed = self._store.unaccept(photo_ids, self._label_id(label_set, label))
        return Outcome(len(changed), self._changes.publish(Changes.of_tags(changed)))

    def suggestions(self, photo_ids: Sequence[int]) -> dict[PhotoId, list[Tag]]:
        """The unreviewed suggestions of these photos, most confident first (what is left to review)."""
        result: dict[PhotoId, list[Tag]] = {}
        for pid, tags in self._store.tags_of(photo_ids).items():
            found = [t for t in tags if t.status == SUGGESTED]
            if found:
                result[pid] = sorted(found, key=lambda t: -(t.score if t.score is not None else -1.0))
        return result

    def review_queue(self, label_set: str, label: str) -> list[tuple[PhotoId, float | None]]:
        """One label's suggestions to review, most confident first: (photo, confidence)."""
        return self._store.suggested_of_label(self._label_id(label_set, label))

    def remove(self, photo_ids: Sequence[int], label_set: str, label: str) -> Outcome[int]:
        """Forget the tag entirely (a later auto-tag run may suggest it again)."""
        count = self._store.remove(photo_ids, self._label_id(label_set, label))
        return Outcome(count, self._changes.publish(Changes.of_tags(photo_ids)))

    def tag(self, photo_ids: Sequence[int], label: str, label_set: str = USER_TAGS) -> Outcome[int]:
        """Tag photos by hand with any word: a label missing from the set is added to it first.

        People type tags freely; keeping them as labels of a (multi-label) set means they
        are also searchable, exportable and learnable like every other tag.
        """
        label = label.strip()
        if not label:
            raise LibraryError("A tag needs a name.")
        try:
            current = self._store.get(label_set)
        except LibraryError:
            current = LabelSet(label_set, (), exclusive=False, description="Tags added by hand.")
        added = Changes()
        if not any(existing.name.casefold() == label.casefold() for existing in current.labels):
            added = self.save_label_set(with_label(current, Label(label))).changes
        accepted = self.accept(photo_ids, label_set, label)
        return Outcome(accepted.value, added | accepted.changes)

    def states(self, photo_ids: Sequence[int], label_set: str, label: str) -> list[TagState]:
        """How these photos are tagged with `label` now, to put back later (`restore`): the undo of any tag edit.

        A label that does not exist yet (a tag about to be typed) reads as no tag on every photo.
        """
        try:
            rows = self._store.rows_of(photo_ids, self._label_id(label_set, label))
        except LibraryError:
            rows = {}
        states = []
        for pid in dict.fromkeys(PhotoId(int(p)) for p in photo_ids):
            score, source, status = rows.get(pid, (None, None, None))
            states.append(TagState(pid, label_set, label, status, score, source))
        return states

    def restore(self, states: Sequence[TagState]) -> Changes:
        """Put tags back as `states` says they were: status, confidence and who decided, or no tag.

        A decision a person undoes stops being a correction the next auto-tag run learns from,
        and a suggestion comes back with its confidence.
        """
        by_label: dict[tuple[str, str], dict[PhotoId, tuple[float | None, str, str] | None]] = {}
        for state in states:
            row = None if state.status is None else (state.score, state.source or USER, state.status)
            by_label.setdefault((state.label_set, state.label), {})[state.photo_id] = row
        for (label_set, label), rows in by_label.items():
            self._store.put_rows(self._label_id(label_set, label), rows)
        return self._changes.publish(Changes.of_tags([s.photo_id for s in states]))

    def _label_id(self, label_set: str, label: str) -> int:
        labels = self._store.label_ids(self._store.get(label_set))
        for name, label_id in labels.items():
            if name.casefold() == label.strip().casefold():
                return label_id
        raise LibraryError(f"The label set {label_set!r} has no label {label!r}.")

    # -- auto-tagging -------------------------------------------------------------------------------

    def auto_tag(
        self,
        label_set: str,
        photo_ids: Sequence[int] | None = None,
        *,
        threshold: float | None = None,
        auto_accept: float | None = None,
        progress: Callable[[AutoTagProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> AutoTagReport:
        """Suggest tags from a label set for some photos (default: all indexed); safe to re-run."""
        with self._models.reading():
            report = self._autotagger.run(
                self._store.get(label_set),
                photo_ids,
                threshold=threshold,
                auto_accept=auto_accept,
                progress=progress,
                cancel=cancel,
            )
        report.changes = self._changes.publish(Changes.of_tags(report.tagged))
        return report

    def label_scores(self, photo_id: int, label_set: str, top: int = 5) -> list[tuple[str, float]]:
        """A photo's most likely labels in a set with their confidences (what auto-tag would see)."""
        with self._models.reading():
            ids, vectors = self._catalog.embeddings(self._models.model_id, [photo_id])
            if not len(ids):
                return []
            classifier = self._autotagger.classifier(self._store.get(label_set))
            norm = float(np.linalg.norm(vectors[0]))
            if norm < 1e-6:
                return []
            confidences = self._autotagger.decide(classifier, self._models.model_id, ids, vectors)[0][0]
            order = np.argsort(-confidences)[:top]
            return [(classifier.label_names[i], float(confidences[i])) for i in order]

    def best_labels(self, photo_id: int, top: int = 5, minimum: float = 0.5) -> list[LabelScore]:
        """What the model itself sees in a photo: its most confident labels across the zero-shot label sets.

        Every set is scored by one rule, exclusive or not: p = sigmoid(T*(s(label) - s(background))),
        the model's preference for the label over its set's plain prompts ("a photo."), which the
        multi-label rule of auto-tag also uses. An exclusive set's own softmax cannot rank across
        sets: it sums to 1 within the set, so a coffee cup is 88% "wedding" among the events.
        People's own sets (typed tags, imported keywords) are left out, and corrections are not
        applied: this is the model's view before anything it learned from the person. Labels
        below `minimum` (no better than a plain photo) are not returned; a label found in several
        sets is listed once.
        """
        with self._models.reading():
            ids, vectors = self._catalog.embeddings(self._models.model_id, [photo_id])
            if not len(ids):
                return []
            norm = float(np.linalg.norm(vectors[0]))
            if norm < 1e-6:
                return []
            photo = (vectors[0] / norm).astype(np.float32)
            text = self._models.text_encoder()  # the exported text tower where the model was loaded without its own
            best: dict[str, LabelScore] = {}
            for label_set in self._store.label_sets():
                if label_set.name in PEOPLES_OWN_SETS or not label_set.labels:
                    continue
                labels = self._autotagger.label_vectors(label_set)
                background = background_vector(text.encode_texts, label_set.background or DEFAULT_BACKGROUND_PROMPTS)
                margins = (labels @ photo - float(background @ photo)).astype(np.float64)
                confidences = 1.0 / (1.0 + np.exp(-text.logit_scale * margins))
                for entry, confidence in zip(label_set.labels, confidences.tolist(), strict=True):
                    key = entry.name.casefold()
                    if confidence >= minimum and (key not in best or confidence > best[key].confidence):
                        best[key] = LabelScore(label_set.name, entry.name, float(confidence))
        return sorted(best.values(), key=lambda score: -score.confidence)[:top]

    def label_matches(self, label_set: LabelSet, label: str, limit: int = 24) -> SearchResult:
        """The photos a label's prompt ensemble finds best: "test this label" before saving a set."""
        started = time.perf_counter()
        names = [entry.name for entry in label_set.labels]
        if label not in names:
            raise LibraryError(f"The label set {label_set.name!r} has no label {label!r}.")
        with self._models.reading():
            index = self._vectors.index()
            if index is None or len(index) == 0:
                return SearchResult([], 0, limit, False, None, 0.0)
            vector = self._autotagger.label_vectors(label_set)[names.index(label)]
            hits = find(index, vector, limit)
        photos = self._catalog.photos([h.photo_id for h in hits])
        result = [
            SearchHit(PhotoId(h.photo_id), h.score, photo.path, photo.taken_at, duration=photo.duration)
            for h in hits
            if (photo := photos.get(PhotoId(h.photo_id))) is not None
        ]
        return SearchResult(result, 0, limit, False, None, time.perf_counter() - started)

    # -- keywords in and out ------------------------------------------------------------------------

    def export_xmp(
        self, photo_ids: Sequence[int], *, naming: str = "digikam", include_suggestions: bool = False
    ) -> ExportReport:
        """Write each photo's tags and rating to its sidecar, merging with what is there (photos are never written)."""
        photos = self._catalog.photos(photo_ids)
        ids = list(photos)
        places = {pid: p.place for pid, p in self._places.of(ids).items()} if self._places is not None else {}
        return write_sidecars(
            photos,
            self._store.tags_of(ids),
            naming=naming,
            include_suggestions=include_suggestions,
            texts=self._texts.text_of(ids),
            places=places,
            ratings=self._ratings.of(ids),
        )

    def import_keywords(
        self, photo_ids: Sequence[int], *, progress: Callable[[int, int], None] | None = None
    ) -> ImportReport:
        """Read keywords from sidecars and embedded XMP/IPTC as user tags, and `xmp:Rating` and photoclip's
        favourite flag as the photos' ratings (never writing any file).

        Linear in the number of photos and keywords (tens of thousands import in seconds);
        `progress` hears (photos read, photos in all).
        """
        report = ImportReport()
        photos = self._catalog.photos(photo_ids)
        found = read_keywords_of(photos.values(), report, progress)
        changes = self._import_places(photos, report)
        ratings = merged_ratings(self._ratings.of(list(photos)), read_ratings_of(photos.values(), report))
        if ratings:
            report.rated = len(ratings)
            report.changes = self._ratings.assign(ratings).changes
        if not found:
            report.changes = report.changes | changes
            return report
        try:
            current: LabelSet | None = self._store.get(IMPORTED_SET)
        except LibraryError:
            current = None
        before = len(current.labels) if current is not None else 0
        label_set = self._store.save(check_label_set(with_keywords(current, found), source=IMPORTED_SET))
        report.labels_added = len(label_set.labels) - before
        ids = self._store.label_ids(label_set)
        pairs = [(pid, ids[path[-1]]) for pid, paths in found.items() for path in paths]
        self._store.accept_pairs(pairs)
        report.keywords, report.photos = len(pairs), len(found)
        report.changes = report.changes | self._changes.publish(Changes.of_tags(found, label_sets=True)) | changes
        return report

    def _import_places(self, photos: dict[PhotoId, Photo], report: ImportReport) -> Changes:
        """Places a person set (photoshop:City, ...) and sidecar GPS coordinates, read back into the library."""
        if self._places is None:
            return Changes()
        locations = read_locations_of(photos.values(), report)
        coordinates = [
            (pid, (loc.latitude, loc.longitude, "sidecar"))
            for pid, loc in locations.items()
            if loc.latitude is not None and loc.longitude is not None
        ]
        if coordinates:
            self._places.record(coordinates)
        named = [(pid, loc.place) for pid, loc in locations.items() if loc.place is not None]
        report.places = len(locations)
        changes = self._places.set_by_person(named) if named else Changes()
        return changes | Changes(photos=bool(coordinates))
