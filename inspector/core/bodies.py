"""Body views without Qt: classify, pretty-print, hex-dump, inflate, raw text, JSON-aware diff.

Everything here is derived from the stored bytes (ARCHITECTURE.md, "Capture raw, derive views")
and never changes them. The
functions are pure and may run on any thread; the GUI runs them off its own thread because they
can take a while on megabytes. Caps keep the output a widget can show: `DISPLAY_CAP` for text,
`HEX_CAP` for hex dumps, `INFLATE_CAP` for gzip (a small gzip can inflate to gigabytes),
`HIGHLIGHT_CAP` for Pygments (slow on megabytes).

JSON is pretty-printed from an exact parse: objects keep their key order and duplicate keys,
numbers keep their spelling (``10.50`` stays ``10.50``), strings are shown decoded
(``ensure_ascii=False``).
"""

from __future__ import annotations

import difflib
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qsl

from pygments.lexers import JsonLexer
from pygments.token import Token

from inspector.core.models import CapturedRequest, Header, display_text

KIB = 1024
MIB = 1024 * KIB
DISPLAY_CAP = 256 * KIB
"""Bodies over this size are shown truncated until the user asks for all of it."""
SHOW_ALL_CAP = 32 * MIB
"""What "Show all" lifts the cap to: more text than this does not belong in a widget."""
HEX_CAP = 2 * MIB
"""Hex dumps stop here even after "Show all" (a hex dump is ~5 characters per byte)."""
INFLATE_CAP = 8 * MIB
"""Gzip/deflate bodies are inflated for viewing up to this many bytes, never more."""
HIGHLIGHT_CAP = 512 * KIB
"""Formatted JSON longer than this (characters) is shown without colours."""
TREE_LINES = 2000
"""Formatted JSON with more lines than this opens in the collapsible tree view."""
TREE_CAP = 1 * MIB
"""JSON bodies up to this size are parsed exactly (for the tree view); larger ones are
pretty-printed token by token (`reindent_json`), which never holds the GIL for long and builds
no tree."""
COMPARE_CAP = 1 * MIB
"""Only this much of each body takes part in a comparison."""
PART_TEXT_MAX = 4 * KIB
"""Longest text shown for one multipart part."""
HEX_WIDTH = 16
IGNORED = "<ignored>"
"""What a volatile value is replaced with before diffing."""

