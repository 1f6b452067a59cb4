"""A table model holding row ids in memory and fetching the rows themselves lazily.

Shared by the request table (inspector/gui/models/request_model.py) and the Messages view
(inspector/gui/models/messages_model.py): the model keeps the ids of the rows it shows, pages
more in with `fetchMore`, and keeps a bounded cache of rows, read around a row on demand.

Painting a cell asks the model for seven roles at once (`multiData`); answered one `data` call
each, a repaint of the request table cost about 1,200 calls from C++ into Python. `multiData`
answers them in one call per cell, and `painted` gives a row's cells (text, icon, colour),
worked out once per row read, to a delegate that paints them itself
(inspector/gui/widgets/cell_painter.py). A live burst repaints the table up to 25 times a second.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from inspector.core.store import Store

Index = QModelIndex | QPersistentModelIndex

IdRole = Qt.ItemDataRole.UserRole + 1
"""Data role giving a row's id (int)."""
FETCH_WINDOW = 150
"""Rows fetched around a row that is not cached."""
CACHE_MAX = 5000
PAINTED_MAX = 500
"""Rows whose painted cells are kept (a screenful is a few dozen)."""
DISPLAY, DECORATION, FOREGROUND = (int(Qt.ItemDataRole.DisplayRole),
                                   int(Qt.ItemDataRole.DecorationRole),
                                   int(Qt.ItemDataRole.ForegroundRole))  # fmt: skip
PAINT_ROLES = (DISPLAY, DECORATION, FOREGROUND)
"""The roles of a cell that `multiData` answers and `painted` gives: `_cell` answers no other
role a view reads to paint (font, alignment, check state, background)."""
CELL_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
              | Qt.ItemFlag.ItemNeverHasChildren)  # fmt: skip
Painted = list[dict[int, Any]]
"""A row's cells as painted: per column, PAINT_ROLES -> value (None: nothing)."""


class HasId(Protocol):
    @property
    def id(self) -> int: ...


RowT = TypeVar("RowT", bound=HasId)


