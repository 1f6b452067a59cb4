"""The single writer: group commit in a separate process.

Capture (the aiohttp receiver) and storage run in different processes, so the Python work of
writing and analysing never competes with the receiver for the interpreter lock: the receiver
keeps answering while the writer commits, and a window repainting in the same process as the
receiver does not slow either.

Two stages run in the writer process, on one thread and one SQLite connection:
(1) commit the raw requests of a batch, then send their ids back (the receiver answers 2xx only
then); requests that arrive while earlier batches commit go together in the next one (group
commit), in small batches with many in flight so that answers flow back steadily;
(2) derive provider, events and signature status, index for search, and send the results back
(`on_stored`). During bursts stage 2 lags, then catches up; rows a crash left unanalysed are
analysed when the writer starts again.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import operator
import os
import pickle
import signal
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar, cast

from inspector.core.events import Stored, StoredBatch
from inspector.core.models import CapturedRequest, Derived, Event
from inspector.core.store import Record, Store, StoreError
from inspector.core.tasks import TaskGroup

log = logging.getLogger(__name__)
MAX_BATCH = 32
IN_FLIGHT = 4
"""Batches of at most MAX_BATCH requests, at most IN_FLIGHT of them sent and unanswered: while
they commit, the next requests gather in the outbox and travel together. Every pipe message
wakes the other process, which on 2 cores costs about as much as a commit. Measured with wrk
(64 connections, 2,048 distinct Meta messages, CPU time per stored request, 3 alternating
rounds in one run, load average 3.5): batches of 8 with 16 in flight 317 us receiver + 193 us
writer, 32 with 4 in flight 240 + 134 us. (One batch of up to 512 with two in flight made the
receiver wait in lumps before start-up was fixed: p99 400-630 ms.)"""
DURABLE_GROUP_ROWS = 256
"""With synchronous=FULL every commit syncs to disk: batches already waiting in the pipe are
then committed together, up to this many rows. Without it, each batch commits on its own:
measured faster (answers flow back steadily instead of in lumps)."""
ANALYSE_BATCH = 32
STREAM_ANALYSE_BATCH = 16
"""While requests keep arriving below FLOOD_RATE, analysis runs in batches of this many (a
commit waits for one batch at most, a few milliseconds) whenever no request waits."""
GATHER = 0.03
"""Below FLOOD_RATE, analysis starts once STREAM_ANALYSE_BATCH rows wait or the oldest has
waited GATHER seconds: a steady stream is analysed a few rows per transaction instead of one.
Every commit writes each page it touched (about 6.5 per analysed row), and every batch wakes
the listeners (the app repaints its table): one row at a time, a steady 200 requests/s kept the
writer process at 0.5 cores."""
BUSY_ANALYSE_BATCH = 4
"""While capture is flooded, analysis runs in small batches: a commit never waits long."""
FLOOD_RATE = 2000.0
FLOOD_FILL = 4.0
"""Capture counts as flooded from FLOOD_RATE requests per second, or when requests queue up
for the writer (FLOOD_FILL or more of them per commit on average: a paced stream commits them
one by one): analysis then takes its share of the writer's time (BUSY_RATIO, KEEP_UP_SHARE)
and leaves the rest, and the CPU, to capture. The queue is the signal that holds on a loaded
machine: there a flood may arrive below FLOOD_RATE, and analysing freely would slow capture
further. Below both, analysis uses all the time capture leaves: at a steady 200 requests/s,
the old rule (a share whatever the rate) analysed 160 rows/s on a loaded machine and fell
seconds behind (benchmarks/gui_ingest.py phase 3, 2xx -> analysed p50 1.8 s, p99 3.3 s)."""
CHECKPOINT_EVERY = 1.0
"""Seconds between WAL checkpoints when capture is quiet."""
BUSY_CHECKPOINT = 10.0
BUSY_WINDOW = 0.2
"""Capture counts as busy when a commit happened within this many seconds."""
MIN_ANALYSIS_INTERVAL = 0.01
BUSY_RATIO = 9.0
"""While capture is flooded, analysis waits this many times as long as its last batch took: it
gets a tenth of the time. A flood is analysed mostly after it ends either way (analysis costs
about five times a commit); its share during the flood is CPU taken from the receiver. Measured
with benchmarks/ingest.py's load (wrk, 64 connections, 5 alternating rounds in one run, medians):
a fifth of the time (4.0) ratio 0.72, writer 161 us per request, p99 39.5 ms; a tenth (9.0) 0.84,
132 us, 31.9 ms."""
RESTARTS = 3
RESTART_WINDOW = 60.0
"""A writer process that dies is started again, unless it died RESTARTS times within
RESTART_WINDOW seconds (then something is wrong with the database: capture stays at 503)."""
RESTART_DELAY = 1.0
"""Seconds between a writer process dying and the next one starting."""
LAG_TARGET = 0.25
LAGGING_RATIO = 0.5
LAGGING_BATCH = 16
KEEP_UP_SHARE = 0.25
"""Once the rows waiting for analysis are older than LAG_TARGET seconds, and analysis can keep
up with capture in KEEP_UP_SHARE of the writer's time (requests per second x seconds per
analysed request), analysis runs in batches of LAGGING_BATCH after waiting only LAGGING_RATIO
times as long as the last batch took (about two thirds of the writer's time; commits still go
between every two batches): a stream the writer can follow is analysed within a second instead
of after it ends. Faster bursts (analysis costs about five times a commit) leave analysis its
small share: giving it more there slowed capture to half (benchmarks/ingest.py, ratio 0.7 ->
0.42) and still left it seconds behind (benchmarks/gui_ingest.py); with a share of 0.5 it
still engaged during benchmarks/ingest.py on a loaded 2-core machine (2-3k requests/s)."""
NOTICE_ROWS = 128
NOTICE_WAIT = 0.1
"""While capture is flooded, analysed requests are announced to the parent together: once
NOTICE_ROWS of them wait, or the oldest has waited NOTICE_WAIT seconds (otherwise at once).
Every message wakes the parent's event loop (the receiver's, and in the desktop app the GUI
thread, which repaints the rows). When nobody reads them (GroupWriter.announce), none are sent.
Measured with benchmarks/ingest.py's load (wrk, 64 connections, 4 alternating rounds, receiver
CPU per stored request, medians): one message per analysis batch 234 us, coalesced 222 us,
none 194 us (ratio to bare aiohttp 0.70, 0.71, 0.77)."""
RATE_WINDOW = 0.5
"""Seconds over which the capture rate is measured."""
STOP_WAIT = 60.0
"""Seconds a child process gets to finish its work when told to stop."""
T = TypeVar("T")
Derive = Callable[[CapturedRequest], Derived]


REQUEST_FIELDS = operator.attrgetter(*CapturedRequest.__match_args__)
"""A request's constructor arguments as one tuple (built in C: cheaper to take and to pickle
than the dataclass itself)."""
WireRecord = tuple[
    tuple[Any, ...], int | None, tuple[tuple[str, str], ...], bytes, tuple[str, str] | None
]


class GroupWriter:
    """Accepts requests from coroutines on one loop; a writer process commits them.

    Requests wait in an outbox; whatever gathered there while earlier batches were committing
    goes to the writer process as the next batch (group commit), at most IN_FLIGHT batches at
    a time. The pipe is an asyncio protocol: sending a batch is one write, a reply is parsed
    in place, with no task or stream coroutine per message.

    `derive` must be picklable (a module-level function or a functools.partial of one): it
    runs in the writer process. `on_stored` is called on the event loop with analysed requests,
    `on_committed` (optional) with the ids of each committed batch, before they are analysed.
    """

    def __init__(
        self,
        store: Store,
        derive: Derive,
        on_stored: Callable[[Sequence[Stored]], None],
        on_committed: Callable[[Sequence[int]], None] | None = None,
    ):
        self.store = store
        self._derive = derive
        self._on_stored = on_stored
        self._on_committed = on_committed
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-ops")
        self._wire: PipeWire | None = None
        self._connection: Connection | None = None
        self._process: Any = None
        self._outbox: list[tuple[WireRecord, asyncio.Future[int]]] = []
        self._flush_due = False
        self._batches: deque[list[asyncio.Future[int]]] = deque()
        """Futures of the batches sent and not answered yet, in order."""
        self._drained = asyncio.Event()
        """Set while the outbox is empty and no batch waits for its answer."""
        self._drained.set()
        self._settles: deque[asyncio.Future[None]] = deque()
        self._stopped: asyncio.Future[None] | None = None
        self._ready: asyncio.Future[str | None] | None = None
        self._dead: str | None = None
        self._generation = 0
        """Counts writer processes: messages and losses of an earlier one are ignored."""
        self._restarting = TaskGroup()
        """The restart after the process died (at most one); `close` waits for it."""
        self._restarts: deque[float] = deque(maxlen=RESTARTS)
        """When the last RESTARTS restarts happened."""
        self._closing = False
        self._announce = True

    def announce(self, on: bool) -> None:
        """Whether the writer process sends analysed requests (to `on_stored`) from now on:
        off when nobody reads them."""
        if on == self._announce:
            return
        self._announce = on
        if self._wire is not None and self._dead is None:
            self._wire.send(("announce", on))

    @property
    def problem(self) -> str | None:
        """Why nothing can be stored right now (the process died, is starting again...)."""
        return self._dead

    @property
    def restarts(self) -> int:
        """How many times the writer process was started again after it died."""
        return self._count_restarts

    _count_restarts = 0

    async def start(self) -> None:
        """Start the writer process (it finishes rows a previous run left unanalysed)."""
        error = await self._spawn()
        if error is not None:
            self._dead = error
            raise StoreError(error)

    async def _spawn(self) -> str | None:
        """Start a writer process and wait until it has opened the store; returns why it
        could not (None: it is ready)."""
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe(duplex=True)
        self._process = context.Process(
            target=writer_main,
            args=(child_end, str(self.store.path), self.store.durable, self._derive,
                  self._announce),
            name="inspector-writer",
            daemon=True,
        )
        self._process.start()
        child_end.close()
        self._connection = parent_end
        self._generation += 1
        generation = self._generation
        ready = self._ready = asyncio.get_running_loop().create_future()
        self._wire = await connect_pipe(
            parent_end,
            lambda message: self._dispatch(message) if generation == self._generation else None,
            lambda exc: self._lost(exc) if generation == self._generation else None,
        )
        error: str | None = await ready  # the store is open: the first request waits no more
        return error

    async def close(self) -> None:
        """Commit and analyse what is queued, then stop the writer process."""
        self._closing = True
        await self._restarting.wait()
        await self._all_sent()
        if self._wire is not None and self._dead is None:
            self._stopped = asyncio.get_running_loop().create_future()
            self._wire.send(("stop",))
        await end_child("writer process", self._stopped, self._process, self._wire,
                        self._connection)  # fmt: skip
        self.executor.shutdown(wait=True)

    async def submit(
        self,
        request: CapturedRequest,
        response_status: int | None = None,
        response_headers: tuple[tuple[str, str], ...] = (),
        response_body: bytes = b"",
        position: tuple[str, str] | None = None,
    ) -> int:
        """Store `request` (and an event stream's `position`, see Record.position, in the same
        transaction); returns its id once committed. Raises StoreError when it cannot."""
        if self._dead is not None or self._wire is None:
            raise StoreError(self._dead or "the store writer is not running")
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        wire = (REQUEST_FIELDS(request), response_status, response_headers, response_body,
                position)  # fmt: skip
        self._outbox.append((wire, future))
        self._drained.clear()
        if not self._flush_due:
            self._flush_due = True
            asyncio.get_running_loop().call_soon(self._flush)
        return await future

    async def set_derive(self, derive: Derive) -> None:
        """Analyse from now on with `derive` (after settings changed)."""
        self._derive = derive
        if self._wire is not None and self._dead is None:
            self._wire.send(("derive", derive))

    async def settled(self) -> None:
        """Wait until everything submitted so far is committed and analysed."""
        await self._all_sent()
        if self._wire is None or self._dead is not None:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._settles.append(future)
        self._wire.send(("settle",))
        await future

    async def run_on_writer(self, func: Callable[[], T]) -> T:
        """Run `func` on a thread of this process with the store's own connection (deletes,
        clears, re-derivation: SQLite serialises them with the writer process)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, func)

    # stage 1: batches go to the writer process in order, up to IN_FLIGHT of them unanswered
    # (while one commits, the next ones travel), the process answers them in order

    async def _all_sent(self) -> None:
        """Wait until the outbox is empty and every batch sent is answered."""
        if self._dead is None:
            await self._drained.wait()

    def _flush(self) -> None:
        self._flush_due = False
        while self._outbox and len(self._batches) < IN_FLIGHT and self._wire is not None:
            batch, self._outbox = self._outbox[:MAX_BATCH], self._outbox[MAX_BATCH:]
            self._batches.append([future for _, future in batch])
            try:
                self._wire.send(("insert", [wire for wire, _ in batch]))
            except StoreError as exc:
                self._died(f"the store writer process stopped unexpectedly ({exc})")
                return
        if self._outbox or self._batches:
            self._drained.clear()
        else:
            self._drained.set()

    def _answered(self, kind: str, value: Any) -> None:
        futures = self._batches.popleft()
        if kind == "error":
            _fail(futures, StoreError(value))
        elif kind == "rows":  # some rows stored, some not: each future gets its own answer
            for future, answer in zip(futures, value, strict=True):
                if isinstance(answer, str):
                    _fail([future], StoreError(answer))
                else:
                    _resolve(future, answer)
            stored = [answer for answer in value if not isinstance(answer, str)]
            if self._on_committed is not None and stored:
                self._on_committed(stored)
        else:
            for future, request_id in zip(futures, value, strict=True):
                if not future.done():
                    future.set_result(request_id)
            if self._on_committed is not None:
                self._on_committed(value)
        self._flush()

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind in ("ids", "error", "rows"):
            self._answered(kind, message[1])
        elif kind == "analysed":
            self._on_stored(message[1])
        elif kind == "settled":
            _resolve(self._settles.popleft(), None)
        elif kind == "ready" and self._ready is not None:
            _resolve(self._ready, None)
        elif kind == "stopped" and self._stopped is not None:
            _resolve(self._stopped, None)

    def _lost(self, exc: Exception | None) -> None:
        self._died(f"the store writer process stopped unexpectedly ({exc!r})")

    def _died(self, reason: str) -> None:
        if self._stopped is not None and self._stopped.done():
            return  # an orderly stop
        starting = self._ready is not None and not self._ready.done()
        if self._ready is not None:
            _resolve(self._ready, reason)
        if self._dead is not None or starting:
            return  # start() or the restart in progress reports it
        self._dead = reason
        log.error(reason)
        self._fail_waiting(StoreError(reason))
        if not self._closing:
            self._restarting.spawn(self._restart(), name="restart the writer process")

    async def _restart(self) -> None:
        """Start the writer process again after it died (at most RESTARTS times in
        RESTART_WINDOW seconds; RESTART_DELAY apart): requests get 503 meanwhile."""
        reason = self._dead or ""
        await end_child("writer process", None, self._process, self._wire, self._connection)
        while not self._closing:
            now = time.monotonic()
            if len(self._restarts) == RESTARTS and now - self._restarts[0] < RESTART_WINDOW:
                self._dead = f"{reason}; not started again ({RESTARTS} restarts in a row)"
                log.error(self._dead)
                return
            self._restarts.append(now)
            self._dead = f"{reason}; starting it again"
            await asyncio.sleep(RESTART_DELAY)
            error = await self._spawn()
            if error is None:
                self._dead = None
                self._count_restarts += 1
                log.warning("the store writer process was started again")
                return
            await end_child("writer process", None, self._process, self._wire, self._connection)
            reason = error

    def _fail_waiting(self, error: StoreError) -> None:
        """Every request and settle waiting for the writer gets `error`."""
        for futures in self._batches:
            _fail(futures, error)
        _fail([future for _, future in self._outbox], error)
        self._batches.clear()
        self._outbox.clear()
        for future in self._settles:
            if not future.done():
                future.set_exception(error)
        if self._stopped is not None:
            _resolve(self._stopped, None)
        self._drained.set()


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _fail(futures: Sequence[asyncio.Future[Any]], exc: Exception) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(exc)


