"""Webhook signature schemes: sign, verify and explain (pure functions, standard library only).

Every check runs over the raw ``request.body`` bytes, never a re-serialised body. Header names are
case-insensitive; signatures are compared with ``hmac.compare_digest``. A `Verification` never
holds the secret: expected and received signatures are shown through `mask`.

Built-in schemes are in `SCHEMES`. `get_scheme` also builds a configurable HMAC scheme from a spec:
``hmac:header=X-Sig;alg=sha256;enc=hex;prefix=sha256=;template={timestamp}.{body};ts_header=X-Ts;
tolerance=300;id_header=X-Id`` (keys: header (required), alg sha1|sha256|sha512, enc hex|base64,
prefix, template with {body} {timestamp} {id}, ts_header, id_header, tolerance in seconds (default
300 with a ts_header; 0 turns the age check off), unit s|ms for the timestamp (default s)).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from urllib.parse import unquote, unquote_to_bytes

from inspector.core.models import (
    CapturedRequest,
    Header,
    SigStatus,
    Verification,
    parse_json,
)

__all__ = [
    "SCHEMES",
    "HmacScheme",
    "Scheme",
    "get_scheme",
    "guess_scheme",
    "mask",
    "mask_secret",
    "sign_request",
    "verify_request",
]

TOLERANCE = 300
"""Default allowed clock difference, in seconds, for schemes that sign a timestamp."""

_DIGEST_SIZE = {"sha1": 20, "sha256": 32, "sha512": 64}
_PLACEHOLDER = re.compile(r"\{(body|timestamp|id)\}")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_DEFAULT_PORT = {"http": 80, "https": 443}
_FORM = "application/x-www-form-urlencoded"
_DEFAULT_CAUSE = "Wrong secret, or the body was changed after signing."


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


# ---------------------------------------------------------------- small helpers


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


# ---------------------------------------------------------------- body variants (diagnostics)

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


# ---------------------------------------------------------------- scheme guessing

_GUESS: tuple[tuple[str, str], ...] = (
    ("x-webhook-hmac", "waha"),
    ("stripe-signature", "stripe"),
    ("webhook-signature", "standard"),
    ("svix-signature", "standard"),
    ("x-slack-signature", "slack"),
    ("x-shopify-hmac-sha256", "shopify"),
    ("x-twilio-signature", "twilio"),
    ("x-wahooks-signature", "wahooks"),
    ("x-webhook-signature", "wsapi"),
    ("x-signature", "wsapi"),
    ("x-hub-signature-256", "meta"),
    ("x-hub-signature", "github_sha1"),
)


def _guess(request: CapturedRequest) -> tuple[str, str] | None:
    """(scheme, header name as sent) for the first known signature header present."""
    present = {name.lower(): name for name, _ in reversed(request.headers)}
    for header, scheme in _GUESS:
        if header in present:
            return scheme, present[header]
    return None


def guess_scheme(request: CapturedRequest) -> str | None:
    """The built-in scheme the request's headers suggest, or None.

    X-Hub-Signature-256 gives "meta"; telling Meta, GitHub and GOWA apart needs the body.
    """
    found = _guess(request)
    return found[0] if found else None


# ---------------------------------------------------------------- schemes


@dataclass(frozen=True)
class _Received:
    """What a signature is computed over and compared with (parsed from the request)."""

    alg: str
    template: str
    sigs: tuple[bytes, ...] = ()
    shown: str = ""
    ts_text: str | None = None
    msg_id: str = ""


@dataclass(frozen=True)
class Scheme:
    """One way of signing webhooks. Subclasses supply parsing and computing."""

    name: str
    title: str
    headers: tuple[str, ...]
    """Header names read or written, lower-case, signature header first."""

    def sign(
        self,
        secret: str,
        request: CapturedRequest,
        *,
        now: float | None = None,
        msg_id: str | None = None,
    ) -> tuple[Header, ...]:
        """Headers to set so that `request` carries a valid signature over its exact body."""
        raise NotImplementedError

    def verify(
        self, secret: str | None, request: CapturedRequest, *, now: float | None = None
    ) -> Verification:
        """Check the request's signature; explain any failure in plain words."""
        try:
            rec = self._parse(request)
        except _Problem as problem:
            return Verification(problem.status, self.name, self._problem_reason(problem, request))
        received = mask(rec.shown)
        if not secret:
            reason = (
                f"No secret is set for the {self.name} scheme, so the signature cannot be checked."
            )
            return Verification(SigStatus.NO_SECRET, self.name, reason, received=received)
        digests = self._digests(secret, request, rec)
        expected = mask(self._encode(digests[0]))
        if not _any_equal(digests, rec.sigs):
            reason = self._mismatch_reason(secret, request, rec)
            return Verification(SigStatus.INVALID, self.name, reason, expected, received)
        late = self._staleness(rec, now)
        if late:
            reason = f"The signature matches, but {late}."
            return Verification(SigStatus.EXPIRED, self.name, reason, expected, received)
        reason = self._valid_reason(secret, request, rec)
        return Verification(SigStatus.VALID, self.name, reason, expected, received)

    # hooks ---------------------------------------------------------------

    def _parse(self, request: CapturedRequest) -> _Received:
        raise NotImplementedError

    def _digests(self, secret: str, request: CapturedRequest, rec: _Received) -> list[bytes]:
        """Acceptable signatures, the canonical one first."""
        raise NotImplementedError

    def _encode(self, digest: bytes) -> str:
        raise NotImplementedError

    def _staleness(self, rec: _Received, now: float | None) -> str | None:
        return None

    def _valid_reason(self, secret: str, request: CapturedRequest, rec: _Received) -> str:
        if len(rec.sigs) > 1:
            return f"The signature is valid (one of {len(rec.sigs)} signatures matches)."
        return "The signature is valid."

    def _hints(self, secret: str, request: CapturedRequest) -> list[str]:
        hint = self._other_scheme_hint(request)
        return [hint] if hint else []

    # shared --------------------------------------------------------------

    def _matches(self, secret: str, request: CapturedRequest, rec: _Received) -> bool:
        return _any_equal(self._digests(secret, request, rec), rec.sigs)

    def _definite_cause(self, secret: str, request: CapturedRequest, rec: _Received) -> str | None:
        def matches(body: bytes) -> bool:
            return self._matches(secret, replace(request, body=body), rec)

        return _variant_cause(request.body, matches, "The signature")

    def _mismatch_reason(self, secret: str, request: CapturedRequest, rec: _Received) -> str:
        definite = self._definite_cause(secret, request, rec)
        if definite:
            return definite
        hints = self._hints(secret, request)
        if not hints:
            return _DEFAULT_CAUSE
        return " ".join([*hints, "Otherwise: wrong secret, or the body was changed after signing."])

    def _other_scheme_hint(self, request: CapturedRequest) -> str | None:
        found = _guess(request)
        if found is None:
            return None
        scheme, header = found
        if scheme == self.name or header.lower() in self.headers:
            return None
        names = "meta, github or gowa" if scheme == "meta" else scheme
        return f"This request carries a {header} header; the {names} scheme may be the right one."

    def _problem_reason(self, problem: _Problem, request: CapturedRequest) -> str:
        hint = (
            self._other_scheme_hint(request) if problem.status is SigStatus.MISSING_HEADER else None
        )
        return f"{problem.reason} {hint}" if hint else problem.reason


