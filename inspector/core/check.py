"""Check my handler: a conformance run against the user's own webhook endpoint.

`run_checks` sends the handler what its provider really sends (fresh, correctly signed samples
from `inspector.core.samples`) and what an attacker or a bad day sends (forged, unsigned, stale,
re-encoded, duplicated, out of order, unknown, malformed, many at once, large), and grades every
answer: pass, warn or fail, or skipped with the reason when the provider's scheme makes a check
meaningless (no timestamp to make stale, no handshake). Each result explains itself in one
sentence naming what was sent and what came back.

Sending goes through `inspector.core.replay.Replayer` (http/https only, redirects not followed,
bounded response size and time). Every request sent and every answer is handed to a `Recorder`
(the service stores each request with source "check" and its answer as an attempt of kind
"check"), so each can be opened in the app afterwards. The secret is used to sign, never shown.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from yarl import URL

from inspector.core.bodies import format_size
from inspector.core.config import Settings
from inspector.core.models import CHECK, CapturedRequest, ReplayAttempt
from inspector.core.providers import BY_NAME, Provider, answer_deadline
from inspector.core.providers.sampling import _compact, _get
from inspector.core.replay import DEFAULT_MAX_RESPONSE, Outgoing, Replayer, check_target, prepare
from inspector.core.samples import DEMO_SECRETS, build_sample
from inspector.core.signatures import get_scheme, sign_request

__all__ = [
    "CHECKS",
    "DEFAULT_BURST",
    "DEFAULT_DEADLINE",
    "FAIL",
    "PASS",
    "SKIPPED",
    "WARN",
    "CheckPlan",
    "CheckResult",
    "Recorder",
    "checkable_providers",
    "configured_secret",
    "junit_xml",
    "make_plan",
    "run_checks",
]

PASS, WARN, FAIL, SKIPPED = "pass", "warn", "fail", "skipped"
DEFAULT_DEADLINE = 5.0
"""Seconds we allow for an answer when the provider documents no deadline (labelled as ours)."""
DEFAULT_BURST = 50
LARGE_BODY = 1024 * 1024
"""The large payload check's body is at least this: a 1 MiB media message."""
UNKNOWN_TYPE = "inspector_check_unknown_event"
MALFORMED = b'{"event": "inspector.check", "data": {"id": "malformed", '

CHECKS: tuple[tuple[str, str], ...] = (
    ("valid", "Valid event"),
    ("forged", "Forged signature"),
    ("unsigned", "Missing signature header"),
    ("stale", "Stale timestamp"),
    ("raw-bytes", "Raw bytes, not re-serialised"),
    ("duplicate", "Duplicate delivery"),
    ("out-of-order", "Out-of-order statuses"),
    ("unknown-event", "Unknown event type"),
    ("malformed-json", "Malformed JSON"),
    ("burst", "Burst"),
    ("large", "Large payload"),
    ("handshake", "Meta handshake"),
)
"""Every check, in the order it runs: (key, title)."""
TITLES = dict(CHECKS)

