"""The body view's JSON tree model: parsed JSON as a lazily built tree of key, value and type."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from inspector.core.bodies import JsonNumber, JsonObject
from inspector.gui.text import one_line, plain_tooltip

CELL_MAX = 500
TREE_FETCH = 500
"""Rows of one JSON container the tree shows at first, and adds each time it scrolls to the end."""


class _Node:
    """One JSON value in the tree; its children are made the first time they are asked for,
    and shown `TREE_FETCH` at a time (the view asks for more as it scrolls)."""

    __slots__ = ("_children", "key", "parent", "row", "shown", "value")

    def __init__(self, key: str, value: object, parent: _Node | None, row: int) -> None:
        self.key, self.value, self.parent, self.row = key, value, parent, row
        self._children: list[_Node] | None = None
        self.shown = TREE_FETCH

    def has_children(self) -> bool:
        return isinstance(self.value, list) and bool(self.value)

    def children(self) -> list[_Node]:
        if self._children is None:
            if isinstance(self.value, JsonObject):
                pairs = [(key, item) for key, item in self.value]
            elif isinstance(self.value, list):
                pairs = [(f"[{n}]", item) for n, item in enumerate(self.value)]
            else:
                pairs = []
            self._children = [_Node(k, v, self, row) for row, (k, v) in enumerate(pairs)]
        return self._children


def json_type(value: object) -> str:
    if isinstance(value, JsonObject):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, JsonNumber):
        return "number"
    if isinstance(value, bool):
        return "boolean"
    return "null" if value is None else "string"


def json_value_text(value: object) -> str:
    """A value as a cell shows it: strings unquoted, containers as their size."""
    if isinstance(value, JsonObject):
        return f"{{{len(value)} key{'s' if len(value) != 1 else ''}}}"
    if isinstance(value, list):
        return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"
    if isinstance(value, bool) or value is None:
        return "true" if value is True else "false" if value is False else "null"
    return str(value)


AnyIndex = QModelIndex | QPersistentModelIndex


class JsonTreeModel(QAbstractItemModel):
    """Parsed JSON (from `bodies.parse_json_exact`) as a lazily built tree: key, value, type."""

    KEY, VALUE, TYPE = range(3)
    COLUMNS = ("Key", "Value", "Type")

    def __init__(self, data: object, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node("", data if isinstance(data, list) else [data], None, 0)
        if not isinstance(data, list):  # a bare scalar: one row
            self._root._children = [_Node("value", data, self._root, 0)]

    def _node(self, index: AnyIndex) -> _Node:
        node: _Node = index.internalPointer() if index.isValid() else self._root
        return node

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        return self.createIndex(row, column, self._node(parent).children()[row])

    def parent(self, index: AnyIndex | None = None) -> QModelIndex:  # type: ignore[override]
        if index is None:
            return super().parent()  # type: ignore[return-value]
        node = self._node(index).parent if index.isValid() else None
        if node is None or node is self._root:
            return QModelIndex()
        return self.createIndex(node.row, 0, node)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        node = self._node(parent)
        return min(len(node.children()), node.shown)

    def canFetchMore(self, parent: AnyIndex) -> bool:
        if parent.isValid() and parent.column() != 0:
            return False
        node = self._node(parent)
        return node.shown < len(node.children())

    def fetchMore(self, parent: AnyIndex) -> None:
        if not self.canFetchMore(parent):
            return
        node = self._node(parent)
        more = min(len(node.children()), node.shown + TREE_FETCH)
        self.beginInsertRows(parent, node.shown, more - 1)
        node.shown = more
        self.endInsertRows()

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.COLUMNS)

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return False
        return self._node(parent).has_children() if parent.isValid() else True

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        node = self._node(index)
        texts = (node.key, json_value_text(node.value), json_type(node.value))
        text = texts[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return one_line(text, CELL_MAX)
        if role == Qt.ItemDataRole.ToolTipRole and len(text) > 60:
            return plain_tooltip(text)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < 3:
            return self.COLUMNS[section]
        return super().headerData(section, orientation, role)