@dataclass(frozen=True)
class HmacScheme(Scheme):
    """HMAC over a template of body/timestamp/id, carried in one header with an optional prefix.

    Covers meta, github, github_sha1, gowa, shopify, slack, wahooks and custom `hmac:` specs;
    the subclasses below adapt it to WAHA, WSAPI, Stripe and Standard Webhooks.
    """

    header: str = ""
    """The signature header as usually spelled."""
    alg: str = "sha256"
    enc: str = "hex"
    prefix: str = ""
    template: str = "{body}"
    ts_header: str | None = None
    id_header: str | None = None
    tolerance: int | None = None
    unit: int = 1
    """Timestamp units per second: 1 for seconds, 1000 for milliseconds."""
    default_secret: str | None = None
    """A secret the sender uses when none is configured (GOWA: "secret")."""

    def sign(
        self,
        secret: str,
        request: CapturedRequest,
        *,
        now: float | None = None,
        msg_id: str | None = None,
    ) -> tuple[Header, ...]:
        _need_secret(secret)
        rec = self._sign_context(request, now, msg_id)
        return self._render(self._digests(secret, request, rec)[0], rec)

    def _sign_context(
        self, request: CapturedRequest, now: float | None, msg_id: str | None
    ) -> _Received:
        signs_time = self.ts_header or "{timestamp}" in self.template
        ts = _now_text(now, self.unit) if signs_time else None
        mid = ""
        if self.id_header:
            mid = msg_id or request.header(self.id_header) or _derived_id(request.body, ts)
        return _Received(self.alg, self.template, ts_text=ts, msg_id=mid)

    def _render(self, digest: bytes, rec: _Received) -> tuple[Header, ...]:
        out: list[Header] = [(self.header, self.prefix + self._encode(digest))]
        if self.ts_header and rec.ts_text is not None:
            out.append((self.ts_header, rec.ts_text))
        if self.id_header:
            out.append((self.id_header, rec.msg_id))
        return tuple(out)

    def _parse(self, request: CapturedRequest) -> _Received:
        name, value = self._find_signature(request)
        context = self._context(request)
        text = self._strip_prefix(name, value)
        sig = _decode(text, self.enc, context.alg, f"{name} header")
        return replace(context, sigs=(sig,), shown=text)

    def _find_signature(self, request: CapturedRequest) -> tuple[str, str]:
        value = request.header(self.header)
        if value is None:
            raise _missing(f"The request has no {self.header} header.")
        return self.header, value.strip()

    def _strip_prefix(self, name: str, value: str) -> str:
        size = len(self.prefix)
        if value[:size].lower() != self.prefix.lower():
            raise _malformed(f"The {name} header should start with {self.prefix!r}.")
        return value[size:]

    def _context(self, request: CapturedRequest) -> _Received:
        ts = self._header_timestamp(request, self.ts_header) if self.ts_header else None
        mid = ""
        if self.id_header:
            found = request.header(self.id_header)
            if found is None:
                raise _missing(
                    f"The request has no {self.id_header} header, which the signature covers."
                )
            mid = found
        return _Received(self.alg, self.template, ts_text=ts, msg_id=mid)

    @staticmethod
    def _header_timestamp(request: CapturedRequest, header: str) -> str:
        value = request.header(header)
        if value is None:
            raise _missing(f"The request has no {header} header, which this scheme needs.")
        return _digits(value, f"{header} header")

    def _key(self, secret: str) -> bytes:
        return _utf8(secret)

    def _digests(self, secret: str, request: CapturedRequest, rec: _Received) -> list[bytes]:
        message = _message(rec, request.body)
        return [hmac.new(self._key(secret), message, rec.alg).digest()]

    def _encode(self, digest: bytes) -> str:
        return _encode(digest, self.enc)

    def _staleness(self, rec: _Received, now: float | None) -> str | None:
        if not self.tolerance or rec.ts_text is None:
            return None
        return _age_problem(rec.ts_text, self.unit, self.tolerance, now)

    def _definite_cause(self, secret: str, request: CapturedRequest, rec: _Received) -> str | None:
        found = super()._definite_cause(secret, request, rec)
        default = self.default_secret
        if found or not default or secret == default or not self._matches(default, request, rec):
            return found
        return (
            f"The signature matches the default secret {default!r}: the sender was started "
            "without its own secret. Set one there, or use the default here."
        )

    def _hints(self, secret: str, request: CapturedRequest) -> list[str]:
        hints = super()._hints(secret, request)
        if self.default_secret and secret != self.default_secret:
            hints.append(
                f"Note: {self.name} signs with the default secret {self.default_secret!r} "
                "unless one is configured."
            )
        return hints


