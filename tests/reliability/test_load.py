"""Row 1: a burst of 5,000 POSTs at 200 concurrent: every one 2xx, exactly 5,000 rows; and the
same burst against the desktop app (MainWindow + CoreBridge, offscreen) without GUI stalls."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from PySide6.QtCore import QTimer

from inspector.core.config import Settings
from inspector.gui.bridge import CoreBridge
from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE, isolated  # noqa: F401  (fixture)
from tests.reliability.conftest import ROOT, StartService

TOTAL = 5_000
CONCURRENCY = 200
BURST_LIMIT = 120.0
"""Seconds the whole burst may take before the test fails (bounded load loop)."""
STALL_LIMIT_MS = 250.0


async def burst(url: str, total: int = TOTAL, concurrency: int = CONCURRENCY) -> Counter[int]:
    """POST `total` distinct bodies, at most `concurrency` at a time; the status counts."""
    statuses: Counter[int] = Counter()
    slots = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        async with slots:
            try:
                async with session.post(f"{url}/load/{n}", data=b'{"n":%d}' % n) as response:
                    await response.read()
                    statuses[response.status] += 1
            except (aiohttp.ClientError, TimeoutError):
                statuses[0] += 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async with asyncio.timeout(BURST_LIMIT):
            await asyncio.gather(*(one(session, n) for n in range(total)))
    return statuses


async def test_5000_posts_at_200_concurrent_all_2xx_and_stored(
    start_service: StartService, figure
) -> None:
    svc = await start_service()
    assert svc.url is not None
    assert svc.store is not None
    started = time.monotonic()
    statuses = await burst(svc.url)
    elapsed = time.monotonic() - started
    await svc.settled()
    assert statuses == Counter({200: TOTAL})
    assert svc.store.count() == TOTAL
    paths = {row[0] for row in svc.store.reader().execute("SELECT path FROM requests")}
    assert len(paths) == TOTAL
    figure(f"{TOTAL} x 2xx, {svc.store.count()} rows, {TOTAL / elapsed:.0f} req/s "
           f"({elapsed:.1f} s)")  # fmt: skip


CLIENT = (
    "import asyncio, json, sys\n"
    "from tests.reliability.test_load import burst\n"
    "print(json.dumps(asyncio.run(burst(sys.argv[1]))))\n"
)


@pytest.mark.slow  # a wall-clock bound: run by `make test-all` on a quiet machine, not in CI
@OFFSCREEN_NOISE
def test_gui_app_takes_5000_posts_without_stalling(
    qtbot, tmp_path: Path, isolated: Path, figure  # noqa: F811
) -> None:
    core = CoreBridge(replace(Settings(db_path=tmp_path / "gui.db", port=0)))
    with qtbot.waitSignal(core.started, timeout=10_000):
        core.start()
    window = MainWindow(core, None)
    qtbot.addWidget(window)
    try:
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: bool(window.receiver_url), timeout=10_000)
        url = window.receiver_url.rstrip("/")

        gaps: list[float] = []
        last = [time.monotonic()]

        def beat() -> None:
            now = time.monotonic()
            gaps.append((now - last[0]) * 1000)
            last[0] = now

        heartbeat = QTimer()
        heartbeat.setInterval(10)
        heartbeat.timeout.connect(beat)
        heartbeat.start()
        # the senders run in another process, as real ones do: the GIL is the app's alone
        started = time.monotonic()
        sender = subprocess.Popen([sys.executable, "-c", CLIENT, url], stdout=subprocess.PIPE,
                                  cwd=ROOT)  # fmt: skip
        try:
            qtbot.waitUntil(lambda: sender.poll() is not None,
                            timeout=int(BURST_LIMIT * 1000) + 10_000)  # fmt: skip
        finally:
            if sender.poll() is None:
                sender.kill()
            out, _ = sender.communicate(timeout=10)
        elapsed = time.monotonic() - started
        store = core.store
        assert store is not None
        qtbot.waitUntil(lambda: window.model.rowCount() >= min(TOTAL, 1), timeout=10_000)
        heartbeat.stop()
        assert sender.returncode == 0
        assert json.loads(out) == {"200": TOTAL}
        assert store.count() == TOTAL
        stall = max(gaps[1:]) if len(gaps) > 1 else float("inf")
        figure(f"{TOTAL} x 2xx, {store.count()} rows, {TOTAL / elapsed:.0f} req/s, "
               f"longest GUI stall {stall:.0f} ms over {len(gaps)} beats")  # fmt: skip
        assert stall < STALL_LIMIT_MS
    finally:
        window.close()
        core.stop()
