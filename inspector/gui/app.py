"""Start the desktop app: QApplication, qasync loop, the core in its thread, the main window."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import qasync
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

import inspector
from inspector.core.config import HOME_ENV, Settings, config_dir
from inspector.gui.bridge import CoreBridge
from inspector.gui.main_window import MainWindow

log = logging.getLogger(__name__)
ORGANISATION = "WebhookInspector"
APP_NAME = "Webhook Inspector"

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def keep_qt_settings_home() -> None:
    """With WEBHOOK_INSPECTOR_HOME set, every QSettings file (ours: theme, geometry, import
    folder, export choices; Qt's own QtProject.conf: file dialog state) lives in its config
    folder, never in the user's ~/.config. Called before the QApplication exists."""
    if not os.environ.get(HOME_ENV):
        return
    folder = str(config_dir())
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, folder)


def make_application() -> QApplication:
    """The QApplication (reused when one exists, as under tests), with names set."""
    keep_qt_settings_home()
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(inspector.__version__)
    app.setDesktopFileName(inspector.APP_ID)
    return app


def excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    """Log an uncaught exception (e.g. raised in a qasync slot) and show it in a dialog,
    instead of losing it silently."""
    log.error("uncaught exception", exc_info=(kind, error, tb))
    if not isinstance(QApplication.instance(), QApplication):
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error",
                      f"Something went wrong: {error}")  # fmt: skip
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setDetailedText("".join(traceback.format_exception(kind, error, tb)))
    box.exec()


def start(settings: Settings, settings_path: Path | None) -> tuple[CoreBridge, MainWindow]:
    """Create the bridge and the window, show the window, start the core."""
    bridge = CoreBridge(settings)
    window = MainWindow(bridge, settings_path)
    window.show()
    bridge.start()
    return bridge, window


def keep_start_up_objects() -> None:
    """Leave the objects made at start-up (modules, classes, the window's widgets) out of the
    garbage collector's full collections from now on: they live as long as the app, and walking
    them took the GUI thread 50 to 270 ms at a time during a burst of webhooks
    (benchmarks/gui_ingest.py)."""
    gc.collect()
    gc.freeze()


def run(settings: Settings, settings_path: Path | None) -> int:
    """Run the app until its window is closed; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = make_application()
    previous_hook: ExceptHook = sys.excepthook
    sys.excepthook = excepthook
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    bridge, window = start(settings, settings_path)
    keep_start_up_objects()
    closed: asyncio.Future[None] = loop.create_future()
    window.closed.connect(lambda: closed.done() or closed.set_result(None))
    try:
        loop.run_until_complete(closed)
    finally:
        bridge.stop()
        window.deleteLater()
        loop.close()
        asyncio.set_event_loop(None)
        sys.excepthook = previous_hook
    return 0
