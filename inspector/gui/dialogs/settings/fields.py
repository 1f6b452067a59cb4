"""What the Settings dialog's tabs share: field widgets, labels, styles, the Invalid error."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.gui.text import plain_label

UNITS = (("bytes", 1), ("KB", 1024), ("MB", 1024**2), ("GB", 1024**3))
ERROR_STYLE = "color:#c62828;"
WARNING_STYLE = "background:#fff4e5; color:#6b4100; border:1px solid #ffd8a8; border-radius:4px;"
HINT_STYLE = "color:palette(placeholder-text);"
INVALID_FIELD = "border:1px solid #d32f2f;"


class Invalid(ValueError):
    """Input that cannot be used: the message and the widget (and error label) it is about."""

    def __init__(self, message: str, field: QWidget, label: QLabel, tab: int) -> None:
        super().__init__(message)
        self.message, self.field, self.label, self.tab = message, field, label, tab


def hint_label(text: str, parent: QWidget | None = None) -> QLabel:
    """Grey, wrapped explanatory text (plain)."""
    label = plain_label(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet(HINT_STYLE)
    return label


def error_label(parent: QWidget | None = None) -> QLabel:
    """A hidden red plain-text label that shows why the field above it was refused."""
    label = plain_label(parent=parent)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.hide()
    return label


class NoteBox(QFrame):
    """A tinted box with wrapped plain text (a warning next to a field)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("note")
        self.setStyleSheet(f"#note {{ {WARNING_STYLE} }}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.label = plain_label(parent=self)
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color:#6b4100; background:transparent;")
        layout.addWidget(self.label)

    def text(self) -> str:
        return self.label.text()

    def setText(self, text: str) -> None:
        self.label.setText(text)


class SecretEdit(QWidget):
    """A masked line edit with a Show/Hide toggle.

    Signals:
        textChanged(str): the text changed.
    """

    textChanged = Signal(str)

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.edit = QLineEdit(text, self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.textChanged.connect(self.textChanged)
        layout.addWidget(self.edit, 1)
        self.toggle = QToolButton(self)
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip("Show or hide the secret")
        self.toggle.toggled.connect(self._toggled)
        layout.addWidget(self.toggle)
        self.setFocusProxy(self.edit)

    def _toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.edit.setEchoMode(mode)
        self.toggle.setText("Hide" if shown else "Show")

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def setPlaceholderText(self, text: str) -> None:
        self.edit.setPlaceholderText(text)

    def setStyleSheet(self, style: str) -> None:  # the border belongs on the line edit
        self.edit.setStyleSheet(style)


class SizeEdit(QWidget):
    """A size as a number and a unit (bytes, KB, MB, GB; powers of 1024)."""

    def __init__(self, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.number = QSpinBox(self)
        self.number.setRange(1, 2**31 - 1)
        self.number.setGroupSeparatorShown(True)
        self.unit = QComboBox(self)
        for name, scale in UNITS:
            self.unit.addItem(name, scale)
        self.number.setMinimumWidth(120)
        layout.addWidget(self.number)
        layout.addWidget(self.unit)
        layout.addStretch(1)
        self.setFocusProxy(self.number)
        self.set_size(size)

    def set_size(self, size: int) -> None:
        """Show `size` in the largest unit that divides it exactly."""
        for index in range(len(UNITS) - 1, -1, -1):
            scale = UNITS[index][1]
            if size >= scale and size % scale == 0:
                self.unit.setCurrentIndex(index)
                self.number.setValue(size // scale)
                return
        self.unit.setCurrentIndex(0)
        self.number.setValue(max(size, 1))

    def size_bytes(self) -> int:
        return int(self.number.value()) * int(self.unit.currentData())

    def setStyleSheet(self, style: str) -> None:
        self.number.setStyleSheet(style)
