"""The event-stream sources panel and the compact stream state in the status bar."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from inspector.core.config import SseSource, load_settings
from inspector.core.events import SourceState
from inspector.gui.bridge import CoreBridge
from inspector.gui.sources_panel import (
    AddSourceDialog,
    SourcesPanel,
    StreamStatus,
    compact_states,
    parse_headers,
)
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.test_main_window import open_window

pytestmark = OFFSCREEN_NOISE


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/events?token=secret"


def test_compact_states() -> None:
    assert compact_states([]) == ""
    states = [SourceState("a", "live", "live"), SourceState("b", "retrying", "retrying in 2s"),
              SourceState("c", "live", "live")]  # fmt: skip
    assert compact_states(states) == "streams: 2 live, 1 retrying"


def test_parse_headers() -> None:
    assert parse_headers("X-Key: abc\n\nAuthorization: Bearer t") == (
        ("X-Key", "abc"), ("Authorization", "Bearer t"))  # fmt: skip
    with pytest.raises(ValueError, match="Name: value"):
        parse_headers("no colon here")


def test_add_dialog_refuses_bad_input(qtbot) -> None:
    dialog = AddSourceDialog()
    qtbot.addWidget(dialog)
    dialog.name.setText("feed")
    dialog.url.setText("ftp://x")
    dialog.accept()
    assert dialog.problem.text() == "the URL must start with http:// or https://"
    dialog.url.setText("https://example.com/sse")
    dialog.headers.setPlainText("X-Api-Key: k")
    assert dialog.source() == SseSource("feed", "https://example.com/sse", (("X-Api-Key", "k"),))


def test_add_and_remove_a_source(qtbot, bridge: CoreBridge, tmp_path: Path) -> None:
    window = open_window(qtbot, bridge, tmp_path / "settings.json")
    panel = window.show_sources()
    assert isinstance(panel, SourcesPanel)
    qtbot.waitUntil(lambda: panel.empty.isVisibleTo(panel))
    panel.add_source(SseSource("feed", dead_url()))
    qtbot.waitUntil(lambda: "retrying" in panel.states.get("feed", SourceState("", "", "")).state,
                    timeout=10_000)  # fmt: skip
    assert panel.table.rowCount() == 1
    assert "token=secret" not in panel.table.item(0, 1).text()
    assert "cannot connect" in panel.table.item(0, 5).text()
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
