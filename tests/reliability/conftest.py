"""Reliability and security suite: shared helpers, and the figures each test measured.

Every test records the figure it measured with the `figure` fixture; the figures are printed
at the end of the run ("reliability figures") and copied into README.md's
"Reliability promises" table.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from inspector.core.config import Settings
from inspector.core.service import InspectorService

ROOT = Path(__file__).resolve().parents[2]
FIGURES: list[tuple[str, str]] = []
MiB = 1024 * 1024


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Record the figure a test measured (shown in the terminal summary)."""

    def record(text: str) -> None:
        FIGURES.append((request.node.name, text))
        print(f"FIGURE {request.node.name}: {text}")

    return record


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if FIGURES:
        terminalreporter.section("reliability figures")
        for name, text in FIGURES:
            terminalreporter.write_line(f"{name}: {text}")


StartService = Callable[..., Awaitable[InspectorService]]


@pytest.fixture
async def start_service(tmp_path: Path) -> AsyncIterator[StartService]:
    """Start InspectorServices on tmp databases (port 0); all are stopped at the end."""
    started: list[InspectorService] = []

    async def start(**changes: object) -> InspectorService:
        values: dict[str, object] = {"db_path": tmp_path / "history.db", "port": 0}
        values.update(changes)
        svc = InspectorService(Settings(**values))  # type: ignore[arg-type]
        started.append(svc)
        await svc.start()
        return svc

    yield start
    for svc in reversed(started):
        await svc.stop()


async def raw_exchange(port: int, data: bytes, wait: float = 10) -> bytes:
    """Send exact bytes to 127.0.0.1:port; everything answered until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), wait)
    finally:
        writer.close()


def rss(pid: int | None = None) -> int:
    """Resident set size in bytes (Linux /proc)."""
    status = Path(f"/proc/{pid or 'self'}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match, status
    return int(match.group(1)) * 1024


def children_of(pid: int) -> list[int]:
    """Direct children of `pid` (scans /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start_serve(db: Path, home: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """`python -m inspector serve --port 0 --db DB --quiet`; returns (process, base URL)."""
    env = {**os.environ, "WEBHOOK_INSPECTOR_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", "--db", str(db), "--port", "0",
         "--quiet", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    line = b""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        match = re.search(rb"Listening on (http://\S+?)/ ", line)
        if match:
            return proc, match.group(1).decode()
        if not line and proc.poll() is not None:
            break
    proc.kill()
    proc.wait(10)
    raise AssertionError(f"serve did not start: {line!r}")