def _message(rec: _Received, body: bytes) -> bytes:
    """The exact bytes signed: the template with body, timestamp and id filled in."""
    out = bytearray()
    for index, part in enumerate(_PLACEHOLDER.split(rec.template)):
        if index % 2 == 0:
            out += _utf8(part)
        elif part == "body":
            out += body
        elif part == "timestamp":
            out += _raw(rec.ts_text or "")
        else:
            out += _raw(rec.msg_id)
    return bytes(out)


@dataclass(frozen=True)
class _Waha(HmacScheme):
    """X-Webhook-Hmac; algorithm from X-Webhook-Hmac-Algorithm; fork "v2" signs "{ts}.{body}"."""

    def _context(self, request: CapturedRequest) -> _Received:
        named = request.header("X-Webhook-Hmac-Algorithm")
        alg = (named or self.alg).strip().lower()
        if alg not in _DIGEST_SIZE:
            raise _malformed(
                f"X-Webhook-Hmac-Algorithm is {_short(named or '')}; "
                "expected sha512, sha256 or sha1."
            )
        if not _is_v2(request):
            return _Received(alg, "{body}")
        ts = self._header_timestamp(request, "X-Webhook-Timestamp")
        return _Received(alg, "{timestamp}.{body}", ts_text=ts)

    def _sign_context(
        self, request: CapturedRequest, now: float | None, msg_id: str | None
    ) -> _Received:
        if not _is_v2(request):
            return _Received(self.alg, "{body}")
        return _Received(self.alg, "{timestamp}.{body}", ts_text=_now_text(now, 1000))

    def _render(self, digest: bytes, rec: _Received) -> tuple[Header, ...]:
        out: list[Header] = [
            ("X-Webhook-Hmac", digest.hex()),
            ("X-Webhook-Hmac-Algorithm", rec.alg),
        ]
        if rec.ts_text is not None:
            out += [("X-Webhook-Timestamp", rec.ts_text), ("X-Webhook-Hmac-Version", "2")]
        return tuple(out)


