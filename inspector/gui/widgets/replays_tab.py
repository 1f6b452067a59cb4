"""The Replays tab of the detail pane: every replay and forward attempt of one request.

Attempts are read from the store on the GUI thread (one indexed query per request, like the
detail pane's own read). Double-click opens an attempt: the answer, and what was sent when it
was edited. "Compare with original" diffs what was sent against the stored request.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.core.models import FORWARD, ReplayAttempt, StoredRequest, target_path_qs
from inspector.core.store import Store, StoreError
from inspector.gui.dialogs.compare import CompareDialog
from inspector.gui.dialogs.replay_dialog import AnswerView, body_text, display_header, latency_text
from inspector.gui.text import long_time, one_line, plain_label, plain_tooltip, short_time
from inspector.gui.widgets.common import fixed_font

COLUMNS = ("Time", "Kind", "Target", "Result", "Latency", "Fidelity")
TIME, KIND, TARGET, RESULT, LATENCY, FIDELITY = range(len(COLUMNS))
AttemptRole = Qt.ItemDataRole.UserRole + 1
RED = QColor("#d64545")


def result_text(attempt: ReplayAttempt) -> str:
    if attempt.status is None:
        return attempt.error or "no answer"
    return f"{attempt.status}" + (f" · {attempt.error}" if attempt.error else "")


def fidelity_text(attempt: ReplayAttempt) -> str:
    ok = attempt.fidelity_ok
    if ok is None:
        return "—"
    text = "ok" if ok else "mismatch"
    return f"{text} (edited)" if attempt.edited else text


def fidelity_tooltip(attempt: ReplayAttempt) -> str:
    ok = attempt.fidelity_ok
    if ok is None:
        return "Nothing was sent."
    if ok:
        return "Exactly the intended body bytes were sent, to the intended path and query."
    if attempt.sent_sha256 == attempt.expected_sha256:
        return f"The request line carried {attempt.sent_target!r}, not the intended path and query."
    return (
        "The body bytes sent differ from the body meant to be sent "
        f"(sent SHA-256 {attempt.sent_sha256[:16]}…, meant {attempt.expected_sha256[:16]}…)."
    )


def sent_request(original: StoredRequest, attempt: ReplayAttempt) -> StoredRequest:
    """What an attempt sent, as a stored request (to compare with the original)."""
    path, _, query = target_path_qs(attempt.target).partition("?")
    request = replace(
        original.request,
        method=attempt.sent_method or original.request.method,
        path=path,
        query=query,
        headers=attempt.sent_headers,
        body=attempt.sent_body if attempt.sent_body is not None else original.request.body,
    )
    return replace(original, request=request)


class AttemptDialog(QDialog):
    """One attempt: when, where, the answer (status, headers, body) and what was sent."""

    def __init__(self, attempt: ReplayAttempt, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attempt = attempt
        self.setWindowTitle(f"{attempt.kind.capitalize()} of #{attempt.request_id}")
        self.resize(860, 640)
        form = QFormLayout()
        facts = (
            ("When", long_time(attempt.started_at_ns)),
            ("Kind", attempt.kind + (" (edited)" if attempt.edited else "")),
            ("Target", f"{attempt.sent_method} {attempt.target}".strip()),
            ("Fidelity", f"{fidelity_text(attempt)}: {fidelity_tooltip(attempt)}"),
        )
        for name, value in facts:
            label = plain_label(one_line(value, 1000), self)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            form.addRow(f"{name}:", label)
        self.tabs = QTabWidget(self)
        self.answer = AnswerView(self.tabs)
        self.answer.show_attempt(attempt)
        self.tabs.addTab(self.answer, "Answer")
        self.sent_headers = QPlainTextEdit(self.tabs)
        self.sent_headers.setReadOnly(True)
        self.sent_headers.setFont(fixed_font())
        self.sent_headers.setPlainText(
            "\n".join(f"{k}: {display_header(v)}" for k, v in attempt.sent_headers)
        )
        self.tabs.addTab(self.sent_headers, "Sent headers")
        self.sent_body = QPlainTextEdit(self.tabs)
        self.sent_body.setReadOnly(True)
        self.sent_body.setFont(fixed_font())
        if attempt.sent_body is not None:
            self.sent_body.setPlainText(body_text(attempt.sent_body))
        else:
            self.sent_body.setPlaceholderText("The stored body, unchanged.")
        self.tabs.addTab(self.sent_body, "Sent body")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)


class ReplaysTab(QWidget):
    """The attempts of the request shown, newest first.

    Signals:
        replayAgain(int, str): replay request `id` as captured to `target` again.
    """

    replayAgain = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store: Store | None = None
        self._stored: StoredRequest | None = None
        self.attempts: list[ReplayAttempt] = []
        self._dialogs: list[QDialog] = []
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(TARGET, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._open_index)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.empty = plain_label("Not replayed or forwarded yet. Press R to replay.", self)
        self.empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.open_button = QPushButton("Open", self)
        self.open_button.clicked.connect(self.open_selected)
        self.compare_button = QPushButton("Compare with original", self)
        self.compare_button.setToolTip("Diff what this attempt sent against the stored request")
        self.compare_button.clicked.connect(self.compare_selected)
        self.again_button = QPushButton("Replay again", self)
        self.again_button.setToolTip("Replay the request as captured to this attempt's target")
        self.again_button.clicked.connect(self.replay_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty)
        buttons.addStretch(1)
        for button in (self.open_button, self.compare_button, self.again_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    # content

    def show_request(self, stored: StoredRequest | None) -> int:
        """Show the attempts of `stored`; returns how many there are."""
        self._stored = stored
        attempts: list[ReplayAttempt] = []
        if stored is not None and self.store is not None:
            try:
                attempts = self.store.replays(stored.id)
            except StoreError:
                attempts = []
        self.set_attempts(attempts)
        return len(attempts)

    def refresh(self) -> int:
        """Re-read the attempts of the request shown (after one completed)."""
        return self.show_request(self._stored)

    @property
    def request_id(self) -> int | None:
        return self._stored.id if self._stored is not None else None

    def set_attempts(self, attempts: list[ReplayAttempt]) -> None:
        self.attempts = list(reversed(attempts))  # newest first
        self.table.setRowCount(len(self.attempts))
        for row, attempt in enumerate(self.attempts):
            cells = (
                short_time(attempt.started_at_ns),
                attempt.kind + (" (edited)" if attempt.edited else ""),
                one_line(attempt.target, 300),
                one_line(result_text(attempt), 300),
                latency_text(attempt.latency_ms),
                fidelity_text(attempt),
            )
            tips = {
                TIME: long_time(attempt.started_at_ns),
                TARGET: attempt.target,
                RESULT: result_text(attempt),
                FIDELITY: fidelity_tooltip(attempt),
            }
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(AttemptRole, row)
                if column in tips:
                    item.setToolTip(plain_tooltip(tips[column]))
                bad = (column == RESULT and not attempt.ok) or (
                    column == FIDELITY and attempt.fidelity_ok is False
                )
                if bad:
                    item.setForeground(QBrush(RED))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(TARGET, QHeaderView.ResizeMode.Stretch)
        self.empty.setVisible(not self.attempts)
        self._update_buttons()

    def title(self) -> str:
        count = len(self.attempts)
        forwards = sum(a.kind == FORWARD for a in self.attempts)
        if not count:
            return "Replays"
        return f"Replays ({count})" if not forwards else f"Replays ({count}, {forwards} fwd)"

    # actions

    def selected(self) -> ReplayAttempt | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].row()
        return self.attempts[row] if 0 <= row < len(self.attempts) else None

    @Slot()
    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        for button in (self.open_button, self.compare_button, self.again_button):
            button.setEnabled(chosen)

    @Slot(QModelIndex)
    def _open_index(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self.attempts):
            self.open_attempt(self.attempts[index.row()])

    @Slot()
    def open_selected(self) -> None:
        attempt = self.selected()
        if attempt is not None:
            self.open_attempt(attempt)

    def open_attempt(self, attempt: ReplayAttempt) -> AttemptDialog:
        dialog = AttemptDialog(attempt, self)
        self._keep(dialog)
        dialog.show()
        return dialog

    @Slot()
    def compare_selected(self) -> CompareDialog | None:
        attempt = self.selected()
        if attempt is None or self._stored is None:
            return None
        dialog = CompareDialog(self._stored, sent_request(self._stored, attempt), self)
        dialog.setWindowTitle(f"Compare #{self._stored.id} with what the {attempt.kind} sent")
        self._keep(dialog)
        dialog.show()
        return dialog

    @Slot()
    def replay_selected(self) -> None:
        attempt = self.selected()
        if attempt is not None:
            self.replayAgain.emit(attempt.request_id, attempt.target)

    def dialogs(self) -> list[QDialog]:
        return list(self._dialogs)

    def _keep(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda: self._forget(dialog))
        self._dialogs.append(dialog)

    def _forget(self, dialog: QDialog) -> None:
        if dialog in self._dialogs:
            self._dialogs.remove(dialog)
