"""WAHA (WhatsApp HTTP API): ``{"event", "session", "payload" | "engine", ...}``.

WAHooks relays the same body under its own ``X-WAHooks-Signature``; it is detected as WAHA and
told apart by that header (a `Wrapper`). Wawp relays the same body too, with nothing that tells
it apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from inspector.core.models import CapturedRequest, Event
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
)

_WAHA_ACKS = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}
_WAHA_SERIALIZED_ID = re.compile(r"^(?:true|false)_([^_]+)_")


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
        media = _obj(payload, "media")
        if payload.get("hasMedia") is True or media:
            mime = _s(media, "mimetype")
            kind = _media_kind(mime)
            detail = _first(_s(payload, "body"), _s(media, "filename"), mime)
        else:
            kind, detail = "text", _s(payload, "body")
        summary = _said(f"{kind} from {from_ or '?'}", detail)
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


def _is_waha(body: dict[str, object]) -> bool:
    keys = body.keys()
    return "event" in keys and "session" in keys and ("payload" in keys or "engine" in keys)


WAHOOKS = Wrapper(
    "wahooks",
    "x-wahooks-signature",
    "wahooks",
    deadline=15.0,  # "15 s timeout"
    retries="5 attempts, backoff 5/10/20/40/80 s",
)

PROVIDER = Provider(
    "waha",
    "WAHA",
    shape=_is_waha,
    events=_waha_events,
    scheme="waha",
    wrappers=(WAHOOKS,),
    retries="15 retries 2 s apart by default (constant, linear or exponential policy)",
    statuses=tuple(_WAHA_ACKS[level] for level in sorted(_WAHA_ACKS)),
    chip=True,
)
