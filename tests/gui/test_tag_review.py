"""Reviewing auto-tag suggestions: badges in the grid, deciding a selection, review mode, rejected tags.

Every test auto-tags the real library with the tiny model through the controller (the
path the Auto-tag dialog takes), then works as a person would: keys on the grid, the
review page's keys, the viewer's Undo button. What was decided is read back from the
catalog file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QImage, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QPushButton

from photoclip.core import Library
from photoclip.ui.badges import Badge, paint_suggestion_badge
from photoclip.ui.window import GRID, REVIEW, VIEWER, MainWindow
from tests.gui.driving import WAIT

SHAPES = "Shapes (demo)"


def auto_tag(qtbot: Any, window: MainWindow) -> None:
    """Suggest shapes for every photo, as the Auto-tag dialog does (no auto-accept)."""
    with qtbot.waitCallback(timeout=WAIT) as finished:
        window.controller.run_auto_tag(SHAPES, None, threshold=None, auto_accept=None, on_done=finished)
    report = finished.args[0]
    assert report is not None and report.suggested >= 60


def statuses(library_dir: Path, ids: list[int]) -> dict[int, dict[str, str]]:
    """Each photo's Shapes tags: label -> status, read from the catalog file."""
    with Library.open(library_dir) as library:
        tags = library.tags.tags_of(ids)
    return {pid: {t.label: t.status for t in tags.get(pid, []) if t.label_set == SHAPES} for pid in ids}  # type: ignore[call-overload]


def suggested_ids(library_dir: Path, ids: list[int]) -> list[int]:
    return [pid for pid, tags in statuses(library_dir, ids).items() if "suggested" in tags.values()]


# -- badges -------------------------------------------------------------------------------------------


