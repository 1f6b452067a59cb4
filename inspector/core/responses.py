"""Response rules: which requests get which answer, including answers that make a provider retry.

A rule is written ``FILTER=STEP,STEP,...``:

- FILTER is the filter language of the filter bar (`core.filters`), evaluated on the request
  while it is being answered. Empty: every request. At answer time these fields are known:
  method, path, provider, event, from, chat, summary, size, source, has:header:NAME, has:body
  and free text (a case-insensitive substring of path, headers or body). The signature, our
  status, the id and the time are not known yet: using them is an error.
- The steps are a sequence *per event id* (the ids of the request's logical events, or the
  SHA-256 of its body when it has none): the first delivery of an event gets the first step,
  its next delivery the second, and so on; the last step repeats. Steps:

  ``500``                   answer that status (with the rule's headers and body)
  ``429:retry-after=30``    ... with a ``Retry-After: 30`` header
  ``200:delay=2s``          ... after 2 seconds (``ms``, ``s`` or ``m``; seconds by default)
  ``delay:2s``              the rule's own status, after 2 seconds
  ``hold``                  hold the connection past the provider's answer deadline, then close
                            it without an answer (``hold:20s``: hold that long)
  ``close``                 close the connection without an answer

Every request is stored before it is answered (a 2xx still means stored); what we answered is
stored with it: the status, or a note such as "closed without answer" (status empty).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from multidict import CIMultiDict

from inspector.core import providers
from inspector.core.answers import (
    CLOSE,
    HOLD,
    RuleError,
    Step,
    split_rule,
)
from inspector.core.config import ResponseRule
from inspector.core.filters import And, FilterError, Node, Not, Or, Term, parse
from inspector.core.filters import _size as size_sql
from inspector.core.models import CapturedRequest, Event, Header, ResponseSpec, display_text

ANSWER_NOTE = ":answer"
"""Name of the pseudo-header stored with a request we did not answer (never sent: a name
starting with ':' is not a valid HTTP/1.1 header name); its value says what happened."""
HOLD_MARGIN = 1.0
"""`hold` keeps the connection this many seconds past the provider's deadline."""
HOLD_UNKNOWN = 30.0
"""`hold` without a documented provider deadline holds this long."""
COUNTS_EVERY = 0.25
"""Seconds between ResponseCounts events while rules match."""
EVENTS_KEPT = 10_000
"""Event ids remembered per rule (the oldest are forgotten first)."""
TALLY_RECENT = 10
"""Event ids listed in a Tally (the latest ones)."""
OUTAGE = ResponseSpec(
    503, (("Content-Type", "application/json"), ("Retry-After", "60")),
    b'{"error":"simulated outage"}',
)  # fmt: skip
"""What "Simulate an outage" answers to every request."""

DETECTED_FIELDS = frozenset({"provider", "event", "from", "chat", "summary"})
UNKNOWN_YET = {
    "sig": "the signature is checked after the request is stored",
    "status": "our answer is what the rule decides",
    "id": "the id is given when the request is stored",
    "is": "duplicates are found after the request is stored",
    "after": "every request is received now",
    "before": "every request is received now",
}


# --- matching: the filter language on a live request ----------------------------------------


@dataclass(slots=True)
class Facts:
    """What a rule can look at, with provider detection run only when a term needs it."""

    request: CapturedRequest
    _detected: tuple[str, tuple[Event, ...]] | None = None

    @property
    def detected(self) -> tuple[str, tuple[Event, ...]]:
        if self._detected is None:
            self._detected = providers.detect(self.request)
        return self._detected

    @property
    def provider(self) -> str:
        return self.detected[0]

    @property
    def events(self) -> tuple[Event, ...]:
        return self.detected[1]

    def event_key(self) -> str:
        """The request's event ids joined, or its body's SHA-256 when it has none."""
        ids = [event.event_id for event in self.events if event.event_id]
        return "\n".join(ids) if ids else "sha256:" + hashlib.sha256(self.request.body).hexdigest()


