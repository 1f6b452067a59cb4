"""The handler check, graded against reference handlers: one good, one per fault.

Each reference handler is a small aiohttp app on 127.0.0.1 (port 0) that verifies signatures
with the inspector's own scheme code (or deliberately does not), so each fault is one switch.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from inspector.core.check import (
    CHECKS,
    FAIL,
    PASS,
    SKIPPED,
    WARN,
    CheckResult,
    make_plan,
    odd_json,
    run_checks,
)
from inspector.core.models import CapturedRequest, ReplayAttempt, SigStatus
from inspector.core.providers import BY_NAME
from inspector.core.providers.sampling import _compact, _get
from inspector.core.samples import DEMO_SECRETS, build_sample
from inspector.core.signatures import verify_request

PROVIDERS = ("meta", "waha", "stripe", "standard")
TOKEN = "check-verify-token"
TYPE_FIELD = {"meta": "entry.0.changes.0.field", "waha": "event", "stripe": "type",
              "standard": "type"}  # fmt: skip
SLOW = 0.4
"""The slow handler's delay; its checks run with a 0.2 s deadline and a 5 s timeout."""

GOOD: dict[str, dict[str, str]] = {
    provider: {key: PASS for key, _ in CHECKS} for provider in PROVIDERS
}
for _provider in ("meta", "waha"):
    GOOD[_provider]["stale"] = SKIPPED  # their signatures carry no timestamp
for _provider in ("stripe", "standard"):
    GOOD[_provider]["out-of-order"] = SKIPPED  # no message statuses
for _provider in ("waha", "stripe", "standard"):
    GOOD[_provider]["handshake"] = SKIPPED  # only Meta has one

FAULTS: dict[str, tuple[str, ...]] = {
    "forged": ("forged", "unsigned", "stale"),
    "reserialised": ("raw-bytes",),
    "slow": ("valid", "burst", "large"),
    "conflict": ("duplicate",),
    "crash-unknown": ("unknown-event",),
    "hang-malformed": ("malformed-json",),
    "handshake": ("handshake",),
}
"""Each fault, and the checks it must fail (where the check applies to the provider)."""


def expected(provider: str, fault: str | None) -> dict[str, str]:
    grades = dict(GOOD[provider])
    for key in FAULTS.get(fault or "", ()):
        if grades[key] != SKIPPED:
            grades[key] = FAIL
    return grades


def _dump(provider: str, doc: object) -> bytes:
    sample = BY_NAME[provider].samples[0]
    return (sample.dump or _compact)(doc)


def _known_types(provider: str) -> set[str]:
    found = set()
    for sample in BY_NAME[provider].samples:
        body = json.loads(build_sample(provider, sample.event).body)
        found.add(str(_get(body, TYPE_FIELD[provider])))
    return found


def reference_app(provider: str, fault: str | None = None) -> web.Application:
    """A webhook handler for `provider` signed with its demo secret, with one `fault`."""
    scheme = BY_NAME[provider].scheme
    assert scheme is not None
    secret = DEMO_SECRETS[provider]
    known = _known_types(provider)
    seen: set[str] = set()

    def handshake(request: web.Request) -> web.Response:
        query = request.query
        if query.get("hub.verify_token") == TOKEN or fault == "handshake":
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403, text="wrong verify token")

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.method == "GET":
            return handshake(request)
        body = await request.read()
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        captured = CapturedRequest(
            request.method, request.path, request.query_string,
            tuple(request.headers.items()), body,
        )  # fmt: skip
        if fault == "reserialised" and doc is not None:
            captured = replace(captured, body=_dump(provider, doc))  # not the raw bytes
        if fault != "forged":
            result = verify_request(captured, scheme, secret)
            if result.status is not SigStatus.VALID:
                return web.Response(status=400 if fault == "vague" else 401, text=result.reason)
        if doc is None:
            if fault == "hang-malformed":
                await asyncio.sleep(3600)
            return web.Response(status=400, text="not JSON")
        if fault == "crash-unknown" and str(_get(doc, TYPE_FIELD[provider])) not in known:
            raise RuntimeError("unknown event")  # aiohttp answers 500
        digest = hashlib.sha256(body).hexdigest()
        if fault == "conflict" and digest in seen:
            return web.Response(status=409, text="already processed")
        seen.add(digest)
        if fault == "slow":
            await asyncio.sleep(SLOW)  # processes before acknowledging
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/hooks/in"
    finally:
        await runner.cleanup()


