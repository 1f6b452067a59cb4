"""A table model over a raw header list: name and value, duplicates kept, in the order received."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from inspector.core.models import Header, display_text
from inspector.gui.text import one_line, plain_tooltip

NAME, VALUE = range(2)
COLUMNS = ("Name", "Value")
CELL_MAX = 2000
"""Longest text a cell shows (the tooltip and Copy have the whole value)."""

AnyIndex = QModelIndex | QPersistentModelIndex


class HeadersModel(QAbstractTableModel):
    """Headers as rows: (name, value). Values are shown with `display_text` (UTF-8 when their
    bytes are UTF-8); the default delegate paints them as plain text."""

    def __init__(self, headers: Iterable[Header] = (), parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self._headers: tuple[Header, ...] = tuple(headers)

    def set_headers(self, headers: Iterable[Header]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._headers = tuple(headers)
        self.endResetModel()

    def headers(self) -> tuple[Header, ...]:
        return self._headers

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._headers):
            return None
        text = self.text(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return one_line(text, CELL_MAX) if index.column() == VALUE else text
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(text)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return super().headerData(section, orientation, role)

    def text(self, row: int, column: int) -> str:
        """The full text of one cell."""
        name, value = self._headers[row]
        return name if column == NAME else display_text(value)

    def lines(self, rows: Sequence[int] | None = None) -> str:
        """'Name: value' lines for `rows` (all rows when None), in table order."""
        wanted = range(len(self._headers)) if rows is None else sorted(set(rows))
        return "\n".join(f"{self.text(r, NAME)}: {self.text(r, VALUE)}" for r in wanted)
