"""Preferences: the library's folders and model, and this computer's thumbnail, sidecar and theme choices.

Every page edits a copy: nothing changes until OK or Apply, and Cancel drops it
all. The exceptions are actions that are jobs rather than settings (downloading
or removing a model's files, importing a checkpoint, clearing the thumbnail
cache); they happen when their button is pressed and say so. Library settings
go through the controller (folders, ignore patterns, model, device: stored in the
library's settings.json); app preferences go to `AppSettings`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from photoclip.core import MB, LibraryError, PhotoclipError, clean_ignore_patterns, human_bytes
from photoclip.ui.controller import LibraryController, user_message
from photoclip.ui.settings import AppSettings
from photoclip.ui.theme import apply_theme
from photoclip.ui.widgets import make_button

if TYPE_CHECKING:
    from photoclip.core import CacheUsage, FolderStatus, Library, ModelInfo

PathRole = Qt.ItemDataRole.UserRole + 1
NameRole = Qt.ItemDataRole.UserRole + 2

DEVICES = ("auto", "cpu", "cuda", "mps")
_ERROR_COLOUR = "#d32f2f"
_MB = MB


class _DownloadBridge(QObject):
    """Carries download progress from the worker thread to the GUI thread (a queued signal)."""

    progress = Signal(object, object)  # bytes done, bytes total or None


class PreferencesDialog(QDialog):
    """Tabs for Folders, Model, Thumbnails, Sidecars and Appearance; see the module docstring."""

    applied = Signal()

    def __init__(self, controller: LibraryController, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.settings = settings
        self.setWindowTitle("Preferences")
        self.setAccessibleName("Preferences")
        self.resize(820, 600)
        self._folders: list[tuple[Path, int, bool]] = []  # from the library: path, photos, offline
        self._to_add: list[Path] = []
        self._to_remove: set[Path] = set()
        self._saved_patterns: list[str] = []
        self._models: list[ModelInfo] = []
        self._folders_request = controller.latest()
        self._models_request = controller.latest()
        self._usage_request = controller.latest()
        self._in_use: str | None = None
        self._chosen_model: str | None = None
        self._select_next: str | None = None  # a model to select once the list reloads (just imported)
        self._saved_device = "auto"
        self._download_cancel: threading.Event | None = None
        self._bridge = _DownloadBridge(self)
        self._bridge.progress.connect(self._download_progress)

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Preference pages")
        self.tabs.addTab(self._folders_page(), "&Folders")
        self.tabs.addTab(self._model_page(), "&Model")
        self.tabs.addTab(self._thumbnails_page(), "&Thumbnails")
        self.tabs.addTab(self._sidecars_page(), "&Sidecars")
        self.tabs.addTab(self._appearance_page(), "&Appearance")

        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Message")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button.setAccessibleName("OK: apply and close")
        self.apply_button.setAccessibleName("Apply")
        self.cancel_button.setAccessibleName("Cancel: discard changes")
        self.ok_button.clicked.connect(self._ok)
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        # A fixed minimum instead of one that follows the contents (messages come and go while shown).
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.setMinimumSize(640, 480)

        controller.folders_changed.connect(self._load_folders)
        controller.error.connect(self._controller_error)
        self._load()

    # -- pages --------------------------------------------------------------------------------------

    def _folders_page(self) -> QWidget:
        page = QWidget(self)
        self.folder_table = QTableWidget(0, 3, page)
        self.folder_table.setAccessibleName("Watched folders")
        self.folder_table.setHorizontalHeaderLabels(["Folder", "Photos", "State"])
        self.folder_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.folder_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.folder_table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.folder_table.verticalHeader().setVisible(False)
        self.folder_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.folder_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.add_folder_button = make_button("&Add…", "Add a folder", self._add_folder)
        self.remove_folder_button = make_button("&Remove", "Remove the selected folder", self._remove_folder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_folder_button)
        buttons.addWidget(self.remove_folder_button)
        buttons.addStretch(1)
        self.ignore_edit = QPlainTextEdit(page)
        self.ignore_edit.setAccessibleName("Ignore patterns")
        self.ignore_edit.setTabChangesFocus(True)
        self.ignore_edit.setPlaceholderText("One per line, e.g.\nraw\n*.png\nIMG_*_edit.jpg")
        self.ignore_edit.setFixedHeight(self.ignore_edit.fontMetrics().lineSpacing() * 5 + 12)
        self.ignore_edit.textChanged.connect(self._check_patterns)
        self.ignore_message = QLabel(page)
        self.ignore_message.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("Photos in these folders and their subfolders are indexed and watched:", page))
        layout.addWidget(self.folder_table, 1)
        layout.addLayout(buttons)
        layout.addWidget(
            _note(
                "Ignore files and folders by name (shell wildcards, one per line). A matching folder is "
                "skipped with everything in it; photos already indexed that match are forgotten at the next "
                "scan (the files are not touched).",
                page,
            )
        )
        layout.addWidget(self.ignore_edit)
        layout.addWidget(self.ignore_message)
        return page

    def _model_page(self) -> QWidget:
        page = QWidget(self)
        self.model_table = QTableWidget(0, 6, page)
        self.model_table.setAccessibleName("Models")
        self.model_table.setHorizontalHeaderLabels(["Model", "Languages", "Size", "Quality", "Speed", "Status"])
        header = self.model_table.horizontalHeader()
        for column in range(6):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.model_table.verticalHeader().setVisible(False)
        self.model_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.model_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.model_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.model_table.itemSelectionChanged.connect(self._model_selected)
        self.model_description = QLabel(page)
        self.model_description.setWordWrap(True)
        self.model_description.setAccessibleName("Model description")
        self.use_button = make_button("&Use", "Use the selected model", self._use_model)
        self.download_button = make_button("&Download", "Download the selected model", self._download_model)
        self.cancel_download_button = make_button("Ca&ncel download", "Cancel the download", self._cancel_download)
        self.remove_model_button = make_button("Re&move", "Remove the selected model's files", self._remove_model)
        self.import_button = make_button("&Import checkpoint…", "Import a checkpoint file", self._import_checkpoint)
        self.download_bar = QProgressBar(page)
        self.download_bar.setAccessibleName("Download progress")
        self.download_bar.hide()
        self.cancel_download_button.hide()
        buttons = QHBoxLayout()
        for button in (self.use_button, self.download_button, self.remove_model_button, self.import_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        progress = QHBoxLayout()
        progress.addWidget(self.download_bar, 1)
        progress.addWidget(self.cancel_download_button)
        self.device_combo = QComboBox(page)
        self.device_combo.setAccessibleName("Device")
        self.device_combo.addItem("Automatic (best available)", "auto")
        self.device_combo.addItem("CPU", "cpu")
        self.device_combo.setToolTip("Where the model runs. Changing it reloads the model.")
        device_row = QFormLayout()
        device_row.addRow("&Device:", self.device_combo)
        layout = QVBoxLayout(page)
        layout.addWidget(self.model_table, 1)
        layout.addWidget(self.model_description)
        layout.addLayout(buttons)
        layout.addLayout(progress)
        layout.addWidget(
            _note(
                "Use takes effect on OK: photos are then re-embedded in the background while the current "
                "model keeps answering searches. Download, Remove and Import act at once.",
                page,
            )
        )
        layout.addLayout(device_row)
        self.read_text_check = QCheckBox("Read the text in photos after indexing (receipts, signs, screenshots…)", page)
        self.read_text_check.setAccessibleName("Read text in photos")
        self.read_text_check.setToolTip(
            "Photos the model sees text in are read in the background, at low priority, so text: searches find "
            "them. Nothing leaves this computer."
        )
        self.ocr_note = _note("", page)
        self.ocr_note.hide()
        layout.addWidget(self.read_text_check)
        layout.addWidget(self.ocr_note)
        return page

    def _thumbnails_page(self) -> QWidget:
        page = QWidget(self)
        self.thumbnail_dir_edit = QLineEdit(page)
        self.thumbnail_dir_edit.setAccessibleName("Thumbnail cache location")
        self.browse_button = make_button("&Browse…", "Choose the thumbnail cache folder", self._browse_thumbnails)
        location = QHBoxLayout()
        location.addWidget(self.thumbnail_dir_edit, 1)
        location.addWidget(self.browse_button)
        self.budget_spin = QSpinBox(page)
        self.budget_spin.setAccessibleName("Thumbnail cache size limit")
        self.budget_spin.setRange(64, 1024 * 1024)
        self.budget_spin.setSingleStep(64)
        self.budget_spin.setSuffix(" MB")
        self.budget_spin.setMaximumWidth(self.budget_spin.fontMetrics().horizontalAdvance("0" * 12) + 40)
        self.usage_label = QLabel("Measuring…", page)
        self.usage_label.setAccessibleName("Thumbnail cache usage")
        self.clear_cache_button = make_button("&Clear cache", "Clear the thumbnail cache", self._clear_cache)
        usage = QHBoxLayout()
        usage.addWidget(self.usage_label, 1)
        usage.addWidget(self.clear_cache_button)
        form = QFormLayout(page)
        location_label = QLabel("&Location:", page)
        location_label.setBuddy(self.thumbnail_dir_edit)  # a row of two widgets gets no buddy by itself
        form.addRow(location_label, location)
        form.addRow("Size &limit:", self.budget_spin)
        form.addRow("In use:", usage)
        form.addRow(
            _note(
                "Thumbnails are small copies made once so the grid scrolls fast; the least recently seen are "
                "deleted when the cache is over its limit. A new location is used from the next start; "
                "clearing the cache happens at once and costs only time to remake them.",
                page,
            )
        )
        return page

    def _sidecars_page(self) -> QWidget:
        page = QWidget(self)
        self.digikam_radio = QRadioButton("digiKam, darktable: photo.jpg.xmp", page)
        self.digikam_radio.setAccessibleName("Sidecar naming: photo.jpg.xmp")
        self.lightroom_radio = QRadioButton("Lightroom, Capture One: photo.xmp", page)
        self.lightroom_radio.setAccessibleName("Sidecar naming: photo.xmp")
        self._naming = QButtonGroup(page)
        self._naming.addButton(self.digikam_radio)
        self._naming.addButton(self.lightroom_radio)
        self.suggestions_check = QCheckBox("Include unreviewed suggestions (under photoclip/auto)", page)
        self.suggestions_check.setAccessibleName("Include unreviewed suggestions in sidecars")
        self.on_change_radio = QRadioButton("Whenever a photo's tags change", page)
        self.on_change_radio.setAccessibleName("Write sidecars whenever tags change")
        self.on_export_radio = QRadioButton("Only with “Export tags to XMP”", page)
        self.on_export_radio.setAccessibleName("Write sidecars only on export")
        self._when = QButtonGroup(page)
        self._when.addButton(self.on_change_radio)
        self._when.addButton(self.on_export_radio)
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("<b>Sidecar file names</b>", page))
        layout.addWidget(self.digikam_radio)
        layout.addWidget(self.lightroom_radio)
        layout.addWidget(QLabel("<b>Contents</b>", page))
        layout.addWidget(self.suggestions_check)
        layout.addWidget(QLabel("<b>Write sidecars</b>", page))
        layout.addWidget(self.on_change_radio)
        layout.addWidget(self.on_export_radio)
        layout.addWidget(
            _note("Sidecars carry accepted tags as keywords to other photo apps; photos are never modified.", page)
        )
        layout.addStretch(1)
        return page

    def _appearance_page(self) -> QWidget:
        page = QWidget(self)
        self.theme_combo = QComboBox(page)
        self.theme_combo.setAccessibleName("Theme")
        self.theme_combo.addItem("Follow the system", "system")
        self.theme_combo.addItem("Light", "light")
        self.theme_combo.addItem("Dark", "dark")
        form = QFormLayout(page)
        form.addRow("T&heme:", self.theme_combo)
        return page

    # -- loading ------------------------------------------------------------------------------------

    def _load(self) -> None:
        settings = self.settings
        store = self.controller.thumbnails
        folder = settings.thumbnail_dir or (store.folder if store is not None else None)
        self.thumbnail_dir_edit.setText(str(folder) if folder else "")
        self.budget_spin.setValue(settings.thumbnail_budget_mb)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(settings.theme)))
        library = self.controller.library
        if library is not None:
            current = library.settings
            self._saved_patterns = list(current.ignore_patterns)
            self.ignore_edit.setPlainText("\n".join(self._saved_patterns))
            self._saved_device = current.device
            (self.lightroom_radio if current.sidecar_naming == "lightroom" else self.digikam_radio).setChecked(True)
            self.suggestions_check.setChecked(current.sidecar_include_suggestions)
            (self.on_change_radio if current.write_sidecars_on_change else self.on_export_radio).setChecked(True)
            self.read_text_check.setChecked(current.read_text)
            self._load_ocr(library)
        self._load_folders()
        self._load_models()
        self._load_devices()
        self._measure_cache()

    def _load_ocr(self, library: Library) -> None:
        """Say how to get an OCR engine when none is installed (read off the GUI thread)."""

        def shown(how_to_get: str | None) -> None:
            self.ocr_note.setText(how_to_get or "")
            self.ocr_note.setVisible(bool(how_to_get))
            self.read_text_check.setEnabled(not how_to_get)

        self.controller.read(lambda: library.texts.status().how_to_get, shown)

    def _load_folders(self) -> None:
        library = self.controller.library
        if library is None:
            return

        def done(statuses: list[FolderStatus]) -> None:
            self._folders = [(f.path, f.photos, f.offline) for f in statuses]
            known = {path for path, _, _ in self._folders}
            self._to_add = [p for p in self._to_add if p not in known]
            self._to_remove &= known
            self._show_folders()

        self._folders_request.submit(library.folders.statuses, done)

    def _show_folders(self) -> None:
        rows: list[tuple[Path, str, str, bool]] = []
        for path, photos, offline in self._folders:
            if path in self._to_remove:
                rows.append((path, str(photos), "removed on OK", True))
            else:
                rows.append((path, str(photos), "offline: not connected" if offline else "online", False))
        rows += [(path, "", "added on OK", False) for path in self._to_add]
        self.folder_table.setRowCount(len(rows))
        for row, (path, count, state, struck) in enumerate(rows):
            for column, text in enumerate((str(path), count, state)):
                item = QTableWidgetItem(text)
                item.setData(PathRole, str(path))
                if struck:
                    font = QFont(item.font())
                    font.setStrikeOut(True)
                    item.setFont(font)
                if column == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.folder_table.setItem(row, column, item)

    def _load_models(self) -> None:
        library = self.controller.library
        if library is None:
            return

        def work() -> list[ModelInfo]:
            from photoclip.core import ModelManager

            return ModelManager.for_library(library).models()

        self._models_request.submit(work, self._models_loaded)

    def _models_loaded(self, models: list[ModelInfo]) -> None:
        selected, self._select_next = self._select_next or self._selected_model(), None
        self._models = models
        in_use = next((m.name for m in models if m.in_use), None)
        self._in_use = in_use
        if self._chosen_model is None:
            self._chosen_model = in_use
        self.model_table.setRowCount(len(models))
        for row, info in enumerate(models):
            speed = info.speed
            cells = (
                info.name,
                info.languages,
                human_bytes(info.download_bytes if info.download_bytes else info.disk_bytes),
                f"{info.imagenet_top1 * 100:.1f}% ImageNet" if info.imagenet_top1 is not None else "—",
                f"{speed.relative:.2g}× default" if speed is not None else "—",
                self._model_status(info),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(NameRole, info.name)
                if column == 4 and speed is not None:
                    item.setToolTip(speed.basis)
                if column == 0:
                    item.setToolTip(info.description)
                if info.name == self._chosen_model:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.model_table.setItem(row, column, item)
        if selected is not None:
            self._select_model(selected)
        self._model_selected()

    def _model_status(self, info: ModelInfo) -> str:
        if info.name == self._chosen_model and info.name != self._in_use:
            return "will be used after OK"
        if info.in_use:
            return "in use"
        if info.switching_to:
            return "switching to it (re-embedding)"
        if info.missing_requirement:  # the pip command is for the command line; here, say what is missing
            return "needs an extra component"
        return "installed" if info.installed else "not downloaded"

    def _load_devices(self) -> None:
        def work() -> list[str]:
            from photoclip.core import ModelUnavailable, resolve_device

            found = []
            for device in ("cuda", "mps"):
                try:
                    resolve_device(device)
                except ModelUnavailable:
                    continue
                found.append(device)
            return found

        def done(found: list[str]) -> None:
            names = {"cuda": "NVIDIA GPU (CUDA)", "mps": "Apple GPU (Metal)"}
            for device in found:
                if self.device_combo.findData(device) < 0:
                    self.device_combo.addItem(names[device], device)
            saved = self._saved_device if self._saved_device in DEVICES else self._saved_device.split(":")[0]
            if self.device_combo.findData(saved) < 0:  # saved for a GPU this computer lacks: show it anyway
                self.device_combo.addItem(f"{saved} (not available here)", saved)
            self.device_combo.setCurrentIndex(self.device_combo.findData(saved))

        self.controller.read(work, done)

    def _measure_cache(self) -> None:
        store = self.controller.thumbnails
        if store is None:
            self.usage_label.setText("No thumbnail cache is open.")
            return

        def done(usage: CacheUsage) -> None:
            self.usage_label.setText(f"{human_bytes(usage.bytes)} in {usage.files} thumbnails")

        self._usage_request.submit(store.usage, done)

    # -- folder actions -----------------------------------------------------------------------------

    def _add_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Add a photo folder")
        if not chosen:
            return
        path = Path(chosen).resolve()
        if path in self._to_remove:
            self._to_remove.discard(path)
        elif path not in {p for p, _, _ in self._folders} and path not in self._to_add:
            self._to_add.append(path)
        self._show_folders()

    def _remove_folder(self) -> None:
        row = self.folder_table.currentRow()
        item = self.folder_table.item(row, 0) if row >= 0 else None
        if item is None:
            self._show_message("Select a folder to remove first.", error=True)
            return
        path = Path(str(item.data(PathRole)))
        if path in self._to_add:
            self._to_add.remove(path)
        elif path in self._to_remove:
            self._to_remove.discard(path)  # pressed again: keep it after all
        else:
            self._to_remove.add(path)
        self._show_folders()

    def _check_patterns(self) -> list[str] | None:
        """The patterns, cleaned up, or None after saying what is wrong with one."""
        lines = [line for line in self.ignore_edit.toPlainText().splitlines() if line.strip()]
        try:
            cleaned = clean_ignore_patterns(lines)
        except LibraryError as e:
            self.ignore_message.setText(str(e))
            self.ignore_message.setStyleSheet(f"color: {_ERROR_COLOUR};")
            return None
        self.ignore_message.setText("")
        return cleaned

    # -- model actions ------------------------------------------------------------------------------

    def _selected_model(self) -> str | None:
        items = self.model_table.selectedItems()
        return str(items[0].data(NameRole)) if items else None

    def _select_model(self, name: str) -> None:
        for row in range(self.model_table.rowCount()):
            item = self.model_table.item(row, 0)
            if item is not None and item.data(NameRole) == name:
                self.model_table.selectRow(row)

    def _info(self, name: str | None) -> ModelInfo | None:
        return next((m for m in self._models if m.name == name), None)

    def _model_selected(self) -> None:
        info = self._info(self._selected_model())
        downloading = self._download_cancel is not None
        self.model_description.setText(info.description if info is not None else "")
        self.use_button.setEnabled(
            info is not None and info.name != self._chosen_model and info.missing_requirement is None
        )
        self.download_button.setEnabled(
            info is not None and info.kind == "download" and not info.installed and not downloading
        )
        self.remove_model_button.setEnabled(info is not None and info.removable and not downloading)

    def _use_model(self) -> None:
        info = self._info(self._selected_model())
        if info is None:
            return
        self._chosen_model = info.name
        self._models_loaded(self._models)
        if not info.installed and info.kind == "download":
            self._show_message(
                f"{info.name} will be downloaded when you press OK ({human_bytes(info.download_bytes)})."
            )

    def _download_model(self) -> None:
        info = self._info(self._selected_model())
        library = self.controller.library
        if info is None or library is None:
            return
        cancel = threading.Event()
        self._download_cancel = cancel
        bridge = self._bridge
        name = info.name

        def work() -> PhotoclipError | None:
            from photoclip.core import DownloadCancelled, ModelManager

            try:
                ModelManager.for_library(library).download(name, progress=bridge.progress.emit, cancel=cancel)
            except DownloadCancelled:
                return None
            except PhotoclipError as e:
                return e
            return None

        def done(error: PhotoclipError | None) -> None:
            self._download_cancel = None
            self.download_bar.hide()
            self.cancel_download_button.hide()
            if error is not None:
                self._show_message(user_message(error), error=True)
            elif cancel.is_set():
                self._show_message(f"Download of {name} cancelled; it resumes where it stopped next time.")
            else:
                self._show_message(f"{name} is downloaded.")
            self._load_models()

        self.download_bar.setRange(0, 0)
        self.download_bar.setFormat(f"Downloading {name}… %p%")
        self.download_bar.show()
        self.cancel_download_button.show()
        self._model_selected()
        self.controller.read(work, done)

    def _download_progress(self, done: int, total: int | None) -> None:
        if total:
            self.download_bar.setRange(0, 1000)
            self.download_bar.setValue(int(1000 * done / total))
            self.download_bar.setFormat(f"{human_bytes(done)} of {human_bytes(total)} (%p%)")
        else:
            self.download_bar.setRange(0, 0)
            self.download_bar.setFormat(human_bytes(done))

    def _cancel_download(self) -> None:
        if self._download_cancel is not None:
            self._download_cancel.set()
            self.cancel_download_button.setEnabled(False)

    def _remove_model(self) -> None:
        info = self._info(self._selected_model())
        library = self.controller.library
        if info is None or library is None:
            return
        answer = QMessageBox.question(
            self,
            "Remove model",
            f"Delete the files of {info.name} ({human_bytes(info.disk_bytes)})? "
            + ("It can be downloaded again." if info.kind == "download" else "It would have to be imported again."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        name = info.name

        def work() -> int | PhotoclipError:
            from photoclip.core import ModelManager

            try:
                freed: int = ModelManager.for_library(library).remove(name)
                return freed
            except PhotoclipError as e:
                return e

        def done(result: int | PhotoclipError) -> None:
            if isinstance(result, PhotoclipError):
                self._show_message(user_message(result), error=True)
            else:
                self._show_message(f"Removed {name}: {human_bytes(result)} freed.")
            self._load_models()

        self.controller.read(work, done)

    def _import_checkpoint(self) -> None:
        library = self.controller.library
        if library is None:
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a checkpoint", "", "Checkpoints (*.safetensors *.pt *.pth *.bin);;All files (*)"
        )
        if not path:
            return
        architecture, ok = QInputDialog.getText(
            self,
            "Import a checkpoint",
            "What the weights are for: a photoclip model (vit-b-32), an open_clip architecture (ViT-B-32), "
            "or ARCH/TAG:",
            QLineEdit.EchoMode.Normal,
            "vit-b-32",
        )
        if not ok or not architecture.strip():
            return
        source, arch = Path(path), architecture.strip()

        def work() -> Any:
            from photoclip.core import ModelManager

            try:
                return ModelManager.for_library(library).import_checkpoint(source, architecture=arch)
            except PhotoclipError as e:
                return e

        def done(result: Any) -> None:
            if isinstance(result, PhotoclipError):
                self._show_message(user_message(result), error=True)
                return
            self._show_message(f"Imported {result.name}: select it and press Use to switch to it.")
            self._select_next = result.name
            self._load_models()

        self._show_message(f"Checking that {source.name} loads…")
        self.controller.write(work, done)

    # -- thumbnail actions --------------------------------------------------------------------------

    def _browse_thumbnails(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Thumbnail cache folder", self.thumbnail_dir_edit.text())
        if chosen:
            self.thumbnail_dir_edit.setText(chosen)

    def _clear_cache(self) -> None:
        store = self.controller.thumbnails
        if store is None:
            return
        self.usage_label.setText("Clearing…")
        self.controller.read(store.clear, lambda _: self._measure_cache())

    # -- applying -----------------------------------------------------------------------------------

    def _ok(self) -> None:
        if self.apply():
            self.accept()

    def apply(self) -> bool:
        """Carry out every change on every page; False (nothing applied) when something must be fixed first."""
        patterns = self._check_patterns()
        if patterns is None:
            self.tabs.setCurrentIndex(0)
            self._show_message("An ignore pattern needs fixing (Folders page).", error=True)
            return False
        if self._to_remove:
            names = "\n".join(str(p) for p in sorted(self._to_remove))
            answer = QMessageBox.question(
                self,
                "Remove folders",
                f"Remove these folders from the library?\n\n{names}\n\nTags, album entries and search data "
                "of their photos are forgotten; the files themselves are not touched.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self._show_message("")
        self._apply_app_settings()
        if self.controller.library is not None:
            self._apply_library(patterns)
        self.applied.emit()
        return True

    def _apply_app_settings(self) -> None:
        settings = self.settings
        text = self.thumbnail_dir_edit.text().strip()
        store = self.controller.thumbnails
        current = settings.thumbnail_dir or (store.folder if store is not None else None)
        if text and Path(text) != current:
            settings.thumbnail_dir = Path(text)
        settings.thumbnail_budget_mb = self.budget_spin.value()
        theme = str(self.theme_combo.currentData())
        changed_theme = theme != settings.theme
        settings.theme = theme
        settings.sync()
        if store is not None and store.budget_bytes != settings.thumbnail_budget_mb * _MB:
            store.budget_bytes = settings.thumbnail_budget_mb * _MB
            self.controller.read(store.trim, lambda _: self._measure_cache())
        app = QApplication.instance()
        if changed_theme and isinstance(app, QApplication):
            apply_theme(app, theme)

    def _apply_library(self, patterns: list[str]) -> None:
        controller = self.controller
        for path in self._to_add:
            controller.add_folder(path)
        for path in sorted(self._to_remove):
            controller.remove_folder(path)
        self._to_add, self._to_remove = [], set()
        self._show_folders()
        if patterns != self._saved_patterns:
            controller.set_ignore_patterns(patterns)
            self._saved_patterns = patterns
        library = controller.library
        if library is not None:
            sidecars = {
                "sidecar_naming": "lightroom" if self.lightroom_radio.isChecked() else "digikam",
                "sidecar_include_suggestions": self.suggestions_check.isChecked(),
                "write_sidecars_on_change": self.on_change_radio.isChecked(),
                "read_text": self.read_text_check.isChecked(),
            }
            controller.write(lambda: library.update_settings(**sidecars))
        device = str(self.device_combo.currentData() or "auto")
        if self._chosen_model is not None and self._chosen_model != self._in_use:
            chosen = self._chosen_model
            self._in_use = chosen
            controller.switch_model(chosen, lambda _switch: self._load_models())
        if device != self._saved_device:
            self._saved_device = device
            # The device is read when the library opens: reopen it (same folder, same model).
            if library is not None:
                controller.write(
                    lambda: library.update_settings(device=device),
                    lambda _: controller.switch_library(controller.library_dir),
                )

    # -- closing ------------------------------------------------------------------------------------

    def done(self, result: int) -> None:
        """However the dialog closes, a download it started stops (the partial file is kept)."""
        if self._download_cancel is not None:
            self._download_cancel.set()
        super().done(result)

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {_ERROR_COLOUR};" if error else "")

    def _controller_error(self, message: str) -> None:
        if self.isVisible():
            self._show_message(message, error=True)


def _note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    return label
