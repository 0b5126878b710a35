"""Accept or reject the suggestions of many photos at once, undoably.

The grid's "Accept suggestions" (Ctrl+Enter) and "Reject suggestions" (Ctrl+Backspace)
decide every unreviewed suggestion of the selected photos through the engine's `Tags`
(accept / reject), on the write pool. Each is one step on the window's undo stack:
undoing gives the suggestions back with their confidence (`Tags.unaccept`,
`Tags.unreject`), redoing decides them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from photoclip.core import counted
from photoclip.ui.undo import UndoStack, UndoStep

if TYPE_CHECKING:
    from photoclip.core import Library
    from photoclip.ui.controller import LibraryController

ACCEPT, REJECT = "accept", "reject"


@dataclass(frozen=True)
class Decided:
    """One label's suggestions decided on some photos (what undo and redo replay)."""

    label_set: str
    label: str
    photo_ids: tuple[int, ...]


def apply(library: Library, decided: Sequence[Decided], verdict: str) -> None:
    """Accept or reject, label by label (runs on the write pool)."""
    for d in decided:
        (library.tags.accept if verdict == ACCEPT else library.tags.reject)(d.photo_ids, d.label_set, d.label)


def reverse(library: Library, decided: Sequence[Decided], verdict: str) -> None:
    """Back to the suggestions they were, with their confidence (runs on the write pool)."""
    for d in decided:
        (library.tags.unaccept if verdict == ACCEPT else library.tags.unreject)(d.photo_ids, d.label_set, d.label)


def decide_suggestions(library: Library, photo_ids: Sequence[int], verdict: str) -> list[Decided]:
    """Accept or reject every unreviewed suggestion of these photos; says what was decided."""
    by_label: dict[tuple[str, str], list[int]] = {}
    for pid, tags in library.tags.suggestions(photo_ids).items():
        for tag in tags:
            by_label.setdefault((tag.label_set, tag.label), []).append(int(pid))
    decided = [Decided(s, label, tuple(ids)) for (s, label), ids in sorted(by_label.items())]
    apply(library, decided, verdict)
    return decided


class SuggestionDecisions(QObject):
    """The window's "Accept suggestions" / "Reject suggestions" for the selected photos."""

    message = Signal(str)  # what was done, for the status bar

    def __init__(self, controller: LibraryController, undo: UndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.undo = undo

    def decide(self, photo_ids: Sequence[int], verdict: str) -> None:
        library = self.controller.library
        if library is None:
            return
        ids = [int(p) for p in photo_ids]
        if not ids:
            self.message.emit("Select the photos whose suggestions you want to decide first.")
            return

        def done(decided: list[Decided]) -> None:
            photos = len({pid for d in decided for pid in d.photo_ids})
            if not decided:
                self.message.emit(f"No suggestions to {verdict} on the selected {counted(len(ids), 'photo')}.")
                return
            count = sum(len(d.photo_ids) for d in decided)
            words = "Accept" if verdict == ACCEPT else "Reject"
            self.undo.push(
                UndoStep(
                    f"{words} suggestions on {counted(photos, 'photo')}",
                    undo=lambda: reverse(library, decided, verdict),
                    redo=lambda: apply(library, decided, verdict),
                )
            )
            past = "Accepted" if verdict == ACCEPT else "Rejected"
            self.message.emit(f"{past} {counted(count, 'suggestion')} on {counted(photos, 'photo')} (Ctrl+Z undoes).")

        self.controller.write(lambda: decide_suggestions(library, ids, verdict), done)