# --- the pipe, read and written with asyncio in the parent ----------------------------------


async def end_child(
    name: str,
    stopped: asyncio.Future[None] | None,
    process: Any,
    wire: PipeWire | None,
    connection: Connection | None,
) -> None:
    """Wait (up to STOP_WAIT) for `stopped`, a child's answer to the stop message sent to it,
    close the pipe (a child not told to stop sees it close and exits), then wait for the
    process to exit (killed after 10 s more)."""
    if stopped is not None:
        try:
            await asyncio.wait_for(stopped, STOP_WAIT)
        except TimeoutError:
            log.error("%s did not stop in time", name)
    if wire is not None:
        wire.close()
    if connection is not None:
        connection.close()
    if process is not None and process.pid is not None:  # started
        await asyncio.get_running_loop().run_in_executor(None, process.join, 10)
        if process.is_alive():
            process.kill()


async def connect_pipe(
    conn: Connection,
    on_message: Callable[[tuple[Any, ...]], None],
    on_lost: Callable[[Exception | None], None],
) -> PipeWire:
    """Read and write one end of a multiprocessing Pipe on the running loop."""
    sock = socket.socket(fileno=os.dup(conn.fileno()))
    loop = asyncio.get_running_loop()
    _, wire = await loop.create_connection(lambda: PipeWire(on_message, on_lost), sock=sock)
    return wire


