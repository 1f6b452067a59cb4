"""Tunnels: start, public URL, restart with the reason, stop without leftovers; stand-ins for
ngrok, cloudflared and ssh (tests/standins), nothing reaches the internet."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from inspector.core import tunnel
from inspector.core.config import Settings
from inspector.core.models import CapturedRequest
from inspector.core.tunnel import Tunnel, TunnelSpec, TunnelState
from tests.polling import until
from tests.standins import alive, install, path_with, pids

EXPECTED = {
    "ngrok": "https://run{n}-ab12.ngrok-free.app",
    "cloudflared": "https://run{n}-quiet-words.trycloudflare.com",
    "ssh": "https://run{n}ab12.lhr.life",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def standins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    for kind in tunnel.KINDS:
        install(folder, kind)
    monkeypatch.setenv("PATH", path_with(folder))
    return folder


def make(kind: str, states: list[TunnelState], **options: float) -> Tunnel:
    """A tunnel for port 8080; the ngrok stand-in serves its API on a free port (the
    autouse fixture restores the variable)."""
    api_port = free_port()
    os.environ["STANDIN_NGROK_API_PORT"] = str(api_port)
    spec = TunnelSpec(kind, 8080, ngrok_api=f"http://127.0.0.1:{api_port}")
    return Tunnel(spec, states.append, backoff=(0.05,), poll=0.05, **options)


@pytest.fixture(autouse=True)
def _api_port_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_NGROK_API_PORT", "0")


@pytest.mark.parametrize("kind", tunnel.KINDS)
async def test_start_reports_the_public_url(kind: str, standins: Path) -> None:
    states: list[TunnelState] = []
    running = make(kind, states)
    running.start()
    try:
        await until(lambda: running.url is not None, 10)
        assert running.url == EXPECTED[kind].format(n=1)
        assert [s.state for s in states] == ["starting", "up"]
        assert states[-1].text == f"{kind} tunnel up: {running.url}"
    finally:
        await running.stop()
    assert states[-1].state == "stopped"


@pytest.mark.parametrize("kind", tunnel.KINDS)
async def test_restarts_with_the_reason_when_it_dies(kind: str, standins: Path) -> None:
    states: list[TunnelState] = []
    running = make(kind, states)
    running.start()
    try:
        await until(lambda: running.url is not None, 10)
        (standins / "exit").touch()  # the program loses its connection and exits
        await until(lambda: running.url == EXPECTED[kind].format(n=2), 10)
    finally:
        await running.stop()
    kinds = [s.state for s in states]
    assert kinds[:5] == ["starting", "up", "died", "restarting", "up"]
    died = states[2]
    assert died.reason == "exited with status 3: connection closed by remote host"
    assert states[3].retry_in == 0.05
    assert states[3].restarts == 1
    assert "restarting in 0.05 s" in states[3].text


@pytest.mark.parametrize("kind", tunnel.KINDS)
async def test_stop_leaves_no_process_behind(kind: str, standins: Path) -> None:
    running = make(kind, [])
    running.start()
    await until(lambda: running.url is not None, 10)
    started = pids(standins)
    assert len(started) == 2
    assert all(alive(pid) for pid in started)
    await running.stop()
    await until(lambda: not any(alive(pid) for pid in started), 5)
    assert running.pid is None


async def test_a_program_that_ignores_sigterm_is_killed(
    standins: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (standins / "mode").write_text("stubborn")
    monkeypatch.setattr(tunnel, "STOP_GRACE", 0.2)
    running = make("cloudflared", [])
    running.start()
    await until(lambda: running.url is not None, 10)
    started = pids(standins)
    await running.stop()
    await until(lambda: not any(alive(pid) for pid in started), 5)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("ngrok", 'authentication failed: ERR_NGROK_4018"'),
        ("cloudflared", "no such host"),
        ("ssh", "Connection refused"),
    ],
)
async def test_a_program_that_fails_at_once_is_retried_with_its_error(
    kind: str, reason: str, standins: Path
) -> None:
    (standins / "mode").write_text("die")
    states: list[TunnelState] = []
    running = make(kind, states)
    running.start()
    try:
        await until(lambda: sum(s.state == "restarting" for s in states) >= 2, 10)
    finally:
        await running.stop()
    died = [s for s in states if s.state == "died"]
    assert died[0].reason.startswith("exited with status 1: ")
    assert died[0].reason.endswith(reason)
    assert all(s.url is None for s in states)  # the api.trycloudflare.com URL is no tunnel


async def test_no_url_in_time_restarts(standins: Path) -> None:
    (standins / "mode").write_text("silent")
    states: list[TunnelState] = []
    running = make("ssh", states, url_timeout=0.3)
    running.start()
    try:
        await until(lambda: any(s.state == "died" for s in states), 10)
    finally:
        await running.stop()
    died = next(s for s in states if s.state == "died")
    assert died.reason.startswith("no public URL after 0.3 s")


def test_backoff_grows_and_is_bounded() -> None:
    assert tuple(sorted(tunnel.BACKOFF)) == tunnel.BACKOFF
    assert max(tunnel.BACKOFF) <= 60


def test_missing_program_says_which_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert tunnel.available() == []
    with pytest.raises(FileNotFoundError) as raised:
        Tunnel(TunnelSpec("ngrok", 8080), lambda _: None).start()
    message = str(raised.value)
    assert message.startswith("ngrok is not on PATH. Install one of these:")
    assert message.count("\n") == 3  # one line per kind
    assert "https://ngrok.com/download" in message
    assert "cloudflared" in message


def test_available_lists_installed_programs(standins: Path) -> None:
    assert tunnel.available() == ["ngrok", "cloudflared", "ssh"]


def test_commands() -> None:
    assert tunnel.command(TunnelSpec("ngrok", 81))[:3] == ["ngrok", "http", "81"]
    assert tunnel.command(TunnelSpec("cloudflared", 81)) == [
        "cloudflared", "tunnel", "--url", "http://127.0.0.1:81"]  # fmt: skip
    ssh = tunnel.command(TunnelSpec("ssh", 81, ssh_target="me@serveo.net"))
    assert ssh[0] == "ssh"
    assert ssh[-3:] == ["-R", "80:localhost:81", "me@serveo.net"]
    assert "BatchMode=yes" in ssh  # never waits for a password prompt nobody sees
    with pytest.raises(ValueError, match="unknown tunnel 'frp'"):
        TunnelSpec("frp", 81)
    for target in ("-oProxyCommand=x", "a b@host", ""):
        with pytest.raises(ValueError, match="expected USER@HOST"):
            TunnelSpec("ssh", 81, ssh_target=target)


def test_ngrok_url_is_the_https_tunnel_for_our_port() -> None:
    payload = {"tunnels": [
        {"public_url": "https://other.ngrok-free.app", "config": {"addr": "http://localhost:3000"}},
        {"public_url": "http://mine.ngrok-free.app", "config": {"addr": "http://localhost:8080"}},
        {"public_url": "https://mine.ngrok-free.app", "config": {"addr": "http://localhost:8080"}},
    ]}  # fmt: skip
    assert tunnel.ngrok_url(payload, 8080) == "https://mine.ngrok-free.app"
    assert tunnel.ngrok_url(payload, 9999) is None  # another agent's tunnels are not ours
    assert tunnel.ngrok_url({"tunnels": "nope"}, 8080) is None
    assert tunnel.ngrok_url([], 8080) is None


def request(*headers: tuple[str, str], source: str = "http") -> CapturedRequest:
    return CapturedRequest("POST", "/webhook/waha", headers=headers, source=source)


def test_requests_through_a_tunnel_are_marked_and_keep_their_headers() -> None:
    forwarded = (("Host", "run1ab12.lhr.life"), ("X-Forwarded-For", "203.0.113.9"),
                 ("X-Forwarded-Proto", "https"))  # fmt: skip
    marked = tunnel.mark_tunnel(request(*forwarded))
    assert marked.source == "tunnel"
    assert marked.headers == forwarded
    own = request(("Host", "hooks.example.org:443"))
    assert tunnel.mark_tunnel(own, ("hooks.example.org",)).source == "tunnel"
    via = request(("Host", "127.0.0.1:8080"), ("X-Forwarded-Host", "abc.trycloudflare.com"))
    assert tunnel.mark_tunnel(via).source == "tunnel"
    assert tunnel.mark_tunnel(request(("Host", "127.0.0.1:8080"))).source == "http"
    assert tunnel.mark_tunnel(request(("Host", "evil-trycloudflare.com"))).source == "http"
    imported = request(("Host", "a.ngrok-free.app"), source="import")
    assert tunnel.mark_tunnel(imported).source == "import"


def test_public_host() -> None:
    assert tunnel.public_host("https://Run1.lhr.life/x") == "run1.lhr.life"
    assert tunnel.public_host(None) is None
    assert tunnel.public_host("http://[x") is None


class FakeService:
    def __init__(self) -> None:
        self.settings = Settings()
        self.updates: list[tuple[str, ...]] = []

    async def update_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.updates.append(settings.tunnel_hosts)


async def test_service_tunnel_tells_the_receiver_its_public_host(standins: Path) -> None:
    service = FakeService()
    states: list[TunnelState] = []
    os.environ["STANDIN_NGROK_API_PORT"] = str(free_port())
    running = tunnel.ServiceTunnel(service, TunnelSpec("ssh", 8080), states.append)
    running.start()
    await until(lambda: service.settings.tunnel_hosts == ("run1ab12.lhr.life",), 10)
    await running.stop()
    assert service.updates == [("run1ab12.lhr.life",), ()]
    assert [s.state for s in states] == ["starting", "up", "stopped"]
