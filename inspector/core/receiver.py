"""The embedded HTTP receiver: catch any request, store it byte-exact, then answer.

Bodies are read as they arrive on the wire (no decompression, no decoding), headers are kept
in order with duplicates. A 2xx goes out only after the request is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from inspector import __version__
from inspector.core import responses
from inspector.core.config import Settings
from inspector.core.connections import (
    IDLE_TIMEOUT,
    ConnectionLimit,
    ReceiverProtocol,
    max_connections,
)
from inspector.core.derive import handshake_answer, meta_handshake
from inspector.core.models import CapturedRequest, Header
from inspector.core.store import StoreError

log = logging.getLogger(__name__)

RESERVED_PREFIX = "/_inspector/"
LINGER_SECONDS = 1.0
"""After a refusal, how long unread request bytes are drained before the connection closes
(aiohttp's default is 10 s)."""
PARSER_LIMITS = {"max_headers": 16384, "max_field_size": 65536, "max_line_size": 65536}
"""aiohttp refuses more than 128 headers or 8 KiB lines by default: capture them instead
(a request beyond these is still answered 400 by the HTTP parser)."""
SHUTDOWN_WAIT = 5.0
"""On stop, requests in progress get this many seconds to finish (aiohttp's default: 60)."""
DRAIN_SECONDS = 1.0
"""On stop, at most this long new requests are answered 503 before the port closes."""
BACKLOG = 128
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
READ_CHUNK = 64 * 1024

Capture = Callable[[CapturedRequest, int | None, tuple[Header, ...], bytes], Awaitable[int]]
"""Store a request with the response we are about to send; returns its id. May raise
StoreError."""


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ReceiverError(Exception):
    """The receiver cannot start (port taken, address not available...)."""


@dataclass(frozen=True, slots=True)
class BodyRead:
    body: bytes
    over_limit: bool
    seen: int


def capture_request(request: web.Request, body: bytes) -> CapturedRequest:
    """The request as received: raw path and query, raw header bytes (Latin-1), exact body."""
    raw_path, _, raw_query = request.raw_path.partition("?")
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers)
    return CapturedRequest(
        method=request.method,
        path=raw_path,
        query=raw_query,
        headers=headers,
        body=body,
        remote=request.remote or "",
        http_version=f"{request.version.major}.{request.version.minor}",
        received_at_ns=time.time_ns(),
        scheme=request.scheme,
    )


async def read_limited(request: web.Request, limit: int) -> BodyRead:
    """Read the body, stopping as soon as it exceeds `limit` (memory stays bounded)."""
    declared = request.content_length
    if declared is not None and declared > limit:
        return BodyRead(b"", True, 0)
    if declared is not None:  # the common case: one read of exactly the announced bytes
        body = await request.content.readexactly(declared) if declared else b""
        return BodyRead(body, False, declared)
    chunks: list[bytes] = []
    seen = 0
    while chunk := await request.content.read(READ_CHUNK):
        seen += len(chunk)
        if seen > limit:
            return BodyRead(b"", True, seen)
        chunks.append(chunk)
    return BodyRead(b"".join(chunks), False, seen)


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size} bytes"


def refusal_reason(limit: int, declared: int | None, seen: int) -> str:
    if declared is not None and declared > limit:
        return (
            f"body of {declared} bytes (Content-Length) is over the {limit}-byte limit"
            f" ({_size_text(limit)})"
        )
    return f"body passed the {_size_text(limit)} limit after {_size_text(seen)} (stopped reading)"


def _json_response(status: int, payload: dict[str, object], **extra: str) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(payload).encode(), content_type="application/json",
        headers=extra,
    )  # fmt: skip


