"""Which provider sent a request, and the logical events inside it.

Reference: ``PROVIDERS.md`` sections 2-8. The body shape decides first (``X-Hub-Signature-256``
is sent by Meta, GitHub *and* GOWA, so a header alone proves little), headers second.

Everything here works on untrusted bytes: the parsed JSON may be any JSON value with any field of
any type, so every access goes through the small ``_at``/``_s``/``_obj``/``_list`` helpers that
never raise. ``detect`` additionally catches anything unexpected and falls back to ``generic``.

Summaries are single-line plain text (whitespace collapsed, control characters removed, lone
surrogates replaced, at most ``SUMMARY_MAX`` characters ending in "…" when cut). They are not
masked (masking is a view option) but never contain an Evolution ``apikey`` value.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import parse_qsl

from inspector.core.models import CapturedRequest, Event, display_text, parse_json

log = logging.getLogger(__name__)

PROVIDERS: tuple[str, ...] = (
    "meta",
    "waha",
    "wsapi",
    "gowa",
    "evolution",
    "greenapi",
    "github",
    "stripe",
    "slack",
    "shopify",
    "standard",
    "twilio",
    "generic",
)
"""Every provider name ``detect`` can return."""

SUMMARY_MAX = 160
"""Longest summary, in characters (including the closing "…" when cut)."""
MAX_EVENTS = 1000
"""Events listed per request (Meta batches up to 1000); beyond, one ``truncated`` event."""
FORM_PARSE_LIMIT = 1_000_000
"""Form bodies larger than this are not parsed (Twilio/Slack form posts are a few KiB)."""

CREDENTIAL_KEYS = frozenset({"apikey", "api_key", "token", "access_token", "password", "secret"})
"""Keys (compared case-insensitively) whose values ``mask_credentials`` replaces."""
MASK = "***"

_ID_MAX = 512
_FIELD_MAX = 256
_TYPE_MAX = 120
_TEXT_SNIP = 4 * SUMMARY_MAX
"""Inner text pieces are cut to this before joining, so huge values stay cheap."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

_SCHEMES: dict[str, str] = {
    "meta": "meta",
    "github": "github",
    "gowa": "gowa",
    "waha": "waha",
    "wsapi": "wsapi",
    "stripe": "stripe",
    "standard": "standard",
    "slack": "slack",
    "shopify": "shopify",
    "twilio": "twilio",
}

# --------------------------------------------------------------------------------------------
# Safe access to untrusted JSON


def _at(value: object, *path: str | int) -> object:
    """Walk dict keys / list indexes; None as soon as a step does not fit."""
    for key in path:
        if isinstance(key, int):
            if isinstance(value, list) and -len(value) <= key < len(value):
                value = value[key]
            else:
                return None
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def _s(value: object, *path: str | int) -> str:
    """The value at `path` as text when it is a string or a number, else ""."""
    found = _at(value, *path)
    if isinstance(found, str):
        return found
    if isinstance(found, bool) or not isinstance(found, int | float):
        return ""
    try:
        return str(found)
    except ValueError:  # an int beyond the int->str digit limit
        return ""


def _obj(value: object, *path: str | int) -> dict[str, object]:
    found = _at(value, *path)
    return found if isinstance(found, dict) else {}


def _list(value: object, *path: str | int) -> list[object]:
    found = _at(value, *path)
    return found if isinstance(found, list) else []


def _first(*values: str) -> str:
    for value in values:
        if value:
            return value
    return ""


def _snip(text: str, limit: int = _TEXT_SNIP) -> str:
    return text[:limit]


def _one_line(text: str, limit: int) -> str:
    """Collapse whitespace and control characters to single spaces; cut to `limit` with "…"."""
    cap = limit * 4
    cut = len(text) > cap
    text = _SURROGATE.sub("\ufffd", _CONTROL.sub(" ", text[:cap]))
    text = " ".join(text.split())
    if cut or len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _said(prefix: str, detail: str) -> str:
    """'prefix: detail', or just the prefix when there is no detail."""
    detail = _snip(detail)
    return f"{prefix}: {detail}" if detail.strip() else prefix


def _who(ident: str, name: str) -> str:
    if ident and name and name != ident:
        return f"{ident} ({_snip(name, 80)})"
    return ident or name or "unknown"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _more(count: int) -> str:
    return f" (+{count - 1} more)" if count > 1 else ""