async def run(provider: str, fault: str | None, **options: object) -> list[CheckResult]:
    deadline = 0.2 if fault == "slow" else 3.0
    timeout = 1.5 if fault == "hang-malformed" else 5.0
    async with serving(reference_app(provider, fault)) as url:
        plan = make_plan(
            url, provider, verify_token=TOKEN, burst=4, deadline=deadline, timeout=timeout,
            **options,  # type: ignore[arg-type]
        )  # fmt: skip
        return [result async for result in run_checks(plan)]


def grades(results: Sequence[CheckResult]) -> dict[str, str]:
    return {result.key: result.grade for result in results}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_good_handler_passes_every_check_that_applies(provider: str) -> None:
    results = await run(provider, None)
    assert [r.key for r in results] == [key for key, _ in CHECKS]
    assert grades(results) == expected(provider, None), [r.line() for r in results]
    for result in results:
        assert result.message
        assert "\n" not in result.message
        if result.grade == SKIPPED:
            assert result.message.startswith("skipped: ")


@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "slow"])
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_each_fault_is_graded_exactly(provider: str, fault: str) -> None:
    results = await run(provider, fault)
    assert grades(results) == expected(provider, fault), [r.line() for r in results]


async def test_a_slow_handler_fails_the_timed_checks() -> None:
    runs = await asyncio.gather(*(run(provider, "slow") for provider in PROVIDERS))
    for provider, results in zip(PROVIDERS, runs, strict=True):
        assert grades(results) == expected(provider, "slow"), [r.line() for r in results]
        valid = results[0]
        assert "too slow" in valid.message
        assert "0.2 s" in valid.message


async def test_failures_explain_what_was_sent_and_what_came_back() -> None:
    by_key = {r.key: r for r in await run("meta", "forged")}
    assert by_key["forged"].message == (
        f"sent a meta signature made with the wrong secret; "
        f"answered 200 in {by_key['forged'].message.split(' in ')[1].split(':')[0]}: "
        "your handler accepts forged webhooks"
    )
    raw = {r.key: r for r in await run("waha", "reserialised")}["raw-bytes"]
    assert "re-serialised body" in raw.message
    assert "answered 401" in raw.message
    hang = {r.key: r for r in await run("stripe", "hang-malformed")}["malformed-json"]
    assert hang.message.endswith("your handler hangs on malformed JSON"), hang.message


async def test_the_secret_is_never_in_a_message() -> None:
    secret = "whsec_" + "c2VjcmV0LW5ldmVyLXNob3du"
    async with serving(reference_app("standard")) as url:
        plan = make_plan(url, "standard", secret, burst=2)
        results = [r async for r in run_checks(plan)]
    assert secret not in repr(plan)
    assert all(secret not in r.message and "c2VjcmV0" not in r.message for r in results)
    assert grades(results)["valid"] == FAIL  # the handler has another secret
    assert "rejects valid signatures" in results[0].message


async def test_an_unreachable_handler_fails_once_and_skips_the_rest() -> None:
    async with serving(web.Application()) as url:
        pass  # nothing listens there any more
    plan = make_plan(url, "meta", burst=2)
    results = [r async for r in run_checks(plan)]
    assert results[0].grade == FAIL
    assert "connection refused" in results[0].message
    assert {r.grade for r in results[1:]} == {SKIPPED}


async def test_every_request_and_answer_goes_to_the_recorder() -> None:
    recorded: list[tuple[CapturedRequest, ReplayAttempt]] = []

    async def record(pairs: Sequence[tuple[CapturedRequest, ReplayAttempt]]) -> list[int]:
        start = len(recorded) + 1
        recorded.extend(pairs)
        return list(range(start, start + len(pairs)))

    async with serving(reference_app("meta")) as url:
        plan = make_plan(url, "meta", verify_token=TOKEN, burst=3)
        results = [r async for r in run_checks(plan, record=record)]
    assert sum(len(r.request_ids) for r in results) == len(recorded)
    assert {request.source for request, _ in recorded} == {"check"}
    assert {attempt.kind for _, attempt in recorded} == {"check"}
    assert len(dict(zip((r.key for r in results), (r.request_ids for r in results),
                        strict=True))["burst"]) == 3  # fmt: skip
    request, attempt = recorded[0]
    assert request.path == "/hooks/in"
    assert attempt.status == 200
    assert attempt.sent_sha256 == request.body_sha256


