from __future__ import annotations

import time

from PySide6.QtWidgets import QStatusBar

from inspector.gui.widgets.status import RATE_WINDOW, StatusPanel

BARS: list[QStatusBar] = []


def make(qtbot) -> StatusPanel:
    bar = QStatusBar()
    qtbot.addWidget(bar)
    BARS[:] = [bar]  # qtbot holds widgets weakly; the panel lives as long as its bar
    return StatusPanel(bar)


def test_rate_is_averaged_over_the_window(qtbot) -> None:
    panel = make(qtbot)
    start = time.monotonic()
    panel.add(10, 0, now=start)
    panel.add(5, 1, now=start + 2)
    assert panel.rate(now=start + 3) == 15 / RATE_WINDOW
    assert panel.rate(now=start + 6) == 5 / RATE_WINDOW
    assert panel.rate(now=start + 100) == 0
    assert (panel.total, panel.invalid) == (15, 1)


def test_labels(qtbot) -> None:
    panel = make(qtbot)
    panel.set_totals(1, 0)
    assert panel.counts.text() == "1 request"
    assert not panel.invalid_label.isVisibleTo(panel.invalid_label.parentWidget())
    panel.set_totals(1234, 2)
    assert panel.counts.text() == "1,234 requests"
    assert panel.invalid_label.text() == "2 invalid signatures"
    panel.set_receiver("", "port in use")
    assert panel.receiver.text() == "Not listening: port in use"
    panel.set_receiver("http://127.0.0.1:1", "")
    assert panel.receiver.text() == "Listening on http://127.0.0.1:1"
