"""Sample events ("trigger"): realistic, correctly signed webhooks built from real payloads.

Each sample starts from a published payload copied into ``inspector/resources/samples/`` (see
the ``SOURCES.md`` there), gets fresh ids and timestamps, optional edits (`overrides`), the
headers its provider really sends, and a valid signature made with `signatures.sign_request`.

`overrides` keys are either friendly names (`FRIENDLY_KEYS`: ``from``/``phone``, ``to``,
``name``, ``text``), which each sample maps to the fields that carry them, or dotted JSON paths
such as ``entry.0.changes.0.value.messages.0.text.body`` (list indexes are numbers; a missing
last key is added, but a single unknown word is refused as a likely typo). A value set
through a dotted path keeps the type of the value it replaces when that is a string; otherwise it
is read as JSON when it parses (``2``, ``true``, ``{"a": 1}``) and as a string when it does not.
Friendly keys run before the fresh ids are made (a Meta wamid embeds the phone), dotted paths
after them (so they can pin an id).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from inspector.core.models import CapturedRequest, Header
from inspector.core.providers import BY_NAME
from inspector.core.signatures import sign_request

__all__ = [
    "DEMO_SECRETS",
    "FRIENDLY_KEYS",
    "SCHEMES",
    "SampleError",
    "build_sample",
    "default_url",
    "list_samples",
    "sample_info",
    "send_sample",
]

Json = Any
"""Parsed JSON (dicts, lists, strings, numbers, booleans, None)."""

DEMO_SECRETS: dict[str, str] = {
    "meta": "demo-meta-app-secret",
    "waha": "demo-waha-hmac-key",
    "wsapi": "demo-wsapi-signing-secret",
    "standard": "whsec_" + base64.b64encode(b"demo-standard-webhooks-key!!").decode("ascii"),
    "github": "demo-github-webhook-secret",
    "stripe": "whsec_demo_stripe_endpoint_secret",
}
"""The secret each provider's samples are signed with when no --secret is given (documented in
the README; configure the same one on the receiver to see `sig:valid`)."""

SCHEMES: dict[str, str] = {
    name: scheme for name in DEMO_SECRETS if (scheme := BY_NAME[name].scheme) is not None
}
"""The signature scheme (`signatures.SCHEMES` name) of each sample provider, from its provider
module."""

FRIENDLY_KEYS = ("from", "phone", "to", "name", "text")
"""Override keys that name a meaning rather than a JSON path."""

SEND_TIMEOUT = 30.0
"""Seconds `send_sample` waits for the whole exchange."""
WAHA_VERSION = "2025.9.1"
GITHUB_HOOKSHOT = "GitHub-Hookshot/5f3c2a1"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class SampleError(ValueError):
    """An unknown provider/event, or an override that does not fit the sample."""


# --- fresh values ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Clock:
    now: float

    @property
    def seconds(self) -> int:
        return int(self.now)

    @property
    def ms(self) -> int:
        return int(self.now * 1000)

    def iso(self) -> str:
        moment = datetime.fromtimestamp(self.now, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _hex(size: int, *, upper: bool = False) -> str:
    text = secrets.token_hex(size)
    return text.upper() if upper else text


def _alnum(size: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(size))


def _ulid(clock: _Clock) -> str:
    """A ULID: 48-bit ms timestamp + 80 random bits in Crockford base32 (26 characters)."""
    value = (clock.ms << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def _wamid(phone: str) -> str:
    """A Meta message id shaped like the published ones: base64 of phone + 20 hex digits."""
    digits = re.sub(r"\D", "", phone)[:30] or "0"
    raw = b"\x1c\x18" + bytes([len(digits)]) + digits.encode("ascii")
    raw += b"\x15\x02\x00\x12\x18\x14" + _hex(10, upper=True).encode("ascii") + b"\x00"
    return "wamid." + base64.b64encode(raw).decode("ascii")


def _media_id() -> str:
    return str(secrets.randbelow(9 * 10**15) + 10**15)


# --- JSON paths ------------------------------------------------------------------------------


def _split(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for part in path.split("."):
        if part == "":
            raise SampleError(f"{path!r} is not a dotted JSON path (empty part)")
        parts.append(int(part) if part.isdigit() else part)
    return parts


def _child(value: Json, part: str | int) -> tuple[bool, Json]:
    """(found, value[part]) for a list index or a dict key."""
    if isinstance(part, int) and isinstance(value, list) and part < len(value):
        return True, value[part]
    if isinstance(part, str) and isinstance(value, dict) and part in value:
        return True, value[part]
    return False, None


def _get(doc: Json, path: str) -> Json:
    value = doc
    for part in _split(path):
        found, value = _child(value, part)
        if not found:
            return None
    return value


def _has(doc: Json, path: str) -> bool:
    parent_path, _, last = path.rpartition(".")
    parent = _get(doc, parent_path) if parent_path else doc
    if isinstance(parent, dict):
        return last in parent
    return isinstance(parent, list) and last.isdigit() and int(last) < len(parent)


def _set(doc: Json, path: str, value: Json, *, create: bool = True) -> None:
    """Set `path` to `value`; the parent must exist. A missing last key is added if `create`."""
    parts = _split(path)
    parent = doc
    for index, part in enumerate(parts[:-1]):
        found, parent = _child(parent, part)
        if not found:
            where = ".".join(str(p) for p in parts[: index + 1])
            raise SampleError(f"{path!r}: the sample has nothing at {where!r}")
    last = parts[-1]
    if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        parent[last] = value
    elif isinstance(parent, dict) and (create or str(last) in parent):
        parent[str(last)] = value
    else:
        raise SampleError(f"{path!r}: the sample has no such field")


def _typed(old: Json, text: str) -> Json:
    """`text` as the new value of a field that held `old` (see the module docstring)."""
    if isinstance(old, str):
        return text
    try:
        parsed: Json = json.loads(text)
    except ValueError:
        return text
    return parsed


# --- samples -----------------------------------------------------------------------------------

Builder = Callable[[Json, _Clock], None]
"""Fills fresh ids and timestamps into a parsed template (in place)."""
Friendly = Callable[[Json, str], None]
"""Applies one friendly override value (in place)."""


@dataclass(frozen=True)
class _Sample:
    provider: str
    event: str
    description: str
    template: str
    fresh: Builder
    friendly: Mapping[str, Friendly] = field(default_factory=dict)
    event_type: str = ""
    """The event type `providers.detect` reports for it (checked by the tests)."""
    prepare: Callable[[Json], None] | None = None
    """Turns the copied template into this sample's shape (runs before overrides)."""
    headers: Callable[[Json, _Clock], list[Header]] | None = None
    dump: Callable[[Json], bytes] | None = None


