"""HAR 1.2 export and import (HTTP Archive: browsers' dev tools, Charles, mitmproxy, Insomnia).

Export: one entry per stored request. ``request.url`` is scheme://Host + path?query as received;
``postData.text`` holds the body as UTF-8 text, or base64 with the custom field
``"_encoding": "base64"`` when the bytes are not UTF-8 (HAR 1.2 defines ``encoding`` only for
``response.content``; custom fields start with ``_``). ``response`` is what we answered. Header
values are our raw-bytes-as-Latin-1 strings (see models.Header), and ``_webhookInspector`` keeps
what HAR has no place for (raw path and query, remote address, capture time in ns, derived
provider/event/signature), so our own HAR files import back byte for byte.

Import of other tools' HAR files is best effort: text bodies are taken as UTF-8, base64 when
``encoding`` or ``_encoding`` says so, form ``params`` are url-encoded when there is no text,
HTTP/2 pseudo-headers (``:authority``…) are dropped (``:authority`` becomes Host when there is
none), and header values are stored as their UTF-8 bytes.
"""

from __future__ import annotations

import base64
import binascii
import http
import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from inspector import __version__
from inspector.core.formats import FormatError, encode_body, iso_time
from inspector.core.masking import mask_stored
from inspector.core.models import CapturedRequest, StoredRequest
from inspector.core.providers import masked_body

__all__ = ["EXTENSION", "entry_to_har", "is_har", "read_har", "requests_from_har", "write_har"]

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
    parts = urlsplit(url)
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
