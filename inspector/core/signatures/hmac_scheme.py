"""HMAC schemes carried in one header, and custom ones built from an ``hmac:`` spec:

``hmac:header=X-Sig;alg=sha256;enc=hex;prefix=sha256=;template={timestamp}.{body};ts_header=X-Ts;
tolerance=300;id_header=X-Id`` (keys: header (required), alg sha1|sha256|sha512, enc hex|base64,
prefix, template with {body} {timestamp} {id}, ts_header, id_header, tolerance in seconds (default
300 with a ts_header; 0 turns the age check off), unit s|ms for the timestamp (default s)).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from inspector.core.models import HTTP_TOKEN, CapturedRequest, Header
from inspector.core.signatures.base import (
    _DIGEST_SIZE,
    TOLERANCE,
    _age_problem,
    _decode,
    _derived_id,
    _digits,
    _encode,
    _malformed,
    _missing,
    _need_secret,
    _now_text,
    _raw,
    _Received,
    _short,
    _utf8,
)
from inspector.core.signatures.scheme import Scheme

_PLACEHOLDER = re.compile(r"\{(body|timestamp|id)\}")


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
    if value is not None and not HTTP_TOKEN.fullmatch(value):
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
