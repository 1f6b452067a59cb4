"""The Settings dialog's Receiver tab: where to listen, the body size limit."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from inspector.core.config import is_local_host
from inspector.gui.dialogs.settings.fields import (
    Invalid,
    NoteBox,
    SizeEdit,
    error_label,
    hint_label,
)

MAX_BODY_LIMIT = 2 * 1024**3
"""Largest body limit the dialog accepts (bodies are held in memory while stored)."""
_HOST = re.compile(r"[A-Za-z0-9._:\-\[\]%]+")


class ReceiverTab:
    """The Receiver tab's part of SettingsDialog (a mixin: its widgets are the dialog's
    attributes, as the tests and the other tabs expect)."""

    def _receiver_tab(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        settings = self._settings
        where = QGroupBox("Where to listen", page)
        form = QFormLayout(where)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.host = QLineEdit(settings.host, where)
        self.host.setPlaceholderText("127.0.0.1")
        self.host_error = error_label(where)
        self.host_warning = NoteBox(where)
        self.host.textChanged.connect(self._update_host_warning)
        form.addRow("Address:", self.host)
        form.addRow("", self.host_error)
        form.addRow(self.host_warning)
        self.port = QSpinBox(where)
        self.port.setRange(0, 65535)
        self.port.setValue(settings.port)
        self.port.setSpecialValueText("0 (pick a free port)")
        self.port.setMinimumWidth(170)
        self.port.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        form.addRow("Port:", self.port)
        form.addRow(
            hint_label(
                "127.0.0.1 accepts requests from this computer only; 0.0.0.0 from your network "
                "too. A changed address or port takes effect when you press OK.",
                where,
            )
        )
        layout.addWidget(where)
        limits = QGroupBox("Limits", page)
        limits_form = QFormLayout(limits)
        self.max_body = SizeEdit(settings.max_body, limits)
        self.max_body_error = error_label(limits)
        limits_form.addRow("Largest body:", self.max_body)
        limits_form.addRow("", self.max_body_error)
        limits_form.addRow(
            hint_label(
                "A larger body is answered 413 Payload Too Large (checked before it is read) "
                "and leaves a small record saying it was refused: nothing is dropped silently.",
                limits,
            )
        )
        layout.addWidget(limits)
        layout.addStretch(1)
        self._update_host_warning()
        return page

    def _update_host_warning(self) -> None:
        host = self.host.text().strip()
        local = not host or is_local_host(host)
        self.host_warning.setText(
            "" if local else
            f"Listening on {host} accepts requests from every computer that can reach this "
            "one: anyone on your network can send webhooks that are stored and shown here. "
            "Use 127.0.0.1 unless you mean it."
        )  # fmt: skip
        self.host_warning.setVisible(not local)

    def _host(self) -> str:
        host = self.host.text().strip()
        if not host:
            raise Invalid("Enter an address, e.g. 127.0.0.1", self.host, self.host_error,
                          self.RECEIVER)  # fmt: skip
        if not _HOST.fullmatch(host):
            raise Invalid(f"{host!r} is not an address or host name (e.g. 127.0.0.1, 0.0.0.0)",
                          self.host, self.host_error, self.RECEIVER)  # fmt: skip
        return host

    def _max_body(self) -> int:
        size = self.max_body.size_bytes()
        if size > MAX_BODY_LIMIT:
            raise Invalid("The limit can be at most 2 GB.", self.max_body, self.max_body_error,
                          self.RECEIVER)  # fmt: skip
        return size
