"""Small widgets of the main window: banners and the empty state."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.gui.text import plain_label, with_emoji_fallback

BANNER_STYLES = {
    "error": "background:#fdecea; color:#8a1c1c; border:1px solid #f5c2c0;",
    "warning": "background:#fff4e5; color:#6b4100; border:1px solid #ffd8a8;",
    "info": "background:#e8f1fb; color:#0d3c61; border:1px solid #b6d4f2;",
}


class Banner(QFrame):
    """A coloured strip with a plain-text message, an optional action and a close button.

    Signals:
        actionClicked(): the action button was pressed.
    """

    actionClicked = Signal()

    def __init__(self, kind: str, action: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"banner-{kind}")
        self.setStyleSheet(f"#banner-{kind} {{ {BANNER_STYLES[kind]} border-radius:4px; }}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = plain_label(parent=self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setStyleSheet("background:transparent; border:none;")
        layout.addWidget(self.label, 1)
        self.action = QPushButton(action, self)
        self.action.setVisible(bool(action))
        self.action.clicked.connect(self.actionClicked)
        layout.addWidget(self.action)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str) -> None:
        """Show `text` (plain) and make the banner visible."""
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text()


class EmptyState(QWidget):
    """What the window shows before the first request: where to send, and how."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QWidget(self)
        box.setMinimumWidth(620)
        box.setMaximumWidth(760)
        layout = QVBoxLayout(box)
        title = plain_label("Waiting for webhooks", box)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        layout.addWidget(plain_label("Point your provider (or a test sender) at this URL:", box))
        layout.addLayout(self._url_row(box))
        layout.addSpacing(12)
        layout.addWidget(plain_label("Or send a test webhook from a terminal:", box))
        self.example = QPlainTextEdit(box)
        self.example.setReadOnly(True)
        self.example.setFont(fixed_font())
        self.example.setMaximumHeight(110)
        self.example.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.example)
        layout.addSpacing(12)
        layout.addWidget(plain_label("Or send a realistic, signed sample event "
                                     "(Meta, WAHA, WSAPI, GitHub, Stripe…):", box))  # fmt: skip
        sample_row = QHBoxLayout()
        self.sample_button = QPushButton("Send a sample event", box)
        self.sample_button.setToolTip("Sends a sample webhook to this app's own receiver")
        sample_row.addWidget(self.sample_button)
        sample_row.addStretch(1)
        layout.addLayout(sample_row)
        layout.addSpacing(12)
        drop = plain_label("You can also drop exported JSON/NDJSON, HAR or curl files on this "
                           "window (or use File > Import…) to load them.", box)  # fmt: skip
        drop.setWordWrap(True)
        drop.setStyleSheet("color:palette(placeholder-text);")
        layout.addWidget(drop)
        row = QHBoxLayout()
        row.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addLayout(row)
        outer.addStretch(2)
        self.set_url("")

    def _url_row(self, parent: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        self.url_label = plain_label(parent=parent)
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = fixed_font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.url_label.setFont(font)
        row.addWidget(self.url_label, 1)
        self.copy_button = QPushButton("Copy URL", parent)
        self.copy_button.clicked.connect(self.copy_url)
        row.addWidget(self.copy_button)
        return row

    def set_url(self, url: str) -> None:
        """Show the receiver URL (empty when not listening) and a matching curl example."""
        self._url = url
        shown = f"{url}/webhook" if url else "(not listening: see the message above)"
        self.url_label.setText(shown)
        self.copy_button.setEnabled(bool(url))
        self.sample_button.setEnabled(bool(url))
        self.example.setPlainText(curl_example(url) if url else "")

    def copy_url(self) -> None:
        if self._url:
            QGuiApplication.clipboard().setText(f"{self._url}/webhook")


def curl_example(url: str) -> str:
    """A curl command that posts a small JSON test event to `url`."""
    return (
        f"curl -X POST {url}/webhook \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        """  --data-binary '{"event":"test","message":"hello from curl"}'"""
    )


def fixed_font() -> QFont:
    """The system's fixed-width font (with an emoji fallback)."""
    return with_emoji_fallback(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
