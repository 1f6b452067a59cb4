"""Standard Webhooks / Svix: ``webhook-*`` (or ``svix-*``) headers and ``whsec_`` keys."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from inspector.core.models import CapturedRequest, Header
from inspector.core.signatures.base import (
    _derived_id,
    _malformed,
    _missing,
    _now_text,
    _Received,
    _try_decode,
    _utf8,
)
from inspector.core.signatures.hmac_scheme import HmacScheme


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
