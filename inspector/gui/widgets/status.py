"""The status bar: receiver state, request totals and rate, invalid signatures, store state."""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QSizePolicy, QStatusBar

from inspector.gui.icons import dot_icon
from inspector.gui.text import plain_label, plain_tooltip

RATE_WINDOW = 5.0
"""Seconds over which the requests-per-second figure is averaged."""
GREEN, RED, GREY = "#2e9e44", "#d32f2f", "#9e9e9e"


class StatusPanel(QObject):
    """Owns the labels of a QStatusBar and keeps the figures they show."""

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.total = 0
        self.invalid = 0
        self._arrivals: deque[tuple[float, int]] = deque()
        self.dot = plain_label(parent=bar)
        self.receiver = plain_label("Starting…", bar)
        self.counts = plain_label(parent=bar)
        self.invalid_label = plain_label(parent=bar)
        self.store = plain_label(parent=bar)
        # a long error must not widen the window: the label is cut, its tooltip has it all
        self.receiver.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.receiver.setMinimumWidth(120)
        bar.addWidget(self.dot)
        bar.addWidget(self.receiver, 1)
        for label in (self.store, self.invalid_label, self.counts):
            bar.addPermanentWidget(label)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._show_counts)
        self._timer.start()
        self._set_dot(GREY)
        self._show_counts()

    def set_receiver(self, url: str, error: str) -> None:
        """Show whether the receiver listens, and where, or why not."""
        if url:
            self.receiver.setText(f"Listening on {url}")
            self._set_dot(GREEN)
        else:
            self.receiver.setText(f"Not listening: {error}" if error else "Not listening")
            self._set_dot(RED if error else GREY)
        self.receiver.setToolTip(plain_tooltip(self.receiver.text()))

    def set_store(self, ok: bool, message: str = "") -> None:
        self.store.setText("" if ok else "Store failing")
        self.store.setStyleSheet("" if ok else f"color:{RED}; font-weight:bold;")
        self.store.setVisible(not ok)

    def set_totals(self, total: int, invalid: int) -> None:
        """Start from counts read from the store."""
        self.total, self.invalid = total, invalid
        self._show_counts()

    def add(self, count: int, invalid: int, now: float | None = None) -> None:
        """`count` requests (`invalid` of them with bad signatures) were just stored."""
        self.total += count
        self.invalid += invalid
        self._arrivals.append((time.monotonic() if now is None else now, count))
        self._show_counts()

    def rate(self, now: float | None = None) -> float:
        """Requests per second over the last RATE_WINDOW seconds."""
        now = time.monotonic() if now is None else now
        while self._arrivals and self._arrivals[0][0] < now - RATE_WINDOW:
            self._arrivals.popleft()
        return sum(count for _, count in self._arrivals) / RATE_WINDOW

    def _show_counts(self) -> None:
        rate = self.rate()
        noun = "request" if self.total == 1 else "requests"
        text = f"{self.total:,} {noun}"
        if rate:
            text += f" · {rate:.1f}/s"
        self.counts.setText(text)
        signatures = "signature" if self.invalid == 1 else "signatures"
        self.invalid_label.setText(f"{self.invalid:,} invalid {signatures}")
        self.invalid_label.setStyleSheet(f"color:{RED};" if self.invalid else "")
        self.invalid_label.setVisible(bool(self.invalid))

    def _set_dot(self, colour: str) -> None:
        size = self.receiver.fontMetrics().height()
        self.dot.setPixmap(dot_icon(colour).pixmap(size, size))
