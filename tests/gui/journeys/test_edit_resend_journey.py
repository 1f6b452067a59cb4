"""Journey: Request > Edit and resend…, edit the path and the body, Send; check what a local
aiohttp handler on 127.0.0.1 received.

The dialog used to give the body one line with horizontal scrolling, silently ignore the Path
box when the target URL had a path (/custom-path?x=1 typed, /hook?x=1 sent), and show the old
Content-Length in the headers table.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from inspector.gui.bridge import CoreBridge
from inspector.gui.dialogs.replay_dialog import ReplayDialog
from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE, make_record
from tests.gui.journeys.app_window import open_window
from tests.gui.test_replay_dialog import Echo, start_echo

pytestmark = OFFSCREEN_NOISE
BODY = b'{"event":"message","text":"hello","amount":10.50,"n":1}'


@pytest.fixture
def echo(bridge: CoreBridge) -> Iterator[Echo]:
    server = Echo()
    bridge.thread.submit(start_echo(server)).result(10)
    yield server
    if server.runner is not None:
        bridge.thread.submit(server.runner.cleanup()).result(10)


@pytest.fixture
def window(qtbot, bridge: CoreBridge, echo: Echo) -> Iterator[MainWindow]:
    headers = (("Content-Type", "application/json"), ("Content-Length", str(len(BODY))))
    assert bridge.store is not None
    bridge.store.insert_many([make_record("/webhook", body=BODY, headers=headers)])
    win = open_window(qtbot, bridge)
    win.target_combo.setEditText(f"{echo.url}/hook?x=1")
    qtbot.waitUntil(lambda: win.model.rowCount() == 1)
    win.table.selectRow(0)
    yield win
    win.close()


def open_editor(qtbot, window: MainWindow) -> ReplayDialog:
    window.edit_replay_action.trigger()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ReplayDialog)]
    assert len(dialogs) == 1
    qtbot.waitExposed(dialogs[0])
    return dialogs[0]


def content_length_shown(dialog: ReplayDialog) -> str:
    table = dialog.headers.table
    rows = [r for r in range(table.rowCount()) if table.item(r, 0).text() == "Content-Length"]
    assert len(rows) == 1
    return table.item(rows[0], 1).text()


def send(qtbot, dialog: ReplayDialog) -> None:
    with qtbot.waitSignal(dialog.attemptFinished, timeout=20_000):
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)


def test_edit_path_and_body_then_send(qtbot, window: MainWindow, echo: Echo) -> None:
    dialog = open_editor(qtbot, window)
    editor = dialog.body.edit
    assert editor.height() > dialog.headers.height() + dialog.answer.height()
    assert editor.height() > 0.4 * dialog.height()
    assert editor.toPlainText().startswith('{\n  "event": "message",\n')  # pretty
    assert '"amount": 10.50' in editor.toPlainText()  # number spelling kept
    assert dialog.path.text() == "/hook?x=1"  # from the target: what a plain replay sends
    assert "Path box is sent as typed" in dialog.url_preview.text()

    dialog.path.selectAll()
    qtbot.keyClicks(dialog.path, "/custom-path?x=1")
    assert editor.find('"hello"')  # selects it, as a double-click would
    qtbot.keyClicks(editor, '"goodbye"')
    sent_text = editor.toPlainText()
    assert content_length_shown(dialog) == str(len(sent_text.encode()))
    assert dialog.url_preview.text().startswith(f"Sends POST {echo.url}/custom-path?x=1")
    send(qtbot, dialog)

    [got] = echo.received
    assert (got.path, got.query) == ("/custom-path", "x=1")
    assert got.body == sent_text.encode()
    assert got.header("content-length") == str(len(got.body))
    dialog.close()


def test_unedited_body_is_sent_byte_exact(qtbot, window: MainWindow, echo: Echo) -> None:
    dialog = open_editor(qtbot, window)
    assert dialog.body.edit.toPlainText() != BODY.decode()  # shown pretty…
    assert content_length_shown(dialog) == str(len(BODY))
    send(qtbot, dialog)
    [got] = echo.received
    assert got.body == BODY  # …but the captured bytes are sent
    assert got.path == "/hook"
    dialog.close()
