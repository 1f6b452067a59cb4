"""curl command lines: write a request as one (`to_curl`), read a file of them (`parse_curl`).

`to_curl` sends the exact body again: headers except Host and Content-Length (curl sets those),
the method with ``-X``, ``--globoff`` when the URL has ``[]{}`` (else curl reads a pattern such
as ``/glob/[1-3]`` and sends several requests), ``-H 'Content-Type:'`` when a request with a
body had no Content-Type (else curl would add a form one), a UTF-8 body as a single-quoted
``--data-binary`` argument, a binary body as a bash ``$'...'`` argument with ``\\xHH`` escapes,
and a body with NUL bytes (which no command line argument can carry) piped in:
``printf %s BASE64 | base64 -d | curl ... --data-binary @-``. curl adds its own User-Agent and
Accept when the request had none.

`parse_curl` reads what a shell would: several commands (one per line, ``\\`` line
continuations, ``;``/``&&`` separators, ``#`` comments), single/double/``$'...'`` quoting, and
the options that shape a request: ``-X/--request``, ``-H/--header``, ``-d/--data``,
``--data-raw``, ``--data-binary``, ``--data-ascii``, ``--data-urlencode``, ``--json``,
``--url``, ``-A``, ``-e``, ``-b``, ``-u``, ``-I/--head``, ``-G/--get`` (the data goes to the
query string), ``--url-query``, ``-F/--form`` and ``--form-string`` (a multipart/form-data body
built as curl builds it: a boundary of 24 dashes and 22 random letters and digits, one
``Content-Disposition: form-data; name="..."`` part per field, ``;type=``, ``;filename=`` and
``;headers=`` honoured), ``--compressed`` (``Accept-Encoding: deflate, gzip``), plus flags that
do not change the request (``-s``, ``-L``, ``-k``…), each also as ``--no-<flag>``. As curl
before 8.6 did, an unambiguous prefix names a long option (``--sil`` is ``--silent``; only the
options listed here count). Bodies piped in from ``printf``/``echo`` (optionally through
``base64 -d``) are read too. It never runs anything and never reads files: ``-d @file``,
``-F name=@file`` and ``-F name=<file`` are errors. The Host header comes from the URL unless
one is given.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import shlex
import string
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import quote_plus, urlsplit

from inspector.core.formats.common import FormatError
from inspector.core.masking import mask_stored
from inspector.core.models import CapturedRequest, StoredRequest
from inspector.core.providers import masked_body

__all__ = ["SKIPPED_HEADERS", "looks_like_curl", "parse_curl", "to_curl", "write_curl"]

SKIPPED_HEADERS = frozenset({"host", "content-length"})
"""curl sets these itself (Host from the URL, Content-Length from the body)."""

# --- writing ----------------------------------------------------------------------------------

_SAFE_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_GLOB = re.compile(r"[\[\]{}]")
"""Characters curl reads as a URL pattern unless --globoff."""


def _quote_bytes(data: bytes) -> str:
    """A shell word for `data`: single quotes for UTF-8 text, else bash ``$'...'`` escapes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and not _SAFE_TEXT.search(text):
        return shlex.quote(text)
    out = ["$'"]
    for byte in data:
        char = chr(byte)
        if char == "'" or char == "\\":
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F or char == "\n":
            out.append(char if char != "\n" else "\\n")
        else:
            out.append(f"\\x{byte:02x}")
    out.append("'")
    return "".join(out)


