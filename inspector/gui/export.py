"""Export stored requests to JSON or NDJSON off the GUI thread, with a progress dialog."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from inspector.core import formats
from inspector.core.models import StoredRequest
from inspector.core.store import Store
from inspector.gui.bridge import CoreBridge

PROGRESS_EVERY = 25


class ExportCancelled(Exception):
    """The user cancelled the export; the partial file is removed."""


class ExportJob(QObject):
    """Writes matching requests to `path` on the bridge's I/O thread.

    Signals:
        progressed(int): requests written so far.
        finished(int, str): count written and error message ("" on success, "cancelled").
    """

    progressed = Signal(int)
    finished = Signal(int, str)

    def __init__(
        self, bridge: CoreBridge, store: Store, path: Path, *, ndjson: bool,
        where: str = "", params: Sequence[object] = (), parent: QObject | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self._bridge, self._store, self.path, self._ndjson = bridge, store, path, ndjson
        self._where, self._params = where, tuple(params)
        self._cancel = threading.Event()

    def start(self) -> None:
        self._bridge.background(self._write, self._done, self._failed)

    def cancel(self) -> None:
        self._cancel.set()

    def _write(self) -> int:
        write = formats.write_ndjson if self._ndjson else formats.write_json
        try:
            with self.path.open("w", encoding="utf-8") as handle:
                return write(handle, self._items())
        except BaseException:
            with contextlib.suppress(OSError):
                self.path.unlink()
            raise

    def _items(self) -> Iterator[StoredRequest]:
        for count, stored in enumerate(self._store.iter_all(self._where, self._params), 1):
            if self._cancel.is_set():
                raise ExportCancelled
            yield stored
            if count % PROGRESS_EVERY == 0:
                self.progressed.emit(count)

    def _done(self, count: int) -> None:
        self.finished.emit(count, "")

    def _failed(self, error: BaseException) -> None:
        message = "cancelled" if isinstance(error, ExportCancelled) else str(error)
        self.finished.emit(0, message or type(error).__name__)


def progress_dialog(job: ExportJob, total: int, parent: QWidget) -> QProgressDialog:
    """A modal-less progress dialog wired to `job` (Cancel cancels the job)."""
    dialog = QProgressDialog(f"Exporting {total:,} requests…", "Cancel", 0, max(total, 1), parent)
    dialog.setWindowTitle("Export")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    job.progressed.connect(dialog.setValue)
    dialog.canceled.connect(job.cancel)
    job.finished.connect(lambda *_: dialog.close())
    return dialog
