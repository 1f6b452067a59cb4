"""Follow newest vs the user's own choice: clicking an older request stops following (new
requests arrive without taking the selection); End or the button resumes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE, make_record
from tests.gui.test_main_window import focus_table, insert, open_window

pytestmark = OFFSCREEN_NOISE


@pytest.fixture
def window(qtbot, bridge) -> MainWindow:
    insert(bridge, [make_record(f"/hook/{n}") for n in range(5)])
    win = open_window(qtbot, bridge)
    yield win
    win.close()


def arrive(qtbot, window: MainWindow, bridge, path: str) -> int:
    (new_id,) = insert(bridge, [make_record(path)])
    bridge.stored.emit([new_id])
    qtbot.waitUntil(lambda: window.model.id_at(0) == new_id)
    return new_id


def shown_id(window: MainWindow) -> int | None:
    stored = window.detail._stored
    return None if stored is None else stored.id


def test_reading_an_older_request_is_not_interrupted(qtbot, window: MainWindow, bridge) -> None:
    assert window.follow_button.isChecked()
    newest = arrive(qtbot, window, bridge, "/first")
    assert window.selected_ids() == [newest]  # following
    rect = window.table.visualRect(window.model.index(3, 2))
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    reading = window.selected_ids()
    assert reading == [3]
    assert not window.follow_button.isChecked()  # the user's choice stops following
    assert not window.follow_action.isChecked()
    arrive(qtbot, window, bridge, "/second")
    arrive(qtbot, window, bridge, "/third")
    qtbot.wait(window._detail_timer.interval() + 100)
    assert window.selected_ids() == reading
    assert shown_id(window) == 3

    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_End)  # back to following
    assert window.follow_button.isChecked()
    latest = window.model.id_at(0)
    assert window.selected_ids() == [latest]
    newer = arrive(qtbot, window, bridge, "/fourth")
    assert window.selected_ids() == [newer]
    qtbot.waitUntil(lambda: shown_id(window) == newer)


def test_the_button_resumes_following(qtbot, window: MainWindow, bridge) -> None:
    rect = window.table.visualRect(window.model.index(2, 2))
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert not window.follow_button.isChecked()
    qtbot.mouseClick(window.follow_button, Qt.MouseButton.LeftButton)
    assert window.follow_button.isChecked()
    assert window.selected_ids() == [5]
    newer = arrive(qtbot, window, bridge, "/later")
    assert window.selected_ids() == [newer]