VOLATILE_KEYS = frozenset(
    {
        "timestamp", "time", "ts", "id", "eventid", "event_id", "receivedat", "date_time",
        "created", "created_at", "idmessage", "x-webhook-request-id", "expiration_timestamp",
    }
)  # fmt: skip
"""JSON keys (lower-case; matched case-insensitively) whose values differ on every delivery."""
VOLATILE_PREFIXES = ("wamid.",)
"""String values starting with these are message ids (WhatsApp's wamid.*), blanked wherever."""
VOLATILE_HEADERS = VOLATILE_KEYS | frozenset(
    {
        "date", "x-request-id", "x-github-delivery", "webhook-id", "webhook-timestamp",
        "svix-id", "svix-timestamp", "x-slack-request-timestamp", "x-shopify-webhook-id",
        "x-shopify-triggered-at", "x-shopify-event-id", "x-twilio-idempotency-token",
        "x-amzn-trace-id", "traceparent", "x-forwarded-for",
    }
)  # fmt: skip
"""Header names (lower-case) that differ on every delivery."""

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)
_GZIP_MAGIC = b"\x1f\x8b"
_INFLATABLE = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": 0}
_ASCII = bytes(c if 0x20 <= c < 0x7F else 0x2E for c in range(256))
_PARAM = re.compile(r';\s*([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_UNCOLOURED = (Token.Text, Token.Punctuation)


class Kind(StrEnum):
    """What a body is, as far as viewing it goes."""

    EMPTY = "empty"
    JSON = "json"
    FORM = "form"
    MULTIPART = "multipart"
    TEXT = "text"
    BINARY = "binary"
    IMAGE = "image"
    ENCODED = "encoded"
    """Compressed (Content-Encoding gzip/deflate) and not inflated yet."""


class JsonObject(list[tuple[str, object]]):
    """A JSON object as its (key, value) pairs: order and duplicate keys as sent."""


class JsonNumber(str):
    """A JSON number exactly as written (``1.50`` is not ``1.5``)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a multipart/form-data body."""

    name: str
    filename: str | None
    content_type: str
    size: int
    text: str | None
    """The part as text when it is short-ish valid UTF-8 without NUL bytes, else None."""


@dataclass(frozen=True, slots=True)
class BodyDisplay:
    """How to show one body: the text for a text view plus what a richer view needs."""

    kind: Kind
    size: int
    text: str = ""
    notes: tuple[str, ...] = ()
    truncated: bool = False
    """Less than the whole body is shown; a larger cap shows more."""
    fields: tuple[tuple[str, str], ...] = ()
    parts: tuple[Part, ...] = ()
    data: object = None
    """The exactly parsed JSON (JsonObject, list, str, JsonNumber, bool, None) for a tree view."""
    payload: bytes = b""
    """The image bytes (inflated when the body was compressed), for IMAGE."""
    encoding: str = ""
    """The Content-Encoding, for ENCODED."""

    @property
    def line_count(self) -> int:
        return self.text.count("\n") + 1 if self.text else 0


# --- small helpers ---------------------------------------------------------------------------


def format_size(size: int) -> str:
    """1536 -> '1.5 KiB'."""
    if size < KIB:
        return f"{size} byte" if size == 1 else f"{size} bytes"
    return scaled_size(size, ("KiB", "MiB", "GiB"))


def scaled_size(size: int, units: tuple[str, str, str]) -> str:
    """`size` (at least 1024) in the first of these 1024-fold units under 1024, one decimal
    below 100: scaled_size(1536, ("KiB", "MiB", "GiB")) -> '1.5 KiB'."""
    value = float(size)
    for unit in units:
        value /= 1024
        if value < 1024 or unit == units[-1]:
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def media_type(content_type: str) -> str:
    """'Application/JSON; charset=utf-8' -> 'application/json'."""
    return content_type.split(";", 1)[0].strip().lower()


def content_type_param(content_type: str, name: str) -> str | None:
    """A parameter of a Content-Type value (quotes removed), or None."""
    for key, raw in _PARAM.findall(content_type):
        value = str(raw).strip()
        if str(key).lower() == name.lower():
            if len(value) >= 2 and value[0] == value[-1] == '"':
                return re.sub(r"\\(.)", r"\1", value[1:-1])
            return value
    return None


def image_format(data: bytes) -> str | None:
    """'PNG', 'JPEG', 'GIF' or 'WEBP' by magic bytes, else None."""
    for magic, name in _IMAGE_MAGIC:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def is_textual(mime: str) -> bool:
    """Whether a media type promises text (or says nothing)."""
    return (
        not mime
        or mime.startswith("text/")
        or mime.endswith(("json", "xml", "javascript", "x-www-form-urlencoded"))
    )


def is_json_type(mime: str) -> bool:
    return mime in ("application/json", "text/json") or mime.endswith("+json")


def first_bad_byte(data: bytes) -> int | None:
    """Offset of the first byte that makes `data` invalid UTF-8, or None when it is valid."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start
    return None


def decode_prefix(data: bytes) -> str | None:
    """`data` as UTF-8, ignoring one multi-byte character cut off at the very end (a cap may
    fall inside it); None when it is not valid UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data" and error.end == len(data):
            return data[: error.start].decode("utf-8", "replace")
        return None


def hex_dump(data: bytes, start: int = 0) -> str:
    """Classic dump, 16 bytes a line: offset, hex bytes (two groups of 8), ASCII between bars.

    ``00000000  48 69 0a                                          |Hi.|``
    """
    lines = []
    for offset in range(0, len(data), HEX_WIDTH):
        chunk = data[offset : offset + HEX_WIDTH]
        left = chunk[:8].hex(" ")
        right = chunk[8:].hex(" ")
        hex_part = f"{left:<23}  {right:<23}"
        lines.append(f"{start + offset:08x}  {hex_part}  |{chunk.translate(_ASCII).decode()}|")
    return "\n".join(lines)


def inflate(body: bytes, encoding: str, limit: int = INFLATE_CAP) -> tuple[bytes, bool]:
    """Inflate a gzip/deflate body up to `limit` bytes: (data, capped).

    Raises:
        ValueError: the body is not valid for the encoding.
    """
    wbits = _INFLATABLE[encoding.strip().lower()]
    if wbits == 0:  # "deflate" is zlib-wrapped in the RFC, raw deflate in practice
        wbits = zlib.MAX_WBITS if body[:1] and (body[0] & 0x0F) == 8 else -zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise ValueError(str(error)) from error
    if len(data) > limit:
        return data[:limit], True
    if not inflater.eof:
        raise ValueError("the compressed data ends early")
    return data, False


# --- JSON ---------------------------------------------------------------------------------


def parse_json_exact(text: str) -> object:
    """Parse JSON keeping key order, duplicate keys and number spelling.

    Raises:
        ValueError: not JSON.
        RecursionError: nested too deeply for the parser.
    """
    value: object = json.loads(
        text,
        object_pairs_hook=JsonObject,
        parse_int=JsonNumber,
        parse_float=JsonNumber,
        parse_constant=JsonNumber,
    )
    return value


@dataclass(slots=True)
class _Frame:
    items: Iterator[tuple[str | None, object]]
    closer: str
    first: bool = True


def _container(value: object, sort_keys: bool) -> tuple[str, list[tuple[str | None, object]]]:
    if isinstance(value, JsonObject):
        pairs: list[tuple[str | None, object]] = list(value)
        if sort_keys:
            pairs.sort(key=lambda pair: pair[0] or "")
        return "{}", pairs
    assert isinstance(value, list)
    return "[]", [(None, item) for item in value]


def _scalar(value: object) -> str:
    if isinstance(value, JsonNumber):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def iter_pretty(value: object, *, sort_keys: bool = False) -> Iterator[str]:
    """Chunks of `value` printed like ``json.dumps(indent=2, ensure_ascii=False)``.

    Iterative, so any depth the parser accepted prints without recursion.
    """
    frames: list[_Frame] = []
    current = value
    while True:
        if isinstance(current, list):
            brackets, items = _container(current, sort_keys)
            if items:
                yield brackets[0]
                frames.append(_Frame(iter(items), brackets[1]))
            else:
                yield brackets
        else:
            yield _scalar(current)
        while frames:
            frame = frames[-1]
            item = next(frame.items, None)
            if item is None:
                frames.pop()
                yield "\n" + "  " * len(frames) + frame.closer
                continue
            key, current = item
            lead = "\n" if frame.first else ",\n"
            frame.first = False
            label = "" if key is None else json.dumps(key, ensure_ascii=False) + ": "
            yield lead + "  " * len(frames) + label
            break
        else:
            return


def pretty_json(
    value: object, *, sort_keys: bool = False, cap: int | None = None
) -> tuple[str, bool]:
    """(text, truncated): `value` pretty-printed, cut once past `cap` characters (see `cut`)."""
    return _joined(iter_pretty(value, sort_keys=sort_keys), cap)


def _joined(chunks: Iterable[str], cap: int | None) -> tuple[str, bool]:
    """The chunks joined, cut once past `cap`. They are joined a few thousand at a time: a
    list of millions of small strings takes long to join and free in one step, holding the
    GIL (the GUI formats bodies on a worker thread)."""
    pieces: list[str] = []
    batch: list[str] = []
    size = 0
    for chunk in chunks:
        batch.append(chunk)
        size += len(chunk)
        if cap is not None and size > cap:
            pieces.append("".join(batch))
            return cut("".join(pieces), cap), True
        if len(batch) == 4096:
            pieces.append("".join(batch))
            batch.clear()
    pieces.append("".join(batch))
    return "".join(pieces), False


def cut(text: str, cap: int) -> str:
    """`text` cut to at most `cap` characters: at the last line end when that keeps at least
    half of it, else in the middle of the (long) line, so a cut view never shrinks to "{"."""
    text = text[:cap]
    end = text.rfind("\n")
    return text[:end].rstrip("\n") if end >= cap // 2 else text


_JSON_TOKEN = re.compile(
    r"[{}\[\]:,]|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null|[ \t\r\n]+"
)
_CLOSERS = {"{": "}", "[": "]"}
_EXPECTED = {"value": "a value", "key": "a key", "colon": "a colon",
             "next": "a comma or a closing bracket", "end": "the end"}  # fmt: skip


def _string(token: str) -> str:
    """A JSON string token as `iter_pretty` prints it (escapes decoded, ensure_ascii=False)."""
    if "\\" not in token and token.isprintable():
        return token
    return json.dumps(json.loads(token), ensure_ascii=False)


class _Reindent:
    """The state of `reindent_json`: the open containers and what may come next."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.expect = "value"  # value, key, colon, next (a comma or a closer) or end
        self.opened = False  # the last token opened a container

    def lead(self) -> str:
        """What goes before the next token: a new line when it is a container's first item."""
        return "\n" + "  " * len(self.stack) if self.opened else ""

    def feed(self, token: str) -> str:
        """The pretty text for one token; ValueError when it cannot come here."""
        if token in ("}", "]"):
            if self.opened or self.expect == "next":
                return self._close(token)
            raise ValueError(f"unexpected {token}")
        lead, self.opened = self.lead(), False
        if token == ",":
            self._need("next")
            self.expect = "key" if self.stack[-1] == "{" else "value"
            return ",\n" + "  " * len(self.stack)
        if token == ":":
            self._need("colon")
            self.expect = "value"
            return ": "
        if self.expect == "key":
            if not token.startswith('"'):
                raise ValueError("expected a string key")
            self.expect = "colon"
            return lead + _string(token)
        self._need("value")
        if token in _CLOSERS:
            self.stack.append(token)
            self.opened, self.expect = True, "key" if token == "{" else "value"
            return lead + token
        self.expect = "next" if self.stack else "end"
        return lead + (_string(token) if token.startswith('"') else token)

    def _need(self, state: str) -> None:
        if self.expect != state:
            raise ValueError(f"expected {_EXPECTED[self.expect]}")

    def _close(self, token: str) -> str:
        if not self.stack or _CLOSERS[self.stack[-1]] != token:
            raise ValueError(f"unexpected {token}")
        self.stack.pop()
        was_empty, self.opened = self.opened, False
        self.expect = "next" if self.stack else "end"
        return token if was_empty else "\n" + "  " * len(self.stack) + token


def iter_reindent(text: str, *, partial: bool = False) -> Iterator[str]:
    """Chunks of JSON `text` printed like `iter_pretty` prints its parse (key order, duplicate
    keys and number spelling kept), token by token: no tree is built, so megabytes print in
    small steps. `partial`: `text` is the start of a document; what follows its last whole
    token is passed through as is.

    Raises:
        ValueError: not JSON ("… at character N").
    """
    state = _Reindent()
    position, size = 0, len(text)
    while position < size:
        start = position
        if text[start] == '"':
            position = _string_end(text, start)
            if position < 0:
                if partial:  # a string cut off by the cap
                    yield state.lead() + text[start:]
                    return
                raise ValueError(f"a string is not closed at character {start + 1}")
        else:
            match = _JSON_TOKEN.match(text, start)
            if match is None:
                raise ValueError(f"not valid JSON at character {start + 1}")
            position = match.end()
            if text[start] in " \t\r\n":
                continue
        try:
            yield state.feed(text[start:position])
        except ValueError as error:
            raise ValueError(f"{error} at character {start + 1}") from None
    if state.expect != "end" and not partial:
        raise ValueError("the JSON ends early" if text.strip() else "no JSON value")


def _string_end(text: str, start: int) -> int:
    """The end of the string token opening at `start` (just past its closing quote), or -1.
    Found with `str.find`, so a megabyte string is skipped in one fast step."""
    position = start + 1
    while True:
        quote = text.find('"', position)
        if quote < 0:
            return -1
        escapes = quote - 1
        while text[escapes] == "\\" and escapes > start:
            escapes -= 1
        if (quote - 1 - escapes) % 2 == 0:
            return quote + 1
        position = quote + 1


def reindent_json(text: str, *, cap: int | None = None, partial: bool = False) -> tuple[str, bool]:
    """(text, truncated): `iter_reindent` joined, cut once past `cap` (see `cut`)."""
    return _joined(iter_reindent(text, partial=partial), cap)


def fold_lines(text: str, width: int) -> tuple[str, bool]:
    """(text, folded): lines longer than `width` characters broken into pieces of `width`.

    Works through the text about a megabyte at a time: a list of millions of lines takes long
    to free in one step, holding the GIL (the GUI calls this on a worker thread)."""
    if len(text) <= width:
        return text, False
    segments: list[str] = []
    folded = False
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + MIB)
        end = size if end < 0 else end
        lines = text[start:end].split("\n")
        if max(map(len, lines)) > width:
            folded = True
            lines = [line[at : at + width]
                     for line in lines for at in range(0, len(line) or 1, width)]  # fmt: skip
        segments.append("\n".join(lines))
        start = end
    return "".join(segments), folded


