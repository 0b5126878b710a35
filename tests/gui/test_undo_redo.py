"""The app's undo stack: Ctrl+Z undoes, Ctrl+Shift+Z / Ctrl+Y redo what can be redone, a new step forgets redo."""

from __future__ import annotations

from typing import Any

from photoclip.core import PhotoFilter
from photoclip.ui.controller import LibraryController
from photoclip.ui.undo import UndoStack, UndoStep


def test_redo_follows_undo_and_a_new_step_forgets_it(qtbot: Any, controller: LibraryController) -> None:
    library = controller.library
    assert library is not None
    stack = UndoStack(controller)
    ids = [int(p) for p in library.searcher.browse_ids(PhotoFilter())[:3]]
    library.albums.create("Trip", ids)
    stack.push(
        UndoStep(
            "Create album “Trip”",
            undo=lambda: library.albums.delete("Trip"),
            redo=lambda: library.albums.create("Trip", ids),
        )
    )
    assert (stack.undo_text(), stack.redo_text()) == ("Undo create album “Trip”", "Redo")
    assert not stack.can_redo()

    with qtbot.waitSignal(stack.undone) as said:
        stack.undo()
    assert said.args == ["Undid: Create album “Trip”"]
    assert [a.name for a in library.albums.all()] == []
    assert stack.can_redo() and stack.redo_text() == "Redo create album “Trip”"

    with qtbot.waitSignal(stack.undone) as said:
        stack.redo()
    assert said.args == ["Redid: Create album “Trip”"]
    assert sorted(library.albums.photo_ids("Trip")) == sorted(ids)
    assert stack.can_undo() and not stack.can_redo()

    with qtbot.waitSignal(stack.undone):
        stack.undo()
    assert stack.can_redo()
    library.albums.create("Other")
    stack.push(UndoStep("Create album “Other”", undo=lambda: library.albums.delete("Other")))  # no redo
    assert not stack.can_redo()  # a new step: what was undone before cannot be redone any more
    with qtbot.waitSignal(stack.undone):
        stack.undo()
    assert not stack.can_redo()  # a step without `redo` is not offered again
    assert [a.name for a in library.albums.all()] == []
