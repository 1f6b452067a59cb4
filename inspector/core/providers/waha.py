"""WAHA (WhatsApp HTTP API): ``{"event", "session", "payload" | "engine", ...}``.

WAHooks relays the same body under its own ``X-WAHooks-Signature``; it is detected as WAHA and
told apart by that header (a `Wrapper`). Wawp relays the same body too, with nothing that tells
it apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from inspector.core.models import CapturedRequest, Event, Header, Step
from inspector.core.providers.base import (
    Provider,
    Wrapper,
    _event,
    _first,
    _first_list,
    _group_summary,
    _header,
    _int,
    _list,
    _media_kind,
    _more,
    _obj,
    _s,
    _said,
    _step,
)
from inspector.core.providers.sampling import (
    Clock,
    Json,
    Sample,
    SampleError,
    _compact,
    _hex,
    _jid,
    _set,
    _setter,
    _ulid,
)

_WAHA_ACKS = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}
_WAHA_SERIALIZED_ID = re.compile(r"^(?:true|false)_([^_]+)_")
_WAHA_MESSAGE_ID = re.compile(r"^((?:true|false)_[^_]+_[^_]+)_.+$")
"""A group ack's id ends in `_participant`: the message id is the part before it."""
_WAHA_STATES = {"ERROR": "failed", "PENDING": "pending", "SERVER": "sent", "DEVICE": "delivered",
                "READ": "read", "PLAYED": "played"}  # fmt: skip
"""WAHA ack levels as lifecycle states."""


def _waha_events(body: dict[str, object], request: CapturedRequest) -> Iterator[Event]:
    raw_event = body.get("event")
    event = raw_event if isinstance(raw_event, str) else ""
    etype = event or "unknown"
    session = _s(body, "session")
    payload = _obj(body, "payload")
    pid = _s(payload, "id")
    from_ = _s(payload, "from")
    from_me = payload.get("fromMe") is True
    participant = _s(payload, "participant")

    chat = from_
    if from_me:
        serialized = _WAHA_SERIALIZED_ID.match(pid)
        chat = _first(serialized.group(1) if serialized else "", _s(payload, "to"), from_)
    sender = _first(participant, _s(body, "me", "id") if from_me else "", from_)

    ack = ""
    if event.startswith("message.ack"):
        code = _int(payload.get("ack"))
        ack = _first(_s(payload, "ackName"), _WAHA_ACKS.get(code, "") if code is not None else "")
        ack = ack or _s(payload, "ack") or "UNKNOWN"

    event_id = _s(body, "id")
    if not event_id and pid and event.startswith("message"):  # elsewhere payload.id is a chat
        event_id = f"{pid}:{etype}" + (f":{ack}" if ack else "")
    if not event_id:
        event_id = _header(request, "x-webhook-request-id")

    fallback = f"{etype} (session {session})" if session else etype
    summary = fallback
    if event in ("message", "message.any") and payload:
        kind, detail = _waha_content(payload)
        summary = _said(f"{kind} from {from_ or '?'}", detail)
    elif ack and not payload:
        summary = f"{fallback}: no payload (no message id or ack state)"
    elif ack:
        summary = f"ack {ack} for {pid or '?'}"
    elif event == "message.reaction":
        emoji, target = _s(payload, "reaction", "text"), _s(payload, "reaction", "messageId")
        summary = f"reaction {emoji} on {target}" if emoji else f"reaction removed on {target}"
    elif event == "message.revoked":
        revoked = _first(_s(payload, "revokedMessageId"), _s(payload, "before", "id"))
        chat = _first(chat, _s(payload, "after", "from"))
        summary = f"revoked {revoked or '?'}" + (f" in {chat}" if chat else "")
    elif event == "message.edited":
        summary = _said(f"edited {_s(payload, 'editedMessageId') or '?'}", _s(payload, "body"))
    elif event == "session.status":
        summary = f"session {session} {_s(payload, 'status')}".strip()
    elif event.startswith(("group.v2.", "group.join", "group.leave")) and payload:
        chat = _first(_s(payload, "group", "id"), _s(payload, "id"), chat)
        summary = _group_summary(
            chat,
            _s(payload, "group", "subject"),
            _first(_s(payload, "type"), event.rsplit(".", 1)[-1]),
            _first_list(payload, ("participants",), ("group", "participants")),
        )
        sender = ""
    elif event == "presence.update":
        chat = _s(payload, "id")
        presences = _list(payload, "presences")
        state = _s(presences, 0, "lastKnownPresence") or "unknown"
        sender = _s(presences, 0, "participant")
        summary = f"presence {state} in {chat or '?'}"
        if sender and sender != chat:
            summary += f" by {sender}"
        summary += _more(len(presences))
    elif event.startswith("call.") and payload:
        video = " (video)" if payload.get("isVideo") is True else ""
        summary = f"call {event[5:]} from {from_ or '?'}{video}"
        chat = sender = from_
    elif event == "poll.vote":
        voter = _s(payload, "vote", "from")
        options = ", ".join(_s(o) for o in _list(payload, "vote", "selectedOptions") if _s(o))
        summary = _said(f"poll vote from {voter or '?'}", options)
        chat, sender = _s(payload, "vote", "to"), voter
    elif event == "engine.event":
        summary = f"engine.event {_s(payload, 'event')}".strip() + f" (session {session})"
    return iter((_event("waha", etype, summary, event_id, chat, sender),))