def test_badges_show_on_photos_with_suggestions_only(qtbot: Any, app: MainWindow, library_dir: Path) -> None:
    ids = list(app.model.ids)
    auto_tag(qtbot, app)
    suggested = suggested_ids(library_dir, ids)
    assert len(suggested) >= 60
    shown = [
        pid
        for pid in ids
        if app.grid.viewport().rect().intersects(app.grid.visualRect(app.model.index(ids.index(pid))))
    ]
    accepted = next(pid for pid in shown if pid in suggested)
    with Library.open(library_dir) as library:
        label = library.tags.suggestions([accepted])[accepted][0].label  # type: ignore[index]
        library.tags.accept([accepted], SHAPES, label)  # a decision made elsewhere (the CLI): no badge
    app.badges.invalidate()
    app.grid.viewport().update()  # painting the tiles asks for their badges; a worker reads them
    qtbot.waitUntil(lambda: all(app.badges.known(pid) for pid in shown), timeout=WAIT)
    assert len(shown) >= 6
    badged = {pid for pid in shown if app.badges.badge(pid) is not None}
    assert badged == (set(suggested) & set(shown)) - {accepted}
    assert not any(app.badges.known(pid) for pid in ids if pid not in shown)  # only what is painted is read
    top = app.badges.badge(next(iter(badged)))
    assert top is not None and top.label in {"circle", "square", "triangle", "star"} and top.confidence

    # painted on the tile: the badge's corner differs from a tile without one
    def corner(badge: Badge | None) -> QImage:
        image = QImage(200, 200, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        paint_suggestion_badge(painter, image.rect(), badge, QPalette())
        painter.end()
        return image.copy(0, 160, 100, 40)

    assert corner(top) != corner(None)
    assert corner(None) == corner(None)


def test_accepting_in_the_grid_takes_the_badge_away(qtbot: Any, app: MainWindow, library_dir: Path) -> None:
    auto_tag(qtbot, app)
    first = suggested_ids(library_dir, list(app.model.ids))[0]
    qtbot.waitUntil(lambda: app.badges.known(first) and app.badges.badge(first) is not None, timeout=WAIT)
    app.grid.select_ids([first])
    app.grid.setFocus()
    qtbot.keyClick(app.grid, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.badges.known(first) and app.badges.badge(first) is None, timeout=WAIT)
    assert app.stack.currentIndex() == GRID  # Ctrl+Enter decides; it does not open the photo


# -- a selection, accepted or rejected, undone and redone -------------------------------------------


def test_accept_and_reject_a_selection_with_undo_and_redo(qtbot: Any, app: MainWindow, library_dir: Path) -> None:
    auto_tag(qtbot, app)
    suggested = suggested_ids(library_dir, list(app.model.ids))
    picked, others = suggested[:5], suggested[5:10]
    before = statuses(library_dir, picked)
    app.grid.select_ids(picked)
    app.grid.setFocus()

    qtbot.keyClick(app.grid, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.undo.can_undo(), timeout=WAIT)
    after = statuses(library_dir, picked)
    assert after == {pid: dict.fromkeys(before[pid], "accepted") for pid in picked}
    assert "Accepted 5 suggestions on 5 photos" in app.statusBar().currentMessage()
    assert all(s == "suggested" for pid in others for s in statuses(library_dir, [pid])[pid].values())

    qtbot.keyClick(app.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.undo.can_redo(), timeout=WAIT)
    assert statuses(library_dir, picked) == before  # the suggestions are back, not just the tags gone
    with Library.open(library_dir) as library:
        assert all(t.score for pid in picked for t in library.tags.suggestions([pid])[pid])  # type: ignore[index]

    qtbot.keyClick(app.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: app.undo.can_undo() and not app.undo.can_redo(), timeout=WAIT)
    assert statuses(library_dir, picked) == after
    qtbot.keyClick(app.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.undo.can_redo(), timeout=WAIT)
    qtbot.keyClick(app.grid, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Y redoes too
    qtbot.waitUntil(lambda: not app.undo.can_redo() and app.undo.can_undo(), timeout=WAIT)
    assert statuses(library_dir, picked) == after
    qtbot.keyClick(app.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.undo.can_redo(), timeout=WAIT)

    # rejecting, from the grid's context menu this time
    app.grid.select_ids(others)
    rect = app.grid.visualRect(app.model.index(app.model.row_of(others[0]) or 0))
    menu = app.grid_menu_at(rect.center())
    assert menu is not None
    next(a for a in menu.actions() if a.text() == "Reject suggestions").trigger()
    qtbot.waitUntil(lambda: app.undo.can_undo() and not app.undo.can_redo(), timeout=WAIT)
    rejected = statuses(library_dir, others)
    assert all(set(tags.values()) == {"rejected"} for tags in rejected.values())
    with Library.open(library_dir) as library:
        assert set(library.tags.rejected(others)) == set(others)
    qtbot.keyClick(app.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.undo.can_redo(), timeout=WAIT)
    assert all(set(tags.values()) == {"suggested"} for tags in statuses(library_dir, others).values())


def test_deciding_photos_without_suggestions_says_so(qtbot: Any, app: MainWindow) -> None:
    app.grid.select_ids(list(app.model.ids[:3]))
    app.grid.setFocus()
    qtbot.keyClick(app.grid, Qt.Key.Key_Backspace, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "No suggestions to reject on the selected 3 photos" in app.statusBar().currentMessage())
    assert not app.undo.can_undo()


# -- review mode --------------------------------------------------------------------------------------


def test_review_mode_walks_a_label_by_confidence_and_its_keys_decide(
    qtbot: Any, app: MainWindow, library_dir: Path
) -> None:
    auto_tag(qtbot, app)
    with Library.open(library_dir) as library:
        tags = library.tags.suggestions(app.model.ids)
    circles = sorted(
        ((float(t.score or 0), int(pid)) for pid, ts in tags.items() for t in ts if t.label == "circle"), reverse=True
    )
    assert len(circles) >= 8
    app.review_label(SHAPES, "circle")
    page = app.review
    assert app.stack.currentIndex() == REVIEW
    qtbot.waitUntil(lambda: page.loaded, timeout=WAIT)
    scores = [s for _, s in page.queue]
    assert scores == sorted(scores, reverse=True)  # most confident first
    assert [int(p) for p, _ in page.queue] == [pid for _, pid in sorted(circles, key=lambda c: (-c[0], c[1]))]
    order = [int(p) for p, _ in page.queue]
    total = len(order)
    assert page.progress.text() == f"1 of {total} · circle"
    qtbot.waitUntil(lambda: page.canvas.image is not None, timeout=WAIT)
    assert f"Confidence {scores[0]:.0%}" in page.confidence.text()

    page.setFocus()
    for key in (Qt.Key.Key_Y, Qt.Key.Key_Right, Qt.Key.Key_N, Qt.Key.Key_Left, Qt.Key.Key_Space, Qt.Key.Key_Y):
        qtbot.keyClick(page, key)
    assert page.progress.text() == f"7 of {total} · circle"
    qtbot.keyClick(page, Qt.Key.Key_Backspace)  # back one: the last Y is taken back
    assert page.progress.text() == f"6 of {total} · circle"
    qtbot.keyClick(page, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Z here is back one too
    assert page.progress.text() == f"5 of {total} · circle"
    qtbot.keyClick(page, Qt.Key.Key_N)

    def written() -> bool:
        found = statuses(library_dir, order[:6])
        return [found[p].get("circle") for p in order[:6]] == [
            "accepted",
            "accepted",
            "rejected",
            "rejected",
            "rejected",  # the skip taken back with Ctrl+Z, then rejected
            "suggested",  # the Y taken back with Backspace
        ]

    qtbot.waitUntil(written, timeout=WAIT)  # written in the background

    for _ in range(total - 5):
        qtbot.keyClick(page, Qt.Key.Key_Space)
    assert page.summary.isVisible()
    assert "2 accepted, 3 rejected" in page.summary.text()
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    assert app.stack.currentIndex() == GRID
    assert "2 accepted, 3 rejected" in app.statusBar().currentMessage()
    # the whole review is one undo step
    qtbot.keyClick(app.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.undo.can_redo(), timeout=WAIT)
    assert all(statuses(library_dir, [p])[p].get("circle") == "suggested" for p in order[:6])


def star_item(app: MainWindow) -> Any:
    """The sidebar's "star" entry under Shapes (demo), shown."""
    tags = app.sidebar._tags
    shapes = next(tags.child(i) for i in range(tags.childCount()) if tags.child(i).text(0) == SHAPES)
    shapes.setExpanded(True)
    return next(shapes.child(i) for i in range(shapes.childCount()) if shapes.child(i).text(0).startswith("star"))


def test_review_is_started_from_the_sidebar_tag(qtbot: Any, app: MainWindow, library_dir: Path) -> None:
    auto_tag(qtbot, app)
    sidebar = app.sidebar
    qtbot.waitUntil(lambda: sidebar._tags.childCount() > 0, timeout=WAIT)
    star = star_item(app)
    sidebar.scrollToItem(star)
    menu = sidebar.context_menu_at(sidebar.visualItemRect(star).center())
    next(a for a in menu.actions() if a.text() == "Review suggestions…").trigger()
    assert app.stack.currentIndex() == REVIEW
    qtbot.waitUntil(lambda: app.review.loaded, timeout=WAIT)
    assert app.review.label == "star" and app.review.progress.text().endswith("· star")
    first = int(app.review.queue[0][0])
    app.review.setFocus()
    qtbot.keyClick(app.review, Qt.Key.Key_Right)
    app.sidebar.setCurrentItem(app.sidebar._folders.child(0))  # another place to browse: back to the grid
    assert app.stack.currentIndex() == GRID
    qtbot.waitUntil(lambda: app.undo.can_undo(), timeout=WAIT)
    assert app.undo.undo_text() == "Undo review of “star” (1 accepted, 0 rejected)"
    qtbot.waitUntil(lambda: statuses(library_dir, [first])[first].get("star") == "accepted", timeout=WAIT)

    # browsing the label, the Tags menu's "Review suggestions…" (Ctrl+R) reviews it: what is left of it
    app.sidebar.setCurrentItem(star_item(app))  # the sidebar was refilled as tags changed: find it again
    assert app.scope.kind == "tag" and app.scope.value == "star"
    review = next(a for a in app.menuBar().findChildren(QAction) if a.text() == "Review suggestions…")
    assert review.shortcut().toString() == "Ctrl+R"
    review.trigger()
    assert app.stack.currentIndex() == REVIEW
    qtbot.waitUntil(lambda: app.review.loaded, timeout=WAIT)
    assert first not in [int(p) for p, _ in app.review.queue]  # accepted: nothing left to review there


# -- rejected tags in the viewer ----------------------------------------------------------------------


def test_rejected_tags_are_listed_in_the_info_panel_and_undo_brings_the_suggestion_back(
    qtbot: Any, app: MainWindow, library_dir: Path
) -> None:
    auto_tag(qtbot, app)
    pid = suggested_ids(library_dir, list(app.model.ids))[0]
    label = next(iter(statuses(library_dir, [pid])[pid]))
    app.open_viewer(pid)
    assert app.stack.currentIndex() == VIEWER
    viewer = app.viewer
    qtbot.waitUntil(lambda: viewer.details is not None and viewer.details.photo.id == pid, timeout=WAIT)
    assert not [b for b in viewer.findChildren(QPushButton) if b.accessibleName() == f"Undo tag {label}"]
    reject = next(b for b in viewer.findChildren(QPushButton) if b.accessibleName() == f"Reject tag {label}")
    reject.click()

    def undo_button() -> QPushButton | None:
        found = [b for b in viewer.findChildren(QPushButton) if b.accessibleName() == f"Undo tag {label}"]
        return found[0] if found and not found[0].isHidden() else None

    qtbot.waitUntil(lambda: undo_button() is not None, timeout=WAIT)
    assert statuses(library_dir, [pid])[pid][label] == "rejected"
    rejected_box = next(w for w in viewer.panel.findChildren(QPushButton) if w is undo_button()).parentWidget()
    assert rejected_box.accessibleName() == "Rejected tags"
    assert any(f"<s>{label}</s>" in lbl.text() for lbl in rejected_box.findChildren(QLabel))
    button = undo_button()
    assert button is not None
    button.click()
    qtbot.waitUntil(lambda: undo_button() is None, timeout=WAIT)
    assert statuses(library_dir, [pid])[pid][label] == "suggested"
    assert any(b.accessibleName() == f"Accept tag {label}" for b in viewer.findChildren(QPushButton))