def _is_v2(request: CapturedRequest) -> bool:
    return (request.header("X-Webhook-Hmac-Version") or "").strip() == "2"


@dataclass(frozen=True)
class _Wsapi(HmacScheme):
    """X-Webhook-Signature (self-hosted) or X-Signature (cloud), "sha256=" prefix optional."""

    alt_header: str = "X-Signature"

    def _find_signature(self, request: CapturedRequest) -> tuple[str, str]:
        for name in (self.header, self.alt_header):
            value = request.header(name)
            if value is not None:
                return name, value.strip()
        raise _missing(f"The request has no {self.header} (or {self.alt_header}) header.")

    def _strip_prefix(self, name: str, value: str) -> str:
        size = len(self.prefix)
        return value[size:] if value[:size].lower() == self.prefix else value


@dataclass(frozen=True)
class _Stripe(HmacScheme):
    """Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]; v0 ignored; secret used as-is."""

    def _parse(self, request: CapturedRequest) -> _Received:
        _, value = self._find_signature(request)
        items = [part.strip().partition("=") for part in value.split(",")]
        if any(not sep for _, sep, _ in items):
            raise _malformed("The Stripe-Signature header is not a list of key=value items.")
        stamps = [val for key, _, val in items if key == "t"]
        if not stamps:
            raise _malformed("The Stripe-Signature header has no t= timestamp.")
        ts = _digits(stamps[0], "Stripe-Signature t= value")
        v1 = [val for key, _, val in items if key == "v1"]
        sigs = tuple(sig for sig in (_try_decode(v, "hex", "sha256") for v in v1) if sig)
        if not sigs:
            raise _malformed(
                "The Stripe-Signature header has no valid v1= signature (v0 is ignored)."
            )
        return _Received(self.alg, self.template, sigs, v1[0], ts)

    def _render(self, digest: bytes, rec: _Received) -> tuple[Header, ...]:
        return ((self.header, f"t={rec.ts_text},v1={digest.hex()}"),)


