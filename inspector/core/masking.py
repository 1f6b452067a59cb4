"""Mask personal data (phone numbers, names, message text) for exports that leave the machine.

Rules (applied to parsed JSON bodies and to url-encoded form bodies; other bodies are kept):
- in every string value, a run of 8 or more digits keeps its last 4 digits, the rest become
  ``*`` (``16505551234`` → ``*******1234``, ``491511234567@c.us`` → ``********4567@c.us``);
  values of time-like keys (``timestamp``, ``t``, ``time``, ``created``…) are left alone;
- string values of name keys (`NAME_KEYS`, e.g. ``name``, ``pushName``, ``profile.name``) and
  text keys (`TEXT_KEYS`, e.g. ``body``, ``text``, ``caption``) become ``***``.
Meta message ids (``wamid.…``, base64 that embeds the phone number) become
``wamid.masked-<hash>``: the same id masks the same way, so statuses still match their message.
Numbers (JSON ints) are kept: providers send phone numbers as strings. A masked body is
re-encoded, so it is no longer the original bytes: exports mark it ``body_masked``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from inspector.core.models import CapturedRequest, Derived, StoredRequest, parse_json
from inspector.core.providers import MASK, detect

__all__ = [
    "MASK",
    "NAME_KEYS",
    "TEXT_KEYS",
    "mask_body",
    "mask_digits",
    "mask_export_item",
    "mask_json",
    "mask_stored",
]

NAME_KEYS = frozenset(
    {"name", "pushname", "sendername", "chatname", "notifyname", "sendercontactname",
     "from_name", "formatted_name", "first_name", "last_name", "verifiedname", "profilename",
     "user_name"}
)  # fmt: skip
"""Keys (compared case-insensitively) whose string values are names."""
TEXT_KEYS = frozenset({"body", "text", "textmessage", "caption", "conversation"})
"""Keys (compared case-insensitively) whose string values are message text."""
TIME_KEYS = frozenset(
    {"t", "time", "date", "created", "updated", "date_time", "receivedat", "sent_at",
     "created_at", "updated_at"}
)  # fmt: skip

_DIGITS = re.compile(r"\d{8,}")


def mask_digits(text: str) -> str:
    """Runs of 8+ digits keep their last 4: ``16505551234`` → ``*******1234``."""
    return _DIGITS.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], text)


def _is_time_key(key: str) -> bool:
    return key in TIME_KEYS or "timestamp" in key


def _mask_string(key: str | None, value: str) -> str:
    if value.startswith("wamid."):  # base64 that embeds the phone number: replace it whole
        return "wamid.masked-" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:20]
    if key is not None:
        lowered = key.lower()
        if lowered in NAME_KEYS or lowered in TEXT_KEYS:
            return MASK
        if _is_time_key(lowered):
            return value
    return mask_digits(value)


def mask_json(value: object) -> object:
    """A masked deep copy of parsed JSON (iterative: deep input cannot overflow the stack)."""
    if isinstance(value, str):
        return _mask_string(None, value)
    if not isinstance(value, dict | list):
        return value
    root: dict[Any, Any] | list[Any] = {} if isinstance(value, dict) else []
    stack: list[tuple[dict[Any, Any] | list[Any], dict[Any, Any] | list[Any]]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        pairs = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in pairs:
            new: object
            if isinstance(item, str):
                new = _mask_string(key if isinstance(key, str) else None, item)
            elif isinstance(item, dict | list):
                child: dict[Any, Any] | list[Any] = {} if isinstance(item, dict) else []
                stack.append((item, child))
                new = child
            else:
                new = item
            if isinstance(target, dict):
                target[key] = new
            else:
                target.append(new)
    return root


def _mask_form(body: bytes) -> bytes | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    pairs = parse_qsl(text, keep_blank_values=True)
    if not pairs:
        return None
    masked = [(key, _mask_string(key, value)) for key, value in pairs]
    return urlencode(masked).encode("utf-8")


def mask_body(body: bytes, content_type: str = "") -> bytes | None:
    """The body with personal data masked, or None when it is neither JSON nor a form (or
    nothing changed). JSON is re-encoded compactly, keeping non-ASCII as UTF-8."""
    parsed = parse_json(body)
    if parsed is not None:
        try:
            masked = mask_json(parsed)
            if masked == parsed:
                return None
            out = json.dumps(masked, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except (ValueError, RecursionError):
            return None
    elif content_type == "application/x-www-form-urlencoded":
        form = _mask_form(body)
        if form is None:
            return None
        out = form
    else:
        return None
    return None if out == body else out


def mask_stored(stored: StoredRequest) -> tuple[StoredRequest, bool]:
    """(copy with the body masked and the events re-derived from it, whether it changed).

    Provider and signature result are kept; summaries, chats and senders come from the masked
    body, so they hold no unmasked data either.
    """
    request = stored.request
    masked = mask_body(request.body, request.content_type)
    if masked is None:
        return stored, False
    new_request = replace(request, body=masked)
    _, events = detect(new_request)
    derived = Derived(stored.derived.provider, events, stored.derived.verification)
    return replace(stored, request=new_request, derived=derived), True


def _masked_events(request: CapturedRequest) -> list[dict[str, str]]:
    _, events = detect(request)
    return [
        {"provider": e.provider, "type": e.event_type, "summary": e.summary,
         "event_id": e.event_id, "chat": e.chat, "sender": e.sender}
        for e in events
    ]  # fmt: skip


def mask_export_item(data: dict[str, Any]) -> dict[str, Any]:
    """A `formats.Masker`: mask one exported request object (our JSON/NDJSON format).

    The body (text bodies only) is masked and marked ``body_masked``; ``body_size`` and
    ``body_sha256`` still describe the original bytes. Summary and events are re-derived from
    the masked body.
    """
    if data.get("body_encoding") != "utf-8":
        return data
    body = str(data.get("body", "")).encode("utf-8")
    content_type = ""
    for name, value in data.get("headers", []):
        if str(name).lower() == "content-type":
            content_type = str(value).split(";", 1)[0].strip().lower()
            break
    masked = mask_body(body, content_type)
    if masked is None:
        return data
    out = dict(data)
    out["body"] = masked.decode("utf-8")
    out["body_masked"] = True
    headers = tuple((str(k), str(v)) for k, v in data.get("headers", []))
    method, path = str(data.get("method", "POST")), str(data.get("path", "/"))
    request = CapturedRequest(method=method, path=path, headers=headers, body=masked)
    events = _masked_events(request)
    out["events"] = events
    first = events[0]["summary"] if events else ""
    out["summary"] = f"{first} (+{len(events) - 1} more)" if len(events) > 1 else first
    return out
