"""The filter language of the filter bar and of `export --filter`, compiled to SQL.

Grammar (precedence: not > and > or)::

    filter  := or_expr?
    or_expr := and_expr (("or" | "OR" | "|") and_expr)*
    and_expr:= unary (("and" | "AND")? unary)*          juxtaposition means AND
    unary   := ("not" | "NOT" | "-") unary | "(" or_expr ")" | term
    term    := FIELD OP value | WORD | "quoted phrase"
    OP      := ":" | "=" | "!=" | ">" | ">=" | "<" | "<="   (ranges only on status, size, id)
    value   := WORD | "quoted phrase"                       e.g. path:"/a b"

A WORD runs until whitespace, a parenthesis, '|' or '"'. Inside quotes, `\\"` is a quote and
`\\\\` a backslash. A bare word or phrase is a free-text search (FTS5) in path, headers and
body; a trailing `*` makes it a prefix search. Field names are case-insensitive; `field!=v`
means `-field:v`.

Times: `after:`/`before:` take `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` (also with a space, or
an explicit offset such as `Z`/`+02:00`) or a relative age such as `10m`, `2h`, `3d`, `1w`
(now minus that). Dates and datetimes without an offset are **UTC**, so a filter means the same
on every machine. `after:` is inclusive, `before:` exclusive.

Every value reaches SQLite as a parameter; no user text is ever put into the SQL itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from inspector.core import providers
from inspector.core.store import (
    FTS_MATCH,
    INT64_MAX,
    PATH_GLOB,
    SUMMARY_INDEX,
    SUMMARY_MATCH,
)

__all__ = [
    "FIELDS",
    "VALUES",
    "And",
    "Filter",
    "FilterError",
    "Node",
    "Not",
    "Or",
    "Term",
    "compile_filter",
    "completions",
    "parse",
]


class FilterError(ValueError):
    """The filter text cannot be understood; `position` is a 0-based offset into it."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Filter:
    """A compiled filter: a boolean SQL expression over table `requests` and its parameters."""

    where: str
    params: tuple[object, ...]
    text: str


# --- syntax tree ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One condition. `field` is '' for free text (then `op` is '' too)."""

    field: str
    op: str
    value: str
    pos: int
    """Where the term starts in the text."""
    value_pos: int
    """Where its value starts (or should start) in the text."""
    prefix: bool = False
    """Free text only: a trailing `*` (prefix search)."""

    @property
    def label(self) -> str:
        """The field and operator as typed, for messages: `status>=`."""
        return f"{self.field}{self.op}"


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


Node = Term | Not | And | Or


# --- tokens ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "or", "and", "not", "term", "end"
    pos: int
    text: str
    term: Term | None = None


_FIELD_OP = re.compile(r"([A-Za-z][A-Za-z_]*)(>=|<=|!=|:|=|>|<)")
_KEYWORDS = {"or": "or", "OR": "or", "and": "and", "AND": "and", "not": "not", "NOT": "not"}
_STOP = '()|"'
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_AFTER_SPACE = re.compile(r" +(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?=[\s()|]|$)")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, i, ch))
            i += 1
        elif ch == "|":
            tokens.append(_Token("or", i, ch))
            i += 1
        elif ch == "-":
            if i + 1 == len(text) or text[i + 1].isspace() or text[i + 1] in ")|":
                raise FilterError("expected a term after '-'", i + 1)
            tokens.append(_Token("not", i, ch))
            i += 1
        else:
            token, i = _read_term(text, i)
            tokens.append(token)
    tokens.append(_Token("end", len(text), ""))
    return tokens


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """The unescaped content of the quoted string at `start`, and the offset after it."""
    parts: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            parts.append(text[i + 1])
            i += 2
        elif ch == '"':
            return "".join(parts), i + 1
        else:
            parts.append(ch)
            i += 1
    raise FilterError("unterminated quote: add a closing '\"'", start)


