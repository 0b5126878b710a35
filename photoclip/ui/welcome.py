"""First run: add photo folders and get a model, or try the offline demo.

The model download is the only thing photoclip ever fetches, so it starts only
when the person presses the button. Offline, the page says so plainly and offers
the two ways forward that need no network: a checkpoint file already on disk,
or the demo library with the bundled tiny model.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photoclip.ui.controller import (
    MODEL_DOWNLOADING,
    MODEL_FAILED,
    MODEL_LOADING,
    MODEL_MISSING,
    MODEL_READY,
    LibraryController,
)

DEMO_PHOTOS = 240


def describe_model(key: str) -> str:
    """The model's name, what it is, and the size of its download (the one size shown everywhere)."""
    from photoclip.core import catalogue_entry, human_bytes, known_models

    for spec in known_models():
        if spec.key == key:
            description = str(getattr(spec, "description", "")).rstrip(". ")
            entry = catalogue_entry(key)
            if entry is not None:
                description += f"; a {human_bytes(entry.download_bytes)} download"
            return f"{spec.key} ({description})" if description else spec.key
    return key


class WelcomePage(QWidget):
    add_folder_requested = Signal()
    demo_requested = Signal()
    checkpoint_chosen = Signal(str, str)  # architecture, file
    done = Signal()

    def __init__(self, controller: LibraryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        title = QLabel("<h1>Welcome to photoclip</h1>")
        intro = QLabel(
            "photoclip finds your photos by what is in them: type “kids on a beach at sunset”, find photos "
            "like one you have, or tag a whole album in one click. It runs entirely on this computer: "
            "your photos are only read, never changed, and nothing is uploaded."
        )
        intro.setWordWrap(True)
        self.folders_text = QLabel("No folders yet.")
        self.folders_text.setWordWrap(True)
        add = QPushButton("Add a photo folder…")
        add.setAccessibleName("Add a photo folder")
        add.clicked.connect(self.add_folder_requested.emit)
        self.model_text = QLabel()
        self.model_text.setWordWrap(True)
        self.model_text.setTextFormat(Qt.TextFormat.RichText)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.download = QPushButton("Download the model")
        self.download.setAccessibleName("Download the model")
        self.download.clicked.connect(controller.download_model)
        self.cancel = QPushButton("Cancel download")
        self.cancel.setToolTip("Stop now; the part already downloaded is kept and the next download resumes it")
        self.cancel.clicked.connect(controller.cancel_download)
        self.checkpoint = QPushButton("Use a checkpoint file…")
        self.checkpoint.clicked.connect(self._choose_checkpoint)
        self.demo = QPushButton("Try the offline demo")
        self.demo.setToolTip(f"{DEMO_PHOTOS} generated photos of coloured shapes, searched with the tiny bundled model")
        self.demo.clicked.connect(self.demo_requested.emit)
        self.start = QPushButton("Show my photos")
        self.start.setDefault(True)
        self.start.clicked.connect(self.done.emit)
        model_buttons = QHBoxLayout()
        for button in (self.download, self.cancel, self.checkpoint, self.demo):
            model_buttons.addWidget(button)
        model_buttons.addStretch()
        box = QFrame()
        box.setMaximumWidth(720)
        layout = QVBoxLayout(box)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(12)
        layout.addWidget(QLabel("<h3>1. Your photos</h3>"))
        layout.addWidget(self.folders_text)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addStretch()
        layout.addLayout(row)
        layout.addSpacing(12)
        layout.addWidget(QLabel("<h3>2. The model</h3>"))
        layout.addWidget(self.model_text)
        layout.addWidget(self.progress)
        layout.addLayout(model_buttons)
        layout.addSpacing(18)
        end = QHBoxLayout()
        end.addStretch()
        end.addWidget(self.start)
        layout.addLayout(end)
        layout.addStretch()
        outer = QHBoxLayout(self)
        outer.addStretch()
        outer.addWidget(box, 3)
        outer.addStretch()
        controller.model_state.connect(self.show_model_state)
        controller.download_progress.connect(self._on_bytes)
        self.show_model_state(controller.state, controller.state_detail)

    def set_folders(self, folders: list[Path]) -> None:
        if folders:
            self.folders_text.setText("Watching: " + ", ".join(str(f) for f in folders))
        else:
            self.folders_text.setText(
                "Choose the folders that hold your photos (sub-folders are included). photoclip keeps "
                "watching them: new photos are found by themselves."
            )
        self.start.setEnabled(bool(folders))

    def show_model_state(self, state: str, detail: str) -> None:
        busy = state in (MODEL_LOADING, MODEL_DOWNLOADING)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
        self.download.setVisible(state in (MODEL_MISSING, MODEL_FAILED))
        self.checkpoint.setVisible(state in (MODEL_MISSING, MODEL_FAILED))
        self.demo.setVisible(state in (MODEL_MISSING, MODEL_FAILED))
        self.cancel.setVisible(state == MODEL_DOWNLOADING)
        library = self.controller.library
        name = describe_model(library.model.key) if library is not None else detail
        if state == MODEL_READY:
            self.model_text.setText(f"Ready: {name}.")
        elif state == MODEL_LOADING:
            self.model_text.setText(f"Loading {name}…")
        elif state == MODEL_DOWNLOADING:
            self.model_text.setText(f"Downloading {name}… (only this once; it is kept in the cache folder)")
        elif state == MODEL_MISSING and detail.startswith("Download of"):
            self.model_text.setText(f"{detail} Press the button to continue.")
        elif state == MODEL_MISSING:
            self.model_text.setText(
                f"photoclip needs its image-understanding model, {name}, once. It is downloaded from the "
                "Hugging Face hub when you press the button (nothing else is ever sent or fetched)."
            )
        elif state == MODEL_FAILED:
            self.model_text.setText(
                f"<b>The model is not available:</b> {detail}<br>"
                "You can use a checkpoint file you already have, or try the offline demo, which works "
                "without any download."
            )
        else:
            self.model_text.setText("Opening the library…")

    def _on_bytes(self, done: object, total: object) -> None:
        if isinstance(total, int) and total > 0 and isinstance(done, int):
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            self.progress.setFormat(f"{done / 1e6:,.0f} of {total / 1e6:,.0f} MB")

    def _choose_checkpoint(self) -> None:
        dialog = CheckpointDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.path:
            self.checkpoint_chosen.emit(dialog.architecture.currentText(), dialog.path)


class CheckpointDialog(QDialog):
    """A local weights file and the open_clip architecture it belongs to."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from photoclip.core import known_models

        self.setWindowTitle("Use a checkpoint file")
        self.path = ""
        self.architecture = QComboBox()
        self.architecture.setEditable(True)
        archs = [s.architecture for s in known_models() if not s.architecture.startswith("local-dir:")]
        self.architecture.addItems(list(dict.fromkeys(archs)))
        self.file = QLabel("No file chosen")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.file, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Architecture", self.architecture)
        form.addRow("Weights", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("An open_clip checkpoint (.pt, .bin or .safetensors) for one of these architectures."))
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Checkpoint file", str(Path.home()), "Checkpoints (*.pt *.pth *.bin *.safetensors)"
        )
        if path:
            self.path = path
            self.file.setText(Path(path).name)
