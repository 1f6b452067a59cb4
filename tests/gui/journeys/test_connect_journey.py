"""Journey: Help > Connect a provider, pick WAHA, read the config shown, send a signed sample to
the receiver, see "received #…: message, signature valid"."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from inspector.core.config import SecretRule
from inspector.gui.bridge import CoreBridge
from inspector.gui.main_window import MainWindow
from tests.conftest import PROVIDER_FIXTURES
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.journeys.app_window import open_window

pytestmark = OFFSCREEN_NOISE


@pytest.fixture
def window(qtbot, bridge: CoreBridge) -> Iterator[MainWindow]:
    win = open_window(qtbot, bridge)
    qtbot.waitUntil(lambda: bool(win.receiver_url))
    yield win
    win.close()


def menu_action(window: MainWindow, menu_title: str, text: str):
    [menu] = [a.menu() for a in window.menuBar().actions() if a.text() == menu_title]
    assert isinstance(menu, QMenu)
    [action] = [a for a in menu.actions() if a.text() == text]
    return action


def test_connect_waha_and_see_the_first_event(qtbot, window: MainWindow) -> None:
    menu_action(window, "&Help", "Connect a provider…").trigger()
    dialog = window.desktop.dialog
    assert dialog is not None
    assert dialog.isVisible()

    item = dialog.providers.findItems("WAHA", Qt.MatchFlag.MatchExactly)[0]
    rect = dialog.providers.visualItemRect(item)
    qtbot.mouseClick(dialog.providers.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.key == "waha"
    assert dialog.status.text() == "waiting for the first event from WAHA…"
    local = dialog.url_choice.findData(window.receiver_url)
    dialog.url_choice.setCurrentIndex(local)
    qtbot.keyClicks(dialog.secret, "journey-secret")

    [(_title, field)] = [f for f in dialog.step_fields if f[0].startswith("Session config")]
    config = json.loads(field.toPlainText())["webhooks"][0]
    assert config["url"] == f"{window.receiver_url}/webhook/waha"
    assert config["hmac"] == {"key": "journey-secret"}

    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    rule = SecretRule("/webhook/waha", "waha", "journey-secret")
    qtbot.waitUntil(lambda: rule in window.bridge.service.settings.secrets, timeout=10_000)

    body = (PROVIDER_FIXTURES / "waha_message.json").read_bytes()
    signature = hmac.new(config["hmac"]["key"].encode(), body, hashlib.sha512).hexdigest()
    request = urllib.request.Request(config["url"], data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Webhook-Hmac": signature,
        "X-Webhook-Hmac-Algorithm": "sha512"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200

    qtbot.waitUntil(lambda: dialog.status.text().startswith("received #"), timeout=10_000)
    assert dialog.status.text().endswith(": message, signature valid")
