"""Analysis benchmark: what the writer's analysis costs per request, against an insert.

Builds a fresh database and stores --rows realistic requests with distinct ids (half the
WhatsApp Cloud API text message of benchmarks/_common.py, signed; half a WAHA "message" from the
sample catalogue, signed, fresh ids), the way the writer process does (inspector/core/writer.py):

  (a) insert: `Store.insert_many` in batches of 8, raw (analysed later);
  (b) analysis: `Store.pending` + `derive` + `Store.apply_analysis` in batches of 32.

Then the hot-id variant: --hot copies of one identical Meta message (a replay storm, or
benchmarks/ingest.py's load, which posts one payload over and over), inserted and analysed the
same way: analysis must not slow down as the copies pile up (every copy is an earlier delivery
of the same event id and a step of the same message).

The distinct rows go in --rounds rounds (a share inserted, then analysed), so that both stages
meet the same load and database size. Figures: rows/s of each stage, the analysis/insert cost
ratio (seconds per analysed row over seconds per inserted row, the median of the rounds)
[target <= 2], and for the hot variant the rows/s of its last fifth against its first fifth
(about 1 when the cost does not grow) and whether the message's row counts every copy.

Last line: RESULT insert_rows_per_s=... analyse_rows_per_s=... ratio=...
insert_hot_rows_per_s=... analyse_hot_rows_per_s=... hot_last_over_first=...
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import APP_SECRET, meta_signature, meta_text_body, percentile, result_line

from inspector.core import samples
from inspector.core.config import SecretRule, Settings
from inspector.core.derive import derive
from inspector.core.models import CapturedRequest
from inspector.core.store import Record, Store

INSERT_BATCH = 8
ANALYSE_BATCH = 32
ANSWER = (("Content-Type", "application/json"),)
SETTINGS = Settings(secrets=(
    SecretRule("/webhook/meta", "meta", APP_SECRET),
    SecretRule("/webhook/waha", samples.SCHEMES["waha"], samples.DEMO_SECRETS["waha"]),
))  # fmt: skip


def meta_request(n: int) -> CapturedRequest:
    body = meta_text_body(n)
    headers = (
        ("Host", "example.ngrok.app"), ("User-Agent", "facebookexternalua"),
        ("Content-Length", str(len(body))), ("Accept", "*/*"),
        ("Content-Type", "application/json"), ("X-Hub-Signature-256", meta_signature(body)),
    )  # fmt: skip
    return CapturedRequest("POST", "/webhook/meta", headers=headers, body=body,
                           remote="127.0.0.1", received_at_ns=time.time_ns())  # fmt: skip


def waha_request() -> CapturedRequest:
    sample = samples.build_sample("waha", "message")
    headers = (("Host", "127.0.0.1:8080"), *sample.headers)
    return CapturedRequest("POST", sample.path, headers=headers, body=sample.body,
                           remote="127.0.0.1", received_at_ns=time.time_ns())  # fmt: skip


def distinct_requests(count: int) -> list[CapturedRequest]:
    return [meta_request(n) if n % 2 == 0 else waha_request() for n in range(count)]


def insert_all(store: Store, requests: Sequence[CapturedRequest]) -> float:
    """Seconds to store `requests` raw, INSERT_BATCH per transaction."""
    started = time.perf_counter()
    for start in range(0, len(requests), INSERT_BATCH):
        chunk = requests[start : start + INSERT_BATCH]
        store.insert_many([Record(request, None, 200, ANSWER, b"{}") for request in chunk])
    return time.perf_counter() - started


def analyse_all(store: Store, marks: Callable[[int], None] = lambda done: None) -> float:
    """Seconds to analyse every pending request, ANALYSE_BATCH at a time (the writer's path)."""
    done = 0
    started = time.perf_counter()
    while pending := store.pending(ANALYSE_BATCH):
        analysed = [(s.id, derive(s.request, SETTINGS)) for s in pending]
        store.apply_analysis(analysed, {s.id: s.request for s in pending})
        done += len(pending)
        marks(done)
    return time.perf_counter() - started


def fresh_store(folder: Path, name: str) -> Store:
    store = Store.open(folder / f"{name}.db")
    store.writer().execute("PRAGMA wal_autocheckpoint = 0")  # as the writer process does
    return store


def run_distinct(folder: Path, rows: int, rounds: int) -> tuple[float, float, float]:
    """(insert rows/s, analysis rows/s, median of the rounds' cost ratios): `rounds` times,
    a share of the rows is inserted then analysed (as the writer alternates), so that both
    stages meet the same load and the same database size."""
    requests = distinct_requests(rows)
    store = fresh_store(folder, "distinct")
    insert_s = analyse_s = 0.0
    ratios: list[float] = []
    try:
        for n in range(rounds):
            share = requests[n * rows // rounds : (n + 1) * rows // rounds]
            inserting = insert_all(store, share)
            analysing = analyse_all(store)
            insert_s, analyse_s = insert_s + inserting, analyse_s + analysing
            ratios.append(analysing / inserting)
            store.checkpoint()  # as the writer does once capture is quiet
        analysed = store.count("analysed = 1")
    finally:
        store.close()
    assert analysed == rows, f"{analysed} of {rows} analysed"
    return rows / insert_s, rows / analyse_s, percentile(ratios, 0.5)


def run_hot(folder: Path, copies: int) -> tuple[float, float, float]:
    """(insert rows/s, analysis rows/s, rows/s of the last fifth over the first fifth)."""
    one = meta_request(0)
    store = fresh_store(folder, "hot")
    times: list[tuple[int, float]] = []
    try:
        insert_s = insert_all(store, [one] * copies)
        analyse_s = analyse_all(store, lambda done: times.append((done, time.perf_counter())))
        steps = store.reader().execute("SELECT steps FROM messages").fetchall()
    finally:
        store.close()
    if steps != [(copies,)]:
        print(f"  WRONG: the message's row counts {steps} steps, not {copies}")
    return copies / insert_s, copies / analyse_s, _last_over_first(times)


def _last_over_first(times: list[tuple[int, float]]) -> float:
    """Rows/s over the last fifth of the marks divided by rows/s over the first fifth."""
    fifth = max(1, len(times) // 5)
    if len(times) <= fifth:
        return 0.0

    def rate(a: tuple[int, float], b: tuple[int, float]) -> float:
        return (b[0] - a[0]) / max(b[1] - a[1], 1e-9)

    return rate(times[-fifth - 1], times[-1]) / rate(times[0], times[fifth])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--hot", type=int, default=5_000)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="bench-analysis-") as tmp:
        insert_rate, analyse_rate, ratio = run_distinct(Path(tmp), args.rows, args.rounds)
        print(f"distinct ids, {args.rows} rows in {args.rounds} rounds")
        print(f"  insert (batches of {INSERT_BATCH})   : {insert_rate:8.0f} rows/s")
        print(f"  analysis (batches of {ANALYSE_BATCH}): {analyse_rate:8.0f} rows/s")
        print(f"  analysis costs {ratio:.2f}x an insert per row (median of the rounds;"
              f" overall {insert_rate / analyse_rate:.2f}x; target <= 2)")  # fmt: skip
        hot_insert = hot_analyse = drift = 0.0
        if args.hot:
            hot_insert, hot_analyse, drift = run_hot(Path(tmp), args.hot)
            print(f"one message id, {args.hot} copies")
            print(f"  insert                  : {hot_insert:8.0f} rows/s")
            print(f"  analysis                : {hot_analyse:8.0f} rows/s")
            print(f"  last fifth / first fifth: {drift:.2f} (1: the cost does not grow)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(result_line(
        insert_rows_per_s=insert_rate, analyse_rows_per_s=analyse_rate, ratio=ratio,
        insert_hot_rows_per_s=hot_insert, analyse_hot_rows_per_s=hot_analyse,
        hot_last_over_first=drift,
    ))  # fmt: skip


if __name__ == "__main__":
    main()
