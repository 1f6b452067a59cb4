"""The Tunnel control of the status bar: start a tunnel (core.tunnel), show its public URL with
a copy button, stop it; the tunnel stops when the window closes."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolButton,
    QWidget,
)

from inspector.core import tunnel
from inspector.core.tunnel import ServiceTunnel, TunnelSpec, TunnelState
from inspector.gui.bridge import CoreBridge
from inspector.gui.icons import dot_icon
from inspector.gui.text import plain_label
from inspector.gui.widgets.status import GREEN, GREY, RED

log = logging.getLogger(__name__)
SSH_TARGET_KEY = "tunnel/ssh_target"
STOP_WAIT = 5.0
"""Seconds the window waits, when closing, for the tunnel program to end."""
LABELS = {"ngrok": "ngrok", "cloudflared": "cloudflared (quick tunnel)",
          "ssh": f"ssh to {tunnel.DEFAULT_SSH_TARGET}"}  # fmt: skip


class TunnelControl(QWidget):
    """Signals:
    stateChanged(object): a TunnelState, in the GUI thread.
    urlChanged(str): the public URL ("" when the tunnel is not up).
    """

    stateChanged = Signal(object)
    urlChanged = Signal(str)
    _arrived = Signal(object)  # from the core thread

    def __init__(self, bridge: CoreBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.receiver_url = ""
        self.url = ""
        self.running: ServiceTunnel | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.button = QToolButton(self)
        self.button.setText("Tunnel")
        self.button.setToolTip(
            "Give the receiver a public HTTPS URL with ngrok, cloudflared or ssh"
        )
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.menu = QMenu(self)
        self.menu.aboutToShow.connect(self._fill_menu)
        self.button.setMenu(self.menu)
        self.state_label = plain_label(parent=self)
        self.url_field = QLineEdit(self)
        self.url_field.setReadOnly(True)
        self.url_field.setMinimumWidth(300)
        self.copy_button = QToolButton(self)
        self.copy_button.setText("Copy")
        self.copy_button.setToolTip("Copy the public URL")
        self.copy_button.clicked.connect(self.copy_url)
        for widget in (self.button, self.state_label, self.url_field, self.copy_button):
            layout.addWidget(widget)
        self._arrived.connect(self._on_state)
        self._show(TunnelState("", tunnel.STOPPED))

    # actions

    def _fill_menu(self) -> None:
        self.menu.clear()
        installed = tunnel.available()
        for kind in tunnel.KINDS:
            action = QAction(f"Start {LABELS[kind]}", self.menu)
            action.setEnabled(kind in installed and self.running is None)
            if kind not in installed:
                action.setToolTip(tunnel.INSTALL_HINTS[kind])
            action.triggered.connect(lambda _=False, k=kind: self.start(k))
            self.menu.addAction(action)
        other = self.menu.addAction("Start ssh to another service…", self.ask_ssh_target)
        other.setEnabled("ssh" in installed and self.running is None)
        self.menu.addSeparator()
        stop = self.menu.addAction("Stop the tunnel", self.stop)
        stop.setEnabled(self.running is not None)
        if len(installed) < len(tunnel.KINDS):
            self.menu.addAction("How to install a tunnel program…", self.show_install_hints)

    def ask_ssh_target(self) -> None:
        """Ask for the reverse-tunnel service (USER@HOST), remember it, start ssh to it."""
        stored = QSettings()
        last = str(stored.value(SSH_TARGET_KEY, tunnel.DEFAULT_SSH_TARGET))
        target, ok = QInputDialog.getText(self, "Reverse tunnel over ssh",
                                          "Service to run ssh -R 80:localhost:PORT against "
                                          "(USER@HOST):", text=last)  # fmt: skip
        if ok and self.start("ssh", target.strip()):
            stored.setValue(SSH_TARGET_KEY, target.strip())

    def show_install_hints(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "Tunnel programs",
                          "Install one of these, then start the tunnel again:\n\n"
                          + "\n\n".join(tunnel.install_hints()), parent=self)  # fmt: skip
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.open()

    def start(self, kind: str, ssh_target: str = tunnel.DEFAULT_SSH_TARGET) -> bool:
        """Start a tunnel of `kind` for the receiver's port; False when it cannot."""
        port = urlsplit(self.receiver_url).port if self.receiver_url else None
        if self.running is not None or port is None:
            self._show(TunnelState(kind, tunnel.STOPPED, reason="the receiver is not listening"))
            return False
        try:
            spec = TunnelSpec(kind, port, ssh_target)
        except ValueError as exc:
            self._show(TunnelState(kind, tunnel.STOPPED, reason=str(exc)))
            return False
        running = ServiceTunnel(self.bridge.service, spec, self._arrived.emit)
        self.running = running

        async def start_on_core() -> None:
            running.start()

        self.bridge.run(start_on_core(), on_error=self._failed)
        return True

    def _failed(self, error: BaseException) -> None:
        self.running = None
        self._show(TunnelState("", tunnel.STOPPED, reason=str(error).splitlines()[0]))
        if isinstance(error, FileNotFoundError):
            self.show_install_hints()

    def stop(self) -> None:
        running, self.running = self.running, None
        if running is not None:
            self.bridge.run(running.stop())

    def shutdown(self) -> None:
        """Stop the tunnel now and wait for it (the window is closing)."""
        running, self.running = self.running, None
        if running is None:
            return
        running.tunnel.kill_now()
        try:
            self.bridge.thread.submit(running.stop()).result(timeout=STOP_WAIT)
        except Exception:  # closing anyway; kill_now already ended the process group
            log.exception("the tunnel did not stop cleanly")

    def copy_url(self) -> None:
        if self.url:
            QGuiApplication.clipboard().setText(self.url)

    def set_receiver(self, url: str, _error: str = "") -> None:
        self.receiver_url = url

    # states

    def _on_state(self, state: TunnelState) -> None:
        self._show(state)
        self.stateChanged.emit(state)

    def _show(self, state: TunnelState) -> None:
        url = state.url if state.state == tunnel.UP and state.url else ""
        if url != self.url:
            self.url = url
            self.urlChanged.emit(url)
        self.url_field.setText(url)
        self.url_field.setPlaceholderText("no public URL")
        self.url_field.setVisible(bool(url))
        self.copy_button.setVisible(bool(url))
        text = {tunnel.UP: "", tunnel.STOPPED: ""}.get(state.state, state.text)
        if state.state == tunnel.STOPPED and state.reason not in ("", "stopped"):
            text = f"Tunnel: {state.reason}"
        self.state_label.setText(text)
        self.state_label.setToolTip("")
        colour = {tunnel.UP: GREEN, tunnel.DIED: RED, tunnel.RESTARTING: RED}.get(state.state, GREY)
        self.button.setIcon(dot_icon(colour))
