from __future__ import annotations

import asyncio
import gzip
import json
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from inspector.core.config import ResponseRule, Settings
from inspector.core.events import StoreState
from inspector.core.models import ResponseSpec
from inspector.core.receiver import ReceiverError, host_name
from inspector.core.service import InspectorService


@pytest.fixture
async def service(tmp_path: Path):
    settings = Settings(db_path=tmp_path / "h.db", port=0, max_body=1024, verify_token="tok")
    svc = InspectorService(settings)
    await svc.start()
    yield svc
    await svc.stop()


async def raw_http(svc: InspectorService, data: bytes) -> bytes:
    """Send exact bytes; return everything the server answers until it closes."""
    assert svc.receiver is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", svc.receiver.port)
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


async def only(svc: InspectorService):
    await svc.settled()
    assert svc.store is not None
    [row] = svc.store.page()
    stored = svc.store.get(row.id)
    assert stored is not None
    return stored


async def test_post_is_stored_byte_exact_with_raw_headers_and_query(service) -> None:
    body = b'{"text":"caf\\u00e9", "n": 1}'
    request = (
        b"POST /webhook/meta?x=%20a&x=b HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Dup: one\r\n"
        b"Content-Type: application/json\r\nx-dup: two\r\nX-Bin: caf\xc3\xa9\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )
    answer = await raw_http(service, request)
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b'{"ok":true}')
    stored = await only(service)
    assert stored.request.body == body
    assert stored.request.path == "/webhook/meta"
    assert stored.request.query == "x=%20a&x=b"
    names = [name for name, _ in stored.request.headers]
    assert names == ["Host", "X-Dup", "Content-Type", "x-dup", "X-Bin", "Content-Length",
                     "Connection"]  # fmt: skip
    assert dict(stored.request.headers)["X-Bin"].encode("latin-1") == b"caf\xc3\xa9"
    assert stored.request.http_version == "1.1"
    assert stored.request.remote == "127.0.0.1"
    assert stored.response_status == 200


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe\xfd invalid utf-8", b"[" * 500 + b"]" * 500, bytes(range(256))],
    ids=["empty", "invalid-utf8", "deep-json", "binary"],
)
async def test_any_body_is_stored(service, body: bytes) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.put(f"{service.url}/any", data=body) as response:
            assert response.status == 200
    assert (await only(service)).request.body == body


async def test_gzip_body_is_stored_as_received_not_inflated(service) -> None:
    compressed = gzip.compress(b'{"hello": "world"}' * 10)
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{service.url}/gz", data=compressed, headers=headers) as r:
            assert r.status == 200
    assert (await only(service)).request.body == compressed


async def test_any_method_is_captured(service) -> None:
    async with aiohttp.ClientSession() as session:
        for method in ("GET", "DELETE", "PATCH", "OPTIONS"):
            async with session.request(method, f"{service.url}/m") as response:
                assert response.status == 200
    assert {r.method for r in service.store.page()} == {"GET", "DELETE", "PATCH", "OPTIONS"}


async def test_body_at_limit_is_stored(service) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{service.url}/big", data=b"x" * 1024) as response:
            assert response.status == 200
    assert (await only(service)).request.body == b"x" * 1024


async def test_body_over_limit_gets_413_and_a_refusal_record(service) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{service.url}/big", data=b"x" * 1025) as response:
            assert response.status == 413
            assert "limit" in (await response.json())["reason"]
    stored = await only(service)
    assert stored.request.refused is not None
    expected = "body of 1025 bytes (Content-Length) is over the 1024-byte limit"
    assert expected in stored.request.refused
    assert stored.request.body == b""
    assert stored.request.declared_size == 1025
    assert stored.response_status == 413
    assert stored.derived.event_type == "refused"


async def test_chunked_body_over_limit_is_stopped_and_recorded(service) -> None:
    chunk = b"y" * 600
    request = (
        b"POST /chunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + (b"258\r\n" + chunk + b"\r\n") * 3 + b"0\r\n\r\n"
    )
    answer = await raw_http(service, request)
    assert answer.startswith(b"HTTP/1.1 413")
    stored = await only(service)
    assert stored.request.refused is not None
    assert "stopped reading" in stored.request.refused


