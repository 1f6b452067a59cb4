"""Response rules in Settings > Responses, and the "Simulate an outage" toggle.

A rule is one line, `FILTER=ANSWERS` (the grammar of core.responses, the same as
`serve --respond`), with the body it answers and its live counters. Text that cannot be used
is kept as typed and marked; OK says which rule and why.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
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
from inspector.core.responses import Tally
from inspector.gui.models.rules_model import BODY, COUNTS, RULE, RulesModel
from inspector.gui.text import plain_label

GRAMMAR = (
    "FILTER=ANSWERS, e.g. provider:meta event:statuses*=500,500,200 (each event fails twice, "
    "then succeeds). The filter is the filter bar's language (empty: every request). Answers, "
    "one per delivery of an event, the last repeating: a status such as 500, "
    "429:retry-after=30, 200:delay=2s, delay:2s, hold (past the provider's deadline, then "
    "close), hold:20s, close (no answer). The first matching rule wins."
)
OUTAGE_TEXT = "Simulating an outage: every request is answered 503"
OUTAGE_STYLE = "color:#ffffff; background:#c62828; font-weight:bold; padding:0 6px;"


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
