"""What the journey tests share: a main window over a real core, modal dialogs answered while
they are open (as a person answers them), and real drops of files on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from inspector.gui.bridge import CoreBridge
from inspector.gui.main_window import MainWindow


def open_window(qtbot, bridge: CoreBridge) -> MainWindow:
    window = MainWindow(bridge)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.model.store is not None)
    return window


def when_modal(kind: type[QWidget], answer: Callable[[QWidget], None],
               timeout_ms: int = 20_000) -> QTimer:  # fmt: skip
    """Call `answer(dialog)` once a modal `kind` is the active modal widget (polled every
    20 ms from the event loop, so it also runs inside the dialog's own exec())."""
    timer = QTimer()
    timer.setInterval(20)
    waited = [0]

    def check() -> None:
        waited[0] += 20
        modal = QApplication.activeModalWidget()
        if isinstance(modal, kind) and modal.isVisible():
            timer.stop()
            answer(modal)
        elif waited[0] > timeout_ms:
            timer.stop()

    timer.timeout.connect(check)
    timer.start()
    return timer


def drop_files(widget: QWidget, paths: list[Path]) -> bool:
    """Drag real files over `widget` and drop them there; whether the drop was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    centre = widget.rect().center()
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()
