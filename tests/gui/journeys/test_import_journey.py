"""Journey: import one plain JSON payload file, through File > Import and by dropping it.

The "Import JSON payloads" question must stay the active modal widget while it is open (the
progress dialog's delayed show used to pop up on top of it, about 400 ms later, stuck at 100%),
and once it is answered the request is in the table under the path the user chose.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QWidget

from inspector.gui.bridge import CoreBridge
from inspector.gui.dialogs.import_dialog import PayloadPathDialog
from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.journeys.app_window import drop_files, open_window, when_modal

pytestmark = OFFSCREEN_NOISE
PAYLOAD = b'{"object":"whatsapp_business_account","entry":[{"id":"1"}]}'
PROGRESS_DELAY_MS = 400
"""The import progress dialog's minimum duration before it shows itself."""


@pytest.fixture
def window(qtbot, bridge: CoreBridge) -> Iterator[MainWindow]:
    win = open_window(qtbot, bridge)
    yield win
    win.close()


def answer_question(path: str, seen: list[QWidget | None]) -> QTimer:
    """Once the payload question is open, wait past the progress dialog's delayed show, note
    which widget is the active modal one, then type `path` and press OK."""

    def answer(dialog: QWidget) -> None:
        assert isinstance(dialog, PayloadPathDialog)

        def later() -> None:
            seen.append(QApplication.activeModalWidget())
            dialog.path.setText(path)
            dialog.accept()

        QTimer.singleShot(PROGRESS_DELAY_MS + 400, later)

    return when_modal(PayloadPathDialog, answer)


def stored_paths(window: MainWindow) -> list[str]:
    store = window.bridge.store
    assert store is not None
    return [record.request.path for record in store.iter_all()]


def test_file_import_of_one_json_payload(qtbot, window: MainWindow, tmp_path: Path) -> None:
    payload = tmp_path / "payload.json"
    payload.write_bytes(PAYLOAD)
    seen: list[QWidget | None] = []

    def choose(dialog: QWidget) -> None:
        assert isinstance(dialog, QFileDialog)
        name = dialog.findChild(QLineEdit, "fileNameEdit")  # what a person types the name into
        name.setText(str(payload))
        dialog.accept()

    chooser = when_modal(QFileDialog, choose)
    question = answer_question("/from-menu", seen)
    window.import_action.trigger()  # File > Import…: returns once the file dialog is answered
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=20_000)
    del chooser, question
    assert [type(widget) for widget in seen] == [PayloadPathDialog]
    assert stored_paths(window) == ["/from-menu"]
    qtbot.waitUntil(lambda: window._import is None)
    assert QApplication.activeModalWidget() is None


def test_dropped_json_payload(qtbot, window: MainWindow, tmp_path: Path) -> None:
    payload = tmp_path / "dropped.json"
    payload.write_bytes(PAYLOAD)
    seen: list[QWidget | None] = []
    question = answer_question("/dropped", seen)
    assert drop_files(window, [payload])
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=20_000)
    del question
    assert [type(widget) for widget in seen] == [PayloadPathDialog]
    assert stored_paths(window) == ["/dropped"]
    record = next(iter(window.bridge.store.iter_all()))  # type: ignore[union-attr]
    assert record.request.body == PAYLOAD