class PipeWire(asyncio.Protocol):
    """Pickled messages over the parent's end of a multiprocessing Pipe, with the Pipe's own
    framing (4-byte big-endian length; -1 then an 8-byte length for huge messages)."""

    def __init__(
        self,
        on_message: Callable[[tuple[Any, ...]], None],
        on_lost: Callable[[Exception | None], None],
    ) -> None:
        self._on_message = on_message
        self._on_lost = on_lost
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream transport (uvloop's does not derive from asyncio.Transport)
        self._transport = cast(asyncio.Transport, transport)

    def send(self, message: object) -> None:
        if self._transport is None or self._transport.is_closing():
            raise StoreError("the process at the other end of the pipe is gone")
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        header = struct.pack("!i", len(data)) if len(data) < 0x7FFFFFFF else (
            struct.pack("!i", -1) + struct.pack("!Q", len(data))
        )  # fmt: skip
        self._transport.write(header + data)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (frame := self._next_frame()) is not None:
            self._on_message(pickle.loads(frame))

    def _next_frame(self) -> bytes | None:
        buffer = self._buffer
        if len(buffer) < 4:
            return None
        (size,) = struct.unpack_from("!i", buffer)
        start = 4
        if size == -1:
            if len(buffer) < 12:
                return None
            (size,) = struct.unpack_from("!Q", buffer, 4)
            start = 12
        if len(buffer) < start + size:
            return None
        frame = bytes(buffer[start : start + size])
        del buffer[: start + size]
        return frame

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._on_lost(exc or ConnectionError("pipe closed"))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


# --- the writer process ---------------------------------------------------------------------


def writer_main(
    conn: Connection, path: str, durable: bool, derive: Derive, announce: bool = True
) -> None:
    """Entry point of the writer process: commits batches in order, analyses in the background
    (announcing analysed requests when `announce`), exits when told to stop or when the parent
    goes away."""
    # Ctrl-C in a terminal (and a service manager's SIGTERM) reaches the whole process group:
    # the parent decides when to stop; this process finishes its work and exits with it.
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_IGN)
    writer = _ChildWriter(conn, path, durable, derive, announce)
    try:
        writer.send(("ready",))
        writer.serve()
    finally:
        writer.close()


