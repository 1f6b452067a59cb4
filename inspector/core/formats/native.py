"""Our own JSON and NDJSON export format, byte-exact in both directions.

Bodies are text when they are valid UTF-8 and base64 otherwise (`body_encoding` says which).
Header values are Latin-1-decoded strings (see models.Header), so their bytes round-trip too.
Secrets are never part of an export.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from inspector.core.formats.common import FormatError, encode_body, iso_time
from inspector.core.models import CapturedRequest, StoredRequest
from inspector.core.providers import masked_body

FORMAT_NAME = "webhook-inspector"
FORMAT_VERSION = 1

Masker = Callable[[dict[str, Any]], dict[str, Any]]


def decode_body(text: str, encoding: str) -> bytes:
    if encoding == "base64":
        return base64.b64decode(text, validate=True)
    if encoding in ("utf-8", "text", ""):
        return text.encode("utf-8")
    raise FormatError(f"unknown body_encoding {encoding!r}")


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
