"""Stream benchmark: our relay stream into a subscriber's store, against plain ingest.

1. Baseline: `serve --publish --token T` (the relay) under the ingest load (wrk if installed,
   else the aiohttp client) for --seconds: requests/s acknowledged = baseline_rps.
2. Backlog: a second `serve --source RELAY/_inspector/stream?last_event_id=0 --source-format
   inspector` (the subscriber) starts empty and receives everything the relay stored; events/s
   from its start until its store holds them all = stream_eps.
3. Resume: a third subscriber, connected through a TCP proxy, follows the relay live while the
   load runs again; halfway the proxy cuts every connection, the subscriber reconnects with
   Last-Event-ID. Every relay row must arrive once: lost = relay rows missing at the
   subscribers, duplicated = rows a subscriber stored twice (phases 2 and 3 together).

Last line: RESULT stream_eps=... baseline_rps=... ratio=... lost=... duplicated=...
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PYTHON, result_line, run_load, start_process, stop

TOKEN = "bench-relay-token"


def start_relay(db: Path, home: Path) -> tuple[object, str]:
    return start_process(
        [PYTHON, "-m", "inspector", "serve", "--db", str(db), "--port", "0", "--quiet",
         "--publish", "--token", TOKEN],
        {"WEBHOOK_INSPECTOR_HOME": str(home)},
    )


def start_subscriber(db: Path, home: Path, stream_url: str) -> tuple[object, str]:
    return start_process(
        [PYTHON, "-m", "inspector", "serve", "--db", str(db), "--port", "0", "--quiet",
         "--source", stream_url, "--source-format", "inspector", "--source-name", "relay",
         "--source-header", f"Authorization: Bearer {TOKEN}"],
        {"WEBHOOK_INSPECTOR_HOME": str(home)},
    )


def rows(db: Path, after_id: int = 0) -> list[tuple[int, str, str]]:
    """(received_at_ns, body_sha256, path) of every row: the identity of a relayed request
    (the relay's capture time travels with it)."""
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(
            "SELECT received_at_ns, body_sha256, path FROM requests WHERE id > ? ORDER BY id",
            (after_id,),
        ).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        conn.close()


def count(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=10)
    try:
        return int(conn.execute("SELECT count(*) FROM requests").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def wait_for_rows(db: Path, wanted: int, limit: float) -> float:
    """Seconds until `db` holds `wanted` rows (or the limit passed)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if count(db) >= wanted:
            break
        time.sleep(0.05)
    return time.monotonic() - started


def compare(relay: list[tuple[int, str, str]], copy: list[tuple[int, str, str]]) -> tuple[int, int]:
    lost = len(set(relay) - set(copy))
    duplicated = len(copy) - len(set(copy))
    return lost, duplicated


class Proxy:
    """A TCP proxy on its own thread whose connections can all be cut at once."""

    def __init__(self, port: int) -> None:
        self.target_port = port
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.cuts = 0
        self._writers: set[asyncio.StreamWriter] = set()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)

    def _main(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def cut(self) -> None:
        def abort_all() -> None:
            self.cuts += 1
            for writer in list(self._writers):
                writer.transport.abort()

        self.loop.call_soon_threadsafe(abort_all)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


def measure(seconds: float, concurrency: int, use_wrk: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        relay_db = tmp_path / "relay.db"
        relay, relay_url = start_relay(relay_db, tmp_path / "relay-home")
        subscriber = follower = proxy = None
        try:
            # 1. ingest baseline into the (publishing) relay
            run_load(relay_url, 1, concurrency, use_wrk=use_wrk)  # warm-up
            base = run_load(relay_url, seconds, concurrency, use_wrk=use_wrk)
            time.sleep(0.5)
            backlog = count(relay_db)

            # 2. a fresh subscriber takes the whole backlog
            sub_db = tmp_path / "subscriber.db"
            started = time.monotonic()
            subscriber, _ = start_subscriber(sub_db, tmp_path / "sub-home",
                                             f"{relay_url}/_inspector/stream?last_event_id=0")
            ready = time.monotonic() - started
            took = wait_for_rows(sub_db, backlog, limit=40)
            stream_eps = backlog / took if took else 0.0
            time.sleep(0.3)
            lost_a, dup_a = compare(rows(relay_db), rows(sub_db))

            # 3. a live follower through a proxy that cuts every connection halfway
            proxy = Proxy(int(relay_url.rsplit(":", 1)[1]))
            follow_db = tmp_path / "follower.db"
            follower, _ = start_subscriber(
                follow_db, tmp_path / "follow-home",
                f"http://127.0.0.1:{proxy.port}/_inspector/stream?last_event_id={backlog}")
            time.sleep(1.0)
            timer = threading.Timer(seconds / 2, proxy.cut)
            timer.start()
            live = run_load(relay_url, seconds, min(concurrency, 16), use_wrk=use_wrk)
            timer.join()
            time.sleep(0.5)
            relay_rows = rows(relay_db, after_id=backlog)
            catch_up = wait_for_rows(follow_db, len(relay_rows), limit=20)
            time.sleep(0.3)
            lost_b, dup_b = compare(relay_rows, rows(follow_db))
        finally:
            for proc in (follower, subscriber, relay):
                if proc is not None:
                    stop(proc)  # type: ignore[arg-type]
            if proxy is not None:
                proxy.close()

    lost, duplicated = lost_a + lost_b, dup_a + dup_b
    ratio = stream_eps / base["rps"] if base["rps"] else 0.0
    tool = "wrk" if use_wrk else "aiohttp client"
    print(f"load: {tool}, {concurrency} connections, {seconds:g} s")
    print(f"ingest into the publishing relay: {base['rps']:8.0f} req/s ({backlog} rows)")
    print(f"backlog stream into a subscriber: {stream_eps:8.0f} events/s "
          f"({backlog} events in {took:.2f} s after a {ready:.2f} s start)")
    print(f"backlog: lost {lost_a}, duplicated {dup_a}")
    print(f"live follower with the connection cut {proxy.cuts if proxy else 0}x: "
          f"{len(relay_rows)} relay rows ({live['rps']:.0f} req/s), caught up {catch_up:.2f} s "
          f"after the load; lost {lost_b}, duplicated {dup_b}")
    print(result_line(stream_eps=stream_eps, baseline_rps=base["rps"], ratio=ratio, lost=lost,
                      duplicated=duplicated))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--no-wrk", action="store_true", help="use the aiohttp client load")
    args = parser.parse_args()
    measure(args.seconds, args.concurrency, not args.no_wrk)


if __name__ == "__main__":
    main()
