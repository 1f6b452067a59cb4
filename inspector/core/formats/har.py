"""HAR 1.2 export and import (HTTP Archive: browsers' dev tools, Charles, mitmproxy, Insomnia).

Export: one entry per stored request. ``request.url`` is scheme://Host + path?query as received;
``postData.text`` holds the body as UTF-8 text, or base64 with the custom field
``"_encoding": "base64"`` when the bytes are not UTF-8 (HAR 1.2 defines ``encoding`` only for
``response.content``; custom fields start with ``_``). ``response`` is what we answered. Header
values are our raw-bytes-as-Latin-1 strings (see models.Header), and ``_webhookInspector`` keeps
what HAR has no place for (raw path and query, remote address, capture time in ns, derived
provider/event/signature), so our own HAR files import back byte for byte.

`stream_har` reads a HAR text one entry at a time: only the entries' offsets are kept, and each
request is built again when it is used (`HarRequests`), so a HAR with a million entries never
exists as one parsed document in memory.

Import of other tools' HAR files is best effort: text bodies are taken as UTF-8, base64 when
``encoding`` or ``_encoding`` says so, form ``params`` are url-encoded when there is no text,
HTTP/2 pseudo-headers (``:authority``…) are dropped (``:authority`` becomes Host when there is
none), and header values are stored as their UTF-8 bytes.
"""

from __future__ import annotations

import base64
import binascii
import http
import itertools
import json
import re
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import IO, Any, overload
from urllib.parse import parse_qsl, urlencode, urlsplit

from inspector import __version__
from inspector.core.formats.common import FormatError, encode_body, iso_time, json_int
from inspector.core.masking import mask_stored
from inspector.core.models import CapturedRequest, StoredRequest
from inspector.core.providers import masked_body

__all__ = [
    "EXTENSION",
    "HarRequests",
    "entry_to_har",
    "is_har",
    "read_har",
    "requests_from_har",
    "stream_har",
    "write_har",
]

EXTENSION = "_webhookInspector"
"""Our custom field in each entry (HAR custom fields start with an underscore)."""


def _pairs(headers: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers]


def _status_text(status: int | None) -> str:
    try:
        return http.HTTPStatus(status or 0).phrase
    except ValueError:
        return ""


def entry_to_har(
    stored: StoredRequest, *, keep_credentials: bool = False, mask: bool = False
) -> dict[str, Any]:
    """One HAR entry. Credentials in payloads are masked unless `keep_credentials`; with `mask`
    personal data too (see masking). A masked body is marked ``_webhookInspector.body_masked``;
    ``body_size``/``body_sha256`` there always describe the original bytes."""
    original = stored.request
    body_masked = False
    if mask:
        stored, body_masked = mask_stored(stored)
    req, derived = stored.request, stored.derived
    body = req.body
    if not keep_credentials:
        hidden = masked_body(body)
        if hidden is not None:
            body, body_masked = hidden, True
    text, encoding = encode_body(body)
    post: dict[str, Any] = {"mimeType": req.header("content-type") or "", "text": text}
    if encoding == "base64":
        post["_encoding"] = "base64"
    response_text, response_encoding = encode_body(stored.response_body)
    content: dict[str, Any] = {
        "size": len(stored.response_body),
        "mimeType": _header(stored.response_headers, "content-type"),
        "text": response_text,
    }
    if response_encoding == "base64":
        content["encoding"] = "base64"
    ver = derived.verification
    request: dict[str, Any] = {
        "method": req.method,
        "url": req.url,
        "httpVersion": f"HTTP/{req.http_version}",
        "cookies": [],
        "headers": _pairs(req.headers),
        "queryString": _pairs(parse_qsl(req.query, keep_blank_values=True)),
        "headersSize": -1,
        "bodySize": len(body),
    }
    if body or req.header("content-type"):
        request["postData"] = post
    return {
        "startedDateTime": iso_time(req.received_at_ns),
        "time": 0,
        "request": request,
        "response": {
            "status": stored.response_status or 0,
            "statusText": _status_text(stored.response_status),
            "httpVersion": f"HTTP/{req.http_version}",
            "cookies": [],
            "headers": _pairs(stored.response_headers),
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(stored.response_body),
        },
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": 0,
                    "receive": 0, "ssl": -1},
        EXTENSION: {
            "id": req.id,
            "source": req.source,
            "scheme": req.scheme,
            "path": req.path,
            "query": req.query,
            "remote": req.remote,
            "received_at_ns": req.received_at_ns,
            "headers_encoding": "latin-1",
            "body_masked": body_masked,
            "body_size": len(original.body),
            "body_sha256": original.body_sha256,
            "refused": req.refused,
            "declared_size": req.declared_size,
            "provider": derived.provider,
            "event_type": derived.event_type,
            "summary": derived.summary,
            "duplicate_of": stored.duplicate_of,
            "signature": {"status": str(ver.status), "scheme": ver.scheme, "reason": ver.reason},
        },
    }  # fmt: skip


