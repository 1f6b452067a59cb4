"""Response rules that make providers retry (core.responses), driven by a scripted local sender
that retries like a provider: on a non-2xx or no answer within its deadline, after the next
delay of its documented schedule (scaled down), or after Retry-After."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import pytest

from inspector.cli import main
from inspector.core import providers, responses
from inspector.core.config import Settings
from inspector.core.responses import (
    ANSWER_NOTE,
    ResponseCounts,
    RuleError,
    Step,
    answer_note,
    compile_rule_filter,
    parse_rule_option,
    split_rule,
)
from inspector.core.service import InspectorService, RequestsCommitted

SCALE = 0.002
"""Documented seconds -> test seconds (WAHA's 5/10/20/40/80 s become 10/20/40/80/160 ms)."""
WAHA_SCHEDULE = tuple(s * SCALE for s in (5, 10, 20, 40, 80))
DEADLINE = 0.3
"""The sender's (and, where patched, the provider's) answer deadline in these tests."""


@dataclass(frozen=True)
class Delivery:
    status: int | None
    """None: no answer (closed, or not within the deadline)."""
    error: str = ""
    retry_after: str | None = None


async def deliver(url: str, body: bytes, schedule: tuple[float, ...] = WAHA_SCHEDULE,
                  deadline: float = DEADLINE) -> list[Delivery]:  # fmt: skip
    """Send `body` like a provider: retry on a non-2xx or no answer, until a 2xx or the
    schedule is used up. Returns every delivery's outcome."""
    outcomes: list[Delivery] = []
    timeout = aiohttp.ClientTimeout(total=deadline)
    for wait in (*schedule, None):
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                async with session.post(url, data=body, headers=WAHA_HEADERS) as response:
                    await response.read()
                    outcome = Delivery(response.status, retry_after=response.headers.get(
                        "Retry-After"))  # fmt: skip
            except (aiohttp.ClientError, TimeoutError) as exc:
                outcome = Delivery(None, type(exc).__name__)
        outcomes.append(outcome)
        if (outcome.status is not None and outcome.status < 300) or wait is None:
            return outcomes
        if outcome.retry_after is not None:
            wait = int(outcome.retry_after) * SCALE * 10
        await asyncio.sleep(wait)
    return outcomes


WAHA_HEADERS = {"Content-Type": "application/json"}


def waha_event(event_id: str, event: str = "message") -> bytes:
    payload = {"id": f"true_111@c.us_{event_id}", "from": "111@c.us", "body": "hi"}
    return json.dumps({"id": event_id, "event": event, "session": "default",
                       "payload": payload}).encode()  # fmt: skip


@pytest.fixture
async def service(tmp_path: Path):
    svc = InspectorService(Settings(db_path=tmp_path / "h.db", port=0))
    await svc.start()
    yield svc
    await svc.stop()


async def use_rules(svc: InspectorService, *texts: str, **changes: object) -> None:
    rules = tuple(parse_rule_option(text) for text in texts)
    await svc.update_settings(replace(svc.settings, rules=rules, **changes))  # type: ignore[arg-type]


async def stored_answers(svc: InspectorService) -> list[tuple[int | None, str | None]]:
    """(status, note) of every stored request, oldest first."""
    await svc.settled()
    assert svc.store is not None
    rows = []
    for row in reversed(svc.store.page(limit=100)):
        stored = svc.store.get(row.id)
        assert stored is not None
        rows.append((stored.response_status, answer_note(stored.response_headers)))
    return rows


def counters(svc: InspectorService) -> list[tuple[int, dict[str, int]]]:
    """(requests matched, deliveries per event id) of each configured rule."""
    assert svc.receiver is not None
    return [(c.matched, dict(c.events)) for c in svc.receiver.responder.counts(svc.settings.rules)]


# --- the scripted provider against each kind of answer -----------------------------------------


async def test_each_event_fails_twice_then_succeeds(service: InspectorService) -> None:
    await use_rules(service, "provider:waha event:message=500,500,200")
    url = f"{service.url}/webhook/waha"
    first, second = await asyncio.gather(deliver(url, waha_event("evt_1")),
                                         deliver(url, waha_event("evt_2")))  # fmt: skip
    assert [d.status for d in first] == [500, 500, 200]
    assert [d.status for d in second] == [500, 500, 200]
    rows = await stored_answers(service)
    assert sorted(status for status, _ in rows) == [200, 200, 500, 500, 500, 500]
    [count] = service.receiver.responder.counts(service.settings.rules)  # type: ignore[union-attr]
    assert count.matched == 6
    assert dict(count.events) == {"evt_1": 3, "evt_2": 3}
    [tally] = service.response_counts()
    assert tally.at_step == (0, 0, 2)
    assert tally.text == "6 matched; event ids at step 3 (last): 2"
    assert sorted(tally.recent) == [("evt_1", 3), ("evt_2", 3)]
    assert "evt_1: step 3 of 3" in tally.recent_text


async def test_a_request_the_rule_does_not_match_gets_the_default_answer(service) -> None:
    await use_rules(service, "provider:meta event:statuses*=500,200")
    assert [d.status for d in await deliver(f"{service.url}/w", waha_event("e"))] == [200]
    [count] = service.receiver.responder.counts(service.settings.rules)
    assert count.matched == 0


async def test_meta_statuses_rule_fails_each_status_once(service, provider_fixture) -> None:
    await use_rules(service, "provider:meta event:statuses*=503,200")
    body = provider_fixture("meta_status_sent.json")
    outcomes = await deliver(f"{service.url}/webhook/meta", body)
    assert [d.status for d in outcomes] == [503, 200]
    other = await deliver(f"{service.url}/webhook/meta", provider_fixture("meta_message_text.json"))
    assert [d.status for d in other] == [200]


async def test_close_answers_nothing_and_the_row_says_so(service) -> None:
    await use_rules(service, "path:/webhook/waha method:POST=close,close,200")
    outcomes = await deliver(f"{service.url}/webhook/waha", waha_event("evt_c"))
    assert [d.status for d in outcomes] == [None, None, 200]
    assert outcomes[0].error == "ServerDisconnectedError"
    rows = await stored_answers(service)
    closed = (None, "closed without answer")
    assert rows == [closed, closed, (200, None)]
    assert counters(service) == [(3, {"evt_c": 3})]


async def test_hold_keeps_the_connection_past_the_provider_deadline(service, monkeypatch) -> None:
    waha = providers.BY_NAME["waha"]
    monkeypatch.setitem(providers.BY_NAME, "waha", replace(waha, deadline=DEADLINE))
    monkeypatch.setattr(responses, "HOLD_MARGIN", 0.1)
    await use_rules(service, "provider:waha=hold,200")
    outcomes = await deliver(f"{service.url}/webhook/waha", waha_event("evt_h"))
    assert [d.status for d in outcomes] == [None, 200]
    assert outcomes[0].error == "ServerTimeoutError" or outcomes[0].error == "TimeoutError"
    rows = await stored_answers(service)
    assert rows == [(None, "held for 0.4 s, then closed without answer"), (200, None)]
    assert counters(service) == [(2, {"evt_h": 2})]


async def test_429_with_retry_after(service) -> None:
    await use_rules(service, "path:/webhook=429:retry-after=1,200")
    outcomes = await deliver(f"{service.url}/webhook/waha", waha_event("evt_r"))
    assert outcomes == [Delivery(429, retry_after="1"), Delivery(200)]
    assert [status for status, _ in await stored_answers(service)] == [429, 200]
    assert counters(service) == [(2, {"evt_r": 2})]


async def test_delay_answers_late(service) -> None:
    await use_rules(service, "=delay:50ms")
    async with aiohttp.ClientSession() as session:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with session.post(f"{service.url}/x", data=b"{}") as response:
            assert response.status == 200
        assert loop.time() - started >= 0.05


async def test_outage_answers_503_to_everything_until_turned_off(service) -> None:
    await use_rules(service, "=200", outage=True)
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{service.url}/a", data=b"{}") as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == "60"
        handshake = "/w?hub.mode=subscribe&hub.verify_token=t&hub.challenge=1"
        async with session.get(service.url + handshake) as response:
            assert response.status == 503
        await service.update_settings(replace(service.settings, outage=False))
        async with session.post(f"{service.url}/a", data=b"{}") as response:
            assert response.status == 200
    assert [status for status, _ in await stored_answers(service)] == [503, 503, 200]


async def test_counters_are_published_and_served_as_json(service) -> None:
    events: list[object] = []
    service.subscribe(events.append)
    await use_rules(service, "path:/a=500,200")
    await deliver(f"{service.url}/a", waha_event("evt_j"))
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{service.url}/_inspector/responses") as response:
            data = await response.json()
        headers = {"Host": "evil.example"}
        async with session.get(f"{service.url}/_inspector/responses", headers=headers) as r:
            assert r.status == 403
    assert data == {"outage": False,
                    "rules": [{"rule": "path:/a=500,200", "matched": 2, "events": {"evt_j": 2}}]}
    for _ in range(100):
        if any(isinstance(e, ResponseCounts) and e.tallies[0].matched == 2 for e in events):
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("no ResponseCounts event with the counters")


async def test_body_hash_is_the_event_key_without_event_ids(service) -> None:
    await use_rules(service, "=500,200")
    assert [d.status for d in await deliver(f"{service.url}/x", b"plain text")] == [500, 200]
    [count] = service.receiver.responder.counts(service.settings.rules)
    [key] = count.events
    assert key.startswith("sha256:")


# --- matching -----------------------------------------------------------------------------------


def facts(body: bytes = b"", path: str = "/webhook", method: str = "POST",
          headers: tuple[tuple[str, str], ...] = ()) -> responses.Facts:  # fmt: skip
    from inspector.core.models import CapturedRequest

    return responses.Facts(CapturedRequest(method, path, headers=headers, body=body))


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("", True),
        ("path:/web", True),  # no wildcard: a prefix, as in the filter bar
        ("path:/web*k", True),
        ("path:/other", False),
        ("method:post", True),
        ("method=GET", False),
        ("-method:GET", True),
        ("method:GET or path:/webhook", True),
        ("has:header:x-sig*", True),
        ("has:body size>2", True),
        ("size<2", False),
        ("provider:waha event:message", True),
        ("event:mess*", True),
        ("provider:meta", False),
        ("hello", True),  # free text: path, headers or body
        ("from:111", True),
    ],
)
def test_rule_filters_use_the_filter_language(text: str, matches: bool) -> None:
    matcher = compile_rule_filter(text)
    request = facts(b'{"id":"e","event":"message","session":"s","payload":{"from":"111@c.us",'
                    b'"body":"hello"}}', headers=(("X-Sig", "1"),))  # fmt: skip
    assert matcher.test(request) is matches


