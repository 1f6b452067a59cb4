"""Send a stored request again: as captured (byte-exact) or edited, optionally re-signed.

*As captured* means: the same method; the stored raw path and query joined with the target (see
`join_target`); the headers in the stored order, with duplicates and their exact bytes; the same
body bytes. Only transport details change: hop-by-hop headers (`HOP_BY_HOP`) are dropped,
Content-Length is recomputed (in its original place), and Host names the target unless
``keep_host``. The client adds nothing of its own: no User-Agent, Accept, Accept-Encoding,
Content-Type or cookies the original did not have. Responses are read raw (never decompressed)
and capped.

Every attempt becomes a `ReplayAttempt`: the target's status, headers and (capped) body with
the latency, or an error in plain words ("connection refused: nothing is listening on
127.0.0.1:3000"). The SHA-256 of the body bytes handed to the connection is compared with the
stored one, and the request target written on the request line with the intended one
(`ReplayAttempt.fidelity_ok`). A `#` in a captured path is part of the path (the receiver
captured it so), never a URL fragment: it is sent as it was received (see `target_url`).

Limit: aiohttp writes header text as UTF-8, so a header value whose raw bytes are not valid
UTF-8 goes out as the UTF-8 encoding of its Latin-1 text (values that are valid UTF-8, i.e.
nearly all, go out byte-exact). The body is never affected.

This module does no storage: callers record attempts (`Store.add_replay`).
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import re
import ssl
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import TYPE_CHECKING

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from inspector.core import signatures
from inspector.core.models import (
    FORWARD,
    HTTP_TOKEN,
    REPLAY,
    CapturedRequest,
    Header,
    ReplayAttempt,
    target_path_qs,
)
from inspector.core.providers import answer_deadline, deadlines, too_slow_for

if TYPE_CHECKING:
    from inspector.core.config import Settings

__all__ = [
    "DEFAULT_MAX_RESPONSE",
    "FORWARD",
    "HOP_BY_HOP",
    "PROVIDER_TIMEOUTS",
    "REPLAY",
    "Outgoing",
    "ReplayOptions",
    "Replayer",
    "check_headers",
    "check_target",
    "describe_error",
    "join_target",
    "prepare",
    "provider_timeout",
    "slow_warning",
    "target_url",
    "too_slow_for",
]

DEFAULT_MAX_RESPONSE = 1024 * 1024
"""Response bodies are kept up to 1 MiB; the rest is not read."""
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "trailers", "transfer-encoding", "upgrade"}
)  # fmt: skip
"""Headers that describe one connection, not the request: never replayed."""
TARGET_SCHEMES = ("http", "https")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "DELETE", "CONNECT"})
_SKIP_AUTO = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
_LINE_BREAK = re.compile(r"[\r\n]")
_BAD_VALUE = re.compile(r"[\r\n\0]")
_NOT_IN_TARGET = re.compile(r"[\x00-\x20\x7f\s]")
_WRONG_SECRET = "not-the-secret"
_READ_CHUNK = 64 * 1024

PROVIDER_TIMEOUTS: dict[str, float] = deadlines()
"""Seconds a provider waits for the handler's answer, only where its documentation states it
(each provider module in `inspector.core.providers` holds its own)."""


# --- provider timeouts -----------------------------------------------------------------------


def provider_timeout(provider: str, scheme: str = "") -> float | None:
    """How long `provider` waits for an answer, or None when not documented. A wrapper such as
    WAHooks is detected as its provider and told apart by its signature scheme."""
    found = answer_deadline(provider, scheme)
    return found[1] if found is not None else None


def slow_warning(provider: str, scheme: str, latency_ms: float | None) -> str | None:
    """A plain-words warning when the handler answered slower than the provider waits."""
    found = answer_deadline(provider, scheme)
    if found is None or not too_slow_for(provider, scheme, latency_ms):
        return None
    assert latency_ms is not None
    name, limit = found
    return f"answered in {_seconds(latency_ms / 1000)}: {name} gives up after {_seconds(limit)}"


# --- checks ----------------------------------------------------------------------------------


def check_target(target: str) -> URL:
    """The target parsed; ValueError in plain words unless it is an http(s) URL with a host."""
    text = target.strip()
    if not text:
        raise ValueError("no target URL given (e.g. http://127.0.0.1:3000/webhook)")
    try:
        url = URL(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a valid URL: {text!r} ({exc})") from None
    if not url.scheme:
        raise ValueError(f"the target {text!r} has no scheme: write http://… or https://…")
    if url.scheme.lower() not in TARGET_SCHEMES:
        raise ValueError(
            f"cannot send to a {url.scheme}:// URL: only http:// and https:// targets are allowed"
        )
    if not url.raw_host:
        raise ValueError(f"the target {text!r} has no host")
    return url


def join_target(target: str, path: str, query: str) -> str:
    """The URL a request with this raw `path` and `query` goes to.

    A target path other than "/" replaces the request's path; a bare ``scheme://host:port`` (or
    with "/") keeps it. A target query replaces the request's; otherwise the raw query is kept.
    Nothing is re-encoded.
    """
    url = check_target(target)
    own_path = url.raw_path
    final_path = own_path if own_path not in ("", "/") else (path or "/")
    final_query = url.raw_query_string or query
    base = f"{url.scheme.lower()}://{url.raw_authority}{final_path}"
    return f"{base}?{final_query}" if final_query else base


def target_url(text: str) -> URL:
    """The URL `join_target` built, read without re-encoding anything and without taking a
    `#` as the start of a fragment (see `target_path_qs`); the query starts at the first "?",
    as the receiver splits a request line."""
    scheme, _, rest = text.partition("://")
    path, _, query = target_path_qs(text).partition("?")
    authority = rest.partition("/")[0]
    return URL.build(
        scheme=scheme, authority=authority, path=path, query_string=query, encoded=True
    )


def _shown(text: str) -> str:
    return text if text.isprintable() and text.strip() == text and text else repr(text)


def check_headers(headers: Iterable[Header]) -> None:
    """ValueError in plain words for a header that cannot be sent: a line break or NUL in a
    name or value (header injection), or a name that is not an HTTP token."""
    for name, value in headers:
        if HTTP_TOKEN.fullmatch(name) and not _BAD_VALUE.search(value):
            continue  # the common case, checked with two regular expressions
        if _LINE_BREAK.search(name) or _LINE_BREAK.search(value):
            raise ValueError(f"header {_shown(name)} contains a line break")
        if "\0" in name or "\0" in value:
            raise ValueError(f"header {_shown(name)} contains a NUL character")
        raise ValueError(
            f"header name {name!r} is not valid: use letters, digits and "
            "!#$%&'*+-.^_`|~ only (no spaces or colons)"
        )


def _check_request_line(method: str, path: str, query: str) -> None:
    if not HTTP_TOKEN.fullmatch(method):
        raise ValueError(f"method {_shown(method)} is not valid: use letters only, e.g. POST")
    for what, text in (("path", path), ("query", query)):
        if _LINE_BREAK.search(text):
            raise ValueError(f"the {what} contains a line break")
        if _NOT_IN_TARGET.search(text):
            raise ValueError(f"the {what} contains a space or a control character")
    if not path.startswith("/"):
        raise ValueError(f"the path must start with '/' (got {_shown(path)})")


# --- what goes out ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """How to replay (the same for every request of a batch)."""

    keep_host: bool = False
    """Send the original Host header instead of the target's."""
    resign: tuple[str, str] | None = None
    """(scheme, secret): recompute the signature headers for the bytes sent."""
    wrong_signature: bool = False
    """Send a deliberately invalid signature (to test the handler's rejection path)."""
    follow_redirects: bool = False
    """Follow redirects, on the same host and port only."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request ready to send: final URL, headers in wire order (Latin-1 convention), body."""

    method: str
    url: str
    headers: tuple[Header, ...]
    body: bytes
    edited: bool = False

    @property
    def body_sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def prepare(
    request: CapturedRequest,
    target: str,
    *,
    edited: CapturedRequest | None = None,
    keep_host: bool = False,
    resign: tuple[str, str] | None = None,
    wrong_signature: bool = False,
    now: float | None = None,
) -> Outgoing:
    """What replaying `request` (or `edited`, its edited copy) to `target` sends.

    `resign=(scheme, secret)` recomputes the signature headers (and timestamps) over the bytes
    sent; `wrong_signature=True` makes the signature deliberately invalid (with `resign`'s
    scheme, else the scheme the request's headers suggest). Raises ValueError in plain words
    when it cannot be sent (bad target, header with a line break, body not stored...).
    """
    base = edited if edited is not None else request
    if edited is None and request.refused:
        raise ValueError(
            f"this request was refused when captured ({request.refused}); its body was not "
            "stored, so it cannot be replayed as captured"
        )
    _check_request_line(base.method, base.path, base.query)
    check_headers(base.headers)
    url_text = join_target(target, base.path, base.query)
    url = target_url(url_text)
    host = url.host_port_subcomponent or url.raw_host or ""
    headers = _transport_headers(base.headers, host, keep_host)
    if resign is not None or wrong_signature:
        headers = _signed(base, url, headers, resign, wrong_signature, now)
        check_headers(headers)
    headers = _with_length(headers, base.method, len(base.body))
    changed = edited is not None or resign is not None or wrong_signature
    return Outgoing(base.method, url_text, tuple(headers), base.body, changed)


