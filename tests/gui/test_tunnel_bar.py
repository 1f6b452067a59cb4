"""The Tunnel control in the status bar, with a stand-in cloudflared (tests/standins)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QInputDialog

from inspector.gui.bridge import CoreBridge
from inspector.gui.widgets.tunnel_bar import TunnelControl
from tests.standins import alive, install, path_with, pids

URL = "https://run1-quiet-words.trycloudflare.com"


@pytest.fixture
def standins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    install(folder, "cloudflared")
    monkeypatch.setenv("PATH", path_with(folder))
    return folder


@pytest.fixture
def control(qtbot, bridge: CoreBridge) -> Iterator[TunnelControl]:
    widget = TunnelControl(bridge)
    qtbot.addWidget(widget)
    widget.set_receiver(bridge.service.url or "")
    yield widget
    widget.shutdown()


def test_start_shows_the_public_url_and_copies_it(qtbot, control: TunnelControl,
                                                  standins: Path) -> None:  # fmt: skip
    with qtbot.waitSignal(control.urlChanged, timeout=10_000) as blocker:
        assert control.start("cloudflared")
    assert blocker.args == [URL]
    assert control.url_field.text() == URL
    assert not control.url_field.isHidden()
    assert not control.copy_button.isHidden()
    control.copy_button.click()
    assert QGuiApplication.clipboard().text() == URL
    qtbot.waitUntil(lambda: control.bridge.service.settings.tunnel_hosts == (URL[8:],))


def test_a_dying_tunnel_shows_the_reason_then_comes_back(qtbot, control: TunnelControl,
                                                         standins: Path) -> None:  # fmt: skip
    with qtbot.waitSignal(control.urlChanged, timeout=10_000):
        control.start("cloudflared")
    (standins / "exit").touch()
    qtbot.waitUntil(lambda: "connection closed by remote host" in control.state_label.text(),
                    timeout=10_000)  # fmt: skip
    assert control.url_field.isHidden()
    qtbot.waitUntil(lambda: control.url == URL.replace("run1", "run2"), timeout=15_000)


def test_stop_and_shutdown_leave_no_process(qtbot, control: TunnelControl,
                                            standins: Path) -> None:  # fmt: skip
    with qtbot.waitSignal(control.urlChanged, timeout=10_000):
        control.start("cloudflared")
    started = pids(standins)
    with qtbot.waitSignal(control.urlChanged, timeout=10_000) as blocker:
        control.stop()
    assert blocker.args == [""]
    qtbot.waitUntil(lambda: not any(alive(p) for p in started), timeout=5000)
    with qtbot.waitSignal(control.urlChanged, timeout=10_000):
        control.start("cloudflared")
    control.shutdown()  # the window is closing: the program is gone when it returns
    assert not alive(pids(standins)[-2])  # its child, killed with the group, may lag a moment
    qtbot.waitUntil(lambda: not any(alive(p) for p in pids(standins)), timeout=5000)


def test_menu_offers_installed_programs_and_install_hints(
    qtbot, control: TunnelControl, standins: Path
) -> None:
    control.menu.aboutToShow.emit()
    texts = {a.text(): a for a in control.menu.actions()}
    assert texts["Start cloudflared (quick tunnel)"].isEnabled()
    assert not texts["Start ngrok"].isEnabled()
    assert "ngrok.com/download" in texts["Start ngrok"].toolTip()
    assert "How to install a tunnel program…" in texts


def test_not_listening_is_said(control: TunnelControl) -> None:
    control.set_receiver("")
    assert not control.start("cloudflared")
    assert control.state_label.text() == "Tunnel: the receiver is not listening"


def test_ssh_to_a_service_the_user_names(qtbot, control: TunnelControl, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    folder = tmp_path / "bin"
    install(folder, "ssh")
    monkeypatch.setenv("PATH", path_with(folder))
    answers = iter([("-oProxyCommand=evil", True), ("me@tunnel.example.org", True)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    control.ask_ssh_target()
    assert control.state_label.text().startswith("Tunnel: expected USER@HOST")
    with qtbot.waitSignal(control.urlChanged, timeout=10_000):
        control.ask_ssh_target()
    assert control.url == "https://run1ab12.lhr.life"
    assert (folder / "runs").read_text().split()[-1] == "me@tunnel.example.org"
    assert QSettings().value("tunnel/ssh_target") == "me@tunnel.example.org"
