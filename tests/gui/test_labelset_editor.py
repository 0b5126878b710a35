"""The label set editor driven as a person would: type, click, save, reopen the library."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import COLOURS, SHAPES  # tests/gui is on sys.path (no __init__.py there)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog, QInputDialog, QMessageBox, QWidget

from photoclip.core import LabelSet, PhotoFilter
from photoclip.ui.controller import MODEL_READY, LibraryController
from photoclip.ui.labelset_editor import NAME, PARENT, PROMPTS, LabelSetEditor

COLOURS_SET = "Colours (demo)"


@pytest.fixture(autouse=True)
def discard_when_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Editors left with unsaved changes ask when closed at teardown: answer instead of blocking."""
    answer(monkeypatch, QMessageBox.StandardButton.Discard)


def on_pool(qtbot: Any, controller: LibraryController, fn: Callable[[], Any]) -> Any:
    """Run a library call the way the app does (read pool) and wait for its result."""
    box: list[Any] = []
    controller.read(fn, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=30_000)
    return box[0]


def write(qtbot: Any, controller: LibraryController, fn: Callable[[], Any]) -> Any:
    box: list[Any] = []
    controller.write(fn, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=30_000)
    return box[0]


def open_editor(qtbot: Any, controller: LibraryController, select: str | None = None) -> LabelSetEditor:
    editor = LabelSetEditor(controller, select=select)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitUntil(lambda: editor.set_list.count() > 0 and editor.name_edit.text() != "", timeout=10_000)
    if select is not None:
        qtbot.waitUntil(lambda: editor.name_edit.text() == select)
    return editor


def type_into_cell(qtbot: Any, editor: LabelSetEditor, row: int, column: int, text: str) -> None:
    """Double-click-style editing: open the cell's editor, replace its text, press Enter."""
    table = editor.table
    item = table.item(row, column)
    assert item is not None
    table.setCurrentCell(row, column)
    table.editItem(item)
    qtbot.waitUntil(lambda: isinstance(table.focusWidget(), QWidget) and table.focusWidget() is not table)
    field = table.focusWidget()
    field.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: item.text() == text)


def add_label(qtbot: Any, editor: LabelSetEditor, name: str) -> int:
    editor.add_label_button.click()
    row = editor.table.rowCount() - 1
    qtbot.waitUntil(lambda: editor.table.focusWidget() is not editor.table)
    field = editor.table.focusWidget()
    qtbot.keyClicks(field, name)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: editor.table.item(row, NAME).text() == name)  # type: ignore[union-attr]
    return row


def choose_parent(editor: LabelSetEditor, row: int, parent: str) -> None:
    combo = editor.table.cellWidget(row, PARENT)
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findText(parent))


def set_field(qtbot: Any, widget: Any, text: str) -> None:
    widget.clear()
    qtbot.keyClicks(widget, text)


