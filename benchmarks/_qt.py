"""Qt helpers for the GUI benchmarks (kept apart from _common, which the headless ones use)."""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QTimer


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
        self.armed = False
        self.listeners: list[Callable[[float], None]] = []
        """Called with each gap (seconds) while armed."""

    def arm(self) -> None:
        self.max_gap = 0.0
        self.last = time.perf_counter()
        self.armed = True
        self.timer.start()

    def disarm(self) -> float:
        self.timer.stop()
        self._tick()
        self.armed = False
        return self.max_gap

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = now - self.last
        self.max_gap = max(self.max_gap, gap)
        self.last = now
        for listener in self.listeners:
            listener(gap)


class StallLog(QObject):
    """What the GUI thread did in the heartbeat's longest gaps.

    An application event filter stamps every event the GUI thread delivers with the thread's
    CPU time; for each gap longer than `over` seconds, `gaps` keeps the CPU time spent on each
    event (type and receiver class; a queued signal is a MetaCall to its receiver). Python's
    garbage collections under load are timed as well. The filter costs a few microseconds an
    event: use it to find what stalls the window, not for the figures."""

    def __init__(self, heartbeat: Heartbeat, over: float = 0.04) -> None:
        super().__init__()
        self.heartbeat = heartbeat
        self.over = over
        self.stamps: list[tuple[float, str]] = []
        self.gaps: list[tuple[float, float, Counter[str]]] = []  # (gap, CPU, CPU by event)
        self.collections: list[tuple[float, int]] = []  # (seconds, generation)
        self._collecting = 0.0
        heartbeat.listeners.append(self._gap)
        app = QCoreApplication.instance()
        assert app is not None
        app.installEventFilter(self)
        gc.callbacks.append(self._gc)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.heartbeat.armed:
            label = f"{event.type().name}:{type(watched).__name__}"
            self.stamps.append((time.thread_time(), label))
        return False

    def _gap(self, gap: float) -> None:
        stamps, self.stamps = self.stamps, [(time.thread_time(), "heartbeat")]
        if gap > self.over and stamps:
            spent: Counter[str] = Counter()
            for (started, label), (ended, _) in zip(stamps, [*stamps[1:], self.stamps[0]], strict=True):
                spent[label] += ended - started
            self.gaps.append((gap, self.stamps[0][0] - stamps[0][0], spent))

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._collecting = time.perf_counter()
        elif self.heartbeat.armed:
            self.collections.append((time.perf_counter() - self._collecting, info["generation"]))

    def report(self, count: int = 8) -> list[str]:
        """Lines on the longest gaps and the longest garbage collections."""
        lines = [f"heartbeat gaps over {self.over * 1000:.0f} ms: {len(self.gaps)}"]
        for gap, cpu, spent in sorted(self.gaps, key=lambda g: -g[0])[:count]:
            parts = ", ".join(f"{label} {seconds * 1000:.1f}"
                              for label, seconds in spent.most_common(4))  # fmt: skip
            lines.append(f"  gap {gap * 1000:.0f} ms, GUI thread CPU {cpu * 1000:.0f} ms: {parts}")
        longest = sorted(self.collections, reverse=True)[:3]
        lines.append("longest garbage collections: " + ", ".join(
            f"{seconds * 1000:.1f} ms (generation {generation})" for seconds, generation in longest
        ))  # fmt: skip
        return lines
