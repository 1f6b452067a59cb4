"""Delete and undo: Del removes the selected rows at once and offers Undo; Undo brings the
requests back byte for byte; after the undo time they are gone from the store for good."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from inspector.core.models import SigStatus
from inspector.gui import main_window as mw
from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE, make_record
from tests.gui.test_main_window import focus_table, insert, open_window, row_ids

pytestmark = OFFSCREEN_NOISE
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot, bridge) -> MainWindow:
    records = [make_record(f"/hook/{n}", body=b'{"n":%d,"x":"\xff\x00"}' % n) for n in range(4)]
    records.append(make_record("/hook/4", provider="waha", sig=SigStatus.INVALID))
    insert(bridge, records)
    win = open_window(qtbot, bridge)
    yield win
    win.close()


def snapshot(bridge, ids: list[int]) -> dict[int, object]:
    return {i: bridge.store.get(i) for i in ids}


def test_select_all_on_a_filtered_set_then_del_says_how_many_and_undo_restores(
    qtbot, window: MainWindow, bridge
) -> None:
    qtbot.keyClicks(window.filter_bar.edit, "provider:meta")
    qtbot.keyClick(window.filter_bar.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.model.rowCount() == 4)
    before = snapshot(bridge, [1, 2, 3, 4])
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_A, CTRL)
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert window.model.rowCount() == 0
    assert window.undo_banner.isVisible()
    assert window.undo_banner.text() == "Deleted 4 requests."
    assert window.status.total == 1
    assert bridge.store.count() == 5  # kept until the undo time is over

    qtbot.mouseClick(window.undo_banner.action, Qt.MouseButton.LeftButton)  # "Undo"
    assert row_ids(window) == [4, 3, 2, 1]
    assert not window.undo_banner.isVisible()
    assert window.status.total == 5
    assert snapshot(bridge, [1, 2, 3, 4]) == before  # byte-exact: bodies, headers, times
    assert before[1].request.body == b'{"n":0,"x":"\xff\x00"}'


def test_ctrl_z_undoes_and_the_delete_is_final_after_the_undo_time(
    qtbot, window: MainWindow, bridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    focus_table(qtbot, window)
    rect = window.table.visualRect(window.model.index(1, 2))
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert row_ids(window) == [5, 3, 2, 1]
    assert window.undo_banner.text() == "Deleted 1 request."
    qtbot.keyClick(window.table, Qt.Key.Key_Z, CTRL)
    assert row_ids(window) == [5, 4, 3, 2, 1]
    assert window.selected_ids() == [4]  # the restored request is selected again

    monkeypatch.setattr(mw, "UNDO_MS", 200)
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert row_ids(window) == [5, 3, 2, 1]
    qtbot.waitUntil(lambda: bridge.store.count() == 4, timeout=5000)
    assert bridge.store.get(4) is None
    assert not window.undo_banner.isVisible()
    assert not window.undo_delete_action.isEnabled()
    window.filter_bar.provider_chips["meta"].click()  # a reload does not bring it back
    qtbot.waitUntil(lambda: row_ids(window) == [3, 2, 1])


def test_rows_deleted_and_not_undone_are_removed_when_the_window_closes(
    qtbot, window: MainWindow, bridge
) -> None:
    focus_table(qtbot, window)
    rect = window.table.visualRect(window.model.index(0, 2))
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert window.model.rowCount() == 4
    window.close()
    assert bridge.store.count() == 4


def test_select_all_delete_of_more_rows_than_sqlite_takes_parameters(
    qtbot, window: MainWindow, bridge
) -> None:
    import sqlite3

    from PySide6.QtCore import QModelIndex

    insert(bridge, [make_record(f"/bulk/{n}") for n in range(1200)])
    window.filter_bar.provider_chips["meta"].click()  # reload: 1,204 meta rows
    while window.model.canFetchMore(QModelIndex()):  # scrolled to the bottom
        window.model.fetchMore(QModelIndex())
    assert window.model.rowCount() == 1204
    bridge.store.reader().setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # a strict build
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_A, CTRL)
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert window.undo_banner.text() == "Deleted 1,204 requests."
    assert window.status.total == 1
    qtbot.waitUntil(lambda: window.filter_bar.shown.text() == "no requests match")
    qtbot.keyClick(window.table, Qt.Key.Key_Z, CTRL)
    assert window.status.total == 1205
    qtbot.waitUntil(lambda: window.filter_bar.shown.text() == "1,204 of 1,205 shown")
