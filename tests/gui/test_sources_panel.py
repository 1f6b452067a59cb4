"""The event-stream sources panel and the compact stream state in the status bar."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from inspector.core.config import SseSource, load_settings, parse_headers
from inspector.core.events import SourceState
from inspector.gui.bridge import CoreBridge
from inspector.gui.widgets.sources_panel import (
    ERROR,
    LOST,
    AddSourceDialog,
    SourcesPanel,
    StreamStatus,
    compact_states,
)
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.test_main_window import open_window

pytestmark = OFFSCREEN_NOISE


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/events?token=secret"


@pytest.fixture
def oversize_stream() -> Iterator[str]:
    """A loopback SSE server: one event of 300 bytes, then a small one, then held open."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"id: 1\ndata: " + b"x" * 300 + b"\n\nid: 2\ndata: ok\n\n")
            self.wfile.flush()
            time.sleep(3)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/events"
    server.shutdown()
    server.server_close()


def test_compact_states() -> None:
    assert compact_states([]) == ""
    states = [SourceState("a", "live", "live"), SourceState("b", "retrying", "retrying in 2s"),
              SourceState("c", "live", "live")]  # fmt: skip
    assert compact_states(states) == "streams: 2 live, 1 retrying"
    lossy = SourceState("d", "live", "live", 5, "event too large (300 bytes, limit 100)", 2)
    assert compact_states([*states, lossy]) == "streams: 3 live, 1 retrying; 2 events lost"


def test_an_event_too_large_is_shown_as_data_loss(
    qtbot, bridge: CoreBridge, tmp_path: Path, oversize_stream: str
) -> None:
    window = open_window(qtbot, bridge, tmp_path / "settings.json")
    panel = window.show_sources()
    assert isinstance(panel, SourcesPanel)
    panel.add_source(SseSource("feed", oversize_stream, max_event=100))
    qtbot.waitUntil(lambda: panel.states.get("feed", SourceState("", "", "")).lost == 1,
                    timeout=10_000)  # fmt: skip
    assert panel.table.item(0, LOST).text() == "1"
    assert "feed: 1 event not stored: event too large" in panel.table.item(0, LOST).toolTip()
    qtbot.waitUntil(lambda: "1 event lost" in window.stream_status.text())
    assert "event too large" in window.stream_status.toolTip()
    panel.remove_source("feed")
    qtbot.waitUntil(lambda: panel.table.rowCount() == 0, timeout=10_000)
    panel.close()
    window.close()


def test_parse_headers() -> None:
    assert parse_headers("X-Key: abc\n\nAuthorization: Bearer t") == (
        ("X-Key", "abc"), ("Authorization", "Bearer t"))  # fmt: skip
    with pytest.raises(ValueError, match="Name: value"):
        parse_headers("no colon here")
    with pytest.raises(ValueError, match=r"^Line 2: expected 'Name: value'"):
        parse_headers("X-Key: abc\nbad name: x")


def test_add_dialog_refuses_bad_input(qtbot) -> None:
    dialog = AddSourceDialog()
    qtbot.addWidget(dialog)
    dialog.name.setText("feed")
    dialog.url.setText("ftp://x")
    dialog.accept()
    assert dialog.problem.text() == "the URL must start with http:// or https://"
    dialog.url.setText("https://example.com/sse")
    dialog.headers.setPlainText("X-Api-Key: k\n\nno colon")
    dialog.accept()
    assert dialog.problem.text().startswith("Line 3: expected 'Name: value'")
    dialog.headers.setPlainText("X-Api-Key: k")
    assert dialog.source() == SseSource("feed", "https://example.com/sse", (("X-Api-Key", "k"),))


def test_add_and_remove_a_source(qtbot, qtmodeltester, bridge: CoreBridge, tmp_path: Path) -> None:
    window = open_window(qtbot, bridge, tmp_path / "settings.json")
    panel = window.show_sources()
    assert isinstance(panel, SourcesPanel)
    qtmodeltester.check(panel.table.model(), force_py=True)  # checks again on every change
    qtbot.waitUntil(lambda: panel.empty.isVisibleTo(panel))
    panel.add_source(SseSource("feed", dead_url()))
    qtbot.waitUntil(lambda: "retrying" in panel.states.get("feed", SourceState("", "", "")).state,
                    timeout=10_000)  # fmt: skip
    assert panel.table.rowCount() == 1
    assert "token=secret" not in panel.table.item(0, 1).text()
    assert "cannot connect" in panel.table.item(0, ERROR).text()
    assert window.stream_status.text() == "streams: 1 retrying"
    qtbot.waitUntil(lambda: [s.name for s in load_settings(tmp_path / "settings.json").sources]
                    == ["feed"])  # fmt: skip
    panel.table.selectRow(0)
    panel.remove_selected()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 0, timeout=10_000)
    assert not window.stream_status.isVisible()
    qtbot.waitUntil(lambda: load_settings(tmp_path / "settings.json").sources == ())
    panel.close()
    window.close()


def test_stream_status_shows_details_as_plain_tooltip(qtbot, bridge: CoreBridge) -> None:
    label = StreamStatus(bridge)
    qtbot.addWidget(label)
    label.on_state(SourceState("<b>x</b>", "stopped", "stopped: server asked to stop (204)"))
    assert label.text() == "streams: 1 stopped"
    assert "&lt;b&gt;" in label.toolTip() or "<b>" not in label.toolTip()