def answer(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> list[str]:
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def is_red(path: Path) -> bool:
    """conftest's photos cycle through (colour, shape) combos in order: IMG_0001 is combo 0."""
    index = int(path.stem.split("_")[1]) - 1
    colour: str = COLOURS[(index % (len(COLOURS) * len(SHAPES))) // len(SHAPES)]
    return colour == "red"


def test_new_label_set_persists_across_restart(qtbot: Any, controller: LibraryController) -> None:
    editor = open_editor(qtbot, controller)
    editor.new_button.click()
    assert editor.has_unsaved_changes()
    set_field(qtbot, editor.name_edit, "Things")
    set_field(qtbot, editor.description_edit, "Red and blue things")
    editor.exclusive_button.click()
    add_label(qtbot, editor, "red thing")
    blue = add_label(qtbot, editor, "blue thing")
    type_into_cell(qtbot, editor, blue, PROMPTS, "a blue thing; something blue")
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        editor.save_button.click()
    assert not editor.has_unsaved_changes()
    qtbot.waitUntil(lambda: editor.set_list.currentItem() is not None)
    assert editor.set_list.currentItem().text() == "Things"

    library_dir = controller.library.directory
    controller.close()
    reopened = LibraryController(library_dir, watch=False)
    with qtbot.waitSignal(reopened.opened, timeout=30_000):
        reopened.open()
    try:
        saved = on_pool(qtbot, reopened, lambda: reopened.library.tags.label_set("Things"))
        assert [label.name for label in saved.labels] == ["red thing", "blue thing"]
        assert saved.labels[1].prompts == ("a blue thing", "something blue")
        assert saved.exclusive and saved.description == "Red and blue things" and not saved.builtin
        again = open_editor(qtbot, reopened, select="Things")
        assert again.table.rowCount() == 2 and not again.has_unsaved_changes()
    finally:
        qtbot.waitUntil(lambda: reopened.state == MODEL_READY, timeout=60_000)
        reopened.close()


def test_renamed_label_keeps_its_tags(qtbot: Any, controller: LibraryController) -> None:
    library = controller.library
    photo_ids = on_pool(qtbot, controller, lambda: library.searcher.browse_ids(PhotoFilter()))[:3]
    write(qtbot, controller, lambda: library.tags.accept(photo_ids, COLOURS_SET, "red"))
    editor = open_editor(qtbot, controller, select=COLOURS_SET)
    assert "built-in" in editor.builtin_note.text().lower()
    row = next(r for r in range(editor.table.rowCount()) if editor.table.item(r, NAME).text() == "red")  # type: ignore[union-attr]
    type_into_cell(qtbot, editor, row, NAME, "crimson")
    assert editor.has_unsaved_changes()
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        editor.save_button.click()

    tags = on_pool(qtbot, controller, lambda: library.tags.tags_of(photo_ids))
    for pid in photo_ids:
        names = {(t.label_set, t.label, t.status) for t in tags[pid]}
        assert (COLOURS_SET, "crimson", "accepted") in names
    saved = on_pool(qtbot, controller, lambda: library.tags.label_set(COLOURS_SET))
    assert "crimson" in [label.name for label in saved.labels] and "red" not in [lb.name for lb in saved.labels]
    assert saved.builtin  # edits keep a built-in set built-in


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ("duplicate", "appears twice"),
        ("template", "has no {label}"),
        ("cycle", "circle"),
        ("threshold", "between 0 and 1"),
    ],
)
def test_invalid_input_shows_why_and_saves_nothing(
    qtbot: Any, controller: LibraryController, mistake: str, message: str
) -> None:
    editor = open_editor(qtbot, controller)
    editor.new_button.click()
    set_field(qtbot, editor.name_edit, "Broken")
    first = add_label(qtbot, editor, "cat")
    second = add_label(qtbot, editor, "dog" if mistake != "duplicate" else "cat")
    if mistake == "template":
        qtbot.keyClicks(editor.templates_edit, "a photo of a {label}.")
        qtbot.keyClick(editor.templates_edit, Qt.Key.Key_Return)
        qtbot.keyClicks(editor.templates_edit, "a photo of my pet")
    elif mistake == "cycle":
        choose_parent(editor, first, "dog")
        choose_parent(editor, second, "cat")
    elif mistake == "threshold":
        set_field(qtbot, editor.threshold_edit, "1.5")
    editor.save_button.click()
    assert message in editor.message.text()
    assert editor.has_unsaved_changes()
    names = on_pool(qtbot, controller, lambda: [s.name for s in controller.library.tags.label_sets()])
    assert "Broken" not in names