def _why(exc: Exception) -> str:
    """Why a row was not stored, for the sender's 503 (a bug is logged with its traceback)."""
    if isinstance(exc, StoreError):
        return str(exc)
    log.error("insert failed", exc_info=exc)
    return f"cannot store request: {exc}"


def _waited(request: CapturedRequest) -> float:
    """Seconds since `request` was received."""
    return max(0.0, (time.time_ns() - request.received_at_ns) / 1e9)


def _record(wire: WireRecord) -> Record:
    fields, status, headers, body, position = wire
    return Record(CapturedRequest(*fields), None, status, headers, body, position)


class _ChildWriter:
    """One thread, one connection: a commit never waits for a lock held by analysis.

    Incoming batches always go first; analysis runs in small batches whenever no batch is
    waiting, and while webhooks keep arriving it leaves most of the time to capture (the wait
    for the next message ends at once when one arrives)."""

    def __init__(
        self, conn: Connection, path: str, durable: bool, derive: Derive, announce: bool = True
    ) -> None:
        self.conn = conn
        self.store = Store(Path(path), durable=durable)  # the parent created and migrated it
        # WAL checkpoints (which fsync) run when analysis is idle, not inside a commit
        self.store.writer().execute("PRAGMA wal_autocheckpoint = 0")
        self.derive = derive
        self.group_rows = DURABLE_GROUP_ROWS if durable else 0
        self.work = True  # rows a previous run may have left unanalysed
        self.settles = 0
        self.stopping = False
        self.last_capture = 0.0
        self.last_checkpoint = 0.0
        self.unannounced: list[Stored] = []
        """Analysed requests not announced to the parent yet (see NOTICE_ROWS)."""
        self.unannounced_since = 0.0
        self.waiting_since: float | None = None
        """When the oldest row waiting for analysis was committed (None: none, or not known,
        as for rows an earlier run left: they are analysed at once)."""
        self.waiting_rows = 0
        self.announcing = announce
        """Whether analysed requests are sent to the parent at all (GroupWriter.announce)."""

    def send(self, message: object) -> None:
        self.conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def serve(self) -> None:
        while True:
            try:
                if self.unannounced:
                    self.send_analysed(force=not (self.work and self._flooded()))
                if self.work and self._analysis_due() and not self._request_waiting():
                    self.analyse_some()
                elif self.conn.poll(self._wait_time()):
                    self.handle_waiting()
                elif self.work:
                    self.analyse_some()
                elif not self.answer_requests():
                    return
                else:
                    self.checkpoint(every=CHECKPOINT_EVERY)
            except (EOFError, OSError):
                return  # the parent is gone: whatever was committed stays committed

    def _request_waiting(self) -> bool:
        """Below FLOOD_RATE, requests already in the pipe go before analysis."""
        return not self._flooded() and self.conn.poll(0)

    def _analysis_due(self) -> bool:
        """Below FLOOD_RATE, once the rows waiting are gathered (GATHER). Flooded, analysis
        gets its share even while batches keep arriving (a steady stream must not starve it):
        one batch every BUSY_RATIO times as long as the last one took, more once rows wait too
        long (LAG_TARGET)."""
        if not self._flooded():
            return self._gather_left() == 0.0
        if self._lagging():
            interval = self.last_analysis * LAGGING_RATIO
        else:
            interval = max(self.last_analysis * BUSY_RATIO, MIN_ANALYSIS_INTERVAL)
        return time.monotonic() - self.analysed_at >= interval

    def _wait_time(self) -> float:
        """How long to wait for a message before doing background work."""
        if not self.work:
            return 0.0 if (self.settles or self.stopping) else 1.0
        if not self._flooded():
            return self._gather_left()
        return self.last_analysis * (LAGGING_RATIO if self._lagging() else BUSY_RATIO)

    def _gather_left(self) -> float:
        """Seconds until the rows waiting for analysis are gathered (0.0: now)."""
        if self.waiting_since is None or self.waiting_rows >= STREAM_ANALYSE_BATCH:
            return 0.0
        return max(0.0, GATHER - (time.monotonic() - self.waiting_since))

    def _lagging(self) -> bool:
        """Analysis is behind, and can catch up without starving capture."""
        keeps_up = self.capture_rate * self.row_cost <= KEEP_UP_SHARE
        return self.work and self.lag > LAG_TARGET and keeps_up

    def _count_capture(self, rows: int) -> None:
        now = time.monotonic()
        self.window_rows += rows
        self.window_commits += 1
        if now - self.window_start >= RATE_WINDOW:
            self.capture_rate = self.window_rows / (now - self.window_start)
            self.capture_fill = self.window_rows / self.window_commits
            self.window_start, self.window_rows, self.window_commits = now, 0, 0

    def _busy(self) -> bool:
        return time.monotonic() - self.last_capture < BUSY_WINDOW

    def _flooded(self) -> bool:
        heavy = self.capture_rate >= FLOOD_RATE or self.capture_fill >= FLOOD_FILL
        return self._busy() and heavy

    def handle_waiting(self) -> None:
        """Handle the next message; consecutive insert batches already waiting in the pipe
        share one transaction (group commit on this side too), each gets its own answer."""
        message = self.receive()
        if message[0] != "insert":
            self.handle(message)
            return
        batches = [message[1]]
        rows = len(message[1])
        later: tuple[Any, ...] | None = None
        while rows < self.group_rows and self.conn.poll(0):
            message = self.receive()
            if message[0] != "insert":
                later = message
                break
            batches.append(message[1])
            rows += len(message[1])
        self.insert(batches)
        if later is not None:
            self.handle(later)

    def receive(self) -> tuple[Any, ...]:
        message: tuple[Any, ...] = pickle.loads(self.conn.recv_bytes())
        return message

    def handle(self, message: tuple[Any, ...]) -> None:
        """A message other than an insert (handle_waiting commits those)."""
        kind = message[0]
        if kind == "derive":
            self.derive = message[1]
        elif kind == "announce":
            self.announcing = message[1]
        elif kind == "settle":
            self.settles += 1
        elif kind == "stop":
            self.stopping = True

    def answer_requests(self) -> bool:
        """Everything received so far is analysed: answer settles; False once told to stop."""
        self.send_analysed(force=True)
        for _ in range(self.settles):
            self.send(("settled",))
        self.settles = 0
        if self.stopping:
            self.send(("stopped",))
            return False
        return True

    def insert(self, batches: list[list[WireRecord]]) -> None:
        """Commit these batches in one transaction, then answer each with its ids. When that
        fails, each row is tried in its own transaction: one bad row fails alone."""
        records = [_record(wire) for wire in itertools.chain(*batches)]
        try:
            results: list[int | str] = list(self.store.insert_many(records))
        except Exception as exc:
            results = self._insert_one_by_one(records) if len(records) > 1 else [_why(exc)]
        start = 0
        for batch in batches:
            answers = results[start : start + len(batch)]
            start += len(batch)
            if all(isinstance(answer, int) for answer in answers):
                self.send(("ids", answers))
            elif all(isinstance(answer, str) for answer in answers):
                self.send(("error", answers[0]))
            else:
                self.send(("rows", answers))
        stored = sum(isinstance(answer, int) for answer in results)
        if stored:
            if not self.work:
                self.waiting_since, self.waiting_rows = time.monotonic(), 0
            self.waiting_rows += stored
            self.work = True
            self.last_capture = time.monotonic()
            self._count_capture(stored)

    def _insert_one_by_one(self, records: list[Record]) -> list[int | str]:
        """Each record in its own transaction: its id, or why it cannot be stored."""
        results: list[int | str] = []
        for record in records:
            try:
                results.append(self.store.insert_many([record])[0])
            except Exception as exc:
                results.append(_why(exc))
        return results

    last_analysis = 0.0
    analysed_at = 0.0
    lag = 0.0
    """Seconds the newest request of the last full analysis batch had waited (0 when the
    batch emptied the queue): how far analysis is behind."""
    row_cost = 0.0
    """Seconds analysis takes per request (a moving average over its recent batches)."""
    capture_rate = 0.0
    """Requests committed per second over the last RATE_WINDOW (updated as they come)."""
    capture_fill = 0.0
    """Requests per commit over the last RATE_WINDOW (1 for a paced stream)."""
    window_start = 0.0
    window_rows = 0
    window_commits = 0

    def analyse_some(self) -> None:
        started = time.monotonic()
        if self._lagging():
            size = LAGGING_BATCH
        elif self._flooded():
            size = BUSY_ANALYSE_BATCH
        else:
            size = STREAM_ANALYSE_BATCH if self._busy() else ANALYSE_BATCH
        count = self.analyse_batch(size)
        self.work = count == size
        if not self.work:
            self.waiting_since, self.waiting_rows = None, 0
        self.analysed_at = time.monotonic()
        self.last_analysis = self.analysed_at - started
        if count:  # smoothed: a batch of 4 alone is a noisy measure
            cost = self.last_analysis / count
            self.row_cost = 0.8 * self.row_cost + 0.2 * cost if self.row_cost else cost

    def analyse_batch(self, size: int = ANALYSE_BATCH) -> int:
        try:
            pending = self.store.pending(size)
            self.lag = _waited(pending[-1].request) if len(pending) == size else 0.0
            analysed = [(s.id, self.safe_derive(s.request)) for s in pending]
            self.store.apply_analysis(analysed, {s.id: s.request for s in pending})
        except Exception:
            log.exception("analysis failed; rows stay unanalysed until the next start")
            return 0
        if pending and self.announcing:
            stored = [
                Stored(s.id, Record(s.request, d, s.response_status, s.response_headers,
                                    s.response_body))
                for s, (_, d) in zip(pending, analysed, strict=True)
            ]  # fmt: skip
            if not self.unannounced:
                self.unannounced_since = time.monotonic()
            self.unannounced.extend(stored)
            self.send_analysed(force=not self._flooded())
        return len(pending)

    def send_analysed(self, force: bool) -> None:
        """Send the analysed requests not announced yet: now when `force`, else once enough
        of them wait or the oldest has waited long enough (NOTICE_ROWS, NOTICE_WAIT)."""
        if not self.unannounced:
            return
        due = force or len(self.unannounced) >= NOTICE_ROWS
        if due or time.monotonic() - self.unannounced_since >= NOTICE_WAIT:
            stored, self.unannounced = self.unannounced, []
            self.send(("analysed", StoredBatch.of(stored)))

    def checkpoint(self, every: float) -> None:
        """A WAL checkpoint (it fsyncs): when capture is quiet, or every BUSY_CHECKPOINT
        seconds during a long burst so that the WAL does not grow without bound."""
        now = time.monotonic()
        due = now - self.last_checkpoint >= (BUSY_CHECKPOINT if self._busy() else every)
        if not due:
            return
        try:
            self.store.checkpoint()
        except Exception:
            log.exception("checkpoint failed")
        self.last_checkpoint = time.monotonic()

    def safe_derive(self, request: CapturedRequest) -> Derived:
        try:
            return self.derive(request)
        except Exception as exc:  # a bug in a detector must not lose the request
            log.exception("deriving failed")
            return Derived("generic", (Event("generic", "error", f"could not analyse: {exc}"),))

    def close(self) -> None:
        self.store.close()
        self.conn.close()
