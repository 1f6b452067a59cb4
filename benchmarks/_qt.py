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
