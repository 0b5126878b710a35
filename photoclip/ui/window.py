"""The main window: sidebar, search toolbar, thumbnail grid, viewer and status bar.

What the grid shows follows from three things: the sidebar's scope (all photos, a
folder, an album, a tag), the typed query and an optional example photo. With no
words and no example the scope is browsed newest first; otherwise the library is
searched within the scope, and the relevance slider and the by-date switch
reshape those results in place without searching again. Every read goes through
the controller's background pool; the newest request wins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QSignalBlocker, QSize, Qt, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QIcon, QImage, QKeyEvent, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photoclip import __version__
from photoclip.core import (
    MB,
    PhotoclipError,
    QueryError,
    SceneRef,
    ThumbnailStore,
    counted,
    default_cache_dir,
    format_clip_time,
    merge_filters,
    parse_query,
)
from photoclip.ui.autotag_dialog import AutoTagDialog
from photoclip.ui.badges import SuggestionBadges
from photoclip.ui.controller import MODEL_DOWNLOADING, MODEL_FAILED, MODEL_MISSING, MODEL_READY, LibraryController
from photoclip.ui.demo_banner import DemoModelBanner
from photoclip.ui.dialogs import ProblemsDialog, TagDialog
from photoclip.ui.duplicates import DuplicatesView, SimilarTracker
from photoclip.ui.grid import PhotoGrid, PhotoGridModel
from photoclip.ui.icons import icon
from photoclip.ui.justified import Shapes
from photoclip.ui.photo_actions import PhotoActions
from photoclip.ui.review import ReviewPage
from photoclip.ui.searchbar import FilterChips, SearchField, syntax_button
from photoclip.ui.settings import AppSettings
from photoclip.ui.sidebar import ALL, Scope, Sidebar, album_scope
from photoclip.ui.suggestions import ACCEPT, REJECT, SuggestionDecisions
from photoclip.ui.thumbnails import ThumbnailLoader
from photoclip.ui.undo import UndoStack
from photoclip.ui.viewer import PhotoViewer
from photoclip.ui.welcome import WelcomePage

if TYPE_CHECKING:
    from photoclip.core import ExportReport, ImportReport, LibraryStatus, ParsedQuery, PhotoId, SearchResult

log = logging.getLogger(__name__)

SIDEBAR_MIN_WIDTH = 180  # pixels: folder and album names stay readable in a 900-pixel window
CHIP_THUMBNAIL = 64  # pixels: the example chip's thumbnail, shown at half size (sharp on high-DPI)

SEARCH_LIMIT = 2000
"""Results fetched per search; the relevance slider and date order work within them."""

WELCOME, GRID, VIEWER, SIMILAR_VIEW, REVIEW = 0, 1, 2, 3, 4


def app_icon() -> QIcon:
    from importlib.resources import files

    icon = QIcon()
    base = files("photoclip.resources") / "icons" / "hicolor"
    for size in (16, 32, 48, 64, 128, 256, 512):
        path = base / f"{size}x{size}" / "apps" / "io.github.photoclip.Photoclip.png"
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon


@dataclass(frozen=True)
class _Answer:
    """What a refresh found: the query as understood, and either photos to browse or search results."""

    parsed: ParsedQuery
    ids: list[PhotoId] | None = None
    result: SearchResult | None = None
    browse_shapes: Shapes | None = None  # the browsed photos' days and aspect ratios, for the timeline
    hit_shapes: dict[PhotoId, tuple[str | None, int | None, int | None]] = field(default_factory=dict)


class MainWindow(QMainWindow):
    def __init__(self, controller: LibraryController, settings: AppSettings) -> None:
        super().__init__()
        self.controller = controller
        self.settings = settings
        self.setWindowTitle("photoclip")
        self.setWindowIcon(app_icon())
        self.scope: Scope = ALL
        self.query = ""
        self.example: int | Path | SceneRef | None = None
        self.example_name = ""
        self.result: SearchResult | None = None  # the last search's results, before the relevance slider
        self._hit_shapes: dict[PhotoId, tuple[str | None, int | None, int | None]] = {}
        self.searching = False
        self.folders: list[Path] = []
        self._results = controller.latest()  # what the grid shows: the newest search or browse wins
        self._status_request = controller.latest()
        self._completions_request = controller.latest()
        self._restore_ids: list[int] = []
        self._restore_top: int | None = None
        self._shown_key: tuple[object, ...] | None = None  # which results the grid shows: see _remember_position
        self._to_top = False
        self._chip_request = controller.latest()
        self._after_open: list[Callable[[], None]] = []
        self._status: LibraryStatus | None = None
        self._hidden_chrome: list[QWidget] = []  # what viewer full screen hid, shown again after
        self._maximized_before_full_screen = False
        self._build_widgets()
        self._build_menus()
        self._connect()
        if settings.geometry is not None:
            self.restoreGeometry(settings.geometry)
        else:
            self.resize(1280, 820)
        if settings.window_state is not None:
            self.restoreState(settings.window_state)

    # -- building -------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        controller = self.controller
        self.loader = ThumbnailLoader(controller.runner, None, self)
        self.model = PhotoGridModel(controller, self.loader, self)
        self.grid = PhotoGrid(self.model)
        self.grid.set_thumbnail_size(self.settings.thumbnail_size)
        self.sidebar = Sidebar(controller)
        self.undo = UndoStack(controller, self)
        self.viewer = PhotoViewer(controller, self.settings, self.undo)
        self.welcome = WelcomePage(controller)
        self.similar = SimilarTracker(controller, self)
        self.duplicates = DuplicatesView(controller, self.similar, self.loader, self.undo)
        self.review = ReviewPage(controller, self.undo)
        self.decisions = SuggestionDecisions(controller, self.undo, self)
        self.badges = SuggestionBadges(controller, self)
        self.grid.delegate.badges = self.badges
        self.photo_actions = PhotoActions(
            self,
            controller,
            self.undo,
            targets=self._photo_targets,
            album=self._album_shown,
            photo_of=self.model.photo,
        )
        self.header = QLabel()
        self.header.setAccessibleName("What is shown")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)  # a long query never widens the window
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.empty_hint = QLabel()
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setTextFormat(Qt.TextFormat.RichText)
        self.empty_hint.setVisible(False)
        self.empty_hint.linkActivated.connect(self._on_action_link)
        self.header.linkActivated.connect(self._on_action_link)
        grid_page = QWidget()
        grid_layout = QVBoxLayout(grid_page)
        grid_layout.setContentsMargins(6, 4, 0, 0)
        self.demo_banner = DemoModelBanner()
        self.demo_banner.real_model_requested.connect(self.offer_real_model)
        grid_layout.addWidget(self.demo_banner)
        grid_layout.addWidget(self.header)
        self.chips = FilterChips()
        grid_layout.addWidget(self.chips)
        grid_layout.addWidget(self.empty_hint)
        grid_layout.addWidget(self.grid, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(grid_page)
        self.stack.addWidget(self.viewer)
        self.stack.addWidget(self.duplicates)
        self.stack.addWidget(self.review)
        self.stack.setCurrentIndex(GRID)
        splitter = QSplitter()
        splitter.addWidget(self.sidebar)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        self.sidebar.setMinimumWidth(SIDEBAR_MIN_WIDTH)
        splitter.setSizes([250, 1030])
        self.setCentralWidget(splitter)

        toolbar = QToolBar("Search")
        toolbar.setObjectName("search-toolbar")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        self.search = SearchField()
        toolbar.addWidget(self.search)
        toolbar.addWidget(syntax_button(self))
        self.example_chip = QToolButton()
        self.example_chip.setVisible(False)
        self.example_chip.setToolTip("Searching by example: click to stop")
        self.example_chip.setAccessibleName("Stop searching by example")
        self.example_chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.example_chip.setIconSize(QSize(CHIP_THUMBNAIL // 2, CHIP_THUMBNAIL // 2))
        self.example_chip.clicked.connect(self.clear_example)
        self.example_action = toolbar.addWidget(self.example_chip)
        self.example_action.setVisible(False)
        toolbar.addSeparator()
        self.relevance = QSlider(Qt.Orientation.Horizontal)
        self.relevance.setRange(0, 100)
        self.relevance.setValue(round(self.settings.relevance * 100))
        self.relevance.setFixedWidth(130)
        self.relevance.setAccessibleName("Relevance")
        self.relevance.setToolTip(
            "Hide weak matches: left shows everything above the typical score, right only the best"
        )
        self.relevance_label = QLabel("Relevance")
        self.by_date = QCheckBox("By date")
        self.by_date.setChecked(self.settings.order_by_date)
        self.by_date.setToolTip("Show the relevant results newest first instead of best first")
        search_controls = QWidget()
        search_controls.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)  # no gaps inside
        row = QHBoxLayout(search_controls)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.relevance_label)
        row.addWidget(self.relevance)
        row.addWidget(self.by_date)
        self.search_controls = toolbar.addWidget(search_controls)
        self.search_controls.setVisible(False)
        toolbar.addSeparator()
        self.zoom = QSlider(Qt.Orientation.Horizontal)
        self.zoom.setRange(96, 384)
        self.zoom.setValue(self.settings.thumbnail_size)
        self.zoom.setFixedWidth(110)
        self.zoom.setAccessibleName("Thumbnail size")
        self.zoom.setToolTip("Thumbnail size (Ctrl+Plus / Ctrl+Minus)")
        self.auto_tag_button = QPushButton(icon("auto-tag"), "Auto-tag…")
        self.auto_tag_button.setToolTip("Tag the selected photos, or everything shown, with a label set")
        toolbar.addWidget(self.auto_tag_button)

        status = self.statusBar()
        self.status_text = QLabel("Opening the library…")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.pause_button = QPushButton(icon("pause"), "Pause")
        self.pause_button.setAccessibleName("Pause indexing")
        self.pause_button.setVisible(False)
        self.problems_button = QPushButton()
        self.problems_button.setFlat(True)
        self.problems_button.setVisible(False)
        self.problems_button.setToolTip("Files that could not be read, and why")
        self.model_button = QPushButton(icon("model"), "")
        self.model_button.setFlat(True)
        self.model_button.setAccessibleName("Model state")
        status.addWidget(self.status_text, 1)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.pause_button)
        status.addPermanentWidget(self.problems_button)
        status.addPermanentWidget(self.model_button)
        status.addPermanentWidget(self.zoom)  # where photo apps keep it: the toolbar stays for searching

    def _show_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setIcon(icon("play" if paused else "pause"))

    def _action(
        self,
        menu: QMenu,
        text: str,
        slot: Any,
        shortcut: str | QKeySequence.StandardKey | None = None,
        icon_name: str | None = None,
    ) -> QAction:
        action = menu.addAction(text)
        if icon_name is not None:
            action.setIcon(icon(icon_name))
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "Add folder…", self.add_folder, "Ctrl+O", icon_name="folder")
        self._action(file, "New album…", self.new_album, QKeySequence.StandardKey.New, icon_name="album")
        self._action(file, "New smart album…", self.new_smart_album, "Ctrl+Shift+N", icon_name="smart-album")
        file.addSeparator()
        self._action(file, "Export tags to XMP sidecars", self.export_xmp, "Ctrl+E")
        self._action(file, "Import keywords from sidecars", self.import_keywords)
        file.addSeparator()
        libraries = file.addMenu("Switch library")
        self._action(libraries, "My library", self.open_default_library)
        self._action(libraries, "Offline demo library", self.open_demo)
        self._action(libraries, "Other library folder…", self.open_other_library)
        file.addSeparator()
        self._action(
            file, "Preferences…", self.show_preferences, QKeySequence.StandardKey.Preferences, icon_name="settings"
        )
        self._action(file, "Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        self.undo_action = self.undo.action(self)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        edit.addAction(self.undo_action)
        self.redo_action = self.undo.redo_action(self)
        self.redo_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        self._action(edit, "Find", self.focus_search, QKeySequence.StandardKey.Find, icon_name="search")
        self._action(edit, "Find similar", self.find_similar_to_current, "Ctrl+Shift+F", icon_name="similar")
        self._action(edit, "Select all", self.grid.selectAll, QKeySequence.StandardKey.SelectAll)
        edit.addSeparator()
        self.photo_actions.rate_menu(edit)
        edit.addAction(self.photo_actions.favourite_action)
        edit.addAction(self.photo_actions.delete_action)
        edit.addAction(self.photo_actions.copy_action)
        edit.aboutToShow.connect(self.photo_actions.update_texts)
        view = bar.addMenu("&View")
        self._action(view, "Zoom in", lambda: self._zoom_step(1), QKeySequence.StandardKey.ZoomIn, icon_name="zoom-in")
        self._action(
            view, "Zoom out", lambda: self._zoom_step(-1), QKeySequence.StandardKey.ZoomOut, icon_name="zoom-out"
        )
        self._action(view, "Open photo", self.open_current)
        self._action(view, "Duplicates && bursts", self.show_duplicates, "Ctrl+D", icon_name="duplicates")
        self._action(view, "Full screen", self.toggle_full_screen, "F11", icon_name="full-screen")
        tags = bar.addMenu("&Tags")
        self._action(tags, "Tag selected photos…", self.tag_selection, "Ctrl+T", icon_name="tag")
        self._action(tags, "Auto-tag…", self.auto_tag, "Ctrl+Shift+T", icon_name="auto-tag")
        self._action(tags, "Label sets…", self.edit_label_sets, "Ctrl+L")
        tags.addSeparator()
        self._action(tags, "Review suggestions…", self.review_suggestions, "Ctrl+R")
        for text, verdict, key in (
            ("Accept suggestions", ACCEPT, "Ctrl+Return"),
            ("Reject suggestions", REJECT, "Ctrl+Backspace"),
        ):
            action = self._action(tags, text, lambda verdict=verdict: self.decide_suggestions(verdict), key)
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the grid's keys: text fields keep theirs
            action.setToolTip(f"{text} of the selected photos")
            self.grid.addAction(action)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Search syntax", self.show_syntax, "F1")
        self._action(help_menu, "Skipped files…", self.show_problems)
        self._action(help_menu, "About photoclip", self.about, icon_name="info")

    def _connect(self) -> None:
        c = self.controller
        c.opened.connect(self._on_opened)
        c.open_failed.connect(self._on_open_failed)
        c.catalog_damaged.connect(self._on_catalog_damaged)
        c.repaired.connect(lambda actions: self.statusBar().showMessage(" ".join(actions), 30_000))
        c.model_state.connect(self._on_model_state)
        c.text_ready.connect(self._on_text_ready)
        c.download_progress.connect(self._on_download_bytes)
        c.index_progress.connect(self._on_index_progress)
        c.text_progress.connect(self._on_text_progress)
        c.photos_changed.connect(self.refresh)
        c.photos_changed.connect(self._refresh_status)
        c.folders_changed.connect(self._refresh_status)
        c.folders_changed.connect(self.model.invalidate_rows)  # moved or renamed photos: fresh paths
        c.albums_changed.connect(self._refresh_completions)
        c.tags_changed.connect(self._refresh_completions)
        c.tags_changed.connect(self._on_tags_changed)
        c.albums_changed.connect(self._on_albums_changed)
        c.sidecars_written.connect(self._on_sidecars_written)
        c.watcher_paused.connect(self._show_paused)
        c.error.connect(self.show_error)
        self.search.query_changed.connect(self.set_query)
        self.search.cleared.connect(self.clear_search)
        self.search.example_dropped.connect(self.find_similar)
        self.chips.remove_requested.connect(self._search_instead)
        self.relevance.valueChanged.connect(self._on_relevance)
        self.by_date.toggled.connect(self._on_by_date)
        self.zoom.valueChanged.connect(self._on_zoom)
        self.auto_tag_button.clicked.connect(self.auto_tag)
        self.pause_button.clicked.connect(lambda: c.pause_indexing(self.pause_button.text() == "Pause"))
        self.problems_button.clicked.connect(self.show_problems)
        self.model_button.clicked.connect(self._on_model_button)
        self.grid.activated_photo.connect(self.open_viewer)
        self.grid.customContextMenuRequested.connect(self._grid_menu)
        self.grid.delete_pressed.connect(self.photo_actions.delete_selection)
        self.photo_actions.message.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.photo_actions.removed.connect(self._on_photos_removed)
        c.ratings_changed.connect(self._on_ratings_changed)
        self.sidebar.scope_changed.connect(self.set_scope)
        self.sidebar.add_folder_requested.connect(self.add_folder)
        self.sidebar.remove_folder_requested.connect(self.remove_folder)
        self.sidebar.new_album_requested.connect(self.new_album)
        self.sidebar.new_smart_album_requested.connect(self.new_smart_album)
        self.sidebar.edit_smart_album_requested.connect(self.edit_smart_album)
        self.sidebar.freeze_album_requested.connect(self.freeze_album)
        self.similar.updated.connect(
            lambda found: self.sidebar.set_similar_count(len(found.duplicates) + len(found.bursts))
        )
        self.duplicates.message.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.undo.undone.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.badges.updated.connect(self.grid.viewport().update)
        self.decisions.message.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.review.message.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.review.finished.connect(self._leave_review)
        self.sidebar.review_requested.connect(self.review_label)
        self.sidebar.rename_album_requested.connect(self.rename_album)
        self.sidebar.delete_album_requested.connect(self.delete_album)
        self.sidebar.auto_tag_requested.connect(self.auto_tag_scope)
        self.sidebar.show_folder_requested.connect(lambda p: QDesktopServices.openUrl(QUrl.fromLocalFile(p)))
        self.viewer.closed.connect(self.close_viewer)
        self.viewer.toggle_full_screen.connect(self.toggle_full_screen)
        self.viewer.similar_scene.connect(lambda pid, index: self.find_similar(SceneRef(pid, index)))
        self.welcome.add_folder_requested.connect(self.add_folder)
        self.welcome.demo_requested.connect(self.open_demo)
        self.welcome.checkpoint_chosen.connect(lambda arch, path: self.controller.import_checkpoint(Path(path), arch))
        self.welcome.done.connect(lambda: self.stack.setCurrentIndex(GRID))
        self.model.modelReset.connect(self._restore_selection)

    # -- opening ------------------------------------------------------------------------------

    def _on_opened(self, status: LibraryStatus) -> None:
        library = self.controller.library
        if library is None:
            return
        self.setWindowTitle(f"photoclip — {library.directory}")
        legacy = self.settings.take_library_settings()
        if legacy:  # sidecar preferences from before they were kept with the library
            self.controller.write(lambda: library.update_settings(**legacy))
        self.loader.store = self.controller.thumbnails
        self.loader.cache.clear()
        self.loader.retry_failed()
        self._apply_status(status)
        self.sidebar.refresh()
        self.undo.clear()  # steps taken in another library mean nothing here
        self.similar.found = None
        self.similar.refresh()
        self._refresh_completions()
        if not status.folders:
            self.stack.setCurrentIndex(WELCOME)
        self.refresh()
        pending, self._after_open = self._after_open, []
        for action in pending:
            action()

    def _on_open_failed(self, message: str) -> None:
        self.status_text.setText(f"Cannot open the library: {message}")
        QMessageBox.critical(self, "photoclip", f"The library could not be opened.\n\n{message}")

    def _on_catalog_damaged(self, message: str) -> None:
        """Offer the one thing to do: put the latest backup back (the damaged file is kept beside it)."""
        self.status_text.setText("The library database is damaged.")
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("The library database is damaged")
        box.setText("photoclip cannot read this library's database. Your photos are not affected.")
        box.setInformativeText(
            "Restore the latest backup of the database? The damaged file is kept beside it; changes made after "
            "the backup (tags, albums) are lost, and photos added since are picked up again."
        )
        box.setDetailedText(message)
        restore = box.addButton("Restore the backup", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is restore:
            self.status_text.setText("Restoring the library database from its backup…")
            self.controller.repair_and_reopen()

    def _apply_status(self, status: LibraryStatus) -> None:
        self._status = status
        self.demo_banner.show_for(status.demo_model_misused)
        self.folders = [f.path for f in status.folders]
        self.welcome.set_folders(self.folders)
        if status.skipped:
            self.problems_button.setText(f"{status.skipped:,} skipped")
            self.problems_button.setVisible(True)
        else:
            self.problems_button.setVisible(False)
        if not self.progress.isVisible():
            self.status_text.setText(self._summary(status))

    @staticmethod
    def _summary(status: LibraryStatus) -> str:
        text = counted(status.photos - status.skipped, "photo")  # what "All photos" shows, indexed or not yet
        offline = [f for f in status.folders if f.offline]
        if offline:
            text += f" · {len(offline)} folder{'s' if len(offline) > 1 else ''} offline"
        if status.pending:
            text += f" · {status.pending:,} waiting to be indexed"
        return text

    def _refresh_status(self) -> None:
        library = self.controller.library
        if library is not None:
            self._status_request.submit(library.status, self._apply_status)

    # -- the model ----------------------------------------------------------------------------

    def _on_model_state(self, state: str, detail: str) -> None:
        texts = {
            "loading": "Loading the model…",
            "downloading": "Downloading the model…",
            "ready": f"Model: {detail}",
            "missing": "Model not downloaded: click to get it",
            "failed": "Model unavailable: click for details",
        }
        self.model_button.setText(texts.get(state, ""))
        self.model_button.setToolTip(detail)
        if state == MODEL_READY and (self.query or self.example is not None):
            self.refresh()
        elif self.searching and not self.controller.can_search(self.example):
            self._show_model_needed()

    def _show_model_needed(self) -> None:
        what = f"“{_escape(self.query)}”" if self.query else "similar photos"
        short = {
            MODEL_MISSING: "needs the model",
            MODEL_FAILED: "the model could not be loaded",
            MODEL_DOWNLOADING: "waiting for the model's download",
        }.get(self.controller.state, "loading the model…")
        self.header.setText(f"<b>{what}</b> · {short}")
        self.empty_hint.setText(self._model_needed_text())
        self.empty_hint.setVisible(True)

    def _model_needed_text(self) -> str:
        """What a search waits for, and the one thing to do about it (links run `_on_action_link`)."""
        what = f"“{_escape(self.query)}”" if self.query else "similar photos"
        state, detail = self.controller.state, _escape(self.controller.state_detail)
        if state == MODEL_MISSING:
            return (
                f"Searching for {what} needs the model, which is not on this computer yet. "
                "<a href='download'>Download it</a> (your photos stay browsable meanwhile)."
            )
        if state == MODEL_FAILED:
            return (
                f"Searching for {what} needs the model, which could not be loaded: {detail} "
                "<a href='retry'>Try again</a>"
            )
        if state == MODEL_DOWNLOADING:
            return f"<i>Downloading the model: the search for {what} runs as soon as it is here.</i>"
        return f"<i>Loading the model to search for {what}…</i>"

    def _on_action_link(self, action: str) -> None:
        if action == "download":
            self.controller.download_model()
        elif action == "retry":
            if self.controller.model_available():
                self.controller.load_model()
            else:
                self.controller.download_model()
        elif action == "add-folder":
            self.add_folder()

    def _on_text_ready(self) -> None:
        """The text tower is open before the whole model: a search that waited for it runs now."""
        if (self.query or self.example is not None) and self.controller.can_search(self.example):
            self.refresh()

    def _on_model_button(self) -> None:
        state = self.controller.state
        if state == MODEL_MISSING:
            self.controller.download_model()
        elif state == MODEL_FAILED:
            box = QMessageBox(self)
            box.setWindowTitle("The model is not available")
            box.setText(self.controller.state_detail)
            box.setInformativeText("Retry the download, use a checkpoint file, or try the offline demo.")
            retry = box.addButton("Retry", QMessageBox.ButtonRole.AcceptRole)
            welcome = box.addButton("Other options…", QMessageBox.ButtonRole.ActionRole)
            box.addButton(QMessageBox.StandardButton.Close)
            box.exec()
            if box.clickedButton() is retry:
                if self.controller.model_available():
                    self.controller.load_model()
                else:
                    self.controller.download_model()
            elif box.clickedButton() is welcome:
                self.stack.setCurrentIndex(WELCOME)

    def _on_download_bytes(self, done: object, total: object) -> None:
        if isinstance(done, int) and isinstance(total, int) and total:
            self.model_button.setText(f"Downloading the model: {done / total:.0%} of {total / 1e6:,.0f} MB")

    # -- what the grid shows --------------------------------------------------------------------

    def set_scope(self, scope: Scope) -> None:
        self._leave_viewer()
        if self.stack.currentIndex() == REVIEW:
            self.review.leave()  # its decisions become one undo step
        if scope.kind == "duplicates":
            self.show_duplicates()
            return
        if self.stack.currentIndex() == SIMILAR_VIEW:
            self.stack.setCurrentIndex(GRID)
        self.scope = scope
        self.grid.scrollToTop()
        self.refresh()

    def show_duplicates(self) -> None:
        """The "Duplicates & bursts" view (computed in the background; shown as it was until it is)."""
        from photoclip.ui.sidebar import SIMILAR

        if self.sidebar.current_scope != SIMILAR:
            self.sidebar.select_scope(SIMILAR)  # comes back here through set_scope
            return
        self.stack.setCurrentIndex(SIMILAR_VIEW)
        if self.similar.found is None:
            self.similar.refresh()

    def set_query(self, text: str) -> None:
        if text == self.query:
            return
        self._leave_viewer()
        self.query = text
        self.grid.scrollToTop()
        self.refresh()

    def _search_instead(self, query: str) -> None:
        """A filter chip was closed: search the query without it (words it was read from stay, as words)."""
        self.search.setText(query)
        self.set_query(query.strip())

    def clear_search(self) -> None:
        if self.query or self.example is not None:
            self._leave_viewer()
        self.example = None
        self._show_example_chip()
        if self.search.text():
            self.search.clear()
        self.query = ""
        self.refresh()

    def find_similar(self, example: int | Path | SceneRef) -> None:
        """Search by example, best match first (an earlier "By date" would bury it)."""
        self.example = example
        if isinstance(example, Path):
            self.example_name = example.name
        elif isinstance(example, SceneRef):  # from a video's scene, in the viewer
            photo = self.model.photo(example.photo_id)
            known = self.model.scenes_of(example.photo_id) or self.viewer.scenes_of(example.photo_id)
            scene = next((s for s in known if s.index == example.index), None)
            at = f" @ {format_clip_time(scene.start)}" if scene is not None else f" (scene {example.index + 1})"
            self.example_name = (photo.path.name if photo is not None else "a video") + at
        else:
            photo = self.model.photo(example)
            self.example_name = photo.path.name if photo is not None else f"photo {example}"
        self._show_example_chip()
        self._load_chip_thumbnail()
        if self.by_date.isChecked():
            with QSignalBlocker(self.by_date):  # not a change of the saved preference
                self.by_date.setChecked(False)
        self._leave_viewer()
        if self.stack.currentIndex() != GRID:
            self.stack.setCurrentIndex(GRID)
        self.grid.scrollToTop()
        self.refresh()

    def clear_example(self) -> None:
        self.example = None
        self._show_example_chip()
        self.refresh()

    def _show_example_chip(self) -> None:
        self.example_chip.setText(f"Similar to {self.example_name}  ✕")
        self.example_chip.setToolTip(f"Searching for photos like {self.example_name}: click to stop")
        self.example_action.setVisible(self.example is not None)
        if self.example is None:
            self.example_chip.setIcon(QIcon())

    def _load_chip_thumbnail(self) -> None:
        """Show the example's thumbnail on its chip (made off the GUI thread, like the grid's)."""
        self.example_chip.setIcon(QIcon())
        store = self.controller.thumbnails
        example = self.example
        if store is None or example is None:
            return
        at: float | None = None  # a scene's chip shows the scene's moment
        if isinstance(example, Path):
            path, content_hash = example, None
        else:
            photo = self.model.photo(example.photo_id if isinstance(example, SceneRef) else example)
            if photo is None:
                return
            path, content_hash = photo.path, photo.content_hash
            if isinstance(example, SceneRef):
                known = self.model.scenes_of(example.photo_id) or self.viewer.scenes_of(example.photo_id)
                at = next((s.start for s in known if s.index == example.index), None)

        def load() -> QImage | None:
            try:
                image = QImage(str(store.get(path, content_hash, ThumbnailStore.bucket(CHIP_THUMBNAIL), at)))
            except (PhotoclipError, OSError):
                return None
            return None if image.isNull() else image

        def show(image: QImage | None) -> None:
            if image is not None and self.example == example:
                self.example_chip.setIcon(QIcon(QPixmap.fromImage(image)))

        self._chip_request.submit(load, show)

    def refresh(self) -> None:
        """Show the current scope, query and example again (also after the library changed)."""
        library = self.controller.library
        if library is None:
            return
        try:
            parse_query(self.query)  # a mistake in the query is said at once
        except QueryError as e:
            self._results.invalidate()
            self.chips.show_chips([])
            self.header.setText(f"<span style='color:#c0392b'>{_escape(str(e))}</span>")
            return
        query, example, scope_filter = self.query, self.example, self.scope.photo_filter
        ready = self.controller.can_search(example)  # words need only the text tower, outside photos the model

        def answer() -> _Answer:
            """Off the GUI thread: read the words against the library's places, then browse or search."""
            parsed = library.searcher.understand(query)
            if parsed.is_empty() and example is None:
                ids = library.searcher.browse_ids(merge_filters(parsed.filter, scope_filter))
                return _Answer(parsed, ids=ids, browse_shapes=Shapes.of(ids, library.photos.shapes(ids)))
            if not ready:
                return _Answer(parsed)
            result = library.searcher.search(
                parsed, example=example, limit=SEARCH_LIMIT, photo_filter=scope_filter, relevance=0.0
            )
            return _Answer(parsed, result=result, hit_shapes=library.photos.shapes([h.photo_id for h in result.hits]))

        self._results.submit(answer, self._show_answer)

    def _show_answer(self, answer: _Answer) -> None:
        self.chips.show_chips(answer.parsed.chips)
        if answer.ids is not None:
            self.searching = False
            self._set_search_mode(False)
            self._show_browse(answer.ids, answer.browse_shapes, filtered=not answer.parsed.filter.is_empty())
            return
        self.searching = True
        self._set_search_mode(True)
        if answer.result is None:  # searched again once the model is ready (_on_model_state, _on_text_ready)
            self.model.set_photos([])
            self._show_model_needed()
            return
        self._show_search_with(answer.result, answer.hit_shapes)

    def _set_search_mode(self, on: bool) -> None:
        self.search_controls.setVisible(on)
        self.grid.delegate.show_scores = on

    def _remember_position(self) -> None:
        """Keep the scroll position and selection when the same results come again (the library
        changed under them); new results (another query, scope or example) start at the top."""
        key = (self.scope.key, self.query, self.example)
        if key != self._shown_key:
            self._shown_key = key
            self._restore_ids = []
            self._restore_top = None
            self._to_top = True
            return
        self._restore_ids = self.grid.selected_ids()
        top = self.grid.top_index()
        self._restore_top = self.model.photo_id(top.row()) if top.isValid() else None

    def _restore_selection(self) -> None:
        if self._to_top:
            self._to_top = False
            self.grid.scrollToTop()
        if self._restore_ids:
            self.grid.select_ids(self._restore_ids)
        top = getattr(self, "_restore_top", None)
        row = self.model.row_of(top) if top is not None else None
        if row is not None:
            self.grid.scrollTo(self.model.index(row), PhotoGrid.ScrollHint.PositionAtTop)
        self._restore_ids = []
        self._restore_top = None

    def _show_browse(self, ids: list[PhotoId], shapes: Shapes | None, *, filtered: bool) -> None:
        self.result = None
        self._remember_position()
        self.grid.grouped = True  # browsing is the timeline
        self.model.set_photos(ids, shapes=shapes)
        title = _escape(self.scope.title)
        if filtered:
            title += f" · {_escape(self.query)}"
        self.header.setText(f"<b>{title}</b> · {counted(len(ids), 'photo')}")
        self._show_empty_hint(not ids)

    def _show_search_with(
        self, result: SearchResult, shapes: dict[PhotoId, tuple[str | None, int | None, int | None]]
    ) -> None:
        self._hit_shapes = shapes  # the matches' days and aspect ratios, for the grid's layout
        self._show_search(result)

    def _show_search(self, result: SearchResult) -> None:
        self.result = result
        self._remember_position()
        self._apply_relevance()

    def _apply_relevance(self) -> None:
        """Reshape the last results in place: the relevance slider and the date order (rules from core)."""
        result = self.result
        if result is None:
            return
        shown = result.relevant(self.relevance.value() / 100)
        if self.by_date.isChecked():
            shown = shown.newest_first()
        hits = shown.hits
        ids = [h.photo_id for h in hits]
        self.grid.grouped = self.by_date.isChecked()  # by date: the timeline of the matches
        self.model.set_photos(ids, [h.score for h in hits], Shapes.of(ids, self._hit_shapes))
        self.model.set_matches({int(h.photo_id): h.scenes for h in hits if h.scenes})
        what = f"“{_escape(self.query)}”" if self.query else ""
        if self.example is not None:
            what = f"photos like {_escape(self.example_name)}" + (f" and {what}" if what else "")
        more = f" of {len(result.hits):,}" if len(hits) < len(result.hits) else ""
        scope = "" if self.scope.kind == "all" else f" in {_escape(self.scope.title)}"
        order = ", newest first" if self.by_date.isChecked() else ""
        pending = self._status.pending if self._status is not None else 0
        waiting = f" · {counted(pending, 'photo')} not indexed yet" if pending else ""
        self.header.setText(
            f"<b>{len(hits):,}</b>{more} matches for {what}{scope}{order} · {result.seconds * 1000:.0f} ms{waiting}"
        )
        self._show_empty_hint(not hits)

    def _show_empty_hint(self, empty: bool) -> None:
        if empty:
            self.empty_hint.setText(self._empty_text())
        self.empty_hint.setVisible(empty)

    def _empty_text(self) -> str:
        """Why nothing shows, and what to do (one sentence each)."""
        status = self._status
        if not self.folders:
            return "No photo folders yet: <a href='add-folder'>add one</a> (File ▸ Add folder…)."
        if self.searching:
            if self.relevance.value() > 0:
                return "No matches this relevant: move the Relevance slider left, or describe the photo differently."
            return "No matches: describe the photo differently."
        if self.scope.kind == "album":
            return "This album is empty: drag photos onto it in the sidebar, or right-click photos ▸ Add to album."
        if self.scope.kind == "tag":
            return "No photo has this tag any more."
        if status is not None and status.folders and all(f.offline for f in status.folders):
            return "Your photo folders are offline (a drive that is not connected?); their photos come back with it."
        if status is None or status.photos == 0:
            return "Looking for photos in your folders…"
        return "No photos here."

    def _on_relevance(self, value: int) -> None:
        self.settings.relevance = value / 100
        self._remember_position()  # the same results, fewer or more of them: stay where you are
        self._apply_relevance()

    def _on_by_date(self, on: bool) -> None:
        self.settings.order_by_date = on
        self._to_top = True  # another order: its first photo is what to see
        self._apply_relevance()

    def _on_zoom(self, size: int) -> None:
        self.settings.thumbnail_size = size
        self.grid.set_thumbnail_size(size)

    # -- indexing progress --------------------------------------------------------------------

    def _on_index_progress(self, progress: Any) -> None:
        if progress is None:
            self.progress.setVisible(False)
            self.pause_button.setVisible(self.pause_button.text() == "Resume")
            if self.pause_button.text() == "Resume":
                self.status_text.setText("Indexing paused")
            else:
                self._refresh_status()
            return
        if progress.phase == "wait":
            self.status_text.setText("Waiting for another photoclip to finish indexing this library…")
            return
        self.progress.setVisible(True)
        self.pause_button.setVisible(True)
        self.progress.setRange(0, max(progress.total, 1))
        self.progress.setValue(progress.done)
        verb = "Re-embedding for the new model:" if progress.phase == "switch" else "Indexing"
        text = f"{verb} {progress.done:,} of {counted(progress.total, 'photo')}"
        if progress.rate > 0:
            text += f" · {progress.rate:.0f} photos/s"
        eta = progress.eta_seconds
        if eta is not None:
            text += f" · about {_duration(eta)} left"
        if progress.skipped:
            text += f" · {progress.skipped:,} skipped"
        self.status_text.setText(text)

    def _on_text_progress(self, progress: Any) -> None:
        """Text read in the background: said in the status bar while it goes on (no progress bar: it is slow)."""
        if self.progress.isVisible():
            return  # indexing is said first; reading waits for it anyway
        left = max(progress.total - progress.done, 0)
        if left:
            self.status_text.setText(f"Reading text in photos · {left:,} left to look at")
        else:
            self._refresh_status()

    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)
        log.warning("%s", message)

    # -- viewer ---------------------------------------------------------------------------------

    def open_current(self) -> None:
        photo_id = self.grid.current_id()
        if photo_id is not None:
            self.open_viewer(photo_id)

    def open_viewer(self, photo_id: int) -> None:
        row = self.model.row_of(photo_id)
        if row is None:
            return
        scores = {}
        if self.searching and self.result is not None:
            scores = {int(h.photo_id): h.score for h in self.result.hits}
            self.viewer.matches = {int(h.photo_id): h.scenes for h in self.result.hits if h.scenes}
            top = self.result.hits[0].score if self.result.hits else None
            query = self.query or f"photos like {self.example_name}"
            self.viewer.query_context = (query, self.result.typical, top)
        else:
            self.viewer.query_context = None
            self.viewer.matches = {}
        self.stack.setCurrentIndex(VIEWER)
        self.viewer.show_photos(self.model.ids, row, scores)

    def close_viewer(self) -> None:
        current = self.viewer.current_id
        self._leave_full_screen()
        self.viewer.leave()
        self.stack.setCurrentIndex(GRID)
        if current is not None:
            row = self.model.row_of(current)
            if row is not None:
                index = self.model.index(row)
                self.grid.setCurrentIndex(index)
                self.grid.scrollTo(index)
        self.grid.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt's name
        """Esc on the grid page stops the search wherever the focus is (the field handles its own)."""
        searching = self.query or self.example is not None or self.search.text()
        if event.key() == Qt.Key.Key_Escape and self.stack.currentIndex() == GRID and searching:
            self.clear_search()
            return
        super().keyPressEvent(event)

    def _on_photos_removed(self, photo_ids: list[int]) -> None:
        """Photos Del took away: the viewer shows the next one, or goes back to the grid when none is left."""
        if self.stack.currentIndex() != VIEWER:
            return
        self.viewer.forget(photo_ids)
        if self.viewer.current_id is None:
            self.close_viewer()

    def _leave_viewer(self) -> None:
        """New results replace the photos the viewer walks through: back to the grid, which shows them.

        The search field keeps the focus, so typing goes on.
        """
        if self.stack.currentIndex() != VIEWER:
            return
        self._leave_full_screen()
        self.viewer.leave()
        self.stack.setCurrentIndex(GRID)

    def toggle_full_screen(self) -> None:
        """F11: the photo alone on the screen (every bar hidden) in the viewer; the whole window from the grid."""
        if self.isFullScreen():
            self._leave_full_screen()
            return
        if self.stack.currentIndex() == GRID and self.grid.current_id() is not None:
            self.open_current()
        if self.stack.currentIndex() == VIEWER:
            chrome = [self.menuBar(), self.statusBar(), self.sidebar, *self.findChildren(QToolBar)]
            self._hidden_chrome = [widget for widget in chrome if widget.isVisible()]
            for widget in self._hidden_chrome:
                widget.hide()
            self.viewer.set_full_screen(True)
        self._maximized_before_full_screen = self.isMaximized()
        self.showFullScreen()

    def _leave_full_screen(self) -> None:
        if self.isFullScreen():
            if self._maximized_before_full_screen:
                self.showMaximized()
            else:
                self.showNormal()
        for widget in self._hidden_chrome:
            widget.show()
        self._hidden_chrome = []
        if self.viewer.full_screen:
            self.viewer.set_full_screen(False)

    def _zoom_step(self, direction: int) -> None:
        """Ctrl+Plus / Ctrl+Minus: the photo in the viewer, the thumbnails in the grid."""
        if self.stack.currentIndex() == VIEWER:
            if direction > 0:
                self.viewer.view.zoom_in()
            else:
                self.viewer.view.zoom_out()
        else:
            self.zoom.setValue(self.zoom.value() + 32 * direction)

    # -- grid context menu ----------------------------------------------------------------------

    def _grid_menu(self, pos: QPoint) -> None:
        menu = self.grid_menu_at(pos)
        if menu is not None:
            menu.popup(self.grid.viewport().mapToGlobal(pos))

    def grid_menu_at(self, pos: QPoint) -> QMenu | None:
        """The grid's context menu for the photo at `pos` (or the selection it is in); None: no photo there."""
        index = self.grid.indexAt(pos)
        if index.isValid() and not self.grid.selectionModel().isSelected(index):
            self.grid.setCurrentIndex(index)
        ids = self.grid.selected_ids()
        if not ids:
            return None
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        first = ids[0]
        menu.addAction("Open", lambda: self.open_viewer(first))
        menu.addAction(icon("similar"), "Find similar", lambda: self.find_similar(first))
        menu.addSeparator()
        actions = self.photo_actions
        actions.update_texts()
        menu.addAction(actions.open_action)
        menu.addAction(actions.reveal_action)
        menu.addAction(actions.copy_action)
        menu.addSeparator()
        actions.rate_menu(menu)
        menu.addAction(actions.favourite_action)
        menu.addSeparator()
        albums = menu.addMenu(icon("album"), "Add to album")
        for name in self.sidebar.album_names():
            albums.addAction(name, partial(self.sidebar.add_to_album, name, ids))
        if albums.actions():
            albums.addSeparator()
        albums.addAction("New album…", lambda: self.new_album(ids))
        menu.addAction(icon("tag"), "Tag…", self.tag_selection)
        menu.addAction("Accept suggestions", lambda: self.decide_suggestions(ACCEPT)).setShortcut("Ctrl+Return")
        menu.addAction("Reject suggestions", lambda: self.decide_suggestions(REJECT)).setShortcut("Ctrl+Backspace")
        if self.scope.kind == "tag":
            menu.addAction(f"Review suggestions of “{self.scope.value}”…", self.review_suggestions)
        menu.addAction(icon("auto-tag"), "Auto-tag…", self.auto_tag)
        menu.addAction("Export tags to XMP", self.export_xmp)
        menu.addSeparator()
        menu.addAction(actions.delete_action)  # "Remove from <album>" in an album, else "Move to trash…"
        return menu

    # -- reviewing suggestions ------------------------------------------------------------------

    def decide_suggestions(self, verdict: str) -> None:
        """Accept or reject every suggestion of the selected photos (Ctrl+Enter, Ctrl+Backspace)."""
        if self.stack.currentIndex() == GRID:
            self.decisions.decide(self.grid.selected_ids(), verdict)

    def review_suggestions(self) -> None:
        """Review a label: the one browsed, else one chosen among those with suggestions left."""
        library = self.controller.library
        if library is None:
            return
        if self.scope.kind == "tag":
            self.review_label(self.scope.label_set, self.scope.value)
            return
        self.controller.read(library.tags.counts, self._choose_label_to_review)

    def _choose_label_to_review(self, counts: list[Any]) -> None:
        waiting = sorted((c for c in counts if c.suggested), key=lambda c: (-c.suggested, c.label.casefold()))
        if not waiting:
            self.statusBar().showMessage("No suggestions to review. Auto-tag some photos first (Ctrl+Shift+T).", 15_000)
            return
        items = [f"{c.label} ({c.label_set}) · {counted(c.suggested, 'suggestion')}" for c in waiting]
        choice, ok = QInputDialog.getItem(self, "Review suggestions", "Label to review:", items, 0, False)
        if ok and choice in items:
            chosen = waiting[items.index(choice)]
            self.review_label(chosen.label_set, chosen.label)

    def review_label(self, label_set: str, label: str) -> None:
        self.stack.setCurrentIndex(REVIEW)
        self.review.start(label_set, label)

    def _leave_review(self) -> None:
        if self.stack.currentIndex() == REVIEW:
            self.stack.setCurrentIndex(GRID)
            self.grid.setFocus()

    def find_similar_to_current(self) -> None:
        photo_id = self.viewer.current_id if self.stack.currentIndex() == VIEWER else self.grid.current_id()
        if photo_id is not None:
            self.find_similar(photo_id)

    # -- folders and libraries ------------------------------------------------------------------

    def add_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a photo folder", str(Path.home()))
        if path:
            self.controller.add_folder(Path(path))
            if self.stack.currentIndex() == WELCOME:
                self.welcome.set_folders([*self.folders, Path(path)])

    def remove_folder(self, path: str) -> None:
        answer = QMessageBox.question(
            self,
            "Remove folder",
            f"Stop watching {path} and forget its photos' tags and albums?\n\nThe photo files are not touched.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.remove_folder(Path(path))

    def open_demo(self) -> None:
        from photoclip.core import TINY_MODEL_KEY
        from photoclip.demo import default_demo_dir, prepare_demo_photos

        base = default_demo_dir()
        if self.folders and self.controller.library_dir != base / "library" and not self._confirm_demo():
            return
        self.status_text.setText("Creating the demo photos…")

        def ready(photos: Path) -> None:
            self._after_open.append(lambda: self.controller.add_folder(photos))
            self._after_open.append(lambda: self.stack.setCurrentIndex(GRID))
            self.settings.library_dir = base / "library"
            self._switch(base / "library", TINY_MODEL_KEY)

        self.controller.write(lambda: prepare_demo_photos(base), ready)

    def _confirm_demo(self) -> bool:
        """The demo is another library: say so before leaving this one, and how to come back."""
        box = QMessageBox(self)
        box.setWindowTitle("Open the offline demo?")
        box.setText("The demo is a separate library: 240 generated pictures of shapes and a tiny model.")
        box.setInformativeText(
            "Your library and its photos stay exactly as they are. Come back with File ▸ Switch library ▸ My library."
        )
        go = box.addButton("Open the demo", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is go

    def open_default_library(self) -> None:
        from photoclip.core import default_library_dir

        self.settings.library_dir = None
        self._switch(default_library_dir(), None)

    def open_other_library(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open or create a library folder", str(Path.home()))
        if path:
            self.settings.library_dir = Path(path)
            self._switch(Path(path), None)

    def _switch(self, library_dir: Path, model: str | None) -> None:
        self.model.set_photos([])
        self.scope = ALL
        self.clear_search()
        self.controller.switch_library(library_dir, model=model)

    # -- albums ---------------------------------------------------------------------------------

    def new_album(self, ids: list[int] | None = None) -> None:
        name, ok = QInputDialog.getText(self, "New album", "Album name:")
        name = name.strip()
        if not ok or not name:
            return
        photo_ids = ids if ids is not None else self.grid.selected_ids()
        library = self.controller.library
        if library is not None:
            self.controller.write(
                lambda: library.albums.create(name, photo_ids), lambda _r: self.sidebar.select_scope(album_scope(name))
            )

    def new_smart_album(self) -> None:
        """A smart album; from a search being shown, that search (and its folder) fills in the form."""
        from photoclip.ui.smart_album_dialog import SmartAlbumDialog

        if self.controller.library is None:
            return
        folder = Path(self.scope.value) if self.scope.kind == "folder" else None
        self.smart_dialog = SmartAlbumDialog(
            self.controller, self.folders, self, query=self.query, relevance=self.relevance.value() / 100, folder=folder
        )
        self.smart_dialog.accepted.connect(self._show_created_album)
        self.smart_dialog.open()

    def edit_smart_album(self, name: str) -> None:
        from photoclip.ui.smart_album_dialog import SmartAlbumDialog

        library = self.controller.library
        if library is None:
            return

        def open_dialog(smart: object) -> None:
            self.smart_dialog = SmartAlbumDialog(self.controller, self.folders, self, existing=smart)  # type: ignore[arg-type]
            self.smart_dialog.accepted.connect(self._show_created_album)
            self.smart_dialog.open()

        self.controller.read(lambda: library.smart_albums.get(name), open_dialog)

    def _show_created_album(self) -> None:
        name = self.smart_dialog.created
        if name:
            self.sidebar.select_scope(album_scope(name))

    def freeze_album(self, name: str) -> None:
        answer = QMessageBox.question(
            self,
            "Freeze smart album",
            f"Make “{name}” a plain album?\n\nIt keeps the photos it holds now and stops changing by itself; "
            "you can then add and remove photos by hand.",
        )
        library = self.controller.library
        if answer == QMessageBox.StandardButton.Yes and library is not None:
            self.controller.write(lambda: library.smart_albums.freeze(name))

    def rename_album(self, old: str) -> None:
        new, ok = QInputDialog.getText(self, "Rename album", "New name:", text=old)
        new = new.strip()
        library = self.controller.library
        if ok and new and new != old and library is not None:
            after = (lambda _r: self.sidebar.select_scope(album_scope(new))) if self.scope.value == old else None
            self.controller.write(lambda: library.albums.rename(old, new), after)

    def delete_album(self, name: str) -> None:
        answer = QMessageBox.question(
            self, "Delete album", f"Delete the album “{name}”?\n\nIts photos stay in the library."
        )
        library = self.controller.library
        if answer == QMessageBox.StandardButton.Yes and library is not None:
            after = (lambda _r: self.sidebar.select_scope(ALL)) if self.scope.value == name else None
            self.controller.write(lambda: library.albums.delete(name), after)

    def remove_from_album(self) -> None:
        if self.scope.kind == "album":
            self.photo_actions.delete_selection()

    # -- ratings and file actions (`photo_actions`) --------------------------------------------------

    def _photo_targets(self) -> list[int]:
        """What Rate, Favourite, Open and Copy apply to: the photo in the viewer, else the grid's selection."""
        if self.stack.currentIndex() == VIEWER:
            return [self.viewer.current_id] if self.viewer.current_id is not None else []
        return self._grid_targets()

    def _grid_targets(self) -> list[int]:
        return self.grid.selected_ids() if self.stack.currentIndex() == GRID else []

    def _album_shown(self) -> str | None:
        return self.scope.value if self.scope.kind == "album" else None

    def _on_ratings_changed(self) -> None:
        query = self.query.lower()
        if "rating:" in query or "is:" in query:
            self.refresh()

    def _on_albums_changed(self) -> None:
        if self.scope.kind == "album":
            self.refresh()

    # -- tags ---------------------------------------------------------------------------------

    def _on_tags_changed(self) -> None:
        if self.scope.kind == "tag" or "tag:" in self.query:
            self.refresh()

    def _refresh_completions(self) -> None:
        library = self.controller.library
        if library is None:
            return

        def collect() -> tuple[list[str], list[str]]:
            return library.tags.label_names(), [a.name for a in library.albums.all()]

        self._completions_request.submit(collect, lambda r: self.search.set_completions(*r))

    def _target_ids(self) -> tuple[list[int] | None, str]:
        """The selection if there is one, else what is shown (None meaning the whole library)."""
        selected = self.grid.selected_ids()
        if len(selected) > 1:
            return selected, f"{len(selected):,} selected photos"
        if self.searching or self.scope.kind != "all":
            title = f"search results for “{self.query}”" if self.searching else self.scope.title
            return list(self.model.ids), title
        return None, "All photos"

    def tag_selection(self) -> None:
        ids = self.grid.selected_ids() or ([self.viewer.current_id] if self.viewer.current_id else [])
        if ids:
            dialog = TagDialog(self.controller, ids, self)
            dialog.open()

    def auto_tag(self) -> None:
        ids, title = self._target_ids()
        self._open_auto_tag(ids, title)

    def auto_tag_scope(self, scope: Scope) -> None:
        if scope.kind == "all":
            self._open_auto_tag(None, "All photos")
            return
        library = self.controller.library
        if library is not None:
            self.controller.read(
                lambda: [int(i) for i in library.searcher.browse_ids(scope.photo_filter)],
                lambda ids: self._open_auto_tag(ids, scope.title),
            )

    def _open_auto_tag(self, ids: list[int] | None, title: str) -> None:
        if self.controller.library is None:
            return
        self.auto_tag_dialog = AutoTagDialog(self.controller, ids, title, self)
        self.auto_tag_dialog.open()

    def _on_sidecars_written(self, report: ExportReport) -> None:
        """Sidecars rewritten because tags changed (the library's setting): only problems are worth a word."""
        if report.problems:
            path, problem = report.problems[0]
            more = f" (and {len(report.problems) - 1:,} more)" if len(report.problems) > 1 else ""
            self.statusBar().showMessage(f"The sidecar of {path.name} was not written: {problem}{more}", 15_000)
        elif report.warnings:
            self.statusBar().showMessage(report.warnings[0][1], 15_000)

    def export_xmp(self) -> None:
        ids: list[int] | None = self.grid.selected_ids()
        if not ids:
            ids, _title = self._target_ids()
        library = self.controller.library
        if library is None:
            return
        if ids is None:
            self.controller.read(library.photos.embedded_ids, self._write_sidecars)
        else:
            self._write_sidecars(ids)

    def _write_sidecars(self, ids: Sequence[int]) -> None:
        library = self.controller.library
        if library is None:
            return
        settings = library.settings
        naming, suggestions = settings.sidecar_naming, settings.sidecar_include_suggestions

        def done(report: ExportReport) -> None:
            text = str(report)
            if report.only_suggested:
                text += " Preferences ▸ Sidecars can include suggestions."
            self.statusBar().showMessage(text, 15_000)

        self.controller.write(
            lambda: library.tags.export_xmp(ids, naming=naming, include_suggestions=suggestions), done
        )

    def import_keywords(self) -> None:
        ids = self.grid.selected_ids()
        library = self.controller.library
        if library is None:
            return

        def work() -> ImportReport:
            return library.tags.import_keywords(ids or library.photos.embedded_ids())

        def done(report: ImportReport) -> None:
            self.statusBar().showMessage(f"Imported keywords: {report}", 10_000)

        self.controller.write(work, done)

    # -- other windows --------------------------------------------------------------------------

    def edit_label_sets(self) -> None:
        from photoclip.ui.labelset_editor import LabelSetEditor

        if self.controller.library is not None:
            self.label_editor = LabelSetEditor(self.controller, self)
            self.label_editor.open()

    def show_preferences(self, offer_model: str | None = None) -> None:
        from photoclip.ui.preferences import PreferencesDialog

        if self.controller.library is None:
            return
        self.preferences = PreferencesDialog(self.controller, self.settings, self)
        self.preferences.accepted.connect(self._apply_preferences)
        if offer_model is not None:
            self.preferences.offer_model(offer_model)
        self.preferences.open()

    def offer_real_model(self) -> None:
        """From the demo model banner: Preferences ▸ Model with the default model chosen, to download and use."""
        from photoclip.core import DEFAULT_MODEL_KEY

        self.show_preferences(offer_model=DEFAULT_MODEL_KEY)

    def _apply_preferences(self) -> None:
        folder = self.settings.thumbnail_dir or default_cache_dir() / "thumbnails"
        store = ThumbnailStore(folder, budget_bytes=self.settings.thumbnail_budget_mb * MB)
        self.controller.thumbnails = store
        self.loader.store = store
        self.grid.viewport().update()

    def show_problems(self) -> None:
        self.problems = ProblemsDialog(self.controller, self)
        self.problems.open()

    def show_syntax(self) -> None:
        from photoclip.ui.searchbar import SYNTAX_HELP

        QMessageBox.information(self, "Search syntax", SYNTAX_HELP)

    def about(self) -> None:
        library = self.controller.library
        where = f"<br>Library: {library.directory}" if library is not None else ""
        QMessageBox.about(
            self,
            "About photoclip",
            f"<b>photoclip {__version__}</b><br>Find and organize your photos by meaning, on your own computer."
            f"<br>Built on OpenCLIP, hnswlib and Qt.{where}",
        )

    def focus_search(self) -> None:
        self._leave_viewer()
        if self.stack.currentIndex() != GRID:
            self.stack.setCurrentIndex(GRID)
        self.search.setFocus()
        self.search.selectAll()

    # -- closing --------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt's name
        self._leave_full_screen()
        self.settings.geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        self.settings.sync()
        self.hide()  # the app closes the library (waiting for queued edits) once the event loop ends
        event.accept()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
