from __future__ import annotations

import asyncio
import hashlib
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from inspector.core.config import SecretRule, Settings
from inspector.core.events import ForwardDone, ReplayDone
from inspector.core.models import CapturedRequest, ReplayAttempt
from inspector.core.replay import (
    HOP_BY_HOP,
    PROVIDER_TIMEOUTS,
    Replayer,
    check_headers,
    check_target,
    describe_error,
    join_target,
    prepare,
    provider_timeout,
    slow_warning,
    too_slow_for,
)
from inspector.core.service import InspectorService

LATIN1_UTF8 = b"caf\xc3\xa9".decode("latin-1")  # the header bytes c-a-f-é (UTF-8) as stored


# --- servers ---------------------------------------------------------------------------------


@dataclass
class RawRequest:
    """One request exactly as it arrived on the socket."""

    head: bytes
    body: bytes

    @property
    def request_line(self) -> bytes:
        return self.head.split(b"\r\n", 1)[0]

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        lines = self.head.split(b"\r\n")[1:]
        return [tuple(line.split(b": ", 1)) for line in lines]  # type: ignore[misc]


@dataclass
class RawServer:
    """Records the exact bytes of each request (keep-alive aware); answers a fixed response."""

    answer: bytes = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Echo: yes\r\nx-echo: again\r\n\r\nok"
    )
    delay: float = 0.0
    received: list[RawRequest] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                size = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        size = int(line.split(b":", 1)[1])
                body = await reader.readexactly(size) if size else b""
                self.received.append(RawRequest(head[:-4], body))
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(self.answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def echo() -> AsyncIterator[RawServer]:
    server = RawServer()
    async with await asyncio.start_server(server.handle, "127.0.0.1", 0) as listener:
        server.port = listener.sockets[0].getsockname()[1]
        yield server


@pytest.fixture
async def slow() -> AsyncIterator[RawServer]:
    server = RawServer(delay=5)
    async with await asyncio.start_server(server.handle, "127.0.0.1", 0) as listener:
        server.port = listener.sockets[0].getsockname()[1]
        yield server


async def run_app(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def web_server() -> AsyncIterator[str]:
    """Redirects (to another host, or on the same host) and a 5 MiB answer."""

    async def elsewhere(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "http://other.example/"})

    async def same_host(request: web.Request) -> web.Response:
        return web.Response(status=307, headers={"Location": "/final"})

    async def final(request: web.Request) -> web.Response:
        return web.Response(body=f"final {request.method} ".encode() + await request.read())

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * (5 * 1024 * 1024))

    app = web.Application()
    app.router.add_route("*", "/elsewhere", elsewhere)
    app.router.add_route("*", "/same-host", same_host)
    app.router.add_route("*", "/final", final)
    app.router.add_route("*", "/big", big)
    runner, url = await run_app(app)
    yield url
    await runner.cleanup()


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def replayer() -> AsyncIterator[Replayer]:
    async with Replayer() as client:
        yield client


