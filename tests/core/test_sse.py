from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.config import Settings, SseSource, parse_header_option
from inspector.core.events import SourceState
from inspector.core.models import CapturedRequest
from inspector.core.service import InspectorService
from inspector.core.sse import (
    NOTE_HEADER,
    SERVER_RETRY_FLOOR,
    LastIds,
    SseClient,
    SseEvent,
    SseParser,
    SseTooLarge,
    event_to_request,
    legacy_last_ids,
    redacted_url,
)
from inspector.core.store import Record, Store
from inspector.core.tasks import TaskGroup
from tests import polling

MiB = 1024 * 1024


def feed_all(parser: SseParser, *chunks: bytes) -> list[object]:
    out: list[object] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    return out


until = functools.partial(polling.until, seconds=15.0)  # polling.until, 15 s by default here


# --- parser ---------------------------------------------------------------------------------


def test_fields_data_lines_event_id_and_comments() -> None:
    parser = SseParser()
    events = feed_all(
        parser,
        b": keepalive\n"
        b"event: update\ndata: first\ndata:second\ndata:  two spaces\nid: 7\n\n"
        b"data\n\n"  # a field without colon: empty data, still dispatched
        b"data: after\n\n",
    )
    assert events == [
        SseEvent("first\nsecond\n two spaces", "update", "7"),
        SseEvent("", "message", "7"),
        SseEvent("after", "message", "7"),  # the last event id persists
    ]
    assert parser.last_event_id == "7"


def test_retry_id_rules_and_undispatched_events() -> None:
    parser = SseParser()
    events = feed_all(
        parser,
        b"retry: 1500\n\nretry: 15x\nretry: -3\n\n"  # only ASCII digits count
        b"id: 5\n\n"  # no data: nothing dispatched, but the id is taken
        b"id: bad\x00id\ndata: x\n\n"  # an id with NUL is ignored
        b"event: nothing\n\n"  # no data field: not dispatched
        b"id\ndata: y\n\n"  # an empty id resets it
        b"unknown: field\ndata: z\n\n"
        b"data: never dispatched",  # incomplete at the end of the stream
    )
    assert parser.retry_ms == 1500
    assert events == [SseEvent("x", id="5"), SseEvent("y", id=""), SseEvent("z", id="")]


def test_line_ends_cr_lf_crlf_and_bom() -> None:
    stream = b"\xef\xbb\xbfdata: a\r\ndata: b\rdata: c\n\r\ndata: \xef\xbb\xbfd\r\r"
    expected = [SseEvent("a\nb\nc"), SseEvent("\ufeffd")]  # only a leading BOM is skipped
    assert feed_all(SseParser(), stream) == expected
    assert feed_all(SseParser(), *(bytes([b]) for b in stream)) == expected


def test_cr_at_chunk_end_and_lf_at_next_chunk_start_is_one_line_end() -> None:
    parser = SseParser()
    assert parser.feed(b"data: one\r") == []
    assert parser.feed(b"\ndata: two\r") == []
    assert parser.feed(b"\n\r") == [SseEvent("one\ntwo")]
    assert parser.feed(b"\n") == []  # the LF of that CRLF: no second blank line
    assert parser.feed(b"data: three\r") == []
    assert parser.feed(b"\r") == [SseEvent("three")]


def test_bom_split_across_chunks_and_an_almost_bom() -> None:
    assert feed_all(SseParser(), b"\xef", b"\xbb", b"\xbfdata: x\n\n") == [SseEvent("x")]
    assert feed_all(SseParser(), b"\xef\xbb", b"data: x\n\n") == []  # not a BOM: garbage field
    assert feed_all(SseParser(), b"data: x\n\n\xef\xbb\xbfdata: y\n\n") == [SseEvent("x")]


def test_oversize_event_is_reported_skipped_and_memory_stays_bounded() -> None:
    parser = SseParser(max_event=MiB)
    big = b"id: 41\nevent: huge\ndata: " + b"x" * (2 * MiB) + b"\ndata: more\n\n"
    chunks = [big[i : i + 65536] for i in range(0, len(big), 65536)]
    out: list[object] = []
    for chunk in [*chunks, b"id: 42\ndata: small\n\n"]:
        out += parser.feed(chunk)
        assert len(parser._line) <= MiB
        assert sum(len(part) for part in parser._data) <= MiB
    [too_large, small] = out
    assert isinstance(too_large, SseTooLarge)
    assert too_large.size == len(big) - 1  # every byte of the event but the final blank line
    assert (too_large.event, too_large.id) == ("huge", "41")
    assert too_large.message == f"event too large ({len(big) - 1} bytes, limit {MiB})"
    assert small == SseEvent("small", id="42")


