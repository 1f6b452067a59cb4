"""Untrusted text shown safely, and small display formatters.

ARCHITECTURE.md, "Untrusted text is plain text":

Every string that can come from a request (path, headers, summary, body) reaches a widget through
these helpers: labels get ``Qt.PlainText``; tooltips are escaped, because Qt renders any tooltip
that *looks* like HTML as rich text.
"""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtGui import Qt  # QtGui's Qt namespace has mightBeRichText
from PySide6.QtWidgets import QLabel, QWidget

from inspector.core.bodies import format_size

TOOLTIP_MAX = 2000
"""Longest tooltip text, in characters (a tooltip is not a viewer)."""


def one_line(text: str, limit: int = 500) -> str:
    """Collapse whitespace (newlines included) to single spaces and cut at `limit`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def plain_tooltip(text: str) -> str:
    """A tooltip string that Qt shows exactly as `text`, never interpreting markup.

    Text that Qt would not take for rich text is returned unchanged; anything else is escaped
    and wrapped so that Qt renders the escaped entities, which show the original characters.
    """
    if len(text) > TOOLTIP_MAX:
        text = text[: TOOLTIP_MAX - 1] + "…"
    if not text or not Qt.mightBeRichText(text):
        return text
    body = html.escape(text, quote=False)
    return f'<p style="white-space:pre-wrap">{body}</p>'


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel that never interprets its text as HTML."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def human_size(size: int) -> str:
    """1536 -> '1.5 KiB': the one size style of the app (the table, the detail pane, the body
    view all read the same; see `bodies.format_size`)."""
    return format_size(size)


def short_time(ns: int, now: datetime | None = None) -> str:
    """'14:03:07' today, '2024-05-01 14:03' on other days (local time).

    Formatted by hand: `strftime` imports the time module on every call, through PySide's
    import hook (10 µs a cell, every cell of the Time column the table paints)."""
    when = datetime.fromtimestamp(ns / 1e9)
    today = (now or datetime.now()).date()
    if when.date() == today:
        return f"{when.hour:02}:{when.minute:02}:{when.second:02}"
    return f"{when.year:04}-{when.month:02}-{when.day:02} {when.hour:02}:{when.minute:02}"


def long_time(ns: int) -> str:
    """Full local timestamp with milliseconds, for tooltips."""
    when = datetime.fromtimestamp(ns / 1e9).astimezone()
    return when.isoformat(sep=" ", timespec="milliseconds")