_WAHA_DATA_KINDS = {"image": "image", "video": "video", "audio": "audio", "ptt": "audio",
                    "document": "document", "sticker": "sticker"}  # fmt: skip
"""WEBJS `_data.type` of media messages, as the kind shown."""
_WAHA_BAILEYS_KINDS = {"imageMessage": "image", "videoMessage": "video",
                       "audioMessage": "audio", "documentMessage": "document",
                       "stickerMessage": "sticker"}  # fmt: skip
"""NOWEB (Baileys) `_data.message` keys of media messages, as the kind shown."""


def _waha_lifecycle(body: dict[str, object]) -> Iterator[Step]:
    """`message`/`message.any` (received, or sent when fromMe) and `message.ack` levels."""
    event = _s(body, "event")
    payload = _obj(body, "payload")
    pid = _s(payload, "id")
    group_ack = _WAHA_MESSAGE_ID.match(pid) if event.startswith("message.ack") else None
    message_id = group_ack.group(1) if group_ack else pid
    serialized = _WAHA_SERIALIZED_ID.match(pid)
    chat = serialized.group(1) if serialized else _s(payload, "from")
    out = payload.get("fromMe") is True
    at = payload.get("timestamp") or body.get("timestamp")
    direction = "out" if out else "in"
    if event in ("message", "message.any"):
        state = "sent" if out else "received"
        yield _step(message_id, state, direction, chat, at, _waha_content(payload)[1])
    elif event.startswith("message.ack"):
        code = _int(payload.get("ack"))
        level = _first(_s(payload, "ackName"), _WAHA_ACKS.get(code, "") if code is not None else "")
        state = _WAHA_STATES.get(level.upper(), level)
        yield _step(message_id, state, direction, chat, at)


def _waha_content(payload: dict[str, object]) -> tuple[str, str]:
    """(kind, detail) of a WAHA message: media is recognised by `hasMedia`, a `media` object, or
    (when `hasMedia` is left out) the engine's raw `_data`."""
    media = _obj(payload, "media")
    mime = _s(media, "mimetype")
    raw_kind = _WAHA_DATA_KINDS.get(_s(payload, "_data", "type"), "")
    raw_message = _obj(payload, "_data", "message")
    raw_kind = raw_kind or next(
        (kind for key, kind in _WAHA_BAILEYS_KINDS.items() if key in raw_message), ""
    )
    if payload.get("hasMedia") is True or media or raw_kind:
        kind = _media_kind(mime) if mime else raw_kind or "media"
        return kind, _first(_s(payload, "body"), _s(media, "filename"), mime)
    return "text", _s(payload, "body")


def _is_waha(body: dict[str, object]) -> bool:
    keys = body.keys()
    return "event" in keys and "session" in keys and ("payload" in keys or "engine" in keys)


WAHOOKS = Wrapper(
    "wahooks",
    "x-wahooks-signature",
    "wahooks",
    deadline=15.0,  # "15 s timeout"
    retries="5 attempts, backoff 5/10/20/40/80 s",
    retry_schedule=(5.0, 10.0, 20.0, 40.0, 80.0),
)

# Samples for ``send`` ----------------------------------------------------------------------

WAHA_VERSION = "2025.9.1"


def _waha_envelope(doc: Json, clock: Clock) -> None:
    """The modern envelope fields in their documented order around the payload."""
    payload = doc.get("payload")
    fresh: dict[str, Json] = {
        "id": "evt_" + _ulid(clock).lower(),
        "timestamp": clock.ms,
        "event": doc.get("event"),
        "session": doc.get("session", "default"),
        "metadata": doc.get("metadata", {}),
        "me": doc.get("me", {"id": "15550783881@c.us", "pushName": "Webhook Inspector"}),
        "payload": payload,
        "engine": doc.get("engine", "WEBJS"),
        "environment": {
            "version": WAHA_VERSION,
            "engine": doc.get("engine", "WEBJS"),
            "tier": "CORE",
            "browser": "/usr/bin/google-chrome-stable",
        },
    }
    extra = {key: value for key, value in doc.items() if key not in fresh}
    doc.clear()
    doc.update(fresh)
    doc.update(extra)