async def test_the_large_payload_is_a_1_mib_media_message_sent_whole() -> None:
    recorded: list[tuple[CapturedRequest, ReplayAttempt]] = []

    async def record(pairs: Sequence[tuple[CapturedRequest, ReplayAttempt]]) -> list[int]:
        recorded.extend(pairs)
        return list(range(len(pairs)))

    async with serving(reference_app("waha")) as url:
        plan = make_plan(url, "waha", burst=2)
        results = {r.key: r async for r in run_checks(plan, record=record)}
    assert results["large"].grade == PASS, results["large"].message
    request, attempt = max(recorded, key=lambda pair: len(pair[0].body))
    assert len(request.body) >= 1024 * 1024
    assert json.loads(request.body)["payload"]["media"]["data"]
    assert attempt.sent_sha256 == request.body_sha256


@pytest.mark.parametrize(
    ("target", "provider", "message"),
    [
        ("ftp://127.0.0.1/x", "meta", "only http:// and https://"),
        ("http://127.0.0.1:9/", "slack", "cannot check provider 'slack'"),
        ("http://127.0.0.1:9/", "nope", "choose one of meta"),
    ],
)
def test_bad_input_is_refused_in_plain_words(target: str, provider: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make_plan(target, provider)


async def test_rejecting_a_forgery_without_saying_why_is_a_warning() -> None:
    results = await run("stripe", "vague")
    assert grades(results) == {**expected("stripe", None), "forged": WARN}
    assert results[1].message.endswith("rejected, but 401 or 403 would say why")


def test_a_provider_without_a_documented_deadline_gets_ours_labelled() -> None:
    assert make_plan("http://127.0.0.1:9/", "meta").deadline_text == (
        "5 s is our default: meta documents no deadline"
    )
    assert make_plan("http://127.0.0.1:9/", "github").deadline_text == (
        "github gives up after 10 s"
    )


def test_odd_json_is_the_same_value_in_other_bytes() -> None:
    doc = {"url": "https://e.example/a", "name": "Café 😀", "n": [1, 2.5, True, None]}
    text = odd_json(doc)
    assert json.loads(text) == doc
    assert "\\/" in text
    assert "\\u00e9" in text
    assert "\\u0065" in text
    assert " :  " in text
    assert text.isascii()


async def test_the_service_stores_each_request_and_answer_as_a_check(tmp_path: Path) -> None:
    from inspector.core.config import Settings
    from inspector.core.service import InspectorService

    secret = "whsec_" + "Y2hlY2stc2VydmljZS1zZWNyZXQtdGVzdA=="
    service = InspectorService(Settings(db_path=tmp_path / "c.db", port=0))
    await service.start(listen=False)
    try:
        async with serving(reference_app("standard")) as url:
            plan = make_plan(url, "standard", secret, burst=2)
            results = [r async for r in run_checks(plan, record=service.record_sent)]
        await service.settled()
        store = service.store
        assert store is not None
        ids = [i for r in results for i in r.request_ids]
        assert sorted(ids) == store.ids_after(0)
        first = store.get(results[0].request_ids[0])
        assert first is not None
        assert first.request.source == "check"
        [attempt] = store.replays(first.id)
        assert (attempt.kind, attempt.status, attempt.fidelity_ok) == ("check", 401, True)
    finally:
        await service.stop()
    data = b"".join(p.read_bytes() for p in sorted(tmp_path.iterdir()))  # noqa: ASYNC240
    assert secret.encode() not in data
    assert b"Y2hlY2stc2VydmljZS1zZWNyZXQtdGVzdA" not in data


async def test_requests_a_check_sends_are_never_forwarded(tmp_path: Path) -> None:
    from inspector.core.config import Settings
    from inspector.core.service import InspectorService

    async with serving(reference_app("waha")) as url:
        settings = Settings(db_path=tmp_path / "f.db", port=0, forward_to=url)
        service = InspectorService(settings)
        await service.start(listen=False)
        try:
            plan = make_plan(url, "waha", burst=1)
            results = [r async for r in run_checks(plan, record=service.record_sent)]
            await service.settled()
            await service.forwards_settled()
            store = service.store
            assert store is not None
            kinds = {a.kind for i in results[0].request_ids for a in store.replays(i)}
        finally:
            await service.stop()
    assert kinds == {"check"}


def test_the_configured_secret_is_the_providers_rule_or_its_schemes() -> None:
    from inspector.core.check import configured_secret
    from inspector.core.config import SecretRule, Settings

    settings = Settings(secrets=(
        SecretRule("/", "stripe", "by-scheme"),
        SecretRule("/waha", "waha", "by-provider", provider="waha"),
        SecretRule("/gh", "github", "other-provider", provider="gowa"),
    ))  # fmt: skip
    assert configured_secret(settings, "waha") == "by-provider"
    assert configured_secret(settings, "stripe") == "by-scheme"
    assert configured_secret(settings, "meta") == ""
    assert configured_secret(settings, "github") == ""
