"""The tray icon and desktop notifications; the decisions are core.notify's.

Qt's own `QSystemTrayIcon.showMessage` is used for the notifications: it goes through the
desktop's notification service where there is one (freedesktop, macOS, Windows), needs no
extra dependency, and does nothing harmful where there is no tray (then `notified` is still
emitted and the window shows the text in its status bar).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QIcon
from PySide6.QtWidgets import QInputDialog, QMenu, QSystemTrayIcon

from inspector.core import notify
from inspector.core.notify import Notification, Notifier, NotifyPrefs
from inspector.core.service import ForwardDone
from inspector.core.sse import SourceState
from inspector.core.store import Store
from inspector.core.tunnel import TunnelState
from inspector.gui.bridge import CoreBridge

TICK_MS = 30_000
"""How often silence is checked."""
SETTINGS_GROUP = "notifications"


def load_prefs() -> NotifyPrefs:
    """Which kinds are on and the silence time, from QSettings (all on, 10 min by default)."""
    stored = QSettings()
    enabled = frozenset(
        kind for kind in notify.KINDS
        if str(stored.value(f"{SETTINGS_GROUP}/{kind}", "true")).lower() == "true"
    )  # fmt: skip
    minutes = float(str(stored.value(f"{SETTINGS_GROUP}/silence_minutes", "10")) or 10)
    return NotifyPrefs(enabled=enabled, silence_after=max(1.0, minutes) * 60)


def save_kind(kind: str, on: bool) -> None:
    QSettings().setValue(f"{SETTINGS_GROUP}/{kind}", "true" if on else "false")


class TrayNotifier(QObject):
    """Counts new requests and invalid signatures, and shows notifications.

    Signals:
        notified(str, str, str): kind, title and text of a notification being shown.
        countsChanged(int, int): new requests and invalid signatures since last looked at.
    """

    notified = Signal(str, str, str)
    countsChanged = Signal(int, int)

    def __init__(
        self, bridge: CoreBridge, parent: QObject | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.bridge = bridge
        self.clock = clock
        self.notifier = Notifier(load_prefs())
        self.new = 0
        self.invalid = 0
        self.menu = QMenu("Notifications")
        self.kind_actions: dict[str, QAction] = {}
        self._build_menu()
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(_icon(), self)
            self.icon.setContextMenu(self.menu)
            self.icon.show()
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        bridge.stored.connect(self.on_stored)
        bridge.forwarded.connect(self.on_forwarded)
        bridge.sourceChanged.connect(self.on_source)
        bridge.storeChanged.connect(self.on_store)
        self._update_tooltip()

    def _build_menu(self) -> None:
        for kind in notify.KINDS:
            action = QAction(notify.LABELS[kind], self.menu, checkable=True)
            action.setChecked(kind in self.notifier.prefs.enabled)
            action.toggled.connect(lambda on, k=kind: self.set_enabled(k, on))
            self.menu.addAction(action)
            self.kind_actions[kind] = action
        self.menu.addSeparator()
        self.silence_action = self.menu.addAction("", self.ask_silence_minutes)
        self._show_silence()
        self.menu.addAction("Reset the counts", self.reset_counts)

    def set_enabled(self, kind: str, on: bool) -> None:
        prefs = self.notifier.prefs
        enabled = prefs.enabled | {kind} if on else prefs.enabled - {kind}
        self.notifier.prefs = NotifyPrefs(enabled, prefs.silence_after, prefs.steady,
                                          prefs.interval)  # fmt: skip
        save_kind(kind, on)

    def set_silence_minutes(self, minutes: int) -> None:
        """A steady sender counts as silent after this many minutes without events."""
        prefs = self.notifier.prefs
        self.notifier.prefs = NotifyPrefs(prefs.enabled, max(1, minutes) * 60.0, prefs.steady,
                                          prefs.interval)  # fmt: skip
        QSettings().setValue(f"{SETTINGS_GROUP}/silence_minutes", str(max(1, minutes)))
        self._show_silence()

    def ask_silence_minutes(self) -> None:
        current = int(self.notifier.prefs.silence_after // 60)
        question = "Tell me when a steady sender has sent nothing for (minutes):"
        minutes, ok = QInputDialog.getInt(None, "Silence", question, current, 1, 1440)
        if ok:
            self.set_silence_minutes(minutes)

    def _show_silence(self) -> None:
        minutes = self.notifier.prefs.silence_after / 60
        self.silence_action.setText(f"Silence after {minutes:g} min…")

    # events

    def on_stored(self, ids: list[int]) -> None:
        store = self.bridge.store
        if store is None:
            return
        now = self.clock()
        by_sender: dict[str, list[int]] = {}
        invalid: dict[str, list[int]] = {}
        for request_id, provider, source, sig_status in _senders(store, ids):
            sender = provider if source in ("http", "tunnel") else source
            by_sender.setdefault(sender, []).append(request_id)
            if sig_status == "invalid":
                invalid.setdefault(sender, []).append(request_id)
        for sender, found in by_sender.items():
            self.new += len(found)
            self.invalid += len(invalid.get(sender, ()))
            self.show(self.notifier.stored(now, sender, tuple(invalid.get(sender, ()))))
        self._update_tooltip()

    def on_forwarded(self, event: object) -> None:
        if isinstance(event, ForwardDone) and (event.error or (event.status or 0) >= 500):
            reason = event.error or f"answered {event.status}"
            self.show(self.notifier.forward_failed(self.clock(), event.request_id, reason))

    def on_source(self, state: object) -> None:
        if isinstance(state, SourceState):
            self.show(self.notifier.source_changed(self.clock(), state.name, state.state,
                                                   state.detail))  # fmt: skip

    def on_tunnel(self, state: object) -> None:
        if isinstance(state, TunnelState):
            self.show(self.notifier.tunnel_changed(self.clock(), state.kind, state.state,
                                                   state.reason))  # fmt: skip

    def on_store(self, ok: bool, message: str) -> None:
        if not ok:
            self.show(self.notifier.store_failed(self.clock(), message))

    def tick(self) -> None:
        self.show(self.notifier.tick(self.clock()))

    # display

    def show(self, notifications: list[Notification]) -> None:
        for item in notifications:
            if self.icon is not None:
                self.icon.showMessage(item.title, item.text, _level(item.kind), 10_000)
            self.notified.emit(item.kind, item.title, item.text)

    def reset_counts(self) -> None:
        self.new = self.invalid = 0
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        text = f"Webhook Inspector: {self.new:,} new requests, {self.invalid:,} invalid signatures"
        if self.icon is not None:
            self.icon.setToolTip(text)
        self.countsChanged.emit(self.new, self.invalid)

    def close(self) -> None:
        self._timer.stop()
        if self.icon is not None:
            self.icon.hide()


def _icon() -> QIcon:
    icon = QIcon()
    folder = resources.files("inspector.resources") / "icons"
    for size in (16, 24, 32, 128):
        with resources.as_file(folder / f"webhook-inspector-{size}.png") as path:
            icon.addFile(str(path))
    return icon if not icon.isNull() else QGuiApplication.windowIcon()


def _level(kind: str) -> QSystemTrayIcon.MessageIcon:
    if kind in (notify.INVALID_SIGNATURE, notify.STORE, notify.FORWARD_FAILED):
        return QSystemTrayIcon.MessageIcon.Warning
    return QSystemTrayIcon.MessageIcon.Information


def _senders(store: Store, ids: list[int]) -> list[tuple[int, str, str, str]]:
    """Id, provider, source and signature status of these requests: the four columns the
    notifications need, not a table row's summary (read on the GUI thread for every analysed
    batch of a burst)."""
    found: list[tuple[int, str, str, str]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, provider, source, sig_status FROM requests WHERE id IN ({marks})"
        found += store.reader().execute(sql, chunk).fetchall()
    return found