def blank_volatile(value: object) -> object:
    """A copy of parsed JSON with volatile values (`VOLATILE_KEYS`, wamid ids) replaced."""
    if isinstance(value, JsonObject):
        return JsonObject(
            (key, IGNORED if key.lower() in VOLATILE_KEYS else blank_volatile(item))
            for key, item in value
        )
    if isinstance(value, list):
        return [blank_volatile(item) for item in value]
    if isinstance(value, str) and not isinstance(value, JsonNumber):
        return IGNORED if value.startswith(VOLATILE_PREFIXES) else value
    return value


Span = tuple[int, int, str]
"""A highlighted token: start and length in UTF-16 code units (Qt's positions), token type."""


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def json_spans(text: str) -> tuple[Span, ...]:
    """Pygments' JsonLexer tokens of `text` as spans in UTF-16 units (emoji count twice).

    Plain text and punctuation are left out: they keep the view's own colour.
    """
    wide = bool(text) and max(text) > "\uffff"
    spans: list[Span] = []
    position = last = 0
    for index, token_type, value in JsonLexer().get_tokens_unprocessed(text):
        if wide:
            position += _utf16_len(text[last:index])
            last = index
        start = position if wide else index
        if not any(token_type in plain for plain in _UNCOLOURED):
            spans.append((start, _utf16_len(value) if wide else len(value), str(token_type)))
    return tuple(spans)