def _header(headers: Iterable[tuple[str, str]], name: str) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


def write_har(
    stream: IO[str],
    items: Iterable[StoredRequest],
    *,
    keep_credentials: bool = False,
    mask: bool = False,
) -> int:
    """Write a HAR 1.2 document incrementally (memory stays bounded); returns the count."""
    creator = json.dumps({"name": "webhook-inspector", "version": __version__})
    stream.write(f'{{"log": {{"version": "1.2", "creator": {creator}, "pages": [], ')
    stream.write('"entries": [\n')
    count = 0
    for stored in items:
        entry = entry_to_har(stored, keep_credentials=keep_credentials, mask=mask)
        stream.write((",\n" if count else "") + json.dumps(entry))
        count += 1
    stream.write("\n]}}\n")
    return count


# --- import -----------------------------------------------------------------------------------


def is_har(document: object) -> bool:
    """Whether parsed JSON looks like a HAR file (``log.entries`` is a list)."""
    if not isinstance(document, dict):
        return False
    log = document.get("log")
    return isinstance(log, dict) and isinstance(log.get("entries"), list)


def read_har(text: str, errors: list[str] | None = None) -> list[CapturedRequest]:
    """Requests from HAR text. Raises FormatError for a file that is not HAR; a bad entry
    raises too, unless `errors` is given: then its message is appended and it is skipped."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise FormatError(f"not valid JSON: {exc}") from exc
    return requests_from_har(document, errors)


def requests_from_har(document: object, errors: list[str] | None = None) -> list[CapturedRequest]:
    """Requests from a parsed HAR document (see `read_har`)."""
    if not is_har(document):
        raise FormatError("not a HAR file (no log.entries list)")
    assert isinstance(document, dict)
    out: list[CapturedRequest] = []
    for index, entry in enumerate(document["log"]["entries"], 1):
        try:
            out.append(_entry_request(entry))
        except FormatError as exc:
            message = f"entry {index}: {exc}"
            if errors is None:
                raise FormatError(message) from exc
            errors.append(message)
    return out


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise FormatError(f"{what} is not text")
    return value


def _header_list(items: object, ours: bool) -> list[tuple[str, str]]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise FormatError("request.headers is not a list")
    headers: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, dict):
            raise FormatError("a header is not a {name, value} object")
        name = _text(item.get("name"), "a header name")
        value = _text(item.get("value", ""), f"header {name!r}")
        if not ours:
            value = value.encode("utf-8", "surrogatepass").decode("latin-1")
        headers.append((name, value))
    return headers


def _body(request: dict[str, Any]) -> bytes:
    post = request.get("postData")
    if post is None:
        return b""
    if not isinstance(post, dict):
        raise FormatError("request.postData is not an object")
    text = post.get("text")
    encoding = str(post.get("_encoding") or post.get("encoding") or "").lower()
    if text is None:
        params = post.get("params")
        if isinstance(params, list) and params:
            pairs = [(str(p.get("name", "")), str(p.get("value", ""))) for p in params
                     if isinstance(p, dict)]  # fmt: skip
            return urlencode(pairs).encode("utf-8")
        return b""
    text = _text(text, "postData.text")
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise FormatError(f"postData.text is not valid base64 ({exc})") from exc
    return text.encode("utf-8", "surrogatepass")


def _started_ns(value: object) -> int:
    """An ISO 8601 time as Unix ns (exact: no float); a time without offset is UTC; now when
    it cannot be read."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return time.time_ns()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    return time.time_ns()