def _transport_headers(headers: Iterable[Header], host: str, keep_host: bool) -> list[Header]:
    """Drop hop-by-hop headers; one Host, rewritten to the target unless keep_host."""
    out: list[Header] = []
    host_seen = False
    for name, value in headers:
        lower = name.lower()
        if lower in HOP_BY_HOP:
            continue
        if lower == "host":
            if host_seen:
                continue  # two Host headers is invalid HTTP; keep the first
            host_seen = True
            out.append((name, value if keep_host else host))
            continue
        out.append((name, value))
    if not host_seen:
        out.insert(0, ("Host", host))
    return out


def _with_length(headers: list[Header], method: str, size: int) -> list[Header]:
    """Content-Length recomputed where it was (duplicates dropped), added when needed."""
    out: list[Header] = []
    placed = False
    for name, value in headers:
        if name.lower() == "content-length":
            if not placed:
                out.append((name, str(size)))
                placed = True
            continue
        out.append((name, value))
    if not placed and (size or method.upper() not in _NO_BODY_METHODS):
        out.append(("Content-Length", str(size)))
    return out


def _signed(
    base: CapturedRequest,
    url: URL,
    headers: list[Header],
    resign: tuple[str, str] | None,
    wrong: bool,
    now: float | None,
) -> list[Header]:
    if resign is not None:
        scheme, secret = resign
    else:
        guessed = signatures.guess_scheme(base)
        if guessed is None:
            raise ValueError(
                "cannot send a wrong signature: no scheme given and the request carries no "
                "known signature header (choose a scheme to sign with)"
            )
        scheme, secret = guessed, _WRONG_SECRET
    # Sign what the target receives: its path, query, Host (Twilio signs the URL) and body.
    outgoing = replace(
        base, path=url.raw_path, query=url.raw_query_string, headers=tuple(headers),
        scheme=url.scheme,
    )  # fmt: skip
    signed = signatures.sign_request(outgoing, scheme, secret, now=now, wrong=wrong)
    return list(signed.headers)


