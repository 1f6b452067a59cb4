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


def measure(seconds: float, concurrency: int, use_wrk: bool, rounds: int) -> None:
    """Both servers up at once; their loads alternate `rounds` times (this machine's speed
    drifts by tens of percent over a minute: alternating compares like with like), and the
    figures are the medians."""
    bare, bare_url = start_bare()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        serve, url = start_serve(db, Path(tmp))
        try:
            base_runs, our_runs, stored = _alternate(bare_url, url, db, seconds, concurrency,
                                                     use_wrk, rounds)
        finally:
            stop(serve)
            stop(bare)
    ok = sum(int(r["ok"]) for r in our_runs)
    # wrk counts only answers received before its clock stops; requests still in flight then
    # are stored too, so stored may exceed the 2xx count: that is not a loss
    lost = max(0, ok - stored)
    in_flight = max(0, stored - ok)
    base, ours = _median_run(base_runs), _median_run(our_runs)
    ratio = ours["rps"] / base["rps"] if base["rps"] else 0.0
    tool = "wrk" if use_wrk else "aiohttp client"
    print(f"load: {tool}, {concurrency} connections, {seconds:g} s each, {rounds} rounds alternating")
    for n, (b, o) in enumerate(zip(base_runs, our_runs, strict=True), 1):
        print(f"round {n}: bare {b['rps']:6.0f} req/s, serve {o['rps']:6.0f} req/s,"
              f" ratio {o['rps'] / b['rps']:.2f}")
    print(f"bare aiohttp : {base['rps']:8.0f} req/s  p50 {base['p50_ms']:.2f} ms  p99 {base['p99_ms']:.2f} ms (median)")
    print(f"serve        : {ours['rps']:8.0f} req/s  p50 {ours['p50_ms']:.2f} ms  p99 {ours['p99_ms']:.2f} ms (median)")
    print(f"2xx answered {ok}, rows stored {stored} ({in_flight} answered after the"
          f" load generator stopped counting), lost {lost}; ratio {ratio:.2f} (target >= 0.7)")
    print(result_line(ingest_rps=ours["rps"], baseline_rps=base["rps"], ratio=ratio, lost=lost,
                      p50_ms=ours["p50_ms"], p99_ms=ours["p99_ms"]))


def _alternate(bare_url: str, url: str, db: Path, seconds: float, concurrency: int,
               use_wrk: bool, rounds: int) -> tuple[list[dict[str, float]], list[dict[str, float]], int]:
    """Warm both up, then load them in turn; returns both runs and the rows stored by the
    measured loads of `serve`."""
    run_load(bare_url, 1, concurrency, use_wrk=use_wrk)
    run_load(url, 1, concurrency, use_wrk=use_wrk)
    time.sleep(0.5)  # requests the warm-up left in flight are committed by now
    warm = count_rows(db)
    base_runs, our_runs = [], []
    for _ in range(rounds):
        _wait_analysed(db)  # serve's writer is idle while the baseline runs
        base_runs.append(run_load(bare_url, seconds, concurrency, use_wrk=use_wrk))
        our_runs.append(run_load(url, seconds, concurrency, use_wrk=use_wrk))
    time.sleep(0.5)
    return base_runs, our_runs, count_rows(db) - warm


def _wait_analysed(db: Path, timeout: float = 120.0) -> None:
    """Wait until the writer has analysed every stored request (it works on after a burst)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = sqlite3.connect(db)
        try:
            left = conn.execute("SELECT count(*) FROM requests WHERE analysed = 0").fetchone()[0]
        finally:
            conn.close()
        if not left:
            return
        time.sleep(0.2)


def _median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[len(ordered) // 2]


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
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds (or SIGKILL rounds with --kill)")
    args = parser.parse_args()
    if args.kill:
        kill_mode(args.seconds, min(args.concurrency, 32), args.rounds)
    else:
        measure(args.seconds, args.concurrency, not args.no_wrk, args.rounds)


if __name__ == "__main__":
    main()
