"""Sample events ("trigger"): realistic, correctly signed webhooks built from real payloads.

Each provider module (`inspector.core.providers`) lists its samples: a published payload copied
into ``inspector/resources/samples/`` (see the ``SOURCES.md`` there) that gets fresh ids and
timestamps, optional edits (`overrides`), the headers its provider really sends, and a valid
signature made with `signatures.sign_request` with the provider's scheme.

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

import copy
import json
import time
from collections.abc import Mapping

from inspector.core.models import CapturedRequest
from inspector.core.providers import BY_NAME, REGISTRY
from inspector.core.providers.sampling import (
    Clock,
    Json,
    Sample,
    SampleError,
    _compact,
    _get,
    _has_path,
    _load,
    _set,
)
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

_SAMPLES: tuple[Sample, ...] = tuple(sample for p in REGISTRY for sample in p.samples)

DEMO_SECRETS: dict[str, str] = {p.name: p.demo_secret for p in REGISTRY if p.demo_secret}
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


def _typed(old: Json, text: str) -> Json:
    """`text` as the new value of a field that held `old` (see the module docstring)."""
    if isinstance(old, str):
        return text
    try:
        parsed: Json = json.loads(text)
    except ValueError:
        return text
    return parsed


def list_samples() -> list[tuple[str, str, str]]:
    """(provider, event, description) of every sample, in catalogue order."""
    return [(s.provider, s.event, s.description) for s in _SAMPLES]


def sample_info(provider: str, event: str) -> tuple[str, str]:
    """(signature scheme, event type `providers.detect` reports) of a sample."""
    sample = _find(provider, event)
    return SCHEMES[sample.provider], sample.event_type


def _find(provider: str, event: str) -> Sample:
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
    clock = Clock(time.time() if now is None else now)
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
        elif "." not in key and not _has_path(doc, key):
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


def _sign(provider: str, request: CapturedRequest, secret: str, clock: Clock) -> CapturedRequest:
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
