from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from inspector.core import writer as writer_module
from inspector.core.events import Stored
from inspector.core.models import CapturedRequest, Derived, Event
from inspector.core.store import Record, Store
from inspector.core.writer import GroupWriter
from tests import polling


def derive_path(request: CapturedRequest) -> Derived:
    return Derived("generic", (Event("generic", "seen", f"saw {request.path}"),))


def broken_derive(request: CapturedRequest) -> Derived:
    raise ValueError("detector bug")


async def test_concurrent_submits_share_commits_and_all_get_ids(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    seen: list[Stored] = []
    writer = GroupWriter(store, derive_path, seen.extend)
    await writer.start()
    requests = [CapturedRequest("POST", f"/r/{n}", body=b"x") for n in range(300)]
    ids = await asyncio.gather(*(writer.submit(r, 200) for r in requests))
    await writer.settled()
    assert sorted(ids) == list(range(1, 301))
    assert store.count("analysed = 1") == 300
    assert {s.record.derived.summary for s in seen} == {f"saw /r/{n}" for n in range(300)}
    await writer.close()
    store.close()


async def test_rows_left_unanalysed_by_a_crash_are_analysed_at_start(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    store.insert_many([Record(CapturedRequest("POST", "/left"), None, 200)])
    assert store.count("analysed = 0") == 1
    seen: list[Stored] = []
    writer = GroupWriter(store, derive_path, seen.extend)
    await writer.start()
    await writer.settled()
    assert store.count("analysed = 0") == 0
    assert [s.record.derived.summary for s in seen] == ["saw /left"]
    await writer.close()
    store.close()


async def test_a_failing_detector_never_loses_the_request(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    writer = GroupWriter(store, broken_derive, lambda items: None)
    await writer.start()
    request_id = await writer.submit(CapturedRequest("POST", "/x", body=b"{}"))
    await writer.settled()
    stored = store.get(request_id)
    assert stored is not None
    assert stored.derived.summary == "could not analyse: detector bug"
    await writer.close()
    store.close()


async def test_a_dead_writer_process_gives_a_clear_store_error(tmp_path: Path) -> None:
    import pytest

    from inspector.core.store import StoreError

    store = Store.open(tmp_path / "w.db")
    writer = GroupWriter(store, derive_path, lambda items: None)
    await writer.start()
    writer._process.kill()
    with pytest.raises(StoreError, match="stopped unexpectedly"):
        await writer.submit(CapturedRequest("POST", "/x"))
    await writer.close()
    store.close()


async def test_start_returns_once_the_writer_process_has_opened_the_store(tmp_path: Path) -> None:
    import pytest

    from inspector.core.store import StoreError

    store = Store.open(tmp_path / "w.db")
    (tmp_path / "w.db").unlink()
    (tmp_path / "w.db").mkdir()  # the writer process cannot open it
    writer = GroupWriter(store, derive_path, lambda items: None)
    with pytest.raises(StoreError, match="stopped unexpectedly"):
        await writer.start()
    await writer.close()
    store.close()


async def test_durable_writer_groups_waiting_batches_and_answers_each(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db", durable=True)
    writer = GroupWriter(store, derive_path, lambda items: None)
    await writer.start()
    requests = [CapturedRequest("POST", f"/d/{n}") for n in range(500)]
    ids = await asyncio.gather(*(writer.submit(r, 200) for r in requests))
    assert sorted(ids) == list(range(1, 501))
    paths = dict(store.reader().execute("SELECT id, path FROM requests").fetchall())
    assert all(paths[i] == r.path for i, r in zip(ids, requests, strict=True))
    await writer.close()
    store.close()


async def test_a_killed_writer_process_is_started_again_and_reaped(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    writer = GroupWriter(store, derive_path, lambda items: None)
    await writer.start()
    old = writer._process
    old.kill()
    await polling.until(lambda: writer.problem is not None, 30)  # the loss is noticed
    assert "stopped unexpectedly" in (writer.problem or "")
    await polling.until(lambda: writer.problem is None, 60)  # started again
    assert writer.restarts == 1
    assert old.exitcode is not None  # joined: no zombie left
    assert await writer.submit(CapturedRequest("POST", "/again")) >= 1
    await writer.close()
    store.close()


def test_analysis_catches_up_with_a_stream_it_can_follow_and_gives_way_to_a_flood(
    tmp_path: Path,
) -> None:
    Store.open(tmp_path / "w.db").close()
    ours, other = multiprocessing.Pipe()
    child = writer_module._ChildWriter(ours, str(tmp_path / "w.db"), False, derive_path)
    received = time.time_ns() - 2 * 10**9  # these requests have waited 2 s
    requests = [CapturedRequest("POST", f"/r/{n}", received_at_ns=received) for n in range(60)]
    child.insert([[(writer_module.REQUEST_FIELDS(r), 200, (), b"", None) for r in requests]])

    def analyse(capture_rate: float) -> int:
        child.last_capture = time.monotonic()  # capture is busy
        child.capture_rate = capture_rate
        before = child.store.count("analysed = 1")
        child.analyse_some()
        return child.store.count("analysed = 1") - before

    flood = writer_module.FLOOD_RATE
    assert analyse(flood) == writer_module.BUSY_ANALYSE_BATCH  # not known to be behind yet
    assert child.lag > writer_module.LAG_TARGET
    assert analyse(1.0) == writer_module.LAGGING_BATCH  # a stream it can follow: catch up
    flood = max(writer_module.KEEP_UP_SHARE / child.row_cost * 2, writer_module.FLOOD_RATE)
    assert analyse(flood) == writer_module.BUSY_ANALYSE_BATCH  # capture goes first
    child.close()
    other.close()


def test_below_the_flood_rate_analysis_uses_all_the_time_capture_leaves(tmp_path: Path) -> None:
    """At a steady 200 requests/s analysis must not sit out a share of the time: it runs
    whenever no request waits in the pipe (it fell seconds behind at 200/s when it waited)."""
    Store.open(tmp_path / "w.db").close()
    ours, other = multiprocessing.Pipe()
    child = writer_module._ChildWriter(ours, str(tmp_path / "w.db"), False, derive_path)
    requests = [CapturedRequest("POST", f"/r/{n}") for n in range(40)]
    child.insert([[(writer_module.REQUEST_FIELDS(r), 200, (), b"", None) for r in requests]])
    child.capture_rate, child.capture_fill = 200.0, 1.0  # one request per commit
    child.analyse_some()
    child.last_capture = time.monotonic()  # capture is busy, at 200/s
    assert child._analysis_due()
    assert child._wait_time() == 0.0
    assert not child._request_waiting()
    other.send_bytes(b"x")  # a request waits: it goes first
    assert child._request_waiting()
    child.analysed_at, child.last_analysis = time.monotonic(), 1.0  # its last batch took 1 s
    for rate, fill in ((writer_module.FLOOD_RATE, 1.0), (200.0, writer_module.FLOOD_FILL)):
        # flooded (fast, or slower but queueing up for the writer): analysis waits its turn
        child.capture_rate, child.capture_fill = rate, fill
        assert not child._request_waiting()
        assert not child._analysis_due()
        assert child._wait_time() > 0.0
    child.close()
    other.close()


def _messages(end: Connection) -> list[tuple[Any, ...]]:
    """Every message the child sent so far, in order."""
    found = []
    while end.poll(0):
        found.append(pickle.loads(end.recv_bytes()))
    return found


def test_during_a_flood_analysed_requests_are_announced_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each announcement wakes the receiver (and the GUI): during a flood they wait for
    NOTICE_ROWS rows or NOTICE_WAIT seconds; otherwise, and before a settle, they go at once."""
    monkeypatch.setattr(writer_module, "NOTICE_ROWS", 8)
    Store.open(tmp_path / "w.db").close()
    ours, other = multiprocessing.Pipe()
    child = writer_module._ChildWriter(ours, str(tmp_path / "w.db"), False, derive_path)
    requests = [CapturedRequest("POST", f"/r/{n}") for n in range(40)]
    child.insert([[(writer_module.REQUEST_FIELDS(r), 200, (), b"", None) for r in requests]])
    assert [m[0] for m in _messages(other)] == ["ids"]
    child.capture_rate, child.last_capture = writer_module.FLOOD_RATE, time.monotonic()
    child.analyse_batch(4)
    assert _messages(other) == []  # flooded: 4 rows wait
    child.analyse_batch(4)
    [(kind, batch)] = _messages(other)
    assert kind == "analysed"
    assert len(batch.ids) == 8  # NOTICE_ROWS reached
    child.analyse_batch(4)
    assert _messages(other) == []
    child.unannounced_since -= writer_module.NOTICE_WAIT  # the oldest has waited long enough
    child.send_analysed(force=False)
    assert [len(m[1].ids) for m in _messages(other)] == [4]
    child.analyse_batch(4)
    child.settles = 1
    child.answer_requests()  # a settle follows everything analysed before it
    assert [m[0] for m in _messages(other)] == ["analysed", "settled"]
    child.capture_rate, child.capture_fill = 0.0, 1.0  # no longer flooded: announced at once
    child.analyse_batch(4)
    assert [len(m[1].ids) for m in _messages(other)] == [4]
    child.close()
    other.close()


def test_nothing_is_announced_while_nobody_reads_it(tmp_path: Path) -> None:
    Store.open(tmp_path / "w.db").close()
    ours, other = multiprocessing.Pipe()
    child = writer_module._ChildWriter(ours, str(tmp_path / "w.db"), False, derive_path)
    requests = [CapturedRequest("POST", f"/r/{n}") for n in range(8)]
    child.insert([[(writer_module.REQUEST_FIELDS(r), 200, (), b"", None) for r in requests]])
    _messages(other)
    child.capture_rate, child.capture_fill = 0.0, 1.0  # not flooded: announced at once
    child.handle(("announce", False))
    assert child.analyse_batch(4) == 4
    assert _messages(other) == []
    child.handle(("announce", True))
    child.analyse_batch(4)
    assert [m[0] for m in _messages(other)] == ["analysed"]
    assert child.store.count("analysed = 1") == 8  # analysed either way
    child.close()
    other.close()
