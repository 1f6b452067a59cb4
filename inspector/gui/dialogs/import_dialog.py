"""Import files (dropped on the window or chosen with File > Import…) into the history.

Two stages, neither on the GUI thread: the files are read and parsed with
`inspector.core.formats.importing` on the bridge's I/O thread, then the requests are stored with
`service.ingest` on the core loop (many at a time, so they share group commits). Between the
two, when some files are plain JSON payloads, the user picks the path they are stored under
(remembered). Every file gets an outcome; bad ones are listed one by one in a plain-text
summary, and the rest is imported anyway.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core.formats import ImportResult, import_file
from inspector.core.models import CapturedRequest
from inspector.gui.bridge import CoreBridge
from inspector.gui.icons import dot_icon
from inspector.gui.text import one_line, plain_label, plain_tooltip

DEFAULT_PATH = "/import"
PATH_KEY = "import/path"
INGEST_CHUNK = 256
"""Requests handed to the writer at once (they share group commits)."""
FORMAT_NAMES = {"export": "our export", "har": "HAR", "curl": "curl", "json": "JSON payload"}
RED = QColor("#c62828")
GREEN, ORANGE = "#2e9e44", "#ef6c00"


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What became of one file: how many requests were stored, and every problem."""

    path: Path
    format: str = ""
    imported: int = 0
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self) -> str:
        """One plain line: 'imported 3 (HAR)' or the problems."""
        kind = FORMAT_NAMES.get(self.format, self.format)
        done = f"imported {self.imported:,}" + (f" ({kind})" if kind else "")
        if not self.errors:
            return done
        problems = "; ".join(self.errors[:3]) + (
            f"; and {len(self.errors) - 3} more" if len(self.errors) > 3 else ""
        )
        return f"{done}; {problems}" if self.imported else problems


class ImportCancelled(Exception):
    """The user cancelled the import (requests already stored stay stored)."""


def remembered_path() -> str:
    return str(QSettings().value(PATH_KEY, DEFAULT_PATH) or DEFAULT_PATH)


def check_path(text: str) -> str | None:
    """Why `text` cannot be a request path (None: fine)."""
    if not text.startswith("/"):
        return "The path must start with /, e.g. /import"
    if any(c.isspace() for c in text) or "?" in text or "#" in text:
        return "The path cannot contain spaces, ? or #"
    return None


