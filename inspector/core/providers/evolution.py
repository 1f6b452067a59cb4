"""Evolution API v2: ``{"event", "instance", "data", "apikey", ...}`` (unsigned).

Never put the payload's ``apikey`` into a summary.
"""

from __future__ import annotations

from collections.abc import Iterator

from inspector.core.models import CapturedRequest, Event, Step
from inspector.core.providers.base import (
    Provider,
    _at,
    _event,
    _first,
    _int,
    _obj,
    _plural,
    _s,
    _said,
    _step,
    _who,
)

_EVOLUTION_STATUS = {
    "ERROR": "error",
    "PENDING": "pending",
    "SERVER_ACK": "sent",
    "DELIVERY_ACK": "delivered",
    "READ": "read",
    "PLAYED": "played",
    "DELETED": "deleted",
}
_EVOLUTION_STATUS_CODES = ("ERROR", "PENDING", "SERVER_ACK", "DELIVERY_ACK", "READ", "PLAYED")

_BAILEYS_KINDS: tuple[tuple[str, str, tuple[tuple[str, ...], ...]], ...] = (
    ("conversation", "text", ((),)),
    ("extendedTextMessage", "text", (("text",),)),
    ("imageMessage", "image", (("caption",), ("mimetype",))),
    ("videoMessage", "video", (("caption",), ("mimetype",))),
    ("audioMessage", "audio", (("mimetype",),)),
    ("documentMessage", "document", (("caption",), ("fileName",), ("mimetype",))),
    ("documentWithCaptionMessage", "document", (("message", "documentMessage", "caption"),)),
    ("stickerMessage", "sticker", (("mimetype",),)),
    ("locationMessage", "location", (("name",), ("address",))),
    ("liveLocationMessage", "location", (("caption",),)),
    ("contactMessage", "contact", (("displayName",),)),
    ("contactsArrayMessage", "contacts", (("displayName",),)),
    ("pollCreationMessage", "poll", (("name",),)),
    ("pollCreationMessageV3", "poll", (("name",),)),
    ("buttonsResponseMessage", "button reply", (("selectedDisplayText",),)),
    ("listResponseMessage", "list reply", (("title",),)),
    ("templateButtonReplyMessage", "button reply", (("selectedDisplayText",),)),
)


def _baileys_content(message: dict[str, object]) -> tuple[str, str]:
    """(kind, text) of a Baileys message object (`data.message`)."""
    for key, kind, paths in _BAILEYS_KINDS:
        if key not in message:
            continue
        for path in paths:
            text = _s(message, key, *path)
            if text:
                return kind, text
        return kind, ""
    return "", ""


def _evolution_events(body: dict[str, object], request: CapturedRequest) -> Iterator[Event]:
    raw_event = body.get("event")
    event = raw_event if isinstance(raw_event, str) else ""
    etype = event or "unknown"
    instance = _s(body, "instance")
    raw_data = body.get("data")
    data = _obj(raw_data)
    owner = _s(body, "sender")
    key = _obj(data, "key")
    remote = _first(_s(key, "remoteJid"), _s(data, "remoteJid"))
    from_me = key.get("fromMe") is True or data.get("fromMe") is True
    participant = _first(_s(key, "participant"), _s(data, "participant"))
    message_id = _first(_s(key, "id"), _s(data, "keyId"), _s(data, "messageId"))
    chat = remote
    sender = _first(participant, owner if from_me else remote)
    event_id = message_id
    summary = f"{etype} (instance {instance or '?'})"
    if isinstance(raw_data, list):
        summary = f"{etype}: {_plural(len(raw_data), 'item')} (instance {instance or '?'})"

    if event in ("messages.upsert", "send.message", "messages.edited") and data:
        message = _obj(data, "message")
        kind, text = _baileys_content(message)
        if "reactionMessage" in message:
            emoji = _s(message, "reactionMessage", "text")
            target = _s(message, "reactionMessage", "key", "id")
            summary = f"reaction {emoji} on {target}" if emoji else f"reaction removed on {target}"
        else:
            kind = kind or _s(data, "messageType") or "message"
            if from_me:
                summary = _said(f"{kind} to {remote or '?'}", text)
            else:
                summary = _said(f"{kind} from {_who(remote, _s(data, 'pushName'))}", text)
    elif event in ("messages.update", "send.message.update") and data:
        raw_status = data.get("status")
        if raw_status is None:
            raw_status = _at(data, "update", "status")
        code = _int(raw_status)
        name = _EVOLUTION_STATUS_CODES[code] if code is not None and 0 <= code < 6 else ""
        name = name or _s(raw_status)
        state = _EVOLUTION_STATUS.get(name.upper(), name.lower()) or "unknown"
        summary = f"status {state} for {message_id or '?'}" + (f" → {remote}" if remote else "")
        event_id = f"{message_id}:{state}" if message_id else ""
    elif event == "messages.delete" and data:
        summary = f"deleted {message_id or '?'}" + (f" in {remote}" if remote else "")
        event_id = f"{message_id}:deleted" if message_id else ""
    elif event == "connection.update":
        state = _s(data, "state") or "?"
        reason = _s(data, "statusReason")
        summary = f"connection {state}" + (f" ({reason})" if reason else "")
        summary += f" (instance {instance or '?'})"
    elif event == "qrcode.updated":
        summary = f"QR code updated (instance {instance or '?'})"
    elif event == "presence.update":
        chat = _s(data, "id")
        presences = _obj(data, "presences")
        state = next((_s(p, "lastKnownPresence") for p in presences.values()), "") or "?"
        summary = f"presence {state} in {chat or '?'}"
        sender = next(iter(presences), "")
    return iter((_event("evolution", etype, summary, event_id, chat, sender),))


def _evolution_lifecycle(body: dict[str, object]) -> Iterator[Step]:
    """`messages.upsert`/`send.message` (received, or sent when fromMe) and status updates."""
    event = _s(body, "event")
    data = _obj(body, "data")
    key = _obj(data, "key")
    message_id = _first(_s(key, "id"), _s(data, "keyId"), _s(data, "messageId"))
    chat = _first(_s(key, "remoteJid"), _s(data, "remoteJid"))
    out = key.get("fromMe") is True or data.get("fromMe") is True or event == "send.message"
    direction = "out" if out else "in"
    at = _first(_s(data, "messageTimestamp"), _s(body, "date_time"))
    if event in ("messages.upsert", "send.message"):
        text = _baileys_content(_obj(data, "message"))[1]
        yield _step(message_id, "sent" if out else "received", direction, chat, at, text)
    elif event in ("messages.update", "send.message.update"):
        raw = data.get("status")
        raw = _at(data, "update", "status") if raw is None else raw
        code = _int(raw)
        name = _EVOLUTION_STATUS_CODES[code] if code is not None and 0 <= code < 6 else _s(raw)
        state = _EVOLUTION_STATUS.get(name.upper(), name.lower())
        yield _step(message_id, "failed" if state == "error" else state, direction, chat, at)


def _is_evolution(body: dict[str, object]) -> bool:
    return "event" in body and "instance" in body and "data" in body


PROVIDER = Provider(
    "evolution",
    "Evolution API",
    short="Evolution",
    shape=_is_evolution,
    events=_evolution_events,
    deadline=30.0,  # "30 s timeout" (WEBHOOK.REQUEST.TIMEOUT_MS)
    retries="10 attempts from 5 s, doubling up to 300 s (none on 400/401/403/404/422)",
    statuses=_EVOLUTION_STATUS_CODES,
    retry_schedule=(5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0, 300.0),
    lifecycle=_evolution_lifecycle,
    chip=True,
)