def test_many_lines_adding_up_over_the_limit_are_too_large_too() -> None:
    parser = SseParser(max_event=100)
    events = feed_all(parser, b"data: 0123456789\n" * 20 + b"\ndata: ok\n\n")
    assert isinstance(events[0], SseTooLarge)
    assert events[1] == SseEvent("ok")


_line_text = st.text(
    st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=30
)
_event = st.tuples(
    st.lists(_line_text, min_size=0, max_size=3),  # data lines
    st.one_of(st.none(), st.text(st.characters(whitelist_categories=("L", "N")), max_size=8)),
    st.one_of(st.none(), st.integers(0, 10**6).map(str)),  # id
    st.booleans(),  # a comment before it
)


def _serialise(events: list[tuple[list[str], str | None, str | None, bool]], eols: list[bytes]):
    out = bytearray()
    n = 0

    def line(text: str) -> None:
        nonlocal n
        eol = eols[n % len(eols)]
        if not text and out.endswith(b"\r") and eol.startswith(b"\n"):
            eol = b"\r"  # CR + LF would read as one CRLF line end, not as a blank line
        out.extend(text.encode() + eol)
        n += 1

    for data, name, event_id, comment in events:
        if comment:
            line(": keepalive")
        if name is not None:
            line(f"event: {name}")
        if event_id is not None:
            line(f"id: {event_id}")
        for text in data:
            line(f"data: {text}")
        line("")
    return bytes(out)


@settings(max_examples=200, deadline=None)
@given(
    events=st.lists(_event, max_size=8),
    eols=st.lists(st.sampled_from([b"\n", b"\r", b"\r\n"]), min_size=1, max_size=4),
    bom=st.booleans(),
    cuts=st.lists(st.integers(0, 2000), max_size=12),
    max_event=st.sampled_from([40, 1 << 20]),
)
def test_any_chunking_gives_the_same_events(events, eols, bom, cuts, max_event) -> None:
    stream = (b"\xef\xbb\xbf" if bom else b"") + _serialise(events, eols)
    whole = SseParser(max_event=max_event).feed(stream)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    parser = SseParser(max_event=max_event)
    assert feed_all(parser, *chunks) == whole
    if max_event > 2000:  # nothing is too large: check against the events we wrote
        expected, last_id = [], ""
        for data, name, event_id, _ in events:
            last_id = event_id if event_id is not None else last_id
            if data:
                expected.append(SseEvent("\n".join(data), name or "message", last_id))
        assert whole == expected


# --- formats --------------------------------------------------------------------------------


def test_generic_format_keeps_event_name_id_and_data_bytes() -> None:
    source = SseSource("feed", "https://user:pw@example.com/events/stream?token=s3cret")
    request = event_to_request(source, SseEvent("héllo\nworld", "update", "9"))
    assert request is not None
    assert (request.method, request.path, request.query) == ("SSE", "/events/stream", "")
    assert request.body == "héllo\nworld".encode()
    assert request.header("X-SSE-Event") == "update"
    assert request.header("X-SSE-Id") == "9"
    assert request.source == "feed"
    assert request.remote == "example.com"
    assert "s3cret" not in repr(request)


def test_wsapi_format_is_a_post_to_wsapi_with_the_instance_header() -> None:
    source = SseSource("ws", "https://ws.wsapi.chat/events/stream",
                       (("X-Api-Key", "key"), ("X-Instance-Id", "ins_1")), "wsapi")  # fmt: skip
    envelope = '{"eventId":"evt_1","instanceId":"ins_1","eventType":"message","eventData":{}}'
    request = event_to_request(source, SseEvent(envelope))
    assert request is not None
    assert (request.method, request.path) == ("POST", "/wsapi")
    assert request.header("X-Instance-Id") == "ins_1"
    assert request.header("X-Api-Key") is None  # credentials of the source are not stored
    assert request.body == envelope.encode()


