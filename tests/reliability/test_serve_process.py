"""`serve` as a process: its writer process dies and comes back; SIGTERM under load."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from tests import polling

from .conftest import alive, children_of, start_serve


def call(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    """GET (or POST `data`): status and body; connection errors count as status 0."""
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def writer_pid(pid: int) -> int:
    """The writer process of `serve` process `pid` (its one multiprocessing child)."""
    found = [child for child in children_of(pid)
             if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]  # fmt: skip
    assert len(found) == 1, found
    return found[0]


def test_a_killed_writer_is_started_again_and_health_tells_the_outage(
    tmp_path: Path, figure
) -> None:
    proc, url = start_serve(tmp_path / "h.db", tmp_path / "home")
    try:
        assert call(f"{url}/before", b"{}")[0] == 200
        assert call(f"{url}/_inspector/health")[0] == 200
        old = writer_pid(proc.pid)
        killed_at = time.monotonic()
        os.kill(old, signal.SIGKILL)
        outage: list[tuple[int, str]] = []
        deadline = time.monotonic() + 60
        status, body = call(f"{url}/_inspector/health")
        while status == 200 and time.monotonic() < killed_at + 5:  # serve notices the kill
            time.sleep(0.02)
            status, body = call(f"{url}/_inspector/health")
        while status != 200 and time.monotonic() < deadline:
            outage.append((status, json.loads(body).get("error", "")))
            time.sleep(0.05)
            status, body = call(f"{url}/_inspector/health")
        back_after = time.monotonic() - killed_at
        assert status == 200
        assert outage, "health said ok while the writer was down"
        assert {code for code, _ in outage} == {503}
        assert "writer process stopped unexpectedly" in outage[0][1]
        posts = [call(f"{url}/after/{n}", b"{}")[0] for n in range(20)]
        assert posts == [200] * 20
        new = writer_pid(proc.pid)
        assert new != old
        assert not alive(old)
        assert not Path(f"/proc/{old}").exists(), "the dead writer was not reaped"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert proc.returncode == 0
    figure(
        f"health 503 ({len(outage)} polls: {outage[0][1][:60]!r}…), 200 again "
        f"{back_after:.1f} s after kill -9; 20/20 POSTs 200 after; old writer reaped"
    )


SENDERS = 24


async def sender(port: int, number: int, results: list[tuple[str, str]]) -> None:
    """POST /load/NUMBER/N on one keep-alive connection (a new one when it closes) until the
    server refuses; each request ends as (path, 'status NNN' | 'unanswered' | 'not sent')."""
    count = 0
    while True:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return  # the port is closed: nothing was sent
        try:
            while True:
                path = f"/load/{number}/{count}"
                count += 1
                body = b'{"n": %d}' % count
                writer.write(b"POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n"
                             b"Content-Type: application/json\r\n\r\n%s"
                             % (path.encode(), len(body), body))  # fmt: skip
                try:
                    await writer.drain()
                except OSError:
                    results.append((path, "not sent"))
                    break
                head = await read_answer(reader)
                if head is None:
                    results.append((path, "unanswered"))
                    return
                status = int(head.split(b" ", 2)[1])
                results.append((path, f"status {status}"))
                if status >= 500:
                    return  # told to stop (503 while shutting down)
                if b"connection: close" in head.lower():
                    break
        finally:
            writer.close()


async def read_answer(reader: asyncio.StreamReader) -> bytes | None:
    """An answer's head (its body read and dropped), or None when the connection ended."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    length = re.search(rb"(?i)content-length: *(\d+)", head)
    await reader.readexactly(int(length.group(1)) if length else 0)
    return head


async def load_then_sigterm(proc: subprocess.Popen[bytes], port: int, after: int) -> tuple[
    list[tuple[str, str]], float
]:
    results: list[tuple[str, str]] = []
    senders = asyncio.gather(*(sender(port, n, results) for n in range(SENDERS)))
    stalled_reader, stalled = await asyncio.open_connection("127.0.0.1", port)
    stalled.write(b"POST /stalled HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{")
    await polling.until(lambda: len(results) >= after, 60)
    proc.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    await asyncio.wait_for(senders, 120)
    # a sender that never finishes its body is cut off by serve, not by its own timeout
    assert await asyncio.wait_for(stalled_reader.read(), 50) == b""
    stalled.close()
    while proc.poll() is None:  # noqa: ASYNC110 - another process
        await asyncio.sleep(0.02)
    return results, time.monotonic() - signalled


async def test_sigterm_under_load_answers_every_request_and_stores_every_2xx(
    tmp_path: Path, figure
) -> None:
    db = tmp_path / "h.db"
    proc, url = start_serve(db, tmp_path / "home")
    port = int(url.rsplit(":", 1)[1])
    try:
        results, stop_took = await load_then_sigterm(proc, port, after=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=60)
    assert proc.returncode == 0
    outcomes = Counter(outcome for _, outcome in results)
    assert outcomes["unanswered"] == 0, outcomes
    acked = {path for path, outcome in results if outcome.startswith("status 2")}
    conn = sqlite3.connect(db)
    stored = {path for (path,) in conn.execute("SELECT path FROM requests")}
    conn.close()
    assert acked <= stored
    figure(f"{len(results)} requests from {SENDERS} senders, SIGTERM after 300: "
           f"{dict(outcomes)}; 0 unanswered; {len(acked)} × 2xx all stored; "
           f"serve exited {stop_took:.1f} s after SIGTERM")  # fmt: skip