def _entry_request(entry: object) -> CapturedRequest:
    if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
        raise FormatError("no request object")
    request: dict[str, Any] = entry["request"]
    method = _text(request.get("method"), "request.method").upper()
    url = _text(request.get("url"), "request.url")
    extra = entry.get(EXTENSION)
    ours = isinstance(extra, dict) and extra.get("headers_encoding") == "latin-1"
    headers = _header_list(request.get("headers"), ours)
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed or invalid [IPv6] host
        raise FormatError(f"request.url {url!r} is not a valid URL ({exc})") from None
    if not ours:
        authority = next((v for k, v in headers if k.lower() == ":authority"), parts.netloc)
        headers = [(k, v) for k, v in headers if not k.startswith(":")]
        if authority and not any(k.lower() == "host" for k, _ in headers):
            headers.insert(0, ("Host", authority))
    body = _body(request)
    post = request.get("postData")
    mime = post.get("mimeType") if isinstance(post, dict) else None
    if mime and isinstance(mime, str) and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", mime))
    version = str(request.get("httpVersion") or "1.1").upper().removeprefix("HTTP/")
    if isinstance(extra, dict) and ours:
        return CapturedRequest(
            method=method,
            path=str(extra.get("path", parts.path or "/")),
            query=str(extra.get("query", parts.query)),
            headers=tuple(headers),
            body=body,
            remote=str(extra.get("remote", "")),
            http_version=version,
            received_at_ns=int(extra.get("received_at_ns") or _started_ns(
                entry.get("startedDateTime"))),
            source="import",
            scheme=str(extra.get("scheme", parts.scheme or "http")),
        )  # fmt: skip
    return CapturedRequest(
        method=method,
        path=parts.path or "/",
        query=parts.query,
        headers=tuple(headers),
        body=body,
        http_version=version or "1.1",
        received_at_ns=_started_ns(entry.get("startedDateTime")),
        source="import",
        scheme=parts.scheme or "http",
    )


# --- streamed import: one entry at a time ------------------------------------------------------

_DECODER = json.JSONDecoder(parse_int=json_int)
_SPACE = re.compile(r"[ \t\n\r]*")


class HarRequests(Sequence[CapturedRequest]):
    """The requests of a HAR text, each read from its entry when it is used (see `stream_har`)."""

    def __init__(self, text: str, starts: array[int]) -> None:
        self._text = text
        self._starts = starts

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, index: int) -> CapturedRequest: ...

    @overload
    def __getitem__(self, index: slice) -> list[CapturedRequest]: ...

    def __getitem__(self, index: int | slice) -> CapturedRequest | list[CapturedRequest]:
        if isinstance(index, slice):
            return [self._read(start) for start in self._starts[index]]
        return self._read(self._starts[index])

    def _read(self, start: int) -> CapturedRequest:
        entry, _ = _DECODER.raw_decode(self._text, start)
        return _entry_request(entry)


class _Cursor:
    """A position in JSON text, moved over whitespace, punctuation and whole values."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def at(self, char: str) -> bool:
        match = _SPACE.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos
        return self.text.startswith(char, self.pos)

    def take(self, char: str) -> bool:
        found = self.at(char)
        self.pos += found
        return found

    def expect(self, char: str) -> None:
        if not self.take(char):
            raise ValueError(f"expected {char!r} at char {self.pos}")

    def value(self) -> object:
        self.at("")
        value, self.pos = _DECODER.raw_decode(self.text, self.pos)
        return value

    def members(self) -> Iterator[str]:
        """The keys of the object here; the caller reads each value before asking for more."""
        self.expect("{")
        if self.take("}"):
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise ValueError(f"expected a key at char {self.pos}")
            self.expect(":")
            yield key
            if self.take("}"):
                return
            self.expect(",")


def stream_har(text: str, errors: list[str]) -> HarRequests | None:
    """The requests of `text` when it is a HAR document, read one entry at a time (bad entries
    are named in `errors` and skipped); None when it is not one, or cannot be read this way
    (invalid JSON, nesting too deep, a top-level "format" key): then read it as a whole."""
    problems: list[str] = []
    try:
        starts = _har_entries(_Cursor(text), problems)
    except (ValueError, RecursionError):
        return None
    if starts is None:
        return None
    errors.extend(problems)
    return HarRequests(text, starts)


def _har_entries(cursor: _Cursor, problems: list[str]) -> array[int] | None:
    """The starts of the good entries of ``log.entries``; None when the document has none."""
    found = None
    for key in cursor.members():
        if key == "format":
            return None  # maybe our own export: read the document as a whole
        if key == "log" and cursor.at("{"):
            for inner in cursor.members():
                if inner == "entries" and cursor.at("["):
                    problems.clear()  # as json.loads, the last "entries" counts
                    found = _entry_starts(cursor, problems)
                else:
                    cursor.value()
        else:
            cursor.value()
    cursor.at("")
    return found if cursor.pos == len(cursor.text) else None


def _entry_starts(cursor: _Cursor, errors: list[str]) -> array[int]:
    """Where each good entry of the array here starts (each is checked once); bad entries are
    named in `errors`."""
    starts: array[int] = array("q")
    cursor.expect("[")
    if cursor.take("]"):
        return starts
    for index in itertools.count(1):
        cursor.at("")
        start = cursor.pos
        try:
            _entry_request(cursor.value())
            starts.append(start)
        except FormatError as exc:
            errors.append(f"entry {index}: {exc}")
        if cursor.take("]"):
            break
        cursor.expect(",")
    return starts