SMEE_MESSAGE = {
    "host": "smee.io",
    "content-type": "application/json",
    "content-length": "999",
    "x-github-event": "ping",
    "x-hub-signature-256": "sha256=abc",
    "body": {"zen": "Keep it logically awesome.", "hook_id": 1, "ünï": "ok"},
    "query": {"a": "1", "b": ["2", "3"]},
    "timestamp": 1700000000123,
}


def test_smee_format_rebuilds_the_request_and_notes_the_reserialised_body() -> None:
    source = SseSource("smee", "https://smee.io/AbCdEf", format="smee")
    request = event_to_request(source, SseEvent(json.dumps(SMEE_MESSAGE)))
    assert request is not None
    body = '{"zen":"Keep it logically awesome.","hook_id":1,"ünï":"ok"}'.encode()
    assert request.body == body
    assert (request.method, request.path, request.query) == ("POST", "/AbCdEf", "a=1&b=2&b=3")
    assert request.header("x-github-event") == "ping"
    assert request.header("content-length") == str(len(body))
    assert request.header(NOTE_HEADER) == "body re-serialised by smee; signatures may not verify"
    assert request.header("timestamp") is None
    assert request.header("body") is None
    assert request.received_at_ns == 1700000000123 * 1_000_000
    for control in ("ready", "ping"):
        assert event_to_request(source, SseEvent("{}", control)) is None


def test_bad_data_for_a_json_format_raises_value_error() -> None:
    for fmt in ("smee", "inspector"):
        event = SseEvent("not json", "request")
        with pytest.raises(ValueError, match="not JSON"):
            event_to_request(SseSource("s", "http://127.0.0.1/", format=fmt), event)


def test_source_config_hides_headers_and_checks_the_format() -> None:
    source = SseSource("s", "https://x.example/s?k=v", (("Authorization", "Bearer s3cret"),))
    assert "s3cret" not in repr(source)
    assert redacted_url("https://u:p@x.example:8443/s?k=v") == "https://x.example:8443/s"
    with pytest.raises(ValueError, match="unknown source format"):
        SseSource("s", "http://x/", format="nope")
    assert parse_header_option("X-Api-Key:  abc ") == ("X-Api-Key", "abc")
    with pytest.raises(ValueError, match="expected 'Name: value'"):
        parse_header_option("no colon")


def test_positions_are_saved_with_the_events_in_one_transaction(tmp_path: Path) -> None:
    source = SseSource("relay", "https://r.example/_inspector/stream?x=1")
    ids = LastIds()
    store = Store.open(tmp_path / "h.db")
    try:
        records = [
            Record(CapturedRequest("SSE", "/", body=b"%d" % n), None,
                   position=ids.position(source, str(n)))
            for n in (41, 42)
        ]  # fmt: skip
        store.insert_many(records)
        saved = store.positions()
    finally:
        store.close()
    assert LastIds(saved).get(source) == "42"
    assert LastIds(saved).get(replace(source, name="other")) == ""
    assert ids.position(source, "") is None


def test_a_position_from_the_old_json_file_is_read(tmp_path: Path) -> None:
    source = SseSource("relay", "https://r.example/s")
    (tmp_path / "h.db.sources.json").write_text(json.dumps({LastIds.key(source): "7"}))
    assert LastIds(legacy_last_ids(tmp_path / "h.db")).get(source) == "7"
    assert legacy_last_ids(tmp_path / "none.db") == {}


# --- a fault-injecting SSE server -----------------------------------------------------------