# --- forms and multipart --------------------------------------------------------------------


def parse_form(text: str) -> tuple[tuple[str, str], ...]:
    """Fields of an application/x-www-form-urlencoded text, in order, blanks kept."""
    return tuple(parse_qsl(text, keep_blank_values=True))


def _part_headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), display_text(value.strip()))
    return headers


def _part(chunk: bytes) -> Part:
    head, sep, data = chunk.partition(b"\r\n\r\n")
    if not sep:
        head, sep, data = chunk.partition(b"\n\n")
    if data.endswith(b"\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n"):
        data = data[:-1]
    headers = _part_headers(head)
    disposition = headers.get("content-disposition", "")
    ctype = headers.get("content-type", "")
    text = decode_prefix(data[:PART_TEXT_MAX]) if is_textual(media_type(ctype)) else None
    if text is not None and "\x00" in text:
        text = None
    return Part(
        name=content_type_param(disposition, "name") or "",
        filename=content_type_param(disposition, "filename"),
        content_type=ctype,
        size=len(data),
        text=text,
    )


def parse_multipart(body: bytes, boundary: str) -> tuple[Part, ...]:
    """Parts of a multipart body (preamble and epilogue ignored; a missing end is tolerated)."""
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    chunks = body.split(delimiter)[1:]
    parts = []
    for chunk in chunks:
        if chunk.startswith(b"--"):
            break
        parts.append(_part(chunk.removeprefix(b"\r\n").removeprefix(b"\n")))
    return tuple(parts)


