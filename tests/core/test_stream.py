from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import io
import json
import logging
import os
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from inspector.core.config import SecretRule, Settings, SseSource
from inspector.core.events import Stored
from inspector.core.formats.native import request_from_json
from inspector.core.models import CapturedRequest, Derived, StoredRequest
from inspector.core.service import InspectorService
from inspector.core.sse import SseEvent, SseParser
from inspector.core.store import Record
from inspector.core.stream import STREAM_PATH, StreamLimits, _Client, encode_event, event_limit
from inspector.core.tasks import TaskGroup
from tests import polling

TOKEN = "relay-t0ken-s3cret"
GH_SECRET = "gh-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FAST = StreamLimits(keepalive=15.0, retry_ms=20)


until = functools.partial(polling.until, seconds=8.0)  # polling.until, 8 s by default here


def github_post(n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"zen": f"event {n}", "hook_id": n, "bin": "\u00e9"}).encode()
    signature = "sha256=" + hmac.new(GH_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": "ping", "X-Hub-Signature-256": signature,
               "Content-Type": "application/json", "X-Dup": "one"}  # fmt: skip
    return body, headers


async def start(tmp_path: Path, name: str, **changes: object) -> InspectorService:
    settings = replace(Settings(db_path=tmp_path / f"{name}.db", port=0), **changes)  # type: ignore[arg-type]
    service = InspectorService(settings)
    await service.start()
    assert service.publisher is not None
    service.publisher.limits = FAST
    return service


@pytest.fixture
async def tasks():
    group = TaskGroup()
    yield group
    await group.close()


@pytest.fixture
async def relay(tmp_path: Path):
    secret = SecretRule("/webhook", "github", GH_SECRET)
    svc = await start(tmp_path, "relay", publish=True, token=TOKEN, secrets=(secret,),
                      public_hosts=("relay.example",))  # fmt: skip
    yield svc
    await svc.stop()


def stream_url(svc: InspectorService) -> str:
    return f"{svc.url}{STREAM_PATH}"


async def post_many(svc: InspectorService, numbers, pause: float = 0.0) -> None:
    async with aiohttp.ClientSession() as session:
        for n in numbers:
            body, headers = github_post(n)
            async with session.post(f"{svc.url}/webhook", data=body, headers=headers) as r:
                assert r.status == 200
            if pause:
                await asyncio.sleep(pause)


async def read_events(
    url: str, count: int, headers: dict[str, str] | None = None, seconds: float = 8.0
) -> list[SseEvent]:
    """Connect, read `count` dispatched events (bounded in time), disconnect."""
    events: list[SseEvent] = []
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={**AUTH, **(headers or {})}) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/event-stream")
            parser = SseParser()
            async with asyncio.timeout(seconds):
                while len(events) < count:
                    chunk = await response.content.readany()
                    assert chunk, "stream ended"
                    events += [e for e in parser.feed(chunk) if isinstance(e, SseEvent)]
    return events


def decoded(event: SseEvent) -> CapturedRequest:
    assert event.event == "request"
    return request_from_json(json.loads(event.data))


# --- serving --------------------------------------------------------------------------------


async def test_backlog_after_last_event_id_then_live(relay, tasks) -> None:
    await post_many(relay, range(3))
    await relay.settled()
    reader = tasks.spawn(read_events(stream_url(relay), 3, {"Last-Event-ID": "1"}))
    await until(lambda: relay.publisher.client_count == 1)
    await post_many(relay, [3])
    events = await reader
    assert [e.id for e in events] == ["2", "3", "4"]
    bodies = [decoded(e).body for e in events]
    assert bodies == [github_post(n)[0] for n in (1, 2, 3)]
    data = json.loads(events[0].data)
    assert data["body_masked"] is False
    assert "\n" not in events[0].data


async def test_query_last_event_id_zero_gives_everything_and_none_gives_live_only(
    relay, tasks
) -> None:
    await post_many(relay, range(2))
    await relay.settled()
    events = await read_events(stream_url(relay) + "?last_event_id=0", 2)
    assert [e.id for e in events] == ["1", "2"]
    live = tasks.spawn(read_events(stream_url(relay), 1))
    await until(lambda: relay.publisher.client_count == 1)
    await post_many(relay, [7])
    assert [e.id for e in await live] == ["3"]


