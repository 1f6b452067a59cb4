"""Stripe: ``{"object": "event", "id": "evt_…", "type"}``, or its ``Stripe-Signature`` header."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

from inspector.core.models import CapturedRequest, Event, Header
from inspector.core.providers.base import (
    Provider,
    _event,
    _has,
    _s,
)
from inspector.core.providers.sampling import (
    Clock,
    Json,
    Sample,
    _alnum,
    _setter,
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


# Samples for ``send`` ----------------------------------------------------------------------


def _stripe_dump(doc: Json) -> bytes:
    """Stripe posts its events pretty-printed with two spaces."""
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def _stripe_fresh(doc: Json, clock: Clock) -> None:
    doc["id"] = "evt_" + _alnum(24)
    doc["created"] = clock.seconds
    doc["data"]["object"]["id"] = "cus_" + _alnum(14)
    doc["request"]["id"] = "req_" + _alnum(14)
    doc["request"]["idempotency_key"] = str(uuid.uuid4())


def _stripe_headers(doc: Json, clock: Clock) -> list[Header]:
    return [
        ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
        ("Accept", "*/*; q=0.5, application/xml"),
        ("Cache-Control", "no-cache"),
        ("Content-Type", "application/json; charset=utf-8"),
    ]


SAMPLES: tuple[Sample, ...] = (
    Sample("stripe", "customer.created", "Stripe: customer.created event",
            "synthetic_stripe_customer_created.json", _stripe_fresh,
            event_type="customer.created", friendly={"name": _setter("data.object.name")},
            headers=_stripe_headers, dump=_stripe_dump),
)  # fmt: skip


PROVIDER = Provider(
    "stripe",
    "Stripe",
    samples=SAMPLES,
    demo_secret="whsec_demo_stripe_endpoint_secret",
    shape=_is_stripe,
    events=_events,
    headers=_from_headers,
    scheme="stripe",
)
