"""Event-stream (SSE) sources: their live state, and adding or removing one.

States come from the core as `SourceState` events (bridge.sourceChanged); the panel asks the
service for the full list when it opens. Source URLs are shown redacted and header values are
never shown (they hold API keys).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core.config import SOURCE_FORMATS, SseSource, parse_headers, redacted_url
from inspector.core.events import SourceState, merge_state
from inspector.core.remote import RemoteService
from inspector.gui.bridge import CoreBridge
from inspector.gui.text import one_line, plain_label, plain_tooltip

COLUMNS = ("Name", "URL", "Format", "State", "Events", "Lost", "Last error")
NAME, URL_COLUMN, FORMAT, STATE, EVENTS, LOST, ERROR = range(len(COLUMNS))
LOST_COLOUR = "#d64545"
STATE_COLOURS = {"live": "#2e9d4f", "connecting": "#c98a00", "retrying": "#c98a00",
                 "stopped": "#d64545"}  # fmt: skip


async def source_states(service: RemoteService) -> list[SourceState]:
    """The state of every source (run on the core loop)."""
    return service.sources()


def compact_states(states: list[SourceState]) -> str:
    """'streams: 2 live, 1 retrying' (empty when there are no sources)."""
    if not states:
        return ""
    counts: dict[str, int] = {}
    for state in states:
        counts[state.state] = counts.get(state.state, 0) + 1
    order = ("live", "connecting", "retrying", "stopped")
    parts = [f"{counts[s]} {s}" for s in order if s in counts]
    parts += [f"{n} {s}" for s, n in counts.items() if s not in order]
    text = "streams: " + ", ".join(parts)
    lost = sum(state.lost for state in states)
    if lost:
        text += f"; {lost} event{'s' if lost != 1 else ''} lost"
    return text


def lost_text(state: SourceState) -> str:
    """'3 events not stored: event too large (…)' for a source that lost events, else ''."""
    if not state.lost:
        return ""
    plural = "s" if state.lost != 1 else ""
    return f"{state.name}: {state.lost} event{plural} not stored: {state.last_error or '?'}"


class AddSourceDialog(QDialog):
    """Name, URL, format and headers of a new source."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add event-stream source")
        self.name = QLineEdit(self)
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://example.com/events")
        self.format = QComboBox(self)
        self.format.addItems(list(SOURCE_FORMATS))
        self.headers = QPlainTextEdit(self)
        self.headers.setPlaceholderText("Authorization: Bearer …  (one header per line)")
        self.headers.setFixedHeight(self.fontMetrics().height() * 5)
        self.problem = plain_label(parent=self)
        self.problem.setStyleSheet("color:#d64545;")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("URL:", self.url)
        form.addRow("Format:", self.format)
        form.addRow("Headers:", self.headers)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def source(self) -> SseSource:
        """The source described; ValueError in plain words."""
        name, url = self.name.text().strip(), self.url.text().strip()
        if not name:
            raise ValueError("give the source a name")
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError("the URL must start with http:// or https://")
        headers = parse_headers(self.headers.toPlainText())
        return SseSource(name, url, headers, self.format.currentText())

    def accept(self) -> None:
        try:
            self.source()
        except ValueError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return
        super().accept()


class SourcesPanel(QDialog):
    """Every SSE source with its state, event count and last error; add and remove."""

    def __init__(
        self, bridge: CoreBridge, parent: QWidget | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.bridge = bridge
        self.on_change = on_change
        self.states: dict[str, SourceState] = {}
        self.setWindowTitle("Event-stream sources")
        self.resize(860, 320)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(
            URL_COLUMN, QHeaderView.ResizeMode.Interactive
        )
        self.empty = plain_label("No sources. Add an SSE URL to capture its events.", self)
        self.add_button = QPushButton("Add…", self)
        self.add_button.clicked.connect(self.add)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self.remove_selected)
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(self.empty)
        row.addStretch(1)
        for button in (self.add_button, self.remove_button, close):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        bridge.sourceChanged.connect(self.on_state)
        self.reload()

    def reload(self) -> None:
        """Ask the core for every source's state (the table fills when it answers)."""
        self.bridge.run(source_states(self.bridge.service), self._set_states)

    def _set_states(self, states: list[SourceState]) -> None:
        self.states = {state.name: state for state in states}
        self._fill()

    @Slot(object)
    def on_state(self, state: SourceState) -> None:
        merge_state(self.states, state)
        self._fill()

    def _fill(self) -> None:
        sources = {s.name: s for s in self.bridge.service.settings.sources}
        names = sorted(self.states)
        self.table.setRowCount(len(names))
        for row, name in enumerate(names):
            state, source = self.states[name], sources.get(name)
            url = redacted_url(source.url) if source is not None else ""
            cells = (name, url, source.format if source is not None else "", state.detail,
                     str(state.events), str(state.lost), state.last_error or "")  # fmt: skip
            for column, text in enumerate(cells):
                item = QTableWidgetItem(one_line(text, 300))
                item.setToolTip(plain_tooltip(lost_text(state) if column == LOST else text))
                if column == STATE:
                    item.setForeground(QBrush(QColor(STATE_COLOURS.get(state.state, "#8a8a8a"))))
                if column == LOST and state.lost:
                    item.setForeground(QBrush(QColor(LOST_COLOUR)))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.empty.setVisible(not names)
        self.remove_button.setEnabled(bool(names))

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), NAME)
        return item.text() if item is not None else None

    @Slot()
    def add(self) -> None:
        dialog = AddSourceDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_source(dialog.source())

    def add_source(self, source: SseSource) -> None:
        self.bridge.run(self.bridge.service.add_source(source), lambda _: self._changed())

    @Slot()
    def remove_selected(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.remove_source(name)

    def remove_source(self, name: str) -> None:
        self.bridge.run(self.bridge.service.remove_source(name), lambda _: self._changed())

    def _changed(self) -> None:
        self.reload()
        if self.on_change is not None:
            self.on_change()


class StreamStatus(QLabel):
    """A compact status-bar label: 'streams: 1 live, 1 retrying' (hidden without sources)."""

    def __init__(self, bridge: CoreBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.states: dict[str, SourceState] = {}
        bridge.sourceChanged.connect(self.on_state)
        self.hide()

    @Slot(object)
    def on_state(self, state: SourceState) -> None:
        merge_state(self.states, state)
        states = list(self.states.values())
        text = compact_states(states)
        self.setText(text)
        details = [f"{s.name}: {s.detail}" for s in states]
        details += [line for s in states if (line := lost_text(s))]
        self.setToolTip(plain_tooltip("\n".join(details)))
        lost = any(s.lost for s in states)
        self.setStyleSheet(f"color: {LOST_COLOUR};" if lost else "")
        self.setVisible(bool(text))
