from __future__ import annotations

import asyncio
import socket
import threading
import urllib.request
from dataclasses import replace

import qasync

from inspector.core import events
from inspector.core.config import Settings
from inspector.core.events import (
    Analysed,
    ForwardDone,
    Pruned,
    ReceiverState,
    Rederived,
    ReplayDone,
    RequestsCommitted,
    RequestsStored,
    SourceState,
    Stored,
    StoreOpened,
    StoreState,
)
from inspector.core.models import CapturedRequest, ReplayAttempt
from inspector.core.responses import ResponseCounts
from inspector.gui.bridge import CoreBridge
from tests.gui.conftest import make_record


def post(url: str, body: bytes = b'{"hello":"world"}') -> int:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_start_reports_url_and_store(qtbot, settings: Settings) -> None:
    core = CoreBridge(settings)
    states: list[tuple[str, str]] = []
    core.receiverChanged.connect(lambda url, error: states.append((url, error)))
    with qtbot.waitSignal(core.started, timeout=10_000):
        core.start()
    qtbot.waitUntil(lambda: bool(states))
    [(url, error)] = states
    assert url.startswith("http://127.0.0.1:")
    assert error == ""
    assert core.store is not None
    assert core.running
    core.stop()
    assert not core.running
    core.stop()  # idempotent


def test_stored_signal_carries_ids_from_the_core_thread(qtbot, bridge: CoreBridge) -> None:
    url = bridge.service.url
    received: list[list[int]] = []
    bridge.stored.connect(received.append)
    with qtbot.waitSignal(bridge.counted, timeout=10_000) as counted:
        thread = threading.Thread(target=post, args=(f"{url}/webhook",))
        thread.start()
    thread.join()
    assert counted.args == [1, 0]
    qtbot.waitUntil(lambda: bool(received))
    assert received[0] == [bridge.store.last_id()]


def test_run_delivers_result_on_gui_thread(qtbot, bridge: CoreBridge) -> None:
    results: list[object] = []
    threads: list[threading.Thread] = []

    def done(value: object) -> None:
        results.append(value)
        threads.append(threading.current_thread())

    bridge.run(bridge.service.ingest(CapturedRequest("POST", "/x")), done)
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    assert results == [1]
    assert threads == [threading.main_thread()]


def test_run_delivers_errors(qtbot, bridge: CoreBridge) -> None:
    errors: list[BaseException] = []

    async def fail() -> None:
        raise ValueError("nope")

    bridge.run(fail(), on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    assert isinstance(errors[0], ValueError)


def test_call_is_awaitable_from_qasync(qapp, bridge: CoreBridge) -> None:
    async def main() -> int:
        return await bridge.call(bridge.service.ingest(CapturedRequest("POST", "/y")))

    loop = qasync.QEventLoop(qapp)
    try:
        new_id = loop.run_until_complete(main())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    assert new_id == 1


def test_background_runs_off_the_gui_thread(qtbot, bridge: CoreBridge) -> None:
    names: list[str] = []
    bridge.background(lambda: threading.current_thread().name, names.append)
    qtbot.waitUntil(lambda: bool(names), timeout=10_000)
    assert names[0].startswith("gui-io")


def test_port_taken_reports_error_but_store_works(qtbot, settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        core = CoreBridge(replace(settings, port=port))
        errors: list[tuple[str, str]] = []
        core.receiverChanged.connect(lambda url, error: errors.append((url, error)))
        with qtbot.waitSignal(core.started, timeout=10_000) as blocker:
            core.start()
        try:
            assert "already in use" in blocker.args[0]
            qtbot.waitUntil(lambda: bool(errors))
            assert errors[0][0] == ""
            assert "already in use" in errors[0][1]
            assert core.store is not None
            assert core.store.count() == 0
        finally:
            core.stop()


def test_pruned_signal_reports_retention_deletions(qtbot, bridge: CoreBridge) -> None:
    store = bridge.store
    assert store is not None
    records = [make_record(f"/p/{n}") for n in range(6)]
    store.insert_many(records)  # the app's own connection, next to the capture process's
    new = replace(bridge.service.settings, keep_last=2)
    with qtbot.waitSignal(bridge.pruned, timeout=10_000) as blocker:
        bridge.run(bridge.service.update_settings(new))
    assert blocker.args == [4, "retention: keep the last 2 requests"]


# every event that reaches the app becomes a signal (the bridge's type -> handler table)
_ATTEMPT = ReplayAttempt(7, "http://127.0.0.1:9/", 1, status=200)
_FORWARD = ForwardDone(7, 200, 12.0, None)
_SOURCE = SourceState("relay", "live", "live")
_SIGNALS = [
    (RequestsCommitted((1, 2)), "committed", [[1, 2]]),
    (Analysed((1, 2), 1), "counted", [2, 1]),
    (ReceiverState("http://127.0.0.1:8080"), "receiverChanged", ["http://127.0.0.1:8080", ""]),
    (StoreOpened(), "storeOpened", []),
    (StoreState(False, "disk full"), "storeChanged", [False, "disk full"]),
    (Rederived(3), "rederived", [3]),
    (Pruned(4, "retention: keep 2 days"), "pruned", [4, "retention: keep 2 days"]),
    (ReplayDone(_ATTEMPT), "replayed", [_ATTEMPT]),
    (_FORWARD, "forwarded", [_FORWARD]),
    (_SOURCE, "sourceChanged", [_SOURCE]),
    (ResponseCounts(()), "responsesCounted", [()]),
]


def test_each_event_becomes_its_signal(qtbot, bridge: CoreBridge) -> None:
    for event, signal, args in _SIGNALS:
        with qtbot.waitSignal(getattr(bridge, signal), timeout=1000) as blocker:
            bridge._on_event(event)  # as the core thread does, here from the test
        assert blocker.args == args, type(event).__name__
    published = {
        cls for cls in vars(events).values()
        if isinstance(cls, type) and cls.__module__ == events.__name__
        and cls not in (Stored, events.StoredBatch)  # what RequestsStored carries
    }  # fmt: skip
    handled = {type(event) for event, _, _ in _SIGNALS}
    # RequestsStored stays in the capture process: it crosses the pipe as Analysed
    assert published - handled == {RequestsStored}
    published.add(ResponseCounts)  # the response rules' counters, from core.responses
    assert set(bridge._handlers) == handled
