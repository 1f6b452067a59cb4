"""Row 7 (a corrupt database is quarantined with its WAL/SHM, a fresh one started, the service
says so and the receiver is up) and row 8 (a store that cannot write answers 503, never 2xx,
publishes StoreState(False) — the app's banner — and recovers when the cause is removed)."""

from __future__ import annotations

import os
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from inspector.core.events import StoreState
from inspector.core.store import Store
from inspector.gui.bridge import CoreBridge
from tests.gui.conftest import OFFSCREEN_NOISE, bridge, isolated, make_record, settings  # noqa: F401
from tests.gui.test_main_window import open_window
from tests.reliability.conftest import StartService


def healthy_db(path: Path, rows: int = 40) -> None:
    store = Store.open(path)
    store.insert_many([make_record(f"/r/{n}", body=os.urandom(2000)) for n in range(rows)])
    store.close()
    assert not Path(str(path) + "-wal").exists() or Path(str(path) + "-wal").stat().st_size == 0


def bad_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:16] = b"NOT SQLITE AT AL"
    path.write_bytes(bytes(data))


def flipped_page(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for number in range(1, len(data) // page):  # every page but the first: b-tree headers
        start = number * page
        data[start : start + 12] = bytes(b ^ 0xFF for b in data[start : start + 12])
    path.write_bytes(bytes(data))


def truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])


def stale_wal(path: Path) -> None:
    """A -wal/-shm pair left by another database (e.g. a restored backup of another file)."""
    other = path.with_name("other.db")
    conn = sqlite3.connect(other)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(os.urandom(3000),) for _ in range(50)])
    conn.commit()
    Path(str(path) + "-wal").write_bytes(Path(str(other) + "-wal").read_bytes())
    Path(str(path) + "-shm").write_bytes(b"\x00" * 32768)
    conn.close()
    truncated(path)


def snapshot(db: Path) -> tuple[bytes, dict[str, bytes]]:
    sides = {s: Path(str(db) + s).read_bytes() for s in ("-wal", "-shm")
             if Path(str(db) + s).exists()}  # fmt: skip
    return db.read_bytes(), sides


def check_moved(db: Path, moved: Path, original: bytes, sides: dict[str, bytes]) -> None:
    """The damaged file, byte for byte, and its -wal/-shm sit beside it under the new name."""
    assert moved.parent == db.parent
    assert moved.read_bytes() == original
    for suffix, data in sides.items():  # the -shm is SQLite's rebuildable index: moved along
        side = Path(str(moved) + suffix)
        assert side.exists()
        assert suffix == "-shm" or side.read_bytes() == data


CORRUPTIONS = {"bad-header": bad_header, "flipped-page": flipped_page,
               "truncated": truncated, "stale-wal": stale_wal}  # fmt: skip


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
async def test_corrupt_database_is_quarantined_and_capture_goes_on(
    start_service: StartService, tmp_path: Path, figure, kind: str
) -> None:
    db = tmp_path / "history.db"
    healthy_db(db)
    CORRUPTIONS[kind](db)
    original, sides = snapshot(db)
    svc = await start_service(db_path=db)
    assert svc.quarantined is not None, "damaged database was not moved aside"
    moved = svc.quarantined.moved_to
    check_moved(db, moved, original, sides)
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{svc.url}/after", data=b"{}") as response:
            assert response.status == 200
    assert svc.store is not None
    assert svc.store.count() == 1
    assert svc.store.integrity_check() == "ok"
    figure(f"{kind}: moved to {moved.name} (+{', '.join(sides) or 'no sides'}); "
           f"reason {svc.quarantined.reason!r}; receiver 200")  # fmt: skip


async def test_full_store_answers_503_then_recovers(start_service: StartService, figure) -> None:
    svc = await start_service()
    events: list[object] = []
    svc.subscribe(events.append)
    assert svc.store is not None
    conn = sqlite3.connect(svc.db_path, isolation_level=None)
    conn.execute("CREATE TRIGGER full BEFORE INSERT ON requests"
                 " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")  # fmt: skip
    statuses = []
    async with aiohttp.ClientSession() as session:
        for n in range(20):
            async with session.post(f"{svc.url}/full/{n}", data=b"{}") as response:
                statuses.append(response.status)
        conn.execute("DROP TRIGGER full")
        async with session.post(f"{svc.url}/ok", data=b"{}") as response:
            after = response.status
    conn.close()
    assert statuses == [503] * 20
    assert after == 200
    states = [e for e in events if isinstance(e, StoreState)]
    assert [s.ok for s in states] == [False, True]
    assert "disk is full" in states[0].message
    figure("20 x 503 while full, 0 x 2xx; StoreState False then True; 200 after removal")


@OFFSCREEN_NOISE
def test_full_store_shows_the_banner_in_the_app_and_clears_it(
    qtbot, bridge: CoreBridge, figure  # noqa: F811
) -> None:
    window = open_window(qtbot, bridge)
    url = window.receiver_url.rstrip("/")
    conn = sqlite3.connect(bridge.service.db_path, isolation_level=None)

    def post() -> int:
        request = urllib.request.Request(f"{url}/x", data=b"{}", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            error.close()
            return int(error.code)

    try:
        conn.execute("CREATE TRIGGER full BEFORE INSERT ON requests"
                     " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")  # fmt: skip
        assert post() == 503
        qtbot.waitUntil(lambda: window.store_banner.isVisible(), timeout=5_000)
        banner = window.store_banner.text()
        conn.execute("DROP TRIGGER full")
        assert post() == 200
        qtbot.waitUntil(lambda: not window.store_banner.isVisible(), timeout=5_000)
    finally:
        conn.close()
        window.close()
    figure(f"503, banner {banner!r}, banner gone after 200")
