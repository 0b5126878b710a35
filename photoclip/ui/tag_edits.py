"""One photo's tags edited one at a time (the viewer's info panel), each edit one undo step.

Before an edit, on the write pool, the photo's tag of that label is read (`Tags.states`);
undoing writes it back exactly (`Tags.restore`: a suggestion with its confidence, a
rejection, or no tag at all), redoing makes the same edit again. So accepting or rejecting a
suggestion while looking at a photo is as safe as deciding a selection in the grid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from photoclip.core import USER_TAGS
from photoclip.ui.undo import UndoStack, UndoStep

if TYPE_CHECKING:
    from photoclip.core import Library, TagState
    from photoclip.ui.controller import LibraryController

EDITS = ("accept", "reject", "remove", "unreject")

_Edit = Callable[[list[int], str, str], object]
"""An engine call editing one label's tags on some photos: (photo ids, label set, label)."""


def _words(action: str, label: str, name: str) -> str:
    """The undo menu's words for an edit ("Accept “beach” for IMG_1.jpg")."""
    return {
        "accept": f"Accept “{label}” for {name}",
        "reject": f"Reject “{label}” for {name}",
        "remove": f"Remove “{label}” from {name}",
        "unreject": f"Take back the rejection of “{label}” for {name}",
        "add": f"Tag {name} “{label}”",
    }[action]


class TagEdits(QObject):
    """Edits of one photo's tags through the engine's `Tags`, pushed on the window's undo stack."""

    def __init__(self, controller: LibraryController, undo: UndoStack | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.undo = undo

    def edit(self, photo_id: int, name: str, action: str, label_set: str, label: str) -> None:
        """Accept, reject, remove or un-reject one tag of one photo."""
        library = self.controller.library
        if library is None or action not in EDITS:
            return
        call = {
            "accept": library.tags.accept,
            "reject": library.tags.reject,
            "remove": library.tags.remove,
            "unreject": library.tags.unreject,
        }[action]
        self._run(library, photo_id, lambda: (label_set, label, call), _words(action, label, name))

    def add(self, photo_id: int, name: str, text: str) -> None:
        """Tag the photo with a typed word: a label of that name in any set if there is one, else one of "My tags"."""
        library = self.controller.library
        text = text.strip()
        if library is None or not text:
            return

        def target() -> tuple[str, str, _Edit]:  # on the write pool: reads the labels there are
            existing = next((c for c in library.tags.counts() if c.label.casefold() == text.casefold()), None)
            if existing is not None:
                return existing.label_set, existing.label, library.tags.accept
            return USER_TAGS, text, lambda ids, label_set, label: library.tags.tag(ids, label, label_set)

        self._run(library, photo_id, target, _words("add", text, name))

    def _run(self, library: Library, photo_id: int, target: Callable[[], tuple[str, str, _Edit]], words: str) -> None:
        def work() -> tuple[list[TagState], Callable[[], object]]:
            label_set, label, edit = target()
            before = library.tags.states([photo_id], label_set, label)

            def again() -> object:
                return edit([photo_id], label_set, label)

            again()
            return before, again

        def done(result: tuple[list[TagState], Callable[[], object]]) -> None:
            before, again = result
            if self.undo is not None:
                self.undo.push(UndoStep(words, undo=lambda: library.tags.restore(before), redo=again))

        self.controller.write(work, done)
