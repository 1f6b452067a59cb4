"""What every provider module shares: the `Provider` record and helpers for untrusted JSON.

Everything works on untrusted bytes: the parsed JSON may be any JSON value with any field of any
type, so every access goes through the small ``_at``/``_s``/``_obj``/``_list`` helpers that never
raise.

Summaries are single-line plain text (whitespace collapsed, control characters removed, lone
surrogates replaced, at most ``SUMMARY_MAX`` characters ending in "…" when cut). They are not
masked (masking is a view option) but never contain an Evolution ``apikey`` value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from inspector.core.models import CapturedRequest, Event, Step, display_text, parse_json
from inspector.core.providers.sampling import Sample

SUMMARY_MAX = 160
"""Longest summary, in characters (including the closing "…" when cut)."""
MAX_EVENTS = 1000
"""Events listed per request (Meta batches up to 1000); beyond, one ``truncated`` event."""
FORM_PARSE_LIMIT = 1_000_000
"""Form bodies larger than this are not parsed (Twilio/Slack form posts are a few KiB)."""

CREDENTIAL_KEYS = frozenset({"apikey", "api_key", "token", "access_token", "password", "secret"})
"""Keys (compared case-insensitively) whose values ``mask_credentials`` replaces, in every body
whatever its provider (Evolution puts its ``apikey`` in each payload)."""
MASK = "***"

_ID_MAX = 512
_FIELD_MAX = 256
_TYPE_MAX = 120
_TEXT_SNIP = 4 * SUMMARY_MAX
"""Inner text pieces are cut to this before joining, so huge values stay cheap."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

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
    if len(text) <= limit and text.isprintable() and "  " not in text and text == text.strip():
        return text  # already one line (most ids, types and names): nothing to change
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


def _int_text(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


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


def _moment_ms(value: object) -> int | None:
    """A provider timestamp in ms: seconds or ms since the epoch (number or digits), or an ISO
    8601 date-time; None when it is none of these."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 17:
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e16:
        return int(value * 1000) if value < 1e11 else int(value)
    if isinstance(value, str) and 10 <= len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    return None


def _step(
    message_id: str,
    state: str,
    direction: str = "",
    chat: str = "",
    at: object = None,
    text: str = "",
    error: tuple[str, str] = ("", ""),
) -> Step:
    """A lifecycle step with every text cut to size and on one line."""
    return Step(
        message_id=_one_line(message_id, _ID_MAX),
        state=_one_line(state, _TYPE_MAX).lower() or "unknown",
        direction=direction,
        chat=_one_line(chat, _FIELD_MAX),
        at_ms=_moment_ms(at),
        text=_one_line(text, SUMMARY_MAX),
        error_code=_one_line(error[0], _FIELD_MAX),
        error_title=_one_line(error[1], SUMMARY_MAX),
    )


# --------------------------------------------------------------------------------------------
# Credentials


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


# --------------------------------------------------------------------------------------------
# The provider record

BodyEvents = Callable[[dict[str, object], CapturedRequest], Iterable[Event]]
"""The events inside a JSON object body that has the provider's shape."""
FormEvent = Callable[[dict[str, str], CapturedRequest], Event | None]
"""The event of a form body, or None when the form is not this provider's."""
RequestEvent = Callable[[object, dict[str, str], CapturedRequest], Event | None]
Lifecycle = Callable[[dict[str, object]], Iterable[Step]]
"""The message lifecycle steps inside a JSON object body that has the provider's shape."""
"""The event of a request (parsed JSON or None, form fields), or None when it is not this
provider's."""


@dataclass(frozen=True)
class Wrapper:
    """A service that relays a provider's webhooks under its own signature (WAHooks over WAHA).

    Its requests are detected as the provider's and told apart by the signature header."""

    name: str
    header: str
    """The signature header that reveals the wrapper, lower-case."""
    scheme: str
    deadline: float | None = None
    retries: str = ""
    retry_schedule: tuple[float, ...] = ()
    """Documented seconds before each retry (the last one repeats)."""


@dataclass(frozen=True)
class SchemeSpec:
    """A plain HMAC signature scheme a provider declares itself (a custom ``hmac:`` spec).

    The signature registry builds it (`inspector.core.signatures.registry`), so a provider whose
    scheme is a plain HMAC needs no module of its own there."""

    name: str
    title: str
    spec: str
    """A custom scheme spec, e.g. ``hmac:header=X-Sig``."""
    guess: tuple[str, ...] = ()
    """Signature headers (lower-case) that suggest this scheme when no provider is known."""
    guess_rank: int = 100
    """Order among guessed schemes when several headers are present: lower first."""


@dataclass(frozen=True)
class Provider:
    """Everything the inspector knows about one webhook sender.

    Detection runs in phases over the providers in registry order: `body` shapes, then `form`
    bodies, then `headers`, then `fallback` (the first answer wins)."""

    name: str
    title: str
    """The name shown in menus (the samples menu)."""
    short: str = ""
    """A shorter name for filter chips ("" = the title)."""
    shape: Callable[[dict[str, object]], bool] | None = None
    """True when a JSON object body has this provider's documented shape."""
    events: BodyEvents | None = None
    """The events of a body that passed `shape`."""
    form: FormEvent | None = None
    headers: RequestEvent | None = None
    fallback: RequestEvent | None = None
    scheme: str | None = None
    """The signature scheme it signs with (a `signatures.SCHEMES` name); None: unsigned."""
    scheme_for: Callable[[CapturedRequest], str | None] | None = None
    """Picks the scheme from the headers present, when that varies (GitHub's SHA-1 header)."""
    wrappers: tuple[Wrapper, ...] = ()
    own_schemes: tuple[SchemeSpec, ...] = ()
    deadline: float | None = None
    """Seconds it waits for the handler's answer, only where its documentation states it."""
    retries: str = ""
    """Its documented retry schedule, in words ("" when not documented)."""
    statuses: tuple[str, ...] = ()
    """The levels of its message lifecycle in order, where the code knows them."""
    retry_schedule: tuple[float, ...] = ()
    """Its documented seconds before each retry, structured (the last one repeats);
    () when it documents none."""
    lifecycle: Lifecycle | None = None
    """The message lifecycle steps of a body that passed `shape`."""
    error_meanings: tuple[tuple[str, str], ...] = ()
    """(error code, what it means) for failed message statuses, as the provider documents."""
    chip: bool = False
    """Offered as a quick filter chip (the WhatsApp gateways)."""
    samples: tuple[Sample, ...] = ()
    """Its sample events for ``send``, in menu order."""
    demo_secret: str = ""
    """The secret its samples are signed with when none is given (documented in the README)."""
    sample_schemes: tuple[str, ...] = ()
    """Schemes its samples are signed with, in order, when not just `scheme` (GitHub also sends
    the legacy SHA-1 signature)."""

    @property
    def label(self) -> str:
        return self.short or self.title

    def wrapper_for(self, request: CapturedRequest) -> Wrapper | None:
        return next((w for w in self.wrappers if _has(request, w.header)), None)

    def default_scheme(self, request: CapturedRequest) -> str | None:
        """The scheme this provider signs `request` with, given the headers present."""
        wrapper = self.wrapper_for(request)
        if wrapper is not None:
            return wrapper.scheme
        if self.scheme_for is not None:
            return self.scheme_for(request)
        return self.scheme

    def signing_schemes(self) -> tuple[str, ...]:
        """The schemes its samples carry, the main one last."""
        if self.sample_schemes:
            return self.sample_schemes
        return (self.scheme,) if self.scheme else ()
