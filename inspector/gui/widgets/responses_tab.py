"""Response rules in Settings > Responses, and the "Simulate an outage" toggle.

A rule is one line, `FILTER=ANSWERS` (the grammar of core.responses, the same as
`serve --respond`), with the body it answers and its live counters. Text that cannot be used
is kept as typed and marked; OK says which rule and why.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.config import ResponseRule
from inspector.core.models import Header, ResponseSpec
from inspector.core.responses import RuleError, Tally, parse_rule_option
from inspector.gui.text import one_line, plain_label, plain_tooltip

Index = QModelIndex | QPersistentModelIndex
RULE, BODY, COUNTS = range(3)
HEADERS = ("Rule (filter=answers)", "Body", "Counters")
NEW_RULE = "path:/webhook=500,500,200"
GRAMMAR = (
    "FILTER=ANSWERS, e.g. provider:meta event:statuses*=500,500,200 (each event fails twice, "
    "then succeeds). The filter is the filter bar's language (empty: every request). Answers, "
    "one per delivery of an event, the last repeating: a status such as 500, "
    "429:retry-after=30, 200:delay=2s, delay:2s, hold (past the provider's deadline, then "
    "close), hold:20s, close (no answer). The first matching rule wins."
)
RED = QColor("#d32f2f")
OUTAGE_TEXT = "Simulating an outage: every request is answered 503"
OUTAGE_STYLE = "color:#ffffff; background:#c62828; font-weight:bold; padding:0 6px;"


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


class ResponseRulesBox(QGroupBox):
    """The rules table with Add/Remove, the grammar and a place for the refusal message."""

    def __init__(self, rules: tuple[ResponseRule, ...], parent: QWidget | None = None) -> None:
        super().__init__("Rules (the first match wins)", parent)
        layout = QVBoxLayout(self)
        self.model = RulesModel(rules, self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(RULE, QHeaderView.ResizeMode.Stretch)
        self.view.setColumnWidth(BODY, 120)
        self.view.setColumnWidth(COUNTS, 200)
        layout.addWidget(self.view, 1)
        self.error = plain_label(parent=self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#c62828;")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add rule", self)
        self.add_button.clicked.connect(self.add_rule)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self.remove_rule)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        hint = plain_label(GRAMMAR, self)
        hint.setWordWrap(True)
        hint.setStyleSheet("color:palette(placeholder-text);")
        layout.addWidget(hint)

    def add_rule(self) -> None:
        row = self.model.add()
        index = self.model.index(row, RULE)
        self.view.setCurrentIndex(index)
        self.view.edit(index)

    def remove_rule(self) -> None:
        self.model.remove(self.view.currentIndex().row())

    def select(self, row: int) -> None:
        self.view.setCurrentIndex(self.model.index(row, RULE))


class ResponsesControl(QObject):
    """The checkable "Simulate an outage" action (and its toolbar button): while on, the
    receiver answers 503 to every request (Settings.outage, never saved) and the status bar
    says so. Also keeps the response rules' latest counters for the settings dialog."""

    talliesChanged = Signal(object)

    def __init__(self, window: QMainWindow, bridge: Any) -> None:
        super().__init__(window)
        self._bridge = bridge
        self.tallies: tuple[Tally, ...] = ()
        self.applied: Future[Any] | None = None
        self.action = QAction("Simulate an outage", window)
        self.action.setCheckable(True)
        self.action.setToolTip("Answer 503 to every request until turned off (providers retry)")
        self.action.toggled.connect(self.set_outage)
        self.button = QToolButton(window)
        self.button.setDefaultAction(self.action)
        self.label: QLabel = plain_label(OUTAGE_TEXT, window)
        self.label.setStyleSheet(OUTAGE_STYLE)
        self.label.hide()
        window.statusBar().addPermanentWidget(self.label)
        bridge.responsesCounted.connect(self._counted)

    def set_outage(self, on: bool) -> None:
        service = self._bridge.service
        settings = replace(service.settings, outage=on)
        service.settings = settings  # at once: a settings dialog opened next keeps it
        self.applied = self._bridge.run(service.update_settings(settings))
        """Done when the capture process answers accordingly."""
        self.label.setVisible(on)
        self.button.setStyleSheet(OUTAGE_STYLE if on else "")

    def _counted(self, tallies: tuple[Tally, ...]) -> None:
        self.tallies = tallies
        self.talliesChanged.emit(tallies)
