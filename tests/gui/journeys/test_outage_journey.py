"""Journey: simulate an outage from the toolbar, see the 503 in the table, turn it off, see 200."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from inspector.gui.bridge import CoreBridge
from inspector.gui.main_window import MainWindow
from inspector.gui.models import request_model as rm
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.journeys.app_window import open_window

pytestmark = OFFSCREEN_NOISE


def post_in_background(url: str, answers: list[int]) -> threading.Thread:
    """POST like a provider would (off the GUI thread); the status lands in `answers`."""

    def send() -> None:
        request = urllib.request.Request(f"{url}/webhook", data=b'{"n":1}', method="POST",
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answers.append(response.status)
        except urllib.error.HTTPError as error:
            answers.append(error.code)

    thread = threading.Thread(target=send)
    thread.start()
    return thread


@pytest.fixture
def window(qtbot, bridge: CoreBridge) -> Iterator[MainWindow]:
    win = open_window(qtbot, bridge)
    yield win
    win.close()


def newest_status(window: MainWindow) -> str:
    return window.model.data(window.model.index(0, rm.STATUS))


def toggle_outage(qtbot, window: MainWindow) -> None:
    control = window.responses
    qtbot.mouseClick(control.button, Qt.MouseButton.LeftButton)
    assert control.applied is not None
    qtbot.waitUntil(control.applied.done, timeout=10_000)


def test_outage_from_the_toolbar_answers_503_until_turned_off(qtbot, window, bridge) -> None:
    control = window.responses
    assert control.button.defaultAction() is control.action
    assert control.action.text() == "Simulate an outage"
    assert control.action.isCheckable()
    assert not control.action.isChecked()
    assert control.label.isHidden()

    toggle_outage(qtbot, window)
    assert control.action.isChecked()
    assert control.label.isVisible()
    assert "answered 503" in control.label.text()
    answers: list[int] = []
    post_in_background(bridge.service.url, answers).join()
    assert answers == [503]
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    assert newest_status(window) == "503"

    toggle_outage(qtbot, window)
    assert not control.action.isChecked()
    assert control.label.isHidden()
    post_in_background(bridge.service.url, answers).join()
    assert answers == [503, 200]
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)
    assert newest_status(window) == "200"
