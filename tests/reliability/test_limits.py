"""Row 3 (body limit: at the limit, one over, chunked far over, Expect: 100-continue) and
row 4 (a gzip bomb is stored as received; bodies.describe inflates only up to its cap)."""

from __future__ import annotations

import asyncio
import io
import os
import time
import tracemalloc
import zlib

import aiohttp
import pytest

from inspector.core import bodies
from inspector.core.bodies import INFLATE_CAP, SHOW_ALL_CAP, describe
from tests.reliability.conftest import MiB, StartService, rss

LIMIT = 1 * MiB


async def read_head(reader: asyncio.StreamReader) -> bytes:
    """The status line and headers of the first answer (the server may linger, reading and
    discarding the rest of an unread body for a while, as aiohttp does, before it closes)."""
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)


async def only(svc):  # type: ignore[no-untyped-def]
    await svc.settled()
    [row] = svc.store.page()
    return svc.store.get(row.id)


async def test_body_exactly_at_the_limit_is_stored_byte_exact(
    start_service: StartService, figure
) -> None:
    svc = await start_service(max_body=LIMIT)
    body = os.urandom(LIMIT)
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{svc.url}/at-limit", data=io.BytesIO(body)) as response:
            assert response.status == 200
    stored = await only(svc)
    assert stored.request.body == body
    assert stored.request.refused is None
    figure(f"{len(body)} bytes stored byte-exact (limit {LIMIT})")


async def test_body_one_byte_over_the_limit_is_413_with_a_refusal_record(
    start_service: StartService, figure
) -> None:
    svc = await start_service(max_body=LIMIT)
    async with aiohttp.ClientSession() as session:
        over = io.BytesIO(b"x" * (LIMIT + 1))
        async with session.post(f"{svc.url}/over", data=over) as response:
            assert response.status == 413
            reason = (await response.json())["reason"]
    stored = await only(svc)
    assert stored.response_status == 413
    assert stored.request.body == b""
    assert stored.request.declared_size == LIMIT + 1
    assert stored.request.refused == reason
    figure(f"413, refusal record: {reason!r}")


async def test_chunked_body_far_over_the_limit_is_cut_early_with_bounded_memory(
    start_service: StartService, figure
) -> None:
    """50 MiB chunked against a 1 MiB limit: the server stops reading just past the limit,
    answers 413 and closes; its memory does not grow with what the client keeps sending."""
    svc = await start_service(max_body=LIMIT)
    assert svc.receiver is not None
    assert svc.receiver.port is not None
    total = 50 * MiB
    chunk = b"z" * (64 * 1024)
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    baseline = peak = rss()
    reader, writer = await asyncio.open_connection("127.0.0.1", svc.receiver.port)
    writer.write(b"POST /chunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
    sent = 0
    cut = ""
    started = time.monotonic()
    try:
        async with asyncio.timeout(30):
            while sent < total:
                writer.write(frame)
                await writer.drain()
                sent += len(chunk)
                if sent % (4 * MiB) == 0:
                    peak = max(peak, rss())
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except (ConnectionError, OSError) as exc:
        cut = type(exc).__name__
    answer = await read_head(reader)
    writer.close()
    peak = max(peak, rss())
    stored = await only(svc)
    growth = peak - baseline
    figure(f"cut after {sent / MiB:.1f} MiB of 50 MiB sent ({cut or 'not cut'}), "
           f"answer {answer[:12]!r}, server RSS growth {growth / MiB:.1f} MiB, "
           f"{time.monotonic() - started:.2f} s")  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 413")
    assert stored.request.refused is not None
    assert "stopped reading" in stored.request.refused
    assert sent < total or growth < 16 * MiB
    assert growth < 16 * MiB


async def test_expect_100_continue_over_the_limit_is_refused_before_100(
    start_service: StartService, figure
) -> None:
    svc = await start_service(max_body=LIMIT)
    assert svc.receiver is not None
    assert svc.receiver.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", svc.receiver.port)
    writer.write(b"POST /expect HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n"
                 b"Expect: 100-continue\r\n\r\n" % (50 * MiB))  # fmt: skip
    await writer.drain()
    answer = await read_head(reader)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:40]
    assert b"100 Continue" not in answer
    stored = await only(svc)
    assert stored.request.refused is not None
    assert "Content-Length" in stored.request.refused
    first = answer.split(b"\r\n", 1)[0].decode()
    figure(f"first line {first!r}, no 100 Continue, 0 body bytes sent")


def gzip_bomb(inflated: int) -> bytes:
    """A gzip stream of `inflated` zero bytes, built chunk by chunk (never in memory whole)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MiB)
    parts = [compressor.compress(zeros) for _ in range(inflated // MiB)]
    parts.append(compressor.flush())
    return b"".join(parts)


@pytest.mark.parametrize(
    "inflated",
    [
        pytest.param(256 * MiB, id="256MiB"),
        pytest.param(1024 * MiB, id="1GiB", marks=pytest.mark.slow),
    ],
)
async def test_gzip_bomb_is_stored_as_received_and_inflated_only_up_to_the_cap(
    start_service: StartService, figure, inflated: int
) -> None:
    bomb = gzip_bomb(inflated)  # DEFLATE's 1032:1 ceiling: 1 GiB inflated is ~1 MiB on the wire
    svc = await start_service()
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    started = time.monotonic()
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.post(f"{svc.url}/bomb", data=io.BytesIO(bomb),
                                headers=headers) as response:  # fmt: skip
            assert response.status == 200
    answered = time.monotonic() - started
    stored = await only(svc)
    assert stored.request.body == bomb  # never inflated on capture
    assert answered < 5
    assert describe(bomb, "application/json", "gzip").kind is bodies.Kind.ENCODED
    tracemalloc.start()
    try:
        data, capped = bodies.inflate(bomb, "gzip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert capped
    assert len(data) == INFLATE_CAP
    assert peak < 4 * INFLATE_CAP
    started = time.monotonic()
    display = describe(bomb, "application/json", "gzip", inflate_body=True, cap=SHOW_ALL_CAP)
    took = time.monotonic() - started
    assert any("Stopped at" in note for note in display.notes), display.notes
    figure(f"{len(bomb) / 1024:.0f} KiB gzip ({inflated // MiB} MiB inflated) stored as "
           f"received, answered in {answered * 1000:.0f} ms; inflate() stops at "
           f"{len(data) / MiB:.0f} MiB, peak {peak / MiB:.0f} MiB; describe() {took:.2f} s: "
           f"{display.notes[0]!r}")  # fmt: skip
