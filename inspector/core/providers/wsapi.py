"""WSAPI: ``{"eventId", "instanceId", "eventType", "eventData", ...}``."""

from __future__ import annotations

import json
from collections.abc import Iterator

from inspector.core.models import CapturedRequest, Event, Header, Step
from inspector.core.providers.base import (
    Provider,
    _event,
    _first,
    _group_summary,
    _list,
    _media_kind,
    _more,
    _obj,
    _s,
    _said,
    _step,
    _who,
)
from inspector.core.providers.sampling import (
    Clock,
    Json,
    Sample,
    _digits_of,
    _hex,
    _jid,
    _setter,
)


def _wsapi_id(value: object) -> str:
    """WSAPI identities are objects {id, lid, phone, isMe}; older payloads use a plain JID."""
    return _first(_s(value), _s(value, "id"), _s(value, "lid"), _s(value, "phone"))


def _wsapi_events(body: dict[str, object], request: CapturedRequest) -> Iterator[Event]:
    etype = _s(body, "eventType") or "unknown"
    data = _obj(body, "eventData") or _obj(body, "data")
    event_id = _s(body, "eventId")
    chat = _first(_s(data, "chatId"), _s(data, "id") if "@" in _s(data, "id") else "")
    sender = _wsapi_id(data.get("sender"))
    summary = f"{etype} (instance {_s(body, 'instanceId') or '?'})"

    if etype == "message":
        mtype = _s(data, "type") or "message"
        who = _who(sender, _first(_s(data, "pushName"), _s(data, "senderName")))
        if mtype == "reaction":
            emoji, target = _s(data, "reaction", "emoji"), _s(data, "reaction", "messageId")
            summary = f"reaction {emoji} on {target}" if emoji else f"reaction removed on {target}"
        elif mtype == "media":
            media = _obj(data, "media")
            kind = _s(media, "mediaType") or _media_kind(_s(media, "mimeType"))
            detail = _first(_s(media, "caption"), _s(media, "fileName"), _s(media, "mimeType"))
            summary = _said(f"{kind} from {who}", detail)
        elif mtype == "contact":
            card = _s(data, "contact")
            name = next((line[3:] for line in card.splitlines() if line.startswith("FN:")), "")
            summary = _said(f"contact from {who}", name)
        else:
            summary = _said(f"{mtype} from {who}", _first(_s(data, "text"), _s(data, "caption")))
    elif etype == "message_read":
        ids = [_s(item) for item in _list(data, "messageIds")]
        receipt = _s(data, "receiptType") or "unknown"
        first = ids[0] if ids else ""
        summary = f"status {receipt} for {first or '?'}{_more(len(ids))}"
    elif etype == "message_delete":
        summary = f"deleted {_s(data, 'id') or '?'} in {chat or '?'}"
    elif etype == "message_star":
        starred = "starred" if data.get("isStarred") is not False else "unstarred"
        summary = f"{starred} {_s(data, 'id') or '?'}"
    elif etype == "logged_in":
        summary = f"logged in as {_s(data, 'deviceId') or '?'}"
    elif etype == "logged_out":
        summary = _said("logged out", _s(data, "reason"))
    elif etype in ("login_error", "logged_error"):
        summary = _said("login error", _s(data, "error"))
    elif etype == "chat_presence":
        summary = f"presence {_s(data, 'state') or '?'} in {chat or '?'}"
        if sender and sender != chat:
            summary += f" by {sender}"
    elif etype == "user_presence":
        sender = _wsapi_id(data.get("user"))
        summary = f"presence {_s(data, 'status') or '?'} for {sender or '?'}"
    elif etype.startswith("call_"):
        sender = _wsapi_id(data.get("caller"))
        video = " (video)" if data.get("isVideo") is True else ""
        summary = f"call {etype[5:]} from {sender or '?'}{video}"
        chat = _first(chat, sender)
    elif etype == "group":
        chat = _s(data, "id")
        action = next((k for k in ("join", "leave", "promote", "demote") if k in data), "")
        if action:
            summary = _group_summary(chat, "", action, _list(data, action))
        elif _s(data, "name", "name"):
            summary = f"group {chat or '?'}: name → {_s(data, 'name', 'name')}"
        else:
            summary = f"group {chat or '?'}: update"
    return iter((_event("wsapi", etype, summary, event_id, chat, sender),))


def _wsapi_lifecycle(body: dict[str, object]) -> Iterator[Step]:
    """`message` (received, or sent when the sender is us) and `message_read` receipts."""
    etype = _s(body, "eventType")
    data = _obj(body, "eventData") or _obj(body, "data")
    chat, at = _s(data, "chatId"), _first(_s(data, "time"), _s(body, "receivedAt"))
    if etype == "message":
        out = _obj(data, "sender").get("isMe") is True
        text = _first(_s(data, "text"), _s(data, "caption"), _s(data, "media", "caption"))
        yield _step(_s(data, "id"), "sent" if out else "received", "out" if out else "in",
                    chat, at, text)  # fmt: skip
    elif etype == "message_read":
        out = _obj(data, "messageSender").get("isMe") is not False
        for item in _list(data, "messageIds"):
            yield _step(_s(item), _s(data, "receiptType") or "read", "out" if out else "in",
                        chat, at)  # fmt: skip


def _is_wsapi(body: dict[str, object]) -> bool:
    return {"eventId", "instanceId", "eventType"} <= body.keys()


# Samples for ``send`` ----------------------------------------------------------------------


def _go_dump(doc: Json) -> bytes:
    """Go's json.Marshal: compact, UTF-8, and <, >, & escaped as \\u003c, \\u003e, \\u0026."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, escaped)
    return text.encode("utf-8")


def _wsapi_fresh(doc: Json, clock: Clock) -> None:
    doc["eventId"] = f"evt_{clock.ms}_{_hex(8)}"
    doc["receivedAt"] = clock.iso()
    data = doc["eventData"]
    data["id"] = "3EB0" + _hex(8, upper=True)
    data["time"] = clock.iso()


def _wsapi_from(doc: Json, value: str) -> None:
    jid = _jid(value, "s.whatsapp.net")
    data = doc["eventData"]
    data["chatId"] = jid
    data["sender"]["id"] = jid
    data["sender"]["phone"] = _digits_of(jid)


def _wsapi_headers(doc: Json, clock: Clock) -> list[Header]:
    return [
        ("User-Agent", "Go-http-client/1.1"),
        ("Content-Type", "application/json"),
        ("X-Instance-Id", str(doc.get("instanceId", ""))),
    ]


SAMPLES: tuple[Sample, ...] = (
    Sample("wsapi", "message", "WSAPI: incoming text message",
            "synthetic_wsapi_message_text.json", _wsapi_fresh, event_type="message",
            friendly={"from": _wsapi_from, "phone": _wsapi_from,
                      "text": _setter("eventData.text"), "name": _setter("eventData.pushName")},
            headers=_wsapi_headers, dump=_go_dump),
)  # fmt: skip


PROVIDER = Provider(
    "wsapi",
    "WSAPI",
    samples=SAMPLES,
    demo_secret="demo-wsapi-signing-secret",
    shape=_is_wsapi,
    events=_wsapi_events,
    scheme="wsapi",
    deadline=10.0,  # self-hosted: "10 s client timeout" (cloud: not documented)
    retries="self-hosted: none (errors are logged, not retried)",
    lifecycle=_wsapi_lifecycle,
    chip=True,
)