# --- classification -------------------------------------------------------------------------


def describe(
    body: bytes,
    content_type: str = "",
    content_encoding: str = "",
    *,
    cap: int = DISPLAY_CAP,
    inflate_body: bool = False,
) -> BodyDisplay:
    """How to show `body`, given its Content-Type and Content-Encoding header values.

    Compressed bodies are described as ENCODED unless `inflate_body`; then they are inflated
    (up to `INFLATE_CAP`) and described like any other body. At most `cap` bytes of text (and
    `HEX_CAP` bytes of hex) are shown; `truncated` says when that was less than the body.
    """
    if not body:
        return BodyDisplay(Kind.EMPTY, 0, notes=("No body.",))
    encoding = content_encoding.strip().lower()
    if encoding in _INFLATABLE:
        if not inflate_body:
            note = f"Stored as received ({encoding}, {format_size(len(body))})."
            return BodyDisplay(Kind.ENCODED, len(body), notes=(note,), encoding=encoding)
        return _describe_inflated(body, content_type, encoding, cap)
    if encoding and encoding != "identity":
        note = f"Content-Encoding {encoding} is not decoded here: shown as stored."
        return _with_notes(as_hex(body, cap, ()), note)
    return _classify(body, content_type, cap)


def _with_notes(display: BodyDisplay, *notes: str) -> BodyDisplay:
    return BodyDisplay(
        display.kind, display.size, display.text, (*notes, *display.notes), display.truncated,
        display.fields, display.parts, display.data, display.payload, display.encoding,
    )  # fmt: skip


