"""What every signature scheme shares: failure reasons, parsing helpers, the parsed
signature (`_Received`) and masking for display.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass

from inspector.core.models import SigStatus

TOLERANCE = 300
"""Default allowed clock difference, in seconds, for schemes that sign a timestamp."""

_DIGEST_SIZE = {"sha1": 20, "sha256": 32, "sha512": 64}


class _Problem(Exception):
    """The signature cannot be checked: a header is missing or unparseable."""

    def __init__(self, status: SigStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _missing(text: str) -> _Problem:
    return _Problem(SigStatus.MISSING_HEADER, text)


def _malformed(text: str) -> _Problem:
    return _Problem(SigStatus.MALFORMED, text)


def _utf8(text: str) -> bytes:
    """Text (secrets, template literals) as UTF-8; never raises."""
    return text.encode("utf-8", "surrogatepass")


def _raw(value: str) -> bytes:
    """A header value's bytes as received (values are Latin-1 decoded); never raises."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return _utf8(value)


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _any_equal(expected: Iterable[bytes], received: tuple[bytes, ...]) -> bool:
    return any(hmac.compare_digest(e, r) for e in expected for r in received)


def _encode(digest: bytes, enc: str) -> str:
    return digest.hex() if enc == "hex" else base64.b64encode(digest).decode("ascii")


def _try_decode(text: str, enc: str, alg: str) -> bytes | None:
    """Decode a hex/base64 signature of the right length for `alg`, or None."""
    try:
        raw = binascii.unhexlify(text) if enc == "hex" else base64.b64decode(text, validate=True)
    except ValueError:
        return None
    return raw if len(raw) == _DIGEST_SIZE[alg] else None


def _decode(text: str, enc: str, alg: str, where: str) -> bytes:
    raw = _try_decode(text, enc, alg)
    if raw is None:
        size = _DIGEST_SIZE[alg]
        raise _malformed(
            f"The {where} is not a {'hex' if enc == 'hex' else 'base64'} HMAC-"
            f"{alg.upper()} value ({size} bytes)."
        )
    return raw


def _digits(value: str, where: str) -> str:
    """A timestamp as sent, checked to be plain decimal digits."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 20:
        raise _malformed(f"The {where} is not a number of seconds: {_short(text)}.")
    return text


def _now_text(now: float | None, unit: int) -> str:
    return str(max(0, int((time.time() if now is None else now) * unit)))


_LONG_AGES = ((2 * 365 * 86400, 365.25 * 86400, "years"), (2 * 86400, 86400, "days"),
              (2 * 3600, 3600, "h"))  # fmt: skip
"""(from, size, name): an age of at least `from` seconds is said in that unit alone."""


def _duration(seconds: float) -> str:
    """An age as "95 s", "720 s (12 min)" (seconds, to compare with a limit in seconds), or
    beyond two hours in the largest sensible unit: "5 h", "12 days", "53.9 years"."""
    for start, size, name in _LONG_AGES:
        if seconds >= start:
            amount = seconds / size
            return f"{amount:.1f} {name}" if name == "years" else f"{int(amount)} {name}"
    whole = int(seconds)
    return f"{whole} s ({whole // 60} min)" if whole >= 120 else f"{whole} s"


def _age_problem(ts_text: str, unit: int, tolerance: int, now: float | None) -> str | None:
    """Why the timestamp is outside the tolerance (past or future), or None."""
    age = (time.time() if now is None else now) - int(ts_text) / unit
    if age > tolerance:
        return f"the timestamp is {_duration(age)} old (the limit is {tolerance} s)"
    if -age > tolerance:
        return (
            f"the timestamp is {_duration(-age)} in the future (the limit is {tolerance} s; "
            "check the clocks)"
        )
    return None


def _derived_id(body: bytes, ts_text: str | None) -> str:
    seed = body + b"." + (ts_text or "").encode("ascii")
    return "msg_" + hashlib.sha256(seed).hexdigest()[:24]


def _need_secret(secret: str) -> None:
    if not secret:
        raise ValueError("A secret is needed to sign a request.")


@dataclass(frozen=True)
class _Received:
    """What a signature is computed over and compared with (parsed from the request)."""

    alg: str
    template: str
    sigs: tuple[bytes, ...] = ()
    shown: str = ""
    ts_text: str | None = None
    msg_id: str = ""


def mask(value: str) -> str:
    """A signature shown as first 6 + "…" + last 4 characters; short values mostly hidden."""
    if len(value) > 12:
        return f"{value[:6]}…{value[-4:]}"
    return f"{value[: len(value) // 4]}…" if value else ""


def mask_secret(secret: str) -> str:
    """A secret shown as its first 2 characters and its length, e.g. "my…(13 chars)"."""
    size = len(secret)
    count = f"({size} char{'' if size == 1 else 's'})"
    return f"{secret[:2]}…{count}" if size >= 8 else f"…{count}"
