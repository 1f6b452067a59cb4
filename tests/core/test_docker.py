"""Docker: the URLs a container can use and the "also listen on the Docker bridge" switch."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from inspector.core import docker
from inspector.core.config import Settings, settings_from_json, settings_to_json
from inspector.core.service import InspectorService


def test_switch_off_binds_nothing_more() -> None:
    assert docker.bind_decision("127.0.0.1", False, "172.17.0.1") == docker.BindDecision((), "")


def test_switch_on_binds_the_bridge_address_only() -> None:
    decision = docker.bind_decision("127.0.0.1", True, "172.17.0.1")
    assert decision.addresses == ("172.17.0.1",)
    assert decision.message == "also listening on 172.17.0.1 (the Docker bridge)"


@pytest.mark.parametrize("bridge", ["0.0.0.0", "::", "", "docker0"])
def test_never_a_wildcard_or_a_name(bridge: str) -> None:
    decision = docker.bind_decision("127.0.0.1", True, bridge)
    assert decision.addresses == ()
    assert "refusing" in decision.message


def test_no_bridge_interface_says_so() -> None:
    decision = docker.bind_decision("127.0.0.1", True, None)
    assert decision.addresses == ()
    assert decision.message.startswith("no docker0 interface on this machine")


def test_bridge_already_the_main_address() -> None:
    assert docker.bind_decision("172.17.0.1", True, "172.17.0.1").addresses == ()


def test_bridge_address_comes_from_docker0() -> None:
    seen: list[str] = []
    assert docker.bridge_address(lambda name: seen.append(name) or "172.17.0.1") == "172.17.0.1"
    assert seen == ["docker0"]
    assert docker.interface_ipv4("lo") == "127.0.0.1"
    assert docker.interface_ipv4("no-such-interface0") is None


def test_container_urls() -> None:
    urls = docker.container_urls(8080, "/webhook/waha", "172.17.0.1")
    assert [url for _, url in urls] == [
        "http://host.docker.internal:8080/webhook/waha",
        "http://172.17.0.1:8080/webhook/waha",
    ]
    assert "--add-host=host.docker.internal:host-gateway" in urls[0][0]
    assert len(docker.container_urls(8080, "/w", None)) == 1


def test_also_listen_is_saved() -> None:
    settings = Settings(also_listen=("172.17.0.1",), tunnel_hosts=("a.lhr.life",))
    back = settings_from_json(settings_to_json(settings))
    assert back.also_listen == ("172.17.0.1",)
    assert back.tunnel_hosts == ()  # the running tunnel's host is not saved


async def test_receiver_also_listens_on_the_extra_address(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "h.db", port=0, also_listen=("127.0.0.2", "0.0.0.0"))
    service = InspectorService(settings)
    await service.start()
    try:
        assert service.receiver is not None
        assert service.receiver.port
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.2:{service.receiver.port}/webhook/waha"
            async with session.post(url, data=b"{}") as answer:
                assert answer.status == 200
        await service.settled()
        assert service.store is not None
        assert service.store.count() == 1
    finally:
        await service.stop()


async def test_tunnel_requests_get_the_tunnel_source(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "h.db", port=0, tunnel_hosts=("hooks.example.org",))
    service = InspectorService(settings)
    await service.start()
    try:
        async with aiohttp.ClientSession() as session:
            for host in ("hooks.example.org", "127.0.0.1"):
                headers = {"Host": host, "X-Forwarded-For": "203.0.113.9"}
                async with session.post(f"{service.url}/w", data=b"{}", headers=headers) as r:
                    assert r.status == 200
        await service.settled()
        assert service.store is not None
        rows = sorted(service.store.page(), key=lambda row: row.id)
        assert [row.source for row in rows] == ["tunnel", "http"]
        stored = service.store.get(rows[0].id)
        assert stored is not None
        assert ("X-Forwarded-For", "203.0.113.9") in stored.request.headers
    finally:
        await service.stop()
