"""Issue 13 item 14: a desktop subscriber killed with SIGKILL must not store events twice on
restart: its position is saved in the same SQLite transaction as the events."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from pathlib import Path

import aiohttp

from inspector.core.stream import STREAM_PATH
from tests import polling
from tests.reliability.conftest import StartService, alive, children_of, start_serve

FIRST = 200
SECOND = 20


def stored_numbers(db: Path) -> list[int]:
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT body FROM requests").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()
    return [int(body) for (body,) in rows]


def saved_position(db: Path) -> str | None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        row = conn.execute("SELECT last_id FROM source_positions").fetchone()
    finally:
        conn.close()
    return None if row is None else str(row[0])


async def post(url: str, numbers: range) -> None:
    async with aiohttp.ClientSession() as session:
        for n in numbers:
            async with session.post(f"{url}/hook", data=b"%d" % n) as response:
                assert response.status == 200


async def wait_rows(db: Path, count: int) -> None:
    await polling.until(lambda: len(stored_numbers(db)) >= count, seconds=60)


def kill_hard(proc) -> None:  # type: ignore[no-untyped-def]
    children = children_of(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.02)


async def test_sigkill_of_a_subscriber_then_restart_stores_nothing_twice(
    start_service: StartService, tmp_path: Path, figure
) -> None:
    relay = await start_service(publish=True, db_path=tmp_path / "relay.db")
    await post(relay.url or "", range(FIRST))
    await relay.settled()
    desk = tmp_path / "desk.db"
    source = ("--source", f"{relay.url}{STREAM_PATH}?last_event_id=0",
              "--source-format", "inspector")  # fmt: skip
    proc, _ = start_serve(desk, tmp_path / "home", *source)
    try:
        await wait_rows(desk, FIRST)
    finally:
        kill_hard(proc)
    numbers = stored_numbers(desk)
    position = saved_position(desk)
    assert position == str(max(numbers) + 1)  # relay ids start at 1, bodies at 0
    proc, _ = start_serve(desk, tmp_path / "home", *source)
    try:
        await polling.until(lambda: relay.publisher.client_count == 1, seconds=30)
        await post(relay.url or "", range(FIRST, FIRST + SECOND))
        await wait_rows(desk, FIRST + SECOND)
        await asyncio.sleep(0.5)  # duplicates would arrive by now
        numbers = stored_numbers(desk)
    finally:
        proc.terminate()
        proc.wait(30)
        proc.stdout.close()
    duplicates = len(numbers) - len(set(numbers))
    assert duplicates == 0
    assert sorted(numbers) == list(range(FIRST + SECOND))
    figure(
        f"killed after {FIRST} events stored: saved position {position} = newest stored; "
        f"after restart {len(numbers)} rows, {duplicates} duplicated"
    )
