"""Standard Webhooks / Svix: ``webhook-id`` + ``webhook-signature`` (or ``svix-*``) headers."""

from __future__ import annotations

import base64
import uuid

from inspector.core.models import CapturedRequest, Event, Header
from inspector.core.providers.base import (
    Provider,
    _event,
    _first,
    _has,
    _header,
    _keys_preview,
    _s,
    _said,
)
from inspector.core.providers.sampling import (
    Clock,
    Json,
    Sample,
    _alnum,
    _compact,
)


def _is_standard(request: CapturedRequest) -> bool:
    return (_has(request, "webhook-id") and _has(request, "webhook-signature")) or (
        _has(request, "svix-id") and _has(request, "svix-signature")
    )


def _standard_event(parsed: object, request: CapturedRequest) -> Event:
    message_id = _first(_header(request, "webhook-id"), _header(request, "svix-id"))
    etype = _s(parsed, "type")
    if etype:
        summary = f"{etype} {message_id}"
    else:
        etype = "webhook"
        summary = _said(f"webhook {message_id}", _keys_preview(parsed))
    return _event("standard", etype, summary, message_id)


def _from_headers(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event | None:
    return _standard_event(parsed, request) if _is_standard(request) else None


# Samples for ``send`` ----------------------------------------------------------------------


def _standard_fresh(doc: Json, clock: Clock) -> None:
    doc["timestamp"] = clock.iso().replace("Z", "000Z")
    doc["data"]["id"] = str(uuid.uuid4())


def _standard_headers(doc: Json, clock: Clock) -> list[Header]:
    return [
        ("Content-Type", "application/json"),
        ("webhook-id", "msg_" + _alnum(27)),
    ]


SAMPLES: tuple[Sample, ...] = (
    Sample("standard", "user.created", "Standard Webhooks: user.created",
            "synthetic_standard_user_created.json", _standard_fresh, event_type="user.created",
            headers=_standard_headers, dump=_compact),
)  # fmt: skip


PROVIDER = Provider(
    "standard",
    "Standard Webhooks",
    samples=SAMPLES,
    demo_secret="whsec_" + base64.b64encode(b"demo-standard-webhooks-key!!").decode("ascii"),
    headers=_from_headers,
    scheme="standard",
    retries="suggested: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h",
)