def captured(**changes: object) -> CapturedRequest:
    base = CapturedRequest(
        id=7,
        method="POST",
        path="/webhook/meta",
        query="x=%20a&x=b&y=%C3%A9",
        headers=(
            ("Host", "original.example"),
            ("User-Agent", "facebookexternalua"),
            ("X-Dup", "1"),
            ("Content-Type", "application/json"),
            ("Connection", "keep-alive"),
            ("x-dup", "2"),
            ("X-Name", LATIN1_UTF8),
            ("Keep-Alive", "timeout=5"),
            ("Content-Length", "999"),
            ("Upgrade", "h2c"),
            ("X-Last", "end"),
        ),
        body=b'{"caf\xc3\xa9": "\xff\xfe not utf-8 \x00"}',
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- as captured: byte-exact -------------------------------------------------------------------


async def test_replay_as_captured_is_byte_exact(echo: RawServer, replayer: Replayer) -> None:
    request = captured()
    attempt = await replayer.send(request, echo.url)
    [got] = echo.received
    assert got.request_line == b"POST /webhook/meta?x=%20a&x=b&y=%C3%A9 HTTP/1.1"
    assert got.headers == [
        (b"Host", f"127.0.0.1:{echo.port}".encode()),
        (b"User-Agent", b"facebookexternalua"),
        (b"X-Dup", b"1"),
        (b"Content-Type", b"application/json"),
        (b"x-dup", b"2"),
        (b"X-Name", b"caf\xc3\xa9"),
        (b"Content-Length", str(len(request.body)).encode()),
        (b"X-Last", b"end"),
    ]
    assert got.body == request.body
    assert attempt.ok
    assert attempt.status == 200
    assert attempt.fidelity_ok is True
    assert attempt.sent_sha256 == hashlib.sha256(got.body).hexdigest() == request.body_sha256
    assert attempt.response_headers == (("Content-Length", "2"), ("X-Echo", "yes"),
                                        ("x-echo", "again"))  # fmt: skip
    assert attempt.response_body == b"ok"
    assert attempt.latency_ms is not None
    assert attempt.latency_ms > 0
    assert attempt.target == f"{echo.url}/webhook/meta?x=%20a&x=b&y=%C3%A9"
    assert [name for name, _ in attempt.sent_headers] == [
        name.decode() for name, _ in got.headers
    ]
    assert not attempt.edited
    assert attempt.sent_body is None


@pytest.mark.parametrize(
    ("target", "line"),
    [
        ("", b"POST /webhook/meta?x=%20a&x=b&y=%C3%A9 HTTP/1.1"),
        ("/", b"POST /webhook/meta?x=%20a&x=b&y=%C3%A9 HTTP/1.1"),
        ("/hook", b"POST /hook?x=%20a&x=b&y=%C3%A9 HTTP/1.1"),
        ("/hook/a%2Fb?own=1", b"POST /hook/a%2Fb?own=1 HTTP/1.1"),
        ("/?own=1", b"POST /webhook/meta?own=1 HTTP/1.1"),
    ],
    ids=["bare", "slash", "path-replaces", "own-query", "own-query-only"],
)
async def test_target_path_and_query(echo: RawServer, replayer: Replayer, target: str,
                                     line: bytes) -> None:  # fmt: skip
    await replayer.send(captured(), echo.url + target)
    assert echo.received[0].request_line == line


@pytest.fixture
async def path_recorder() -> AsyncIterator[tuple[str, list[str]]]:
    """An aiohttp server recording the raw path (request target) of each request."""
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(request.raw_path)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner, url = await run_app(app)
    yield url, seen
    await runner.cleanup()


@pytest.mark.parametrize(
    ("path", "query"),
    [("/frag#x", "y"), ("/frag#", ""), ("/a", "b#c"), ("/#?#", "?#")],
    ids=["hash-in-path", "trailing-hash", "hash-in-query", "hashes-everywhere"],
)
async def test_a_hash_in_the_captured_target_is_sent_as_captured(
    path_recorder: tuple[str, list[str]], replayer: Replayer, path: str, query: str
) -> None:
    url, seen = path_recorder
    attempt = await replayer.send(CapturedRequest("POST", path, query, body=b"{}"), url)
    raw = f"{path}?{query}" if query else path
    assert seen == [raw]
    assert attempt.status == 200
    assert attempt.error is None
    assert attempt.sent_target == raw
    assert attempt.fidelity_ok is True


def test_a_changed_request_line_is_a_fidelity_mismatch() -> None:
    sent = ReplayAttempt(1, "http://h:1/frag#x?y", 0, sent_sha256="a" * 64,
                         expected_sha256="a" * 64, sent_target="/frag")  # fmt: skip
    assert sent.fidelity_ok is False
    assert replace(sent, sent_target="/frag#x?y").fidelity_ok is True


def test_join_target_keeps_raw_paths_unencoded() -> None:
    assert join_target("http://h:1", "/a%2F b/..", "q=%41") == "http://h:1/a%2F b/..?q=%41"
    assert join_target("HTTPS://H:1/x", "/a", "") == "https://h:1/x"


async def test_keep_host_sends_the_original_host(echo: RawServer, replayer: Replayer) -> None:
    await replayer.send(captured(), echo.url, keep_host=True)
    assert echo.received[0].headers[0] == (b"Host", b"original.example")


async def test_the_client_adds_no_headers_of_its_own(echo: RawServer, replayer: Replayer) -> None:
    request = CapturedRequest("POST", "/plain", headers=(("X-Only", "1"),), body=b"abc")
    await replayer.send(request, echo.url)
    assert echo.received[0].headers == [
        (b"Host", f"127.0.0.1:{echo.port}".encode()), (b"X-Only", b"1"), (b"Content-Length", b"3"),
    ]  # fmt: skip


async def test_get_without_body_has_no_content_length(echo: RawServer, replayer: Replayer) -> None:
    request = CapturedRequest("GET", "/", "hub.mode=subscribe", headers=(("Host", "x"),))
    await replayer.send(request, echo.url)
    expected = f"GET /?hub.mode=subscribe HTTP/1.1\r\nHost: 127.0.0.1:{echo.port}"
    assert echo.received[0].head == expected.encode()


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe\xfd invalid utf-8", bytes(range(256)) * 300, b"\x1f\x8b\x08gzip-ish"],
    ids=["empty", "invalid-utf8", "binary-76k", "gzip-bytes"],
)
async def test_any_body_is_sent_byte_exact(
    echo: RawServer, replayer: Replayer, body: bytes
) -> None:
    request = CapturedRequest("PUT", "/any", headers=(("Content-Encoding", "gzip"),), body=body)
    attempt = await replayer.send(request, echo.url)
    assert echo.received[0].body == body
    assert (b"Content-Length", str(len(body)).encode()) in echo.received[0].headers
    assert attempt.fidelity_ok is True


