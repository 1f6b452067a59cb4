"""Server-sent events: an incremental parser and a reconnecting client that stores each event.

The parser follows the WHATWG EventSource processing model (docs/providers.md): it is fed bytes in
any chunking and gives the same events for every chunking of the same stream. The client keeps
one source connected: no total timeout (a stream is meant to stay open), a stall timeout instead
(nothing at all, not even a keepalive comment, for `stall_timeout` seconds means the connection
is dead), reconnects with exponential backoff and jitter (the server's `retry:` is the base
delay, at least `SERVER_RETRY_FLOOR`) and sends `Last-Event-ID`. Every event is stored through
`ingest` as a captured request, shaped by the source's format (`generic`, `wsapi`, `smee`,
`inspector`).

Header values of a source (API keys, bearer tokens) and the URL's query and user info are never
logged nor shown in a state: `redacted_url` is what appears.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import aiohttp

from inspector import __version__
from inspector.core.config import (
    DEFAULT_MAX_EVENT,
    SOURCE_FORMATS,
    SseSource,
    parse_header_option,
    redacted_url,
)
from inspector.core.events import SourceState
from inspector.core.formats.common import FormatError
from inspector.core.formats.native import request_from_json
from inspector.core.models import CapturedRequest, Header
from inspector.core.tasks import TaskGroup

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MAX_EVENT",
    "SERVER_RETRY_FLOOR",
    "SOURCE_FORMATS",
    "LastIds",
    "Position",
    "SseClient",
    "SseEvent",
    "SseParser",
    "SseSource",
    "SseTooLarge",
    "event_to_request",
    "legacy_last_ids",
    "parse_header_option",
    "redacted_url",
]

BOM = b"\xef\xbb\xbf"
_EOL = re.compile(rb"\r\n?|\n")
SKIP_LINE_LIMIT = 4096
"""While skipping an oversize event, lines up to this long are still read for `id:`, `event:`
and `retry:` (so the last event id stays right); longer lines are only counted."""

IN_FLIGHT_EVENTS = 1024
IN_FLIGHT_BYTES = 32 * 1024 * 1024
"""Events read but not yet committed, at most (then reading waits for the store)."""
SETTLE_GRACE = 5.0
"""When a connection ends, seconds to wait for its submitted events to be committed."""
STATE_EVERY = 0.25
"""Event count updates are published at most this often (state changes at once)."""

SMEE_NOTE = "body re-serialised by smee; signatures may not verify"
NOTE_HEADER = "X-Inspector-Note"
SMEE_CONTROL_EVENTS = frozenset({"ready", "ping"})
SMEE_EXTRA_KEYS = frozenset({"body", "query", "timestamp"})


# --- parser ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched event: its type ('message' by default), data lines joined with '\\n',
    and the last event id in force when it was dispatched ('' when none)."""

    data: str
    event: str = "message"
    id: str = ""


@dataclass(frozen=True, slots=True)
class SseTooLarge:
    """An event over the size limit was skipped (never buffered whole)."""

    size: int
    limit: int
    event: str = "message"
    id: str = ""

    @property
    def message(self) -> str:
        return f"event too large ({self.size} bytes, limit {self.limit})"


Parsed = SseEvent | SseTooLarge


