"""The sidebar: All photos, the folder tree, albums, tags and places, each a place to browse.

Choosing an entry gives the window a `Scope`: a title and the core `PhotoFilter`
that selects its photos, so browsing, searching within it and auto-tagging it all
use the same filter. Counts are read on the background pool and the tree is
rebuilt keeping the current selection and what was expanded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QDragEnterEvent, QDragMoveEvent, QDropEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from photoclip.core import PhotoFilter, counted
from photoclip.ui.controller import LibraryController
from photoclip.ui.grid import photo_ids_from_mime
from photoclip.ui.icons import icon

if TYPE_CHECKING:
    from photoclip.core import Album, FolderStatus, Library, PlaceNode, TagCount

KindRole = Qt.ItemDataRole.UserRole + 1
ValueRole = Qt.ItemDataRole.UserRole + 2
SmartRole = Qt.ItemDataRole.UserRole + 3  # an album that fills itself from a search
NameRole = Qt.ItemDataRole.UserRole + 4


@dataclass(frozen=True)
class Scope:
    """What the grid shows when nothing is typed: everything, a folder, an album, a tag or a place."""

    kind: str  # "all", "folder", "album", "tag", "place", "duplicates" (the duplicates and bursts view)
    value: str = ""
    title: str = "All photos"
    photo_filter: PhotoFilter = field(default_factory=PhotoFilter)
    label_set: str = ""  # for tags

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.value, self.label_set)


ALL = Scope("all")
SIMILAR = Scope("duplicates", title="Duplicates & bursts")
REFRESH_SECONDS = 1.0
"""The sidebar's counts are read again at most this often while they keep changing (indexing)."""


def folder_scope(path: Path) -> Scope:
    return Scope("folder", str(path), path.name or str(path), PhotoFilter(folders=(path,)))


def album_scope(name: str) -> Scope:
    return Scope("album", name, name, PhotoFilter(albums=(name,)))


def tag_scope(label_set: str, label: str) -> Scope:
    return Scope("tag", label, f"{label} ({label_set})", PhotoFilter(set_tags=((label_set, label),)), label_set)


def place_scope(spec: str, name: str) -> Scope:
    """A country, region or city of the Places tree (`spec` is the core's `place:` value for exactly it)."""
    return Scope("place", spec, name, PhotoFilter(places=(spec,)))


@dataclass
class SidebarData:
    folders: list[FolderStatus]
    directories: dict[Path, int]
    albums: list[Album]
    tags: list[TagCount]
    total: int
    smart_rules: dict[str, str] = field(default_factory=dict)  # smart album name -> its rule in words
    places: list[PlaceNode] = field(default_factory=list)


def collect(library: Library) -> SidebarData:
    """Everything the sidebar shows, read in one go on a worker thread (not the full status: no sizes)."""
    from photoclip.core import describe_rule

    return SidebarData(
        library.folders.statuses(),
        library.photos.directory_counts(),
        library.albums.all(),
        library.tags.counts(),
        library.photos.browsable_count(),
        {s.name: describe_rule(s.rule) for s in library.smart_albums.all()},
        library.places.tree(),
    )


