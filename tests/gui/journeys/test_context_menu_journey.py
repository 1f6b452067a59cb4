"""Right-click on a row: the row menu (replay, edit and resend, copy as curl, copy body,
export selected, compare, delete), answered while it is open. And Copy URL says it copied."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from inspector.gui.dialogs.export import ExportDialog
from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE, make_record
from tests.gui.test_main_window import insert, open_window, row_ids

pytestmark = OFFSCREEN_NOISE
EXPECTED = ["Replay", "Edit and resend…", "Copy as curl", "Copy body", "Export selected…",
            "Compare selected", "Delete"]  # fmt: skip


@pytest.fixture
def window(qtbot, bridge) -> MainWindow:
    insert(bridge, [make_record(f"/hook/{n}", body=b'{"n":%d}' % n) for n in range(3)])
    win = open_window(qtbot, bridge)
    yield win
    win.close()


def right_click(qtbot, window: MainWindow, row: int, choose: str) -> list[str]:
    """Right-click `row` (press selects it, then the context-menu event) and pick `choose`
    in the menu while it is open; returns the menu's entries."""
    viewport = window.table.viewport()
    pos = window.table.visualRect(window.model.index(row, 2)).center()
    qtbot.mouseClick(viewport, Qt.MouseButton.RightButton, pos=pos)
    entries: list[str] = []

    def pick() -> None:
        menu = window.row_menu
        assert menu is not None
        assert menu.isVisible()
        entries.extend(a.text() for a in menu.actions() if not a.isSeparator())
        action = next(a for a in menu.actions() if a.text() == choose)
        menu.setActiveAction(action)
        qtbot.keyClick(menu, Qt.Key.Key_Return)

    QTimer.singleShot(100, pick)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, viewport.mapToGlobal(pos))
    QApplication.sendEvent(viewport, event)
    return entries


def test_the_row_menu_copies_the_body_and_deletes(qtbot, window: MainWindow, bridge) -> None:
    QGuiApplication.clipboard().clear()
    entries = right_click(qtbot, window, 1, "Copy body")
    assert entries == EXPECTED
    assert window.selected_ids() == [2]
    assert QGuiApplication.clipboard().text() == '{"n":1}'
    assert "Copied the body of #2" in window.statusBar().currentMessage()

    right_click(qtbot, window, 0, "Copy as curl")
    assert QGuiApplication.clipboard().text().startswith(f"curl -X POST {bridge.service.url}/")

    right_click(qtbot, window, 2, "Delete")
    assert row_ids(window) == [3, 2]
    assert window.undo_banner.isVisible()


def test_the_row_menu_exports_the_selected_row(qtbot, window: MainWindow) -> None:
    seen: list[object] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        seen.append(dialog)
        if isinstance(dialog, ExportDialog):
            seen.append(dialog.scope_buttons["selected"].isChecked())
            dialog.reject()

    QTimer.singleShot(400, answer)
    right_click(qtbot, window, 0, "Export selected…")
    qtbot.waitUntil(lambda: bool(seen))
    assert isinstance(seen[0], ExportDialog)
    assert seen[1] is True


def test_copy_url_says_it_copied(qtbot, bridge) -> None:
    window = open_window(qtbot, bridge)  # no requests: the empty page with the URL
    qtbot.mouseClick(window.empty.copy_button, Qt.MouseButton.LeftButton)
    url = f"{bridge.service.url}/webhook"
    assert QGuiApplication.clipboard().text() == url
    assert window.statusBar().currentMessage() == f"Copied {url} to the clipboard"
    window.close()


def test_no_menu_below_the_rows(qtbot, window: MainWindow) -> None:
    viewport = window.table.viewport()
    pos = QPoint(10, viewport.height() - 3)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, viewport.mapToGlobal(pos))
    QApplication.sendEvent(viewport, event)
    assert window.row_menu is None