@dataclass(frozen=True)
class _Standard(HmacScheme):
    """Standard Webhooks / Svix: webhook-* (or svix-*) headers, "v1,<base64>" list, whsec_ key."""

    def _parse(self, request: CapturedRequest) -> _Received:
        family = _standard_family(request)
        value = request.header(f"{family}-signature") or ""
        mid = request.header(f"{family}-id")
        if mid is None:
            raise _missing(f"The request has no {family}-id header, which the signature covers.")
        ts = self._header_timestamp(request, f"{family}-timestamp")
        entries = [entry.partition(",") for entry in value.split()]
        v1 = [sig for version, sep, sig in entries if sep and version == "v1"]
        sigs = tuple(sig for sig in (_try_decode(v, "base64", "sha256") for v in v1) if sig)
        if not sigs:
            only_v1a = any(version == "v1a" for version, _, _ in entries)
            detail = " (v1a Ed25519 signatures are not supported)" if only_v1a else ""
            raise _malformed(
                f"The {family}-signature header has no valid v1,<base64> entry{detail}."
            )
        return _Received(self.alg, self.template, sigs, v1[0], ts, mid)

    def _sign_context(
        self, request: CapturedRequest, now: float | None, msg_id: str | None
    ) -> _Received:
        ts = _now_text(now, 1)
        existing = request.header("webhook-id") or request.header("svix-id")
        mid = msg_id or existing or _derived_id(request.body, ts)
        return _Received(self.alg, self.template, ts_text=ts, msg_id=mid)

    def _render(self, digest: bytes, rec: _Received) -> tuple[Header, ...]:
        return (
            ("webhook-id", rec.msg_id),
            ("webhook-timestamp", rec.ts_text or ""),
            ("webhook-signature", "v1," + base64.b64encode(digest).decode("ascii")),
        )

    def _key(self, secret: str) -> bytes:
        return _standard_key(secret) or _utf8(secret)

    def _hints(self, secret: str, request: CapturedRequest) -> list[str]:
        hints = super()._hints(secret, request)
        if _standard_key(secret) is None:
            hints.append(
                "Note: the secret is not base64 (after any whsec_ prefix), so it was used as "
                "plain text; Standard Webhooks secrets look like whsec_<base64>."
            )
        return hints


def _standard_family(request: CapturedRequest) -> str:
    for family in ("webhook", "svix"):
        if request.header(f"{family}-signature") is not None:
            return family
    raise _missing("The request has no webhook-signature (or svix-signature) header.")


def _standard_key(secret: str) -> bytes | None:
    """The key bytes of a whsec_<base64> secret, or None when it is not base64. Missing
    "=" padding is added, as the Standard Webhooks libraries do."""
    text = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Twilio(Scheme):
    """X-Twilio-Signature: base64 HMAC-SHA1 over URL + sorted form params (name+value)."""

    def sign(
        self,
        secret: str,
        request: CapturedRequest,
        *,
        now: float | None = None,
        msg_id: str | None = None,
    ) -> tuple[Header, ...]:
        _need_secret(secret)
        digest = self._digests(secret, request, _Received("sha1", ""))[0]
        return (("X-Twilio-Signature", self._encode(digest)),)

    def verify(
        self, secret: str | None, request: CapturedRequest, *, now: float | None = None
    ) -> Verification:
        result = super().verify(secret, request, now=now)
        if result.status is not SigStatus.VALID:
            return result
        return _check_body_hash(request, result)

    def _parse(self, request: CapturedRequest) -> _Received:
        value = request.header("X-Twilio-Signature")
        if value is None:
            raise _missing("The request has no X-Twilio-Signature header.")
        text = value.strip()
        return _Received(
            "sha1", "", (_decode(text, "base64", "sha1", "X-Twilio-Signature header"),), text
        )

    def _digests(self, secret: str, request: CapturedRequest, rec: _Received) -> list[bytes]:
        key, params = _utf8(secret), _form_payload(request)
        return [hmac.new(key, _raw(url) + params, "sha1").digest() for url in _twilio_urls(request)]

    def _encode(self, digest: bytes) -> str:
        return _encode(digest, "base64")

    def _valid_reason(self, secret: str, request: CapturedRequest, rec: _Received) -> str:
        urls = _twilio_urls(request)
        digests = self._digests(secret, request, rec)
        index = next(i for i, d in enumerate(digests) if _any_equal([d], rec.sigs))
        if index == 0:
            return "The signature is valid."
        return (
            f"The signature is valid for {urls[index]} (the sender used a different scheme or "
            "port than this receiver sees, e.g. behind a tunnel)."
        )


