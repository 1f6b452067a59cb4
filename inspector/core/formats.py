"""Our own JSON and NDJSON export format, byte-exact in both directions.

Bodies are text when they are valid UTF-8 and base64 otherwise (`body_encoding` says which).
Header values are Latin-1-decoded strings (see models.Header), so their bytes round-trip too.
Secrets are never part of an export.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from inspector.core.models import CapturedRequest, StoredRequest
from inspector.core.providers import masked_body

FORMAT_NAME = "webhook-inspector"
FORMAT_VERSION = 1

Masker = Callable[[dict[str, Any]], dict[str, Any]]


class FormatError(ValueError):
    """A file is not in a format we can read; the message says where and why."""


def encode_body(body: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 text when possible, else base64."""
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def decode_body(text: str, encoding: str) -> bytes:
    if encoding == "base64":
        return base64.b64decode(text, validate=True)
    if encoding in ("utf-8", "text", ""):
        return text.encode("utf-8")
    raise FormatError(f"unknown body_encoding {encoding!r}")


_INT_DIGITS = 4000
"""Below Python's limit on converting digit strings to int (4300 by default)."""


def json_int(digits: str) -> int | float:
    """A JSON integer; beyond `_INT_DIGITS` digits a float (inf when too large), so a huge number
    never stops a file from being read (`json.loads(text, parse_int=json_int)`)."""
    return int(digits) if len(digits) <= _INT_DIGITS else float(digits)


_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(
    r'"(?:[^"\\\x00-\x1f]+|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"'
    r"|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![0-9.eE])"
    r"|true|false|null|NaN|-?Infinity"
)
_CLOSER = {"[": "]", "{": "}"}


def _skip(text: str, pos: int) -> int:
    """The position after the JSON whitespace at `pos`."""
    match = _WS.match(text, pos)
    return match.end() if match else pos


def json_problem(text: str) -> str | None:
    """Why `text` is not one JSON value as `json.loads` reads it, or None when it is; without
    recursion, so any depth of nesting is checked (json.loads stops at about 1,000 levels)."""
    stack: list[str] = []
    pos, state = _skip(text, 0), "value"
    while True:
        if state == "key":
            match = _SCALAR.match(text, pos)
            if match is None or not match.group().startswith('"'):
                return f"expected a property name in double quotes (char {pos})"
            pos = _skip(text, match.end())
            if not text.startswith(":", pos):
                return f"expected ':' (char {pos})"
            pos, state = _skip(text, pos + 1), "value"
        elif state == "value":
            if text[pos : pos + 1] in ("[", "{"):
                stack.append(text[pos])
                pos = _skip(text, pos + 1)
                empty = text.startswith(_CLOSER[stack[-1]], pos)
                state = "after" if empty else ("value" if stack[-1] == "[" else "key")
                if empty:
                    stack.pop()
                    pos += 1
                continue
            match = _SCALAR.match(text, pos)
            if match is None:
                return f"expected a value (char {pos})"
            pos, state = match.end(), "after"
        else:
            pos = _skip(text, pos)
            if not stack:
                return None if pos == len(text) else f"extra data (char {pos})"
            if text.startswith(",", pos):
                pos = _skip(text, pos + 1)
                state = "value" if stack[-1] == "[" else "key"
            elif text.startswith(_CLOSER[stack[-1]], pos):
                stack.pop()
                pos += 1
            else:
                return f"expected ',' or {_CLOSER[stack[-1]]!r} (char {pos})"


def iso_time(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="microseconds")


def request_to_json(stored: StoredRequest, *, keep_credentials: bool = False) -> dict[str, Any]:
    """One exported request: the raw capture first, then what we answered and derived.

    Credentials some providers put in payloads (Evolution's apikey...) are masked unless
    `keep_credentials`; such a body is then marked `body_masked` (its bytes are not the
    original ones, `body_sha256` still is)."""
    req, derived = stored.request, stored.derived
    masked = None if keep_credentials else masked_body(req.body)
    body, encoding = encode_body(masked if masked is not None else req.body)
    response_body, response_encoding = encode_body(stored.response_body)
    ver = derived.verification
    return {
        "id": req.id,
        "received_at": iso_time(req.received_at_ns),
        "received_at_ns": req.received_at_ns,
        "source": req.source,
        "method": req.method,
        "scheme": req.scheme,
        "path": req.path,
        "query": req.query,
        "http_version": req.http_version,
        "remote": req.remote,
        "headers": [list(h) for h in req.headers],
        "body": body,
        "body_encoding": encoding,
        "body_masked": masked is not None,
        "body_size": len(req.body),
        "body_sha256": req.body_sha256,
        "refused": req.refused,
        "declared_size": req.declared_size,
        "response": {
            "status": stored.response_status,
            "headers": [list(h) for h in stored.response_headers],
            "body": response_body,
            "body_encoding": response_encoding,
        },
        "provider": derived.provider,
        "event_type": derived.event_type,
        "summary": derived.summary,
        "duplicate_of": stored.duplicate_of,
        "signature": {"status": str(ver.status), "scheme": ver.scheme, "reason": ver.reason},
        "events": [
            {"provider": e.provider, "type": e.event_type, "summary": e.summary,
             "event_id": e.event_id, "chat": e.chat, "sender": e.sender}
            for e in derived.events
        ],
    }  # fmt: skip


