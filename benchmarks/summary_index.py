"""Summary index benchmark: what the trigram index of summaries costs analysis, and what it
saves a `summary:` filter.

- Analysis: --rows requests (every sample of the catalogue, each with its own names, phone
  numbers and texts, so no two summaries are alike) are stored raw, then analysed with
  `Store.apply_analysis` in batches of the writer's ANALYSE_BATCH, as the writer does. Timed
  per row with the summary index kept up to date and without it (`store._index_summaries`
  replaced by a no-op), on fresh databases, alternating --rounds times; the median of each.
  The time is this process's CPU time (SQLite runs in it): steadier than the wall clock on a
  shared machine, and what the index adds is CPU work (tokenizing, writing its segments).
  Also the bytes the index adds to the file per row.
- Filter: on the last database, `store.count` of a summary in no row and of one in exactly
  one row, read from the index and read from the rows (the filter compiled without the
  index, as before it existed): the median of --runs.

Last line: RESULT rows=... analyse_us_per_row=... analyse_us_per_row_without_index=...
index_us_per_row=... ratio=... index_bytes_per_row=... filter_none_ms=... filter_none_scan_ms=...
filter_one_ms=... filter_one_scan_ms=...
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import result_line

from inspector.core import filters, samples
from inspector.core import store as store_module
from inspector.core.config import Settings
from inspector.core.derive import derive
from inspector.core.models import CapturedRequest, Derived
from inspector.core.store import Record, Store
from inspector.core.writer import ANALYSE_BATCH

NAMES = ("Sheena Nelson", "Marco Rossi", "Aiko Tanaka", "Lena Schmidt", "Omar Haddad")
TEXTS = ("Does it come in another color?", "Where is my order", "Thanks, received it",
         "Please call me back", "The payment failed twice")  # fmt: skip
ONE = "zqsummary"
"""Planted in the summary of one request (the first)."""


def requests(rows: int, rng: random.Random) -> list[tuple[CapturedRequest, Derived]]:
    """`rows` requests cycling through the sample catalogue, each with its own values."""
    catalogue = samples.list_samples()
    settings = Settings()
    made: list[tuple[CapturedRequest, Derived]] = []
    for n in range(rows):
        provider, event, _ = catalogue[n % len(catalogue)]
        values = {"from": f"49151{rng.randrange(10**7):07d}", "name": rng.choice(NAMES),
                  "text": f"{rng.choice(TEXTS)} {ONE if n == 0 else f'ref{n}'}"}  # fmt: skip
        request = None
        for keys in (("from", "name", "text"), ("name", "text"), ("text",), ("name",), ()):
            try:
                request = samples.build_sample(provider, event,
                                               overrides={k: values[k] for k in keys})  # fmt: skip
                break
            except samples.SampleError:
                continue
        assert request is not None
        made.append((request, derive(request, settings)))
    return made


def analyse(db: Path, items: list[tuple[CapturedRequest, Derived]]) -> tuple[float, Store]:
    """CPU seconds per row of the analysis of `items` stored raw in a new database at `db`."""
    store = Store.open(db)
    for start in range(0, len(items), 32):
        store.insert_many([Record(request, None) for request, _ in items[start : start + 32]])
    derived = [d for _, d in items]
    began = time.process_time()
    for start in range(0, len(items), ANALYSE_BATCH):
        batch = derived[start : start + ANALYSE_BATCH]
        store.apply_analysis([(start + n + 1, d) for n, d in enumerate(batch)])
    return (time.process_time() - began) / len(items), store


def index_bytes(store: Store) -> int:
    """Bytes of the file the summary index's tables take (dbstat when compiled in, else 0)."""
    sql = "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'summary_fts%'"
    try:
        return int(store.reader().execute(sql).fetchone()[0] or 0)
    except Exception:
        return 0


def count_ms(store: Store, text: str, runs: int, *, index: bool) -> tuple[float, int]:
    """Median milliseconds of `store.count` of the filter `text`, and the count."""
    filters.SUMMARY_INDEX = index
    try:
        flt = filters.compile_filter(text)
    finally:
        filters.SUMMARY_INDEX = store_module.SUMMARY_INDEX
    times, found = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        found = store.count(flt.where, flt.params)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4, help="alternations with and without")
    parser.add_argument("--runs", type=int, default=5, help="runs per filter")
    args = parser.parse_args()
    if not store_module.SUMMARY_INDEX:
        sys.exit(f"SQLite {store_module.sqlite3.sqlite_version} has no trigram tokenizer")
    items = requests(args.rows, random.Random(7))
    keep = store_module._index_summaries
    with_index: list[float] = []
    without: list[float] = []
    tmp = Path(tempfile.mkdtemp(prefix="summary-index-"))
    store = None
    for round_ in range(args.rounds):
        for kept in (False, True):
            store_module._index_summaries = keep if kept else (lambda conn, items: None)
            if store is not None:
                store.close()
            per_row, store = analyse(tmp / f"{round_}-{kept}.db", items)
            (with_index if kept else without).append(per_row * 1e6)
    store_module._index_summaries = keep
    assert store is not None
    size = index_bytes(store)
    figures = {}
    for name, text in (("none", "summary:zqnomatch"), ("one", f"summary:{ONE}")):
        figures[f"filter_{name}_ms"], found = count_ms(store, text, args.runs, index=True)
        figures[f"filter_{name}_scan_ms"], scanned = count_ms(store, text, args.runs, index=False)
        assert found == scanned == (name == "one"), (text, found, scanned)
    store.close()
    shutil.rmtree(tmp, ignore_errors=True)
    kept_us, plain_us = statistics.median(with_index), statistics.median(without)
    print(f"analysis of {args.rows:,} requests in batches of {ANALYSE_BATCH}: "
          f"{kept_us:.1f} µs of CPU a row with the summary index, {plain_us:.1f} µs without "
          f"(+{kept_us - plain_us:.1f} µs, ratio {kept_us / plain_us:.3f}; rounds with "
          f"{', '.join(f'{t:.1f}' for t in with_index)}, without "
          f"{', '.join(f'{t:.1f}' for t in without)})")  # fmt: skip
    print(f"summary index: {size / args.rows:.0f} bytes a row")
    for name in ("none", "one"):
        print(f"summary in {name} row: count {figures[f'filter_{name}_ms']:.2f} ms from the "
              f"index, {figures[f'filter_{name}_scan_ms']:.2f} ms reading the rows")  # fmt: skip
    print(result_line(
        rows=args.rows, analyse_us_per_row=kept_us, analyse_us_per_row_without_index=plain_us,
        index_us_per_row=kept_us - plain_us, ratio=kept_us / plain_us,
        index_bytes_per_row=size / args.rows, **figures,
    ))  # fmt: skip


if __name__ == "__main__":
    main()