def _waha_message_id(from_me: bool, chat: str) -> str:
    return f"{'true' if from_me else 'false'}_{chat}_{_hex(16, upper=True)}"


def _waha_message_fresh(doc: Json, clock: Clock) -> None:
    payload = doc["payload"]
    serialized = _waha_message_id(False, str(payload["from"]))
    payload["id"] = serialized
    payload["timestamp"] = clock.seconds
    data = payload.get("_data")
    if isinstance(data, dict):
        data["id"] = {
            "fromMe": False,
            "remote": payload["from"],
            "id": serialized.rsplit("_", 1)[1],
            "_serialized": serialized,
        }
        data["t"] = clock.seconds
    _waha_envelope(doc, clock)
    doc["me"]["id"] = payload.get("to", doc["me"]["id"])


def _waha_incoming(doc: Json) -> None:
    """`message` is incoming only: the published sample says fromMe true; make it false."""
    payload = doc["payload"]
    payload["fromMe"] = False
    if isinstance(payload.get("_data"), dict):
        payload["_data"]["self"] = "in"


def _waha_from(doc: Json, value: str) -> None:
    payload = doc["payload"]
    payload["from"] = _jid(value)
    if isinstance(payload.get("_data"), dict):
        payload["_data"]["from"] = payload["from"]


def _waha_to(doc: Json, value: str) -> None:
    payload = doc["payload"]
    payload["to"] = _jid(value)
    if isinstance(payload.get("_data"), dict):
        payload["_data"]["to"] = payload["to"]


def _waha_text(doc: Json, value: str) -> None:
    payload = doc["payload"]
    payload["body"] = value
    if isinstance(payload.get("_data"), dict):
        payload["_data"]["body"] = value


def _waha_name(doc: Json, value: str) -> None:
    data = doc["payload"].get("_data")
    if not isinstance(data, dict):
        raise SampleError("this sample has no sender name")
    data["notifyName"] = value


def _waha_ack_fresh(doc: Json, clock: Clock) -> None:
    payload = doc["payload"]
    payload["id"] = _waha_message_id(True, str(payload["from"]))
    _waha_envelope(doc, clock)


def _waha_session_fresh(doc: Json, clock: Clock) -> None:
    statuses = doc["payload"].get("statuses", [])
    for back, item in enumerate(reversed(statuses)):
        item["timestamp"] = clock.ms - 1500 * back
    _waha_envelope(doc, clock)


def _waha_group_fresh(doc: Json, clock: Clock) -> None:
    doc["payload"]["timestamp"] = clock.seconds
    _waha_envelope(doc, clock)


def _waha_participant(doc: Json, value: str) -> None:
    _set(doc, "payload.group.participants.0.id", _jid(value))


def _waha_headers(doc: Json, clock: Clock) -> list[Header]:
    return [
        ("Content-Type", "application/json"),
        ("User-Agent", f"WAHA/{WAHA_VERSION}"),
        ("X-Webhook-Request-Id", _ulid(clock)),
        ("X-Webhook-Timestamp", str(doc.get("timestamp", clock.ms))),
    ]


def _waha(event: str, description: str, template: str, **kwargs: Any) -> Sample:
    return Sample(
        "waha", event, description, template, event_type=event, headers=_waha_headers,
        dump=_compact, **kwargs,
    )  # fmt: skip


SAMPLES: tuple[Sample, ...] = (
    _waha("message", "WAHA: incoming text message", "waha_message.json",
          fresh=_waha_message_fresh, prepare=_waha_incoming,
          friendly={"from": _waha_from, "phone": _waha_from, "to": _waha_to,
                    "text": _waha_text, "name": _waha_name}),
    _waha("message.ack", "WAHA: message read receipt (ack 3 READ)", "waha_message_ack.json",
          fresh=_waha_ack_fresh,
          friendly={"from": _waha_from, "phone": _waha_from}),
    _waha("session.status", "WAHA: session status WORKING", "waha_session_status.json",
          fresh=_waha_session_fresh),
    _waha("group.v2.join", "WAHA: you joined a group", "waha_group_v2_join.json",
          fresh=_waha_group_fresh,
          friendly={"phone": _waha_participant, "name": _setter("payload.group.subject")}),
)  # fmt: skip


PROVIDER = Provider(
    "waha",
    "WAHA",
    samples=SAMPLES,
    demo_secret="demo-waha-hmac-key",
    shape=_is_waha,
    events=_waha_events,
    scheme="waha",
    wrappers=(WAHOOKS,),
    retries="15 retries 2 s apart by default (constant, linear or exponential policy)",
    retry_schedule=(2.0,),
    lifecycle=_waha_lifecycle,
    statuses=tuple(_WAHA_ACKS[level] for level in sorted(_WAHA_ACKS)),
    chip=True,
)
