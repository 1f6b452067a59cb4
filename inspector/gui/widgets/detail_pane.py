"""The detail pane: one stored request in tabs (Body, Raw, Headers, Query, Signature, Response,
Event), and the entry point for comparing two requests.

Everything shown here can come from the sender, so every label is plain text, tooltips are
escaped and bodies go through `BodyView` (formatted off the GUI thread).
See ARCHITECTURE.md, "Untrusted text is plain text".
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from urllib.parse import parse_qsl

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtGui import QAction, QColor, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.core import bodies
from inspector.core.models import Header, SigStatus, StoredRequest, Verification, display_text
from inspector.core.responses import answer_note
from inspector.gui import theme
from inspector.gui.dialogs.compare import CompareDialog
from inspector.gui.models.headers_model import HeadersModel
from inspector.gui.text import long_time, one_line, plain_label, plain_tooltip
from inspector.gui.theme import sig_look
from inspector.gui.widgets.body_view import BodyView, Worker
from inspector.gui.widgets.common import fixed_font
from inspector.gui.widgets.lifecycle_tab import DeliveriesTab, LifecycleTab
from inspector.gui.widgets.replays_tab import ReplaysTab

BODY, RAW, HEADERS, QUERY, SIGNATURE, RESPONSE, EVENT = range(7)
REPLAYS, LIFECYCLE, DELIVERIES = 7, 8, 9
CELL_MAX = 500
REFUSED_COLOUR = theme.RED
WARNING_COLOUR = theme.ORANGE


def coloured(label: QLabel, colour: str, *, bold: bool = True) -> QLabel:
    """Colour a (plain-text) label's text."""
    weight = "font-weight:600;" if bold else ""
    label.setStyleSheet(f"color:{colour}; {weight}")
    return label