def _split_port(host: str) -> tuple[str, str]:
    match = re.fullmatch(r"(.*?)(?::(\d+))?", host, re.DOTALL)
    assert match is not None  # the pattern matches any string
    return match.group(1), match.group(2) or ""


def _twilio_urls(request: CapturedRequest) -> list[str]:
    """The URL as received first, then other schemes/ports the sender may have used."""
    host = request.header("host") or "localhost"
    name = _split_port(host)[0]
    scheme = request.scheme.lower()
    other = {"http": "https", "https": "http"}.get(scheme)
    urls = [request.url]
    for each in (scheme, other):
        if each is None:
            continue
        hosts = [host, name]
        if each in _DEFAULT_PORT:
            hosts.append(f"{name}:{_DEFAULT_PORT[each]}")
        urls += [f"{each}://{h}{request.target}" for h in hosts]
    return list(dict.fromkeys(urls))


def _form_payload(request: CapturedRequest) -> bytes:
    """Form params sorted by name (values sorted too), joined as name+value; b"" if not a form."""
    if request.content_type != _FORM:
        return b""
    params: dict[bytes, set[bytes]] = {}
    for part in request.body.split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            params.setdefault(_unquote_plus(name), set()).add(_unquote_plus(value))
    return b"".join(name + value for name in sorted(params) for value in sorted(params[name]))


def _unquote_plus(data: bytes) -> bytes:
    return unquote_to_bytes(data.replace(b"+", b" "))


def _query_value(query: str, wanted: str) -> str | None:
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if unquote(name) == wanted:
            return unquote(value)
    return None


def _check_body_hash(request: CapturedRequest, result: Verification) -> Verification:
    """Twilio's JSON variant: the URL carries bodySHA256=<hex sha256 of the raw body>."""
    wanted = _query_value(request.query, "bodySHA256")
    if wanted is None:
        if request.body and request.content_type != _FORM:
            note = (
                " It covers the URL only (no bodySHA256 in the URL), so the body is not protected."
            )
            return replace(result, reason=result.reason + note)
        return result
    want = _utf8(wanted.strip().lower())
    if hmac.compare_digest(_utf8(request.body_sha256), want):
        return replace(result, reason=result.reason + " The body matches bodySHA256 in the URL.")

    def matches(body: bytes) -> bool:
        return hmac.compare_digest(_utf8(hashlib.sha256(body).hexdigest()), want)

    cause = _variant_cause(request.body, matches, "bodySHA256")
    reason = (
        "The URL signature is valid, but the body's SHA-256 does not equal bodySHA256 in the URL. "
        + (cause or "The body was changed after signing.")
    )
    return replace(
        result,
        status=SigStatus.INVALID,
        reason=reason,
        expected=mask(wanted),
        received=mask(request.body_sha256),
    )


# ---------------------------------------------------------------- registry


