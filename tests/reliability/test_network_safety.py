"""Row 9 (loopback by default, foreign Host refused on /_inspector/*, no wildcard CORS) and
row 10 (replay: a redirect to another host is not followed, file:// and CRLF in an edited
header are refused, a 1 GB answer is capped with bounded memory)."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web

from inspector.cli import build_parser
from inspector.core.config import Settings
from inspector.core.replay import Replayer
from tests.core.test_replay import captured, run_app
from tests.reliability.conftest import MiB, StartService, rss


def other_local_address() -> str | None:
    """A non-loopback address of this machine, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


async def test_default_bind_is_loopback_only(start_service: StartService, figure) -> None:
    assert Settings().host == "127.0.0.1"
    assert build_parser().parse_args(["serve"]).host in (None, "127.0.0.1")
    svc = await start_service()
    assert svc.receiver is not None
    assert svc.receiver.host == "127.0.0.1"
    other = other_local_address()
    refused = "no other address"
    if other is not None:
        try:
            socket.create_connection((other, svc.receiver.port), timeout=2).close()
        except OSError:
            pass
        else:
            pytest.fail(f"the receiver answers on {other}")
        refused = f"{other}: connection refused"
    figure(f"bound to {svc.receiver.host}; {refused}")


async def test_foreign_host_on_inspector_endpoints_is_refused(
    start_service: StartService, figure
) -> None:
    svc = await start_service(publish=True)
    seen = []
    async with aiohttp.ClientSession() as session:
        for path in ("/_inspector/health", "/_inspector/stream"):
            for host in ("evil.example", "evil.example:80", "127.0.0.1.evil.example",
                         "localhost:1@evil.com", "[::1].evil.com"):  # fmt: skip
                async with session.get(f"{svc.url}{path}", headers={"Host": host}) as response:
                    seen.append(response.status)
                    assert response.status == 403, (path, host)
                    assert response.headers.get("Access-Control-Allow-Origin") is None
    assert svc.store is not None
    assert svc.store.count() == 0
    figure(f"{len(seen)} foreign-Host requests: all 403, none captured")


async def test_cors_preflight_never_allows_any_origin(start_service: StartService, figure) -> None:
    svc = await start_service(publish=True)
    preflight = {"Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"}  # fmt: skip
    results = {}
    async with aiohttp.ClientSession() as session:
        own = f"http://localhost:{svc.receiver.port}"  # type: ignore[union-attr]
        for origin in ("http://evil.example", "null", "http://localhost:3000", own):
            async with session.options(
                f"{svc.url}/_inspector/stream", headers={**preflight, "Origin": origin}
            ) as response:
                allowed = response.headers.get("Access-Control-Allow-Origin")
                results[origin] = (response.status, allowed)
                assert allowed != "*"
    assert results["http://evil.example"][1] is None
    assert results["null"][1] is None
    assert results["http://localhost:3000"][1] is None  # another local port: another app
    assert results[own][1] == own
    figure(f"preflights: {results}")


# --- replay -----------------------------------------------------------------------------------


async def test_replay_does_not_follow_a_redirect_to_another_host(figure) -> None:
    hits = {"other": 0}

    async def other(request: web.Request) -> web.Response:
        hits["other"] += 1
        return web.Response(text="should not be reached")

    other_app = web.Application()
    other_app.router.add_route("*", "/{tail:.*}", other)
    other_runner, other_url = await run_app(other_app)
    other_url = other_url.replace("127.0.0.1", "localhost")  # another host name, same machine

    async def redirect(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": f"{other_url}/stolen"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", redirect)
    runner, url = await run_app(app)
    try:
        async with Replayer() as client:
            plain = await client.send(captured(), f"{url}/hook")
            asked = await client.send(captured(), f"{url}/hook", follow_redirects=True)
    finally:
        await runner.cleanup()
        await other_runner.cleanup()
    assert plain.status == 302
    assert not plain.ok
    assert plain.error is not None
    assert "not followed" in plain.error
    assert asked.error is not None
    assert "same host" in asked.error
    assert hits["other"] == 0
    figure(f"302 to another host: {plain.error!r}; with follow: {asked.error!r}; other host hits 0")


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/"])
async def test_replay_refuses_non_http_targets(target: str, figure) -> None:
    async with Replayer() as client:
        with pytest.raises(ValueError, match="http") as info:
            await client.send(captured(), target)
    figure(f"{target}: {info.value}")


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb"])
async def test_replay_refuses_a_line_break_in_an_edited_header(value: str, figure) -> None:
    edited = replace(captured(), headers=(("X-Edited", value),))
    async with Replayer() as client:
        with pytest.raises(ValueError, match="line break") as info:
            await client.send(captured(), "http://127.0.0.1:9/", edited=edited)
    figure(f"{value!r}: {info.value}")


async def test_replay_of_a_1_gb_answer_is_capped_with_bounded_memory(figure) -> None:
    total = 1024 * MiB
    sent = {"bytes": 0}

    async def huge(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"Content-Length": str(total)})
        await response.prepare(request)
        chunk = b"g" * (256 * 1024)
        try:
            while sent["bytes"] < total:  # generated lazily, never held whole
                await response.write(chunk)
                sent["bytes"] += len(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", huge)
    runner, url = await run_app(app)
    baseline = rss()
    started = time.monotonic()
    try:
        async with Replayer() as client:
            attempt = await asyncio.wait_for(client.send(captured(), f"{url}/big"), 60)
    finally:
        await runner.cleanup()
    took = time.monotonic() - started
    growth = rss() - baseline
    assert attempt.status == 200
    assert len(attempt.response_body) == 1 * MiB
    assert attempt.response_truncated
    assert growth < 64 * MiB
    figure(f"kept {len(attempt.response_body) // MiB} MiB (truncated), server wrote "
           f"{sent['bytes'] / MiB:.0f} MiB of 1024 before the client stopped, RSS growth "
           f"{growth / MiB:.1f} MiB, {took:.2f} s")  # fmt: skip
