"""Edit and resend one stored request: method, target and path, headers, body, re-signing.

The request is sent by the core (`InspectorService.replay`, off the GUI thread through the
bridge), which records the attempt; the answer (status, headers, capped body, latency) or the
error in plain words is shown inside the dialog. Everything shown can come from the sender or
the target, so labels are plain text and tooltips are escaped
(ARCHITECTURE.md, "Untrusted text is plain text").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core import bodies, signatures
from inspector.core.config import Settings
from inspector.core.models import CapturedRequest, Header, ReplayAttempt, StoredRequest
from inspector.core.replay import check_headers, check_target, join_target, prepare
from inspector.gui.bridge import CoreBridge
from inspector.gui.text import one_line, plain_label, plain_tooltip
from inspector.gui.widgets.body_view import JsonHighlighter
from inspector.gui.widgets.common import fixed_font

BODY_SHOWN_MAX = 256 * 1024
"""Longest response body shown in the dialog (characters); the rest is summarised."""
METHODS = ("POST", "PUT", "PATCH", "GET", "DELETE", "HEAD", "OPTIONS")
ERROR_COLOUR = "#d64545"
OK_COLOUR = "#2e9d4f"


def coloured(label: Any, colour: str) -> None:
    label.setStyleSheet(f"color:{colour}; font-weight:600;")


# --- shared helpers -------------------------------------------------------------------------


class TargetCombo(QComboBox):
    """An editable combo of replay targets: the default first, then the recent ones."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(28)
        self.setToolTip("Where replays go (recent targets are remembered)")
        self.set_targets(settings)

    def set_targets(self, settings: Settings, current: str | None = None) -> None:
        """List the default target and the recent ones; keep `current` (or the default) shown."""
        shown = current if current is not None else settings.replay_target
        targets = [settings.replay_target, *settings.replay_targets]
        unique = list(dict.fromkeys(t for t in targets if t))
        self.blockSignals(True)
        self.clear()
        self.addItems(unique)
        self.setEditText(shown)
        self.lineEdit().setCursorPosition(0)  # a long URL shows its scheme and host
        self.blockSignals(False)

    def target(self) -> str:
        return self.currentText().strip()


def attempt_summary(attempt: ReplayAttempt) -> str:
    """'→ 200 in 14 ms' or '→ failed: connection refused: …' (plain words)."""
    if attempt.error and attempt.status is None:
        return f"failed: {attempt.error}"
    text = f"→ {attempt.status}"
    if attempt.latency_ms is not None:
        text += f" in {latency_text(attempt.latency_ms)}"
    if attempt.error:
        text += f" ({attempt.error})"
    return text