Predicate = Callable[[Facts], bool]


@dataclass(frozen=True, slots=True)
class Matcher:
    """A compiled rule filter: `test(facts)`; `detects` when a term needs provider detection."""

    test: Predicate
    detects: bool


def _glob(pattern: str) -> re.Pattern[str]:
    """SQLite GLOB semantics as the filter uses them: `*` and `?`, '[' literal."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def _text_or_glob(value: str) -> Callable[[str], bool]:
    if "*" in value or "?" in value:
        pattern = _glob(value)
        return lambda text: pattern.fullmatch(text) is not None
    return lambda text: text == value


def _path_test(value: str) -> Predicate:
    if "*" in value or "?" in value:
        pattern = _glob(value)
        return lambda f: pattern.fullmatch(f.request.path) is not None
    return lambda f: f.request.path.startswith(value)


def _event_test(value: str) -> Predicate:
    value = value.lower()
    if "*" in value or "?" in value:
        pattern = _glob(value)
        return lambda f: any(pattern.fullmatch(e.event_type.lower()) for e in f.events)
    prefix = value + "."
    return lambda f: any(
        e.event_type.lower() == value or e.event_type.lower().startswith(prefix) for e in f.events
    )


def _party_test(term: Term) -> Predicate:
    value = term.value
    if re.fullmatch(r"\+?[\d\s().-]*\d[\d\s().-]*", value):
        value = re.sub(r"\D", "", value)
    value = value.lower()  # LIKE in the filter bar ignores ASCII case
    if term.field == "chat":
        return lambda f: any(value in e.chat.lower() for e in f.events)
    return lambda f: any(value in e.sender.lower() or value in e.chat.lower() for e in f.events)


def _has_test(term: Term) -> Predicate:
    value = term.value.lower()
    if value == "body":
        return lambda f: bool(f.request.body)
    if value.startswith("header:") and len(value) > len("header:"):
        name = _text_or_glob(value[len("header:") :])
        return lambda f: any(name(k.lower()) for k, _ in f.request.headers)
    raise RuleError(f"'{term.label}{term.value}' is not usable in a rule: use has:header:NAME "
                    "or has:body")  # fmt: skip


def _size_test(term: Term) -> Predicate:
    try:
        _, [limit] = size_sql(term, 0)  # the size syntax of the filter language
    except FilterError as exc:
        raise RuleError(exc.message) from None
    ops: dict[str, Callable[[int, int], bool]] = {
        ":": int.__eq__, "=": int.__eq__, "!=": int.__ne__, ">": int.__gt__, ">=": int.__ge__,
        "<": int.__lt__, "<=": int.__le__,
    }  # fmt: skip
    compare, bound = ops[term.op], int(str(limit))
    return lambda f: compare(len(f.request.body), bound)


def _free_text(value: str) -> Predicate:
    wanted = value.lower()

    def test(f: Facts) -> bool:
        request = f.request
        if wanted in request.path.lower():
            return True
        if any(wanted in display_text(f"{k}: {v}").lower() for k, v in request.headers):
            return True
        return wanted in request.body.decode("utf-8", "replace").lower()

    return test


def _term_test(term: Term) -> Predicate:
    name = term.field
    if not name:
        return _free_text(term.value)
    if name in UNKNOWN_YET:
        raise RuleError(f"'{name}:' cannot be used in a rule: {UNKNOWN_YET[name]}")
    if not term.value:
        raise RuleError(f"expected a value after '{term.label}'")
    if name != "size" and term.op not in (":", "=", "!="):
        raise RuleError(f"'{term.op}' does not apply to '{name}'; use ':'")
    test = _field_test(term)
    if term.op == "!=" and name != "size":
        return lambda f: not test(f)
    return test


def _field_test(term: Term) -> Predicate:
    name, value = term.field, term.value
    if name == "method":
        method = _text_or_glob(value.upper())
        return lambda f: method(f.request.method.upper())
    if name == "path":
        return _path_test(value)
    if name == "provider":
        provider = _text_or_glob(value.lower())
        return lambda f: provider(f.provider)
    if name == "event":
        return _event_test(value)
    if name in ("from", "chat"):
        return _party_test(term)
    if name == "summary":
        return lambda f: any(value.lower() in e.summary.lower() for e in f.events)
    if name == "source":
        source = _text_or_glob(value)
        return lambda f: source(f.request.source)
    if name == "has":
        return _has_test(term)
    if name == "size":
        return _size_test(term)
    raise RuleError(f"unknown field '{name}' in a rule")


def _node_test(node: Node) -> Predicate:
    if isinstance(node, Term):
        return _term_test(node)
    if isinstance(node, Not):
        child = _node_test(node.child)
        return lambda f: not child(f)
    items = [_node_test(item) for item in node.items]
    if isinstance(node, And):
        return lambda f: all(item(f) for item in items)
    assert isinstance(node, Or)
    return lambda f: any(item(f) for item in items)


def _fields(node: Node | None) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, Term):
        return {node.field}
    if isinstance(node, Not):
        return _fields(node.child)
    return set().union(*(_fields(item) for item in node.items))


def compile_rule_filter(text: str) -> Matcher:
    """The filter `text` as a predicate on a live request. Raises RuleError (one line)."""
    try:
        node = parse(text)
    except FilterError as exc:
        raise RuleError(f"filter {text!r}: {exc}") from None
    if node is None:
        return Matcher(lambda f: True, False)
    return Matcher(_node_test(node), bool(_fields(node) & DETECTED_FIELDS))


def check_filter(text: str) -> None:
    """Raise RuleError when `text` cannot be used as a rule filter."""
    compile_rule_filter(text)


# --- choosing an answer ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """What to do with one request: answer `status` (after `delay` s), or hold/close without
    an answer (`status` None). `note` says what happened, for the stored row."""

    status: int | None
    headers: tuple[Header, ...] = ()
    body: bytes = b""
    delay: float = 0.0
    hold: float = 0.0
    note: str = ""
    rule: int | None = None
    """Index of the rule that chose it (None: the default response or the outage)."""

    @property
    def stored_headers(self) -> tuple[Header, ...]:
        """The headers to store: what we sent, or the note when nothing was sent."""
        return ((ANSWER_NOTE, self.note),) if self.status is None else self.headers


def answer_note(headers: tuple[Header, ...]) -> str | None:
    """The note stored for a request we did not answer, else None."""
    return next((v for k, v in headers if k == ANSWER_NOTE), None)


def from_spec(spec: ResponseSpec, rule: int | None = None) -> Answer:
    return Answer(spec.status, spec.headers, spec.body, spec.delay_ms / 1000, rule=rule)


def step_answer(step: Step, spec: ResponseSpec, facts: Facts, rule: int) -> Answer:
    if step.kind == CLOSE:
        return Answer(None, note="closed without answer", rule=rule)
    if step.kind == HOLD:
        seconds = step.hold if step.hold is not None else hold_seconds(facts)
        return Answer(None, hold=seconds, rule=rule,
                      note=f"held for {seconds:g} s, then closed without answer")  # fmt: skip
    headers = spec.headers
    if step.retry_after is not None:
        kept = tuple(h for h in headers if h[0].lower() != "retry-after")
        headers = (*kept, ("Retry-After", str(step.retry_after)))
    delay = step.delay or spec.delay_ms / 1000
    status = spec.status if step.status is None else step.status
    return Answer(status, headers, spec.body, delay, rule=rule)


def hold_seconds(facts: Facts) -> float:
    """The provider's answer deadline plus HOLD_MARGIN (HOLD_UNKNOWN when not documented)."""
    scheme = providers.default_scheme(facts.provider, facts.request) or ""
    found = providers.answer_deadline(facts.provider, scheme)
    return HOLD_UNKNOWN if found is None else found[1] + HOLD_MARGIN


