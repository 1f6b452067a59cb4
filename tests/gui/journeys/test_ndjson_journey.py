"""Journey: drop a generic NDJSON file (one JSON payload a line) on the window.

It used to be refused with a raw parser error ("Extra data: line 2 column 1"); now every line
becomes one request under the path the user picks, with the line's exact bytes as body, and a
bad line is reported on its own while the others are imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from inspector.gui.bridge import CoreBridge
from inspector.gui.dialogs.import_dialog import ImportSummaryDialog, PayloadPathDialog
from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.journeys.app_window import drop_files, open_window, when_modal

pytestmark = OFFSCREEN_NOISE
LINES = [b'{"event":"order.created","id":1}', b'{"event":"order.paid","id":1}',
         b'{"event": "order.shipped", "id": 1}']  # fmt: skip


@pytest.fixture
def window(qtbot, bridge: CoreBridge) -> Iterator[MainWindow]:
    win = open_window(qtbot, bridge)
    yield win
    win.close()


def answer_path(path: str) -> object:
    def answer(dialog: QWidget) -> None:
        assert isinstance(dialog, PayloadPathDialog)
        dialog.path.setText(path)
        dialog.accept()

    return when_modal(PayloadPathDialog, answer)


def stored(window: MainWindow) -> list[tuple[str, bytes]]:
    assert window.bridge.store is not None
    return [(r.request.path, r.request.body) for r in window.bridge.store.iter_all()]


def test_ndjson_file_imports_one_request_per_line(qtbot, window: MainWindow,
                                                  tmp_path: Path) -> None:  # fmt: skip
    events = tmp_path / "events.ndjson"
    events.write_bytes(b"\n".join(LINES) + b"\n")
    question = answer_path("/orders")
    assert drop_files(window, [events])
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=20_000)
    del question
    assert stored(window) == [("/orders", line) for line in LINES]
    assert window.findChild(ImportSummaryDialog) is None  # nothing to report


def test_a_bad_line_is_reported_and_the_rest_imported(qtbot, window: MainWindow,
                                                      tmp_path: Path) -> None:  # fmt: skip
    events = tmp_path / "events.jsonl"
    events.write_bytes(LINES[0] + b"\r\n{broken\r\n" + LINES[1] + b"\r\n")
    question = answer_path("/orders")
    assert drop_files(window, [events])
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=20_000)
    del question
    assert stored(window) == [("/orders", LINES[0]), ("/orders", LINES[1])]
    qtbot.waitUntil(lambda: window.findChild(ImportSummaryDialog) is not None)
    summary = window.findChild(ImportSummaryDialog)
    assert "line 2: not valid JSON" in summary.report()
    summary.close()
