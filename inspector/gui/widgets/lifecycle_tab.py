"""The Lifecycle and Deliveries tabs of the detail pane.

Lifecycle: every stored step about the message(s) a request is about, in provider-time or in
arrival order, with a plain sentence per flag (out of order, downgrade, no "sent", failed).
Deliveries: every delivery of the same event (retry, redelivery, same content under a new id),
with what we answered to each and why a repeat was classified as it was.

Rows link to their requests: clicking the "Request" cell emits `requestLinked(id)`. Everything
is read from the store on the GUI thread with a few indexed queries (a message has a handful of
steps; a chain a handful of deliveries). All text is plain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core import deliveries, lifecycle
from inspector.core.lifecycle import Entry, Lifecycle
from inspector.core.store import Store
from inspector.gui.text import long_time, one_line, plain_label, plain_tooltip

StoreSource = Callable[[], Store | None]
RED = QColor("#d64545")
AMBER = QColor("#c98a00")
LINK = QColor("#2a7ae2")
RequestIdRole = Qt.ItemDataRole.UserRole + 1
STEP_COLUMNS = ("Request", "Arrived", "Provider time", "State", "Direction", "Flag")
DELIVERY_COLUMNS = ("Attempt", "Request", "Arrived", "After", "We answered", "Kind", "Why")
PROVIDER_ORDER, ARRIVAL_ORDER = 0, 1


def clock(ns: int) -> str:
    """'14:03:07.250' (local time; the date too when not today)."""
    when = datetime.fromtimestamp(ns / 1e9)
    text = when.strftime("%H:%M:%S.%f")[:-3]
    return text if when.date() == datetime.now().date() else f"{when:%Y-%m-%d} {text}"


def time_item(ns: int | None) -> QTableWidgetItem:
    if ns is None:
        return text_item("—")
    item = text_item(clock(ns))
    item.setToolTip(long_time(ns))
    return item


def link_item(request_id: int, current: int | None) -> QTableWidgetItem:
    """A "#id" cell that reads as a link (the request shown now in bold, not a link)."""
    item = QTableWidgetItem(f"#{request_id}")
    item.setData(RequestIdRole, request_id)
    font = QFont()
    if request_id == current:
        font.setBold(True)
        item.setToolTip("The request shown now")
    else:
        font.setUnderline(True)
        item.setForeground(LINK)
        item.setToolTip(f"Select request #{request_id}")
    item.setFont(font)
    return item


def text_item(text: str, colour: QColor | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(one_line(text, 300))
    if len(text) > 60:
        item.setToolTip(plain_tooltip(text))
    if colour is not None:
        item.setForeground(colour)
    return item


def linked_table(parent: QWidget, columns: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns), parent)
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def sentence_label(text: str, colour: str, parent: QWidget) -> QLabel:
    label = plain_label(text, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(f"color:{colour};")
    return label


class _LinkedTab(QWidget):
    """A tab whose tables link to requests: clicking a "Request" cell emits requestLinked."""

    requestLinked = Signal(int)

    def __init__(self, store: StoreSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.current: int | None = None

    def _watch(self, table: QTableWidget) -> None:
        table.cellClicked.connect(lambda row, column: self._clicked(table, row, column))

    def _clicked(self, table: QTableWidget, row: int, column: int) -> None:
        item = table.item(row, column)
        request_id = item.data(RequestIdRole) if item is not None else None
        if isinstance(request_id, int) and request_id != self.current:
            self.requestLinked.emit(request_id)


class LifecycleTab(_LinkedTab):
    """The lifecycle of the message(s) the request shown is about."""

    def __init__(self, store: StoreSource, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.lifecycles: list[Lifecycle] = []
        self.heading = plain_label(parent=self)
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.order = QComboBox(self)
        self.order.addItems(["In provider-time order", "In arrival order"])
        self.order.setToolTip("Order the steps by the provider's timestamps or as they arrived")
        self.order.currentIndexChanged.connect(self._fill)
        self.flags = QVBoxLayout()
        self.flags.setSpacing(2)
        self.table = linked_table(self, STEP_COLUMNS)
        self._watch(self.table)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.order)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addLayout(self.flags)
        layout.addWidget(self.table, 1)

    def show_request(self, request_id: int | None) -> int:
        """Show the lifecycles of request `request_id`; returns how many steps are listed."""
        self.current = request_id
        store = self.store()
        self.lifecycles = []
        if store is not None and request_id is not None:
            self.lifecycles = lifecycle.messages_of_request(store.reader(), request_id)
        self._fill()
        return sum(len(life.entries) for life in self.lifecycles)

    def flag_sentences(self) -> list[str]:
        return [sentence for life in self.lifecycles for sentence in life.sentences]

    @Slot()
    def _fill(self) -> None:
        while self.flags.count():
            widget = self.flags.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for life in self.lifecycles:
            for flag, sentence in zip(life.flags, life.sentences, strict=True):
                colour = "#d64545" if flag == "failed" else "#c98a00"
                self.flags.addWidget(sentence_label(f"⚠ {sentence}", colour, self))
        self.heading.setText(self._heading())
        rows = [
            (life, entry)
            for life in self.lifecycles
            for entry in (life.by_provider_time
                          if self.order.currentIndex() == PROVIDER_ORDER else life.entries)
        ]  # fmt: skip
        self.table.setRowCount(len(rows))
        for row, (_, entry) in enumerate(rows):
            self._fill_row(row, entry)
        self.table.resizeColumnsToContents()

    def _heading(self) -> str:
        if not self.lifecycles:
            return "This request is about no message whose lifecycle is known."
        parts = []
        for life in self.lifecycles:
            steps = [entry.step for entry in life.entries]
            chat = next((s.chat for s in steps if s.chat), "")
            direction = next((s.direction for s in steps if s.direction), "")
            text = f"Message {one_line(life.message_id, 80)} ({life.provider})"
            text += f", {'to' if direction == 'out' else 'from'} {chat}" if chat else ""
            shown = f" (the first {len(steps)} listed)" if life.steps > len(steps) else ""
            text += f": {life.latest_state}, {life.steps} stored steps{shown}"
            parts.append(text)
        return "\n".join(parts)

    def _fill_row(self, row: int, entry: Entry) -> None:
        step = entry.step
        flag = ", ".join(entry.flags)
        provider_time = step.at_ms * 1_000_000 if step.at_ms is not None else None
        state_colour = RED if step.state == "failed" else None
        cells = [
            link_item(entry.request_id, self.current),
            time_item(entry.received_at_ns),
            time_item(provider_time),
            text_item(step.state + (f" {step.error_code}" if step.error_code else ""),
                      state_colour),
            text_item(step.direction),
            text_item(flag, AMBER if flag else None),
        ]  # fmt: skip
        if entry.notes:
            cells[-1].setToolTip(plain_tooltip(" ".join(entry.notes)))
        for column, item in enumerate(cells):
            self.table.setItem(row, column, item)


class DeliveriesTab(_LinkedTab):
    """Every delivery of the event(s) of the request shown."""

    def __init__(self, store: StoreSource, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.chain: list[deliveries.Delivery] = []
        self.heading = plain_label(parent=self)
        self.heading.setWordWrap(True)
        self.reason = sentence_label("", "#c98a00", self)
        self.table = linked_table(self, DELIVERY_COLUMNS)
        self._watch(self.table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.heading)
        layout.addWidget(self.reason)
        layout.addWidget(self.table, 1)

    def show_request(self, request_id: int | None) -> int:
        """Show the deliveries of request `request_id`'s event; returns how many."""
        self.current = request_id
        store = self.store()
        self.chain = []
        if store is not None and request_id is not None:
            self.chain = deliveries.chain(store.reader(), request_id)
        mine = next((d for d in self.chain if d.request_id == request_id), None)
        self.heading.setText(self._heading(mine))
        self.reason.setText(mine.reason if mine is not None else "")
        self.reason.setVisible(bool(mine and mine.reason))
        self.table.setRowCount(len(self.chain))
        for row, delivery in enumerate(self.chain):
            self._fill_row(row, delivery)
        self.table.resizeColumnsToContents()
        return len(self.chain)

    def _heading(self, mine: deliveries.Delivery | None) -> str:
        if not self.chain:
            return "This event was delivered once."
        kinds = [d.kind for d in self.chain if d.kind]
        counts = ", ".join(f"{kinds.count(k)} {k}" for k in deliveries.KINDS if k in kinds)
        text = f"Delivered {len(self.chain)} times ({counts})."
        if mine is not None and mine.kind:
            text += f" This request is attempt {attempt_text(mine.attempt)}: {mine.kind}."
        return text

    def _fill_row(self, row: int, delivery: deliveries.Delivery) -> None:
        colour = RED if delivery.kind == "retry" else AMBER if delivery.kind else None
        answer = str(delivery.status) if delivery.status is not None else "no answer"
        ok = delivery.status is not None and 200 <= delivery.status < 300
        cells = [
            text_item(attempt_text(delivery.attempt) if delivery.kind else "1"),
            link_item(delivery.request_id, self.current),
            time_item(delivery.received_at_ns),
            text_item(f"{delivery.gap_ms / 1000:.1f} s" if delivery.kind else "—"),
            text_item(answer, None if ok else RED),
            text_item(delivery.kind or "first", colour),
            text_item(delivery.reason),
        ]
        if delivery.reason:
            cells[-1].setToolTip(plain_tooltip(delivery.reason))
        for column, item in enumerate(cells):
            self.table.setItem(row, column, item)


def attempt_text(attempt: int) -> str:
    """An attempt number; past the counted deliveries, "101+" (deliveries.COUNT_LIMIT)."""
    return f"{attempt}+" if attempt > deliveries.COUNT_LIMIT else str(attempt)