async def test_a_3_mib_body_is_replayed_byte_exact(echo: RawServer, replayer: Replayer) -> None:
    """Over aiohttp's 1 MiB limit for raw bytes bodies (which warns): sent in full, byte-exact,
    with the captured length."""
    body = (bytes(range(256)) * 4096 * 12) + b"\xff end"  # 3 MiB and a few bytes
    request = captured(body=body)
    attempt = await replayer.send(request, echo.url)
    [got] = echo.received
    assert got.body == body
    assert (b"Content-Length", str(len(body)).encode()) in got.headers
    assert (b"Transfer-Encoding", b"chunked") not in got.headers
    assert attempt.fidelity_ok is True
    assert attempt.sent_sha256 == request.body_sha256


def test_hop_by_hop_headers_are_the_documented_ones() -> None:
    assert {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
            "trailer", "transfer-encoding", "upgrade"} <= HOP_BY_HOP  # fmt: skip
    request = captured(headers=(("Transfer-Encoding", "chunked"), ("TE", "trailers"),
                                ("Proxy-Authorization", "Basic x"), ("Trailer", "X")))  # fmt: skip
    outgoing = prepare(request, "http://127.0.0.1:9/")
    assert [name for name, _ in outgoing.headers] == ["Host", "Content-Length"]


async def test_a_wrong_fidelity_is_reported_as_mismatch() -> None:
    attempt = ReplayAttempt(1, "http://x/", 0, sent_sha256="a" * 64, expected_sha256="b" * 64)
    assert attempt.fidelity_ok is False
    assert ReplayAttempt(1, "http://x/", 0).fidelity_ok is None  # nothing was sent


# --- edited ----------------------------------------------------------------------------------


async def test_edited_request_is_sent_as_edited(echo: RawServer, replayer: Replayer) -> None:
    edited = CapturedRequest("PATCH", "/edited", "a=1", headers=(("X-New", "é"),), body=b"new")
    attempt = await replayer.send(captured(), echo.url, edited=edited)
    [got] = echo.received
    assert got.request_line == b"PATCH /edited?a=1 HTTP/1.1"
    assert (b"X-New", "é".encode()) in got.headers
    assert got.body == b"new"
    assert attempt.edited
    assert attempt.sent_body == b"new"
    assert attempt.fidelity_ok is True


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ((("X-Evil", "a\r\nX-Injected: 1"),), "header X-Evil contains a line break"),
        ((("X-Evil", "a\nb"),), "header X-Evil contains a line break"),
        ((("X-Evil\r\nX-Injected", "1"),), "contains a line break"),
        ((("Bad Name", "1"),), "header name 'Bad Name' is not valid"),
        ((("X:Colon", "1"),), "is not valid"),
        ((("", "1"),), "is not valid"),
    ],
)
async def test_unsafe_edited_headers_are_refused(
    echo: RawServer, replayer: Replayer, headers: tuple[tuple[str, str], ...], message: str
) -> None:
    edited = replace(captured(), headers=headers)
    with pytest.raises(ValueError, match=message):
        await replayer.send(captured(), echo.url, edited=edited)
    assert echo.received == []


