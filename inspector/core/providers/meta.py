"""Meta WhatsApp Cloud API: ``{"object": "whatsapp_business_account", "entry": [...]}``.

A batch holds many changes, each with messages, statuses or errors. The GET subscription
handshake (``hub.mode=subscribe``) is recognised by its query and is not signed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from inspector.core.models import CapturedRequest, Event, Header, Step
from inspector.core.providers.base import (
    CREDENTIAL_KEYS,
    Provider,
    _event,
    _first,
    _has,
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
from inspector.core.providers.sampling import (
    Clock,
    Friendly,
    Json,
    Sample,
    _digits_of,
    _get,
    _has_path,
    _hex,
    _media_id,
    _set,
    _setter,
    _wamid,
)


def _meta_events(body: dict[str, object], request: CapturedRequest) -> Iterator[Event]:
    for entry in _list(body, "entry"):
        for change in _list(entry, "changes"):
            yield from _meta_change(_s(change, "field"), _obj(change, "value"))


def _meta_change(field: str, value: dict[str, object]) -> Iterator[Event]:
    names: dict[str, str] = {}
    for contact in _list(value, "contacts"):
        wa_id, name = _s(contact, "wa_id"), _s(contact, "profile", "name")
        if wa_id and name:
            names.setdefault(wa_id, name)
    only_name = next(iter(names.values())) if len(names) == 1 else ""

    emitted = False
    for message in _list(value, "messages"):
        emitted = True
        yield _meta_message(_obj(message), names, only_name)
    for status in _list(value, "statuses"):
        emitted = True
        yield _meta_status(_obj(status))
    for event in _meta_more(value, names):
        emitted = True
        yield event
    for error in _list(value, "errors"):
        emitted = True
        code, title = _s(error, "code"), _first(_s(error, "title"), _s(error, "message"))
        detail = _s(error, "error_data", "details")
        yield _event("meta", "errors", _said(f"error {code}".strip(), _first(title, detail)))
    if not emitted:
        if field:
            yield _event("meta", field, _meta_field_summary(field, value))
        else:
            yield _event("meta", "unknown", "change without a field")


def _meta_message(message: dict[str, object], names: dict[str, str], only_name: str) -> Event:
    mtype = _s(message, "type") or "unknown"
    sender = _s(message, "from")
    name = names.get(sender, only_name)
    who = _who(sender, name)
    part = _obj(message, mtype)

    if mtype == "text":
        summary = _said(f"text from {who}", _s(part, "body"))
    elif mtype == "reaction":
        target = _s(part, "message_id")
        emoji = _s(part, "emoji")
        summary = f"reaction {emoji} on {target}" if emoji else f"reaction removed on {target}"
    elif mtype == "interactive":
        kind = _s(part, "type")
        reply = _obj(part, kind)
        if kind in ("button_reply", "list_reply"):
            label = kind.replace("_", " ")
            summary = f'{label} "{_s(reply, "title")}" ({_s(reply, "id")}) from {sender}'
        elif kind == "nfm_reply":
            summary = f"flow reply {_s(reply, 'name')} from {sender}".replace("  ", " ")
        else:
            summary = f"interactive {kind or 'message'} from {sender}"
    elif mtype == "button":
        summary = f'button "{_s(part, "text")}" ({_s(part, "payload")}) from {sender}'
    elif mtype in ("image", "video", "audio", "document", "sticker"):
        detail = _first(_s(part, "caption"), _s(part, "filename"), _s(part, "mime_type"))
        summary = _said(f"{mtype} from {who}", detail)
    elif mtype == "location":
        place = ", ".join(p for p in (_s(part, "name"), _s(part, "address")) if p)
        coords = f"{_s(part, 'latitude')}, {_s(part, 'longitude')}".strip(", ")
        summary = _said(f"location from {who}", _first(place, coords))
    elif mtype == "contacts":
        cards = _list(message, "contacts")
        first = _first(_s(cards, 0, "name", "formatted_name"), _s(cards, 0, "name", "first_name"))
        summary = _said(f"contacts from {who}", f"{first}{_more(len(cards))}".strip())
    elif mtype == "order":
        items = _list(part, "product_items")
        summary = f"order from {who}: {_plural(len(items), 'item')}"
    elif mtype == "system":
        summary = _said(f"system message from {who}", _s(part, "body"))
    else:
        errors = _list(message, "errors")
        detail = _first(_s(errors, 0, "title"), _s(errors, 0, "message"))
        code = _s(errors, 0, "code")
        summary = _said(f"{mtype} from {who}", f"{code} {detail}".strip())
    chat = _first(_s(message, "group_id"), sender)
    return _event("meta", f"message.{mtype}", summary, _s(message, "id"), chat, sender)


def _meta_more(value: dict[str, object], names: dict[str, str]) -> Iterator[Event]:
    """Events of the `calls`, `smb_message_echoes` and `user_preferences` fields."""
    for call in _list(value, "calls"):
        yield _meta_call(_obj(call))
    for echo in _list(value, "message_echoes"):
        yield _meta_echo(_obj(echo), names)
    for preference in _list(value, "user_preferences"):
        yield _meta_preference(_obj(preference), names)


def _meta_call(call: dict[str, object]) -> Event:
    """A WhatsApp Calling API call event: connect or terminate (with status and duration)."""
    event = _s(call, "event") or "unknown"
    caller, callee = _s(call, "from"), _s(call, "to")
    outcome = ", ".join(p for p in (_s(call, "status"), _s(call, "duration")) if p)
    if _s(call, "duration"):
        outcome += " s"
    summary = f"call {event} from {caller or '?'} to {callee or '?'}"
    summary += f" ({outcome})" if outcome else ""
    user = callee if _s(call, "direction").upper() == "BUSINESS_INITIATED" else caller
    event_id = f"{_s(call, 'id')}:{event}" if _s(call, "id") else ""
    return _event("meta", f"calls.{event}", summary, event_id, user, caller)


def _meta_echo(message: dict[str, object], names: dict[str, str]) -> Event:
    """A message the business sent from the WhatsApp Business app, echoed (coexistence)."""
    mtype = _s(message, "type") or "unknown"
    recipient = _s(message, "to")
    part = _obj(message, mtype)
    detail = _first(_s(part, "body"), _s(part, "caption"), _s(part, "filename"),
                    _s(part, "emoji"))  # fmt: skip
    summary = _said(f"echo: {mtype} sent to {_who(recipient, names.get(recipient, ''))}", detail)
    return _event(
        "meta", f"message_echoes.{mtype}", summary, _s(message, "id"), recipient,
        _s(message, "from"),
    )  # fmt: skip


def _meta_preference(preference: dict[str, object], names: dict[str, str]) -> Event:
    """A user stopping or resuming a category of messages (marketing messages)."""
    wa_id, value = _s(preference, "wa_id"), _s(preference, "value") or "changed"
    category = (_s(preference, "category") or "preferences").replace("_", " ")
    summary = _said(f"{_who(wa_id, names.get(wa_id, ''))}: {value} {category}",
                    _s(preference, "detail"))  # fmt: skip
    parts = (wa_id, _s(preference, "category"), value, _s(preference, "timestamp"))
    event_id = ":".join(parts) if wa_id else ""
    return _event("meta", f"user_preferences.{value}", summary, event_id, wa_id, wa_id)


def _meta_status(status: dict[str, object]) -> Event:
    wamid = _s(status, "id")
    state = _s(status, "status") or "unknown"
    recipient = _s(status, "recipient_id")
    participant = _s(status, "recipient_participant_id")
    errors = _list(status, "errors")
    code = _s(errors, 0, "code")
    title = _first(_s(errors, 0, "title"), _s(errors, 0, "message"))
    head = f"status {state}" + (f" {code}" if code else "") + f" for {wamid or '?'}"
    if recipient:
        head += f" → {recipient}"
    event_id = f"{wamid}:{state}" if wamid else ""
    if wamid and participant:
        event_id += f":{participant}"
    return _event("meta", f"statuses.{state}", _said(head, title), event_id, recipient)


ERROR_MEANINGS: tuple[tuple[str, str], ...] = (
    ("130429", "Rate limit hit: the Cloud API throughput for this number was exceeded."),
    (
        "131026",
        "Message undeliverable: the recipient cannot receive it (not on WhatsApp, an"
        " old app version, or the business is blocked).",
    ),
    (
        "131047",
        "More than 24 hours have passed since the customer last wrote: outside the"
        " 24-hour window only a template message can be sent.",
    ),
    (
        "131049",
        "Not delivered to keep the ecosystem healthy (limits on marketing messages to this user).",
    ),
    ("131050", "The user stopped marketing messages from this business."),
    ("131051", "Unsupported message type."),
    ("131053", "The media could not be uploaded or downloaded."),
    (
        "131056",
        "Too many messages from this business to this user in a short time (pair rate limit).",
    ),
    ("132000", "The number of template parameters does not match the template."),
    ("132001", "The template does not exist in this language or is not approved."),
    ("133010", "The phone number is not registered with the Cloud API."),
)
"""What the error codes of failed statuses mean, as Meta's error-code reference explains."""


