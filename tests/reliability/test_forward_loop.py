"""Issue 13 item 2: forwarding to this receiver under another spelling of its address must not
loop. Decided by the resolved address and port, and by a marker header on forwards."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from inspector.core.models import ReplayAttempt
from inspector.core.service import FORWARD_MARKER, InspectorService
from tests.reliability.conftest import StartService

OWN_NAME = "inspector-own-host.test"
SPELLINGS = ("0.0.0.0", "[::ffff:127.0.0.1]", "0x7f000001", "127.1", "own host name")


@pytest.fixture
def own_name_resolves_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine's name (and OWN_NAME) resolve to 127.0.1.1, as Debian's /etc/hosts does;
    nothing is ever sent to a non-loopback address."""
    real = socket.getaddrinfo

    def fake(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in (OWN_NAME, socket.gethostname()):
            host = "127.0.1.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


async def post_once(svc: InspectorService) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{svc.url}/hook", data=b'{"n":1}') as response:
            assert response.status == 200
    assert svc.store is not None
    return svc.store.last_id()


async def first_forward(svc: InspectorService, request_id: int) -> ReplayAttempt:
    """The first forward recorded for `request_id` (without waiting for every forward to
    settle: while a loop runs, they never do)."""
    assert svc.store is not None
    async with asyncio.timeout(20):
        while True:
            attempts = [a for a in svc.store.replays(request_id) if a.kind == "forward"]
            if attempts:
                return attempts[0]
            await asyncio.sleep(0.05)


async def rows_after_the_forward(svc: InspectorService, request_id: int) -> tuple[int, str]:
    attempt = await first_forward(svc, request_id)
    await asyncio.sleep(0.3)  # a loop would have stored more by now
    await svc.settled()
    assert svc.store is not None
    return svc.store.count(), attempt.error or ""


@pytest.mark.usefixtures("own_name_resolves_to_loopback")
async def test_forwarding_to_itself_under_any_spelling_stores_one_row(
    start_service: StartService, tmp_path, figure
) -> None:
    results = []
    for number, spelling in enumerate(SPELLINGS):
        svc = await start_service(db_path=tmp_path / f"loop{number}.db")
        host = OWN_NAME if spelling == "own host name" else spelling
        target = f"http://{host}:{svc.receiver.port}/x"  # type: ignore[union-attr]
        await svc.update_settings(replace(svc.settings, forward_to=target))
        rows, error = await rows_after_the_forward(svc, await post_once(svc))
        assert rows == 1, spelling
        assert "own receiver" in error, (spelling, error)
        results.append(f"{spelling}: {rows} row")
    figure("; ".join(results) + "; each forward refused as 'this inspector's own receiver'")


async def test_a_request_carrying_our_forward_marker_is_stored_but_not_forwarded_again(
    start_service: StartService, figure
) -> None:
    """Through a loopback proxy (another port) the address check cannot see the loop: the
    marker header stops it after one round."""
    svc = await start_service()
    relayed = []

    async def proxy(request: web.Request) -> web.Response:
        relayed.append(request.headers.getall(FORWARD_MARKER, []))
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{svc.url}{request.path}", data=await request.read(), headers=request.headers
            ) as answer:
                return web.Response(status=answer.status, body=await answer.read())

    app = web.Application()
    app.router.add_post("/{tail:.*}", proxy)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await svc.update_settings(replace(svc.settings, forward_to=f"http://127.0.0.1:{port}/x"))
        first = await post_once(svc)
        await first_forward(svc, first)
        second = first + 1
        rows, error = await rows_after_the_forward(svc, second)
    finally:
        await runner.cleanup()
    assert rows == 2
    assert "came back from this inspector's own forward" in error
    assert relayed == [[svc.instance_id]]
    figure(f"through a proxy: {rows} rows (the original and its one return), 1 forward sent")