def test_detection_runs_only_when_a_term_needs_it(monkeypatch) -> None:
    def refuse(request: object) -> object:
        raise AssertionError("detect called")

    monkeypatch.setattr(providers, "detect", refuse)
    assert compile_rule_filter("path:/webhook method:POST").detects is False
    assert compile_rule_filter("provider:meta").detects is True
    responder = responses.Responder()
    rule = parse_rule_option("path:/webhook=503")
    answer = responder.answer(facts().request, (rule,), rule.response)
    assert answer.status == 503


# --- grammar and errors ---------------------------------------------------------------------------


def test_rule_grammar() -> None:
    assert split_rule("provider:meta event:statuses*=500, 500, 200") == (
        "provider:meta event:statuses*", (Step(status=500), Step(status=500), Step(status=200))
    )
    assert split_rule("method=POST=429:retry-after=30")[0] == "method=POST"
    text = "=429:retry-after=30;delay=2s,delay:1s,hold,hold:20s,close"
    assert parse_rule_option(text).text == text.replace("2s", "2s")
    assert parse_rule_option("path:/x=200:delay=250ms").text == "path:/x=200:delay=250ms"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("path:/x", "expected FILTER=ANSWERS"),
        ("path:/x=", "no answers after '='"),
        ("path:/x=abc", "unknown answer 'abc'"),
        ("path:/x=700", "unknown answer '700'"),
        ("path:/x=429:retry-after=soon", "unknown option"),
        ("path:/x=hold:forever", "bad duration"),
        ("path:/x=delay:2h", "bad duration"),
        ("sig:invalid=500", "'sig:' cannot be used in a rule"),
        ("(path:/x=500", "missing ')'"),
        ("nosuch:1=500", "unknown field"),
    ],
)
def test_rule_errors_are_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)) as caught:
        parse_rule_option(text)
    assert "\n" not in str(caught.value)


