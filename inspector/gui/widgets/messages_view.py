"""The Messages view (View > Messages): one row per message, with its latest state and flags.

A dock beside the request table. Its filter takes ``state:read``, ``is:out-of-order``,
``chat:``, ``provider:``, ``dir:in``, ``msg:`` and free words (inspector/core/messages.py).
Clicking a message selects the newest request about it in the request table (its Lifecycle tab
tells the whole story).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QLineEdit,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.core.filters import FilterError
from inspector.core.messages import compile_messages_filter
from inspector.core.store import Store
from inspector.gui.models.messages_model import TEXT, MessagesModel, RequestRole
from inspector.gui.text import plain_label

if TYPE_CHECKING:
    from inspector.gui.main_window import MainWindow

DEBOUNCE_MS = 200
REFRESH_MS = 1000
"""New messages appear at most this often while the view is open."""
SEARCH_PAGES = 50
"""Pages of the request table read at most to find a linked request."""


class MessagesView(QWidget):
    """A filter line and the messages table.

    Signals:
        requestChosen(int): the user picked a message; the newest request about it.
    """

    requestChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = MessagesModel(parent=self)
        self._store: Store | None = None
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Filter messages  (state:read is:out-of-order chat:… words)")
        self.edit.setClearButtonEnabled(True)
        self.error = plain_label(parent=self)
        self.error.setStyleSheet("color:#d64545;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 70), (1, 70), (2, 150), (3, 50), (5, 70), (6, 110), (7, 45)):
            header.resizeSection(column, width)
        self.table.clicked.connect(self._chosen)
        self.table.activated.connect(self._chosen)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.apply_filter)
        self.edit.textChanged.connect(lambda _: self._debounce.start())
        self.edit.returnPressed.connect(self.apply_filter)
        self.refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self.refresh_timer.timeout.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)

    def set_store(self, store: Store | None) -> None:
        """Read messages from `store` (while hidden, only once the view is shown)."""
        self._store = store
        if store is None or self.isVisible():
            self.model.set_store(store)

    def apply_filter(self) -> None:
        self._debounce.stop()
        try:
            flt = compile_messages_filter(self.edit.text())
        except FilterError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.error.hide()
        self.model.set_filter(flt)

    def refresh(self) -> None:
        """Read the newest messages again (keeps the filter); nothing while hidden."""
        if not self.isVisible() or self._store is None:
            return
        if self.model.store is not self._store:
            self.model.set_store(self._store)
        else:
            self.model.reload()

    def _chosen(self, index: QModelIndex) -> None:
        request_id = self.model.data(index, RequestRole)
        if isinstance(request_id, int):
            self.requestChosen.emit(request_id)


class MessagesDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Messages", parent)
        self.setObjectName("messages-dock")
        self.view = MessagesView(self)
        self.setWidget(self.view)
        self.visibilityChanged.connect(lambda visible: visible and self.view.refresh())


def install(window: MainWindow, view_menu: QMenu) -> MessagesDock:
    """Add the Messages dock (hidden) and its View menu entry; link requests in the Lifecycle
    and Deliveries tabs and in the dock to the request table."""
    dock = MessagesDock(window)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.hide()
    action: QAction = dock.toggleViewAction()
    action.setText("Messages")
    action.setShortcut(QKeySequence("Ctrl+Shift+M"))
    view_menu.addAction(action)
    bridge = window.bridge
    bridge.storeOpened.connect(lambda: dock.view.set_store(bridge.store))
    refresh_soon = dock.view.refresh_timer.start
    detail_timer = QTimer(dock, singleShot=True, interval=REFRESH_MS)
    detail_timer.timeout.connect(window.detail.refresh_lifecycle)  # new statuses of the message
    bridge.stored.connect(lambda _ids: (refresh_soon(), detail_timer.start()))
    bridge.rederived.connect(lambda _count: refresh_soon())
    window.model.rowsRemoved.connect(lambda *_: refresh_soon())
    window.model.modelReset.connect(refresh_soon)
    if bridge.store is not None:
        dock.view.set_store(bridge.store)
    dock.view.requestChosen.connect(lambda request_id: select_request(window, request_id))
    window.detail.requestLinked.connect(lambda request_id: select_request(window, request_id))
    return dock


def select_request(window: MainWindow, request_id: int) -> bool:
    """Select request `request_id` in the request table, reading older pages when needed;
    when the filter hides it, show it in the detail pane anyway. True when it was selected."""
    model, table = window.model, window.table
    for _ in range(SEARCH_PAGES):
        row = model.row_of(request_id)
        oldest = model.id_at(model.rowCount() - 1)
        if row is not None or oldest is None or oldest < request_id:
            break
        if not model.canFetchMore(QModelIndex()):
            break
        model.fetchMore(QModelIndex())
    row = model.row_of(request_id)
    if row is not None:
        table.selectRow(row)
        table.scrollTo(model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        return True
    store = window.bridge.store
    window.table.clearSelection()
    window.detail.show_request(store.get(request_id) if store is not None else None)
    return False