def _event(
    provider: str,
    event_type: str,
    summary: str,
    event_id: str = "",
    chat: str = "",
    sender: str = "",
) -> Event:
    return Event(
        provider=provider,
        event_type=_one_line(event_type, _TYPE_MAX) or "unknown",
        summary=_one_line(summary, SUMMARY_MAX),
        event_id=_one_line(event_id, _ID_MAX),
        chat=_one_line(chat, _FIELD_MAX),
        sender=_one_line(sender, _FIELD_MAX),
    )


def _header(request: CapturedRequest, name: str) -> str:
    """A header value for display (UTF-8 when its bytes are UTF-8), "" when absent."""
    value = request.header(name)
    return display_text(value) if value is not None else ""


def _has(request: CapturedRequest, name: str) -> bool:
    return request.header(name) is not None


# --------------------------------------------------------------------------------------------
# Public API


def detect(request: CapturedRequest) -> tuple[str, tuple[Event, ...]]:
    """The provider name and the logical events in `request` (at least one). Never raises."""
    try:
        return _detect(request)
    except Exception:  # defensive: any bug here must not lose a captured request
        log.exception("provider detection failed; treating the request as generic")
        try:
            return "generic", (_generic_event(request, None),)
        except Exception:
            return "generic", (Event("generic", "request", "request"),)


def default_scheme(provider: str, request: CapturedRequest) -> str | None:
    """The signature scheme `provider` signs with, given the headers present; None = unsigned."""
    if provider == "github":
        if _has(request, "x-hub-signature") and not _has(request, "x-hub-signature-256"):
            return "github_sha1"
        return "github"
    if provider == "waha" and _has(request, "x-wahooks-signature"):
        return "wahooks"
    if (
        provider == "meta"
        and request.method.upper() == "GET"
        and not _has(request, "x-hub-signature-256")
        and not _has(request, "x-hub-signature")
    ):
        return None  # the GET verification handshake is not signed
    return _SCHEMES.get(provider)


def mask_credentials(obj: object) -> object:
    """A deep copy of parsed JSON with credential values replaced by "***".

    Masks Evolution's top-level ``apikey`` and any key named apikey/api_key/token/access_token/
    password/secret (case-insensitive) at any depth. The input is not modified. Works without
    recursion, so arbitrarily deep input cannot overflow the stack.
    """
    if not isinstance(obj, dict | list):
        return obj
    copies: dict[int, dict[object, object] | list[object]] = {}

    def copy_of(value: dict[object, object] | list[object]) -> tuple[bool, object]:
        known = copies.get(id(value))
        if known is not None:
            return False, known
        fresh: dict[object, object] | list[object] = {} if isinstance(value, dict) else []
        copies[id(value)] = fresh
        return True, fresh

    _, root = copy_of(obj)
    stack: list[tuple[dict[object, object] | list[object], object]] = [(obj, root)]
    while stack:
        source, target = stack.pop()
        items: Iterable[tuple[object, object]]
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            if isinstance(source, dict) and isinstance(key, str) and key.lower() in CREDENTIAL_KEYS:
                new: object = MASK
            elif isinstance(value, dict | list):
                is_new, new = copy_of(value)
                if is_new:
                    stack.append((value, new))
            else:
                new = value
            if isinstance(target, dict):
                target[key] = new
            elif isinstance(target, list):
                target.append(new)
    return root


# --------------------------------------------------------------------------------------------
# Detection


def masked_body(body: bytes) -> bytes | None:
    """The JSON body re-encoded with credential values masked, or None when it carries none
    (then the exact bytes may be shown or exported as they are)."""
    parsed = parse_json(body)
    if parsed is None:
        return None
    try:
        masked = mask_credentials(parsed)
        if masked == parsed:
            return None
    except RecursionError:
        return None
    return json.dumps(masked, ensure_ascii=False, indent=2).encode("utf-8")