def test_export_and_import_round_trip(
    qtbot: Any, controller: LibraryController, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_editor(qtbot, controller, select=COLOURS_SET)
    exported = tmp_path / "colours.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(exported), "")))
    editor.export_button.click()
    qtbot.waitUntil(lambda: "Exported" in editor.message.text(), timeout=10_000)
    original: LabelSet = on_pool(qtbot, controller, lambda: controller.library.tags.label_set(COLOURS_SET))
    assert json.loads(exported.read_text(encoding="utf-8")) == original.to_json()

    # The name is taken: "No" imports it beside the original under a new name.
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(exported), "")))
    asked = answer(monkeypatch, QMessageBox.StandardButton.No)
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        editor.import_button.click()
    assert asked and "already exists" in asked[0]
    copy_name = f"{COLOURS_SET} (2)"
    imported = on_pool(qtbot, controller, lambda: controller.library.tags.label_set(copy_name))
    assert imported.to_json() == {**original.to_json(), "name": copy_name}
    assert editor.name_edit.text() == copy_name and not editor.has_unsaved_changes()
    qtbot.waitUntil(  # the list is read again off the GUI thread
        lambda: copy_name in [editor.set_list.item(i).text() for i in range(editor.set_list.count())]
    )


def test_unsaved_changes_are_asked_about_when_switching_and_closing(
    qtbot: Any, controller: LibraryController, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_editor(qtbot, controller, select=COLOURS_SET)
    set_field(qtbot, editor.description_edit, "changed")
    asked = answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    other = next(i for i in range(editor.set_list.count()) if editor.set_list.item(i).text().startswith("Shapes"))
    editor.set_list.setCurrentRow(other)
    assert asked and editor.name_edit.text() == COLOURS_SET
    assert editor.set_list.currentItem().text().startswith(COLOURS_SET)
    editor.close()
    assert editor.isVisible() and len(asked) == 2

    answer(monkeypatch, QMessageBox.StandardButton.Discard)
    editor.set_list.setCurrentRow(other)
    assert editor.name_edit.text().startswith("Shapes") and not editor.has_unsaved_changes()
    saved = on_pool(qtbot, controller, lambda: controller.library.tags.label_set(COLOURS_SET))
    assert saved.description != "changed"
    editor.close()
    assert not editor.isVisible()


def test_rename_and_delete_a_set(qtbot: Any, controller: LibraryController, monkeypatch: pytest.MonkeyPatch) -> None:
    editor = open_editor(qtbot, controller, select=COLOURS_SET)
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Colours", True)))
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        editor.rename_button.click()
    names = on_pool(qtbot, controller, lambda: [s.name for s in controller.library.tags.label_sets()])
    assert "Colours" in names and COLOURS_SET not in names

    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    editor.delete_button.click()
    qtbot.waitUntil(lambda: "Deleted" in editor.message.text(), timeout=10_000)
    names = on_pool(qtbot, controller, lambda: [s.name for s in controller.library.tags.label_sets()])
    assert "Colours" not in names
    qtbot.waitUntil(lambda: editor.name_edit.text() in names)


def test_test_this_label_shows_red_shapes_first(qtbot: Any, controller: LibraryController) -> None:
    editor = open_editor(qtbot, controller, select=COLOURS_SET)
    row = next(r for r in range(editor.table.rowCount()) if editor.table.item(r, NAME).text() == "red")  # type: ignore[union-attr]
    editor.table.selectRow(row)
    with qtbot.waitSignal(editor.test_finished, timeout=30_000):
        editor.test_button.click()
    model = editor.test_model
    assert model.rowCount() == 24
    scores = [model.score(r) for r in range(model.rowCount())]
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    assert editor.test_grid.delegate.show_scores
    photos = on_pool(qtbot, controller, lambda: controller.library.catalog.photos(model.ids))
    reds = [is_red(photos[pid].path) for pid in model.ids]
    assert all(reds[:20]), reds  # all 20 red photos come first

    # Unsaved edits are what gets tested: give "red" prompts about blue and the ranking follows them.
    type_into_cell(qtbot, editor, row, PROMPTS, "a blue shape; something blue")
    editor.table.selectRow(row)
    with qtbot.waitSignal(editor.test_finished, timeout=30_000):
        editor.test_button.click()
    photos = on_pool(qtbot, controller, lambda: controller.library.catalog.photos(model.ids))
    assert not any(is_red(photos[pid].path) for pid in model.ids[:10])
    QApplication.processEvents()
