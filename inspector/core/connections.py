"""The receiver's connections: aiohttp's connection handler with a bounded number of
connections, an idle timeout, and a refusal record for requests its HTTP parser refuses.

aiohttp answers a request it cannot parse (bare LF line ends, folded headers, control
characters, too many or too long headers...) with 400 and logs a traceback; the request never
reaches a handler. `ReceiverProtocol` keeps the first RAW_LIMIT bytes of each request as they
arrived, and turns such an error into a 400 plus a stored refusal record (those bytes, with
credential header values and the stream token redacted, and the parser's reason), without a
traceback.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_request import BaseRequest

from inspector.core import redact
from inspector.core.models import CapturedRequest

log = logging.getLogger(__name__)

RAW_LIMIT = 8 * 1024
"""Bytes of a refused request kept in its record (request line and headers, as received)."""
IDLE_TIMEOUT = 75.0
"""Seconds an idle connection (none sent yet, or kept alive after an answer) stays open
(aiohttp's default is an hour: idle connections would pile up to the descriptor limit)."""
LINGER = 1.0
"""Seconds a connection stays half-open after a parser refusal (its answer is sent)."""
FD_RESERVE = 64
"""File descriptors left for the database, the writer pipe and the event streams."""


def max_connections() -> int:
    """Open connections allowed at once: 4096, or fewer when the descriptor limit is lower."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(16, min(4096, soft - FD_RESERVE))


Refused = Callable[[CapturedRequest], None]
"""Starts storing the refusal record of a request the parser refused (answered 400 at once)."""


class ConnectionLimit:
    """Counts open connections; beyond `limit`, new ones are closed at once (said once in the
    log until the count drops below the limit again)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self.turned_away = 0
        self.none_open = asyncio.Event()
        self.none_open.set()
        self._said = False

    def admit(self) -> bool:
        if self.open >= self.limit:
            self.turned_away += 1
            if not self._said:
                self._said = True
                log.warning(
                    "%d connections are open (the limit): new connections are closed at once "
                    "until some end (idle ones close after %g s)", self.limit, IDLE_TIMEOUT,
                )  # fmt: skip
            return False
        self.open += 1
        self.none_open.clear()
        return True

    def release(self) -> None:
        self.open -= 1
        if not self.open:
            self.none_open.set()
        if self.open < self.limit:
            self._said = False


class ReceiverProtocol(web.RequestHandler):
    """One client connection (see the module docstring)."""

    def __init__(
        self,
        manager: web.Server,
        *,
        limit: ConnectionLimit,
        refused: Refused,
        secrets: Callable[[], Iterable[str]] = tuple,
        **kwargs: Any,
    ) -> None:
        super().__init__(manager, **kwargs)
        self._limit = limit
        self._refused = refused
        self._secrets = secrets
        self._admitted = False
        self._head = bytearray()
        self._refusing = False
        self._lingering: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._limit.admit():
            transport.close()
            return
        self._admitted = True
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._admitted:
            self._admitted = False
            self._limit.release()
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if len(self._head) < RAW_LIMIT:
            self._head += data[: RAW_LIMIT - len(self._head)]
        super().data_received(data)

    def log_access(self, request: BaseRequest, response: web.StreamResponse, time: Any) -> None:
        """Called after every answer is written: the next request's bytes start afresh. After
        a parser refusal the connection closes, lingering (see `_linger`)."""
        self._head.clear()
        super().log_access(request, response, time)
        if self._refusing and self.transport is not None:
            self._linger(self.transport)
            self.transport = None  # ours now: aiohttp's handler ends without closing it

    def _linger(self, transport: asyncio.Transport) -> None:
        """Close after the client had LINGER seconds to stop sending: closing a socket with
        unread bytes resets the connection, and the client may then never read the 400."""
        self.close()  # whatever still arrives is ignored
        if transport.can_write_eof():
            transport.write_eof()
        self._lingering = transport
        asyncio.get_running_loop().call_later(LINGER, transport.close)

    def force_close(self) -> None:
        """Also ends a lingering close at once (the receiver is stopping)."""
        super().force_close()
        if self._lingering is not None:
            self._lingering.close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if not isinstance(exc, HttpProcessingError) or status != 400:
            return super().handle_error(request, status, exc, message)
        reason = parser_reason(exc)
        log.debug("request from %s refused by the HTTP parser", request.remote)
        head, remote = bytes(self._head), request.remote or ""
        self._refused(refusal_record(head, reason, remote, self._secrets()))
        self._refusing = True
        response = web.Response(status=400, text=f"400 Bad Request: {reason}\n")
        response.force_close()
        return response


def parser_reason(exc: HttpProcessingError) -> str:
    """The parser's reason on one line, without the echo of the offending bytes aiohttp adds
    (those are in the record's body, byte-exact)."""
    text = exc.message if isinstance(exc.message, str) else str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    first = first.split(": b'", 1)[0].split(': b"', 1)[0].rstrip(" :.")
    return f"the HTTP parser refused the request: {first[:200]}"


def refusal_record(
    head: bytes, reason: str, remote: str, secrets: Iterable[str] = ()
) -> CapturedRequest:
    """A record of a request the parser refused: its first bytes as the body (credentials
    redacted, see `redact.redact_bytes`), the method and path read from its first line when
    they look like one."""
    head = redact.redact_bytes(head, secrets)
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    parts = line.split(b" ")
    method = parts[0].decode("latin-1") if parts and 0 < len(parts[0]) <= 32 else ""
    target = parts[1].decode("latin-1") if len(parts) > 1 else ""
    path, _, query = target.partition("?")
    kept = f"; body: the first {len(head)} bytes as received" if head else ""
    return CapturedRequest(
        method=method if method.isascii() and method.isprintable() else "?",
        path=path[:2048] or "/",
        query=query[:2048],
        body=head,
        remote=remote,
        received_at_ns=time.time_ns(),
        refused=reason + kept,
    )
