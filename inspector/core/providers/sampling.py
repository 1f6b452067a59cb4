"""What provider modules build their samples for ``send`` with (see `inspector.core.samples`).

A `Sample` starts from a published payload copied into ``inspector/resources/samples/``, and
says how to give it fresh ids and timestamps, which fields the friendly override keys set, the
headers its provider really sends and how it serialises the body.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from inspector.core.models import Header

Json = Any
"""Parsed JSON (dicts, lists, strings, numbers, booleans, None)."""

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class SampleError(ValueError):
    """An unknown provider/event, or an override that does not fit the sample."""


@dataclass(frozen=True, slots=True)
class Clock:
    now: float

    @property
    def seconds(self) -> int:
        return int(self.now)

    @property
    def ms(self) -> int:
        return int(self.now * 1000)

    def iso(self) -> str:
        moment = datetime.fromtimestamp(self.now, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _hex(size: int, *, upper: bool = False) -> str:
    text = secrets.token_hex(size)
    return text.upper() if upper else text


def _alnum(size: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(size))


def _ulid(clock: Clock) -> str:
    """A ULID: 48-bit ms timestamp + 80 random bits in Crockford base32 (26 characters)."""
    value = (clock.ms << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def _wamid(phone: str) -> str:
    """A Meta message id shaped like the published ones: base64 of phone + 20 hex digits."""
    digits = re.sub(r"\D", "", phone)[:30] or "0"
    raw = b"\x1c\x18" + bytes([len(digits)]) + digits.encode("ascii")
    raw += b"\x15\x02\x00\x12\x18\x14" + _hex(10, upper=True).encode("ascii") + b"\x00"
    return "wamid." + base64.b64encode(raw).decode("ascii")


def _media_id() -> str:
    return str(secrets.randbelow(9 * 10**15) + 10**15)


def _split(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for part in path.split("."):
        if part == "":
            raise SampleError(f"{path!r} is not a dotted JSON path (empty part)")
        parts.append(int(part) if part.isdigit() else part)
    return parts


def _child(value: Json, part: str | int) -> tuple[bool, Json]:
    """(found, value[part]) for a list index or a dict key."""
    if isinstance(part, int) and isinstance(value, list) and part < len(value):
        return True, value[part]
    if isinstance(part, str) and isinstance(value, dict) and part in value:
        return True, value[part]
    return False, None


def _get(doc: Json, path: str) -> Json:
    value = doc
    for part in _split(path):
        found, value = _child(value, part)
        if not found:
            return None
    return value


def _has_path(doc: Json, path: str) -> bool:
    parent_path, _, last = path.rpartition(".")
    parent = _get(doc, parent_path) if parent_path else doc
    if isinstance(parent, dict):
        return last in parent
    return isinstance(parent, list) and last.isdigit() and int(last) < len(parent)


def _set(doc: Json, path: str, value: Json, *, create: bool = True) -> None:
    """Set `path` to `value`; the parent must exist. A missing last key is added if `create`."""
    parts = _split(path)
    parent = doc
    for index, part in enumerate(parts[:-1]):
        found, parent = _child(parent, part)
        if not found:
            where = ".".join(str(p) for p in parts[: index + 1])
            raise SampleError(f"{path!r}: the sample has nothing at {where!r}")
    last = parts[-1]
    if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        parent[last] = value
    elif isinstance(parent, dict) and (create or str(last) in parent):
        parent[str(last)] = value
    else:
        raise SampleError(f"{path!r}: the sample has no such field")


Builder = Callable[[Json, Clock], None]
"""Fills fresh ids and timestamps into a parsed template (in place)."""
Friendly = Callable[[Json, str], None]
"""Applies one friendly override value (in place)."""


@dataclass(frozen=True)
class Sample:
    provider: str
    event: str
    description: str
    template: str
    fresh: Builder
    friendly: Mapping[str, Friendly] = field(default_factory=dict)
    event_type: str = ""
    """The event type `providers.detect` reports for it (checked by the tests)."""
    prepare: Callable[[Json], None] | None = None
    """Turns the copied template into this sample's shape (runs before overrides)."""
    headers: Callable[[Json, Clock], list[Header]] | None = None
    dump: Callable[[Json], bytes] | None = None


def _load(name: str) -> Json:
    data = resources.files("inspector").joinpath("resources").joinpath("samples").joinpath(name)
    return json.loads(data.read_bytes())


def _compact(doc: Json) -> bytes:
    """JSON.stringify-style: compact, non-ASCII kept as UTF-8 (WAHA, Standard Webhooks)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _digits_of(text: str) -> str:
    digits = re.sub(r"\D", "", text.split("@", 1)[0])
    if not digits:
        raise SampleError(f"{text!r} is not a phone number")
    return digits


def _setter(path: str) -> Friendly:
    def apply(doc: Json, value: str) -> None:
        _set(doc, path, value)

    return apply


def _jid(value: str, server: str = "c.us") -> str:
    return value if "@" in value else f"{_digits_of(value)}@{server}"
