"""Following a database another process writes (tail, wait)."""

from __future__ import annotations

from pathlib import Path

from inspector.core.config import Settings
from inspector.core.derive import derive
from inspector.core.follow import POLL_ROWS, Follower
from inspector.core.models import CapturedRequest
from inspector.core.store import Record, Store


def fill(path: Path, count: int) -> None:
    store = Store.open(path)
    try:
        records = []
        for n in range(count):
            request = CapturedRequest("POST", f"/hook/{n}", body=b"x" * 1000)
            records.append(Record(request, derive(request, Settings())))
        store.insert_many(records)
    finally:
        store.close()


def test_a_poll_reads_a_bounded_page_and_the_next_one_goes_on(tmp_path: Path) -> None:
    """`wait --since 0` or `tail` after a burst never loads every body at once."""
    path = tmp_path / "f.db"
    fill(path, 2 * POLL_ROWS + 10)
    follower = Follower(path, "", after=0)
    try:
        pages = [follower.poll() for _ in range(4)]
    finally:
        follower.close()
    assert [len(page) for page in pages] == [POLL_ROWS, POLL_ROWS, 10, 0]
    ids = [stored.id for page in pages for stored in page]
    assert ids == list(range(1, 2 * POLL_ROWS + 11))
    assert not follower.behind


def test_a_filtered_poll_skips_a_page_with_no_match(tmp_path: Path) -> None:
    path = tmp_path / "f.db"
    fill(path, POLL_ROWS + 5)
    last = f"path:/hook/{POLL_ROWS + 4}"
    follower = Follower(path, last, after=0)
    try:
        first = follower.poll()
        assert first == []
        assert follower.behind  # more to read at once, no need to wait
        assert [stored.request.path for stored in follower.poll()] == [f"/hook/{POLL_ROWS + 4}"]
        assert not follower.behind
    finally:
        follower.close()
