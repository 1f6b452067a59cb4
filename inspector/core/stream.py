"""Our own event stream: `GET /_inspector/stream` serves every captured request as SSE.

This is the publishing half of relay mode (`serve --publish --token T` on a server, desktops
subscribe with the source format `inspector`). Each event is

    id: <our request id>
    event: request
    data: <one-line JSON in our export format (formats.request_to_json)>

The JSON is made with `keep_credentials=True`: it is transport, not a view, and the receiving
side must get the exact bytes (masking would change them and break signatures). Bodies that are
not UTF-8 travel as base64, header values as their Latin-1 reading, so every byte survives. Who
may read the stream is decided here: the token (`Authorization: Bearer`, compared in constant
time), the Host and Origin headers (DNS rebinding); the token never appears in logs or output.

A client that sends `Last-Event-ID: N` (or `?last_event_id=N`) first gets every stored request
with id > N, oldest first, read from SQLite page by page, then live ones; live requests that
arrive meanwhile are buffered by id and those already sent are skipped, so there is no gap and
no duplicate. A client without it gets live requests only (`?last_event_id=0`: everything). An
id beyond our newest one means our history was reset: the client gets everything from the start.
A keepalive comment goes out every 15 s. Each client has a bounded queue; one that falls too
far behind is disconnected and resumes with Last-Event-ID.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import json
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from aiohttp import web

from inspector.core.config import LOCAL_HOSTS, Settings, is_local_host
from inspector.core.events import Listener, RequestsStored, Stored
from inspector.core.formats.native import request_to_json
from inspector.core.models import Derived, StoredRequest
from inspector.core.receiver import (
    RESERVED_PREFIX,
    Receiver,
    host_name,
    request_hosts,
)
from inspector.core.store import Store
from inspector.core.tasks import TaskGroup

log = logging.getLogger(__name__)

STREAM_PATH = RESERVED_PREFIX + "stream"
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000
"""Sent as `retry:`: how long subscribers wait before reconnecting."""
QUEUE_ITEMS = 5000
QUEUE_BYTES = 64 * 1024 * 1024
"""A client with more than this many requests (or body bytes) waiting is too far behind."""
PAGE_ROWS = 200
PAGE_BYTES = 8 * 1024 * 1024
WRITE_BYTES = 1024 * 1024
"""Queued events are written in batches of about this size."""
CORS_HEADERS = "Authorization, Last-Event-ID, Cache-Control"


WRITE_STALL = KEEPALIVE_SECONDS
"""A client catching up whose connection takes no bytes for this long while it is more than
QUEUE_ITEMS requests (or QUEUE_BYTES of bodies) behind our newest request is disconnected."""


@dataclass(frozen=True, slots=True)
class StreamLimits:
    keepalive: float = KEEPALIVE_SECONDS
    retry_ms: int = RETRY_MS
    queue_items: int = QUEUE_ITEMS
    queue_bytes: int = QUEUE_BYTES
    write_stall: float = WRITE_STALL


EVENT_OVERHEAD = 1024 * 1024
"""What an event may hold besides its body: headers, path, query, our answer, derived fields."""


def event_limit(max_body: int) -> int:
    """The largest event a relay with this body limit sends (and a subscriber with the same
    limit accepts): the body at its worst encoding, base64 (4/3), plus EVENT_OVERHEAD."""
    return 4 * ((max_body + 2) // 3) + EVENT_OVERHEAD


def encode_event(stored: StoredRequest) -> bytes:
    """One SSE event for a stored request (the data is one line: JSON escapes line breaks).

    Text is written as UTF-8, not as `\\uXXXX` escapes, and a UTF-8 body whose JSON escaping
    would be larger than base64 (control characters grow sixfold) travels as base64: the body
    never takes more than 4/3 of its size (see event_limit)."""
    data = request_to_json(stored, keep_credentials=True)
    body = stored.request.body
    if data["body_encoding"] == "utf-8" and _escaped_size(data["body"]) > _base64_size(body):
        data["body"], data["body_encoding"] = base64.b64encode(body).decode("ascii"), "base64"
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    # a lone surrogate (only possible in derived text) becomes its JSON escape again
    line = text.encode("utf-8", "backslashreplace")
    return b"id: %d\nevent: request\ndata: %s\n\n" % (stored.id, line)


def _escaped_size(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2


def _base64_size(body: bytes) -> int:
    return 4 * ((len(body) + 2) // 3)


def stored_request(item: Stored) -> StoredRequest:
    """A live item (as the writer reports it) in the shape the store returns."""
    record = item.record
    request = record.request
    if request.id != item.id:
        request = replace(request, id=item.id)
    return StoredRequest(
        request=request,
        derived=record.derived or Derived(),
        response_status=record.response_status,
        response_headers=record.response_headers,
        response_body=record.response_body,
    )


def read_page(store: Store, after: int) -> list[StoredRequest]:
    """Stored requests with id > after, oldest first: at most PAGE_ROWS rows and about
    PAGE_BYTES of bodies (always at least one row). Blocking: run it on a thread."""
    rows = (
        store.reader()
        .execute(
            "SELECT id, body_size FROM requests WHERE id > ? ORDER BY id LIMIT ?",
            (after, PAGE_ROWS),
        )
        .fetchall()
    )
    ids: list[int] = []
    size = 0
    for request_id, body_size in rows:
        if ids and size + int(body_size) > PAGE_BYTES:
            break
        ids.append(int(request_id))
        size += int(body_size)
    page = store.get_many(ids)  # two queries for the page, not two per request
    if not page and rows:  # every row of the page was deleted meanwhile: step over them
        return read_page(store, int(rows[-1][0]))
    return page


def behind(store: Store, sent: int) -> tuple[int, int]:
    """How many stored requests (and body bytes) come after id `sent`. Blocking."""
    row = (
        store.reader()
        .execute("SELECT count(*), coalesce(sum(body_size), 0) FROM requests WHERE id > ?", (sent,))
        .fetchone()
    )
    return int(row[0]), int(row[1])


def last_event_id(request: web.Request) -> int | None:
    """The id the client has seen up to (header, else ?last_event_id=), or None."""
    text = request.headers.get("Last-Event-ID")
    if text is None:
        text = request.query.get("last_event_id")
    if text is None:
        return None
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


class _Client:
    """One connected subscriber: its live queue and its phase."""

    def __init__(self, limits: StreamLimits, transport: asyncio.Transport | None) -> None:
        self.limits = limits
        self.transport = transport
        self.queue: deque[Stored] = deque()
        self.queued_bytes = 0
        self.wake = asyncio.Event()
        self.catching_up = True
        self.missed = 0
        self.closed: str | None = None
        self.done = asyncio.Event()

    def add(self, items: Sequence[Stored]) -> None:
        if self.closed:
            return
        for item in items:
            self.queue.append(item)
            self.queued_bytes += len(item.record.request.body)
        if len(self.queue) > self.limits.queue_items or self.queued_bytes > self.limits.queue_bytes:
            self.queue.clear()
            self.queued_bytes = 0
            if self.catching_up:
                self.missed += 1  # these rows are committed: the backlog reads them again
            else:
                self.close("too far behind", abort=True)
        self.wake.set()

    def take(self) -> list[Stored]:
        items = list(self.queue)
        self.queue.clear()
        self.queued_bytes = 0
        self.wake.clear()
        return items

    def close(self, reason: str, *, abort: bool = False) -> None:
        if self.closed is None:
            self.closed = reason
        self.wake.set()
        if abort and self.transport is not None:
            self.transport.abort()  # a write blocked on a full socket fails at once


class StreamPublisher:
    """Serves /_inspector/stream from a service's store and its RequestsStored events."""

    def __init__(
        self,
        settings: Callable[[], Settings],
        store: Callable[[], Store],
        subscribe: Callable[[Listener], Callable[[], None]],
        *,
        limits: StreamLimits | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._subscribe = subscribe
        self.limits = limits or StreamLimits()
        self._clients: set[_Client] = set()
        self._receiver: Receiver | None = None
        self._watchers = TaskGroup()

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def install(self, receiver: Receiver) -> None:
        """Add our routes to the receiver (before it starts) and end streams when it stops."""
        self._receiver = receiver
        receiver.extra_routes.append(("GET", STREAM_PATH, self.handle))
        for path in (STREAM_PATH, RESERVED_PREFIX + "health"):
            receiver.extra_routes.append(("OPTIONS", path, self.preflight))
        receiver.before_stop.append(self.close)

    async def close(self, grace: float = 1.0) -> None:
        """End every stream: cleanly when the client keeps up, else by closing the socket."""
        clients = list(self._clients)
        for client in clients:
            client.close("server stopping")
        if clients:
            waits = [asyncio.shield(c.done.wait()) for c in clients]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await asyncio.gather(*waits)
        for client in clients:
            if not client.done.is_set():
                client.close("server stopping", abort=True)

    # access

    def _allowed_hosts(self) -> frozenset[str]:
        if self._receiver is not None:
            return self._receiver.allowed_hosts()
        return LOCAL_HOSTS | {h.lower() for h in self._settings().public_hosts}

    def _origin_allowed(self, origin: str) -> bool:
        if self._receiver is not None:
            return self._receiver.origin_allowed(origin)
        try:
            host = urlsplit(origin).hostname
        except ValueError:
            return False
        return bool(host) and (host or "").lower() in self._allowed_hosts()

    def _local_only(self, request: web.Request) -> bool:
        """Listening on loopback and not reached through a proxy (no forwarding headers)."""
        bound = (self._receiver.host if self._receiver else None) or "127.0.0.1"
        if not is_local_host(bound):
            return False
        return "Forwarded" not in request.headers and "X-Forwarded-For" not in request.headers

    def refusal(self, request: web.Request) -> web.Response | None:
        """403 for a foreign Host or Origin, or without a token configured when the stream
        could be read from elsewhere (a non-loopback address, a proxy); 401 without the right
        token; else None."""
        allowed = self._allowed_hosts()
        if any(host_name(host).lower() not in allowed for host in request_hosts(request)):
            return _error(403, "foreign Host refused (add it with --public-host)")
        origin = request.headers.get("Origin")
        if origin is not None and not self._origin_allowed(origin):
            return _error(403, "foreign Origin refused")
        token = self._settings().token
        if not token and not self._local_only(request):
            return _error(403, "publishing beyond this machine needs a token (--token)")
        if token:
            given = request.headers.get("Authorization", "")
            scheme, _, value = given.partition(" ")
            ok = scheme.lower() == "bearer" and hmac.compare_digest(
                value.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8")
            )
            if not ok:
                return _error(401, "missing or wrong token", **{"WWW-Authenticate": "Bearer"})
        return None

    # handlers

    async def preflight(self, request: web.Request) -> web.Response:
        """CORS preflight on /_inspector/*: only our own origins, never '*'."""
        origin = request.headers.get("Origin")
        headers = {"Allow": "GET, OPTIONS", "Vary": "Origin"}
        if origin is not None:
            if not self._origin_allowed(origin):
                return _error(403, "foreign Origin refused")
            headers.update({
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "GET, OPTIONS",
                "Access-Control-Allow-Headers": CORS_HEADERS,
                "Access-Control-Max-Age": "600",
            })  # fmt: skip
        return web.Response(status=204, headers=headers)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self._settings().publish:
            return _error(404, "the stream is not published (start with serve --publish)")
        refused = self.refusal(request)
        if refused is not None:
            return refused
        after = last_event_id(request)
        client = _Client(self.limits, request.transport)
        client.catching_up = after is not None  # live-only clients have no backlog to re-read
        loop = asyncio.get_running_loop()
        store = self._store()
        if after is not None and after > await loop.run_in_executor(None, store.last_id):
            after = 0  # our history was reset (or the id is from elsewhere): send it all
        unsubscribe = self._subscribe(lambda event: self._on_event(client, event))
        self._clients.add(client)
        headers = {
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache, no-store",
            "X-Accel-Buffering": "no",  # nginx: pass events on at once
        }
        origin = request.headers.get("Origin")
        if origin is not None:
            headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
        response = web.StreamResponse(status=200, headers=headers)
        try:
            await response.prepare(request)
            await response.write(f"retry: {self.limits.retry_ms}\n: connected\n\n".encode())
            sent = -1
            if after is not None:
                sent = await self._catch_up(client, response, store, after)
            client.catching_up = False
            await self._live(client, request, response, sent)
        except (ConnectionError, asyncio.CancelledError) as exc:
            client.close("disconnected")
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            unsubscribe()
            self._clients.discard(client)
            client.done.set()
        if client.closed not in (None, "disconnected", "server stopping"):
            log.info("stream client disconnected: %s", client.closed)
        return response

    def _event(self, stored: StoredRequest) -> bytes:
        event = encode_event(stored)
        limit = event_limit(self._settings().max_body)
        if len(event) > limit:  # headers beyond EVENT_OVERHEAD: say so, subscribers will
            log.warning(
                "event %d is %d bytes, over the %d bytes a subscriber with the same --max-body "
                "accepts", stored.id, len(event), limit,
            )  # fmt: skip
        return event

    def _on_event(self, client: _Client, event: object) -> None:
        if isinstance(event, RequestsStored):
            client.add(event.items)

    async def _catch_up(
        self, client: _Client, response: web.StreamResponse, store: Store, after: int
    ) -> int:
        """Send every stored request with id > after; returns the last id sent. Ends only
        after a page came back empty while no live request was dropped from the buffer (a
        dropped one is committed, so the next page reads it)."""
        loop = asyncio.get_running_loop()
        sent = after
        while client.closed is None:
            missed = client.missed
            page = await loop.run_in_executor(None, read_page, store, sent)
            if not page and client.missed == missed:
                break
            while page and client.closed is None:  # about WRITE_BYTES per write
                batch, size = [], 0
                while page and size < WRITE_BYTES:
                    batch.append(self._event(page[0]))
                    size += len(batch[-1])
                    last = page.pop(0).id
                await self._write_or_drop(client, response, b"".join(batch), store, sent)
                sent = last
        return sent

    async def _write_or_drop(
        self, client: _Client, response: web.StreamResponse, data: bytes, store: Store, sent: int
    ) -> None:
        """Write `data`; while the connection takes nothing for `write_stall` seconds and the
        client is too far behind (the live rule: queue_items requests or queue_bytes of bodies
        after `sent`), disconnect it: a client that does not read holds no memory for long."""
        watch = self._watchers.spawn(self._watch(client, store, sent), name="stream-stall")
        try:
            await response.write(data)
        finally:
            watch.cancel()

    async def _watch(self, client: _Client, store: Store, sent: int) -> None:
        loop = asyncio.get_running_loop()
        while client.closed is None:
            await asyncio.sleep(self.limits.write_stall)
            rows, size = await loop.run_in_executor(None, behind, store, sent)
            if rows > self.limits.queue_items or size > self.limits.queue_bytes:
                client.close("too far behind", abort=True)

    async def _live(
        self, client: _Client, request: web.Request, response: web.StreamResponse, sent: int
    ) -> None:
        keepalive = self.limits.keepalive
        while client.closed is None:
            if not self._settings().publish or self.refusal(request) is not None:
                client.close("publishing stopped or the token changed")
                break
            if not client.queue:
                try:
                    async with asyncio.timeout(keepalive):
                        await client.wake.wait()
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
            batch: list[bytes] = []
            size = 0
            for item in client.take():
                if item.id <= sent:
                    continue  # already sent from the backlog
                event = self._event(stored_request(item))
                batch.append(event)
                size += len(event)
                sent = item.id
                if size >= WRITE_BYTES:
                    await response.write(b"".join(batch))
                    batch, size = [], 0
            if batch:
                await response.write(b"".join(batch))


def _error(status: int, message: str, **headers: str) -> web.Response:
    return web.Response(
        status=status, body=json.dumps({"error": message}).encode(),
        content_type="application/json", headers=headers,
    )  # fmt: skip