def _describe_inflated(body: bytes, content_type: str, encoding: str, cap: int) -> BodyDisplay:
    try:
        data, capped = inflate(body, encoding)
    except ValueError as error:
        note = f"Could not inflate ({encoding}): {error}. Shown as stored."
        return _with_notes(as_hex(body, cap, ()), note)
    note = f"Inflated for viewing: {format_size(len(body))} {encoding} -> {format_size(len(data))}."
    if capped:
        note += f" Stopped at {format_size(INFLATE_CAP)}: the rest was not inflated."
    return _with_notes(_classify(data, content_type, cap), note)


def _classify(body: bytes, content_type: str, cap: int) -> BodyDisplay:
    picture = image_format(body)
    if picture is not None:
        note = f"{picture} image, {format_size(len(body))}."
        return BodyDisplay(Kind.IMAGE, len(body), notes=(note,), payload=body)
    mime = media_type(content_type)
    if mime == "multipart/form-data":
        display = _multipart(body, content_type)
        if display is not None:
            return display
    bad = first_bad_byte(body[:cap])
    text = decode_prefix(body[:cap]) if bad is not None else body[:cap].decode("utf-8")
    if text is None:
        bad_note = f"Not valid UTF-8 (first bad byte at offset {bad}): shown as hex."
        note = bad_note if is_textual(mime) else "Binary data: shown as hex."
        return as_hex(body, cap, (note,))
    if "\x00" in text:
        return as_hex(body, cap, ("Contains NUL bytes: shown as hex.",))
    if mime == "application/x-www-form-urlencoded":
        return _text(Kind.FORM, body, text, cap, fields=parse_form(text))
    if is_json_type(mime) or (mime in ("", "text/plain") and text.lstrip()[:1] in ("{", "[")):
        return _json(body, text, cap, strict=is_json_type(mime))
    return _text(Kind.TEXT, body, text, cap)


def _truncation_note(shown: int, size: int) -> str:
    return f"Showing the first {format_size(shown)} of {format_size(size)}."


def _text(
    kind: Kind, body: bytes, text: str, cap: int, fields: tuple[tuple[str, str], ...] = ()
) -> BodyDisplay:
    truncated = len(body) > cap
    notes = (_truncation_note(cap, len(body)),) if truncated else ()
    return BodyDisplay(kind, len(body), text, notes, truncated, fields=fields)


