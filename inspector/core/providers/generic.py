"""Anything no other provider claims: method, path and a preview of the body."""

from __future__ import annotations

from inspector.core.models import CapturedRequest, Event
from inspector.core.providers.base import (
    Provider,
    _event,
    _keys_preview,
)


def generic_event(request: CapturedRequest, parsed: object) -> Event:
    method = request.method.upper()
    etype = request.method.lower() or "request"
    head = f"{method or 'REQUEST'} {request.path or '/'}"
    if request.refused:
        summary = f"{head} (refused: {request.refused})"
    elif parsed is not None:
        summary = f"{head}: {_keys_preview(parsed)}"
    else:
        size = len(request.body)
        content_type = request.content_type
        summary = f"{head} ({size} bytes" + (f", {content_type})" if content_type else ")")
    return _event("generic", etype, summary)


def _fallback(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event | None:
    return generic_event(request, parsed)


PROVIDER = Provider("generic", "Generic", fallback=_fallback)
