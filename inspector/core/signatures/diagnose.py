"""Explanations for a signature that does not match: the body variants a sender may have
signed instead, and the scheme another signature header suggests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from inspector.core.models import CapturedRequest, parse_json
from inspector.core.signatures.base import (
    _utf8,
)

_DEFAULT_CAUSE = "Wrong secret, or the body was changed after signing."


_JSON_FORMS: tuple[tuple[str, Callable[[object], str]], ...] = (
    ("re-encoded as JSON with default spacing (json.dumps defaults)", json.dumps),
    (
        "re-encoded as compact JSON with unicode escapes",
        lambda o: json.dumps(o, separators=(",", ":")),
    ),
    (
        "re-encoded as compact JSON without unicode escapes",
        lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False),
    ),
    ("re-encoded as indented JSON (indent=2)", lambda o: json.dumps(o, indent=2)),
)
_JSON_CAUSE = (
    "the body was changed after signing (e.g. a relay or framework re-serialised the JSON)"
)


def _body_variants(body: bytes) -> list[tuple[str, bytes, str]]:
    """Bodies the sender may have signed instead: (how it differs, bytes, likely cause).

    The smallest change first: a line ending, then the common JSON re-encodings.
    """
    out: list[tuple[str, bytes, str]] = []
    if body.endswith(b"\r\n"):
        out.append(
            ("without its trailing CRLF", body[:-2], "a line ending was added after signing")
        )
    if body.endswith(b"\n"):
        out.append(("without its trailing newline", body[:-1], "a newline was added after signing"))
    else:
        out.append(("with a trailing newline", body + b"\n", "a trailing newline was removed"))
    parsed = parse_json(body)
    if parsed is not None:
        for label, dump in _JSON_FORMS:
            try:
                out.append((label, _utf8(dump(parsed)), _JSON_CAUSE))
            except (ValueError, RecursionError):
                continue
    return [(label, data, cause) for label, data, cause in out if data != body]


def _variant_cause(body: bytes, matches: Callable[[bytes], bool], what: str) -> str | None:
    for label, variant, cause in _body_variants(body):
        if matches(variant):
            return f"{what} matches the body {label}: {cause}."
    return None


@dataclass(frozen=True)
class Guess:
    """A signature header that suggests a scheme."""

    header: str
    """Lower-case."""
    scheme: str
    names: str
    """The schemes that use this header, in words ("meta, github or gowa")."""


GUESSES: list[Guess] = []
"""Every known signature header in guess order; `registry` fills it from the schemes' `guess`
data when the package is imported."""


def guess(request: CapturedRequest) -> tuple[Guess, str] | None:
    """The first known signature header present, and its name as sent."""
    present = {name.lower(): name for name, _ in reversed(request.headers)}
    for entry in GUESSES:
        if entry.header in present:
            return entry, present[entry.header]
    return None
