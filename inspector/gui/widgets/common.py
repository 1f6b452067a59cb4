"""Small widgets of the main window: banners and the empty state."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.gui.text import plain_label
from inspector.gui.theme import banner_colours

HINT_STYLE = "color:palette(placeholder-text);"


class Banner(QFrame):
    """A coloured strip with a plain-text message, an optional action and a close button.

    Signals:
        actionClicked(): the action button was pressed.
    """

    actionClicked = Signal()

    def __init__(self, kind: str, action: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName(f"banner-{kind}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = plain_label(parent=self)
        self.label.setObjectName("banner-text")
        self.label.setWordWrap(True)  # an unbreakable word is cut, never widens the window
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._restyle()
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

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()  # the theme changed
        super().changeEvent(event)

    def _restyle(self) -> None:
        """Colours from the current palette (text contrast >= 4.5 in light and dark)."""
        background, text, border = (c.name() for c in banner_colours(self.kind))
        sheet = (f"#banner-{self.kind} {{ background:{background}; border:1px solid {border};"
                 f" border-radius:4px; }} #banner-text {{ color:{text}; background:transparent;"
                 " border:none; }")  # fmt: skip
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)

    def colours(self) -> tuple[str, str]:
        """The background and text colours in use (names like #rrggbb)."""
        background, text, _ = banner_colours(self.kind)
        return background.name(), text.name()

    def show_message(self, text: str) -> None:
        """Show `text` (plain) and make the banner visible."""
        self._restyle()
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text()


class EmptyState(QWidget):
    """What the window shows before the first request: where to send, and how.

    Signals:
        copied(str): this text was put on the clipboard.
    """

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QWidget(self)
        box.setMinimumWidth(520)
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
        self.connect_button = QPushButton("Connect a provider…", box)
        sample_row.addWidget(self.connect_button)
        sample_row.addStretch(1)
        layout.addLayout(sample_row)
        layout.addSpacing(12)
        drop = plain_label("You can also drop exported JSON/NDJSON, HAR or curl files on this "
                           "window (or use File > Import…) to load them.", box)  # fmt: skip
        drop.setWordWrap(True)
        drop.setStyleSheet(HINT_STYLE)
        self.drop_hint = drop
        layout.addWidget(drop)
        row = QHBoxLayout()
        row.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addLayout(row)
        outer.addStretch(2)
        self.set_url("")

    def changeEvent(self, event: QEvent) -> None:
        # style sheets resolve palette() once: re-apply the hint's when the theme changes
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.drop_hint.setStyleSheet(HINT_STYLE)
        super().changeEvent(event)

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
            self.copied.emit(f"{self._url}/webhook")


def curl_example(url: str) -> str:
    """A curl command that posts a small JSON test event to `url`."""
    return (
        f"curl -X POST {url}/webhook \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        """  --data-binary '{"event":"test","message":"hello from curl"}'"""
    )


def fixed_font() -> QFont:
    """The system's fixed-width font."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
