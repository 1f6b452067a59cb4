"""The Connect a provider assistant: the values shown for a URL and a secret, the Docker
choice and switch, and what "Use these settings" changes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from inspector.core import setup
from inspector.core.config import SecretRule, Settings
from inspector.gui.bridge import CoreBridge
from inspector.gui.dialogs.connect_dialog import DOCKER, ConnectDialog

PUBLIC = "https://run1ab12.lhr.life"


@pytest.fixture
def applied() -> list[Settings]:
    return []


@pytest.fixture
def dialog(qtbot, bridge: CoreBridge, applied: list[Settings]) -> Iterator[ConnectDialog]:
    shown = ConnectDialog(bridge, bridge.service.url or "", PUBLIC, applied.append,
                          bridge_address="172.17.0.1")  # fmt: skip
    qtbot.addWidget(shown)
    yield shown
    shown.close()


def shown_texts(dialog: ConnectDialog) -> dict[str, str]:
    return {title: field.toPlainText() for title, field in dialog.step_fields}


def test_the_public_url_is_offered_first(dialog: ConnectDialog) -> None:
    assert dialog.url_choice.currentData() == PUBLIC
    labels = [dialog.url_choice.itemText(i) for i in range(dialog.url_choice.count())]
    assert labels[0] == f"Public URL of the tunnel ({PUBLIC})"
    assert labels[-1] == "A Docker container on this computer"


@pytest.mark.parametrize("target", setup.TARGETS, ids=lambda t: t.key)
def test_every_page_shows_its_steps_for_the_url_and_secret(
    dialog: ConnectDialog, target: setup.Target
) -> None:
    dialog.select(target.key)
    dialog.secret.setText("s3cret")
    expected = [s for s in setup.steps(target.key, PUBLIC, "s3cret", dialog.token.text())
                if s.text and s.copy]  # fmt: skip
    assert shown_texts(dialog) == {s.title: s.text for s in expected}
    assert any(f"{PUBLIC}/webhook/{target.key}" in text for text in shown_texts(dialog).values())
    assert dialog.secret.isVisibleTo(dialog) == (target.scheme is not None)
    assert dialog.token.isVisibleTo(dialog) == (target.key == "meta")


def test_meta_page_has_callback_url_and_generated_token(dialog: ConnectDialog) -> None:
    dialog.select("meta")
    texts = shown_texts(dialog)
    token = dialog.token.text()
    assert len(token) >= 24
    assert texts["Meta App Dashboard > WhatsApp > Configuration > Webhook: Callback URL"] == (
        f"{PUBLIC}/webhook/meta"
    )
    assert token in texts.values()


def test_waha_in_docker_with_the_bridge_switch(
    dialog: ConnectDialog, applied: list[Settings]
) -> None:
    dialog.select("waha")
    dialog.url_choice.setCurrentIndex(dialog.url_choice.findData(DOCKER))
    texts = shown_texts(dialog)
    assert json.loads(texts[next(t for t in texts if t.startswith("Session config"))])[
        "webhooks"][0]["url"].startswith("http://host.docker.internal:")  # fmt: skip
    assert "--add-host=host.docker.internal:host-gateway" in texts.values()
    assert dialog.docker_switch.isVisibleTo(dialog)
    dialog.docker_switch.setChecked(True)
    dialog.secret.setText("k")
    dialog.apply_button.click()
    [new] = applied
    assert new.also_listen == ("172.17.0.1",)  # that one address, never 0.0.0.0
    assert SecretRule("/webhook/waha", "waha", "k") in new.secrets


def test_switch_off_removes_the_bridge_address(dialog: ConnectDialog) -> None:
    dialog.select("gowa")
    current = Settings(also_listen=("172.17.0.1", "10.0.0.5"))
    assert dialog.settings_for(current).also_listen == ("10.0.0.5",)
    dialog.docker_switch.setChecked(True)
    assert dialog.settings_for(current).also_listen == ("10.0.0.5", "172.17.0.1")


def test_no_docker_bridge_leaves_the_switch_off(qtbot, bridge: CoreBridge) -> None:
    shown = ConnectDialog(bridge, bridge.service.url or "", "", lambda _s: None)
    qtbot.addWidget(shown)
    assert not shown.docker_switch.isEnabled()
    assert "no docker0 interface found" in shown.docker_switch.text()
    assert shown.settings_for(Settings()).also_listen == ()


def test_a_tunnel_that_comes_up_later_is_offered_first(qtbot, bridge: CoreBridge) -> None:
    shown = ConnectDialog(bridge, bridge.service.url or "", "", lambda _s: None)
    qtbot.addWidget(shown)
    assert shown.url_choice.currentData() == bridge.service.url
    shown.set_public_url(PUBLIC)
    assert shown.url_choice.currentData() == PUBLIC
    assert f"{PUBLIC}/webhook/meta" in shown_texts(shown).values()
    shown.set_public_url("")
    assert shown.url_choice.findData(PUBLIC) == -1