def _detect(request: CapturedRequest) -> tuple[str, tuple[Event, ...]]:
    parsed = parse_json(request.body)
    form = _form_params(request) if parsed is None else {}

    if isinstance(parsed, dict):
        shaped = _provider_from_shape(parsed)
        if shaped is not None:
            provider, build = shaped
            return provider, _capped(provider, build(parsed, request))

    if form:
        if _is_twilio_form(form):
            return "twilio", (_twilio_form_event(form, request),)
        if _is_slack_form(form):
            return "slack", (_slack_form_event(form, request),)

    if _has(request, "x-github-event"):
        return "github", (_github_event(parsed, form, request),)
    if _has(request, "x-shopify-topic"):
        return "shopify", (_shopify_event(parsed, request),)
    if _has(request, "stripe-signature"):
        return "stripe", (_stripe_event(parsed, request),)
    if _has(request, "x-slack-signature"):
        return "slack", (_slack_event(parsed, form, request),)
    if _has(request, "x-twilio-signature"):
        return "twilio", (_twilio_event(parsed, form, request),)
    if _is_standard(request):
        return "standard", (_standard_event(parsed, request),)

    verification = _meta_verification(request)
    if verification is not None:
        return "meta", (verification,)
    return "generic", (_generic_event(request, parsed),)


Builder = Callable[[dict[str, object], CapturedRequest], Iterable[Event]]


def _provider_from_shape(body: dict[str, object]) -> tuple[str, Builder] | None:
    """The provider whose documented body shape `body` has (PROVIDERS.md §7), if any."""
    keys = body.keys()
    if body.get("object") == "whatsapp_business_account":
        return "meta", _meta_events
    if {"eventId", "instanceId", "eventType"} <= keys:
        return "wsapi", _wsapi_events
    if "typeWebhook" in keys and "instanceData" in keys:
        return "greenapi", _greenapi_events
    if "event" in keys:
        if "instance" in keys and "data" in keys:
            return "evolution", _evolution_events
        if "device_id" in keys:
            return "gowa", _gowa_events
        if "session" in keys and ("payload" in keys or "engine" in keys):
            return "waha", _waha_events
    if (
        body.get("object") == "event"
        and isinstance(body.get("type"), str)
        and _s(body, "id").startswith("evt_")
    ):
        return "stripe", lambda parsed, request: (_stripe_event(parsed, request),)
    if _s(body, "type") in _SLACK_BODY_TYPES and (
        "team_id" in keys or "token" in keys or "team" in keys
    ):
        return "slack", lambda parsed, request: (_slack_event(parsed, {}, request),)
    return None


def _capped(provider: str, events: Iterable[Event]) -> tuple[Event, ...]:
    out: list[Event] = []
    extra = 0
    for event in events:
        if len(out) < MAX_EVENTS:
            out.append(event)
        else:
            extra += 1
    if extra:
        out.append(_event(provider, "truncated", f"… and {extra} more events not listed"))
    if not out:
        out.append(_event(provider, "unknown", f"{provider} webhook without events"))
    return tuple(out)


def _form_params(request: CapturedRequest) -> dict[str, str]:
    """First value of each form field, for url-encoded bodies (or bodies sent without a type)."""
    body = request.body
    if not body or len(body) > FORM_PARSE_LIMIT:
        return {}
    content_type = request.content_type
    if content_type != "application/x-www-form-urlencoded" and (content_type or b"=" not in body):
        return {}
    text = body.decode("utf-8", "replace")
    params: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        params.setdefault(key, value)
    return params


# --------------------------------------------------------------------------------------------
# Meta WhatsApp Cloud API (§2)


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


# --------------------------------------------------------------------------------------------
# WAHA (§3)

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


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _media_kind(mime: str) -> str:
    major = mime.split("/", 1)[0].lower() if mime else ""
    if major in ("image", "video", "audio"):
        return major
    return "document" if major in ("application", "text") else "media"


def _first_list(value: object, *paths: tuple[str, ...]) -> list[object] | None:
    for path in paths:
        found = _at(value, *path)
        if isinstance(found, list):
            return found
    return None


def _group_summary(group: str, subject: str, action: str, people: list[object] | None) -> str:
    head = f"group {group or '?'}" + (f" ({_snip(subject, 60)})" if subject else "")
    text = f"{head}: {action}"
    if people is not None:
        text += f" {_plural(len(people), 'participant')}"
    return text


# --------------------------------------------------------------------------------------------
# GOWA — go-whatsapp-web-multidevice (§5.6)

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


# --------------------------------------------------------------------------------------------
# WSAPI (§4)


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


# --------------------------------------------------------------------------------------------
# Evolution API v2 (§5.1) — never put the payload's "apikey" into a summary

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


# --------------------------------------------------------------------------------------------
# Green API (§5.2)

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


# --------------------------------------------------------------------------------------------
# Header-identified providers (§6)