def test_bad_respond_option_exits_2_with_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["serve", "--respond", "path:/x=abc"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--respond: unknown answer 'abc'" in err
    assert err.count("\n") == 1


def test_respond_option_puts_its_rules_first() -> None:
    from inspector.cli import build_parser
    from inspector.cli.serve import serve_settings

    args = build_parser().parse_args(["serve", "--respond", "=500,200", "--respond", "=close"])
    base = Settings(rules=(parse_rule_option("path:/old=418"),))
    rules = serve_settings(args, base).rules
    assert [rule.text for rule in rules] == ["=500,200", "=close", "path:/old=418"]


def test_the_note_is_never_sent_as_a_header() -> None:
    closed = responses.Answer(None, note="closed without answer")
    assert closed.stored_headers == ((ANSWER_NOTE, "closed without answer"),)
    assert responses.Answer(200, (("A", "1"),)).stored_headers == (("A", "1"),)


def test_the_outage_is_never_saved(tmp_path: Path) -> None:
    from inspector.core.config import load_settings, save_settings

    path = save_settings(Settings(outage=True, db_path=tmp_path / "x.db"), tmp_path / "s.json")
    assert "outage" not in json.loads(path.read_text())
    assert load_settings(path).outage is False


def test_serve_line_says_what_happened_instead_of_a_status() -> None:
    from inspector.cli.lines import request_line
    from inspector.core.models import CapturedRequest, Derived
    from inspector.core.store import Record
    from inspector.core.writer import Stored

    request = CapturedRequest("POST", "/w", received_at_ns=1)
    record = Record(request, Derived(), None, ((ANSWER_NOTE, "closed without answer"),))
    assert "  closed without answer  " in request_line(Stored(7, record))


async def test_a_held_connection_does_not_keep_the_receiver_from_stopping(
    tmp_path: Path, monkeypatch
) -> None:
    from inspector.core import receiver

    monkeypatch.setattr(receiver, "SHUTDOWN_WAIT", 120.0)  # aiohttp would wait this long
    rule = parse_rule_option("=hold:600s")
    svc = InspectorService(Settings(db_path=tmp_path / "h.db", port=0, rules=(rule,)))
    await svc.start()

    stored = asyncio.Event()
    svc.subscribe(lambda event: stored.set() if isinstance(event, RequestsCommitted) else None)

    async def stop_once_stored() -> None:
        await stored.wait()
        await asyncio.wait_for(svc.stop(), 30)  # liveness guard, not a timing check

    outcomes, _ = await asyncio.gather(deliver(svc.url, b"{}", schedule=(), deadline=700),
                                       stop_once_stored())  # fmt: skip
    assert [d.status for d in outcomes] == [None]


def test_serve_respond_answers_the_sequence_headless(tmp_path: Path, provider_fixture) -> None:
    import signal
    import urllib.error
    import urllib.request

    from tests.test_cli import start_serve

    proc, url = start_serve(tmp_path, "--respond", "provider:meta event:statuses*=500,500,200")
    body = provider_fixture("meta_status_sent.json")
    statuses = []
    try:
        for _ in range(3):
            request = urllib.request.Request(f"{url}/webhook", data=body, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert statuses == [500, 500, 200]
    lines = [line for line in out.splitlines() if "/webhook" in line]
    assert ["  500  " in lines[0], "  500  " in lines[1], "  200  " in lines[2]] == [True] * 3
