"""Requests aiohttp's HTTP parser refuses get 400 and a refusal record (no traceback); idle
connections are limited in number and in time."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from inspector.core import connections
from tests import polling

from .conftest import StartService

HEAD = b"Host: localhost\r\nContent-Length: 0\r\n"
REFUSED = {
    "bare LF": b"POST /lf HTTP/1.1\nHost: localhost\nContent-Length: 2\n\n{}",
    "folded header": b"POST /fold HTTP/1.1\r\n" + HEAD + b"X-A: one\r\n two\r\n\r\n",
    "control character": b"POST /ctl HTTP/1.1\r\n" + HEAD + b"X-A: a\x01b\r\n\r\n",
    "0xE9 in the path": b"POST /caf\xe9 HTTP/1.1\r\n" + HEAD + b"\r\n",
    "16,400 headers": b"POST /many HTTP/1.1\r\n" + HEAD
    + b"".join(b"X-%d: v\r\n" % n for n in range(16400)) + b"\r\n",
    "1 MB header line": b"POST /long HTTP/1.1\r\n" + HEAD
    + b"X-Long: " + b"a" * 2**20 + b"\r\n\r\n",
}  # fmt: skip


async def send_and_read(port: int, data: bytes) -> bytes:
    """Send `data` (reading at the same time, as a client does) and return the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        return await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()


async def test_requests_the_parser_refuses_get_400_and_a_refusal_record(
    start_service: StartService, figure, caplog: pytest.LogCaptureFixture, capfd
) -> None:
    svc = await start_service()
    assert svc.receiver is not None
    assert svc.receiver.port is not None
    answers = {name: await send_and_read(svc.receiver.port, data) for name, data in REFUSED.items()}
    assert {name: answer[:24] for name, answer in answers.items()} == dict.fromkeys(
        REFUSED, b"HTTP/1.0 400 Bad Request"
    )
    assert svc.store is not None
    store = svc.store
    await polling.until(lambda: store.count("refused IS NOT NULL") == len(REFUSED), 30)
    await svc.settled()
    rows = store.reader().execute("SELECT path, refused, body, response_status FROM requests")
    records = {path: (refused, body, status) for path, refused, body, status in rows}
    assert set(records) == {"/lf", "/fold", "/ctl", "/caf\u00e9", "/many", "/long"}
    for (refused, body, status), data in zip(records.values(), REFUSED.values(), strict=True):
        assert status == 400
        assert refused.startswith("the HTTP parser refused the request: ")
        assert body == data[: connections.RAW_LIMIT]
    assert "Traceback" not in capfd.readouterr().err
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    reasons = sorted({why.split(": ", 1)[1].split(";")[0] for why, _, _ in records.values()})
    figure(f"{len(REFUSED)}/{len(REFUSED)} answered 400 with a record (≤ 8 KiB as received), "
           f"no traceback; reasons: {', '.join(reasons)}")  # fmt: skip


async def test_idle_connections_are_limited_and_closed_and_said_once(
    start_service: StartService, figure, caplog: pytest.LogCaptureFixture, monkeypatch
) -> None:
    """300 idle connections against a limit of 50 and a 1 s idle timeout: 50 are kept, the
    rest closed at once, one log line; all close when idle; then requests work again."""
    monkeypatch.setattr("inspector.core.receiver.IDLE_TIMEOUT", 1.0)
    svc = await start_service()
    assert svc.receiver is not None
    assert svc.receiver.port is not None
    svc.receiver.connections.limit = 50
    opened = [await asyncio.open_connection("127.0.0.1", svc.receiver.port) for _ in range(300)]
    limit = svc.receiver.connections
    await polling.until(lambda: limit.open + limit.turned_away == 300, 30)
    assert limit.open == 50
    closed = await asyncio.gather(
        *(asyncio.wait_for(reader.read(), 30) for reader, _ in opened)
    )  # every connection ends: at once beyond the limit, after the idle timeout otherwise
    assert closed == [b""] * 300
    for _, writer in opened:
        writer.close()
    await polling.until(lambda: limit.open == 0, 30)
    said = [r for r in caplog.records if "connections are open (the limit)" in r.getMessage()]
    assert len(said) == 1
    assert not [r for r in caplog.records if r.exc_info]
    async with aiohttp.ClientSession() as session, session.post(f"{svc.url}/after") as response:
        assert response.status == 200
    figure(f"300 idle connections, limit 50: 50 kept then closed after the 1 s idle timeout, "
           f"{limit.turned_away} closed at once, 1 log line, no traceback; 200 after")  # fmt: skip