def to_curl(request: CapturedRequest, base_url: str | None = None) -> str:
    """A shell command that sends `request` again to `base_url` + its path and query (default:
    the URL it was sent to, scheme://Host). Lines are joined with `` \\`` continuations."""
    base = base_url if base_url is not None else f"{request.scheme}://" + (
        request.header("host") or "localhost")  # fmt: skip
    url = base.rstrip("/") + request.target
    globoff = " --globoff" if _GLOB.search(url) else ""  # else [1-3] or {a,b} sends several
    lines = [f"curl -X {shlex.quote(request.method)} {shlex.quote(url)}{globoff}"]
    for name, value in request.headers:
        if name.lower() not in SKIPPED_HEADERS:
            raw = f"{name}: ".encode("latin-1", "replace") + _latin1(value)
            lines.append(f"-H {_quote_bytes(raw)}")
    body = request.body
    if body and request.header("content-type") is None:
        lines.append("-H 'Content-Type:'")  # else curl sends application/x-www-form-urlencoded
    prefix = ""
    if b"\x00" in body:
        encoded = base64.b64encode(body).decode("ascii")
        prefix = f"# binary body ({len(body)} bytes) piped in exactly\n"
        prefix += f"printf %s {shlex.quote(encoded)} | base64 -d | "
        lines.append("--data-binary @-")
    elif body:
        option = "--data-raw" if body.startswith(b"@") else "--data-binary"
        lines.append(f"{option} {_quote_bytes(body)}")
    return prefix + " \\\n  ".join(lines)


