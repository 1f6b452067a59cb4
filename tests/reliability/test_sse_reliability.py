"""Row 12: an SSE source survives a drop mid-event (no gap, no duplicate), stops on 204,
reports a 2 MiB event as too large and goes on, and reconnects after a stall."""

from __future__ import annotations

import asyncio

from tests.core.test_sse import Harness, MiB, ScriptedServer, fast, status, stream, until


async def test_sse_drop_mid_event_resumes_without_gap_or_duplicate(figure) -> None:
    first = stream(b"retry: 5\nid: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c-cu", drop=True)
    second = stream(b"id: 3\ndata: c\n\nid: 4\ndata: d\n\n", hold=5)
    async with ScriptedServer(first, second) as server:
        async with Harness(fast(server.url)) as h:
            await until(lambda: len(h.stored) == 4)
            assert h.bodies() == [b"a", b"b", b"c", b"d"]
            assert server.requests[1]["Last-Event-ID"] == "2"
    figure(f"stored {h.bodies()}, resumed with Last-Event-ID 2")


async def test_sse_204_stops_the_source(figure) -> None:
    async with ScriptedServer(status(204)) as server:
        async with Harness(fast(server.url)) as h:
            assert h.task is not None
            await asyncio.wait_for(asyncio.shield(h.task), 5)
            assert h.client.state.state == "stopped"
            assert "204" in h.client.state.detail
            await asyncio.sleep(0.2)
            assert len(server.requests) == 1
    figure(f"{h.client.state.detail!r}, 1 connection")


async def test_sse_2_mib_event_is_reported_too_large_and_the_stream_goes_on(figure) -> None:
    big = b"id: 1\ndata: " + b"y" * (2 * MiB) + b"\n\n"
    chunks = [big[i : i + 128 * 1024] for i in range(0, len(big), 128 * 1024)]
    async with ScriptedServer(stream(*chunks, b"id: 2\ndata: next\n\n", hold=5, pause=0)) as s:
        async with Harness(fast(s.url)) as h:
            await until(lambda: len(h.stored) == 2)
            refused, nxt = h.stored
            assert refused.refused is not None
            assert "too large" in refused.refused
            assert refused.body == b""
            assert nxt.body == b"next"
    figure(f"{refused.refused!r}; next event stored")


async def test_sse_silent_server_is_dropped_after_the_stall_timeout(figure) -> None:
    async with ScriptedServer(stream(b"id: 7\ndata: x\n\n", hold=10)) as server:
        async with Harness(fast(server.url, stall_timeout=0.3)) as h:
            await until(lambda: len(server.requests) >= 2, seconds=5)
            assert h.client.last_error is not None
            assert "nothing received" in h.client.last_error
            assert server.requests[1]["Last-Event-ID"] == "7"
    figure(f"reconnected after {h.client.last_error!r} with Last-Event-ID 7")