def as_hex(body: bytes, cap: int = DISPLAY_CAP, notes: tuple[str, ...] = ()) -> BodyDisplay:
    """A BINARY display: hex dump of up to `cap` (at most `HEX_CAP`) bytes."""
    limit = min(cap, HEX_CAP)
    truncated = len(body) > limit
    if truncated:
        notes = (*notes, _truncation_note(limit, len(body)))
        if limit == HEX_CAP:
            notes = (*notes, f"Hex dumps stop at {format_size(HEX_CAP)}: save the body for more.")
    return BodyDisplay(Kind.BINARY, len(body), hex_dump(body[:limit]), notes, truncated)


def _json(body: bytes, head: str, cap: int, *, strict: bool) -> BodyDisplay:
    if len(body) > TREE_CAP:
        return _large_json(body, head, cap, strict=strict)
    text = head if len(body) <= cap else body.decode("utf-8", "replace")
    try:
        data = parse_json_exact(text)
    except RecursionError:
        note = "JSON nested too deeply to pretty-print: shown as received."
        return _with_notes(_text(Kind.TEXT, body, head, cap), note)
    except ValueError as error:
        if not strict:
            return _text(Kind.TEXT, body, head, cap)
        return _with_notes(_text(Kind.TEXT, body, head, cap), f"Not valid JSON: {error}.")
    pretty, truncated = pretty_json(data, cap=cap if len(body) > cap else None)
    shown = f"Showing the first {format_size(cap)} of the formatted JSON"
    notes = (f"{shown} ({format_size(len(body))} body).",) if truncated else ()
    return BodyDisplay(Kind.JSON, len(body), pretty, notes, truncated, data=data)


def _large_json(body: bytes, head: str, cap: int, *, strict: bool) -> BodyDisplay:
    """A JSON body over `TREE_CAP`: pretty-printed token by token (the part shown only), no
    tree."""
    truncated = len(body) > cap
    try:
        pretty, cut_output = reindent_json(head, cap=cap, partial=truncated)
    except ValueError as error:
        if not strict:
            return _text(Kind.TEXT, body, head, cap)
        return _with_notes(_text(Kind.TEXT, body, head, cap), f"Not valid JSON: {error}.")
    notes = [f"No tree view over {format_size(TREE_CAP)}."]
    if truncated or cut_output:
        shown = f"Showing the first {format_size(cap)} of the formatted JSON"
        notes.insert(0, f"{shown} ({format_size(len(body))} body).")
    return BodyDisplay(Kind.JSON, len(body), pretty, tuple(notes), truncated or cut_output)


def _multipart(body: bytes, content_type: str) -> BodyDisplay | None:
    boundary = content_type_param(content_type, "boundary")
    parts = parse_multipart(body, boundary) if boundary else ()
    if not parts:
        return None
    note = f"multipart/form-data: {len(parts)} part{'s' if len(parts) != 1 else ''}."
    return BodyDisplay(Kind.MULTIPART, len(body), notes=(note,), parts=parts)


# --- raw request text -----------------------------------------------------------------------


def looks_binary(body: bytes) -> bool:
    """Whether a body is better shown as hex than as text (NULs, images, compressed, or more
    than one byte in ten not valid UTF-8)."""
    head = body[:DISPLAY_CAP]
    if b"\x00" in head or image_format(head) or head.startswith(_GZIP_MAGIC):
        return True
    text = head.decode("utf-8", "replace")
    return text.count("\ufffd") * 10 > max(len(text), 1)


def raw_body_text(body: bytes, cap: int = DISPLAY_CAP) -> str:
    """A body for the raw view: UTF-8 (invalid bytes shown as U+FFFD) or a hex dump."""
    if looks_binary(body):
        limit = min(cap, HEX_CAP)
        text = f"<{len(body)} bytes binary>\n{hex_dump(body[:limit])}"
    else:
        limit = cap
        text = decode_prefix(body[:limit]) or body[:limit].decode("utf-8", "replace")
    if len(body) > limit:
        text += f"\n… {len(body) - limit} more bytes not shown (Save to file… has them all)"
    return text


