"""Shopify: told by its ``X-Shopify-Topic`` header."""

from __future__ import annotations

from inspector.core.models import CapturedRequest, Event
from inspector.core.providers.base import (
    Provider,
    _event,
    _first,
    _has,
    _header,
    _s,
    _said,
)


def _shopify_event(parsed: object, request: CapturedRequest) -> Event:
    topic = _header(request, "x-shopify-topic") or "unknown"
    shop = _header(request, "x-shopify-shop-domain")
    detail = _first(_s(parsed, "name"), _s(parsed, "title"), _s(parsed, "email"), _s(parsed, "id"))
    summary = _said(f"{topic} from {shop}" if shop else topic, detail)
    return _event("shopify", topic, summary, _header(request, "x-shopify-webhook-id"), shop)


def _from_headers(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event | None:
    return _shopify_event(parsed, request) if _has(request, "x-shopify-topic") else None


PROVIDER = Provider(
    "shopify",
    "Shopify",
    headers=_from_headers,
    scheme="shopify",
    deadline=5.0,  # "1 s connect / 5 s total timeout"
    retries="8 retries over 4 h",
)