# Where each provider's samples name their event type (a header for GitHub).
_EVENT_FIELD = {
    "meta": "entry.0.changes.0.field", "waha": "event", "vesper": "type", "wsapi": "eventType",
    "stripe": "type", "standard": "type",
}  # fmt: skip
_EVENT_HEADER = {"github": "X-GitHub-Event"}
# Two status updates of one message, the later one first: (event, overrides) each, and the path
# of the message id they share.
_STATUS_PAIRS: dict[str, tuple[tuple[tuple[str, dict[str, str]], ...], str]] = {
    "meta": (
        (("status.read", {}), ("status.delivered", {})),
        "entry.0.changes.0.value.statuses.0.id",
    ),
    "waha": (
        (("message.ack", {"payload.ack": "3", "payload.ackName": "READ"}),
         ("message.ack", {"payload.ack": "2", "payload.ackName": "DEVICE"})),
        "payload.id",
    ),
}  # fmt: skip
# Where a large base64 media attachment goes in the provider's first sample ("" = top level).
_MEDIA_FIELD = {"meta": "entry.0.changes.0.value.messages.0", "waha": "payload"}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check."""

    key: str
    grade: str
    """pass, warn, fail or skipped."""
    message: str
    """One sentence: what was sent, what came back and what it means (or why skipped)."""
    request_ids: tuple[int, ...] = ()
    """The stored requests this check sent (source "check"), when recorded."""
    latency_ms: float | None = None
    """The slowest answer of the check (the p99 for the burst)."""

    @property
    def title(self) -> str:
        return TITLES.get(self.key, self.key)

    @property
    def failed(self) -> bool:
        return self.grade == FAIL

    def line(self) -> str:
        """`PASS    Valid event: sent …` on one line (whitespace in the message collapsed)."""
        return f"{self.grade.upper():<7} {self.title}: {' '.join(self.message.split())}"

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.key, "title": self.title, "grade": self.grade,
            "message": self.message, "latency_ms": self.latency_ms,
            "request_ids": list(self.request_ids),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class CheckPlan:
    """What to check and how; build it with `make_plan` (which validates everything)."""

    target: str
    provider: Provider
    secret: str = field(repr=False)
    verify_token: str = field(default="", repr=False)
    burst: int = DEFAULT_BURST
    deadline: float = DEFAULT_DEADLINE
    deadline_text: str = ""
    """E.g. "waha gives up after 15 s" or "5 s is our default: meta documents no deadline"."""
    timeout: float = 2 * DEFAULT_DEADLINE
    """How long one request may take before it counts as a hang."""


Recorder = Callable[[Sequence[tuple[CapturedRequest, ReplayAttempt]]], Awaitable[Sequence[int]]]
"""Stores (request sent, attempt) pairs; returns the stored request ids in order."""


def checkable_providers() -> tuple[str, ...]:
    """Providers a check can run for: those with signed samples."""
    return tuple(name for name, provider in BY_NAME.items() if provider.samples)


def make_plan(
    target: str,
    provider: str,
    secret: str = "",
    *,
    verify_token: str = "",
    burst: int = DEFAULT_BURST,
    deadline: float | None = None,
    timeout: float | None = None,
) -> CheckPlan:
    """A validated plan; ValueError in plain words for a bad URL, provider or burst.

    `secret` defaults to the provider's demo secret; `deadline` (seconds) overrides the
    provider's documented one (tests use small ones); `timeout` (default twice the deadline)
    is how long one request may take before it counts as a hang."""
    url = check_target(target)
    found = BY_NAME.get(provider.strip().lower())
    if found is None or not found.samples:
        known = ", ".join(checkable_providers())
        raise ValueError(f"cannot check provider {provider!r}: choose one of {known}")
    if not 1 <= burst <= 1000:
        raise ValueError(f"--burst must be between 1 and 1000 (got {burst})")
    if deadline is not None and not 0 < deadline <= 600:
        raise ValueError(f"the deadline must be between 0 and 600 s (got {deadline})")
    limit, text = _deadline(found, deadline)
    return CheckPlan(
        target=str(url), provider=found, secret=secret or DEMO_SECRETS.get(found.name, ""),
        verify_token=verify_token, burst=burst, deadline=limit, deadline_text=text,
        timeout=timeout if timeout is not None else 2 * limit,
    )  # fmt: skip


def _deadline(provider: Provider, given: float | None) -> tuple[float, str]:
    if given is not None:
        return given, f"the deadline is {_secs(given)} (given)"
    found = answer_deadline(provider.name, provider.scheme or "")
    if found is not None:
        return found[1], f"{found[0]} gives up after {_secs(found[1])}"
    return DEFAULT_DEADLINE, (
        f"{_secs(DEFAULT_DEADLINE)} is our default: {provider.name} documents no deadline"
    )


async def run_checks(
    plan: CheckPlan,
    *,
    record: Recorder | None = None,
    max_response: int = DEFAULT_MAX_RESPONSE,
) -> AsyncIterator[CheckResult]:
    """Run every check in order and yield each result as soon as it is known."""
    replayer = Replayer(
        connect_timeout=min(5.0, plan.timeout), timeout=plan.timeout, max_response=max_response,
        connections=max(100, plan.burst),
    )  # fmt: skip
    run = _Run(plan, replayer, record)
    try:
        for key, _ in CHECKS:
            if run.unreachable:
                yield CheckResult(key, SKIPPED, f"skipped: {run.unreachable}")
                continue
            yield await run.check(key)
    finally:
        await replayer.close()


# --- one run ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Graded:
    grade: str
    message: str
    latency_ms: float | None = None


class _Run:
    def __init__(self, plan: CheckPlan, replayer: Replayer, record: Recorder | None) -> None:
        self.plan = plan
        self.provider = plan.provider
        self.replayer = replayer
        self.record = record
        self.url = URL(plan.target, encoded=True)
        self.sent: list[tuple[CapturedRequest, ReplayAttempt]] = []
        self.unreachable = ""
        self.first_event = plan.provider.samples[0].event

    async def check(self, key: str) -> CheckResult:
        method: Callable[[], Awaitable[_Graded]] = getattr(self, "_" + key.replace("-", "_"))
        self.sent = []
        graded = await method()
        ids = await self._flush()
        return CheckResult(key, graded.grade, graded.message, ids, graded.latency_ms)

    async def _flush(self) -> tuple[int, ...]:
        if self.record is None or not self.sent:
            return ()
        return tuple(await self.record(self.sent))

    # building requests

    @property
    def scheme(self) -> str | None:
        return self.provider.scheme

    def sample(self, event: str | None = None, overrides: dict[str, str] | None = None,
               ) -> CapturedRequest:  # fmt: skip
        """A fresh sample aimed at the target (its path and query, its Host)."""
        request = build_sample(
            self.provider.name, event or self.first_event, secret=self.plan.secret,
            overrides=overrides,
        )  # fmt: skip
        host = self.url.host_port_subcomponent or self.url.raw_host or ""
        headers = (("Host", host), *((n, v) for n, v in request.headers if n.lower() != "host"))
        return self.signed(replace(
            request, path=self.url.raw_path or "/", query=self.url.raw_query_string,
            headers=headers, scheme=self.url.scheme,
        ))  # fmt: skip

    def signed(self, request: CapturedRequest, *, wrong: bool = False,
               now: float | None = None) -> CapturedRequest:  # fmt: skip
        for scheme in self.provider.signing_schemes():
            request = sign_request(request, scheme, self.plan.secret, now=now, wrong=wrong)
        return request

    def with_body(self, request: CapturedRequest, body: bytes) -> CapturedRequest:
        return self.signed(replace(request, body=body))

    def dump(self, doc: object) -> bytes:
        sample = next(s for s in self.provider.samples if s.event == self.first_event)
        return (sample.dump or _compact)(doc)

    # sending

    async def send(self, request: CapturedRequest) -> ReplayAttempt:
        outgoing = prepare(request, self.plan.target)
        return await self.send_outgoing(outgoing)

    async def send_outgoing(self, outgoing: Outgoing) -> ReplayAttempt:
        attempt = await self.replayer.send_prepared(0, outgoing, kind=CHECK)
        self.sent.append((_stored_form(outgoing, attempt), attempt))
        return attempt

    # the checks

    async def _valid(self) -> _Graded:
        attempt = await self.send(self.sample())
        sent = f"sent a correctly signed {self.first_event} event"
        if attempt.error is not None and _unreachable(attempt.error):
            self.unreachable = "the handler could not be reached (see Valid event)"
        graded = self.in_time(attempt, sent)
        if graded is not None:
            return graded
        if attempt.status in (401, 403):
            return self.fail(attempt, sent, "your handler rejects valid signatures (is it "
                             "verifying with the same secret?)")  # fmt: skip
        return self.fail(attempt, sent, "expected a 2xx")

    def in_time(self, attempt: ReplayAttempt, sent: str) -> _Graded | None:
        """Pass when 2xx within the deadline; fail when 2xx too late; None otherwise."""
        if not _ok(attempt):
            return None
        if (attempt.latency_ms or 0) > self.plan.deadline * 1000:
            return self.fail(attempt, sent, f"too slow: {self.plan.deadline_text} (acknowledge "
                             "first, process later)")  # fmt: skip
        return _Graded(PASS, f"{sent}; {_got(attempt)}", attempt.latency_ms)

    async def _forged(self) -> _Graded:
        if self.scheme is None:
            return self.unsigned_provider()
        attempt = await self.send(self.signed(self.sample(), wrong=True))
        sent = f"sent a {self.scheme} signature made with the wrong secret"
        if attempt.status in (401, 403) and attempt.error is None:
            return self.passed(attempt, sent)
        if _client_error(attempt):
            return self.warn(attempt, sent, "rejected, but 401 or 403 would say why")
        if _ok(attempt):
            return self.fail(attempt, sent, "your handler accepts forged webhooks")
        return self.fail(attempt, sent, "expected 401 or 403")

    async def _unsigned(self) -> _Graded:
        if self.scheme is None:
            return self.unsigned_provider()
        names = {get_scheme(s).headers[0] for s in self.provider.signing_schemes()}
        request = self.sample()
        request = replace(request, headers=tuple(
            h for h in request.headers if h[0].lower() not in names
        ))  # fmt: skip
        attempt = await self.send(request)
        shown = ", ".join(sorted(names))
        sent = f"sent a {self.first_event} event without its signature header ({shown})"
        if _client_error(attempt):
            return self.passed(attempt, sent)
        if _ok(attempt):
            return self.fail(attempt, sent, "your handler accepts webhooks without a signature")
        return self.fail(attempt, sent, "expected a 4xx")

    async def _stale(self) -> _Graded:
        tolerance = getattr(get_scheme(self.scheme), "tolerance", None) if self.scheme else None
        if tolerance is None:
            name = self.scheme or self.provider.name
            return _Graded(SKIPPED, f"skipped: {name} signatures carry no timestamp")
        age = int(tolerance) + 600
        request = self.signed(self.sample(), now=time.time() - age)
        attempt = await self.send(request)
        sent = f"sent a correct signature over a timestamp {age // 60} min old"
        if _client_error(attempt):
            return self.passed(attempt, sent)
        if _ok(attempt):
            return self.fail(attempt, sent, "your handler accepts stale timestamps, so a "
                             f"captured webhook can be replayed later (the limit is "
                             f"{tolerance} s)")  # fmt: skip
        return self.fail(attempt, sent, "expected a 4xx")

    async def _raw_bytes(self) -> _Graded:
        if self.scheme is None:
            return self.unsigned_provider()
        request = self.sample()
        doc = json.loads(request.body)
        attempt = await self.send(self.with_body(request, odd_json(doc).encode("ascii")))
        sent = ("sent a correctly signed body written with \\u00e9-style escapes, \\/ and "
                "unusual spacing")  # fmt: skip
        if _ok(attempt):
            return self.passed(attempt, sent)
        if attempt.status in (401, 403) and attempt.error is None:
            return self.fail(attempt, sent, "your handler verifies a re-serialised body "
                             "(JSON.stringify(req.body), json.dumps(parsed) or similar) instead "
                             "of the raw bytes received")  # fmt: skip
        return self.fail(attempt, sent, "expected a 2xx (the same event, written differently)")

    async def _duplicate(self) -> _Graded:
        outgoing = prepare(self.sample(), self.plan.target)
        first = await self.send_outgoing(outgoing)
        second = await self.send_outgoing(outgoing)
        sent = f"sent the same {self.first_event} event twice"
        slowest = _slowest(first, second)
        got = f"got {_short(first)}, then {_short(second)}"
        if _ok(first) and _ok(second):
            return _Graded(PASS, f"{sent}; {got}", slowest)
        if _ok(first):
            return _Graded(FAIL, f"{sent}; {got}: a 4xx or 5xx to a duplicate makes "
                           f"{self.provider.name} send it again; acknowledge it with a 2xx",
                           slowest)  # fmt: skip
        return _Graded(FAIL, f"{sent}; {got}: expected 2xx both times", slowest)

    async def _out_of_order(self) -> _Graded:
        pair = _STATUS_PAIRS.get(self.provider.name)
        if pair is None:
            return _Graded(SKIPPED, f"skipped: no message status samples for "
                           f"{self.provider.name}")  # fmt: skip
        (first_event, first_set), (second_event, second_set) = pair[0]
        first = self.sample(first_event, first_set)
        message_id = str(_get(json.loads(first.body), pair[1]))
        second = self.sample(second_event, {**second_set, pair[1]: message_id})
        a1 = await self.send(first)
        a2 = await self.send(second)
        sent = "sent a read status, then the delivered status of the same message"
        got = f"got {_short(a1)}, then {_short(a2)}"
        if _ok(a1) and _ok(a2):
            return _Graded(PASS, f"{sent}; {got}", _slowest(a1, a2))
        return _Graded(FAIL, f"{sent}; {got}: statuses arrive out of order, expected 2xx both "
                       "times", _slowest(a1, a2))  # fmt: skip

    async def _unknown_event(self) -> _Graded:
        request = self.sample()
        name = self.provider.name
        if name in _EVENT_HEADER:
            header = _EVENT_HEADER[name]
            request = self.signed(replace(request, headers=tuple(
                (n, UNKNOWN_TYPE if n.lower() == header.lower() else v)
                for n, v in request.headers
            )))  # fmt: skip
        elif name in _EVENT_FIELD:
            doc = json.loads(request.body)
            _set_path(doc, _EVENT_FIELD[name], UNKNOWN_TYPE)
            request = self.with_body(request, self.dump(doc))
        else:
            return _Graded(SKIPPED, f"skipped: the event type field of {name} is not known")
        attempt = await self.send(request)
        sent = f"sent a correctly signed event of type {UNKNOWN_TYPE!r}"
        if _ok(attempt) or _client_error(attempt):
            return self.passed(attempt, sent)
        return self.fail(attempt, sent, "your handler fails on events it does not know; "
                         "ignore them with a 2xx")  # fmt: skip

    async def _malformed_json(self) -> _Graded:
        attempt = await self.send(self.with_body(self.sample(), MALFORMED))
        sent = "sent correctly signed malformed JSON"
        if _client_error(attempt):
            return self.passed(attempt, sent)
        if _ok(attempt):
            return self.warn(attempt, sent, "accepted; a 400 tells the sender it is broken")
        if attempt.error is not None and attempt.status is None and "no answer" in attempt.error:
            return self.fail(attempt, sent, "your handler hangs on malformed JSON")
        return self.fail(attempt, sent, "expected a 4xx (never a 5xx)")

    async def _burst(self) -> _Graded:
        count = self.plan.burst
        outgoing = [prepare(self.sample(), self.plan.target) for _ in range(count)]
        attempts = await asyncio.gather(*(self.send_outgoing(o) for o in outgoing))
        bad = [a for a in attempts if not _ok(a)]
        p99 = _percentile([a.latency_ms or 0.0 for a in attempts], 99)
        sent = f"sent {count} valid events at once"
        if bad:
            return _Graded(FAIL, f"{sent}; {len(bad)} did not get a 2xx (first: "
                           f"{_short(bad[0])})", p99)  # fmt: skip
        if p99 > self.plan.deadline * 1000:
            return _Graded(FAIL, f"{sent}; all 2xx, but p99 {_ms(p99)}: too slow: "
                           f"{self.plan.deadline_text} (acknowledge first, process later)",
                           p99)  # fmt: skip
        return _Graded(PASS, f"{sent}; all answered 2xx, p99 {_ms(p99)}", p99)

    async def _large(self) -> _Graded:
        request = self.sample()
        doc = json.loads(request.body)
        media = {"mimetype": "image/jpeg", "filename": "check.jpg", "data": ""}
        path = _MEDIA_FIELD.get(self.provider.name, "")
        parent = _get(doc, path) if path else doc
        if isinstance(parent, dict):
            parent["media"] = media
        room = LARGE_BODY - len(self.dump(doc))  # base64 text to reach 1 MiB in all
        media["data"] = base64.b64encode(secrets.token_bytes(-(-room // 4) * 3)).decode("ascii")
        request = self.with_body(request, self.dump(doc))
        attempt = await self.send(request)
        sent = f"sent a {format_size(len(request.body))} event with base64 media"
        graded = self.in_time(attempt, sent)
        if graded is not None:
            return graded
        if attempt.status == 413:
            return self.fail(attempt, sent, "your handler refuses bodies this large; media "
                             "messages with base64 data reach this size")  # fmt: skip
        return self.fail(attempt, sent, "expected a 2xx")

    async def _handshake(self) -> _Graded:
        if self.provider.name != "meta":
            return _Graded(SKIPPED, f"skipped: {self.provider.name} has no verification "
                           "handshake")  # fmt: skip
        token = self.plan.verify_token
        if not token:
            return _Graded(SKIPPED, "skipped: give the verify token to check Meta's handshake")
        challenge = str(secrets.randbelow(9 * 10**9) + 10**9)
        right = await self.send(self.handshake(token, challenge))
        wrong = await self.send(self.handshake("wrong-" + token, challenge))
        slowest = _slowest(right, wrong)
        sent = "sent the subscribe GET with the right verify token"
        if not (_ok(right) and right.status == 200) or right.response_body != challenge.encode():
            return _Graded(FAIL, f"{sent} and challenge {challenge}; {_got(right)}: expected "
                           "200 with the challenge echoed byte for byte", slowest)  # fmt: skip
        if wrong.status != 403 or wrong.error is not None:
            return _Graded(FAIL, f"right token: 200 with the challenge; wrong token: "
                           f"{_short(wrong)}: expected 403", slowest)  # fmt: skip
        return _Graded(PASS, "right token: 200 with the challenge echoed; wrong token: 403",
                       slowest)  # fmt: skip

    def handshake(self, token: str, challenge: str) -> CapturedRequest:
        from urllib.parse import urlencode

        query = urlencode({"hub.mode": "subscribe", "hub.verify_token": token,
                           "hub.challenge": challenge})  # fmt: skip
        own = self.url.raw_query_string
        host = self.url.host_port_subcomponent or self.url.raw_host or ""
        return CapturedRequest(
            "GET", self.url.raw_path or "/", f"{own}&{query}" if own else query,
            headers=(("Host", host), ("User-Agent", "facebookplatform/1.0")),
        )  # fmt: skip

    # grading helpers

    def unsigned_provider(self) -> _Graded:
        return _Graded(SKIPPED, f"skipped: {self.provider.name} does not sign its webhooks")

    def passed(self, attempt: ReplayAttempt, sent: str) -> _Graded:
        return _Graded(PASS, f"{sent}; {_got(attempt)}", attempt.latency_ms)

    def warn(self, attempt: ReplayAttempt, sent: str, meaning: str) -> _Graded:
        return _Graded(WARN, f"{sent}; {_got(attempt)}: {meaning}", attempt.latency_ms)

    def fail(self, attempt: ReplayAttempt, sent: str, meaning: str) -> _Graded:
        return _Graded(FAIL, f"{sent}; {_got(attempt)}: {meaning}", attempt.latency_ms)


# --- helpers ----------------------------------------------------------------------------------


def _stored_form(outgoing: Outgoing, attempt: ReplayAttempt) -> CapturedRequest:
    """The request as it went out, to be stored with source "check"."""
    url = URL(outgoing.url, encoded=True)
    return CapturedRequest(
        method=outgoing.method, path=url.raw_path or "/", query=url.raw_query_string,
        headers=attempt.sent_headers or outgoing.headers, body=outgoing.body,
        received_at_ns=attempt.started_at_ns, source=CHECK, scheme=url.scheme,
    )  # fmt: skip


def _ok(attempt: ReplayAttempt) -> bool:
    return attempt.error is None and attempt.status is not None and 200 <= attempt.status < 300


def _client_error(attempt: ReplayAttempt) -> bool:
    return attempt.error is None and attempt.status is not None and 400 <= attempt.status < 500


def _unreachable(error: str) -> bool:
    return error.startswith(("connection refused", "cannot resolve", "cannot connect",
                             "could not connect"))  # fmt: skip


def _secs(value: float) -> str:
    return f"{value:g} s"


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.1f} s"


def _short(attempt: ReplayAttempt) -> str:
    if attempt.error is not None:
        return attempt.error
    return f"{attempt.status}"


def _got(attempt: ReplayAttempt) -> str:
    """What came back: 'answered 200 in 12 ms' or the error in plain words."""
    if attempt.error is not None:
        return f"got {attempt.error}"
    took = _ms(attempt.latency_ms) if attempt.latency_ms is not None else "?"
    return f"answered {attempt.status} in {took}"


def _slowest(*attempts: ReplayAttempt) -> float | None:
    values = [a.latency_ms for a in attempts if a.latency_ms is not None]
    return max(values) if values else None


def _percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = max(0, math.ceil(pct / 100 * len(ordered)) - 1)
    return ordered[index]


def _set_path(doc: object, path: str, value: object) -> None:
    parent_path, _, last = path.rpartition(".")
    parent = _get(doc, parent_path) if parent_path else doc
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        parent[int(last)] = value


def odd_json(value: object) -> str:
    """The same JSON value written as no serialiser writes it by default: every "e", "/" and
    non-ASCII character escaped (\\u0065, \\/, \\u00e9) and spaces around every separator."""
    if isinstance(value, dict):
        items = [f"{_odd_string(str(k))} :  {odd_json(v)}" for k, v in value.items()]
        return "{ " + " ,  ".join(items) + " }"
    if isinstance(value, list):
        return "[ " + " ,  ".join(odd_json(v) for v in value) + " ]"
    if isinstance(value, str):
        return _odd_string(value)
    return json.dumps(value)


def _odd_string(text: str) -> str:
    out = []
    for char in text:
        if char == "/":
            out.append("\\/")
        elif char == "e" or ord(char) > 126:
            out.append(json.dumps(char, ensure_ascii=True)[1:-1] if ord(char) > 0xFFFF
                       else f"\\u{ord(char):04x}")  # fmt: skip
        else:
            out.append(json.dumps(char)[1:-1])
    return '"' + "".join(out) + '"'


def junit_xml(results: Sequence[CheckResult], plan: CheckPlan) -> str:
    """A JUnit XML report: one testcase per check (warnings pass, with the warning as output)."""
    from xml.etree import ElementTree as ET

    failures = sum(r.grade == FAIL for r in results)
    skipped = sum(r.grade == SKIPPED for r in results)
    total = sum((r.latency_ms or 0.0) for r in results) / 1000
    suite = ET.Element("testsuite", {
        "name": f"webhook-inspector check {plan.provider.name}", "tests": str(len(results)),
        "failures": str(failures), "errors": "0", "skipped": str(skipped),
        "time": f"{total:.3f}",
    })  # fmt: skip
    for result in results:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"webhook-inspector.check.{plan.provider.name}", "name": result.title,
            "time": f"{(result.latency_ms or 0.0) / 1000:.3f}",
        })  # fmt: skip
        if result.grade == FAIL:
            ET.SubElement(case, "failure", {"message": result.message}).text = result.message
        elif result.grade == SKIPPED:
            ET.SubElement(case, "skipped", {"message": result.message})
        elif result.grade == WARN:
            ET.SubElement(case, "system-out").text = f"WARNING: {result.message}"
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def configured_secret(settings: Settings, provider: str) -> str:
    """The secret of the settings' first rule for `provider` (by provider, else by its signature
    scheme), or "" when there is none."""
    found = BY_NAME.get(provider)
    rules = [r for r in settings.secrets if r.provider == provider]
    if found is not None and found.scheme:
        rules += [r for r in settings.secrets if r.provider is None and r.scheme == found.scheme]
    return rules[0].secret if rules else ""
