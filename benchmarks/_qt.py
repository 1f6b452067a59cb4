"""Qt helpers for the GUI benchmarks (kept apart from _common, which the headless ones use)."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer


def pump_while(condition: Callable[[], bool], timeout: float, every_ms: int = 20) -> None:
    """Run the Qt event loop until `condition()` is false (checked every `every_ms`) or
    `timeout` seconds have passed."""
    loop = QEventLoop()
    deadline = time.monotonic() + timeout
    poll = QTimer()
    poll.setInterval(every_ms)
    poll.timeout.connect(
        lambda: loop.quit() if not condition() or time.monotonic() > deadline else None
    )
    poll.start()
    loop.exec()
    poll.stop()


class Heartbeat:
    """A 10 ms timer on the GUI thread; the longest gap between ticks while armed."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.max_gap = 0.0

    def arm(self) -> None:
        self.max_gap = 0.0
        self.last = time.perf_counter()
        self.timer.start()

    def disarm(self) -> float:
        self.timer.stop()
        self._tick()
        return self.max_gap

    def _tick(self) -> None:
        now = time.perf_counter()
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now
