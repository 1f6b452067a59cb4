"""Import requests from a file of any format we read: `import_file`.

Formats, detected from the content (not the file name):
- ``export``: our JSON export (``"format": "webhook-inspector"``) or NDJSON export (one of our
  request objects per line), byte-exact;
- ``har``: HAR 1.2 (``log.entries``), ours byte-exact, other tools' best effort, read one entry
  at a time (see har);
- ``curl``: a file of curl commands (see curl);
- ``json``: any other JSON document: the payload of one POST to `default_path` with
  ``Content-Type: application/json`` and the exact file bytes as the body (also when its
  numbers have more digits than Python converts, or it is nested deeper than `json.loads`
  goes: then `formats.common.json_problem` checks it is valid JSON); a file of one JSON
  payload per line (generic NDJSON) gives one such POST per line, the line's bytes as body.

Safety: the file is checked with ``stat`` before it is opened (regular file, size cap), opened
non-blocking (a path swapped for a FIFO meanwhile cannot hang us) and checked again on the open
descriptor; at most `max_size` + 1 bytes are read; nothing is ever written.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from inspector.core.formats import curl, har
from inspector.core.formats.common import FormatError, json_int, json_problem
from inspector.core.formats.native import FORMAT_NAME, request_from_json
from inspector.core.models import CapturedRequest

__all__ = ["DEFAULT_MAX_SIZE", "ImportResult", "import_bytes", "import_file", "import_text"]

DEFAULT_MAX_SIZE = 256 * 1024 * 1024
"""Largest file `import_file` reads (bytes)."""

_OUR_KEYS = frozenset({"method", "headers", "body", "body_encoding"})


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What a file held: the requests that could be read, and a message per problem.

    `format` is "export", "har", "curl" or "json" ("" when the file could not be read at all).
    Requests come with ``source="import"`` and no id. A HAR file's requests are read from its
    text as they are used (`har.HarRequests`): take them in chunks, not all at once.
    """

    requests: Sequence[CapturedRequest] = ()
    errors: tuple[str, ...] = ()
    format: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def _size(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check(info: os.stat_result, max_size: int) -> str | None:
    if not stat.S_ISREG(info.st_mode):
        return f"{_kind(info.st_mode)}, not a regular file"
    if info.st_size > max_size:
        return f"too large: {_size(info.st_size)} (the limit is {_size(max_size)})"
    return None


def _read(path: Path, max_size: int) -> bytes:
    """The file's bytes; raises FormatError with a plain reason when it must not be read."""
    try:
        problem = _check(os.stat(path), max_size)
    except OSError as exc:
        raise FormatError(_os_reason(exc)) from exc
    if problem:
        raise FormatError(problem)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise FormatError(_os_reason(exc)) from exc
    try:
        problem = _check(os.fstat(fd), max_size)  # the path may have changed since the stat
        if problem:
            raise FormatError(problem)
        chunks: list[bytes] = []
        total = 0
        while total <= max_size:
            chunk = os.read(fd, min(1 << 20, max_size + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_size:
            raise FormatError(f"too large: over {_size(max_size)} (it grew while being read)")
        return b"".join(chunks)
    except OSError as exc:
        raise FormatError(_os_reason(exc)) from exc
    finally:
        os.close(fd)


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or type(exc).__name__


def _is_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


def import_file(
    path: Path | str, *, default_path: str = "/import", max_size: int = DEFAULT_MAX_SIZE
) -> ImportResult:
    """Read requests from `path`, detecting the format; never raises for a bad file (the
    reason is in `errors`), never writes."""
    try:
        data = _read(Path(path), max_size)
    except FormatError as exc:
        return ImportResult(errors=(str(exc),))
    return import_bytes(data, default_path=default_path)


def import_bytes(data: bytes, *, default_path: str = "/import") -> ImportResult:
    """Like `import_file`, for bytes already read."""
    if not data.strip():
        return ImportResult(errors=("the file is empty",))
    if _is_binary(data):
        return ImportResult(errors=("not JSON, HAR or curl (binary data)",))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ImportResult(errors=("not JSON, HAR or curl (not UTF-8 text)",))
    return import_text(text, raw=data, default_path=default_path)


def import_text(
    text: str, *, raw: bytes | None = None, default_path: str = "/import"
) -> ImportResult:
    """Requests from the text of a file (`raw`: its exact bytes, for the JSON payload case)."""
    if not default_path.startswith("/"):
        default_path = "/" + default_path
    stripped = text.lstrip()
    if stripped[:1] == "{" and '"log"' in text:
        errors: list[str] = []
        streamed = har.stream_har(text, errors)
        if streamed is not None:
            return ImportResult(streamed, tuple(errors), "har")
    if stripped[:1] in ("{", "["):
        try:
            document: object = json.loads(text, parse_int=json_int)
        except RecursionError:
            return _deep_json(text, raw, default_path)
        except ValueError as exc:
            lines = _ndjson(text) or _payload_lines(text, default_path)
            if lines is not None:
                return lines
            return ImportResult(errors=(f"not valid JSON: {exc}",))
        return _from_document(document, text, raw, default_path)
    if curl.looks_like_curl(text):
        problems: list[str] = []
        try:
            found = curl.parse_curl(text, problems)
        except FormatError as exc:
            return ImportResult(errors=(str(exc),), format="curl")
        return ImportResult(tuple(found), tuple(problems), "curl")
    return ImportResult(errors=("not JSON, HAR or curl",))


def _from_document(
    document: object, text: str, raw: bytes | None, default_path: str
) -> ImportResult:
    errors: list[str] = []
    if isinstance(document, dict) and document.get("format") == FORMAT_NAME:
        items = document.get("requests")
        if not isinstance(items, list):
            return ImportResult(errors=("export without a requests list",), format="export")
        found = []
        for index, item in enumerate(items, 1):
            try:
                found.append(_imported(request_from_json(item, f"request #{index}")))
            except FormatError as exc:
                errors.append(str(exc))
        return ImportResult(tuple(found), tuple(errors), "export")
    if har.is_har(document):
        requests = har.requests_from_har(document, errors)
        return ImportResult(tuple(_imported(r) for r in requests), tuple(errors), "har")
    if isinstance(document, dict) and document.keys() >= _OUR_KEYS:
        ndjson = _ndjson(text)  # a one-line NDJSON export
        if ndjson is not None:
            return ndjson
    return _json_payload(text, raw, default_path)


def _json_payload(text: str, raw: bytes | None, default_path: str) -> ImportResult:
    """Any other JSON document: one POST with the file's exact bytes."""
    body = raw if raw is not None else text.encode("utf-8")
    return ImportResult((_payload(body, default_path),), (), "json")


def _deep_json(text: str, raw: bytes | None, default_path: str) -> ImportResult:
    """JSON nested deeper than `json.loads` goes: none of our formats, so when it is valid it is
    a payload (stored as one POST; what can be derived from it is derived when it is stored)."""
    problem = json_problem(text)
    if problem is not None:
        return ImportResult(errors=(f"not valid JSON: {problem}",))
    return _json_payload(text, raw, default_path)


def _ndjson(text: str) -> ImportResult | None:
    """Our NDJSON export, or None when the first object line is not one of our requests."""
    found: list[CapturedRequest] = []
    errors: list[str] = []
    seen = False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line, parse_int=json_int)
        except (ValueError, RecursionError) as exc:
            if not seen:
                return None
            errors.append(f"line {number}: not valid JSON ({exc})")
            continue
        if not seen and not (isinstance(item, dict) and item.keys() >= _OUR_KEYS):
            return None
        seen = True
        try:
            found.append(_imported(request_from_json(item, f"line {number}")))
        except FormatError as exc:
            errors.append(str(exc))
    if not seen:
        return None
    return ImportResult(tuple(found), tuple(errors), "export")


def _payload_lines(text: str, default_path: str) -> ImportResult | None:
    """A generic NDJSON file (one JSON payload a line): one request per line, the line's exact
    bytes as body; None when its first line is not a JSON object or array."""
    found: list[CapturedRequest] = []
    errors: list[str] = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            json.loads(line)
        except (ValueError, RecursionError) as exc:
            if not found and not errors:
                return None
            errors.append(f"line {number}: not valid JSON ({exc})")
            continue
        if not found and line.lstrip()[:1] not in ("{", "["):
            return None
        found.append(_payload(line.encode("utf-8"), default_path))
    return ImportResult(tuple(found), tuple(errors), "json") if found else None


def _payload(body: bytes, default_path: str) -> CapturedRequest:
    """A JSON payload as the POST that delivers it."""
    return CapturedRequest(
        method="POST",
        path=default_path,
        headers=(("Content-Type", "application/json"),),
        body=body,
        received_at_ns=time.time_ns(),
        source="import",
    )


def _imported(request: CapturedRequest) -> CapturedRequest:
    return replace(request, source="import", id=None)