class LazyTableModel(QAbstractTableModel, Generic[RowT]):
    """Ids in memory, rows cached. Subclasses set HEADERS and fill in the hooks: `_next_page`,
    `_read_rows`, `_cell` and `_load_first_page`."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, store: Store | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._ids: list[int] = []
        self._cache: dict[int, RowT | None] = {}
        self._painted: dict[int, tuple[RowT, Painted]] = {}  # id -> (row read, its cells)
        self._painted_until = _next_midnight()  # then times show their date
        self._exhausted = True
        self._changing = 0  # changes announced and not yet completed (see beginResetModel)

    @property
    def store(self) -> Store | None:
        return self._store

    def set_store(self, store: Store | None) -> None:
        """Show the rows of `store` (None shows nothing)."""
        self._store = store
        self.reload()

    def reload(self) -> None:
        """Forget everything and load the newest page again."""
        self.beginResetModel()
        self._ids, self._cache, self._exhausted = [], {}, True
        self._painted = {}
        self._forget()
        if self._store is not None:
            self._load_first_page()
        self.endResetModel()

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_at(self, row: int) -> RowT | None:
        """The cached (or freshly fetched) row shown in `row`."""
        row_id = self.id_at(row)
        if row_id is None:
            return None
        if row_id not in self._cache:
            self._fetch_around(row)
        return self._cache.get(row_id)

    # Qt overrides

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return CELL_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role == IdRole:
            return self._ids[index.row()]
        row = self.row_at(index.row())
        return None if row is None else self._cell(row, index.column(), role)

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """What a view reads to paint a cell, in one call (see the module's docstring)."""
        if isinstance(roleDataSpan, QModelRoleData):  # one role, from Python
            roleDataSpan = QModelRoleDataSpan(roleDataSpan)
        cells = self.painted(index.row()) if index.isValid() else None
        values = cells[index.column()] if cells is not None else {}
        for k in range(len(roleDataSpan)):  # every role is answered: a view reuses the span
            item = roleDataSpan[k]
            value = values.get(item.role())
            if value is None:
                item.clearData()
            else:
                item.setData(value)

    def painted(self, row: int) -> Painted | None:
        """The cells of `row` as painted (None: no such row, or deleted meanwhile)."""
        found = self.row_at(row)
        return None if found is None else self._cells_of(found)

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and not self._exhausted and not self._changing

    def fetchMore(self, parent: Index) -> None:
        if not self.canFetchMore(parent) or self._store is None:
            return
        self._append_rows(self._next_page())

    def _append_rows(self, page: list[RowT]) -> None:
        """Insert `page` below the rows shown."""
        if not page:
            return
        first = len(self._ids)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._add_page(page)
        self.endInsertRows()

    # Whoever hears a change announced or completed (a view, the model tester) may call
    # fetchMore at once. A page appended then would be a change nested inside this one: rows
    # land in the wrong place and the counts do not add up. So while a change is in progress
    # there is nothing more to fetch; the caller asks again once it is over.

    def beginResetModel(self) -> None:
        self._changing += 1
        super().beginResetModel()

    def endResetModel(self) -> None:
        super().endResetModel()
        self._changing -= 1

    def beginInsertRows(self, parent: Index, first: int, last: int) -> None:
        self._changing += 1
        super().beginInsertRows(parent, first, last)

    def endInsertRows(self) -> None:
        super().endInsertRows()
        self._changing -= 1

    def beginRemoveRows(self, parent: Index, first: int, last: int) -> None:
        self._changing += 1
        super().beginRemoveRows(parent, first, last)

    def endRemoveRows(self) -> None:
        super().endRemoveRows()
        self._changing -= 1

    # hooks

    def _forget(self) -> None:
        """Reset what a subclass keeps beyond ids and cache (on reload)."""

    def _load_first_page(self) -> None:
        raise NotImplementedError

    def _next_page(self) -> list[RowT]:
        """The rows after the last one shown (sets `_exhausted` when there are no more)."""
        raise NotImplementedError

    def _read_rows(self, ids: list[int]) -> dict[int, RowT]:
        """The rows with these ids (missing: deleted meanwhile)."""
        raise NotImplementedError

    def _cell(self, row: RowT, column: int, role: int) -> Any:
        """What `data` gives for `role` in a cell of `row` (a row that was found)."""
        raise NotImplementedError

    def _paint_cells(self, row: RowT) -> Painted:
        """`row`'s cells as painted: what `_cell` gives for PAINT_ROLES (a subclass may work
        a whole row out at once)."""
        return [{role: self._cell(row, column, role) for role in PAINT_ROLES}
                for column in range(len(self.HEADERS))]  # fmt: skip

    # internals

    def _cells_of(self, row: RowT) -> Painted:
        """`row`'s cells as painted, worked out once per row read."""
        kept = self._painted.get(row.id)
        if kept is not None and kept[0] is row and time.time() < self._painted_until:
            return kept[1]
        if len(self._painted) >= PAINTED_MAX or time.time() >= self._painted_until:
            self._painted.clear()
            self._painted_until = _next_midnight()
        cells = self._paint_cells(row)
        self._painted[row.id] = (row, cells)
        return cells

    def _add_page(self, page: list[RowT]) -> None:
        self._trim_cache(len(page))
        for row in page:
            self._ids.append(row.id)
            self._cache[row.id] = row

    def _fetch_around(self, row: int) -> None:
        assert self._store is not None
        start = max(0, row - FETCH_WINDOW // 3)
        wanted = [i for i in self._ids[start : start + FETCH_WINDOW] if i not in self._cache]
        self._trim_cache(len(wanted))
        found = self._read_rows(wanted)
        for row_id in wanted:
            self._cache[row_id] = found.get(row_id)  # None: deleted meanwhile

    def _trim_cache(self, incoming: int) -> None:
        # Bounded memory: when full, forget everything; visible rows are re-read on demand.
        if len(self._cache) + incoming > CACHE_MAX:
            self._cache.clear()


def _next_midnight() -> float:
    """time.time() at the next local midnight."""
    tomorrow = datetime.now().date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day).timestamp()
