"""StoredBatch: analysed requests cross the pipe with their records still pickled."""

from __future__ import annotations

import asyncio
import pickle
from pathlib import Path

from inspector.core.events import RequestsStored, Stored, StoredBatch
from inspector.core.models import CapturedRequest, Derived, SigStatus, Verification
from inspector.core.store import Record, Store
from inspector.core.writer import GroupWriter


def _item(n: int, status: SigStatus) -> Stored:
    request = CapturedRequest("POST", f"/hook/{n}", body=b"body %d" % n)
    return Stored(n, Record(request, Derived("meta", verification=Verification(status)), 200))


ITEMS = [_item(1, SigStatus.VALID), _item(2, SigStatus.INVALID), _item(3, SigStatus.UNSIGNED)]


def test_ids_and_invalid_count_are_read_without_unpickling_the_records() -> None:
    batch = pickle.loads(pickle.dumps(StoredBatch.of(ITEMS)))
    event = RequestsStored(batch)
    assert (event.ids, event.invalid, len(batch)) == ((1, 2, 3), 1, 3)
    assert batch._items is None  # nobody asked for the records: they were never unpickled


def test_the_records_come_back_whole_when_read() -> None:
    batch = pickle.loads(pickle.dumps(StoredBatch.of(ITEMS)))
    assert list(batch) == ITEMS
    assert batch[1].record.request.body == b"body 2"
    assert list(batch[1:]) == ITEMS[1:]


def test_a_plain_tuple_of_items_answers_the_same() -> None:
    event = RequestsStored(tuple(ITEMS))
    assert (event.ids, event.invalid) == ((1, 2, 3), 1)


def _derive(request: CapturedRequest) -> Derived:
    return Derived("generic", verification=Verification(SigStatus.INVALID))


def _packed(items: object) -> StoredBatch:
    assert isinstance(items, StoredBatch)
    return items


async def test_the_writer_hands_listeners_a_packed_batch(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    batches: list[StoredBatch] = []
    writer = GroupWriter(store, _derive, lambda items: batches.append(_packed(items)))
    await writer.start()
    await asyncio.gather(*(writer.submit(CapturedRequest("POST", f"/r/{n}")) for n in range(5)))
    await writer.settled()
    await writer.close()
    store.close()
    assert sorted(i for b in batches for i in b.ids) == [1, 2, 3, 4, 5]
    assert sum(b.invalid for b in batches) == 5
