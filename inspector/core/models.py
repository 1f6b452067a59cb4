"""Plain data shared by every part of the core.

The captured request is the truth: raw body bytes, raw header list in order (duplicates kept).
Everything else (provider, summary, signature status) is derived from it and may be re-derived.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Any

Header = tuple[str, str]
"""A header as received: name and value decoded as Latin-1, so `.encode("latin-1")` gives the
exact bytes back (HTTP header bytes are not guaranteed to be UTF-8)."""
HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An HTTP token (RFC 9110): what a header name or a method may be made of (`fullmatch`)."""


def header_values(headers: Iterable[Header], name: str) -> list[str]:
    """All values of header `name` (case-insensitive), in the order received."""
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


def first_header(headers: Iterable[Header], name: str) -> str | None:
    """The first value of header `name` (case-insensitive), or None."""
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


def display_text(value: str) -> str:
    """A Latin-1-decoded header value shown as UTF-8 when its bytes are valid UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


_FIELD_GETTERS: dict[type, Callable[[Any], Any]] = {}


def reduce_by_fields(self: Any) -> tuple[type, tuple[Any, ...]]:
    """Pickle a slots dataclass as its constructor arguments, read by one C-level attrgetter
    per class. The default goes through dataclasses.fields() for every object, which
    dominated the cost of sending batches to the writer process."""
    cls = type(self)
    getter = _FIELD_GETTERS.get(cls)
    if getter is None:
        names = cls.__match_args__
        getter = operator.attrgetter(*names) if len(names) > 1 else _one_field(names[0])
        _FIELD_GETTERS[cls] = getter
    return cls, getter(self)


def _one_field(name: str) -> Callable[[Any], tuple[Any, ...]]:
    return lambda obj: (getattr(obj, name),)


@dataclass(frozen=True, slots=True)
class CapturedRequest:
    """One HTTP request exactly as it arrived (or as imported / received from a stream)."""

    __reduce__ = reduce_by_fields

    method: str
    path: str
    query: str = ""
    """Raw query string without the leading '?', exactly as sent (not re-encoded)."""
    headers: tuple[Header, ...] = ()
    body: bytes = b""
    remote: str = ""
    http_version: str = "1.1"
    received_at_ns: int = 0
    source: str = "http"
    """'http' for the embedded receiver, 'import' for files, else the name of a stream source."""
    scheme: str = "http"
    refused: str | None = None
    """Why the request was refused (e.g. body over the limit); body is then empty or partial."""
    declared_size: int | None = None
    """Content-Length as announced, when the body was not (fully) read."""
    id: int | None = None

    def header(self, name: str) -> str | None:
        """First value of a header, case-insensitive."""
        return first_header(self.headers, name)

    @property
    def content_type(self) -> str:
        value = self.header("content-type") or ""
        return value.split(";", 1)[0].strip().lower()

    @property
    def body_sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def target(self) -> str:
        """Path plus query, as on the request line."""
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def url(self) -> str:
        """Best guess at the URL the sender used (Host header, scheme as received)."""
        host = self.header("host") or "localhost"
        return f"{self.scheme}://{host}{self.target}"

    def json_body(self) -> object | None:
        """The body parsed as JSON, or None when it is not JSON (never raises)."""
        return parse_json(self.body)


def parse_json(body: bytes) -> object | None:
    """Parse bytes as JSON; None when empty, not UTF-8, not JSON, or nested too deep."""
    if not body or body[:1] not in b'{["-0123456789tfn \t\r\n':
        return None
    try:
        value: object = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value


class SigStatus(StrEnum):
    """Every outcome a signature check can have (documented; never anything else)."""

    VALID = "valid"
    INVALID = "invalid"
    MISSING_HEADER = "missing_header"
    NO_SECRET = "no_secret"
    EXPIRED = "expired"
    MALFORMED = "malformed"
    UNSIGNED = "unsigned"
    """No scheme applies: no secret configured and no known signature header present."""


@dataclass(frozen=True, slots=True)
class Verification:
    """Result of checking one request's signature."""

    __reduce__ = reduce_by_fields

    status: SigStatus
    scheme: str = ""
    reason: str = ""
    expected: str = ""
    """Masked expected signature (never the secret)."""
    received: str = ""
    """Masked received signature."""


@dataclass(frozen=True, slots=True)
class Event:
    """One logical event inside a request (a Meta batch holds several)."""

    __reduce__ = reduce_by_fields

    provider: str
    event_type: str
    summary: str
    event_id: str = ""
    chat: str = ""
    sender: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a message's lifecycle as a provider reports it: the message arrived or was
    sent, or its status changed (the `lifecycle` of a provider module lists them)."""

    __reduce__ = reduce_by_fields

    message_id: str
    state: str
    """received, pending, sent, delivered, read, played, failed or deleted."""
    direction: str = ""
    """"in" (to us), "out" (sent by us) or "" (unknown)."""
    chat: str = ""
    at_ms: int | None = None
    """The provider's timestamp of this step, in milliseconds since the epoch."""
    text: str = ""
    """The start of the message text (messages only)."""
    error_code: str = ""
    error_title: str = ""