def _load(name: str) -> Json:
    data = resources.files("inspector").joinpath("resources").joinpath("samples").joinpath(name)
    return json.loads(data.read_bytes())


def _compact(doc: Json) -> bytes:
    """JSON.stringify-style: compact, non-ASCII kept as UTF-8 (WAHA, Standard Webhooks)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _meta_dump(doc: Json) -> bytes:
    """Meta sends compact JSON with non-ASCII escaped as \\uXXXX (lowercase hex)."""
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _go_dump(doc: Json) -> bytes:
    """Go's json.Marshal: compact, UTF-8, and <, >, & escaped as \\u003c, \\u003e, \\u0026."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, escaped)
    return text.encode("utf-8")


def _stripe_dump(doc: Json) -> bytes:
    """Stripe posts its events pretty-printed with two spaces."""
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


# Meta (§2) ------------------------------------------------------------------------------------

_VALUE = "entry.0.changes.0.value"
_MESSAGE = f"{_VALUE}.messages.0"
_STATUS = f"{_VALUE}.statuses.0"


def _digits_of(text: str) -> str:
    digits = re.sub(r"\D", "", text.split("@", 1)[0])
    if not digits:
        raise SampleError(f"{text!r} is not a phone number")
    return digits


def _meta_message_fresh(doc: Json, clock: _Clock) -> None:
    _set(doc, f"{_MESSAGE}.id", _wamid(str(_get(doc, f"{_MESSAGE}.from"))))
    _set(doc, f"{_MESSAGE}.timestamp", str(clock.seconds))
    if _has(doc, f"{_MESSAGE}.context.id"):
        business = str(_get(doc, f"{_VALUE}.metadata.display_phone_number"))
        _set(doc, f"{_MESSAGE}.context.id", _wamid(business))
    if _has(doc, f"{_MESSAGE}.reaction.message_id"):
        business = str(_get(doc, f"{_VALUE}.metadata.display_phone_number"))
        _set(doc, f"{_MESSAGE}.reaction.message_id", _wamid(business))
    if _has(doc, f"{_MESSAGE}.image.id"):
        _set(doc, f"{_MESSAGE}.image.id", _media_id())
        digest = hashlib.sha256(secrets.token_bytes(32)).digest()
        _set(doc, f"{_MESSAGE}.image.sha256", base64.b64encode(digest).decode("ascii"))


