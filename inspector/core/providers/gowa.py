"""GOWA (go-whatsapp-web-multidevice): ``{"event", "device_id", "payload"}``."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.core.models import CapturedRequest, Event, Step
from inspector.core.providers.base import (
    Provider,
    _event,
    _first,
    _first_list,
    _group_summary,
    _list,
    _more,
    _obj,
    _plural,
    _s,
    _said,
    _snip,
    _step,
    _who,
)

_GOWA_MEDIA = (
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "video_note",
    "location",
    "live_location",
    "contact",
    "contacts_array",
)


def _gowa_events(body: dict[str, object], request: CapturedRequest) -> Iterator[Event]:
    raw_event = body.get("event")
    event = raw_event if isinstance(raw_event, str) else ""
    etype = event or "unknown"
    payload = _obj(body, "payload")
    chat = _s(payload, "chat_id")
    sender = _s(payload, "from")
    who = _who(sender, _s(payload, "from_name"))
    event_id = _s(payload, "id")
    summary = f"{etype} (device {_s(body, 'device_id') or '?'})"

    if event == "message" and payload:
        kind = next((key for key in _GOWA_MEDIA if payload.get(key) not in (None, "")), "")
        detail = _s(payload, "body")
        if kind in ("location", "live_location"):
            place = _first(_s(payload, kind, "name"), _s(payload, kind, "address"))
            coords = f"{_s(payload, kind, 'degreesLatitude')}, "
            coords += _s(payload, kind, "degreesLongitude")
            detail = _first(detail, place, coords.strip(", "))
        elif kind == "contact":
            detail = _first(detail, _s(payload, "contact", "displayName"))
        elif kind == "contacts_array":
            cards = _list(payload, "contacts_array")
            detail = _first(detail, _s(cards, 0, "displayName") + _more(len(cards)))
        elif kind:
            detail = _first(
                detail,
                _s(payload, kind, "caption"),
                _s(payload, kind, "filename"),
                _s(payload, kind, "mime_type"),
            )
        summary = _said(f"{kind.replace('_', ' ') or 'text'} from {who}", detail)
    elif event == "message.reaction":
        emoji, target = _s(payload, "reaction"), _s(payload, "reacted_message_id")
        summary = f"reaction {emoji} on {target}" if emoji else f"reaction removed on {target}"
    elif event == "message.ack":
        ids = [_s(item) for item in _list(payload, "ids")]
        receipt = _s(payload, "receipt_type") or "unknown"
        first = ids[0] if ids else ""
        summary = f"status {receipt} for {first or '?'}{_more(len(ids))}"
        event_id = f"{first}:{receipt}" if first else ""
        if event_id and chat.endswith("@g.us") and sender:
            event_id += f":{sender}"
    elif event == "message.revoked":
        summary = f"revoked {_s(payload, 'revoked_message_id') or '?'} by {who}"
    elif event == "message.edited":
        summary = _said(f"edited {_s(payload, 'original_message_id') or '?'}", _s(payload, "body"))
    elif event == "message.deleted":
        deleted = _s(payload, "deleted_message_id")
        summary = _said(
            f"deleted {deleted or '?'} in {chat or '?'}", _s(payload, "original_content")
        )
        event_id = _first(event_id, f"{deleted}:deleted" if deleted else "")
    elif event == "group.participants":
        action = _s(payload, "type") or "update"
        summary = _group_summary(chat, "", action, _first_list(payload, ("jids",)))
    elif event == "group.joined":
        summary = f"joined group {_first(chat, _s(payload, 'group_id'), _s(payload, 'jid')) or '?'}"
    elif event.startswith("newsletter."):
        chat = _s(payload, "newsletter_id")
        name = _s(payload, "name")
        summary = f"{event} {chat or '?'}" + (f" ({_snip(name, 60)})" if name else "")
        messages = _list(payload, "messages")
        if messages:
            summary += f": {_plural(len(messages), 'message')}"
    elif event == "call.offer":
        rejected = " (auto-rejected)" if payload.get("auto_rejected") is True else ""
        summary = f"call from {sender or '?'}{rejected}"
        event_id = _s(payload, "call_id")
        chat = _first(_s(payload, "group_jid"), sender)
    return iter((_event("gowa", etype, summary, event_id, chat, sender),))


def _gowa_lifecycle(body: dict[str, object]) -> Iterator[Step]:
    """`message` (received, or sent when is_from_me) and `message.ack` receipts."""
    event = _s(body, "event")
    payload = _obj(body, "payload")
    chat = _s(payload, "chat_id")
    at = _first(_s(payload, "timestamp"), _s(body, "timestamp"))
    if event == "message":
        out = payload.get("is_from_me") is True
        yield _step(_s(payload, "id"), "sent" if out else "received", "out" if out else "in",
                    chat, at, _s(payload, "body"))  # fmt: skip
    elif event == "message.ack":
        for item in _list(payload, "ids"):
            yield _step(_s(item), _s(payload, "receipt_type") or "unknown", "out", chat, at)


def _is_gowa(body: dict[str, object]) -> bool:
    return "event" in body and "device_id" in body


PROVIDER = Provider(
    "gowa",
    "GOWA",
    shape=_is_gowa,
    events=_gowa_events,
    scheme="gowa",
    lifecycle=_gowa_lifecycle,
    chip=True,
)
