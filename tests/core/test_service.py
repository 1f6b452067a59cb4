from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from inspector.core.config import SecretRule, Settings
from inspector.core.events import Rederived
from inspector.core.runner import ServiceThread
from inspector.core.service import InspectorService


@pytest.fixture
async def service(tmp_path: Path):
    svc = InspectorService(Settings(db_path=tmp_path / "s.db", port=0))
    await svc.start()
    yield svc
    await svc.stop()


async def test_changing_a_secret_re_verifies_stored_requests(service, provider_fixture) -> None:
    body = provider_fixture("meta_message_text.json")
    signature = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    async with aiohttp.ClientSession() as session:
        headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
        async with session.post(f"{service.url}/webhook", data=body, headers=headers) as r:
            assert r.status == 200
    await service.settled()
    [row] = service.store.page()
    assert (row.provider, row.sig_status) == ("meta", "no_secret")
    events: list[object] = []
    service.subscribe(events.append)
    rule = SecretRule("/webhook", "meta", "app-secret")
    await service.update_settings(replace(service.settings, secrets=(rule,)))
    [row] = service.store.page()
    assert row.sig_status == "valid"
    assert Rederived(1) in events
    stored = service.store.get(row.id)
    assert stored is not None
    assert stored.request.body == body


async def test_ingest_stores_requests_from_elsewhere(service) -> None:
    from inspector.core.models import CapturedRequest

    request_id = await service.ingest(CapturedRequest("POST", "/import", source="import"))
    await service.settled()
    assert service.store.summaries([request_id])[request_id].source == "import"


async def test_delete_and_clear(service) -> None:
    from inspector.core.models import CapturedRequest

    ids = [await service.ingest(CapturedRequest("POST", f"/{n}")) for n in range(3)]
    assert await service.delete(ids[:1]) == 1
    await service.clear()
    assert service.store.count() == 0


def test_service_thread_starts_serves_and_stops(tmp_path: Path) -> None:
    import urllib.request

    thread = ServiceThread(InspectorService(Settings(db_path=tmp_path / "t.db", port=0)))
    thread.start().result(20)
    url = thread.service.url
    with urllib.request.urlopen(urllib.request.Request(f"{url}/t", data=b"{}"), timeout=10) as r:
        assert r.status == 200
    thread.submit(thread.service.settled()).result(10)
    assert thread.service.store.count() == 1
    thread.stop()
    assert not thread._thread.is_alive()


def test_stopping_while_starting_stops_the_writer_process_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from inspector.core.writer import GroupWriter

    real_start = GroupWriter.start

    async def slow_start(self: GroupWriter) -> None:
        await asyncio.sleep(0.3)  # the window is closed while the writer is starting
        await real_start(self)

    monkeypatch.setattr(GroupWriter, "start", slow_start)
    thread = ServiceThread(InspectorService(Settings(db_path=tmp_path / "t.db", port=0)))
    thread.start()
    thread.stop()
    writer = thread.service.writer
    assert writer is not None
    assert writer._process is not None
    assert not writer._process.is_alive()
    assert not thread._thread.is_alive()


async def test_retention_deletes_old_requests_and_says_so(service) -> None:
    import time

    from inspector.core.events import Pruned
    from inspector.core.models import CapturedRequest

    old = time.time_ns() - 3 * 86400 * 10**9
    for n in range(5):
        await service.ingest(CapturedRequest("POST", f"/old/{n}", received_at_ns=old))
    for n in range(5):
        await service.ingest(CapturedRequest("POST", f"/new/{n}"))
    events: list[object] = []
    service.subscribe(events.append)
    await service.update_settings(replace(service.settings, keep_days=1.0))
    assert service.store.count() == 5
    await service.update_settings(replace(service.settings, keep_last=2))
    assert [r.path for r in service.store.page()] == ["/new/4", "/new/3"]
    assert Pruned(5, "retention: keep 1 days") in events
    assert Pruned(3, "retention: keep the last 2 requests and keep 1 days") in events


async def test_analysed_requests_reach_listeners_only_while_one_reads_them(
    tmp_path: Path,
) -> None:
    """`serve --quiet` reads no RequestsStored: the writer process then sends none (they cost
    the receiver CPU); a listener that reads them (a stream subscriber) turns them on."""
    from inspector.core.events import RequestsStored
    from inspector.core.models import CapturedRequest

    svc = InspectorService(Settings(db_path=tmp_path / "s.db", port=0))
    quiet: list[object] = []
    svc.subscribe(quiet.append, analysed=False)
    await svc.start()
    try:

        async def store(path: str) -> int:
            request_id = await svc.ingest(CapturedRequest("POST", path))
            await svc.settled()
            return request_id

        def announced(events: list[object]) -> list[int]:
            return [i for e in events if isinstance(e, RequestsStored) for i in e.ids]

        await store("/unread")
        assert announced(quiet) == []
        reader: list[object] = []
        unsubscribe = svc.subscribe(reader.append)
        read = await store("/read")
        assert announced(reader) == [read]
        assert announced(quiet) == [read]
        unsubscribe()
        await store("/unread-again")
        assert announced(quiet) == [read]
        assert svc.store.count("analysed = 1") == 3
    finally:
        await svc.stop()
