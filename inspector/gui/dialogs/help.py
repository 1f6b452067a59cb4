"""Help > Keyboard shortcuts and Help > Filter language: plain text shown in the app.

The tables are the README's ("The desktop app" and "The filter language"); a test fails when
the two drift apart.
"""

from __future__ import annotations

import textwrap

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget

from inspector.core.providers import PROVIDERS
from inspector.gui.widgets.common import fixed_font

SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("`j` / `k`, arrows", "move in the table"),
    ("Enter", "focus the detail pane"),
    ("`r`", "replay the selected request(s) as captured to the target in the toolbar"),
    ("`e`", "edit and resend (headers, body, re-sign or a deliberately wrong signature)"),
    ("Ctrl+F", "filter"),
    ("End", "follow the newest request again (selecting another row stops following)"),
    ("Del", "delete the selected requests (Undo for 10 seconds: the bar's button or Ctrl+Z)"),
    ("Ctrl+Shift+Del", "clear all (asks first)"),
    (
        "Ctrl+C",
        "copy the request as a curl command (also from the filter box with no text selected)",
    ),
    ("Ctrl+E", "export selected, filtered or all requests"),
    ("Ctrl+,", "settings (receiver, responses, secrets, verify token, data, retention)"),
    (
        "right click",
        "the row menu: replay, edit and resend, copy as curl, copy body, export, compare, delete",
    ),
)
"""(key, what it does), as in the README's key table."""

FILTER_INTRO = (
    "Terms are ANDed; `or`, `not` (or a leading `-`) and parentheses combine them; bare words"
    ' and "quoted phrases" search path, headers and body (full-text, `word*` for a prefix).'
)
FILTER_TERMS: tuple[tuple[str, str], ...] = (
    ("`method:POST`", "the HTTP method"),
    ("`path:/webhook*`", "path glob (`*`, `?`); without a wildcard a prefix"),
    (
        "`provider:meta`",
        f"detected provider ({', '.join(PROVIDERS)})",
    ),
    (
        "`event:message.ack`",
        "any logical event of that type, or under it (`event:statuses` matches statuses.read)",
    ),
    ("`sig:invalid`", "valid, invalid, missing, no_secret, expired, malformed, unsigned"),
    ("`status>=400`, `status:4xx`", "our answer's status"),
    ("`size>10k`", "body size (`k`, `m`, `g`)"),
    ("`from:16505551234`, `chat:123@g.us`", "sender or chat (phone digits or JID)"),
    (
        "`after:2026-11-01`, `before:2h`",
        "received time (UTC dates, or relative: `10m`, `2h`, `3d`)",
    ),
    ("`has:header:x-hub-signature-256`, `has:body`, `is:duplicate`, `is:refused`", "presence"),
    ('`source:http`, `source:tunnel`, `id>100`, `summary:"text from"`', "source, id, summary text"),
    ("`msg:wamid.HBgL…`", "every request about one message (its lifecycle steps; `*` globs)"),
    (
        "`state:read`",
        "requests with a lifecycle step in that state (received, pending, sent, delivered,"
        " read, played, failed, deleted)",
    ),
    (
        "`is:out-of-order`, `is:downgrade`",
        "a status that arrived after a later one / a status lower than one the provider"
        " reported before it",
    ),
    (
        "`is:no-sent`, `is:failed`",
        'requests about an outgoing message with no "sent" step stored / a message that failed',
    ),
    (
        "`is:retry`, `is:redelivery`, `is:same-content`",
        "repeated deliveries (see [Deliveries](#message-lifecycles-and-deliveries))",
    ),
)
"""(term, what it matches), as in the README's filter table."""

TOPICS = {"shortcuts": "Keyboard shortcuts", "filter": "Filter language"}


WIDTH = 96
"""Characters a line of help holds (the dialog is sized for it)."""


def help_text(topic: str) -> str:
    """The plain text of a help topic ("shortcuts" or "filter")."""
    if topic == "shortcuts":
        return _columns(SHORTCUTS)
    intro = textwrap.fill(_plain(FILTER_INTRO), WIDTH)
    return f"{intro}\n\n{_columns(FILTER_TERMS)}"


def _plain(text: str) -> str:
    return text.replace("`", "")


def _columns(rows: tuple[tuple[str, str], ...]) -> str:
    """Two columns, the second wrapped; a left cell too long for a column gets its own line
    with the text indented below it."""
    width = min(max(len(_plain(left)) for left, _ in rows), 24)
    lines: list[str] = []
    for left, right in rows:
        left = _plain(left)
        if len(left) > width:
            lines.append(left)
            left = ""
        wrapped = textwrap.wrap(_plain(right), WIDTH - width - 2) or [""]
        lines.append(f"{left:<{width}}  {wrapped[0]}")
        lines += [f"{'':<{width}}  {more}" for more in wrapped[1:]]
    return "\n".join(lines)


def show_help(parent: QWidget, topic: str) -> QDialog:
    """Open (non-modal) a window with the plain text of `topic`."""
    dialog = QDialog(parent)
    dialog.setObjectName(f"help-{topic}")
    dialog.setWindowTitle(TOPICS[topic])
    layout = QVBoxLayout(dialog)
    view = QPlainTextEdit(dialog)
    view.setReadOnly(True)
    view.setFont(fixed_font())
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    view.setPlainText(help_text(topic))
    layout.addWidget(view)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.close)
    layout.addWidget(buttons)
    dialog.resize(view.fontMetrics().horizontalAdvance("x") * (WIDTH + 6), 520)
    dialog.show()
    return dialog