def _github_event(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event:
    name = _header(request, "x-github-event") or "unknown"
    body = parsed if isinstance(parsed, dict) else parse_json(form.get("payload", "").encode())
    action = _s(body, "action")
    etype = f"{name}.{action}" if action else name
    repo = _s(body, "repository", "full_name")
    login = _s(body, "sender", "login")
    where = repo or _s(body, "organization", "login")

    if name == "push":
        ref = _s(body, "ref") or "?"
        summary = f"push to {ref} by {_first(_s(body, 'pusher', 'name'), login) or '?'}"
    elif name == "ping":
        summary = _said(f"ping in {where}" if where else "ping", _s(body, "zen"))
    else:
        summary = f"{etype} in {where}" if where else f"{etype} by {login or '?'}"
        item = next(
            (_obj(body, k) for k in ("pull_request", "issue", "discussion") if _obj(body, k)),
            {},
        )
        if item:
            summary = _said(summary, f"#{_s(item, 'number')} {_s(item, 'title')}".strip())
        elif _obj(body, "release"):
            summary = _said(summary, _s(body, "release", "tag_name"))
        elif _obj(body, "security_advisory"):
            summary = _github_advisory(etype, _obj(body, "security_advisory"))
    event_id = _header(request, "x-github-delivery")
    return _event("github", etype, summary, event_id, repo, login)


def _github_advisory(etype: str, advisory: dict[str, object]) -> str:
    """A global security advisory event: its GHSA id (and CVE), severity and summary."""
    ids = " ".join(i for i in (_s(advisory, "ghsa_id"), _s(advisory, "cve_id")) if i)
    severity = _s(advisory, "severity")
    head = f"{etype} {ids or '?'}" + (f" ({severity})" if severity else "")
    return _said(head, _s(advisory, "summary"))


def _stripe_event(parsed: object, request: CapturedRequest) -> Event:
    etype = _s(parsed, "type") or "unknown"
    event_id = _s(parsed, "id")
    if isinstance(parsed, dict):
        summary = f"{etype} {event_id or '?'}"
    else:
        summary = f"Stripe webhook ({len(request.body)} bytes, not JSON)"
    return _event("stripe", etype, summary, event_id, _s(parsed, "account"))


def _shopify_event(parsed: object, request: CapturedRequest) -> Event:
    topic = _header(request, "x-shopify-topic") or "unknown"
    shop = _header(request, "x-shopify-shop-domain")
    detail = _first(_s(parsed, "name"), _s(parsed, "title"), _s(parsed, "email"), _s(parsed, "id"))
    summary = _said(f"{topic} from {shop}" if shop else topic, detail)
    return _event("shopify", topic, summary, _header(request, "x-shopify-webhook-id"), shop)


_SLACK_BODY_TYPES = frozenset(
    {
        "event_callback",
        "url_verification",
        "app_rate_limited",
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
    }
)


def _slack_ref(value: object) -> str:
    """A Slack user/channel reference: a plain id or an object with an id."""
    return _first(_s(value), _s(value, "id"))


def _slack_event(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event:
    if not isinstance(parsed, dict) and form:
        if "payload" in form:
            parsed = parse_json(form["payload"].encode())
        elif "command" in form:
            return _slack_form_event(form, request)
    body = _obj(parsed)
    kind = _s(body, "type")
    team = _first(_s(body, "team_id"), _s(body, "team", "id"))
    event_id = _first(_s(body, "event_id"), _s(body, "trigger_id"))

    if kind == "event_callback":
        inner = _obj(body, "event")
        etype = _s(inner, "type") or "event_callback"
        chat = _slack_ref(inner.get("channel"))
        sender = _slack_ref(inner.get("user"))
        text = _s(inner, "text")
        if text or etype in ("message", "app_mention"):
            head = f"{etype} from {sender or '?'}" + (f" in {chat}" if chat else "")
            summary = _said(head, text)
        else:
            summary = f"{etype} in team {team or '?'}"
        return _event("slack", etype, summary, event_id, chat, sender)
    if kind == "url_verification":
        summary = f"url_verification challenge {_s(body, 'challenge')}"
        return _event("slack", kind, summary, event_id)
    if kind:
        user = _slack_ref(body.get("user"))
        name = _first(_s(body, "user", "username"), _s(body, "user", "name"), user)
        chat = _slack_ref(body.get("channel"))
        if name or chat:
            head = f"{kind} by {name or '?'}" + (f" in {chat}" if chat else "")
        else:
            head = f"{kind} (team {team or '?'})"
        action = _first(
            _s(body, "actions", 0, "action_id"), _s(body, "callback_id"), _s(body, "view", "id")
        )
        return _event("slack", kind, _said(head, action), event_id, chat, user)
    summary = f"Slack request ({len(request.body)} bytes)"
    return _event("slack", "unknown", summary, event_id)


def _is_slack_form(form: dict[str, str]) -> bool:
    if "command" in form and "team_id" in form and ("token" in form or "trigger_id" in form):
        return True
    if "payload" in form:
        payload = parse_json(form["payload"].encode())
        return _s(payload, "type") in _SLACK_BODY_TYPES and isinstance(payload, dict)
    return False


def _slack_form_event(form: dict[str, str], request: CapturedRequest) -> Event:
    if "command" not in form:
        return _slack_event(None, form, request)
    channel = form.get("channel_name", "")
    head = f"{form.get('command') or '?'} by {form.get('user_name') or form.get('user_id') or '?'}"
    if channel:
        head += f" in #{channel}"
    return _event(
        "slack",
        "slash_command",
        _said(head, form.get("text", "")),
        form.get("trigger_id", ""),
        form.get("channel_id", ""),
        form.get("user_id", ""),
    )


def _is_twilio_form(form: dict[str, str]) -> bool:
    return "AccountSid" in form and any(
        key in form for key in ("MessageSid", "SmsSid", "SmsMessageSid", "CallSid")
    )


def _twilio_form_event(form: dict[str, str], request: CapturedRequest) -> Event:
    sender, recipient = form.get("From", ""), form.get("To", "")
    sid = _first(form.get("MessageSid", ""), form.get("SmsSid", ""))
    status = form.get("MessageStatus", "")
    if sid and status and status != "received":
        code = form.get("ErrorCode", "")
        head = f"status {status}" + (f" {code}" if code else "") + f" for {sid}"
        if recipient:
            head += f" → {recipient}"
        summary = _said(head, form.get("ErrorMessage", ""))
        return _event("twilio", f"status.{status}", summary, f"{sid}:{status}", recipient)
    if sid:
        who = _who(sender, form.get("ProfileName", ""))
        media = _int_text(form.get("NumMedia", ""))
        if media:
            kind = _media_kind(form.get("MediaContentType0", ""))
            detail = _first(form.get("Body", ""), form.get("MediaContentType0", ""))
            summary = _said(f"{kind} from {who}", detail)
        else:
            summary = _said(f"text from {who}", form.get("Body", ""))
        return _event("twilio", "message", summary, sid, sender, sender)
    call_sid = form.get("CallSid", "")
    call_status = form.get("CallStatus", "") or "unknown"
    summary = f"call {call_status} from {sender or '?'}" + (f" to {recipient}" if recipient else "")
    return _event("twilio", f"call.{call_status}", summary, call_sid, sender, sender)


def _int_text(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


def _twilio_event(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event:
    if _is_twilio_form(form):
        return _twilio_form_event(form, request)
    token = _header(request, "i-twilio-idempotency-token")
    summary = _said("Twilio webhook", _keys_preview(parsed if parsed is not None else form or None))
    return _event("twilio", "webhook", summary, token)


def _is_standard(request: CapturedRequest) -> bool:
    return (_has(request, "webhook-id") and _has(request, "webhook-signature")) or (
        _has(request, "svix-id") and _has(request, "svix-signature")
    )


def _standard_event(parsed: object, request: CapturedRequest) -> Event:
    message_id = _first(_header(request, "webhook-id"), _header(request, "svix-id"))
    etype = _s(parsed, "type")
    if etype:
        summary = f"{etype} {message_id}"
    else:
        etype = "webhook"
        summary = _said(f"webhook {message_id}", _keys_preview(parsed))
    return _event("standard", etype, summary, message_id)


# --------------------------------------------------------------------------------------------
# Generic


def _keys_preview(parsed: object, count: int = 5) -> str:
    if isinstance(parsed, dict):
        keys = [_snip(str(key), 40) for key in list(parsed)[: count + 1]]
        shown = ", ".join(keys[:count]) + (", …" if len(keys) > count else "")
        return "{" + shown + "}"
    if isinstance(parsed, list):
        return f"[{_plural(len(parsed), 'item')}]"
    if parsed is None:
        return ""
    try:
        return _snip(json.dumps(parsed, ensure_ascii=False), 80)
    except ValueError:  # an int beyond the int->str digit limit
        return "number"


def _generic_event(request: CapturedRequest, parsed: object) -> Event:
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