def _read_term(text: str, start: int) -> tuple[_Token, int]:
    if text[start] == '"':
        return _read_phrase(text, start)
    end = start
    while end < len(text) and not text[end].isspace() and text[end] not in _STOP:
        end += 1
    word = text[start:end]
    if word in _KEYWORDS:
        return _Token(_KEYWORDS[word], start, word), end
    match = _FIELD_OP.match(word)
    if match is None:
        prefix = word.endswith("*")
        term = Term("", "", word.rstrip("*") if prefix else word, start, start, prefix)
        return _Token("term", start, word, term), end
    value, value_pos = word[match.end() :], start + match.end()
    if end < len(text) and text[end] == '"' and not value:
        value, end = _read_quoted(text, end)
    elif end < len(text) and text[end] == '"' and value.endswith(":"):
        quoted, end = _read_quoted(text, end)  # has:header:"x y"
        value += quoted
    field = match[1].lower()
    if field in ("after", "before") and _DATE_ONLY.fullmatch(value):
        clock = _TIME_AFTER_SPACE.match(text, end)  # after:2026-11-01 10:00 (unquoted)
        if clock:
            value, end = f"{value} {clock[1]}", clock.end()
    term = Term(field, match[2], value, start, value_pos)
    return _Token("term", start, text[start:end], term), end


def _read_phrase(text: str, start: int) -> tuple[_Token, int]:
    value, end = _read_quoted(text, start)
    if not value.strip():
        raise FilterError("empty quotes: put some text between them", start)
    prefix = end < len(text) and text[end] == "*"
    end += prefix
    term = Term("", "", value, start, start + 1, prefix)
    return _Token("term", start, text[start:end], term), end


# --- parser ---------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the token list; see the module docstring for the grammar."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node | None:
        if self.peek.kind == "end":
            return None
        node = self.or_expr()
        if self.peek.kind == ")":
            raise FilterError("unexpected ')' without a matching '('", self.peek.pos)
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.peek.kind == "or":
            self.expect_operand_after(self.take())
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.unary()]
        while self.peek.kind in ("term", "not", "(", "and"):
            if self.peek.kind == "and":
                self.expect_operand_after(self.take())
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node:
        token = self.take()
        if token.kind == "not":
            self.expect_operand_after(token)
            return Not(self.unary())
        if token.kind == "(":
            return self.group(token)
        if token.term is not None:
            return token.term
        if token.kind == ")":
            raise FilterError("unexpected ')' without a matching '('", token.pos)
        if token.kind == "end":
            raise FilterError("expected a term", token.pos)
        raise FilterError(f"expected a term before '{token.text}'", token.pos)

    def group(self, opening: _Token) -> Node:
        if self.peek.kind == ")":
            raise FilterError("empty parentheses", opening.pos)
        if self.peek.kind == "end":
            raise FilterError("missing ')' to close this '('", opening.pos)
        node = self.or_expr()
        if self.peek.kind != ")":
            raise FilterError("missing ')' to close this '('", opening.pos)
        self.take()
        return node

    def expect_operand_after(self, operator: _Token) -> None:
        if self.peek.kind in ("end", ")", "or", "and"):
            raise FilterError(f"expected a term after '{operator.text}'", self.peek.pos)


def parse(text: str) -> Node | None:
    """The syntax tree of `text` (None when it is blank). Raises FilterError."""
    return _Parser(text).parse()


# --- fields ---------------------------------------------------------------------------------

Sql = tuple[str, list[object]]
INT64_MIN = -(2**63)

SIG_ALIASES: dict[str, str] = {
    "valid": "valid",
    "invalid": "invalid",
    "missing": "missing_header",
    "missing_header": "missing_header",
    "no_secret": "no_secret",
    "nosecret": "no_secret",
    "none": "no_secret",
    "expired": "expired",
    "malformed": "malformed",
    "unsigned": "unsigned",
}
PROVIDERS = providers.PROVIDERS
"""Provider names offered for ``provider:`` (from the provider registry)."""
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
FLAGS = ("body", "duplicate", "refused")
HEADER_NAMES = (
    "x-hub-signature-256", "x-hub-signature", "x-signature", "stripe-signature",
    "x-slack-signature", "x-github-event", "x-shopify-hmac-sha256", "x-twilio-signature",
    "webhook-signature", "webhook-id", "authorization", "content-type", "user-agent",
)  # fmt: skip