Script = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ScriptedServer:
    """Each connection plays the next script (the last one repeats); records request headers."""

    def __init__(self, *scripts: Script) -> None:
        self.scripts = deque(scripts)
        self.requests: list[dict[str, str]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> ScriptedServer:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/events/stream"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(dict(request.headers))
        script = self.scripts.popleft() if len(self.scripts) > 1 else self.scripts[0]
        return await script(request)


def stream(*chunks: bytes, hold: float = 0.0, drop: bool = False, pause: float = 0.02) -> Script:
    """Send `chunks` (each its own write, `pause` apart), then hold the connection open for
    `hold` seconds, or cut it abruptly (`drop`), or end the response."""

    async def script(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for chunk in chunks:
            await response.write(chunk)
            await asyncio.sleep(pause)
        if drop:
            assert request.transport is not None
            request.transport.abort()
            return response
        if hold:
            await asyncio.sleep(hold)
        return response

    return script


def status(code: int, content_type: str = "application/json") -> Script:
    async def script(request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, body=b"{}" if code != 204 else None,
                            content_type=content_type if code != 204 else None)  # fmt: skip

    return script


class Harness:
    """An SseClient with a list as its store, its states recorded."""

    def __init__(self, source: SseSource) -> None:
        self.stored: list[CapturedRequest] = []
        self.states: list[SourceState] = []
        self.client = SseClient(source, self._ingest, self.states.append)
        self.tasks = TaskGroup()
        self.task: asyncio.Task[None] | None = None

    async def _ingest(self, request: CapturedRequest, position: object = None) -> int:
        self.stored.append(request)
        return len(self.stored)

    def bodies(self) -> list[bytes]:
        return [r.body for r in self.stored]

    async def __aenter__(self) -> Harness:
        self.task = self.tasks.spawn(self.client.run(), name="sse-test")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.tasks.close()


def fast(url: str, **changes: object) -> SseSource:
    base = SseSource("test", url, retry_initial=0.02, retry_max=0.1, stall_timeout=2.0)
    return replace(base, **changes)  # type: ignore[arg-type]


# --- client ---------------------------------------------------------------------------------


async def test_events_split_mid_line_with_mixed_line_ends_and_bom_are_stored() -> None:
    chunks = (b"\xef\xbb", b"\xbfretry: 10\r", b"\nid: 1\r\ndata: multi\rdata: line\n",
              b"\n: keepalive\n\nevent: upd", b"ate\ndata: two\r", b"\r")  # fmt: skip
    async with ScriptedServer(stream(*chunks, hold=5)) as server:
        async with Harness(fast(server.url)) as h:
            await until(lambda: len(h.stored) == 2)
            assert h.bodies() == [b"multi\nline", b"two"]
            assert h.stored[1].header("X-SSE-Event") == "update"
            assert h.client.retry_ms == 10
            assert h.client.state.state == "live"
            assert h.client.state.events == 2


async def test_drop_mid_event_resumes_with_last_event_id_without_gap_or_duplicate() -> None:
    first = stream(b"retry: 5\nid: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c-cut", drop=True)
    second = stream(b"id: 3\ndata: c\n\nid: 4\ndata: d\n\n", hold=5)
    async with ScriptedServer(first, second) as server:
        async with Harness(fast(server.url)) as h:
            await until(lambda: len(h.stored) == 4)
            assert h.bodies() == [b"a", b"b", b"c", b"d"]
            assert "Last-Event-ID" not in server.requests[0]
            assert server.requests[1]["Last-Event-ID"] == "2"
            assert any(s.state == "retrying" for s in h.states)


async def test_a_zero_retry_from_the_server_waits_at_least_the_floor() -> None:
    async with ScriptedServer(stream(b"retry: 0\n\n", drop=True)) as server:
        async with Harness(fast(server.url, retry_max=60.0)) as h:
            await until(lambda: any(s.state == "retrying" for s in h.states))
            assert h.client.retry_ms == 0
            retrying = next(s for s in h.states if s.state == "retrying")
            waited = float(retrying.detail.removeprefix("retrying in ").removesuffix("s"))
            assert waited >= round(SERVER_RETRY_FLOOR * 0.75, 1)  # the floor, less the jitter


async def test_204_stops_for_good() -> None:
    async with ScriptedServer(status(204)) as server:
        async with Harness(fast(server.url)) as h:
            assert h.task is not None
            await asyncio.wait_for(asyncio.shield(h.task), 3)
            assert h.client.state.state == "stopped"
            assert h.client.state.detail == "stopped: server asked to stop (204)"
            assert len(server.requests) == 1


@pytest.mark.parametrize("code", [401, 403])
async def test_unauthorised_stops_with_a_reason(code: int) -> None:
    async with ScriptedServer(status(code)) as server:
        async with Harness(fast(server.url)) as h:
            assert h.task is not None
            await asyncio.wait_for(asyncio.shield(h.task), 3)
            assert h.client.state.state == "stopped"
            assert "unauthorised: check the token" in h.client.state.detail
            assert h.client.last_error is not None


async def test_a_redirect_is_not_followed_with_our_credentials() -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("https://elsewhere.example/stream?key=s3cret")

    async with ScriptedServer(redirect) as server:
        async with Harness(fast(server.url, headers=(("X-Api-Key", "k"),))) as h:
            assert h.task is not None
            await asyncio.wait_for(asyncio.shield(h.task), 3)
            assert h.client.state.detail == (
                "stopped: the server redirects (HTTP 302) to https://elsewhere.example/stream: "
                "use that URL"
            )


async def test_server_errors_and_wrong_content_type_are_retried() -> None:
    async with ScriptedServer(
        status(503), status(200, "text/html"), stream(b"data: ok\n\n", hold=5)
    ) as server:
        async with Harness(fast(server.url)) as h:
            await until(lambda: h.bodies() == [b"ok"])
            retrying = [s for s in h.states if s.state == "retrying"]
            assert len(retrying) == 2
            assert retrying[0].last_error == "HTTP 503 Service Unavailable"
            assert retrying[1].last_error is not None
            assert "wrong content type 'text/html'" in retrying[1].last_error
            assert retrying[0].detail.startswith("retrying in ")
            assert len(server.requests) == 3


async def test_a_silent_server_is_dropped_after_the_stall_timeout() -> None:
    silent = stream(b"id: 1\ndata: x\n\n", hold=5)
    async with ScriptedServer(silent) as server:
        async with Harness(fast(server.url, stall_timeout=0.3)) as h:
            await until(lambda: len(server.requests) >= 2, seconds=3)
            assert h.client.last_error is not None
            assert "nothing received for 0.3s" in h.client.last_error
            assert server.requests[1]["Last-Event-ID"] == "1"


async def test_keepalive_comments_keep_a_quiet_stream_alive() -> None:
    chunks = [b": keepalive\n\n"] * 30
    async with ScriptedServer(stream(*chunks, pause=0.05, hold=5)) as server:
        async with Harness(fast(server.url, stall_timeout=0.6)):
            await asyncio.sleep(1.2)
            assert len(server.requests) == 1


async def test_a_2_mib_event_is_recorded_as_too_large_and_the_stream_goes_on() -> None:
    big = b"id: 1\ndata: " + b"y" * (2 * MiB) + b"\n\n"
    chunks = [big[i : i + 256 * 1024] for i in range(0, len(big), 256 * 1024)]
    async with ScriptedServer(stream(*chunks, b"id: 2\ndata: next\n\n", hold=5, pause=0)) as s:
        async with Harness(fast(s.url)) as h:
            # the client moves its position once the store has taken the event, just after
            await until(lambda: len(h.stored) == 2 and h.client.last_event_id == "2")
            refused, nxt = h.stored
            assert refused.refused == f"event too large ({len(big) - 1} bytes, limit {MiB})"
            assert refused.declared_size == len(big) - 1
            assert refused.body == b""
            assert nxt.body == b"next"
            assert h.client.last_error == refused.refused
            assert h.client.last_event_id == "2"


async def test_headers_are_sent_but_never_logged_or_shown(caplog) -> None:
    headers = (("X-Api-Key", "key-s3cret"), ("X-Instance-Id", "ins_1"),
               ("Authorization", "Bearer tok-s3cret"))  # fmt: skip
    caplog.set_level(logging.DEBUG)
    async with ScriptedServer(status(500), stream(b"data: x\n\n", hold=5)) as server:
        url = server.url + "?authorization=Bearer%20q-s3cret"
        async with Harness(fast(url, headers=headers)) as h:
            await until(lambda: len(h.stored) == 1)
            sent = server.requests[-1]
            assert sent["X-Api-Key"] == "key-s3cret"
            assert sent["Authorization"] == "Bearer tok-s3cret"
            assert sent["Accept"] == "text/event-stream"
            shown = caplog.text + repr(h.states) + repr(h.client.source) + repr(h.stored)
            assert "s3cret" not in shown


# --- into a service's store -----------------------------------------------------------------


@pytest.fixture
async def service(tmp_path: Path):
    svc = InspectorService(Settings(db_path=tmp_path / "sse.db", port=0))
    await svc.start(listen=False)
    yield svc
    await svc.stop()


def stored_rows(svc: InspectorService):
    assert svc.store is not None
    return list(svc.store.iter_all())


async def test_service_source_resumes_without_gap_or_duplicate_in_the_store(service) -> None:
    events = b"".join(b'id: %d\ndata: {"n":%d}\n\n' % (n, n) for n in range(1, 6))
    first = stream(b"retry: 5\n" + events + b'id: 6\ndata: {"n"', drop=True)
    rest = b"".join(b'id: %d\ndata: {"n":%d}\n\n' % (n, n) for n in range(6, 11))
    async with ScriptedServer(first, stream(rest, hold=5)) as server:
        states: list[object] = []
        service.subscribe(states.append)
        await service.add_source(fast(server.url, name="feed"))
        await until(lambda: service.sources()[0].events == 10)
        await service.settled()
        rows = stored_rows(service)
        assert [json.loads(r.request.body)["n"] for r in rows] == list(range(1, 11))
        assert {r.request.source for r in rows} == {"feed"}
        assert server.requests[1]["Last-Event-ID"] == "5"
        assert any(isinstance(s, SourceState) and s.state == "live" for s in states)
        assert [s.name for s in service.settings.sources] == ["feed"]
        assert await service.remove_source("feed")
        assert service.sources() == []
        assert service.settings.sources == ()


async def test_wsapi_events_are_detected_as_wsapi(service, provider_fixture) -> None:
    envelope = json.dumps(json.loads(provider_fixture("synthetic_wsapi_message_text.json")))
    data = f"data: {envelope}\n\n".encode()
    async with ScriptedServer(stream(data, hold=5)) as server:
        source = fast(server.url, name="wsapi", format="wsapi",
                      headers=(("X-Api-Key", "k"), ("X-Instance-Id", "ins_9")))  # fmt: skip
        await service.add_source(source)
        await until(lambda: service.sources()[0].events == 1)
        await service.settled()
        [row] = stored_rows(service)
        assert row.derived.provider == "wsapi"
        assert row.request.header("X-Instance-Id") == "ins_9"
        assert row.request.body == envelope.encode()


async def test_smee_round_trip_into_the_store(service) -> None:
    data = (b"event: ready\ndata: {}\n\n" + b"event: ping\ndata: {}\n\n"
            + f"data: {json.dumps(SMEE_MESSAGE)}\n\n".encode())  # fmt: skip
    async with ScriptedServer(stream(data, hold=5)) as server:
        await service.add_source(fast(server.url, name="smee", format="smee"))
        await until(lambda: service.sources()[0].events == 1)
        await service.settled()
        [row] = stored_rows(service)
        assert row.derived.provider == "github"
        assert json.loads(row.request.body) == SMEE_MESSAGE["body"]
        assert row.request.header(NOTE_HEADER) is not None
        assert row.request.header("x-hub-signature-256") == "sha256=abc"


async def test_configured_sources_start_with_the_service_and_stop_with_it(tmp_path) -> None:
    async with ScriptedServer(stream(b"id: 1\ndata: hi\n\n", hold=5)) as server:
        settings = Settings(db_path=tmp_path / "c.db", port=0,
                            sources=(fast(server.url, name="cfg"),))  # fmt: skip
        svc = InspectorService(settings)
        await svc.start(listen=False)
        try:
            await until(lambda: bool(svc.sources()) and svc.sources()[0].events == 1)
        finally:
            async with asyncio.timeout(5):
                await svc.stop()
        store = Store(settings.db_path)
        try:
            assert LastIds(store.positions()).get(settings.sources[0]) == "1"
        finally:
            store.close()


def test_sources_and_relay_settings_round_trip_through_the_settings_file(tmp_path) -> None:
    from inspector.core.config import load_settings, save_settings

    headers = (("X-Api-Key", "k"), ("X-Instance-Id", "i"))
    source = SseSource("ws", "https://ws.example/events/stream", headers, "wsapi", stall_timeout=30)
    settings = Settings(sources=(source,), publish=True, token="t", public_hosts=("r.example",))
    path = save_settings(settings, tmp_path / "settings.json")
    loaded = load_settings(path)
    assert loaded.sources == (source,)
    assert (loaded.publish, loaded.token, loaded.public_hosts) == (True, "t", ("r.example",))


def test_serve_prints_a_line_for_every_lost_event() -> None:
    from inspector.cli.lines import SourceLines

    lines = SourceLines()
    states = [
        SourceState("relay", "live", "live", 3),
        SourceState("relay", "live", "live", 4, "event too large (9 bytes, limit 5)", 1),
        SourceState("relay", "live", "live", 5, "event too large (9 bytes, limit 5)", 1),
    ]
    shown = [lines.line(state) for state in states if lines.wants(state)]
    assert shown == [
        "source relay: live (3 events)",
        "source relay: EVENT LOST (1 so far): event too large (9 bytes, limit 5)",
    ]
