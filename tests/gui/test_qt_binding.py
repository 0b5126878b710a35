"""Guards against Qt binding bugs that would crash the app, not just misdraw it.

PySide6 6.12.0 released one reference to Python's None too many each time a Python
`data()` override returned None to Qt. On Python 3.11, where None is an ordinary
counted object, a few minutes of scrolling the grid drove its count to zero and
the interpreter aborted ("deallocating None"). The grid model returns None for
every role it has nothing for, as Qt intends, so the binding must get this right.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QListView

from photoclip.ui.grid import PixmapRole


class _Empty(QAbstractListModel):
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 100

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return None


def test_returning_none_from_a_model_keeps_none_alive(qtbot: object) -> None:
    model = _Empty()
    index = model.index(0)
    before = sys.getrefcount(None)
    for _ in range(2000):
        index.data(PixmapRole)
    leaked = before - sys.getrefcount(None)
    assert leaked < 100, f"the Qt binding dropped {leaked} references to None in 2,000 calls: it will crash"


def test_painting_a_view_over_such_a_model_keeps_none_alive(qtbot: object) -> None:
    model = _Empty()
    view = QListView()
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.setModel(model)
    view.resize(300, 300)
    view.show()
    before = sys.getrefcount(None)
    for _ in range(20):
        view.viewport().repaint()
    assert sys.getrefcount(None) >= before - 50
