"""`serve` as a process: its writer process dies and comes back; SIGTERM under load."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

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
