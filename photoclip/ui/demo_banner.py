"""The honesty banner: the tiny demo model is ranking photos it was never trained on.

Shown above the grid while the library's status says the demo model serves folders
that are not demo photos (the rule lives in `photoclip.core`: `LibraryStatus.demo_model_misused`).
It offers the real model (through Preferences ▸ Model, where it is downloaded and
switched to, as from anywhere else) and can be dismissed for the rest of the session.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from photoclip.ui.icons import icon
from photoclip.ui.theme import ICON_SIZE, SPACING

BANNER_TEXT = (
    "<b>These results are meaningless for your photos.</b> This library uses the tiny demo model, "
    "which only knows generated pictures of coloured shapes. Use the real model to search and tag real photos."
)


class DemoModelBanner(QFrame):
    """A one-line warning with "Use the real model…" and a close button; hidden until `show_for` says so."""

    real_model_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demo-model-banner")
        self.setAccessibleName("Demo model warning")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.dismissed = False  # for this session: the next start shows it again while it still applies
        warning = QLabel()
        warning.setPixmap(icon("warning").pixmap(QSize(ICON_SIZE, ICON_SIZE), self.devicePixelRatioF()))
        self._warning = warning
        self.text = QLabel(BANNER_TEXT)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.button = QPushButton(icon("model"), "Use the real model…")
        self.button.setToolTip("Choose and download the default model in Preferences ▸ Model")
        self.button.clicked.connect(self.real_model_requested)
        self.close_button = QToolButton()
        self.close_button.setIcon(icon("close"))
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Hide this until photoclip starts again")
        self.close_button.setAccessibleName("Dismiss the demo model warning")
        self.close_button.clicked.connect(self.dismiss)
        row = QHBoxLayout(self)
        row.setContentsMargins(SPACING * 2, SPACING, SPACING, SPACING)
        row.setSpacing(SPACING * 2)
        row.addWidget(warning, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.text, 1)
        row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._tint()
        self.setVisible(False)

    def show_for(self, misused: bool) -> None:
        """Follow the library's status: visible while the demo model is misused, unless dismissed."""
        self.setVisible(misused and not self.dismissed)

    def dismiss(self) -> None:
        self.dismissed = True
        self.setVisible(False)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # the theme changed: tint the new window colour
            self._tint()
        super().changeEvent(event)

    def _tint(self) -> None:
        """A warm tint of the window colour: noticeable in light and dark themes, never garish."""
        palette = self.palette()
        base = QGuiApplication.palette().color(QPalette.ColorRole.Window)
        amber = base.fromRgb(255, 190, 60)
        mix = 0.22 if base.lightness() > 128 else 0.28
        colour = base.fromRgbF(
            base.redF() * (1 - mix) + amber.redF() * mix,
            base.greenF() * (1 - mix) + amber.greenF() * mix,
            base.blueF() * (1 - mix) + amber.blueF() * mix,
        )
        if palette.color(QPalette.ColorRole.Window) != colour:
            palette.setColor(QPalette.ColorRole.Window, colour)
            self.setPalette(palette)
        self._warning.setPixmap(icon("warning").pixmap(QSize(ICON_SIZE, ICON_SIZE), self.devicePixelRatioF()))
