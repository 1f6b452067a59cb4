"""Help > Connect a provider: what to paste where (core.setup), then wait for the first event.

Pick a provider; the page shows its steps filled in with the URL to use (the tunnel's public
URL, a relay's, this computer's, or one a Docker container can reach), the secret and, for
Meta, a verify token. "Use these settings" makes the secret the secret rule for the
provider's path (and the token the receiver's verify token); the Docker switch makes the
receiver also listen on the Docker bridge address, and on that one address only. The dialog
then waits for the first request for that provider and says what arrived and whether its
signature is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from inspector.core import docker, setup
from inspector.core.config import Settings
from inspector.core.models import StoredRequest
from inspector.gui.bridge import CoreBridge
from inspector.gui.text import plain_label
from inspector.gui.widgets.common import fixed_font

DOCKER = "docker"
MAX_LINES = 18
"""Taller step texts scroll."""


class ConnectDialog(QDialog):
    def __init__(
        self, bridge: CoreBridge, receiver_url: str, public_url: str,
        apply: Callable[[Settings], None], parent: QWidget | None = None,
        bridge_address: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Connect a provider")
        self.bridge = bridge
        self.receiver_url = receiver_url
        self.public_url = public_url
        self._apply = apply
        self.bridge_address = bridge_address
        self.since_id = bridge.store.last_id() if bridge.store is not None else 0
        self.arrived: StoredRequest | None = None
        self.step_fields: list[tuple[str, QPlainTextEdit]] = []
        self._build()
        bridge.stored.connect(self.on_stored)
        self.providers.setCurrentRow(0)
        self.resize(980, 640)

    # building

    def _build(self) -> None:
        layout = QHBoxLayout(self)
        self.providers = QListWidget(self)
        self.providers.addItems([t.label for t in setup.TARGETS])
        self.providers.setMaximumWidth(260)
        self.providers.currentRowChanged.connect(self._provider_changed)
        layout.addWidget(self.providers)
        right = QVBoxLayout()
        layout.addLayout(right, 1)
        right.addLayout(self._build_form())
        self.steps_area = QScrollArea(self)
        self.steps_area.setWidgetResizable(True)
        right.addWidget(self.steps_area, 1)
        self.status = plain_label(parent=self)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        right.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.apply_button = buttons.addButton("Use these settings",
                                              QDialogButtonBox.ButtonRole.ApplyRole)  # fmt: skip
        self.apply_button.setToolTip("Set the secret (and Meta's verify token) for this path "
                                     "on the receiver")  # fmt: skip
        self.apply_button.clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)
        right.addWidget(buttons)

    def _build_form(self) -> QFormLayout:
        form = QFormLayout()
        self.url_choice = QComboBox(self)
        self._fill_url_choices()
        self.url_choice.currentIndexChanged.connect(self.refresh)
        form.addRow("Send to", self.url_choice)
        self.secret = QLineEdit(self)
        self.secret.setPlaceholderText("the secret you set at the provider")
        self.secret.textChanged.connect(self.refresh)
        generate = self.generate = QPushButton("Generate", self)
        generate.clicked.connect(lambda: self.secret.setText(setup.new_token()))
        self.secret_row = _row_widget(self.secret, generate)
        self.secret_label = plain_label("Secret", self)
        form.addRow(self.secret_label, self.secret_row)
        self.token = QLineEdit(setup.new_token(), self)
        self.token.textChanged.connect(self.refresh)
        self.token_label = plain_label("Verify token", self)
        form.addRow(self.token_label, self.token)
        shown = self.bridge_address or "no docker0 interface found"
        self.docker_switch = QCheckBox(f"Also listen on the Docker bridge ({shown})", self)
        self.docker_switch.setEnabled(self.bridge_address is not None)
        self.docker_switch.setChecked(
            self.bridge_address is not None
            and self.bridge_address in self.bridge.service.settings.also_listen
        )  # fmt: skip
        self.docker_switch.toggled.connect(self.refresh)
        form.addRow("", self.docker_switch)
        return form

    def set_public_url(self, url: str) -> None:
        """The tunnel came up (or went away): offer its URL, first when it is new."""
        if url == self.public_url:
            return
        previous = self.url_choice.currentData()
        self.public_url = url
        self.url_choice.blockSignals(True)
        self._fill_url_choices()
        index = 0 if url else max(0, self.url_choice.findData(previous))
        self.url_choice.setCurrentIndex(index)
        self.url_choice.blockSignals(False)
        self.refresh()

    def _fill_url_choices(self) -> None:
        self.url_choice.clear()
        for label, url in self._url_choices():
            self.url_choice.addItem(label, url)

    def _url_choices(self) -> list[tuple[str, str]]:
        choices = []
        if self.public_url:
            choices.append((f"Public URL of the tunnel ({self.public_url})", self.public_url))
        for host in self.bridge.service.settings.public_hosts:
            choices.append((f"Relay (https://{host})", f"https://{host}"))
        if self.receiver_url:
            choices.append((f"This computer ({self.receiver_url})", self.receiver_url))
            choices.append(("A Docker container on this computer", DOCKER))
        return choices or [("Not listening: no URL yet", "http://127.0.0.1:8080")]

    # state

    @property
    def key(self) -> str:
        return setup.TARGETS[max(0, self.providers.currentRow())].key

    def select(self, key: str) -> None:
        self.providers.setCurrentRow([t.key for t in setup.TARGETS].index(key))

    def _provider_changed(self, _row: int) -> None:
        found = setup.target(self.key)
        self.secret_row.setVisible(found.scheme is not None)
        self.secret_label.setVisible(found.scheme is not None)
        self.secret_label.setText(found.secret_label)
        self.generate.setVisible(found.chosen_here)
        self.secret.setPlaceholderText(
            "make one up, or Generate"
            if found.chosen_here
            else f"the {found.secret_label.lower()} the provider shows"
        )
        self.token.setVisible(found.key == "meta")
        self.token_label.setVisible(found.key == "meta")
        self.docker_switch.setVisible(found.docker or self.url_choice.currentData() == DOCKER)
        self.arrived = None
        self.status.setText(setup.waiting_text(self.key))
        self.refresh()

    def base_url(self) -> str:
        chosen = str(self.url_choice.currentData())
        if chosen == DOCKER:
            return f"http://{docker.HOST_NAME}:{self._port()}"
        return chosen

    def _port(self) -> int:
        return urlsplit(self.receiver_url).port or self.bridge.service.settings.port

    def steps(self) -> list[setup.Step]:
        found = setup.steps(self.key, self.base_url(), self.secret.text(), self.token.text())
        if self.url_choice.currentData() == DOCKER:
            found += setup.docker_steps(self.key, self._port(), self.bridge_address)
            decision = self.bind_decision()
            if decision.message:
                found.append(setup.Step(decision.message, "", copy=False))
        return found

    def bind_decision(self) -> docker.BindDecision:
        host = self.bridge.service.settings.host
        return docker.bind_decision(host, self.docker_switch.isChecked(), self.bridge_address)

    def refresh(self) -> None:
        self.docker_switch.setVisible(
            setup.target(self.key).docker or self.url_choice.currentData() == DOCKER
        )
        page = QWidget()
        layout = QVBoxLayout(page)
        self.step_fields = []
        for step in self.steps():
            layout.addWidget(_title(step.title, page))
            if step.text and step.copy:
                layout.addLayout(self._step_text(step.title, step.text, page))
            elif step.text:
                note = plain_label(step.text, page)
                note.setWordWrap(True)
                layout.addWidget(note)
        layout.addStretch(1)
        self.steps_area.setWidget(page)

    def _step_text(self, title: str, text: str, parent: QWidget) -> QHBoxLayout:
        field = QPlainTextEdit(text, parent)
        field.setReadOnly(True)
        field.setFont(fixed_font())
        field.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        lines = min(text.count("\n") + 1, MAX_LINES)
        margins = 2 * (field.document().documentMargin() + field.frameWidth()) + 6
        field.setFixedHeight(int(field.fontMetrics().lineSpacing() * lines + margins))
        copy = QPushButton("Copy", parent)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(text))
        self.step_fields.append((title, field))
        row = QHBoxLayout()
        row.addWidget(field, 1)
        row.addWidget(copy, 0, Qt.AlignmentFlag.AlignTop)
        return row

    # actions

    def settings_for(self, current: Settings) -> Settings:
        """`current` with what this page sets: secret rule, verify token, Docker bridge."""
        new = setup.apply(current, self.key, self.secret.text().strip(), self.token.text().strip())
        if not self.docker_switch.isEnabled():
            return new
        others = tuple(a for a in new.also_listen if a != self.bridge_address)
        return replace(new, also_listen=others + self.bind_decision().addresses)

    def apply(self) -> None:
        self._apply(self.settings_for(self.bridge.service.settings))
        self.since_id = self.bridge.store.last_id() if self.bridge.store is not None else 0
        self.status.setText(setup.waiting_text(self.key))

    def on_stored(self, ids: list[int]) -> None:
        store = self.bridge.store
        if store is None or self.arrived is not None:
            return
        found = setup.target(self.key)
        path = setup.webhook_path(self.key)
        for stored in store.get_many(sorted(i for i in ids if i > self.since_id)):
            if stored.request.path.startswith(path) or stored.derived.provider == found.provider:
                self.arrived = stored
                self.status.setText(setup.arrival_text(stored))
                return


def _title(text: str, parent: QWidget) -> QWidget:
    label = plain_label(text, parent)
    label.setWordWrap(True)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def _row_widget(main: QWidget, side: QWidget) -> QWidget:
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(main, 1)
    row.addWidget(side)
    return holder