# --- counters -------------------------------------------------------------------------------


@dataclass(slots=True)
class RuleCount:
    """How many requests a rule matched, and the step each event id reached (1-based)."""

    rule: str
    matched: int = 0
    events: OrderedDict[str, int] = field(default_factory=OrderedDict)
    """Deliveries per event id (rules with more than one step), oldest first."""
    steps: int = 1

    def reach(self, key: str) -> int:
        """Count one more delivery of event `key`; returns its 0-based attempt number."""
        attempt = self.events.pop(key, 0)
        self.events[key] = attempt + 1
        while len(self.events) > EVENTS_KEPT:
            self.events.popitem(last=False)
        return attempt

    def snapshot(self) -> RuleCount:
        return RuleCount(self.rule, self.matched, OrderedDict(self.events), self.steps)

    def tally(self) -> Tally:
        at_step = [0] * self.steps
        for deliveries in self.events.values():
            at_step[min(deliveries, self.steps) - 1] += 1
        latest = list(self.events.items())[-TALLY_RECENT:] if self.events else []
        recent = tuple((key, min(n, self.steps)) for key, n in reversed(latest))
        return Tally(self.rule, self.matched, tuple(at_step), recent)


@dataclass(frozen=True, slots=True)
class Tally:
    """A rule's counters in short: requests matched, and how many event ids got each step
    last (`at_step[i]`: step i + 1; the last entry includes those past the last step)."""

    rule: str
    matched: int
    at_step: tuple[int, ...] = ()
    recent: tuple[tuple[str, int], ...] = ()
    """The latest event ids (newest first) and the step each reached."""

    @property
    def text(self) -> str:
        """'5 matched; event ids at step 1: 1, step 3 (last): 2', for the settings tab."""
        if not self.matched:
            return "no match yet"
        text = f"{self.matched} matched"
        if len(self.at_step) > 1:
            last = len(self.at_step)
            parts = [f"step {i + 1}{' (last)' if i + 1 == last else ''}: {n}"
                     for i, n in enumerate(self.at_step) if n]  # fmt: skip
            text += "; event ids at " + ", ".join(parts)
        return text

    @property
    def recent_text(self) -> str:
        """One line per recent event id: 'evt_1: step 3 of 3'."""
        last = len(self.at_step)
        return "\n".join(f"{one_line_id(key)}: step {step} of {last}" for key, step in self.recent)