def _builtins() -> tuple[Scheme, ...]:
    hub = "X-Hub-Signature-256"
    return (
        HmacScheme("meta", f"Meta Cloud API ({hub})", (hub.lower(),), header=hub, prefix="sha256="),
        HmacScheme("github", f"GitHub ({hub})", (hub.lower(),), header=hub, prefix="sha256="),
        HmacScheme(
            "github_sha1",
            "GitHub legacy SHA-1 (X-Hub-Signature)",
            ("x-hub-signature",),
            header="X-Hub-Signature",
            alg="sha1",
            prefix="sha1=",
        ),
        HmacScheme(
            "gowa",
            f"GOWA go-whatsapp-web-multidevice ({hub})",
            (hub.lower(),),
            header=hub,
            prefix="sha256=",
            default_secret="secret",
        ),
        _Waha(
            "waha",
            "WAHA (X-Webhook-Hmac)",
            (
                "x-webhook-hmac",
                "x-webhook-hmac-algorithm",
                "x-webhook-timestamp",
                "x-webhook-hmac-version",
            ),
            header="X-Webhook-Hmac",
            alg="sha512",
            unit=1000,
        ),
        HmacScheme(
            "wahooks",
            "WAHooks (X-WAHooks-Signature)",
            ("x-wahooks-signature", "x-wahooks-timestamp"),
            header="X-WAHooks-Signature",
            prefix="sha256=",
            template="{timestamp}.{body}",
            ts_header="X-WAHooks-Timestamp",
            tolerance=TOLERANCE,
        ),
        _Wsapi(
            "wsapi",
            "WSAPI (X-Webhook-Signature / X-Signature)",
            ("x-webhook-signature", "x-signature"),
            header="X-Webhook-Signature",
            prefix="sha256=",
        ),
        _Stripe(
            "stripe",
            "Stripe (Stripe-Signature)",
            ("stripe-signature",),
            header="Stripe-Signature",
            template="{timestamp}.{body}",
            tolerance=TOLERANCE,
        ),
        _Standard(
            "standard",
            "Standard Webhooks / Svix (webhook-signature)",
            tuple(
                f"{f}-{p}" for f in ("webhook", "svix") for p in ("signature", "timestamp", "id")
            ),
            header="webhook-signature",
            enc="base64",
            template="{id}.{timestamp}.{body}",
            tolerance=TOLERANCE,
        ),
        HmacScheme(
            "shopify",
            "Shopify (X-Shopify-Hmac-SHA256)",
            ("x-shopify-hmac-sha256",),
            header="X-Shopify-Hmac-SHA256",
            enc="base64",
        ),
        HmacScheme(
            "slack",
            "Slack (X-Slack-Signature)",
            ("x-slack-signature", "x-slack-request-timestamp"),
            header="X-Slack-Signature",
            prefix="v0=",
            template="v0:{timestamp}:{body}",
            ts_header="X-Slack-Request-Timestamp",
            tolerance=TOLERANCE,
        ),
        _Twilio("twilio", "Twilio (X-Twilio-Signature)", ("x-twilio-signature",)),
    )


SCHEMES: dict[str, Scheme] = {scheme.name: scheme for scheme in _builtins()}
"""Every built-in scheme by name."""

_SPEC_KEYS = (
    "header",
    "alg",
    "enc",
    "prefix",
    "template",
    "ts_header",
    "id_header",
    "tolerance",
    "unit",
)


def get_scheme(name: str) -> Scheme:
    """A built-in scheme by name, or a custom one from an ``hmac:key=value;…`` spec."""
    if not isinstance(name, str):
        raise ValueError("A signature scheme name must be text.")
    key = name.strip().lower()
    if key in SCHEMES:
        return SCHEMES[key]
    if key.startswith("hmac:"):
        return _custom_scheme(name)
    raise ValueError(
        f"Unknown signature scheme {_short(name)}. Known: {', '.join(SCHEMES)}, "
        "or a custom hmac:header=<name>;… spec."
    )


