"""Compare two requests: a JSON-aware body diff (keys sorted) and a header diff.

The diff is computed off the GUI thread (`bodies.compare_requests`); lines are shown as plain
text with coloured line backgrounds (removed red, added green) set through text formats, never
through HTML built from request data (ARCHITECTURE.md, "Untrusted text is plain text").
"""

from __future__ import annotations

import functools

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor, QPalette, QTextBlockFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from inspector.core import bodies
from inspector.core.bodies import Comparison, Diff
from inspector.core.models import StoredRequest
from inspector.gui.text import long_time, one_line, plain_label, plain_tooltip
from inspector.gui.widgets.body_view import Worker
from inspector.gui.widgets.common import fixed_font

DIFF_LINES_MAX = 50_000
"""Longest diff shown (lines); the summary still counts every difference."""
BACKGROUNDS = {
    # (light, dark)
    "-": ("#fbe3e3", "#4a2326"),
    "+": ("#e2f4e4", "#1f3f27"),
}
MARKS = {"-": "−", "+": "+"}
PREFIX = {" ": "  ", "-": "- ", "+": "+ "}


def request_title(stored: StoredRequest) -> str:
    """'#12  POST /webhook · 2024-05-01 14:03:07.123 · meta message.text'."""
    request, derived = stored.request, stored.derived
    facts = [f"#{stored.id}  {request.method} {one_line(request.target, 200)}"]
    if request.received_at_ns:
        facts.append(long_time(request.received_at_ns))
    facts.append(" ".join(part for part in (derived.provider, derived.event_type) if part))
    return " · ".join(facts)


class DiffView(QPlainTextEdit):
    """A read-only, full-context diff: '- ' and '+ ' lines on coloured backgrounds."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setFont(fixed_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._diff: Diff | None = None

    def set_diff(self, diff: Diff) -> None:
        self._diff = diff
        lines = diff.lines[:DIFF_LINES_MAX]
        text = "\n".join(PREFIX[tag] + line for tag, line in lines)
        if len(diff.lines) > DIFF_LINES_MAX:
            text += f"\n… {len(diff.lines) - DIFF_LINES_MAX} more lines not shown"
        elif lines and lines[-1][0] != " ":
            text += "\n"  # an uncoloured last line, or its colour fills the rest of the view
        self.setPlainText(text)
        self._colour(lines)
        self._scroll_to_first_change(lines)

    def _scroll_to_first_change(self, lines: tuple[tuple[str, str], ...]) -> None:
        first = next((n for n, (tag, _) in enumerate(lines) if tag != " "), None)
        if first is None:
            return
        block = self.document().findBlockByNumber(max(first - 3, 0))
        self.setTextCursor(QTextCursor(block))
        self.verticalScrollBar().setValue(max(first - 3, 0))

    def _colour(self, lines: tuple[tuple[str, str], ...]) -> None:
        dark = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
        formats = {}
        for tag, colours in BACKGROUNDS.items():
            block_format = QTextBlockFormat()
            block_format.setBackground(QColor(colours[1] if dark else colours[0]))
            formats[tag] = block_format
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        block = self.document().firstBlock()
        for tag, _ in lines:
            if tag in formats:
                cursor.setPosition(block.position())
                cursor.setBlockFormat(formats[tag])
            block = block.next()
        cursor.endEditBlock()

    def changed_blocks(self) -> dict[str, int]:
        """How many lines carry each mark (for tests and the summary)."""
        lines = self._diff.lines if self._diff is not None else ()
        return {tag: sum(1 for t, _ in lines if t == tag) for tag in ("-", "+")}


class CompareDialog(QDialog):
    """Two requests compared: headers and body, optionally ignoring volatile keys."""

    def __init__(
        self, first: StoredRequest, second: StoredRequest, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.first, self.second = first, second
        self.comparison: Comparison | None = None
        self.setWindowTitle(f"Compare #{first.id} and #{second.id}")
        self.setModal(False)
        self.resize(980, 720)
        self.worker = Worker(self)
        self.worker.finished.connect(self._on_compared)
        layout = QVBoxLayout(self)
        layout.addWidget(self._side("-", first))
        layout.addWidget(self._side("+", second))
        layout.addLayout(self._options())
        layout.addWidget(self._panes(), 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.refresh()

    def _side(self, tag: str, stored: StoredRequest) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        mark = plain_label(f" {MARKS[tag]} ", row)
        light, _ = BACKGROUNDS[tag]
        mark.setStyleSheet(f"background:{light}; color:#222; font-weight:700; border-radius:3px;")
        mark.setFont(fixed_font())
        title = plain_label(request_title(stored), row)
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(mark)
        layout.addWidget(title, 1)
        return row

    def _options(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.ignore_volatile = QCheckBox("Ignore volatile keys", self)
        keys = ", ".join(sorted(bodies.VOLATILE_KEYS))
        self.ignore_volatile.setToolTip(
            plain_tooltip(f"Blank these before comparing: {keys}; wamid.* ids; headers such as "
                          "Date and request ids.")
        )  # fmt: skip
        self.ignore_volatile.toggled.connect(self.refresh)
        self.summary = plain_label("Comparing…", self)
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)
        row.addWidget(self.ignore_volatile)
        row.addStretch(1)
        row.addWidget(self.summary)
        return row

    def _panes(self) -> QSplitter:
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.headers_title = plain_label("Headers", splitter)
        self.headers_view = DiffView(splitter)
        self.body_title = plain_label("Body", splitter)
        self.body_view = DiffView(splitter)
        for title, view in ((self.headers_title, self.headers_view),
                            (self.body_title, self.body_view)):  # fmt: skip
            box = QWidget(splitter)
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 4, 0, 0)
            box_layout.addWidget(title)
            box_layout.addWidget(view, 1)
            splitter.addWidget(box)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        return splitter

    @property
    def busy(self) -> bool:
        return self.worker.busy

    @Slot()
    def refresh(self) -> None:
        """Compare again (off the GUI thread), with the current options."""
        self.summary.setText("Comparing…")
        compare = functools.partial(
            bodies.compare_requests, ignore_volatile=self.ignore_volatile.isChecked()
        )
        self.worker.submit(compare, self.first.request, self.second.request)

    @Slot(object)
    def _on_compared(self, outcome: object) -> None:
        if isinstance(outcome, BaseException):
            self.summary.setText(f"Could not compare: {outcome}")
            return
        assert isinstance(outcome, Comparison)
        self.comparison = outcome
        self.headers_view.set_diff(outcome.headers)
        self.body_view.set_diff(outcome.body)
        self.headers_title.setText(f"Headers: {outcome.headers.summary.lower()}")
        body_notes = " ".join(outcome.notes)
        self.body_title.setText(
            f"Body ({outcome.body_mode}): {outcome.body.summary.lower()}"
            + (f". {body_notes}" if body_notes else "")
        )
        self.summary.setText(outcome.body.summary)
