"""Export stored requests off the GUI thread, with a progress dialog, and the dialog that
chooses what to export (selected / filtered / all), in which format, and whether to mask."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QProgressDialog,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core import formats
from inspector.core.models import StoredRequest
from inspector.core.store import Store
from inspector.gui.bridge import CoreBridge
from inspector.gui.text import one_line, plain_label

PROGRESS_EVERY = 25
FORMATS = (
    ("json", "JSON (Webhook Inspector export, imports back byte for byte)", "json"),
    ("ndjson", "NDJSON (one request per line)", "ndjson"),
    ("har", "HAR 1.2 (HTTP Archive: browsers, Charles, Insomnia…)", "har"),
    ("curl", "curl commands (a shell script)", "sh"),
)
"""(format, label, file suffix) of every export format offered."""
SCOPES = ("selected", "filtered", "all")
MASK_TEXT = "Mask phone numbers, names and message text"


class ExportCancelled(Exception):
    """The user cancelled the export; the partial file is removed."""


class ExportJob(QObject):
    """Writes requests to `path` on the bridge's I/O thread: those matching `where`, or the
    given `ids` (oldest first either way), as `fmt` (default: json, or ndjson when `ndjson`),
    masking personal data when `mask`.

    Signals:
        progressed(int): requests written so far.
        finished(int, str): count written and error message ("" on success, "cancelled").
    """

    progressed = Signal(int)
    finished = Signal(int, str)

    def __init__(
        self, bridge: CoreBridge, store: Store, path: Path, *, ndjson: bool = False,
        where: str = "", params: Sequence[object] = (), parent: QObject | None = None,
        fmt: str | None = None, mask: bool = False, ids: Sequence[int] | None = None,
        base_url: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self._bridge, self._store, self.path = bridge, store, path
        self.fmt = fmt or ("ndjson" if ndjson else "json")
        if self.fmt not in formats.EXPORT_FORMATS:
            raise ValueError(f"unknown export format {self.fmt!r}")
        self.mask = mask
        self._where, self._params = where, tuple(params)
        self._ids = None if ids is None else sorted(set(ids))
        self._base_url = base_url
        self._cancel = threading.Event()

    def start(self) -> None:
        self._bridge.background(self._write, self._done, self._failed)

    def cancel(self) -> None:
        self._cancel.set()

    def _write(self) -> int:
        try:
            with self.path.open("w", encoding="utf-8") as handle:
                return formats.write_export(handle, self._items(), self.fmt, mask=self.mask,
                                            base_url=self._base_url)  # fmt: skip
        except BaseException:
            with contextlib.suppress(OSError):
                self.path.unlink()
            raise

    def _stored(self) -> Iterator[StoredRequest]:
        if self._ids is None:
            yield from self._store.iter_all(self._where, self._params)
            return
        for request_id in self._ids:
            stored = self._store.get(request_id)
            if stored is not None:  # deleted meanwhile
                yield stored

    def _items(self) -> Iterator[StoredRequest]:
        for count, stored in enumerate(self._stored(), 1):
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


@dataclass(frozen=True, slots=True)
class ExportChoice:
    """What the export dialog chose."""

    scope: str
    """"selected", "filtered" or "all"."""
    fmt: str
    mask: bool

    @property
    def suffix(self) -> str:
        return next(suffix for name, _, suffix in FORMATS if name == self.fmt)


class ExportDialog(QDialog):
    """Choose which requests to export, the format, and masking. The format and masking are
    remembered (QSettings); a scope with nothing in it cannot be chosen."""

    def __init__(
        self, counts: dict[str, int], filter_text: str = "", parent: QWidget | None = None,
        *, scope: str = "",
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Export requests")
        layout = QVBoxLayout(self)
        which = QGroupBox("Requests", self)
        which_layout = QVBoxLayout(which)
        self.scope_group = QButtonGroup(self)
        shown = one_line(filter_text, 60) if filter_text.strip() else ""
        labels = {
            "selected": f"Selected in the table ({counts.get('selected', 0):,})",
            "filtered": f"Shown by the filter ({counts.get('filtered', 0):,})"
            + (f": {shown}" if shown else ""),
            "all": f"All stored requests ({counts.get('all', 0):,})",
        }
        self.scope_buttons: dict[str, QRadioButton] = {}
        for name in SCOPES:
            button = QRadioButton(labels[name], which)
            button.setEnabled(counts.get(name, 0) > 0)
            self.scope_group.addButton(button)
            which_layout.addWidget(button)
            self.scope_buttons[name] = button
        wanted = scope or ("selected" if counts.get("selected", 0) > 1 else
                           "filtered" if shown else "all")  # fmt: skip
        enabled = [name for name in SCOPES if self.scope_buttons[name].isEnabled()]
        if wanted not in enabled and enabled:
            wanted = enabled[-1]
        self.scope_buttons[wanted].setChecked(True)
        layout.addWidget(which)
        form = QFormLayout()
        self.format = QComboBox(self)
        for name, label, _ in FORMATS:
            self.format.addItem(label, name)
        saved = QSettings().value("export/format", "json")
        self.format.setCurrentIndex(max(0, self.format.findData(saved)))
        form.addRow("Format:", self.format)
        layout.addLayout(form)
        self.mask = QCheckBox(MASK_TEXT, self)
        self.mask.setChecked(QSettings().value("export/mask", False, type=bool))
        layout.addWidget(self.mask)
        hint = plain_label(
            "Runs of 8+ digits keep their last 4, names and message text become ***, and "
            "wamid ids are replaced by a hash. Masked bodies are no longer the original bytes "
            "(they are marked). Credentials inside payloads are always masked.",
            self,
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color:palette(placeholder-text);")
        layout.addWidget(hint)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export…")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(enabled))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def choice(self) -> ExportChoice:
        scope = next((name for name, button in self.scope_buttons.items()
                      if button.isChecked()), "all")  # fmt: skip
        return ExportChoice(scope, str(self.format.currentData()), self.mask.isChecked())

    def accept(self) -> None:
        choice = self.choice()
        QSettings().setValue("export/format", choice.fmt)
        QSettings().setValue("export/mask", choice.mask)
        super().accept()
