"""GUI ingest benchmark: the desktop app (offscreen, in this process) under a webhook burst.

The MainWindow runs with a real CoreBridge on a temporary database (port 0), exactly as the app
does (the capture service in its own process, which starts the writer process; the window on
the GUI thread of this one); the load comes from a separate process. Each phase starts a fresh
app on a fresh database, so one phase's backlog cannot slow the next. Figures:

1. throughput: rows stored per second by the app vs a bare aiohttp server's 2xx per second,
   same load tool (wrk when installed, else the aiohttp loader) [ratio >= 0.5]; both are up
   at once and their loads alternate --rounds times (default 3); the medians are reported;
   lost = 2xx answered - rows stored [0];
2. burst, 3. steady stream (--rate, default 200/s): the aiohttp loader posts to /webhook/seq/N
   and writes "N t_ack"; the app records when the row with that path enters the model
   (rowsInserted) [p99 < 300 ms]. The delay is split in two: 2xx -> the core reports the row
   committed (`bridge.committed`, received on the GUI thread), and that -> row in the model.
   A row is shown when committed and filled in (provider, event, signature) when analysed:
   2xx -> analysed is reported too (during a saturating burst analysis gives way to capture),
   and the CPU each process used during the load, in cores (GUI, capture, writer, loader);
- in every phase a 10 ms QTimer on the GUI thread records the longest gap between its ticks
  while the load runs [< 100 ms]; with --stalls, what the GUI thread did in the longest gaps
  (CPU time by event) and the longest garbage collections are printed too.

Last line: RESULT gui_rows_per_s=... baseline_rps=... ratio=... lost=... heartbeat_max_ms=...
row_p50_ms=... row_p99_ms=... paced_row_p50_ms=... paced_row_p99_ms=... gui_part_p99_ms=...
analysed_p99_ms=... paced_analysed_p99_ms=... rows_not_seen=...
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (
    APP_SECRET,
    count_rows,
    cpu_by_depth,
    percentile,
    read_times,
    result_line,
    rss_mb,
    run_load,
    run_load_timed,
    start_bare,
    stop,
)
from _qt import Heartbeat, StallLog, pump_while
from PySide6.QtCore import QCoreApplication, QModelIndex, QSettings
from PySide6.QtWidgets import QApplication

from inspector.core.config import SecretRule, Settings
from inspector.gui.app import keep_start_up_objects
from inspector.gui.bridge import CoreBridge
from inspector.gui.main_window import MainWindow

SEQ_PREFIX = "/webhook/seq/"


# --- running the Qt loop while something else happens ------------------------------------------


def in_background(func: Callable[[], Any], timeout: float) -> Any:
    """Run blocking `func` in a thread while the Qt event loop keeps running; its result."""
    holder: dict[str, Any] = {}

    def target() -> None:
        try:
            holder["result"] = func()
        except BaseException as exc:  # re-raised below
            holder["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    pump_while(thread.is_alive, timeout)
    thread.join(5)
    if "error" in holder:
        raise holder["error"]
    return holder.get("result")


# --- what is measured -------------------------------------------------------------------------


class App:
    """A fresh app: CoreBridge + MainWindow on a new database, shown offscreen; records when
    each request id is reported committed and analysed, and when it enters the table model."""

    def __init__(self, folder: Path, *, follow: bool = True) -> None:
        folder.mkdir(parents=True)
        self.db = folder / "history.db"
        settings = Settings(db_path=self.db, port=0,
                            secrets=(SecretRule("/webhook", "meta", APP_SECRET),))  # fmt: skip
        self.bridge = CoreBridge(settings)
        self.window = MainWindow(self.bridge, folder / "settings.json")
        self.window.resize(1280, 800)
        self.window.follow_button.setChecked(follow)
        self.window.show()
        keep_start_up_objects()  # as the app does once its window is up
        self.committed: dict[int, float] = {}
        self.analysed: dict[int, float] = {}
        self.in_model: dict[int, float] = {}
        self.bridge.committed.connect(self._committed)
        self.bridge.stored.connect(self._stored)
        self.window.model.rowsInserted.connect(self._inserted)
        self.bridge.start()
        pump_while(lambda: not self.window.receiver_url, 30)
        self.url = self.window.receiver_url
        if not self.url:
            raise RuntimeError("the receiver did not start")

    def _committed(self, ids: list[int]) -> None:
        now = time.monotonic()
        for request_id in ids:
            self.committed.setdefault(request_id, now)

    def _stored(self, ids: list[int]) -> None:
        now = time.monotonic()
        for request_id in ids:
            self.analysed.setdefault(request_id, now)

    def _inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        now = time.monotonic()
        model = self.window.model
        for row in range(first, last + 1):
            request_id = model.id_at(row)
            if request_id is not None:
                self.in_model.setdefault(request_id, now)

    def settle(self, timeout: float = 180) -> None:
        """Until every captured request is stored and analysed (not measured)."""
        work = self.bridge.service.settled()
        in_background(lambda: self.bridge.thread.submit(work).result(timeout), timeout + 5)
        pump_while(lambda: self.window.model._timer.isActive(), 5)

    def close(self) -> None:
        self.settle()
        self.window.close()
        self.bridge.stop()
        QApplication.processEvents()


@dataclass
class Timed:
    """A timed phase: 2xx count and rate, delays in ms, the longest heartbeat gap (s)."""

    ok: int
    rps: float
    total: list[float] = field(default_factory=list)
    core: list[float] = field(default_factory=list)
    gui: list[float] = field(default_factory=list)
    analysed: list[float] = field(default_factory=list)
    missing: int = 0
    gap: float = 0.0
    cores: list[float] = field(default_factory=list)
    """CPU used during the load, in cores: the GUI process, the capture process, the writer
    process, the load generator."""

    def line(self, name: str) -> str:
        def p(values: list[float], q: float) -> str:
            return f"{percentile(values, q):.0f}"

        return (
            f"{name}: {self.ok} 2xx at {self.rps:.0f}/s; 2xx -> row in the model p50 "
            f"{p(self.total, 0.5)} ms, p99 {p(self.total, 0.99)} ms (target p99 < 300 ms), of "
            f"which 2xx -> committed reported by the core p50 {p(self.core, 0.5)} / p99 "
            f"{p(self.core, 0.99)} ms and that -> in the model p50 {p(self.gui, 0.5)} / p99 "
            f"{p(self.gui, 0.99)} ms; not in the model after 120 s: {self.missing}; "
            f"2xx -> analysed (provider, event, signature filled in) p50 "
            f"{p(self.analysed, 0.5)} / p99 {p(self.analysed, 0.99)} ms; CPU during the "
            f"load, in cores: {self.cpu_text()}"
        )

    def cpu_text(self) -> str:
        names = ("GUI process", "capture process", "writer process")
        *app, loader = self.cores
        parts = [f"{name} {value:.2f}" for name, value in zip(names, app, strict=False)]
        total = sum(self.cores)
        return ", ".join([*parts, f"load generator {loader:.2f}", f"total {total:.2f} of {os.cpu_count()}"])


def timed_phase(app: App, heartbeat: Heartbeat, times: Path, seconds: float, concurrency: int,
                rate: float | None) -> Timed:  # fmt: skip
    """Load /webhook/seq/N; wait (up to 120 s) until every acknowledged row is in the model."""
    heartbeat.arm()
    before, loader_before = cpu_by_depth(), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = in_background(
        lambda: run_load_timed(app.url, seconds, concurrency, times, rate), seconds + 60
    )
    wall = time.monotonic() - started
    gap = heartbeat.disarm()
    after, loader_after = cpu_by_depth(), resource.getrusage(resource.RUSAGE_CHILDREN)
    loader = sum(getattr(loader_after, f) - getattr(loader_before, f) for f in ("ru_utime", "ru_stime"))
    cores = [(b - a) / wall for a, b in zip(before, after, strict=False)] + [loader / wall]
    acks = read_times(times)
    store = app.bridge.store
    assert store is not None
    rows = store.reader().execute(
        "SELECT id, path FROM requests WHERE path LIKE ?", (SEQ_PREFIX + "%",)
    )  # every request that got a 2xx is committed: its row exists, analysed or not
    by_seq = {int(path[len(SEQ_PREFIX) :]): int(rid) for rid, path in rows}
    wanted = {by_seq[n] for n in acks if n in by_seq}
    pump_while(lambda: not wanted.issubset(app.in_model), 120)
    pump_while(lambda: not wanted.issubset(app.analysed), 120)
    timed = Timed(int(result["ok"]), float(result["rps"]), gap=gap, cores=cores)
    for n, t_ack in acks.items():
        request_id = by_seq.get(n)
        if request_id is None or request_id not in app.in_model:
            timed.missing += 1
            continue
        shown, committed = app.in_model[request_id], app.committed.get(request_id)
        timed.total.append((shown - t_ack) * 1000)
        if committed is not None:
            timed.core.append((committed - t_ack) * 1000)
            timed.gui.append((shown - committed) * 1000)
        if request_id in app.analysed:
            timed.analysed.append((app.analysed[request_id] - t_ack) * 1000)
    return timed


def listed(values: Iterable[float], spec: str = ".0f") -> str:
    return ", ".join(format(value, spec) for value in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--no-wrk", action="store_true", help="use the aiohttp client load")
    parser.add_argument("--rate", type=float, default=200, help="requests/s of phase 3")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of phase 1")
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=0.0,
        help="sys.setswitchinterval() in seconds (default: Python's, 0.005)",
    )
    parser.add_argument(
        "--no-follow",
        action="store_true",
        help="turn 'Follow newest' off (the detail pane then stays still)",
    )
    parser.add_argument(
        "--stalls",
        action="store_true",
        help="print what the GUI thread did in the longest heartbeat gaps (adds some overhead)",
    )
    args = parser.parse_args()
    follow = not args.no_follow
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    seconds, concurrency, rate, use_wrk = args.seconds, args.concurrency, args.rate, not args.no_wrk
    rounds = args.rounds

    qt = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="gui-ingest-"))
    os.environ["WEBHOOK_INSPECTOR_HOME"] = str(tmp / "home")
    QCoreApplication.setOrganizationName("WebhookInspectorBench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "qs"))
    heartbeat = Heartbeat()
    stalls = StallLog(heartbeat) if args.stalls else None

    # phase 1: throughput and loss against the bare server, same load tool; both are up at
    # once and their loads alternate (this shared machine's speed drifts within minutes)
    bare, bare_url = start_bare()
    app = App(tmp / "phase1", follow=follow)
    base_runs: list[dict[str, float]] = []
    rates: list[float] = []
    gaps: list[float] = []
    lost = answered = 0
    try:
        run_load(bare_url, 1, concurrency, use_wrk=use_wrk)  # warm-up, both
        in_background(lambda: run_load(app.url, 1, concurrency, use_wrk=use_wrk), 30)
        for _ in range(rounds):
            app.settle()  # the app is idle while the baseline runs
            base_runs.append(run_load(bare_url, seconds, concurrency, use_wrk=use_wrk))
            before = count_rows(app.db)
            heartbeat.arm()
            ours = in_background(
                lambda: run_load(app.url, seconds, concurrency, use_wrk=use_wrk), seconds + 60
            )
            gaps.append(heartbeat.disarm())
            app.settle()
            stored = count_rows(app.db) - before
            rates.append(stored / seconds)
            answered += int(ours["ok"])
            lost += max(int(ours["ok"]) - stored, 0)
    finally:
        stop(bare)
        app.close()
    base_rps = percentile([run["rps"] for run in base_runs], 0.5)
    stored_rate = percentile(rates, 0.5)
    gap1 = max(gaps)

    # phases 2 and 3: 2xx -> row in the model (aiohttp loader: it records per-request times)
    phases: list[Timed] = []
    rss = peak = 0.0
    for number, (connections, pace) in enumerate(((concurrency, None), (16, rate)), 2):
        app = App(tmp / f"phase{number}", follow=follow)
        try:
            times = tmp / f"acks-{number}.txt"
            phases.append(timed_phase(app, heartbeat, times, seconds, connections, pace))
            rss, peak = rss_mb()
        finally:
            app.close()
    burst, paced = phases
    qt.processEvents()
    shutil.rmtree(tmp, ignore_errors=True)

    ratios = [rate / run["rps"] for rate, run in zip(rates, base_runs, strict=True) if run["rps"]]
    ratio = percentile(ratios, 0.5)
    gap_ms = max(gap1, burst.gap, paced.gap) * 1000
    tool = "wrk" if use_wrk and shutil.which("wrk") else "aiohttp client"
    print(f"load: {seconds:g} s per phase; baseline and phase 1: {tool}, {concurrency} "
          f"connections; phase 2: aiohttp client, {concurrency} connections; phase 3: aiohttp "
          f"client, {rate:g} requests/s")  # fmt: skip
    print(f"phase 1, {rounds} rounds alternating; medians:")
    print(f"bare aiohttp          : {base_rps:8.0f} 2xx/s "
          f"({listed(run['rps'] for run in base_runs)})")  # fmt: skip
    print(f"app (GUI + core)      : {stored_rate:8.0f} rows stored/s ({listed(rates)}); ratio "
          f"{ratio:.2f} ({listed(ratios, '.2f')}), target >= 0.5")  # fmt: skip
    print(f"2xx answered {answered}, lost {lost} (target 0)")
    print(f"GUI heartbeat (10 ms timer), longest gap: {gap1 * 1000:.1f} ms in phase 1, "
          f"{burst.gap * 1000:.1f} ms in phase 2, {paced.gap * 1000:.1f} ms in phase 3 "
          "(target < 100 ms)")  # fmt: skip
    print(burst.line("phase 2 (burst)"))
    print(paced.line(f"phase 3 ({rate:g}/s)"))
    print(f"GUI process RSS {rss:.0f} MB (peak {peak:.0f} MB)")
    if stalls is not None:
        print("\n".join(stalls.report()))
    print(result_line(
        gui_rows_per_s=stored_rate, baseline_rps=base_rps, ratio=ratio, lost=lost,
        heartbeat_max_ms=gap_ms, row_p50_ms=percentile(burst.total, 0.5),
        row_p99_ms=percentile(burst.total, 0.99), paced_row_p50_ms=percentile(paced.total, 0.5),
        paced_row_p99_ms=percentile(paced.total, 0.99),
        gui_part_p99_ms=percentile(burst.gui + paced.gui, 0.99),
        analysed_p99_ms=percentile(burst.analysed, 0.99),
        paced_analysed_p99_ms=percentile(paced.analysed, 0.99),
        rows_not_seen=burst.missing + paced.missing,
    ))  # fmt: skip


if __name__ == "__main__":
    main()
