"""The main window fits a 1280×720 laptop screen, whatever is selected (issue: 1512 px wide,
1566 px once two rows were selected)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE, make_record
from tests.gui.test_main_window import insert, open_window

pytestmark = OFFSCREEN_NOISE
MAX_WIDTH = 1024


@pytest.fixture
def window(qtbot, bridge) -> MainWindow:
    insert(bridge, [make_record(f"/hook/{n}", summary="x" * 300) for n in range(5)])
    win = open_window(qtbot, bridge)
    win.resize(1280, 720)
    yield win
    win.close()


def click_row(qtbot, window: MainWindow, row: int, modifier=Qt.KeyboardModifier.NoModifier):
    table = window.table
    rect = table.visualRect(window.model.index(row, 2))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_the_window_fits_1280x720_with_any_selection(qtbot, window: MainWindow, bridge) -> None:
    assert window.minimumSizeHint().width() <= MAX_WIDTH  # nothing selected
    click_row(qtbot, window, 1)
    assert window.selected_ids() == [4]
    assert window.minimumSizeHint().width() <= MAX_WIDTH
    click_row(qtbot, window, 3, Qt.KeyboardModifier.ControlModifier)
    assert len(window.selected_ids()) == 2
    assert window.compare_button.isEnabled()
    assert window.compare_button.text() == "Compare"  # the label does not grow
    assert window.minimumSizeHint().width() <= MAX_WIDTH
    assert window.width() <= 1280
    # a long receiver error and a long filter error do not widen it either
    bridge.receiverChanged.emit("", "address 127.0.0.1:8080 is already in use " * 6)
    qtbot.waitUntil(lambda: window.receiver_banner.isVisible())
    qtbot.keyClicks(window.filter_bar.edit, "status>>" + "x" * 200)
    qtbot.waitUntil(lambda: window.filter_bar.error.isVisible())
    assert window.minimumSizeHint().width() <= MAX_WIDTH
