"""Standard Webhooks / Svix: ``webhook-id`` + ``webhook-signature`` (or ``svix-*``) headers."""

from __future__ import annotations

from inspector.core.models import CapturedRequest, Event
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


PROVIDER = Provider(
    "standard",
    "Standard Webhooks",
    headers=_from_headers,
    scheme="standard",
    retries="suggested: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h",
)