class Receiver:
    """aiohttp application around a `capture` callable; `settings` is read on every request,
    so changes apply at once."""

    def __init__(self, settings: Callable[[], Settings], capture: Capture) -> None:
        self._settings = settings
        self._capture = capture
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.host: str | None = None
        self.extra_routes: list[tuple[str, str, Handler]] = []
        self.connections = ConnectionLimit(max_connections())
        """Open connections; new ones beyond its limit are closed at once."""
        self._listener: asyncio.Server | None = None
        self._refusals: set[asyncio.Task[Any]] = set()
        self.stopping = False
        """Set while `stop` drains: new requests are answered 503."""
        self.problem: Callable[[], str | None] = lambda: None
        """Why capture does not work right now (health then answers 503), or None."""
        self.before_stop: list[Callable[[], Awaitable[None]]] = []
        """Called at the start of `stop()` (e.g. to end long-lived streams, which would
        otherwise hold the shutdown for aiohttp's shutdown timeout)."""
        self.responder = responses.Responder()
        """Chooses each answer from the response rules and counts the matches."""
        self.before_stop.append(self.responder.release)

    @property
    def url(self) -> str:
        host = self.host or "127.0.0.1"
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=1024**4)  # we enforce the limit ourselves
        app.router.add_route("GET", RESERVED_PREFIX + "health", self._health)
        for method, path, handler in self.extra_routes:
            app.router.add_route(method, path, handler)
        app.router.add_route("*", "/{tail:.*}", self._handle, expect_handler=self._expect)
        return app

    async def start(self, host: str, port: int) -> None:
        self.stopping = False
        self._runner = web.AppRunner(
            self.make_app(), handle_signals=False, shutdown_timeout=SHUTDOWN_WAIT
        )
        await self._runner.setup()
        server, loop = self._runner.server, asyncio.get_running_loop()
        assert server is not None
        options = {
            "loop": loop,
            "access_log": None,  # the default access log prints query strings (tokens)
            "auto_decompress": False,  # store gzip bodies as received
            "keepalive_timeout": IDLE_TIMEOUT,
            "lingering_time": LINGER_SECONDS,
            **PARSER_LIMITS,
        }
        try:
            self._listener = await loop.create_server(
                lambda: ReceiverProtocol(server, limit=self.connections, refused=self._refused,
                                         **options),
                host, port, reuse_address=True, backlog=BACKLOG,
            )  # fmt: skip
        except (OSError, OverflowError) as exc:
            await self.stop()
            raise ReceiverError(_bind_error(host, port, exc)) from exc
        self.host, self.port = host, int(self._listener.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        for hook in self.before_stop:
            await hook()
        if self._listener is not None:
            await self._drain()
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._refusals:
            await asyncio.wait(set(self._refusals))

    async def _drain(self) -> None:
        """Before the port closes: new requests are answered 503 (closing their connection),
        requests in progress finish; up to DRAIN_SECONDS while connections are open. A sender
        whose connection would otherwise be reset (with its request unanswered) gets an answer
        and stops sending here."""
        self.stopping = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connections.none_open.wait(), DRAIN_SECONDS)

    def _refused(self, record: CapturedRequest) -> None:
        """Store the record of a request the HTTP parser refused (answered 400 meanwhile);
        `stop` waits for these."""
        task = asyncio.get_running_loop().create_task(self._store_refusal(record))
        self._refusals.add(task)
        task.add_done_callback(self._refusals.discard)

    async def _store_refusal(self, record: CapturedRequest) -> None:
        try:
            await self._capture(record, 400, (("Connection", "close"),), b"")
        except StoreError as exc:
            log.error("refusal not recorded: %s", exc)

    # handlers

    async def _health(self, request: web.Request) -> web.Response:
        if not self.host_allowed(request):
            return _json_response(403, {"error": "foreign Host refused"})
        problem = self.problem()
        if problem is not None:
            return _json_response(503, {"ok": False, "error": problem, "version": __version__})
        return _json_response(200, {"ok": True, "version": __version__})

    def host_allowed(self, request: web.Request) -> bool:
        """The app's own endpoints answer only to our own host names (DNS rebinding)."""
        return host_name(request.host or "").lower() in self.allowed_hosts()

    def allowed_hosts(self) -> frozenset[str]:
        """Local names, the address we listen on, and the configured public host names."""
        public = {name.lower() for name in self._settings().public_hosts}
        return LOCAL_HOSTS | {self.host or ""} | public

    async def _expect(self, request: web.Request) -> web.StreamResponse | None:
        """Refuse an announced oversized body before sending `100 Continue`."""
        limit = self._settings().max_body
        declared = request.content_length
        if declared is not None and declared > limit:
            return await self._refuse(request, BodyRead(b"", True, 0), limit)
        if request.headers.get("Expect", "").lower() == "100-continue":
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.stopping:
            return _json_response(503, {"error": "shutting down, not stored"}, Connection="close")
        if request.path.startswith(RESERVED_PREFIX):
            return _json_response(404, {"error": f"unknown endpoint {request.path}"})
        settings = self._settings()
        read = await read_limited(request, settings.max_body)
        if read.over_limit:
            return await self._refuse(request, read, settings.max_body)
        captured = capture_request(request, read.body)
        answer = self._answer_for(captured, settings)
        try:
            await self._capture(captured, answer.status, answer.stored_headers, answer.body)
        except StoreError as exc:
            log.error("not stored: %s", exc)
            return _json_response(503, {"error": "request not stored", "reason": str(exc)})
        return await responses.send(request, answer, self.responder.wait)

    def _answer_for(self, captured: CapturedRequest, settings: Settings) -> responses.Answer:
        """The outage, Meta's handshake, or what the response rules say (core.responses)."""
        handshake = None if settings.outage else meta_handshake(captured)
        if handshake is not None:
            status, body = handshake_answer(handshake, settings.verify_token)
            return responses.Answer(status, (("Content-Type", "text/plain"),), body)
        return self.responder.answer(captured, settings.rules, settings.response, settings.outage)

    async def _refuse(self, request: web.Request, read: BodyRead, limit: int) -> web.Response:
        reason = refusal_reason(limit, request.content_length, read.seen)
        captured = replace(
            capture_request(request, b""),
            refused=reason,
            declared_size=request.content_length or read.seen,
        )
        body = json.dumps({"error": "payload too large", "reason": reason}).encode()
        headers = (("Content-Type", "application/json"), ("Connection", "close"))
        try:
            await self._capture(captured, 413, headers, body)
        except StoreError as exc:
            log.error("refusal not recorded: %s", exc)
        response = web.Response(status=413, body=body, headers=CIMultiDict(headers))
        response.force_close()  # after at most LINGER_SECONDS of draining what is still sent
        return response


def host_name(host: str) -> str:
    """The Host header without its port ('[::1]:80' -> '[::1]', 'a:80' -> 'a')."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _bind_error(host: str, port: int, exc: OSError | OverflowError) -> str:
    if isinstance(exc, OverflowError):
        return f"port {port} is out of range (0 to 65535)"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use: stop the other program, "
            "choose another port with --port, or use --port 0 to pick a free one"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"address {host} is not available on this machine"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port} (ports below 1024 need privileges)"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