class Sidebar(QTreeWidget):
    scope_changed = Signal(object)  # Scope
    add_folder_requested = Signal()
    remove_folder_requested = Signal(str)
    new_album_requested = Signal()
    new_smart_album_requested = Signal()
    edit_smart_album_requested = Signal(str)
    freeze_album_requested = Signal(str)
    rename_album_requested = Signal(str)
    delete_album_requested = Signal(str)
    auto_tag_requested = Signal(object)  # Scope
    show_folder_requested = Signal(str)
    review_requested = Signal(str, str)  # label set, label

    def __init__(self, controller: LibraryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setHeaderHidden(True)
        self.setAccessibleName("Library")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.currentItemChanged.connect(self._on_current)
        self.current_scope: Scope = ALL
        self._suppress = False
        self._counts = controller.latest()
        self._refreshed_at = 0.0
        self._refresh_later = QTimer(self)
        self._refresh_later.setSingleShot(True)
        self._refresh_later.timeout.connect(self.refresh)
        self._all = self._section("All photos", "all")
        self._similar = self._section("Duplicates & bursts", "duplicates")
        self._similar.setToolTip(0, "Copies of the same picture and bursts of shots, to tidy up")
        self._folders = self._section("Folders", "folders")
        self._albums = self._section("Albums", "albums")
        self._tags = self._section("Tags", "tags")
        self._places = self._section("Places", "places")
        self._places.setHidden(True)  # until a photo has a location
        self._places.setToolTip(0, "Where the photos were taken, from the GPS coordinates they hold")
        for section, name in (
            (self._all, "photos"),
            (self._similar, "duplicates"),
            (self._folders, "folder"),
            (self._albums, "album"),
            (self._tags, "tag"),
            (self._places, "place"),
        ):
            section.setIcon(0, icon(name))
        for signal in (
            controller.folders_changed,
            controller.albums_changed,
            controller.tags_changed,
            controller.photos_changed,  # photos located as they are indexed
        ):
            signal.connect(self.refresh)
        self.setCurrentItem(self._all)

    def _section(self, title: str, kind: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self, [title])
        item.setData(0, KindRole, kind)
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        item.setExpanded(True)
        return item

    # -- contents ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Counts and lists again: at once after a quiet second, else at most once a second.

        Indexing changes the counts with every batch; rebuilding the tree each time kept the GUI
        thread busy (tens of ms a batch), while a second's delay in a count is invisible.
        """
        library = self.controller.library
        if library is None:
            return
        wait = self._refreshed_at + REFRESH_SECONDS - time.monotonic()
        if wait > 0:
            if not self._refresh_later.isActive():
                self._refresh_later.start(int(wait * 1000) + 1)
            return
        self._refreshed_at = time.monotonic()
        self._counts.submit(lambda: collect(library), self.populate)

    def populate(self, data: SidebarData) -> None:
        expanded = {self._item_key(i) for i in self._all_items() if i.isExpanded()}
        self._suppress = True
        try:
            self._all.setText(0, f"All photos  {data.total:,}")
            self._fill_folders(data)
            self._albums.takeChildren()
            smart_icon = icon("smart-album")
            for album in data.albums:
                item = self._child(self._albums, f"{album.name}  {album.count:,}", "album", album.name)
                rule = data.smart_rules.get(album.name)
                if album.smart and rule is not None:
                    item.setData(0, SmartRole, True)
                    item.setIcon(0, smart_icon)
                    item.setToolTip(0, f"Smart album: {rule}\nIt fills itself as photos arrive, change or go.")
            self._tags.takeChildren()
            sets: dict[str, QTreeWidgetItem] = {}
            for count in data.tags:
                if not (count.accepted or count.suggested):
                    continue
                parent = sets.get(count.label_set)
                if parent is None:
                    parent = sets[count.label_set] = self._child(
                        self._tags, count.label_set, "labelset", count.label_set
                    )
                text = f"{count.label}  {count.accepted + count.suggested:,}"
                if count.suggested:
                    text += f" ({count.suggested:,} to review)"
                item = self._child(parent, text, "tag", count.label)
                item.setToolTip(
                    0,
                    f"{counted(count.accepted + count.suggested, 'photo')}: {count.accepted:,} accepted, "
                    f"{count.suggested:,} only suggested. Click to browse them.",
                )
            self._fill_places(data.places)
            for item in self._all_items():
                if self._item_key(item) in expanded or item in (self._folders, self._albums, self._tags, self._places):
                    item.setExpanded(True)
            self._select(self.current_scope)
        finally:
            self._suppress = False

    def _fill_folders(self, data: SidebarData) -> None:
        self._folders.takeChildren()
        for status in data.folders:
            root = Path(status.path)
            title = f"{root.name or root}  {status.photos:,}"
            if status.offline:
                title += "  (offline)"
            top = self._child(self._folders, title, "folder", str(root))
            top.setToolTip(0, f"{root}\n{'offline: not connected; its photos are kept' if status.offline else ''}")
            if status.offline:
                top.setForeground(0, QBrush(self.palette().color(QPalette.ColorRole.PlaceholderText)))
            nodes: dict[Path, QTreeWidgetItem] = {root: top}
            subtotal: dict[Path, int] = {}
            for directory, count in data.directories.items():
                if directory != root and root in directory.parents:
                    for ancestor in [directory, *directory.parents]:
                        if ancestor == root:
                            break
                        subtotal[ancestor] = subtotal.get(ancestor, 0) + count
            for directory in sorted(subtotal):
                parent = nodes.get(directory.parent, top)
                nodes[directory] = self._child(
                    parent, f"{directory.name}  {subtotal[directory]:,}", "folder", str(directory)
                )

    def _fill_places(self, nodes: list[PlaceNode]) -> None:
        """Countries > regions > cities with their photo counts."""
        self._places.takeChildren()
        self._places.setHidden(not nodes)

        def add(parent: QTreeWidgetItem, node: PlaceNode) -> None:
            item = self._child(parent, f"{node.name}  {node.photos:,}", "place", node.spec)
            item.setData(0, NameRole, node.name)
            item.setToolTip(0, f"{counted(node.photos, 'photo')} taken in {node.spec or node.name}: click to browse")
            for child in node.children:
                add(item, child)

        for node in nodes:
            add(self._places, node)

    def _child(self, parent: QTreeWidgetItem, text: str, kind: str, value: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [text])
        item.setData(0, KindRole, kind)
        item.setData(0, ValueRole, value)
        return item

    def _all_items(self) -> list[QTreeWidgetItem]:
        items = []
        stack = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        while stack:
            item = stack.pop()
            if item is None:
                continue
            items.append(item)
            stack.extend(item.child(i) for i in range(item.childCount()))
        return items

    @staticmethod
    def _item_key(item: QTreeWidgetItem) -> tuple[str, str, str]:
        parent = item.parent()
        return (str(item.data(0, KindRole)), str(item.data(0, ValueRole) or ""), parent.text(0) if parent else "")

    # -- scopes -----------------------------------------------------------------------------

    def scope_of(self, item: QTreeWidgetItem | None) -> Scope | None:
        if item is None:
            return None
        kind, value = item.data(0, KindRole), item.data(0, ValueRole)
        if kind == "all":
            return ALL
        if kind == "duplicates":
            return SIMILAR
        if kind == "folder":
            return folder_scope(Path(value))
        if kind == "album":
            return album_scope(value)
        if kind == "tag":
            parent = item.parent()
            return tag_scope(parent.data(0, ValueRole) if parent is not None else "", value)
        if kind == "place":
            return place_scope(value, str(item.data(0, NameRole) or value))
        return None

    def _on_current(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        scope = self.scope_of(item)
        if scope is None or self._suppress:
            return
        if scope != self.current_scope:
            self.current_scope = scope
            self.scope_changed.emit(scope)

    def select_scope(self, scope: Scope) -> None:
        """Show a scope (e.g. after creating an album) and tell the window."""
        self.current_scope = scope
        self._select(scope)
        self.scope_changed.emit(scope)

    def _select(self, scope: Scope) -> None:
        for item in self._all_items():
            if self.scope_of(item) == scope:
                blocked = self.blockSignals(True)
                self.setCurrentItem(item)
                self.blockSignals(blocked)
                return

    def album_names(self) -> list[str]:
        """Albums photos can be added to by hand (not the smart ones)."""
        children = (self._albums.child(i) for i in range(self._albums.childCount()))
        return [str(c.data(0, ValueRole)) for c in children if c is not None and not c.data(0, SmartRole)]

    def set_similar_count(self, groups: int | None) -> None:
        """The duplicates and bursts found (groups), beside the view's entry; None while not known yet."""
        self._similar.setText(0, "Duplicates & bursts" + (f"  {groups:,}" if groups else ""))

    # -- drops: photos onto an album ----------------------------------------------------------

    def _album_at(self, pos: QPoint) -> str | None:
        item = self.itemAt(pos)
        if item is not None and item.data(0, KindRole) == "album" and not item.data(0, SmartRole):
            return str(item.data(0, ValueRole))
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt's name
        if photo_ids_from_mime(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # Qt's name
        if self._album_at(event.position().toPoint()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt's name
        album = self._album_at(event.position().toPoint())
        ids = photo_ids_from_mime(event.mimeData())
        if album is None or not ids:
            event.ignore()
            return
        self.add_to_album(album, ids)
        event.acceptProposedAction()

    def add_to_album(self, album: str, ids: list[int]) -> None:
        library = self.controller.library
        if library is not None:
            self.controller.write(lambda: library.albums.add(album, ids))

    # -- context menu -------------------------------------------------------------------------

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu_at(pos)
        if not menu.isEmpty():
            menu.popup(self.viewport().mapToGlobal(pos))

    def context_menu_at(self, pos: QPoint) -> QMenu:
        """The menu for the item at `pos` (empty where there is nothing to do)."""
        item = self.itemAt(pos)
        kind = item.data(0, KindRole) if item is not None else None
        value = str(item.data(0, ValueRole) or "") if item is not None else ""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if kind in ("folders", "folder"):
            menu.addAction("Add folder…", self.add_folder_requested.emit)
        if kind == "folder":
            scope = self.scope_of(item)
            menu.addAction("Show in file manager", lambda: self.show_folder_requested.emit(value))
            menu.addAction("Auto-tag this folder…", lambda: self.auto_tag_requested.emit(scope))
            if item is not None and item.parent() is self._folders:
                menu.addSeparator()
                menu.addAction("Remove from library…", lambda: self.remove_folder_requested.emit(value))
        if kind in ("albums", "album"):
            menu.addAction("New album…", self.new_album_requested.emit)
            menu.addAction("New smart album…", self.new_smart_album_requested.emit)
        if kind == "album" and item is not None:
            self._album_actions(menu, item, value)
        if kind == "tag":
            tag = self.scope_of(item)
            if tag is not None:
                menu.addAction("Review suggestions…", lambda: self.review_requested.emit(tag.label_set, tag.value))
        if kind == "all":
            menu.addAction("Auto-tag all photos…", lambda: self.auto_tag_requested.emit(ALL))
        if kind == "place":
            place = self.scope_of(item)
            menu.addAction("Auto-tag the photos taken here…", lambda: self.auto_tag_requested.emit(place))
        return menu

    def _album_actions(self, menu: QMenu, item: QTreeWidgetItem, name: str) -> None:
        album = self.scope_of(item)
        menu.addAction("Auto-tag this album…", lambda: self.auto_tag_requested.emit(album))
        if item.data(0, SmartRole):
            menu.addAction("Edit smart album…", lambda: self.edit_smart_album_requested.emit(name))
            menu.addAction("Freeze (keep its photos, stop updating)", lambda: self.freeze_album_requested.emit(name))
        menu.addAction("Rename…", lambda: self.rename_album_requested.emit(name))
        menu.addAction("Delete album…", lambda: self.delete_album_requested.emit(name))
