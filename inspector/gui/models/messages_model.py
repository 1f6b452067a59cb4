"""The Messages view's model: one row per message, ids in memory, rows fetched lazily.

Built like the request table on inspector/gui/models/lazy_table.py: the model keeps the ids of the
rows it shows, newest first, pages older ones in with `fetchMore` (keyset paging on
``messages.id``) and keeps a bounded cache of rows. Filtering happens in SQL
(inspector/core/messages.py).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor

from inspector.core import messages
from inspector.core.messages import MessageFilter, MessageRow
from inspector.core.store import Store
from inspector.gui.models.lazy_table import IdRole, LazyTableModel
from inspector.gui.text import long_time, one_line, plain_tooltip, short_time

HEADERS = ("Time", "Provider", "Chat", "Dir", "Text", "State", "Flags", "Steps")
TIME, PROVIDER, CHAT, DIRECTION, TEXT, STATE, FLAGS, STEPS = range(len(HEADERS))
MessageIdRole = IdRole
"""Data role giving a row's ``messages.id`` (int)."""
RequestRole = Qt.ItemDataRole.UserRole + 2
"""Data role giving the newest request about the row's message (int)."""
PAGE_SIZE = 200
RED = QColor("#d64545")
AMBER = QColor("#c98a00")
ARROWS = {"in": "← in", "out": "→ out"}


class MessagesModel(LazyTableModel[MessageRow]):
    """Newest-first table of messages (first seen), filtered in SQL."""

    HEADERS = HEADERS

    def __init__(self, store: Store | None = None, parent: QObject | None = None) -> None:
        super().__init__(store, parent)
        self._filter = MessageFilter("", (), "")
        if store is not None:
            self._load_first_page()

    def set_filter(self, flt: MessageFilter) -> None:
        self._filter = flt
        self.reload()

    def _cell(self, row: MessageRow, column: int, role: int) -> Any:
        if role == RequestRole:
            return row.last_request
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(cell_tooltip(row, column))
        if role == Qt.ItemDataRole.ForegroundRole:
            return _foreground(row, column)
        return None

    # paging

    def _load_first_page(self) -> None:
        self._add_page(self._page(None))

    def _next_page(self) -> list[MessageRow]:
        return self._page(self._ids[-1]) if self._ids else []

    def _page(self, before: int | None) -> list[MessageRow]:
        assert self._store is not None
        flt = self._filter
        page = messages.page(self._store.reader(), before_id=before, limit=PAGE_SIZE,
                             where=flt.where, params=flt.params)  # fmt: skip
        self._exhausted = len(page) < PAGE_SIZE
        return page

    def _read_rows(self, ids: list[int]) -> dict[int, MessageRow]:
        assert self._store is not None
        return messages.rows(self._store.reader(), ids)


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
