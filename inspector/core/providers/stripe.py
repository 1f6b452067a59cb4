"""Stripe: ``{"object": "event", "id": "evt_…", "type"}``, or its ``Stripe-Signature`` header."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.core.models import CapturedRequest, Event
from inspector.core.providers.base import (
    Provider,
    _event,
    _has,
    _s,
)


def _stripe_event(parsed: object, request: CapturedRequest) -> Event:
    etype = _s(parsed, "type") or "unknown"
    event_id = _s(parsed, "id")
    if isinstance(parsed, dict):
        summary = f"{etype} {event_id or '?'}"
    else:
        summary = f"Stripe webhook ({len(request.body)} bytes, not JSON)"
    return _event("stripe", etype, summary, event_id, _s(parsed, "account"))


def _is_stripe(body: dict[str, object]) -> bool:
    return (
        body.get("object") == "event"
        and isinstance(body.get("type"), str)
        and _s(body, "id").startswith("evt_")
    )


def _events(body: dict[str, object], request: CapturedRequest) -> Iterator[Event]:
    return iter((_stripe_event(body, request),))


def _from_headers(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event | None:
    return _stripe_event(parsed, request) if _has(request, "stripe-signature") else None


PROVIDER = Provider(
    "stripe",
    "Stripe",
    shape=_is_stripe,
    events=_events,
    headers=_from_headers,
    scheme="stripe",
)
