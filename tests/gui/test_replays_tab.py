"""The Replays tab, replay with one key from the main window, and the Forward column."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from inspector.core.config import load_settings
from inspector.core.models import FORWARD, ReplayAttempt
from inspector.core.store import Store
from inspector.gui.bridge import CoreBridge
from inspector.gui.dialogs.compare import CompareDialog
from inspector.gui.dialogs.replay_dialog import ReplayDialog
from inspector.gui.main_window import MainWindow
from inspector.gui.models import request_model as rm
from inspector.gui.models.request_model import RequestTableModel
from inspector.gui.widgets.replays_tab import RESULT, AttemptDialog, ReplaysTab, sent_request
from tests.gui.conftest import OFFSCREEN_NOISE, make_record
from tests.gui.test_main_window import insert, open_window
from tests.gui.test_replay_dialog import Echo, start_echo

pytestmark = OFFSCREEN_NOISE


def attempt(request_id: int, **kwargs: object) -> ReplayAttempt:
    base = ReplayAttempt(request_id, "http://127.0.0.1:3000/hook/0", time.time_ns(),
                         sent_method="POST", sent_headers=(("Host", "127.0.0.1:3000"),),
                         sent_sha256="a", expected_sha256="a")  # fmt: skip
    return replace(base, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def tab_with_attempts(qtbot, store: Store) -> ReplaysTab:
    [request_id] = store.insert_many([make_record("/hook/0")])
    store.add_replay(attempt(request_id, status=200, latency_ms=14.2))
    store.add_replay(attempt(request_id, error="connection refused: nothing is listening on x",
                             sent_sha256=""))  # fmt: skip
    store.add_replay(attempt(request_id, kind=FORWARD, status=500, latency_ms=3.0,
                             sent_sha256="b", edited=True, sent_body=b'{"b":2}'))  # fmt: skip
    tab = ReplaysTab()
    qtbot.addWidget(tab)
    tab.store = store
    stored = store.get(request_id)
    assert tab.show_request(stored) == 3
    return tab


def cell(tab: ReplaysTab, row: int, column: int) -> str:
    item = tab.table.item(row, column)
    assert item is not None
    return item.text()


def test_attempts_are_listed_newest_first(qtmodeltester, tab_with_attempts: ReplaysTab) -> None:
    tab = tab_with_attempts
    qtmodeltester.check(tab.table.model(), force_py=True)  # checks again on every change
    assert tab.table.rowCount() == 3
    assert [cell(tab, r, 1) for r in range(3)] == ["forward (edited)", "replay", "replay"]
    assert cell(tab, 0, RESULT) == "500"
    assert cell(tab, 0, 5) == "mismatch (edited)"
    assert cell(tab, 1, RESULT).startswith("connection refused")
    assert cell(tab, 1, 5) == "—"
    assert cell(tab, 2, RESULT) == "200"
    assert cell(tab, 2, 4) == "14 ms"
    assert tab.table.item(1, RESULT).foreground().color().name() == "#d64545"
    assert tab.title() == "Replays (3, 1 fwd)"
    assert not tab.empty.isVisibleTo(tab)
    attempts = list(reversed(tab.attempts))
    tab.set_attempts(attempts[:1])
    tab.set_attempts(attempts * 2)
    tab.set_attempts([])
    assert tab.refresh() == 3


def test_open_compare_and_replay_again(qtbot, tab_with_attempts: ReplaysTab) -> None:
    tab = tab_with_attempts
    assert not tab.open_button.isEnabled()
    tab.table.selectRow(0)
    assert tab.compare_button.isEnabled()
    dialog = tab.open_attempt(tab.selected())
    assert isinstance(dialog, AttemptDialog)
    assert dialog.sent_body.toPlainText() == '{"b":2}'
    assert "500" in dialog.answer.status.text()
    compare = tab.compare_selected()
    assert isinstance(compare, CompareDialog)
    assert compare.second.request.body == b'{"b":2}'
    qtbot.waitUntil(lambda: compare.comparison is not None)
    with qtbot.waitSignal(tab.replayAgain) as blocker:
        qtbot.mouseClick(tab.again_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [tab.request_id, "http://127.0.0.1:3000/hook/0"]
    for open_dialog in tab.dialogs():
        open_dialog.close()


def test_double_click_opens_the_attempt(qtbot, tab_with_attempts: ReplaysTab) -> None:
    tab = tab_with_attempts
    tab.show()
    qtbot.waitExposed(tab)
    rect = tab.table.visualRect(tab.table.model().index(2, 0))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert len(tab.dialogs()) == 1
    assert tab.dialogs()[0].attempt.status == 200  # type: ignore[attr-defined]
    tab.dialogs()[0].close()


def test_sent_request_uses_the_target_path() -> None:
    from inspector.core.models import CapturedRequest, Derived, StoredRequest

    original = StoredRequest(CapturedRequest("POST", "/a", body=b"x", id=1), Derived())
    sent = sent_request(original, attempt(1, target="http://h:1/b?c=d"))
    assert (sent.request.path, sent.request.query, sent.request.body) == ("/b", "c=d", b"x")
    sent = sent_request(original, attempt(1, target="http://h:1/frag#x?y"))
    assert (sent.request.path, sent.request.query) == ("/frag#x", "y")


def test_no_attempts_shows_a_hint(qtbot, store: Store) -> None:
    [request_id] = store.insert_many([make_record()])
    tab = ReplaysTab()
    qtbot.addWidget(tab)
    tab.store = store
    assert tab.show_request(store.get(request_id)) == 0
    assert tab.empty.isVisibleTo(tab)
    assert tab.title() == "Replays"


# --- the main window ---------------------------------------------------------------------------


@pytest.fixture
def echo(bridge: CoreBridge) -> Iterator[Echo]:
    server = Echo()
    bridge.thread.submit(start_echo(server)).result(10)
    yield server
    if server.runner is not None:
        bridge.thread.submit(server.runner.cleanup()).result(10)


@pytest.fixture
def window(qtbot, bridge: CoreBridge, tmp_path: Path) -> Iterator[MainWindow]:
    insert(bridge, [make_record(f"/hook/{n}") for n in range(3)])
    win = open_window(qtbot, bridge, tmp_path / "settings.json")
    yield win
    win.close()


def test_r_replays_the_selected_request(qtbot, window: MainWindow, echo: Echo, tmp_path) -> None:
    window.target_combo.setEditText(echo.url)
    window.table.selectRow(0)
    window.table.setFocus()
    request_id = window.current_id()
    with qtbot.waitSignal(window.bridge.replayed, timeout=10_000):
        qtbot.keyClick(window.table, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: "replayed" in window.statusBar().currentMessage(), timeout=10_000)
    assert window.statusBar().currentMessage().startswith(f"replayed #{request_id} → 201 in ")
    assert [r.path for r in echo.received] == ["/hook/2"]
    assert window.detail.replays.table.rowCount() == 1
    assert window.detail.tabs.tabText(7) == "Replays (1)"
    qtbot.waitUntil(lambda: load_settings(tmp_path / "settings.json").replay_target == echo.url)
    assert window.bridge.service.settings.replay_targets[0] == echo.url


def test_replay_of_several_and_unreachable_target(qtbot, window: MainWindow, echo: Echo) -> None:
    window.target_combo.setEditText(echo.url)
    window.table.selectAll()
    window.replay_action.trigger()
    qtbot.waitUntil(lambda: "replayed 3" in window.statusBar().currentMessage(), timeout=10_000)
    assert window.statusBar().currentMessage() == f"replayed 3 requests to {echo.url}: 3 ok"
    assert len(echo.received) == 3
    window.table.selectRow(0)
    window.replay_ids([window.current_id()], "ftp://nowhere")
    qtbot.waitUntil(lambda: "Not replayed" in window.statusBar().currentMessage())
    assert "only http:// and https://" in window.statusBar().currentMessage()


def test_replay_button_and_edit_key(qtbot, window: MainWindow, echo: Echo) -> None:
    window.target_combo.setEditText(echo.url)
    window.table.selectRow(1)
    with qtbot.waitSignal(window.bridge.replayed, timeout=10_000):
        qtbot.mouseClick(window.detail.header.replay_button, Qt.MouseButton.LeftButton)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_E)
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ReplayDialog)]
    assert len(dialogs) == 1
    assert dialogs[0].target.target() == echo.url
    dialogs[0].close()


# --- the Forward column --------------------------------------------------------------------------


def test_forward_column(qtmodeltester, store: Store) -> None:
    ids = store.insert_many([make_record("/a"), make_record("/b", provider="github"),
                             make_record("/c")])  # fmt: skip
    store.add_replay(attempt(ids[0], kind=FORWARD, status=200, latency_ms=12.0))
    store.add_replay(attempt(ids[1], kind=FORWARD, status=200, latency_ms=12_500.0))
    model = RequestTableModel(store)
    qtmodeltester.check(model)
    by_id = {model.id_at(row): row for row in range(model.rowCount())}

    def shown(request_id: int, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return model.data(model.index(by_id[request_id], rm.FORWARD), role)

    assert model.headerData(rm.FORWARD, Qt.Orientation.Horizontal) == "Forward"
    assert shown(ids[0]) == "200 · 12 ms"
    assert shown(ids[0], Qt.ItemDataRole.ForegroundRole) is None
    assert shown(ids[1]) == "200 · 12.5 s"
    assert shown(ids[1], Qt.ItemDataRole.ForegroundRole) is not None
    assert "github gives up after 10 s" in str(shown(ids[1], Qt.ItemDataRole.ToolTipRole))
    assert shown(ids[2]) == ""
    store.add_replay(attempt(ids[2], kind=FORWARD, error="connection refused: nothing"))
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b: changed.append((a.row(), b.row())))
    model.refresh_id(ids[2])
    assert changed == [(by_id[ids[2]], by_id[ids[2]])]
    assert shown(ids[2]) == "error"
    assert shown(ids[2], Qt.ItemDataRole.ForegroundRole) is not None
    assert "connection refused" in str(shown(ids[2], Qt.ItemDataRole.ToolTipRole))
    qtmodeltester.check(model)


def test_forward_done_updates_the_row(qtbot, bridge: CoreBridge, echo: Echo) -> None:
    window = open_window(qtbot, bridge)
    new = replace(bridge.service.settings, forward_to=echo.url)
    bridge.thread.submit(bridge.service.update_settings(new)).result(10)
    import urllib.request

    assert bridge.service.url is not None
    request = urllib.request.Request(f"{bridge.service.url}/hook", data=b"{}", method="POST")
    with qtbot.waitSignal(bridge.forwarded, timeout=10_000):
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    index = window.model.index(0, rm.FORWARD)
    qtbot.waitUntil(lambda: str(window.model.data(index)).startswith("201 · "))
    window.close()