# --- errors in plain words -------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:g} s" if value < 100 else f"{value:.0f} s"


def _host_port(url: URL) -> str:
    host = url.raw_host or "?"
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{url.port}" if url.port is not None else shown


def _refused(error: OSError | None) -> bool:
    if error is None:
        return False
    if isinstance(error, ConnectionRefusedError) or error.errno == errno.ECONNREFUSED:
        return True
    # several addresses tried (e.g. localhost = ::1 and 127.0.0.1), each refused
    text = str(error)
    return text.startswith("Multiple exceptions") and text.count("Connect call failed") >= 1


def describe_error(exc: BaseException, url: URL, connect_timeout: float, timeout: float) -> str:
    """Why sending to `url` failed, in plain words."""
    where = _host_port(url)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve host '{url.raw_host}'"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS error: the certificate of {where} is not trusted ({exc.certificate_error})"
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        reason = getattr(exc, "os_error", exc)
        return f"TLS error talking to {where}: {getattr(reason, 'reason', None) or reason}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return f"could not connect to {where} within {_seconds(connect_timeout)}"
    if isinstance(exc, TimeoutError):
        return f"no answer within {_seconds(timeout)}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if _refused(exc.os_error):
            return f"connection refused: nothing is listening on {where}"
        return f"cannot connect to {where}: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"{where} closed the connection without answering"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"the answer from {where} was cut off ({exc})"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"{where} sent an invalid HTTP answer ({exc.message})"
    if isinstance(exc, aiohttp.InvalidURL):
        return f"invalid target URL: {exc}"
    if isinstance(exc, aiohttp.ClientOSError | OSError):
        return f"network error talking to {where}: {exc.strerror or exc}"
    return f"sending failed: {exc}"


# --- the client ------------------------------------------------------------------------------


