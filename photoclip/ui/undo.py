"""Undo for what the app does on a person's behalf: one stack, one Ctrl+Z.

A view that makes an undoable change pushes an `UndoStep`: the words for the menu
("Move 3 photos to the trash") and the engine call that reverses it, which runs on the
controller's write pool like any edit (the engine then says what changed, so every view
refreshes itself). The stack is the window's; any view can push to it, and its `action`
is the Edit menu's "Undo" entry, with the step's words and Ctrl+Z.

A step that says how to do it again (`redo`) can be redone once undone (Ctrl+Shift+Z or
Ctrl+Y); a new step forgets what could be redone, as in every editor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from photoclip.ui.controller import LibraryController

LIMIT = 50
"""Steps remembered; the oldest are forgotten first."""


@dataclass(frozen=True)
class UndoStep:
    """One change that can be reversed.

    Attributes:
        text: what was done, as the menu says it after "Undo" ("Move 3 photos to the trash").
        undo: reverses it; runs off the GUI thread (an engine call) and returns its report.
        said: what to tell the person once undone, from that report (None: "Undid <text>").
        redo: does it again after an undo (off the GUI thread, like `undo`); None: it cannot be redone.
    """

    text: str
    undo: Callable[[], Any]
    said: Callable[[Any], str] | None = None
    redo: Callable[[], Any] | None = None


class UndoStack(QObject):
    """The app's undo steps, newest last (see the module docstring)."""

    changed = Signal()  # what can be undone or redone changed
    undone = Signal(str)  # a step was undone or redone: what to tell the person

    def __init__(self, controller: LibraryController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._steps: list[UndoStep] = []
        self._redo: list[UndoStep] = []  # undone steps that can be done again, newest last
        self._running = False

    def push(self, step: UndoStep) -> None:
        self._steps.append(step)
        del self._steps[:-LIMIT]
        self._redo.clear()
        self.changed.emit()

    def can_undo(self) -> bool:
        return bool(self._steps) and not self._running

    def undo_text(self) -> str:
        return f"Undo {self._steps[-1].text[0].lower()}{self._steps[-1].text[1:]}" if self._steps else "Undo"

    def undo(self) -> None:
        """Reverse the newest step (one at a time: a second Ctrl+Z waits for the first to finish)."""
        if not self.can_undo():
            return
        step = self._steps.pop()
        self._running = True
        self.changed.emit()

        def done(report: Any) -> None:
            self._running = False
            if step.redo is not None:
                self._redo.append(step)
            self.changed.emit()
            self.undone.emit(step.said(report) if step.said is not None else f"Undid: {step.text}")

        def failed(error: BaseException) -> None:
            from photoclip.ui.controller import user_message

            self._running = False
            self.changed.emit()
            self.undone.emit(f"Could not undo “{step.text}”: {user_message(error)}")

        self.controller.runner.write(step.undo, done, failed)

    def can_redo(self) -> bool:
        return bool(self._redo) and not self._running

    def redo_text(self) -> str:
        return f"Redo {self._redo[-1].text[0].lower()}{self._redo[-1].text[1:]}" if self._redo else "Redo"

    def redo(self) -> None:
        """Do the newest undone step again; it can then be undone again."""
        if not self.can_redo():
            return
        step = self._redo.pop()
        assert step.redo is not None
        self._running = True
        self.changed.emit()

        def done(_report: Any) -> None:
            self._running = False
            self._steps.append(step)
            self.changed.emit()
            self.undone.emit(f"Redid: {step.text}")

        def failed(error: BaseException) -> None:
            from photoclip.ui.controller import user_message

            self._running = False
            self.changed.emit()
            self.undone.emit(f"Could not redo “{step.text}”: {user_message(error)}")

        self.controller.runner.write(step.redo, done, failed)

    def clear(self) -> None:
        """Forget every step (another library was opened: its steps mean nothing there)."""
        self._steps.clear()
        self._redo.clear()
        self.changed.emit()

    def action(self, parent: QObject) -> QAction:
        """The Edit menu's entry: its words follow the newest step; Ctrl+Z (the platform's Undo key)."""
        action = QAction(self.undo_text(), parent)
        action.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        action.setEnabled(self.can_undo())
        action.triggered.connect(lambda _checked=False: self.undo())

        def update() -> None:
            action.setText(self.undo_text())
            action.setEnabled(self.can_undo())

        self.changed.connect(update)
        return action

    def redo_action(self, parent: QObject) -> QAction:
        """The Edit menu's "Redo": Ctrl+Shift+Z and Ctrl+Y (both, whatever the platform's own)."""
        action = QAction(self.redo_text(), parent)
        action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        action.setEnabled(self.can_redo())
        action.triggered.connect(lambda _checked=False: self.redo())

        def update() -> None:
            action.setText(self.redo_text())
            action.setEnabled(self.can_redo())

        self.changed.connect(update)
        return action
