"""Replay benchmark: the core's replay against a bare aiohttp client, same sink, same run.

Stores N WhatsApp Cloud API requests (signed with X-Hub-Signature-256) straight into a fresh
database, starts a sink (a bare aiohttp server in a subprocess that records the SHA-256 of every
body it receives), then
  1. replays all N through the core (`replay_stored`: read each request from SQLite, send it
     byte-exact, record the attempt in the replays table) with bounded concurrency, and
  2. sends the same bytes with a bare aiohttp client (bodies already in memory, nothing stored).
Figures: requests/s of each, the ratio, and fidelity failures = stored requests whose SHA-256 the
sink did not receive during the replay + attempts that failed or whose sent SHA-256 differs.

Last line: RESULT replay_rps=... baseline_rps=... ratio=... fidelity_failures=...
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import PYTHON, meta_signature, meta_text_body, result_line, start_process, stop

DIGESTS = "/__digests"


# --- the sink (run in a subprocess with --sink) ---------------------------------------------


async def sink_main() -> None:
    from aiohttp import web

    seen: Counter[str] = Counter()

    async def receive(request: web.Request) -> web.Response:
        seen[hashlib.sha256(await request.read()).hexdigest()] += 1
        return web.json_response({"ok": True})

    async def digests(request: web.Request) -> web.Response:
        data = dict(seen)
        if request.method == "DELETE":
            seen.clear()
        return web.json_response(data)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("GET", DIGESTS, digests)
    app.router.add_route("DELETE", DIGESTS, digests)
    app.router.add_route("*", "/{tail:.*}", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"Listening on http://127.0.0.1:{runner.addresses[0][1]}/", flush=True)
    await asyncio.Event().wait()


# --- the benchmark ----------------------------------------------------------------------------


def headers_for(body: bytes) -> tuple[tuple[str, str], ...]:
    """What Meta's webhook POST carries (order as Meta sends it)."""
    return (
        ("Host", "example.ngrok.app"),
        ("User-Agent", "facebookexternalua"),
        ("Content-Length", str(len(body))),
        ("Accept", "*/*"),
        ("Accept-Encoding", "deflate, gzip"),
        ("Content-Type", "application/json"),
        ("X-Hub-Signature", "sha1=0000000000000000000000000000000000000000"),
        ("X-Hub-Signature-256", meta_signature(body)),
    )


def fill_store(db: Path, count: int) -> list[int]:
    from inspector.core.models import CapturedRequest, Derived
    from inspector.core.store import Record, Store

    store = Store.open(db)
    ids: list[int] = []
    try:
        for start in range(0, count, 1000):
            records = []
            for n in range(start, min(count, start + 1000)):
                body = meta_text_body(n)
                request = CapturedRequest("POST", "/webhook", "", headers_for(body), body,
                                          remote="127.0.0.1", received_at_ns=time.time_ns())
                records.append(Record(request, Derived("meta"), 200))
            ids += store.insert_many(records)
    finally:
        store.close()
    return ids


async def sink_digests(session, url: str, *, reset: bool) -> Counter[str]:  # type: ignore[no-untyped-def]
    method = session.delete if reset else session.get
    async with method(url + DIGESTS) as response:
        return Counter(await response.json())


async def core_replay(db: Path, ids: list[int], url: str, concurrency: int) -> tuple[float, float, list]:  # type: ignore[type-arg]
    from inspector.core.replay import Replayer
    from inspector.core.service import replay_stored
    from inspector.core.store import Store

    loop = asyncio.get_running_loop()
    store = Store.open(db)
    writes = ThreadPoolExecutor(max_workers=1)

    async def write(func):  # type: ignore[no-untyped-def]
        return await loop.run_in_executor(writes, func)

    try:
        async with Replayer() as replayer:
            started, cpu = time.perf_counter(), time.process_time()
            attempts = await replay_stored(store, replayer, ids, url + "/", write=write,
                                           concurrency=concurrency)
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        writes.shutdown()
        store.close()
    return took, cpu, attempts


async def bare_client(requests: list[tuple[str, tuple[tuple[str, str], ...], bytes]], url: str,
                      concurrency: int) -> tuple[float, float]:
    import aiohttp

    pending = iter(requests)

    async def worker(session: aiohttp.ClientSession) -> None:
        for path, headers, body in pending:
            async with session.post(url + path, data=body, headers=headers) as response:
                await response.read()
                assert response.status == 200

    async with aiohttp.ClientSession() as session:
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return time.perf_counter() - started, time.process_time() - cpu


async def measure(count: int, concurrency: int) -> None:
    import aiohttp

    sink, url = start_process([PYTHON, __file__, "--sink"])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "replay-bench.db"
            started = time.perf_counter()
            ids = fill_store(db, count)
            print(f"stored {len(ids)} requests in {time.perf_counter() - started:.1f} s")
            conn = sqlite3.connect(db)
            rows = conn.execute("SELECT path, headers, body, body_sha256 FROM requests").fetchall()
            conn.close()
            from inspector.core.models import headers_from_json

            raw = [(path, headers_from_json(headers), bytes(body)) for path, headers, body, _ in rows]
            stored_sha = Counter(row[3] for row in rows)

            async with aiohttp.ClientSession() as session:
                await bare_client(raw[:500], url, concurrency)  # warm-up
                await sink_digests(session, url, reset=True)

                replay_s, replay_cpu, attempts = await core_replay(db, ids, url, concurrency)
                received = await sink_digests(session, url, reset=True)

                # the bare client sends the body with the captured headers a client may set
                plain = [(p, tuple((k, v) for k, v in h if k.lower() not in
                                   ("host", "content-length")), b) for p, h, b in raw]
                bare_s, bare_cpu = await bare_client(plain, url, concurrency)
                bare_received = await sink_digests(session, url, reset=True)
    finally:
        stop(sink)

    missing = sum((stored_sha - received).values())
    failed = sum(1 for a in attempts if not a.ok)
    mismatched = sum(1 for a in attempts if a.fidelity_ok is not True)
    fidelity_failures = missing + failed + mismatched
    bare_missing = sum((stored_sha - bare_received).values())
    replay_rps, bare_rps = count / replay_s, count / bare_s
    ratio = replay_rps / bare_rps
    print(f"{count} requests, {concurrency} at a time, sink: bare aiohttp server (subprocess)")
    print(f"core replay  : {replay_rps:8.0f} req/s  ({replay_s:.2f} s, client CPU "
          f"{replay_cpu / count * 1e6:.0f} µs/request; reads each request from SQLite, sends it "
          "byte-exact, records the attempt)")
    print(f"bare client  : {bare_rps:8.0f} req/s  ({bare_s:.2f} s, client CPU "
          f"{bare_cpu / count * 1e6:.0f} µs/request; bodies in memory, nothing stored)")
    print(f"ratio {ratio:.2f}; fidelity: {missing} stored SHA-256 not received by the sink, "
          f"{failed} failed attempts, {mismatched} sent SHA-256 mismatches "
          f"(bare client: {bare_missing} not received)")
    print(result_line(replay_rps=replay_rps, baseline_rps=bare_rps, ratio=ratio,
                      fidelity_failures=fidelity_failures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        asyncio.run(sink_main())
        return
    asyncio.run(measure(args.requests, args.concurrency))


if __name__ == "__main__":
    main()