class SseParser:
    """Incremental EventSource parser. `feed(bytes)` returns the events completed by that chunk.

    Lines end with CR, LF or CRLF (a CRLF split across chunks counts once); a UTF-8 BOM at the
    very start is skipped; lines starting with ':' are comments (keepalives); `data:` lines are
    joined with '\\n'; `id:` sets the last event id (kept across events; ignored when it holds
    NUL); `retry:` (ASCII digits only) sets `retry_ms`; one space after the colon is stripped; a
    line without a colon is a field with an empty value; unknown fields are ignored. A blank
    line dispatches; nothing is dispatched when no `data` field was seen. An incomplete event at
    the end of the stream is never dispatched (`feed` simply does not return it).

    An event whose lines add up to more than `max_event` bytes is skipped up to the next blank
    line and reported as `SseTooLarge`; memory stays bounded by `max_event` (plus one chunk).
    """

    def __init__(self, *, max_event: int = DEFAULT_MAX_EVENT, last_event_id: str = "") -> None:
        self.max_event = max_event
        self.last_event_id = last_event_id
        self.retry_ms: int | None = None
        self._line = bytearray()
        self._line_dropped = False
        self._after_cr = False
        self._head: bytes | None = b""  # bytes seen before the BOM decision; None once made
        self._data: list[str] = []
        self._event = ""
        self._id_buffer = last_event_id
        self._size = 0
        self._skipping = False

    def feed(self, chunk: bytes) -> list[Parsed]:
        if not chunk:
            return []
        if self._head is not None:
            head = self._head + chunk
            if len(head) < len(BOM) and BOM.startswith(head):
                self._head = head
                return []
            self._head = None
            chunk = head[len(BOM) :] if head.startswith(BOM) else head
        out: list[Parsed] = []
        pos = 0
        if self._after_cr and chunk[:1] == b"\n":
            pos = 1  # the LF of a CRLF whose CR ended the previous chunk
        self._after_cr = False
        for match in _EOL.finditer(chunk, pos):
            self._append(chunk, pos, match.start())
            self._end_line(out)
            pos = match.end()
        if pos < len(chunk):
            self._append(chunk, pos, len(chunk))
        elif chunk.endswith(b"\r"):
            self._after_cr = True
        return out

    def _append(self, chunk: bytes, start: int, end: int) -> None:
        if start == end:
            return
        if self._line_dropped:
            self._size += end - start
            return
        self._line += chunk[start:end]
        limit = SKIP_LINE_LIMIT if self._skipping else self.max_event - self._size
        if len(self._line) > limit:
            # too long to keep: count it and drop it (an oversize data line, usually)
            self._size += len(self._line)
            self._line.clear()
            self._line_dropped = True
            self._skipping = True
            self._data.clear()

    def _end_line(self, out: list[Parsed]) -> None:
        if self._line_dropped:
            self._line_dropped = False
            self._size += 1
            return
        if not self._line:
            self._dispatch(out)
            return
        line = bytes(self._line)
        self._line.clear()
        self._size += len(line) + 1
        if not self._skipping and self._size > self.max_event:
            self._skipping = True
            self._data.clear()
        if line[:1] == b":":
            return
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        self._field(name, value)

    def _field(self, name: bytes, value: bytes) -> None:
        if name == b"data":
            if not self._skipping:
                self._data.append(value.decode("utf-8", errors="replace"))
        elif name == b"event":
            self._event = value.decode("utf-8", errors="replace")
        elif name == b"id" and b"\x00" not in value:
            self._id_buffer = value.decode("utf-8", errors="replace")
        elif name == b"retry" and value.isdigit():  # bytes.isdigit: ASCII digits only
            self.retry_ms = int(value)

    def _dispatch(self, out: list[Parsed]) -> None:
        self.last_event_id = self._id_buffer
        event = self._event or "message"
        if self._skipping:
            out.append(SseTooLarge(self._size, self.max_event, event, self.last_event_id))
        elif self._data:
            out.append(SseEvent("\n".join(self._data), event, self.last_event_id))
        self._data.clear()
        self._event = ""
        self._size = 0
        self._skipping = False


# --- sources: events -> captured requests ---------------------------------------------------


