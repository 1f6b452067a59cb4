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
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from inspector import __version__
from inspector.core import redact, responses
from inspector.core.config import LOCAL_HOSTS, Settings
from inspector.core.connections import (
    IDLE_TIMEOUT,
    ConnectionLimit,
    ReceiverProtocol,
    max_connections,
)
from inspector.core.derive import handshake_answer, meta_handshake
from inspector.core.docker import listen_also
from inspector.core.models import CapturedRequest, Header
from inspector.core.store import StoreError
from inspector.core.tasks import TaskGroup
from inspector.core.tunnel import mark_tunnel

log = logging.getLogger(__name__)

RESERVED_PREFIX = "/_inspector/"
HEALTH_PATH = RESERVED_PREFIX + "health"
RESERVED_PATHS = frozenset({HEALTH_PATH, RESERVED_PREFIX + "stream", RESERVED_PREFIX + "responses"})
"""The only paths that are not captured, matched on the path exactly as sent (so
`/%5Finspector/health` or `/_inspector/other` are captured like any request)."""
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
        self._also: list[asyncio.Server] = []
        """Servers on the extra addresses of `Settings.also_listen` (the Docker bridge)."""
        self._refusals = TaskGroup()
        """Refusal records being stored; `stop` waits for them."""
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
        for method, path, handler in (("GET", HEALTH_PATH, self._health), *self.extra_routes):
            app.router.add_route(method, path, self._reserved(handler), expect_handler=self._expect)
        app.router.add_route("*", "/{tail:.*}", self._handle, expect_handler=self._expect)
        return app

    def _reserved(self, handler: Handler) -> Handler:
        """Run `handler` only when the path as sent is reserved (aiohttp routes on the decoded
        path: `/%5Finspector/health` would match too); anything else is captured."""

        async def route(request: web.Request) -> web.StreamResponse:
            if target_path(request) in RESERVED_PATHS:
                return await handler(request)
            return await self._handle(request)

        return route

    async def start(self, host: str, port: int) -> None:
        self.stopping = False
        redact.install(self._secrets)  # aiohttp logs the raw bytes of a request it refuses
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

        def factory() -> ReceiverProtocol:
            limit, refused, secrets = self.connections, self._refused, self._secrets
            return ReceiverProtocol(
                server, limit=limit, refused=refused, secrets=secrets, **options
            )

        try:
            self._listener = await loop.create_server(
                factory, host, port, reuse_address=True, backlog=BACKLOG
            )
        except (OSError, OverflowError) as exc:
            await self.stop()
            raise ReceiverError(_bind_error(host, port, exc)) from exc
        self.host, self.port = host, int(self._listener.sockets[0].getsockname()[1])
        self._also = await listen_also(
            lambda address: loop.create_server(
                factory, address, self.port, reuse_address=True, backlog=BACKLOG
            ),
            self._settings().also_listen,
        )

    def _secrets(self) -> tuple[str, ...]:
        token = self._settings().token
        return (token,) if token else ()

    async def stop(self) -> None:
        for hook in self.before_stop:
            await hook()
        if self._listener is not None:
            await self._drain()
            for listener in (self._listener, *self._also):
                listener.close()
            self._listener, self._also = None, []
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._refusals.wait()

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
        self._refusals.spawn(self._store_refusal(record), name="store a refusal record")

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
        """The app's own endpoints answer only to our own host names (DNS rebinding): the
        Host header and, in an absolute-form request line, the host it names."""
        allowed = self.allowed_hosts()
        return all(host_name(host).lower() in allowed for host in request_hosts(request))

    def allowed_hosts(self) -> frozenset[str]:
        """Local names, the address we listen on, and the configured public host names."""
        public = {name.lower() for name in self._settings().public_hosts}
        bound = {self.host, f"[{self.host}]"} if self.host else set()
        return LOCAL_HOSTS | bound | public

    def origin_allowed(self, origin: str) -> bool:
        """An Origin of ours: an allowed host name and our port (a public host name may also
        come without a port: the proxy in front of us)."""
        try:
            parts = urlsplit(origin)
            port = parts.port
        except ValueError:
            return False
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            return False
        shown = f"[{host}]" if ":" in host else host
        if shown not in self.allowed_hosts() and host not in self.allowed_hosts():
            return False
        public = {name.lower() for name in self._settings().public_hosts}
        if port is None and host in public:
            return True
        default = 443 if parts.scheme == "https" else 80
        return (port or default) == self.port

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
        path = target_path(request)
        if path in RESERVED_PATHS:
            return _json_response(405, {"error": f"{request.method} is not served on {path}"})
        settings = self._settings()
        read = await read_limited(request, settings.max_body)
        if read.over_limit:
            return await self._refuse(request, read, settings.max_body)
        captured = mark_tunnel(capture_request(request, read.body), settings.tunnel_hosts)
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


_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::[0-9]*)?")


def host_name(host: str) -> str:
    """The Host header without its port ('[::1]:80' -> '[::1]', 'a:80' -> 'a'); '' when it
    is not a plain host[:port] (`localhost:1@evil.com`, `[::1].evil.com`)."""
    match = _HOST.fullmatch(host.strip())
    return match.group(1) if match else ""


def target_path(request: web.Request) -> str:
    """The request target's path exactly as sent (not decoded); for an absolute-form target
    (`GET http://host/path`), its path part."""
    raw = request.raw_path.partition("?")[0]
    if raw.startswith("/"):
        return raw
    try:
        return URL(raw, encoded=True).raw_path
    except ValueError:
        return raw


def request_hosts(request: web.Request) -> list[str]:
    """The host names a request gives: its Host header, and the authority of an
    absolute-form target (both must be ours on reserved paths)."""
    hosts = [request.headers.get("Host", "")]
    raw = request.raw_path
    if not raw.startswith("/"):
        try:
            hosts.append(URL(raw, encoded=True).raw_authority)
        except ValueError:
            hosts.append(raw)
    return hosts


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
