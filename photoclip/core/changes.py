"""What an operation changed, said by the engine rather than guessed by its callers.

Every method of the library that changes data returns a `Changes` (or a report
carrying one) and publishes it on the library's `ChangeBus`. Listeners hear
about every change whoever made it: the app's controller turns them into
signals for its views, and the sidecar writer keeps XMP files in step with
tags, whether the change came from a dialog, an auto-tag run, a label rename,
a keyword import or the command line (Anki's `OpChanges` and its one
`operation_did_execute` hook work the same way).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from photoclip.core.store.records import PhotoId

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Changes:
    """Which kinds of data an operation changed.

    Attributes:
        photos: photos were added, changed, moved, removed or (re)embedded.
        tagged: the photos whose tags changed (added, accepted, rejected, removed, renamed).
        tags: tags changed at all (counts, label names); true whenever `tagged` is non-empty.
        rated: the photos whose star rating or favourite flag changed (`store.ratings`).
    """

    photos: bool = False
    tags: bool = False
    tagged: frozenset[PhotoId] = field(default_factory=frozenset)
    albums: bool = False
    folders: bool = False
    label_sets: bool = False
    settings: bool = False
    model: bool = False
    rated: frozenset[PhotoId] = field(default_factory=frozenset)

    @classmethod
    def of_ratings(cls, photo_ids: Iterable[int]) -> Changes:
        return cls(rated=frozenset(PhotoId(int(i)) for i in photo_ids))

    @classmethod
    def of_tags(cls, photo_ids: Iterable[int], *, label_sets: bool = False) -> Changes:
        tagged = frozenset(PhotoId(int(i)) for i in photo_ids)
        return cls(tags=bool(tagged) or label_sets, tagged=tagged, label_sets=label_sets)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            photos=self.photos or other.photos,
            tags=self.tags or other.tags,
            tagged=self.tagged | other.tagged,
            albums=self.albums or other.albums,
            folders=self.folders or other.folders,
            label_sets=self.label_sets or other.label_sets,
            settings=self.settings or other.settings,
            model=self.model or other.model,
            rated=self.rated | other.rated,
        )

    def __bool__(self) -> bool:
        return any(
            (self.photos, self.tags, self.albums, self.folders, self.label_sets, self.settings, self.model, self.rated)
        )


NOTHING = Changes()

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What an edit that also has an answer returns: the answer and what changed."""

    value: T
    changes: Changes


Listener = Callable[[Changes], None]


class ChangeBus:
    """Delivers each change to every listener, on the thread that made it.

    Listeners must be quick or hand the work on (the app's controller queues a Qt
    signal); one that fails is logged and never undoes or blocks the change.
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns the function that removes it again."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, changes: Changes) -> Changes:
        """Tell every listener (when anything changed) and hand the changes back to the caller."""
        if not changes:
            return changes
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(changes)
            except Exception:
                log.exception("a change listener failed")
        return changes