def one_line_id(key: str) -> str:
    """An event key for display: several ids joined by newlines become one line."""
    text = " + ".join(key.split("\n"))
    return text if len(text) <= 120 else text[:119] + "…"


@dataclass(frozen=True, slots=True)
class ResponseCounts:
    """Service event: the response rules' counters changed (published at most every
    COUNTS_EVERY seconds)."""

    tallies: tuple[Tally, ...]


class Responder:
    """Chooses the answer for each request from the settings' rules, and counts.

    Thread-safe for reading the counters (`counts()`) while requests are answered."""

    def __init__(self) -> None:
        self._matchers: dict[str, Matcher] = {}
        self._counts: dict[str, RuleCount] = {}
        self._lock = threading.Lock()
        self._waiting: set[asyncio.Future[None]] = set()
        self.counted: Callable[[], None] = lambda: None
        """Called after a rule matched (e.g. to publish the counters)."""

    def answer(
        self, request: CapturedRequest, rules: tuple[ResponseRule, ...],
        default: ResponseSpec, outage: bool = False,
    ) -> Answer:  # fmt: skip
        if outage:
            return Answer(OUTAGE.status, OUTAGE.headers, OUTAGE.body, note="simulated outage")
        facts = Facts(request)
        for index, rule in enumerate(rules):
            if self._matcher(rule.filter).test(facts):
                return self._apply(index, rule, facts)
        return from_spec(default)

    def _matcher(self, text: str) -> Matcher:
        matcher = self._matchers.get(text)
        if matcher is None:
            try:
                matcher = compile_rule_filter(text)
            except RuleError:  # refused when the rule was made; never match a broken one
                matcher = Matcher(lambda f: False, False)
            self._matchers[text] = matcher
        return matcher

    def _apply(self, index: int, rule: ResponseRule, facts: Facts) -> Answer:
        steps = rule.steps or (Step(),)
        key = facts.event_key() if len(steps) > 1 else ""
        with self._lock:
            count = self._counts.setdefault(rule.text, RuleCount(rule.text, steps=len(steps)))
            count.matched += 1
            attempt = count.reach(key) if key else count.matched - 1
        step = steps[min(attempt, len(steps) - 1)]
        answer = step_answer(step, rule.response, facts, index)
        self.counted()
        return answer

    def counts(self, rules: tuple[ResponseRule, ...] = ()) -> tuple[RuleCount, ...]:
        """A copy of the counters, in the order of `rules` (all counters when empty)."""
        with self._lock:
            if not rules:
                return tuple(c.snapshot() for c in self._counts.values())
            return tuple(
                (self._counts.get(r.text) or RuleCount(r.text, steps=len(r.steps) or 1)).snapshot()
                for r in rules
            )

    def tallies(self, rules: tuple[ResponseRule, ...]) -> tuple[Tally, ...]:
        return tuple(count.tally() for count in self.counts(rules))

    async def wait(self, seconds: float) -> None:
        """Sleep `seconds`, or until `release()` (a delay or hold must not keep the receiver
        from stopping)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(seconds, _wake, waiter)
        self._waiting.add(waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiting.discard(waiter)

    async def release(self) -> None:
        """End every delay and hold now (the receiver is stopping)."""
        for waiter in list(self._waiting):
            _wake(waiter)

    def forget_others(self, rules: tuple[ResponseRule, ...]) -> None:
        """Drop the counters of rules no longer configured."""
        keep = {rule.text for rule in rules}
        with self._lock:
            for text in [t for t in self._counts if t not in keep]:
                del self._counts[text]


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def counts_json(counts: tuple[RuleCount, ...], outage: bool) -> dict[str, object]:
    """The counters as JSON for GET /_inspector/responses: per rule the requests matched and,
    per event id, the step its latest delivery got (1-based)."""
    return {
        "outage": outage,
        "rules": [
            {
                "rule": c.rule,
                "matched": c.matched,
                "events": {key: min(n, c.steps) for key, n in c.events.items()},
            }
            for c in counts
        ],
    }


# --- sending --------------------------------------------------------------------------------


Wait = Callable[[float], Awaitable[None]]


async def send(
    request: web.Request, answer: Answer, wait: Wait = asyncio.sleep
) -> web.StreamResponse:
    """Carry out `answer` (already stored): wait, then answer, or hold and/or close.
    `wait(seconds)` waits (Responder.wait ends early when the receiver stops)."""
    if answer.delay:
        await wait(answer.delay)
    if answer.status is not None:
        return web.Response(status=answer.status, body=answer.body,
                            headers=CIMultiDict(answer.headers))  # fmt: skip
    if answer.hold:
        await wait(answer.hold)
    if request.transport is not None:
        request.transport.close()  # the response below then finds the connection closed
    response = web.Response(status=500)
    response.force_close()
    return response


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def counts_route(
    allowed: Callable[[web.Request], bool], counts: Callable[[], dict[str, object]]
) -> Handler:
    """GET /_inspector/responses: the rule counters as JSON (our own host names only)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if not allowed(request):
            return web.json_response({"error": "foreign Host refused"}, status=403)
        return web.json_response(counts())

    return handle


def parse_rule_option(text: str, response: ResponseSpec | None = None) -> ResponseRule:
    """Parse `FILTER=STEP,...` (CLI `--respond`, Settings > Responses), filter checked. Raises
    RuleError."""
    filter_text, steps = split_rule(text)
    check_filter(filter_text)
    return ResponseRule(filter_text, response or ResponseSpec(), steps)