def latency_text(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def json_problem(text: str) -> str | None:
    """None when `text` is valid JSON, else where and why it is not ('line 3, column 5: …')."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except RecursionError:
        return "nested too deeply"
    return None


def looks_like_json(content_type: str, text: str) -> bool:
    start = text.lstrip()[:1]
    return "json" in content_type.lower() or start in ("{", "[")


def reformat_json(text: str, *, pretty: bool) -> str:
    """The JSON text pretty-printed (2 spaces) or compact; ValueError when not JSON."""
    value = json.loads(text)
    if pretty:
        return json.dumps(value, indent=2, ensure_ascii=False)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


PRETTY_MAX = 1024 * 1024
"""One-line JSON bodies up to this size open pretty-printed in the editor."""
PATH_RULE = ("The Path box is sent as typed; the target gives the scheme, host and port "
             "(a path in the target only fills the Path box).")  # fmt: skip


def origin(target: str) -> str:
    """'http://127.0.0.1:3000/hook?x=1' -> 'http://127.0.0.1:3000'; ValueError when the target
    is not a usable URL."""
    url = check_target(target)
    return f"{url.scheme.lower()}://{url.raw_authority}"


def default_path(target: str, request: CapturedRequest) -> str:
    """What the Path box starts with: where a plain replay of `request` to `target` goes
    (the target's own path and query when it has them, else the captured ones)."""
    try:
        url = join_target(target, request.path, request.query)
    except ValueError:
        return request.target
    return url[len(origin(target)) :] or "/"


def editable_text(body: bytes) -> str | None:
    """The body as the editor shows it: one-line JSON pretty-printed (exactly: key order,
    duplicates and number spelling kept), other UTF-8 text as is; None when not UTF-8."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\n" in text.strip() or len(body) > PRETTY_MAX or text.lstrip()[:1] not in ("{", "["):
        return text
    try:
        return bodies.pretty_json(bodies.parse_json_exact(text))[0]
    except (ValueError, RecursionError):
        return text


class EditorHighlighter(JsonHighlighter):
    """Colours JSON being edited, line by line (JSON strings never span lines)."""

    LINE_MAX = 4000

    def highlightBlock(self, text: str) -> None:
        if not self.enabled or len(text) > self.LINE_MAX:
            return
        for start, length, token_type in bodies.json_spans(text):
            char_format = self.format_for(token_type)
            if char_format is not None:
                self.setFormat(start, length, char_format)

    enabled = True


def split_target(text: str) -> tuple[str, str]:
    """'/hook?a=1' -> ('/hook', 'a=1')."""
    path, _, query = text.partition("?")
    return path, query


RawRole = Qt.ItemDataRole.UserRole + 1
"""A value cell's stored value (Latin-1 convention), kept so an unedited value is sent with
exactly its original bytes."""


def header_rows(table: QTableWidget) -> list[Header]:
    """The headers in a (name, value) table, in order, values in the stored Latin-1
    convention; fully empty rows are skipped. ValueError for a value without a name."""
    headers: list[Header] = []
    for row in range(table.rowCount()):
        name_item, value_item = table.item(row, 0), table.item(row, 1)
        name = name_item.text() if name_item is not None else ""
        value = value_item.text() if value_item is not None else ""
        if not name and not value:
            continue
        if not name.strip():
            raise ValueError(f"header row {row + 1} has a value but no name")
        raw = value_item.data(RawRole) if value_item is not None else None
        unchanged = isinstance(raw, str) and display_header(raw) == value
        headers.append((name.strip(), raw if unchanged else latin1_header(value)))
    return headers


def latin1_header(value: str) -> str:
    """Text typed by the user as a header value in the stored Latin-1 convention: non-ASCII
    text goes out as UTF-8 bytes."""
    return value if value.isascii() else value.encode("utf-8").decode("latin-1")


def display_header(value: str) -> str:
    """A stored (Latin-1 convention) header value as text to edit (UTF-8 when valid)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


class HeadersEditor(QWidget):
    """An editable table of headers: duplicates allowed, order kept; add and remove rows."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["Name", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.itemChanged.connect(lambda _item: self.changed.emit())
        self.add_button = QPushButton("Add header", self)
        self.add_button.clicked.connect(self.add_row)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Remove the selected headers")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def show_length(self, value: str | None) -> None:
        """Show the Content-Length that will be sent (computed from the body, not editable)."""
        rows = [row for row in range(self.table.rowCount())
                if (item := self.table.item(row, 0)) is not None
                and item.text().strip().lower() == "content-length"]  # fmt: skip
        if value is None:
            return
        self.table.blockSignals(True)
        if not rows:
            rows = [self._append("Content-Length", value)]
        for row in rows:
            item = self.table.item(row, 1)
            item.setText(value)
            item.setData(RawRole, value)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            item.setToolTip("Computed from the body that will be sent")
        self.table.blockSignals(False)

    def set_headers(self, headers: Sequence[Header]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for name, value in headers:
            row = self._append(name, display_header(value))
            self.table.item(row, 1).setData(RawRole, value)
        self.table.blockSignals(False)
        self.table.resizeColumnToContents(0)
        self.changed.emit()

    def _append(self, name: str, value: str) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setItem(row, 1, QTableWidgetItem(value))
        return row

    @Slot()
    def add_row(self, name: str = "", value: str = "") -> None:
        row = self._append(name, value)
        self.table.setCurrentCell(row, 0)
        if not name:
            self.table.editItem(self.table.item(row, 0))
        self.changed.emit()

    @Slot()
    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self.changed.emit()

    def set_row(self, row: int, name: str, value: str) -> None:
        """Set one row (tests and programmatic edits)."""
        if row >= self.table.rowCount():
            self._append(name, value)
        else:
            self.table.item(row, 0).setText(name)
            self.table.item(row, 1).setText(value)
        self.changed.emit()

    def headers(self) -> list[Header]:
        """The headers in the stored Latin-1 convention; ValueError when one cannot be sent."""
        headers = header_rows(self.table)
        check_headers(headers)
        return headers


class BodyEditor(QWidget):
    """A monospace body editor with live JSON validation and Pretty / Compact buttons.
    A body that is not UTF-8 text cannot be edited here and is sent unchanged."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._original = b""
        self._original_text: str | None = ""
        self._content_type = ""
        self._shown_text: str | None = ""
        self.edit = QPlainTextEdit(self)
        self.edit.setFont(fixed_font())
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.edit.setTabChangesFocus(True)
        self.highlighter = EditorHighlighter(self.edit.document())
        self.highlighter.set_dark(self.palette().color(self.backgroundRole()).lightness() < 128)
        self.edit.textChanged.connect(self._on_changed)
        self.status = plain_label(parent=self)
        self.status.setWordWrap(True)
        self.pretty_button = QPushButton("Pretty", self)
        self.pretty_button.setToolTip("Indent the JSON body (2 spaces)")
        self.pretty_button.clicked.connect(lambda: self.reformat(pretty=True))
        self.compact_button = QPushButton("Compact", self)
        self.compact_button.setToolTip("Write the JSON body on one line, without spaces")
        self.compact_button.clicked.connect(lambda: self.reformat(pretty=False))
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.pretty_button)
        bar.addWidget(self.compact_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addLayout(bar)

    def set_body(self, body: bytes, content_type: str) -> None:
        self._original, self._content_type = body, content_type
        try:
            self._original_text = body.decode("utf-8")
        except UnicodeDecodeError:
            self._original_text = None
        self._shown_text = editable_text(body)
        self.highlighter.enabled = looks_like_json(content_type, self._shown_text or "")
        if len(body) > PRETTY_MAX:
            self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        if self._original_text is None:
            self.edit.setPlainText("")
            self.edit.setPlaceholderText(
                f"Binary body ({len(body):,} bytes): sent unchanged, cannot be edited here."
            )
            self.edit.setReadOnly(True)
        else:
            self.edit.setReadOnly(False)
            self.edit.setPlaceholderText("(empty body)")
            self.edit.setPlainText(self._shown_text or "")
        self._on_changed()

    @property
    def editable(self) -> bool:
        return self._original_text is not None

    def text(self) -> str:
        return self.edit.toPlainText()

    @property
    def edited(self) -> bool:
        """The user changed the body text (else the captured bytes are sent exactly)."""
        if self._original_text is None:
            return False
        text = self.text()
        unchanged = (self._shown_text or "", self._original_text,
                     self._original_text.replace("\r\n", "\n").replace("\r", "\n"))  # fmt: skip
        return text not in unchanged

    def body(self) -> bytes:
        """The bytes to send: the captured ones until the text is edited, then the text."""
        return self.text().encode("utf-8") if self.edited else self._original

    def problem(self) -> str | None:
        """Why the JSON body is not valid JSON (None when it is, or is not meant as JSON)."""
        text = self.text()
        if not self.editable or not text.strip() or not looks_like_json(self._content_type, text):
            return None
        return json_problem(text)

    def set_content_type(self, content_type: str) -> None:
        self._content_type = content_type
        self._on_changed()

    def reformat(self, *, pretty: bool) -> None:
        try:
            text = reformat_json(self.text(), pretty=pretty)
        except (ValueError, RecursionError):
            return  # the status line already says why
        cursor = self.edit.textCursor()
        cursor.select(cursor.SelectionType.Document)
        cursor.insertText(text)  # undoable, unlike setPlainText

    @Slot()
    def _on_changed(self) -> None:
        text = self.text()
        is_json = self.editable and bool(text.strip()) and looks_like_json(self._content_type, text)
        problem = json_problem(text) if is_json else None
        self.pretty_button.setEnabled(is_json and problem is None)
        self.compact_button.setEnabled(is_json and problem is None)
        if not self.editable:
            self.status.setText("Binary body: sent unchanged.")
            self.status.setStyleSheet("")
        elif problem is not None:
            self.status.setText(f"Not valid JSON: {problem}")
            coloured(self.status, ERROR_COLOUR)
        else:
            size = len(self.body())
            what = ("edited: sent as shown" if self.edited
                    else "unchanged: the captured bytes are sent exactly")  # fmt: skip
            kind = "Valid JSON · " if is_json else ""
            self.status.setText(f"{kind}{size:,} bytes, {what}")
            self.status.setStyleSheet("")
        self.changed.emit()


class AnswerView(QWidget):
    """What the target answered: status and latency (or the error), headers, capped body."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = plain_label("Not sent yet.", self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.headers = QTableWidget(0, 2, self)
        self.headers.setHorizontalHeaderLabels(["Name", "Value"])
        self.headers.verticalHeader().setVisible(False)
        self.headers.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.headers.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.headers.horizontalHeader().setStretchLastSection(True)
        self.headers.setWordWrap(False)
        self.body = QPlainTextEdit(self)
        self.body.setReadOnly(True)
        self.body.setFont(fixed_font())
        self.body.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.headers)
        splitter.addWidget(self.body)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

    def show_pending(self, text: str = "Sending…") -> None:
        self.status.setText(text)
        self.status.setStyleSheet("")

    def show_error(self, text: str) -> None:
        self.status.setText(text)
        coloured(self.status, ERROR_COLOUR)
        self.headers.setRowCount(0)
        self.body.setPlainText("")

    def show_attempt(self, attempt: ReplayAttempt) -> None:
        parts = []
        if attempt.status is not None:
            parts.append(f"Status {attempt.status}")
        if attempt.latency_ms is not None:
            parts.append(latency_text(attempt.latency_ms))
        if attempt.error:
            parts.append(attempt.error)
        if attempt.fidelity_ok is False:
            parts.append("the body sent differs from the body meant to be sent")
        self.status.setText(" · ".join(parts) or "no answer")
        coloured(self.status, OK_COLOUR if attempt.ok else ERROR_COLOUR)
        self.status.setToolTip(plain_tooltip(f"Sent to {attempt.target}"))
        rows = attempt.response_headers
        self.headers.setRowCount(len(rows))
        for row, (name, value) in enumerate(rows):
            shown = display_header(value)
            item = QTableWidgetItem(one_line(shown, 500))
            if len(shown) > 60:
                item.setToolTip(plain_tooltip(shown))
            self.headers.setItem(row, 0, QTableWidgetItem(name))
            self.headers.setItem(row, 1, item)
        self.headers.resizeColumnToContents(0)
        self.body.setPlainText(body_text(attempt.response_body, attempt.response_truncated))


def body_text(body: bytes, truncated: bool = False) -> str:
    """A response body as text to show (capped, undecodable bytes replaced)."""
    text = body[:BODY_SHOWN_MAX].decode("utf-8", errors="replace")
    notes = []
    if len(body) > BODY_SHOWN_MAX:
        notes.append(f"{len(body) - BODY_SHOWN_MAX:,} more bytes not shown")
    if truncated:
        notes.append("the target sent more; only the start was kept")
    if notes:
        text += f"\n\n… ({'; '.join(notes)})"
    return text


# --- the dialog -----------------------------------------------------------------------------


class ReplayDialog(QDialog):
    """Edit one stored request and send it; the answer is shown below the editor.

    Signals:
        attemptFinished(object): a ReplayAttempt came back (recorded by the core).
        failed(str): the request could not be sent (the reason, plain words).
    """

    attemptFinished = Signal(object)
    failed = Signal(str)

    def __init__(
        self, bridge: CoreBridge, stored: StoredRequest, parent: QWidget | None = None,
        *, target: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.bridge = bridge
        self.stored = stored
        self.sending = False
        self.last_attempt: ReplayAttempt | None = None
        settings = bridge.service.settings
        self.setWindowTitle(f"Edit and resend #{stored.id}")
        screen = self.screen().availableGeometry()  # fits a 1366×768 laptop with its frame
        self.resize(min(980, screen.width() - 40), min(820, screen.height() - 80))
        request = stored.request
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_line(settings, request, target))
        self.url_preview = plain_label(parent=self)
        self.url_preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_preview.setWordWrap(True)  # the path rule wraps instead of widening the dialog
        layout.addWidget(self.url_preview)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.headers = HeadersEditor(splitter)
        self.headers.set_headers(request.headers)
        self.body = BodyEditor(splitter)
        self.body.set_body(request.body, request.content_type)
        self.answer = AnswerView(splitter)
        sections = ((self.headers, "Headers", 2), (self.body, "Body", 6),
                    (self.answer, "Answer", 3))  # fmt: skip
        for widget, title, stretch in sections:
            box = QWidget(splitter)
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 4, 0, 0)
            heading = plain_label(title, box)
            font = heading.font()
            font.setBold(True)
            heading.setFont(font)
            box_layout.addWidget(heading)
            box_layout.addWidget(widget, 1)
            splitter.addWidget(box)
            splitter.setStretchFactor(splitter.indexOf(box), stretch)
        for small in (self.headers.table, self.answer.headers, self.answer.body):
            small.setMinimumHeight(3 * self.fontMetrics().height())
        self.sections = splitter
        # the body editor gets most of the height; the answer opens on the first send
        splitter.setSizes([220, 560, 0])
        layout.addWidget(splitter, 1)
        layout.addWidget(self._build_signing(settings, stored))
        self.problem = plain_label(parent=self)
        self.problem.setWordWrap(True)
        coloured(self.problem, ERROR_COLOUR)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(self)
        self.send_button = self.buttons.addButton("Send", QDialogButtonBox.ButtonRole.ActionRole)
        self.send_button.setDefault(True)
        self.send_button.setToolTip("Send the edited request to the target (Ctrl+Return)")
        self.send_button.setShortcut("Ctrl+Return")
        self.send_button.clicked.connect(self.send)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.close)
        layout.addWidget(self.buttons)
        for signal in (self.headers.changed, self.body.changed, self.target.editTextChanged,
                       self.path.textChanged, self.method.editTextChanged,
                       self.resign.toggled, self.wrong.toggled, self.secret.textChanged,
                       self.scheme.currentIndexChanged):  # fmt: skip
            signal.connect(self._validate)
        self._validate()
        self.body.edit.setFocus()  # what is edited most

    def _build_line(
        self, settings: Settings, request: CapturedRequest, target: str | None
    ) -> QHBoxLayout:
        row = QHBoxLayout()
        self.method = QComboBox(self)
        self.method.setEditable(True)
        self.method.addItems(list(dict.fromkeys((request.method, *METHODS))))
        self.method.setCurrentText(request.method)
        self.target = TargetCombo(settings, self)
        if target:
            self.target.setEditText(target)
        self.path = QLineEdit(default_path(self.target.target(), request), self)
        self.path.setFont(fixed_font())
        self.path.setToolTip(PATH_RULE)
        self.path_typed = False
        self.path.textEdited.connect(self._path_typed)
        self.target.editTextChanged.connect(self._target_changed)
        self.keep_host = QCheckBox("Keep original Host", self)
        self.keep_host.setToolTip("Send the captured Host header instead of the target's")
        row.addWidget(self.method)
        row.addWidget(self.target, 2)
        row.addWidget(self.path, 3)
        row.addWidget(self.keep_host)
        return row

    def _build_signing(self, settings: Settings, stored: StoredRequest) -> QGroupBox:
        box = QGroupBox("Signature", self)
        form = QFormLayout(box)
        self.resign = QCheckBox("Re-sign the request for the bytes sent", box)
        self.scheme = QComboBox(box)
        for name, scheme in signatures.SCHEMES.items():
            self.scheme.addItem(f"{name} — {scheme.title}", name)
        detected = stored.derived.verification.scheme or signatures.guess_scheme(stored.request)
        index = self.scheme.findData(detected) if detected else -1
        rule = settings.secret_for(stored.request.path, stored.derived.provider)
        if index < 0 and rule is not None:
            index = self.scheme.findData(rule.scheme)
        self.scheme.setCurrentIndex(max(index, 0))
        self.secret = QLineEdit(rule.secret if rule is not None else "", box)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("the signing secret")
        show = QCheckBox("Show", box)
        show.toggled.connect(
            lambda on: self.secret.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        secret_row = QHBoxLayout()
        secret_row.addWidget(self.secret, 1)
        secret_row.addWidget(show)
        self.wrong = QCheckBox("Send a deliberately wrong signature", box)
        self.wrong.setToolTip("Test that the handler rejects a bad signature")
        self.resign.setChecked(rule is not None and index >= 0)
        self.resign.toggled.connect(self._sync_signing)
        first = QHBoxLayout()  # two rows, so the body editor keeps the height
        first.addWidget(self.resign)
        first.addWidget(self.scheme, 1)
        second = QHBoxLayout()
        second.addLayout(secret_row, 1)
        second.addWidget(self.wrong)
        form.addRow(first)
        form.addRow("Secret:", second)
        self._sync_signing()
        return box

    @Slot()
    def _path_typed(self) -> None:
        self.path_typed = True

    @Slot()
    def _target_changed(self) -> None:
        """Until the user types a path, the Path box follows the target."""
        if not self.path_typed:
            self.path.setText(default_path(self.target.target(), self.stored.request))

    @Slot()
    def _sync_signing(self) -> None:
        on = self.resign.isChecked()
        self.scheme.setEnabled(on)
        self.secret.setEnabled(on)

    # building what is sent

    def edited_request(self) -> CapturedRequest:
        """The stored request with the edits applied; ValueError in plain words."""
        method = self.method.currentText().strip().upper()
        path, query = split_target(self.path.text().strip())
        headers = self.headers.headers()
        body = self.body.body()
        return replace(self.stored.request, method=method, path=path or "/", query=query,
                       headers=tuple(headers), body=body)  # fmt: skip

    def options(self) -> dict[str, Any]:
        resign = None
        if self.resign.isChecked():
            secret = self.secret.text()
            if not secret:
                raise ValueError("enter the secret to re-sign with (or untick re-signing)")
            resign = (str(self.scheme.currentData()), secret)
        return {"keep_host": self.keep_host.isChecked(), "resign": resign,
                "wrong_signature": self.wrong.isChecked()}  # fmt: skip

    @Slot()
    def _validate(self) -> bool:
        """Show the first problem (a header with a line break, bad JSON, bad target...)."""
        problem = ""
        try:
            edited = self.edited_request()
            options = self.options()
            base = origin(self.target.target())
            url = join_target(base, edited.path, edited.query)
            self.url_preview.setText(f"Sends {edited.method} {one_line(url, 400)}   ({PATH_RULE})")
            outgoing = prepare(self.stored.request, base, edited=edited, **options)
            self.headers.show_length(dict((n.lower(), v) for n, v in outgoing.headers)
                                     .get("content-length"))  # fmt: skip
        except ValueError as exc:
            problem = str(exc)
        json_problem_text = self.body.problem()
        if not problem and json_problem_text:
            problem = f"The body is not valid JSON ({json_problem_text}); it can still be sent."
        self.problem.setText(problem[:1:].upper() + problem[1:] if problem else "")
        self.problem.setVisible(bool(problem))
        blocked = bool(problem) and not json_problem_text
        self.send_button.setEnabled(not blocked and not self.sending)
        return not blocked

    # sending

    @Slot()
    def send(self) -> None:
        """Send the edited request (off the GUI thread); the answer shows in the dialog."""
        if self.sending or not self._validate():
            return
        try:
            edited = self.edited_request()
            options = self.options()
        except ValueError as exc:
            self._on_error(exc)
            return
        self.sending = True
        self.send_button.setEnabled(False)
        if self.sections.sizes()[2] == 0:
            self.sections.setSizes([160, 480, 160])
        self.answer.show_pending(f"Sending to {one_line(self.target.target(), 200)}…")
        try:
            base = origin(self.target.target())
        except ValueError as exc:
            self._on_error(exc)
            return
        coro = self.bridge.service.replay(self.stored.id, base, edited=edited, **options)
        self.bridge.run(coro, self._on_attempt, self._on_error)

    def _on_attempt(self, attempt: ReplayAttempt) -> None:
        self.sending = False
        self.last_attempt = attempt
        self.answer.show_attempt(attempt)
        self._validate()
        self.attemptFinished.emit(attempt)

    def _on_error(self, error: BaseException) -> None:
        self.sending = False
        text = str(error) or type(error).__name__
        self.answer.show_error(f"Not sent: {text}")
        self._validate()
        self.failed.emit(text)
