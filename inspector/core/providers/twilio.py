"""Twilio: form posts with ``AccountSid`` and a message or call sid, or its
``X-Twilio-Signature`` header.
"""

from __future__ import annotations

from inspector.core.models import CapturedRequest, Event
from inspector.core.providers.base import (
    Provider,
    _event,
    _first,
    _has,
    _header,
    _int_text,
    _keys_preview,
    _media_kind,
    _said,
    _who,
)


def is_twilio_form(form: dict[str, str]) -> bool:
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


def _twilio_event(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event:
    if is_twilio_form(form):
        return _twilio_form_event(form, request)
    token = _header(request, "i-twilio-idempotency-token")
    summary = _said("Twilio webhook", _keys_preview(parsed if parsed is not None else form or None))
    return _event("twilio", "webhook", summary, token)


def _from_form(form: dict[str, str], request: CapturedRequest) -> Event | None:
    return _twilio_form_event(form, request) if is_twilio_form(form) else None


def _from_headers(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event | None:
    return _twilio_event(parsed, form, request) if _has(request, "x-twilio-signature") else None


PROVIDER = Provider(
    "twilio",
    "Twilio",
    form=_from_form,
    headers=_from_headers,
    scheme="twilio",
)