class _Probe:
    """What one send actually handed to the connection: headers and a hash of the body bytes.
    A connection retry starts again (headers are sent once per try)."""

    def __init__(self) -> None:
        self.headers: tuple[Header, ...] | None = None
        self.target = ""
        self._hash = hashlib.sha256()

    def headers_sent(self, url: URL, headers: CIMultiDict[str]) -> None:
        self.headers = tuple((k, _from_wire(v)) for k, v in headers.items())
        self.target = url.raw_path_qs
        self._hash = hashlib.sha256()

    def chunk_sent(self, chunk: bytes) -> None:
        self._hash.update(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest() if self.headers is not None else ""


def _to_wire(value: str) -> str:
    """A Latin-1-convention header value as the text aiohttp writes (as UTF-8) to give back
    its exact bytes; values that are not valid UTF-8 (or are real text) stay as they are."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _from_wire(value: str) -> str:
    return value if value.isascii() else value.encode("utf-8").decode("latin-1")


def _latin1(raw: Sequence[tuple[bytes, bytes]]) -> tuple[Header, ...]:
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)


async def _on_headers_sent(
    session: aiohttp.ClientSession,
    ctx: SimpleNamespace,
    params: aiohttp.TraceRequestHeadersSentParams,
) -> None:
    probe = ctx.trace_request_ctx
    if isinstance(probe, _Probe):
        probe.headers_sent(params.url, params.headers)


async def _on_chunk_sent(
    session: aiohttp.ClientSession,
    ctx: SimpleNamespace,
    params: aiohttp.TraceRequestChunkSentParams,
) -> None:
    probe = ctx.trace_request_ctx
    if isinstance(probe, _Probe):
        probe.chunk_sent(params.chunk)


def _exact_headers(headers: CIMultiDict[str]) -> aiohttp.ClientMiddlewareType:
    """Send exactly these headers, in this order. (The session merges a header list by name,
    which loses order and duplicates that differ only in case.)"""

    async def middleware(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        request.headers = headers.copy()
        return await handler(request)

    return middleware


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> tuple[bytes, bool]:
    """At most `cap` bytes of the raw body, and whether there was more (not read)."""
    chunks: list[bytes] = []
    size = 0
    while size <= cap:
        chunk = await response.content.read(min(_READ_CHUNK, cap + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    return body[:cap], size > cap


def _target_changed(url: str, sent: str) -> str | None:
    """Plain words when the request line did not carry the intended path and query."""
    meant = target_path_qs(url)
    if not sent or sent == meant:
        return None
    return f"sent to {sent!r} instead of {meant!r}: the path or query changed on the way"


def _same_host(a: URL, b: URL) -> bool:
    return (a.host or "").lower() == (b.host or "").lower() and a.port == b.port


@dataclass(slots=True)
class _Answer:
    status: int | None = None
    headers: tuple[Header, ...] = ()
    body: bytes = b""
    truncated: bool = False
    error: str | None = None


class Replayer:
    """An aiohttp client that sends requests as captured or edited and reports each attempt.

    Create and use it on one event loop; `await close()` (or `async with`) when done.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        timeout: float = 30.0,
        max_response: int = DEFAULT_MAX_RESPONSE,
        connections: int = 100,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.max_response = max_response
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        self._timeout: aiohttp.ClientTimeout | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, connections: int = 100) -> Replayer:
        """A replayer with the timeouts and response cap of `settings`."""
        return cls(
            connect_timeout=settings.replay_connect_timeout,
            timeout=settings.replay_timeout,
            max_response=settings.replay_max_response,
            connections=connections,
        )

    async def __aenter__(self) -> Replayer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client_timeout(self) -> aiohttp.ClientTimeout:
        wanted = (self.timeout, self.connect_timeout)
        if self._timeout is None or (self._timeout.total, self._timeout.sock_connect) != wanted:
            self._timeout = aiohttp.ClientTimeout(total=wanted[0], sock_connect=wanted[1])
        return self._timeout

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            trace = aiohttp.TraceConfig()
            trace.on_request_headers_sent.append(_on_headers_sent)
            trace.on_request_chunk_sent.append(_on_chunk_sent)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,
                skip_auto_headers=_SKIP_AUTO,
                trace_configs=[trace],
            )
        return self._session

    async def send(
        self,
        request: CapturedRequest,
        target: str,
        *,
        kind: str = REPLAY,
        edited: CapturedRequest | None = None,
        keep_host: bool = False,
        resign: tuple[str, str] | None = None,
        wrong_signature: bool = False,
        follow_redirects: bool = False,
        now: float | None = None,
        options: ReplayOptions | None = None,
    ) -> ReplayAttempt:
        """Send `request` (or `edited`) to `target` and report what happened (not stored).
        `options`, when given, replaces keep_host/resign/wrong_signature/follow_redirects.

        Raises ValueError before sending anything when the request or target is unusable
        (see `prepare`); everything that goes wrong on the network is reported in the attempt.
        """
        if options is not None:
            keep_host, resign = options.keep_host, options.resign
            wrong_signature, follow_redirects = options.wrong_signature, options.follow_redirects
        outgoing = prepare(
            request, target, edited=edited, keep_host=keep_host, resign=resign,
            wrong_signature=wrong_signature, now=now,
        )  # fmt: skip
        return await self.send_prepared(
            request.id or 0, outgoing, kind=kind, follow_redirects=follow_redirects
        )

    async def send_prepared(
        self,
        request_id: int,
        outgoing: Outgoing,
        *,
        kind: str = REPLAY,
        follow_redirects: bool = False,
    ) -> ReplayAttempt:
        """Send an `Outgoing` (see `prepare`) and report the attempt."""
        started_ns = time.time_ns()
        started = time.perf_counter()
        first = _Probe()
        answer = await self._exchange(outgoing, first, follow_redirects)
        latency = (time.perf_counter() - started) * 1000
        answer.error = answer.error or _target_changed(outgoing.url, first.target)
        return ReplayAttempt(
            request_id=request_id,
            target=outgoing.url,
            started_at_ns=started_ns,
            kind=kind,
            edited=outgoing.edited,
            sent_method=outgoing.method,
            sent_headers=first.headers if first.headers is not None else outgoing.headers,
            sent_body=outgoing.body if outgoing.edited else None,
            sent_sha256=first.sha256,
            expected_sha256=outgoing.body_sha256,
            sent_target=first.target,
            status=answer.status,
            response_headers=answer.headers,
            response_body=answer.body,
            response_truncated=answer.truncated,
            latency_ms=round(latency, 3),
            error=answer.error,
        )

    async def _exchange(self, outgoing: Outgoing, probe: _Probe, follow: bool) -> _Answer:
        """One request, and the redirects it may follow (same host only)."""
        method, url, headers, body = (
            outgoing.method, target_url(outgoing.url), outgoing.headers, outgoing.body
        )  # fmt: skip
        answer = _Answer()
        for hop in range(MAX_REDIRECTS + 1):
            try:
                location = await self._once(method, url, headers, body, probe, answer)
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                answer.error = describe_error(exc, url, self.connect_timeout, self.timeout)
                if answer.status is not None and isinstance(exc, TimeoutError):
                    answer.error = (
                        f"answered {answer.status}, but the body did not finish within "
                        f"{_seconds(self.timeout)}"
                    )
                return answer
            if location is None:
                return answer
            assert answer.status is not None
            if not follow:
                answer.error = f"answered {answer.status} redirect to {location} (not followed)"
                return answer
            if location.scheme not in TARGET_SCHEMES or not _same_host(url, location):
                answer.error = (
                    f"answered {answer.status} redirect to {location} "
                    "(not followed: redirects are followed only on the same host and port)"
                )
                return answer
            if hop == MAX_REDIRECTS:
                break
            if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
                method, body = "GET", b""  # what browsers and HTTP clients do
                headers = tuple(h for h in headers if not h[0].lower().startswith("content-"))
            url, probe = location, _Probe()
        answer.error = f"too many redirects (stopped after {MAX_REDIRECTS})"
        return answer

    async def _once(
        self,
        method: str,
        url: URL,
        headers: tuple[Header, ...],
        body: bytes,
        probe: _Probe,
        answer: _Answer,
    ) -> URL | None:
        """Send once; fill `answer`; return the redirect location, if any (not read further)."""
        answer.status, answer.headers, answer.body, answer.truncated = None, (), b"", False
        wire: CIMultiDict[str] = CIMultiDict((name, _to_wire(value)) for name, value in headers)
        timeout = self._client_timeout()
        # A BytesIO, not bytes: aiohttp warns about bytes bodies over 1 MiB; a BytesIO has the
        # same exact size (Content-Length as computed) and is written in pieces.
        data = io.BytesIO(body) if body else None
        async with self._client().request(
            method, url, data=data, allow_redirects=False, timeout=timeout,
            middlewares=(_exact_headers(wire),), trace_request_ctx=probe,
        ) as response:  # fmt: skip
            answer.status = response.status
            answer.headers = _latin1(response.raw_headers)
            location = response.headers.get("Location")
            answer.body, answer.truncated = await _read_capped(response, self.max_response)
        if response.status in REDIRECTS and location:
            return url.join(URL(location))
        return None