@pytest.mark.parametrize(
    ("path", "message"),
    [("/a b", "space"), ("/a\r\nX: 1", "line break"), ("nope", "must start with")],
)
def test_unsafe_paths_are_refused(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        prepare(captured(), "http://127.0.0.1:9", edited=replace(captured(), path=path))


def test_check_headers_accepts_raw_latin1_values() -> None:
    check_headers([("X-Raw", "\xe9\xff"), ("x!#$%&'*+-.^_`|~", "v")])


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("file:///etc/passwd", "only http:// and https://"),
        ("ftp://127.0.0.1/x", "only http:// and https://"),
        ("127.0.0.1:3000/webhook", "only http:// and https://|no scheme"),
        ("http://", "no host|not a valid URL"),
        ("  ", "no target URL"),
    ],
)
async def test_only_http_targets(replayer: Replayer, target: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_target(target)
    with pytest.raises(ValueError, match=message):
        await replayer.send(captured(), target)


def test_a_refused_request_cannot_be_replayed_as_captured() -> None:
    request = captured(refused="body over the limit", body=b"")
    with pytest.raises(ValueError, match="refused"):
        prepare(request, "http://127.0.0.1:9/")
    prepare(request, "http://127.0.0.1:9/", edited=replace(request, body=b"{}"))  # edited is fine


# --- errors in plain words ---------------------------------------------------------------------


async def test_connection_refused(replayer: Replayer, closed_port: int) -> None:
    attempt = await replayer.send(captured(), f"http://127.0.0.1:{closed_port}/webhook")
    assert attempt.error == f"connection refused: nothing is listening on 127.0.0.1:{closed_port}"
    assert attempt.status is None
    assert not attempt.ok
    assert attempt.fidelity_ok is None


async def test_timeout(slow: RawServer) -> None:
    async with Replayer(timeout=0.3) as client:
        started = time.monotonic()
        attempt = await client.send(captured(), slow.url)
    assert attempt.error == "no answer within 0.3 s"
    assert time.monotonic() - started < 3
    assert attempt.fidelity_ok is True  # the request did go out in full


async def test_redirect_to_another_host_is_not_followed(
    replayer: Replayer, web_server: str
) -> None:
    attempt = await replayer.send(captured(), f"{web_server}/elsewhere")
    assert attempt.status == 302
    assert attempt.error == "answered 302 redirect to http://other.example/ (not followed)"
    assert not attempt.ok
    followed = await replayer.send(captured(), f"{web_server}/elsewhere", follow_redirects=True)
    assert followed.error is not None
    assert "not followed: redirects are followed only on the same host" in followed.error


async def test_same_host_redirects_are_followed_on_request(
    replayer: Replayer, web_server: str
) -> None:
    not_followed = await replayer.send(captured(), f"{web_server}/same-host")
    assert not_followed.error == f"answered 307 redirect to {web_server}/final (not followed)"
    attempt = await replayer.send(captured(), f"{web_server}/same-host", follow_redirects=True)
    assert attempt.status == 200
    assert attempt.response_body.startswith(b"final POST {")
    assert attempt.fidelity_ok is True


async def test_large_responses_are_capped(replayer: Replayer, web_server: str) -> None:
    attempt = await replayer.send(captured(), f"{web_server}/big")
    assert attempt.status == 200
    assert len(attempt.response_body) == 1024 * 1024
    assert attempt.response_truncated
    async with Replayer(max_response=10) as client:
        small = await client.send(captured(), f"{web_server}/big")
    assert small.response_body == b"x" * 10
    assert small.response_truncated


async def test_tls_error(replayer: Replayer, web_server: str) -> None:
    attempt = await replayer.send(captured(), web_server.replace("http://", "https://"))
    assert attempt.error is not None
    assert attempt.error.startswith("TLS error")


def test_dns_and_other_errors_in_plain_words() -> None:
    key = SimpleNamespace(host="nowhere.invalid", port=80, ssl=True)
    url = URL("http://nowhere.invalid/x")
    dns = aiohttp.ClientConnectorDNSError(key, OSError(-2, "Name or service not known"))  # type: ignore[arg-type]
    assert describe_error(dns, url, 5, 30) == "cannot resolve host 'nowhere.invalid'"
    timeout = aiohttp.ConnectionTimeoutError()
    assert describe_error(timeout, url, 5, 30) == (
        "could not connect to nowhere.invalid:80 within 5 s"
    )
    assert describe_error(TimeoutError(), url, 5, 10) == "no answer within 10 s"
    gone = aiohttp.ServerDisconnectedError()
    assert describe_error(gone, url, 5, 30) == (
        "nowhere.invalid:80 closed the connection without answering"
    )


# --- provider timeouts -----------------------------------------------------------------------


def test_provider_timeouts_come_from_the_providers_doc() -> None:
    assert PROVIDER_TIMEOUTS == {"github": 10, "shopify": 5, "greenapi": 180, "wsapi": 10,
                                 "wahooks": 15, "evolution": 30}  # fmt: skip
    assert provider_timeout("meta") is None  # not documented by Meta (docs/providers.md)
    assert provider_timeout("waha", "wahooks") == 15
    assert too_slow_for("github", "github", 10_001)
    assert not too_slow_for("github", "github", 9_999)
    assert not too_slow_for("meta", "meta", 60_000)
    warning = slow_warning("shopify", "shopify", 6_500)
    assert warning == "answered in 6.5 s: shopify gives up after 5 s"
    assert slow_warning("shopify", "shopify", 100) is None


# --- through the service: re-signing, recording, forwarding ------------------------------------


SECRET = "app-secret"


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[InspectorService]:
    settings = Settings(db_path=tmp_path / "r.db", port=0,
                        secrets=(SecretRule("/webhook", "meta", SECRET),))  # fmt: skip
    svc = InspectorService(settings)
    await svc.start()
    yield svc
    await svc.stop()


async def store_meta_request(service: InspectorService, provider_fixture) -> int:  # type: ignore[no-untyped-def]
    import hmac

    body = provider_fixture("meta_message_text.json")
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    async with aiohttp.ClientSession() as session:
        headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
        async with session.post(f"{service.url}/webhook", data=body, headers=headers) as r:
            assert r.status == 200
    await service.settled()
    assert service.store is not None
    [row] = service.store.page()
    assert row.sig_status == "valid"
    return row.id


async def newest(service: InspectorService):  # type: ignore[no-untyped-def]
    await service.settled()
    assert service.store is not None
    return service.store.page(limit=1)[0]


async def test_resign_makes_a_verifying_receiver_accept_an_edited_body(
    service: InspectorService, provider_fixture
) -> None:
    request_id = await store_meta_request(service, provider_fixture)
    assert service.store is not None
    stored = service.store.get(request_id)
    assert stored is not None
    edited = replace(stored.request, body=stored.request.body.replace(b"Sheena", b"Edited"))
    events: list[object] = []
    service.subscribe(events.append)

    unsigned = await service.replay(request_id, service.url, edited=edited)
    assert unsigned.status == 200
    assert (await newest(service)).sig_status == "invalid"

    attempt = await service.replay(request_id, service.url, edited=edited, resign=("meta", SECRET))
    row = await newest(service)
    assert row.sig_status == "valid"
    replayed = service.store.get(row.id)
    assert replayed is not None
    assert replayed.request.body == edited.body
    assert attempt.edited
    assert attempt.id is not None
    assert ReplayDone(attempt) in events

    wrong = await service.replay(request_id, service.url, edited=edited, resign=("meta", SECRET),
                                 wrong_signature=True)  # fmt: skip
    assert (await newest(service)).sig_status == "invalid"
    assert wrong.edited

    as_captured = await service.replay(request_id, service.url, wrong_signature=True)
    assert (await newest(service)).sig_status == "invalid"  # scheme guessed from the headers
    assert as_captured.fidelity_ok is True

    recorded = service.store.replays(request_id)
    assert [a.id for a in recorded] == [unsigned.id, attempt.id, wrong.id, as_captured.id]
    assert recorded[1] == attempt
    assert recorded[1].sent_body == edited.body
    assert service.store.get_replay(attempt.id) == attempt
    assert service.settings.replay_targets[0] == service.url


async def test_service_replay_many_records_every_attempt(
    service: InspectorService, echo: RawServer
) -> None:
    ids = [await service.ingest(CapturedRequest("POST", f"/n/{n}", body=b"%d" % n))
           for n in range(5)]  # fmt: skip
    await service.settled()
    attempts = await service.replay_many([*ids, 999], echo.url)
    assert [a.request_id for a in attempts] == [*ids, 999]
    assert all(a.ok and a.fidelity_ok for a in attempts[:5])
    assert attempts[5].error == "there is no request #999"
    assert attempts[5].id is None
    assert sorted(r.body for r in echo.received) == [b"%d" % n for n in range(5)]
    assert service.store is not None
    assert all(len(service.store.replays(i)) == 1 for i in ids)
    with pytest.raises(ValueError, match="no request"):
        await service.replay(999, echo.url)


async def wait_for_forward(service: InspectorService, request_id: int) -> ReplayAttempt:
    assert service.store is not None
    for _ in range(200):
        await service.forwards_settled()
        attempts = [a for a in service.store.replays(request_id) if a.kind == "forward"]
        if attempts:
            return attempts[-1]
        await asyncio.sleep(0.05)
    raise AssertionError("no forward recorded")


async def test_forward_mode_forwards_byte_exact_and_records_the_answer(
    service: InspectorService, echo: RawServer
) -> None:
    events: list[object] = []
    service.subscribe(events.append)
    await service.update_settings(replace(service.settings, forward_to=echo.url))
    body = b'{"entry": [\xff]}'
    assert service.receiver is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", service.receiver.port)
    writer.write(
        b"POST /hook?q=1 HTTP/1.1\r\nHost: me\r\nX-Dup: 1\r\nx-dup: 2\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    assert (await asyncio.wait_for(reader.read(), 10)).startswith(b"HTTP/1.1 200")
    writer.close()
    row = await newest(service)
    attempt = await wait_for_forward(service, row.id)
    assert attempt.kind == "forward"
    assert attempt.status == 200
    assert attempt.fidelity_ok is True
    [got] = echo.received
    assert got.request_line == b"POST /hook?q=1 HTTP/1.1"
    assert got.body == body
    assert got.headers == [
        (b"Host", f"127.0.0.1:{echo.port}".encode()), (b"X-Dup", b"1"), (b"x-dup", b"2"),
        (b"Content-Type", b"application/json"), (b"Content-Length", b"%d" % len(body)),
        (b"X-Webhook-Inspector-Forwarded", service.instance_id.encode()),
    ]  # fmt: skip
    row = (await newest(service))
    assert row.forward_status == 200
    assert row.forward_ms is not None
    assert row.forward_error is None
    assert not row.forward_too_slow
    assert ForwardDone(row.id, 200, attempt.latency_ms, None, attempt.id) in events


async def test_forward_failures_are_recorded_in_plain_words(
    service: InspectorService, closed_port: int
) -> None:
    target = f"http://127.0.0.1:{closed_port}/handler"
    await service.update_settings(replace(service.settings, forward_to=target))
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{service.url}/x", data=b"{}") as response:
            assert response.status == 200
    row = await newest(service)
    attempt = await wait_for_forward(service, row.id)
    message = f"connection refused: nothing is listening on 127.0.0.1:{closed_port}"
    assert attempt.error == message
    assert (await newest(service)).forward_error == message


async def test_forward_does_not_delay_the_answer_to_the_sender(
    service: InspectorService, slow: RawServer
) -> None:
    changed = replace(service.settings, forward_to=slow.url, replay_timeout=2.0)
    await service.update_settings(changed)
    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        async with session.post(f"{service.url}/x", data=b"{}") as response:
            assert response.status == 200
        assert time.monotonic() - started < 1.5  # the forward waits 2 s for the slow target
    row = await newest(service)
    assert row.forward_status is None  # still waiting
    attempt = await wait_for_forward(service, row.id)
    assert attempt.error == "no answer within 2 s"


async def test_forwarding_to_itself_is_refused(service: InspectorService) -> None:
    await service.update_settings(replace(service.settings, forward_to=f"{service.url}/loop"))
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{service.url}/x", data=b"{}") as response:
            assert response.status == 200
    row = await newest(service)
    attempt = await wait_for_forward(service, row.id)
    assert attempt.error is not None
    assert "own receiver" in attempt.error
    assert service.store is not None
    assert service.store.count() == 1


async def test_replay_stored_records_in_batches_and_survives_a_deleted_request(
    tmp_path: Path, echo: RawServer, replayer: Replayer
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from inspector.core.service import replay_stored
    from inspector.core.store import Record, Store

    store = Store.open(tmp_path / "b.db")
    writes = ThreadPoolExecutor(max_workers=1)
    try:
        records = [Record(CapturedRequest("POST", f"/r/{n}", body=b"x" * n), None)
                   for n in range(1, 6)]  # fmt: skip
        ids = store.insert_many(records)
        loop = asyncio.get_running_loop()
        calls: list[int] = []

        async def write(func):  # type: ignore[no-untyped-def]
            if not calls:
                await loop.run_in_executor(writes, store.delete, [ids[1]])  # deleted meanwhile
            calls.append(1)
            return await loop.run_in_executor(writes, func)

        seen: list[ReplayAttempt] = []
        attempts = await replay_stored(store, replayer, ids, echo.url, write=write,
                                       on_attempt=seen.append, concurrency=3)  # fmt: skip
    finally:
        writes.shutdown()
        store.close()
    assert [a.request_id for a in attempts] == ids
    assert all(a.ok for a in attempts)
    recorded = [a.id is not None for a in attempts]
    assert recorded.count(False) <= 1  # only the deleted one can be left unrecorded
    assert sorted(a.request_id for a in seen) == sorted(ids)
    assert len(echo.received) == 5


def test_reads_ahead_in_bounded_chunks() -> None:
    from inspector.core.service import READ_BATCH, READ_BYTES, _read_chunks

    items = [(n, n + 100) for n in range(READ_BATCH + 10)]
    assert [len(c) for c in _read_chunks(items, {})] == [READ_BATCH, 10]
    big = {101: READ_BYTES, 102: 10, 103: READ_BYTES * 2}
    chunks = _read_chunks(items[:5], big)
    assert [[i for _, i in c] for c in chunks] == [[100, 101], [102], [103], [104]]


async def test_resign_refreshes_timestamps(echo: RawServer, replayer: Replayer) -> None:
    from inspector.core.models import SigStatus
    from inspector.core.signatures import sign_request, verify_request

    old = sign_request(CapturedRequest("POST", "/slack", body=b"token=x&text=hi"), "slack", "s",
                       now=1_500_000_000)  # fmt: skip
    assert verify_request(old, "slack", "s").status == SigStatus.EXPIRED
    attempt = await replayer.send(old, echo.url, resign=("slack", "s"))
    [got] = echo.received
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in got.headers)
    received = CapturedRequest("POST", "/slack", headers=headers, body=got.body)
    assert verify_request(received, "slack", "s").status == SigStatus.VALID
    assert attempt.edited
    assert attempt.sent_body == old.body


async def test_imported_requests_are_not_forwarded(
    service: InspectorService, echo: RawServer
) -> None:
    await service.update_settings(replace(service.settings, forward_to=echo.url))
    imported = await service.ingest(CapturedRequest("POST", "/old", body=b"{}", source="import"))
    streamed = await service.ingest(CapturedRequest("POST", "/live", body=b"{}", source="relay"))
    await service.settled()
    await service.forwards_settled()
    assert service.store is not None
    assert service.store.replays(imported) == []
    assert [a.kind for a in service.store.replays(streamed)] == ["forward"]
    assert [r.request_line for r in echo.received] == [b"POST /live HTTP/1.1"]
