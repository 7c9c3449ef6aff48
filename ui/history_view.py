"""History tab: a searchable table over :class:`ui.history.HistoryStore`."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui import drag
from ui.history import HistoryEntry, HistoryStore

COLUMNS = ("", "When", "Prompt", "Seed", "Dur", "File")


class _Table(QTreeWidget):
    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", "text/plain"]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:
        paths = [Path(i.data(5, Qt.ItemDataRole.UserRole)) for i in items]
        try:
            return drag.file_mime_data(paths)
        except FileNotFoundError:
            return QMimeData()


class HistoryView(QWidget):
    """Search box + favourites filter + table of past generations (newest first)."""

    play_requested = Signal(object)  # HistoryEntry
    load_requested = Signal(object)  # HistoryEntry: put its recipe into the controls

    def __init__(self, store: HistoryStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._entries: list[HistoryEntry] = []
        self.search = QLineEdit()
        self.search.setPlaceholderText("search history (prompt, name, tags, file)   Ctrl+F")
        self.search.setClearButtonEnabled(True)
        self.favourites = QCheckBox("★ only")
        self.table = _Table()
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHeaderLabels(COLUMNS)
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setDragEnabled(True)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.table.itemActivated.connect(lambda item, _col: self.play_requested.emit(self.entry(item)))
        for col, width in enumerate((22, 110, 300, 90, 50)):
            self.table.setColumnWidth(col, width)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.favourites)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.favourites.toggled.connect(lambda _b: self.reload())
        self.reload()

    def reload(self) -> None:
        self._entries = self.store.search(self.search.text(), favourites_only=self.favourites.isChecked())
        self.table.clear()
        for i, e in enumerate(self._entries):
            when = time.strftime("%m-%d %H:%M:%S", time.localtime(e.created))
            item = QTreeWidgetItem(
                ["★" if e.favourite else "", when, e.name or e.prompt, str(e.seed), f"{e.duration:.2f}", e.file.name]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, i)
            item.setData(5, Qt.ItemDataRole.UserRole, str(e.file))
            item.setToolTip(2, e.prompt)
            item.setToolTip(5, str(e.file) + ("" if e.exists else "  (missing)"))
            if not e.exists:
                item.setDisabled(True)
            self.table.addTopLevelItem(item)

    def stop_pending(self) -> None:
        """Drop a pending search refresh (before the store closes)."""
        self._debounce.stop()

    def entries(self) -> list[HistoryEntry]:
        return list(self._entries)

    def entry(self, item: QTreeWidgetItem | None) -> HistoryEntry | None:
        if item is None:
            return None
        return self._entries[int(item.data(0, Qt.ItemDataRole.UserRole))]

    def _menu(self, pos: QPoint) -> None:
        e = self.entry(self.table.itemAt(pos))
        if e is None:
            return
        menu = QMenu(self)
        for label, fn in (
            ("Play", lambda: self.play_requested.emit(e)),
            ("Load settings", lambda: self.load_requested.emit(e)),
            ("Unfavourite" if e.favourite else "Favourite", lambda: self._toggle_fav(e)),
            ("Reveal in folder", lambda: drag.reveal_in_folder(e.file)),
            ("Copy path", lambda: drag.copy_paths([e.file])),
        ):
            act = QAction(label, menu)
            act.triggered.connect(fn)
            menu.addAction(act)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _toggle_fav(self, e: HistoryEntry) -> None:
        self.store.set_favourite(e.id, not e.favourite)
        self.reload()
