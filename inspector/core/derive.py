"""Derive provider, events and signature status from a captured request.

Pure: the same request and settings always give the same result (re-run after a secret changes).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from inspector.core import providers, signatures
from inspector.core.config import Settings
from inspector.core.models import CapturedRequest, Derived, Event, SigStatus, Verification


def derive(request: CapturedRequest, settings: Settings, *, now: float | None = None) -> Derived:
    """Everything the views show about `request` beyond its raw bytes."""
    if request.refused:
        return Derived("generic", (Event("generic", "refused", f"refused: {request.refused}"),))
    handshake = meta_handshake(request)
    if handshake is not None:
        return _handshake_derived(handshake, settings)
    provider, events = providers.detect(request)
    verification = verify(request, provider, settings, now=now)
    return Derived(provider, events, verification, providers.lifecycle(provider, request))


def verify(
    request: CapturedRequest, provider: str, settings: Settings, *, now: float | None = None
) -> Verification:
    """Check the signature with the configured secret for this path/provider, or say why not."""
    rule = settings.secret_for(request.path, provider)
    if rule is not None:
        return signatures.verify_request(request, rule.scheme, rule.secret, now=now)
    scheme = providers.default_scheme(provider, request) or signatures.guess_scheme(request)
    if scheme is None:
        return Verification(SigStatus.UNSIGNED, reason="No signature header and no secret set.")
    return Verification(
        SigStatus.NO_SECRET,
        scheme=scheme,
        reason=(
            f"Signed with {scheme}, but no secret is configured for {request.path}. "
            f"Add one in Settings or with --secret {request.path}={scheme}:SECRET."
        ),
    )


def meta_handshake(request: CapturedRequest) -> dict[str, str] | None:
    """The hub.* parameters when this is Meta's GET verification handshake, else None."""
    if request.method != "GET" or "hub.mode" not in request.query:
        return None
    params = {k: v[0] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
    if params.get("hub.mode") != "subscribe":
        return None
    return params


def handshake_answer(params: dict[str, str], verify_token: str | None) -> tuple[int, bytes]:
    """Status and body for a Meta verification GET: the challenge when the token matches."""
    if verify_token and params.get("hub.verify_token") == verify_token:
        return 200, params.get("hub.challenge", "").encode("utf-8")
    return 403, b"verify token does not match"


def _handshake_derived(params: dict[str, str], settings: Settings) -> Derived:
    status, _ = handshake_answer(params, settings.verify_token)
    if not settings.verify_token:
        outcome = "refused: no verify token configured"
    elif status == 200:
        outcome = "token matches, challenge returned"
    else:
        outcome = "refused: verify token does not match"
    event = Event("meta", "verification", f"Meta verification handshake: {outcome}")
    ok = status == 200
    verification = Verification(
        SigStatus.VALID if ok else SigStatus.INVALID,
        scheme="meta-verify-token",
        reason="Verify token matches." if ok else outcome.capitalize() + ".",
    )
    return Derived("meta", (event,), verification)
