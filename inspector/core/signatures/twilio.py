"""X-Twilio-Signature: base64 HMAC-SHA1 over the URL and the sorted form parameters."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from urllib.parse import unquote, unquote_to_bytes

from inspector.core.models import CapturedRequest, Header, SigStatus, Verification
from inspector.core.signatures.base import (
    _any_equal,
    _decode,
    _encode,
    _missing,
    _need_secret,
    _raw,
    _Received,
    _utf8,
    mask,
)
from inspector.core.signatures.diagnose import _variant_cause
from inspector.core.signatures.scheme import Scheme

_DEFAULT_PORT = {"http": 80, "https": 443}
_FORM = "application/x-www-form-urlencoded"


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
