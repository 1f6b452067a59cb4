"""Load generator (used when wrk is absent, and by --kill): bounded concurrency, fixed time.

Usage: _load.py URL SECONDS CONCURRENCY [--record FILE] [--times FILE] [--rate N]
Prints one JSON line; with --record, writes the sequence numbers that got a 2xx, one a line,
flushed as they arrive (so a killed server's acknowledgements are all on disk). With --times,
writes "N t_ack" per 2xx: the sequence number and time.monotonic() when the answer arrived
(CLOCK_MONOTONIC: comparable with another process's time.monotonic() on the same machine).
With --rate, request N is sent no earlier than N / rate seconds after the start (a steady
stream instead of as fast as possible).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import meta_signature, meta_text_body


async def worker(session, url, deadline, latencies, counters, record, seq, times=None, pace=None):
    while time.monotonic() < deadline:
        n = next(seq)
        if pace is not None:  # (start, rate): a steady stream
            await asyncio.sleep(max(0.0, pace[0] + n / pace[1] - time.monotonic()))
            if time.monotonic() >= deadline:
                break
        body = meta_text_body(n)
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(body)}
        started = time.perf_counter()
        try:
            async with session.post(f"{url}/webhook/seq/{n}", data=body, headers=headers) as r:
                await r.read()
                ok = 200 <= r.status < 300
        except (aiohttp.ClientError, OSError):
            counters["errors"] += 1
            if record is not None:
                await asyncio.sleep(0.05)
            continue
        counters["answered"] += 1
        if ok:
            counters["ok"] += 1
            latencies.append(time.perf_counter() - started)
            if record is not None:
                record.write(f"{n}\n")
                record.flush()
            if times is not None:
                times.append(f"{n} {time.monotonic():.6f}\n")


async def main() -> None:
    url, seconds, concurrency = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    record_path = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--record" else None
    record = open(record_path, "w") if record_path else None  # noqa: ASYNC230, SIM115
    times_path = sys.argv[sys.argv.index("--times") + 1] if "--times" in sys.argv else None
    times: list[str] | None = [] if times_path else None
    rate = float(sys.argv[sys.argv.index("--rate") + 1]) if "--rate" in sys.argv else None
    seq = itertools.count()
    latencies: list[float] = []
    counters = {"answered": 0, "ok": 0, "errors": 0}
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    pace = (started, rate) if rate else None
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(
            worker(session, url, deadline, latencies, counters, record, seq, times, pace)
            for _ in range(concurrency)
        ))
    elapsed = time.monotonic() - started
    if record is not None:
        record.close()
    if times_path is not None and times is not None:
        with open(times_path, "w") as handle:  # noqa: ASYNC230
            handle.writelines(times)
    latencies.sort()

    def pick(q: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    print(json.dumps({**counters, "rps": counters["ok"] / elapsed, "p50_ms": pick(0.5),
                      "p99_ms": pick(0.99)}))


if __name__ == "__main__":
    asyncio.run(main())
