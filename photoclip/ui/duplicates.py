"""The "Duplicates & bursts" view: groups side by side, the suggested keeper marked and why, tidy-up to the trash.

`SimilarTracker` keeps the latest answer of `Library.similar.find` (recomputed in the
background a few seconds after photos change) for the sidebar's count and this view.
The view shows one kind at a time (copies of one picture, or frames of one burst). Each
photo can be made the keeper of its group or moved to the platform trash; a group's
others, or every group's others, go to the trash after a confirmation that says how many
files. Every move to the trash is one step on the window's undo stack (Ctrl+Z puts the
files back, with their tags and albums).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from photoclip.core import counted, human_bytes
from photoclip.ui.controller import LibraryController
from photoclip.ui.thumbnails import ThumbnailLoader
from photoclip.ui.undo import UndoStack, UndoStep

if TYPE_CHECKING:
    from photoclip.core import GroupMember, MeasureProgress, PhotoGroup, RestoreReport, SimilarPhotos, TrashReport

DUPLICATES, BURSTS = "duplicates", "bursts"
THUMB = 168
PAGE = 25
"""Groups shown at first (and added by "Show more"): a library can have thousands."""

_RECOMPUTE_MS = 4000


class SimilarTracker(QObject):
    """The latest duplicates and bursts of the open library, recomputed in the background after changes."""

    updated = Signal(object)  # SimilarPhotos
    measuring = Signal(int, int)  # photos read for their measures so far, of how many

    def __init__(self, controller: LibraryController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.found: SimilarPhotos | None = None
        self._request = controller.latest()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        controller.photos_changed.connect(self.schedule)
        controller.albums_changed.connect(self.schedule)  # album places count towards the best shot

    def schedule(self) -> None:
        """Recompute a little later (photos arrive in bursts while indexing)."""
        self._timer.start(_RECOMPUTE_MS)

    def refresh(self) -> None:
        library = self.controller.library
        if library is None:
            return

        def progress(p: MeasureProgress) -> None:  # a worker thread: signals cross to the GUI thread
            self.measuring.emit(p.done, p.total)

        self._request.submit(lambda: library.similar.find(progress=progress), self._done)

    def _done(self, found: SimilarPhotos) -> None:
        self.found = found
        self.updated.emit(found)

    def forget(self, photo_ids: set[int]) -> None:
        """Photos just moved to the trash leave the shown groups at once (a recomputation follows)."""
        if self.found is None:
            return
        from dataclasses import replace

        def kept(groups: list[PhotoGroup]) -> list[PhotoGroup]:
            out = []
            for group in groups:
                members = tuple(m for m in group.members if int(m.id) not in photo_ids)
                if len(members) > 1:
                    out.append(replace(group, members=members))
            return out

        self.found = replace(self.found, duplicates=kept(self.found.duplicates), bursts=kept(self.found.bursts))
        self.updated.emit(self.found)
        self.schedule()


class PhotoCard(QFrame):
    """One photo of a group: thumbnail, name, size, how it differs from the keeper, and its two actions."""

    keep_requested = Signal(int)
    trash_requested = Signal(int)

    def __init__(self, member: GroupMember, keeper: bool, why: str, loader: ThumbnailLoader) -> None:
        super().__init__()
        self.member = member
        self.loader = loader
        self.setObjectName("keeper" if keeper else "photo")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(THUMB + 28)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum)
        self.setAccessibleName(f"{member.path.name}{', suggested keeper' if keeper else ''}")
        if keeper:
            self.setStyleSheet("QFrame#keeper { border: 2px solid palette(highlight); border-radius: 6px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(4)
        self.image = QLabel()
        self.image.setFixedSize(THUMB, THUMB * 3 // 4)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.image)
        name = QLabel(member.path.name)
        name.setToolTip(str(member.path))
        name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        name.setMaximumWidth(THUMB)
        metrics = name.fontMetrics()
        name.setText(metrics.elidedText(member.path.name, Qt.TextElideMode.ElideMiddle, THUMB))
        layout.addWidget(name)
        details = QLabel(f"{member.width}×{member.height} · {human_bytes(member.size)} · {member.file_type.upper()}")
        details.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(details)
        badge = QLabel("★ Best shot" if keeper else _reason_words(member.reason))
        badge.setMaximumWidth(THUMB)
        if keeper:
            font = badge.font()
            font.setBold(True)
            badge.setFont(font)
            badge.setToolTip(f"Suggested keeper: {why}")
        self.badge = badge
        layout.addWidget(badge)
        buttons = QHBoxLayout()
        self.keep_button = QPushButton("Keep this")
        self.keep_button.setToolTip("Make this the photo to keep in this group")
        self.keep_button.setEnabled(not keeper)
        self.keep_button.clicked.connect(lambda: self.keep_requested.emit(int(member.id)))
        self.trash_button = QPushButton("To trash")
        self.trash_button.setToolTip("Move this file to the trash (Ctrl+Z puts it back)")
        self.trash_button.setAccessibleName(f"Move {member.path.name} to the trash")
        self.trash_button.clicked.connect(lambda: self.trash_requested.emit(int(member.id)))
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.trash_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.show_thumbnail()

    def show_thumbnail(self) -> None:
        ratio = self.devicePixelRatioF()  # sharp on high-DPI screens: device pixels, not scaled-up logical ones
        pixmap = self.loader.pixmap(
            int(self.member.id), self.member.path, self.member.content_hash, round(THUMB * ratio)
        )
        if pixmap is None:
            failed = self.loader.failed.get(int(self.member.id))
            self.image.setText("No preview" if failed else "…")
            self.image.setToolTip(failed or "")
            return
        scaled: QPixmap = pixmap.scaled(
            self.image.size() * ratio, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        scaled.setDevicePixelRatio(ratio)
        self.image.setPixmap(scaled)


def _reason_words(reason: str) -> str:
    return {
        "same file": "Same file (identical bytes)",
        "re-encoded": "Re-encoded copy",
        "resized": "Resized copy",
        "cropped": "Cropped copy",
        "edited": "Edited copy",
        "burst": "Another frame of the burst",
    }.get(reason, reason)


class GroupCard(QFrame):
    """A group side by side: the keeper first, marked, with why; then the others."""

    keep_requested = Signal(object, int)  # the group, the photo id to keep
    trash_requested = Signal(list)  # photo ids
    trash_others_requested = Signal(object)  # the group

    def __init__(self, number: int, group: PhotoGroup, keeper: int, loader: ThumbnailLoader) -> None:
        super().__init__()
        self.group = group
        self.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        header = QHBoxLayout()
        chosen = keeper != int(group.best.id)
        why = "your choice" if chosen else ", ".join(group.why)
        title = QLabel(f"<b>{number}.</b> {len(group.members)} photos · keep ★ because: {why}")
        title.setTextFormat(Qt.TextFormat.RichText)
        others = len(group.members) - 1
        self.trash_others = QPushButton(f"Keep ★, trash {others} other{'s' if others != 1 else ''}…")
        self.trash_others.setToolTip("Move every photo of this group but the one to keep to the trash (asks first)")
        self.trash_others.clicked.connect(lambda: self.trash_others_requested.emit(group))
        header.addWidget(self.trash_others)  # first: always in view, however long the reasons
        header.addSpacing(8)
        header.addWidget(title)
        header.addStretch(1)
        layout.addLayout(header)
        row = QHBoxLayout()
        row.setSpacing(10)
        ordered = sorted(group.members, key=lambda m: int(m.id) != keeper)
        self.cards: list[PhotoCard] = []
        for member in ordered:
            card = PhotoCard(member, int(member.id) == keeper, why, loader)
            card.keep_requested.connect(lambda pid: self.keep_requested.emit(group, pid))
            card.trash_requested.connect(lambda pid: self.trash_requested.emit([pid]))
            self.cards.append(card)
            row.addWidget(card)
        row.addStretch(1)
        layout.addLayout(row)


class DuplicatesView(QWidget):
    """Duplicates and bursts of the library, to look through and tidy up (see the module docstring)."""

    message = Signal(str)  # for the status bar

    def __init__(
        self,
        controller: LibraryController,
        tracker: SimilarTracker,
        loader: ThumbnailLoader,
        undo: UndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.tracker = tracker
        self.loader = loader
        self.undo = undo
        self.kind = DUPLICATES
        self.shown = PAGE
        self.keepers: dict[frozenset[int], int] = {}  # a group (its photo ids) -> the photo chosen to keep
        self.cards: dict[int, PhotoCard] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 0)
        top = QHBoxLayout()
        title = QLabel("<b>Duplicates &amp; bursts</b>")
        title.setTextFormat(Qt.TextFormat.RichText)
        top.addWidget(title)
        top.addSpacing(12)
        self.duplicates_button = QPushButton("Duplicates")
        self.bursts_button = QPushButton("Bursts")
        kinds = QButtonGroup(self)
        for button, kind in ((self.duplicates_button, DUPLICATES), (self.bursts_button, BURSTS)):
            button.setCheckable(True)
            kinds.addButton(button)
            button.clicked.connect(lambda _c=False, k=kind: self.show_kind(k))
            top.addWidget(button)
        self.duplicates_button.setChecked(True)
        top.addStretch(1)
        self.keep_all_button = QPushButton("Keep the best of every group…")
        self.keep_all_button.setToolTip("Move every photo but the keeper of each group to the trash (asks first)")
        self.keep_all_button.clicked.connect(self.keep_best_of_every_group)
        top.addWidget(self.keep_all_button)
        layout.addLayout(top)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(self.area, 1)
        self._body = QWidget()
        self.area.setWidget(self._body)
        tracker.updated.connect(self._on_found)
        tracker.measuring.connect(self._on_measuring)
        loader.ready.connect(self._on_thumbnail)
        self._render()

    # -- what is shown --------------------------------------------------------------------------

    def groups(self) -> list[PhotoGroup]:
        found = self.tracker.found
        if found is None:
            return []
        return found.duplicates if self.kind == DUPLICATES else found.bursts

    def keeper_of(self, group: PhotoGroup) -> int:
        chosen = self.keepers.get(frozenset(int(m.id) for m in group.members))
        return chosen if chosen is not None else int(group.best.id)

    def show_kind(self, kind: str) -> None:
        self.kind = kind
        self.shown = PAGE
        self.duplicates_button.setChecked(kind == DUPLICATES)
        self.bursts_button.setChecked(kind == BURSTS)
        self._render()
        self.area.verticalScrollBar().setValue(0)

    def _on_found(self, _found: object = None) -> None:
        """Show the groups again, keeping the place in the list."""
        position = self.area.verticalScrollBar().value()
        self._render()
        self.area.verticalScrollBar().setValue(position)

    def _on_measuring(self, done: int, total: int) -> None:
        if self.tracker.found is None:
            self.summary.setText(f"Reading photos indexed by an earlier version, once: {done:,} of {total:,}…")

    def _render(self) -> None:
        found = self.tracker.found
        groups = self.groups()
        self.duplicates_button.setText(f"Duplicates ({len(found.duplicates):,})" if found else "Duplicates")
        self.bursts_button.setText(f"Bursts ({len(found.bursts):,})" if found else "Bursts")
        self.keep_all_button.setEnabled(bool(groups))
        self.summary.setText(self._summary_text(found, groups))
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        self.cards = {}
        for number, group in enumerate(groups[: self.shown], start=1):
            card = GroupCard(number, group, self.keeper_of(group), self.loader)
            card.keep_requested.connect(self._keep)
            card.trash_requested.connect(self._trash_one)
            card.trash_others_requested.connect(self._trash_others)
            for photo in card.cards:
                self.cards[int(photo.member.id)] = photo
            column.addWidget(card)
        if len(groups) > self.shown:
            more = QPushButton(f"Show more ({len(groups) - self.shown:,} more groups)")
            more.clicked.connect(self._show_more)
            more.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
            column.addWidget(more)
        column.addStretch(1)
        self.area.setWidget(body)  # the old one is deleted by the scroll area
        self._body = body

    def _summary_text(self, found: SimilarPhotos | None, groups: list[PhotoGroup]) -> str:
        if found is None:
            return "Looking for duplicates and bursts…" if self.controller.library is not None else ""
        noun = "copies of one picture" if self.kind == DUPLICATES else "frames shot seconds apart by one camera"
        if not groups:
            what = "duplicates" if self.kind == DUPLICATES else "bursts"
            return f"No {what} among {found.photos:,} photos."
        extra = sum(len(g.members) - 1 for g in groups)
        size = sum(m.size for g in groups for m in g.members if int(m.id) != self.keeper_of(g))
        return (
            f"{len(groups):,} groups of {noun}. The suggested keeper of each is marked ★; keeping only it "
            f"would move {extra:,} files ({human_bytes(size)}) to the trash."
        )

    def _show_more(self) -> None:
        position = self.area.verticalScrollBar().value()
        self.shown += PAGE
        self._render()
        self.area.verticalScrollBar().setValue(position)

    def _on_thumbnail(self, photo_id: int) -> None:
        card = self.cards.get(photo_id)
        if card is not None:
            card.show_thumbnail()

    # -- actions -------------------------------------------------------------------------------

    def _keep(self, group: PhotoGroup, photo_id: int) -> None:
        self.keepers[frozenset(int(m.id) for m in group.members)] = photo_id
        self._on_found()

    def _trash_one(self, ids: list[int]) -> None:
        self.move_to_trash(ids)

    def _trash_others(self, group: PhotoGroup) -> None:
        keeper = self.keeper_of(group)
        others = [m for m in group.members if int(m.id) != keeper]
        if self._confirm(
            others, f"The photo you keep is {next(m.path.name for m in group.members if int(m.id) == keeper)}."
        ):
            self.move_to_trash([int(m.id) for m in others])

    def keep_best_of_every_group(self) -> None:
        groups = self.groups()
        others = [m for g in groups for m in g.members if int(m.id) != self.keeper_of(g)]
        if others and self._confirm(others, f"The keeper of each of the {len(groups):,} groups stays."):
            self.move_to_trash([int(m.id) for m in others])

    def _confirm(self, members: list[GroupMember], kept: str) -> bool:
        size = human_bytes(sum(m.size for m in members))
        files = counted(len(members), "file")
        them, their = ("it", "its") if len(members) == 1 else ("them", "their")
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Move to the trash")
        box.setText(f"Move {files} ({size}) to the trash?")
        box.setInformativeText(
            f"{kept} Undo (Ctrl+Z) puts {them} back with {their} tags and albums, and your file manager's trash "
            f"can restore {them} too. Nothing is deleted."
        )
        move = box.addButton(f"Move {files} to the trash", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is move

    def move_to_trash(self, photo_ids: list[int]) -> None:
        """Send photos to the platform trash (one undo step), and take them out of the groups shown."""
        library = self.controller.library
        if library is None or not photo_ids:
            return
        for pid in photo_ids:
            card = self.cards.get(pid)
            if card is not None:
                card.setEnabled(False)

        def done(report: TrashReport) -> None:
            gone = {int(t.photo_id) for t in report.trashed}
            self.tracker.forget(gone)
            if report.trashed:
                files = f"{len(report.trashed):,} photo{'s' if len(report.trashed) != 1 else ''}"
                text = f"Move {report.trashed[0].file.original.name if len(gone) == 1 else files} to the trash"
                self.undo.push(UndoStep(text, lambda: library.trash.restore(report.trashed), _restored_words))
            if report.failed:
                path, why = report.failed[0]
                more = f" ({len(report.failed) - 1:,} more not moved)" if len(report.failed) > 1 else ""
                self.message.emit(f"{path.name} was not moved: {why}{more}")
                self._render()
            elif report.trashed:
                moved, them = counted(len(report.trashed), "file"), "it" if len(report.trashed) == 1 else "them"
                self.message.emit(f"Moved {moved} to the trash. Ctrl+Z puts {them} back.")

        self.controller.write(lambda: library.trash.move(photo_ids), done)


def _restored_words(report: RestoreReport) -> str:
    if report.failed:
        path, why = report.failed[0]
        return f"Restored {counted(len(report.restored), 'file')}; {path.name} could not be: {why}"
    return f"Restored {counted(len(report.restored), 'file')} from the trash, with their tags and albums."
