"""What the journey tests share: a main window over a real core, modal dialogs answered while
they are open (as a person answers them), and real drops of files on disk."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from tests.gui.test_main_window import drag_and_drop as drop_files
from tests.gui.test_main_window import open_window

__all__ = ["drop_files", "open_window", "when_modal"]


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