def _latin1(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


def write_curl(
    stream: IO[str],
    items: Iterable[StoredRequest],
    *,
    base_url: str | None = None,
    keep_credentials: bool = False,
    mask: bool = False,
) -> int:
    """Write one curl command per request, each after a ``#`` comment line; returns the count.

    Credentials in payloads are masked unless `keep_credentials`, personal data too with `mask`
    (the comment then says "body masked": it is not the original bytes)."""
    count = 0
    for stored in items:
        body_masked = False
        if mask:
            stored, body_masked = mask_stored(stored)
        request = stored.request
        if not keep_credentials:
            hidden = masked_body(request.body)
            if hidden is not None:
                request, body_masked = _with_body(request, hidden), True
        derived = stored.derived
        what = " ".join(p for p in (derived.provider, derived.event_type) if p)
        note = f"# #{request.id} {request.method} {request.target}"
        note = " ".join(note.split())  # a path cannot break the comment line
        if what:
            note += f"  ({what})"
        if body_masked:
            note += "  [body masked]"
        stream.write(("\n" if count else "") + note + "\n" + to_curl(request, base_url) + "\n")
        count += 1
    return count


def _with_body(request: CapturedRequest, body: bytes) -> CapturedRequest:
    from dataclasses import replace

    return replace(request, body=body)


# --- reading: shell words -----------------------------------------------------------------

_ANSI = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
         "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}  # fmt: skip
_HEX = "0123456789abcdefABCDEF"


def _byte_char(value: int) -> str:
    """A byte from an escape: ASCII as itself, 0x80-0xFF as a surrogate-escaped character."""
    return chr(value) if value < 0x80 else chr(0xDC00 + value)


@dataclass
class _Command:
    line: int
    stages: list[list[str]] = field(default_factory=lambda: [[]])


class _Lexer:
    """Splits shell text into commands (lists of pipeline stages of words)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.commands: list[_Command] = []
        self.failure: tuple[int, str] | None = None
        """(line where the command started, message) when quoting broke off the reading."""

    def error(self, message: str, start_line: int) -> FormatError:
        where = f" (opened on line {start_line})" if start_line != self.line else ""
        return FormatError(f"{message}{where}; the rest of the file was not read")

    def run(self) -> list[_Command]:
        text = self.text
        current = _Command(self.line)
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r":
                self.pos += 1
            elif char == "\\" and text.startswith(("\\\n", "\\\r\n"), self.pos):
                self.pos += 2 if text[self.pos + 1] == "\n" else 3
                self.line += 1
            elif char == "\n" or char == ";" or text.startswith("&&", self.pos):
                current = self._end(current)
                if char == "\n":
                    self.line += 1
                self.pos += 2 if char == "&" else 1
            elif char == "|" and not text.startswith("||", self.pos):
                current.stages.append([])
                self.pos += 1
            elif char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                if not any(current.stages):
                    current.line = self.line
                try:
                    current.stages[-1].append(self._word())
                except FormatError as exc:
                    self.failure = (current.line, str(exc))
                    return self.commands
        self._end(current)
        return self.commands

    def _end(self, command: _Command) -> _Command:
        if any(command.stages):
            self.commands.append(command)
        return _Command(self.line)

    def _word(self) -> str:
        text, start = self.text, self.line
        out: list[str] = []
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r\n;|" or (char == "&" and text.startswith("&&", self.pos)):
                break
            if char == "\\":
                if text.startswith(("\\\n", "\\\r\n"), self.pos):
                    self.pos += 2 if text[self.pos + 1] == "\n" else 3
                    self.line += 1
                    continue
                if self.pos + 1 < len(text):
                    out.append(text[self.pos + 1])
                self.pos += 2
            elif char == "'":
                end = text.find("'", self.pos + 1)
                if end < 0:
                    raise self.error("unterminated single quote", start)
                piece = text[self.pos + 1 : end]
                self.line += piece.count("\n")
                out.append(piece)
                self.pos = end + 1
            elif char == '"' or text.startswith('$"', self.pos):
                self.pos += 1 if char == '"' else 2
                out.append(self._double(start))
            elif text.startswith("$'", self.pos):
                self.pos += 2
                out.append(self._ansi(start))
            else:
                out.append(char)
                self.pos += 1
        return "".join(out)

    def _double(self, start: int) -> str:
        text = self.text
        out: list[str] = []
        while self.pos < len(text):
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\" and self.pos + 1 < len(text):
                nxt = text[self.pos + 1]
                if nxt == "\n":
                    self.line += 1
                elif nxt in '$`"\\':
                    out.append(nxt)
                else:
                    out.append("\\" + nxt)
                self.pos += 2
                continue
            if char == "\n":
                self.line += 1
            out.append(char)
            self.pos += 1
        raise self.error("unterminated double quote", start)

    def _ansi(self, start: int) -> str:
        text = self.text
        out: list[str] = []
        while self.pos < len(text):
            char = text[self.pos]
            if char == "'":
                self.pos += 1
                return "".join(out)
            if char != "\\":
                if char == "\n":
                    self.line += 1
                out.append(char)
                self.pos += 1
                continue
            self.pos += 1
            if self.pos >= len(text):
                break
            code = text[self.pos]
            self.pos += 1
            if code in _ANSI:
                out.append(_ANSI[code])
            elif code == "x":
                digits = self._take(_HEX, 2)
                out.append(_byte_char(int(digits, 16)) if digits else "\\x")
            elif code in "01234567":
                digits = code + self._take("01234567", 2)
                out.append(_byte_char(int(digits, 8) & 0xFF))
            elif code in "uU":
                digits = self._take(_HEX, 4 if code == "u" else 8)
                value = int(digits, 16) if digits else None
                valid = value is not None and value <= 0x10FFFF and not 0xD800 <= value < 0xE000
                out.append(chr(value) if valid and value is not None else "\\" + code + digits)
            elif code == "c" and self.pos < len(text):
                out.append(chr(ord(text[self.pos]) & 0x1F))
                self.pos += 1
            else:
                out.append("\\" + code)
        raise self.error("unterminated $'...' quote", start)

    def _take(self, allowed: str, limit: int) -> str:
        end = self.pos
        while end < len(self.text) and end - self.pos < limit and self.text[end] in allowed:
            end += 1
        taken = self.text[self.pos : end]
        self.pos = end
        return taken


def _bytes(word: str) -> bytes:
    return word.encode("utf-8", "surrogateescape")


# --- reading: curl options ----------------------------------------------------------------

_FLAGS = frozenset(
    {"-s", "--silent", "-S", "--show-error", "-v", "--verbose", "-i", "--include", "-k",
     "--insecure", "-L", "--location", "-f", "--fail", "--fail-with-body", "--compressed",
     "-N", "--no-buffer", "-g", "--globoff", "--http1.1", "--http2", "--http2-prior-knowledge",
     "-0", "--http1.0", "-#", "--progress-bar", "-n", "--netrc", "--no-progress-meter",
     "--location-trusted", "-4", "-6", "--ipv4", "--ipv6", "--tr-encoding", "--path-as-is",
     "--keepalive", "--buffer", "--progress-meter", "--styled-output", "--tcp-nodelay",
     "--raw", "--http3", "--tlsv1.2", "--tlsv1.3", "--ssl-reqd", "--show-headers", "-G",
     "--get", "-I", "--head"}
)  # fmt: skip
"""Options without a value (the last four change the request; the rest do not)."""
_IGNORED_VALUES = frozenset(
    {"-o", "--output", "-m", "--max-time", "--connect-timeout", "-w", "--write-out", "-x",
     "--proxy", "--retry", "--retry-delay", "--retry-max-time", "--resolve", "--cacert",
     "--capath", "-E", "--cert", "--key", "--interface", "--max-redirs", "--limit-rate",
     "-D", "--dump-header", "--trace", "--trace-ascii", "--stderr", "-c", "--cookie-jar",
     "--connect-to", "--local-port", "--dns-servers", "--cert-type", "--key-type"}
)  # fmt: skip
"""Options with a value that do not change the request's bytes."""
_VALUES = frozenset(
    {"-X", "--request", "-H", "--header", "-d", "--data", "--data-raw", "--data-binary",
     "--data-ascii", "--data-urlencode", "--json", "--url", "-A", "--user-agent", "-e",
     "--referer", "-b", "--cookie", "-u", "--user", "-F", "--form", "--form-string",
     "--url-query"}
) | _IGNORED_VALUES  # fmt: skip
_UNSUPPORTED = {
    "-T": "-T/--upload-file reads a file; not supported",
    "--upload-file": "-T/--upload-file reads a file; not supported",
    "-K": "-K/--config reads a file; not supported",
    "--config": "-K/--config reads a file; not supported",
}
_SHORT_VALUE = {name[1] for name in _VALUES if len(name) == 2}
_SHORT_FLAG = {name[1] for name in _FLAGS if len(name) == 2}
_LONG_NAMES = sorted(name for name in _FLAGS | _VALUES | _UNSUPPORTED.keys() if len(name) > 2)
ACCEPT_ENCODING = "deflate, gzip"
"""What --compressed makes curl send (a curl built without brotli or zstd support)."""


@dataclass
class _Parsed:
    method: str | None = None
    head: bool = False
    get: bool = False
    """-G/--get: the data goes to the query string."""
    compressed: bool = False
    urls: list[str] = field(default_factory=list)
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    data: list[tuple[str, bytes]] = field(default_factory=list)
    """(option, bytes) in order; option decides joining and the default Content-Type."""
    form: list[_FormPart] = field(default_factory=list)
    url_query: list[bytes] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)
    """Lower-case names of headers curl adds itself that "-H 'Name:'" turned off."""


