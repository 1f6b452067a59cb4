"""Green API: ``{"typeWebhook", "instanceData", ...}`` (unsigned)."""

from __future__ import annotations

from collections.abc import Iterator

from inspector.core.models import CapturedRequest, Event, Step
from inspector.core.providers.base import (
    Provider,
    _event,
    _first,
    _obj,
    _s,
    _said,
    _step,
    _who,
)

_GREEN_KINDS = {
    "textMessage": "text",
    "extendedTextMessage": "text",
    "quotedMessage": "text",
    "imageMessage": "image",
    "videoMessage": "video",
    "audioMessage": "audio",
    "documentMessage": "document",
    "stickerMessage": "sticker",
    "locationMessage": "location",
    "contactMessage": "contact",
    "contactsArrayMessage": "contacts",
    "pollMessage": "poll",
    "reactionMessage": "reaction",
    "editedMessage": "edited",
    "deletedMessage": "deleted",
}


def _greenapi_text(data: dict[str, object]) -> str:
    return _first(
        _s(data, "textMessageData", "textMessage"),
        _s(data, "extendedTextMessageData", "text"),
        _s(data, "editedMessageData", "textMessage"),
        _s(data, "fileMessageData", "caption"),
        _s(data, "fileMessageData", "fileName"),
        _s(data, "fileMessageData", "mimeType"),
        _s(data, "locationMessageData", "nameLocation"),
        _s(data, "locationMessageData", "address"),
        _s(data, "contactMessageData", "displayName"),
        _s(data, "pollMessageData", "name"),
    )


def _greenapi_events(body: dict[str, object], request: CapturedRequest) -> Iterator[Event]:
    etype = _s(body, "typeWebhook") or "unknown"
    id_message = _s(body, "idMessage")
    chat = _first(_s(body, "senderData", "chatId"), _s(body, "chatId"))
    sender = _s(body, "senderData", "sender")
    instance = _s(body, "instanceData", "idInstance")
    event_id = id_message
    summary = f"{etype} (instance {instance or '?'})"

    data = _obj(body, "messageData")
    if etype.endswith("MessageReceived") and data:
        type_message = _s(data, "typeMessage")
        kind = _GREEN_KINDS.get(type_message, type_message or "message")
        text = _greenapi_text(data)
        if kind == "reaction":
            target = _s(data, "quotedMessage", "stanzaId")
            summary = f"reaction {text} on {target}" if text else f"reaction removed on {target}"
        elif etype.startswith("incoming"):
            name = _first(_s(body, "senderData", "senderName"), _s(body, "senderData", "chatName"))
            summary = _said(f"{kind} from {_who(sender or chat, name)}", text)
        else:
            summary = _said(f"{kind} to {chat or '?'}", text)
    elif etype == "outgoingMessageStatus":
        state = _s(body, "status") or "unknown"
        summary = f"status {state} for {id_message or '?'}" + (f" → {chat}" if chat else "")
        summary = _said(summary, _s(body, "description"))
        event_id = f"{id_message}:{state}" if id_message else ""
    elif etype == "stateInstanceChanged":
        summary = f"state {_s(body, 'stateInstance') or '?'} (instance {instance or '?'})"
    elif etype == "incomingCall":
        caller = _s(body, "from")
        summary = f"call {_s(body, 'status') or 'incoming'} from {caller or '?'}"
        chat = sender = caller
    return iter((_event("greenapi", etype, summary, event_id, chat, sender),))


_FAILED = ("failed", "noAccount", "notInGroup", "yellowCard", "noActiveSession")
ERROR_MEANINGS: tuple[tuple[str, str], ...] = (
    ("failed", "The message could not be sent."),
    ("noAccount", "The recipient's phone number has no WhatsApp account."),
    ("notInGroup", "The sender is not a member of the group the message was sent to."),
    (
        "yellowCard",
        "Sending is suspended for a while: the number got a warning for suspicious activity.",
    ),
    (
        "noActiveSession",
        "No open conversation window with this user (WhatsApp Business API product): only a"
        " template message can start one.",
    ),
)
"""Green API's failure statuses of `outgoingMessageStatus`, as its documentation explains."""


def _greenapi_lifecycle(body: dict[str, object]) -> Iterator[Step]:
    """Incoming and outgoing messages, and `outgoingMessageStatus`."""
    etype = _s(body, "typeWebhook")
    message_id = _s(body, "idMessage")
    chat = _first(_s(body, "senderData", "chatId"), _s(body, "chatId"))
    at = _s(body, "timestamp")
    if etype.endswith("MessageReceived"):
        out = not etype.startswith("incoming")
        text = _greenapi_text(_obj(body, "messageData"))
        yield _step(message_id, "sent" if out else "received", "out" if out else "in", chat,
                    at, text)  # fmt: skip
    elif etype == "outgoingMessageStatus":
        status = _s(body, "status")
        error = (status, _s(body, "description")) if status in _FAILED else ("", "")
        state = "failed" if status in _FAILED else status
        yield _step(message_id, state, "out", chat, at, error=error)


def _is_greenapi(body: dict[str, object]) -> bool:
    return "typeWebhook" in body and "instanceData" in body


PROVIDER = Provider(
    "greenapi",
    "Green API",
    shape=_is_greenapi,
    events=_greenapi_events,
    deadline=180.0,  # "server waits 180 s for a 200"
    retries="every minute, delivery guaranteed within 24 h",
    retry_schedule=(60.0,),
    lifecycle=_greenapi_lifecycle,
    error_meanings=ERROR_MEANINGS,
    chip=True,
)
