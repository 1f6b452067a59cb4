"""The providers in detection order, and the questions the rest of the inspector asks them.

The body shape decides first (``X-Hub-Signature-256`` is sent by Meta, GitHub *and* GOWA, so a
header alone proves little), headers second. Detection runs in phases, each over `REGISTRY` in
order; the first provider that answers wins:

1. ``shape``: a JSON object body with the provider's documented shape;
2. ``form``: a form-encoded body (Twilio, Slack);
3. ``headers``: a header only this provider sends;
4. ``fallback``: Meta's GET verification handshake, then ``generic`` for anything else.

``detect`` catches anything unexpected and falls back to ``generic``.
"""

from __future__ import annotations

import itertools
import logging

from inspector.core.models import CapturedRequest, Event, Step, parse_json
from inspector.core.providers import (
    evolution,
    generic,
    github,
    gowa,
    greenapi,
    meta,
    shopify,
    slack,
    standard,
    stripe,
    twilio,
    vesper,
    waha,
    wsapi,
)
from inspector.core.providers.base import (
    Provider,
    RequestEvent,
    SchemeSpec,
    Wrapper,
    _capped,
    _form_params,
)

log = logging.getLogger(__name__)

REGISTRY: tuple[Provider, ...] = (
    meta.PROVIDER,
    wsapi.PROVIDER,
    greenapi.PROVIDER,
    evolution.PROVIDER,
    gowa.PROVIDER,
    waha.PROVIDER,
    vesper.PROVIDER,
    github.PROVIDER,
    shopify.PROVIDER,
    stripe.PROVIDER,
    slack.PROVIDER,
    twilio.PROVIDER,
    standard.PROVIDER,
    generic.PROVIDER,
)
"""Every provider, in detection order (``generic`` last: it takes anything)."""

BY_NAME: dict[str, Provider] = {provider.name: provider for provider in REGISTRY}

PROVIDERS: tuple[str, ...] = tuple(BY_NAME)
"""Every provider name ``detect`` can return, in detection order."""


def get_provider(name: str) -> Provider | None:
    return BY_NAME.get(name)


def chips() -> tuple[tuple[str, str], ...]:
    """(name, label) of the providers offered as quick filter chips."""
    return tuple((p.name, p.label) for p in REGISTRY if p.chip)


def own_schemes() -> tuple[SchemeSpec, ...]:
    """The signature schemes providers declare themselves."""
    return tuple(spec for provider in REGISTRY for spec in provider.own_schemes)


# --------------------------------------------------------------------------------------------
# Detection


def detect(request: CapturedRequest) -> tuple[str, tuple[Event, ...]]:
    """The provider name and the logical events in `request` (at least one). Never raises."""
    try:
        return _detect(request)
    except Exception:  # defensive: any bug here must not lose a captured request
        log.exception("provider detection failed; treating the request as generic")
        try:
            return "generic", (generic.generic_event(request, None),)
        except Exception:
            return "generic", (Event("generic", "request", "request"),)


_last_parsed: tuple[bytes, object] = (b"", None)
"""The body `_detect` parsed last and its JSON: `lifecycle` reuses it for the same body."""


def _parsed(body: bytes) -> object:
    cached = _last_parsed
    return cached[1] if cached[0] is body else parse_json(body)


def _detect(request: CapturedRequest) -> tuple[str, tuple[Event, ...]]:
    global _last_parsed
    parsed = parse_json(request.body)
    _last_parsed = (request.body, parsed)
    form = _form_params(request) if parsed is None else {}

    if isinstance(parsed, dict):
        for provider in REGISTRY:
            shape, events = provider.shape, provider.events
            if shape is not None and events is not None and shape(parsed):
                return provider.name, _capped(provider.name, events(parsed, request))
    if form:
        for provider in REGISTRY:
            event = provider.form(form, request) if provider.form is not None else None
            if event is not None:
                return provider.name, (event,)
    for phase in ("headers", "fallback"):
        for provider in REGISTRY:
            hook: RequestEvent | None = getattr(provider, phase)
            event = hook(parsed, form, request) if hook is not None else None
            if event is not None:
                return provider.name, (event,)
    return "generic", (generic.generic_event(request, parsed),)


MAX_STEPS = 1000
"""Lifecycle steps kept per request (like MAX_EVENTS)."""


def lifecycle(provider: str, request: CapturedRequest) -> tuple[Step, ...]:
    """The message lifecycle steps in `request` (those with a message id). Never raises."""
    found = BY_NAME.get(provider)
    if found is None or found.lifecycle is None:
        return ()
    try:
        parsed = _parsed(request.body)
        if not isinstance(parsed, dict):
            return ()
        steps = (step for step in found.lifecycle(parsed) if step.message_id)
        return tuple(itertools.islice(steps, MAX_STEPS))
    except Exception:  # defensive: a bug here must not lose the request's analysis
        log.exception("lifecycle derivation failed for %s", provider)
        return ()


def has_lifecycle() -> tuple[str, ...]:
    """Names of the providers whose messages have a lifecycle."""
    return tuple(p.name for p in REGISTRY if p.lifecycle is not None)


def error_meaning(provider: str, code: str) -> str:
    """What a failed status's error code means, where the provider documents it, else ""."""
    found = BY_NAME.get(provider)
    return dict(found.error_meanings).get(code, "") if found is not None else ""


def retry_schedule(provider: str, scheme: str = "") -> tuple[str, tuple[float, ...]] | None:
    """(who, seconds before each retry, the last repeating), where documented; a wrapper
    (WAHooks) is told apart by its signature scheme."""
    wrapper = _wrapper_signing(scheme)
    if wrapper is not None:
        return (wrapper.name, wrapper.retry_schedule) if wrapper.retry_schedule else None
    found = BY_NAME.get(provider)
    if found is None or not found.retry_schedule:
        return None
    return found.name, found.retry_schedule


# --------------------------------------------------------------------------------------------
# Signature schemes and answer deadlines


def default_scheme(provider: str, request: CapturedRequest) -> str | None:
    """The signature scheme `provider` signs with, given the headers present; None = unsigned."""
    found = BY_NAME.get(provider)
    return found.default_scheme(request) if found is not None else None


def _wrapper_signing(scheme: str) -> Wrapper | None:
    return next((w for p in REGISTRY for w in p.wrappers if scheme and w.scheme == scheme), None)


def answer_deadline(provider: str, scheme: str = "") -> tuple[str, float] | None:
    """(who, seconds): how long the sender waits for an answer, or None when not documented.

    A wrapper (WAHooks) is detected as its provider and told apart by its signature scheme."""
    wrapper = _wrapper_signing(scheme)
    if wrapper is not None:
        return (wrapper.name, wrapper.deadline) if wrapper.deadline is not None else None
    found = BY_NAME.get(provider)
    if found is None or found.deadline is None:
        return None
    return found.name, found.deadline


def deadlines() -> dict[str, float]:
    """Every documented answer deadline in seconds, by provider or wrapper name."""
    out: dict[str, float] = {}
    for provider in REGISTRY:
        if provider.deadline is not None:
            out[provider.name] = provider.deadline
        out.update({w.name: w.deadline for w in provider.wrappers if w.deadline is not None})
    return out


def too_slow_for(provider: str, scheme: str, latency_ms: float | None) -> bool:
    """The handler answered slower than the provider would have waited."""
    found = answer_deadline(provider, scheme)
    return latency_ms is not None and found is not None and latency_ms > found[1] * 1000
