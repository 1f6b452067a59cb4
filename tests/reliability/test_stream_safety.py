"""Issue 13 item 4: a subscriber catching up (Last-Event-ID: 0) that never reads must be
dropped like a live one that falls too far behind, and the memory it held released."""

from __future__ import annotations

import asyncio
import gc
import socket
import time
import tracemalloc

from inspector.core.models import CapturedRequest
from inspector.core.stream import PAGE_BYTES, STREAM_PATH, WRITE_BYTES, StreamLimits
from tests import polling
from tests.reliability.conftest import MiB, StartService

ROWS = 300
BODY = 40 * 1024
CLIENTS = 4


async def silent_subscriber(port: int) -> socket.socket:
    """A raw connection that asks for everything and then never reads (tiny receive buffer)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    request = (
        f"GET {STREAM_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nLast-Event-ID: 0\r\n\r\n"
    )
    await asyncio.get_running_loop().sock_sendall(sock, request.encode())
    return sock


async def test_a_catching_up_subscriber_that_never_reads_is_dropped_and_memory_released(
    start_service: StartService, figure
) -> None:
    svc = await start_service(publish=True)
    assert svc.publisher is not None
    assert svc.receiver is not None
    assert svc.receiver.port is not None
    svc.publisher.limits = StreamLimits(queue_items=50, queue_bytes=MiB, write_stall=0.3)
    body = b"x" * BODY
    for start in range(0, ROWS, 50):
        await asyncio.gather(*(
            svc.ingest(CapturedRequest("POST", f"/h{n}", body=body, source="test"))
            for n in range(start, start + 50)
        ))  # fmt: skip
    await svc.settled()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        started = time.monotonic()
        socks = [await silent_subscriber(svc.receiver.port) for _ in range(CLIENTS)]
        await polling.until(lambda: svc.publisher.client_count == CLIENTS, seconds=10)
        await polling.until(lambda: svc.publisher.client_count == 0, seconds=30)
        dropped_after = time.monotonic() - started
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    for sock in socks:
        sock.close()
    per_client = (peak - base) / CLIENTS
    assert per_client < PAGE_BYTES + 4 * WRITE_BYTES
    assert after - base < 2 * MiB
    figure(
        f"{CLIENTS} silent subscribers on a {ROWS * BODY / MiB:.0f} MiB history (limit 50 "
        f"requests / 1 MiB): all dropped within {dropped_after:.1f} s; peak "
        f"{per_client / MiB:.1f} MiB traced per client, {(after - base) / MiB:.2f} MiB left "
        "after the drop"
    )
