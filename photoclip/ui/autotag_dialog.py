"""The auto-tag dialog: pick a label set and a threshold, run it on some photos, watch it work.

It runs on the controller's write pool with progress and cancel; suggestions are
stored chunk by chunk, so the sidebar and the viewer show them while it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from photoclip.core import counted
from photoclip.ui.controller import MODEL_READY, LibraryController

if TYPE_CHECKING:
    from photoclip.core import AutoTagReport, LabelSet


class AutoTagDialog(QDialog):
    """Auto-tag `photo_ids` (None: every indexed photo) described by `scope_title`."""

    finished_tagging = Signal(object)  # AutoTagReport or None

    def __init__(
        self,
        controller: LibraryController,
        photo_ids: Sequence[int] | None,
        scope_title: str,
        parent: QWidget | None = None,
        *,
        label_set: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.photo_ids = list(photo_ids) if photo_ids is not None else None
        self.setWindowTitle("Auto-tag")
        self.setMinimumWidth(460)
        self.sets = QComboBox()
        self.sets.setAccessibleName("Label set")
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.threshold = QSlider(Qt.Orientation.Horizontal)
        self.threshold.setRange(5, 95)
        self.threshold.setAccessibleName("Threshold")
        self.threshold_text = QLabel()
        self.threshold.valueChanged.connect(lambda v: self.threshold_text.setText(f"{v / 100:.2f}"))
        self.use_default = QCheckBox("Use each label's own threshold")
        self.use_default.setChecked(True)
        self.use_default.toggled.connect(lambda on: self.threshold.setEnabled(not on))
        self.threshold.setEnabled(False)
        self.auto_accept = QCheckBox("Accept suggestions automatically above")
        self.accept_level = QDoubleSpinBox()
        self.accept_level.setRange(0.5, 0.99)
        self.accept_level.setSingleStep(0.05)
        self.accept_level.setValue(0.9)
        self.accept_level.setEnabled(False)
        self.auto_accept.toggled.connect(self.accept_level.setEnabled)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        count = counted(len(self.photo_ids), "photo") if self.photo_ids is not None else "all indexed photos"
        scope = QLabel(f"<b>{scope_title}</b> ({count})")
        threshold_row = QHBoxLayout()
        threshold_row.addWidget(self.threshold, 1)
        threshold_row.addWidget(self.threshold_text)
        accept_row = QHBoxLayout()
        accept_row.addWidget(self.auto_accept)
        accept_row.addWidget(self.accept_level)
        accept_row.addStretch()
        chosen = QFormLayout()
        chosen.addRow("Photos", scope)
        chosen.addRow("Label set", self.sets)
        options = QFormLayout()
        options.addRow("", self.use_default)
        options.addRow("Threshold", threshold_row)
        options.addRow("", accept_row)
        self.buttons = QDialogButtonBox()
        self.run_button = QPushButton("Tag photos")
        self.run_button.setDefault(True)
        self.buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.run_button.clicked.connect(self.run)
        self.close_button.clicked.connect(self._close_or_cancel)
        hint = QLabel(
            "Tags are suggestions you can accept or reject; tags you set yourself are never changed. "
            "Each correction teaches the label set for the next run."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text)")
        layout = QVBoxLayout(self)
        layout.addLayout(chosen)
        layout.addWidget(self.description)  # between two forms: a form's rows do not grow with wrapped text
        layout.addLayout(options)
        layout.addWidget(hint)
        layout.addWidget(self.progress)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        self._sets: dict[str, LabelSet] = {}
        self._running = False
        self._wanted = label_set
        self.sets.currentTextChanged.connect(self._describe)
        controller.autotag_progress.connect(self._on_progress)
        library = controller.library
        if library is not None:
            controller.read(lambda: [s for s in library.tags.label_sets() if s.labels], self._fill)

    def _fill(self, sets: list[LabelSet]) -> None:
        self._sets = {s.name: s for s in sets}
        self.sets.addItems(list(self._sets))
        if self._wanted in self._sets:
            self.sets.setCurrentText(self._wanted)

    def _describe(self, name: str) -> None:
        label_set = self._sets.get(name)
        if label_set is None:
            return
        kind = "One label per photo" if label_set.exclusive else "Any number of labels per photo"
        labels = ", ".join(label.name for label in label_set.labels[:12])
        more = f" and {len(label_set.labels) - 12} more" if len(label_set.labels) > 12 else ""
        self.description.setText(f"{label_set.description}\n{kind}: {labels}{more}".strip())
        self._fit_description()
        threshold = label_set.threshold if label_set.threshold is not None else 0.5
        self.threshold.setValue(round(threshold * 100))

    def _fit_description(self) -> None:
        """Qt does not pass a wrapped label's height-for-width up to a window: the label asks for the
        height its text needs at its width, so the dialog grows and every line shows."""
        needed = self.description.heightForWidth(self.description.width())
        if needed > 0:  # -1 while the label has no width yet
            self.description.setMinimumHeight(needed)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's name
        super().resizeEvent(event)
        self._fit_description()

    def run(self) -> None:
        name = self.sets.currentText()
        if not name or self._running:
            return
        self._running = True
        self.run_button.setEnabled(False)
        self.sets.setEnabled(False)
        self.close_button.setText("Cancel")
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.outcome.setText("Waiting for the model…" if self.controller.state != MODEL_READY else "Tagging…")
        self.controller.run_auto_tag(
            name,
            self.photo_ids,
            threshold=None if self.use_default.isChecked() else self.threshold.value() / 100,
            auto_accept=self.accept_level.value() if self.auto_accept.isChecked() else None,
            on_done=self._done,
        )

    def _on_progress(self, done: int, total: int) -> None:
        if self._running:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)
            self.outcome.setText(f"Tagging… {done:,} of {counted(total, 'photo')}")

    def _done(self, report: AutoTagReport | None) -> None:
        self._running = False
        self.close_button.setText("Close")
        self.run_button.setEnabled(True)
        self.sets.setEnabled(True)
        self.progress.setVisible(False)
        if report is None:
            self.outcome.setText("Auto-tagging failed; see the message in the status bar.")
        else:
            verb = "Cancelled after" if report.cancelled else "Done:"
            text = f"{verb} {counted(report.photos, 'photo')}, {counted(report.suggested, 'new suggestion')}"
            if report.auto_accepted:
                text += f", {report.auto_accepted:,} accepted automatically"
            if report.learned_labels:
                text += f"; {counted(report.learned_labels, 'label')} learnt from your corrections"
            self.outcome.setText(text + f" ({report.seconds:.1f} s).")
        self.finished_tagging.emit(report)

    def _close_or_cancel(self) -> None:
        if self._running:
            self.controller.cancel_auto_tag()
        else:
            self.reject()

    def reject(self) -> None:
        if self._running:
            self.controller.cancel_auto_tag()
        super().reject()
