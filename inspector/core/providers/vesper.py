"""Vesper WhatsApp gateway: ``{"type", "timestamp", "data": {"messageId", "sessionId", ...}}``.

``type`` is ``message.received``, ``message.sent``, ``message.delivered``, ``message.read``,
``session.connected`` or ``session.disconnected``. It signs with ``X-Vesper-Signature``: the hex
HMAC-SHA256 of the raw body with the webhook secret (scheme ``vesper``, a plain HMAC declared
here). Its answer deadline and retry schedule are not documented.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from inspector.core.models import CapturedRequest, Event, Header, Step
from inspector.core.providers.base import (
    Provider,
    SchemeSpec,
    _event,
    _first,
    _has,
    _obj,
    _s,
    _said,
    _step,
    _who,
)
from inspector.core.providers.sampling import (
    Clock,
    Friendly,
    Json,
    Sample,
    _compact,
    _digits_of,
    _hex,
    _setter,
)

TYPES = frozenset(
    {
        "message.received",
        "message.sent",
        "message.delivered",
        "message.read",
        "session.connected",
        "session.disconnected",
    }
)
STATUSES = ("sent", "delivered", "read")
"""Its message lifecycle: ``message.sent``, then ``message.delivered``, then ``message.read``."""


def _is_vesper(body: dict[str, object]) -> bool:
    """A Vesper type with a ``data`` object naming the session (Standard Webhooks bodies share
    the ``type``/``timestamp``/``data`` envelope but not these types with a ``sessionId``)."""
    data = body.get("data")
    return _s(body, "type") in TYPES and isinstance(data, dict) and "sessionId" in data


def _vesper_event(body: object) -> Event:
    etype = _s(body, "type") or "unknown"
    data = _obj(body, "data")
    message_id, session = _s(data, "messageId"), _s(data, "sessionId")
    sender, recipient = _s(data, "from"), _s(data, "to")
    kind = (_s(data, "mediaType") or "media") if data.get("hasMedia") is True else "text"
    detail = _first(_s(data, "text"), _s(data, "caption"))
    if etype == "message.received":
        summary = _said(f"{kind} from {_who(sender, _s(data, 'fromName'))}", detail)
        return _event("vesper", etype, summary, message_id, sender, sender)
    if etype == "message.sent":
        summary = _said(f"{kind} to {recipient or '?'}", detail)
        return _event("vesper", etype, summary, message_id, recipient, sender)
    if etype in ("message.delivered", "message.read"):
        state = etype.removeprefix("message.")
        summary = f"{state} {message_id or '?'}" + (f" → {recipient}" if recipient else "")
        event_id = f"{message_id}:{state}" if message_id else ""
        return _event("vesper", etype, summary, event_id, recipient)
    if etype.startswith("session."):
        summary = _said(f"session {etype.removeprefix('session.')}", _s(data, "reason"))
        return _event("vesper", etype, summary)
    return _event("vesper", etype, f"{etype} (session {session or '?'})", message_id)


def _events(body: dict[str, object], request: CapturedRequest) -> Iterator[Event]:
    return iter((_vesper_event(body),))


def _lifecycle(body: dict[str, object]) -> Iterator[Step]:
    """`message.received`, `message.sent`, `message.delivered` and `message.read`."""
    etype = _s(body, "type")
    data = _obj(body, "data")
    state = etype.removeprefix("message.")
    if etype.startswith("message.") and state in ("received", *STATUSES):
        incoming = state == "received"
        chat = _s(data, "from") if incoming else _s(data, "to")
        text = _first(_s(data, "text"), _s(data, "caption"))
        yield _step(_s(data, "messageId"), state, "in" if incoming else "out", chat,
                    _s(body, "timestamp"), text)  # fmt: skip


def _from_headers(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event | None:
    return _vesper_event(parsed) if _has(request, "x-vesper-signature") else None


# Samples for ``send`` -----------------------------------------------------------------------


def _fresh(doc: Json, clock: Clock) -> None:
    doc["timestamp"] = clock.iso()
    data = doc["data"]
    if "messageId" in data:
        data["messageId"] = "3EB0" + _hex(8, upper=True)
    if "lastSeen" in data:  # a session event carries no id: the phone was last seen 30-120 s ago
        data["lastSeen"] = Clock(clock.now - 30 - secrets.randbelow(90_000) / 1000).iso()


def _phone(field: str) -> Friendly:
    def apply(doc: Json, value: str) -> None:
        doc["data"][field] = _digits_of(value)

    return apply


def _delivered(doc: Json) -> None:
    data = doc["data"]
    doc["type"] = "message.delivered"
    doc["data"] = {
        "messageId": data["messageId"],
        "sessionId": data["sessionId"],
        "to": data["from"],
        "status": "delivered",
    }


def _headers(doc: Json, clock: Clock) -> list[Header]:
    return [("Content-Type", "application/json")]


_TEMPLATE = "synthetic_vesper_message_received.json"
SAMPLES: tuple[Sample, ...] = (
    Sample("vesper", "message.received", "Vesper: incoming text message", _TEMPLATE, _fresh,
           event_type="message.received",
           friendly={"from": _phone("from"), "phone": _phone("from"), "to": _phone("to"),
                     "name": _setter("data.fromName"), "text": _setter("data.text")},
           headers=_headers, dump=_compact),
    Sample("vesper", "message.delivered", "Vesper: message delivered", _TEMPLATE, _fresh,
           event_type="message.delivered", prepare=_delivered,
           friendly={"to": _phone("to"), "phone": _phone("to")}, headers=_headers,
           dump=_compact),
    Sample("vesper", "session.disconnected", "Vesper: session disconnected (phone offline)",
           "synthetic_vesper_session_disconnected.json", _fresh,
           event_type="session.disconnected", headers=_headers, dump=_compact),
)  # fmt: skip


PROVIDER = Provider(
    "vesper",
    "Vesper",
    samples=SAMPLES,
    demo_secret="demo-vesper-webhook-secret",
    shape=_is_vesper,
    events=_events,
    headers=_from_headers,
    scheme="vesper",
    own_schemes=(
        SchemeSpec(
            "vesper",
            "Vesper (X-Vesper-Signature)",
            "hmac:header=X-Vesper-Signature",
            guess=("x-vesper-signature",),
            guess_rank=75,
        ),
    ),
    statuses=STATUSES,
    lifecycle=_lifecycle,
    chip=True,
)
