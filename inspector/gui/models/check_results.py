"""The Check handler dialog's results table: one row per finished check, every cell plain text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex
from PySide6.QtGui import QBrush, QColor, Qt

from inspector.core.check import FAIL, PASS, WARN, CheckResult
from inspector.gui.text import one_line, plain_tooltip

COLUMNS = ("Check", "Result", "Details", "Requests")
CHECK, RESULT, DETAILS, REQUESTS = range(len(COLUMNS))
GRADE_COLOURS = {PASS: "#2e7d32", WARN: "#b26a00", FAIL: "#c62828"}


class CheckResultsModel(QAbstractTableModel):
    """One row per finished check, in the order they finish. Every cell is plain text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.results: list[CheckResult] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.results)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # fmt: skip
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # fmt: skip
        if not index.isValid() or not 0 <= index.row() < len(self.results):
            return None
        result = self.results[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(result, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == DETAILS:
            return plain_tooltip(result.message)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == RESULT:
            colour = GRADE_COLOURS.get(result.grade)
            return QBrush(QColor(colour)) if colour else None
        return None

    @staticmethod
    def text(result: CheckResult, column: int) -> str:
        if column == CHECK:
            return result.title
        if column == RESULT:
            return result.grade
        if column == DETAILS:
            return one_line(result.message, 1000)
        ids = result.request_ids
        if not ids:
            return ""
        return f"#{ids[0]}" if len(ids) == 1 else f"#{ids[0]}–#{ids[-1]}"

    def add(self, result: CheckResult) -> None:
        row = len(self.results)
        self.beginInsertRows(QModelIndex(), row, row)
        self.results.append(result)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.results = []
        self.endResetModel()
