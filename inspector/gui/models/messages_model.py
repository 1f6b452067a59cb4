"""The Messages view's model: one row per message, ids in memory, rows fetched lazily.

Like the request table (inspector/gui/models/request_model.py): the model keeps the ids of the
rows it shows, newest first, pages older ones in with `fetchMore` (keyset paging on
``messages.id``) and keeps a bounded cache of rows. Filtering happens in SQL
(inspector/core/messages.py).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from inspector.core import messages
from inspector.core.messages import MessageFilter, MessageRow
from inspector.core.store import Store
from inspector.gui.text import long_time, one_line, plain_tooltip, short_time

Index = QModelIndex | QPersistentModelIndex

HEADERS = ("Time", "Provider", "Chat", "Dir", "Text", "State", "Flags", "Steps")
TIME, PROVIDER, CHAT, DIRECTION, TEXT, STATE, FLAGS, STEPS = range(len(HEADERS))
MessageIdRole = Qt.ItemDataRole.UserRole + 1
"""Data role giving a row's ``messages.id`` (int)."""
RequestRole = Qt.ItemDataRole.UserRole + 2
"""Data role giving the newest request about the row's message (int)."""
PAGE_SIZE = 200
FETCH_WINDOW = 150
CACHE_MAX = 5000
RED = QColor("#d64545")
AMBER = QColor("#c98a00")
ARROWS = {"in": "← in", "out": "→ out"}


class MessagesModel(QAbstractTableModel):
    """Newest-first table of messages (first seen), filtered in SQL."""

    def __init__(self, store: Store | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._filter = MessageFilter("", (), "")
        self._ids: list[int] = []
        self._cache: dict[int, MessageRow | None] = {}
        self._exhausted = True
        if store is not None:
            self._load_first_page()

    @property
    def store(self) -> Store | None:
        return self._store

    def set_store(self, store: Store | None) -> None:
        self._store = store
        self.reload()

    def set_filter(self, flt: MessageFilter) -> None:
        self._filter = flt
        self.reload()

    def reload(self) -> None:
        """Forget everything and read the newest page again (new messages, a new filter)."""
        self.beginResetModel()
        self._ids, self._cache, self._exhausted = [], {}, True
        if self._store is not None:
            self._load_first_page()
        self.endResetModel()

    def row_at(self, row: int) -> MessageRow | None:
        if not 0 <= row < len(self._ids):
            return None
        message_id = self._ids[row]
        if message_id not in self._cache:
            self._fetch_around(row)
        return self._cache.get(message_id)

    # Qt overrides

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flag = Qt.ItemFlag
        return flag.ItemIsEnabled | flag.ItemIsSelectable | flag.ItemNeverHasChildren

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role == MessageIdRole:
            return self._ids[index.row()]
        row = self.row_at(index.row())
        if row is None:
            return None
        if role == RequestRole:
            return row.last_request
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(cell_tooltip(row, index.column()))
        if role == Qt.ItemDataRole.ForegroundRole:
            return _foreground(row, index.column())
        return None

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index) -> None:
        if parent.isValid() or self._exhausted or self._store is None or not self._ids:
            return
        page = self._page(self._ids[-1])
        if not page:
            return
        first = len(self._ids)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._add_page(page)
        self.endInsertRows()

    # internals

    def _load_first_page(self) -> None:
        self._add_page(self._page(None))

    def _page(self, before: int | None) -> list[MessageRow]:
        assert self._store is not None
        flt = self._filter
        page = messages.page(self._store.reader(), before_id=before, limit=PAGE_SIZE,
                             where=flt.where, params=flt.params)  # fmt: skip
        self._exhausted = len(page) < PAGE_SIZE
        return page

    def _add_page(self, page: list[MessageRow]) -> None:
        if len(self._cache) + len(page) > CACHE_MAX:
            self._cache.clear()
        for row in page:
            self._ids.append(row.id)
            self._cache[row.id] = row

    def _fetch_around(self, row: int) -> None:
        assert self._store is not None
        start = max(0, row - FETCH_WINDOW // 3)
        wanted = [i for i in self._ids[start : start + FETCH_WINDOW] if i not in self._cache]
        if len(self._cache) + len(wanted) > CACHE_MAX:
            self._cache.clear()
        found = messages.rows(self._store.reader(), wanted)
        for message_id in wanted:
            self._cache[message_id] = found.get(message_id)


def cell_text(row: MessageRow, column: int) -> str:
    if column == TIME:
        return short_time(row.received_at_ns)
    if column == PROVIDER:
        return row.provider
    if column == CHAT:
        return one_line(row.chat, 80)
    if column == DIRECTION:
        return ARROWS.get(row.direction, row.direction)
    if column == TEXT:
        return one_line(row.text, 120) if row.text else one_line(row.message_id, 80)
    if column == STATE:
        return row.latest_state
    if column == FLAGS:
        return row.flags.replace(",", ", ")
    if column == STEPS:
        return str(row.steps)
    return ""


def cell_tooltip(row: MessageRow, column: int) -> str:
    if column == TIME:
        return f"First seen {long_time(row.received_at_ns)} (request #{row.first_request})"
    if column == TEXT:
        return f"{row.text}\n\nMessage id: {row.message_id}" if row.text else row.message_id
    if column == FLAGS and row.flags:
        return "Open the Lifecycle tab of its requests for what each flag means."
    if column == STEPS:
        return f"{row.steps} stored steps; the newest is request #{row.last_request}"
    return cell_text(row, column) if column in (CHAT, STATE) else ""


def _foreground(row: MessageRow, column: int) -> QColor | None:
    if column == STATE and row.latest_state == "failed":
        return RED
    if column == FLAGS and row.flags:
        return RED if "failed" in row.flags else AMBER
    return None
