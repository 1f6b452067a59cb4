"""The response rules' table model (Settings > Responses): rule text, body and live counters."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from inspector.core.config import ResponseRule
from inspector.core.models import Header, ResponseSpec
from inspector.core.responses import RuleError, Tally, parse_rule_option
from inspector.gui.text import one_line, plain_tooltip

Index = QModelIndex | QPersistentModelIndex
RULE, BODY, COUNTS = range(3)
HEADERS = ("Rule (filter=answers)", "Body", "Counters")
NEW_RULE = "path:/webhook=500,500,200"
RED = QColor("#d32f2f")


@dataclass(slots=True)
class RuleRow:
    """One rule as edited: its text (possibly not valid yet) and what it answers with."""

    text: str
    body: str = ""
    headers: tuple[Header, ...] | None = None
    """None: the default response's headers."""
    error: str = ""

    @classmethod
    def from_rule(cls, rule: ResponseRule) -> RuleRow:
        row = cls(rule.text, rule.response.body.decode("utf-8", "replace"), rule.response.headers)
        row.check()  # a rule edited by hand in the settings file may not be usable
        return row

    def check(self) -> None:
        try:
            parse_rule_option(self.text)
        except RuleError as exc:
            self.error = str(exc)
        else:
            self.error = ""

    def rule(self, default: ResponseSpec) -> ResponseRule:
        """Raises RuleError."""
        headers = default.headers if self.headers is None else self.headers
        spec = replace(default, headers=headers, body=self.body.encode("utf-8"), delay_ms=0)
        return parse_rule_option(self.text, spec)


class RulesModel(QAbstractTableModel):
    """The rules, in order; the rule text and body are editable."""

    def __init__(self, rules: tuple[ResponseRule, ...] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows = [RuleRow.from_rule(rule) for rule in rules]
        self.tallies: dict[str, Tally] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # fmt: skip
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(HEADERS)):  # fmt: skip
            return HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in (RULE, BODY):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == RULE:
                return row.text
            if column == BODY:
                return row.body if role == Qt.ItemDataRole.EditRole else one_line(row.body)
            return self._counts_text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(self._tooltip(row, column))
        if role == Qt.ItemDataRole.ForegroundRole and column == RULE and row.error:
            return QBrush(RED)
        return None

    def _tooltip(self, row: RuleRow, column: int) -> str:
        if column == RULE:
            return row.error
        tally = self.tallies.get(row.text)
        if column == COUNTS and tally is not None and tally.recent:
            return "Latest event ids:\n" + tally.recent_text
        return ""

    def _counts_text(self, row: RuleRow) -> str:
        if row.error:
            return "—"
        tally = self.tallies.get(row.text)
        return tally.text if tally is not None else "no match yet"

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row = self.rows[index.row()]
        if index.column() == RULE:
            row.text = str(value).strip()
            row.check()
        elif index.column() == BODY:
            row.body = str(value)
        else:
            return False
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), COUNTS))
        return True

    def add(self, text: str = NEW_RULE) -> int:
        position = len(self.rows)
        self.beginInsertRows(QModelIndex(), position, position)
        self.rows.append(RuleRow(text))
        self.endInsertRows()
        return position

    def remove(self, position: int) -> None:
        if 0 <= position < len(self.rows):
            self.beginRemoveRows(QModelIndex(), position, position)
            del self.rows[position]
            self.endRemoveRows()

    def set_tallies(self, tallies: tuple[Tally, ...]) -> None:
        self.tallies = {tally.rule: tally for tally in tallies}
        if self.rows:
            self.dataChanged.emit(self.index(0, COUNTS), self.index(len(self.rows) - 1, COUNTS))

    def rules(self, default: ResponseSpec) -> tuple[ResponseRule, ...]:
        """The rules; raises RuleRowError for the first one that cannot be used."""
        out = []
        for position, row in enumerate(self.rows):
            try:
                out.append(row.rule(default))
            except RuleError as exc:
                raise RuleRowError(position, f"Rule {position + 1}: {exc}") from None
        return tuple(out)


class RuleRowError(ValueError):
    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message
