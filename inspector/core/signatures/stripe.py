"""Stripe-Signature: ``t=<unix>,v1=<hex>[,v1=…]``."""

from __future__ import annotations

from dataclasses import dataclass

from inspector.core.models import CapturedRequest, Header
from inspector.core.signatures.base import (
    _digits,
    _malformed,
    _Received,
    _try_decode,
)
from inspector.core.signatures.hmac_scheme import HmacScheme


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
