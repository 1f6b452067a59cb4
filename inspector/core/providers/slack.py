"""Slack: Events API and interactivity JSON, slash-command and ``payload`` forms, or its
``X-Slack-Signature`` header.
"""

from __future__ import annotations

from collections.abc import Iterator

from inspector.core.models import CapturedRequest, Event, parse_json
from inspector.core.providers.base import (
    Provider,
    _event,
    _first,
    _has,
    _obj,
    _s,
    _said,
)
from inspector.core.providers.twilio import is_twilio_form

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


def _is_slack(body: dict[str, object]) -> bool:
    keys = body.keys()
    return _s(body, "type") in _SLACK_BODY_TYPES and (
        "team_id" in keys or "token" in keys or "team" in keys
    )


def _events(body: dict[str, object], request: CapturedRequest) -> Iterator[Event]:
    return iter((_slack_event(body, {}, request),))


def _from_form(form: dict[str, str], request: CapturedRequest) -> Event | None:
    if not _is_slack_form(form) or is_twilio_form(form):  # Twilio's forms were tested first
        return None
    return _slack_form_event(form, request)


def _from_headers(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event | None:
    return _slack_event(parsed, form, request) if _has(request, "x-slack-signature") else None


PROVIDER = Provider(
    "slack",
    "Slack",
    shape=_is_slack,
    events=_events,
    form=_from_form,
    headers=_from_headers,
    scheme="slack",
)