def _latin1(text: str) -> str:
    """A header value in the models.Header convention (bytes read as Latin-1)."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8").decode("latin-1")
    return text


def _source_path(url: str) -> str:
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "/"


def _source_host(url: str) -> str:
    try:
        parts = urlsplit(url)
        return parts.hostname or ""
    except ValueError:
        return ""


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme or "http"
    except ValueError:
        return "http"


def event_to_request(
    source: SseSource, event: SseEvent, *, received_at_ns: int | None = None
) -> CapturedRequest | None:
    """The captured request an event stands for in `source.format`; None for control events
    (smee's `ready` and `ping`). Raises ValueError when the data does not fit the format."""
    now = received_at_ns or time.time_ns()
    common: dict[str, Any] = {
        "received_at_ns": now, "source": source.name, "remote": _source_host(source.url),
        "scheme": _scheme(source.url),
    }  # fmt: skip
    if source.format == "inspector":
        return _inspector_request(source, event)
    if source.format == "smee":
        return _smee_request(source, event, common)
    sse_headers: list[Header] = [("X-SSE-Event", _latin1(event.event))]
    if event.id:
        sse_headers.append(("X-SSE-Id", _latin1(event.id)))
    body = event.data.encode("utf-8")
    if source.format == "wsapi":
        headers: list[Header] = [("Content-Type", "application/json")]
        instance = source.header("X-Instance-Id")
        if instance:
            headers.append(("X-Instance-Id", instance))
        return CapturedRequest(
            method="POST", path="/wsapi", headers=(*headers, *sse_headers), body=body, **common
        )
    return CapturedRequest(
        method="SSE", path=_source_path(source.url), headers=tuple(sse_headers), body=body,
        **common,
    )  # fmt: skip


def _inspector_request(source: SseSource, event: SseEvent) -> CapturedRequest | None:
    if event.event != "request":
        return None
    try:
        data = json.loads(event.data)
    except ValueError as exc:
        raise ValueError(f"event {event.id or '?'} is not JSON: {exc}") from None
    try:
        request = request_from_json(data, f"event {event.id or '?'}")
    except FormatError as exc:
        raise ValueError(str(exc)) from None
    if isinstance(data, dict) and data.get("body_masked"):
        raise ValueError(f"event {event.id or '?'}: the relay masked the body (not byte-exact)")
    return replace(request, source=source.name)


def _smee_request(
    source: SseSource, event: SseEvent, common: dict[str, Any]
) -> CapturedRequest | None:
    if event.event in SMEE_CONTROL_EVENTS:
        return None
    try:
        data = json.loads(event.data)
    except ValueError as exc:
        raise ValueError(f"smee event is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("smee event is not a JSON object")
    if "body" not in data and not any(k for k in data if k not in SMEE_EXTRA_KEYS):
        return None  # an empty keepalive-like object
    body = b""
    if "body" in data:
        body = json.dumps(data["body"], separators=(",", ":"), ensure_ascii=False).encode()
    headers: list[Header] = []
    for key, value in data.items():
        if key in SMEE_EXTRA_KEYS or not isinstance(key, str):
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            text = item if isinstance(item, str) else json.dumps(item)
            if key.lower() == "content-length":
                text = str(len(body))  # the original length no longer applies
            headers.append((_latin1(key), _latin1(text)))
    headers.append((NOTE_HEADER, SMEE_NOTE))
    query = data.get("query")
    query_text = urlencode(query, doseq=True) if isinstance(query, dict) else ""
    timestamp = data.get("timestamp")
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool) and timestamp > 0:
        common = {**common, "received_at_ns": int(timestamp * 1_000_000)}
    return CapturedRequest(
        method="POST", path=_source_path(source.url), query=query_text, headers=tuple(headers),
        body=body, **common,
    )  # fmt: skip


# --- client ---------------------------------------------------------------------------------

CONNECTING = "connecting"
LIVE = "live"
RETRYING = "retrying"
SERVER_RETRY_FLOOR = 0.5
"""Seconds: a server's `retry:` below this counts as this (`retry: 0` would otherwise make the
client reconnect many times a second to a server that closes at once)."""
STOPPED = "stopped"


class _Stop(Exception):
    """The server told us to stop (204, 401, 403): do not reconnect."""


class _Retry(Exception):
    """The connection is unusable for a reason worth reporting; reconnect later."""


Position = tuple[str, str]
"""(source key, last event id), stored with an event (store.Record.position)."""
Ingest = Callable[[CapturedRequest, Position | None], Coroutine[Any, Any, int]]
"""Store a request with its source's position; returns its id."""


class LastIds:
    """Last event id per source. Each stored event carries its source's position into the
    store, saved in the same SQLite transaction as the event (`position`; the service passes
    it to the writer), so a restart after a crash resumes exactly after the last stored event.
    Events that store nothing (control events, ids without data) only move the position in
    memory: after a crash they may be received again, which stores nothing twice."""

    def __init__(self, saved: dict[str, str] | None = None) -> None:
        self._ids: dict[str, str] = dict(saved or {})

    @staticmethod
    def key(source: SseSource) -> str:
        return f"{source.name} {redacted_url(source.url)}"

    def get(self, source: SseSource) -> str:
        return self._ids.get(self.key(source), "")

    def set(self, source: SseSource, last_id: str) -> None:
        self._ids[self.key(source)] = last_id

    def position(self, source: SseSource, last_id: str) -> Position | None:
        """What to store with an event whose id in force is `last_id` (None: no id yet)."""
        return (self.key(source), last_id) if last_id else None


def legacy_last_ids(db_path: Path) -> dict[str, str]:
    """Positions an older version kept beside the database (`history.db.sources.json`)."""
    path = db_path.with_name(db_path.name + ".sources.json")
    try:
        loaded = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


class SseClient:
    """Keeps one source connected and stores its events through `ingest`.

    `run()` returns when the server tells us to stop (204, 401, 403) and is otherwise cancelled
    by its owner. States go to `publish` as `SourceState`."""

    def __init__(
        self,
        source: SseSource,
        ingest: Ingest,
        publish: Callable[[SourceState], None],
        *,
        last_ids: LastIds | None = None,
        max_event: int | None = None,
    ) -> None:
        """`max_event`: the largest event accepted (default: the source's own max_event)."""
        self.source = source
        self.max_event = max_event or source.max_event
        self._ingest = ingest
        self._publish = publish
        self._last_ids = last_ids or LastIds(None)
        self.last_event_id = self._last_ids.get(source)
        self.retry_ms: int | None = None
        self.events = 0
        self.lost = 0
        self.last_error: str | None = None
        self.connections = 0
        self.state = SourceState(source.name, CONNECTING, CONNECTING)
        self._failures = 0
        self._rng = random.Random()
        self._pending_bytes = 0
        self._store_failed: str | None = None
        self._count_timer: asyncio.TimerHandle | None = None

    # state

    def _set(self, state: str, detail: str) -> None:
        if self._count_timer is not None:  # this state carries the count too
            self._count_timer.cancel()
            self._count_timer = None
        self.state = SourceState(
            self.source.name, state, detail, self.events, self.last_error, self.lost
        )
        self._publish(self.state)

    def _lose(self, message: str) -> None:
        """An event was received and cannot be stored: record why and tell the app at once."""
        self._error(message)
        self.lost += 1
        self.state = replace(self.state, events=self.events, last_error=message, lost=self.lost)
        self._publish(self.state)

    def _error(self, message: str) -> None:
        self.last_error = message
        log.info("source %s (%s): %s", self.source.name, redacted_url(self.source.url), message)

    # loop

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(
            total=None,  # a stream stays open: the stall timeout below detects dead ones
            connect=self.source.connect_timeout,
            sock_connect=self.source.connect_timeout,
        )
        try:
            async with aiohttp.ClientSession(timeout=timeout, auto_decompress=True) as session:
                while True:
                    self._set(CONNECTING, CONNECTING)
                    try:
                        await self._connect(session)
                    except _Stop as stop:
                        self._error(str(stop))
                        self._set(STOPPED, f"stopped: {stop}")
                        return
                    except _Retry as exc:
                        self._error(str(exc))
                    except TimeoutError:
                        self._error("connection timed out")
                    except (aiohttp.ClientError, OSError) as exc:
                        self._error(_describe(exc))
                    delay = self._next_delay()
                    self._set(RETRYING, f"retrying in {_seconds(delay)}")
                    await asyncio.sleep(delay)
        finally:
            self._flush_count()

    def _next_delay(self) -> float:
        """Exponential backoff from the base delay (the server's `retry:` when given), with
        jitter; the first retry after a live connection waits just about the base delay."""
        base = self.source.retry_initial
        if self.retry_ms is not None:
            base = max(self.retry_ms / 1000, SERVER_RETRY_FLOOR)
        base = max(base, 0.05)
        delay = min(self.source.retry_max, base * 2.0 ** min(self._failures, 16))
        self._failures += 1
        return delay * self._rng.uniform(0.75, 1.25)

    def _request_headers(self) -> dict[str, str]:
        headers = {
            "Accept": "text/event-stream",
            "Cache-Control": "no-cache",
            "User-Agent": f"webhook-inspector/{__version__}",
        }
        for name, value in self.source.headers:
            headers[name] = value
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        return headers

    async def _connect(self, session: aiohttp.ClientSession) -> None:
        self.connections += 1
        async with session.get(
            self.source.url, headers=self._request_headers(), allow_redirects=False
        ) as response:
            _check_response(response)
            self._set(LIVE, LIVE)
            await self._read(response)
        raise _Retry("the server closed the stream")

    async def _read(self, response: aiohttp.ClientResponse) -> None:
        """Parse the stream and store its events. Events are submitted in order as they come
        (so they share group commits) while reading goes on; at most IN_FLIGHT_EVENTS /
        IN_FLIGHT_BYTES wait for their commit. The last event id advances only over stored
        events, so a reconnect never skips one."""
        parser = SseParser(max_event=self.max_event, last_event_id=self.last_event_id)
        stall = self.source.stall_timeout
        tasks = TaskGroup()
        pending: deque[tuple[str, asyncio.Task[int] | None, int]] = deque()
        self._pending_bytes = 0
        self._store_failed = None
        try:
            while True:
                try:
                    async with asyncio.timeout(stall):
                        chunk = await response.content.readany()
                except TimeoutError:
                    raise _Retry(
                        f"nothing received for {_seconds(stall)} (not even a keepalive): "
                        "reconnecting"
                    ) from None
                if not chunk:
                    return
                if self._failures:
                    self._failures = 0  # data flows: the next reconnect starts from the base
                for item in parser.feed(chunk):
                    self._submit(item, pending, tasks)
                if parser.retry_ms is not None:
                    self.retry_ms = parser.retry_ms
                newest = pending[-1][0] if pending else self.last_event_id
                if parser.last_event_id != newest:  # an id came with an event without data
                    pending.append((parser.last_event_id, None, 0))
                await self._settle(pending, keep=IN_FLIGHT_EVENTS)
        finally:
            try:  # what was submitted gets stored: wait for it, so the last id is right
                async with asyncio.timeout(SETTLE_GRACE):
                    await self._settle(pending, keep=0)
            except (TimeoutError, _Retry):
                pass
            await tasks.close()
            self._flush_count()

    def _submit(
        self,
        item: Parsed,
        pending: deque[tuple[str, asyncio.Task[int] | None, int]],
        tasks: TaskGroup,
    ) -> None:
        request: CapturedRequest | None
        try:
            request = self._to_request(item)
        except ValueError as exc:
            self._lose(str(exc))
            request = None
        if request is None:
            pending.append((item.id, None, 0))
            return
        size = len(request.body)
        self._pending_bytes += size
        position = self._last_ids.position(self.source, item.id)
        task = tasks.spawn(self._ingest(request, position), name="sse-ingest")
        task.add_done_callback(lambda _: self._advance(pending))
        pending.append((item.id, task, size))

    def _advance(self, pending: deque[tuple[str, asyncio.Task[int] | None, int]]) -> None:
        """Take the stored events off the front of `pending`, in order, advancing the last
        event id (runs after every commit, so ids and counts never wait for the next chunk)."""
        while pending and self._store_failed is None:
            event_id, task, size = pending[0]
            if task is not None:
                if not task.done():
                    break
                error = "cancelled" if task.cancelled() else task.exception()
                if error is not None:
                    self._store_failed = f"not stored: {error}"
                    self._error(self._store_failed)
                    break
                self.events += 1
            pending.popleft()
            self._pending_bytes -= size
            self._commit_id(event_id)
        self._count_changed()

    async def _settle(
        self, pending: deque[tuple[str, asyncio.Task[int] | None, int]], *, keep: int
    ) -> None:
        """Wait while more than `keep` events (or IN_FLIGHT_BYTES) are in flight. Raises
        _Retry when the store failed: the reconnect resumes after the last stored event."""
        self._advance(pending)
        while (
            self._store_failed is None
            and pending
            and (len(pending) > keep or self._pending_bytes > IN_FLIGHT_BYTES)
        ):
            front = pending[0][1]
            if front is not None:
                await asyncio.wait([front])
            self._advance(pending)
        if self._store_failed is not None:
            raise _Retry(self._store_failed)

    def _count_changed(self) -> None:
        """Keep `state` current; publish count updates at most every STATE_EVERY seconds."""
        if (self.state.events, self.state.last_error) == (self.events, self.last_error):
            return
        self.state = replace(self.state, events=self.events, last_error=self.last_error)
        if self._count_timer is None:
            loop = asyncio.get_running_loop()
            self._count_timer = loop.call_later(STATE_EVERY, self._flush_count)

    def _flush_count(self) -> None:
        if self._count_timer is not None:
            self._count_timer.cancel()
            self._count_timer = None
            self._publish(self.state)

    def _to_request(self, item: Parsed) -> CapturedRequest | None:
        if isinstance(item, SseTooLarge):
            self._lose(item.message)
            return CapturedRequest(
                method="SSE", path=_source_path(self.source.url),
                headers=(("X-SSE-Event", _latin1(item.event)),
                         *((("X-SSE-Id", _latin1(item.id)),) if item.id else ())),
                remote=_source_host(self.source.url), received_at_ns=time.time_ns(),
                source=self.source.name, scheme=_scheme(self.source.url),
                refused=item.message, declared_size=item.size,
            )  # fmt: skip
        return event_to_request(self.source, item)

    def _commit_id(self, event_id: str) -> None:
        if event_id != self.last_event_id:
            self.last_event_id = event_id
            self._last_ids.set(self.source, event_id)


def _check_response(response: aiohttp.ClientResponse) -> None:
    status = response.status
    if status == 204:
        raise _Stop("server asked to stop (204)")
    if status in (401, 403):
        raise _Stop(f"unauthorised: check the token (HTTP {status})")
    if status in (301, 302, 303, 307, 308):
        # not followed: the source's credentials would go along to wherever it points
        location = response.headers.get("Location")
        shown = redacted_url(urljoin(str(response.url), location)) if location else "nowhere"
        raise _Stop(f"the server redirects (HTTP {status}) to {shown}: use that URL")
    if status != 200:
        reason = f" {response.reason}" if response.reason else ""
        raise _Retry(f"HTTP {status}{reason}")
    content_type = response.headers.get("Content-Type", "")
    if content_type.split(";", 1)[0].strip().lower() != "text/event-stream":
        shown = content_type.split(";", 1)[0].strip()[:60] or "none"
        raise _Retry(f"wrong content type {shown!r} (expected text/event-stream)")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError):
        return "the connection was cut"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _seconds(value: float) -> str:
    return f"{value:.0f}s" if value >= 1 else f"{value:.1f}s"
