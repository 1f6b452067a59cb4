"""Ingest benchmark: `webhook-inspector serve` against a bare aiohttp server, same load, same run.

Figures: requests/s of each, the ratio (the median of the rounds' ratios) [>= 0.75], p50/p99
latency [p99 <= 15 ms], and loss = (2xx answered) - (rows stored) [0]. When uvloop is installed,
`serve` runs twice side by side, on uvloop (the default) and on asyncio's loop (`--loop
asyncio`): the second set of figures is prefixed `asyncio_`. `--kill` instead SIGKILLs `serve`
mid-load, reopens the database and checks that every request that got a 2xx is there and
integrity_check is ok.

Last line: RESULT ingest_rps=... baseline_rps=... ratio=... ratio_of_medians=... lost=...
p50_ms=... p99_ms=... loop=... [asyncio_ingest_rps=... asyncio_ratio=... ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    PYTHON,
    ROOT,
    count_rows,
    result_line,
    run_load,
    start_bare,
    start_serve,
    stop,
)


def measure(seconds: float, concurrency: int, use_wrk: bool, rounds: int,
            loops: list[str]) -> None:
    """The bare server and one `serve` per event loop in `loops` are up at once; their loads
    alternate `rounds` times (this machine's speed drifts by tens of percent over a minute:
    alternating compares like with like). Figures: the median of the rounds' ratios (each
    round's serve rate over the bare rate just before it), and medians of rates and latency."""
    bare, bare_url = start_bare()
    servers: list[tuple[str, Any, str, Path]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for loop in loops:
                db = Path(tmp) / f"bench-{loop}.db"
                serve, url = start_serve(db, Path(tmp), ["--loop", loop])
                servers.append((loop, serve, url, db))
            targets = [(url, db) for _, _, url, db in servers]
            bases, runs, stored = _alternate(bare_url, targets, seconds, concurrency,
                                             use_wrk, rounds)
        finally:
            for _, serve, _, _ in servers:
                stop(serve)
            stop(bare)
    tool = "wrk" if use_wrk else "aiohttp client"
    print(f"load: {tool}, {concurrency} connections, {seconds:g} s each, {rounds} rounds alternating"
          f" (bare, then serve with each event loop: {', '.join(loops)}); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end")
    figures: dict[str, object] = {}
    for n in range(rounds):
        pairs = ", ".join(f"bare {bases[i][n]['rps']:6.0f} req/s, serve ({loop}) "
                          f"{runs[i][n]['rps']:6.0f} req/s, ratio "
                          f"{runs[i][n]['rps'] / bases[i][n]['rps']:.2f}" for i, loop in enumerate(loops))
        print(f"round {n + 1}: {pairs}")
    base = _median_run([run for base_runs in bases for run in base_runs])
    print(f"bare aiohttp     : {base['rps']:8.0f} req/s  p50 {base['p50_ms']:.2f} ms  p99 {base['p99_ms']:.2f} ms (median)")
    for i, loop in enumerate(loops):
        line = _serve_figures(loop, bases[i], runs[i], stored[i])
        prefix = "" if i == 0 else f"{loop}_"
        figures.update({f"{prefix}{k}": v for k, v in line.items() if i == 0 or k != "loop"})
    print(result_line(**figures))


def _serve_figures(loop: str, base_runs: list[dict[str, float]], runs: list[dict[str, float]],
                   stored: int) -> dict[str, object]:
    ok = sum(int(r["ok"]) for r in runs)
    # wrk counts only answers received before its clock stops; requests still in flight then
    # are stored too, so stored may exceed the 2xx count: that is not a loss
    lost = max(0, ok - stored)
    in_flight = max(0, stored - ok)
    ours = _median_run(runs)
    ratios = [o["rps"] / b["rps"] if b["rps"] else 0.0 for b, o in zip(base_runs, runs, strict=True)]
    ratio = statistics.median(ratios)
    base = _median_run(base_runs)
    of_medians = ours["rps"] / base["rps"] if base["rps"] else 0.0
    print(f"serve ({loop:7}): {ours['rps']:8.0f} req/s  p50 {ours['p50_ms']:.2f} ms  p99 {ours['p99_ms']:.2f} ms (median);"
          f" ratio {ratio:.2f} (median of rounds {', '.join(f'{r:.2f}' for r in ratios)}; target >= 0.75),"
          f" ratio of median rates {of_medians:.2f}; 2xx answered {ok}, rows stored {stored}"
          f" ({in_flight} answered after the load generator stopped counting), lost {lost}")
    return {"ingest_rps": ours["rps"], "baseline_rps": base["rps"], "ratio": ratio,
            "ratio_of_medians": of_medians, "lost": lost, "p50_ms": ours["p50_ms"],
            "p99_ms": ours["p99_ms"], "loop": loop}


def _alternate(bare_url: str, targets: list[tuple[str, Path]], seconds: float, concurrency: int,
               use_wrk: bool, rounds: int) -> tuple[list[list[dict[str, float]]], list[list[dict[str, float]]], list[int]]:
    """Warm all up, then load them in turn, the bare server just before each serve; returns,
    per serve, the bare runs before it, its own runs and the rows it stored during them."""
    run_load(bare_url, 1, concurrency, use_wrk=use_wrk)
    for url, _ in targets:
        run_load(url, 1, concurrency, use_wrk=use_wrk)
    time.sleep(0.5)  # requests the warm-up left in flight are committed by now
    warm = [count_rows(db) for _, db in targets]
    bases: list[list[dict[str, float]]] = [[] for _ in targets]
    runs: list[list[dict[str, float]]] = [[] for _ in targets]
    for _ in range(rounds):
        for (url, _), base, own in zip(targets, bases, runs, strict=True):
            for _, db in targets:
                _wait_analysed(db)  # every writer is idle while a load runs
            base.append(run_load(bare_url, seconds, concurrency, use_wrk=use_wrk))
            own.append(run_load(url, seconds, concurrency, use_wrk=use_wrk))
    time.sleep(0.5)
    return bases, runs, [count_rows(db) - w for (_, db), w in zip(targets, warm, strict=True)]


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
    parser.add_argument("--loops", default=None,
                        help="event loops of serve to compare, comma-separated (default: "
                             "uvloop,asyncio when uvloop is installed, else asyncio)")
    args = parser.parse_args()
    if args.kill:
        kill_mode(args.seconds, min(args.concurrency, 32), args.rounds)
    else:
        loops = args.loops.split(",") if args.loops else _default_loops()
        measure(args.seconds, args.concurrency, not args.no_wrk, args.rounds, loops)


def _default_loops() -> list[str]:
    return ["uvloop", "asyncio"] if importlib.util.find_spec("uvloop") else ["asyncio"]


if __name__ == "__main__":
    main()