def _long_option(word: str) -> tuple[str, bool]:
    """(the known long option `word` names, turned off by "--no-"?). Like curl before 8.6,
    an unambiguous prefix names an option ("--sil" is --silent); "--no-X" turns a flag off."""
    if word in _FLAGS or word in _VALUES or word in _UNSUPPORTED:
        return word, False
    if word.startswith("--no-") and len(word) > 5:
        name, _ = _long_option("--" + word[5:])
        if name not in _FLAGS:
            raise FormatError(f"{word}: only an option without a value can be turned off")
        return name, True
    found = [name for name in _LONG_NAMES if name.startswith(word)]
    if len(found) == 1:
        return found[0], False
    if found:
        raise FormatError(f"option {word} is ambiguous ({', '.join(found[:4])}...)")
    raise FormatError(f"unknown option {word}")


def _split_long(word: str, words: list[str], index: int) -> tuple[tuple[str, str | None], int]:
    """One long option (with its value, "--name=value" or the next word) and the next index."""
    name, off = _long_option(word.partition("=")[0] if "=" in word else word)
    if name in _UNSUPPORTED:
        raise FormatError(_UNSUPPORTED[name])
    if name in _FLAGS:
        return (("--no" + name[1:]) if off else name, None), index
    if "=" in word:
        return (name, word.partition("=")[2]), index
    if index >= len(words):
        raise FormatError(f"{name} needs a value")
    return (name, words[index]), index + 1