async def test_an_id_beyond_our_newest_means_history_was_reset(relay) -> None:
    await post_many(relay, range(2))
    await relay.settled()
    events = await read_events(stream_url(relay), 2, {"Last-Event-ID": "999"})
    assert [e.id for e in events] == ["1", "2"]


@pytest.mark.parametrize(
    "auth", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"]
)
async def test_missing_or_wrong_token_is_401(relay, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth is not None else {}
    async with aiohttp.ClientSession() as session:
        async with session.get(stream_url(relay), headers=headers) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert (await response.json()) == {"error": "missing or wrong token"}
            assert TOKEN not in (await response.text()) + str(response.headers)


async def test_foreign_host_and_origin_are_403_and_no_wildcard_cors(relay) -> None:
    cases = [
        ({"Host": "evil.example"}, 403),
        ({"Host": "evil.example:8080"}, 403),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Host": "relay.example"}, 200),  # --public-host
        ({"Host": "RELAY.example:443", "Origin": "https://relay.example"}, 200),
        ({"Origin": "http://localhost:3000"}, 403),  # another port: another local app
        ({"Origin": f"http://localhost:{relay.receiver.port}"}, 200),
        ({"Origin": "https://relay.example:8443"}, 403),
    ]
    async with aiohttp.ClientSession() as session:
        for headers, expected in cases:
            async with session.get(stream_url(relay), headers={**AUTH, **headers}) as response:
                assert response.status == expected, headers
                assert response.headers.get("Access-Control-Allow-Origin") != "*"
                if "Origin" in headers and expected == 200:
                    assert response.headers["Access-Control-Allow-Origin"] == headers["Origin"]
        async with session.get(f"{relay.url}/_inspector/health",
                               headers={"Host": "relay.example"}) as response:  # fmt: skip
            assert response.status == 200


async def test_cors_preflight_answers_only_our_origins(relay) -> None:
    preflight = {"Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization, last-event-id"}  # fmt: skip
    async with aiohttp.ClientSession() as session:
        url = stream_url(relay)
        own = f"http://localhost:{relay.receiver.port}"
        async with session.options(url, headers={**preflight, "Origin": own}) as r:
            assert r.status == 204
            assert r.headers["Access-Control-Allow-Origin"] == own
            assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
        async with session.options(
            url, headers={**preflight, "Origin": "http://localhost:5173"}
        ) as r:
            assert r.status == 403
        foreign = {**preflight, "Origin": "https://evil.example"}
        async with session.options(url, headers=foreign) as r:
            assert r.status == 403
            assert "Access-Control-Allow-Origin" not in r.headers
        other = {"Origin": "https://x.example"}
        async with session.options(f"{relay.url}/webhook", headers=other) as r:
            assert r.status == 200  # not ours: captured like any request
            assert "Access-Control-Allow-Origin" not in r.headers


async def test_the_stream_is_off_unless_published(tmp_path: Path) -> None:
    svc = await start(tmp_path, "desktop")
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(stream_url(svc)) as response:
                assert response.status == 404
        assert svc.store is not None
        await svc.settled()
        assert svc.store.count() == 0  # reserved paths are not captured
    finally:
        await svc.stop()


async def test_keepalive_comments_on_a_quiet_stream(relay) -> None:
    assert relay.publisher is not None
    relay.publisher.limits = StreamLimits(keepalive=0.1)
    async with aiohttp.ClientSession() as session:
        async with session.get(stream_url(relay), headers=AUTH) as response:
            seen = b""
            async with asyncio.timeout(2):
                while seen.count(b": keepalive\n\n") < 2:
                    seen += await response.content.readany()
            assert seen.startswith(b"retry: 2000\n: connected\n\n")


async def test_stop_ends_open_streams_promptly(tmp_path: Path) -> None:
    svc = await start(tmp_path, "stopping", publish=True)
    async with aiohttp.ClientSession() as session:
        async with session.get(stream_url(svc)) as response:
            assert response.status == 200
            await response.content.readany()
            assert svc.publisher is not None
            assert svc.publisher.client_count == 1
            async with asyncio.timeout(4):
                await svc.stop()
            assert await response.content.read() == b""


async def test_changing_the_token_ends_open_streams(relay) -> None:
    assert relay.publisher is not None
    relay.publisher.limits = StreamLimits(keepalive=0.05)
    async with aiohttp.ClientSession() as session:
        async with session.get(stream_url(relay), headers=AUTH) as response:
            await response.content.readany()
            await relay.update_settings(replace(relay.settings, token="rotated"))
            async with asyncio.timeout(2):
                while await response.content.readany():
                    pass
            assert relay.publisher.client_count == 0


def _item(n: int, size: int = 10) -> Stored:
    return Stored(n, Record(CapturedRequest("POST", "/", body=b"x" * size), None))


class _Transport:
    aborted = False

    def abort(self) -> None:
        self.aborted = True


async def test_a_client_too_far_behind_is_cut_off_but_the_backlog_just_rereads() -> None:
    transport = _Transport()
    client = _Client(StreamLimits(queue_items=3, queue_bytes=1000), transport)  # type: ignore[arg-type]
    client.add([_item(1), _item(2), _item(3), _item(4)])  # overflow while catching up
    assert client.missed == 1
    assert not client.queue
    assert client.closed is None
    client.catching_up = False
    client.add([_item(5, size=2000)])  # too many bytes while live
    assert client.closed == "too far behind"
    assert transport.aborted


async def test_a_reading_client_catching_up_is_not_dropped_by_the_stall_rule(relay) -> None:
    await post_many(relay, range(30))
    await relay.settled()
    relay.publisher.limits = StreamLimits(queue_items=5, queue_bytes=100, write_stall=0.05)
    events = await read_events(stream_url(relay), 30, {"Last-Event-ID": "0"})
    assert [e.id for e in events] == [str(n) for n in range(1, 31)]


# --- relay end to end -----------------------------------------------------------------------


async def test_relay_end_to_end_is_byte_exact_and_verifies_locally(relay, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    source = SseSource("relay", stream_url(relay), (("Authorization", f"Bearer {TOKEN}"),),
                       "inspector", retry_initial=0.02)  # fmt: skip
    desktop = await start(tmp_path, "desktop", sources=(source,),
                          secrets=(SecretRule("/webhook", "github", GH_SECRET),))  # fmt: skip
    try:
        await until(lambda: desktop.sources()[0].state == "live")
        body, headers = github_post(1)
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{relay.url}/webhook?a=%20b", data=body,
                                    headers=headers) as r:  # fmt: skip
                assert r.status == 200
        await until(lambda: desktop.sources()[0].events == 1)
        await desktop.settled()
        await relay.settled()
        assert relay.store is not None
        assert desktop.store is not None
        [original] = list(relay.store.iter_all())
        [copy] = list(desktop.store.iter_all())
        assert copy.request.body == original.request.body == body
        assert copy.request.headers == original.request.headers
        assert (copy.request.method, copy.request.path, copy.request.query) == (
            "POST", "/webhook", "a=%20b")  # fmt: skip
        assert copy.request.received_at_ns == original.request.received_at_ns
        assert copy.request.source == "relay"
        assert copy.derived.provider == "github"
        assert copy.derived.verification.status == "valid"
        assert TOKEN not in caplog.text
    finally:
        await desktop.stop()


def bodies_near_the_limit(limit: int) -> dict[str, bytes]:
    """Bodies a few bytes under `limit` at each encoding's worst: accented text (2-byte UTF-8,
    `\\u00e9` was 6 bytes), control characters (valid UTF-8, `\\u0001` each), random bytes."""
    size = limit - 16
    return {
        "accented text": ("\u00e9" * (size // 2)).encode(),
        "emoji": ("\U0001f600" * (size // 4)).encode(),
        "control characters": bytes(range(1, 32)) * (size // 31),
        "binary": os.urandom(size),
    }


async def test_bodies_near_max_body_reach_the_subscriber_byte_exact(tmp_path) -> None:
    """A relay and a subscriber with the same --max-body agree on the event size limit."""
    limit = 2 * 1024 * 1024
    relay = await start(tmp_path, "relay", publish=True, token=TOKEN, max_body=limit)
    source = SseSource("relay", stream_url(relay), (("Authorization", f"Bearer {TOKEN}"),),
                       "inspector", retry_initial=0.02)  # fmt: skip
    desktop = await start(tmp_path, "desktop", sources=(source,), max_body=limit)
    bodies = bodies_near_the_limit(limit)
    try:
        await until(lambda: desktop.sources()[0].state == "live")
        async with aiohttp.ClientSession() as session:
            for name, body in bodies.items():
                async with session.post(
                    f"{relay.url}/{name.replace(' ', '-')}", data=io.BytesIO(body)
                ) as r:
                    assert r.status == 200, name
        await until(lambda: desktop.sources()[0].events == len(bodies), seconds=30)
        await desktop.settled()
        assert desktop.store is not None
        stored = {row.request.path: row.request.body for row in desktop.store.iter_all()}
        assert desktop.sources()[0].lost == 0
    finally:
        await desktop.stop()
        await relay.stop()
    for name, body in bodies.items():
        assert stored[f"/{name.replace(' ', '-')}"] == body, name


def test_an_event_never_exceeds_the_limit_of_its_body_size() -> None:
    for name, body in bodies_near_the_limit(64 * 1024).items():
        stored = StoredRequest(request=CapturedRequest("POST", "/", body=body, id=1),
                               derived=Derived())  # fmt: skip
        assert len(encode_event(stored)) <= event_limit(64 * 1024), name


async def test_resume_after_a_forced_disconnect_loses_and_duplicates_nothing(
    relay, tmp_path, tasks
) -> None:
    source = SseSource("relay", stream_url(relay), (("Authorization", f"Bearer {TOKEN}"),),
                       "inspector", retry_initial=0.02)  # fmt: skip
    desktop = await start(tmp_path, "desktop", sources=(source,))
    try:
        await until(lambda: desktop.sources()[0].state == "live")
        total = 60
        sender = tasks.spawn(post_many(relay, range(total), pause=0.01))
        await until(lambda: desktop.sources()[0].events >= 15)
        assert relay.publisher is not None
        await relay.publisher.close()  # every stream is cut; the desktop reconnects
        await sender
        await until(lambda: desktop.sources()[0].events >= total)
        await asyncio.sleep(0.2)  # a duplicate would arrive now
        await desktop.settled()
        assert desktop.store is not None
        bodies = [s.request.body for s in desktop.store.iter_all()]
        expected = [github_post(n)[0] for n in range(total)]
        assert bodies == expected  # nothing lost, nothing twice, in order
        assert desktop._sources["relay"][0].connections >= 2
    finally:
        await desktop.stop()


async def test_backlog_to_live_handover_has_no_gap_and_no_duplicate(relay, tasks) -> None:
    total = 120
    sender = tasks.spawn(post_many(relay, range(total)))
    await until(lambda: relay.store is not None and relay.store.last_id() >= 30)
    events = await read_events(stream_url(relay) + "?last_event_id=0", total)
    await sender
    assert [int(e.id) for e in events] == list(range(1, total + 1))


# --- command line ---------------------------------------------------------------------------


def test_serve_stream_options_become_settings(monkeypatch) -> None:
    from inspector.cli import build_parser
    from inspector.cli.serve import serve_settings

    monkeypatch.delenv("WEBHOOK_INSPECTOR_TOKEN", raising=False)
    args = build_parser().parse_args([
        "serve", "--publish", "--token", "T0k", "--public-host", "Relay.Example",
        "--source", "https://relay.example/_inspector/stream", "--source", "https://b.example/s",
        "--source-format", "inspector", "--source-header", "Authorization: Bearer X",
        "--source-name", "relay",
    ])  # fmt: skip
    settings = serve_settings(args, Settings())
    assert settings.publish
    assert settings.token == "T0k"
    assert settings.public_hosts == ("relay.example",)
    assert [(s.name, s.url, s.format) for s in settings.sources] == [
        ("relay", "https://relay.example/_inspector/stream", "inspector"),
        ("relay-2", "https://b.example/s", "inspector"),
    ]
    assert settings.sources[0].headers == (("Authorization", "Bearer X"),)
    assert "T0k" not in repr(settings)
    assert "Bearer X" not in repr(settings)
    monkeypatch.setenv("WEBHOOK_INSPECTOR_TOKEN", "from-env")
    assert serve_settings(build_parser().parse_args(["serve"]), Settings()).token == "from-env"


@pytest.mark.parametrize("bad", [["--source", "ftp://x/"], ["--source-header", "nocolon"],
                                 ["--source-format", "xml"]])  # fmt: skip
def test_bad_stream_options_are_usage_errors(bad: list[str], capsys) -> None:
    from inspector.cli import main

    with pytest.raises(SystemExit):
        main(["serve", *bad])
    assert "error" in capsys.readouterr().err


def test_serve_refuses_to_publish_on_a_public_address_without_token(tmp_path, monkeypatch, capsys):
    from inspector.cli import main

    monkeypatch.delenv("WEBHOOK_INSPECTOR_TOKEN", raising=False)
    monkeypatch.setenv("WEBHOOK_INSPECTOR_HOME", str(tmp_path))
    code = main(["serve", "--db", str(tmp_path / "x.db"), "--host", "0.0.0.0", "--publish"])
    assert code == 2
    assert "needs --token" in capsys.readouterr().err


def test_serve_refuses_to_publish_for_a_public_host_without_token(tmp_path, monkeypatch, capsys):
    from inspector.cli import main

    monkeypatch.delenv("WEBHOOK_INSPECTOR_TOKEN", raising=False)
    monkeypatch.setenv("WEBHOOK_INSPECTOR_HOME", str(tmp_path))
    args = ["serve", "--db", str(tmp_path / "x.db"), "--publish", "--public-host", "relay.example"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--publish with --public-host needs --token" in err


class _Lines:
    """Collects a process's stdout lines on a thread (a pipe's buffered text defeats select)."""

    def __init__(self, proc) -> None:
        import threading

        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line)

    def wait_for(self, wanted: str, seconds: float = 10.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [line for line in self.lines if wanted in line]
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"{wanted!r} not in {self.lines}")

    def text(self) -> str:
        self._thread.join(20)
        return "".join(self.lines)


def test_serve_publish_and_subscribe_through_the_command_line(tmp_path) -> None:
    import signal

    from tests.test_cli import post, start_serve

    relay, relay_url = start_serve(tmp_path / "relay", "--publish", "--token", TOKEN)
    desk = desk_lines = None
    try:
        desk, _ = start_serve(
            tmp_path / "desk", "--source", f"{relay_url}{STREAM_PATH}?last_event_id=0",
            "--source-name", "relay",
            "--source-format", "inspector", "--source-header", f"Authorization: Bearer {TOKEN}",
        )  # fmt: skip
        desk_lines = _Lines(desk)
        desk_lines.wait_for("Press Ctrl-C")
        body, headers = github_post(1)
        assert post(f"{relay_url}/webhook", body, headers) == 200
        assert "github" in desk_lines.wait_for("/webhook")
    finally:
        outputs = ""
        for proc, lines in ((desk, desk_lines), (relay, None)):
            if proc is None:
                continue
            proc.send_signal(signal.SIGINT)
            assert proc.wait(20) == 0
            assert proc.stdout is not None
            assert proc.stderr is not None
            outputs += lines.text() if lines is not None else proc.stdout.read()
            outputs += proc.stderr.read()
            proc.stdout.close()
            proc.stderr.close()
    assert "source relay: live" in outputs
    assert "Publishing http://" in outputs
    assert TOKEN not in outputs


async def test_without_a_token_the_stream_stays_on_this_machine(tmp_path: Path) -> None:
    svc = await start(tmp_path, "open", publish=True)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(stream_url(svc)) as response:
                assert response.status == 200
            proxied = {"X-Forwarded-For": "203.0.113.9"}
            async with session.get(stream_url(svc), headers=proxied) as response:
                assert response.status == 403
                assert "needs a token" in (await response.json())["error"]
    finally:
        await svc.stop()
