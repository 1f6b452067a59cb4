"""Journey: statuses arrive out of order; a person finds out why, and follows the links.

A scripted Meta sender posts sent, read, then delivered (older than read) to the receiver on
127.0.0.1. The person selects the delivered status row, opens the Lifecycle tab, reads the
out-of-order flag, clicks the linked "read" request, then opens View > Messages.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from inspector.gui.bridge import CoreBridge
from inspector.gui.main_window import MainWindow
from inspector.gui.models.request_model import EVENT, IdRole
from inspector.gui.widgets.detail_pane import LIFECYCLE
from tests.core.senders import T0, meta_status
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.journeys.app_window import open_window

pytestmark = OFFSCREEN_NOISE
WAMID = "wamid.JOURNEY"


def post(url: str, body: dict) -> None:
    request = urllib.request.Request(f"{url}/webhook", data=json.dumps(body).encode(),
                                     method="POST",
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture
def window(qtbot, bridge: CoreBridge) -> Iterator[MainWindow]:
    win = open_window(qtbot, bridge)
    yield win
    win.close()


def row_of_event(window: MainWindow, event: str) -> int:
    model = window.model
    rows = [r for r in range(model.rowCount()) if model.index(r, EVENT).data() == event]
    assert len(rows) == 1
    return rows[0]


def click_cell(qtbot, view, index) -> None:
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_out_of_order_status_journey(qtbot, window: MainWindow, bridge: CoreBridge) -> None:
    url = bridge.service.url
    assert url is not None
    window.follow_button.setChecked(False)
    for state, offset in (("sent", 0), ("read", 20), ("delivered", 10)):
        post(url, meta_status(WAMID, state, T0 + offset))
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)
    qtbot.waitUntil(lambda: window.model.index(0, EVENT).data() == "statuses.delivered")

    # select the delivered status row
    row = row_of_event(window, "statuses.delivered")
    click_cell(qtbot, window.table, window.model.index(row, EVENT))
    qtbot.waitUntil(lambda: window.detail.current() is not None)
    delivered_id = window.model.index(row, 0).data(IdRole)
    assert window.detail.current().id == delivered_id

    # open the Lifecycle tab and read the flag
    tabs = window.detail.tabs
    assert tabs.isTabVisible(LIFECYCLE)
    bar = tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(LIFECYCLE).center())
    assert tabs.currentIndex() == LIFECYCLE
    tab = window.detail.lifecycle_tab
    texts = [label.text() for label in tab.findChildren(QLabel) if label.isVisible()]
    assert any("Arrived out of order" in text and "'read'" in text for text in texts)

    # click the linked "read" request: the request table selects it
    table = tab.table
    read_row = next(r for r in range(table.rowCount()) if table.item(r, 3).text() == "read")
    read_id = table.item(read_row, 0).data(Qt.ItemDataRole.UserRole + 1)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualItemRect(table.item(read_row, 0)).center())  # fmt: skip
    qtbot.waitUntil(lambda: window.current_id() == read_id)
    assert window.detail.current().derived.event_type == "statuses.read"

    # View > Messages (Ctrl+Shift+M) shows the message with its flag
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert "Messages" in [a.text() for a in view_menu.actions()]
    window.activateWindow()
    qtbot.keyClick(
        window.table,
        Qt.Key.Key_M,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.keyRelease(window.table, Qt.Key.Key_Shift)  # the keys let go: no modifier left held
    dock = window.messages_dock
    qtbot.waitUntil(dock.isVisible)
    model = dock.view.model
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    assert model.index(0, 6).data() == "out-of-order"
