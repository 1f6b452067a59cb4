"""The "Send sample event" menu: realistic, signed sample webhooks sent to our own receiver.

A sample is signed with the secret configured for its path (``/webhook/<provider>``) when a
secret rule matches, else with the provider's demo secret, and the user is told which (with
the demo secret, the request shows `sig:no_secret` or `sig:invalid` unless that secret is
configured). Building and sending happen on the core loop, never on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from inspector.core import providers, samples
from inspector.core.config import Settings
from inspector.gui.bridge import CoreBridge

PROVIDER_TITLES = {provider.name: provider.title for provider in providers.REGISTRY}


class SamplesMenu(QMenu):
    """Samples grouped by provider, one submenu each.

    Signals:
        sampleChosen(str, str): provider and event of the chosen sample.
    """

    sampleChosen = Signal(str, str)

    def __init__(self, title: str = "Send sample event", parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setToolTipsVisible(True)
        self.sample_actions: dict[tuple[str, str], QAction] = {}
        groups: dict[str, list[tuple[str, str]]] = {}
        for provider, event, description in samples.list_samples():
            groups.setdefault(provider, []).append((event, description))
        for provider, events in groups.items():
            submenu = self.addMenu(PROVIDER_TITLES.get(provider, provider))
            submenu.setToolTipsVisible(True)
            for event, description in events:
                action = submenu.addAction(event)
                action.setToolTip(description)
                action.setStatusTip(description)
                action.triggered.connect(
                    lambda _=False, p=provider, e=event: self.sampleChosen.emit(p, e)
                )
                self.sample_actions[(provider, event)] = action


@dataclass(frozen=True, slots=True)
class SampleSecret:
    """The secret a sample is signed with and where it came from."""

    secret: str
    demo: bool
    rule_prefix: str = ""
    rule_scheme: str = ""


def sample_secret(settings: Settings, provider: str) -> SampleSecret:
    """The configured secret for the sample's path when a rule matches, else the demo one."""
    rule = settings.secret_for(f"/webhook/{provider}", provider)
    if rule is not None and rule.secret:
        return SampleSecret(rule.secret, False, rule.path_prefix, rule.scheme)
    return SampleSecret(samples.DEMO_SECRETS[provider], True)


def sent_message(provider: str, event: str, status: int, secret: SampleSecret) -> str:
    """The status-bar line after a sample was sent (says when the demo secret was used)."""
    text = f"Sent the {provider} {event} sample: the receiver answered {status}."
    scheme = samples.SCHEMES.get(provider, provider)
    if secret.demo:
        text += (f" Signed with the demo secret {secret.secret!r}: to see sig:valid, add a "
                 f"{scheme} secret for /webhook/{provider} in Settings > Secrets.")  # fmt: skip
    elif secret.rule_scheme != scheme:
        text += (f" Signed as {scheme} with the secret for {secret.rule_prefix}, which is "
                 f"configured as {secret.rule_scheme}: expect the check to fail.")  # fmt: skip
    else:
        text += f" Signed with the secret configured for {secret.rule_prefix}."
    return text


def target_url(receiver_url: str, provider: str) -> str:
    """Where a sample goes: our receiver's /webhook/PROVIDER (a wildcard bind address such as
    0.0.0.0 is reached through 127.0.0.1)."""
    parts = urlsplit(receiver_url)
    return samples.default_url(provider, parts.hostname or "127.0.0.1", parts.port or 80)


async def build_and_send(provider: str, event: str, secret: str, url: str) -> int:
    """Build a fresh sample signed with `secret` and POST it to `url`; returns the status.
    Raises SampleError, aiohttp.ClientError or TimeoutError."""
    request = samples.build_sample(provider, event, secret=secret)
    status, _ = await samples.send_sample(request, url)
    return status


def send(
    bridge: CoreBridge, provider: str, event: str, receiver_url: str,
    on_done: Callable[[str], None], on_error: Callable[[BaseException], None],
) -> SampleSecret:  # fmt: skip
    """Send a sample to our receiver through the core loop; `on_done(message)` runs on the
    GUI thread."""
    secret = sample_secret(bridge.service.settings, provider)
    bridge.run(
        build_and_send(provider, event, secret.secret, target_url(receiver_url, provider)),
        lambda status: on_done(sent_message(provider, event, int(status), secret)),
        on_error,
    )
    return secret