class PayloadPathDialog(QDialog):
    """Ask under which path plain JSON payload files are stored (default remembered)."""

    def __init__(self, files: Sequence[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import JSON payloads")
        layout = QVBoxLayout(self)
        count = len(files)
        names = ", ".join(one_line(f.name, 60) for f in files[:3])
        more = f" and {count - 3} more" if count > 3 else ""
        intro = plain_label(
            f"{'This file is a' if count == 1 else f'{count} files are'} plain JSON "
            f"payload{'' if count == 1 else 's'} ({names}{more}). Each becomes a POST "
            "request with Content-Type: application/json and the file's exact bytes as body, "
            "to this path:", self)  # fmt: skip
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.path = QLineEdit(remembered_path(), self)
        layout.addWidget(self.path)
        self.error = plain_label(parent=self)
        self.error.setStyleSheet("color:#c62828;")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def accept(self) -> None:
        problem = check_path(self.path.text().strip())
        if problem:
            self.error.setText(problem)
            self.error.show()
            self.path.setFocus()
            return
        QSettings().setValue(PATH_KEY, self.path.text().strip())
        super().accept()

    def value(self) -> str:
        return self.path.text().strip()


def ask_payload_path(files: Sequence[Path], parent: QWidget | None) -> str | None:
    """The path for plain JSON payload files, or None when the user cancelled."""
    dialog = PayloadPathDialog(files, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.value()


class ImportJob(QObject):
    """Reads `paths`, then (after `store`) stores their requests through the core.

    Signals:
        progressed(int, int, str): done, total, and what is being done (plain text).
        parsed(): every file was read; `payload_files` lists the plain JSON payloads.
        finished(object): the list of FileOutcome (one per file, in order), or an
            ImportCancelled / other exception when the import stopped.
    """

    progressed = Signal(int, int, str)
    parsed = Signal()
    finished = Signal(object)

    def __init__(self, bridge: CoreBridge, paths: Sequence[Path],
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self._bridge = bridge
        self.paths = [Path(p) for p in paths]
        self.results: list[ImportResult] = []
        self._cancel = threading.Event()

    @property
    def payload_files(self) -> list[Path]:
        return [p for p, r in zip(self.paths, self.results, strict=True) if r.format == "json"]

    @property
    def request_count(self) -> int:
        return sum(len(result.requests) for result in self.results)

    def start(self) -> None:
        self._bridge.background(self._read, self._read_done, self._failed)

    def cancel(self) -> None:
        self._cancel.set()

    def _read(self) -> list[ImportResult]:
        results: list[ImportResult] = []
        total = len(self.paths)
        for number, path in enumerate(self.paths, 1):
            if self._cancel.is_set():
                raise ImportCancelled
            self.progressed.emit(number - 1, total, f"Reading {path.name}…")
            try:
                results.append(import_file(path, default_path=DEFAULT_PATH))
            except Exception as exc:  # import_file promises not to raise; be safe anyway
                results.append(ImportResult(errors=(f"could not be read: {exc}",)))
        self.progressed.emit(total, total, "Read every file")
        return results

    def _read_done(self, results: list[ImportResult]) -> None:
        self.results = results
        self.parsed.emit()

    def store(self, payload_path: str = DEFAULT_PATH) -> None:
        """Store what was read (plain JSON payloads under `payload_path`)."""
        self._bridge.run(self._store_all(payload_path), self.finished.emit, self._failed)

    async def _store_all(self, payload_path: str) -> list[FileOutcome]:
        service = self._bridge.service
        total, done = self.request_count, 0
        outcomes: list[FileOutcome] = []
        for path, result in zip(self.paths, self.results, strict=True):
            requests: Sequence[CapturedRequest] = result.requests  # HAR: read chunk by chunk
            if result.format == "json":
                requests = [replace(r, path=payload_path) for r in requests]
            stored, errors = 0, list(result.errors)
            for start in range(0, len(requests), INGEST_CHUNK):
                if self._cancel.is_set():
                    raise ImportCancelled
                chunk = requests[start : start + INGEST_CHUNK]
                results = await asyncio.gather(
                    *(service.ingest(request) for request in chunk), return_exceptions=True
                )
                failed = [r for r in results if isinstance(r, BaseException)]
                stored += len(chunk) - len(failed)
                done += len(chunk)
                if failed:  # e.g. the store cannot be written: say so, try the next file
                    errors.append(f"{len(failed):,} requests not stored: {failed[0]}")
                    break
                self.progressed.emit(done, total, f"Storing {done:,} of {total:,} requests…")
            outcomes.append(FileOutcome(path, result.format, stored, tuple(errors)))
        return outcomes

    def _failed(self, error: BaseException) -> None:
        self.finished.emit(error)


class ImportSummaryDialog(QDialog):
    """Which files were imported and why the others were not (all plain text)."""

    def __init__(self, outcomes: Sequence[FileOutcome], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import finished")
        self.outcomes = list(outcomes)
        layout = QVBoxLayout(self)
        bad = sum(1 for o in outcomes if not o.ok)
        headline = plain_label(summary_text(outcomes), self)
        font = headline.font()
        font.setBold(True)
        headline.setFont(font)
        headline.setWordWrap(True)
        layout.addWidget(headline)
        if bad:
            detail = plain_label(
                "The problems are listed in red below (hover for the whole message). "
                "Everything else was imported.", self)  # fmt: skip
            detail.setWordWrap(True)
            layout.addWidget(detail)
        self.table = QTableWidget(len(outcomes), 2, self)
        self.table.setHorizontalHeaderLabels(["File", "Result"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setMinimumSectionSize(self.fontMetrics().height() + 10)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 220)
        for row, outcome in enumerate(outcomes):
            colour = GREEN if outcome.ok else ORANGE if outcome.imported else RED.name()
            name = QTableWidgetItem(dot_icon(colour), outcome.path.name)
            name.setToolTip(plain_tooltip(str(outcome.path)))
            result = QTableWidgetItem(outcome.text())
            result.setToolTip(plain_tooltip("\n".join(outcome.errors) or outcome.text()))
            if not outcome.ok:
                result.setForeground(QBrush(RED))
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, result)
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("Copy report", self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_report)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(760, min(560, 150 + 34 * len(outcomes)))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.table.resizeRowsToContents()  # wrapped rows need the final column widths

    def report(self) -> str:
        """The whole summary as plain text, one line per file."""
        lines = [summary_text(self.outcomes)]
        lines += [f"{o.path}: {'; '.join(o.errors) if o.errors else o.text()}"
                  for o in self.outcomes]  # fmt: skip
        return "\n".join(lines)

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report())


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def summary_text(outcomes: Sequence[FileOutcome]) -> str:
    """'Imported 12 requests from 3 files.', or '… from 2 of 4 files; 1 could not be imported
    and 1 only in part.'"""
    imported = sum(o.imported for o in outcomes)
    files = sum(1 for o in outcomes if o.imported)
    total = len(outcomes)
    failed = sum(1 for o in outcomes if not o.ok and not o.imported)
    partial = sum(1 for o in outcomes if not o.ok and o.imported)
    source = _plural(total, "file") if files == total else f"{files:,} of {_plural(total, 'file')}"
    text = f"Imported {_plural(imported, 'request')} from {source}"
    problems = [f"{failed:,} could not be imported" if failed else "",
                f"{partial:,} only in part" if partial else ""]  # fmt: skip
    problems = [p for p in problems if p]
    return text + ("; " + " and ".join(problems) if problems else "") + "."


class ImportRunner(QObject):
    """Runs one import for a window: progress dialog, payload path question, summary.

    Signals:
        finished(object): the FileOutcome list ([] when cancelled or failed).
    """

    finished = Signal(object)

    def __init__(
        self, bridge: CoreBridge, paths: Sequence[Path], parent: QWidget,
        *, ask_path: Callable[[Sequence[Path], QWidget | None], str | None] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self._parent = parent
        self._ask_path = ask_path or ask_payload_path
        self.outcomes: list[FileOutcome] = []
        self.error = ""
        self.summary: ImportSummaryDialog | None = None
        self._asking = False
        self.job = ImportJob(bridge, paths, self)
        self.progress = QProgressDialog("Reading files…", "Cancel", 0, max(len(paths), 1),
                                        parent)  # fmt: skip
        self.progress.setWindowTitle("Import")
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(400)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.canceled.connect(self.job.cancel)
        self.job.progressed.connect(self._progressed)
        self.job.parsed.connect(self._parsed)
        self.job.finished.connect(self._finished)

    def start(self) -> None:
        self.job.start()

    def cancel(self) -> None:
        self.job.cancel()

    def _progressed(self, done: int, total: int, text: str) -> None:
        if self._asking:
            return  # a late "read" step must not bring the progress dialog over the question
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setLabelText(text)

    def _parsed(self) -> None:
        path = DEFAULT_PATH
        payloads = self.job.payload_files
        if payloads:
            chosen = self._ask_quietly(payloads)
            if chosen is None:
                self._finished(ImportCancelled())
                return
            path = chosen
        total = self.job.request_count
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(0)
        self.progress.setLabelText(f"Storing {total:,} requests…")
        self.job.store(path)

    def _ask_quietly(self, payloads: Sequence[Path]) -> str | None:
        """Ask for the payload path with the progress dialog out of the way.

        `reset` stops the progress dialog's delayed-show timer (hiding a dialog that has not
        shown yet does not: it would pop up over the question, modal, stuck at 100%); the next
        `setValue(0)` starts a fresh delay for the storing stage.
        """
        self._asking = True
        self.progress.hide()
        self.progress.reset()
        try:
            return self._ask_path(payloads, self._parent)
        finally:
            self._asking = False

    def _finished(self, result: object) -> None:
        self.progress.close()
        if isinstance(result, BaseException):
            self.error = "cancelled" if isinstance(result, ImportCancelled) else str(result)
            self.finished.emit([])
            return
        assert isinstance(result, list)
        self.outcomes = result
        if any(not o.ok for o in result):
            self.summary = ImportSummaryDialog(result, self._parent)
            self.summary.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.summary.open()
        self.finished.emit(result)