def _meta_lifecycle(body: dict[str, object]) -> Iterator[Step]:
    """Inbound messages (received), echoes of messages the business sent, and statuses."""
    for entry in _list(body, "entry"):
        for change in _list(entry, "changes"):
            value = _obj(change, "value")
            for message in _list(value, "messages"):
                mtype = _s(message, "type")
                text = _first(_s(message, mtype, "body"), _s(message, mtype, "caption"))
                chat = _first(_s(message, "group_id"), _s(message, "from"))
                yield _step(_s(message, "id"), "received", "in", chat,
                            _s(message, "timestamp"), text)  # fmt: skip
            for echo in _list(value, "message_echoes"):
                mtype = _s(echo, "type")
                yield _step(_s(echo, "id"), "sent", "out", _s(echo, "to"),
                            _s(echo, "timestamp"), _s(echo, mtype, "body"))  # fmt: skip
            for status in _list(value, "statuses"):
                errors = _list(status, "errors")
                title = _first(_s(errors, 0, "title"), _s(errors, 0, "message"))
                yield _step(_s(status, "id"), _s(status, "status"), "out",
                            _s(status, "recipient_id"), _s(status, "timestamp"),
                            error=(_s(errors, 0, "code"), title))  # fmt: skip


def _meta_field_summary(field: str, value: dict[str, object]) -> str:
    if field == "message_template_status_update":
        name = _s(value, "message_template_name")
        language = _s(value, "message_template_language")
        reason = _s(value, "reason")
        text = f"template {name}" + (f" ({language})" if language else "")
        text += f" {_s(value, 'event')}"
        if reason and reason.upper() != "NONE":
            text += f": {reason}"
        return text
    pairs = [
        f"{key}={_snip(_s(item), 60)}"
        for key, item in value.items()
        if key not in ("messaging_product", "metadata")
        and key.lower() not in CREDENTIAL_KEYS
        and _s(item)
    ]
    return _said(field, ", ".join(pairs[:6]))


