"""The filter bar as a person uses it: "N of M shown", an error marks the rows as stale, the
detail pane never shows a request the filter leaves out, and Ctrl+C / Ctrl+E still work while
the filter box has focus."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from inspector.core.models import SigStatus
from inspector.gui.dialogs.export import ExportDialog
from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE, make_record
from tests.gui.test_main_window import insert, open_window, row_ids

pytestmark = OFFSCREEN_NOISE
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot, bridge) -> MainWindow:
    records = [make_record(f"/hook/{n}") for n in range(4)]
    records.append(make_record("/hook/4", provider="waha", sig=SigStatus.INVALID))
    insert(bridge, records)
    win = open_window(qtbot, bridge)
    yield win
    win.close()


def type_filter(qtbot, window: MainWindow, text: str) -> None:
    edit = window.filter_bar.edit
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def click_row(qtbot, window: MainWindow, row: int) -> None:
    rect = window.table.visualRect(window.model.index(row, 2))
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_counts_stale_rows_and_the_detail_pane(qtbot, window: MainWindow) -> None:
    shown = window.filter_bar.shown
    type_filter(qtbot, window, "provider:meta")
    qtbot.waitUntil(lambda: window.model.rowCount() == 4)
    qtbot.waitUntil(lambda: shown.text() == "4 of 5 shown")  # counted off the GUI thread
    click_row(qtbot, window, 1)
    assert window.detail._stored.id == 3

    type_filter(qtbot, window, "status>>")  # an error: the rows are the last valid filter's
    assert window.filter_bar.error.isVisible()
    assert window.model.rowCount() == 4
    assert shown.text().startswith("Stale")
    assert "placeholder" in window.table.styleSheet()  # greyed

    type_filter(qtbot, window, "provider:waha")
    qtbot.waitUntil(lambda: row_ids(window) == [5])
    qtbot.waitUntil(lambda: shown.text() == "1 of 5 shown")
    assert window.table.styleSheet() == ""
    qtbot.wait(50)
    assert window.detail._stored is None  # #3 is filtered out: not shown any more

    type_filter(qtbot, window, "")
    qtbot.waitUntil(lambda: window.model.rowCount() == 5)
    assert shown.text() == ""


def test_the_kept_request_stays_selected_when_the_filter_still_shows_it(
    qtbot, window: MainWindow
) -> None:
    click_row(qtbot, window, 2)
    assert window.detail._stored.id == 3
    type_filter(qtbot, window, "provider:meta")
    qtbot.waitUntil(lambda: window.model.rowCount() == 4)
    qtbot.waitUntil(lambda: window.selected_ids() == [3])
    assert window.detail._stored.id == 3


def test_ctrl_c_and_ctrl_e_work_from_the_filter_box(qtbot, window: MainWindow, bridge) -> None:
    click_row(qtbot, window, 0)
    edit = window.filter_bar.edit
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(edit, Qt.Key.Key_C, CTRL)  # nothing selected in the box: copy the request
    assert QGuiApplication.clipboard().text().startswith(f"curl -X POST {bridge.service.url}/")

    qtbot.keyClicks(edit, "provider:waha")
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_C, CTRL)  # text selected: copy the text, as usual
    assert QGuiApplication.clipboard().text() == "provider:waha"

    seen: list[object] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        seen.append(dialog)
        if dialog is not None:
            dialog.reject()

    QTimer.singleShot(200, answer)
    qtbot.keyClick(edit, Qt.Key.Key_E, CTRL)  # File > Export…
    qtbot.waitUntil(lambda: bool(seen))
    assert isinstance(seen[0], ExportDialog)