def _meta_status_fresh(doc: Json, clock: _Clock) -> None:
    _set(doc, f"{_STATUS}.id", _wamid(str(_get(doc, f"{_STATUS}.recipient_id"))))
    _set(doc, f"{_STATUS}.timestamp", str(clock.seconds))
    if _has(doc, f"{_STATUS}.conversation.id"):
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


def _setter(path: str) -> Friendly:
    def apply(doc: Json, value: str) -> None:
        _set(doc, path, value)

    return apply


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


def _meta_status(state: str) -> Callable[[Json], None]:
    def prepare(doc: Json) -> None:
        status = _get(doc, _STATUS)
        status["status"] = state
        if state == "read":
            status.pop("conversation", None)
            status.pop("pricing", None)

    return prepare


def _meta_headers(doc: Json, clock: _Clock) -> list[Header]:
    return [
        ("User-Agent", "facebookexternalua"),
        ("Accept", "*/*"),
        ("Content-Type", "application/json"),
    ]


def _meta(event: str, description: str, template: str, **kwargs: Any) -> _Sample:
    status = event.startswith("status.")
    kwargs.setdefault("fresh", _meta_status_fresh if status else _meta_message_fresh)
    friendly = dict(_META_STATUS_KEYS if status else _META_MESSAGE_KEYS)
    friendly.update(kwargs.pop("friendly", {}))
    return _Sample(
        "meta", event, description, template, friendly=friendly, headers=_meta_headers,
        dump=_meta_dump, **kwargs,
    )  # fmt: skip


# WAHA (§3) ------------------------------------------------------------------------------------


def _jid(value: str, server: str = "c.us") -> str:
    return value if "@" in value else f"{_digits_of(value)}@{server}"


def _waha_envelope(doc: Json, clock: _Clock) -> None:
    """The modern envelope fields (§3.1) in their documented order around the payload."""
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


def _waha_message_fresh(doc: Json, clock: _Clock) -> None:
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


def _waha_ack_fresh(doc: Json, clock: _Clock) -> None:
    payload = doc["payload"]
    payload["id"] = _waha_message_id(True, str(payload["from"]))
    _waha_envelope(doc, clock)


def _waha_session_fresh(doc: Json, clock: _Clock) -> None:
    statuses = doc["payload"].get("statuses", [])
    for back, item in enumerate(reversed(statuses)):
        item["timestamp"] = clock.ms - 1500 * back
    _waha_envelope(doc, clock)


def _waha_group_fresh(doc: Json, clock: _Clock) -> None:
    doc["payload"]["timestamp"] = clock.seconds
    _waha_envelope(doc, clock)


def _waha_participant(doc: Json, value: str) -> None:
    _set(doc, "payload.group.participants.0.id", _jid(value))


def _waha_headers(doc: Json, clock: _Clock) -> list[Header]:
    return [
        ("Content-Type", "application/json"),
        ("User-Agent", f"WAHA/{WAHA_VERSION}"),
        ("X-Webhook-Request-Id", _ulid(clock)),
        ("X-Webhook-Timestamp", str(doc.get("timestamp", clock.ms))),
    ]


def _waha(event: str, description: str, template: str, **kwargs: Any) -> _Sample:
    return _Sample(
        "waha", event, description, template, event_type=event, headers=_waha_headers,
        dump=_compact, **kwargs,
    )  # fmt: skip


# WSAPI (§4) -----------------------------------------------------------------------------------


def _wsapi_fresh(doc: Json, clock: _Clock) -> None:
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


def _wsapi_headers(doc: Json, clock: _Clock) -> list[Header]:
    return [
        ("User-Agent", "Go-http-client/1.1"),
        ("Content-Type", "application/json"),
        ("X-Instance-Id", str(doc.get("instanceId", ""))),
    ]


