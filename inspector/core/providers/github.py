"""GitHub: told by its ``X-GitHub-Event`` header (JSON or form-encoded ``payload``)."""

from __future__ import annotations

from inspector.core.models import CapturedRequest, Event, parse_json
from inspector.core.providers.base import (
    Provider,
    _event,
    _first,
    _has,
    _header,
    _obj,
    _s,
    _said,
)


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
    event_id = _header(request, "x-github-delivery")
    return _event("github", etype, summary, event_id, repo, login)


def _from_headers(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event | None:
    return _github_event(parsed, form, request) if _has(request, "x-github-event") else None


def _scheme_for(request: CapturedRequest) -> str | None:
    if _has(request, "x-hub-signature") and not _has(request, "x-hub-signature-256"):
        return "github_sha1"
    return "github"


PROVIDER = Provider(
    "github",
    "GitHub",
    headers=_from_headers,
    scheme="github",
    scheme_for=_scheme_for,
    sample_schemes=("github_sha1", "github"),  # it sends both signatures when a secret is set
    deadline=10.0,  # "delivery fails if no response in 10 s" (github.com; GHES says 30 s)
    retries="none: failed deliveries are not redelivered automatically",
)