def _split_options(words: list[str]) -> list[tuple[str, str | None]]:
    """(option, value) pairs; a URL is ("", url). Short flags may be bundled (-sSL, -XPOST);
    a flag turned off reads "--no-<name>"."""
    out: list[tuple[str, str | None]] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word.startswith("--") and len(word) > 2:
            pair, index = _split_long(word, words, index)
            out.append(pair)
        elif word.startswith("-") and len(word) > 1:
            pos = 1
            while pos < len(word):
                letter = word[pos]
                name = "-" + letter
                if name in _UNSUPPORTED:
                    raise FormatError(_UNSUPPORTED[name])
                if letter in _SHORT_VALUE:
                    rest = word[pos + 1 :]
                    if not rest:
                        if index >= len(words):
                            raise FormatError(f"{name} needs a value")
                        rest = words[index]
                        index += 1
                    out.append((name, rest))
                    break
                if letter not in _SHORT_FLAG:
                    raise FormatError(f"unknown option {name}")
                out.append((name, None))
                pos += 1
        else:
            out.append(("", word))
    return out


def _urlencoded(value: str, option: str) -> bytes:
    """A --data-urlencode (or --url-query) argument: [name=]content, content URL-encoded."""
    cut = min((i for i in (value.find("="), value.find("@")) if i >= 0), default=-1)
    if cut >= 0 and value[cut] == "@":
        raise FormatError(f"{option} with @file reads a file; not supported")
    name, content = (value[:cut], value[cut + 1 :]) if cut >= 0 else ("", value)
    encoded = quote_plus(_bytes(content)).encode("ascii")
    return (_bytes(name) + b"=" + encoded) if name else encoded


def _data_piece(option: str, value: str, stdin: bytes | None) -> bytes:
    raw = _bytes(value)
    if option == "--data-raw":
        return raw
    if option == "--data-urlencode":
        return _urlencoded(value, option)
    if raw.startswith(b"@"):
        if raw != b"@-":
            raise FormatError(f"{option} {value} reads a file; not supported (paste the data)")
        if stdin is None:
            raise FormatError(f"{option} @- reads standard input, but nothing is piped in")
        raw = stdin
        if option in ("-d", "--data", "--data-ascii"):  # curl strips these when reading @
            raw = raw.replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b"")
    return raw


def _parse_options(words: list[str], stdin: bytes | None) -> _Parsed:
    parsed = _Parsed()
    for option, value in _split_options(words):
        if value is None:
            _flag(parsed, option)
        elif option == "":
            parsed.urls.append(value)
        elif option in ("-X", "--request"):
            parsed.method = value
        elif option in ("-H", "--header"):
            _header(parsed, value)
        elif option in ("-A", "--user-agent"):
            parsed.headers.append(("User-Agent", _bytes(value)))
        elif option in ("-e", "--referer"):
            parsed.headers.append(("Referer", _bytes(value)))
        elif option in ("-b", "--cookie"):
            if "=" not in value:
                raise FormatError(f"-b {value} reads cookies from a file; not supported")
            parsed.headers.append(("Cookie", _bytes(value)))
        elif option in ("-u", "--user"):
            token = base64.b64encode(_bytes(value)).decode("ascii")
            parsed.headers.append(("Authorization", f"Basic {token}".encode("ascii")))
        elif option == "--url":
            parsed.urls.append(value)
        elif option in ("-F", "--form", "--form-string"):
            parsed.form.append(_form_part(value, literal=option == "--form-string"))
        elif option == "--url-query":
            query = _bytes(value[1:]) if value.startswith("+") else _urlencoded(value, option)
            parsed.url_query.append(query)
        elif option in _IGNORED_VALUES:
            continue
        else:
            parsed.data.append((option, _data_piece(option, value, stdin)))
    return parsed


def _flag(parsed: _Parsed, option: str) -> None:
    """The flags that change the request; "--no-<name>" turns one off again."""
    on = not option.startswith("--no-")
    name = option if on else "--" + option[5:]
    if name in ("-I", "--head"):
        parsed.head = on
    elif name in ("-G", "--get"):
        parsed.get = on
    elif name == "--compressed":
        parsed.compressed = on