@dataclass(frozen=True, slots=True)
class Derived:
    """What the core derives from a captured request; stored beside it, re-derivable."""

    __reduce__ = reduce_by_fields

    provider: str = "generic"
    events: tuple[Event, ...] = ()
    verification: Verification = field(default_factory=lambda: Verification(SigStatus.UNSIGNED))
    steps: tuple[Step, ...] = ()
    """Lifecycle steps of the messages this request is about (stored by the store)."""

    @property
    def lead(self) -> Event | None:
        """The event a batch is labelled by: its first message (or other non-status event),
        else its first event. A status receipt arriving first never hides a message."""
        if not self.events:
            return None
        return next((e for e in self.events if not is_status(e.event_type)), self.events[0])

    @property
    def event_type(self) -> str:
        """The lead's type; a mixed batch also says what else it holds, e.g.
        "message.text + 3 statuses" (a batch of one type is that type: shown with ×N)."""
        lead = self.lead
        if lead is None:
            return ""
        if len({e.event_type for e in self.events}) == 1:
            return lead.event_type
        others = [e for e in self.events if e is not lead]
        if all(is_status(e.event_type) for e in others):
            noun = "status" if len(others) == 1 else "statuses"
        else:
            noun = "more"
        return f"{lead.event_type} + {len(others)} {noun}"

    @property
    def summary(self) -> str:
        lead = self.lead
        if lead is None:
            return ""
        more = len(self.events) - 1
        return f"{lead.summary} (+{more} more)" if more else lead.summary


STATUS_TYPES = ("statuses.", "status.")
"""Event types that are delivery receipts (sent, delivered, read...) rather than content."""


def is_status(event_type: str) -> bool:
    """Whether `event_type` is a delivery receipt (Meta statuses.*, Twilio status.*, acks)."""
    return event_type.startswith(STATUS_TYPES) or event_type.endswith((".ack", "_ack"))


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    """What the receiver answers."""

    status: int = 200
    headers: tuple[Header, ...] = (("Content-Type", "application/json"),)
    body: bytes = b'{"ok":true}'
    delay_ms: int = 0


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """A request row read back from the store, with its derived columns and our response."""

    __reduce__ = reduce_by_fields

    request: CapturedRequest
    derived: Derived
    response_status: int | None = None
    response_headers: tuple[Header, ...] = ()
    response_body: bytes = b""
    duplicate_of: int | None = None

    @property
    def id(self) -> int:
        assert self.request.id is not None
        return self.request.id


_HEADERS_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""One encoder for every call: json.dumps with options builds a new one each time."""
_quoted = encode_basestring
"""A string as a JSON string literal, non-ASCII kept (what the encoder above writes)."""


def headers_to_json(headers: Sequence[Header]) -> str:
    """The header list as a JSON array of [name, value] pairs (pairs in order, duplicates
    kept), as json.dumps(..., ensure_ascii=False) writes it. Pairs of strings are joined here
    (2.6 us for five headers against the encoder's 6.2: the writer does this for every
    request); anything else goes to the encoder."""
    try:
        pairs = [f"[{_quoted(name)}, {_quoted(value)}]" for name, value in headers]
    except (TypeError, ValueError):
        return _HEADERS_ENCODER.encode(headers if isinstance(headers, tuple) else tuple(headers))
    return "[" + ", ".join(pairs) + "]"


def headers_from_json(text: str | None) -> tuple[Header, ...]:
    if not text:
        return ()
    return tuple((str(name), str(value)) for name, value in json.loads(text))


REPLAY = "replay"
FORWARD = "forward"
CHECK = "check"
"""The attempt kind, and the request source, of what a handler check (`core.check`) sent."""


def target_path_qs(target: str) -> str:
    """The raw path and query of a replay target URL: everything from the first "/" after
    the authority (a "#" there is part of the captured path, not a fragment)."""
    rest = target.partition("://")[2]
    start = rest.find("/")
    return rest[start:] if start >= 0 else "/"


@dataclass(frozen=True, slots=True)
class ReplayAttempt:
    """One re-send of a stored request (kind 'replay') or one live forward (kind 'forward'),
    with what came back: a status and response, or an error in plain words."""

    request_id: int
    target: str
    """The URL the request went to (the target joined with the request's path and query)."""
    started_at_ns: int
    kind: str = REPLAY
    edited: bool = False
    """True when anything but transport headers differs from the stored request (edited
    method/path/headers/body, re-signed, or a deliberately wrong signature)."""
    sent_method: str = ""
    sent_headers: tuple[Header, ...] = ()
    """The headers as written on the wire (Latin-1 convention), in order."""
    sent_body: bytes | None = None
    """The body sent; kept only for edited attempts (otherwise it is the stored body)."""
    sent_sha256: str = ""
    """SHA-256 of the body bytes handed to the connection; empty when nothing was sent."""
    expected_sha256: str = ""
    """SHA-256 of the body meant to be sent: the stored body's, or the edited body's."""
    sent_target: str = field(default="", compare=False)
    """The path and query written on the request line; empty when not known (it is not
    stored: attempts read back from the store have it empty, so it is left out of ==)."""
    status: int | None = None
    response_headers: tuple[Header, ...] = ()
    response_body: bytes = b""
    response_truncated: bool = False
    """The response body was longer than the cap and only its start was kept."""
    latency_ms: float | None = None
    error: str | None = None
    id: int | None = None

    @property
    def ok(self) -> bool:
        """The target answered without error and with a status below 400."""
        return self.error is None and self.status is not None and self.status < 400

    @property
    def fidelity_ok(self) -> bool | None:
        """Were exactly the intended body bytes sent, to exactly the intended path and query?
        None when no body was sent at all."""
        if not self.sent_sha256:
            return None
        same_target = not self.sent_target or self.sent_target == target_path_qs(self.target)
        return same_target and self.sent_sha256 == self.expected_sha256
