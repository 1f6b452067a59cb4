"""What every format of this package shares: the error they raise, body encoding, times and
JSON numbers."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime


class FormatError(ValueError):
    """A file is not in a format we can read; the message says where and why."""


def encode_body(body: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 text when possible, else base64."""
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def iso_time(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="microseconds")


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