def request_from_json(data: Any, where: str = "") -> CapturedRequest:
    """The captured request inside one exported object (derived fields are re-derived)."""
    if not isinstance(data, dict):
        raise FormatError(f"{where}: expected an object, got {type(data).__name__}")
    try:
        body = decode_body(str(data.get("body", "")), str(data.get("body_encoding", "utf-8")))
        headers = tuple((str(k), str(v)) for k, v in data.get("headers", []))
        return CapturedRequest(
            method=str(data["method"]),
            path=str(data.get("path", "/")),
            query=str(data.get("query", "")),
            headers=headers,
            body=body,
            remote=str(data.get("remote", "")),
            http_version=str(data.get("http_version", "1.1")),
            received_at_ns=int(data.get("received_at_ns", 0)),
            source=str(data.get("source", "import")),
            scheme=str(data.get("scheme", "http")),
            refused=data.get("refused"),
            declared_size=data.get("declared_size"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{where}: not a request of ours ({exc})") from exc


def write_json(
    stream: IO[str],
    items: Iterable[StoredRequest],
    mask: Masker | None = None,
    *,
    keep_credentials: bool = False,
) -> int:
    """Write a JSON export incrementally (memory stays bounded); returns the count."""
    stream.write(f'{{"format": "{FORMAT_NAME}", "version": {FORMAT_VERSION}, ')
    stream.write('"headers_encoding": "latin-1", "requests": [\n')
    count = 0
    for stored in items:
        data = request_to_json(stored, keep_credentials=keep_credentials)
        stream.write((",\n" if count else "") + json.dumps(mask(data) if mask else data))
        count += 1
    stream.write("\n]}\n")
    return count


def write_ndjson(
    stream: IO[str],
    items: Iterable[StoredRequest],
    mask: Masker | None = None,
    *,
    keep_credentials: bool = False,
) -> int:
    count = 0
    for stored in items:
        data = request_to_json(stored, keep_credentials=keep_credentials)
        stream.write(json.dumps(mask(data) if mask else data) + "\n")
        count += 1
    return count


def read_export(text: str) -> Iterator[CapturedRequest]:
    """Requests from our JSON or NDJSON export. Raises FormatError naming the bad entry."""
    stripped = text.lstrip()
    if stripped.startswith("{") and '"format"' in stripped[:200]:
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise FormatError(f"not valid JSON: {exc}") from exc
        if document.get("format") != FORMAT_NAME:
            raise FormatError("not a webhook-inspector export (no format marker)")
        for index, item in enumerate(document.get("requests", [])):
            yield request_from_json(item, f"request #{index + 1}")
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise FormatError(f"line {number}: not valid JSON ({exc})") from exc
            yield request_from_json(item, f"line {number}")


# --- every export format ----------------------------------------------------------------------

EXPORT_FORMATS = ("json", "ndjson", "har", "curl")
"""Formats `write_export` writes (and `importing.import_file` reads back)."""


def write_export(
    stream: IO[str],
    items: Iterable[StoredRequest],
    fmt: str = "json",
    *,
    mask: bool = False,
    keep_credentials: bool = False,
    base_url: str | None = None,
) -> int:
    """Write `items` as `fmt` (one of EXPORT_FORMATS), streaming; returns the count.

    `mask` hides phone numbers, names and message text (see masking; masked bodies are marked);
    credentials in payloads are masked unless `keep_credentials`. `base_url` is for curl: where
    the commands send to (default: each request's own scheme://Host).
    """
    from inspector.core import curl, har, masking  # they import this module

    if fmt == "json":
        masker = masking.mask_export_item if mask else None
        return write_json(stream, items, masker, keep_credentials=keep_credentials)
    if fmt == "ndjson":
        masker = masking.mask_export_item if mask else None
        return write_ndjson(stream, items, masker, keep_credentials=keep_credentials)
    if fmt == "har":
        return har.write_har(stream, items, keep_credentials=keep_credentials, mask=mask)
    if fmt == "curl":
        return curl.write_curl(
            stream, items, base_url=base_url, keep_credentials=keep_credentials, mask=mask
        )
    raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
