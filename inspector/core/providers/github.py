"""GitHub: told by its ``X-GitHub-Event`` header (JSON or form-encoded ``payload``)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable

from inspector.core.models import CapturedRequest, Event, Header, parse_json
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
from inspector.core.providers.sampling import (
    Clock,
    Json,
    Sample,
    _compact,
    _hex,
    _setter,
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


def _from_headers(parsed: object, form: dict[str, str], request: CapturedRequest) -> Event | None:
    return _github_event(parsed, form, request) if _has(request, "x-github-event") else None


def _scheme_for(request: CapturedRequest) -> str | None:
    if _has(request, "x-hub-signature") and not _has(request, "x-hub-signature-256"):
        return "github_sha1"
    return "github"


# Samples for ``send`` ----------------------------------------------------------------------

GITHUB_HOOKSHOT = "GitHub-Hookshot/5f3c2a1"


def _github_push_fresh(doc: Json, clock: Clock) -> None:
    doc["before"], doc["after"] = _hex(20), _hex(20)


def _github_ping_fresh(doc: Json, clock: Clock) -> None:
    hook_id = secrets.randbelow(9 * 10**8) + 10**8
    doc["hook_id"] = hook_id
    doc["hook"]["id"] = hook_id


def _github_headers(event: str) -> Callable[[Json, Clock], list[Header]]:
    def headers(doc: Json, clock: Clock) -> list[Header]:
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


SAMPLES: tuple[Sample, ...] = (
    Sample("github", "push", "GitHub: push to main", "synthetic_github_push.json",
            _github_push_fresh, event_type="push", headers=_github_headers("push"),
            dump=_compact),
    Sample("github", "ping", "GitHub: ping after a webhook is created",
            "synthetic_github_ping.json", _github_ping_fresh, event_type="ping",
            friendly={"text": _setter("zen")}, headers=_github_headers("ping"), dump=_compact),
)  # fmt: skip


PROVIDER = Provider(
    "github",
    "GitHub",
    samples=SAMPLES,
    demo_secret="demo-github-webhook-secret",
    headers=_from_headers,
    scheme="github",
    scheme_for=_scheme_for,
    sample_schemes=("github_sha1", "github"),  # it sends both signatures when a secret is set
    deadline=10.0,  # "delivery fails if no response in 10 s" (github.com; GHES says 30 s)
    retries="none: failed deliveries are not redelivered automatically",
)