async def test_expect_continue_over_limit_is_refused_before_100(service) -> None:
    assert service.receiver is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", service.receiver.port)
    writer.write(
        b"POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n"
        b"Expect: 100-continue\r\n\r\n"
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 413")
    assert (await only(service)).request.refused is not None


async def test_expect_continue_within_limit_gets_100_then_200(service) -> None:
    assert service.receiver is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", service.receiver.port)
    writer.write(
        b"POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
        b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    await writer.drain()
    assert (await asyncio.wait_for(reader.readline(), 10)).startswith(b"HTTP/1.1 100")
    writer.write(b"hello")
    rest = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    assert b"HTTP/1.1 200" in rest
    assert (await only(service)).request.body == b"hello"


async def test_2xx_means_committed(service) -> None:
    async with aiohttp.ClientSession() as session:
        for n in range(20):
            async with session.post(f"{service.url}/d", data=str(n)) as response:
                assert response.status == 200
                # committed before the answer: visible to a separate reader right now
                assert service.store.count() == n + 1


async def test_store_failure_answers_503_never_2xx(service) -> None:
    events: list[object] = []
    service.subscribe(events.append)
    conn = service.store.writer()  # make every insert fail, as a full disk would
    conn.execute(
        "CREATE TRIGGER full BEFORE INSERT ON requests"
        " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{service.url}/full", data=b"{}") as response:
            assert response.status == 503
            assert "disk is full" in (await response.json())["reason"]
    assert any(isinstance(e, StoreState) and not e.ok for e in events)
    conn.execute("DROP TRIGGER full")
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{service.url}/ok", data=b"{}") as response:
            assert response.status == 200
    assert StoreState(True) in events


async def test_response_rules_per_path_and_delay(service) -> None:
    rule = ResponseRule(
        "path:/slow/*",
        ResponseSpec(status=202, headers=(("X-Rule", "1"),), body=b"later", delay_ms=50),
    )
    await service.update_settings(replace(service.settings, rules=(rule,)))
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{service.url}/slow/a", data=b"{}") as response:
            assert response.status == 202
            assert response.headers["X-Rule"] == "1"
            assert await response.read() == b"later"
        async with session.post(f"{service.url}/fast", data=b"{}") as response:
            assert response.status == 200


async def test_port_in_use_is_a_clear_error(service, tmp_path: Path) -> None:
    assert service.receiver is not None
    taken = replace(service.settings, port=service.receiver.port, db_path=tmp_path / "o.db")
    other = InspectorService(taken)
    with pytest.raises(ReceiverError, match="already in use"):
        await other.start()
    await other.stop()


async def test_health_endpoint_and_foreign_host_refused(service) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{service.url}/_inspector/health") as response:
            assert response.status == 200
            assert (await response.json())["ok"] is True
        headers = {"Host": "evil.example:80"}
        async with session.get(f"{service.url}/_inspector/health", headers=headers) as r:
            assert r.status == 403
        async with session.post(f"{service.url}/_inspector/health", data=b"x") as response:
            assert response.status == 405
    assert service.store.count() == 0


async def raw_exchange(port: int, head: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode())
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


async def test_only_the_two_reserved_paths_as_sent_are_not_captured(service) -> None:
    port = service.receiver.port
    for target in ("/_inspector/nothing", "/%5Finspector/health", "/_inspector/health/x",
                   "/_Inspector/stream"):  # fmt: skip
        answer = await raw_exchange(
            port, f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        assert answer.startswith(b"HTTP/1.1 200"), target
    await service.settled()
    stored = sorted(r.request.path for r in service.store.iter_all())
    assert stored == ["/%5Finspector/health", "/_Inspector/stream", "/_inspector/health/x",
                      "/_inspector/nothing"]  # fmt: skip


@pytest.mark.parametrize(
    "request_head",
    [
        "GET /_inspector/health HTTP/1.1\r\nHost: localhost:1@evil.com",
        "GET /_inspector/health HTTP/1.1\r\nHost: [::1].evil.com",
        "GET http://evil.com/_inspector/health HTTP/1.1\r\nHost: localhost",
        "GET http://localhost/_inspector/health HTTP/1.1\r\nHost: evil.com",
        "GET http://localhost@evil.com/_inspector/health HTTP/1.1\r\nHost: localhost",
    ],
)
async def test_disguised_foreign_hosts_are_refused_on_reserved_paths(service, request_head) -> None:
    answer = await raw_exchange(
        service.receiver.port, request_head + "\r\nConnection: close\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("127.0.0.1:80", "127.0.0.1"),
        ("[::1]:8080", "[::1]"),
        ("localhost", "localhost"),
        ("localhost:1@evil.com", ""),
        ("[::1].evil.com", ""),
        ("a b", ""),
        ("", ""),
    ],
)
def test_host_name_strips_port_and_refuses_anything_else(host: str, name: str) -> None:
    assert host_name(host) == name


async def test_meta_handshake_answers_challenge_and_is_stored(service) -> None:
    query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=tok"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{service.url}/webhook?{query}") as response:
            assert response.status == 200
            assert await response.text() == "1158201444"
        bad = query.replace("tok", "nope")
        async with session.get(f"{service.url}/webhook?{bad}") as response:
            assert response.status == 403
    await service.settled()
    rows = service.store.page()
    assert [r.event_type for r in rows] == ["verification", "verification"]
    assert [r.sig_status for r in rows] == ["invalid", "valid"]
    assert [r.response_status for r in rows] == [403, 200]


async def test_stored_event_is_published(service) -> None:
    events: list[object] = []
    service.subscribe(events.append)
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{service.url}/p", data=json.dumps({"a": 1})) as response:
            assert response.status == 200
    await service.settled()
    stored = [e for e in events if type(e).__name__ == "RequestsStored"]
    assert stored
    assert stored[0].items[0].record.request.path == "/p"
    committed = [e for e in events if type(e).__name__ == "RequestsCommitted"]
    assert [e.ids for e in committed] == [(stored[0].items[0].id,)]
    assert events.index(committed[0]) < events.index(stored[0])  # raw first, then analysed


async def test_ten_thousand_headers_and_a_0xff_header_byte_are_stored(service) -> None:
    headers = b"".join(b"X-H-%d: v\r\n" % n for n in range(10_000))
    request = (
        b"POST /many HTTP/1.1\r\nHost: localhost\r\nX-Bin: \xff\xfe\r\n"
        + headers
        + b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    answer = await raw_http(service, request)
    assert answer.startswith(b"HTTP/1.1 200")
    stored = await only(service)
    assert len(stored.request.headers) == 10_004
    assert stored.request.header("X-Bin") == "\xff\xfe"


async def test_json_nested_100000_deep_is_stored_and_analysed(tmp_path: Path) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    svc = InspectorService(Settings(db_path=tmp_path / "deep.db", port=0))
    await svc.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{svc.url}/deep", data=body) as response:
                assert response.status == 200
        stored = await only(svc)
        assert stored.request.body == body
        assert stored.derived.provider == "generic"
    finally:
        await svc.stop()