# Standard Webhooks (§6) -----------------------------------------------------------------------


def _standard_fresh(doc: Json, clock: _Clock) -> None:
    doc["timestamp"] = clock.iso().replace("Z", "000Z")
    doc["data"]["id"] = str(uuid.uuid4())


def _standard_headers(doc: Json, clock: _Clock) -> list[Header]:
    return [
        ("Content-Type", "application/json"),
        ("webhook-id", "msg_" + _alnum(27)),
    ]


# GitHub (§6) ----------------------------------------------------------------------------------


def _github_push_fresh(doc: Json, clock: _Clock) -> None:
    doc["before"], doc["after"] = _hex(20), _hex(20)


def _github_ping_fresh(doc: Json, clock: _Clock) -> None:
    hook_id = secrets.randbelow(9 * 10**8) + 10**8
    doc["hook_id"] = hook_id
    doc["hook"]["id"] = hook_id


def _github_headers(event: str) -> Callable[[Json, _Clock], list[Header]]:
    def headers(doc: Json, clock: _Clock) -> list[Header]:
        hook = doc.get("hook_id") or secrets.randbelow(9 * 10**8) + 10**8
        return [
            ("Accept", "*/*"),
            ("Content-Type", "application/json"),
            ("User-Agent", GITHUB_HOOKSHOT),
            ("X-GitHub-Delivery", str(uuid.uuid4())),
            ("X-GitHub-Event", event),
            ("X-GitHub-Hook-ID", str(hook)),
            ("X-GitHub-Hook-Installation-Target-ID", str(doc["repository"]["id"])),
            ("X-GitHub-Hook-Installation-Target-Type", "repository"),
        ]

    return headers


# Stripe (§6) ----------------------------------------------------------------------------------


def _stripe_fresh(doc: Json, clock: _Clock) -> None:
    doc["id"] = "evt_" + _alnum(24)
    doc["created"] = clock.seconds
    doc["data"]["object"]["id"] = "cus_" + _alnum(14)
    doc["request"]["id"] = "req_" + _alnum(14)
    doc["request"]["idempotency_key"] = str(uuid.uuid4())


def _stripe_headers(doc: Json, clock: _Clock) -> list[Header]:
    return [
        ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
        ("Accept", "*/*; q=0.5, application/xml"),
        ("Cache-Control", "no-cache"),
        ("Content-Type", "application/json; charset=utf-8"),
    ]


# the catalogue ----------------------------------------------------------------------------

_SAMPLES: tuple[_Sample, ...] = (
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
          event_type="statuses.delivered", prepare=_meta_status("delivered")),
    _meta("status.read", "Meta Cloud API: status read", "meta_status_sent.json",
          event_type="statuses.read", prepare=_meta_status("read")),
    _meta("status.failed", "Meta Cloud API: status failed (error 131049)",
          "meta_status_failed.json", event_type="statuses.failed"),
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
    _Sample("wsapi", "message", "WSAPI: incoming text message",
            "synthetic_wsapi_message_text.json", _wsapi_fresh, event_type="message",
            friendly={"from": _wsapi_from, "phone": _wsapi_from,
                      "text": _setter("eventData.text"), "name": _setter("eventData.pushName")},
            headers=_wsapi_headers, dump=_go_dump),
    _Sample("standard", "user.created", "Standard Webhooks: user.created",
            "synthetic_standard_user_created.json", _standard_fresh, event_type="user.created",
            headers=_standard_headers, dump=_compact),
    _Sample("github", "push", "GitHub: push to main", "synthetic_github_push.json",
            _github_push_fresh, event_type="push", headers=_github_headers("push"),
            dump=_compact),
    _Sample("github", "ping", "GitHub: ping after a webhook is created",
            "synthetic_github_ping.json", _github_ping_fresh, event_type="ping",
            friendly={"text": _setter("zen")}, headers=_github_headers("ping"), dump=_compact),
    _Sample("stripe", "customer.created", "Stripe: customer.created event",
            "synthetic_stripe_customer_created.json", _stripe_fresh,
            event_type="customer.created", friendly={"name": _setter("data.object.name")},
            headers=_stripe_headers, dump=_stripe_dump),
)  # fmt: skip


