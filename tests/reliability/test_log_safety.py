"""Issue 13 item 5: a request the HTTP parser refuses makes aiohttp log the raw bytes it choked
on; the stream token in them must never reach the log."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests import polling
from tests.reliability.conftest import StartService

TOKEN = "tok-5f1c2e9a7b3d4c60"
MALFORMED = {
    "bare LF line ends": (
        b"GET /_inspector/stream HTTP/1.1\nHost: localhost\n"
        b"Authorization: Bearer " + TOKEN.encode() + b"\n\n"
    ),
    "control character after the token": (
        b"GET /_inspector/stream HTTP/1.1\r\nHost: localhost\r\n"
        b"Authorization: Bearer " + TOKEN.encode() + b"\x01\r\n\r\n"
    ),
    "control character before the token": (
        b"GET /_inspector/stream HTTP/1.1\r\nHost: localhost\r\n"
        b"Authorization: Be\x01arer " + TOKEN.encode() + b"\r\n\r\n"
    ),
    "token in the query, bare LF": (
        b"GET /_inspector/stream?access_token=" + TOKEN.encode() + b" HTTP/1.1\nHost: x\n\n"
    ),
}


async def send(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


async def test_malformed_requests_never_log_the_stream_token(
    start_service: StartService, caplog: pytest.LogCaptureFixture, figure
) -> None:
    caplog.set_level(logging.DEBUG)
    svc = await start_service(publish=True, token=TOKEN)
    assert svc.receiver is not None
    assert svc.receiver.port is not None
    for name, data in MALFORMED.items():
        answer = await send(svc.receiver.port, data)
        assert answer.startswith(b"HTTP/1.1 400") or answer.startswith(b"HTTP/1.0 400"), name
    await asyncio.sleep(0.05)
    parser_records = [r for r in caplog.records if r.name.startswith("aiohttp")]
    logged = caplog.text + "".join(logging.Formatter().format(record) for record in caplog.records)
    assert TOKEN not in logged
    assert TOKEN[:8] not in logged
    figure(
        f"{len(MALFORMED)} malformed requests with the token, {len(parser_records)} aiohttp "
        f"log records, token in 0 of them"
    )


async def test_malformed_requests_never_store_the_stream_token(
    start_service: StartService, figure
) -> None:
    """The refusal record keeps a refused request's first bytes: credentials are redacted."""
    svc = await start_service(publish=True, token=TOKEN)
    assert svc.receiver is not None
    assert svc.receiver.port is not None
    assert svc.store is not None
    store = svc.store
    for data in MALFORMED.values():
        await send(svc.receiver.port, data)
    await polling.until(lambda: store.count("refused IS NOT NULL") == len(MALFORMED), 10)
    await svc.settled()
    rows = store.reader().execute("SELECT * FROM requests").fetchall()
    cells = [c if isinstance(c, bytes) else str(c).encode() for row in rows for c in row]
    assert len(rows) == len(MALFORMED)
    assert not [c for c in cells if TOKEN[:8].encode() in c]
    bodies = [row[0] for row in store.reader().execute("SELECT body FROM requests")]
    assert sum(b"Authorization: [redacted]" in body for body in bodies) == 3
    figure(f"{len(MALFORMED)} refusal records of malformed requests with the token, token in 0")
