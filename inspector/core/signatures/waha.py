"""WAHA's X-Webhook-Hmac and WSAPI's X-Webhook-Signature / X-Signature."""

from __future__ import annotations

from dataclasses import dataclass

from inspector.core.models import CapturedRequest, Header
from inspector.core.signatures.base import (
    _DIGEST_SIZE,
    _malformed,
    _missing,
    _now_text,
    _Received,
    _short,
)
from inspector.core.signatures.hmac_scheme import HmacScheme


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
