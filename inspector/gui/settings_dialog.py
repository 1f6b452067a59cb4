"""Receiver settings: the address and port to listen on."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from inspector.core.config import Settings
from inspector.gui.text import plain_label


class ReceiverDialog(QDialog):
    """Edit host and port; `settings()` gives the edited copy."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Receiver settings")
        self._settings = settings
        form = QFormLayout(self)
        self.host = QLineEdit(settings.host, self)
        self.port = QSpinBox(self)
        self.port.setRange(0, 65535)
        self.port.setValue(settings.port)
        self.port.setSpecialValueText("0 (pick a free port)")
        form.addRow("Listen on address:", self.host)
        form.addRow("Port:", self.port)
        hint = plain_label("127.0.0.1 accepts requests from this computer only. "
                           "Use 0.0.0.0 to accept them from your network.", self)  # fmt: skip
        hint.setWordWrap(True)
        form.addRow(hint)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def settings(self) -> Settings:
        host = self.host.text().strip() or self._settings.host
        return replace(self._settings, host=host, port=self.port.value())