def list_samples() -> list[tuple[str, str, str]]:
    """(provider, event, description) of every sample, in catalogue order."""
    return [(s.provider, s.event, s.description) for s in _SAMPLES]


def sample_info(provider: str, event: str) -> tuple[str, str]:
    """(signature scheme, event type `providers.detect` reports) of a sample."""
    sample = _find(provider, event)
    return SCHEMES[sample.provider], sample.event_type


def _find(provider: str, event: str) -> _Sample:
    provider, event = provider.strip().lower(), event.strip()
    mine = [s for s in _SAMPLES if s.provider == provider]
    if not mine:
        known = ", ".join(dict.fromkeys(s.provider for s in _SAMPLES))
        raise SampleError(f"no samples for provider {provider!r} (known: {known})")
    for sample in mine:
        if event in (sample.event, sample.event_type):
            return sample
    events = ", ".join(s.event for s in mine)
    raise SampleError(f"no {provider} sample {event!r} (known: {events})")


def default_url(provider: str, host: str = "127.0.0.1", port: int = 8080) -> str:
    """Our own receiver's URL for `provider`'s samples: http://HOST:PORT/webhook/PROVIDER."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/webhook/{provider}"


def build_sample(
    provider: str,
    event: str,
    *,
    secret: str | None = None,
    overrides: Mapping[str, str] | None = None,
    now: float | None = None,
) -> CapturedRequest:
    """A signed POST to ``/webhook/<provider>`` carrying a fresh copy of the sample.

    `secret` defaults to `DEMO_SECRETS[provider]`. Raises SampleError for an unknown sample or
    an override that does not fit it. The returned request has no Host header (the sender
    sets it from the URL) and `received_at_ns` = the build time.
    """
    sample = _find(provider, event)
    clock = _Clock(time.time() if now is None else now)
    doc = copy.deepcopy(_load(sample.template))
    if sample.prepare is not None:
        sample.prepare(doc)
    paths: list[tuple[str, str]] = []
    for key, value in (overrides or {}).items():
        if key in sample.friendly:
            sample.friendly[key](doc, value)
        elif key in FRIENDLY_KEYS:
            usable = ", ".join(sample.friendly) or "none"
            raise SampleError(
                f"{sample.provider} {sample.event} has no {key!r} field to set (friendly keys "
                f"here: {usable}; or give a dotted JSON path)"
            )
        elif "." not in key and not _has(doc, key):
            usable = ", ".join(sample.friendly) or "none"
            raise SampleError(
                f"{key!r} is neither a friendly key of {sample.provider} {sample.event} "
                f"({usable}) nor a field of it; give a dotted JSON path to add a field"
            )
        else:
            paths.append((key, value))
    sample.fresh(doc, clock)
    for path, value in paths:
        _set(doc, path, _typed(_get(doc, path), value))
    dump = sample.dump or _compact
    body = dump(doc)
    headers = sample.headers(doc, clock) if sample.headers else []
    request = CapturedRequest(
        method="POST",
        path=f"/webhook/{sample.provider}",
        headers=tuple(headers),
        body=body,
        received_at_ns=int(clock.now * 1e9),
        source="sample",
    )
    return _sign(sample.provider, request, secret or DEMO_SECRETS[sample.provider], clock)


def _sign(provider: str, request: CapturedRequest, secret: str, clock: _Clock) -> CapturedRequest:
    for scheme in BY_NAME[provider].signing_schemes():
        request = sign_request(request, scheme, secret, now=clock.now)
    return request


async def send_sample(request: CapturedRequest, url: str) -> tuple[int, bytes]:
    """POST `request` (its exact headers and body) to `url`; (status, response body).

    Raises aiohttp.ClientError (or TimeoutError) when the target cannot be reached.
    """
    import aiohttp  # imported here: building samples must not need the HTTP client
    from multidict import CIMultiDict

    headers = CIMultiDict(request.headers)
    client_timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT)
    async with (
        aiohttp.ClientSession(timeout=client_timeout, auto_decompress=False) as session,
        session.request(
            request.method,
            url,
            data=request.body,
            headers=headers,
            skip_auto_headers=("User-Agent", "Content-Type", "Accept", "Accept-Encoding"),
            allow_redirects=False,
        ) as response,
    ):
        return response.status, await response.read()