FIELDS: tuple[str, ...] = (
    "method:", "path:", "provider:", "event:", "sig:", "status:", "status>=", "status<",
    "size>", "size<", "from:", "chat:", "after:", "before:", "has:", "has:header:", "is:",
    "source:", "id:", "id>", "summary:", "msg:", "state:",
)  # fmt: skip
"""Completion entries for field names (a field with its usual operators)."""

VALUES: dict[str, tuple[str, ...]] = {
    "provider": PROVIDERS,
    "sig": tuple(SIG_ALIASES),
    "method": METHODS,
    "has": ("header:", *FLAGS),
    "is": (
        "duplicate",
        "refused",
        "retry",
        "redelivery",
        "same-content",
        "out-of-order",
        "downgrade",
        "no-sent",
        "failed",
    ),
    "state": ("received", "pending", "sent", "delivered", "read", "played", "failed"),
    "status": ("2xx", "3xx", "4xx", "5xx"),
    "source": ("http", "import", "check", "tunnel"),
    "after": ("10m", "1h", "1d", "7d"),
    "before": ("10m", "1h", "1d", "7d"),
}
"""Known values per field name, for completion."""

_RANGE_OPS = {":": "=", "=": "=", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}
_SIZE = re.compile(r"(\d+(?:\.\d+)?) *(b|k|kb|kib|m|mb|mib|g|gb|gib)?", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_AGE = re.compile(r"(\d+) *([smhdw])", re.IGNORECASE)
_AGE_NS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PHONE = re.compile(r"\+?[\d\s().-]*\d[\d\s().-]*")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EVENTS = "EXISTS (SELECT 1 FROM events e WHERE e.request_id = requests.id AND ({}))"


def _has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def _glob_escape(value: str) -> str:
    """Make '[' literal in a GLOB pattern (`*` and `?` keep their meaning)."""
    return value.replace("[", "[[]")


def _like_contains(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _exact_or_glob(column: str, value: str) -> Sql:
    if _has_wildcard(value):
        return f"{column} GLOB ?", [_glob_escape(value)]
    return f"{column} = ?", [value]


def _method(term: Term, now_ns: int) -> Sql:
    return _exact_or_glob("method", term.value.upper())


def _path(term: Term, now_ns: int) -> Sql:
    pattern = _glob_escape(term.value)
    return PATH_GLOB, [pattern if _has_wildcard(term.value) else pattern + "*"]


def _provider(term: Term, now_ns: int) -> Sql:
    return _exact_or_glob("provider", term.value.lower())


def _source(term: Term, now_ns: int) -> Sql:
    return _exact_or_glob("source", term.value)


def _event(term: Term, now_ns: int) -> Sql:
    """Any event of the request; without wildcards `X` matches X and X.* (case-insensitive)."""
    value = term.value.lower()
    if _has_wildcard(value):
        return _EVENTS.format("lower(e.event_type) GLOB ?"), [_glob_escape(value)]
    sql = "lower(e.event_type) = ? OR lower(e.event_type) GLOB ?"
    return _EVENTS.format(sql), [value, _glob_escape(value) + ".*"]


def _sig(term: Term, now_ns: int) -> Sql:
    status = SIG_ALIASES.get(term.value.lower())
    if status is None:
        allowed = ", ".join(SIG_ALIASES)
        raise FilterError(
            f"unknown signature status '{term.value}'; use one of: {allowed}", term.value_pos
        )
    return "sig_status = ?", [status]


def _party(term: Term, now_ns: int) -> Sql:
    """`from:` sender or chat, `chat:` chat only; a substring (a phone number's digits)."""
    value = term.value
    if _PHONE.fullmatch(value):
        value = re.sub(r"\D", "", value)
    pattern = _like_contains(value)
    if term.field == "chat":
        return _EVENTS.format("e.chat LIKE ? ESCAPE '\\'"), [pattern]
    sql = "e.sender LIKE ? ESCAPE '\\' OR e.chat LIKE ? ESCAPE '\\'"
    return _EVENTS.format(sql), [pattern, pattern]


def _summary(term: Term, now_ns: int) -> Sql:
    """A substring of the request's summary or of any event's (LIKE: ASCII case-insensitive).
    From 3 characters on, only the candidates the trigram index gives are checked."""
    pattern = _like_contains(term.value)
    sql = "summary LIKE ? ESCAPE '\\' OR " + _EVENTS.format("e.summary LIKE ? ESCAPE '\\'")
    trigrams = _trigrams(term.value)
    if not trigrams:
        return sql, [pattern, pattern]
    return f"{SUMMARY_MATCH} AND ({sql})", [trigrams, pattern, pattern]


TRIGRAMS_ASKED = 32
"""At most this many trigrams of a `summary:` text go to the index (its first distinct ones:
ample to single out the candidates; the LIKE checks the rest)."""


def _trigrams(value: str) -> str:
    """An FTS5 query for the summary index: the distinct trigrams of `value` (the first
    TRIGRAMS_ASKED), each a quoted string, ANDed; '' when the index cannot answer (shorter than
    3 characters, a NUL that ends an FTS5 string, or no index in this SQLite)."""
    if not SUMMARY_INDEX or len(value) < 3 or "\x00" in value:
        return ""
    grams = dict.fromkeys(value[i : i + 3] for i in range(len(value) - 2))
    quoted = ['"' + gram.replace('"', '""') + '"' for gram in list(grams)[:TRIGRAMS_ASKED]]
    return " AND ".join(quoted)


def _compare(column: str, term: Term, number: int) -> Sql:
    if not INT64_MIN <= number <= INT64_MAX:
        raise FilterError(f"number too large after '{term.label}'", term.value_pos)
    return f"{column} {_RANGE_OPS[term.op]} ?", [number]


def _whole_number(term: Term) -> int:
    if not term.value.isascii() or not term.value.isdigit():
        raise FilterError(
            f"expected a whole number after '{term.label}', got '{term.value}'", term.value_pos
        )
    return _digits(term.value, term)


def _digits(digits: str, term: Term) -> int:
    """An int from ASCII digits; refuses absurdly long ones (SQLite integers are 64-bit)."""
    if len(digits.lstrip("0")) > 19:
        raise FilterError(f"number too large after '{term.label}'", term.value_pos)
    return int(digits)


def _status(term: Term, now_ns: int) -> Sql:
    guard = "response_status IS NOT NULL AND "
    klass = re.fullmatch(r"([1-5])xx", term.value, re.IGNORECASE)
    if klass and term.op in (":", "=", "!="):
        low = int(klass[1]) * 100
        sql = "response_status BETWEEN ? AND ?"
        return guard + (f"NOT ({sql})" if term.op == "!=" else sql), [low, low + 99]
    sql, params = _compare("response_status", term, _whole_number(term))
    return guard + sql, params


def _size(term: Term, now_ns: int) -> Sql:
    match = _SIZE.fullmatch(term.value)
    if match is None:
        raise FilterError(
            f"bad size '{term.value}' after '{term.label}': use a number with an optional unit"
            " b, k, m or g (1024-based), e.g. 10k",
            term.value_pos,
        )
    whole, _, fraction = match[1].partition(".")
    number = Fraction(_digits(whole, term)) + Fraction(f"0.{fraction[:9] or 0}")
    unit = (match[2] or "b")[0].lower()
    return _compare("body_size", term, int(number * _SIZE_UNITS[unit]))


def _id(term: Term, now_ns: int) -> Sql:
    return _compare("id", term, _whole_number(term))


def _time(term: Term, now_ns: int) -> Sql:
    moment = max(INT64_MIN, min(INT64_MAX, _moment_ns(term, now_ns)))
    op = ">=" if term.field == "after" else "<"
    return f"received_at_ns {op} ?", [moment]


def _moment_ns(term: Term, now_ns: int) -> int:
    age = _AGE.fullmatch(term.value)
    if age:
        return now_ns - _digits(age[1], term) * _AGE_NS[age[2].lower()] * 1_000_000_000
    try:
        moment = datetime.fromisoformat(term.value)
    except ValueError:
        raise FilterError(
            f"bad date '{term.value}' after '{term.label}': use YYYY-MM-DD, "
            "YYYY-MM-DDTHH:MM[:SS] (UTC) or an age like 10m, 2h, 3d",
            term.value_pos,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def _flag(term: Term, now_ns: int) -> Sql:
    value = term.value.lower()
    if value.startswith("header:"):
        return _header(term, term.value[len("header:") :])
    if value == "body":
        return "body_size > 0", []
    if value == "duplicate":
        return "duplicate_of IS NOT NULL", []
    if value == "refused":
        return "refused IS NOT NULL", []
    raise FilterError(
        f"unknown value '{term.value}' after '{term.label}'; use one of: header:NAME, "
        + ", ".join(FLAGS),
        term.value_pos,
    )


def _header(term: Term, name: str) -> Sql:
    if not name:
        where = term.value_pos + len("header:")
        raise FilterError(f"expected a header name after '{term.label}header:'", where)
    name = name.lower()
    compare = "GLOB" if _has_wildcard(name) else "="
    sql = (
        "EXISTS (SELECT 1 FROM json_each(requests.headers) h"
        f" WHERE lower(json_extract(h.value, '$[0]')) {compare} ?)"
    )
    return sql, [_glob_escape(name) if compare == "GLOB" else name]


DELIVERY_KINDS = ("retry", "redelivery", "same-content")
STEP_FLAGS = ("out-of-order", "downgrade")
MESSAGE_FLAGS = ("no-sent", "failed")


def _is(term: Term, now_ns: int) -> Sql:
    """`is:` a flag of `has:`, a kind of repeated delivery, or a lifecycle flag."""
    value = term.value.lower()
    if value in DELIVERY_KINDS:
        return "requests.id IN (SELECT request_id FROM deliveries WHERE kind = ?)", [value]
    if value in STEP_FLAGS:
        sql = "SELECT request_id FROM lifecycle WHERE flags != '' AND ',' || flags || ',' GLOB ?"
        return f"requests.id IN ({sql})", [f"*,{value},*"]
    if value in MESSAGE_FLAGS:
        sql = (
            "SELECT l.request_id FROM messages m JOIN lifecycle l ON l.message_id = m.message_id"
            " AND l.provider = m.provider WHERE m.flags != '' AND ',' || m.flags || ',' GLOB ?"
        )
        return f"requests.id IN ({sql})", [f"*,{value},*"]
    if value.startswith("header:") or value in FLAGS:
        return _flag(term, now_ns)
    known = ", ".join((*FLAGS, *DELIVERY_KINDS, *STEP_FLAGS, *MESSAGE_FLAGS))
    raise FilterError(
        f"unknown value '{term.value}' after '{term.label}'; use one of: header:NAME, {known}",
        term.value_pos,
    )


def _msg(term: Term, now_ns: int) -> Sql:
    """Every request with a lifecycle step of this message id."""
    sql, params = _exact_or_glob("message_id", term.value)
    return f"requests.id IN (SELECT request_id FROM lifecycle WHERE {sql})", params


def _state(term: Term, now_ns: int) -> Sql:
    """Requests with a lifecycle step in this state (read, delivered, failed...)."""
    sql, params = _exact_or_glob("state", term.value.lower())
    return f"requests.id IN (SELECT request_id FROM lifecycle WHERE {sql})", params


_Builder = Callable[[Term, int], Sql]
_TEXT_FIELDS: dict[str, _Builder] = {
    "method": _method,
    "path": _path,
    "provider": _provider,
    "event": _event,
    "sig": _sig,
    "from": _party,
    "chat": _party,
    "after": _time,
    "before": _time,
    "has": _flag,
    "is": _is,
    "source": _source,
    "summary": _summary,
    "msg": _msg,
    "state": _state,
}
_RANGE_FIELDS: dict[str, _Builder] = {"status": _status, "size": _size, "id": _id}
KNOWN_FIELDS = (
    "method", "path", "provider", "event", "sig", "status", "size", "from", "chat", "after",
    "before", "has", "is", "source", "id", "summary", "msg", "state",
)  # fmt: skip


# --- compiling ------------------------------------------------------------------------------


def _fts_phrase(term: Term) -> str:
    """The term as one FTS5 string (a phrase), so user text never becomes FTS5 syntax."""
    if not term.value:
        raise FilterError("expected text before '*'", term.pos)
    return '"' + term.value.replace('"', '""') + '"' + ("*" if term.prefix else "")


def _term_sql(term: Term, now_ns: int) -> Sql:
    if not term.field:
        return FTS_MATCH, [_fts_phrase(term)]
    if term.field in _RANGE_FIELDS:
        builder = _RANGE_FIELDS[term.field]
    elif term.field in _TEXT_FIELDS:
        builder = _TEXT_FIELDS[term.field]
        if term.op not in (":", "=", "!="):
            raise FilterError(f"'{term.op}' does not apply to '{term.field}'; use ':'", term.pos)
    else:
        known = ", ".join(KNOWN_FIELDS)
        raise FilterError(
            f"unknown field '{term.field}'; known fields: {known}"
            " (put text in quotes to search for it)",
            term.pos,
        )
    if not term.value:
        raise FilterError(f"expected a value after '{term.label}'", term.value_pos)
    if term.op == "!=" and term.field in _TEXT_FIELDS:
        sql, params = builder(term, now_ns)
        return f"NOT ({sql})", params
    return builder(term, now_ns)


def _node_sql(node: Node, now_ns: int) -> Sql:
    if isinstance(node, Term):
        return _term_sql(node, now_ns)
    if isinstance(node, Not):
        sql, params = _node_sql(node.child, now_ns)
        return f"NOT ({sql})", params
    parts = [_node_sql(item, now_ns) for item in node.items]
    joiner = " AND " if isinstance(node, And) else " OR "
    return joiner.join(f"({sql})" for sql, _ in parts), [p for _, ps in parts for p in ps]


def compile_filter(text: str, *, now: float | None = None) -> Filter:
    """Compile filter text into a parenthesised SQL condition on `requests`.

    `now` (seconds since the epoch) is the reference for relative times like `after:2h`;
    the current time when None. Raises FilterError with the position of the problem.
    """
    node = parse(text)
    if node is None:
        return Filter("", (), text)
    now_ns = round((time.time() if now is None else now) * 1_000_000) * 1000
    sql, params = _node_sql(node, now_ns)
    return Filter(f"({sql})", tuple(params), text)


# --- completion -----------------------------------------------------------------------------


def _token_before(text: str, cursor: int) -> str:
    start = cursor
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "()":
        start -= 1
    return text[start:cursor]


def completions(text: str, cursor: int) -> list[str]:
    """Whole-token suggestions for the token that ends at `cursor`: field names while typing
    a bare word, known values after `provider:`, `sig:`, `method:`, `has:`... Never raises."""
    cursor = max(0, min(cursor, len(text)))
    token = _token_before(text, cursor)
    if text[: cursor - len(token)].count('"') % 2 or '"' in token:
        return []  # inside a quoted phrase
    negation = "-" if token.startswith("-") else ""
    token = token[len(negation) :]
    match = _FIELD_OP.match(token)
    if match is None:
        wanted = token.lower()
        return [negation + field for field in FIELDS if field.startswith(wanted)]
    head, rest = token[: match.end()], token[match.end() :]
    field = match[1].lower()
    values = VALUES.get(field, ()) if match[2] in (":", "=", "!=") else ()
    if field == "has" and rest.lower().startswith("header:"):
        head, rest = head + rest[:7], rest[7:]
        values = HEADER_NAMES
    wanted = rest.lower()
    return [negation + head + value for value in values if value.lower().startswith(wanted)]
