"""Ingest benchmark: `webhook-inspector serve` against a bare aiohttp server, same load, same run.

Figures: requests/s of each, the ratio, p50/p99 latency, and loss = (2xx answered) - (rows
stored). `--kill` instead SIGKILLs `serve` mid-load, reopens the database and checks that every
request that got a 2xx is there and integrity_check is ok.

Last line: RESULT ingest_rps=... baseline_rps=... ratio=... lost=... p99_ms=...
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PYTHON, ROOT, count_rows, result_line, run_load, start_bare, start_serve, stop


def measure(seconds: float, concurrency: int, use_wrk: bool) -> None:
    bare, bare_url = start_bare()
    try:
        run_load(bare_url, 1, concurrency, use_wrk=use_wrk)  # warm-up
        base = run_load(bare_url, seconds, concurrency, use_wrk=use_wrk)
    finally:
        stop(bare)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        serve, url = start_serve(db, Path(tmp))
        try:
            ours = run_load(url, seconds, concurrency, use_wrk=use_wrk)
        finally:
            stop(serve)
        stored = count_rows(db)
    # wrk counts only answers received before its clock stops; requests still in flight then
    # are stored too, so stored may exceed the 2xx count: that is not a loss
    lost = max(0, int(ours["ok"]) - stored)
    in_flight = max(0, stored - int(ours["ok"]))
    ratio = ours["rps"] / base["rps"] if base["rps"] else 0.0
    tool = "wrk" if use_wrk else "aiohttp client"
    print(f"load: {tool}, {concurrency} connections, {seconds:g} s each")
    print(f"bare aiohttp : {base['rps']:8.0f} req/s  p50 {base['p50_ms']:.2f} ms  p99 {base['p99_ms']:.2f} ms")
    print(f"serve        : {ours['rps']:8.0f} req/s  p50 {ours['p50_ms']:.2f} ms  p99 {ours['p99_ms']:.2f} ms")
    print(f"2xx answered {int(ours['ok'])}, rows stored {stored} ({in_flight} answered after the"
          f" load generator stopped counting), lost {lost}; ratio {ratio:.2f} (target >= 0.7)")
    print(result_line(ingest_rps=ours["rps"], baseline_rps=base["rps"], ratio=ratio, lost=lost,
                      p50_ms=ours["p50_ms"], p99_ms=ours["p99_ms"]))


def kill_round(seconds: float, concurrency: int, tmp: Path, round_no: int) -> tuple[int, int, str]:
    db = tmp / f"kill-{round_no}.db"
    serve, url = start_serve(db, tmp)
    record = tmp / f"acked-{round_no}.txt"
    load = subprocess.Popen([PYTHON, str(ROOT / "benchmarks/_load.py"), url, str(seconds),
                             str(concurrency), "--record", str(record)], stdout=subprocess.PIPE)
    time.sleep(seconds / 2)
    serve.send_signal(signal.SIGKILL)
    serve.wait()
    load.wait()
    acked = {int(x) for x in record.read_text().split()}
    conn = sqlite3.connect(db)
    paths = {row[0] for row in conn.execute("SELECT path FROM requests")}
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    missing = [n for n in acked if f"/webhook/seq/{n}" not in paths]
    return len(acked), len(missing), integrity


def kill_mode(seconds: float, concurrency: int, rounds: int) -> None:
    total_acked = total_missing = 0
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(rounds):
            acked, missing, integrity = kill_round(seconds, concurrency, Path(tmp), n)
            total_acked += acked
            total_missing += missing
            bad += integrity != "ok"
            print(f"round {n + 1}: 2xx {acked}, missing after SIGKILL {missing}, integrity {integrity}")
    print(result_line(kill_rounds=rounds, acked=total_acked, lost=total_missing,
                      integrity_failures=bad))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--no-wrk", action="store_true", help="use the aiohttp client load")
    parser.add_argument("--kill", action="store_true", help="SIGKILL serve mid-load")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.kill:
        kill_mode(args.seconds, min(args.concurrency, 32), args.rounds)
    else:
        measure(args.seconds, args.concurrency, not args.no_wrk)


if __name__ == "__main__":
    main()