def _header(parsed: _Parsed, value: str) -> None:
    if value.startswith("@"):
        raise FormatError(f"-H {value} reads headers from a file; not supported")
    name, sep, rest = value.partition(":")
    if not sep:
        if value.endswith(";"):  # "Name;" sends an empty header
            parsed.headers.append((value[:-1].strip(), b""))
            return
        raise FormatError(f"header {value!r} has no ':'")
    if rest.strip():
        parsed.headers.append((name.strip(), _bytes(rest.lstrip(" \t"))))
    else:  # "Name:" removes a header curl would add itself
        parsed.removed.add(name.strip().lower())


# --- reading: -F/--form (multipart/form-data built as curl builds it) ----------------------


@dataclass
class _FormPart:
    name: str | None
    data: bytes
    type: str | None = None
    filename: str | None = None
    headers: list[str] = field(default_factory=list)


_FORM_TYPES = ((".gif", "image/gif"), (".jpg", "image/jpeg"), (".jpeg", "image/jpeg"),
               (".png", "image/png"), (".svg", "image/svg+xml"), (".txt", "text/plain"),
               (".htm", "text/html"), (".html", "text/html"), (".pdf", "application/pdf"),
               (".xml", "application/xml"))  # fmt: skip
"""The part Content-Type curl derives from a ;filename= extension."""
_TYPE_END = re.compile(r'[()<>@,;:\\"\[\]?=\r\n ]')
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"[^;]*')


def _form_word(text: str, pos: int) -> tuple[str, int]:
    """A -F value piece from `pos`: "quoted" (with \\" and \\\\ escapes) or up to ';'
    (trailing blanks dropped); returns it and the position of the ';' (or the end) after it."""
    pos = _skip_blanks(text, pos)
    match = _QUOTED.match(text, pos)
    if match:
        return re.sub(r'\\(["\\])', r"\1", match.group(1)), match.end()
    end = text.find(";", pos)
    end = len(text) if end < 0 else end
    return text[pos:end].rstrip(" \t"), end


