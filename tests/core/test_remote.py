"""The capture service in a child process (core.remote), driven as the app drives it."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from inspector.core.config import Settings
from inspector.core.events import Analysed, ReceiverState, RequestsCommitted, StoreOpened
from inspector.core.models import CapturedRequest
from inspector.core.remote import CoreGone, RemoteService, _Core
from tests import polling
from tests.reliability.conftest import alive


@pytest.fixture
async def remote(tmp_path: Path) -> AsyncIterator[RemoteService]:
    service = RemoteService(Settings(db_path=tmp_path / "r.db", port=0))
    await service.start()
    yield service
    await service.stop()


until = functools.partial(polling.until, seconds=10.0)  # polling.until, 10 s by default here


async def test_captures_in_the_child_and_reports_back(remote: RemoteService) -> None:
    events: list[object] = []
    remote.subscribe(events.append)
    assert remote.url is not None
    assert remote.process_id not in (None, os.getpid())
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{remote.url}/webhook", data=b'{"a":1}') as response:
            assert response.status == 200
    await remote.settled()
    await until(lambda: any(isinstance(e, Analysed) for e in events))
    [committed] = [e for e in events if isinstance(e, RequestsCommitted)]
    [analysed] = [e for e in events if isinstance(e, Analysed)]
    assert committed.ids == analysed.ids
    assert analysed.invalid == 0
    assert remote.store is not None
    [row] = remote.store.page()
    assert (row.id, row.path) == (committed.ids[0], "/webhook")


async def test_calls_return_values_and_raise_the_childs_errors(remote: RemoteService) -> None:
    request_id = await remote.ingest(CapturedRequest("POST", "/import", source="import"))
    assert await remote.delete([request_id]) == 1
    with pytest.raises(ValueError, match="there is no request #999"):
        await remote.replay(999, "http://127.0.0.1:9/")


async def test_settings_follow_the_child(remote: RemoteService) -> None:
    await remote.update_settings(replace(remote.settings, replay_target="http://127.0.0.1:9/x"))
    request_id = await remote.ingest(CapturedRequest("POST", "/r"))
    attempt = await remote.replay(request_id)
    assert attempt.error  # nothing listens on port 9: recorded as a failed attempt
    assert remote.settings.replay_target == "http://127.0.0.1:9/x"
    assert remote.settings.replay_targets[0] == "http://127.0.0.1:9/x"  # remembered there


async def test_history_is_readable_before_the_child_is_up(tmp_path: Path) -> None:
    service = RemoteService(Settings(db_path=tmp_path / "r.db", port=0))
    seen: list[object] = []
    service.subscribe(lambda e: seen.append((e, service.url)))
    await service.start()
    try:
        assert isinstance(seen[0][0], StoreOpened)
        assert seen[0][1] is None  # the receiver was not up yet
    finally:
        await service.stop()


async def test_a_taken_port_is_reported_and_the_process_keeps_running(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        service = RemoteService(Settings(db_path=tmp_path / "r.db", port=port))
        from inspector.core.receiver import ReceiverError

        with pytest.raises(ReceiverError):
            await service.start()
    try:
        await service.update_settings(replace(service.settings, port=0))
        await service.restart_receiver()
        assert service.url is not None
    finally:
        await service.stop()


async def test_a_crashed_child_is_reported_and_started_again(remote: RemoteService) -> None:
    events: list[object] = []
    remote.subscribe(events.append)
    first = remote.process_id
    assert first is not None
    os.kill(first, signal.SIGKILL)
    await until(lambda: any(isinstance(e, ReceiverState) and e.url for e in events))
    down, up = [e for e in events if isinstance(e, ReceiverState)]
    assert down.url is None
    assert "stopped unexpectedly" in (down.error or "")
    assert (down.error or "").endswith("; starting it again")
    assert remote.process_id not in (None, first)
    assert remote.url == up.url
    request_id = await remote.ingest(CapturedRequest("POST", "/after"))
    assert remote.store is not None
    assert remote.store.summaries([request_id])[request_id].path == "/after"


async def test_a_child_that_keeps_crashing_is_given_up(
    remote: RemoteService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspector.core import remote as remote_module

    monkeypatch.setattr(remote_module, "RESTARTS", 0)
    events: list[object] = []
    remote.subscribe(events.append)
    assert remote.process_id is not None
    os.kill(remote.process_id, signal.SIGKILL)
    await until(lambda: any(isinstance(e, ReceiverState) for e in events))
    [state] = [e for e in events if isinstance(e, ReceiverState)]
    assert "stopped unexpectedly" in (state.error or "")
    assert not (state.error or "").endswith("again")
    with pytest.raises(CoreGone):
        await remote.ingest(CapturedRequest("POST", "/lost"))


def child_ids(pid: int) -> list[int]:
    return [int(n) for n in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
async def test_stop_ends_both_child_processes(tmp_path: Path) -> None:
    service = RemoteService(Settings(db_path=tmp_path / "r.db", port=0))
    await service.start()
    core = service.process_id
    assert core is not None
    children = child_ids(core)
    assert len(children) == 1  # the writer process
    family = [core, *children]
    await service.stop()
    await until(lambda: not any(alive(pid) for pid in family))


async def test_calls_made_while_the_process_starts_wait_for_it(tmp_path: Path) -> None:
    service = RemoteService(Settings(db_path=tmp_path / "r.db", port=0))
    early: list[asyncio.Task[int]] = []

    def on_event(event: object) -> None:
        if isinstance(event, StoreOpened):  # the window offers Delete from here on
            early.append(asyncio.get_running_loop().create_task(service.delete([1])))

    service.subscribe(on_event)
    await service.start()
    try:
        assert await early[0] == 0
    finally:
        await service.stop()


async def test_replies_never_take_back_newer_settings(remote: RemoteService) -> None:
    seen: list[str] = []
    new = replace(remote.settings, replay_target="http://127.0.0.1:9/new")
    loop = asyncio.get_running_loop()
    # quick calls, sent before the update: the child answers some of them with the old settings
    calls = [loop.create_task(remote.remove_source(f"none-{n}")) for n in range(30)]
    for call in calls:
        call.add_done_callback(lambda _: seen.append(remote.settings.replay_target))
    await asyncio.sleep(0)  # the ingests are on their way before the update
    await remote.update_settings(new)
    await asyncio.gather(*calls)
    assert set(seen) == {"http://127.0.0.1:9/new"}
    assert remote.settings.replay_target == "http://127.0.0.1:9/new"


async def test_a_child_lost_while_not_listening_is_reported_too(tmp_path: Path) -> None:
    service = RemoteService(Settings(db_path=tmp_path / "r.db", port=0))
    await service.start(listen=False)
    events: list[object] = []
    service.subscribe(events.append)
    try:
        assert service.process_id is not None
        os.kill(service.process_id, signal.SIGKILL)
        await until(lambda: any(isinstance(e, ReceiverState) for e in events))
        [state] = [e for e in events if isinstance(e, ReceiverState)]
        assert "stopped unexpectedly" in (state.error or "")
    finally:
        await service.stop()


async def test_abandon_ends_the_process_when_a_stop_gave_up(tmp_path: Path) -> None:
    service = RemoteService(Settings(db_path=tmp_path / "r.db", port=0))
    await service.start()
    assert service.process_id is not None
    pid = service.process_id
    service.abandon()
    await until(lambda: not alive(pid))
    await service.stop()  # still safe afterwards


def committed_ids(events: list[object]) -> list[int]:
    return [i for e in events if isinstance(e, RequestsCommitted) for i in e.ids]


async def test_gathered_events_keep_their_order_and_come_before_replies(
    remote: RemoteService,
) -> None:
    events: list[object] = []
    remote.subscribe(events.append)
    loop = asyncio.get_running_loop()
    ids = await asyncio.gather(
        *(loop.create_task(remote.ingest(CapturedRequest("POST", f"/{n}"))) for n in range(50))
    )
    assert sorted(committed_ids(events)) == sorted(ids)  # reported before the replies
    await remote.settled()
    await until(lambda: sum(len(e.ids) for e in events if isinstance(e, Analysed)) == 50)
    first_analysed = next(n for n, e in enumerate(events) if isinstance(e, Analysed))
    reported = committed_ids(events[:first_analysed])
    assert set(events[first_analysed].ids) <= set(reported)  # committed before analysed


async def test_ids_go_out_at_once_when_quiet_and_gathered_when_busy(tmp_path: Path) -> None:
    core = _Core(None, Settings(db_path=tmp_path / "c.db", port=0))  # type: ignore[arg-type]
    sent: list[tuple[object, ...]] = []
    core._send = sent.append  # type: ignore[method-assign]
    loop = asyncio.get_running_loop()
    core._forward(RequestsCommitted((1,)))
    assert core.flush_due is not None
    assert core.flush_due.when() <= loop.time()  # nothing sent before it: due at once
    core._flush_events()
    assert sent == [("event", RequestsCommitted((1,)))]
    core._forward(RequestsCommitted((2,)))  # right after a send: gathered with what follows
    core._forward(RequestsCommitted((3,)))
    assert core.flush_due is not None
    assert core.flush_due.when() > loop.time()
    core._flush_events()
    assert sent[1:] == [("event", RequestsCommitted((2, 3)))]