def raw_text(request: CapturedRequest, cap: int = DISPLAY_CAP) -> str:
    """The request as text: request line, headers in order, blank line, body."""
    lines = [f"{request.method} {request.target} HTTP/{request.http_version}"]
    lines += [f"{name}: {display_text(value)}" for name, value in request.headers]
    return "\n".join(lines) + "\n\n" + raw_body_text(request.body, cap)


# --- diff -----------------------------------------------------------------------------------

DiffLine = tuple[str, str]
"""(tag, text): tag ' ' same in both, '-' only in the first, '+' only in the second."""


@dataclass(frozen=True, slots=True)
class Diff:
    """A full-context line diff and how many lines differ."""

    lines: tuple[DiffLine, ...]
    changed: int

    @property
    def summary(self) -> str:
        if self.changed == 0:
            return "No differences"
        return "1 line differs" if self.changed == 1 else f"{self.changed} lines differ"


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two requests side by side: their bodies and their headers."""

    body: Diff
    headers: Diff
    body_mode: str
    """How the bodies were compared: 'JSON, keys sorted', 'text' or 'hex'."""
    notes: tuple[str, ...] = field(default=())


def diff_lines(first: Sequence[str], second: Sequence[str]) -> Diff:
    """Every line of both sides, tagged; a changed block counts as its longer side."""
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    lines: list[DiffLine] = []
    changed = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines += [(" ", line) for line in first[i1:i2]]
            continue
        lines += [("-", line) for line in first[i1:i2]]
        lines += [("+", line) for line in second[j1:j2]]
        changed += max(i2 - i1, j2 - j1)
    return Diff(tuple(lines), changed)


def comparable_headers(headers: Iterable[Header], *, ignore_volatile: bool = False) -> list[str]:
    """'Name: value' lines sorted by name (case-insensitive; duplicates keep their order)."""
    lines = []
    for name, value in sorted(headers, key=lambda header: header[0].lower()):
        volatile = ignore_volatile and name.lower() in VOLATILE_HEADERS
        lines.append(f"{name}: {IGNORED if volatile else display_text(value)}")
    return lines


def _comparable_bytes(request: CapturedRequest) -> tuple[bytes, str]:
    body = request.body[:COMPARE_CAP]
    encoding = (request.header("content-encoding") or "").strip().lower()
    note = ""
    if len(request.body) > COMPARE_CAP:
        note = f"Only the first {format_size(COMPARE_CAP)} of a body are compared."
    if encoding in _INFLATABLE:
        try:
            body = inflate(request.body, encoding, COMPARE_CAP)[0]
        except ValueError:
            note = f"Could not inflate ({encoding}): compared as stored."
    return body, note


def comparable_body(body: bytes, *, ignore_volatile: bool = False) -> tuple[list[str], str]:
    """(lines, mode): JSON pretty-printed with sorted keys, else text lines, else hex lines."""
    text = decode_prefix(body)
    if text is not None and "\x00" not in text:
        try:
            data = parse_json_exact(text)
            if ignore_volatile:
                data = blank_volatile(data)
            return pretty_json(data, sort_keys=True)[0].splitlines(), "JSON, keys sorted"
        except (ValueError, RecursionError):
            return text.splitlines(), "text"
    return hex_dump(body[:HEX_CAP]).splitlines(), "hex"


def compare_requests(
    first: CapturedRequest, second: CapturedRequest, *, ignore_volatile: bool = False
) -> Comparison:
    """A JSON-aware diff of two requests' bodies and a diff of their headers."""
    (body_a, note_a), (body_b, note_b) = _comparable_bytes(first), _comparable_bytes(second)
    lines_a, mode_a = comparable_body(body_a, ignore_volatile=ignore_volatile)
    lines_b, mode_b = comparable_body(body_b, ignore_volatile=ignore_volatile)
    mode = mode_a if mode_a == mode_b else f"{mode_a} vs {mode_b}"
    headers = diff_lines(
        comparable_headers(first.headers, ignore_volatile=ignore_volatile),
        comparable_headers(second.headers, ignore_volatile=ignore_volatile),
    )
    notes = tuple(dict.fromkeys(note for note in (note_a, note_b) if note))
    return Comparison(diff_lines(lines_a, lines_b), headers, mode, notes)
