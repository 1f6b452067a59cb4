"""From the provider to the desktop: the Tunnel control, Help > Connect a provider and the
tray notifications, attached to the main window in one call (`attach`)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow, QMenu

from inspector.core import docker
from inspector.gui.dialogs.connect_dialog import ConnectDialog
from inspector.gui.widgets.tray import TrayNotifier
from inspector.gui.widgets.tunnel_bar import TunnelControl


class Desktop(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        bridge = window.bridge  # type: ignore[attr-defined]
        self.dialog: ConnectDialog | None = None
        self.tunnel = TunnelControl(bridge, window.statusBar())
        window.statusBar().addPermanentWidget(self.tunnel)
        self.tunnel.set_receiver(window.receiver_url)  # type: ignore[attr-defined]
        bridge.receiverChanged.connect(self.tunnel.set_receiver)
        self.tray = TrayNotifier(bridge, self)
        self.tunnel.stateChanged.connect(self.tray.on_tunnel)
        self.tray.notified.connect(self._show_in_status_bar)
        self.connect_action = _menu(window, "&Help").addAction(
            "Connect a provider…", self.open_connect
        )
        _menu(window, "&View").addMenu(self.tray.menu)
        empty = getattr(window, "empty", None)
        if empty is not None and hasattr(empty, "connect_button"):
            empty.connect_button.clicked.connect(lambda: self.open_connect())
        window.closed.connect(self.shutdown)  # type: ignore[attr-defined]

    def open_connect(self, key: str | None = None) -> ConnectDialog:
        """Open (or raise) the Connect a provider assistant, at `key` when given."""
        if self.dialog is None:
            window = self.window
            self.dialog = ConnectDialog(
                window.bridge, window.receiver_url, self.tunnel.url,  # type: ignore[attr-defined]
                window.apply_settings, window,  # type: ignore[attr-defined]
                bridge_address=docker.bridge_address(),
            )  # fmt: skip
            self.dialog.finished.connect(self._dialog_closed)
            self.tunnel.urlChanged.connect(self.dialog.set_public_url)
        if key:
            self.dialog.select(key)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _dialog_closed(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def _show_in_status_bar(self, _kind: str, title: str, text: str) -> None:
        if self.tray.icon is None:  # no tray: the window says it
            self.window.statusBar().showMessage(f"{title}: {text}", 15_000)

    def shutdown(self) -> None:
        self.tunnel.shutdown()
        self.tray.close()


def _menu(window: QMainWindow, title: str) -> QMenu:
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text() == title:
            return menu
    return window.menuBar().addMenu(title)


def attach(window: QMainWindow) -> Desktop:
    return Desktop(window)