def _spec_fields(spec: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in spec.strip().split(":", 1)[1].split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep:
            raise ValueError(f"Custom scheme: {_short(part)} is not key=value.")
        if key not in _SPEC_KEYS:
            raise ValueError(
                f"Custom scheme: unknown key {_short(key)} (known: {', '.join(_SPEC_KEYS)})."
            )
        if key in fields:
            raise ValueError(f"Custom scheme: {key} is given twice.")
        fields[key] = value if key in ("prefix", "template") else value.strip()
    return fields


def _spec_choice(fields: dict[str, str], key: str, default: str, choices: Iterable[str]) -> str:
    value = fields.get(key, default).lower()
    allowed = tuple(choices)
    if value not in allowed:
        raise ValueError(f"Custom scheme: {key} must be one of {', '.join(allowed)}.")
    return value


def _spec_header(fields: dict[str, str], key: str) -> str | None:
    value = fields.get(key)
    if value is not None and not _TOKEN.fullmatch(value):
        raise ValueError(f"Custom scheme: {key} {_short(value)} is not a valid header name.")
    return value


def _spec_template(template: str, ts_header: str | None, id_header: str | None) -> None:
    names = re.findall(r"\{([^{}]*)\}", template)
    unknown = [n for n in names if n not in ("body", "timestamp", "id")]
    if unknown:
        raise ValueError(f"Custom scheme: unknown placeholder {{{unknown[0]}}} in the template.")
    if "body" not in names:
        raise ValueError("Custom scheme: the template must contain {body}.")
    if "timestamp" in names and not ts_header:
        raise ValueError("Custom scheme: {timestamp} in the template needs ts_header=<name>.")
    if "id" in names and not id_header:
        raise ValueError("Custom scheme: {id} in the template needs id_header=<name>.")


def _spec_tolerance(value: str | None, ts_header: str | None) -> int | None:
    if value is None:
        return TOLERANCE if ts_header else None
    if not ts_header:
        raise ValueError("Custom scheme: tolerance needs ts_header=<name>.")
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise ValueError("Custom scheme: tolerance must be a whole number of seconds.")
    return int(value) or None


def _custom_scheme(spec: str) -> HmacScheme:
    fields = _spec_fields(spec)
    header = _spec_header(fields, "header")
    if not header:
        raise ValueError("Custom scheme: header=<signature header name> is required.")
    ts_header, id_header = _spec_header(fields, "ts_header"), _spec_header(fields, "id_header")
    names = [h.lower() for h in (header, ts_header, id_header) if h]
    if len(set(names)) != len(names):
        raise ValueError("Custom scheme: header, ts_header and id_header must differ.")
    template = fields.get("template", "{body}")
    _spec_template(template, ts_header, id_header)
    return HmacScheme(
        spec,
        f"Custom HMAC ({header})",
        tuple(names),
        header=header,
        alg=_spec_choice(fields, "alg", "sha256", _DIGEST_SIZE),
        enc=_spec_choice(fields, "enc", "hex", ("hex", "base64")),
        prefix=fields.get("prefix", ""),
        template=template,
        ts_header=ts_header,
        id_header=id_header,
        tolerance=_spec_tolerance(fields.get("tolerance"), ts_header),
        unit=1000 if _spec_choice(fields, "unit", "s", ("s", "ms")) == "ms" else 1,
    )


# ---------------------------------------------------------------- entry points


def verify_request(
    request: CapturedRequest, scheme: str, secret: str | None, *, now: float | None = None
) -> Verification:
    """Check `request` against `scheme`; never raises (an unknown scheme gives MALFORMED)."""
    try:
        chosen = get_scheme(scheme)
    except ValueError as exc:
        return Verification(SigStatus.MALFORMED, str(scheme), str(exc))
    try:
        return chosen.verify(secret, request, now=now)
    except Exception as exc:  # a safety net: the checks above are meant never to raise
        reason = f"The signature could not be checked ({type(exc).__name__})."
        return Verification(SigStatus.MALFORMED, chosen.name, reason)


def sign_request(
    request: CapturedRequest,
    scheme: str,
    secret: str,
    *,
    now: float | None = None,
    msg_id: str | None = None,
    wrong: bool = False,
) -> CapturedRequest:
    """A copy of `request` signed with `scheme` (wrong=True: a deliberately invalid signature).

    Headers with the same names as the new ones are removed; the new ones go where the first
    removed one was, or at the end. Raises ValueError for an unknown scheme or an empty secret.
    """
    chosen = get_scheme(scheme)
    _need_secret(secret)
    key = f"wrong-{secret}" if wrong else secret
    new = chosen.sign(key, request, now=now, msg_id=msg_id)
    return replace(request, headers=_replace_headers(request.headers, new))


def _replace_headers(headers: Iterable[Header], new: tuple[Header, ...]) -> tuple[Header, ...]:
    names = {name.lower() for name, _ in new}
    out: list[Header] = []
    placed = False
    for header in headers:
        if header[0].lower() not in names:
            out.append(header)
        elif not placed:
            out.extend(new)
            placed = True
    if not placed:
        out.extend(new)
    return tuple(out)


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