def muted(label: QLabel) -> QLabel:
    """Draw a label in the palette's secondary text colour (readable in light and dark)."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def selectable(label: QLabel, *, wrap: bool = False) -> QLabel:
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(wrap)
    return label


def read_only_text(parent: QWidget) -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    edit.setReadOnly(True)
    edit.setUndoRedoEnabled(False)
    edit.setFont(fixed_font())
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return edit


def fill_table(table: QTableWidget, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Replace a read-only table's contents; cells are plain text, long ones get a tooltip."""
    table.clear()
    table.setColumnCount(len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setRowCount(len(rows))
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            item = QTableWidgetItem(one_line(value, CELL_MAX))
            if len(value) > 60:
                item.setToolTip(plain_tooltip(value))
            table.setItem(row, column, item)
    table.resizeColumnsToContents()


def make_table(parent: QWidget) -> QTableWidget:
    table = QTableWidget(parent)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    compact_rows(table)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    return table


def compact_rows(table: QTableView) -> None:
    """One text line per row, no row numbers."""
    header = table.verticalHeader()
    header.setVisible(False)
    header.setDefaultSectionSize(table.fontMetrics().height() + 8)


def status_text(status: int | None) -> str:
    """200 -> '200 OK'."""
    if status is None:
        return "none recorded"
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


# --- tabs ---------------------------------------------------------------------------------------


class HeadersTable(QWidget):
    """Headers in a table, with Copy (the selected rows, or all) as "Name: value" lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = HeadersModel(parent=self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        compact_rows(self.view)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        copy = QAction("Copy", self.view)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy)
        self.view.addAction(copy)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy the selected headers (all when none is selected)")
        self.copy_button.clicked.connect(self.copy)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.copy_button)
        layout.addLayout(row)

    def set_headers(self, headers: Sequence[Header]) -> None:
        self.model.set_headers(headers)
        self.copy_button.setEnabled(bool(headers))

    def selected_rows(self) -> list[int]:
        return sorted(index.row() for index in self.view.selectionModel().selectedRows())

    def copy(self) -> None:
        """Selected rows (or all) to the clipboard as "Name: value" lines."""
        self._copy(self.selected_rows() or None)

    def copy_all(self) -> None:
        self._copy(None)

    def _copy(self, rows: list[int] | None) -> None:
        if self.model.rowCount():
            QGuiApplication.clipboard().setText(self.model.lines(rows))

    @Slot(QPoint)
    def _menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        selected = menu.addAction("Copy selected", self.copy)
        selected.setShortcut(QKeySequence.StandardKey.Copy)
        selected.setEnabled(bool(self.selected_rows()))
        menu.addAction("Copy all", self.copy_all)
        menu.popup(self.view.viewport().mapToGlobal(position))


class RawTab(QWidget):
    """The request as text (request line, headers, blank line, body), built off the GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = read_only_text(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        self.worker = Worker(self)
        self.worker.finished.connect(self._on_done)

    def show_request(self, stored: StoredRequest | None) -> None:
        self.text.setPlainText("" if stored is None else "Formatting…")
        if stored is None:
            self.worker.cancel()
        else:
            self.worker.submit(bodies.raw_text, stored.request)

    @Slot(object)
    def _on_done(self, outcome: object) -> None:
        text = (
            f"Could not show the raw request: {outcome}"
            if isinstance(outcome, BaseException)
            else str(outcome)
        )
        self.text.setPlainText(text)


class QueryTab(QWidget):
    """The query string's parameters (decoded, blanks kept) and the string as sent."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = make_table(self)
        self.raw = selectable(plain_label(parent=self), wrap=True)
        self.raw.setFont(fixed_font())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(plain_label("As sent:", self))
        layout.addWidget(self.raw)

    def show_query(self, query: str) -> int:
        """Show `query`; returns the number of parameters."""
        pairs = parse_qsl(query, keep_blank_values=True)
        fill_table(self.table, ("Name", "Value"), pairs)
        self.raw.setText(one_line(query, 4000) if query else "(no query string)")
        return len(pairs)


class FormTab(QWidget):
    """A tab of "label: value" rows (plain-text, selectable values) above optional content."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(8, 8, 8, 8)
        self.layout_.addLayout(self.form)
        self.values: dict[str, QLabel] = {}

    def add_row(self, name: str, *, wrap: bool = True, mono: bool = False) -> QLabel:
        value = selectable(plain_label(parent=self), wrap=wrap)
        # a long value (an unbreakable token, a long reason) is wrapped or cut: it never
        # makes the window wider than the screen
        value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        if mono:
            value.setFont(fixed_font())
        label = muted(plain_label(f"{name}:", self))
        self.form.addRow(label, value)
        self.values[name] = value
        return value

    def set_row(self, name: str, text: str) -> None:
        """Set a row's value; an empty text hides the row."""
        self.values[name].setText(text)
        self.form.setRowVisible(self.values[name], bool(text))


class SignatureTab(FormTab):
    """Scheme, result, reason, expected vs received (already masked), whether a secret was used
    (never the secret), and why a request was refused."""

    ROWS = ("Result", "Scheme", "Reason", "Expected", "Received", "Secret", "Refused")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for name in self.ROWS:
            self.add_row(name, mono=name in ("Expected", "Received"))
        self.layout_.addStretch(1)

    def show_request(self, stored: StoredRequest) -> None:
        verification = stored.derived.verification
        result = self.values["Result"]
        look = sig_look(verification.status)
        coloured(result, look.colour)
        self.set_row("Result", look.words)
        self.set_row("Scheme", verification.scheme or "none")
        self.set_row("Reason", verification.reason)
        self.set_row("Expected", verification.expected)
        self.set_row("Received", verification.received)
        self.set_row("Secret", secret_text(verification))
        coloured(self.values["Refused"], REFUSED_COLOUR)
        self.set_row("Refused", refusal_text(stored))


def secret_text(verification: Verification) -> str:
    """Whether a secret took part in the check (the secret itself is never shown)."""
    if verification.scheme == "meta-verify-token":
        missing = "no verify token" in verification.reason.lower()
        return "none (no verify token configured)" if missing else "verify token (not shown)"
    if verification.status in (SigStatus.NO_SECRET, SigStatus.UNSIGNED):
        return "none"
    return "configured for this path (not shown)"


def refusal_text(stored: StoredRequest) -> str:
    request = stored.request
    if not request.refused:
        return ""
    text = request.refused
    if request.declared_size is not None:
        text += f" (announced {bodies.format_size(request.declared_size)})"
    return text


class ResponseTab(QWidget):
    """What we answered: status, headers, body."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = selectable(plain_label(parent=self))
        font = self.status.font()
        font.setBold(True)
        self.status.setFont(font)
        self.headers = HeadersTable(self)
        self.body = BodyView(self)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.headers)
        splitter.addWidget(self.body)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

    def show_request(self, stored: StoredRequest) -> None:
        note = answer_note(stored.response_headers)  # a response rule sent no answer
        status = status_text(stored.response_status) if note is None else f"none: {note}"
        self.status.setText(f"Status: {status}")
        self.headers.set_headers(stored.response_headers if note is None else ())
        ctype = next((v for k, v in stored.response_headers if k.lower() == "content-type"), "")
        self.body.set_body(
            stored.response_body, display_text(ctype), name=f"response-{stored.id}-body"
        )


class EventTab(FormTab):
    """Provider, event type, summary, every logical event (a Meta batch has several)."""

    COLUMNS = ("#", "Type", "Summary", "Chat", "Sender", "Event id")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for name in ("Provider", "Event type", "Summary", "Duplicate"):
            self.add_row(name)
        coloured(self.values["Duplicate"], WARNING_COLOUR)
        self.table = make_table(self)
        self.layout_.addWidget(self.table, 1)

    def show_request(self, stored: StoredRequest) -> None:
        derived = stored.derived
        self.set_row("Provider", derived.provider)
        self.set_row("Event type", derived.event_type or "(none)")
        self.set_row("Summary", derived.summary or "(none)")
        duplicate = stored.duplicate_of
        self.set_row("Duplicate", f"duplicate of #{duplicate}" if duplicate is not None else "")
        rows = [
            (str(n), e.event_type, e.summary, e.chat, e.sender, e.event_id)
            for n, e in enumerate(derived.events, 1)
        ]
        fill_table(self.table, self.COLUMNS, rows)
        self.table.setVisible(bool(rows))


# --- the pane -----------------------------------------------------------------------------------


class RequestHeader(QFrame):
    """The strip above the tabs: request line, facts, summary, and warnings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = selectable(plain_label(parent=self))
        font = fixed_font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.line.setFont(font)
        self.facts = muted(selectable(plain_label(parent=self)))
        self.summary = selectable(plain_label(parent=self), wrap=True)
        self.signature = plain_label(parent=self)
        self.warning = selectable(plain_label(parent=self), wrap=True)
        coloured(self.warning, REFUSED_COLOUR)
        for label in (self.line, self.facts, self.summary, self.warning):
            # long request lines and unbreakable words are cut, never widen the window
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        top = QHBoxLayout()
        top.addWidget(self.line, 1)
        top.addWidget(self.signature)
        self.replay_button = QPushButton("Replay", self)
        self.replay_button.setToolTip("Send this request again, as captured, to the replay "
                                      "target (R)")  # fmt: skip
        self.edit_button = QPushButton("Edit and resend…", self)
        self.edit_button.setToolTip("Edit this request and send it (E)")
        top.addWidget(self.replay_button)
        top.addWidget(self.edit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.facts)
        layout.addWidget(self.warning)

    def show_request(self, stored: StoredRequest) -> None:
        request, derived = stored.request, stored.derived
        line = f"{request.method} {request.target}"
        self.line.setText(one_line(line, 300))
        self.line.setToolTip(plain_tooltip(line) if len(line) > 300 else "")
        facts = [
            f"#{stored.id}",
            long_time(request.received_at_ns) if request.received_at_ns else "",
        ]
        facts += [derived.provider, bodies.format_size(len(request.body))]
        facts += [f"from {request.remote}" if request.remote else "", f"via {request.source}"]
        self.facts.setText(" · ".join(fact for fact in facts if fact))
        self.summary.setText(one_line(derived.summary, 1000))
        self.summary.setVisible(bool(derived.summary))
        status = derived.verification.status
        coloured(self.signature, sig_look(status).colour)
        self.signature.setText(f"Signature {sig_look(status).words}")
        warnings = [f"Refused: {refusal_text(stored)}" if request.refused else ""]
        if stored.duplicate_of is not None:
            warnings.append(f"Duplicate of #{stored.duplicate_of}")
        self.warning.setText(" · ".join(w for w in warnings if w))
        self.warning.setVisible(any(warnings))


class DetailPane(QWidget):
    """Everything about one request, in tabs. The main window calls `show_request` when the
    selection changes and `compare` for two selected requests.

    Signals:
        replayRequested(int): the user asked to replay request `id` (as captured).
        editRequested(int): the user asked to edit and resend request `id`.
        replayAgain(int, str): replay request `id` as captured to a given target (Replays tab).
        requestLinked(int): the user clicked request `id` in the Lifecycle or Deliveries tab.
    """

    requestLinked = Signal(int)
    replayRequested = Signal(int)
    editRequested = Signal(int)
    replayAgain = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stored: StoredRequest | None = None
        self._dialogs: list[CompareDialog] = []
        self.stack = QStackedWidget(self)
        self.empty = plain_label("Select a request to see its details.", self.stack)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        muted(self.empty)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self._build_content())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.show_request(None)

    def _build_content(self) -> QWidget:
        content = QWidget(self.stack)
        self.header = RequestHeader(content)
        self.tabs = QTabWidget(content)
        self.tabs.setDocumentMode(True)
        self.body = BodyView(self.tabs)
        self.raw = RawTab(self.tabs)
        self.headers = HeadersTable(self.tabs)
        self.query = QueryTab(self.tabs)
        self.signature = SignatureTab(self.tabs)
        self.response = ResponseTab(self.tabs)
        self.event_tab = EventTab(self.tabs)
        pages = ((self.body, "Body"), (self.raw, "Raw"), (self.headers, "Headers"),
                 (self.query, "Query"), (self.signature, "Signature"),
                 (self.response, "Response"), (self.event_tab, "Event"))  # fmt: skip
        for page, title in pages:
            self.tabs.addTab(page, title)
        self.replays = ReplaysTab(self.tabs)
        self.tabs.addTab(self.replays, "Replays")
        self.replays.replayAgain.connect(self.replayAgain)
        self.lifecycle_tab = LifecycleTab(lambda: self.replays.store, self.tabs)
        self.deliveries_tab = DeliveriesTab(lambda: self.replays.store, self.tabs)
        for tab, title in ((self.lifecycle_tab, "Lifecycle"), (self.deliveries_tab, "Deliveries")):
            self.tabs.addTab(tab, title)
            tab.requestLinked.connect(self.requestLinked)
        self.header.replay_button.clicked.connect(lambda: self._request(self.replayRequested))
        self.header.edit_button.clicked.connect(lambda: self._request(self.editRequested))
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        return content

    def current(self) -> StoredRequest | None:
        """The request shown now."""
        return self._stored

    def show_request(self, stored: StoredRequest | None) -> None:
        """Show `stored` (None: nothing selected). Bodies are formatted off the GUI thread."""
        self._stored = stored
        self.raw.show_request(stored)
        if stored is None:
            self.body.clear()
            self.response.body.clear()
            self.stack.setCurrentIndex(0)
            return
        request = stored.request
        self.header.show_request(stored)
        self.body.set_body(
            request.body,
            display_text(request.header("content-type") or ""),
            request.header("content-encoding") or "",
            name=f"request-{stored.id}-body",
            key=("request", stored.id, request.received_at_ns, len(request.body)),
        )
        self.headers.set_headers(request.headers)
        self.signature.show_request(stored)
        self.response.show_request(stored)
        self.event_tab.show_request(stored)
        self._set_titles(stored, self.query.show_query(request.query))
        self.refresh_replays()
        self.refresh_lifecycle()
        self.stack.setCurrentIndex(1)

    def _set_titles(self, stored: StoredRequest, query_count: int) -> None:
        events = len(stored.derived.events)
        titles = {
            HEADERS: f"Headers ({len(stored.request.headers)})",
            QUERY: f"Query ({query_count})" if query_count else "Query",
            SIGNATURE: f"Signature: {stored.derived.verification.status.replace('_', ' ')}",
            RESPONSE: f"Response ({stored.response_status})"
            if stored.response_status is not None
            else "Response",
            EVENT: f"Events ({events})" if events > 1 else "Event",
        }
        for index, title in titles.items():
            self.tabs.setTabText(index, title)
        colour = sig_look(stored.derived.verification.status).colour
        self.tabs.tabBar().setTabTextColor(SIGNATURE, QColor(colour))

    def refresh_replays(self) -> None:
        """Re-read the Replays tab of the request shown (after an attempt completed)."""
        self.replays.show_request(self._stored)
        self.tabs.setTabText(REPLAYS, self.replays.title())

    def refresh_lifecycle(self) -> None:
        """Re-read the Lifecycle and Deliveries tabs (shown only when they have something)."""
        request_id = self._stored.id if self._stored is not None else None
        steps = self.lifecycle_tab.show_request(request_id)
        repeats = self.deliveries_tab.show_request(request_id)
        flagged = bool(self.lifecycle_tab.flag_sentences())
        self.tabs.setTabText(LIFECYCLE, f"Lifecycle ({steps})" + (" ⚠" if flagged else ""))
        self.tabs.setTabText(DELIVERIES, f"Deliveries ({repeats})")
        self.tabs.setTabVisible(LIFECYCLE, bool(steps))
        self.tabs.setTabVisible(DELIVERIES, bool(repeats))

    def _request(self, signal: Signal) -> None:
        if self._stored is not None:
            signal.emit(self._stored.id)  # type: ignore[attr-defined]

    def compare(self, a: StoredRequest, b: StoredRequest) -> None:
        """Open a (non-modal) dialog comparing `a` with `b`."""
        dialog = CompareDialog(a, b, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda: self._forget(dialog))
        self._dialogs.append(dialog)
        dialog.show()

    def compare_dialogs(self) -> list[CompareDialog]:
        """The compare dialogs that are open."""
        return list(self._dialogs)

    def _forget(self, dialog: CompareDialog) -> None:
        if dialog in self._dialogs:
            self._dialogs.remove(dialog)
