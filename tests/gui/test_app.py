"""Start-and-quit smoke tests (ARCHITECTURE.md, "Known pitfalls": qasync failing at shutdown)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QMessageBox

import inspector
from inspector.core.config import Settings
from inspector.gui import app as app_module
from inspector.gui.bridge import CoreBridge
from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE


def close_when_ready(window: MainWindow, seen: list[str]) -> None:
    """Close the window once the core has started and the URL is shown."""
    if window.model.store is None or not window.receiver_url:
        QTimer.singleShot(20, lambda: close_when_ready(window, seen))
        return
    seen.append(window.empty.url_label.text())
    window.close()


def test_run_starts_and_quits_cleanly(qapp, settings: Settings, tmp_path: Path,
                                      monkeypatch) -> None:  # fmt: skip
    made: list[tuple[CoreBridge, MainWindow]] = []
    seen: list[str] = []
    real_start = app_module.start

    def start(*args):
        bridge, window = real_start(*args)
        made.append((bridge, window))
        QTimer.singleShot(0, lambda: close_when_ready(window, seen))
        return bridge, window

    monkeypatch.setattr(app_module, "start", start)
    kept: list[int] = []  # the test process's objects are not frozen
    monkeypatch.setattr(app_module, "keep_start_up_objects", lambda: kept.append(len(made)))
    hook = sys.excepthook
    assert app_module.run(settings, tmp_path / "settings.json") == 0
    assert kept == [1]  # once the window is up
    [(bridge, _window)] = made
    assert not bridge.running
    assert seen
    assert seen[0].startswith("http://127.0.0.1:")
    assert sys.excepthook is hook
    assert QCoreApplication.applicationName() == app_module.APP_NAME
    assert qapp.desktopFileName() == inspector.APP_ID
    assert settings.db_path.exists()


def test_run_twice_in_one_process(qapp, settings: Settings, tmp_path: Path, monkeypatch) -> None:
    real_start = app_module.start

    def start(*args):
        bridge, window = real_start(*args)
        QTimer.singleShot(0, lambda: close_when_ready(window, []))
        return bridge, window

    monkeypatch.setattr(app_module, "start", start)
    monkeypatch.setattr(app_module, "keep_start_up_objects", lambda: None)
    assert app_module.run(settings, None) == 0
    assert app_module.run(settings, None) == 0


def test_start_up_objects_are_left_out_of_full_collections() -> None:
    kept = [object()]  # made at start-up, alive for good
    try:
        app_module.keep_start_up_objects()
        assert gc.get_freeze_count() > 0
        assert not any(item is kept for item in gc.get_objects(generation=2))
    finally:
        gc.unfreeze()


def test_excepthook_logs_and_shows_plain_text(qapp, monkeypatch, caplog) -> None:
    shown: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: shown.append(self) or 0)
    try:
        raise ValueError("<b>not bold</b>")
    except ValueError as exc:
        app_module.excepthook(ValueError, exc, exc.__traceback__)
    [box] = shown
    assert box.textFormat().name == "PlainText"
    assert "<b>not bold</b>" in box.text()
    assert "ValueError" in box.detailedText()
    assert "uncaught exception" in caplog.text