def _skip_blanks(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _form_part(value: str, *, literal: bool) -> _FormPart:
    """One -F/--form-string argument: name=content[;type=...][;filename=...][;headers=...]."""
    name, sep, content = value.partition("=")
    if not sep:
        raise FormatError(f"-F {value!r}: a form field is written name=content")
    part = _FormPart(name or None, _bytes(content))
    if literal:
        return part
    if content[:1] in ("@", "<"):
        raise FormatError(
            f"-F {value!r} reads a file; not supported (write the content: name=text)"
        )
    if content[:1] == "(" or (not name and content == ")"):
        raise FormatError(f"-F {value!r}: nested multipart parts are not supported")
    data, pos = _form_word(content, 0)
    part.data = _bytes(data)
    _form_attributes(part, content, pos)
    return part


def _form_attributes(part: _FormPart, text: str, pos: int) -> None:
    """The ";key=value" attributes after a -F content, read as curl reads them: after
    ;type= the pieces curl does not know belong to the type (";type=text/plain;charset=x")."""
    type_span: tuple[int, int] | None = None
    open_type = False
    while pos < len(text) and text[pos] == ";":
        pos = _skip_blanks(text, pos + 1)
        rest = text[pos:]
        if rest.startswith("type=") and type_span is None:
            start = _skip_blanks(text, pos + 5)
            found = _TYPE_END.search(text, start)
            pos = len(text) if found is None else found.start()
            type_span, open_type = (start, pos), True
        elif rest.startswith(("encoder=", "headers=@")):
            raise FormatError(f"-F ...;{rest.split('=')[0]}= is not supported (in {text!r})")
        elif rest.startswith(("filename=", "headers=")):
            open_type = False
            word, pos = _form_word(text, pos + rest.index("=") + 1)
            if rest.startswith("filename="):
                part.filename = word
            else:
                part.headers.append(word)
        elif open_type and type_span is not None:
            end = text.find(";", pos)
            pos = len(text) if end < 0 else end
            type_span = (type_span[0], len(text[:pos].rstrip(" \t")))
        else:
            _, pos = _form_word(text, pos)  # curl skips an unknown attribute (with a warning)
    if type_span is not None:
        part.type = text[type_span[0] : type_span[1]]


def _form_escape(text: str) -> bytes:
    """A name or filename in Content-Disposition, escaped as curl does (HTML form rules)."""
    escaped = text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    return _bytes(escaped)


def _form_head(part: _FormPart) -> bytes:
    disposition = b"Content-Disposition: form-data"
    if part.name is not None:
        disposition += b'; name="' + _form_escape(part.name) + b'"'
    if part.filename is not None:
        disposition += b'; filename="' + _form_escape(part.filename) + b'"'
    lines = [disposition]
    kind = part.type
    if kind is None and part.filename is not None:
        lower = part.filename.lower()
        kind = next((t for ext, t in _FORM_TYPES if lower.endswith(ext)), None)
    if kind:
        lines.append(b"Content-Type: " + _bytes(kind))
    lines += [_bytes(header) for header in part.headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _boundary() -> str:
    """24 dashes and 22 random letters and digits, like curl's."""
    alphabet = string.ascii_letters + string.digits
    return "-" * 24 + "".join(secrets.choice(alphabet) for _ in range(22))


def _multipart(parts: list[_FormPart], boundary: str) -> bytes:
    """The body curl sends for these -F parts."""
    mark = b"--" + boundary.encode("ascii")
    out = [mark + b"\r\n" + _form_head(part) + part.data + b"\r\n" for part in parts]
    return b"".join(out) + mark + b"--\r\n"


def _stdin(stages: list[list[str]]) -> bytes | None:
    """What the stages before curl pipe into it: printf/echo, optionally through base64 -d."""
    data: bytes | None = None
    for words in stages:
        name, args = words[0], words[1:]
        if name == "printf" and args:
            if args[0] == "%s" or args[0] == "'%s'":
                data = b"".join(_bytes(a) for a in args[1:])
            elif len(args) == 1 and "%" not in args[0] and "\\" not in args[0]:
                data = _bytes(args[0])
            else:
                raise FormatError("only `printf %s DATA` can be piped into curl")
        elif name == "echo":
            newline = not (args and args[0] == "-n")
            words_out = args[1:] if not newline else args
            data = _bytes(" ".join(words_out)) + (b"\n" if newline else b"")
        elif name == "base64" and args and args[0] in ("-d", "--decode", "-D"):
            if data is None:
                raise FormatError("base64 -d has nothing piped into it")
            try:
                data = base64.b64decode(b"".join(data.split()), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise FormatError(f"the piped base64 data is not valid ({exc})") from exc
        else:
            raise FormatError(f"`{name}` cannot be piped into curl here (printf/echo/base64 -d)")
    return data


def _join_data(pieces: list[tuple[str, bytes]]) -> bytes:
    if all(option == "--json" for option, _ in pieces):
        return b"".join(data for _, data in pieces)
    return b"&".join(data for _, data in pieces)


def _request(parsed: _Parsed, url: str) -> CapturedRequest:
    if "://" not in url.split("?", 1)[0]:
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed or invalid [IPv6] host
        raise FormatError(f"URL {url!r} is not valid: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FormatError(f"URL {url!r} is not http or https")
    if not parts.netloc:
        raise FormatError(f"URL {url!r} has no host")
    given = {name.lower() for name, _ in parsed.headers} | parsed.removed
    headers: list[tuple[str, str]] = []
    if "host" not in given:
        headers.append(("Host", parts.netloc.rsplit("@", 1)[-1]))
    if parsed.compressed and "accept-encoding" not in given:
        headers.append(("Accept-Encoding", ACCEPT_ENCODING))
    headers += [(name, value.decode("latin-1")) for name, value in parsed.headers]
    body, kind = _body(parsed)
    if kind and "content-type" not in given:
        headers.append(("Content-Type", kind))
        if kind == "application/json" and "accept" not in given:
            headers.append(("Accept", "application/json"))
    elif kind and kind.startswith("multipart/"):
        headers = [_with_boundary(h, kind) for h in headers]
    method = parsed.method or ("HEAD" if parsed.head else "POST" if body or kind else "GET")
    path = parts.path or "/"
    query = _query(parts.query, parsed)
    return CapturedRequest(
        method=method,
        path=path.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
        query=query.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
        headers=tuple(headers),
        body=body,
        received_at_ns=time.time_ns(),
        source="import",
        scheme=parts.scheme.lower(),
    )


def _body(parsed: _Parsed) -> tuple[bytes, str | None]:
    """The body and the Content-Type curl gives it (None: no body, no Content-Type)."""
    if parsed.form:
        if parsed.data:
            raise FormatError("-F/--form cannot be mixed with -d/--data (curl refuses too)")
        if parsed.get:
            raise FormatError("-F/--form cannot be mixed with -G/--get (curl refuses too)")
        boundary = _boundary()
        return _multipart(parsed.form, boundary), f"multipart/form-data; boundary={boundary}"
    if not parsed.data or parsed.get:
        return b"", None
    json_only = all(option == "--json" for option, _ in parsed.data)
    kind = "application/json" if json_only else "application/x-www-form-urlencoded"
    return _join_data(parsed.data), kind


def _with_boundary(header: tuple[str, str], kind: str) -> tuple[str, str]:
    """A given multipart Content-Type gets curl's boundary added, as curl adds it."""
    name, value = header
    if name.lower() != "content-type" or not value.lower().startswith("multipart/"):
        return header
    return name, value + kind[kind.index(";") :]


def _query(query: str, parsed: _Parsed) -> str:
    """The URL's query with -G data (or else --url-query pieces) appended, as curl does."""
    if parsed.get and parsed.data:
        added = _join_data(parsed.data)
    elif parsed.url_query:
        added = b"&".join(parsed.url_query)
    else:
        return query
    text = added.decode("utf-8", "surrogateescape")
    return f"{query}&{text}" if query else text


def _command_requests(command: _Command) -> list[CapturedRequest]:
    curl_stage = command.stages[-1]
    if not curl_stage:
        raise FormatError("the pipeline ends in nothing")
    if curl_stage[0] != "curl":
        if any(stage and stage[0] == "curl" for stage in command.stages):
            raise FormatError("curl must be the last command of a pipeline")
        raise FormatError(f"`{curl_stage[0][:40]}` is not a curl command")
    stdin = _stdin(command.stages[:-1]) if len(command.stages) > 1 else None
    parsed = _parse_options(curl_stage[1:], stdin)
    if not parsed.urls:
        raise FormatError("no URL")
    return [_request(parsed, url) for url in parsed.urls]


def looks_like_curl(text: str) -> bool:
    """Whether `text` has a line that starts a curl command (possibly after a pipeline)."""
    return re.search(r"(?m)^\s*(?:[^#\n]*\|\s*)?curl(?:\s|$)", text) is not None


def parse_curl(text: str, errors: list[str] | None = None) -> list[CapturedRequest]:
    """The requests of a file of curl commands (see the module docstring).

    A bad command raises FormatError naming it ("command 3 (line 7): no URL"), unless `errors`
    is given: then the message is appended there and the other commands still count. After a
    quoting error (an unterminated quote) nothing more is read: it swallows the rest.
    """
    lexer = _Lexer(text)
    commands = lexer.run()
    problems: list[tuple[int, int, str]] = []
    out: list[CapturedRequest] = []
    for number, command in enumerate(commands, 1):
        try:
            out.extend(_command_requests(command))
        except FormatError as exc:
            problems.append((number, command.line, str(exc)))
    if lexer.failure is not None:
        problems.append((len(commands) + 1, *lexer.failure))
    elif not commands:
        raise FormatError("no curl command found")
    for number, line, problem in problems:
        message = f"command {number} (line {line}): {problem}"
        if errors is None:
            raise FormatError(message)
        errors.append(message)
    return out
