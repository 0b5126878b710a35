"""The label set editor: create and edit the label sets auto-tagging uses, and try a label out before saving.

Everything the dialog shows comes from the controller's read pool and every
change goes through its write pool, so the GUI thread never touches the catalog.
The form is checked with `core.parse_label_set` (the same rules as an
imported JSON file) plus the checks only an editor needs (template lines,
parent cycles, name clashes), and saving keeps the tags of renamed labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from photoclip.core import (
    DEFAULT_TEMPLATES,
    DEFAULT_THRESHOLD,
    LabelSet,
    LibraryError,
    PhotoclipError,
    SearchResult,
    counted,
    load_label_set_file,
    parse_label_set,
    write_json_atomic,
)
from photoclip.ui.controller import MODEL_LOADING, MODEL_READY, LibraryController, user_message
from photoclip.ui.grid import PhotoGrid, PhotoGridModel
from photoclip.ui.thumbnails import ThumbnailLoader
from photoclip.ui.widgets import make_button

NAME, PROMPTS, PARENT, THRESHOLD = range(4)
ORIGINAL_ROLE = Qt.ItemDataRole.UserRole + 1  # the label's name in the catalog (None: added here)
KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # a row's identity: parents point at rows, so renames carry over
SET_NAME_ROLE = Qt.ItemDataRole.UserRole + 3

TEST_LIMIT = 24
TEST_THUMBNAIL = 96

CLIP_HINT = (
    "CLIP matches pictures to words it learnt from captions on the web, so it has blind spots. "
    "Words with several meanings (a “boxer” is a dog and an athlete) need prompts that say which one, "
    "e.g. “a photo of a boxer, a type of dog”. Fine-grained classes (bird species, car models) are often "
    "confused; counting (“three dogs”) and reading text in photos are unreliable. Prompts separated by “;” "
    "replace the templates for that label."
)

_ERROR_COLOUR = "#d32f2f"


class LabelSetEditor(QDialog):
    """Edits the library's label sets; see the module docstring for the rules it follows.

    Args:
        select: the label set to show first (default: the first one).
    """

    saved = Signal(str)  # the name of a set just written to the catalog
    test_finished = Signal(str)  # the label whose best matches are now shown

    def __init__(self, controller: LibraryController, parent: QWidget | None = None, select: str | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Label sets")
        self.setAccessibleName("Label set editor")
        self.resize(1280, 760)
        self._sets: dict[str, LabelSet] = {}
        self._original: LabelSet | None = None  # the saved set the form edits; None for a new one
        self._is_new = False
        self._loaded = False
        self._clean: object = None
        self._loading = False
        self._next_key = 0
        self._list_request = controller.latest()
        self._test_request = controller.latest()
        self._tested_label: str | None = None
        self._saving = False
        self._build_ui()
        controller.label_sets_changed.connect(self._reload_sets)
        controller.error.connect(self._on_controller_error)
        self._reload_sets(select=select, load=True)

    # -- layout -------------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_set_list())
        splitter.addWidget(self._build_form())
        splitter.addWidget(self._build_test_panel())
        splitter.setSizes([240, 620, 420])

        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.save_button = make_button("&Save", "Save label set", self._save_clicked)
        self.save_button.setDefault(True)
        self.close_button = make_button("Close", "Close the label set editor", self.close)
        self.close_button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        # A fixed minimum instead of one that follows the contents: messages and notes appearing
        # would otherwise resize the window's limits while it is shown.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.setMinimumSize(860, 560)

    def _build_set_list(self) -> QWidget:
        panel = QWidget(self)
        self.set_list = QListWidget(panel)
        self.set_list.setAccessibleName("Label sets")
        # Long names end in "…" rather than a scroll bar under a list that only scrolls sideways.
        self.set_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.set_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.set_list.currentItemChanged.connect(self._set_chosen)
        self.new_button = make_button("&New", "New label set", self._new_set)
        self.duplicate_button = make_button("D&uplicate", "Duplicate label set", self._duplicate_set)
        self.rename_button = make_button("&Rename…", "Rename label set", self._rename_set)
        self.delete_button = make_button("&Delete…", "Delete label set", self._delete_set)
        self.import_button = make_button("&Import JSON…", "Import a label set from a JSON file", self._import_set)
        self.export_button = make_button("&Export JSON…", "Export the label set to a JSON file", self._export_set)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.set_list, 1)
        for row in (
            (self.new_button, self.duplicate_button),
            (self.rename_button, self.delete_button),
            (self.import_button, self.export_button),
        ):
            line = QHBoxLayout()
            for button in row:
                line.addWidget(button)
            layout.addLayout(line)
        return panel

    def _build_form(self) -> QWidget:
        panel = QWidget(self)
        self.builtin_note = QLabel(panel)
        self.builtin_note.setWordWrap(True)
        self.name_edit = _line_edit("Label set name", "e.g. Pets")
        self.description_edit = _line_edit("Description", "What the set is for (optional)")
        self.exclusive_button = QRadioButton("Exclusive: one label per photo", panel)
        self.exclusive_button.setAccessibleName("Exclusive: one label per photo")
        self.multi_button = QRadioButton("Multi-label: any number of labels per photo", panel)
        self.multi_button.setAccessibleName("Multi-label: any number of labels per photo")
        self._kind = QButtonGroup(panel)
        self._kind.addButton(self.exclusive_button)
        self._kind.addButton(self.multi_button)
        self.multi_button.setChecked(True)
        self.threshold_edit = _line_edit("Set threshold", f"{DEFAULT_THRESHOLD:.2f} (default)")
        self.threshold_edit.setToolTip(
            "Confidence (0 to 1) a label needs before it is suggested; labels can override it."
        )
        self.templates_edit = QPlainTextEdit(panel)
        self.templates_edit.setAccessibleName("Templates")
        self.templates_edit.setPlaceholderText(
            "One per line, with {label}. Empty: the defaults, e.g.\n" + DEFAULT_TEMPLATES[0]
        )
        self.templates_edit.setToolTip("Prompts for labels without their own; {label} becomes the label's name.")
        self.background_edit = QPlainTextEdit(panel)
        self.background_edit.setAccessibleName("Background prompts")
        self.background_edit.setPlaceholderText("One per line, e.g. a photo.")
        self.background_edit.setToolTip(
            "Multi-label sets: what a photo with none of these labels looks like; a label must beat them."
        )
        for edit in (self.templates_edit, self.background_edit):
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 4 + 12)

        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("Descri&ption:", self.description_edit)
        kinds = QVBoxLayout()
        kinds.addWidget(self.exclusive_button)
        kinds.addWidget(self.multi_button)
        form.addRow("Kind:", kinds)
        form.addRow("&Threshold:", self.threshold_edit)
        form.addRow("Te&mplates:", self.templates_edit)
        form.addRow("&Background:", self.background_edit)

        self.table = QTableWidget(0, 4, panel)
        self.table.setAccessibleName("Labels")
        self.table.setHorizontalHeaderLabels(["Label", "Prompts (separated by ;)", "Parent", "Threshold"])
        for column, tip in (
            (PROMPTS, "Empty: the set's templates filled with the label's name."),
            (PARENT, "Labels form a tree: a photo tagged 'dog' is written as animals|dog in keywords."),
            (THRESHOLD, "Empty: the set's threshold."),
        ):
            header_item = self.table.horizontalHeaderItem(column)
            if header_item is not None:
                header_item.setToolTip(tip)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(PROMPTS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(PARENT, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(THRESHOLD, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(NAME, 140)
        self.table.setColumnWidth(PARENT, 120)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.itemChanged.connect(self._cell_edited)
        self.table.currentCellChanged.connect(self._label_row_changed)
        self.add_label_button = make_button("&Add label", "Add label", self._add_label)
        self.remove_label_button = make_button("Remo&ve label", "Remove label", self._remove_label)
        label_buttons = QHBoxLayout()
        label_buttons.addWidget(self.add_label_button)
        label_buttons.addWidget(self.remove_label_button)
        label_buttons.addStretch(1)

        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.builtin_note)
        layout.addLayout(form)
        layout.addWidget(QLabel("Labels:", panel))
        layout.addWidget(self.table, 1)
        layout.addLayout(label_buttons)

        for line in (self.name_edit, self.description_edit, self.threshold_edit):
            line.textChanged.connect(self._form_edited)
        for text in (self.templates_edit, self.background_edit):
            text.textChanged.connect(self._form_edited)
        self.exclusive_button.toggled.connect(self._form_edited)
        return panel

    def _build_test_panel(self) -> QWidget:
        box = QGroupBox("Test this label", self)
        box.setAccessibleName("Test this label")
        hint = QLabel(CLIP_HINT, box)
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.test_button = make_button(
            "Show &best matches", "Show the best matches for the selected label", self._test_label
        )
        self.test_button.setAutoDefault(False)
        self.test_caption = QLabel("Select a label in the table, then show the photos it matches best.", box)
        self.test_caption.setWordWrap(True)
        self.test_caption.setAccessibleName("Test result")
        self.test_loader = ThumbnailLoader(self.controller.runner, self.controller.thumbnails, self)
        self.test_model = PhotoGridModel(self.controller, self.test_loader, self)
        self.test_grid = PhotoGrid(self.test_model, box)
        self.test_grid.setAccessibleName("Best matches for the label")
        self.test_grid.set_thumbnail_size(TEST_THUMBNAIL)
        self.test_grid.delegate.show_scores = True
        self.test_grid.setDragEnabled(False)
        self._test_timer = QTimer(self)
        self._test_timer.setSingleShot(True)
        self._test_timer.setInterval(300)
        self._test_timer.timeout.connect(self._test_label)
        layout = QVBoxLayout(box)
        layout.addWidget(hint)
        layout.addWidget(self.test_button)
        layout.addWidget(self.test_caption)
        layout.addWidget(self.test_grid, 1)
        return box

    # -- the list of sets ---------------------------------------------------------------------------

    def _reload_sets(self, select: str | None = None, load: bool = False, message: str = "") -> None:
        """Refresh the list from the catalog; `load` shows `select` (or the current set) in the form."""
        library = self.controller.library
        if library is None:
            return

        def done(sets: list[LabelSet]) -> None:
            self._sets_loaded(sets, select, load)
            if message:
                self._show_message(message)

        self._list_request.submit(library.tags.label_sets, done)

    def _sets_loaded(self, sets: list[LabelSet], select: str | None, load: bool) -> None:  # noqa: C901 - which set to show after a reload: each case is one line
        self._sets = {s.name: s for s in sets}
        dirty = self._dirty()
        original = self._original
        if original is not None and original.name not in self._sets and not self._is_new:
            if dirty:  # deleted elsewhere while edited here: what is in the form becomes a new set
                self._original, self._is_new = None, True
            else:  # deleted elsewhere (another window, the command line, or this one just now): show another
                self._original = original = None
        target = None
        if select is not None and (match := self._find(select)) is not None:
            target = match.name
        elif self._original is not None and not self._is_new:
            target = self._original.name
        elif not self._is_new and sets:
            target = sets[0].name
        with QSignalBlocker(self.set_list):
            self.set_list.clear()
            for label_set in sets:
                text = f"{label_set.name}  (built-in)" if label_set.builtin else label_set.name
                item = QListWidgetItem(text, self.set_list)
                item.setData(SET_NAME_ROLE, label_set.name)
                item.setToolTip(label_set.description or label_set.name)
                if label_set.name == target:
                    self.set_list.setCurrentItem(item)
        if target is None:
            if not self._loaded:
                self._start_new(LabelSet(self._unique_name("New label set"), ()))
            self._update_actions()
            return
        fresh = self._sets[target]
        changed_elsewhere = original is None or original.name != target or fresh != original
        if (load and not dirty) or not self._loaded or (changed_elsewhere and not dirty):
            self._load_set(fresh)
        self._update_actions()

    def _find(self, name: str) -> LabelSet | None:
        for label_set in self._sets.values():
            if label_set.name.casefold() == name.strip().casefold():
                return label_set
        return None

    def _set_chosen(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if current is None:
            return
        name = str(current.data(SET_NAME_ROLE))
        if self._original is not None and not self._is_new and name == self._original.name:
            return

        def go() -> None:
            if name in self._sets:
                self._load_set(self._sets[name])
                self._select_in_list(name)

        def stay() -> None:
            self._select_in_list(self._original.name if self._original is not None and not self._is_new else None)

        self._confirm_leave(go, stay)

    def _select_in_list(self, name: str | None) -> None:
        with QSignalBlocker(self.set_list):
            self.set_list.setCurrentRow(-1)
            for row in range(self.set_list.count()):
                item = self.set_list.item(row)
                if item.data(SET_NAME_ROLE) == name:
                    self.set_list.setCurrentItem(item)

    def _unique_name(self, base: str) -> str:
        taken = {n.casefold() for n in self._sets}
        name, n = base, 2
        while name.casefold() in taken:
            name, n = f"{base} ({n})", n + 1
        return name

    # -- the form -----------------------------------------------------------------------------------

    def _load_set(self, label_set: LabelSet, *, new: bool = False) -> None:
        self._loading = True
        try:
            self.name_edit.setText(label_set.name)
            self.description_edit.setText(label_set.description)
            (self.exclusive_button if label_set.exclusive else self.multi_button).setChecked(True)
            self.threshold_edit.setText(_number(label_set.threshold))
            self.templates_edit.setPlainText("\n".join(label_set.templates))
            self.background_edit.setPlainText("\n".join(label_set.background))
            self.table.setRowCount(0)
            keys: dict[str, int] = {}
            for label in label_set.labels:
                keys[label.name] = self._append_row(
                    label.name, "; ".join(label.prompts), _number(label.threshold), None if new else label.name
                )
            parents = {keys[label.name]: keys.get(label.parent or "") for label in label_set.labels}
            self._refresh_parent_combos(parents)
        finally:
            self._loading = False
        self._original = None if new else label_set
        self._is_new = new
        self._loaded = True
        self._clean = self._form_state()
        self._tested_label = None
        self._test_request.invalidate()
        self.test_model.set_photos([])
        self.test_caption.setText("Select a label in the table, then show the photos it matches best.")
        self._show_message("")
        self._update_actions()

    def _start_new(self, label_set: LabelSet) -> None:
        self._load_set(label_set, new=True)
        self._select_in_list(None)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _append_row(self, name: str, prompts: str, threshold: str, original: str | None) -> int:
        key = self._next_key
        self._next_key += 1
        row = self.table.rowCount()
        with QSignalBlocker(self.table):
            self.table.insertRow(row)
            name_item = QTableWidgetItem(name)
            name_item.setData(ORIGINAL_ROLE, original)
            name_item.setData(KEY_ROLE, key)
            self.table.setItem(row, NAME, name_item)
            self.table.setItem(row, PROMPTS, QTableWidgetItem(prompts))
            threshold_item = QTableWidgetItem(threshold)
            threshold_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, THRESHOLD, threshold_item)
            combo = QComboBox(self.table)
            combo.setAccessibleName("Parent label")
            combo.currentIndexChanged.connect(self._form_edited)
            self.table.setCellWidget(row, PARENT, combo)
        return key

    def _cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.table.item(row, column)
        assert item is not None  # every row gets its items in _append_row
        return item

    def _row_key(self, row: int) -> int:
        return int(self._cell(row, NAME).data(KEY_ROLE))

    def _parent_combo(self, row: int) -> QComboBox:
        combo = self.table.cellWidget(row, PARENT)
        assert isinstance(combo, QComboBox)
        return combo

    def _refresh_parent_combos(self, chosen: dict[int, int | None] | None = None) -> None:
        """Offer every other label as a parent, keeping each row's choice (by row, so renames carry over)."""
        rows = [(self._row_key(r), self._cell(r, NAME).text().strip()) for r in range(self.table.rowCount())]
        for row, (key, _name) in enumerate(rows):
            combo = self._parent_combo(row)
            wanted = chosen.get(key) if chosen is not None else combo.currentData()
            with QSignalBlocker(combo):
                combo.clear()
                combo.addItem("(none)", None)
                for other_key, other_name in rows:
                    if other_key != key:
                        combo.addItem(other_name or "(unnamed)", other_key)
                index = combo.findData(wanted) if wanted is not None else 0
                combo.setCurrentIndex(max(0, index))

    def _cell_edited(self, item: QTableWidgetItem) -> None:
        if item.column() == NAME:
            self._refresh_parent_combos()
        self._form_edited()

    def _add_label(self) -> None:
        self._append_row("", "", "", None)
        self._refresh_parent_combos()
        row = self.table.rowCount() - 1
        self.table.setCurrentCell(row, NAME)
        self.table.editItem(self._cell(row, NAME))
        self._form_edited()

    def _remove_label(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            self._show_message("Select the label to remove in the table first.", error=True)
            return
        self.table.removeRow(row)
        self._refresh_parent_combos()
        self._form_edited()

    def _form_state(self) -> object:
        """Everything the form holds, as typed: what 'unsaved changes' compares."""
        rows = tuple(
            (
                self._cell(r, NAME).text(),
                self._cell(r, PROMPTS).text(),
                self._parent_combo(r).currentData(),
                self._cell(r, THRESHOLD).text(),
                self._cell(r, NAME).data(ORIGINAL_ROLE),
            )
            for r in range(self.table.rowCount())
        )
        return (
            self.name_edit.text(),
            self.description_edit.text(),
            self.exclusive_button.isChecked(),
            self.threshold_edit.text(),
            self.templates_edit.toPlainText(),
            self.background_edit.toPlainText(),
            rows,
        )

    def _dirty(self) -> bool:
        return self._loaded and (self._is_new or self._form_state() != self._clean)

    def has_unsaved_changes(self) -> bool:
        return self._dirty()

    def _form_edited(self, *_args: object) -> None:
        if self._loading:
            return
        self._update_actions()

    def _update_actions(self) -> None:
        dirty = self._dirty()
        saved = self._original is not None and not self._is_new
        self.background_edit.setEnabled(not self.exclusive_button.isChecked())
        self.save_button.setEnabled(dirty and not self._saving)
        self.rename_button.setEnabled(saved and not self._saving)
        self.delete_button.setEnabled(self._loaded and not self._saving)
        self.duplicate_button.setEnabled(saved)
        self.remove_label_button.setEnabled(self.table.rowCount() > 0)
        name = self.name_edit.text().strip() or "untitled"
        state = " (new, not saved)" if self._is_new else (" — unsaved changes" if dirty else "")
        self.setWindowTitle(f"Label sets — {name}{state}")
        if self._original is not None and self._original.builtin and not self._is_new:
            self.builtin_note.setText(
                "Built-in set, shipped with photoclip. You can edit it; your edits are kept. "
                "Use Duplicate to keep the original and edit a copy."
            )
            self.builtin_note.show()
        else:
            self.builtin_note.hide()

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {_ERROR_COLOUR};" if error else "")

    # -- checking and building ----------------------------------------------------------------------

    def current_label_set(self) -> tuple[LabelSet, dict[str, str]]:  # noqa: C901 - reads the form field by field, each with its own message
        """The set as the form describes it and the label renames since it was loaded.

        Raises LibraryError with a message for the person when the form is not a valid set.
        """
        name = self.name_edit.text().strip()
        if not name:
            raise LibraryError("The label set needs a name.")
        clash = self._find(name)
        if clash is not None and (self._is_new or self._original is None or clash.name != self._original.name):
            raise LibraryError(f"A label set named “{clash.name}” already exists: choose another name.")
        templates = _lines(self.templates_edit.toPlainText())
        background = [] if self.exclusive_button.isChecked() else _lines(self.background_edit.toPlainText())
        rows = range(self.table.rowCount())
        names_by_key = {self._row_key(r): self._cell(r, NAME).text().strip() for r in rows}
        labels: list[dict[str, Any]] = []
        renames: dict[str, str] = {}
        for row in rows:
            label_name = self._cell(row, NAME).text().strip()
            if not label_name:
                raise LibraryError(f"Label {row + 1} in the table needs a name.")
            entry: dict[str, Any] = {"name": label_name}
            prompts = [p.strip() for p in self._cell(row, PROMPTS).text().split(";") if p.strip()]
            if prompts:
                entry["prompts"] = prompts
            parent_key = self._parent_combo(row).currentData()
            if parent_key is not None:
                entry["parent"] = names_by_key[int(parent_key)]
            threshold = _parse_threshold(self._cell(row, THRESHOLD).text(), f"The threshold of “{label_name}”")
            if threshold is not None:
                entry["threshold"] = threshold
            labels.append(entry)
            original = self._cell(row, NAME).data(ORIGINAL_ROLE)
            if original and original != label_name:
                renames[str(original)] = label_name
        if not labels:
            raise LibraryError("Add at least one label (Add label, below the table).")
        data: dict[str, Any] = {
            "name": name,
            "description": self.description_edit.text().strip(),
            "exclusive": self.exclusive_button.isChecked(),
            "templates": templates,
            "background": background,
            "labels": labels,
        }
        threshold = _parse_threshold(self.threshold_edit.text(), "The set's threshold")
        if threshold is not None:
            data["threshold"] = threshold
        label_set = parse_label_set(data, source=f"Label set “{name}”")
        if self._original is not None and not self._is_new:
            label_set = replace(label_set, builtin=self._original.builtin, id=self._original.id)
        return label_set, renames

    # -- saving -------------------------------------------------------------------------------------

    def _save_clicked(self) -> None:
        self.save()  # a refused form explains itself in the message line

    def save(self, then: Callable[[], None] | None = None) -> bool:
        """Write the form to the catalog (write pool); False when the form is invalid and nothing was saved."""
        library = self.controller.library
        if library is None:
            self._show_message("The library is not open.", error=True)
            return False
        try:
            label_set, renames = self.current_label_set()
        except LibraryError as e:
            self._show_message(str(e), error=True)
            return False
        old_name = self._original.name if self._original is not None and not self._is_new else None
        store = library.tags

        def work() -> LabelSet | PhotoclipError:
            try:
                if old_name is not None and old_name != label_set.name:
                    store.rename_label_set(old_name, label_set.name)
                return store.save_label_set(label_set, renames=renames).value
            except PhotoclipError as e:
                return e

        def done(result: LabelSet | PhotoclipError) -> None:
            self._saving = False
            if isinstance(result, PhotoclipError):
                self._show_message(user_message(result), error=True)
                self._update_actions()
                return
            self._sets.pop(old_name or "", None)
            self._sets[result.name] = result
            self._load_set(result)
            self._select_in_list(result.name)
            self._show_message(f"Saved “{result.name}”.")
            self.saved.emit(result.name)
            if then is not None:
                then()

        self._saving = True
        self._update_actions()
        self._show_message("Saving…")
        self.controller.write(work, done)
        return True

    def _on_controller_error(self, message: str) -> None:
        if self._saving:  # a bug in the save itself (our own errors come back through `done`)
            self._saving = False
            self._show_message(message, error=True)
            self._update_actions()

    def _confirm_leave(self, then: Callable[[], None], stay: Callable[[], None] | None = None) -> None:
        """Run `then` once the form's changes are saved or knowingly dropped; `stay` if the person cancels."""
        if not self._dirty():
            then()
            return
        name = self.name_edit.text().strip() or "the new label set"
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save your changes to “{name}”?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            if not self.save(then) and stay is not None:
                stay()
        elif answer == QMessageBox.StandardButton.Discard:
            then()
        elif stay is not None:
            stay()

    def reject(self) -> None:
        """Closing (Esc, the Close button, the window's close box) asks about unsaved changes first."""
        if self._saving:
            return
        self._confirm_leave(self._close_now)

    def _close_now(self) -> None:
        self._clean = self._form_state()
        self._is_new = False
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt's name
        self.reject()
        if self.isVisible():
            event.ignore()

    # -- set actions --------------------------------------------------------------------------------

    def _new_set(self) -> None:
        self._confirm_leave(lambda: self._start_new(LabelSet(self._unique_name("New label set"), ())))

    def _duplicate_set(self) -> None:
        if self._original is None or self._is_new:
            return
        name = self._original.name

        def go() -> None:
            source = self._sets.get(name, self._original)
            assert source is not None
            copy = replace(source, name=self._unique_name(f"{source.name} copy"), builtin=False, id=None)
            self._start_new(copy)

        self._confirm_leave(go)

    def _rename_set(self) -> None:
        if self._original is None or self._is_new:
            return
        new, ok = QInputDialog.getText(
            self, "Rename label set", "New name:", QLineEdit.EchoMode.Normal, self.name_edit.text().strip()
        )
        if ok and new.strip() and new.strip() != self._original.name:
            self.name_edit.setText(new.strip())
            self.save()

    def _delete_set(self) -> None:
        if self._is_new or self._original is None:
            self._is_new = False
            self._loaded = False
            self._original = None
            self._reload_sets(load=True)
            return
        name = self._original.name
        builtin = " It is a built-in set: it will not come back." if self._original.builtin else ""
        answer = QMessageBox.question(
            self,
            "Delete label set",
            f"Delete “{name}” and all its tags? Photos are not touched.{builtin}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        library = self.controller.library
        if library is None:
            return
        store = library.tags

        def done(_: object) -> None:
            self._original = None
            self._loaded = False
            self._reload_sets(load=True, message=f"Deleted “{name}”.")

        self.controller.write(lambda: store.delete_label_set(name), done)

    def _import_set(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import label set", "", "Label sets (*.json);;All files (*)")
        if not path:
            return
        self._confirm_leave(lambda: self._read_import(Path(path)))

    def _read_import(self, path: Path) -> None:
        def work() -> LabelSet | PhotoclipError:
            try:
                label_set: LabelSet = load_label_set_file(path)
                return label_set
            except PhotoclipError as e:
                return e

        self._show_message(f"Reading {path.name}…")
        self.controller.read(work, self._imported)

    def _imported(self, result: LabelSet | PhotoclipError) -> None:
        if isinstance(result, PhotoclipError):
            self._show_message(user_message(result), error=True)
            return
        clash = self._find(result.name)
        if clash is not None:
            answer = QMessageBox.question(
                self,
                "Import label set",
                f"A label set named “{clash.name}” already exists. Replace it with the imported one?\n\n"
                "Yes replaces it (tags of labels with the same names are kept). "
                "No imports it under a new name.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.No,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                self._show_message("")
                return
            if answer == QMessageBox.StandardButton.Yes:
                result = replace(result, name=clash.name)
            else:
                result = replace(result, name=self._unique_name(result.name))
        library = self.controller.library
        if library is None:
            return
        store = library.tags
        label_set = result

        def done(saved: LabelSet) -> None:
            self._sets[saved.name] = saved
            self._load_set(saved)
            self._select_in_list(saved.name)
            self._show_message(f"Imported “{saved.name}” ({counted(len(saved.labels), 'label')}).")
            self.saved.emit(saved.name)

        self.controller.write(lambda: store.save_label_set(label_set).value, done)

    def _export_set(self) -> None:
        try:
            label_set, _ = self.current_label_set()
        except LibraryError as e:
            self._show_message(f"Fix the set before exporting it. {e}", error=True)
            return
        slug = re.sub(r"[^\w-]+", "-", label_set.name.lower()).strip("-") or "label-set"
        path, _ = QFileDialog.getSaveFileName(self, "Export label set", f"{slug}.json", "Label sets (*.json)")
        if not path:
            return
        target = Path(path) if Path(path).suffix else Path(path).with_suffix(".json")
        data = label_set.to_json()

        def work() -> PhotoclipError | OSError | None:
            try:
                write_json_atomic(target, data)
            except OSError as e:
                return e
            return None

        def done(error: PhotoclipError | OSError | None) -> None:
            if error is not None:
                self._show_message(user_message(error), error=True)
            else:
                self._show_message(f"Exported “{label_set.name}” to {target}.")

        self.controller.read(work, done)

    # -- testing a label ----------------------------------------------------------------------------

    def _label_row_changed(self, row: int, _column: int, previous_row: int, _previous_column: int) -> None:
        if row != previous_row and self._tested_label is not None and row >= 0:
            self._test_timer.start()

    def _test_label(self) -> None:
        """Show the photos the selected label, as edited now, matches best (nothing is saved)."""
        self._test_timer.stop()
        row = self.table.currentRow()
        if row < 0:
            self.test_caption.setText("Select a label in the table first.")
            return
        try:
            label_set, _ = self.current_label_set()
        except LibraryError as e:
            self.test_caption.setText(f"Fix the set first: {e}")
            return
        label = self._cell(row, NAME).text().strip()
        library = self.controller.library
        if library is None:
            self.test_caption.setText("The library is not open.")
            return
        self._tested_label = label
        state = self.controller.state
        if state not in (MODEL_READY, MODEL_LOADING):
            self._test_request.invalidate()
            self.test_caption.setText(
                f"Testing a label needs the model, which is not loaded ({self.controller.state_detail})."
            )
            return
        self.test_caption.setText(
            f"Finding the photos that “{label}” matches best…" if state == MODEL_READY else "Waiting for the model…"
        )

        def work() -> SearchResult | PhotoclipError:
            try:
                return library.tags.label_matches(label_set, label, TEST_LIMIT)  # waits for a model being loaded
            except PhotoclipError as e:
                return e

        def done(result: SearchResult | PhotoclipError) -> None:
            if isinstance(result, PhotoclipError):
                self.test_caption.setText(user_message(result))
                self.test_model.set_photos([])
                return
            hits = result.hits
            self.test_model.set_photos([h.photo_id for h in hits], [h.score for h in hits])
            if hits:
                self.test_caption.setText(
                    f"The {len(hits)} photos “{label}” matches best, best first. The badges are similarities "
                    "to its prompts: compare them with other labels rather than read them alone."
                )
            else:
                self.test_caption.setText("No indexed photos yet: add a folder and let it index.")
            self.test_finished.emit(label)

        self._test_request.submit(work, done)

    def tested_label(self) -> str | None:
        return self._tested_label


def _line_edit(accessible: str, placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(True)
    return edit


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _parse_threshold(text: str, what: str) -> float | None:
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise LibraryError(f"{what} must be a number between 0 and 1 (or empty for the default), not “{text}”.")
    return value