def _meta_verification(request: CapturedRequest) -> Event | None:
    """The GET subscription handshake (hub.mode=subscribe&hub.challenge=…&hub.verify_token=…)."""
    if not request.query or "hub." not in request.query:
        return None
    params = dict(parse_qsl(request.query, keep_blank_values=True))
    mode, challenge = params.get("hub.mode", ""), params.get("hub.challenge")
    if challenge is None or not mode:
        return None
    token = params.get("hub.verify_token", "")
    summary = f"verification: hub.mode={mode}, challenge {challenge}, verify_token {token!r}"
    return _event("meta", "verification", summary)


def _is_meta(body: dict[str, object]) -> bool:
    return body.get("object") == "whatsapp_business_account"


def _verification(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event | None:
    return _meta_verification(request)


def _scheme_for(request: CapturedRequest) -> str | None:
    if (
        request.method.upper() == "GET"
        and not _has(request, "x-hub-signature-256")
        and not _has(request, "x-hub-signature")
    ):
        return None  # the GET verification handshake is not signed
    return "meta"


# Samples for ``send`` ----------------------------------------------------------------------


def _meta_dump(doc: Json) -> bytes:
    """Meta sends compact JSON with non-ASCII escaped as \\uXXXX (lowercase hex)."""
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")


_VALUE = "entry.0.changes.0.value"
_MESSAGE = f"{_VALUE}.messages.0"
_STATUS = f"{_VALUE}.statuses.0"


def _meta_message_fresh(doc: Json, clock: Clock) -> None:
    _set(doc, f"{_MESSAGE}.id", _wamid(str(_get(doc, f"{_MESSAGE}.from"))))
    _set(doc, f"{_MESSAGE}.timestamp", str(clock.seconds))
    if _has_path(doc, f"{_MESSAGE}.context.id"):
        business = str(_get(doc, f"{_VALUE}.metadata.display_phone_number"))
        _set(doc, f"{_MESSAGE}.context.id", _wamid(business))
    if _has_path(doc, f"{_MESSAGE}.reaction.message_id"):
        business = str(_get(doc, f"{_VALUE}.metadata.display_phone_number"))
        _set(doc, f"{_MESSAGE}.reaction.message_id", _wamid(business))
    if _has_path(doc, f"{_MESSAGE}.image.id"):
        _set(doc, f"{_MESSAGE}.image.id", _media_id())
        digest = hashlib.sha256(secrets.token_bytes(32)).digest()
        _set(doc, f"{_MESSAGE}.image.sha256", base64.b64encode(digest).decode("ascii"))


def _meta_status_fresh(doc: Json, clock: Clock) -> None:
    _set(doc, f"{_STATUS}.id", _wamid(str(_get(doc, f"{_STATUS}.recipient_id"))))
    _set(doc, f"{_STATUS}.timestamp", str(clock.seconds))
    if _has_path(doc, f"{_STATUS}.conversation.id"):
        _set(doc, f"{_STATUS}.conversation.id", _hex(16))
        _set(doc, f"{_STATUS}.conversation.expiration_timestamp", str(clock.seconds + 86400))


def _meta_user(doc: Json, value: str) -> None:
    phone = _digits_of(value)
    _set(doc, f"{_MESSAGE}.from", phone)
    _set(doc, f"{_VALUE}.contacts.0.wa_id", phone)


def _meta_business(doc: Json, value: str) -> None:
    _set(doc, f"{_VALUE}.metadata.display_phone_number", _digits_of(value))


def _meta_recipient(doc: Json, value: str) -> None:
    _set(doc, f"{_STATUS}.recipient_id", _digits_of(value))


_META_NAME = _setter(f"{_VALUE}.contacts.0.profile.name")
_META_MESSAGE_KEYS: dict[str, Friendly] = {
    "from": _meta_user,
    "phone": _meta_user,
    "to": _meta_business,
    "name": _META_NAME,
}
_META_STATUS_KEYS: dict[str, Friendly] = {
    "phone": _meta_recipient,
    "to": _meta_recipient,
    "from": _meta_business,
}


def _meta_image(doc: Json) -> None:
    message = _get(doc, _MESSAGE)
    message.pop("text", None)
    message["type"] = "image"
    message["image"] = {
        "caption": "Here is the one I mean",
        "mime_type": "image/jpeg",
        "sha256": "",
        "id": "",
    }


def _status_as(state: str) -> Callable[[Json], None]:
    def prepare(doc: Json) -> None:
        status = _get(doc, _STATUS)
        status["status"] = state
        if state == "read":
            status.pop("conversation", None)
            status.pop("pricing", None)

    return prepare


def _meta_headers(doc: Json, clock: Clock) -> list[Header]:
    return [
        ("User-Agent", "facebookexternalua"),
        ("Accept", "*/*"),
        ("Content-Type", "application/json"),
    ]


def _meta(event: str, description: str, template: str, **kwargs: Any) -> Sample:
    status = event.startswith("status.")
    kwargs.setdefault("fresh", _meta_status_fresh if status else _meta_message_fresh)
    friendly = dict(_META_STATUS_KEYS if status else _META_MESSAGE_KEYS)
    friendly.update(kwargs.pop("friendly", {}))
    return Sample(
        "meta", event, description, template, friendly=friendly, headers=_meta_headers,
        dump=_meta_dump, **kwargs,
    )  # fmt: skip


SAMPLES: tuple[Sample, ...] = (
    _meta("text", "Meta Cloud API: inbound text message", "meta_message_text.json",
          event_type="message.text",
          friendly={"text": _setter(f"{_MESSAGE}.text.body")}),
    _meta("image", "Meta Cloud API: inbound image with caption (documented shape)",
          "meta_message_text.json", event_type="message.image", prepare=_meta_image,
          friendly={"text": _setter(f"{_MESSAGE}.image.caption")}),
    _meta("button", "Meta Cloud API: interactive button reply",
          "meta_message_interactive_button_reply.json", event_type="message.interactive",
          friendly={"text": _setter(f"{_MESSAGE}.interactive.button_reply.title")}),
    _meta("reaction", "Meta Cloud API: reaction to a message", "meta_message_reaction.json",
          event_type="message.reaction",
          friendly={"text": _setter(f"{_MESSAGE}.reaction.emoji")}),
    _meta("status.sent", "Meta Cloud API: status sent (with conversation and pricing)",
          "meta_status_sent.json", event_type="statuses.sent"),
    _meta("status.delivered", "Meta Cloud API: status delivered", "meta_status_sent.json",
          event_type="statuses.delivered", prepare=_status_as("delivered")),
    _meta("status.read", "Meta Cloud API: status read", "meta_status_sent.json",
          event_type="statuses.read", prepare=_status_as("read")),
    _meta("status.failed", "Meta Cloud API: status failed (error 131049)",
          "meta_status_failed.json", event_type="statuses.failed"),
)  # fmt: skip


PROVIDER = Provider(
    "meta",
    "Meta (WhatsApp Cloud API)",
    samples=SAMPLES,
    demo_secret="demo-meta-app-secret",
    short="Meta",
    shape=_is_meta,
    events=_meta_events,
    fallback=_verification,
    scheme="meta",
    scheme_for=_scheme_for,
    retries="with decreasing frequency for up to 7 days (duplicates possible)",
    statuses=("sent", "delivered", "read", "failed"),
    lifecycle=_meta_lifecycle,
    error_meanings=ERROR_MEANINGS,
    chip=True,
)
